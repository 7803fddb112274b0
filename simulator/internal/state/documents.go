package state

import (
	"fmt"
	"strings"

	"github.com/drsim/drsim/simulator/client"
	"github.com/drsim/drsim/simulator/internal/documents"
)

// FileRef is an entry of an order's invoicePDFs[] or creditMemoPDFs[].
type FileRef = client.FileRef

// FileNotice is data.object of order.invoice.created and
// order.credit_memo.created (docs/events.md#invoice-and-credit-memo-file-events): not a File. id equals fileId,
// and the URL is named invoiceURL for credit memos too.
type FileNotice struct {
	ID         string `json:"id"`
	FileID     string `json:"fileId"`
	OrderID    string `json:"orderId"`
	CustomerID string `json:"customerId"`
	Purpose    string `json:"purpose"`
	InvoiceURL string `json:"invoiceURL"`
}

// pdfEntities are the selling entities DR generates PDFs for
// (docs/dr-api.md#file): Digital River Inc., DR globalTech Inc., Digital River Ireland Ltd.,
// Digital River UK and DR Japan. DR publishes the ids of the first two only;
// the others are recognised by these ids or by name [choice].
var pdfEntities = map[string]bool{
	"DR_INC-ENTITY": true, "C5_INC-ENTITY": true,
	"DR_IRELAND-ENTITY": true, "DR_UK-ENTITY": true, "DR_JAPAN-ENTITY": true,
	"digital river inc.": true, "dr globaltech inc.": true, "digital river ireland ltd.": true,
	"digital river uk": true, "dr japan": true,
}

func makesPDFs(e SellingEntity) bool {
	return pdfEntities[e.ID] || pdfEntities[strings.ToLower(strings.TrimSpace(e.Name))]
}

// issueInvoice is what DR does once an order is accepted [choice, docs/lifecycles.md#order-third-party-fulfilment]:
// unless the total is 0 or the seller makes no PDFs, it renders the
// customer invoice, stores it as a customer_invoice File, adds it to
// invoicePDFs[] and records order.invoice.created. Caller holds a.mu and
// has just recorded order.accepted.
func (a *Account) issueInvoice(o *Order) {
	if o.TotalAmount <= 0 || !makesPDFs(o.SellingEntity) {
		return
	}
	d := a.orderDocument(o, documents.Invoice)
	var itemsTotal float64
	for _, it := range o.Items {
		d.Lines = append(d.Lines, documents.Line{
			Name: itemName(it), Quantity: it.Quantity, TaxRate: it.Tax.Rate, Tax: it.Tax.Amount, Amount: it.Amount,
		})
		itemsTotal += it.Amount
	}
	d.Totals = documents.Totals{
		Subtotal: round(itemsTotal, o.Currency), Shipping: o.TotalShipping,
		Fees: round(o.TotalFees+o.TotalDuty, o.Currency), Tax: o.TotalTax, Total: o.TotalAmount,
	}
	f := a.storeDocument(d, PurposeInvoice, "customer invoice", "invoice-"+o.ID+".pdf")
	o.InvoicePDFs = append(o.InvoicePDFs, FileRef{ID: f.ID, URL: f.URL, LiveMode: f.LiveMode})
	a.record("order.invoice.created", a.notice(o, f), nil)
}

