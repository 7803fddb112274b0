package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/ledongthuc/pdf"

	"github.com/drsim/drsim/harness/catalogue"

	"github.com/drsim/drsim/simulator/client"
)

// fileLinks lists the file links of a file.
func (s *Scenario) fileLinks(ctx context.Context, fileID string) ([]client.FileLink, error) {
	page, err := s.h.dr.FileLinks(ctx, client.ListParams{Limit: 100, Filters: url.Values{"fileId": {fileID}}})
	if err != nil {
		return nil, fmt.Errorf("list the file links of file %s: %w", fileID, err)
	}
	return page.Data, nil
}

// linkedFileLink finds, among links, one that is a file link of fileID.
func (s *Scenario) linkedFileLink(ctx context.Context, fileID string, links []string) (*client.FileLink, error) {
	fls, err := s.fileLinks(ctx, fileID)
	if err != nil {
		return nil, err
	}
	for _, l := range links {
		for i := range fls {
			if fls[i].URL == l {
				return &fls[i], nil
			}
		}
	}
	if len(fls) == 0 {
		return nil, fmt.Errorf("the merchant created no file link for file %s (POST /file-links)", fileID)
	}
	return nil, fmt.Errorf("none of the links (%s) is a file link of file %s (known: %s)", strings.Join(links, ", "), fileID, fls[0].URL)
}

// linkedFiles says which other files the file links among links lead to
// ("; its file link … leads to file … (customer_invoice), not to file …"),
// or "": an email that links the wrong document (the invoice in the
// credit memo's email) is told so, not only that the right link is
// missing.
func (s *Scenario) linkedFiles(ctx context.Context, links []string, want string) string {
	var out []string
	for _, l := range links {
		u, err := url.Parse(l)
		if err != nil {
			continue
		}
		if f, ok := strings.CutPrefix(u.Path, "/files/"); ok && strings.HasSuffix(f, "/content") {
			out = append(out, fmt.Sprintf("its link %s is Digital River's secret-key file URL (the event's invoiceURL), which a customer cannot open: email a file link (POST /file-links) instead", l))
			continue
		}
		id, ok := strings.CutPrefix(u.Path, "/links/")
		if !ok || id == "" || strings.Contains(id, "/") {
			continue
		}
		fl, err := s.h.dr.FileLink(ctx, id)
		if err != nil || fl.FileID == want {
			continue
		}
		what := fl.FileID
		if f, err := s.h.dr.File(ctx, fl.FileID); err == nil && f.Purpose != "" {
			what += " (" + f.Purpose + ")"
		}
		out = append(out, fmt.Sprintf("its file link %s leads to file %s", l, what))
	}
	if len(out) == 0 {
		return ""
	}
	return "; " + strings.Join(out, "; ") + " (the email must link a file link of file " + want + ")"
}

// download fetches a file link's url without any key, as a customer's browser does.
func download(ctx context.Context, u string) (status int, body []byte, contentType string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, nil, "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, "", fmt.Errorf("download %s: %w", u, err)
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	return resp.StatusCode, body, resp.Header.Get("Content-Type"), err
}

// PDFText extracts the text of a PDF.
func PDFText(b []byte) (string, error) {
	r, err := pdf.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return "", fmt.Errorf("read PDF: %w", err)
	}
	t, err := r.GetPlainText()
	if err != nil {
		return "", fmt.Errorf("extract PDF text: %w", err)
	}
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, t); err != nil {
		return "", fmt.Errorf("extract PDF text: %w", err)
	}
	return buf.String(), nil
}

// documentView is what a notification's document section reads: the trigger
// object and the order it is about.
func (s *Scenario) documentView(ctx context.Context, obj map[string]any) (map[string]any, error) {
	view := map[string]any{"object": obj}
	orderID, _ := obj["orderId"].(string)
	if orderID == "" {
		orderID, _ = obj["id"].(string)
	}
	if orderID != "" {
		order, err := s.orderObject(ctx, orderID)
		if err != nil {
			return nil, err
		}
		view["order"] = order
	}
	return view, nil
}

// checkDocument verifies that links include a working file link of the
// document's file, and that the PDF it serves shows the document's values.
func (s *Scenario) checkDocument(ctx context.Context, d *catalogue.Document, obj map[string]any, links []string) (*client.FileLink, error) {
	view, err := s.documentView(ctx, obj)
	if err != nil {
		return nil, err
	}
	fileID, err := catalogue.LookupString(view, d.FileID)
	if err != nil {
		return nil, fmt.Errorf("document file id: %w", err)
	}
	fl, err := s.linkedFileLink(ctx, fileID, links)
	if err != nil {
		return nil, err
	}
	status, body, ctype, err := download(ctx, fl.URL)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK || !bytes.HasPrefix(body, []byte("%PDF")) {
		return nil, fmt.Errorf("file link %s answered %d (%s), want 200 and a PDF", fl.URL, status, ctype)
	}
	text, err := PDFText(body)
	if err != nil {
		return nil, fmt.Errorf("file link %s: %w", fl.URL, err)
	}
	check := &catalogue.Notification{Name: "document", Currency: d.Currency, Attributes: d.Contains}
	if err := check.Check(view, catalogue.Email{Body: text}).Err(); err != nil {
		return nil, fmt.Errorf("the PDF behind %s: %w; its text was:\n%s", fl.URL, err, indent(text, "in the PDF at "+fl.URL))
	}
	return fl, nil
}

// orderObject reads an order as the catalogue's paths see it: decoded JSON.
func (s *Scenario) orderObject(ctx context.Context, id string) (map[string]any, error) {
	o, err := s.h.dr.Order(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("read order %s: %w", id, err)
	}
	return asMap(o)
}

// asMap turns a wire type into decoded JSON, for checks by path.
func asMap(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %T: %w", v, err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("decode %T: %w", v, err)
	}
	return m, nil
}
