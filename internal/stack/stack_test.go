package stack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/smtp"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/drsim/drsim/fixtures"
	"github.com/drsim/drsim/harness/mailbox"
	"github.com/drsim/drsim/internal/stack"
	"github.com/drsim/drsim/simulator/client"
	"github.com/drsim/drsim/simulator/signature"
)

// testMerchant is the smallest merchant a stack can run: it verifies each
// webhook's signature with the secret of the profile it was given, reports
// the webhook on a channel and, for order.accepted, emails the order's
// customer through the SMTP address it was given. The tests watch what it
// was given and what it saw.
type testMerchant struct {
	// Set before Start.
	startErr func(stack.MerchantEnv) error // fail the start with this (nil: return no merchant and no error)
	closeErr error                         // Close returns it
	onClose  func()                        // runs first in Close

	// Filled by start.
	started int
	env     stack.MerchantEnv
	srv     *httptest.Server

	webhooks chan webhook
	closed   atomic.Bool
}

// webhook is what the merchant saw of one delivery.
type webhook struct {
	eventID, eventType string
	orderID, email     string // data.object's id and email
	sigErr             error  // signature.Verify with the profile's secret
	mailErr            error  // sending the order email
}

func (w webhook) String() string {
	return fmt.Sprintf("%s %s (order %s, signature error %v, mail error %v)", w.eventType, w.eventID, w.orderID, w.sigErr, w.mailErr)
}

func newTestMerchant() *testMerchant {
	return &testMerchant{webhooks: make(chan webhook, 64)}
}

// start is the merchant's stack.MerchantStarter.
func (m *testMerchant) start(env stack.MerchantEnv) (stack.RunningMerchant, error) {
	m.started++
	m.env = env
	if m.startErr != nil {
		if err := m.startErr(env); err != nil {
			return nil, err
		}
		return nil, nil // a broken starter
	}
	m.srv = httptest.NewServer(http.HandlerFunc(m.serve))
	return m, nil
}

func (m *testMerchant) URL() string        { return m.srv.URL }
func (m *testMerchant) WebhookURL() string { return m.srv.URL + "/webhook" }

func (m *testMerchant) Close() error {
	if m.onClose != nil {
		m.onClose()
	}
	m.srv.Close()
	m.closed.Store(true)
	return m.closeErr
}

func (m *testMerchant) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/webhook" || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var ev client.Event
	if err := json.Unmarshal(body, &ev); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var obj struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	}
	_ = json.Unmarshal(ev.Data.Object, &obj)
	wh := webhook{eventID: ev.ID, eventType: ev.Type, orderID: obj.ID, email: obj.Email,
		sigErr: signature.Verify(r.Header.Get(signature.Header), body, m.env.Profile.Webhook.SigningSecret, time.Now(), 0)}
	m.env.Logger.Info("webhook received", "event", ev.ID, "type", ev.Type)
	if wh.sigErr == nil && ev.Type == "order.accepted" && obj.Email != "" {
		msg := "From: shop@merchant.test\r\nTo: " + obj.Email + "\r\nSubject: Order " + obj.ID + " accepted\r\n\r\nThank you for order " + obj.ID + ".\r\n"
		wh.mailErr = smtp.SendMail(m.env.SMTPAddr, nil, "shop@merchant.test", []string{obj.Email}, []byte(msg))
	}
	select {
	case m.webhooks <- wh:
	default: // never hold up the simulator; the tests read few
	}
	w.WriteHeader(http.StatusOK)
}

// await returns the first webhook that matches, failing the test if ctx
// ends first with what did arrive.
func (m *testMerchant) await(ctx context.Context, t *testing.T, what string, match func(webhook) bool) webhook {
	t.Helper()
	var seen []string
	for {
		select {
		case wh := <-m.webhooks:
			if match(wh) {
				return wh
			}
			seen = append(seen, wh.String())
		case <-ctx.Done():
			t.Fatalf("awaited %s at the merchant; by the deadline (%v) it had received %d other webhooks: %v", what, ctx.Err(), len(seen), seen)
			return webhook{}
		}
	}
}

