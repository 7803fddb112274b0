package catalogue_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drsim/drsim/fixtures"
	"github.com/drsim/drsim/harness/catalogue"
)

func TestFindMoney(t *testing.T) {
	tests := []struct {
		text     string
		amount   float64
		currency string
		want     bool
	}{
		{"Total: $1,234.56", 1234.56, "USD", true},
		{"Total: $1234.56", 1234.56, "USD", true},
		{"Total: USD 12.00", 12, "USD", true},
		{"Total: 12.00 USD", 12, "USD", true},
		{"Gesamt: 1.234,56 €", 1234.56, "EUR", true},
		{"Gesamt: 1 234,56\u00a0€", 1234.56, "EUR", true},
		{"Total: ¥1,235", 1234.56, "JPY", true},
		{"Total: £0.00", 0, "GBP", true},
		{"Tax: $2.01", 2.01, "USD", true},
		{"Tax: 2.01", 2.01, "USD", false},            // no currency marker
		{"Total: $112.00", 12, "USD", false},         // part of a longer number
		{"Total: $12.005", 12, "USD", false},         // more decimals follow
		{"Total: $12.01", 12, "USD", false},          // different amount
		{"Total: 1.234,56 $", 1234.56, "EUR", false}, // wrong currency
		{"Refund: -$5.00", 5, "USD", true},           // sign before the symbol is fine
		{"Total: CA$7.50", 7.5, "CAD", true},
		// As Node's Intl.NumberFormat (CLDR) writes them, for 123456.5 and 12.5.
		{"Total: 123\u202f456,50\u00a0€", 123456.5, "EUR", true},   // fr-FR
		{"Total: CHF 123'456.50", 123456.5, "CHF", true},           // de-CH
		{"Total: CHF 123’456.50", 123456.5, "CHF", true},           // de-CH, typographic apostrophe
		{"Total: ₹1,23,456.50", 123456.5, "INR", true},             // en-IN, lakhs
		{"Total: ₹1,23,456.50", 23456.5, "INR", false},             // part of a longer number
		{"Total: ₹12.50", 12.5, "INR", true},                       // en-IN
		{"Total: ￥123,457", 123457, "JPY", true},                   // ja-JP
		{"Total: € 123.456,50", 123456.5, "EUR", true},             // nl-NL
		{"Total: 123\u00a0456,50\u00a0zł", 123456.5, "PLN", true},  // pl-PL
		{"Total: 123\u00a0456,50\u00a0kr", 123456.5, "SEK", true},  // sv-SE
		{"Total: \u200f123,456.50 \u200f₪", 123456.5, "ILS", true}, // he-IL, right-to-left marks
		{"Total: ₩123,457", 123457, "KRW", true},                   // ko-KR
		{"Total: 123\u00a0456,50\u00a0zł", 123456.5, "CZK", false}, // wrong currency
	}
	for _, tc := range tests {
		_, got := catalogue.FindMoney(tc.text, tc.amount, tc.currency)
		if got != tc.want {
			t.Errorf("FindMoney(%q, %v, %s) = %v, want %v", tc.text, tc.amount, tc.currency, got, tc.want)
		}
	}
}

// TestFindMoneyAsLocalesWriteIt: amounts as Node 20's Intl.NumberFormat
// (ICU, CLDR) writes them, each row's text copied from its output for the
// locale named (style currency; currencySign for the refunds). Digits of
// other scripts count; a number that is the end or start of a longer one
// does not; nor does a marker that is part of another currency's ("CA$",
// "R$", "$ US", the R of "EUR"); a refund's minus sign or accounting
// parentheses do not hide the amount.
func TestFindMoneyAsLocalesWriteIt(t *testing.T) {
	for _, tc := range []struct {
		text     string
		amount   float64
		currency string
		want     bool
	}{
		{"Total: 1234,50\u00a0лв.", 1234.5, "BGN", true},                  // bg-BG
		{"Total: 1234,50\u00a0щ.д.", 1234.5, "USD", true},                 // bg-BG
		{"Total: \u200f1,234.50\u00a0د.إ.\u200f", 1234.5, "AED", true},    // ar-AE
		{"Total: \u200f١٬٢٣٤٫٥٠\u00a0ر.س.\u200f", 1234.5, "SAR", true},    // ar-SA, Arabic-Indic digits and marks
		{"Total: \u200f١٬٢٣٤٫٥٠\u00a0ج.م.\u200f", 1234.5, "EGP", true},    // ar-EG
		{"Total: \u200e$۱٬۲۳۴٫۵۰", 1234.5, "USD", true},                   // fa-IR, Persian digits
		{"Total: ₹१२,३४,५६७.८९", 1234567.89, "INR", true},                 // hi-IN-u-nu-deva, Devanagari digits, lakhs
		{"Total: ￥１,２３５", 1234.5, "JPY", true},                            // ja-JP-u-nu-fullwide, full-width digits
		{"Total: $1,234.50", 1234.5, "TWD", true},                         // zh-TW, two decimals
		{"Total: 1235\u00a0Ft", 1234.5, "HUF", true},                      // hu-HU, no decimals
		{"Total: HUF\u00a01,235", 1234.5, "HUF", true},                    // en-US, no decimals either
		{"Total: 1.235\u00a0kr.", 1234.5, "ISK", true},                    // is-IS
		{"Total: $\u00a01.235", 1234.5, "COP", true},                      // es-CO
		{"Total: Rp\u00a01.235", 1234.5, "IDR", true},                     // id-ID
		{"Total: 1\u00a0234,50\u00a0₸", 1234.5, "KZT", true},              // kk-KZ
		{"Total: 1234,50\u00a0₾", 1234.5, "GEL", true},                    // ka-GE
		{"Total: $\u00a01.234,50", 1234.5, "ARS", true},                   // es-AR
		{"Total: 1\u00a0234,50\u00a0$\u00a0US", 1234.5, "USD", true},      // fr-CA
		{"Total: 1\u202f234,50\u00a0$US", 1234.5, "USD", true},            // fr-FR
		{"Total: ￥1,235", 1234.5, "JPY", true},                            // ja-JP
		{"Total: 1\u202f234\u202f567,89\u00a0€", 567.89, "EUR", false},    // fr-FR, 567,89 is the end of a longer number
		{"Total: 1\u202f234\u202f567,89\u00a0€", 234567.89, "EUR", false}, // fr-FR, so is 234 567,89
		{"Total: 1\u00a0234,50\u00a0Kč", 234.5, "CZK", false},             // cs-CZ
		{"Total: CHF\u00a01'234'567.89", 234567.89, "CHF", false},         // de-CH
		{"Total: CHF\u00a01'234'567.89", 1234, "CHF", false},              // de-CH, 1'234 is the start of a longer number
		{"Total: CA$1,234.50", 1234.5, "USD", false},                      // en-US, CA$ is not $
		{"Total: A$1,234.50", 1234.5, "USD", false},                       // en-US
		{"Total: R$\u00a01.234,50", 1234.5, "USD", false},                 // pt-BR, R$ is not $
		{"Total: 1\u00a0234,50\u00a0$\u00a0US", 1234.5, "CAD", false},     // fr-CA, $ US is not fr-CA's $
		{"Total: 1\u202f234,50\u00a0$US", 1234.5, "CAD", false},           // fr-FR, $US is not $
		{"Total: EUR\u00a01,234.50", 1234.5, "ZAR", false},                // en-US, the R of EUR is not the rand's R
		{"Total: 1.234,50\u00a0RON", 1234.5, "ZAR", false},                // ro-RO, nor that of RON
		{"Total: 1\u00a0234,50\u00a0$", 1234.5, "CAD", true},              // fr-CA
		{"Refund: -5,00\u00a0€", 5, "EUR", true},                          // de-DE, currencySign standard
		{"Refund: CHF-5.00", 5, "CHF", true},                              // de-CH, currencySign standard
		{"Refund: −5,00\u00a0€", 5, "EUR", true},                          // fi-FI, currencySign standard
		{"Refund: €\u00a0-5,00", 5, "EUR", true},                          // nl-NL, currencySign standard
		{"Refund: \u061c-\u200f٥٫٠٠\u00a0ر.س.\u200f", 5, "SAR", true},     // ar-SA, currencySign standard
		{"Refund: \u200f\u200e-5.00\u00a0\u200f₪", 5, "ILS", true},        // he-IL, currencySign standard
		{"Refund: -$\u00a05,00", 5, "ARS", true},                          // es-AR, currencySign standard
		{"Refund: (€\u00a05,00)", 5, "EUR", true},                         // nl-NL, currencySign accounting
		{"Refund: (£5.00)", 5, "GBP", true},                               // en-GB, currencySign accounting
		{"Total: 1\u00a0234\u00a0567\u00a0Ft", 1234, "HUF", false},        // hu-HU, 1 234 is the start of a longer number
		{"Total: QAR\u00a01,234.50", 1234.5, "ZAR", false},                // en-US, the R of QAR is not the rand's R
		{"Total: JP¥1\u00a0234\u00a0567", 1234, "JPY", false},             // en-ZA, 1 234 is the start of a longer number
		{"Total: ¥\u00a01'234'567", 1234, "JPY", false},                   // de-CH, so is 1'234
		{"Total: $1,234.50", 1234.5, "USD", true},                         // en-CA writes CAD so too: "$" is both, the finder cannot tell them apart
		{"Ref 1-5.00 USD", 5, "USD", false},                               // a hyphen after a digit is not a sign
	} {
		if _, got := catalogue.FindMoney(tc.text, tc.amount, tc.currency); got != tc.want {
			t.Errorf("FindMoney(%q, %v, %s) = %v, want %v", tc.text, tc.amount, tc.currency, got, tc.want)
		}
	}
}

