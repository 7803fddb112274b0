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

func TestClosest(t *testing.T) {
	names := []string{"order confirmation", "shipment", "renewal reminder", "Music box"}
	for _, tc := range []struct {
		s, want string
		ok      bool
	}{
		{"order confirmaton", "order confirmation", true},
		{"Shipmnet", "shipment", true},
		{"music bx", "Music box", true},
		{"invoice", "", false}, // nothing near: no guess
		{"", "", false},
	} {
		got, ok := Closest(tc.s, names)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Closest(%q) = %q, %v; want %q, %v", tc.s, got, ok, tc.want, tc.ok)
		}
	}
	if got := DidYouMean("renewal remnder", names); got != ` did you mean "renewal reminder"?` {
		t.Errorf("DidYouMean = %q", got)
	}
	if got := DidYouMean("zzz", names); got != "" {
		t.Errorf("DidYouMean(zzz) = %q, want nothing", got)
	}
	if _, ok := Closest("x", nil); ok {
		t.Error("Closest with no candidates found one")
	}
}