// placeAcceptedOrder places and accepts an order for a new customer with
// email in the simulator account of the stack's profile.
func placeAcceptedOrder(ctx context.Context, t *testing.T, s *stack.Stack, email string) *client.Order {
	t.Helper()
	dr := s.Simulator.Client(s.Profile.API.SecretKey)
	if _, err := dr.PutSKU(ctx, "sku_stack_kettle", client.SKUParams{Name: client.String("Kettle")}); err != nil {
		t.Fatalf("put SKU: %v", err)
	}
	cust, err := dr.CreateCustomer(ctx, client.CustomerParams{Email: client.String(email)})
	if err != nil {
		t.Fatalf("create customer: %v", err)
	}
	o, err := dr.PlaceOrder(ctx, client.PlaceOrderParams{CustomerID: cust.ID, Email: email, Currency: "USD",
		Items: []client.PlaceItem{{SKUID: "sku_stack_kettle", Quantity: 1, Price: 40}}})
	if err != nil {
		t.Fatalf("place order: %v", err)
	}
	if o, err = dr.AcceptOrder(ctx, o.ID); err != nil {
		t.Fatalf("accept order: %v", err)
	}
	return o
}

// startStack starts a stack with o and closes it at the end of the test.
func startStack(t *testing.T, o stack.Options) *stack.Stack {
	t.Helper()
	s, err := stack.Start(context.Background(), o)
	if err != nil {
		t.Fatalf("start stack: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close stack: %v", err)
		}
	})
	return s
}