func TestFindDate(t *testing.T) {
	d := time.Date(2026, 12, 22, 15, 4, 5, 0, time.UTC)
	for _, text := range []string{"on 2026-12-22", "on 22 December 2026", "on December 22, 2026", "on 12/22/2026", "on 22.12.2026", "on Dec 22, 2026"} {
		if _, ok := catalogue.FindDate(text, d); !ok {
			t.Errorf("FindDate(%q) = false, want true", text)
		}
	}
	if _, ok := catalogue.FindDate("on 2026-12-23", d); ok {
		t.Error("FindDate matched the wrong day")
	}
}

// Long dates in German, French and Spanish, as whole words: the 2nd is not
// found in "22. Dezember".
func TestFindDateInOtherLanguages(t *testing.T) {
	for _, tc := range []struct {
		text string
		day  int
		want bool
	}{
		{"Nächste Zahlung am 22. Dezember 2026.", 22, true},
		{"Prochain paiement le 22 décembre 2026", 22, true},
		{"Prochain paiement le 1er décembre 2026", 1, true},
		{"Próximo pago: 22 de diciembre de 2026", 22, true},
		{"Próximo pago: 02 diciembre 2026", 2, true},
		{"Nächste Zahlung am 22. Dezember 2026.", 2, false},
		{"le 12 décembre 2026", 2, false},
		{"el 22 de noviembre de 2026", 22, false},
	} {
		d := time.Date(2026, 12, tc.day, 0, 0, 0, 0, time.UTC)
		if _, ok := catalogue.FindDate(tc.text, d); ok != tc.want {
			t.Errorf("FindDate(%q, %s) = %v, want %v", tc.text, d.Format("2006-01-02"), ok, tc.want)
		}
	}
}

// English dates with an ordinal day, as a British shop writes them
// ("Wednesday 2nd December 2026") or an American one ("December 2nd,
// 2026"), as whole words: the 2nd is not the 22nd.
func TestFindDateWithOrdinalDay(t *testing.T) {
	for _, tc := range []struct {
		text string
		day  int
		want bool
	}{
		{"Renews on Wednesday 2nd December 2026.", 2, true},
		{"Dispatched by the 1st of December 2026", 1, true},
		{"Renews on December 3rd, 2026", 3, true},
		{"ended on Sunday 11th Dec 2026", 11, true},
		{"Renews on Tuesday 22nd December 2026", 22, true},
		{"Renews on Tuesday 22nd December 2026", 2, false},
		{"on 21st December 2026", 1, false},
		{"on 2nd November 2026", 2, false},
	} {
		d := time.Date(2026, 12, tc.day, 0, 0, 0, 0, time.UTC)
		if _, ok := catalogue.FindDate(tc.text, d); ok != tc.want {
			t.Errorf("FindDate(%q, %s) = %v, want %v", tc.text, d.Format("2006-01-02"), ok, tc.want)
		}
	}
}

func TestLookupWalksArrays(t *testing.T) {
	obj := map[string]any{"items": []any{
		map[string]any{"productDetails": map[string]any{"name": "Widget"}},
		map[string]any{"productDetails": map[string]any{"name": "Gadget"}},
	}}
	got := catalogue.Lookup(obj, "items[].productDetails.name")
	if len(got) != 2 || got[0] != "Widget" || got[1] != "Gadget" {
		t.Fatalf("Lookup = %v, want [Widget Gadget]", got)
	}
	if got := catalogue.Lookup(obj, "items[].missing"); len(got) != 0 {
		t.Fatalf("Lookup of a missing key = %v, want none", got)
	}
}

