package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/ledongthuc/pdf"
)

// The bad-request table (errors_test.go) requires a row for every route;
// these are the rows for the file and file-link routes. The 401 rows (the
// public key on /files/{id}/content among them) are generated.
func init() {
	badRows = append(badRows, []badRow{
		{route: "GET /files", name: "limit 0", path: "/files?limit=0", status: 400, code: "invalid_parameter", param: "limit"},
		{route: "GET /files", name: "startingAfter unknown", path: "/files?startingAfter=nope", status: 400, code: "invalid_parameter", param: "startingAfter"},
		{route: "POST /files", name: "JSON, not multipart", path: "/files", body: `{"purpose":"tax_document_customer_upload"}`, status: 400, code: "invalid_parameter"},
		{route: "GET /files/{id}", name: "unknown id", path: "/files/nope", status: 404, code: "not_found", param: "id"},
		{route: "DELETE /files/{id}", name: "unknown id", path: "/files/nope", status: 404, code: "not_found", param: "id"},
		{route: "GET /files/{id}/content", name: "unknown id", path: "/files/nope/content", status: 404, code: "not_found", param: "id"},
		{route: "POST /file-links", name: "bad JSON", path: "/file-links", body: `{"fileId":`, status: 400, code: "invalid_parameter"},
		{route: "POST /file-links", name: "no fileId", path: "/file-links", body: `{"expiresTime":"2099-01-01T00:00:00Z"}`, status: 400, code: "missing_parameter", param: "fileId"},
		{route: "POST /file-links", name: "unknown file", path: "/file-links", body: `{"fileId":"nope","expiresTime":"2099-01-01T00:00:00Z"}`, status: 404, code: "not_found", param: "id"},
		{route: "POST /file-links", name: "expiresTime a number", path: "/file-links", body: `{"fileId":"nope","expiresTime":5}`, status: 400, code: "invalid_parameter", param: "expiresTime"},
		{route: "POST /file-links", name: "unknown field", path: "/file-links", body: `{"fileId":"x","password":"p"}`, status: 400, code: "invalid_parameter", param: "password"},
		{route: "GET /file-links", name: "limit 101", path: "/file-links?limit=101", status: 400, code: "invalid_parameter", param: "limit"},
		{route: "GET /file-links", name: "expired not a boolean", path: "/file-links?expired=maybe", status: 400, code: "invalid_parameter", param: "expired"},
		{route: "GET /file-links/{id}", name: "unknown id", path: "/file-links/nope", status: 404, code: "not_found", param: "id"},
		{route: "POST /file-links/{id}", name: "unknown id", path: "/file-links/nope", body: `{"expiresTime":"2099-01-01T00:00:00Z"}`, status: 404, code: "not_found", param: "id"},
		{route: "POST /file-links/{id}", name: "bad JSON", path: "/file-links/nope", body: `{"expiresTime":`, status: 400, code: "invalid_parameter"},
		{route: "DELETE /file-links/{id}", name: "unknown id", path: "/file-links/nope", status: 404, code: "not_found", param: "id"},
	}...)
}

// Views of files and links: every field, to prove the wire shape.

type fileRef struct {
	ID       string `json:"id"`
	URL      string `json:"url"`
	LiveMode bool   `json:"liveMode"`
}

type docOrder struct {
	ID             string    `json:"id"`
	State          string    `json:"state"`
	TotalAmount    float64   `json:"totalAmount"`
	InvoicePDFs    []fileRef `json:"invoicePDFs"`
	CreditMemoPDFs []fileRef `json:"creditMemoPDFs"`
	Items          []struct {
		ID string `json:"id"`
	} `json:"items"`
}

type fileLink struct {
	ID          string    `json:"id"`
	FileID      string    `json:"fileId"`
	ExpiresTime time.Time `json:"expiresTime"`
	Expired     bool      `json:"expired"`
	URL         string    `json:"url"`
	LiveMode    bool      `json:"liveMode"`
	CreatedTime time.Time `json:"createdTime"`
}

type file struct {
	ID          string     `json:"id"`
	FileName    string     `json:"fileName"`
	Title       string     `json:"title"`
	Purpose     string     `json:"purpose"`
	Size        int        `json:"size"`
	Type        string     `json:"type"`
	URL         string     `json:"url"`
	Links       []fileLink `json:"links"`
	LiveMode    bool       `json:"liveMode"`
	CreatedTime time.Time  `json:"createdTime"`
}

// notice is data.object of order.invoice.created / order.credit_memo.created.
type notice struct {
	ID         string `json:"id"`
	FileID     string `json:"fileId"`
	OrderID    string `json:"orderId"`
	CustomerID string `json:"customerId"`
	Purpose    string `json:"purpose"`
	InvoiceURL string `json:"invoiceURL"`
}

// strictly decodes raw into out, refusing fields out does not name.
func strictly(t *testing.T, raw []byte, out any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		t.Fatalf("decode %T: %v; body: %s", out, err, raw)
	}
}