// deadline is a context for awaiting something that takes milliseconds.
func deadline(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// customProfile is the reference profile with its own name, signing secret
// and API key.
func customProfile(name, secret, key string) []byte {
	p := fixtures.ReferenceProfile()
	p = bytes.Replace(p, []byte("name: drsim reference merchant"), []byte("name: "+name), 1)
	p = bytes.Replace(p, []byte("whsec_reference_merchant_secret"), []byte(secret), 1)
	return bytes.Replace(p, []byte("sk_test_reference0000000000000000"), []byte(key), 1)
}

// TestStackWiresThePieces runs an order through the real pieces over
// loopback, with the reference profile and with a profile of the caller's:
// the harness registered the merchant's webhook with the profile's secret,
// the simulator delivers order.accepted there signed with it, and the email
// the merchant sends through the stack's SMTP address reaches the stack's
// mailbox.
func TestStackWiresThePieces(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		profile              []byte
		wantName, wantSecret string
		wantKey              string
	}{
		{"reference profile when none is given", nil,
			"drsim reference merchant", "whsec_reference_merchant_secret", "sk_test_reference0000000000000000"},
		{"the caller's profile", customProfile("stack test shop", "whsec_stack_test_secret", "sk_test_stacktest000000000000000"),
			"stack test shop", "whsec_stack_test_secret", "sk_test_stacktest000000000000000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newTestMerchant()
			s := startStack(t, stack.Options{Merchant: m.start, Profile: tc.profile})
			ctx := deadline(t)

			// The profile is the one asked for, with the stack's URLs.
			p := s.Profile
			if p.Name != tc.wantName || p.Webhook.SigningSecret != tc.wantSecret || p.API.SecretKey != tc.wantKey {
				t.Errorf("profile: name %q, signing secret %q, API key %q; want %q, %q, %q",
					p.Name, p.Webhook.SigningSecret, p.API.SecretKey, tc.wantName, tc.wantSecret, tc.wantKey)
			}
			for _, u := range []struct{ field, got, want string }{
				{"webhook.url", p.Webhook.URL, m.WebhookURL()},
				{"merchant.url", p.Merchant.URL, m.URL()},
				{"simulator.url", p.Simulator.URL, s.Simulator.URL()},
				{"mailbox.url", p.Mailbox.URL, s.Mail.URL()},
			} {
				if u.got != u.want {
					t.Errorf("profile %s = %q, want %q", u.field, u.got, u.want)
				}
			}
			// The merchant was started once, with the stack's pieces.
			if m.started != 1 {
				t.Errorf("merchant started %d times, want 1", m.started)
			}
			if m.env.SimulatorURL != s.Simulator.URL() || m.env.SMTPAddr != s.Mail.SMTPAddr() || m.env.Profile != s.Profile || m.env.Logger == nil {
				t.Errorf("merchant env = {SimulatorURL %q, SMTPAddr %q, Profile %p, Logger %v}; want {%q, %q, %p, a logger}",
					m.env.SimulatorURL, m.env.SMTPAddr, m.env.Profile, m.env.Logger, s.Simulator.URL(), s.Mail.SMTPAddr(), s.Profile)
			}
			if s.Merchant != stack.RunningMerchant(m) {
				t.Errorf("Stack.Merchant = %v, want the merchant the starter returned", s.Merchant)
			}
			if s.Catalogue == nil || len(s.Catalogue.Notifications) == 0 {
				t.Fatalf("Stack.Catalogue = %v, want the embedded catalogue", s.Catalogue)
			}

			// The simulator signs the merchant's webhook with the profile's secret.
			dr := s.Simulator.Client(p.API.SecretKey)
			hook, err := dr.Webhook(ctx, s.Harness.WebhookID())
			if err != nil {
				t.Fatalf("the harness's webhook %q: %v", s.Harness.WebhookID(), err)
			}
			if hook.Address != m.WebhookURL() || !hook.Enabled {
				t.Errorf("webhook %s: address %q, enabled %v; want %q, enabled", hook.ID, hook.Address, hook.Enabled, m.WebhookURL())
			}
			secrets, err := dr.WebhookSecrets(ctx, hook.ID)
			if err != nil {
				t.Fatalf("webhook secrets: %v", err)
			}
			if secrets.Secret != tc.wantSecret {
				t.Errorf("webhook secret = %q, want the profile's %q", secrets.Secret, tc.wantSecret)
			}

			email := "wired-" + strings.ReplaceAll(strings.ToLower(tc.wantName), " ", "-") + "@example.test"
			o := placeAcceptedOrder(ctx, t, s, email)
			wh := m.await(ctx, t, "order.accepted of order "+o.ID, func(w webhook) bool {
				return w.eventType == "order.accepted" && w.orderID == o.ID
			})
			if wh.sigErr != nil || wh.mailErr != nil {
				t.Fatalf("order.accepted at the merchant: signature %v, sending the email %v", wh.sigErr, wh.mailErr)
			}
			msg, err := s.Mailbox.Wait(ctx, email, "the merchant's email about order "+o.ID, func(msg *mailbox.Message) bool {
				return strings.Contains(msg.Subject, o.ID)
			})
			if err != nil {
				t.Fatalf("mailbox: %v", err)
			}
			if want := "Order " + o.ID + " accepted"; msg.Subject != want || !strings.Contains(msg.Text, "Thank you for order "+o.ID) {
				t.Errorf("email subject %q, text %q; want subject %q and the thanks", msg.Subject, msg.Text, want)
			}
		})
	}
}

