package state

import "math"

// minorUnits is how many decimals each currency's amounts carry.
func minorUnits(currency string) int {
	switch currency {
	case "JPY", "KRW", "CLP", "VND", "ISK", "HUF", "TWD":
		return 0
	}
	return 2
}

// round rounds half away from zero to the currency's minor units.
func round(v float64, currency string) float64 {
	p := math.Pow10(minorUnits(currency))
	return math.Round(v*p) / p
}
