package suite

import (
	"slices"
	"testing"
)

func TestKeepGoTestRun(t *testing.T) {
	pickles := []*Pickle{
		{Name: "Partial refund"}, {Name: "Full refund"}, {Name: "Order confirmation in euros"},
		{Name: "A merchant down for three attempts gets the event once it is back"},
	}
	cases := []struct {
		pattern string
		want    []string
	}{
		{"", []string{"Partial refund", "Full refund", "Order confirmation in euros", "A merchant down for three attempts gets the event once it is back"}},
		{"TestFeatures", []string{"Partial refund", "Full refund", "Order confirmation in euros", "A merchant down for three attempts gets the event once it is back"}},
		{"TestFeatures/Partial_refund", []string{"Partial refund"}},
		{"TestFeatures/refund$", []string{"Partial refund", "Full refund"}},
		{"TestFeatures/^Full_refund$", []string{"Full refund"}},
		{"TestFeatures/(Full|Partial)_refund", []string{"Partial refund", "Full refund"}},
		{"TestFeatures/[a-z]/x", []string{"Partial refund", "Full refund", "Order confirmation in euros", "A merchant down for three attempts gets the event once it is back"}},
		{"TestFeatures/euros", []string{"Order confirmation in euros"}},
		{"TestFeatures/nothing like it", nil},
	}
	for _, tc := range cases {
		got, err := keepGoTestRun(pickles, tc.pattern)
		if err != nil {
			t.Fatalf("%q: %v", tc.pattern, err)
		}
		var names []string
		for _, p := range got {
			names = append(names, p.Name)
		}
		if !slices.Equal(names, tc.want) {
			t.Errorf("-run %q keeps %q, want %q", tc.pattern, names, tc.want)
		}
	}
	if _, err := keepGoTestRun(pickles, "TestFeatures/(unclosed"); err == nil {
		t.Error("a scenario part that is no regular expression: no error")
	}
}

func TestSplitRunPattern(t *testing.T) {
	cases := map[string][]string{
		"":                  nil,
		"A":                 {"A"},
		"A/B":               {"A", "B"},
		"A/(B/C)":           {"A", "(B/C)"},
		"A/[/]x/C":          {"A", "[/]x", "C"},
		`A/B\/C`:            {"A", `B\/C`},
		"TestFeatures/a/b/": {"TestFeatures", "a", "b", ""},
	}
	for in, want := range cases {
		if got := splitRunPattern(in); !slices.Equal(got, want) {
			t.Errorf("splitRunPattern(%q) = %q, want %q", in, got, want)
		}
	}
}
