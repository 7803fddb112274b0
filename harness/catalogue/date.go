package catalogue

import (
	"strings"
	"time"
)

// dateLayouts are the date renderings the matcher accepts (Go layouts).
var dateLayouts = []string{
	"2006-01-02",
	"2 January 2006",
	"02 January 2006",
	"January 2, 2006",
	"Jan 2, 2006",
	"2 Jan 2006",
	"01/02/2006",
	"02/01/2006",
	"02.01.2006",
	"2.1.2006",
	"Monday, January 2, 2006",
}

// FindDate reports whether text shows the calendar date of t (in UTC) in
// any of dateLayouts, and the rendering found.
func FindDate(text string, t time.Time) (string, bool) {
	t = t.UTC()
	lower := strings.ToLower(text)
	for _, layout := range dateLayouts {
		s := t.Format(layout)
		if strings.Contains(lower, strings.ToLower(s)) {
			return s, true
		}
	}
	return "", false
}

// ParseTime reads DR's timestamp renderings (RFC 3339 with any fraction, or
// the "2022-08-25T21:09:39.061+0000" form of the subscription pair events)
// and plain dates (2026-12-22) that scenarios give.
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999-0700", "2006-01-02"} {
		if t2, err2 := time.Parse(layout, s); err2 == nil {
			return t2, nil
		}
	}
	return time.Time{}, err
}
