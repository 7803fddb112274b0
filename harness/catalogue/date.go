package catalogue

import (
	"fmt"
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
	for _, s := range localDates(t) {
		if found, ok := findWord(text, s); ok {
			return found, true
		}
	}
	return "", false
}

// monthNames are the months in German, French and Spanish, January first.
var monthNames = [][12]string{
	{"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"},
	{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
	{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"},
}

// localDates are t's long renderings in German ("22. Dezember 2026"),
// French ("22 décembre 2026", "1er décembre 2026") and Spanish ("22 de
// diciembre de 2026"), each matched as whole words.
func localDates(t time.Time) []string {
	d, y := t.Day(), t.Year()
	var out []string
	for _, months := range monthNames {
		m := months[t.Month()-1]
		out = append(out,
			fmt.Sprintf("%d. %s %d", d, m, y), fmt.Sprintf("%02d. %s %d", d, m, y),
			fmt.Sprintf("%d %s %d", d, m, y), fmt.Sprintf("%02d %s %d", d, m, y),
			fmt.Sprintf("%d de %s de %d", d, m, y))
		if d == 1 {
			out = append(out, fmt.Sprintf("1er %s %d", m, y))
		}
	}
	return out
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