func TestShippedCatalogueChecksOrderConfirmation(t *testing.T) {
	n := shippedNotification(t, "order-confirmation")
	order := map[string]any{
		"id": "204440790336", "currency": "USD", "email": "a@example.test",
		"items":    []any{map[string]any{"amount": 20.0, "productDetails": map[string]any{"name": "Widget"}}},
		"totalTax": 2.01, "totalDiscount": 0.0, "totalShipping": 5.0, "totalAmount": 27.01,
	}
	full := "Order 204440790336\nWidget x2 $20.00\nDiscount $0.00\nShipping $5.00\nTax $2.01\nTotal $27.01"
	if err := n.Check(order, catalogue.Email{Body: full}).Err(); err != nil {
		t.Fatalf("complete email failed the check: %v", err)
	}
	noTax := strings.Replace(full, "Tax $2.01\n", "", 1)
	err := n.Check(order, catalogue.Email{Body: noTax}).Err()
	if err == nil || !strings.Contains(err.Error(), "totalTax 2.01 USD not found") {
		t.Fatalf("email without tax: err = %v, want it to name totalTax 2.01 USD", err)
	}
}

func TestParseRejectsMistakesWithPosition(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown field", "notifications:\n  - id: x\n    recipient: email\n    tirgger: order.accepted\n", "tirgger"},
		{"bad match", "notifications:\n  - id: x\n    recipient: email\n    attributes:\n      - {name: a, path: id, match: fuzzy}\n", `match "fuzzy"`},
		{"money without currency", "notifications:\n  - id: x\n    recipient: email\n    attributes:\n      - {name: a, path: id, match: money}\n", "no currency path"},
		{"duplicate id", "notifications:\n  - {id: x, recipient: email}\n  - {id: x, recipient: email}\n", "appears twice"},
		{"bad subject", "notifications:\n  - {id: x, recipient: email, subject: '('}\n", "subject"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := catalogue.Parse("test.yaml", []byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse error = %v, want it to mention %q", err, tc.want)
			}
		})
	}
	_, err := catalogue.Parse("test.yaml", []byte("notifications:\n  - id: x\n    recipient: email\n    tirgger: order.accepted\n"))
	if !strings.Contains(err.Error(), "4:") && !strings.Contains(err.Error(), "[4:") {
		t.Errorf("unknown-field error does not give the line: %v", err)
	}
}

func TestLookupFiltersAndJoins(t *testing.T) {
	obj := map[string]any{
		"items": []any{
			map[string]any{"itemId": "A", "quantity": 1.0, "cancelQuantity": 0.0},
			map[string]any{"itemId": "B", "quantity": 0.0, "cancelQuantity": 2.0},
		},
		"orderDetails": map[string]any{"items": []any{
			map[string]any{"id": "A", "productDetails": map[string]any{"name": "Widget"}},
			map[string]any{"id": "B", "productDetails": map[string]any{"name": "Gadget"}},
		}},
	}
	tests := []struct {
		path string
		want []string
	}{
		{"items[quantity>0].itemId", []string{"A"}},
		{"items[cancelQuantity>=2].itemId", []string{"B"}},
		{"items[itemId=B].cancelQuantity", []string{"2"}},
		{"items[itemId!=B].itemId", []string{"A"}},
		{"orderDetails.items[id=$items[quantity>0].itemId].productDetails.name", []string{"Widget"}},
		{"orderDetails.items[id!=$items[quantity>0].itemId].productDetails.name", []string{"Gadget"}},
		{"items[quantity>5].itemId", nil},
		{"items[cancelQuantity].itemId", []string{"A", "B"}},
		{"orderDetails.items[productDetails].id", []string{"A", "B"}},
	}
	for _, tc := range tests {
		var got []string
		for _, v := range catalogue.Lookup(obj, tc.path) {
			s, _ := catalogue.LookupString(map[string]any{"v": v}, "v")
			got = append(got, s)
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("Lookup(%s) = %v, want %v", tc.path, got, tc.want)
		}
	}
}