// get fetches url with an optional Authorization header and returns the
// response with its body read.
func get(t *testing.T, url, auth string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// pdfText extracts a PDF's text with a PDF library.
func pdfText(t *testing.T, b []byte) string {
	t.Helper()
	r, err := pdf.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("parse PDF: %v", err)
	}
	plain, err := r.GetPlainText()
	if err != nil {
		t.Fatalf("extract PDF text: %v", err)
	}
	s, err := io.ReadAll(plain)
	if err != nil {
		t.Fatal(err)
	}
	return string(s)
}

// now is the account's virtual clock.
func (c client) now() time.Time {
	c.e.t.Helper()
	var body struct {
		Now time.Time `json:"now"`
	}
	c.must("GET", "/_sim/clock", nil, http.StatusOK, &body)
	return body.Now
}

// typesNewestFirst lists the account's event types, newest first.
func (c client) typesNewestFirst() []string {
	var out []string
	for _, ev := range c.events("?limit=100").Data {
		out = append(out, ev.Type)
	}
	return out
}

// acceptedWithInvoice places and accepts the helpers' usual order (2 × 10.00
// at 8.05 %, shipping 5.00 + 0.40: 27.01 USD) of a SKU named name.
func acceptedWithInvoice(t *testing.T, c client, name string) (docOrder, string) {
	t.Helper()
	cust := c.createCustomer("kim@example.test")
	o := c.placeOrder(cust, c.createSKU(name))
	var got docOrder
	c.must("POST", "/_sim/orders/"+o.ID+"/accept", nil, http.StatusOK, &got)
	if len(got.InvoicePDFs) != 1 {
		t.Fatalf("accepted order has invoicePDFs %+v, want one entry", got.InvoicePDFs)
	}
	return got, cust
}

func TestInvoiceAfterAcceptOverHTTP(t *testing.T) {
	e := newEnv(t, 0)
	acct := e.newAccount()
	c := acct.secret
	o, cust := acceptedWithInvoice(t, c, "Widget Pro")
	ref := o.InvoicePDFs[0]
	if _, err := uuid.Parse(ref.ID); err != nil || ref.URL != e.url+"/files/"+ref.ID+"/content" || ref.LiveMode {
		t.Fatalf("invoicePDFs[0] = %+v, want a UUID, url %s/files/<id>/content and liveMode false", ref, e.url)
	}

	// order.invoice.created comes right after order.accepted, with DR's notice.
	if got := c.typesNewestFirst(); len(got) < 2 || got[0] != "order.invoice.created" || got[1] != "order.accepted" {
		t.Fatalf("events newest first %v, want order.invoice.created right after order.accepted", got)
	}
	evs := c.events("?type=order.invoice.created").Data
	var raw struct {
		Object json.RawMessage `json:"object"`
	}
	if err := json.Unmarshal(evs[0].Data, &raw); err != nil {
		t.Fatal(err)
	}
	var n notice
	strictly(t, raw.Object, &n)
	want := notice{ID: ref.ID, FileID: ref.ID, OrderID: o.ID, CustomerID: cust, Purpose: "customer_invoice", InvoiceURL: ref.URL}
	if n != want {
		t.Fatalf("order.invoice.created object %+v, want %+v", n, want)
	}
	var again docOrder
	c.must("GET", "/orders/"+o.ID, nil, http.StatusOK, &again)
	if !reflect.DeepEqual(again.InvoicePDFs, o.InvoicePDFs) || again.CreditMemoPDFs != nil {
		t.Fatalf("GET /orders/{id}: invoicePDFs %+v creditMemoPDFs %+v", again.InvoicePDFs, again.CreditMemoPDFs)
	}

	// The File.
	var f file
	rawFile := c.must("GET", "/files/"+ref.ID, nil, http.StatusOK, nil)
	strictly(t, rawFile, &f)
	if f.ID != ref.ID || f.Title != "customer invoice" || f.Purpose != "customer_invoice" || f.Type != "pdf" ||
		f.URL != ref.URL || f.Size <= 0 || f.FileName != "invoice-"+o.ID+".pdf" || f.LiveMode || f.CreatedTime.IsZero() {
		t.Fatalf("file %s", rawFile)
	}
	if strings.Contains(string(rawFile), `"links"`) {
		t.Fatalf("a file with no links must not carry links[]: %s", rawFile)
	}

	// Content: the public key gets DR's 401, the secret key the PDF.
	resp, body := get(t, f.URL, "Bearer "+acct.keys.PublicKey)
	if resp.StatusCode != http.StatusUnauthorized || string(body) != unauthorizedBody {
		t.Fatalf("content with the public key: %d %s, want 401 %s", resp.StatusCode, body, unauthorizedBody)
	}
	if resp, body := get(t, f.URL, ""); resp.StatusCode != http.StatusUnauthorized || string(body) != unauthorizedBody {
		t.Fatalf("content with no key: %d %s, want DR's 401", resp.StatusCode, body)
	}
	resp, body = get(t, f.URL, "Bearer "+acct.keys.SecretKey)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(body, []byte("%PDF-")) || len(body) != f.Size {
		t.Fatalf("content: %d %s, %d bytes starting %q; want 200 application/pdf, %d bytes of PDF",
			resp.StatusCode, resp.Header.Get("Content-Type"), len(body), body[:min(len(body), 8)], f.Size)
	}
	text := pdfText(t, body)
	for _, w := range []string{"Invoice", o.ID, "Widget Pro", "27.01 USD", "20.00 USD", "2.01 USD", "5.00 USD", "kim@example.test", "DR globalTech Inc."} {
		if !strings.Contains(text, w) {
			t.Errorf("invoice text lacks %q; text:\n%s", w, text)
		}
	}
	t.Logf("invoice PDF: %d bytes", len(body))

	// Lists.
	for query, n := range map[string]int{"": 1, "?purpose=customer_invoice": 1, "?purpose=customer_credit_memo": 0, "?ids=" + f.ID: 1, "?ids=nope": 0} {
		var p page[file]
		c.must("GET", "/files"+query, nil, http.StatusOK, &p)
		if len(p.Data) != n {
			t.Fatalf("GET /files%s: %d files, want %d", query, len(p.Data), n)
		}
	}

	// The request log has the file calls (a refused key is logged nowhere: authed()).
	var log page[struct {
		Method string `json:"method"`
		Path   string `json:"path"`
		Status int    `json:"status"`
		Public bool   `json:"publicKey"`
	}]
	c.must("GET", "/_sim/requests", nil, http.StatusOK, &log)
	var seen []string
	for _, r := range log.Data {
		if strings.HasPrefix(r.Path, "/files") {
			seen = append(seen, r.Method+" "+strings.ReplaceAll(r.Path, f.ID, "{id}")+" "+itoa(r.Status)+map[bool]string{true: " public"}[r.Public])
		}
	}
	wantLog := []string{"GET /files/{id} 200", "GET /files/{id}/content 200",
		"GET /files 200", "GET /files 200", "GET /files 200", "GET /files 200", "GET /files 200"}
	if !reflect.DeepEqual(seen, wantLog) {
		t.Fatalf("request log of /files calls %v, want %v", seen, wantLog)
	}
}

