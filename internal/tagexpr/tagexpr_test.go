package tagexpr

import (
	"strings"
	"testing"
)

// The cases follow Cucumber's tag-expressions testdata (evaluations.yml and
// errors.yml): what Cucumber selects, this selects.
func TestMatchesWhatCucumberSelects(t *testing.T) {
	tests := []struct {
		expr string
		tags []string
		want bool
	}{
		{"", nil, true},
		{"@a", []string{"@a"}, true},
		{"@a", []string{"@b"}, false},
		{"not @a", nil, true},
		{"not @a", []string{"@a"}, false},
		{"@a and @b", []string{"@a", "@b"}, true},
		{"@a and @b", []string{"@a"}, false},
		{"@a or @b", []string{"@b"}, true},
		{"@a or @b", nil, false},
		{"not   x", nil, false},                   // error case checked below; here never reached
		{"@a or @b and @c", []string{"@a"}, true}, // and binds tighter than or
		{"@a or @b and @c", []string{"@b"}, false},
		{"(@a or @b) and @c", []string{"@a"}, false},
		{"(@a or @b) and @c", []string{"@a", "@c"}, true},
		{"not @a or @b", []string{"@a"}, false}, // not binds tightest
		{"not (@a or @b)", []string{"@b"}, false},
		{"not (@a or @b)", []string{"@c"}, true},
		{"not not @a", []string{"@a"}, true},
		{"@a and not @b", []string{"@a", "@b"}, false},
		{"@a and not @b", []string{"@a"}, true},
		{`@a\ b`, []string{"@a b"}, true},
		{`@a\(1\)`, []string{"@a(1)"}, true},
		{`@a\\b`, []string{`@a\b`}, true},
		{"((@a))", []string{"@a"}, true},
		{"@order && ~@slow", []string{"@order"}, true}, // godog's spelling
		{"@order && ~@slow", []string{"@order", "@slow"}, false},
		{"@a || @b", []string{"@b"}, true},
	}
	for _, tc := range tests {
		e, err := Parse(tc.expr)
		if err != nil {
			if tc.expr == "not   x" {
				continue
			}
			t.Errorf("Parse(%q): %v", tc.expr, err)
			continue
		}
		if got := e.Match(tc.tags); got != tc.want {
			t.Errorf("%q (parsed %s) on %v = %v, want %v", tc.expr, e, tc.tags, got, tc.want)
		}
	}
}

func TestErrorsSayWhatIsWrong(t *testing.T) {
	for expr, want := range map[string]string{
		"@a and":       "ends where a tag",
		"@a @b":        `unexpected "@b"`,
		"(@a or @b":    "never closed",
		"@a)":          `unexpected ")"`,
		"or @a":        `"or" at 0 where a tag`,
		"order":        "tags start with @",
		"@a,@b":        "@a or @b",
		`@a\`:          "escapes nothing",
		`@a\b`:         "not an escape",
		"not":          "ends where a tag",
		"@a and ( )":   `")" at 9 where a tag`,
		"not   x":      "tags start with @",
		"@":            "tags start with @",
		"@a and or @b": `"or" at 7`,
	} {
		_, err := Parse(expr)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) error = %v, want it to mention %q", expr, err, want)
		}
	}
}

// String gives an expression that parses back to the same selection.
func TestStringRoundTrips(t *testing.T) {
	for _, expr := range []string{"@a or not @b and (@c or @d)", `@a\ b and not @c\)`, "not not @x"} {
		e, err := Parse(expr)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Parse(e.String())
		if err != nil {
			t.Fatalf("Parse(%q) (the String of %q): %v", e.String(), expr, err)
		}
		if again.String() != e.String() {
			t.Errorf("round trip of %q: %q then %q", expr, e.String(), again.String())
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "@a", "@a and not (@b or @c)", `@a\ b`, "((", "@a && ~@b || @c", "not"} {
		f.Add(s)
	}
	tags := [][]string{nil, {"@a"}, {"@b", "@c"}, {"@a", "@b", "@c"}}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(e.String())
		if err != nil {
			t.Fatalf("Parse(%q) = %s, which does not parse: %v", s, e, err)
		}
		for _, ts := range tags {
			if e.Match(ts) != again.Match(ts) {
				t.Fatalf("%q and its String %q disagree on %v", s, e, ts)
			}
		}
	})
}
