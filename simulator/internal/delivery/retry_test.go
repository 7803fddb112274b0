package delivery_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drsim/drsim/simulator/internal/apierror"
	"github.com/drsim/drsim/simulator/internal/delivery"
	"github.com/drsim/drsim/simulator/internal/state"
	"github.com/drsim/drsim/simulator/signature"
)

func TestRetryPolicySchedule(t *testing.T) {
	var zero delivery.RetryPolicy
	for i, want := range delivery.DefaultSchedule() {
		if d, ok := zero.Delay(i + 1); !ok || d != want {
			t.Fatalf("default Delay(%d) = %s, %v; want %s", i+1, d, ok, want)
		}
	}
	if _, ok := zero.Delay(len(delivery.DefaultSchedule()) + 1); ok {
		t.Fatal("the default schedule has a retry after its last")
	}
	if _, ok := zero.Delay(0); ok {
		t.Fatal("Delay(0) is a retry before any failure")
	}
	if got := zero.Budget(); got != 9 {
		t.Fatalf("default budget %d attempts, want 9", got)
	}
	if got, want := zero.Age(9), 68*time.Hour+36*time.Minute; got != want {
		t.Fatalf("the 9th attempt comes %s after the first, want %s (about DR's 72 h)", got, want)
	}
	if got := zero.Wall(5 * time.Minute); got != 5*time.Minute {
		t.Fatalf("scale 0 (real time) waits %s for 5m", got)
	}

	fast := delivery.RetryPolicy{Scale: 1e-4}
	for virtual, wall := range map[time.Duration]time.Duration{
		time.Minute: 6 * time.Millisecond, 5 * time.Minute: 30 * time.Millisecond,
		2 * time.Hour: 720 * time.Millisecond, 24 * time.Hour: 8640 * time.Millisecond,
	} {
		if got := fast.Wall(virtual); got != wall {
			t.Errorf("scale 1e-4: Wall(%s) = %s, want %s", virtual, got, wall)
		}
	}

	custom := delivery.RetryPolicy{Schedule: []time.Duration{time.Second, 2 * time.Second}, Scale: 0.5}
	if d, ok := custom.Delay(2); !ok || d != 2*time.Second || custom.Wall(d) != time.Second {
		t.Fatalf("custom Delay(2) = %s, %v (wall %s)", d, ok, custom.Wall(d))
	}
	if _, ok := custom.Delay(3); ok || custom.Budget() != 3 || custom.Age(3) != 3*time.Second {
		t.Fatalf("custom schedule: budget %d, age of 3rd attempt %s", custom.Budget(), custom.Age(3))
	}
	none := delivery.RetryPolicy{Schedule: []time.Duration{}}
	if _, ok := none.Delay(1); ok || none.Budget() != 1 {
		t.Fatal("an empty schedule retries")
	}
	if got := (delivery.RetryPolicy{Scale: -3}).Wall(time.Second); got != time.Second {
		t.Fatalf("a negative scale waits %s for 1s; want it treated as 1", got)
	}
}

func TestDisablePolicy(t *testing.T) {
	var def delivery.DisablePolicy
	cases := []struct {
		p        delivery.DisablePolicy
		failures int
		age      time.Duration
		want     bool
	}{
		{def, 5, 24 * time.Hour, true},
		{def, 4, 48 * time.Hour, false},
		{def, 50, 23 * time.Hour, false},
		{delivery.DisablePolicy{Failures: -1}, 1000, 1000 * time.Hour, false},
		{delivery.DisablePolicy{Failures: 3, For: -1}, 3, 0, true},
		{delivery.DisablePolicy{Failures: 3, For: -1}, 2, time.Hour, false},
		{delivery.DisablePolicy{Failures: 2, For: 30 * time.Minute}, 2, 36 * time.Minute, true},
	}
	for _, tc := range cases {
		if got := tc.p.Trips(tc.failures, tc.age); got != tc.want {
			t.Errorf("%s: Trips(%d, %s) = %v, want %v", tc.p, tc.failures, tc.age, got, tc.want)
		}
	}
	// The documented consequence: a webhook that is down is disabled at the
	// 8th attempt of its event, 44h36m of DR time after the first.
	var zero delivery.RetryPolicy
	at := 0
	for n := 1; n <= zero.Budget(); n++ {
		if def.Trips(n, zero.Age(n)) {
			at = n
			break
		}
	}
	if at != 8 || zero.Age(at) != 44*time.Hour+36*time.Minute {
		t.Fatalf("default policies disable a down webhook at attempt %d (%s), want 8 (44h36m)", at, zero.Age(at))
	}
}

