package merchant_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/drsim/drsim/examples/merchant"
)

// secretURL is the File content URL DR puts in invoiceURL and in the
// order's invoicePDFs[].url: it needs the secret key.
func secretURL(fileID string) string {
	return "https://api.digitalriver.com/files/" + fileID + "/content"
}

// docOrder is an Order of customerID, as GET /orders/{id} shows it once DR
// has made its invoices and credit memos.
func docOrder(id, customerID string, invoices, creditMemos []string) string {
	var o map[string]any
	if err := json.Unmarshal(orderJSON(id, "complete", widget.in("fulfilled"), bolts.in("fulfilled")), &o); err != nil {
		panic(err)
	}
	docs := func(ids []string) any {
		if ids == nil {
			return nil // DR: null until generated
		}
		out := []map[string]any{}
		for _, id := range ids {
			out = append(out, map[string]any{"id": id, "url": secretURL(id), "liveMode": false})
		}
		return out
	}
	o["customerId"] = customerID
	o["createdTime"] = "2026-03-01T18:23:06Z"
	o["totalTax"] = 2.01
	o["totalShipping"] = 5.0
	o["invoicePDFs"] = docs(invoices)
	o["creditMemoPDFs"] = docs(creditMemos)
	b, err := json.Marshal(o)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// documentEvent is an order.invoice.created or order.credit_memo.created
// event (docs/events.md#invoice-and-credit-memo-file-events).
func documentEvent(eventID, typ, fileID, orderID string) []byte {
	purpose := "customer_invoice"
	if typ == "order.credit_memo.created" {
		purpose = "customer_credit_memo"
	}
	b, err := json.Marshal(map[string]any{
		"id": fileID, "fileId": fileID, "orderId": orderID, "customerId": "cus_alice",
		"purpose": purpose, "invoiceURL": secretURL(fileID),
	})
	if err != nil {
		panic(err)
	}
	return eventJSON(eventID, typ, b)
}

// linkOf is the url of the fake DR's newest file link of fileID.
func (f *fakeDR) linkOf(t *testing.T, fileID string) string {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.links) - 1; i >= 0; i-- {
		if f.links[i].FileID == fileID {
			return f.links[i].URL
		}
	}
	t.Fatalf("the fake DR has no file link of %s", fileID)
	return ""
}

// expectLinkRequests checks the bodies of the POST /file-links calls: the
// files, in order, each with an expiresTime within a second of expires.
func expectLinkRequests(t *testing.T, dr *fakeDR, expires time.Time, fileIDs ...string) {
	t.Helper()
	calls := dr.CallsTo("POST /file-links")
	var got []string
	for _, c := range calls {
		var req struct{ FileID, ExpiresTime string }
		if err := json.Unmarshal([]byte(c.Body), &req); err != nil {
			t.Fatalf("POST /file-links body %s: %v", c.Body, err)
		}
		got = append(got, req.FileID)
		exp, err := time.Parse(time.RFC3339, req.ExpiresTime)
		if err != nil || exp.Sub(expires).Abs() > time.Second+time.Second/2 {
			t.Errorf("POST /file-links for %s: expiresTime %q, want about %s", req.FileID, req.ExpiresTime, expires.UTC().Format(time.RFC3339))
		}
		if c.Auth != "Bearer "+drKey {
			t.Errorf("POST /file-links: Authorization %q, want the secret key", c.Auth)
		}
	}
	if !reflect.DeepEqual(got, fileIDs) && (len(got) != 0 || len(fileIDs) != 0) {
		t.Errorf("POST /file-links for files %q, want %q", got, fileIDs)
	}
}

// noSecrets checks that text shows no secret-key file URL.
func noSecrets(t *testing.T, what, text string) {
	t.Helper()
	for _, secret := range []string{"/files/", "api.digitalriver.com", "/content"} {
		if strings.Contains(text, secret) {
			t.Errorf("%s shows %q:\n%s", what, secret, text)
		}
	}
}

// --- A browser -----------------------------------------------------------

// browser is a customer's browser: it keeps cookies and does not follow
// redirects, so tests see them.
type browser struct {
	t   *testing.T
	srv *merchant.Server
	c   *http.Client
}