func TestNoInvoiceWhenTheTotalIsZero(t *testing.T) {
	e := newEnv(t, 0)
	c := e.newAccount().secret
	var o docOrder
	c.must("POST", "/_sim/orders", map[string]any{
		"customerId": c.createCustomer("free@example.test"),
		"items":      []map[string]any{{"skuId": c.createSKU("Free trial"), "quantity": 1, "price": 0}},
	}, http.StatusCreated, &o)
	raw := c.must("POST", "/_sim/orders/"+o.ID+"/accept", nil, http.StatusOK, &o)
	if o.State != "accepted" || o.TotalAmount != 0 || strings.Contains(string(raw), "invoicePDFs") {
		t.Fatalf("accepted free order: %s; want no invoicePDFs", raw)
	}
	if got := c.events("?type=order.invoice.created").Data; len(got) != 0 {
		t.Fatalf("%d order.invoice.created events for a free order", len(got))
	}
	var p page[file]
	c.must("GET", "/files", nil, http.StatusOK, &p)
	if len(p.Data) != 0 {
		t.Fatalf("GET /files: %d files for a free order", len(p.Data))
	}
}

func TestCreditMemoAfterARefundCompletes(t *testing.T) {
	e := newEnv(t, 0)
	acct := e.newAccount()
	c := acct.secret
	cust := c.createCustomer("lea@example.test")
	var o docOrder
	c.must("POST", "/_sim/orders", map[string]any{
		"customerId": cust, "locale": "de_DE", "currency": "EUR",
		"items":    []map[string]any{{"skuId": c.createSKU("Schreibtischlampe"), "quantity": 2, "price": 1000.0, "taxRate": 0.19}},
		"shipping": map[string]any{"amount": 5.0, "taxAmount": 0.95},
	}, http.StatusCreated, &o)
	c.must("POST", "/_sim/orders/"+o.ID+"/accept", nil, http.StatusOK, &o)
	c.must("POST", "/fulfillments", map[string]any{"orderId": o.ID, "items": []map[string]any{{"itemId": o.Items[0].ID, "quantity": 2}}}, http.StatusCreated, nil)

	// The German invoice.
	_, inv := get(t, o.InvoicePDFs[0].URL, "Bearer "+acct.keys.SecretKey)
	if text := pdfText(t, inv); !strings.Contains(text, "Rechnung") || !strings.Contains(text, "2.385,95 EUR") || !strings.Contains(text, "Schreibtischlampe") {
		t.Fatalf("German invoice text lacks Rechnung, 2.385,95 EUR or the product:\n%s", text)
	}

	// A failed refund makes no credit memo.
	var r lcRefund
	c.must("POST", "/refunds", map[string]any{"orderId": o.ID, "currency": "EUR", "amount": 1.0}, http.StatusCreated, &r)
	c.must("POST", "/_sim/refunds/"+r.ID+"/fail", map[string]any{"failureReason": "closed"}, http.StatusOK, nil)
	if got := c.events("?type=order.credit_memo.created").Data; len(got) != 0 {
		t.Fatalf("a failed refund made %d credit memos", len(got))
	}

	// A refund of one unit: pending makes nothing, complete makes the memo last.
	c.must("POST", "/refunds", map[string]any{"orderId": o.ID, "currency": "EUR", "items": []map[string]any{{"itemId": o.Items[0].ID, "quantity": 1}}}, http.StatusCreated, &r)
	if got := c.events("?type=order.credit_memo.created").Data; len(got) != 0 {
		t.Fatal("a pending refund made a credit memo")
	}
	c.must("POST", "/_sim/refunds/"+r.ID+"/complete", nil, http.StatusOK, &r)
	if got := c.typesNewestFirst(); len(got) < 2 || got[0] != "order.credit_memo.created" || got[1] != "order.refunded" {
		t.Fatalf("events newest first %v, want order.credit_memo.created right after order.refunded", got)
	}
	c.must("GET", "/orders/"+o.ID, nil, http.StatusOK, &o)
	if len(o.CreditMemoPDFs) != 1 || len(o.InvoicePDFs) != 1 {
		t.Fatalf("order after the refund: invoicePDFs %+v creditMemoPDFs %+v, want one each", o.InvoicePDFs, o.CreditMemoPDFs)
	}
	ref := o.CreditMemoPDFs[0]
	var n notice
	c.events("?type=order.credit_memo.created").Data[0].object(t, &n)
	want := notice{ID: ref.ID, FileID: ref.ID, OrderID: o.ID, CustomerID: cust, Purpose: "customer_credit_memo", InvoiceURL: ref.URL}
	if n != want || ref.URL != e.url+"/files/"+ref.ID+"/content" {
		t.Fatalf("order.credit_memo.created object %+v, want %+v", n, want)
	}
	var f file
	c.must("GET", "/files/"+ref.ID, nil, http.StatusOK, &f)
	if f.Purpose != "customer_credit_memo" || f.Title != "customer credit memo" || f.Type != "pdf" {
		t.Fatalf("credit memo file %+v", f)
	}
	resp, body := get(t, ref.URL, "Bearer "+acct.keys.SecretKey)
	if resp.StatusCode != http.StatusOK || !bytes.HasPrefix(body, []byte("%PDF-")) {
		t.Fatalf("credit memo content: %d %q", resp.StatusCode, body[:min(len(body), 8)])
	}
	// One unit of (2000 + 380 tax + 5.95 shipping) / 2 = 1192.98 (captured
	// per unit), of which 1192.98 × 380.95 / 2385.95 = 190.48 is tax.
	text := pdfText(t, body)
	for _, w := range []string{"Gutschrift", o.ID, r.ID, "Schreibtischlampe", "Erstatteter Gesamtbetrag", "1.192,98 EUR", "190,48 EUR"} {
		if !strings.Contains(text, w) {
			t.Errorf("credit memo text lacks %q; text:\n%s", w, text)
		}
	}
	t.Logf("credit memo PDF: %d bytes; invoice PDF: %d bytes", len(body), len(inv))
	var memos page[file]
	c.must("GET", "/files?purpose=customer_credit_memo", nil, http.StatusOK, &memos)
	if len(memos.Data) != 1 || memos.Data[0].ID != ref.ID {
		t.Fatalf("GET /files?purpose=customer_credit_memo: %+v", memos.Data)
	}
}

