package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/html"

	"github.com/drsim/drsim/harness/profile"

	"github.com/drsim/drsim/simulator/client"
)

// portalPage is a merchant portal page the scenario opened.
type portalPage struct {
	HTML  string
	Links []string // href targets, resolved against the merchant URL
}

func parsePage(base string, body []byte) (*portalPage, error) {
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("parse the portal page: %w", err)
	}
	b, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	p := &portalPage{HTML: string(body)}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "a" {
			for _, a := range n.Attr {
				if a.Key == "href" {
					if u, err := b.Parse(strings.TrimSpace(a.Val)); err == nil {
						p.Links = append(p.Links, u.String())
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return p, nil
}

// OpenOrderPage logs the customer in to the merchant's portal and opens the
// current order's page.
func (s *Scenario) OpenOrderPage(ctx context.Context, customerName string) error {
	if err := s.isOrderCustomer(customerName); err != nil {
		return err
	}
	d, err := s.actionData(nil)
	if err != nil {
		return err
	}
	body, err := s.perform(ctx, "orderPage", d)
	if err != nil {
		return err
	}
	page, err := parsePage(s.h.cfg.Profile.Merchant.URL, body)
	if err != nil {
		return err
	}
	s.page = page
	return nil
}

// ExpectPageDocument checks that the last opened page links to a working
// file link of the order's invoice ("invoice") or newest credit memo
// ("credit memo"), whose PDF shows the order id.
func (s *Scenario) ExpectPageDocument(ctx context.Context, kind string) error {
	page := s.page
	if page == nil {
		return fmt.Errorf("no portal page opened yet; add a step like `When Alice opens the order page in the portal`")
	}
	o, err := s.currentOrder()
	if err != nil {
		return err
	}
	order, err := s.h.dr.Order(ctx, o.ID)
	if err != nil {
		return err
	}
	files := order.InvoicePDFs
	if kind == "credit memo" {
		files = order.CreditMemoPDFs
	}
	if len(files) == 0 {
		return fmt.Errorf("order %s has no %s yet in Digital River", o.ID, kind)
	}
	fileID := files[len(files)-1].ID
	fl, err := s.linkedFileLink(ctx, fileID, page.Links)
	if err != nil {
		return fmt.Errorf("the order page: %s: %w", kind, err)
	}
	status, body, _, err := download(ctx, fl.URL)
	if err != nil {
		return err
	}
	if status != http.StatusOK || !bytes.HasPrefix(body, []byte("%PDF")) {
		return fmt.Errorf("the order page's %s link %s answered %d, want 200 and a PDF", kind, fl.URL, status)
	}
	text, err := PDFText(body)
	if err != nil {
		return err
	}
	if !strings.Contains(text, o.ID) {
		return fmt.Errorf("the %s behind %s does not show order %s; its text was:\n%s", kind, fl.URL, o.ID, indent(text, "in the PDF at "+fl.URL))
	}
	s.lastLink = fl
	return nil
}

// ExpectOrderPageRefused checks that another customer of the scenario
// (intruder), signed in to the portal, cannot get the documents of owner's
// order: the order's
// page (the orderPage action with the order's id) opened in intruder's
// session must be refused (a status outside the action's accept list, or
// 401/403 or the login page even after signing in) or link no file link of
// the order's invoices and credit memos. The order must have a document in
// Digital River by then, or there would be nothing to leak.
func (s *Scenario) ExpectOrderPageRefused(ctx context.Context, intruder, owner string) error {
	if err := s.isOrderCustomer(owner); err != nil {
		return err
	}
	o, err := s.currentOrder()
	if err != nil {
		return err
	}
	if o.Customer.Name == intruder {
		return fmt.Errorf("the order belongs to %s: name another customer of the scenario (`Given a customer \"Bob\"`)", intruder)
	}
	c, err := s.customer(intruder)
	if err != nil {
		return err
	}
	order, err := s.h.dr.Order(ctx, o.ID)
	if err != nil {
		return err
	}
	var files []string
	for _, f := range append(slices.Clone(order.InvoicePDFs), order.CreditMemoPDFs...) {
		files = append(files, f.ID)
	}
	if len(files) == 0 {
		return fmt.Errorf("order %s has no invoice or credit memo in Digital River yet, so its page has nothing to leak: check this after one (`Then %s receives an invoice email with every required attribute`)", o.ID, o.Customer.Name)
	}
	d, err := s.actionData(nil)
	if err != nil {
		return err
	}
	d.Customer = profile.ActionCustomer{Name: c.Name, Email: c.Email, ID: c.ID}
	body, err := s.perform(ctx, "orderPage", d)
	var refused *refusedAnswer
	var out *signedOut
	switch {
	case errors.As(err, &refused), errors.As(err, &out):
		return nil
	case err != nil:
		return err
	}
	page, err := parsePage(s.h.cfg.Profile.Merchant.URL, body)
	if err != nil {
		return err
	}
	for _, id := range files {
		fls, err := s.fileLinks(ctx, id)
		if err != nil {
			return err
		}
		for _, fl := range fls {
			if slices.Contains(page.Links, fl.URL) {
				return fmt.Errorf("%s, signed in to the portal, opened the page of %s's order %s and it links %s, a file link of that order's document %s: the portal must show a customer only the customer's own orders (compare the order's customerId with the signed-in customer's, and answer as for an order that does not exist)", intruder, o.Customer.Name, o.ID, fl.URL, id)
			}
		}
	}
	return nil
}

// ExpectNoSecretURL checks that no email to the customer and no opened page
// shows a secret-key file URL (…/files/{id}/content) or an invoiceURL.
func (s *Scenario) ExpectNoSecretURL(ctx context.Context, customerName string) error {
	c, err := s.customer(customerName)
	if err != nil {
		return err
	}
	msgs, err := s.h.cfg.Mailbox.Messages(ctx, c.Email)
	if err != nil {
		return err
	}
	leak := func(text string) string {
		i := strings.Index(text, "/files/")
		if i < 0 || !strings.Contains(text[i:min(len(text), i+80)], "/content") {
			return ""
		}
		return text[max(0, i-40):min(len(text), i+80)]
	}
	for _, m := range msgs {
		if l := leak(m.Raw); l != "" {
			return fmt.Errorf("the email %q to %s shows a secret-key file URL: …%s…", m.Subject, c.Email, l)
		}
	}
	page := s.page
	if page != nil {
		if l := leak(page.HTML); l != "" {
			return fmt.Errorf("the portal page shows a secret-key file URL: …%s…", l)
		}
	}
	return nil
}

// ExpireLastLink moves the scenario's test clock past the expiry of the
// last document link checked (links of its customers expire on it).
func (s *Scenario) ExpireLastLink(ctx context.Context) error {
	fl := s.lastLink
	if fl == nil {
		return fmt.Errorf("no document link checked yet in this scenario")
	}
	cur, err := s.h.dr.FileLink(ctx, fl.ID)
	if err != nil {
		return err
	}
	id, err := s.testClock(ctx)
	if err != nil {
		return err
	}
	clock, err := s.h.dr.TestClock(ctx, id)
	if err != nil {
		return fmt.Errorf("read the scenario's test clock: %w", err)
	}
	if life := cur.ExpiresTime.Sub(clock.FrozenTime); life > maxLinkWait {
		return fmt.Errorf("the document link %s expires %s, %d days from the scenario's clock: longer than a test can wait (%d days, the most a test clock moves), so it is as good as a link that never expires; "+
			"give document links a lifetime of days or weeks (POST /file-links expiresTime; DR's customer-portal checklist asks for expiring links)",
			fl.URL, cur.ExpiresTime.Format(time.RFC3339), int(life/(24*time.Hour)), int(maxLinkWait/(24*time.Hour)))
	}
	if _, err := s.moveClockTo(ctx, cur.ExpiresTime.Add(time.Second)); err != nil {
		return fmt.Errorf("move the clock past %s: %w", cur.ExpiresTime.Format(time.RFC3339), err)
	}
	return nil
}

// maxLinkWait is the longest a scenario waits for a document link to
// expire: the most one advance moves a test clock (the simulator's
// MaxAdvanceSpan, 5 × 366 days).
const maxLinkWait = 5 * 366 * 24 * time.Hour

// ExpectLastLinkRefused checks that the last document link no longer downloads.
func (s *Scenario) ExpectLastLinkRefused(ctx context.Context) error {
	fl := s.lastLink
	if fl == nil {
		return fmt.Errorf("no document link checked yet in this scenario")
	}
	status, _, _, err := download(ctx, fl.URL)
	if err != nil {
		return err
	}
	if status >= 200 && status < 300 {
		return fmt.Errorf("the expired link %s still answers %d", fl.URL, status)
	}
	return nil
}

// SavePaymentMethod creates a chargeable card source with the public key (as
// DigitalRiver.js would in the customer's browser) and submits it to the
// merchant's portal. It returns the source id.
func (s *Scenario) SavePaymentMethod(ctx context.Context, customerName, cardNumber string) (string, error) {
	c, err := s.customer(customerName)
	if err != nil {
		return "", err
	}
	srcID, err := s.browserSource(ctx, customerName, cardNumber)
	if err != nil {
		return "", err
	}
	d := profile.ActionData{Customer: profile.ActionCustomer{Name: c.Name, Email: c.Email, ID: c.ID}, SourceID: srcID}
	if _, err := s.perform(ctx, "savePaymentMethod", d); err != nil {
		return "", err
	}
	s.savedSource = srcID
	return srcID, nil
}

// browserSource creates a chargeable card source with the public key, as
// DigitalRiver.js does in the customer's browser.
func (s *Scenario) browserSource(ctx context.Context, customerName, cardNumber string) (string, error) {
	c, err := s.customer(customerName)
	if err != nil {
		return "", err
	}
	keys, err := s.h.dr.Account(ctx)
	if err != nil {
		return "", fmt.Errorf("read the account's public key: %w", err)
	}
	browser := s.h.dr.WithKey(keys.PublicKey)
	year, err := s.cardExpiryYear(ctx)
	if err != nil {
		return "", err
	}
	src, err := browser.CreateSource(ctx, client.SourceParams{Type: "creditCard", Owner: &client.Owner{Email: c.Email},
		CreditCard: &client.CardParams{Number: cardNumber, ExpirationMonth: 12, ExpirationYear: year}})
	if err != nil {
		return "", fmt.Errorf("create a source with the public key: %w", err)
	}
	return src.ID, nil
}

// ExpectSourceSaved checks that the merchant attached the saved source to the
// customer: the account's request log shows POST /customers/{id}/sources/{sourceId}
// answered 200, and GET /customers/{id} lists the source.
func (s *Scenario) ExpectSourceSaved(ctx context.Context, customerName string) error {
	c, err := s.customer(customerName)
	if err != nil {
		return err
	}
	sid := s.savedSource
	if sid == "" {
		return fmt.Errorf("no payment method saved yet in this scenario")
	}
	log, err := s.h.dr.Requests(ctx)
	if err != nil {
		return err
	}
	want := "/customers/" + c.ID + "/sources/" + sid
	attached := false
	for _, r := range log {
		if r.Method == "POST" && r.Path == want && r.Status == http.StatusOK {
			attached = true
		}
	}
	if !attached {
		return fmt.Errorf("the merchant never called POST %s successfully (Digital River's attach)", want)
	}
	cust, err := s.h.dr.Customer(ctx, c.ID)
	if err != nil {
		return err
	}
	for _, src := range cust.Sources {
		if src.ID == sid {
			return nil
		}
	}
	return fmt.Errorf("GET /customers/%s does not list source %s", c.ID, sid)
}