func newBrowser(t *testing.T, srv *merchant.Server) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t, srv, &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// page is an answer to the browser.
type page struct {
	Status   int
	Location string // of a redirect
	Header   http.Header
	Body     string
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatalf("%s %s: read answer: %v", req.Method, req.URL, err)
	}
	return page{resp.StatusCode, resp.Header.Get("Location"), resp.Header, string(body)}
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.srv.URL()+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.srv.URL()+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// login signs in with email and requires the redirect to the orders.
func (b *browser) login(email string) {
	b.t.Helper()
	p := b.post("/portal/login", url.Values{"email": {email}})
	if p.Status != http.StatusSeeOther || p.Location != "/portal/orders" {
		b.t.Fatalf("sign in as %s: %d, Location %q, want 303 to /portal/orders\n%s", email, p.Status, p.Location, p.Body)
	}
}

// expectPage checks the status and that the page is HTML.
func expectPage(t *testing.T, what string, p page, status int) {
	t.Helper()
	if p.Status != status || !strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("%s: %d %s, want %d and an HTML page\n%s", what, p.Status, p.Header.Get("Content-Type"), status, p.Body)
	}
}

// expectRedirect checks a 303 to location.
func expectRedirect(t *testing.T, what string, p page, location string) {
	t.Helper()
	if p.Status != http.StatusSeeOther || p.Location != location {
		t.Errorf("%s: %d, Location %q, want 303 to %s", what, p.Status, p.Location, location)
	}
}

// docLink is a document link of a portal page.
type docLink struct {
	Document, FileID, Href, Text string
}

// docLinks returns the links marked with data-document, in page order.
func docLinks(t *testing.T, page string) []docLink {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatalf("parse page: %v", err)
	}
	var out []docLink
	var text func(*html.Node) string
	text = func(n *html.Node) string {
		if n.Type == html.TextNode {
			return n.Data
		}
		var s string
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			s += text(c)
		}
		return s
	}
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode || n.Data != "a" {
			continue
		}
		var l docLink
		for _, a := range n.Attr {
			switch a.Key {
			case "data-document":
				l.Document = a.Val
			case "data-file-id":
				l.FileID = a.Val
			case "href":
				l.Href = a.Val
			}
		}
		if l.Document != "" {
			l.Text = strings.TrimSpace(text(n))
			out = append(out, l)
		}
	}
	return out
}

// --- Document emails -----------------------------------------------------

func TestInvoiceAndCreditMemoEmailsLinkFileLinks(t *testing.T) {
	t.Parallel()
	s := startShop(t)
	s.dr.setOrder("501", docOrder("501", "cus_alice", []string{"file-inv-501"}, nil))

	// The first attempt fails at the mail server; the merchant's retry
	// sends the email, with the link the first attempt made.
	s.smtp.RejectNext.Store(1)
	body := documentEvent("evt-inv-1", "order.invoice.created", "file-inv-501", "501")
	start := time.Now()
	deliverOK(t, s.srv, body)
	s.smtp.settle(t)
	expectLinkRequests(t, s.dr, start.Add(30*24*time.Hour), "file-inv-501")
	link := s.dr.linkOf(t, "file-inv-501")
	c := expectEmail(t, awaitMail(t, s.smtp, "invoice email"), "Your invoice for order 501",
		[]string{"501", "invoice", link}, []string{"/files/", "api.digitalriver.com"})
	if got := links(c.HTML); !reflect.DeepEqual(got, []string{link}) {
		t.Errorf("HTML links = %q, want the file link %q", got, link)
	}
	expectNoMoreMail(t, s.smtp)
	if got := s.dr.CallsTo("GET /orders/501"); len(got) != 2 {
		t.Errorf("GET /orders/501 called %d times, want 2 (the recipient, on each attempt)", len(got))
	}

	// A refund's credit memo.
	s.dr.setOrder("501", docOrder("501", "cus_alice", []string{"file-inv-501"}, []string{"file-cm-501"}))
	deliverOK(t, s.srv, documentEvent("evt-cm-1", "order.credit_memo.created", "file-cm-501", "501"))
	m := awaitMail(t, s.smtp, "credit memo email")
	memo := s.dr.linkOf(t, "file-cm-501")
	c = expectEmail(t, m, "Your credit memo for order 501",
		[]string{"501", "credit memo", memo}, []string{"/files/", "api.digitalriver.com", link})
	if got := links(c.HTML); !reflect.DeepEqual(got, []string{memo}) {
		t.Errorf("HTML links = %q, want the file link %q", got, memo)
	}
	expectLinkRequests(t, s.dr, start.Add(30*24*time.Hour), "file-inv-501", "file-cm-501")
	expectNoMoreMail(t, s.smtp)
}

