package mailbox_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/smtp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drsim/drsim/harness/mailbox"
)

// Embedded servers share their storage, so every test uses its own addresses.
var addrSeq atomic.Int64

func newAddr(t *testing.T, label string) string {
	name := strings.NewReplacer("/", "-", " ", "-", "_", "-").Replace(strings.ToLower(t.Name()))
	return fmt.Sprintf("%s-%s-%d@example.test", name, label, addrSeq.Add(1))
}

func startServer(t *testing.T) *mailbox.Server {
	t.Helper()
	srv, err := mailbox.StartEmbedded()
	if err != nil {
		t.Fatalf("StartEmbedded: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return srv
}

func newClient(t *testing.T, url string, opts ...mailbox.Option) *mailbox.Client {
	t.Helper()
	c := mailbox.NewClient(url, opts...)
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("client Close: %v", err)
		}
	})
	return c
}

func sendRaw(smtpAddr, to string, raw string) error {
	return smtp.SendMail(smtpAddr, nil, "shop@example.test", []string{to},
		[]byte(strings.ReplaceAll(raw, "\n", "\r\n")))
}

func sendPlain(smtpAddr, to, subject, body string) error {
	return sendRaw(smtpAddr, to, fmt.Sprintf("From: Shop <shop@example.test>\nTo: %s\nSubject: %s\nContent-Type: text/plain; charset=utf-8\n\n%s\n", to, subject, body))
}

func mustSend(t *testing.T, smtpAddr, to, subject string) {
	t.Helper()
	if err := sendPlain(smtpAddr, to, subject, "body of "+subject); err != nil {
		t.Fatalf("send %q to %s: %v", subject, to, err)
	}
}

func subjects(ms []*mailbox.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Subject
	}
	return out
}

// signal notifies ch without blocking; ch has a buffer of one.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

func withTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestEmbeddedWaitFindsStoredMailDecoded(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c := newClient(t, srv.URL())
	to := newAddr(t, "alice")
	raw := `From: Shop <shop@example.test>
To: Alice <` + strings.ToUpper(to) + `>
Subject: =?UTF-8?b?QmVzdGVsbGJlc3TDpHRpZ3VuZyDigqw=?=
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary=b1

--b1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Bestellung A-1001 =C3=BCber 12,50 =E2=82=AC
--b1
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: base64

` + b64(orderHTML) + `
--b1--
`
	if err := sendRaw(srv.SMTPAddr(), to, raw); err != nil {
		t.Fatalf("send: %v", err)
	}
	m, err := c.Wait(withTimeout(t, 10*time.Second), to, "order confirmation", func(m *mailbox.Message) bool {
		return strings.HasPrefix(m.Subject, "Bestellbestätigung")
	})
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Bestellbestätigung €" || m.From != "shop@example.test" {
		t.Errorf("Subject, From = %q, %q", m.Subject, m.From)
	}
	if strings.TrimSpace(m.Text) != "Bestellung A-1001 über 12,50 €" {
		t.Errorf("Text = %q", m.Text)
	}
	if !strings.Contains(m.HTMLText, "Ihre Bestellung A-1001 über 12,50 €.") || !strings.Contains(m.Body(), "12,50 €") {
		t.Errorf("HTMLText = %q", m.HTMLText)
	}
	if !slices.Contains(m.Links, "https://shop.example.test/orders/A-1001?x=1&y=2") {
		t.Errorf("Links = %q", m.Links)
	}
	if m.ID == "" || m.Created.IsZero() || m.Raw == "" {
		t.Errorf("ID, Created, Raw not set: %q, %v, %d bytes", m.ID, m.Created, len(m.Raw))
	}
	all, err := c.Messages(t.Context(), to)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || all[0].ID != m.ID {
		t.Errorf("Messages = %q, want the one message", subjects(all))
	}
}

