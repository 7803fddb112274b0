package harness

import "testing"

// A subject pattern is compiled once and shared; a bad one is an error
// every time, never cached.
func TestSubjectPatternsCompiledOnce(t *testing.T) {
	a, err := compiled(`^Order confirmation – order \S+$`)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := compiled(`^Order confirmation – order \S+$`)
	if a != b || !a.MatchString("Order confirmation – order ord_1") {
		t.Fatalf("second compile gave %p, first %p (or the pattern does not match)", b, a)
	}
	for range 2 {
		if re, err := compiled(`(unclosed`); err == nil || re != nil {
			t.Fatalf("bad pattern: %v, %v; want an error", re, err)
		}
	}
}
