package catalogue

import (
	"math"
	"regexp"
	"strings"
	"testing"
	"time"
)

var isoCode = regexp.MustCompile(`^[A-Za-z]{3}$`)

// FindMoney never panics on any text; what it reports found is in the text;
// and every rendering MoneyRenderings gives, written beside the currency's
// code between any words, is found.
func FuzzFindMoney(f *testing.F) {
	f.Add("Total: $1,234.56 incl. tax", 1234.56, "USD", "Thanks", "bye")
	f.Add("Gesamt 1.234,56 € inkl. MwSt.", 1234.56, "EUR", "Summe", "")
	f.Add("¥1,235", 1234.5, "JPY", "", "")
	f.Add("112.00 USD and 12.005 USD", 12.0, "usd", "-", "12")
	f.Add("\xff\xfe 12,00\u00a0kr.", 12.0, "DKK", "\u2212", "\x00")
	f.Fuzz(func(t *testing.T, text string, amount float64, currency, before, after string) {
		if got, ok := FindMoney(text, amount, currency); ok && !strings.Contains(text, got) {
			t.Fatalf("FindMoney(%q, %v, %q) = %q, which is not in the text", text, amount, currency, got)
		}
		if math.IsNaN(amount) || math.IsInf(amount, 0) || math.Abs(amount) >= 1e12 || !isoCode.MatchString(currency) {
			return
		}
		for _, r := range MoneyRenderings(amount, currency) {
			written := before + ": " + r + " " + strings.ToUpper(currency) + " " + after // ": ", not a space: "1" and " 234.50" would be one number
			if _, ok := FindMoney(written, amount, currency); !ok {
				t.Fatalf("FindMoney(%q, %v, %s) found nothing; the text shows rendering %q", written, amount, currency, r)
			}
		}
	})
}

// FindDate never panics; what it reports found is in the text; and the
// date written in any accepted layout, in German, French or Spanish, or
// in one of the CLDR locales' patterns (the fuzzer picks the locale), as a
// word among any words, is found.
func FuzzFindDate(f *testing.F) {
	f.Add("Delivery on 22 December 2026.", int64(1797897600), "Shipped:", "thanks", uint8(0))
	f.Add("Lieferung am 1. März 2027", int64(1804032000), "", "", uint8(10))
	f.Add("le 1er décembre 2026", int64(1796083200), "\u00e9", "\xff", uint8(13))
	f.Add("12/22/2026 and 22.12.2026", int64(-62135596800), "0", "9", uint8(35))
	f.Add("\u0662 ديسمبر \u0662\u0660\u0662\u0666", int64(1796169600), "\u0660", "\u066b", uint8(53))
	f.Fuzz(func(t *testing.T, text string, unix int64, before, after string, locale uint8) {
		day := time.Unix(unix, 0).UTC()
		if got, ok := FindDate(text, day); ok && !strings.Contains(strings.ToLower(text), strings.ToLower(got)) && !strings.Contains(text, got) {
			t.Fatalf("FindDate(%q, %s) = %q, which is not in the text", text, day, got)
		}
		if y := day.Year(); y < 1 || y > 9999 {
			return
		}
		var renderings []string
		for _, layout := range dateLayouts {
			renderings = append(renderings, day.Format(layout))
		}
		renderings = append(renderings, localDates(day)...)
		renderings = append(renderings, cldrDateLocales[int(locale)%len(cldrDateLocales)].render(day)...)
		for _, r := range renderings {
			written := before + " " + r + " " + after
			if _, ok := FindDate(written, day); !ok {
				t.Fatalf("FindDate(%q, %s) found nothing; the text shows %q", written, day.Format(time.DateOnly), r)
			}
		}
	})
}

// ParseTime never panics, and what it reads is read back the same from its
// RFC 3339 rendering.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2026-12-22", "2021-11-01T18:23:06.272054Z", "2022-08-25T21:09:39.061+0000", "9999-12-31T23:59:59-23:59", "0000-01-01T00:00:00+23:59", "2026-02-30", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTime(s)
		if err != nil {
			return
		}
		back, err := ParseTime(got.Format(time.RFC3339Nano))
		if err != nil || !back.Equal(got) {
			t.Fatalf("ParseTime(%q) = %s; its RFC 3339 form %q reads back as %s (%v)", s, got, got.Format(time.RFC3339Nano), back, err)
		}
	})
}