// headerTime reads the signing time out of a DigitalRiver-Signature header.
func headerTime(t *testing.T, h string) time.Time {
	t.Helper()
	ts, _, _ := strings.Cut(h, ", ")
	unix, err := strconv.ParseInt(strings.TrimPrefix(ts, "t="), 10, 64)
	if err != nil {
		t.Fatalf("header %q: %v", h, err)
	}
	return time.Unix(unix, 0)
}

func TestRetriesFollowTheScaledScheduleWithFreshSignatures(t *testing.T) {
	// Each attempt is signed a minute after the previous one, so each must
	// carry its own timestamp and digest.
	base := time.Now().Truncate(time.Second)
	var calls atomic.Int64
	wall := func() time.Time { return base.Add(time.Duration(calls.Add(1)) * time.Minute) }
	retry := delivery.RetryPolicy{Scale: 1e-4}
	e := newEngine(t, delivery.Options{Retry: retry, Wall: wall})
	rc := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n <= 3 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	published := time.Now()
	e.Publish("acct_1", newEvent("ev_1", "order.accepted", `{"id":"o1"}`), []state.Target{target("wh_1", rc.url)})

	var got []received
	for i := range 4 {
		got = append(got, rc.next(t, "attempt "+strconv.Itoa(i+1)))
	}
	seen := map[string]bool{}
	for i, m := range got {
		h := m.header.Get(signature.Header)
		if seen[h] {
			t.Fatalf("attempt %d reuses an earlier signature %q", i+1, h)
		}
		seen[h] = true
		if string(m.body) != string(got[0].body) {
			t.Fatalf("attempt %d body differs from the first: the event must be the same", i+1)
		}
		if err := signature.Verify(h, m.body, "whsec_wh_1", headerTime(t, h), 0); err != nil {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
		if signed := headerTime(t, h); !signed.Equal(base.Add(time.Duration(i+1) * time.Minute)) {
			t.Fatalf("attempt %d signed at %s, want the wall clock at its sending, %s", i+1, signed, base.Add(time.Duration(i+1)*time.Minute))
		}
	}
	// The merchant never sees a retry before its scaled backoff.
	prev := published
	for i, m := range got[1:] {
		if gap, min := m.at.Sub(got[i].at), retry.Wall(delivery.DefaultSchedule()[i]); gap < min {
			t.Fatalf("retry %d came %s after the attempt before it, want at least %s (%s × 1e-4)", i+1, gap, min, delivery.DefaultSchedule()[i])
		}
		prev = m.at
	}
	if total, min := prev.Sub(published), retry.Wall(retry.Age(4)); total < min {
		t.Fatalf("4th attempt came %s after publishing, want at least %s", total, min)
	}

	at := waitAttempts(t, e, "acct_1", delivery.AttemptFilter{EventID: "ev_1"}, 4)
	for i, a := range at {
		if a.Attempt != i+1 {
			t.Fatalf("attempt %d numbered %d", i+1, a.Attempt)
		}
		if i == 3 {
			if !a.Delivered || a.NextRetryAt != nil || a.GaveUp {
				t.Fatalf("last attempt %+v, want delivered with nothing next", a)
			}
			continue
		}
		d := delivery.DefaultSchedule()[i]
		if a.Delivered || a.RetryDelay != d.String() || a.NextRetryAt == nil || !a.NextRetryAt.Equal(a.Time.Add(retry.Wall(d))) {
			t.Fatalf("attempt %d: %+v; want a retry %s (%s of wall time) after it", i+1, a, d, retry.Wall(d))
		}
	}
	raw, _ := json.Marshal(at[0])
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || m["retryDelay"] != "1m0s" || m["nextRetryAt"] == nil || m["attempt"] != 1.0 {
		t.Fatalf("attempt JSON %s, want attempt 1, retryDelay 1m0s and nextRetryAt", raw)
	}
}

func TestRetryBudgetRunsOut(t *testing.T) {
	e := newEngine(t, delivery.Options{
		Retry:   delivery.RetryPolicy{Schedule: []time.Duration{time.Minute, time.Minute}, Scale: 1e-5},
		Disable: delivery.DisablePolicy{Failures: -1},
	})
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadGateway) })
	e.Publish("acct_1", newEvent("ev_1", "order.accepted", `{}`), []state.Target{target("wh_1", rc.url)})
	at := waitAttempts(t, e, "acct_1", delivery.AttemptFilter{}, 3)
	if at[0].GaveUp || at[1].GaveUp || !at[2].GaveUp || at[2].NextRetryAt != nil || at[2].Attempt != 3 {
		t.Fatalf("attempts %+v, want the third to give up", at)
	}
	if s := e.Status("acct_1", "wh_1"); s.WaitingRetry+s.Queued+s.Parked != 0 || s.ConsecutiveFailures != 3 {
		t.Fatalf("status after giving up %+v", s)
	}

	none := newEngine(t, delivery.Options{Retry: delivery.RetryPolicy{Schedule: []time.Duration{}}})
	none.Publish("acct_1", newEvent("ev_2", "order.accepted", `{}`), []state.Target{target("wh_1", rc.url)})
	if at := waitAttempts(t, none, "acct_1", delivery.AttemptFilter{}, 1); !at[0].GaveUp || at[0].NextRetryAt != nil {
		t.Fatalf("with no retries the failed attempt %+v must give up", at[0])
	}
}

