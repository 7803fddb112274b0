package documents

import (
	"math"
	"strconv"
	"strings"
)

// labels are a document's words in one language.
type labels struct {
	invoice, creditMemo             string // titles
	invoiceNo, creditMemoNo         string
	orderNo, refundNo, date         string
	customer, billTo, soldBy        string
	product, quantity, tax, taxRate string
	amount                          string
	subtotal, shipping, fees        string
	taxes, total, totalRefunded     string
	taxIncluded, testMode, page     string
	refundKind                      map[string]string // credit memo lines of a non-product refund (by refund type)
}

// languages are the languages documents are written in. Every other locale
// gets English: fpdf's core fonts carry only Windows-1252 text, so Japanese,
// Chinese, Korean, Greek or Cyrillic labels could not be shown [choice].
var languages = map[string]labels{
	"en": {
		invoice: "Invoice", creditMemo: "Credit memo",
		invoiceNo: "Invoice number", creditMemoNo: "Credit memo number",
		orderNo: "Order number", refundNo: "Refund", date: "Date",
		customer: "Customer", billTo: "Bill to", soldBy: "Sold by",
		product: "Product", quantity: "Quantity", tax: "Tax", taxRate: "Tax rate", amount: "Amount",
		subtotal: "Subtotal", shipping: "Shipping", fees: "Fees and duties",
		taxes: "Tax", total: "Total", totalRefunded: "Total refunded",
		taxIncluded: "Of which tax", page: "Page",
		testMode:   "Test mode: a document simulated by drsim, not a valid tax document.",
		refundKind: map[string]string{"shipping": "Shipping", "tax": "Tax", "duty": "Duty", "importer_tax": "Importer tax", "fees": "Fees", "": "Refund"},
	},
	"de": {
		invoice: "Rechnung", creditMemo: "Gutschrift",
		invoiceNo: "Rechnungsnummer", creditMemoNo: "Gutschriftsnummer",
		orderNo: "Bestellnummer", refundNo: "Erstattung", date: "Datum",
		customer: "Kunde", billTo: "Rechnungsadresse", soldBy: "Verkäufer",
		product: "Produkt", quantity: "Menge", tax: "Steuer", taxRate: "Steuersatz", amount: "Betrag",
		subtotal: "Zwischensumme", shipping: "Versand", fees: "Gebühren und Zölle",
		taxes: "Steuer", total: "Gesamtbetrag", totalRefunded: "Erstatteter Gesamtbetrag",
		taxIncluded: "Darin enthaltene Steuer", page: "Seite",
		testMode:   "Testmodus: von drsim simuliertes Dokument, kein gültiger Steuerbeleg.",
		refundKind: map[string]string{"shipping": "Versand", "tax": "Steuer", "duty": "Zoll", "importer_tax": "Einfuhrumsatzsteuer", "fees": "Gebühren", "": "Erstattung"},
	},
	"fr": {
		invoice: "Facture", creditMemo: "Avoir",
		invoiceNo: "Numéro de facture", creditMemoNo: "Numéro d'avoir",
		orderNo: "Numéro de commande", refundNo: "Remboursement", date: "Date",
		customer: "Client", billTo: "Adresse de facturation", soldBy: "Vendeur",
		product: "Produit", quantity: "Quantité", tax: "Taxe", taxRate: "Taux", amount: "Montant",
		subtotal: "Sous-total", shipping: "Livraison", fees: "Frais et droits",
		taxes: "Taxes", total: "Total", totalRefunded: "Total remboursé",
		taxIncluded: "Dont taxes", page: "Page",
		testMode:   "Mode test : document simulé par drsim, sans valeur fiscale.",
		refundKind: map[string]string{"shipping": "Livraison", "tax": "Taxes", "duty": "Droits de douane", "importer_tax": "Taxe à l'importation", "fees": "Frais", "": "Remboursement"},
	},
	"es": {
		invoice: "Factura", creditMemo: "Nota de crédito",
		invoiceNo: "Número de factura", creditMemoNo: "Número de nota de crédito",
		orderNo: "Número de pedido", refundNo: "Reembolso", date: "Fecha",
		customer: "Cliente", billTo: "Facturar a", soldBy: "Vendido por",
		product: "Producto", quantity: "Cantidad", tax: "Impuesto", taxRate: "Tipo", amount: "Importe",
		subtotal: "Subtotal", shipping: "Envío", fees: "Tasas y aranceles",
		taxes: "Impuestos", total: "Total", totalRefunded: "Total reembolsado",
		taxIncluded: "Impuestos incluidos", page: "Página",
		testMode:   "Modo de prueba: documento simulado por drsim, sin validez fiscal.",
		refundKind: map[string]string{"shipping": "Envío", "tax": "Impuestos", "duty": "Aranceles", "importer_tax": "Impuesto de importación", "fees": "Tasas", "": "Reembolso"},
	},
}

// Language is the language a locale's documents are written in: "en",
// "de", "fr" or "es" from the locale's language part (de_DE, de-AT and de
// all give "de"); English for every other locale.
func Language(locale string) string {
	lang, _, _ := strings.Cut(strings.ReplaceAll(locale, "-", "_"), "_")
	lang = strings.ToLower(lang)
	if _, ok := languages[lang]; ok {
		return lang
	}
	return "en"
}

// FormatAmount writes an amount the way the documents of locale show it:
// the language's digit grouping and decimal mark, the currency's decimals,
// then the ISO currency code — "1,234.50 USD" (en), "1.234,50 EUR" (de, es),
// "1 234,50 EUR" (fr, with a plain space), "1,235 JPY".
func FormatAmount(v float64, decimals int, currency, locale string) string {
	group, point := ",", "."
	switch Language(locale) {
	case "de", "es":
		group, point = ".", ","
	case "fr":
		group, point = " ", ","
	}
	neg := v < 0
	scale := math.Pow10(decimals)
	minor := int64(math.Round(math.Abs(v) * scale))
	whole := strconv.FormatInt(minor/int64(scale), 10)
	var b strings.Builder
	if neg && minor != 0 {
		b.WriteByte('-')
	}
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(group)
		}
		b.WriteRune(r)
	}
	if decimals > 0 {
		frac := strconv.FormatInt(minor%int64(scale), 10)
		b.WriteString(point + strings.Repeat("0", decimals-len(frac)) + frac)
	}
	return b.String() + " " + currency
}

// formatRate writes a tax rate as a percentage: 0.0805 → "8.05 %" (en), "8,05 %" (de).
func formatRate(rate float64, locale string) string {
	s := strconv.FormatFloat(math.Round(rate*1e6)/1e4, 'f', -1, 64)
	if Language(locale) != "en" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s + " %"
}
