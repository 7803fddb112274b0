package merchant_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/drsim/drsim/examples/merchant"
)

// paidWith is an order.accepted whose payment.sources[0] is src (JSON).
func paidWith(eventID, orderID, email, src string) []byte {
	body := orderAccepted(eventID, orderID, email)
	return bytes.Replace(body, []byte(`"state":"accepted"`), []byte(`"payment":{"charges":[],"sources":[`+src+`]},"state":"accepted"`), 1)
}

const (
	visaSource   = `{"id":"s1","type":"creditCard","creditCard":{"brand":"Visa","expirationMonth":7,"expirationYear":2031,"lastFourDigits":"1111"}}`
	payPalSource = `{"id":"s2","type":"payPal","payPal":{"directDebit":{"token":"EC-1"}}}`
	wireSource   = `{"id":"s3","type":"wireTransfer","wireTransfer":{"iban":"IE29AIBK93115212345678"}}`
)

func TestConfirmationNamesThePaymentMethod(t *testing.T) {
	t.Parallel()
	smtp := startFakeSMTP(t)
	srv := startMerchant(t, smtp)
	for i, tc := range []struct{ src, want string }{
		{visaSource, "Paid with: Visa ending in 1111"},
		{payPalSource, "Paid with: PayPal"},
		{wireSource, "Paid with: wire transfer"},
	} {
		body := paidWith("e5bf7399-pay"+string(rune('a'+i)), "20444079033"+string(rune('0'+i)), "pay@example.test", tc.src)
		if code, text := deliver(t, srv, body, signNow(body)); code != http.StatusAccepted {
			t.Fatalf("webhook: status %d %q, want 202", code, text)
		}
		c := parseConfirmation(t, awaitMail(t, smtp, "order confirmation paid with "+tc.want))
		checkBothParts(t, c, func(part, text string) {
			if !strings.Contains(text, tc.want) {
				t.Errorf("%s part: no %q; text was:\n%s", part, tc.want, text)
			}
			if strings.Contains(text, "ending in \n") || strings.HasSuffix(strings.TrimSpace(text), "ending in") {
				t.Errorf("%s part: an \"ending in\" line without digits; text was:\n%s", part, text)
			}
		})
	}
}

func TestDefectAssumesCard(t *testing.T) {
	t.Parallel()
	smtp := startFakeSMTP(t)
	srv := startMerchant(t, smtp, func(c *merchant.Config) {
		c.Defects = []string{merchant.DefectAssumesCard}
	})
	card := paidWith("e5bf7399-card", "204440860336", "card@example.test", visaSource)
	if code, text := deliver(t, srv, card, signNow(card)); code != http.StatusAccepted {
		t.Fatalf("webhook: status %d %q, want 202", code, text)
	}
	awaitMail(t, smtp, "order confirmation of a card order despite assumes-card")
	pp := paidWith("e5bf7399-paypal", "204440870336", "paypal@example.test", payPalSource)
	if code, text := deliver(t, srv, pp, signNow(pp)); code != http.StatusAccepted {
		t.Fatalf("webhook: status %d %q, want 202", code, text)
	}
	expectNoMoreMail(t, smtp) // the defect: no confirmation without a card
}
