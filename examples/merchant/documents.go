package merchant

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/drsim/drsim/simulator/client"
)

// Invoices and credit memos. DR generates the PDFs and announces each with
// order.invoice.created or order.credit_memo.created. The File's own URL
// (the event's invoiceURL, the order's invoicePDFs[].url) needs the secret
// key, so customers get a file link instead: POST /file-links makes a
// public URL that works until it expires (docs/dr-api.md#filelink, docs/notifications.md#customer-portal-checklist-items).

// documentObject is data.object of order.invoice.created and
// order.credit_memo.created (docs/events.md#invoice-and-credit-memo-file-events).
type documentObject struct {
	ID         string `json:"id"`     // the File id
	FileID     string `json:"fileId"` // the same
	OrderID    string `json:"orderId"`
	CustomerID string `json:"customerId"`
	Purpose    string `json:"purpose"` // customer_invoice or customer_credit_memo
	// InvoiceURL (…/files/{id}/content, in both events) needs the secret key
	// and is never shown to customers (but by the email-invoice-url defect).
	InvoiceURL string `json:"invoiceURL"`
}

// documentKind is an invoice or a credit memo.
type documentKind struct {
	Name  string // as sentences name it: "invoice", "credit memo"
	Label string // the portal's link text: "Invoice", "Credit memo"
	Attr  string // the portal link's data-document: "invoice", "credit-memo"
}

var (
	invoiceDoc    = documentKind{"invoice", "Invoice", "invoice"}
	creditMemoDoc = documentKind{"credit memo", "Credit memo", "credit-memo"}
)

func (s *Server) handleInvoiceCreated(ev event) (work, error) {
	return s.handleDocumentCreated(ev, invoiceDoc)
}

func (s *Server) handleCreditMemoCreated(ev event) (work, error) {
	return s.handleDocumentCreated(ev, creditMemoDoc)
}

// handleDocumentCreated emails the customer a file link to the new invoice
// or credit memo. The order tells the address; the link is remembered for
// the portal's order page.
func (s *Server) handleDocumentCreated(ev event, kind documentKind) (work, error) {
	var d documentObject
	if err := json.Unmarshal(ev.Data.Object, &d); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", errBadPayload, kind.Name, err)
	}
	fileID := cmp.Or(d.FileID, d.ID)
	if fileID == "" || d.OrderID == "" {
		return nil, fmt.Errorf("%w: %s without fileId or orderId", errBadPayload, kind.Name)
	}
	if kind == creditMemoDoc && s.defects.has(DefectNoCreditMemoLink) {
		s.log.Warn("documents: DEFECT no-credit-memo-link: credit memo not emailed", "order", d.OrderID, "file", fileID)
		return nil, nil
	}
	return func(ctx context.Context) error {
		return s.documentEmail(ctx, ev, kind, d, fileID)
	}, nil
}

// documentEmail finds who gets the document, makes or reuses its file link
// and sends the email.
func (s *Server) documentEmail(ctx context.Context, ev event, kind documentKind, d documentObject, fileID string) error {
	o, err := s.getOrder(ctx, d.OrderID)
	if err != nil {
		return fmt.Errorf("order %s: who gets the %s? %w", d.OrderID, kind.Name, err)
	}
	o.ID = cmp.Or(o.ID, d.OrderID)
	to, err := o.recipient()
	if err != nil {
		return err
	}

	view := documentView{ShopName: s.cfg.ShopName, OrderID: d.OrderID, Document: kind.Name}
	if kind == invoiceDoc && s.defects.has(DefectEmailInvoiceURL) {
		s.log.Warn("documents: DEFECT email-invoice-url: secret-key URL emailed", "order", d.OrderID, "file", fileID)
		view.URL = cmp.Or(d.InvoiceURL, s.dr.BaseURL()+"/files/"+url.PathEscape(fileID)+"/content")
	} else {
		// DR's clock may be ahead of ours (drsim's virtual clock is): a
		// link must not have expired for DR the moment it is made.
		link, err := s.fileLinkFor(ctx, fileID, ev.CreatedTime)
		if err != nil {
			return fmt.Errorf("order %s: %s %s: file link: %w", d.OrderID, kind.Name, fileID, err)
		}
		view.URL, view.Expires = link.URL, link.Expires.UTC().Format(customerDate)
	}
	subject := "Your " + kind.Name + " for order " + d.OrderID
	if err := s.notify(ctx, to, subject, documentEmail, view); err != nil {
		return fmt.Errorf("order %s: %s email: %w", d.OrderID, kind.Name, err)
	}
	return nil
}

