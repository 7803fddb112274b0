package delivery_test

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/drsim/drsim/simulator/internal/delivery"
	"github.com/drsim/drsim/simulator/internal/state"
	"github.com/drsim/drsim/simulator/signature"
)

// idempotentMerchant is a loopback webhook receiver that verifies each
// delivery, fails a seeded random share of first attempts with 503, and
// processes each event id once however often it arrives.
type idempotentMerchant struct {
	failShare float64
	want      int
	done      chan struct{}

	mu        sync.Mutex
	rng       *rand.Rand
	seen      map[string]bool // event ids that arrived at least once
	acked     map[string]int  // 2xx answers per event id
	processed map[string]int  // times the merchant acted on an event id
	requests  int
	failed    int
	badSig    int
}

func newIdempotentMerchant(want int, failShare float64, seed uint64) *idempotentMerchant {
	return &idempotentMerchant{
		failShare: failShare, want: want, done: make(chan struct{}),
		rng:  rand.New(rand.NewPCG(seed, seed)),
		seen: map[string]bool{}, acked: map[string]int{}, processed: map[string]int{},
	}
}

func (m *idempotentMerchant) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var ev struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(body, &ev)
	sigErr := signature.Verify(r.Header.Get(signature.Header), body, "whsec_soak", time.Now(), 0)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests++
	if sigErr != nil || ev.ID == "" {
		m.badSig++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if !m.seen[ev.ID] {
		m.seen[ev.ID] = true
		if m.rng.Float64() < m.failShare {
			m.failed++
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
	}
	if m.acked[ev.ID] == 0 {
		m.processed[ev.ID]++ // the idempotent part: act once per event id
	}
	m.acked[ev.ID]++
	if len(m.acked) == m.want {
		select {
		case <-m.done:
		default:
			close(m.done)
		}
	}
	w.WriteHeader(http.StatusAccepted)
}

// soakEvents publishes n events spread over hooks webhooks of one merchant.
func soakEvents(e *delivery.Engine, url string, n, hooks int) {
	targets := make([]state.Target, hooks)
	for i := range targets {
		targets[i] = state.Target{WebhookID: fmt.Sprintf("wh_%d", i), Address: url, Secrets: []string{"whsec_soak"}}
	}
	for i := range n {
		ev := newEvent(fmt.Sprintf("ev_%05d", i), "order.accepted", fmt.Sprintf(`{"id":"o%d","totalAmount":%d.99}`, i, i))
		e.Publish("acct_soak", ev, targets[i%hooks:i%hooks+1])
	}
}

// TestSoak sends 10,000 events to a merchant that fails 30 % of first
// attempts at random: every event must end processed exactly once, none
// lost. Run it alone with
//
//	go test -run TestSoak -v ./simulator/internal/delivery
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("soak: about 1 s, 8-10 s under -race; skipped with -short")
	}
	const events, hooks, failShare = 10000, 8, 0.3
	m := newIdempotentMerchant(events, failShare, 20260101)
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)
	// Retries after 0.6 ms, 3 ms, 18 ms… (DR's minutes × 1e-5).
	// Every attempt is kept (about 13,000, past the default MaxAttempts) so
	// the record can be checked against the merchant's.
	e := newEngine(t, delivery.Options{Retry: delivery.RetryPolicy{Scale: 1e-5}, MaxAttempts: 2 * events})

	start := time.Now()
	soakEvents(e, srv.URL, events, hooks)
	select {
	case <-m.done:
	case <-time.After(2 * time.Minute):
		m.mu.Lock()
		defer m.mu.Unlock()
		t.Fatalf("after 2m the merchant has %d of %d events (%d requests, %d failed on purpose, %d bad signatures)",
			len(m.acked), events, m.requests, m.failed, m.badSig)
	}
	elapsed := time.Since(start)

	m.mu.Lock()
	failed, requests, badSig := m.failed, m.requests, m.badSig
	dupAcks := 0
	for i := range events {
		id := fmt.Sprintf("ev_%05d", i)
		if m.processed[id] != 1 {
			m.mu.Unlock()
			t.Fatalf("event %s processed %d times, want exactly once", id, m.processed[id])
		}
		dupAcks += m.acked[id] - 1
	}
	m.mu.Unlock()
	if badSig != 0 {
		t.Fatalf("%d deliveries had a bad signature", badSig)
	}
	if share := float64(failed) / events; share < 0.27 || share > 0.33 {
		t.Fatalf("the merchant failed %.1f%% of first attempts, want about 30%%", 100*share)
	}

	// The engine's record agrees: one delivered attempt per acknowledgement,
	// one failure per refused first attempt, each followed by a retry.
	at := waitAttempts(t, e, "acct_soak", delivery.AttemptFilter{}, requests)
	delivered, failures := map[string]int{}, 0
	for _, a := range at {
		switch {
		case a.Delivered:
			delivered[a.EventID]++
		case a.NextRetryAt == nil:
			t.Fatalf("failed attempt without a retry: %+v", a)
		default:
			failures++
		}
	}
	if len(delivered) != events || failures != failed || len(at) != requests {
		t.Fatalf("engine recorded %d attempts (%d events delivered, %d failures); merchant saw %d requests (%d refused)",
			len(at), len(delivered), failures, requests, failed)
	}
	t.Logf("soak: %d events over %d webhooks in %s: %.0f deliveries/s (%.0f attempts/s); %d first attempts refused and retried, %d duplicate acknowledgements, 0 lost",
		events, hooks, elapsed.Round(time.Millisecond), events/elapsed.Seconds(), float64(requests)/elapsed.Seconds(), failed, dupAcks)
}

