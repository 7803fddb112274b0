package merchant

import (
	"encoding/json"
	"testing"
)

func TestCountAcceptsNumbersAndNumericStrings(t *testing.T) {
	for _, tc := range []struct {
		json string
		want count
		ok   bool
	}{
		{`2`, 2, true},
		{`2.0`, 2, true},
		{`"2"`, 2, true},
		{`" 3 "`, 3, true},
		{`null`, 0, true},
		{`0`, 0, true},
		{`1000000000`, 1_000_000_000, true},
		{`1.5`, 0, false},
		{`-1`, 0, false},
		{`"-1"`, 0, false},
		{`"two"`, 0, false},
		{`""`, 0, false},
		{`1e10`, 0, false},
		{`"NaN"`, 0, false},
		{`true`, 0, false},
	} {
		var c count
		err := json.Unmarshal([]byte(tc.json), &c)
		if (err == nil) != tc.ok || (tc.ok && c != tc.want) {
			t.Errorf("count from %s = %d (%v), want %d (ok %v)", tc.json, c, err, tc.want, tc.ok)
		}
	}
}

func TestFormatDate(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"2022-08-08T15:07:43Z", "8 August 2022"},
		{"2022-03-17T16:17:54.93644Z", "17 March 2022"},
		{"2022-08-25T21:09:39.061+0000", "25 August 2022"},
		{"2022-12-31T23:30:00-02:00", "1 January 2023"}, // in UTC
		{"", ""},
		{"yesterday", ""},
	} {
		if got := formatDate(tc.in); got != tc.want {
			t.Errorf("formatDate(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSameAddress(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"alice@example.test", "alice@example.test", true},
		{"ALICE@Example.Test", "alice@example.test", true},
		{"Alice <alice@example.test>", "alice@example.test", true},
		{" alice@example.test ", "alice@example.test", true},
		{"alice@example.test", "bob@example.test", false},
		{"", "", false},
		{"alice@example.test", "", false},
	} {
		if got := sameAddress(tc.a, tc.b); got != tc.want {
			t.Errorf("sameAddress(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
