package wire

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ParseTime never panics, and a time it reads that Go and DR can write
// (years 0–9999 in UTC) is written in each of DR's forms — whole seconds in
// objects, milliseconds in pair events, microseconds in event times — and
// read back as the same instant at that precision.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{
		"2021-11-01T18:23:02Z", "2021-11-01T18:23:06.272054Z", "2022-08-25T21:09:39.061+0000",
		"2022-08-25T21:09:39+0200", "9999-12-31T23:59:59-23:59", "0000-01-01T00:00:00+23:59", "2026-13-01T00:00:00Z", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTime(s)
		if err != nil {
			return
		}
		if y := got.UTC().Year(); y < 0 || y > 9999 {
			return // the API refuses these before storing them (api/strict.go, state/filelinks.go)
		}
		for _, c := range []struct {
			form      string
			marshal   func(any) ([]byte, error)
			precision time.Duration
		}{{"object", Marshal, time.Second}, {"pair event", PairMarshal, time.Millisecond}} {
			b, err := c.marshal(struct{ T time.Time }{got})
			if err != nil {
				t.Fatalf("%s form of %s: %v", c.form, got, err)
			}
			var w struct{ T string }
			if err := json.Unmarshal(b, &w); err != nil {
				t.Fatalf("%s form of %s is not JSON: %s", c.form, got, b)
			}
			back, err := ParseTime(w.T)
			if want := got.Truncate(c.precision); err != nil || !back.Equal(want) {
				t.Fatalf("%s form %q of %q reads back as %s (%v), want %s", c.form, w.T, s, back, err, want)
			}
		}
		if back, err := ParseTime(EventTime(got)); err != nil || !back.Equal(got.Truncate(time.Microsecond)) {
			t.Fatalf("event time %q of %q reads back as %s (%v)", EventTime(got), s, back, err)
		}
	})
}

// Amount writes every finite number with a decimal point, and it reads back
// as the same number.
func FuzzAmount(f *testing.F) {
	for _, v := range []float64{0, 28, 27.01, -0.5, 1e21, 5e-324, math.MaxFloat64, 0.1 + 0.2} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return
		}
		s := string(Amount(nil, v))
		if !strings.Contains(s, ".") {
			t.Fatalf("Amount(%v) = %s, without a decimal point", v, s)
		}
		back, err := strconv.ParseFloat(s, 64)
		if err != nil || back != v {
			t.Fatalf("Amount(%v) = %s, which reads back as %v (%v)", v, s, back, err)
		}
		if !json.Valid([]byte(s)) {
			t.Fatalf("Amount(%v) = %s is not a JSON number", v, s)
		}
	})
}