func TestDocumentEventEdgeCases(t *testing.T) {
	t.Parallel()
	s := startShopWith(t, func(c *merchant.Config) {
		c.RetryBackoff = []time.Duration{time.Millisecond, time.Millisecond, time.Millisecond}
	})
	for _, tc := range []struct {
		name string
		body []byte
		want int
	}{
		{"no order id", eventJSON("evt-de-1", "order.invoice.created", json.RawMessage(`{"id":"f1","fileId":"f1"}`)), http.StatusBadRequest},
		{"no file id", eventJSON("evt-de-2", "order.credit_memo.created", json.RawMessage(`{"orderId":"502"}`)), http.StatusBadRequest},
		{"not an object", eventJSON("evt-de-3", "order.invoice.created", json.RawMessage(`[1]`)), http.StatusBadRequest},
		{"unknown order: DR may know it later", documentEvent("evt-de-4", "order.invoice.created", "f4", "999"), http.StatusAccepted},
	} {
		if code, text := deliver(t, s.srv, tc.body, signNow(tc.body)); code != tc.want {
			t.Errorf("%s: %d %q, want %d", tc.name, code, text, tc.want)
		}
	}
	expectNoMoreMail(t, s.smtp)
	if got := len(s.dr.CallsTo("GET /orders/999")); got != 4 {
		t.Errorf("GET /orders/999 called %d times, want 4 (the first attempt and 3 retries)", got)
	}

	// DR cannot make the link at first: the merchant's retry succeeds.
	s.dr.setOrder("502", docOrder("502", "cus_alice", []string{"file-inv-502"}, nil))
	s.dr.queue("POST /file-links", http.StatusServiceUnavailable, drErrorJSON("service_unavailable", "", "try later"))
	deliverOK(t, s.srv, documentEvent("evt-de-5", "order.invoice.created", "file-inv-502", "502"))
	expectEmail(t, awaitMail(t, s.smtp, "invoice email on retry"), "Your invoice for order 502",
		[]string{s.dr.linkOf(t, "file-inv-502")}, []string{"/files/"})
	expectNoMoreMail(t, s.smtp)
	if got := len(s.dr.CallsTo("POST /file-links")); got != 2 {
		t.Errorf("POST /file-links called %d times, want 2", got)
	}
}

func TestFileLinkOutlivesDRsClock(t *testing.T) {
	t.Parallel()
	s := startShop(t)
	s.dr.setOrder("503", docOrder("503", "cus_alice", []string{"file-inv-503"}, nil))
	// DR's clock is 90 days ahead of ours (drsim's virtual clock can be):
	// the link is valid for 30 days from the event, not from our now.
	ahead := time.Now().Add(90 * 24 * time.Hour).UTC().Truncate(time.Microsecond)
	var ev map[string]any
	if err := json.Unmarshal(documentEvent("evt-clk-1", "order.invoice.created", "file-inv-503", "503"), &ev); err != nil {
		t.Fatal(err)
	}
	ev["createdTime"] = ahead.Format(time.RFC3339Nano)
	body, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	deliverOK(t, s.srv, body)
	awaitMail(t, s.smtp, "invoice email")
	expectLinkRequests(t, s.dr, ahead.Add(30*24*time.Hour), "file-inv-503")
}

// --- Sign-in -------------------------------------------------------------

