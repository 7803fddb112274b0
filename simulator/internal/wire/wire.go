// Package wire writes JSON the way Digital River writes it (docs/ and the
// samples in DR's API docs): amounts always with a decimal point ("28.0",
// never "28"), and timestamps in UTC with whole seconds ("2021-11-01T18:23:02Z").
// The subscription inside the pair events (subscription.extended, .reminder,
// .payment_failed) is the one place DR writes milliseconds and a "+0000"
// offset ("2022-08-25T21:09:39.061+0000"); PairMarshal writes that form.
//
// It is encoding/json's behaviour otherwise (struct tags, omitempty,
// MarshalJSON methods), through github.com/go-json-experiment/json with its
// v1 options, whose caller-supplied marshalers reach float64 and time.Time
// values anywhere in a value.
package wire

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// PairTimeLayout is how DR writes the dates of the subscription inside a pair event.
const PairTimeLayout = "2006-01-02T15:04:05.000-0700"

// Amount appends f as DR writes numbers that are amounts: the shortest
// decimal form that reads back as f, with ".0" when it has no fraction.
func Amount(dst []byte, f float64) []byte {
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, 'f', -1, 64)
	for _, c := range dst[start:] {
		if c == '.' {
			return dst
		}
	}
	return append(dst, ".0"...)
}

func floats(enc *jsontext.Encoder, f float64) error {
	return enc.WriteValue(jsontext.Value(Amount(nil, f)))
}

func wholeSeconds(enc *jsontext.Encoder, t time.Time) error {
	return writeTime(enc, t.UTC().Truncate(time.Second), time.RFC3339)
}

func pairTime(enc *jsontext.Encoder, t time.Time) error {
	return writeTime(enc, t.UTC().Truncate(time.Millisecond), PairTimeLayout)
}

// writeTime writes t in layout as a JSON string, formatted into a buffer on
// the stack: a string made by Format would be an allocation for every time
// of every object written (two a customer, more an order). Neither layout
// writes a character JSON escapes.
func writeTime(enc *jsontext.Encoder, t time.Time, layout string) error {
	var buf [48]byte
	b := append(buf[:0], '"')
	b = append(t.AppendFormat(b, layout), '"')
	return enc.WriteValue(jsontext.Value(b))
}

var (
	objectOpts = json.JoinOptions(jsonv1.DefaultOptionsV1(), json.WithMarshalers(json.JoinMarshalers(
		json.MarshalToFunc(floats), json.MarshalToFunc(wholeSeconds))))
	pairOpts = json.JoinOptions(jsonv1.DefaultOptionsV1(), json.WithMarshalers(json.JoinMarshalers(
		json.MarshalToFunc(floats), json.MarshalToFunc(pairTime))))
)

// Marshal is json.Marshal writing DR's amounts and whole-second times.
func Marshal(v any) ([]byte, error) {
	return json.Marshal(v, objectOpts)
}

// MarshalWrite writes to w what Marshal returns, without a copy of its own
// (for a caller that keeps the bytes somewhere else).
func MarshalWrite(w io.Writer, v any) error {
	return json.MarshalWrite(w, v, objectOpts)
}

// PairMarshal is Marshal with times in DR's pair-event form
// ("2022-08-25T21:09:39.061+0000").
func PairMarshal(v any) ([]byte, error) {
	return json.Marshal(v, pairOpts)
}

// EventTime is how DR writes an event's createdTime: microseconds at most,
// trailing zeros dropped ("2021-11-01T18:23:06.272054Z", "…54.93644Z").
func EventTime(t time.Time) string {
	return string(AppendEventTime(nil, t))
}

// AppendEventTime appends EventTime(t) to dst.
func AppendEventTime(dst []byte, t time.Time) []byte {
	return t.UTC().Truncate(time.Microsecond).AppendFormat(dst, time.RFC3339Nano)
}

// ParseTime reads every date form DR writes: RFC 3339 (with or without
// fractions) and the pair events' "2022-08-25T21:09:39.061+0000".
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err == nil {
		return t, nil
	}
	for _, layout := range []string{PairTimeLayout, "2006-01-02T15:04:05-0700", "2006-01-02T15:04:05.999999999-0700"} {
		if t, err2 := time.Parse(layout, s); err2 == nil {
			return t, nil
		}
	}
	return time.Time{}, err
}

// Time is a time.Time that reads every form ParseTime reads; for clients
// and tests decoding DR's objects.
type Time struct{ time.Time }

// UnmarshalJSON reads a JSON string in any form DR writes (null leaves t zero).
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	s, err := strconv.Unquote(string(b))
	if err != nil {
		return fmt.Errorf("wire: time %s is not a JSON string", b)
	}
	t.Time, err = ParseTime(s)
	return err
}
