package state

import (
	"encoding/json"
	"testing"
)

// A quantity decodes from any JSON value without failing (a bad one is kept
// for validation to report with its parameter name).
func FuzzQuantity(f *testing.F) {
	for _, s := range []string{`2`, `"2"`, `2.0`, `" 2 "`, `null`, `9223372036854775807`, `-1`, `1e400`, `"x"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return
		}
		var q Quantity
		if err := json.Unmarshal(b, &q); err != nil {
			t.Fatalf("Quantity.UnmarshalJSON(%q): %v; want no error (bad values are kept for validation)", b, err)
		}
	})
}

// Event type patterns never panic, and a type always matches itself and "*".
func FuzzMatchType(f *testing.F) {
	f.Add("order.*", "order.accepted")
	f.Add("*", "x")
	f.Add("a.*.c", "a.b.c")
	f.Fuzz(func(t *testing.T, pattern, typ string) {
		_ = MatchType(pattern, typ)
		if typ != "" && !MatchType(typ, typ) && !containsStar(typ) {
			t.Fatalf("MatchType(%q, %q) = false", typ, typ)
		}
	})
}

func containsStar(s string) bool {
	for _, r := range s {
		if r == '*' {
			return true
		}
	}
	return false
}