func TestFileLinksServeWithoutAKeyUntilTheyExpire(t *testing.T) {
	e := newEnv(t, 0)
	acct := e.newAccount()
	c := acct.secret
	o, _ := acceptedWithInvoice(t, c, "Widget")
	fileID := o.InvoicePDFs[0].ID
	_, content := get(t, o.InvoicePDFs[0].URL, "Bearer "+acct.keys.SecretKey)
	now := c.now()

	// expiresTime must be in the future on the account's clock.
	for name, body := range map[string]map[string]any{
		"in the past":  {"fileId": fileID, "expiresTime": now.Add(-time.Minute).Format(time.RFC3339)},
		"now":          {"fileId": fileID, "expiresTime": now.Format(time.RFC3339Nano)},
		"not a date":   {"fileId": fileID, "expiresTime": "tomorrow"},
		"the year 1":   {"fileId": fileID, "expiresTime": "0001-01-01T00:00:00Z"},
		"offset +0000": {"fileId": fileID, "expiresTime": now.Add(-time.Hour).UTC().Format("2006-01-02T15:04:05.000-0700")},
	} {
		t.Run(name, func(t *testing.T) {
			c.on(t).mustError("POST", "/file-links", body, http.StatusBadRequest, "invalid_parameter", "expiresTime")
		})
	}
	c.mustError("POST", "/file-links", map[string]any{"fileId": fileID}, http.StatusBadRequest, "missing_parameter", "expiresTime")

	// A link an hour ahead (written with DR's +0000 offset and milliseconds).
	expires := now.Add(time.Hour).Truncate(time.Millisecond)
	var l fileLink
	raw := c.must("POST", "/file-links", map[string]any{"fileId": fileID, "expiresTime": expires.Format("2006-01-02T15:04:05.000-0700"), "metadata": map[string]any{"mail": "m1"}}, http.StatusCreated, &l)
	if _, err := uuid.Parse(l.ID); err != nil || l.FileID != fileID || !l.ExpiresTime.Equal(expires) || l.Expired ||
		l.URL != e.url+"/links/"+l.ID || l.LiveMode || l.CreatedTime.IsZero() {
		t.Fatalf("file link %s", raw)
	}
	var created fileLink
	evs := c.events("?type=fileLink.created").Data
	if len(evs) != 1 {
		t.Fatalf("%d fileLink.created events, want 1", len(evs))
	}
	evs[0].object(t, &created)
	if created != l {
		t.Fatalf("fileLink.created carries %+v, want %+v", created, l)
	}
	var f file
	c.must("GET", "/files/"+fileID, nil, http.StatusOK, &f)
	if len(f.Links) != 1 || f.Links[0] != l {
		t.Fatalf("file links[] %+v, want [%+v]", f.Links, l)
	}

	// The url needs no key.
	resp, body := get(t, l.URL, "")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" || !bytes.Equal(body, content) {
		t.Fatalf("GET link url: %d %s, %d bytes; want 200 application/pdf and the invoice's %d bytes",
			resp.StatusCode, resp.Header.Get("Content-Type"), len(body), len(content))
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, "invoice-"+o.ID+".pdf") {
		t.Fatalf("Content-Disposition %q, want the file name", cd)
	}
	second := fileLink{}
	c.must("POST", "/file-links", map[string]any{"fileId": fileID, "expiresTime": now.Add(72 * time.Hour).Format(time.RFC3339)}, http.StatusCreated, &second)
	countLinks := func(query string) int {
		var p page[fileLink]
		c.must("GET", "/file-links"+query, nil, http.StatusOK, &p)
		return len(p.Data)
	}
	for query, n := range map[string]int{"": 2, "?fileId=" + fileID: 2, "?fileId=nope": 0, "?expired=false": 2, "?expired=true": 0, "?ids=" + l.ID: 1} {
		if got := countLinks(query); got != n {
			t.Fatalf("GET /file-links%s: %d, want %d", query, got, n)
		}
	}

	// Two hours later on the virtual clock the first link is refused.
	c.advance("2h")
	resp, body = get(t, l.URL, "")
	var gone drError
	if resp.StatusCode != http.StatusGone || json.Unmarshal(body, &gone) != nil || gone.Type != "gone" ||
		len(gone.Errors) != 1 || gone.Errors[0].Code != "link_expired" || gone.Errors[0].Message == "" {
		t.Fatalf("expired link: %d %s, want 410 {type: gone, errors: [{code: link_expired, …}]}", resp.StatusCode, body)
	}
	if resp, _ := get(t, second.URL, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("the 72-hour link: %d, want 200", resp.StatusCode)
	}
	c.must("GET", "/file-links/"+l.ID, nil, http.StatusOK, &l)
	if !l.Expired {
		t.Fatal("GET /file-links/{id} after expiry: expired false")
	}
	c.must("GET", "/files/"+fileID, nil, http.StatusOK, &f)
	if len(f.Links) != 2 || f.Links[0].ID != l.ID || !f.Links[0].Expired || f.Links[1].Expired {
		t.Fatalf("file links[] after expiry %+v", f.Links)
	}
	if got := countLinks("?expired=true"); got != 1 {
		t.Fatalf("GET /file-links?expired=true: %d, want 1", got)
	}

	// A new expiresTime revives it; one in the past is refused.
	c.mustError("POST", "/file-links/"+l.ID, map[string]any{"expiresTime": c.now().Add(-time.Second).Format(time.RFC3339Nano)}, http.StatusBadRequest, "invalid_parameter", "expiresTime")
	c.must("POST", "/file-links/"+l.ID, map[string]any{"expiresTime": c.now().Add(time.Hour).Format(time.RFC3339)}, http.StatusOK, &l)
	if l.Expired {
		t.Fatal("updated link still expired")
	}
	if resp, _ := get(t, l.URL, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("revived link: %d, want 200", resp.StatusCode)
	}

	// Deleting a link ends it; deleting the file ends the rest.
	if status, body := c.do("DELETE", "/file-links/"+l.ID, nil); status != http.StatusNoContent || len(body) != 0 {
		t.Fatalf("DELETE /file-links/{id}: %d %q", status, body)
	}
	if resp, _ := get(t, l.URL, ""); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("deleted link: %d, want 404", resp.StatusCode)
	}
	c.must("GET", "/files/"+fileID, nil, http.StatusOK, &f)
	if len(f.Links) != 1 || f.Links[0].ID != second.ID {
		t.Fatalf("file links[] after deleting one: %+v", f.Links)
	}
	if status, _ := c.do("DELETE", "/files/"+fileID, nil); status != http.StatusNoContent {
		t.Fatalf("DELETE /files/{id}: %d", status)
	}
	if resp, _ := get(t, second.URL, ""); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("link of a deleted file: %d, want 404", resp.StatusCode)
	}
	c.mustError("GET", "/files/"+fileID, nil, http.StatusNotFound, "not_found", "id")
	if status, _ := e.as("").do("POST", "/links/"+second.ID, nil); status != http.StatusMethodNotAllowed {
		t.Fatalf("POST on a link url: %d, want 405", status)
	}

	// The merchant's link calls are in its request log; the downloads are not.
	var log page[struct {
		Method string `json:"method"`
		Path   string `json:"path"`
		Status int    `json:"status"`
	}]
	c.must("GET", "/_sim/requests", nil, http.StatusOK, &log)
	posts := 0
	for _, r := range log.Data {
		if strings.HasPrefix(r.Path, "/links/") {
			t.Fatalf("a link download is in the account's request log: %+v", r)
		}
		if r.Method == "POST" && r.Path == "/file-links" && r.Status == http.StatusCreated {
			posts++
		}
	}
	if posts != 2 {
		t.Fatalf("request log has %d successful POST /file-links, want 2", posts)
	}
	types := map[string]int{}
	for _, ev := range c.events("?type=fileLink.*&limit=100").Data {
		types[ev.Type]++
	}
	if !reflect.DeepEqual(types, map[string]int{"fileLink.created": 2, "fileLink.updated": 1, "fileLink.deleted": 1}) {
		t.Fatalf("fileLink events %v", types)
	}
}