func TestLabelledAmounts(t *testing.T) {
	c := shipped(t)
	refund, _ := c.Get("refund-confirmation")
	order := map[string]any{"id": "1001", "currency": "USD", "refundedAmount": 12.5, "totalAmount": 89.64,
		"payment": map[string]any{"charges": []any{map[string]any{"refunds": []any{
			map[string]any{"state": "complete", "amount": 5.0}, map[string]any{"state": "complete", "amount": 7.5}}}}}}
	tests := []struct {
		name, body string
		wantErr    string
	}{
		{"English", "Order 1001\nWe've refunded $7.50.\nTotal refunded: $12.50\nOrder total $89.64", ""},
		{"German with earlier refunds listed", "Bestellung 1001\nWir haben Ihnen 7,50 $ erstattet\nErstattung vom 01.12.2026 5,00 $\nErstattung vom 02.12.2026 7,50 $\nInsgesamt erstattet 12,50 $", ""},
		{"French", "Commande 1001\nRemboursement : 7,50 $US\nTotal remboursé : 12,50 $", ""},
		{"Spanish", "Pedido 1001\nReembolso: 7,50 US$\nTotal reembolsado: 12,50 US$", ""},
		{"headline shows the order total", "Order 1001\nWe've refunded $89.64.\nRefunds: $7.50, total $12.50", `"We've refunded $89.64." (labelled refund) not found`},
		{"German headline shows the order total", "Bestellung 1001\nWir haben Ihnen 89,64 $ erstattet\n7,50 $\n12,50 $", "labelled refund"},
		{"the newest refund is missing", "Order 1001\nYou got $5.00 back.\nTotal refunded $12.50", "refundAmount 7.50 USD not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := refund.Check(order, catalogue.Email{Body: tc.body}).Err()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("err = %v, want none", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("err = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}

	// One figure cannot satisfy two labelled attributes: a shipping line
	// showing the discount fails although both are amounts of the order.
	conf, _ := c.Get("order-confirmation")
	o := map[string]any{"id": "1002", "currency": "EUR", "items": []any{map[string]any{"amount": 20.0, "productDetails": map[string]any{"name": "Widget"}}},
		"totalTax": 3.8, "totalDiscount": 3.0, "totalShipping": 5.0, "totalAmount": 25.8}
	good := "Bestellung 1002\nWidget 20,00 €\nRabatt 3,00 €\nVersandkosten 5,00 €\nenthaltene MwSt. 3,80 €\nZwischensumme 20,00 €\nGesamtbetrag 25,80 €"
	if err := conf.Check(o, catalogue.Email{Body: good}).Err(); err != nil {
		t.Errorf("a correct German confirmation: %v", err)
	}
	bad := strings.Replace(good, "Versandkosten 5,00 €", "Versandkosten 3,00 €\nPorto inklusive 5,00 €", 1)
	if err := conf.Check(o, catalogue.Email{Body: bad}).Err(); err == nil || !strings.Contains(err.Error(), "Versandkosten 3,00 €") {
		t.Errorf("shipping shown as the discount: err = %v, want the shipping line named", err)
	}

	// Brazilian Portuguese: Frete (shipping), Impostos (tax) and Desconto
	// (discount) are labels, so tax and shipping swapped fail.
	pt := "Pedido 1002\nWidget € 20,00\nFrete € 5,00\nImpostos € 3,80\nDesconto € 3,00\nTotal € 25,80"
	if err := conf.Check(o, catalogue.Email{Body: pt}).Err(); err != nil {
		t.Errorf("a correct Portuguese confirmation: %v", err)
	}
	swapped := strings.NewReplacer("Frete € 5,00", "Frete € 3,80", "Impostos € 3,80", "Impostos € 5,00").Replace(pt)
	if err := conf.Check(o, catalogue.Email{Body: swapped}).Err(); err == nil || !strings.Contains(err.Error(), "Impostos € 5,00") {
		t.Errorf("Portuguese tax and shipping swapped: err = %v, want the tax line named", err)
	}
	discountAsShipping := strings.Replace(pt, "Desconto € 3,00", "Desconto € 5,00\nCupom € 3,00", 1)
	if err := conf.Check(o, catalogue.Email{Body: discountAsShipping}).Err(); err == nil {
		t.Errorf("Portuguese discount line showing the shipping: no error")
	}
}

func TestWordingAndLinksWithoutEnglish(t *testing.T) {
	c := shipped(t)
	delay, _ := c.Get("delayed-shipment")
	obj := map[string]any{"order": map[string]any{"id": "1003"}, "request": map[string]any{"newDate": "2026-12-22"}}
	page := map[string]string{"requestCancellation": "/konto/bestellungen/1003/stornieren"}
	de := catalogue.Email{Body: "Bestellung 1003: neuer Versandtermin 22.12.2026. Sie können kostenlos stornieren.",
		Links: []string{"https://shop.example/konto/bestellungen/1003/stornieren"}, Pages: page}
	if err := delay.Check(obj, de).Err(); err != nil {
		t.Errorf("German delay notice linking to the cancel page: %v", err)
	}
	home := de
	home.Links = []string{"https://shop.example/"}
	if err := delay.Check(obj, home).Err(); err == nil || !strings.Contains(err.Error(), "cancelLink a link to /konto/bestellungen/1003/stornieren") {
		t.Errorf("a delay notice linking home: err = %v, want the cancel page named", err)
	}
	noAction := de
	noAction.Pages = nil
	noAction.Links = []string{"https://shop.example/konto/bestellungen/1003/stornieren"}
	if err := delay.Check(obj, noAction).Err(); err != nil {
		t.Errorf("without a requestCancellation action, a link containing a cancel word: %v", err)
	}
}

// A labelled amount is found on a line with its label, or on a line with
// no money label: when shipping and tax are both $0.00, "Tax: $0.00" does
// not show the shipping, and the failure says where the amount was seen.
func TestLabelledAmountNotOnAnotherLabelsLine(t *testing.T) {
	c := shipped(t)
	conf, _ := c.Get("order-confirmation")
	o := map[string]any{"id": "1004", "currency": "USD", "items": []any{map[string]any{"amount": 30.0, "productDetails": map[string]any{"name": "Lantern"}}},
		"totalTax": 0.0, "totalDiscount": 1.5, "totalShipping": 0.0, "totalAmount": 28.5}
	head := "Order 1004\nLantern $30.00\nDiscount: $1.50\nTax: $0.00\nTotal: $28.50"
	for _, tc := range []struct {
		name, body string
		ok         bool
	}{
		{"shipping on its own line", head + "\nShipping: $0.00", true},
		{"shipping under a label the catalogue does not know", head + "\nSpedizione $0.00", true},
		{"label on a line of its own, amount below", head + "\nShipping\n$0.00", true},
		{"shipping and tax on one line", "Order 1004\nLantern $30.00\nDiscount: $1.50\nShipping and tax: $0.00\nTotal: $28.50", true},
		{"no shipping line: only the tax shows $0.00", head, false},
	} {
		err := conf.Check(o, catalogue.Email{Body: tc.body}).Err()
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v, want ok = %v", tc.name, err, tc.ok)
			continue
		}
		if !tc.ok && !strings.Contains(err.Error(), `totalShipping 0.00 USD on a line labelled shipping (it is only on a line labelled otherwise: "Tax: $0.00")`) {
			t.Errorf("%s: the failure does not say where $0.00 was seen: %v", tc.name, err)
		}
	}
}