func TestWaitStartedBeforeSendingGetsMailByPush(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	var searches atomic.Int32
	searched := make(chan struct{}, 1)
	c := newClient(t, srv.URL(), mailbox.WithSyncHook(func() {
		searches.Add(1)
		signal(searched)
	}))
	to := newAddr(t, "bob")
	// Mail to a longer address containing `to` must not satisfy the wait.
	decoy := "x" + to

	type result struct {
		m   *mailbox.Message
		err error
	}
	done := make(chan result, 1)
	go func() {
		m, err := c.Wait(withTimeout(t, 10*time.Second), to, "welcome mail", nil)
		done <- result{m, err}
	}()
	<-searched // the waiter has subscribed and searched: only a push can deliver now
	mustSend(t, srv.SMTPAddr(), decoy, "For someone else")
	mustSend(t, srv.SMTPAddr(), to, "Willkommen")
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.m.Subject != "Willkommen" || !slices.Contains(r.m.To, to) {
		t.Errorf("got %q to %q", r.m.Subject, r.m.To)
	}
	if n := searches.Load(); n != 1 {
		t.Errorf("searched %d times, want 1 (delivery by push)", n)
	}
}

func TestWaitTimeoutSaysWhatWasAwaitedAndSeen(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c := newClient(t, srv.URL())

	t.Run("nothing arrives", func(t *testing.T) {
		to := newAddr(t, "nobody")
		_, err := c.Wait(withTimeout(t, 300*time.Millisecond), to, "password reset mail", nil)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want deadline exceeded", err)
		}
		for _, want := range []string{to, `"password reset mail"`, "no message at all"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not mention %q", err, want)
			}
		}
	})
	t.Run("other mail arrives", func(t *testing.T) {
		to := newAddr(t, "carol")
		mustSend(t, srv.SMTPAddr(), to, "Welcome")
		_, err := c.Wait(withTimeout(t, 300*time.Millisecond), to, "invoice", func(m *mailbox.Message) bool {
			return m.Subject == "Invoice"
		})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want deadline exceeded", err)
		}
		for _, want := range []string{to, `"invoice"`, `1 other message`, `"Welcome"`} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not mention %q", err, want)
			}
		}
	})
}

func TestCollectReturnsExactlyTheMessagesSent(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	to := newAddr(t, "dave")
	other := newAddr(t, "erin")
	mustSend(t, srv.SMTPAddr(), to, "first")
	mustSend(t, srv.SMTPAddr(), other, "not for dave")
	mustSend(t, srv.SMTPAddr(), to, "second")

	// The third mail is sent once Collect has searched, so it arrives by push
	// inside the window.
	var once sync.Once
	sent := make(chan error, 1)
	c := newClient(t, srv.URL(), mailbox.WithSyncHook(func() {
		once.Do(func() { go func() { sent <- sendPlain(srv.SMTPAddr(), to, "third", "late") }() })
	}))
	got, err := c.Collect(withTimeout(t, 10*time.Second), to, time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	if want := []string{"first", "second", "third"}; !slices.Equal(subjects(got), want) {
		t.Errorf("Collect = %q, want %q", subjects(got), want)
	}

	got, err = c.Collect(t.Context(), to, 100*time.Millisecond, func(m *mailbox.Message) bool {
		return strings.Contains(m.Body(), "late")
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"third"}; !slices.Equal(subjects(got), want) {
		t.Errorf("Collect with match = %q, want %q", subjects(got), want)
	}

	got, err = c.Collect(t.Context(), newAddr(t, "silent"), 100*time.Millisecond, nil)
	if err != nil || len(got) != 0 {
		t.Errorf("Collect on a silent address = %q, %v; want nothing", subjects(got), err)
	}
}

func TestTwoEmbeddedServers(t *testing.T) {
	t.Parallel()
	a, err := mailbox.StartEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	b, err := mailbox.StartEmbedded()
	if err != nil {
		a.Close()
		t.Fatal(err)
	}
	if a.SMTPAddr() == b.SMTPAddr() || a.URL() == b.URL() {
		t.Errorf("servers share addresses: %s %s, %s %s", a.SMTPAddr(), b.SMTPAddr(), a.URL(), b.URL())
	}
	toA, toB := newAddr(t, "a"), newAddr(t, "b")
	mustSend(t, a.SMTPAddr(), toA, "via a")
	mustSend(t, b.SMTPAddr(), toB, "via b")

	ca := mailbox.NewClient(a.URL())
	cb := mailbox.NewClient(b.URL())
	ctx := withTimeout(t, 10*time.Second)
	for _, w := range []struct {
		c       *mailbox.Client
		to, sub string
	}{{ca, toA, "via a"}, {cb, toB, "via b"}, {ca, toB, "via b"}} { // storage is shared
		m, err := w.c.Wait(ctx, w.to, w.sub, nil)
		if err != nil {
			t.Fatal(err)
		}
		if m.Subject != w.sub {
			t.Errorf("%s: Subject = %q, want %q", w.to, m.Subject, w.sub)
		}
	}

	for _, c := range []*mailbox.Client{ca, cb} {
		if err := c.Close(); err != nil {
			t.Errorf("client Close: %v", err)
		}
	}
	for _, s := range []*mailbox.Server{a, b} {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		if conn, err := net.Dial("tcp", s.SMTPAddr()); err == nil {
			conn.Close()
			t.Errorf("SMTP %s still accepts connections after Close", s.SMTPAddr())
		}
	}
	if _, err := ca.Messages(t.Context(), toA); err == nil {
		t.Error("Messages through a closed server succeeded")
	}
}

func TestServerCloseEndsWebsocketAndWaitReportsIt(t *testing.T) {
	t.Parallel()
	srv, err := mailbox.StartEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	searched := make(chan struct{}, 1)
	c := newClient(t, srv.URL(), mailbox.WithSyncHook(func() { signal(searched) }))
	to := newAddr(t, "gone")
	done := make(chan error, 1)
	go func() {
		_, err := c.Wait(withTimeout(t, 2*time.Second), to, "anything", nil)
		done <- err
	}()
	<-searched
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	err = <-done
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "websocket") {
		t.Errorf("err = %v, want a deadline error mentioning the websocket", err)
	}
}

// flakyProxy forwards TCP to target and can cut and refuse connections.
type flakyProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
}

