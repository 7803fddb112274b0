package editdist

import (
	"strings"
	"testing"
)

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"ship", "ship", 0},
		{"", "ship", 4},
		{"ship", "", 4},
		{"kitten", "sitting", 3},
		{"cancel", "cancle", 2},
		{"orderPage", "ordrPage", 1},
	} {
		if got := Distance([]byte(tc.a), []byte(tc.b)); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
	a, b := strings.Fields("Alice receives an order email"), strings.Fields("Alice receives the order confirmation email")
	if got := Distance(a, b); got != 2 {
		t.Errorf("word distance = %d, want 2 (one substitution, one insertion)", got)
	}
}
