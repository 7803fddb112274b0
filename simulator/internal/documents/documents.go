// Package documents renders the PDFs Digital River makes for an order: the
// customer invoice once the order is accepted and a customer credit memo for
// each completed refund (docs/dr-api.md#file, docs/lifecycles.md#order-third-party-fulfilment). It knows nothing about
// accounts or HTTP: the state package fills a Document and stores the bytes.
//
// Render is deterministic: the same Document gives the same bytes, because
// the PDF's creation and modification dates are the Document's Date (the
// account's virtual clock) and nothing else varies.
//
// Labels, dates and amounts follow the order's locale for English, German,
// French and Spanish; every other locale gets English. fpdf's core fonts
// (Helvetica) carry Windows-1252 text only, so characters outside it (CJK,
// Cyrillic, Greek, …) in product names or addresses print as '.' [choice].
package documents

import (
	"bytes"
	"fmt"
	"sync"
	"time"

	"github.com/go-pdf/fpdf"
)

// Kind is what a document is.
type Kind string

// The two kinds DR generates for orders.
const (
	Invoice    Kind = "invoice"
	CreditMemo Kind = "credit_memo"
)

// Line is one row of the items table.
type Line struct {
	Name string
	// Component names a credit memo line with no Name: the type of a
	// non-product refund ("shipping", "tax", "duty", "importer_tax",
	// "fees"), or "" for a plain refund; printed in the document's language.
	Component string
	Quantity  int     // 0 leaves the cell empty (a refund by amount names no quantity)
	TaxRate   float64 // invoice only
	Tax       float64 // invoice only
	Amount    float64 // invoice: the line's amount before tax; credit memo: the amount refunded
}

// Totals are the sums under the table. An invoice shows Subtotal, Shipping
// and Fees (when not zero), Tax and Total; a credit memo shows Tax as the
// tax included in the refund, and Total as the amount refunded.
type Totals struct {
	Subtotal float64
	Shipping float64
	Fees     float64 // fees, duty and importer tax
	Tax      float64
	Total    float64
}

// Document is everything one invoice or credit memo shows.
type Document struct {
	Kind       Kind
	Number     string    // the document's number (the simulator uses the File id)
	OrderID    string    // shown on both kinds
	RefundID   string    // credit memo: the refund it documents
	Date       time.Time // the issue date, and the PDF's creation date
	Locale     string    // the order's locale: picks labels and number format
	Currency   string    // ISO code
	Decimals   int       // the currency's minor units (2 for USD, 0 for JPY)
	Seller     string    // the selling entity's name
	CustomerID string
	Email      string
	BillTo     []string // name and address lines; may be empty
	Lines      []Line
	Totals     Totals
}

// page geometry, in millimetres (A4 portrait).
const (
	margin   = 20.0
	pageH    = 297.0
	bottom   = 22.0 // room for the footer
	rowH     = 5.0
	contentW = 210.0 - 2*margin
)

// cp1252 translates UTF-8 to Windows-1252, the core fonts' encoding. fpdf
// builds the translator by parsing a code page table; it is made once. The
// translator writes into one buffer of its own, so calls take turns.
var cp1252 = sync.OnceValue(func() func(string) string {
	tr := fpdf.New("P", "mm", "A4", "").UnicodeTranslatorFromDescriptor("")
	var mu sync.Mutex
	return func(s string) string {
		mu.Lock()
		defer mu.Unlock()
		return tr(s)
	}
})