// TestStackWebhookTiming: the simulator of a stack times a delivery out
// after DeliveryTimeout and retries on DR's schedule scaled by RetryScale.
// Both show in the attempt records: a timeout fault's error names the
// timeout, and a failed attempt's next retry is RetryDelay × RetryScale
// after it.
func TestStackWebhookTiming(t *testing.T) {
	m := newTestMerchant()
	s := startStack(t, stack.Options{Merchant: m.start})
	ctx := deadline(t)
	dr := s.Simulator.Client(s.Profile.API.SecretKey)
	if _, err := dr.AddFault(ctx, client.Fault{WebhookID: s.Harness.WebhookID(), EventType: "order.accepted", Count: 1, Timeout: true}); err != nil {
		t.Fatalf("add timeout fault: %v", err)
	}
	o := placeAcceptedOrder(ctx, t, s, "timing@example.test")
	// The first attempt reaches the merchant too (a timeout fault calls it
	// and discards its answer); the retry is the second.
	wh := m.await(ctx, t, "order.accepted of order "+o.ID, func(w webhook) bool { return w.eventType == "order.accepted" && w.orderID == o.ID })
	attempts, err := dr.WaitDeliveries(ctx, client.AttemptFilter{EventID: wh.eventID}, 2, 10*time.Second)
	if err != nil {
		t.Fatalf("awaited 2 delivery attempts of %s (the failed one and its retry): %v", wh.eventID, err)
	}
	first, retry := attempts[0], attempts[1]
	if first.Attempt != 1 || retry.Attempt != 2 {
		t.Fatalf("attempts numbered %d, %d; want 1, 2: %+v", first.Attempt, retry.Attempt, attempts)
	}
	if want := "within " + stack.DeliveryTimeout.String(); first.Delivered || !strings.Contains(first.Error, want) {
		t.Errorf("first attempt: delivered %v, error %q; want a timeout %q", first.Delivered, first.Error, want)
	}
	if first.NextRetryAt == nil || first.RetryDelay == "" {
		t.Fatalf("first attempt schedules no retry: %+v", first)
	}
	virtual, err := time.ParseDuration(first.RetryDelay)
	if err != nil {
		t.Fatalf("retry delay %q: %v", first.RetryDelay, err)
	}
	wall := first.NextRetryAt.Sub(first.Time)
	if want := time.Duration(float64(virtual) * stack.RetryScale); virtual != time.Minute || wall != want {
		t.Errorf("first retry: virtual delay %s, wall delay %s; want DR's 1m0s scaled by %g = %s", virtual, wall, stack.RetryScale, want)
	}
	if !retry.Delivered || retry.Status != http.StatusOK {
		t.Errorf("retry: delivered %v, status %d, error %q; want delivered with 200", retry.Delivered, retry.Status, retry.Error)
	}
}

// tcpAddr is the host:port of a URL or address.
func tcpAddr(t *testing.T, s string) string {
	t.Helper()
	if !strings.Contains(s, "://") {
		return s
	}
	u, err := url.Parse(s)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return u.Host
}

// checkReleased binds each address again: it fails while a listener holds it.
func checkReleased(t *testing.T, addrs map[string]string) {
	t.Helper()
	for what, addr := range addrs {
		ln, err := net.Listen("tcp", tcpAddr(t, addr))
		if err != nil {
			t.Errorf("%s's address %s is still taken: %v", what, addr, err)
			continue
		}
		ln.Close()
	}
}

var warmOnce sync.Once

// goroutineBaseline starts and closes one stack (MailHog's backend and its
// forwarding goroutine are created once per process), then counts the
// process's goroutines.
func goroutineBaseline(t *testing.T) int {
	t.Helper()
	warmOnce.Do(func() {
		m := newTestMerchant()
		s, err := stack.Start(context.Background(), stack.Options{Merchant: m.start})
		if err != nil {
			t.Fatalf("warm-up stack: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("close warm-up stack: %v", err)
		}
	})
	awaitGoroutines(t, "the warm-up stack's goroutines", -1)
	return runtime.NumGoroutine()
}

// awaitGoroutines waits until the process runs at most want goroutines
// (want < 0: until the count stops falling for a while), and fails with
// every goroutine's stack if that does not happen within 10 s. Goroutines
// of closed connections end shortly after the Close that closed them.
func awaitGoroutines(t *testing.T, what string, want int) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	end := time.After(10 * time.Second)
	last, steady := runtime.NumGoroutine(), 0
	for {
		n := runtime.NumGoroutine()
		if want >= 0 && n <= want {
			return
		}
		if want < 0 {
			if n < last {
				last, steady = n, 0
			} else if steady++; steady >= 20 {
				return
			}
		}
		select {
		case <-tick.C:
		case <-end:
			if want < 0 {
				return
			}
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("awaited %s to end: %d goroutines were running before, %d still run 10s later:\n%s", what, want, n, buf)
		}
	}
}

