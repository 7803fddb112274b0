package catalogue

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

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
		if found, ok := findDateWord(text, t.Format(layout)); ok {
			return found, true
		}
	}
	for _, s := range localDates(t) {
		if found, ok := findWord(text, s); ok {
			return found, true
		}
	}
	for _, s := range localeDates(t) {
		if found, ok := findDateWord(text, s); ok {
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

// findDateWord finds a date rendering in text as a word of its own: a
// digit at its edge must not touch another digit, and a letter of a script
// that separates words with spaces another letter. Where it ends in a
// Chinese, Japanese or Korean character ("2026年12月2日です") no space need
// follow.
func findDateWord(text, w string) (string, bool) {
	lt, lw := strings.ToLower(text), strings.ToLower(w)
	if len(lt) != len(text) { // lower-casing changed byte lengths: compare as is
		lt, lw = text, w
	}
	first, _ := utf8.DecodeRuneInString(lw)
	last, _ := utf8.DecodeLastRuneInString(lw)
	for from := 0; ; {
		i := strings.Index(lt[from:], lw)
		if i < 0 {
			return "", false
		}
		i += from
		end := i + len(lw)
		before, _ := utf8.DecodeLastRuneInString(lt[:i])
		after, _ := utf8.DecodeRuneInString(lt[end:])
		if !joins(before, first) && !joins(after, last) {
			return text[i:end], true
		}
		from = i + 1
	}
}

// joins reports whether neighbour continues the word that edge begins or
// ends: digits join digits; letters join letters, unless edge is Chinese,
// Japanese or Korean.
func joins(neighbour, edge rune) bool {
	switch {
	case neighbour == utf8.RuneError:
		return false
	case unicode.IsDigit(edge):
		return unicode.IsDigit(neighbour)
	case unicode.IsLetter(edge):
		return unicode.IsLetter(neighbour) && !unicode.In(edge, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
	}
	return false
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
