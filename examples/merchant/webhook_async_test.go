package merchant_test

import (
	"bytes"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/drsim/drsim/examples/merchant"
	"github.com/drsim/drsim/simulator/signature"
)

// answer is the result of a delivery made in the background.
type answer struct {
	code int
	text string
	err  error
}

// deliverAsync delivers body, signed now, from another goroutine.
func deliverAsync(srv *merchant.Server, body []byte) <-chan answer {
	ch := make(chan answer, 1)
	go func() {
		code, text, err := post(srv, body, signNow(body))
		ch <- answer{code, text, err}
	}()
	return ch
}

// awaitAnswer waits for a background delivery's answer.
func awaitAnswer(t *testing.T, ch <-chan answer, what string) answer {
	t.Helper()
	select {
	case a := <-ch:
		if a.err != nil {
			t.Fatalf("%s: %v", what, a.err)
		}
		return a
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: no answer after 5s", what)
		return answer{}
	}
}

// awaitSignal waits for a value on ch.
func awaitSignal(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: nothing after 5s", what)
	}
}

func TestWebhookAnswersBeforeTheEmailIsSent(t *testing.T) {
	t.Parallel()
	smtp := startFakeSMTP(t)
	srv := startMerchant(t, smtp)
	waiting, release := smtp.hold()
	t.Cleanup(release) // before Close, which waits for the email

	body := orderAccepted("evt-async-1", "260000000336", customer)
	// The mail server keeps the message waiting: a merchant that sent before
	// answering could not answer now.
	a := awaitAnswer(t, deliverAsync(srv, body), "delivery while the email is held")
	if a.code != http.StatusAccepted {
		t.Fatalf("webhook: status %d %q, want 202", a.code, a.text)
	}
	awaitSignal(t, waiting, "the merchant sending the email")
	if n := len(smtp.Messages); n != 0 {
		t.Fatalf("%d email(s) already accepted while the mail server holds them", n)
	}
	release()
	expectEmail(t, awaitMail(t, smtp, "order confirmation after the answer"), "Order confirmation – order 260000000336", nil, nil)
	expectNoMoreMail(t, smtp)
}

func TestDuplicatesWhileProcessingAreAcknowledged(t *testing.T) {
	t.Parallel()
	smtp := startFakeSMTP(t)
	srv := startMerchant(t, smtp)
	waiting, release := smtp.hold()
	t.Cleanup(release)

	body := orderAccepted("evt-async-2", "260000010336", customer)
	if a := awaitAnswer(t, deliverAsync(srv, body), "first delivery"); a.code != http.StatusAccepted {
		t.Fatalf("first delivery: status %d %q, want 202", a.code, a.text)
	}
	awaitSignal(t, waiting, "the merchant sending the email")

	// DR's duplicates arrive, concurrently, while the email is being sent.
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			code, text, err := post(srv, body, signNow(body))
			if err != nil || code != http.StatusOK {
				t.Errorf("duplicate %d: status %d %q (%v), want 200", i+1, code, text, err)
			}
		})
	}
	wg.Wait()
	release()
	awaitMail(t, smtp, "the one order confirmation")
	expectNoMoreMail(t, smtp)

	// And once it is done.
	if code, text := deliver(t, srv, body, signNow(body)); code != http.StatusOK {
		t.Errorf("duplicate after the email: status %d %q, want 200", code, text)
	}
	expectNoMoreMail(t, smtp)
}

func TestCloseWaitsForQueuedWork(t *testing.T) {
	t.Parallel()
	smtp := startFakeSMTP(t)
	srv := startMerchant(t, smtp, func(c *merchant.Config) { c.Workers = 1 })
	waiting, release := smtp.hold()
	t.Cleanup(release)

	const n = 3
	for i := range n {
		body := orderAccepted(fmt.Sprint("evt-close-", i), fmt.Sprint(260000100336+i), customer)
		if a := awaitAnswer(t, deliverAsync(srv, body), "delivery"); a.code != http.StatusAccepted {
			t.Fatalf("delivery %d: status %d %q, want 202", i, a.code, a.text)
		}
	}
	// One worker: the first email is at the mail server, the others queued.
	awaitSignal(t, waiting, "the first email")

	closed := make(chan error, 1)
	go func() { closed <- srv.Close() }()
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while an email was held and two were queued", err)
	default:
	}
	release()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close has not returned 10s after the mail server was released")
	}
	// Close returned after the work was done: every email is already in.
	if got := len(smtp.Messages); got != n {
		t.Fatalf("%d email(s) sent when Close returned, want %d", got, n)
	}
	// Closed: no more webhooks.
	body := orderAccepted("evt-close-late", "260000200336", customer)
	if _, _, err := post(srv, body, signNow(body)); err == nil {
		t.Error("a delivery after Close was answered")
	}
}

