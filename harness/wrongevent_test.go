package harness_test

import (
	"context"
	"fmt"
	"mime"
	"net/smtp"
	"strings"
	"testing"

	"github.com/drsim/drsim/harness"
	"github.com/drsim/drsim/internal/testrig"
	"github.com/drsim/drsim/simulator/client"
)

// mailTo sends one UTF-8 plain-text email to the rig's MailHog.
func mailTo(t *testing.T, r *testrig.Rig, to, subject, body string) {
	t.Helper()
	msg := fmt.Sprintf("To: %s\r\nFrom: shop@example.test\r\nSubject: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n%s\r\n",
		to, mime.QEncoding.Encode("utf-8", subject), strings.ReplaceAll(body, "\n", "\r\n"))
	if err := smtp.SendMail(r.SMTP, nil, "shop@example.test", []string{to}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
}

// wantCounted checks "receives no id email": it fails, naming the email,
// when counted, and passes otherwise.
func wantCounted(t *testing.T, sc *harness.Scenario, id, subject string, counted bool) {
	t.Helper()
	err := sc.ExpectCount(context.Background(), "Alice", id, 0)
	switch {
	case counted && err == nil:
		t.Fatalf("%q was not counted as %s", subject, id)
	case counted:
		testrig.WantErr(t, "count", err, "got 1", "counts as a ", "its subject names it")
	case err != nil:
		t.Fatalf("%q was counted as %s: %v", subject, id, err)
	}
}

// Without pinned subjects, an order confirmation sent before Digital River
// accepted the order is recognised by its subject in any of the
// catalogue's languages, and an email that says the order awaits its
// payment (a wire transfer's) is not a confirmation, whatever its subject.
func TestAnOrderConfirmationBeforeAcceptanceInAnyLanguage(t *testing.T) {
	ctx := context.Background()
	r := testrig.New(t)
	h := r.Harness(t, "")
	// details is what a confirmation shows of order o, with labels in a
	// language: tax, discount, shipping, total.
	details := func(o *client.Order, labels ...string) string {
		var b strings.Builder
		fmt.Fprintf(&b, "%s\n", o.ID)
		for _, it := range o.Items {
			fmt.Fprintf(&b, "%d x %s $%.2f\n", it.Quantity, it.ProductDetails.Name, it.Amount)
		}
		fmt.Fprintf(&b, "%s: $%.2f\n%s: $%.2f\n%s: $%.2f\n%s: $%.2f\n", labels[0], o.TotalTax, labels[1], o.TotalDiscount, labels[2], o.TotalShipping, labels[3], o.TotalAmount)
		return b.String()
	}
	en := []string{"Tax", "Discount", "Shipping", "Total"}
	de := []string{"MwSt.", "Rabatt", "Versand", "Gesamtsumme"}
	ja := []string{"消費税", "割引", "送料", "ご請求金額合計"}
	for _, tc := range []struct {
		name, subject, before, after string
		labels                       []string
		counted                      bool
	}{
		{"English", "Order confirmation %s", "Thank you for your order.", "", en, true},
		{"German", "Ihre Bestellbestätigung zu %s", "Vielen Dank für Ihre Bestellung.", "", de, true},
		{"French", "Confirmation de commande %s", "Merci pour votre commande.", "", []string{"TVA", "Remise", "Livraison", "Total"}, true},
		{"Japanese", "【さくら雑貨】ご注文確認（注文番号 %s）", "ご注文を承りました。", "", ja, true},
		{"Polish", "Potwierdzenie zamówienia %s", "Dziękujemy.", "", en, true},
		// Not counted: it says the payment is awaited.
		{"English awaiting payment", "Order confirmation %s – awaiting your payment", "Please transfer the total to IBAN DE02 1203 0000 0000 2020 51.", "", en, false},
		{"German awaiting payment", "Ihre Bestellbestätigung zu %s", "Vielen Dank für Ihre Bestellung. Bitte überweisen Sie den Gesamtbetrag.", "Wir versenden nach Zahlungseingang.", de, false},
		{"Japanese awaiting payment", "【さくら雑貨】ご注文確認（注文番号 %s）お振込のご案内", "ご入金を確認後、発送いたします。", "", ja, false},
		// Not counted: its subject names no order confirmation.
		{"a thank-you", "Thank you for your order %s", "We have your order.", "", en, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := h.NewScenario(t.Name())
			if _, err := sc.CreateCustomer(ctx, "Alice"); err != nil {
				t.Fatal(err)
			}
			placed, err := sc.PlaceOrder(ctx, "Alice", harness.OrderSpec{Currency: "USD", Lines: []harness.Line{{Product: "Trail lantern", Quantity: 2, Price: 15, TaxRate: 0.08}}})
			if err != nil {
				t.Fatal(err)
			}
			o, err := client.New(r.Sim.URL(), r.Key).Order(ctx, placed.ID)
			if err != nil {
				t.Fatal(err)
			}
			subject := fmt.Sprintf(tc.subject, o.ID)
			mailTo(t, r, o.Email, subject, tc.before+"\n"+details(o, tc.labels...)+tc.after)
			wantCounted(t, sc, "order-confirmation", subject, tc.counted)
		})
	}
}

