package catalogue

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/goodsign/monday"
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
	for _, layout := range dateLayouts {
		if found, ok := findWord(text, t.Format(layout)); ok {
			return found, true
		}
	}
	for _, s := range localDates(t) {
		if found, ok := findWord(text, s); ok {
			return found, true
		}
	}
	for _, s := range localeDates(t) {
		if found, ok := findWord(text, s); ok {
			return found, true
		}
	}
	return "", false
}

// localeLayouts are the long forms rendered in every locale besides its own
// long, medium and short formats (Go layouts; monday puts in the locale's
// month names, in the genitive where its grammar wants one).
var localeLayouts = []string{
	"2 January 2006", "02 January 2006", "2. January 2006", "02. January 2006",
	"January 2, 2006", "2 Jan 2006", "02 Jan 2006", "2. Jan 2006", "Jan 2, 2006",
	"2 de January de 2006", "02 de January de 2006",
	"2 Jan. 2006", "2. Jan. 2006", "02. Jan. 2006", "Jan. 2, 2006", // abbreviations with a period (fr, de, en)
	"2 de Jan. de 2006",                       // Portuguese medium
	"2006년 1월 2일", "2006. 1. 2.", "06. 1. 2.", // Korean
	"02-01-2006", // Dutch numeric
}

// localeDates are t's renderings in each locale github.com/goodsign/monday
// knows (about 45, from CLDR data: Japanese "2026年12月2日", Korean
// "2026년12월2일", Italian "2 dicembre 2026", Polish "2 grudnia 2026",
// Dutch "02-12-26" …): its long, medium and short formats and
// localeLayouts, each also with the month and day unpadded. The renderings
// of the last dates asked for are kept (localeDateCache).
func localeDates(t time.Time) []string {
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	localeDateCache.Lock()
	defer localeDateCache.Unlock()
	if out, ok := localeDateCache.m[day]; ok {
		return out
	}
	seen := map[string]bool{}
	var out []string
	for _, loc := range monday.ListLocales() {
		layouts := slices.Clone(localeLayouts)
		for _, formats := range []map[monday.Locale]string{monday.LongFormatsByLocale, monday.MediumFormatsByLocale, monday.ShortFormatsByLocale} {
			if l := formats[loc]; l != "" {
				layouts = append(layouts, l, unpadded.Replace(l))
			}
		}
		for _, l := range layouts {
			if s := strings.TrimSpace(monday.Format(day, l, loc)); s != "" && !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	if len(localeDateCache.m) >= 64 {
		clear(localeDateCache.m)
	}
	localeDateCache.m[day] = out
	return out
}

// localeDateCache keeps localeDates' renderings of the last (up to 64)
// days asked for: a run checks few dates, many times.
var localeDateCache = struct {
	sync.Mutex
	m map[time.Time][]string
}{m: map[time.Time][]string{}}

// unpadded turns a layout's zero-padded month and day into unpadded ones.
var unpadded = strings.NewReplacer("01", "1", "02", "2")

// monthNames are the months in German, French and Spanish, January first.
var monthNames = [][12]string{
	{"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"},
	{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
	{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"},
}

// localDates are t's long renderings in English with an ordinal day, as
// British and American shops write them ("2nd December 2026", "the 2nd of
// December 2026", "December 2nd, 2026", "Dec 2nd 2026"), German ("22.
// Dezember 2026"), French ("22 décembre 2026", "1er décembre 2026") and
// Spanish ("22 de diciembre de 2026"), each matched as whole words.
func localDates(t time.Time) []string {
	d, y := t.Day(), t.Year()
	var out []string
	th := ordinal(d)
	for _, m := range []string{t.Month().String(), t.Month().String()[:3], t.Month().String()[:3] + "."} {
		out = append(out,
			fmt.Sprintf("%s %s %d", th, m, y), fmt.Sprintf("%s of %s %d", th, m, y), fmt.Sprintf("%s %s, %d", th, m, y),
			fmt.Sprintf("%s %s, %d", m, th, y), fmt.Sprintf("%s %s %d", m, th, y))
	}
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

// ordinal writes an English ordinal day: 1st, 2nd, 3rd, 4th, 11th, 12th,
// 13th, 21st, 22nd, 23rd, 31st.
func ordinal(d int) string {
	suffix := "th"
	if d%100 < 11 || d%100 > 13 {
		switch d % 10 {
		case 1:
			suffix = "st"
		case 2:
			suffix = "nd"
		case 3:
			suffix = "rd"
		}
	}
	return fmt.Sprintf("%d%s", d, suffix)
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