func TestPortalSignIn(t *testing.T) {
	t.Parallel()
	s := startShop(t)
	s.dr.setCustomer("cus_alice", customer)
	s.dr.setCustomer("cus_bob", "bob@example.test")
	s.dr.setOrder("511", docOrder("511", "cus_alice", nil, nil))
	s.dr.setOrder("512", docOrder("512", "cus_alice", []string{"file-inv-512"}, nil))
	s.dr.setOrder("513", docOrder("513", "cus_bob", nil, nil))
	b := newBrowser(t, s.srv)

	// Nothing without signing in.
	expectRedirect(t, "GET /portal/", b.get("/portal/"), "/portal/orders")
	for _, path := range []string{"/portal/orders", "/portal/orders/511", "/portal/payment-methods"} {
		expectRedirect(t, "GET "+path+" signed out", b.get(path), "/portal/login")
	}
	expectRedirect(t, "POST /portal/payment-methods signed out",
		b.post("/portal/payment-methods", url.Values{"sourceId": {"src-1"}}), "/portal/login")
	if calls := s.dr.Calls(); len(calls) != 0 {
		t.Errorf("signed-out requests reached DR: %+v", calls)
	}

	p := b.get("/portal/login")
	expectPage(t, "sign-in form", p, http.StatusOK)
	for _, want := range []string{`action="/portal/login"`, `name="email"`} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("sign-in form has no %s:\n%s", want, p.Body)
		}
	}

	p = b.post("/portal/login", url.Values{"email": {"mallory@example.test"}})
	expectPage(t, "unknown email", p, http.StatusUnauthorized)
	if !strings.Contains(p.Body, "We know no customer with this email address.") || p.Header.Get("Set-Cookie") != "" {
		t.Errorf("unknown email: want the refusal and no cookie; Set-Cookie %q\n%s", p.Header.Get("Set-Cookie"), p.Body)
	}
	expectPage(t, "no email", b.post("/portal/login", url.Values{}), http.StatusBadRequest)

	p = b.post("/portal/login", url.Values{"email": {" Alice <ALICE@example.test> "}})
	expectRedirect(t, "sign in", p, "/portal/orders")
	cookie, err := http.ParseSetCookie(p.Header.Get("Set-Cookie"))
	if err != nil || cookie.Name != "portal_session" || cookie.Value == "" || !cookie.HttpOnly || cookie.Path != "/portal" ||
		cookie.SameSite != http.SameSiteLaxMode {
		t.Errorf("Set-Cookie %q (%v), want portal_session, HttpOnly, Path=/portal, SameSite=Lax", p.Header.Get("Set-Cookie"), err)
	}
	// DR is asked for the address as entered; the one DR has is shown.
	if calls := s.dr.CallsTo("GET /customers"); len(calls) != 2 || calls[1].Query != "email=ALICE%40example.test&limit=100" {
		t.Errorf("GET /customers calls = %+v, want the second with email=ALICE@example.test", calls)
	}

	p = b.get("/portal/orders")
	expectPage(t, "orders", p, http.StatusOK)
	text := visible(p.Body, true)
	for _, want := range []string{"511 1 March 2026 complete $27.01", "512 1 March 2026 complete $27.01", "signed in as alice@example.test"} {
		if !strings.Contains(text, want) {
			t.Errorf("orders page: %q not found in:\n%s", want, text)
		}
	}
	for _, want := range []string{`href="/portal/orders/511"`, `href="/portal/orders/512"`} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("orders page: no %s", want)
		}
	}
	if strings.Contains(p.Body, "513") {
		t.Errorf("orders page shows Bob's order 513:\n%s", p.Body)
	}
	if calls := s.dr.CallsTo("GET /orders"); len(calls) != 1 || calls[0].Query != "customerId=cus_alice&limit=100" || calls[0].Auth != "Bearer "+drKey {
		t.Errorf("GET /orders calls = %+v, want one with customerId=cus_alice&limit=100 and the secret key", calls)
	}

	// A made-up session is no session; signing out ends the real one.
	other := newBrowser(t, s.srv)
	u, _ := url.Parse(s.srv.URL() + "/portal/")
	other.c.Jar.SetCookies(u, []*http.Cookie{{Name: "portal_session", Value: "guessed", Path: "/portal"}})
	expectRedirect(t, "made-up session", other.get("/portal/orders"), "/portal/login")
	expectRedirect(t, "sign out", b.post("/portal/logout", nil), "/portal/login")
	expectRedirect(t, "orders after signing out", b.get("/portal/orders"), "/portal/login")
}

func TestPortalSessionExpires(t *testing.T) {
	t.Parallel()
	clock := newClock(time.Now())
	s := startShopWith(t, func(c *merchant.Config) { c.Now = clock.Now })
	s.dr.setCustomer("cus_alice", customer)
	b := newBrowser(t, s.srv)
	b.login(customer)
	expectPage(t, "orders", b.get("/portal/orders"), http.StatusOK)
	clock.Add(12 * time.Hour)
	expectRedirect(t, "orders after 12 hours", b.get("/portal/orders"), "/portal/login")
}

// --- Order page ----------------------------------------------------------

