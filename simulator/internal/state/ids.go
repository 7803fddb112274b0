package state

import (
	mrand "math/rand/v2"
	"strconv"

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
	var b [numericLen]byte
	return string(g.appendNumeric(b[:0]))
}

// numericLen is the length of a numeric id while the counter has at most
// 8 digits (it starts below 90,000,000; longer ids are still unique).
const numericLen = 12

// appendNumeric appends the next numeric id to b: the counter, zero-padded
// to 8 digits, then 0336.
func (g *idGen) appendNumeric(b []byte) []byte {
	g.next++
	var d [20]byte
	digits := strconv.AppendUint(d[:0], g.next, 10)
	for range 8 - len(digits) {
		b = append(b, '0')
	}
	return append(append(b, digits...), "0336"...)
}

func newUUID() string { return uuid.NewString() }
