package harness_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/smtp"
	"testing"
	"time"

	"github.com/drsim/drsim/harness"
	"github.com/drsim/drsim/internal/testrig"
	"github.com/drsim/drsim/simulator/client"
)

// A credit memo email that links the order's invoice instead is told which
// file its link leads to, not only that the credit memo's link is missing.
func TestDocumentEmailLinkingAnotherFileSaysWhich(t *testing.T) {
	ctx := context.Background()
	r := testrig.New(t)
	dr := client.New(r.Sim.URL(), "")
	r.Shop.Set(func(s *testrig.Shop) {
		s.OnEvent = func(ctx context.Context, body []byte) {
			var ev struct {
				Type string
				Data struct{ Object struct{ OrderID string } }
			}
			if json.Unmarshal(body, &ev) != nil || ev.Type != "order.credit_memo.created" {
				return
			}
			d := dr.WithKey(r.Key)
			o, err := d.Order(ctx, ev.Data.Object.OrderID)
			if err != nil || len(o.InvoicePDFs) == 0 {
				return
			}
			fl, err := d.CreateFileLink(ctx, client.FileLinkParams{FileID: o.InvoicePDFs[0].ID, ExpiresTime: time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)})
			if err != nil {
				return
			}
			msg := fmt.Sprintf("To: %s\r\nFrom: shop@example.test\r\nSubject: Your credit note for order %s\r\n\r\nDownload it: %s\r\n", o.Email, o.ID, fl.URL)
			_ = smtp.SendMail(r.SMTP, nil, "shop@example.test", []string{o.Email}, []byte(msg))
		}
	})
	h := r.Harness(t, "")
	sc := h.NewScenario(t.Name())
	if _, err := sc.CreateCustomer(ctx, "Alice"); err != nil {
		t.Fatal(err)
	}
	o, err := sc.PlaceOrder(ctx, "Alice", harness.OrderSpec{Currency: "USD", Lines: []harness.Line{{Product: "Trail lantern", Quantity: 2, Price: 15}}})
	if err != nil {
		t.Fatal(err)
	}
	testrig.WantErr(t, "accept", sc.AcceptOrder(ctx, ""))
	if _, err := dr.WithKey(r.Key).CreateFulfillment(ctx, client.FulfillmentParams{OrderID: o.ID, Items: []client.FulfillmentItemParams{{ItemID: o.Items[0].ID, Quantity: 2}}}); err != nil {
		t.Fatal(err)
	}
	testrig.WantErr(t, "refund", sc.Refund(ctx, 5))
	testrig.WantErr(t, "credit memo", sc.ExpectNotification(ctx, "Alice", "credit-memo"),
		"documentLink a file link of file", "its file link "+r.Sim.URL()+"/links/", "(customer_invoice) (the email must link a file link of file")
}

// An invoice email that links Digital River's secret-key invoiceURL is
// told that customers cannot open it.
func TestDocumentEmailLinkingTheSecretURLSaysSo(t *testing.T) {
	ctx := context.Background()
	r := testrig.New(t)
	r.Shop.Set(func(s *testrig.Shop) {
		s.OnEvent = func(ctx context.Context, body []byte) {
			var ev struct {
				Type string
				Data struct {
					Object struct{ OrderID, InvoiceURL string }
				}
			}
			if json.Unmarshal(body, &ev) != nil || ev.Type != "order.invoice.created" {
				return
			}
			o, err := client.New(r.Sim.URL(), r.Key).Order(ctx, ev.Data.Object.OrderID)
			if err != nil {
				return
			}
			msg := fmt.Sprintf("To: %s\r\nFrom: shop@example.test\r\nSubject: Your invoice for order %s\r\nContent-Type: text/html\r\n\r\n<a href=\"%s\">Download</a>\r\n", o.Email, o.ID, ev.Data.Object.InvoiceURL)
			_ = smtp.SendMail(r.SMTP, nil, "shop@example.test", []string{o.Email}, []byte(msg))
		}
	})
	sc := testrig.Ordered(t, r.Harness(t, ""))
	testrig.WantErr(t, "accept", sc.AcceptOrder(ctx, ""))
	testrig.WantErr(t, "invoice", sc.ExpectNotification(ctx, "Alice", "invoice"), "is Digital River's secret-key file URL (the event's invoiceURL), which a customer cannot open")
}