// TestFindDateAsLocalesWriteIt: the 2nd and the 12th of December 2026 as
// Node's Intl.DateTimeFormat (CLDR) writes them in 19 locales (dateStyle
// long, medium and short), each found for its own day and not for the
// other. TestFindDateInMoreLocales has more.
func TestFindDateAsLocalesWriteIt(t *testing.T) {
	dec2 := []string{
		"2026年12月2日",
		"2026/12/02",
		"2026년 12월 2일",
		"2026. 12. 2.",
		"26. 12. 2.",
		"2026/12/2",
		"2 dicembre 2026",
		"2 dic 2026",
		"02/12/26",
		"2 grudnia 2026",
		"2 gru 2026",
		"2.12.2026",
		"2 de dezembro de 2026",
		"2 de dez. de 2026",
		"02/12/2026",
		"2 декабря 2026 г.",
		"2 дек. 2026 г.",
		"02.12.2026",
		"2 december 2026",
		"2 dec 2026",
		"02-12-2026",
		"2 dec. 2026",
		"2026-12-02",
		"2 Aralık 2026",
		"2 Ara 2026",
		"2 décembre 2026",
		"2 déc. 2026",
		"2. Dezember 2026",
		"02.12.26",
		"2 de diciembre de 2026",
		"2/12/26",
		"2 December 2026",
		"2 Dec 2026",
		"December 2, 2026",
		"Dec 2, 2026",
		"12/2/26",
		"2. december 2026",
		"2. dec. 2026",
		"2. joulukuuta 2026",
		"2. desember 2026",
		"2. des. 2026",
		"2. 12. 2026",
	}
	dec12 := []string{
		"2026年12月12日",
		"2026/12/12",
		"2026년 12월 12일",
		"2026. 12. 12.",
		"26. 12. 12.",
		"12 dicembre 2026",
		"12 dic 2026",
		"12/12/26",
		"12 grudnia 2026",
		"12 gru 2026",
		"12.12.2026",
		"12 de dezembro de 2026",
		"12 de dez. de 2026",
		"12/12/2026",
		"12 декабря 2026 г.",
		"12 дек. 2026 г.",
		"12 december 2026",
		"12 dec 2026",
		"12-12-2026",
		"12 dec. 2026",
		"2026-12-12",
		"12 Aralık 2026",
		"12 Ara 2026",
		"12 décembre 2026",
		"12 déc. 2026",
		"12. Dezember 2026",
		"12.12.26",
		"12 de diciembre de 2026",
		"12 December 2026",
		"12 Dec 2026",
		"December 12, 2026",
		"Dec 12, 2026",
		"12. december 2026",
		"12. dec. 2026",
		"12. joulukuuta 2026",
		"12. desember 2026",
		"12. des. 2026",
		"12. 12. 2026",
	}
	d2 := time.Date(2026, 12, 2, 15, 4, 5, 0, time.UTC)
	d12 := time.Date(2026, 12, 12, 15, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		shown      []string
		day, other time.Time
	}{{dec2, d2, d12}, {dec12, d12, d2}} {
		for _, s := range tc.shown {
			text := "Nächste Zahlung: " + s + "です。"
			if _, ok := catalogue.FindDate(text, tc.day); !ok {
				t.Errorf("FindDate(%q, %s) = false, want true", text, tc.day.Format(time.DateOnly))
			}
			if found, ok := catalogue.FindDate(text, tc.other); ok {
				t.Errorf("FindDate(%q, %s) found %q, want nothing: it shows another day", text, tc.other.Format(time.DateOnly), found)
			}
		}
	}
}

// TestFindDateInMoreLocales: the 2nd and the 12th of December 2026 as
// Node 20's Intl.DateTimeFormat (ICU 78, CLDR 48) writes them, each row
// copied from its output for the locale named (dateStyle, or the day,
// month and year options the comment names): genitive months (cs, sk, hr,
// lt), year first (hu, lt, lv, kk), the Buddhist year (th), digits of
// other scripts (ar, fa, hi, ja), each found for its own day and not for
// the other.
func TestFindDateInMoreLocales(t *testing.T) {
	type shown struct{ text, locale string }
	dec2 := []shown{
		{"2. prosince 2026", "cs-CZ"},                 // long
		{"středa 2. prosince 2026", "cs-CZ"},          // full
		{"2. decembra 2026", "sk-SK"},                 // long
		{"2. prosinca 2026.", "hr-HR"},                // long
		{"2. децембар 2026.", "sr-RS"},                // long
		{"2026. december 2.", "hu-HU"},                // long
		{"2026. dec. 2.", "hu-HU"},                    // medium
		{"2026. 12. 02.", "hu-HU"},                    // short
		{"2026 m. gruodžio 2 d.", "lt-LT"},            // long
		{"2026. gada 2. dec.", "lv-LV"},               // medium
		{"2 груд. 2026 р.", "uk-UA"},                  // medium
		{"2026 ж. 2 желтоқсан", "kk-KZ"},              // long
		{"2 დეკემბერი, 2026", "ka-GE"},                // long
		{"2 de desembre del 2026", "ca-ES"},           // long
		{"2 de dic de 2026", "es-AR"},                 // day, short month, year
		{"2 tháng 12, 2026", "vi-VN"},                 // long
		{"2 thg 12, 2026", "vi-VN"},                   // medium
		{"2 ธันวาคม 2569", "th-TH"},                   // long, Buddhist year
		{"2/12/69", "th-TH"},                          // short, Buddhist year
		{"2 ธันวาคม ค.ศ. 2026", "th-TH-u-ca-gregory"}, // long
		{"2 בדצמבר 2026", "he-IL"},                    // long
		{"2 בדצמ׳ 2026", "he-IL"},                     // medium
		{"2 ديسمبر 2026", "ar-AE"},                    // long
		{"2\u200f/12\u200f/2026", "ar-AE"},            // short
		{"٢ ديسمبر ٢٠٢٦", "ar-EG"},                    // long, Arabic-Indic digits
		{"٢\u200f/١٢\u200f/٢٠٢٦", "ar-SA"},            // short, Arabic-Indic digits
		{"۲ دسامبر ۲۰۲۶", "fa-IR-u-ca-gregory"},       // long, Persian digits
		{"2 दिसंबर 2026", "hi-IN"},                    // long
		{"२ दिस॰ २०२६", "hi-IN-u-nu-deva"},            // medium, Devanagari digits
		{"２０２６年１２月２日", "ja-JP-u-nu-fullwide"},         // long, full-width digits
		{"วันพุธที่ 2 ธันวาคม พ.ศ. 2569", "th-TH"},    // full, Buddhist year
		{"2 Disember 2026", "ms-MY"},                  // long
		{"Disyembre 2, 2026", "fil-PH"},               // long
		{"12/2/2026", "en-US"},                        // day, month and year numeric
		{"2-12-2026", "nl-NL"},                        // day, month and year numeric
		{"2026. 12. 02.", "ko-KR"},                    // 2-digit day and month
		{"2 груд. 2026\u202fр.", "uk-UA"},             // medium, as formatToParts writes it (U+202F before р.)
	}
	dec12 := []shown{
		{"12. prosince 2026", "cs-CZ"},                 // long
		{"sobota 12. prosince 2026", "cs-CZ"},          // full
		{"12. decembra 2026", "sk-SK"},                 // long
		{"12. prosinca 2026.", "hr-HR"},                // long
		{"12. децембар 2026.", "sr-RS"},                // long
		{"2026. december 12.", "hu-HU"},                // long
		{"2026. dec. 12.", "hu-HU"},                    // medium
		{"2026. 12. 12.", "hu-HU"},                     // short
		{"2026 m. gruodžio 12 d.", "lt-LT"},            // long
		{"2026. gada 12. dec.", "lv-LV"},               // medium
		{"12 груд. 2026 р.", "uk-UA"},                  // medium
		{"2026 ж. 12 желтоқсан", "kk-KZ"},              // long
		{"12 დეკემბერი, 2026", "ka-GE"},                // long
		{"12 de desembre del 2026", "ca-ES"},           // long
		{"12 de dic de 2026", "es-AR"},                 // day, short month, year
		{"12 tháng 12, 2026", "vi-VN"},                 // long
		{"12 thg 12, 2026", "vi-VN"},                   // medium
		{"12 ธันวาคม 2569", "th-TH"},                   // long, Buddhist year
		{"12/12/69", "th-TH"},                          // short, Buddhist year
		{"12 ธันวาคม ค.ศ. 2026", "th-TH-u-ca-gregory"}, // long
		{"12 בדצמבר 2026", "he-IL"},                    // long
		{"12 בדצמ׳ 2026", "he-IL"},                     // medium
		{"12 ديسمبر 2026", "ar-AE"},                    // long
		{"12\u200f/12\u200f/2026", "ar-AE"},            // short
		{"١٢ ديسمبر ٢٠٢٦", "ar-EG"},                    // long, Arabic-Indic digits
		{"١٢\u200f/١٢\u200f/٢٠٢٦", "ar-SA"},            // short, Arabic-Indic digits
		{"۱۲ دسامبر ۲۰۲۶", "fa-IR-u-ca-gregory"},       // long, Persian digits
		{"12 दिसंबर 2026", "hi-IN"},                    // long
		{"१२ दिस॰ २०२६", "hi-IN-u-nu-deva"},            // medium, Devanagari digits
		{"２０２６年１２月１２日", "ja-JP-u-nu-fullwide"},         // long, full-width digits
		{"วันเสาร์ที่ 12 ธันวาคม พ.ศ. 2569", "th-TH"},  // full, Buddhist year
		{"12 Disember 2026", "ms-MY"},                  // long
		{"Disyembre 12, 2026", "fil-PH"},               // long
		{"12/12/2026", "en-US"},                        // day, month and year numeric
		{"12-12-2026", "nl-NL"},                        // day, month and year numeric
		{"2026. 12. 12.", "ko-KR"},                     // 2-digit day and month
		{"12 груд. 2026\u202fр.", "uk-UA"},             // medium, as formatToParts writes it
	}
	d2 := time.Date(2026, 12, 2, 15, 4, 5, 0, time.UTC)
	d12 := time.Date(2026, 12, 12, 15, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		shown      []shown
		day, other time.Time
	}{{dec2, d2, d12}, {dec12, d12, d2}} {
		for _, s := range tc.shown {
			text := "Next payment: " + s.text + "."
			if _, ok := catalogue.FindDate(text, tc.day); !ok {
				t.Errorf("%s: FindDate(%q, %s) = false, want true", s.locale, text, tc.day.Format(time.DateOnly))
			}
			if found, ok := catalogue.FindDate(text, tc.other); ok {
				t.Errorf("%s: FindDate(%q, %s) found %q, want nothing: it shows another day", s.locale, text, tc.other.Format(time.DateOnly), found)
			}
		}
	}
}

