package documents_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ledongthuc/pdf"

	"github.com/drsim/drsim/simulator/internal/documents"
)

var issued = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

func invoice(locale string) documents.Document {
	return documents.Document{
		Kind: documents.Invoice, Number: "6e5bf525-3907-40c5-86a9-f14ce4f33f35", OrderID: "188418250336",
		Date: issued, Locale: locale, Currency: "EUR", Decimals: 2, Seller: "DR globalTech Inc.",
		CustomerID: "532736320336", Email: "jürgen@example.test",
		BillTo: []string{"Jürgen Weiß", "Königstraße 1", "70173 Stuttgart", "DE"},
		Lines: []documents.Line{
			{Name: "Widget Pro", Quantity: 2, TaxRate: 0.19, Tax: 380, Amount: 2000},
			{Name: "Extended warranty for the Widget Pro, three years, covering accidental damage and theft", Quantity: 1, TaxRate: 0.19, Tax: 9.5, Amount: 50},
		},
		Totals: documents.Totals{Subtotal: 2050, Shipping: 5, Tax: 390.45, Total: 2445.45},
	}
}

// text extracts a PDF's text with a PDF library, as a customer's tools would.
func text(t *testing.T, b []byte) string {
	t.Helper()
	r, err := pdf.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("parse PDF: %v", err)
	}
	plain, err := r.GetPlainText()
	if err != nil {
		t.Fatalf("extract text: %v", err)
	}
	raw, err := io.ReadAll(plain)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func render(t *testing.T, d documents.Document) []byte {
	t.Helper()
	b, err := documents.Render(d)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	if !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Fatalf("Render gave %q…, want a PDF", b[:min(len(b), 16)])
	}
	return b
}

func TestInvoiceTextRoundTripsPerLocale(t *testing.T) {
	cases := []struct {
		locale string
		want   []string
	}{
		{"en_US", []string{"Invoice", "Order number", "Total", "2,445.45 EUR", "2,000.00 EUR", "19 %", "Page 1/1"}},
		{"de_DE", []string{"Rechnung", "Bestellnummer", "Gesamtbetrag", "2.445,45 EUR", "Königstraße 1", "Jürgen Weiß", "Seite 1/1"}},
		{"fr_FR", []string{"Facture", "Numéro de commande", "Total", "2 445,45 EUR", "Quantité"}},
		{"es_ES", []string{"Factura", "Número de pedido", "Total", "2.445,45 EUR", "Envío"}},
		{"ja_JP", []string{"Invoice", "Order number", "2,445.45 EUR"}}, // no Japanese font: English
	}
	for _, tc := range cases {
		t.Run(tc.locale, func(t *testing.T) {
			got := text(t, render(t, invoice(tc.locale)))
			want := append([]string{"188418250336", "Widget Pro", "DR globalTech Inc.", "6e5bf525-3907-40c5-86a9-f14ce4f33f35", "2026-03-14"}, tc.want...)
			for _, w := range want {
				if !strings.Contains(got, w) {
					t.Errorf("text lacks %q; text:\n%s", w, got)
				}
			}
		})
	}
}

