package merchant

import (
	"math"
	"testing"
)

func TestFormatMoney(t *testing.T) {
	for _, tc := range []struct {
		amount   float64
		currency string
		want     string
	}{
		{1234.56, "USD", "$1,234.56"},
		{1234.56, "EUR", "1.234,56 €"},
		{1234.56, "GBP", "£1,234.56"},
		{1234.56, "JPY", "¥1,235"},
		{1234.56, "CAD", "CA$1,234.56"},
		{1234.56, "CHF", "1,234.56 CHF"},
		{1234.56, "usd", "$1,234.56"},

		{0, "USD", "$0.00"},
		{0, "JPY", "¥0"},
		{-1234.56, "USD", "-$1,234.56"},
		{-1234.56, "EUR", "-1.234,56 €"},
		{-0.004, "USD", "$0.00"}, // rounds to zero: no minus sign
		{-0.005, "USD", "-$0.01"},

		{2.005, "USD", "$2.01"}, // the float is 2.00499…; the decimal DR sent is 2.005
		{2.004, "USD", "$2.00"},
		{1.005, "EUR", "1,01 €"},
		{-2.005, "USD", "-$2.01"}, // half away from zero
		{0.5, "JPY", "¥1"},
		{2.5, "JPY", "¥3"},
		{999.995, "USD", "$1,000.00"},
		{9.999, "GBP", "£10.00"},
		{27.01, "USD", "$27.01"},
		{20, "USD", "$20.00"},

		{1, "USD", "$1.00"},
		{999, "USD", "$999.00"},
		{1000, "USD", "$1,000.00"},
		{1234567.891, "USD", "$1,234,567.89"},
		{1234567.891, "EUR", "1.234.567,89 €"},
		{123456789, "JPY", "¥123,456,789"},
		{1e21, "USD", "$1,000,000,000,000,000,000,000.00"},
		{1e-7, "USD", "$0.00"},

		{12.5, "", "12.50"},
		{math.Inf(1), "USD", "+Inf"},
	} {
		if got := formatMoney(tc.amount, tc.currency); got != tc.want {
			t.Errorf("formatMoney(%v, %q) = %q, want %q", tc.amount, tc.currency, got, tc.want)
		}
	}
}
