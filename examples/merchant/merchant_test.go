package merchant_test

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drsim/drsim/examples/merchant"
	"github.com/drsim/drsim/simulator/signature"
)

const secret = "whsec_test_reference"

// startMerchant starts a merchant sending to smtp; change adjusts its config.
func startMerchant(t *testing.T, smtp *fakeSMTP, change ...func(*merchant.Config)) *merchant.Server {
	t.Helper()
	cfg := merchant.Config{SigningSecret: secret, SMTPAddr: smtp.Addr, ShopName: "Café Test Shop"}
	for _, c := range change {
		c(&cfg)
	}
	srv, err := merchant.Start(cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	smtp.sentBy(srv.Idle)
	return srv
}

// orderAccepted is an order.accepted event body in DR's shape (docs/events.md#order-and-fulfillment-events).
func orderAccepted(eventID, orderID, email string) []byte {
	return fmt.Appendf(nil, `{"id":%q,"type":"order.accepted","liveMode":false,
 "createdTime":"2026-03-01T18:23:06.272054Z","webhookIds":["498f81d7-0000"],"digitalriverVersion":"2021-03-23",
 "data":{"object":{"id":%q,"customerId":"550103150336","currency":"USD","locale":"en_US",
  "email":%q,"subtotal":1259.5,"totalTax":100.36,"totalDiscount":10.0,"totalShipping":5.0,"totalAmount":1359.86,
  "items":[
   {"id":"127911830336","skuId":"sku_1","productDetails":{"name":"Widget","description":"A small gadget"},
    "amount":20.0,"quantity":2,"state":"created","tax":{"rate":0.08,"amount":1.6}},
   {"id":"127911840336","skuId":"sku_2","productDetails":{"name":"Bolts & Nuts <M4>"},
    "amount":1234.5,"quantity":1,"state":"created"},
   {"id":"127911850336","skuId":"sku_3","productDetails":{"name":"Café crème"},
    "amount":0.0,"quantity":3,"state":"created"}],
  "state":"accepted","stateTransitions":{"accepted":"2026-03-01T18:23:05Z"},"fraudState":"passed",
  "sellingEntity":{"id":"C5_INC-ENTITY","name":"DR globalTech Inc."},"liveMode":false}}}`,
		eventID, orderID, email)
}

// deliver POSTs body to the merchant's webhook with the given signature
// header ("" sends none) and returns the status and response text.
func deliver(t *testing.T, srv *merchant.Server, body []byte, sig string) (int, string) {
	t.Helper()
	code, text, err := post(srv, body, sig)
	if err != nil {
		t.Fatal(err)
	}
	return code, text
}

// post is deliver for goroutines other than the test's.
func post(srv *merchant.Server, body []byte, sig string) (int, string, error) {
	req, err := http.NewRequest(http.MethodPost, srv.WebhookURL(), bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	if sig != "" {
		req.Header.Set(signature.Header, sig)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", fmt.Errorf("POST %s: %w", srv.WebhookURL(), err)
	}
	defer resp.Body.Close()
	text, err := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(text)), err
}

func signNow(body []byte) string { return signature.Sign(body, time.Now(), secret) }

// awaitMail waits for the next message, failing after a deadline.
func awaitMail(t *testing.T, smtp *fakeSMTP, what string) received {
	t.Helper()
	select {
	case m := <-smtp.Messages:
		return m
	case <-time.After(5 * time.Second):
		t.Fatalf("no email after 5s; awaited %s", what)
		return received{}
	}
}

// expectNoMoreMail checks that nothing else was sent. The merchant answers
// webhooks before it sends their emails, so it first waits until the
// merchants sending to smtp are idle; fakeSMTP queues a message before it
// acknowledges it, so then the channel is final (for the webhook calls that
// have returned).
func expectNoMoreMail(t *testing.T, smtp *fakeSMTP) {
	t.Helper()
	smtp.settle(t)
	if n := len(smtp.Messages); n != 0 {
		m := <-smtp.Messages
		t.Fatalf("%d unexpected email(s); first to %v:\n%s", n, m.To, m.Data)
	}
}

// confirmation is a received email, decoded.
type confirmation struct {
	Header     mail.Header
	Subject    string
	Text, HTML string // decoded part bodies
}

// parseConfirmation decodes m as multipart/alternative with quoted-printable
// UTF-8 text and HTML parts, failing the test on any deviation.
func parseConfirmation(t *testing.T, m received) confirmation {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatalf("parse message: %v\n%s", err, m.Data)
	}
	var c confirmation
	c.Header = msg.Header
	if c.Subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		t.Fatalf("decode Subject %q: %v", msg.Header.Get("Subject"), err)
	}
	for _, h := range []string{"From", "To", "Date", "Message-ID"} {
		if msg.Header.Get(h) == "" {
			t.Errorf("header %s missing", h)
		}
	}
	if got := msg.Header.Get("MIME-Version"); got != "1.0" {
		t.Errorf("MIME-Version = %q, want 1.0", got)
	}
	if _, err := msg.Header.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type = %q (%v), want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextRawPart() // raw: keep Content-Transfer-Encoding to check it
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("next part: %v", err)
		}
		if cte := p.Header.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
			t.Errorf("part %q: Content-Transfer-Encoding = %q, want quoted-printable", p.Header.Get("Content-Type"), cte)
		}
		pt, pp, err := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if err != nil || !strings.EqualFold(pp["charset"], "utf-8") {
			t.Errorf("part Content-Type = %q, want charset utf-8", p.Header.Get("Content-Type"))
		}
		body, err := io.ReadAll(quotedprintable.NewReader(p))
		if err != nil {
			t.Fatalf("part %s: quoted-printable: %v", pt, err)
		}
		switch pt {
		case "text/plain":
			c.Text = string(body)
		case "text/html":
			c.HTML = string(body)
		default:
			t.Errorf("unexpected part %s", pt)
		}
	}
	if c.Text == "" || c.HTML == "" {
		t.Fatalf("want a text/plain and a text/html part; text=%q html=%q", c.Text, c.HTML)
	}
	return c
}