func TestPortalOrderPageLinksDocuments(t *testing.T) {
	t.Parallel()
	s := startShop(t)
	s.dr.setCustomer("cus_alice", customer)
	s.dr.setCustomer("cus_bob", "bob@example.test")
	s.dr.setOrder("521", docOrder("521", "cus_alice", []string{"file-inv-521"}, []string{"file-cm-521a", "file-cm-521b"}))
	s.dr.setOrder("522", docOrder("522", "cus_bob", []string{"file-inv-522"}, nil))
	s.dr.setOrder("523", docOrder("523", "cus_alice", nil, nil))

	// The invoice email's link is the one the page shows.
	start := time.Now()
	deliverOK(t, s.srv, documentEvent("evt-op-1", "order.invoice.created", "file-inv-521", "521"))
	awaitMail(t, s.smtp, "invoice email")
	invoice := s.dr.linkOf(t, "file-inv-521")

	b := newBrowser(t, s.srv)
	b.login(customer)
	p := b.get("/portal/orders/521")
	expectPage(t, "order page", p, http.StatusOK)
	want := []docLink{
		{"invoice", "file-inv-521", invoice, "Invoice"},
		{"credit-memo", "file-cm-521a", s.dr.linkOf(t, "file-cm-521a"), "Credit memo"},
		{"credit-memo", "file-cm-521b", s.dr.linkOf(t, "file-cm-521b"), "Credit memo"},
	}
	if got := docLinks(t, p.Body); !reflect.DeepEqual(got, want) {
		t.Errorf("document links = %+v\nwant %+v", got, want)
	}
	expectLinkRequests(t, s.dr, start.Add(30*24*time.Hour), "file-inv-521", "file-cm-521a", "file-cm-521b")
	noSecrets(t, "order page", p.Body)
	text := visible(p.Body, true)
	for _, w := range []string{"Order 521", "Ordered on 1 March 2026", "Widget 2 $20.00", "Bolts & Nuts <M4> 1 $10.00",
		"Shipping $5.00", "Tax $2.01", "Total $27.01"} {
		if !strings.Contains(text, w) {
			t.Errorf("order page: %q not found in:\n%s", w, text)
		}
	}
	if !strings.Contains(p.Body, "Bolts &amp; Nuts &lt;M4&gt;") {
		t.Errorf("order page does not escape the product name:\n%s", p.Body)
	}

	// Seen again: the remembered links, no new ones.
	p = b.get("/portal/orders/521")
	if got := docLinks(t, p.Body); !reflect.DeepEqual(got, want) {
		t.Errorf("document links on the second visit = %+v\nwant %+v", got, want)
	}
	if n := len(s.dr.CallsTo("POST /file-links")); n != 3 {
		t.Errorf("%d POST /file-links after the second visit, want still 3", n)
	}

	// No documents yet.
	p = b.get("/portal/orders/523")
	expectPage(t, "order without documents", p, http.StatusOK)
	if got := docLinks(t, p.Body); len(got) != 0 || !strings.Contains(p.Body, "No documents yet") {
		t.Errorf("order without documents: links %+v\n%s", got, p.Body)
	}

	// Bob's order and an unknown one look alike: not found.
	for _, id := range []string{"522", "999"} {
		p := b.get("/portal/orders/" + id)
		expectPage(t, "order "+id, p, http.StatusNotFound)
		if !strings.Contains(p.Body, "You have no order "+id+".") || strings.Contains(p.Body, "file-inv") {
			t.Errorf("order %s: want the not-found page:\n%s", id, p.Body)
		}
	}
	if calls := s.dr.CallsTo("POST /file-links"); len(calls) != 3 {
		t.Errorf("Bob's order made file links: %+v", calls)
	}

	// The cancel page still works.
	expectPage(t, "cancel page", b.get("/portal/orders/523/cancel"), http.StatusOK)
}

func TestPortalFileLinkUnavailable(t *testing.T) {
	t.Parallel()
	s := startShop(t)
	s.dr.setCustomer("cus_alice", customer)
	s.dr.setOrder("524", docOrder("524", "cus_alice", []string{"file-inv-524"}, nil))
	s.dr.queue("POST /file-links", http.StatusInternalServerError, drErrorJSON("internal_server_error", "", "boom"))
	b := newBrowser(t, s.srv)
	b.login(customer)
	p := b.get("/portal/orders/524")
	expectPage(t, "order page while DR fails", p, http.StatusBadGateway)
	noSecrets(t, "error page", p.Body)
	p = b.get("/portal/orders/524")
	expectPage(t, "order page after DR recovered", p, http.StatusOK)
	if got := docLinks(t, p.Body); len(got) != 1 || got[0].Href != s.dr.linkOf(t, "file-inv-524") {
		t.Errorf("document links = %+v, want the new file link", got)
	}
}