func newFlakyProxy(t *testing.T, target string) *flakyProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &flakyProxy{ln: ln, target: target, conns: make(map[net.Conn]struct{})}
	p.wg.Go(p.accept)
	t.Cleanup(func() {
		ln.Close()
		p.setDown(true)
		p.wg.Wait()
	})
	return p
}

func (p *flakyProxy) accept() {
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			in.Close()
			continue
		}
		out, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			in.Close()
			continue
		}
		p.conns[in], p.conns[out] = struct{}{}, struct{}{}
		p.mu.Unlock()
		p.wg.Go(func() { io.Copy(out, in); out.Close() })
		p.wg.Go(func() { io.Copy(in, out); in.Close() })
	}
}

// setDown(true) cuts every connection and refuses new ones until setDown(false).
func (p *flakyProxy) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for c := range p.conns {
			c.Close()
		}
		clear(p.conns)
	}
}

func TestWaitSurvivesWebsocketDrop(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	proxy := newFlakyProxy(t, strings.TrimPrefix(srv.URL(), "http://"))
	var searches atomic.Int32
	searched := make(chan struct{}, 1)
	c := newClient(t, "http://"+proxy.ln.Addr().String(), mailbox.WithSyncHook(func() {
		searches.Add(1)
		signal(searched)
	}))
	to := newAddr(t, "frank")
	done := make(chan error, 1)
	go func() {
		m, err := c.Wait(withTimeout(t, 10*time.Second), to, "mail sent while disconnected", nil)
		if err == nil && m.Subject != "while down" {
			err = fmt.Errorf("got %q", m.Subject)
		}
		done <- err
	}()
	<-searched
	proxy.setDown(true)
	mustSend(t, srv.SMTPAddr(), to, "while down") // cannot be pushed to this client
	proxy.setDown(false)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := searches.Load(); n < 2 {
		t.Errorf("searched %d times, want a search after reconnecting", n)
	}
}

func TestDeleteAll(t *testing.T) { // not parallel: it empties the shared storage
	srv := startServer(t)
	c := newClient(t, srv.URL())
	to := newAddr(t, "grace")
	mustSend(t, srv.SMTPAddr(), to, "to be deleted")
	if _, err := c.Wait(withTimeout(t, 10*time.Second), to, "", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteAll(t.Context()); err != nil {
		t.Fatal(err)
	}
	ms, err := c.Messages(t.Context(), to)
	if err != nil || len(ms) != 0 {
		t.Errorf("after DeleteAll: %q, %v", subjects(ms), err)
	}
}

func TestNewClientBadURL(t *testing.T) {
	t.Parallel()
	c := newClient(t, "ftp://example.test")
	if _, err := c.Messages(t.Context(), "a@example.test"); err == nil || !strings.Contains(err.Error(), "ftp") {
		t.Errorf("Messages err = %v, want bad URL", err)
	}
	if _, err := c.Wait(t.Context(), "a@example.test", "x", nil); err == nil {
		t.Error("Wait succeeded with a bad URL")
	}
}