// Render draws the document as a PDF.
func Render(d Document) ([]byte, error) {
	lang := Language(d.Locale)
	l := languages[lang]
	title, numberLabel := l.invoice, l.invoiceNo
	if d.Kind == CreditMemo {
		title, numberLabel = l.creditMemo, l.creditMemoNo
	}
	date := d.Date.UTC()

	pdf := fpdf.New("P", "mm", "A4", "")
	// Uncompressed: compressing the page streams was a third of the time
	// of a render (zlib's set-up per stream), for a few kilobytes.
	pdf.SetCompression(false)
	pdf.SetCreationDate(date)
	pdf.SetModificationDate(date)
	pdf.SetCatalogSort(true)
	pdf.SetProducer("drsim", false)
	pdf.SetCreator("drsim Digital River simulator", false)
	pdf.SetTitle(title+" "+d.OrderID, true)
	pdf.SetAuthor(d.Seller, true)
	pdf.SetLang(lang)
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(false, bottom)
	pdf.AliasNbPages("")
	tr := cp1252()
	money := func(v float64) string { return tr(FormatAmount(v, d.Decimals, d.Currency, d.Locale)) }

	pdf.SetFooterFunc(func() {
		pdf.SetY(-15)
		pdf.SetFont("Helvetica", "", 7)
		pdf.SetTextColor(110, 110, 110)
		pdf.CellFormat(contentW-25, 4, tr(l.testMode), "", 0, "L", false, 0, "")
		pdf.CellFormat(25, 4, tr(fmt.Sprintf("%s %d/{nb}", l.page, pdf.PageNo())), "", 0, "R", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	})
	pdf.AddPage()

	// Heading: seller on the left, the document's title on the right.
	pdf.SetFont("Helvetica", "B", 13)
	pdf.CellFormat(contentW/2, 10, tr(d.Seller), "", 0, "L", false, 0, "")
	pdf.SetFont("Helvetica", "B", 20)
	pdf.CellFormat(contentW/2, 10, tr(title), "", 1, "R", false, 0, "")
	pdf.SetDrawColor(160, 160, 160)
	pdf.Line(margin, pdf.GetY()+1, margin+contentW, pdf.GetY()+1)
	pdf.Ln(5)

	// Facts: label and value pairs.
	facts := [][2]string{{numberLabel, d.Number}, {l.orderNo, d.OrderID}}
	if d.Kind == CreditMemo && d.RefundID != "" {
		facts = append(facts, [2]string{l.refundNo, d.RefundID})
	}
	facts = append(facts, [2]string{l.date, date.Format("2006-01-02")})
	if d.Seller != "" {
		facts = append(facts, [2]string{l.soldBy, d.Seller})
	}
	customer := d.Email
	if d.CustomerID != "" {
		customer = fmt.Sprintf("%s (%s)", d.Email, d.CustomerID)
	}
	facts = append(facts, [2]string{l.customer, customer})
	for _, f := range facts {
		pdf.SetFont("Helvetica", "B", 9)
		pdf.CellFormat(45, rowH, tr(f[0]), "", 0, "L", false, 0, "")
		pdf.SetFont("Helvetica", "", 9)
		pdf.CellFormat(contentW-45, rowH, tr(f[1]), "", 1, "L", false, 0, "")
	}
	if len(d.BillTo) > 0 {
		pdf.Ln(2)
		pdf.SetFont("Helvetica", "B", 9)
		pdf.CellFormat(contentW, rowH, tr(l.billTo), "", 1, "L", false, 0, "")
		pdf.SetFont("Helvetica", "", 9)
		for _, s := range d.BillTo {
			pdf.CellFormat(contentW, rowH-0.5, tr(s), "", 1, "L", false, 0, "")
		}
	}
	pdf.Ln(6)

	// The items table.
	type column struct {
		head  string
		width float64
		align string
	}
	cols := []column{{l.product, 84, "L"}, {l.quantity, 22, "R"}, {l.amount, contentW - 106, "R"}}
	if d.Kind == Invoice {
		cols = []column{{l.product, 66, "L"}, {l.quantity, 20, "R"}, {l.taxRate, 20, "R"}, {l.tax, 32, "R"}, {l.amount, contentW - 138, "R"}}
	}
	header := func() {
		pdf.SetFont("Helvetica", "B", 9)
		pdf.SetFillColor(232, 232, 232)
		for _, c := range cols {
			pdf.CellFormat(c.width, rowH+1, tr(c.head), "B", 0, c.align, true, 0, "")
		}
		pdf.Ln(-1)
		pdf.SetFont("Helvetica", "", 9)
	}
	header()
	for _, ln := range d.Lines {
		name := ln.Name
		if name == "" {
			name = l.refundKind[ln.Component]
		}
		names := pdf.SplitLines([]byte(tr(name)), cols[0].width)
		if len(names) == 0 {
			names = [][]byte{nil}
		}
		h := rowH * float64(len(names))
		if pdf.GetY()+h > pageH-bottom {
			pdf.AddPage()
			header()
		}
		x, y := pdf.GetXY()
		for i, n := range names {
			pdf.SetXY(x, y+rowH*float64(i))
			pdf.CellFormat(cols[0].width, rowH, string(n), "", 0, "L", false, 0, "")
		}
		pdf.SetXY(x+cols[0].width, y)
		qty := ""
		if ln.Quantity > 0 {
			qty = fmt.Sprint(ln.Quantity)
		}
		cells := []string{qty, money(ln.Amount)}
		if d.Kind == Invoice {
			cells = []string{qty, tr(formatRate(ln.TaxRate, d.Locale)), money(ln.Tax), money(ln.Amount)}
		}
		for i, s := range cells {
			pdf.CellFormat(cols[i+1].width, rowH, s, "", 0, cols[i+1].align, false, 0, "")
		}
		pdf.SetXY(x, y+h)
		pdf.Line(margin, y+h, margin+contentW, y+h)
	}
	pdf.Ln(3)

	// Totals, right-aligned.
	type total struct {
		label  string
		amount float64
		strong bool
	}
	var totals []total
	if d.Kind == Invoice {
		totals = append(totals, total{l.subtotal, d.Totals.Subtotal, false})
		if d.Totals.Shipping != 0 {
			totals = append(totals, total{l.shipping, d.Totals.Shipping, false})
		}
		if d.Totals.Fees != 0 {
			totals = append(totals, total{l.fees, d.Totals.Fees, false})
		}
		totals = append(totals, total{l.taxes, d.Totals.Tax, false}, total{l.total, d.Totals.Total, true})
	} else {
		totals = append(totals, total{l.taxIncluded, d.Totals.Tax, false}, total{l.totalRefunded, d.Totals.Total, true})
	}
	if pdf.GetY()+rowH*float64(len(totals)+1) > pageH-bottom {
		pdf.AddPage()
	}
	for _, t := range totals {
		style, border := "", ""
		if t.strong {
			style, border = "B", "T"
		}
		pdf.SetFont("Helvetica", style, 10)
		pdf.CellFormat(contentW-50, rowH+1, tr(t.label), "", 0, "R", false, 0, "")
		pdf.CellFormat(50, rowH+1, money(t.amount), border, 1, "R", false, 0, "")
	}

	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("documents: render %s for order %s: %w", d.Kind, d.OrderID, err)
	}
	return buf.Bytes(), nil
}