func TestLinksOfOneAccountFollowItsClock(t *testing.T) {
	e := newEnv(t, 0)
	c1, c2 := e.newAccount().secret, e.newAccount().secret
	o1, _ := acceptedWithInvoice(t, c1, "Widget")
	o2, _ := acceptedWithInvoice(t, c2, "Gadget")
	var l1, l2 fileLink
	c1.must("POST", "/file-links", map[string]any{"fileId": o1.InvoicePDFs[0].ID, "expiresTime": c1.now().Add(time.Hour).Format(time.RFC3339)}, http.StatusCreated, &l1)
	c2.must("POST", "/file-links", map[string]any{"fileId": o2.InvoicePDFs[0].ID, "expiresTime": c2.now().Add(time.Hour).Format(time.RFC3339)}, http.StatusCreated, &l2)
	c1.advance("90m")
	if resp, _ := get(t, l1.URL, ""); resp.StatusCode != http.StatusGone {
		t.Fatalf("account 1's link after its clock moved: %d, want 410", resp.StatusCode)
	}
	if resp, body := get(t, l2.URL, ""); resp.StatusCode != http.StatusOK || !strings.Contains(pdfText(t, body), o2.ID) {
		t.Fatalf("account 2's link: %d, want 200 and its own invoice", resp.StatusCode)
	}
	// One account cannot see another's files or links.
	c2.mustError("GET", "/files/"+o1.InvoicePDFs[0].ID, nil, http.StatusNotFound, "not_found", "id")
	c2.mustError("POST", "/file-links", map[string]any{"fileId": o1.InvoicePDFs[0].ID, "expiresTime": "2099-01-01T00:00:00Z"}, http.StatusNotFound, "not_found", "id")
	c2.mustError("GET", "/file-links/"+l1.ID, nil, http.StatusNotFound, "not_found", "id")
}