func TestABackingOffEventDoesNotBlockNewerOnes(t *testing.T) {
	e := newEngine(t, delivery.Options{}) // real-time schedule: the retry waits a minute
	rc := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	tg := []state.Target{target("wh_1", rc.url)}
	e.Publish("acct_1", newEvent("ev_1", "order.accepted", `{}`), tg)
	e.Publish("acct_1", newEvent("ev_2", "order.accepted", `{}`), tg)
	ids := func(what string) string {
		var ev state.Event
		if err := json.Unmarshal(rc.next(t, what).body, &ev); err != nil {
			t.Fatal(err)
		}
		return ev.ID
	}
	if a, b := ids("ev_1, failing"), ids("ev_2 while ev_1 backs off"); a != "ev_1" || b != "ev_2" {
		t.Fatalf("got %s then %s, want ev_1 (failed) then ev_2", a, b)
	}
	waitAttempts(t, e, "acct_1", delivery.AttemptFilter{EventID: "ev_2"}, 1)
	if s := e.Status("acct_1", "wh_1"); s.WaitingRetry != 1 {
		t.Fatalf("status %+v, want ev_1 waiting for its retry", s)
	}
	if n := e.RetryNow("acct_1", ""); n != 1 {
		t.Fatalf("RetryNow retried %d events, want 1", n)
	}
	if id := ids("ev_1 retried now"); id != "ev_1" {
		t.Fatalf("retry is %s, want ev_1", id)
	}
	if at := waitAttempts(t, e, "acct_1", delivery.AttemptFilter{EventID: "ev_1"}, 2); !at[1].Delivered || at[1].Attempt != 2 {
		t.Fatalf("ev_1 attempts %+v", at)
	}
}