func TestCreditMemoText(t *testing.T) {
	d := documents.Document{
		Kind: documents.CreditMemo, Number: "0b7c1f5e-5b1f-4a57-9d43-7d1e1a3f1a11", OrderID: "188418250336",
		RefundID: "re_4c8e2b6a-4a1e-4b59-8f7c-1d2b3c4d5e6f", Date: issued, Locale: "fr_FR", Currency: "USD", Decimals: 2,
		Seller: "DR globalTech Inc.", Email: "zoe@example.test",
		Lines:  []documents.Line{{Name: "Widget Pro", Quantity: 1, Amount: 10.81}},
		Totals: documents.Totals{Tax: 0.81, Total: 10.81},
	}
	got := text(t, render(t, d))
	for _, w := range []string{"Avoir", "188418250336", d.RefundID, "Widget Pro", "Total remboursé", "10,81 USD", "Dont taxes", "0,81 USD"} {
		if !strings.Contains(got, w) {
			t.Errorf("text lacks %q; text:\n%s", w, got)
		}
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	a, b := render(t, invoice("de_DE")), render(t, invoice("de_DE"))
	if !bytes.Equal(a, b) {
		t.Fatal("two renders of the same document differ")
	}
	if !bytes.Contains(a, []byte("/CreationDate (D:20260314150926)")) {
		t.Fatal("creation date is not the document's date")
	}
	later := invoice("de_DE")
	later.Date = later.Date.Add(time.Hour)
	if bytes.Equal(a, render(t, later)) {
		t.Fatal("a different date gave the same bytes")
	}
}

func TestManyLinesBreakPages(t *testing.T) {
	d := invoice("en_US")
	d.Lines = nil
	for i := range 100 {
		d.Lines = append(d.Lines, documents.Line{Name: "Item " + string(rune('A'+i%26)), Quantity: 1, Amount: 1})
	}
	got := text(t, render(t, d))
	if !strings.Contains(got, "Page 3/3") || strings.Count(got, "Product") != 3 {
		t.Fatalf("100 lines: want three pages, each with the table header; text:\n%s", got)
	}
}

func TestNonLatinTextDoesNotBreakRendering(t *testing.T) {
	d := invoice("ja_JP")
	d.Lines[0].Name = "ウィジェット Widget"
	d.BillTo = []string{"山田 太郎"}
	got := text(t, render(t, d))
	if !strings.Contains(got, "Widget") {
		t.Fatalf("text lacks the Latin part of the name; text:\n%s", got)
	}
}

func TestFormatAmount(t *testing.T) {
	cases := []struct {
		v        float64
		decimals int
		cur, loc string
		want     string
	}{
		{27.01, 2, "USD", "en_US", "27.01 USD"},
		{1234567.5, 2, "USD", "en_GB", "1,234,567.50 USD"},
		{1234567.5, 2, "EUR", "de_DE", "1.234.567,50 EUR"},
		{1234.5, 2, "EUR", "fr-FR", "1 234,50 EUR"},
		{1234.5, 2, "EUR", "es_ES", "1.234,50 EUR"},
		{1235, 0, "JPY", "ja_JP", "1,235 JPY"},
		{0.05, 2, "USD", "en_US", "0.05 USD"},
		{-3.2, 2, "USD", "en_US", "-3.20 USD"},
		{999, 2, "USD", "xx", "999.00 USD"},
	}
	for _, c := range cases {
		if got := documents.FormatAmount(c.v, c.decimals, c.cur, c.loc); got != c.want {
			t.Errorf("FormatAmount(%v, %d, %s, %s) = %q, want %q", c.v, c.decimals, c.cur, c.loc, got, c.want)
		}
	}
}

// TestRenderToPNG writes an invoice and a credit memo, and their first
// pages as PNGs, when DRSIM_DOCUMENTS_OUT names a directory and pdftoppm is
// installed, for a look by eye.
func TestRenderToPNG(t *testing.T) {
	dir := os.Getenv("DRSIM_DOCUMENTS_OUT")
	if dir == "" {
		t.Skip("set DRSIM_DOCUMENTS_OUT to a directory to write the PDFs and PNGs there")
	}
	tool, err := exec.LookPath("pdftoppm")
	if err != nil {
		t.Skip("pdftoppm is not installed (Debian: poppler-utils)")
	}
	memo := invoice("en_US")
	memo.Kind, memo.RefundID = documents.CreditMemo, "re_4c8e2b6a-4a1e-4b59-8f7c-1d2b3c4d5e6f"
	memo.Lines = []documents.Line{{Name: "Widget Pro", Quantity: 1, Amount: 1190}, {Component: "shipping", Amount: 5.95}}
	memo.Totals = documents.Totals{Tax: 190.95, Total: 1195.95}
	for name, d := range map[string]documents.Document{"invoice": invoice("de_DE"), "credit-memo": memo} {
		b := render(t, d)
		pdfPath := filepath.Join(dir, name+".pdf")
		if err := os.WriteFile(pdfPath, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(tool, "-png", "-r", "80", "-f", "1", "-l", "1", pdfPath, filepath.Join(dir, name)).CombinedOutput(); err != nil {
			t.Fatalf("pdftoppm: %v: %s", err, out)
		}
		t.Logf("%s: %d bytes; page 1 in %s", name, len(b), dir)
	}
}

// BenchmarkRender renders a two-line invoice, as the first download of an
// order's invoice does.
func BenchmarkRender(b *testing.B) {
	d := invoice("de_DE")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := documents.Render(d); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRenderConcurrently: documents render at once from several goroutines
// (first downloads of different orders) the same as one at a time; under
// -race this also proves they share nothing unguarded.
func TestRenderConcurrently(t *testing.T) {
	want := render(t, invoice("de_DE"))
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			b, err := documents.Render(invoice("de_DE"))
			if err == nil && !bytes.Equal(b, want) {
				err = errors.New("a concurrent render differs from the one made alone")
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