// clock is a settable Config.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock(t time.Time) *clock { return &clock{now: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// startShopWith is startShop with more configuration.
func startShopWith(t *testing.T, change func(*merchant.Config)) shop {
	t.Helper()
	smtp := startFakeSMTP(t)
	dr := startFakeDR(t)
	srv := startMerchant(t, smtp, func(c *merchant.Config) {
		c.DRBaseURL = dr.URL
		c.DRSecretKey = drKey
		change(c)
	})
	return shop{srv, smtp, dr}
}

func TestPortalReusesLastingLinksAndRenewsExpiringOnes(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := newClock(t0)
	s := startShopWith(t, func(c *merchant.Config) { c.Now = clock.Now; c.FileLinkTTL = 7 * 24 * time.Hour })
	s.dr.setCustomer("cus_alice", customer)
	s.dr.setOrder("531", docOrder("531", "cus_alice", []string{"file-inv-531"}, nil))
	// DR already has links of the file (the merchant restarted): one that
	// DR says has expired, one that lasts ten days.
	rfc := func(t time.Time) string { return t.Format("2006-01-02T15:04:05.000Z") } // as DR writes them
	s.dr.addLink(fakeLink{ID: "fl_dead", FileID: "file-inv-531", ExpiresTime: rfc(t0.Add(20 * 24 * time.Hour)), Expired: true, URL: "https://files-test.digitalriver.com/links/fl_dead"})
	s.dr.addLink(fakeLink{ID: "fl_old", FileID: "file-inv-531", ExpiresTime: rfc(t0.Add(10 * 24 * time.Hour)), URL: "https://files-test.digitalriver.com/links/fl_old"})

	b := newBrowser(t, s.srv)
	b.login(customer)
	open := func(what string) string {
		t.Helper()
		p := b.get("/portal/orders/531")
		expectPage(t, what, p, http.StatusOK)
		got := docLinks(t, p.Body)
		if len(got) != 1 || got[0].Document != "invoice" {
			t.Fatalf("%s: document links %+v, want one invoice", what, got)
		}
		return got[0].Href
	}
	if got := open("order page"); got != "https://files-test.digitalriver.com/links/fl_old" {
		t.Errorf("invoice link %s, want DR's lasting link fl_old", got)
	}
	if calls := s.dr.CallsTo("GET /file-links"); len(calls) != 1 || calls[0].Query != "fileId=file-inv-531&limit=100" {
		t.Errorf("GET /file-links calls = %+v, want one with fileId=file-inv-531&limit=100", calls)
	}
	expectLinkRequests(t, s.dr, time.Time{})

	// Within a day of its expiry, the page gets a new link (the session
	// has expired by then).
	clock.Add(9*24*time.Hour + time.Hour)
	b.login(customer)
	renewed := open("order page a day before the link expires")
	if renewed == "https://files-test.digitalriver.com/links/fl_old" || renewed != s.dr.linkOf(t, "file-inv-531") {
		t.Errorf("invoice link %s, want a new one", renewed)
	}
	expectLinkRequests(t, s.dr, clock.Now().Add(7*24*time.Hour), "file-inv-531")
	if got := open("order page again"); got != renewed {
		t.Errorf("invoice link %s, want the remembered %s", got, renewed)
	}
	if n := len(s.dr.CallsTo("POST /file-links")); n != 1 {
		t.Errorf("%d POST /file-links, want 1", n)
	}
}

// --- Payment methods -----------------------------------------------------

