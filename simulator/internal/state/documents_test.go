package state

// Internal tests: they reach into the account to give an order a selling
// entity that makes no PDFs, and a source a type that cannot be reused.

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ledongthuc/pdf"

	"github.com/drsim/drsim/simulator/client"
	"github.com/drsim/drsim/simulator/internal/apierror"
)

var docWall = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

// docAccount is a fresh account whose clock reads docWall until moved.
func docAccount(t *testing.T) *Account {
	t.Helper()
	s := NewStore(nil, func() time.Time { return docWall })
	a, _, ok := s.Lookup(s.CreateAccount().SecretKey)
	if !ok {
		t.Fatal("Lookup of a fresh account's key failed")
	}
	return a
}

// docOrder places an order of 2 × price of a SKU named "Desk lamp" plus 5.00
// shipping, in locale, and returns it pending.
func docOrder(t *testing.T, a *Account, locale string, price float64) *Order {
	t.Helper()
	name, email := "Desk lamp", "ana@example.test"
	sku, _, err := a.CreateSKU(SKUParams{Name: &name}, false)
	if err != nil {
		t.Fatal(err)
	}
	c, err := a.CreateCustomer(CustomerParams{Email: &email})
	if err != nil {
		t.Fatal(err)
	}
	p := PlaceOrderParams{CustomerID: c.ID, Locale: locale, Items: []PlaceItem{{SKUID: sku.ID, Quantity: 2, Price: price, TaxRate: 0.1}}}
	if price > 0 {
		p.Shipping = &PlaceShipping{Amount: 5, TaxAmount: 0.5}
	}
	o, err := a.PlaceOrder(p)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func docTypes(t *testing.T, a *Account) []string {
	t.Helper()
	p, err := a.Events(EventFilter{ListParams: ListParams{Limit: 100}})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(p.Data) - 1; i >= 0; i-- {
		out = append(out, p.Data[i].Type)
	}
	return out
}

func docText(t *testing.T, a *Account, fileID string) (string, []byte) {
	t.Helper()
	d, err := a.FileContent(fileID)
	if err != nil {
		t.Fatal(err)
	}
	r, err := pdf.NewReader(bytes.NewReader(d.Content), int64(len(d.Content)))
	if err != nil {
		t.Fatalf("parse PDF: %v", err)
	}
	plain, err := r.GetPlainText()
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(plain)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), d.Content
}

func TestInvoiceOnAccept(t *testing.T) {
	a := docAccount(t)
	o := docOrder(t, a, "fr_FR", 1000)
	if _, _, err := a.AdvanceClock(90 * time.Second); err != nil {
		t.Fatal(err)
	}
	got, err := a.AcceptOrder(o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.InvoicePDFs) != 1 || got.InvoicePDFs[0].URL != "http://localhost/files/"+got.InvoicePDFs[0].ID+"/content" {
		t.Fatalf("invoicePDFs %+v", got.InvoicePDFs)
	}
	types := docTypes(t, a)
	if n := len(types); types[n-2] != "order.accepted" || types[n-1] != "order.invoice.created" {
		t.Fatalf("events %v, want order.accepted then order.invoice.created", types)
	}
	// order.accepted carries the order as it was before the invoice existed.
	p, _ := a.Events(EventFilter{Type: "order.accepted"})
	if strings.Contains(string(p.Data[0].Data.Object), "invoicePDFs") {
		t.Fatal("order.accepted's order already has invoicePDFs")
	}
	text, b := docText(t, a, got.InvoicePDFs[0].ID)
	// 2 × 1000 = 2000 + 200 tax, shipping 5 + 0.50: 2205.50.
	for _, w := range []string{"Facture", o.ID, "Desk lamp", "2 000,00 USD", "2 205,50 USD", "200,50 USD", got.InvoicePDFs[0].ID, "2026-03-14"} {
		if !strings.Contains(text, w) {
			t.Errorf("invoice text lacks %q:\n%s", w, text)
		}
	}
	// The PDF's creation date is the virtual clock at acceptance.
	if !bytes.Contains(b, []byte("/CreationDate (D:20260314151056)")) {
		t.Error("the invoice's CreationDate is not the account clock at acceptance (2026-03-14 15:10:56)")
	}
	f, err := a.File(got.InvoicePDFs[0].ID)
	if err != nil || f.Size != len(b) || f.Purpose != PurposeInvoice || f.Title != "customer invoice" {
		t.Fatalf("file %+v, %v", f, err)
	}
}

func TestNoInvoiceForAFreeOrderOrANonPDFSeller(t *testing.T) {
	a := docAccount(t)
	free := docOrder(t, a, "en_US", 0)
	if o, err := a.AcceptOrder(free.ID); err != nil || o.InvoicePDFs != nil {
		t.Fatalf("free order: invoicePDFs %+v, err %v", o.InvoicePDFs, err)
	}
	other := docOrder(t, a, "en_US", 10)
	a.mu.Lock()
	o, _ := a.orders.get(other.ID)
	o.SellingEntity = SellingEntity{ID: "XX_OTHER-ENTITY", Name: "Somebody Else Ltd."}
	a.mu.Unlock()
	if o, err := a.AcceptOrder(other.ID); err != nil || o.InvoicePDFs != nil {
		t.Fatalf("non-DR seller: invoicePDFs %+v, err %v", o.InvoicePDFs, err)
	}
	for _, typ := range docTypes(t, a) {
		if typ == "order.invoice.created" {
			t.Fatal("an order.invoice.created was recorded")
		}
	}
	for _, e := range []SellingEntity{defaultSellingEntity, {ID: "DR_INC-ENTITY"}, {Name: "DR Japan"}, {ID: "x", Name: "Digital River Ireland Ltd."}} {
		if !makesPDFs(e) {
			t.Errorf("makesPDFs(%+v) = false", e)
		}
	}
}