// TestCloseReleasesEverything: after Close every listener's address can be
// bound again and the stack's goroutines are gone; pieces close last
// started first, so the merchant stops while the simulator and MailHog
// still serve; a mailbox wait still running ends; a second Close does
// nothing.
func TestCloseReleasesEverything(t *testing.T) {
	before := goroutineBaseline(t)
	m := newTestMerchant()
	s, err := stack.Start(context.Background(), stack.Options{Merchant: m.start})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	// Use every piece, so that connections and sessions exist to be closed.
	ctx := deadline(t)
	o := placeAcceptedOrder(ctx, t, s, "close@example.test")
	m.await(ctx, t, "order.accepted of "+o.ID, func(w webhook) bool { return w.eventType == "order.accepted" && w.orderID == o.ID })
	if _, err := s.Mailbox.Wait(ctx, "close@example.test", "the order email", nil); err != nil {
		t.Fatalf("mailbox: %v", err)
	}
	addrs := map[string]string{
		"simulator": s.Simulator.URL(), "MailHog SMTP": s.Mail.SMTPAddr(), "MailHog API": s.Mail.URL(), "merchant": m.URL(),
	}
	var simUp, smtpUp error
	m.onClose = func() {
		resp, err := http.Get(s.Simulator.URL() + "/_sim/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("status %d", resp.StatusCode)
			}
		}
		simUp = err
		c, err := net.Dial("tcp", s.Mail.SMTPAddr())
		if err == nil {
			c.Close()
		}
		smtpUp = err
	}

	// A wait on the mailbox that is running when the stack closes ends.
	waitErr := make(chan error, 1)
	go func() {
		_, err := s.Mailbox.Wait(ctx, "nobody@example.test", "mail that never comes", nil)
		waitErr <- err
	}()

	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	select {
	case err := <-waitErr:
		if err == nil || ctx.Err() != nil {
			t.Errorf("a mailbox wait running at Close returned %v (its context: %v); want it to fail because the mailbox closed", err, ctx.Err())
		}
	case <-ctx.Done():
		t.Errorf("a mailbox wait running at Close still waits at the deadline (%v)", ctx.Err())
	}
	if !m.closed.Load() {
		t.Error("Close did not close the merchant")
	}
	if simUp != nil || smtpUp != nil {
		t.Errorf("while the merchant closed: simulator health %v, MailHog SMTP dial %v; want both up (last started, first closed)", simUp, smtpUp)
	}
	checkReleased(t, addrs)
	awaitGoroutines(t, "the stack's goroutines", before)
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestCloseNamesWhatFailed: a piece that fails to close is named in the
// error, and the pieces after it are closed all the same.
func TestCloseNamesWhatFailed(t *testing.T) {
	boom := errors.New("boom")
	m := newTestMerchant()
	m.closeErr = boom
	s, err := stack.Start(context.Background(), stack.Options{Merchant: m.start})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	addrs := map[string]string{"simulator": s.Simulator.URL(), "MailHog SMTP": s.Mail.SMTPAddr(), "MailHog API": s.Mail.URL()}
	err = s.Close()
	if !errors.Is(err, boom) || !strings.Contains(fmt.Sprint(err), "stack: close merchant: boom") {
		t.Errorf("Close = %v, want it to wrap the merchant's error as \"stack: close merchant: boom\"", err)
	}
	checkReleased(t, addrs)
}

