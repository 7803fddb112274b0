package catalogue

import (
	"math"
	"strconv"
	"strings"
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

// MinorUnits is how many decimals a currency's amounts show.
func MinorUnits(currency string) int {
	switch strings.ToUpper(currency) {
	case "JPY", "KRW", "CLP", "VND", "ISK", "HUF", "TWD":
		return 0
	}
	return 2
}

// MoneyRenderings returns the ways an amount can be written (numbers only).
func MoneyRenderings(amount float64, currency string) []string {
	units := MinorUnits(currency)
	p := math.Pow10(units)
	amount = math.Round(math.Abs(amount)*p) / p
	plain := strconv.FormatFloat(amount, 'f', units, 64)
	intPart, frac, _ := strings.Cut(plain, ".")
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
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
// stands on (trimmed), which is what a report quotes.
func FindMoney(text string, amount float64, currency string) (string, bool) {
	markers := append([]string{strings.ToUpper(currency)}, currencySymbols[strings.ToUpper(currency)]...)
	for _, num := range MoneyRenderings(amount, currency) {
		for from := 0; ; {
			i := strings.Index(text[from:], num)
			if i < 0 {
				break
			}
			i += from
			j := i + len(num)
			from = i + 1
			if !standsAlone(text, i, j) {
				continue
			}
			if _, ok := markedBy(text, i, j, markers); ok {
				return lineAround(text, i, j), true
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

// markedBy finds a currency marker right before or after text[i:j].
func markedBy(text string, i, j int, markers []string) (string, bool) {
	before := strings.TrimRight(text[:i], markerGap)
	after := strings.TrimLeft(text[j:], markerGap)
	for _, m := range markers {
		if strings.HasSuffix(before, m) || strings.HasPrefix(after, m) {
			return m, true
		}
	}
	return "", false
}
