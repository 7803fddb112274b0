package state

import (
	"fmt"
	mrand "math/rand/v2"

	"github.com/google/uuid"
)

// idGen makes DR-shaped ids: numeric strings ending in 0336 for orders, line
// items and customers (as every DR sample does), UUIDs for the rest.
type idGen struct {
	next uint64
}

func newIDGen() idGen {
	return idGen{next: 10_000_000 + mrand.Uint64N(80_000_000)}
}

// numeric returns the next 12-digit DR numeric id.
func (g *idGen) numeric() string {
	g.next++
	return fmt.Sprintf("%08d0336", g.next)
}

func newUUID() string { return uuid.NewString() }