// An email of another notification whose event no email answers yet is
// that notification, even when its subject names a shipment ("it will be
// shipped within 2 days" in an order confirmation not yet checked); a
// shipment email sent when DR accepted the order is counted, in German or
// Japanese as in English.
func TestAShipmentOnAcceptanceInAnyLanguageButNotAConfirmation(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, subject string
		full, counted bool // full: the email shows everything of an order confirmation
	}{
		{"a confirmation that names shipping", "Order %s confirmed: it will be shipped within 2 days", true, false},
		{"a German confirmation that names shipping", "Bestellung %s: wird in 2 Tagen versandt", true, false},
		{"English", "Your order %s has shipped", false, true},
		{"German", "Ihre Bestellung %s wurde versandt", false, true},
		{"Japanese", "【さくら雑貨】商品を発送しました（注文番号 %s）", false, true},
		{"Spanish", "Tu pedido %s ha sido enviado", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := testrig.New(t)
			r.Shop.Set(func(s *testrig.Shop) {
				s.OnEvent = func(_ context.Context, body []byte) {
					o, ok := readAccepted(body)
					if !ok {
						return
					}
					var b strings.Builder
					fmt.Fprintf(&b, "Order %s\n", o.ID)
					for _, it := range o.Items {
						fmt.Fprintf(&b, "%d x %s", it.Quantity, it.ProductDetails.Name)
						if tc.full {
							fmt.Fprintf(&b, " $%.2f", it.Amount)
						}
						b.WriteString("\n")
					}
					if tc.full {
						fmt.Fprintf(&b, "Tax: $%.2f\nDiscount: $%.2f\nShipping: $%.2f\nTotal: $%.2f\n", o.TotalTax, o.TotalDiscount, o.TotalShipping, o.TotalAmount)
					}
					mailTo(t, r, o.Email, fmt.Sprintf(tc.subject, o.ID), b.String())
				}
			})
			h := r.Harness(t, "")
			sc := testrig.Ordered(t, h)
			testrig.WantErr(t, "accept", sc.AcceptOrder(ctx, ""))
			wantCounted(t, sc, "shipment", tc.subject, tc.counted)
		})
	}
}

// A subscription cancelled email sent on the activation is recognised by
// its subject in any of the catalogue's languages; an activation email
// that offers to cancel ("cancel anytime", "いつでも解約できます") is not
// one, nor one that does not show the subscription's products.
func TestASubscriptionCancelledEmailOnActivationInAnyLanguage(t *testing.T) {
	ctx := context.Background()
	r := testrig.New(t)
	h := r.Harness(t, "")
	for _, tc := range []struct {
		name, subject, body string
		counted             bool
	}{
		{"Japanese", "【さくら雑貨】定期便の解約が完了しました", "Music box の定期便は解約されました。今後のご請求はございません。", true},
		{"English membership", "Your membership has been cancelled", "Your membership for Music box was cancelled. You will not be charged again.", true},
		{"German", "Kündigungsbestätigung", "Ihr Abo für Music box ist gekündigt.", true},
		{"French", "Votre abonnement a été résilié", "Votre abonnement Music box a été résilié.", true},
		{"Spanish", "Tu suscripción ha sido cancelada", "Music box: suscripción cancelada.", true},
		{"Korean", "구독이 해지되었습니다", "Music box 구독이 해지되었습니다.", true},
		{"English offer to cancel", "Welcome to Gold: cancel anytime", "Music box is yours every month.", false},
		{"German offer to cancel", "Willkommen! Kündigung jederzeit möglich", "Music box kommt jeden Monat.", false},
		{"Japanese offer to cancel", "【さくら雑貨】定期便のお申し込みが完了しました（いつでも解約できます）", "Music box を毎月お届けします。", false},
		{"without the products", "Your membership has been cancelled", "You will not be charged again.", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := h.NewScenario(t.Name())
			if _, err := sc.CreateCustomer(ctx, "Alice"); err != nil {
				t.Fatal(err)
			}
			testrig.WantErr(t, "plan", sc.CreatePlan(ctx, harness.PlanSpec{Name: "Gold", Interval: "month", ReminderOffsetDays: 7, CollectionPeriodDays: 8}))
			o, err := sc.PlaceSubscriptionOrder(ctx, "Alice", "USD", "Gold", false, []harness.Line{{Product: "Music box", Quantity: 1, Price: 9.99}})
			if err != nil {
				t.Fatal(err)
			}
			testrig.WantErr(t, "accept", sc.AcceptOrder(ctx, ""))
			testrig.WantErr(t, "active", sc.ExpectSubscriptionState(ctx, "active"))
			mailTo(t, r, o.Email, tc.subject, tc.body)
			wantCounted(t, sc, "subscription-cancelled", tc.subject, tc.counted)
		})
	}
}
