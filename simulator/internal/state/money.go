package state

import (
	"math"
	"strconv"
)

// minorUnits is how many decimals each currency's amounts carry.
func minorUnits(currency string) int {
	switch currency {
	case "JPY", "KRW", "CLP", "VND", "ISK", "HUF", "TWD":
		return 0
	}
	return 2
}

// round rounds half away from zero to the currency's minor units, as decimal
// arithmetic would: 3.30 × 0.15 = 0.495 rounds to 0.50 even though the binary
// product is 0.49499999999999994. The scaled value is first cut to six
// decimals, which removes binary noise and keeps every real fraction of a
// minor unit an amount can carry.
func round(v float64, currency string) float64 {
	p := math.Pow10(minorUnits(currency))
	scaled, err := strconv.ParseFloat(strconv.FormatFloat(v*p, 'f', 6, 64), 64)
	if err != nil { // only for ±Inf and NaN, which validation keeps out
		scaled = v * p
	}
	return math.Round(scaled) / p
}