func TestFullQueueIsAnsweredUnavailable(t *testing.T) {
	t.Parallel()
	smtp := startFakeSMTP(t)
	srv := startMerchant(t, smtp, func(c *merchant.Config) { c.Workers, c.QueueSize = 1, 1 })
	waiting, release := smtp.hold()
	t.Cleanup(release)

	bodies := make([][]byte, 3)
	for i := range bodies {
		bodies[i] = orderAccepted(fmt.Sprint("evt-full-", i), fmt.Sprint(260000300336+i), customer)
	}
	// The worker is busy with the first, the queue holds the second.
	if a := awaitAnswer(t, deliverAsync(srv, bodies[0]), "first"); a.code != http.StatusAccepted {
		t.Fatalf("first: status %d %q, want 202", a.code, a.text)
	}
	awaitSignal(t, waiting, "the first email")
	if a := awaitAnswer(t, deliverAsync(srv, bodies[1]), "second"); a.code != http.StatusAccepted {
		t.Fatalf("second: status %d %q, want 202", a.code, a.text)
	}
	if a := awaitAnswer(t, deliverAsync(srv, bodies[2]), "third"); a.code != http.StatusServiceUnavailable {
		t.Fatalf("third: status %d %q, want 503 (queue full)", a.code, a.text)
	}
	release()
	awaitMail(t, smtp, "first email")
	awaitMail(t, smtp, "second email")
	expectNoMoreMail(t, smtp)

	// The refused event was not claimed: DR's retry is processed.
	if code, text := deliver(t, srv, bodies[2], signNow(bodies[2])); code != http.StatusAccepted {
		t.Fatalf("third, retried: status %d %q, want 202", code, text)
	}
	awaitMail(t, smtp, "third email")
	expectNoMoreMail(t, smtp)
}

// --- Defects -------------------------------------------------------------

func TestDefectSlowAck(t *testing.T) {
	t.Parallel()
	const delay = 300 * time.Millisecond
	smtp := startFakeSMTP(t)
	srv := startMerchant(t, smtp, func(c *merchant.Config) {
		c.Defects = []string{merchant.DefectSlowAck}
		c.SlowAckDelay = delay
	})

	body := orderAccepted("evt-slow-1", "260000400336", customer)
	start := time.Now()
	code, text := deliver(t, srv, body, signNow(body))
	if took := time.Since(start); took < delay {
		t.Errorf("answered after %s, want at least SlowAckDelay (%s)", took, delay)
	}
	if code != http.StatusOK {
		t.Fatalf("webhook: status %d %q, want 200 (processed synchronously)", code, text)
	}
	// Processed before the answer: the email is already in.
	if n := len(smtp.Messages); n != 1 {
		t.Fatalf("%d email(s) when the webhook answered, want 1", n)
	}
	awaitMail(t, smtp, "order confirmation")
	if code, text := deliver(t, srv, body, signNow(body)); code != http.StatusOK || text != "duplicate" {
		t.Errorf("duplicate: status %d %q, want 200 duplicate", code, text)
	}
	expectNoMoreMail(t, smtp)
}