// recordedEvents records n customer.created events on an account of a
// store without a publisher and returns them oldest first: events as the
// engine gets them from the simulator, their JSON kept since recorded.
func recordedEvents(b *testing.B, n int) []*state.Event {
	b.Helper()
	s := state.NewStore(nil, time.Now)
	a, _, _ := s.Lookup(s.CreateAccount().SecretKey)
	addr, types := "http://merchant.example/hooks", []string{"customer.created"}
	if _, err := a.CreateWebhook(state.WebhookParams{Address: &addr, Types: &types}); err != nil {
		b.Fatal(err)
	}
	for i := range n {
		email := fmt.Sprintf("c%d@example.test", i)
		if _, err := a.CreateCustomer(state.CustomerParams{Email: &email}); err != nil {
			b.Fatal(err)
		}
	}
	var out []*state.Event
	for p := (state.ListParams{Limit: 100}); ; {
		page, err := a.Events(state.EventFilter{ListParams: p, Type: "customer.created"})
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, page.Data...)
		if !page.HasMore || len(page.Data) == 0 {
			break
		}
		p.StartingAfter = page.Data[len(page.Data)-1].ID
	}
	slices.Reverse(out)
	return out
}

// BenchmarkDeliveryRecorded is BenchmarkDelivery with recorded events to
// one webhook: their JSON is written once, when recorded (before the timer).
func BenchmarkDeliveryRecorded(b *testing.B) {
	evs := recordedEvents(b, b.N)
	m := newIdempotentMerchant(b.N, 0, 1)
	srv := httptest.NewServer(m)
	defer srv.Close()
	e := delivery.New(delivery.Options{})
	defer e.Close()
	tg := []state.Target{{WebhookID: "wh_0", Address: srv.URL, Secrets: []string{"whsec_soak"}}}
	b.ReportAllocs()
	b.ResetTimer()
	for _, ev := range evs {
		e.Publish("acct_soak", ev, tg)
	}
	select {
	case <-m.done:
	case <-time.After(5 * time.Minute):
		b.Fatalf("%d of %d events delivered after 5m", len(m.acked), b.N)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
}

// BenchmarkDelivery measures events delivered per second over loopback to a
// merchant that acknowledges at once.
func BenchmarkDelivery(b *testing.B) {
	for _, hooks := range []int{1, 8} {
		b.Run(fmt.Sprintf("webhooks=%d", hooks), func(b *testing.B) {
			m := newIdempotentMerchant(b.N, 0, 1)
			srv := httptest.NewServer(m)
			defer srv.Close()
			e := delivery.New(delivery.Options{})
			defer e.Close()
			b.ReportAllocs()
			b.ResetTimer()
			soakEvents(e, srv.URL, b.N, hooks)
			select {
			case <-m.done:
			case <-time.After(5 * time.Minute):
				b.Fatalf("%d of %d events delivered after 5m", len(m.acked), b.N)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
		})
	}
}