// A profile's words extend a wording attribute in a copy of the
// catalogue: a failed-cancellation notice in Hungarian passes with the
// merchant's word for "shipped" and fails without it; the catalogue it was
// copied from is unchanged, and an attribute that takes no words is named.
func TestWithWords(t *testing.T) {
	c := shipped(t)
	obj := map[string]any{"order": map[string]any{"id": "1003"}, "request": map[string]any{}}
	email := catalogue.Email{Body: "A(z) 1003 rendelés nem mondható le: már kiszállítva."}
	fc, _ := c.Get("failed-cancellation")
	if err := fc.Check(obj, email).Err(); err == nil || !strings.Contains(err.Error(), "reason") {
		t.Fatalf("without the merchant's word: err = %v, want the reason not found", err)
	}
	mine, err := c.WithWords(map[string]map[string][]string{"failed-cancellation": {"reason": {"kiszállítva"}}})
	if err != nil {
		t.Fatal(err)
	}
	n, _ := mine.Get("failed-cancellation")
	if err := n.Check(obj, email).Err(); err != nil {
		t.Errorf("with the merchant's word: %v", err)
	}
	if err := fc.Check(obj, email).Err(); err == nil {
		t.Error("the original catalogue took the merchant's word too")
	}
	if got := n.WordAttributes(); !slices.Equal(got, []string{"reason"}) {
		t.Errorf("WordAttributes = %q, want [reason]", got)
	}
	for msg, words := range map[string]map[string]map[string][]string{
		`failed-cancellation has no attribute "orderId" matched by words (those it has: reason)`: {"failed-cancellation": {"orderId": {"x"}}},
		`invoice has no attribute "reason" matched by words (those it has: none)`:                {"invoice": {"reason": {"x"}}},
		`no notification "nope" in the catalogue`:                                                {"nope": {}},
	} {
		if _, err := c.WithWords(words); err == nil || err.Error() != msg {
			t.Errorf("WithWords(%v): err = %v, want %q", words, err, msg)
		}
	}
}

// The reason a cancellation failed, in the words and inflections shops
// write: "despachado" is as good as "enviado", "expédiée" as "expédié".
func TestFailedCancellationReasonInflections(t *testing.T) {
	c := shipped(t)
	n, _ := c.Get("failed-cancellation")
	obj := map[string]any{"order": map[string]any{"id": "1004"}, "request": map[string]any{}}
	for _, body := range []string{
		"Lo sentimos: no podemos anular el pedido 1004 porque ya ha sido despachado.",
		"La commande 1004 est déjà expédiée.",
		"L'ordine 1004 è già stato spedito.",
		"Order 1004 has already shipped.",
	} {
		if err := n.Check(obj, catalogue.Email{Body: body}).Err(); err != nil {
			t.Errorf("%q: %v", body, err)
		}
	}
	if err := n.Check(obj, catalogue.Email{Body: "Lo sentimos: no podemos anular el pedido 1004."}).Err(); err == nil {
		t.Error("a notice without a reason passed")
	}
}

