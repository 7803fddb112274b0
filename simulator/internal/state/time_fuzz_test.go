package state

import (
	"testing"
	"time"

	"github.com/drsim/drsim/simulator/internal/wire"
)

// A time the file link rules accept (expiresTime) is one DR represents and
// Go writes back: years 1970–9999 in UTC, written in DR's form and read
// back as the same second. ("9999-12-31T23:59:59-23:59" is year 10000 in
// UTC: refused.)
func FuzzLinkTime(f *testing.F) {
	for _, s := range []string{"2026-12-31T00:00:00Z", "2026-12-31T00:00:00.123456789+0000", "9999-12-31T23:59:59-23:59",
		"1969-12-31T23:59:59Z", "1970-01-01T00:00:00+01:00", "2026-02-29T00:00:00Z", "soon"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseTime("expiresTime", s)
		if err != nil {
			return
		}
		if y := got.Year(); y < 1970 || y > 9999 || got.Location() != time.UTC {
			t.Fatalf("parseTime(%q) = %s: accepted a time outside 1970–9999 UTC", s, got)
		}
		b, err := wire.Marshal(struct {
			T time.Time `json:"t"`
		}{got})
		if err != nil {
			t.Fatalf("wire.Marshal(%s): %v", got, err)
		}
		back, err := wire.ParseTime(string(b[6 : len(b)-2]))
		if err != nil || !back.Equal(got.Truncate(time.Second)) {
			t.Fatalf("%q was written as %s and reads back as %s (%v)", s, b, back, err)
		}
	})
}