var (
	tags  = regexp.MustCompile(`<[^>]*>`)
	space = regexp.MustCompile(`\s+`)
)

// visible is what a reader sees: tags removed, entities decoded, runs of
// white space collapsed to one space.
func visible(s string, isHTML bool) string {
	if isHTML {
		s = html.UnescapeString(tags.ReplaceAllString(s, " "))
	}
	return strings.TrimSpace(space.ReplaceAllString(s, " "))
}

// checkBothParts runs check on the visible text of each part.
func checkBothParts(t *testing.T, c confirmation, check func(part, text string)) {
	t.Helper()
	check("text/plain", visible(c.Text, false))
	check("text/html", visible(c.HTML, true))
}

func TestOrderAcceptedSendsConfirmation(t *testing.T) {
	t.Parallel()
	smtp := startFakeSMTP(t)
	srv := startMerchant(t, smtp)

	body := orderAccepted("e5bf7399-0001", "204440790336", "Alice <alice+1@example.test>")
	if code, text := deliver(t, srv, body, signNow(body)); code != http.StatusAccepted {
		t.Fatalf("webhook: status %d %q, want 202", code, text)
	}
	m := awaitMail(t, smtp, "order confirmation to alice+1@example.test")
	expectNoMoreMail(t, smtp)

	if len(m.To) != 1 || m.To[0] != "alice+1@example.test" {
		t.Errorf("RCPT TO = %v, want [alice+1@example.test]", m.To)
	}
	if m.From != "shop@merchant.example" {
		t.Errorf("MAIL FROM = %q, want shop@merchant.example", m.From)
	}
	c := parseConfirmation(t, m)
	if want := "Order confirmation – order 204440790336"; c.Subject != want {
		t.Errorf("Subject = %q, want %q", c.Subject, want)
	}
	from, err := c.Header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != "Café Test Shop" || from[0].Address != "shop@merchant.example" {
		t.Errorf("From = %q (%v), want Café Test Shop <shop@merchant.example>", c.Header.Get("From"), err)
	}
	to, err := c.Header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Address != "alice+1@example.test" {
		t.Errorf("To = %q (%v), want alice+1@example.test", c.Header.Get("To"), err)
	}

	checkBothParts(t, c, func(part, text string) {
		for _, want := range []string{
			"204440790336",
			"Widget 2 $20.00",
			"Bolts & Nuts <M4> 1 $1,234.50",
			"Café crème 3 $0.00",
			"Discount $10.00",
			"Shipping $5.00",
			"Tax $100.36",
			"Total $1,359.86",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("%s part: %q not found; text was:\n%s", part, want, text)
			}
		}
	})
	if !strings.Contains(c.HTML, "Bolts &amp; Nuts &lt;M4&gt;") || strings.Contains(c.HTML, "<M4>") {
		t.Errorf("HTML part does not escape the product name; html was:\n%s", c.HTML)
	}
}