// TestStartFailsCleanly: whatever fails, Start says what in its error,
// returns no stack and leaves nothing running: the merchant it started is
// closed, the addresses it listened on can be bound again and its
// goroutines end.
func TestStartFailsCleanly(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	badNotification := bytes.Replace(fixtures.ReferenceProfile(), []byte("notifications:\n"),
		[]byte("notifications:\n  order-confirmaton:\n    subject: '^Order'\n"), 1)

	for _, tc := range []struct {
		name     string
		ctx      context.Context
		noMerch  bool
		profile  []byte
		startErr func(stack.MerchantEnv) error
		want     []string // in the error
		wantIs   error
		merchant string // "not started", "failed" or "closed"
	}{
		{name: "no merchant", noMerch: true,
			want: []string{"stack: no merchant", "Options.Merchant"}, merchant: "not started"},
		{name: "profile is not YAML", profile: []byte("webhook: [\n"),
			want: []string{"merchant profile (stack.Options.Profile)"}, merchant: "not started"},
		{name: "profile lacks the webhook URL", profile: []byte("name: x\nwebhook:\n  signingSecret: s\n"),
			want: []string{"merchant profile (stack.Options.Profile)", "webhook.url is required"}, merchant: "not started"},
		{name: "merchant's address in use",
			startErr: func(stack.MerchantEnv) error {
				ln, err := net.Listen("tcp", taken.Addr().String())
				if err == nil {
					ln.Close()
					return errors.New("the taken address could be bound")
				}
				return fmt.Errorf("listen: %w", err)
			},
			want: []string{"stack: merchant: listen:", taken.Addr().String(), "address already in use"}, wantIs: syscall.EADDRINUSE, merchant: "failed"},
		{name: "merchant starter returns nothing", startErr: func(stack.MerchantEnv) error { return nil },
			want: []string{"stack: merchant:", "neither a merchant nor an error"}, merchant: "failed"},
		{name: "harness rejects the profile", profile: badNotification,
			want: []string{"notifications.order-confirmaton: no such notification", "order-confirmation"}, merchant: "closed"},
		{name: "context already cancelled", ctx: cancelled,
			want: []string{"harness:", "simulator"}, wantIs: context.Canceled, merchant: "closed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := goroutineBaseline(t)
			m := newTestMerchant()
			m.startErr = tc.startErr
			o := stack.Options{Merchant: m.start, Profile: tc.profile}
			if tc.noMerch {
				o.Merchant = nil
			}
			ctx := tc.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			s, err := stack.Start(ctx, o)
			if err == nil {
				s.Close()
				t.Fatal("Start succeeded")
			}
			if s != nil {
				t.Errorf("Start returned a stack with its error %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("error %q does not wrap %v", err, tc.wantIs)
			}
			switch tc.merchant {
			case "not started":
				if m.started != 0 {
					t.Errorf("merchant started %d times, want none", m.started)
				}
			case "failed":
				if m.started != 1 {
					t.Errorf("merchant started %d times, want 1", m.started)
				}
			case "closed":
				if m.started != 1 || !m.closed.Load() {
					t.Errorf("merchant started %d times, closed %v; want started once and closed", m.started, m.closed.Load())
				}
				checkReleased(t, map[string]string{"merchant": m.URL()})
			}
			if m.started > 0 {
				checkReleased(t, map[string]string{"simulator": m.env.SimulatorURL, "MailHog SMTP": m.env.SMTPAddr})
			}
			awaitGoroutines(t, "the failed start's goroutines", before)
		})
	}
}

// recorder is a slog handler that reports each record, with the attributes
// of its logger, on a channel.
type recorder struct {
	attrs   []slog.Attr
	records chan logged
}

type logged struct {
	msg   string
	attrs map[string]string
}

func (h *recorder) Enabled(context.Context, slog.Level) bool { return true }

func (h *recorder) Handle(_ context.Context, r slog.Record) error {
	l := logged{msg: r.Message, attrs: map[string]string{}}
	for _, a := range h.attrs {
		l.attrs[a.Key] = a.Value.String()
	}
	r.Attrs(func(a slog.Attr) bool {
		l.attrs[a.Key] = a.Value.String()
		return true
	})
	select {
	case h.records <- l:
	default:
	}
	return nil
}

func (h *recorder) WithAttrs(as []slog.Attr) slog.Handler {
	return &recorder{attrs: append(slices.Clone(h.attrs), as...), records: h.records}
}

func (h *recorder) WithGroup(string) slog.Handler { return h }