// documentView is what the invoice and credit memo emails show.
type documentView struct {
	ShopName, OrderID string
	Document          string // "invoice" or "credit memo"
	URL               string // the file link
	Expires           string // when it stops working, e.g. 22 December 2026
}

var documentEmail = parseEmailTemplate("document")

// linkMinValidity is how long a known file link must still work to be
// given out again; one that expires sooner is replaced by a new one.
const linkMinValidity = 24 * time.Hour

// fileLinkFor returns a file link to the file that stays valid for a while
// yet: the one remembered, else one DR already has (GET /file-links), else
// a new one valid for Config.FileLinkTTL (POST /file-links). Validity counts
// from now, or from notBefore (a time DR gave) if that is later.
func (s *Server) fileLinkFor(ctx context.Context, fileID string, notBefore time.Time) (storedLink, error) {
	now := s.cfg.Now()
	if notBefore.After(now) {
		now = notBefore
	}
	// With a TTL of a day or less, "a day" would never be met.
	needed := now.Add(min(linkMinValidity, s.cfg.FileLinkTTL/2))
	if l, ok := s.links.get(fileID); ok && l.Expires.After(needed) {
		return l, nil
	}

	// Links survive the merchant's restarts at DR: reuse one that lasts.
	known, err := s.dr.FileLinks(ctx, client.ListParams{Limit: maxListLimit, Filters: url.Values{"fileId": {fileID}}})
	if err != nil {
		s.log.Warn("file links: cannot list DR's; creating one", "file", fileID, "err", err)
	} else {
		var best storedLink
		for _, fl := range known.Data {
			if fl.FileID != fileID || fl.Expired || fl.URL == "" || !fl.ExpiresTime.After(needed) {
				continue
			}
			if fl.ExpiresTime.After(best.Expires) {
				best = storedLink{URL: fl.URL, Expires: fl.ExpiresTime}
			}
		}
		if best.URL != "" {
			return s.links.put(fileID, best), nil
		}
	}

	asked := now.Add(s.cfg.FileLinkTTL)
	fl, err := s.dr.CreateFileLink(ctx, client.FileLinkParams{FileID: fileID, ExpiresTime: asked.UTC().Format(time.RFC3339)})
	if err == nil && fl.URL == "" {
		err = fmt.Errorf("POST /file-links: the answer has no url (link %q)", fl.ID)
	}
	if err != nil {
		return storedLink{}, err
	}
	expires := fl.ExpiresTime
	if expires.IsZero() {
		expires = asked
	}
	s.log.Info("file link created", "file", fileID, "link", fl.ID, "expires", expires)
	return s.links.put(fileID, storedLink{URL: fl.URL, Expires: expires}), nil
}

// storedLink is a file link's public URL and expiry.
type storedLink struct {
	URL     string
	Expires time.Time
}

// linkStore remembers a file link per file, so the email and the order
// page show the same link and a retried event makes no second one.
//
// It lives in memory, like eventLog; a production merchant keeps it in its
// database with the order.
type linkStore struct {
	mu     sync.Mutex
	byFile map[string]storedLink
}

func newLinkStore() *linkStore { return &linkStore{byFile: map[string]storedLink{}} }

func (l *linkStore) get(fileID string) (storedLink, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	link, ok := l.byFile[fileID]
	return link, ok
}

// put remembers link unless the file has one that lasts longer, and
// returns the one remembered.
func (l *linkStore) put(fileID string, link storedLink) storedLink {
	l.mu.Lock()
	defer l.mu.Unlock()
	if old, ok := l.byFile[fileID]; ok && old.Expires.After(link.Expires) {
		return old
	}
	l.byFile[fileID] = link
	return link
}
