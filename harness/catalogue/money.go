package catalogue

import (
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	xcurrency "golang.org/x/text/currency"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Money renderings the matcher accepts, for an amount in a currency:
//
//	number: grouped or not, with "." or "," as the decimal mark and ",", ".",
//	        " ", a no-break or narrow no-break space, or an apostrophe (' or ’)
//	        as the group mark (1,234.56  1.234,56  1 234,56  1'234.56
//	        1234.56), or grouped in lakhs with "," (1,23,456.50), with the
//	        currency's minor units (JPY: none): what printf-style formatting
//	        and the CLDR locales (Intl.NumberFormat, ICU, Babel) write;
//	marker: the currency's symbol or ISO code right before or after the
//	        number, spaces and bidirectional marks allowed between ($1,234.56
//	        1.234,56 €  USD 12.00  12.00 USD  ¥1,235  ‏12.50 ‏₪).
//
// The number must stand alone: "12.00" does not match inside "112.00" or "12.005".

// currencySymbols are the markers accepted besides the ISO code.
var currencySymbols = map[string][]string{
	"USD": {"US$", "$"},
	"EUR": {"€"},
	"GBP": {"£"},
	"JPY": {"¥", "￥", "円"},
	"CAD": {"CA$", "C$", "$"},
	"AUD": {"A$", "AU$", "$"},
	"CHF": {"CHF", "Fr."},
	"CNY": {"CN¥", "¥", "元"},
	"KRW": {"₩"},
	"INR": {"₹"},
	"SEK": {"kr"},
	"NOK": {"kr"},
	"DKK": {"kr."},
	"BRL": {"R$"},
	"PLN": {"zł"},
	"CZK": {"Kč"},
	"HUF": {"Ft"},
	"RON": {"lei"},
	"RUB": {"₽"},
	"UAH": {"₴"},
	"TRY": {"₺"},
	"ILS": {"₪"},
	"MXN": {"MX$", "$"},
	"NZD": {"NZ$", "$"},
	"SGD": {"S$", "$"},
	"HKD": {"HK$", "$"},
	"TWD": {"NT$", "$"},
	"ZAR": {"R"},
	"THB": {"฿"},
	"PHP": {"₱"},
	"IDR": {"Rp"},
	"MYR": {"RM"},
	"VND": {"₫"},
}

// symbolLocales are the locales whose currency symbols (CLDR, from
// golang.org/x/text/currency) count as markers: the languages and regions
// merchants write to customers in. A currency's markers are its ISO code,
// its symbol in each of these, its narrow symbol in the root locale, and
// currencySymbols.
var symbolLocales = []string{
	"en", "en-US", "en-GB", "en-CA", "en-AU", "en-NZ", "en-IE", "en-IN", "en-SG", "en-ZA", "en-PH", "en-HK",
	"de", "de-AT", "de-CH", "fr", "fr-BE", "fr-CA", "fr-CH", "it", "it-CH", "es", "es-MX", "es-AR", "es-CO",
	"es-CL", "es-US", "es-419", "pt", "pt-PT", "nl", "nl-BE", "sv", "da", "nb", "fi", "is", "pl", "cs", "sk",
	"hu", "ro", "bg", "hr", "sl", "sr", "sr-Latn", "el", "tr", "ru", "uk", "lt", "lv", "et", "he", "ar",
	"ar-AE", "ar-SA", "ar-EG", "fa", "hi", "th", "vi", "id", "ms", "fil", "zh", "zh-Hant", "zh-Hant-HK",
	"ja", "ko", "ca", "kk", "ka",
}

// currencyMarkers are the markers of currency, longest first (cached).
func currencyMarkers(currency string) []string {
	code := strings.ToUpper(currency)
	markerCache.Lock()
	defer markerCache.Unlock()
	if m, ok := markerCache.m[code]; ok {
		return m
	}
	seen := map[string]bool{code: true}
	out := []string{code}
	add := func(m string) {
		m = strings.Trim(m, bidiMarks+" \u00a0")
		if m != "" && !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	for _, m := range currencySymbols[code] {
		add(m)
	}
	if u, err := xcurrency.ParseISO(code); err == nil {
		add(message.NewPrinter(language.Und).Sprint(xcurrency.NarrowSymbol(u)))
		for _, l := range symbolLocales {
			add(message.NewPrinter(language.MustParse(l)).Sprint(xcurrency.Symbol(u)))
		}
	}
	slices.SortStableFunc(out, func(a, b string) int { return len(b) - len(a) })
	if len(markerCache.m) >= 64 {
		clear(markerCache.m)
	}
	markerCache.m[code] = out
	return out
}

var markerCache = struct {
	sync.Mutex
	m map[string][]string
}{m: map[string][]string{}}

// MinorUnits is how many decimals a currency's amounts show.
func MinorUnits(currency string) int {
	switch strings.ToUpper(currency) {
	case "JPY", "KRW", "CLP", "VND", "ISK", "HUF", "TWD":
		return 0
	}
	return 2
}

// minorUnitsWritten are the numbers of decimals an amount in currency is
// written with: MinorUnits, and for the currencies whose ISO 4217 minor
// units and CLDR's differ by locale both 0 and 2 (Intl.NumberFormat writes
// "1235 Ft" in hu-HU and "HUF 1,234.50" in en-US, "$1,234.50" for TWD in
// zh-TW, "$ 1.235" for COP in es-CO, "Rp 1.235" for IDR in id-ID).
func minorUnitsWritten(currency string) []int {
	switch strings.ToUpper(currency) {
	case "HUF", "TWD", "COP", "IDR", "IRR":
		return []int{0, 2}
	}
	return []int{MinorUnits(currency)}
}

// MoneyRenderings returns the ways an amount can be written (numbers only).
func MoneyRenderings(amount float64, currency string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, units := range minorUnitsWritten(currency) {
		p := math.Pow10(units)
		rounded := math.Round(math.Abs(amount)*p) / p
		plain := strconv.FormatFloat(rounded, 'f', units, 64)
		intPart, frac, _ := strings.Cut(plain, ".")
		for _, dec := range []string{".", ","} {
			for _, group := range []string{"", ",", ".", " ", "\u00a0", "\u202f", "'", "\u2019"} {
				if group == dec {
					continue
				}
				s := groupDigits(intPart, group)
				if units > 0 {
					s += dec + frac
				}
				add(s)
			}
		}
		if lakhs := groupLakhs(intPart); lakhs != intPart { // en-IN: 1,23,456.50
			if units > 0 {
				lakhs += "." + frac
			}
			add(lakhs)
		}
	}
	return out
}

// groupLakhs groups digits as India does: the last three, then twos
// (12345678 → 1,23,45,678).
func groupLakhs(digits string) string {
	if len(digits) <= 3 {
		return digits
	}
	head, tail := digits[:len(digits)-3], digits[len(digits)-3:]
	var b strings.Builder
	if len(head)%2 == 1 {
		b.WriteString(head[:1])
		head = head[1:]
	}
	for ; len(head) > 0; head = head[2:] {
		if b.Len() > 0 {
			b.WriteString(",")
		}
		b.WriteString(head[:2])
	}
	return b.String() + "," + tail
}

func groupDigits(digits, sep string) string {
	if sep == "" || len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	lead := len(digits) % 3
	if lead > 0 {
		b.WriteString(digits[:lead])
	}
	for i := lead; i < len(digits); i += 3 {
		if b.Len() > 0 {
			b.WriteString(sep)
		}
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}

// FindMoney reports whether text shows amount in currency, and the line it
// stands on (trimmed), which is what a report quotes. Digits of other
// scripts count as their ASCII digits (asciiDigits); a minus sign before
// the number is allowed (a refund's "-5,00 €", "CHF-5.00", "\u2212" too).
func FindMoney(text string, amount float64, currency string) (string, bool) {
	markers := currencyMarkers(currency)
	norm := toASCIIDigits(text)
	s := norm.s
	for _, num := range MoneyRenderings(amount, currency) {
		for from := 0; ; {
			i := strings.Index(s[from:], num)
			if i < 0 {
				break
			}
			i += from
			j := i + len(num)
			from = i + 1
			start, ok := moneyStandsAlone(s, i, j)
			if !ok {
				continue
			}
			if _, ok := markedBy(s, start, j, markers); ok {
				return lineAround(text, norm.orig(i), norm.orig(j)), true
			}
		}
	}
	return "", false
}

// lineAround is the trimmed line of text that holds text[i:j].
func lineAround(text string, i, j int) string {
	start := strings.LastIndexByte(text[:i], '\n') + 1
	end := len(text)
	if k := strings.IndexByte(text[j:], '\n'); k >= 0 {
		end = j + k
	}
	return strings.TrimSpace(text[start:end])
}

// standsAlone reports whether text[i:j] is a whole number, not part of a longer one.
func standsAlone(text string, i, j int) bool {
	isDigit := func(b byte) bool { return b >= '0' && b <= '9' }
	if i > 0 {
		b := text[i-1]
		if isDigit(b) || ((b == '.' || b == ',') && i > 1 && isDigit(text[i-2])) {
			return false
		}
		if b == '-' || strings.HasSuffix(text[:i], "\u2212") {
			return false
		}
	}
	if j < len(text) {
		b := text[j]
		if isDigit(b) || ((b == '.' || b == ',') && j+1 < len(text) && isDigit(text[j+1])) {
			return false
		}
	}
	return true
}

// markerGap is what may stand between a number and its currency marker:
// spaces, and the bidirectional marks right-to-left locales write (LRM,
// RLM, ALM).
const markerGap = " \u00a0\u202f\t\u200e\u200f\u061c"

// bidiMarks are the bidirectional marks right-to-left locales write around
// a number and its sign.
const bidiMarks = "\u200e\u200f\u061c"

// groupMarks are the group marks that are not also decimal marks.
const groupMarks = " \u00a0\u202f\u2009'\u2019"

// moneyStandsAlone reports whether s[i:j] is a whole amount, not part of a
// longer number, and where it starts with its sign: not after a digit, nor
// after a decimal or group mark that follows one when it could be a group
// of three ("567,89 €" in "1 234 567,89 €" is not 567.89), nor before more
// digits or a group of three. A minus sign ("-", "\u2212") right before it
// (bidirectional marks allowed) belongs to it unless a digit precedes the
// sign ("1-5.00").
func moneyStandsAlone(s string, i, j int) (int, bool) {
	if !standsAloneRight(s, j) {
		return 0, false
	}
	before := strings.TrimRight(s[:i], bidiMarks)
	for _, sign := range []string{"-", "\u2212"} {
		if rest, ok := strings.CutSuffix(before, sign); ok {
			r, _ := utf8.DecodeLastRuneInString(strings.TrimRight(rest, bidiMarks))
			if isASCIIDigit(r) {
				return 0, false
			}
			return len(rest), true
		}
	}
	if !standsAlone(s, i, j) {
		return 0, false
	}
	if lead := leadingDigits(s[i:j]); lead == 3 {
		mark, n := utf8.DecodeLastRuneInString(s[:i])
		if r, _ := utf8.DecodeLastRuneInString(s[:i-n]); n > 0 && strings.ContainsRune(groupMarks, mark) && isASCIIDigit(r) {
			return 0, false
		}
	}
	return i, true
}

// standsAloneRight reports whether no digit, nor a decimal mark and a
// digit, nor a group mark and a group of three digits, follows s[:j].
func standsAloneRight(s string, j int) bool {
	if j < len(s) && (isASCIIDigit(rune(s[j])) || ((s[j] == '.' || s[j] == ',') && j+1 < len(s) && isASCIIDigit(rune(s[j+1])))) {
		return false
	}
	mark, n := utf8.DecodeRuneInString(s[j:])
	if n == 0 || !strings.ContainsRune(groupMarks, mark) {
		return true
	}
	return leadingDigits(s[j+n:]) != 3
}

func leadingDigits(s string) int {
	n := 0
	for n < len(s) && isASCIIDigit(rune(s[n])) {
		n++
	}
	return n
}

func isASCIIDigit(r rune) bool { return r >= '0' && r <= '9' }

// markedBy finds a currency marker right before or after text[i:j]. A
// marker must not run on into letters ("$" is not in "CA$12" nor in
// "12 $US", "R" not in "EUR 12"), except next to words of scripts written
// without spaces (unspaced: "1,235円です"); nor be part of
// a longer marker of another currency ("$" is not in fr-CA's "12,00 $ US").
// No-break spaces in markers and text count as spaces.
func markedBy(text string, i, j int, markers []string) (string, bool) {
	before := spaced.Replace(strings.TrimRight(text[:i], markerGap))
	after := spaced.Replace(strings.TrimLeft(text[j:], markerGap))
	for _, m := range markers {
		m := spaced.Replace(m)
		if rest, ok := strings.CutSuffix(before, m); ok {
			r, _ := utf8.DecodeLastRuneInString(rest)
			if !runsOn(r, m) && !longerForeign(markers, m, func(fm string) bool {
				return strings.HasSuffix(fm, m) && strings.HasSuffix(before, fm)
			}) {
				return m, true
			}
		}
		if rest, ok := strings.CutPrefix(after, m); ok {
			r, _ := utf8.DecodeRuneInString(rest)
			if !runsOn(r, m) && !longerForeign(markers, m, func(fm string) bool {
				return strings.HasPrefix(fm, m) && strings.HasPrefix(after, fm)
			}) {
				return m, true
			}
		}
	}
	return "", false
}

// spaced writes no-break spaces as spaces.
var spaced = strings.NewReplacer("\u00a0", " ", "\u202f", " ")

// longerForeign reports whether a marker of another currency, longer
// than m by a letter or symbol, stands where m does (at reports whether it
// does): "$ US" and "CA$" stand where "$" does; "kr." (DKK) does not hide
// "kr" (SEK) followed by a full stop.
func longerForeign(markers []string, m string, at func(string) bool) bool {
	for _, fm := range foreignMarkers() {
		extra := strings.Replace(fm, m, "", 1)
		if len(fm) > len(m) && strings.ContainsFunc(extra, isLetterOrSymbol) && at(fm) && !slices.ContainsFunc(markers, func(own string) bool { return spaced.Replace(own) == fm }) {
			return true
		}
	}
	return false
}

// foreignMarkers are the markers of every currency in currencySymbols or
// with a symbol of its own in symbolLocales' regions, no-break spaces
// written as spaces.
var foreignMarkers = sync.OnceValue(func() []string {
	codes := slices.Collect(maps.Keys(currencySymbols))
	for _, l := range symbolLocales {
		if r, conf := language.MustParse(l).Region(); conf == language.Exact {
			if u, ok := xcurrency.FromRegion(r); ok {
				codes = append(codes, u.String())
			}
		}
	}
	seen := map[string]bool{}
	var out []string
	for _, c := range codes {
		for _, m := range currencyMarkers(c) {
			if m = spaced.Replace(m); !seen[m] {
				seen[m] = true
				out = append(out, m)
			}
		}
	}
	return out
})

func isLetterOrSymbol(r rune) bool { return unicode.IsLetter(r) || unicode.IsSymbol(r) }

// runsOn reports whether letter r next to marker m makes them one word.
func runsOn(r rune, m string) bool {
	if r == utf8.RuneError || !unicode.IsLetter(r) {
		return false
	}
	cjk := func(r rune) bool {
		return unicode.In(r, unspaced...)
	}
	return !cjk(r) && !strings.ContainsFunc(m, cjk)
}