// source is a fake account: it serves a webhook's current target, counts
// how often it is asked, records disabling, and bumps its webhook version
// with every change (set).
type source struct {
	mu       sync.Mutex
	target   state.Target
	enabled  bool
	disabled []string // reasons
	version  atomic.Uint64
	reads    int // CurrentTarget calls
}

func (s *source) CurrentTarget(id string) (state.Target, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	if id != s.target.WebhookID {
		return state.Target{}, false, apierror.NotFound("Webhook", id)
	}
	t := s.target
	t.Source, t.Enabled, t.Version = s, s.enabled, s.version.Load()
	return t, s.enabled, nil
}

func (s *source) DisableWebhook(id, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.version.Add(1)
	s.enabled = false
	s.disabled = append(s.disabled, reason)
	return nil
}

func (s *source) WebhookVersion() uint64 { return s.version.Load() }

func (s *source) set(f func(*source)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.version.Add(1)
	f(s)
}

func (s *source) readCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

// A first attempt uses the target captured at publish while the webhook
// has not changed since; once it has, the attempt reads the current one.
func TestFirstAttemptUsesTheTargetCapturedAtPublish(t *testing.T) {
	e := newEngine(t, delivery.Options{})
	before, after := newReceiver(t, nil), newReceiver(t, nil)
	src := &source{target: state.Target{WebhookID: "wh_1", Address: before.url, Secrets: []string{"whsec_a"}}, enabled: true}
	tg, _, _ := src.CurrentTarget("wh_1")
	reads := src.readCount()

	e.Publish("acct_1", newEvent("ev_1", "order.accepted", `{}`), []state.Target{tg})
	m := before.next(t, "ev_1 at the address captured at publish")
	if err := signature.Verify(m.header.Get(signature.Header), m.body, "whsec_a", time.Now(), 0); err != nil {
		t.Fatalf("ev_1: %v", err)
	}
	waitAttempts(t, e, "acct_1", delivery.AttemptFilter{EventID: "ev_1"}, 1)
	if n := src.readCount() - reads; n != 0 {
		t.Fatalf("the first attempt of an unchanged webhook read the target %d times, want 0", n)
	}

	// Moved and re-keyed after ev_2 was published with the old target.
	src.set(func(s *source) { s.target.Address, s.target.Secrets = after.url, []string{"whsec_b"} })
	e.Publish("acct_1", newEvent("ev_2", "order.accepted", `{}`), []state.Target{tg})
	m = after.next(t, "ev_2 at the address set after publish")
	if err := signature.Verify(m.header.Get(signature.Header), m.body, "whsec_b", time.Now(), 0); err != nil {
		t.Fatalf("ev_2 signed with the old secret: %v", err)
	}
	if n := src.readCount() - reads; n != 1 {
		t.Fatalf("the first attempt of a changed webhook read the target %d times, want 1", n)
	}
	select {
	case m := <-before.got:
		t.Fatalf("the old address got a delivery after the change: %s", m.body)
	default:
	}
}