// issueCreditMemo is what DR does once a refund succeeds [choice, docs/lifecycles.md#order-third-party-fulfilment]:
// a customer_credit_memo File for the refund, an entry in
// creditMemoPDFs[] and order.credit_memo.created, after order.refunded.
// The memo lists what was refunded: the refund's items, else the order
// lines the amount came off, else one line for the refund's type. The tax
// it includes is the refund's share of the order's tax (all of it for a
// refund of type tax, none for the other non-product types). Caller holds
// a.mu.
func (a *Account) issueCreditMemo(o *Order, r *Refund) {
	if !makesPDFs(o.SellingEntity) {
		return
	}
	cur := o.Currency
	d := a.orderDocument(o, documents.CreditMemo)
	d.RefundID = r.ID
	switch {
	case len(r.Items) > 0:
		for _, ri := range r.Items {
			d.Lines = append(d.Lines, documents.Line{Name: a.orderItemName(o, ri.ItemID, ri.SKUID), Quantity: ri.Quantity, Amount: ri.RefundedAmount})
		}
	case r.Type == "" && len(a.noteOf(r).alloc) > 0:
		for _, al := range a.noteOf(r).alloc {
			d.Lines = append(d.Lines, documents.Line{Name: a.orderItemName(o, al.itemID, ""), Amount: al.amount})
		}
	default:
		d.Lines = []documents.Line{{Component: r.Type, Amount: r.RefundedAmount}}
	}
	var tax float64
	switch {
	case r.Type == "tax":
		tax = r.RefundedAmount
	case r.Type == "" && o.TotalAmount > 0:
		tax = round(r.RefundedAmount*o.TotalTax/o.TotalAmount, cur)
	}
	d.Totals = documents.Totals{Tax: tax, Total: r.RefundedAmount}
	n := len(o.CreditMemoPDFs) + 1
	f := a.storeDocument(d, PurposeCreditMemo, "customer credit memo", fmt.Sprintf("credit-memo-%s-%d.pdf", o.ID, n))
	o.CreditMemoPDFs = append(o.CreditMemoPDFs, FileRef{ID: f.ID, URL: f.URL, LiveMode: f.LiveMode})
	a.record("order.credit_memo.created", a.notice(o, f), nil)
}

// orderDocument fills what an invoice and a credit memo share. Caller holds a.mu.
func (a *Account) orderDocument(o *Order, kind documents.Kind) documents.Document {
	return documents.Document{
		Kind: kind, OrderID: o.ID, Date: a.now(), Locale: o.Locale, Currency: o.Currency,
		Decimals: minorUnits(o.Currency), Seller: o.SellingEntity.Name, CustomerID: o.CustomerID,
		Email: o.Email, BillTo: contactLines(firstContact(o.BillTo, o.ShipTo)),
	}
}

// storeDocument stores d, numbered with a new File id, as a PDF rendered in
// the background: nothing waits for it until its size or bytes are read. A
// rendering error (a simulator bug: the input is plain data) is answered
// when the file is read. Caller holds a.mu.
func (a *Account) storeDocument(d documents.Document, purpose, title, name string) *File {
	id := newUUID()
	d.Number = id
	return a.newFile(id, purpose, title, name, "pdf", "application/pdf", rendering(func() ([]byte, error) { return documents.Render(d) }))
}

func (a *Account) notice(o *Order, f *File) FileNotice {
	return FileNotice{ID: f.ID, FileID: f.ID, OrderID: o.ID, CustomerID: o.CustomerID, Purpose: f.Purpose, InvoiceURL: f.URL}
}

func itemName(it *OrderItem) string {
	return firstNonEmpty(it.ProductDetails.Name, it.SKUID, it.ID)
}

// orderItemName names an order line by item id, else by SKU id.
func (a *Account) orderItemName(o *Order, itemID, skuID string) string {
	for _, it := range o.Items {
		if (itemID != "" && it.ID == itemID) || (itemID == "" && it.SKUID == skuID) {
			return itemName(it)
		}
	}
	return firstNonEmpty(skuID, itemID)
}

func firstContact(cs ...*Contact) *Contact {
	for _, c := range cs {
		if c != nil {
			return c
		}
	}
	return nil
}

// contactLines is a contact as address lines.
func contactLines(c *Contact) []string {
	if c == nil {
		return nil
	}
	var out []string
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	add(c.Name)
	add(c.Organization)
	if ad := c.Address; ad != nil {
		add(ad.Line1)
		add(ad.Line2)
		add(strings.Join(nonEmpty(ad.PostalCode, ad.City, ad.State), " "))
		add(ad.Country)
	}
	return out
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
