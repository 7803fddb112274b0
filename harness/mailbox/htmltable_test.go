package mailbox_test

import (
	"strings"
	"testing"

	"github.com/drsim/drsim/harness/catalogue"
	"github.com/drsim/drsim/harness/mailbox"
)

// An HTML-only email whose order table puts the quantity and the price in
// cells side by side: the price is read as 123,00 €, not 2 123,00 € (a space
// groups thousands in French, so cells joined by a space would make one
// number of the two).
func TestTableCellsAreNotOneNumber(t *testing.T) {
	raw := "From: boutique@example.test\r\nTo: alice@example.test\r\nSubject: Commande\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" +
		`<table><tr><th>Article</th><th>Qté</th><th>Prix</th></tr>` +
		`<tr><td>Lanterne</td><td>2</td><td>123,00&nbsp;€</td></tr>` +
		`<tr><td colspan="2">Total</td><td>246,00 €</td></tr></table>`
	m, err := mailbox.Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if want := "Lanterne\t2\t123,00 €"; !strings.Contains(m.HTMLText, want) {
		t.Errorf("HTMLText = %q; want cells separated by tabs, %q", m.HTMLText, want)
	}
	for _, tc := range []struct {
		amount float64
		want   bool
	}{{123, true}, {246, true}, {2123, false}} {
		if _, got := catalogue.FindMoney(m.Body(), tc.amount, "EUR"); got != tc.want {
			t.Errorf("FindMoney(%q, %v EUR) = %v; want %v", m.Body(), tc.amount, got, tc.want)
		}
	}
}