func TestRetriesReReadTheTargetAndTheFailurePolicyDisablesIt(t *testing.T) {
	e := newEngine(t, delivery.Options{
		Retry:   delivery.RetryPolicy{Scale: 1e-5},
		Disable: delivery.DisablePolicy{Failures: 2, For: 30 * time.Minute},
	})
	var down atomic.Bool
	down.Store(true)
	rotated := make(chan struct{})
	failing := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n == 1 {
			<-rotated // attempt 1 ends only once the test has rotated the secret
		}
		if down.Load() {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	src := &source{target: state.Target{WebhookID: "wh_1", Address: failing.url, Secrets: []string{"whsec_a"}}, enabled: true}
	first, _, _ := src.CurrentTarget("wh_1")
	e.Publish("acct_1", newEvent("ev_1", "order.accepted", `{}`), []state.Target{first})

	// Rotated between attempts 1 and 2: the retry is signed with both secrets.
	failing.next(t, "attempt 1")
	src.set(func(s *source) { s.target.Secrets = []string{"whsec_b", "whsec_a"} })
	close(rotated)
	m := failing.next(t, "attempt 2")
	for _, s := range []string{"whsec_b", "whsec_a"} {
		if err := signature.Verify(m.header.Get(signature.Header), m.body, s, time.Now(), 0); err != nil {
			t.Fatalf("retry after rotation, secret %s: %v", s, err)
		}
	}
	// Attempts at 0, 1m, 6m, 36m of DR time: the 4th is the first whose
	// event has failed for 30m, with 2 or more consecutive failures.
	at := waitAttempts(t, e, "acct_1", delivery.AttemptFilter{}, 4)
	for i, a := range at[:3] {
		if a.DisabledWebhook || a.NextRetryAt == nil {
			t.Fatalf("attempt %d %+v: the policy must not trip before the event has failed for 30m", i+1, a)
		}
	}
	if a := at[3]; !a.DisabledWebhook || !a.Parked || a.NextRetryAt != nil {
		t.Fatalf("attempt 4 %+v, want it to disable the webhook and park the event", a)
	}
	src.mu.Lock()
	reasons := append([]string(nil), src.disabled...)
	src.mu.Unlock()
	if len(reasons) != 1 || !strings.Contains(reasons[0], "4 consecutive failed") || !strings.Contains(reasons[0], "36m") {
		t.Fatalf("DisableWebhook called with %q, want once with the count and the age", reasons)
	}
	if s := e.Status("acct_1", "wh_1"); !s.DisabledByPolicy || s.Parked != 1 {
		t.Fatalf("status %+v, want disabled with ev_1 parked", s)
	}

	// Re-enabled at a new address: the parked event goes there at once.
	down.Store(false)
	moved := newReceiver(t, nil)
	src.set(func(s *source) { s.enabled, s.target.Address = true, moved.url })
	e.ResumeWebhook("acct_1", "wh_1")
	var ev state.Event
	if err := json.Unmarshal(moved.next(t, "the parked event at the new address").body, &ev); err != nil || ev.ID != "ev_1" {
		t.Fatalf("got %s (%v), want ev_1", ev.ID, err)
	}
	at = waitAttempts(t, e, "acct_1", delivery.AttemptFilter{}, 5)
	if a := at[4]; !a.Delivered || a.Attempt != 5 || a.Address != moved.url {
		t.Fatalf("attempt after re-enabling %+v", a)
	}
	if s := e.Status("acct_1", "wh_1"); s.DisabledByPolicy || s.Parked != 0 || s.ConsecutiveFailures != 0 {
		t.Fatalf("status after re-enabling %+v", s)
	}
}

func TestEventsOfAWebhookDisabledThroughTheAPIAreParked(t *testing.T) {
	e := newEngine(t, delivery.Options{})
	rc := newReceiver(t, nil)
	src := &source{target: state.Target{WebhookID: "wh_1", Address: rc.url, Secrets: []string{"whsec_a"}}, enabled: true}
	tg, _, _ := src.CurrentTarget("wh_1")
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	// Published while enabled, disabled before the worker got to it.
	src.set(func(s *source) { s.enabled = false })
	e.Publish("acct_1", newEvent("ev_1", "order.accepted", `{}`), []state.Target{tg})
	if _, err := e.WaitStatus(ctx, "acct_1", "wh_1", func(s delivery.HookStatus) bool { return s.Parked == 1 }); err != nil {
		t.Fatal(err)
	}
	if s := e.Status("acct_1", "wh_1"); s.DisabledByPolicy || len(e.Attempts("acct_1", delivery.AttemptFilter{})) != 0 {
		t.Fatalf("status %+v: a webhook disabled through the API parks without attempting", s)
	}
	src.set(func(s *source) { s.enabled = true })
	e.ResumeWebhook("acct_1", "wh_1")
	rc.next(t, "ev_1 after re-enabling")
}