func (h *recorder) await(ctx context.Context, t *testing.T, what string, match func(logged) bool) logged {
	t.Helper()
	var seen []string
	for {
		select {
		case l := <-h.records:
			if match(l) {
				return l
			}
			seen = append(seen, fmt.Sprintf("%q %v", l.msg, l.attrs))
		case <-ctx.Done():
			t.Fatalf("awaited %s in the log; by the deadline (%v) it had %d other records: %v", what, ctx.Err(), len(seen), seen)
			return logged{}
		}
	}
}

// TestStackLogger: Options.Logger receives the merchant's records tagged
// component=merchant and the simulator's tagged component=simulator.
func TestStackLogger(t *testing.T) {
	rec := &recorder{records: make(chan logged, 256)}
	m := newTestMerchant()
	s := startStack(t, stack.Options{Merchant: m.start, Logger: slog.New(rec)})
	ctx := deadline(t)

	// The merchant logs each webhook with the logger it was given.
	placeAcceptedOrder(ctx, t, s, "logger@example.test")
	rec.await(ctx, t, "the merchant's record of order.accepted tagged component=merchant", func(l logged) bool {
		return l.msg == "webhook received" && l.attrs["type"] == "order.accepted" && l.attrs["component"] == "merchant"
	})

	// The simulator warns when a held event's webhook is gone by its release.
	dr := s.Simulator.Client(s.Profile.API.SecretKey)
	hold, err := dr.AddFault(ctx, client.Fault{WebhookID: s.Harness.WebhookID(), EventType: "order.accepted", Hold: true})
	if err != nil {
		t.Fatalf("add hold fault: %v", err)
	}
	o := placeAcceptedOrder(ctx, t, s, "logger@example.test")
	if _, err := dr.WaitFaultHeld(ctx, hold.ID, 1, 10*time.Second); err != nil {
		t.Fatalf("awaited the hold of order %s's order.accepted: %v", o.ID, err)
	}
	if err := dr.DeleteWebhook(ctx, s.Harness.WebhookID()); err != nil {
		t.Fatalf("delete webhook: %v", err)
	}
	if _, err := dr.ReleaseFault(ctx, hold.ID, "fifo"); err != nil {
		t.Fatalf("release: %v", err)
	}
	rec.await(ctx, t, "the simulator's warning about the deleted webhook tagged component=simulator", func(l logged) bool {
		return strings.Contains(l.msg, "webhook gone") && l.attrs["component"] == "simulator"
	})
}

// silentChild marks the run of TestStackIsSilent that uses a stack; the
// parent run reads its output.
const silentChild = "DRSIM_STACK_SILENT_CHILD"

