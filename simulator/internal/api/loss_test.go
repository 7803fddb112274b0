package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drsim/drsim/simulator/internal/delivery"
)

// merchant modes for TestNoEventLostThroughOutages.
const (
	modeUp int32 = iota
	modeDown
	modeFlaky
	modeHanging
)

// flakyMerchant acknowledges events by mode and counts, per event id, the
// deliveries it acknowledged (answered 2xx).
type flakyMerchant struct {
	url  string
	mode atomic.Int32
	hung chan string // an event id each time a request hangs

	mu    sync.Mutex
	acked map[string]int
	seen  map[string]int // requests per event id while flaky
	calls atomic.Int64
	ack   chan string
}

func newFlakyMerchant(t *testing.T) *flakyMerchant {
	m := &flakyMerchant{acked: map[string]int{}, seen: map[string]int{}, ack: make(chan string, 1000), hung: make(chan string, 1000)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var ev struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(body, &ev)
		n := m.calls.Add(1)
		switch m.mode.Load() {
		case modeDown:
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		case modeFlaky:
			m.mu.Lock()
			m.seen[ev.ID]++
			first := m.seen[ev.ID] == 1
			m.mu.Unlock()
			if first || n%3 == 0 {
				http.Error(w, "flaky", http.StatusInternalServerError)
				return
			}
		case modeHanging:
			m.hung <- ev.ID
			<-r.Context().Done() // until the simulator gives up on this attempt
			return
		}
		m.mu.Lock()
		m.acked[ev.ID]++
		m.mu.Unlock()
		w.WriteHeader(http.StatusOK)
		m.ack <- ev.ID
	}))
	t.Cleanup(srv.Close)
	m.url = srv.URL
	return m
}

// waitAcked waits until every id was acknowledged at least once.
func (m *flakyMerchant) waitAcked(t *testing.T, what string, ids []string) {
	t.Helper()
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	deadline := time.After(wait)
	for {
		m.mu.Lock()
		missing := 0
		for id := range want {
			if m.acked[id] == 0 {
				missing++
			}
		}
		m.mu.Unlock()
		if missing == 0 {
			return
		}
		select {
		case <-m.ack:
		case <-deadline:
			t.Fatalf("%s: %d of %d events never acknowledged within %s", what, missing, len(ids), wait)
		}
	}
}

// A merchant that is down, then flaky, then hanging, then back: every event
// reaches it exactly once after recovery, or is listed as given up (and the
// replay of the undelivered ones brings those too, exactly once).
func TestNoEventLostThroughOutages(t *testing.T) {
	e := newEnvWith(t, delivery.Options{
		Timeout: 200 * time.Millisecond,
		// 4 attempts, 10 virtual minutes apart = 60 ms of wall time.
		Retry:   delivery.RetryPolicy{Schedule: []time.Duration{10 * time.Minute, 10 * time.Minute, 10 * time.Minute}, Scale: 1e-4},
		Disable: delivery.DisablePolicy{Failures: -1},
	})
	acct := e.newAccount()
	c := acct.secret
	a, _, _ := e.store.Lookup(acct.keys.SecretKey)
	m := newFlakyMerchant(t)
	ctx, cancel := context.WithTimeout(t.Context(), 4*wait) // every wait below, in all
	defer cancel()
	hook := c.createWebhook(m.url, "sku.created")
	newEvents := func(n int) []string {
		var ids []string
		for range n {
			c.createSKU("Widget")
			ids = append(ids, c.events("?type=sku.created&limit=1").Data[0].ID)
		}
		return ids
	}

	// Down: every attempt fails until the budget is spent; each event is
	// given up, counted and listed.
	m.mode.Store(modeDown)
	down := newEvents(10)
	st, err := e.engine.WaitStatus(ctx, a.ID(), hook, func(s delivery.HookStatus) bool { return s.GaveUp == len(down) })
	if err != nil {
		t.Fatalf("waiting for %d give-ups: %v", len(down), err)
	}
	listed := map[string]bool{}
	for _, g := range st.GiveUps {
		listed[g.EventID] = true
		if g.Attempts != 4 {
			t.Errorf("give-up %+v: want 4 attempts", g)
		}
	}
	for _, id := range down {
		if !listed[id] {
			t.Fatalf("event %s failed throughout but is not listed as given up: %+v", id, st.GiveUps)
		}
	}
	var view struct {
		GaveUp  int `json:"gaveUp"`
		GiveUps []struct {
			EventID string `json:"eventId"`
		} `json:"giveUps"`
	}
	c.must("GET", "/_sim/webhooks/"+hook+"/delivery", nil, http.StatusOK, &view)
	if view.GaveUp != len(down) || len(view.GiveUps) != len(down) {
		t.Fatalf("GET /_sim/webhooks/{id}/delivery lists %d give-ups (count %d), want %d", len(view.GiveUps), view.GaveUp, len(down))
	}

	// Flaky: each event's first attempt and every third request get a 500;
	// retries bring each event.
	m.mode.Store(modeFlaky)
	flaky := newEvents(10)
	m.waitAcked(t, "flaky merchant", flaky)

	// Hanging: the first attempt hangs past the timeout; the merchant
	// recovers and the retry brings it.
	m.mode.Store(modeHanging)
	hanging := newEvents(3)
	select {
	case <-m.hung:
	case <-time.After(wait):
		t.Fatal("no delivery reached the hanging merchant")
	}
	m.mode.Store(modeUp)
	m.waitAcked(t, "after the hang", hanging)

	// The merchant acknowledges before the simulator records the attempt:
	// wait for the records too.
	for _, id := range append(append([]string(nil), flaky...), hanging...) {
		for k := 1; ; k++ {
			at, err := e.engine.WaitAttempts(ctx, a.ID(), delivery.AttemptFilter{EventID: id, WebhookID: hook}, k)
			if err != nil {
				t.Fatal(err)
			}
			if at[len(at)-1].Delivered {
				break
			}
		}
	}

	// Recovery: the undelivered events (the given-up ones) are replayed.
	var replay struct {
		Replayed int      `json:"replayed"`
		EventIDs []string `json:"eventIds"`
	}
	c.must("POST", "/_sim/webhooks/"+hook+"/replay", `{"undelivered":true}`, http.StatusOK, &replay)
	if replay.Replayed != len(down) {
		t.Fatalf("replay of undelivered events sent %d (%v), want the %d given up", replay.Replayed, replay.EventIDs, len(down))
	}
	m.waitAcked(t, "replay", down)

	// Exactly once each: wait until the engine is idle, then count.
	if _, err := e.engine.WaitStatus(ctx, a.ID(), hook, func(s delivery.HookStatus) bool { return s.Queued == 0 && s.WaitingRetry == 0 }); err != nil {
		t.Fatal(err)
	}
	all := append(append(append([]string(nil), down...), flaky...), hanging...)
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range all {
		if m.acked[id] != 1 {
			t.Errorf("event %s acknowledged %d times, want exactly once", id, m.acked[id])
		}
	}
	if len(m.acked) != len(all) {
		t.Errorf("merchant acknowledged %d distinct events, want %d", len(m.acked), len(all))
	}
	t.Logf("%d events: %d given up while down (listed, then replayed), %d through a flaky merchant, %d through a hang; %d requests in all; each acknowledged exactly once",
		len(all), len(down), len(flaky), len(hanging), m.calls.Load())
}
