package merchant

import (
	"math"
	"strconv"
	"strings"
)

// moneyFormat is how a shop renders amounts of one currency.
type moneyFormat struct {
	prefix, suffix string
	decimals       int    // minor units
	group, point   string // thousands separator, decimal separator
}

var moneyFormats = map[string]moneyFormat{
	"USD": {prefix: "$", decimals: 2, group: ",", point: "."},
	"EUR": {suffix: " €", decimals: 2, group: ".", point: ","},
	"GBP": {prefix: "£", decimals: 2, group: ",", point: "."},
	"JPY": {prefix: "¥", decimals: 0, group: ",", point: "."},
	"CAD": {prefix: "CA$", decimals: 2, group: ",", point: "."},
}

// formatMoney renders amount in currency: $1,234.56, 1.234,56 €, ¥1,235,
// and "1,234.56 XXX" for currencies without a format of their own.
//
// DR sends amounts as JSON numbers, so amount is the float64 nearest to a
// decimal such as 2.005. Rounding the float (2.00499999…) would give 2.00;
// instead we round the decimal the float stands for (its shortest
// representation), half away from zero, to the currency's minor units.
func formatMoney(amount float64, currency string) string {
	currency = strings.ToUpper(currency)
	f, ok := moneyFormats[currency]
	if !ok {
		f = moneyFormat{decimals: 2, group: ",", point: "."}
		if currency != "" {
			f.suffix = " " + currency
		}
	}
	if math.IsNaN(amount) || math.IsInf(amount, 0) {
		return strconv.FormatFloat(amount, 'f', -1, 64) + f.suffix
	}

	// Minor units as a decimal string, e.g. 1234.565 → "123457".
	whole, frac, _ := strings.Cut(strconv.FormatFloat(math.Abs(amount), 'f', -1, 64), ".")
	frac += strings.Repeat("0", f.decimals+1) // so frac[f.decimals] exists
	roundUp := frac[f.decimals] >= '5'
	minor := strings.TrimLeft(whole+frac[:f.decimals], "0")
	if roundUp {
		minor = incrementDecimal(minor)
	}
	if minor == "" {
		minor = "0"
	}
	minor = strings.Repeat("0", max(0, f.decimals+1-len(minor))) + minor

	// Split, group, and put the pieces together.
	intPart, fracPart := minor[:len(minor)-f.decimals], minor[len(minor)-f.decimals:]
	var b strings.Builder
	if amount < 0 && strings.Trim(minor, "0") != "" { // no "-$0.00"
		b.WriteString("-")
	}
	b.WriteString(f.prefix)
	for i, d := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString(f.group)
		}
		b.WriteRune(d)
	}
	if f.decimals > 0 {
		b.WriteString(f.point)
		b.WriteString(fracPart)
	}
	b.WriteString(f.suffix)
	return b.String()
}

// incrementDecimal adds one to a string of decimal digits ("" is zero).
func incrementDecimal(digits string) string {
	b := []byte(digits)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < '9' {
			b[i]++
			return string(b)
		}
		b[i] = '0'
	}
	return "1" + string(b)
}