// TestStackIsSilent: a stack with no Logger writes nothing on stdout or
// stderr while mail flows through MailHog (SMTP sessions, its API, its web
// UI and its websocket all log by default). The stack runs in a child
// process so that everything the process writes, through any logger, is
// seen.
func TestStackIsSilent(t *testing.T) {
	if os.Getenv(silentChild) == "1" {
		useStackQuietly(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestStackIsSilent$", "-test.count=1")
	cmd.Env = append(os.Environ(), silentChild+"=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("child: %v\nstdout:\n%s\nstderr:\n%s", err, &stdout, &stderr)
	}
	// The test binary's own lines: PASS, and coverage when built with -cover.
	var extra []string
	for line := range strings.Lines(stdout.String()) {
		if line = strings.TrimSpace(line); line != "PASS" && !strings.HasPrefix(line, "coverage: ") && line != "" {
			extra = append(extra, line)
		}
	}
	if len(extra) > 0 || stderr.Len() > 0 {
		t.Errorf("the stack wrote to stdout %d lines:\n%s\nand to stderr:\n%s", len(extra), strings.Join(extra, "\n"), &stderr)
	}
}

// useStackQuietly makes every part of the stack work: an order email
// through MailHog's SMTP, read back through the in-process mailbox and
// through MailHog's websocket and HTTP API, and its web UI.
func useStackQuietly(t *testing.T) {
	m := newTestMerchant()
	s := startStack(t, stack.Options{Merchant: m.start})
	ctx := deadline(t)
	o := placeAcceptedOrder(ctx, t, s, "quiet@example.test")
	if _, err := s.Mailbox.Wait(ctx, "quiet@example.test", "order email (in process)", nil); err != nil {
		t.Fatal(err)
	}
	remote := mailbox.NewClient(s.Mail.URL())
	defer remote.Close()
	if _, err := remote.Wait(ctx, "quiet@example.test", "order email (websocket)", func(msg *mailbox.Message) bool {
		return strings.Contains(msg.Subject, o.ID)
	}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/", "/api/v2/messages"} {
		resp, err := http.Get(s.Mail.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", path, resp.Status)
		}
	}
}

// outOfFilesChild marks the run of TestStartFailsWhenListenersCannotOpen
// that lowers its own file limit.
const outOfFilesChild = "DRSIM_STACK_OUT_OF_FILES_CHILD"

// TestStartFailsWhenListenersCannotOpen: when the simulator's or MailHog's
// listener cannot open (here: the process is out of file descriptors, the
// only way they fail on a fresh loopback port), Start says which, wraps the
// system's error, and what it had started is closed. The file limit is
// lowered in a child process so that no other test runs short of files.
func TestStartFailsWhenListenersCannotOpen(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("counts open files in /proc/self/fd")
	}
	if os.Getenv(outOfFilesChild) == "1" {
		startOutOfFiles(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestStartFailsWhenListenersCannotOpen$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), outOfFilesChild+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("--- PASS: TestStartFailsWhenListenersCannotOpen/")) {
		t.Fatalf("the child ran no case:\n%s", out)
	}
}

func startOutOfFiles(t *testing.T) {
	var orig syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &orig); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		files int // descriptors the stack may open
		want  []string
	}{
		{"simulator", 0, []string{"simulator: listen on 127.0.0.1:0"}},
		{"MailHog SMTP", 1, []string{"stack: mailbox:", "listen for SMTP"}},
		{"MailHog API", 2, []string{"stack: mailbox:", "listen for HTTP"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := goroutineBaseline(t) // also makes the runtime's poller
			m := newTestMerchant()
			limit := fileLimitAllowing(t, tc.files)
			lowered := orig
			lowered.Cur = limit
			if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lowered); err != nil {
				t.Fatal(err)
			}
			s, err := stack.Start(context.Background(), stack.Options{Merchant: m.start})
			if rerr := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &orig); rerr != nil {
				t.Fatal(rerr)
			}
			if err == nil {
				s.Close()
				t.Fatalf("Start succeeded with %d free descriptors", tc.files)
			}
			if s != nil {
				t.Errorf("Start returned a stack with its error %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if !errors.Is(err, syscall.EMFILE) {
				t.Errorf("error %q does not wrap EMFILE", err)
			}
			if m.started != 0 {
				t.Errorf("merchant started %d times, want none", m.started)
			}
			awaitGoroutines(t, "the failed start's goroutines", before)
		})
	}
}

// fileLimitAllowing is the RLIMIT_NOFILE under which the process can open
// exactly n more descriptors: the n-th free descriptor number, plus one.
func fileLimitAllowing(t *testing.T, n int) uint64 {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd") // lists its own, now closed, descriptor too: harmless, it is free again
	if err != nil {
		t.Fatal(err)
	}
	open := map[int]bool{}
	for _, e := range entries {
		var fd int
		if _, err := fmt.Sscan(e.Name(), &fd); err == nil {
			open[fd] = true
		}
	}
	// The descriptor ReadDir used is listed but free again: find it by
	// opening one, which takes the lowest free number.
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	delete(open, int(f.Fd()))
	f.Close()
	free := 0
	for fd := 0; ; fd++ {
		if open[fd] {
			continue
		}
		if free == n {
			return uint64(fd)
		}
		free++
	}
}
