package othermerchant

import "testing"

func TestGeld(t *testing.T) {
	for _, tc := range []struct {
		wert     float64
		waehrung string
		want     string
	}{
		{1234.56, "EUR", "1.234,56\u00a0€"},
		{89.64, "USD", "89,64\u00a0$"},
		{0, "USD", "0,00\u00a0$"},
		{1249, "EUR", "1.249,00\u00a0€"},
		{1234567.891, "EUR", "1.234.567,89\u00a0€"},
		{1235, "JPY", "1.235\u00a0JPY"},
		{-5, "GBP", "-5,00\u00a0£"},
		{12.5, "CHF", "12,50\u00a0CHF"},
	} {
		if got := geld(tc.wert, tc.waehrung); got != tc.want {
			t.Errorf("geld(%v, %s) = %q, want %q", tc.wert, tc.waehrung, got, tc.want)
		}
	}
}

func TestDatum(t *testing.T) {
	for in, want := range map[string]string{
		"2026-12-22T23:59:59Z":         "22.12.2026",
		"2026-12-22T10:00:00.123456Z":  "22.12.2026",
		"2022-08-25T21:09:39.061+0000": "25.08.2022",
		"2026-01-05":                   "05.01.2026",
		"2026-12-23T01:00:00+02:00":    "22.12.2026",
		"kein Datum":                   "",
		"":                             "",
	} {
		if got := datum(in); got != want {
			t.Errorf("datum(%q) = %q, want %q", in, got, want)
		}
	}
}
