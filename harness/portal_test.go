package harness_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drsim/drsim/internal/testrig"
	"github.com/drsim/drsim/simulator/client"
)

// The portal steps open the shop's pages as the customer's browser and
// check the documents they link to in DR, and the payment methods saved
// through them.
func TestPortalDocumentsAndSavedSources(t *testing.T) {
	ctx := context.Background()
	r := testrig.New(t)
	h := r.Harness(t, `actions:
  orderPage: {method: GET, path: '/portal/orders/{{.Order.ID}}'}
  savePaymentMethod: {path: /portal/save, json: '{"customer":{{json .Customer.ID}},"source":{{json .SourceID}}}'}
`)
	dr := client.New(r.Sim.URL(), r.Key)
	// mode is what the portal does: "link" the invoice, link it "forever"
	// (an expiry decades away), show "none", or "secret" URLs; attach a
	// saved source ("link") or not.
	var mode atomic.Value
	mode.Store("link")
	r.Shop.Set(func(s *testrig.Shop) {
		s.Portal = func(w http.ResponseWriter, req *http.Request) {
			if req.URL.Path == "/portal/save" {
				var b struct{ Customer, Source string }
				_ = json.NewDecoder(req.Body).Decode(&b)
				if mode.Load() == "link" {
					if _, err := dr.AttachSource(req.Context(), b.Customer, b.Source); err != nil {
						http.Error(w, err.Error(), http.StatusBadGateway)
						return
					}
				}
				fmt.Fprint(w, "{}")
				return
			}
			o, err := dr.Order(req.Context(), strings.TrimPrefix(req.URL.Path, "/portal/orders/"))
			if err != nil {
				http.Error(w, err.Error(), http.StatusNotFound)
				return
			}
			fmt.Fprintf(w, "<html><body><h1>Order %s</h1>", o.ID)
			switch {
			case mode.Load() == "link" && len(o.InvoicePDFs) > 0:
				fl, err := dr.CreateFileLink(req.Context(), client.FileLinkParams{FileID: o.InvoicePDFs[0].ID, ExpiresTime: time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
				if err != nil {
					http.Error(w, err.Error(), http.StatusBadGateway)
					return
				}
				fmt.Fprintf(w, `<a href="%s">Invoice</a>`, fl.URL)
			case mode.Load() == "forever" && len(o.InvoicePDFs) > 0:
				fl, err := dr.CreateFileLink(req.Context(), client.FileLinkParams{FileID: o.InvoicePDFs[0].ID, ExpiresTime: "2099-01-01T00:00:00Z"})
				if err != nil {
					http.Error(w, err.Error(), http.StatusBadGateway)
					return
				}
				fmt.Fprintf(w, `<a href="%s">Invoice</a>`, fl.URL)
			case mode.Load() == "secret" && len(o.InvoicePDFs) > 0:
				fmt.Fprintf(w, `<a href="%s/files/%s/content">Invoice</a>`, r.Sim.URL(), o.InvoicePDFs[0].ID)
			}
			fmt.Fprint(w, "</body></html>")
		}
	})

	t.Run("invoice linked, then expired", func(t *testing.T) {
		mode.Store("link")
		sc := testrig.Ordered(t, h)
		testrig.WantErr(t, "no page yet", sc.ExpectPageDocument(ctx, "invoice"), "no portal page opened yet")
		testrig.WantErr(t, "no link yet", sc.ExpireLastLink(ctx), "no document link checked yet")
		testrig.WantErr(t, "no link yet", sc.ExpectLastLinkRefused(ctx), "no document link checked yet")
		testrig.WantErr(t, "accept", sc.AcceptOrder(ctx, ""))
		testrig.WantErr(t, "open", sc.OpenOrderPage(ctx, "Alice"))
		testrig.WantErr(t, "invoice", sc.ExpectPageDocument(ctx, "invoice"))
		testrig.WantErr(t, "no credit memo", sc.ExpectPageDocument(ctx, "credit memo"), "has no credit memo yet")
		testrig.WantErr(t, "no secret URL", sc.ExpectNoSecretURL(ctx, "Alice"))
		testrig.WantErr(t, "link still works", sc.ExpectLastLinkRefused(ctx), "still answers 200")
		testrig.WantErr(t, "expire", sc.ExpireLastLink(ctx))
		testrig.WantErr(t, "refused once expired", sc.ExpectLastLinkRefused(ctx))
	})

	// A link that outlives anything a test can wait for is a link that
	// never expires: the step says so, not how the clock is advanced.
	t.Run("invoice linked for decades", func(t *testing.T) {
		mode.Store("forever")
		sc := testrig.Ordered(t, h)
		testrig.WantErr(t, "accept", sc.AcceptOrder(ctx, ""))
		testrig.WantErr(t, "open", sc.OpenOrderPage(ctx, "Alice"))
		testrig.WantErr(t, "invoice", sc.ExpectPageDocument(ctx, "invoice"))
		testrig.WantErr(t, "expire", sc.ExpireLastLink(ctx), "as good as a link that never expires; give document links a lifetime of days or weeks")
	})

	t.Run("no invoice on the page", func(t *testing.T) {
		mode.Store("none")
		sc := testrig.Ordered(t, h)
		testrig.WantErr(t, "accept", sc.AcceptOrder(ctx, ""))
		testrig.WantErr(t, "open", sc.OpenOrderPage(ctx, "Alice"))
		testrig.WantErr(t, "invoice", sc.ExpectPageDocument(ctx, "invoice"), "the order page: invoice")
	})

	t.Run("secret-key URL shown", func(t *testing.T) {
		mode.Store("secret")
		sc := testrig.Ordered(t, h)
		testrig.WantErr(t, "accept", sc.AcceptOrder(ctx, ""))
		testrig.WantErr(t, "open", sc.OpenOrderPage(ctx, "Alice"))
		testrig.WantErr(t, "secret URL", sc.ExpectNoSecretURL(ctx, "Alice"), "the portal page shows a secret-key file URL")
	})

	t.Run("payment method saved, or not attached", func(t *testing.T) {
		mode.Store("link")
		sc := testrig.Ordered(t, h)
		testrig.WantErr(t, "nothing saved yet", sc.ExpectSourceSaved(ctx, "Alice"), "no payment method saved yet")
		if _, err := sc.SavePaymentMethod(ctx, "Alice", "4444222233331111"); err != nil {
			t.Fatal(err)
		}
		testrig.WantErr(t, "saved", sc.ExpectSourceSaved(ctx, "Alice"))
		mode.Store("forget")
		sc = testrig.Ordered(t, h)
		if _, err := sc.SavePaymentMethod(ctx, "Alice", "4444222233331111"); err != nil {
			t.Fatal(err)
		}
		testrig.WantErr(t, "not attached", sc.ExpectSourceSaved(ctx, "Alice"), "the merchant never called POST /customers/")
		_, err := sc.SavePaymentMethod(ctx, "Nobody", "4444222233331111")
		testrig.WantErr(t, "unknown customer", err, `no customer "Nobody"`)
	})
}
