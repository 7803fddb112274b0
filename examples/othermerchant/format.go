package othermerchant

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Betrag is an amount in a currency, written the German way: "1.234,56 €",
// "89,64 $", "1.235 JPY".
type Betrag struct {
	Wert     float64
	Waehrung string
}

func (b Betrag) String() string { return geld(b.Wert, b.Waehrung) }

// geld writes an amount with "." between thousands, "," before the cents
// and the currency's sign after a no-break space.
func geld(wert float64, waehrung string) string {
	stellen := 2
	switch strings.ToUpper(waehrung) {
	case "JPY", "KRW":
		stellen = 0
	}
	neg := wert < 0
	p := math.Pow10(stellen)
	s := strconv.FormatFloat(math.Round(math.Abs(wert)*p)/p, 'f', stellen, 64)
	ganz, rest, _ := strings.Cut(s, ".")
	var b strings.Builder
	if neg {
		b.WriteString("-")
	}
	for i, r := range ganz {
		if i > 0 && (len(ganz)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(r)
	}
	if stellen > 0 {
		b.WriteString(",")
		b.WriteString(rest)
	}
	b.WriteString("\u00a0")
	b.WriteString(zeichen(waehrung))
	return b.String()
}

func zeichen(waehrung string) string {
	switch strings.ToUpper(waehrung) {
	case "EUR":
		return "€"
	case "USD":
		return "$"
	case "GBP":
		return "£"
	case "":
		return "€"
	}
	return strings.ToUpper(waehrung)
}

// drZeit reads a date-time as DR writes it (RFC 3339 with or without
// fractions, or with a +0000 offset).
func drZeit(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// datum writes a DR date-time as 22.12.2026 (its UTC calendar day), or ""
// when it is not one.
func datum(s string) string {
	t, ok := drZeit(s)
	if !ok {
		return ""
	}
	return t.UTC().Format("02.01.2006")
}