func TestPortalSavesPaymentMethod(t *testing.T) {
	t.Parallel()
	s := startShop(t)
	s.dr.setCustomer("cus_alice", customer)
	s.dr.addCardSource("src-visa", "Visa", "1111", 12, 2027)
	s.dr.addCardSource("src-mc", "MasterCard", "4444", 3, 2028)
	b := newBrowser(t, s.srv)
	b.login(customer)

	p := b.get("/portal/payment-methods")
	expectPage(t, "payment methods", p, http.StatusOK)
	for _, want := range []string{"You have no saved payment methods.", `action="/portal/payment-methods"`, `name="sourceId"`} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("payment methods page: no %s\n%s", want, p.Body)
		}
	}

	expectRedirect(t, "save Visa", b.post("/portal/payment-methods", url.Values{"sourceId": {"src-visa"}}), "/portal/payment-methods")
	expectRedirect(t, "save MasterCard", b.post("/portal/payment-methods", url.Values{"sourceId": {" src-mc "}}), "/portal/payment-methods")
	for i, want := range []string{"/customers/cus_alice/sources/src-visa", "/customers/cus_alice/sources/src-mc"} {
		calls := s.dr.CallsTo("POST " + want)
		if len(calls) != 1 || calls[0].Body != "" || calls[0].Auth != "Bearer "+drKey {
			t.Errorf("attach %d: calls %+v, want one POST %s, empty body, secret key", i+1, calls, want)
		}
	}

	p = b.get("/portal/payment-methods")
	expectPage(t, "payment methods after saving", p, http.StatusOK)
	text := visible(p.Body, true)
	for _, want := range []string{"Visa ending in 1111 12/2027 Default", "MasterCard ending in 4444 03/2028"} {
		if !strings.Contains(text, want) {
			t.Errorf("payment methods page: %q not found in:\n%s", want, text)
		}
	}
	for _, want := range []string{`data-source-id="src-visa"`, `data-source-id="src-mc"`} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("payment methods page: no %s", want)
		}
	}
	if strings.Contains(text, "4444 03/2028 Default") {
		t.Errorf("MasterCard shown as the default:\n%s", text)
	}
	if calls := s.dr.CallsTo("GET /customers/cus_alice"); len(calls) != 2 {
		t.Errorf("GET /customers/cus_alice called %d times, want 2", len(calls))
	}
}

func TestPortalShowsDRRefusalsToSave(t *testing.T) {
	t.Parallel()
	s := startShop(t)
	s.dr.setCustomer("cus_alice", customer)
	b := newBrowser(t, s.srv)
	b.login(customer)

	for _, tc := range []struct{ code, message string }{
		{"source_not_chargeable", "The source is not chargeable."},
		{"nonreusable_source", "The source cannot be reused."},
		{"source_in_use", "The source belongs to another customer."},
	} {
		s.dr.queue("POST /customers/cus_alice/sources/src-x", http.StatusConflict, drErrorJSON("conflict", tc.code, tc.message))
		p := b.post("/portal/payment-methods", url.Values{"sourceId": {"src-x"}})
		expectPage(t, tc.code, p, http.StatusConflict)
		if !strings.Contains(p.Body, tc.message) || !strings.Contains(p.Body, `data-error-code="`+tc.code+`"`) ||
			!strings.Contains(p.Body, "We could not save this payment method") {
			t.Errorf("%s: page does not show DR's refusal:\n%s", tc.code, p.Body)
		}
	}

	// A source DR does not know: DR's 404.
	expectPage(t, "unknown source", b.post("/portal/payment-methods", url.Values{"sourceId": {"src-nope"}}), http.StatusNotFound)
	// DR fails: 502.
	s.dr.queue("POST /customers/cus_alice/sources/src-y", http.StatusServiceUnavailable, drErrorJSON("service_unavailable", "", "later"))
	expectPage(t, "DR failing", b.post("/portal/payment-methods", url.Values{"sourceId": {"src-y"}}), http.StatusBadGateway)

	// No source id: nothing asked of DR.
	before := len(s.dr.Calls())
	expectPage(t, "no source id", b.post("/portal/payment-methods", url.Values{"sourceId": {"  "}}), http.StatusBadRequest)
	if after := len(s.dr.Calls()); after != before {
		t.Errorf("a request without a source id reached DR: %+v", s.dr.Calls()[before:])
	}
}

// --- Defects -------------------------------------------------------------