// shipped is an accepted order whose units have all shipped (captured).
func shipped(t *testing.T, a *Account) *Order {
	t.Helper()
	o := docOrder(t, a, "es_ES", 10)
	if _, err := a.AcceptOrder(o.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateFulfillment(FulfillmentParams{FulfillmentParams: client.FulfillmentParams{OrderID: o.ID}, Items: []FulfillmentItemParams{{FulfillmentItemParams: client.FulfillmentItemParams{ItemID: o.Items[0].ID}, Quantity: Qty(2)}}}); err != nil {
		t.Fatal(err)
	}
	return o
}

func TestCreditMemoLines(t *testing.T) {
	// Order: 2 × 10 = 20 + 2 tax, shipping 5 + 0.50: 27.50, tax 2.50.
	cases := []struct {
		name   string
		params func(o *Order) RefundParams
		want   []string
	}{
		{"by amount: the lines it came off", func(o *Order) RefundParams {
			return RefundParams{RefundParams: client.RefundParams{OrderID: o.ID, Currency: "USD", Amount: ptrTo(11.0)}}
		}, []string{"Desk lamp", "11,00 USD", "1,00 USD"}}, // 11 × 2.50 / 27.50
		{"by item quantity", func(o *Order) RefundParams {
			return RefundParams{RefundParams: client.RefundParams{OrderID: o.ID, Currency: "USD"}, Items: []RefundItemParams{{RefundItemParams: client.RefundItemParams{ItemID: o.Items[0].ID}, Quantity: Qty(1)}}}
		}, []string{"Desk lamp", "\n1\n", "13,75 USD", "1,25 USD"}},
		{"shipping", func(o *Order) RefundParams {
			return RefundParams{RefundParams: client.RefundParams{OrderID: o.ID, Currency: "USD", Type: "shipping", Amount: ptrTo(5.0)}}
		}, []string{"Envío", "5,00 USD", "Impuestos incluidos\n0,00 USD"}},
		{"tax", func(o *Order) RefundParams {
			return RefundParams{RefundParams: client.RefundParams{OrderID: o.ID, Currency: "USD", Type: "tax", Percent: ptrTo(100.0)}}
		}, []string{"Impuestos\n", "Impuestos incluidos\n2,50 USD", "Total reembolsado\n2,50 USD"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := docAccount(t)
			o := shipped(t, a)
			r, err := a.CreateRefund(tc.params(o))
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := a.Order(o.ID); got.CreditMemoPDFs != nil {
				t.Fatal("a pending refund made a credit memo")
			}
			if _, err := a.CompleteRefund(r.ID); err != nil {
				t.Fatal(err)
			}
			got, _ := a.Order(o.ID)
			if len(got.CreditMemoPDFs) != 1 {
				t.Fatalf("creditMemoPDFs %+v", got.CreditMemoPDFs)
			}
			types := docTypes(t, a)
			if n := len(types); types[n-2] != "order.refunded" || types[n-1] != "order.credit_memo.created" {
				t.Fatalf("events %v", types)
			}
			p, _ := a.Events(EventFilter{Type: "order.credit_memo.created"})
			var n FileNotice
			if err := json.Unmarshal(p.Data[0].Data.Object, &n); err != nil {
				t.Fatal(err)
			}
			ref := got.CreditMemoPDFs[0]
			if n != (FileNotice{ID: ref.ID, FileID: ref.ID, OrderID: o.ID, CustomerID: o.CustomerID, Purpose: PurposeCreditMemo, InvoiceURL: ref.URL}) {
				t.Fatalf("notice %+v", n)
			}
			text, _ := docText(t, a, ref.ID)
			for _, w := range append([]string{"Nota de crédito", o.ID, r.ID}, tc.want...) {
				if !strings.Contains(text, w) {
					t.Errorf("credit memo text lacks %q:\n%s", w, text)
				}
			}
			if f, _ := a.File(ref.ID); f.FileName != "credit-memo-"+o.ID+"-1.pdf" {
				t.Errorf("fileName %q", f.FileName)
			}
		})
	}
}

func ptrTo[T any](v T) *T { return &v }

// TestAttachRefusesANonReusableSource covers the 409 nonreusable_source,
// which needs a source type the simulator's POST /sources cannot make.
func TestAttachRefusesANonReusableSource(t *testing.T) {
	a := docAccount(t)
	email := "wire@example.test"
	c, err := a.CreateCustomer(CustomerParams{Email: &email})
	if err != nil {
		t.Fatal(err)
	}
	s, err := a.CreateSource(SourceParams{Type: "creditCard", CreditCard: &CardParams{Number: "4444222233331111", ExpirationMonth: 1, ExpirationYear: 2030}})
	if err != nil {
		t.Fatal(err)
	}
	a.mu.Lock()
	src, _ := a.sources.get(s.ID)
	src.Type = "wireTransfer"
	a.mu.Unlock()
	_, err = a.AttachSource(c.ID, s.ID)
	e := apierror.As(err)
	if e.Status != http.StatusConflict || e.Errors[0].Code != "nonreusable_source" {
		t.Fatalf("attach of a wireTransfer source: %v, want 409 nonreusable_source", err)
	}
	if cu, _ := a.Customer(c.ID); len(cu.Sources) != 0 || cu.DefaultSourceID != "" {
		t.Fatalf("customer after a refused attach %+v", cu)
	}
}