// The shipped catalogue finds a billing-failed notice's attempt count in
// every language its wording attributes take (README, "Wording and links in
// any language"), not only in English, German, French and Spanish: a
// Japanese shop writing "決済の試行：2回目" shows the attempt.
func TestShippedAttemptCountInEveryLanguage(t *testing.T) {
	n := shippedNotification(t, "billing-failed")
	var attempt catalogue.Attribute
	for _, a := range n.Attributes {
		if a.Name == "attemptCount" {
			attempt = a
		}
	}
	if attempt.Name == "" {
		t.Fatal("billing-failed has no attemptCount attribute")
	}
	single := &catalogue.Notification{ID: "attempt", Name: "Attempt", Attributes: []catalogue.Attribute{attempt}}
	obj := map[string]any{"invoice": map[string]any{"attemptCount": float64(2)}}
	for _, line := range []string{
		"Attempt 2 of 4",               // en
		"Abbuchungsversuch Nr. 2",      // de
		"Tentative n° 2",               // fr
		"Intento 2",                    // es
		"Tentativa de cobrança 2",      // pt
		"Tentativo di addebito n. 2",   // it
		"Poging 2 is mislukt",          // nl
		"Próba obciążenia nr 2",        // pl
		"Försök 2 misslyckades",        // sv
		"Forsøg nr. 2",                 // da
		"Forsøk nr. 2",                 // no
		"Veloitusyritys 2 epäonnistui", // fi
		"Pokus o platbu č. 2",          // cs
		"2. ödeme denemesi başarısız",  // tr
		"Попытка списания № 2",         // ru
		"決済の試行：2回目",                    // ja
		"第2次扣款尝试失败",                    // zh-Hans
		"第2次扣款嘗試失敗",                    // zh-Hant
		"결제 시도 2번째 실패",                 // ko
	} {
		body := "Music box × 1\n" + line
		if err := single.Check(obj, catalogue.Email{Body: body}).Err(); err != nil {
			t.Errorf("%q: the attempt count is not found: %v", line, err)
		}
	}
	// A quantity is still not an attempt, in Japanese either.
	if err := single.Check(obj, catalogue.Email{Body: "数量：2個\nお支払いができませんでした"}).Err(); err == nil {
		t.Error("a quantity of 2 counted as attempt 2")
	}
}

// Labels in Japanese, Chinese and Korean: a Japanese shop's totals table
// ("送料", "消費税等", "ご請求金額合計") labels its amounts as an English one
// does, so the tax shown on the shipping line fails, and a terse text part
// whose total leaves out the tax fails though the HTML part has the right
// total. Words of these scripts label a line wherever they stand in it.
func TestLabelledAmountsInJapaneseChineseKorean(t *testing.T) {
	c := shipped(t)
	conf, _ := c.Get("order-confirmation")
	o := map[string]any{"id": "1005", "currency": "USD", "subtotal": 25.0,
		"items":    []any{map[string]any{"amount": 20.0, "productDetails": map[string]any{"name": "Widget"}}},
		"totalTax": 2.01, "totalDiscount": 0.0, "totalShipping": 5.0, "totalAmount": 27.01}
	ja := "注文番号 1005\nWidget 数量：2個 US$20.00\n商品合計 20.00 USD\n送料 5.00 USD\n割引 0.00 USD\n消費税等 2.01 USD\n小計（税抜）25.00 USD\nご請求金額合計（税込）27.01 USD"
	for _, tc := range []struct {
		name, body, wantErr string
	}{
		{"Japanese", ja, ""},
		{"Chinese", "订单 1005\nWidget ×2 US$20.00\n运费：US$5.00\n折扣：US$0.00\n税费：US$2.01\n合计：US$27.01", ""},
		{"Korean", "주문 1005\nWidget 2개 US$20.00\n배송비: US$5.00\n할인: US$0.00\n세금: US$2.01\n합계: US$27.01", ""},
		{"tax and shipping swapped", strings.NewReplacer("送料 5.00", "送料 2.01", "消費税等 2.01", "消費税等 5.00").Replace(ja), "送料 2.01 USD"},
		{"a text part whose total leaves out the tax", "注文番号 1005\nご請求金額合計：US$25.00\n" + ja, "ご請求金額合計：US$25.00"},
		{"Chinese total without tax", "订单 1005\nWidget US$20.00\n运费 US$5.00\n折扣 US$0.00\n税费 US$2.01\n总计 US$25.00\n" + ja, "总计 US$25.00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := conf.Check(o, catalogue.Email{Body: tc.body}).Err()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("err = %v, want none", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("err = %v, want it to name %q", err, tc.wantErr)
			}
		})
	}
	refund, _ := c.Get("refund-confirmation")
	r := map[string]any{"id": "1006", "currency": "USD", "refundedAmount": 5.0, "totalAmount": 27.01,
		"payment": map[string]any{"charges": []any{map[string]any{"refunds": []any{map[string]any{"state": "complete", "amount": 5.0}}}}}}
	if err := refund.Check(r, catalogue.Email{Body: "注文番号 1006\n今回の返金額 US$5.00\n返金額の累計 US$5.00\nご注文金額合計 US$27.01"}).Err(); err != nil {
		t.Errorf("a Japanese refund email: %v", err)
	}
	if err := refund.Check(r, catalogue.Email{Body: "注文番号 1006\n今回の返金額 US$27.01\n返金額の累計 US$5.00"}).Err(); err == nil || !strings.Contains(err.Error(), "今回の返金額 US$27.01") {
		t.Errorf("a Japanese refund email showing the order total as the refund: err = %v", err)
	}
}

// A timestamp's date is looked for as a clock in the merchant's time zone
// shows it (the profile's timezone; UTC by default): a Tokyo shop writes
// 2027-01-02T16:00:00Z as 2027年1月3日. Without the zone the check fails and
// says the email shows the day after; a date without a time (a delay's new
// date) is never moved.
func TestDatesInTheMerchantsTimeZone(t *testing.T) {
	c := shipped(t)
	cancelled, _ := c.Get("subscription-cancelled")
	sub := map[string]any{"stateTransitions": map[string]any{"cancelled": "2027-01-02T16:00:00.000+0000"},
		"items": []any{map[string]any{"productDetails": map[string]any{"name": "Music box"}}}}
	body := "Music box の定期便は2027年1月3日(日)に解約されました。"
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	if err := cancelled.Check(sub, catalogue.Email{Body: body, Zone: tokyo}).Err(); err != nil {
		t.Errorf("a Tokyo shop's date in Asia/Tokyo: %v", err)
	}
	err = cancelled.Check(sub, catalogue.Email{Body: body}).Err()
	if err == nil || !strings.Contains(err.Error(), `cancelled 2027-01-02 (the email shows "2027年1月3日", a day off: are its dates written in another time zone than the profile's timezone, UTC?) not found`) {
		t.Errorf("the Tokyo date checked in UTC: err = %v", err)
	}
	if err := cancelled.Check(sub, catalogue.Email{Body: "Music box, cancelled 2027-01-02", Zone: tokyo}).Err(); err == nil || !strings.Contains(err.Error(), "2027-01-03 (2027-01-02T16:00:00.000+0000 in Asia/Tokyo)") {
		t.Errorf("the UTC date from a shop whose profile says Asia/Tokyo: err = %v", err)
	}
	delay, _ := c.Get("delayed-shipment")
	obj := map[string]any{"order": map[string]any{"id": "1010"}, "request": map[string]any{"newDate": "2026-12-22"}}
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	e := catalogue.Email{Body: "Order 1010 now ships on December 22, 2026. You may cancel.", Links: []string{"https://shop.example/cancel/1010"}, Zone: la}
	if err := delay.Check(obj, e).Err(); err != nil {
		t.Errorf("a date without a time, in a shop west of UTC: %v", err)
	}
}