func TestDefectSlowAckTimesOutLikeDR(t *testing.T) {
	t.Parallel()
	smtp := startFakeSMTP(t)
	srv := startMerchant(t, smtp, func(c *merchant.Config) {
		c.Defects = []string{merchant.DefectSlowAck}
		c.SlowAckDelay = time.Hour // Close below would wait for it if it ignored the sender hanging up
	})
	body := orderAccepted("evt-slow-2", "260000410336", customer)
	req, err := http.NewRequest(http.MethodPost, srv.WebhookURL(), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(signature.Header, signNow(body))
	dr := &http.Client{Timeout: 200 * time.Millisecond} // DR's 3 s, shortened
	if resp, err := dr.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("answered %d before the sender's timeout, want no answer", resp.StatusCode)
	}
	// The email went out all the same.
	awaitMail(t, smtp, "order confirmation")
	if err := srv.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	expectNoMoreMail(t, smtp)
}

func TestDefectProcessBeforeVerify(t *testing.T) {
	t.Parallel()
	smtp := startFakeSMTP(t)
	srv := startMerchant(t, smtp, func(c *merchant.Config) {
		c.Defects = []string{merchant.DefectProcessBeforeCheck}
	})
	body := orderAccepted("evt-pbv-1", "260000500336", customer)
	if code, text := deliver(t, srv, body, signature.Sign(body, time.Now(), "forged")); code != http.StatusUnauthorized {
		t.Fatalf("forged delivery: status %d %q, want 401 (checked, but too late)", code, text)
	}
	// The work was queued before the check: the forged event is emailed.
	awaitMail(t, smtp, "order confirmation of a forged event")
	// The genuine delivery is now a duplicate.
	if code, text := deliver(t, srv, body, signNow(body)); code != http.StatusOK {
		t.Errorf("genuine delivery: status %d %q, want 200", code, text)
	}
	expectNoMoreMail(t, smtp)
}

func TestDefectNoIdempotency(t *testing.T) {
	t.Parallel()
	smtp := startFakeSMTP(t)
	srv := startMerchant(t, smtp, func(c *merchant.Config) {
		c.Defects = []string{merchant.DefectNoIdempotency}
	})
	body := orderAccepted("evt-noid-1", "260000600336", customer)
	for i := range 2 {
		if code, text := deliver(t, srv, body, signNow(body)); code != http.StatusAccepted {
			t.Fatalf("delivery %d: status %d %q, want 202", i+1, code, text)
		}
	}
	awaitMail(t, smtp, "first confirmation")
	awaitMail(t, smtp, "second confirmation (the defect)")
	expectNoMoreMail(t, smtp)
}

func TestDefectAcceptStale(t *testing.T) {
	t.Parallel()
	smtp := startFakeSMTP(t)
	srv := startMerchant(t, smtp, func(c *merchant.Config) {
		c.Defects = []string{merchant.DefectAcceptStale}
	})
	body := orderAccepted("evt-stale-1", "260000700336", customer)
	if code, text := deliver(t, srv, body, signature.Sign(body, time.Now().Add(-time.Hour), secret)); code != http.StatusAccepted {
		t.Fatalf("replayed delivery: status %d %q, want 202 (the defect)", code, text)
	}
	awaitMail(t, smtp, "order confirmation of a replay")
	if code, _ := deliver(t, srv, body, signature.Sign(body, time.Now(), "forged")); code != http.StatusUnauthorized {
		t.Errorf("forged delivery: status %d, want 401", code)
	}
	expectNoMoreMail(t, smtp)
}

func TestEventsOfOneSubscriptionAreEmailedInOrder(t *testing.T) {
	t.Parallel()
	s := startSubShop(t)
	waiting, release := s.smtp.hold()
	t.Cleanup(release)

	// Five dunning attempts, delivered in order while the mail server holds
	// the first email: with one worker per subscription they cannot overtake
	// one another, however many workers there are.
	const n = 5
	for i := 1; i <= n; i++ {
		sub, inv := subscriptionObject(), invoiceObject("open")
		inv["attemptCount"] = i
		deliverOK(t, s.srv, pairEvent(fmt.Sprint("evt-order-", i), "subscription.payment_failed", sub, inv))
	}
	awaitSignal(t, waiting, "the first billing failed email")
	release()
	for i := 1; i <= n; i++ {
		expectEmail(t, awaitMail(t, s.smtp, fmt.Sprint("billing failed email ", i)),
			"We could not charge your card – Monthly Coffee & Co", []string{fmt.Sprint("Attempt ", i)}, nil)
	}
	expectNoMoreMail(t, s.smtp)
}