// upload sends POST /files as multipart/form-data: fields in order, then
// the file part when content is not nil.
func (c client) upload(fields [][2]string, partName string, content []byte) (int, []byte) {
	c.e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range fields {
		if err := mw.WriteField(f[0], f[1]); err != nil {
			c.e.t.Fatal(err)
		}
	}
	if content != nil {
		w, err := mw.CreateFormFile("file", partName)
		if err != nil {
			c.e.t.Fatal(err)
		}
		_, _ = w.Write(content)
	}
	if err := mw.Close(); err != nil {
		c.e.t.Fatal(err)
	}
	req, err := http.NewRequest("POST", c.e.url+"/files", &buf)
	if err != nil {
		c.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", c.auth)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.e.t.Fatalf("POST /files: %v", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	return resp.StatusCode, raw
}

func TestUploadChecksThePurpose(t *testing.T) {
	e := newEnv(t, 0)
	acct := e.newAccount()
	c := acct.secret
	doc := []byte("%PDF-1.4\n% a customer's tax certificate\n%%EOF\n")
	purpose := [2]string{"purpose", "tax_document_customer_upload"}

	var f file
	status, raw := c.upload([][2]string{purpose, {"title", "VAT exemption"}}, "exemption.pdf", doc)
	if status != http.StatusCreated {
		t.Fatalf("POST /files: %d %s, want 201", status, raw)
	}
	strictly(t, raw, &f)
	if _, err := uuid.Parse(f.ID); err != nil || f.Purpose != "tax_document_customer_upload" || f.FileName != "exemption.pdf" ||
		f.Title != "VAT exemption" || f.Type != "pdf" || f.Size != len(doc) || f.URL != e.url+"/files/"+f.ID+"/content" || f.Links != nil {
		t.Fatalf("uploaded file %s", raw)
	}
	resp, body := get(t, f.URL, "Bearer "+acct.keys.SecretKey)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" || !bytes.Equal(body, doc) {
		t.Fatalf("uploaded content: %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}

	// fileName wins over the part's name; the type follows the name.
	status, raw = c.upload([][2]string{purpose, {"fileName", "scan.png"}}, "IMG_0001", []byte("\x89PNG\r\n\x1a\nrest"))
	var png file
	if status != http.StatusCreated || json.Unmarshal(raw, &png) != nil || png.FileName != "scan.png" || png.Type != "png" || png.Title != "" {
		t.Fatalf("upload with fileName: %d %s", status, raw)
	}
	if resp, _ := get(t, png.URL, "Bearer "+acct.keys.SecretKey); resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("png content type %q", resp.Header.Get("Content-Type"))
	}

	refusals := []struct {
		name   string
		fields [][2]string
		part   []byte
		code   string
		param  string
	}{
		{"purpose customer_invoice", [][2]string{{"purpose", "customer_invoice"}}, doc, "invalid_parameter", "purpose"},
		{"purpose customer_credit_memo", [][2]string{{"purpose", "customer_credit_memo"}}, doc, "invalid_parameter", "purpose"},
		{"purpose unknown", [][2]string{{"purpose", "selfie"}}, doc, "invalid_parameter", "purpose"},
		{"no purpose", nil, doc, "missing_parameter", "purpose"},
		{"no file", [][2]string{purpose}, nil, "missing_parameter", "file"},
		{"empty file", [][2]string{purpose}, []byte{}, "missing_parameter", "file"},
		{"unknown field", [][2]string{purpose, {"colour", "red"}}, doc, "invalid_parameter", "colour"},
		{"purpose twice", [][2]string{purpose, purpose}, doc, "invalid_parameter", "purpose"},
	}
	for _, r := range refusals {
		t.Run(r.name, func(t *testing.T) {
			status, raw := c.on(t).upload(r.fields, "x.pdf", r.part)
			e, problem := parseError(status, raw)
			if status != http.StatusBadRequest || problem != "" || e.Errors[0].Code != r.code || e.Errors[0].Parameter != r.param {
				t.Fatalf("%d %s, want 400 %s (%s)", status, raw, r.code, r.param)
			}
		})
	}
	if status, _ := acct.public.upload([][2]string{purpose}, "x.pdf", doc); status != http.StatusUnauthorized {
		t.Fatalf("upload with the public key: %d, want 401", status)
	}

	// Only the two good uploads exist; lists paginate; delete is 204.
	var p page[file]
	c.must("GET", "/files?limit=1", nil, http.StatusOK, &p)
	if len(p.Data) != 1 || !p.HasMore || p.Data[0].ID != png.ID {
		t.Fatalf("GET /files?limit=1: %+v hasMore %v, want the newest (%s) and more", p.Data, p.HasMore, png.ID)
	}
	c.must("GET", "/files?startingAfter="+png.ID, nil, http.StatusOK, &p)
	if len(p.Data) != 1 || p.HasMore || p.Data[0].ID != f.ID {
		t.Fatalf("GET /files?startingAfter: %+v", p.Data)
	}
	c.must("GET", "/files?purpose=tax_document_customer_upload", nil, http.StatusOK, &p)
	if len(p.Data) != 2 {
		t.Fatalf("GET /files?purpose=tax_document_customer_upload: %d files, want 2", len(p.Data))
	}
	if status, body := c.do("DELETE", "/files/"+f.ID, nil); status != http.StatusNoContent || len(body) != 0 {
		t.Fatalf("DELETE /files/{id}: %d %q", status, body)
	}
	c.mustError("GET", "/files/"+f.ID+"/content", nil, http.StatusNotFound, "not_found", "id")
}

// TestSavePaymentMethodOutsideCheckout is the customer portal's "save a
// payment method" (docs/notifications.md#customer-portal-checklist-items item 2) end to end: the browser creates a
// source with the public key, the merchant's back end attaches it with the
// secret key, and the request log proves both calls.
func TestSavePaymentMethodOutsideCheckout(t *testing.T) {
	e := newEnv(t, 0)
	acct := e.newAccount()
	c := acct.secret
	cust := c.createCustomer("sam@example.test")
	other := c.createCustomer("ola@example.test")

	s := acct.public.createCard("4444222233331111")
	if s.State != "chargeable" || s.Reusable || s.CustomerID != "" {
		t.Fatalf("public-key source %+v, want chargeable, not reusable, no customer", s)
	}
	var att source
	c.must("POST", "/customers/"+cust+"/sources/"+s.ID, nil, http.StatusOK, &att)
	if !att.Reusable || att.CustomerID != cust || att.State != "chargeable" {
		t.Fatalf("attached source %+v", att)
	}
	cu := c.getCustomer(cust)
	if cu.DefaultSourceID != s.ID || len(cu.Sources) != 1 || cu.Sources[0].ID != s.ID || !cu.Sources[0].Reusable {
		t.Fatalf("customer after attach %+v", cu)
	}
	var ev source
	created := c.events("?type=customer.source.created").Data
	if len(created) != 1 {
		t.Fatalf("%d customer.source.created events, want 1", len(created))
	}
	created[0].object(t, &ev)
	if ev.ID != s.ID || ev.CustomerID != cust || !ev.Reusable {
		t.Fatalf("customer.source.created carries %+v", ev)
	}

	// DR's 409s: in use by another customer; not chargeable (failed card,
	// or detached). nonreusable_source needs a source type POST /sources
	// cannot make; the state package's tests cover it.
	c.mustError("POST", "/customers/"+other+"/sources/"+s.ID, nil, http.StatusConflict, "source_in_use", "")
	failed := acct.public.createCard("4000000000003295")
	c.mustError("POST", "/customers/"+other+"/sources/"+failed.ID, nil, http.StatusConflict, "source_not_chargeable", "")
	if status, _ := c.do("DELETE", "/customers/"+cust+"/sources/"+s.ID, nil); status != http.StatusNoContent {
		t.Fatalf("detach: %d", status)
	}
	c.mustError("POST", "/customers/"+cust+"/sources/"+s.ID, nil, http.StatusConflict, "source_not_chargeable", "")
	if got := c.events("?type=customer.source.deleted").Data; len(got) != 1 {
		t.Fatalf("%d customer.source.deleted events, want 1", len(got))
	}
	if cu := c.getCustomer(cust); len(cu.Sources) != 0 || cu.DefaultSourceID != "" {
		t.Fatalf("customer after detach %+v", cu)
	}

	// The request log: the public key's POST /sources, the secret key's attach.
	var log page[struct {
		Method string `json:"method"`
		Path   string `json:"path"`
		Status int    `json:"status"`
		Public bool   `json:"publicKey"`
	}]
	c.must("GET", "/_sim/requests", nil, http.StatusOK, &log)
	var got []string
	for _, r := range log.Data {
		if strings.Contains(r.Path, "/sources") {
			who := "secret"
			if r.Public {
				who = "public"
			}
			got = append(got, who+" "+r.Method+" "+strings.NewReplacer(cust, "{cust}", other, "{other}", s.ID, "{src}", failed.ID, "{failed}").Replace(r.Path)+" "+itoa(r.Status))
		}
	}
	want := []string{
		"public POST /sources 201", "secret POST /customers/{cust}/sources/{src} 200",
		"secret POST /customers/{other}/sources/{src} 409", "public POST /sources 201",
		"secret POST /customers/{other}/sources/{failed} 409", "secret DELETE /customers/{cust}/sources/{src} 204",
		"secret POST /customers/{cust}/sources/{src} 409",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("request log\n got %v\nwant %v", got, want)
	}
}

func TestUploadedHTMLIsNeverRendered(t *testing.T) {
	e := newEnv(t, 0)
	acct := e.newAccount()
	c := acct.secret
	purpose := [2]string{"purpose", "tax_document_customer_upload"}
	// An uploaded HTML page is never rendered on the simulator's origin:
	// an attachment, not sniffed, sandboxed.
	status, raw := c.upload([][2]string{purpose, {"fileName", "page.html"}}, "page.html", []byte("<script>alert(1)</script>"))
	var html file
	if status != http.StatusCreated || json.Unmarshal(raw, &html) != nil {
		t.Fatalf("upload of page.html: %d %s", status, raw)
	}
	resp, _ := get(t, html.URL, "Bearer "+acct.keys.SecretKey)
	if ct, cd := resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"); ct != "application/octet-stream" || !strings.HasPrefix(cd, "attachment") ||
		resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Content-Security-Policy") != "sandbox" {
		t.Fatalf("page.html served as %q, %q, nosniff %q, CSP %q; want an octet-stream attachment, nosniff, sandbox", ct, cd, resp.Header.Get("X-Content-Type-Options"), resp.Header.Get("Content-Security-Policy"))
	}

}