// shipped is the catalogue drsim ships (fixtures/notifications.yaml).
func shipped(t *testing.T) *catalogue.Catalogue {
	t.Helper()
	c, err := catalogue.Parse("notifications.yaml", fixtures.Notifications())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// shippedNotification is notification id of the shipped catalogue.
func shippedNotification(t *testing.T, id string) *catalogue.Notification {
	t.Helper()
	n, err := shipped(t).Get(id)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestFindDateCJKPaddedAndJapaneseEra: CJK dates with zero-padded month and
// day (PHP's Y年m月d日) and Japan's era calendar (Intl's
// ja-JP-u-ca-japanese), each found for its own day and not for another.
func TestFindDateCJKPaddedAndJapaneseEra(t *testing.T) {
	for _, tc := range []struct {
		text string
		day  time.Time
		ok   bool
	}{
		{"お支払い日：2026年12月02日", time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC), true},
		{"お支払い日：2027年01月05日", time.Date(2027, 1, 5, 0, 0, 0, 0, time.UTC), true},
		{"다음 결제일: 2027년 01월 05일", time.Date(2027, 1, 5, 0, 0, 0, 0, time.UTC), true},
		{"お支払い日：2026年12月02日", time.Date(2026, 12, 12, 0, 0, 0, 0, time.UTC), false},
		{"次回お支払い日：令和8年12月2日（水）", time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC), true},
		{"次回お支払い日：令和8年12月02日", time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC), true},
		{"次回お支払い日：令和8年12月22日", time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC), false},
		{"次回お支払い日：令和9年12月2日", time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC), false},
		{"ご利用開始日 R8/12/2", time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC), true},
		{"ご利用開始日 R8/12/2", time.Date(2026, 2, 12, 0, 0, 0, 0, time.UTC), false},
		{"令和元年5月1日", time.Date(2019, 5, 1, 0, 0, 0, 0, time.UTC), true},
		{"令和1年5月1日", time.Date(2019, 5, 1, 0, 0, 0, 0, time.UTC), true},
		{"令和1年4月30日", time.Date(2019, 4, 30, 0, 0, 0, 0, time.UTC), false},
	} {
		if _, ok := catalogue.FindDate(tc.text, tc.day); ok != tc.ok {
			t.Errorf("FindDate(%q, %s) = %v, want %v", tc.text, tc.day.Format("2006-01-02"), ok, tc.ok)
		}
	}
}

// Quantities in full-width (or other scripts') digits count as their ASCII
// digits, as amounts and dates do: a Japanese shop writes "２点".
func TestLineQuantityInFullWidthDigits(t *testing.T) {
	c := shipped(t)
	n, _ := c.Get("cancellation")
	o := map[string]any{"id": "1007", "items": []any{map[string]any{"quantity": 2.0, "productDetails": map[string]any{"name": "抹茶セット"}}}}
	for _, tc := range []struct {
		body string
		ok   bool
	}{
		{"注文番号 1007\n抹茶セット\t２点", true},
		{"注文番号 1007\n抹茶セット ×２", true},
		{"注文番号 1007\n抹茶セット\t数量：٢", true},
		{"注文番号 1007\n抹茶セット\t１２点", false},
		{"注文番号 1007\n抹茶セット\t３点", false},
	} {
		if err := n.Check(o, catalogue.Email{Body: tc.body}).Err(); (err == nil) != tc.ok {
			t.Errorf("%q: err = %v, want ok = %v", tc.body, err, tc.ok)
		}
	}
}

// Japanese totals tables as shop software writes them: labels spaced out
// with ideographic spaces ("送　料", "合　計") are labels, and the
// merchandise subtotal "商品代金合計" is a subtotal, not the total.
func TestJapaneseLabelsSpacedOutAndMerchandiseSubtotal(t *testing.T) {
	c := shipped(t)
	conf, _ := c.Get("order-confirmation")
	o := map[string]any{"id": "1005", "currency": "JPY", "subtotal": 2970.0,
		"items":    []any{map[string]any{"amount": 2470.0, "productDetails": map[string]any{"name": "抹茶セット"}}},
		"totalTax": 312.0, "totalDiscount": 0.0, "totalShipping": 500.0, "totalAmount": 3282.0}
	for _, tc := range []struct {
		name, body, wantErr string
	}{
		{"spaced labels", "注文番号 1005\n抹茶セット 2個 ￥2,470\n小　計 ￥2,970\n送　料 ￥500\n値引き ￥0\n消費税 ￥312\n合　計 ￥3,282", ""},
		{"spaced shipping label showing the tax", "注文番号 1005\n抹茶セット 2個 ￥2,470\n小　計 ￥2,970\n送　料 ￥312\n値引き ￥0\n消費税 ￥312\n手数料 ￥500\n合　計 ￥3,282", `料 ￥312" (labelled shipping)`},
		{"merchandise subtotal", "注文番号 1005\n抹茶セット 2個 ￥2,470\n商品代金合計 ￥2,470\n送料 ￥500\n割引 ￥0\n消費税 ￥312\nお支払い合計 ￥3,282", ""},
		{"merchandise subtotal as the total", "注文番号 1005\n抹茶セット 2個 ￥2,470\n送料 ￥500\n割引 ￥0\n消費税 ￥312\nお支払い合計 ￥2,470\n商品代金合計 ￥3,282", "お支払い合計 ￥2,470"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := conf.Check(o, catalogue.Email{Body: tc.body}).Err()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("err = %v, want none", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("err = %v, want it to name %q", err, tc.wantErr)
			}
		})
	}
}
