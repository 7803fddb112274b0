package state

import (
	"fmt"
	"testing"
)

// A numeric id is the counter zero-padded to 8 digits, then 0336, however
// many digits the counter has; appendNumeric appends it after what b holds.
func TestNumericID(t *testing.T) {
	for _, next := range []uint64{0, 8, 9_999_999, 10_000_000, 89_999_999, 99_999_999, 123_456_789_012} {
		g := idGen{next: next}
		want := fmt.Sprintf("%08d0336", next+1)
		if got := g.numeric(); got != want {
			t.Errorf("after %d: numeric() = %s, want %s", next, got, want)
		}
		if got := string(g.appendNumeric([]byte("x"))); got != fmt.Sprintf("x%08d0336", next+2) {
			t.Errorf("after %d: appendNumeric = %s, want x%08d0336", next+1, got, next+2)
		}
	}
}