func TestDefectEmailInvoiceURL(t *testing.T) {
	t.Parallel()
	s := startShop(t, merchant.DefectEmailInvoiceURL)
	s.dr.setCustomer("cus_alice", customer)
	s.dr.setOrder("541", docOrder("541", "cus_alice", []string{"file-inv-541"}, []string{"file-cm-541"}))

	deliverOK(t, s.srv, documentEvent("evt-dei-1", "order.invoice.created", "file-inv-541", "541"))
	c := expectEmail(t, awaitMail(t, s.smtp, "invoice email"), "Your invoice for order 541",
		[]string{"541", secretURL("file-inv-541")}, []string{"files-test.digitalriver.com"})
	if got := links(c.HTML); !reflect.DeepEqual(got, []string{secretURL("file-inv-541")}) {
		t.Errorf("HTML links = %q, want the secret-key URL (the defect)", got)
	}
	if calls := s.dr.CallsTo("POST /file-links"); len(calls) != 0 {
		t.Errorf("the defect made a file link: %+v", calls)
	}

	// Only the invoice email: the credit memo email and the portal are right.
	deliverOK(t, s.srv, documentEvent("evt-dei-2", "order.credit_memo.created", "file-cm-541", "541"))
	expectEmail(t, awaitMail(t, s.smtp, "credit memo email"), "Your credit memo for order 541",
		[]string{s.dr.linkOf(t, "file-cm-541")}, []string{"/files/"})
	b := newBrowser(t, s.srv)
	b.login(customer)
	p := b.get("/portal/orders/541")
	if got := docLinks(t, p.Body); len(got) != 2 || got[0].Href != s.dr.linkOf(t, "file-inv-541") {
		t.Errorf("order page links %+v, want file links", got)
	}
	noSecrets(t, "order page", p.Body)
}

func TestDefectNoCreditMemoLink(t *testing.T) {
	t.Parallel()
	s := startShop(t, merchant.DefectNoCreditMemoLink)
	s.dr.setCustomer("cus_alice", customer)
	s.dr.setOrder("542", docOrder("542", "cus_alice", []string{"file-inv-542"}, []string{"file-cm-542"}))

	deliverOK(t, s.srv, documentEvent("evt-dcm-1", "order.credit_memo.created", "file-cm-542", "542"))
	expectNoMoreMail(t, s.smtp)
	deliverOK(t, s.srv, documentEvent("evt-dcm-2", "order.invoice.created", "file-inv-542", "542"))
	expectEmail(t, awaitMail(t, s.smtp, "invoice email"), "Your invoice for order 542", []string{s.dr.linkOf(t, "file-inv-542")}, nil)

	b := newBrowser(t, s.srv)
	b.login(customer)
	p := b.get("/portal/orders/542")
	want := []docLink{{"invoice", "file-inv-542", s.dr.linkOf(t, "file-inv-542"), "Invoice"}}
	if got := docLinks(t, p.Body); !reflect.DeepEqual(got, want) {
		t.Errorf("document links = %+v, want only the invoice %+v", got, want)
	}
	expectLinkRequests(t, s.dr, time.Now().Add(30*24*time.Hour), "file-inv-542")
}

func TestDefectPortalMissingInvoice(t *testing.T) {
	t.Parallel()
	s := startShop(t, merchant.DefectPortalMissingInvoice)
	s.dr.setCustomer("cus_alice", customer)
	s.dr.setOrder("543", docOrder("543", "cus_alice", []string{"file-inv-543"}, []string{"file-cm-543"}))

	// The email is right.
	deliverOK(t, s.srv, documentEvent("evt-dpm-1", "order.invoice.created", "file-inv-543", "543"))
	expectEmail(t, awaitMail(t, s.smtp, "invoice email"), "Your invoice for order 543", []string{s.dr.linkOf(t, "file-inv-543")}, nil)

	b := newBrowser(t, s.srv)
	b.login(customer)
	p := b.get("/portal/orders/543")
	expectPage(t, "order page", p, http.StatusOK)
	want := []docLink{{"credit-memo", "file-cm-543", s.dr.linkOf(t, "file-cm-543"), "Credit memo"}}
	if got := docLinks(t, p.Body); !reflect.DeepEqual(got, want) {
		t.Errorf("document links = %+v, want only the credit memo %+v", got, want)
	}
}

func TestDefectNoAttach(t *testing.T) {
	t.Parallel()
	s := startShop(t, merchant.DefectNoAttach)
	s.dr.setCustomer("cus_alice", customer)
	s.dr.addCardSource("src-visa", "Visa", "1111", 12, 2027)
	b := newBrowser(t, s.srv)
	b.login(customer)

	expectRedirect(t, "save", b.post("/portal/payment-methods", url.Values{"sourceId": {"src-visa"}}), "/portal/payment-methods")
	if calls := s.dr.CallsTo("POST /customers/cus_alice/sources/src-visa"); len(calls) != 0 {
		t.Errorf("the defect attached the source: %+v", calls)
	}
	p := b.get("/portal/payment-methods")
	if !strings.Contains(p.Body, "You have no saved payment methods.") || strings.Contains(p.Body, "src-visa") {
		t.Errorf("payment methods page after the defect's save:\n%s", p.Body)
	}
}