func TestDuplicateDeliverySendsOneEmail(t *testing.T) {
	t.Parallel()
	smtp := startFakeSMTP(t)
	srv := startMerchant(t, smtp)

	t.Run("sequential", func(t *testing.T) {
		body := orderAccepted("e5bf7399-0002", "204440800336", "bob+2@example.test")
		for i, want := range []int{http.StatusAccepted, http.StatusOK} {
			// Each retry is signed afresh, like DR's.
			if code, text := deliver(t, srv, body, signNow(body)); code != want {
				t.Fatalf("delivery %d: status %d %q, want %d", i+1, code, text, want)
			}
		}
		awaitMail(t, smtp, "one order confirmation to bob+2@example.test")
		expectNoMoreMail(t, smtp)
	})

	t.Run("concurrent", func(t *testing.T) {
		body := orderAccepted("e5bf7399-0003", "204440810336", "carol+3@example.test")
		sig := signNow(body)
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			codes = map[int]int{}
		)
		for i := range 20 {
			wg.Go(func() {
				code, text, err := post(srv, body, sig)
				if err != nil {
					t.Errorf("delivery %d: %v", i+1, err)
					return
				}
				if code != http.StatusAccepted && code != http.StatusOK {
					t.Errorf("delivery %d: status %d %q, want 202 or 200", i+1, code, text)
				}
				mu.Lock()
				codes[code]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if codes[http.StatusAccepted] != 1 || codes[http.StatusOK] != 19 {
			t.Errorf("answers %v, want one 202 (the delivery that queued the work) and 19 200 (duplicates)", codes)
		}
		awaitMail(t, smtp, "one order confirmation to carol+3@example.test")
		expectNoMoreMail(t, smtp)
	})
}

func TestBadSignatureIsRejected(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	smtp := startFakeSMTP(t)
	srv := startMerchant(t, smtp, func(c *merchant.Config) {
		c.Now = func() time.Time { return now }
	})
	body := orderAccepted("e5bf7399-0004", "204440820336", "dave+4@example.test")
	tampered := bytes.Replace(body, []byte(`"totalAmount":1359.86`), []byte(`"totalAmount":1.00`), 1)

	for _, tc := range []struct {
		name string
		body []byte
		sig  string
	}{
		{"missing", body, ""},
		{"malformed", body, "not a signature"},
		{"tampered body", tampered, signature.Sign(body, now, secret)},
		{"wrong secret", body, signature.Sign(body, now, "whsec_someone_else")},
		{"stale", body, signature.Sign(body, now.Add(-6*time.Minute), secret)},
		{"from the future", body, signature.Sign(body, now.Add(6*time.Minute), secret)},
	} {
		if code, text := deliver(t, srv, tc.body, tc.sig); code != http.StatusUnauthorized {
			t.Errorf("%s: status %d %q, want 401", tc.name, code, text)
		}
	}
	expectNoMoreMail(t, smtp)

	// The rejected deliveries left no idempotency record: the genuine
	// delivery of the same event is processed.
	if code, text := deliver(t, srv, body, signature.Sign(body, now.Add(-4*time.Minute), secret)); code != http.StatusAccepted {
		t.Fatalf("genuine delivery: status %d %q, want 202", code, text)
	}
	awaitMail(t, smtp, "order confirmation after the genuine delivery")
}

func TestDefectSkipSignatureCheck(t *testing.T) {
	t.Parallel()
	smtp := startFakeSMTP(t)
	srv := startMerchant(t, smtp, func(c *merchant.Config) {
		c.Defects = []string{merchant.DefectSkipSignatureCheck}
	})
	body := orderAccepted("e5bf7399-0005", "204440830336", "eve+5@example.test")
	if code, text := deliver(t, srv, body, signature.Sign(body, time.Now(), "forged")); code != http.StatusAccepted {
		t.Fatalf("forged delivery: status %d %q, want 202 (the defect accepts it)", code, text)
	}
	awaitMail(t, smtp, "order confirmation triggered by a forged webhook")
}

func TestDefectOmitTotalTax(t *testing.T) {
	t.Parallel()
	smtp := startFakeSMTP(t)
	srv := startMerchant(t, smtp, func(c *merchant.Config) {
		c.Defects = []string{merchant.DefectOmitTotalTax}
	})
	body := orderAccepted("e5bf7399-0006", "204440840336", "frank+6@example.test")
	if code, text := deliver(t, srv, body, signNow(body)); code != http.StatusAccepted {
		t.Fatalf("webhook: status %d %q, want 202", code, text)
	}
	c := parseConfirmation(t, awaitMail(t, smtp, "order confirmation to frank+6@example.test"))
	checkBothParts(t, c, func(part, text string) {
		if strings.Contains(text, "Tax") || strings.Contains(text, "$100.36") {
			t.Errorf("%s part: tax line present despite omit-total-tax; text was:\n%s", part, text)
		}
		if !strings.Contains(text, "Total $1,359.86") {
			t.Errorf("%s part: total missing; text was:\n%s", part, text)
		}
	})
}

func TestFailedSendIsRetried(t *testing.T) {
	t.Parallel()
	smtp := startFakeSMTP(t)
	srv := startMerchant(t, smtp)
	body := orderAccepted("e5bf7399-0007", "204440850336", "grace+7@example.test")

	// The merchant has acknowledged the event: it retries the send itself.
	smtp.RejectNext.Store(2)
	if code, text := deliver(t, srv, body, signNow(body)); code != http.StatusAccepted {
		t.Fatalf("delivery while SMTP refuses: status %d %q, want 202", code, text)
	}
	awaitMail(t, smtp, "order confirmation on the merchant's third attempt")
	expectNoMoreMail(t, smtp)
	if n := smtp.RejectNext.Load(); n != -1 {
		t.Errorf("SMTP saw %d more messages than the two refused and the one accepted", -1-n)
	}
	// Done: a later delivery is a duplicate.
	if code, text := deliver(t, srv, body, signNow(body)); code != http.StatusOK {
		t.Fatalf("delivery after success: status %d %q, want 200", code, text)
	}
	expectNoMoreMail(t, smtp)
}

func TestFailedSendGivesUpAndReleasesTheEvent(t *testing.T) {
	t.Parallel()
	smtp := startFakeSMTP(t)
	srv := startMerchant(t, smtp, func(c *merchant.Config) {
		c.RetryBackoff = []time.Duration{time.Millisecond, 2 * time.Millisecond}
	})
	body := orderAccepted("e5bf7399-0010", "204440860336", "heidi+10@example.test")

	// Three attempts, all refused: the merchant gives up.
	smtp.RejectNext.Store(3)
	if code, text := deliver(t, srv, body, signNow(body)); code != http.StatusAccepted {
		t.Fatalf("delivery while SMTP refuses: status %d %q, want 202", code, text)
	}
	expectNoMoreMail(t, smtp)
	if n := smtp.RejectNext.Load(); n != 0 {
		t.Errorf("SMTP refused %d messages, want 3 (the first attempt and 2 retries)", 3-n)
	}
	// The event was released: DR's next delivery of it is processed.
	if code, text := deliver(t, srv, body, signNow(body)); code != http.StatusAccepted {
		t.Fatalf("delivery after giving up: status %d %q, want 202", code, text)
	}
	awaitMail(t, smtp, "order confirmation on the next delivery")
	expectNoMoreMail(t, smtp)
}

func TestWebhookEdgeCases(t *testing.T) {
	t.Parallel()
	smtp := startFakeSMTP(t)
	srv := startMerchant(t, smtp)

	for _, tc := range []struct {
		name string
		body []byte
		want int
	}{
		{"malformed JSON", []byte(`{"id":"e1","type":`), http.StatusBadRequest},
		{"no event id", []byte(`{"type":"order.accepted","data":{"object":{}}}`), http.StatusBadRequest},
		{"unknown type", []byte(`{"id":"e5bf7399-0008","type":"order.unheard_of","data":{"object":{}}}`), http.StatusOK},
		{"order without email", []byte(`{"id":"e5bf7399-0009","type":"order.accepted","data":{"object":{"id":"1"}}}`), http.StatusBadRequest},
		{"too large", append([]byte(`{"id":"x","pad":"`), bytes.Repeat([]byte("a"), 1<<20)...), http.StatusRequestEntityTooLarge},
	} {
		if code, text := deliver(t, srv, tc.body, signNow(tc.body)); code != tc.want {
			t.Errorf("%s: status %d %q, want %d", tc.name, code, text, tc.want)
		}
	}
	expectNoMoreMail(t, smtp)

	resp, err := http.Get(srv.URL() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	text, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(text)) != "ok" {
		t.Errorf("GET /healthz: %d %q, want 200 ok", resp.StatusCode, text)
	}
}

func TestStartRejectsBadConfig(t *testing.T) {
	t.Parallel()
	_, err := merchant.Start(merchant.Config{SigningSecret: secret, SMTPAddr: "127.0.0.1:1", Defects: []string{"no-such-defect"}})
	if err == nil {
		t.Fatal("Start with an unknown defect: no error")
	}
	for _, d := range merchant.KnownDefects() {
		if !strings.Contains(err.Error(), d.Name) {
			t.Errorf("error %q does not list known defect %s", err, d.Name)
		}
	}
	if _, err := merchant.Start(merchant.Config{SMTPAddr: "127.0.0.1:1"}); err == nil {
		t.Error("Start without SigningSecret: no error")
	}
	if _, err := merchant.Start(merchant.Config{SigningSecret: secret}); err == nil {
		t.Error("Start without SMTPAddr: no error")
	}
}

// TestEmailsShareOneSMTPConnection: emails sent one after the other go
// over one kept SMTP session; when the server has dropped it meanwhile,
// the next email goes out on a new one, once.
func TestEmailsShareOneSMTPConnection(t *testing.T) {
	t.Parallel()
	for _, pipelining := range []bool{false, true} {
		t.Run(fmt.Sprintf("pipelining=%v", pipelining), func(t *testing.T) {
			t.Parallel()
			emailsShareOneSMTPConnection(t, pipelining)
		})
	}
}

// emailsShareOneSMTPConnection sends four emails, the server dropping the
// session after the third; with pipelining MAIL, RCPT and DATA go in one
// write.
func emailsShareOneSMTPConnection(t *testing.T, pipelining bool) {
	smtp := startFakeSMTP(t)
	smtp.Pipelining.Store(pipelining)
	srv := startMerchant(t, smtp)
	send := func(n int) {
		t.Helper()
		body := orderAccepted(fmt.Sprintf("e5bf7399-01%02d", n), fmt.Sprintf("2044409%05d", n), fmt.Sprintf("kim+%d@example.test", n))
		if code, text := deliver(t, srv, body, signNow(body)); code != http.StatusAccepted {
			t.Fatalf("delivery %d: status %d %q, want 202", n, code, text)
		}
		m := awaitMail(t, smtp, fmt.Sprintf("order confirmation %d", n))
		if want := fmt.Sprintf("kim+%d@example.test", n); len(m.To) != 1 || m.To[0] != want {
			t.Fatalf("email %d went to %v, want %s", n, m.To, want)
		}
		if c := parseConfirmation(t, m); !strings.Contains(c.Subject, fmt.Sprintf("2044409%05d", n)) {
			t.Fatalf("email %d has subject %q, want its order", n, c.Subject)
		}
		smtp.settle(t) // the merchant has put the connection back
	}
	for n := range 3 {
		send(n)
	}
	if got := smtp.Sessions.Load(); got != 1 {
		t.Errorf("3 emails took %d SMTP sessions, want 1", got)
	}
	smtp.dropConnections()
	send(3)
	if got := smtp.Sessions.Load(); got != 2 {
		t.Errorf("after the server dropped the kept session: %d sessions in all, want 2", got)
	}
	expectNoMoreMail(t, smtp)
}
