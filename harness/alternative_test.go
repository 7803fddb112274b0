package harness_test

import (
	"strings"
	"testing"

	"github.com/drsim/drsim/fixtures"
	"github.com/drsim/drsim/harness/catalogue"
	"github.com/drsim/drsim/harness/mailbox"
)

// In a multipart/alternative email the text part is the fallback of the
// HTML part: a client that can show HTML shows only the HTML. Required
// attributes must be in the HTML part (a terse text part is fine); one only
// the text part shows is named as such. A wrong labelled amount in the text
// part still fails, since text-only clients show it.
func TestAlternativeTextPartDoesNotStandInForTheHTML(t *testing.T) {
	c, err := catalogue.Parse("notifications.yaml", fixtures.Notifications())
	if err != nil {
		t.Fatal(err)
	}
	ship, _ := c.Get("shipment")
	f := map[string]any{"orderId": "1008", "trackingCompany": "UPS", "trackingNumber": "1Z999AA10123456784",
		"trackingUrl": "https://track.example.test/1Z999AA10123456784",
		"items":       []any{map[string]any{"itemId": "i1", "quantity": 1.0}},
		"orderDetails": map[string]any{"id": "1008", "email": "a@example.test",
			"items": []any{map[string]any{"id": "i1", "productDetails": map[string]any{"name": "Widget"}}}}}
	mail := func(text, html string) catalogue.Email {
		raw := "To: a@example.test\r\nSubject: Shipped 1008\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n" +
			"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text + "\r\n" +
			"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html + "\r\n--b--\r\n"
		m, err := mailbox.Parse([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		if !m.TextIsAlternative {
			t.Fatal("a multipart/alternative with text and HTML: TextIsAlternative is false")
		}
		return catalogue.Email{Subject: m.Subject, Body: m.Body(), Links: m.Links, Shown: m.Shown(), ShownLinks: m.ShownLinks()}
	}
	full := `<p>Order 1008 has shipped:</p><ul><li>Widget × 1</li></ul><p>UPS tracking number 1Z999AA10123456784</p>` +
		`<p><a href="https://track.example.test/1Z999AA10123456784">Track it</a></p>`
	if err := ship.Check(f, mail("Order 1008 has shipped.", full)).Err(); err != nil {
		t.Errorf("a terse text part and a complete HTML part: %v", err)
	}
	noNumber := strings.Replace(full, "UPS tracking number 1Z999AA10123456784", "Sent with UPS", 1)
	err = ship.Check(f, mail("Order 1008 has shipped: https://track.example.test/1Z999AA10123456784", noNumber)).Err()
	if err == nil || !strings.Contains(err.Error(), "trackingNumber 1Z999AA10123456784 in the HTML part (only the text part, its alternative, shows it") {
		t.Errorf("the tracking number only in the text part: err = %v", err)
	}
	// A text-only email is read whole.
	m, err := mailbox.Parse([]byte("To: a@example.test\r\nSubject: Shipped 1008\r\n\r\nOrder 1008: Widget × 1, UPS 1Z999AA10123456784 https://track.example.test/1Z999AA10123456784\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if m.TextIsAlternative {
		t.Error("a text-only email: TextIsAlternative is true")
	}
	if err := ship.Check(f, catalogue.Email{Subject: m.Subject, Body: m.Body(), Links: m.Links}).Err(); err != nil {
		t.Errorf("a complete text-only email: %v", err)
	}
	conf, _ := c.Get("order-confirmation")
	order := map[string]any{"id": "1009", "currency": "USD",
		"items":    []any{map[string]any{"amount": 20.0, "productDetails": map[string]any{"name": "Widget"}}},
		"totalTax": 2.01, "totalDiscount": 0.0, "totalShipping": 5.0, "totalAmount": 27.01}
	html := "<p>Order 1009</p><p>Widget $20.00<br>Discount $0.00<br>Shipping $5.00<br>Tax $2.01<br>Total $27.01</p>"
	if err := conf.Check(order, mail("Order 1009, total $25.00", html)).Err(); err == nil || !strings.Contains(err.Error(), `"Order 1009, total $25.00"`) {
		t.Errorf("a wrong total in the text part: err = %v", err)
	}
}
