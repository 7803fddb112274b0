package delivery_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drsim/drsim/simulator/internal/apierror"
	"github.com/drsim/drsim/simulator/internal/delivery"
	"github.com/drsim/drsim/simulator/internal/state"
)

// fastRetries retries after 6 ms, 30 ms, … (DR's minutes × 1e-4).
var fastRetries = delivery.Options{Retry: delivery.RetryPolicy{Scale: 1e-4}}

func eventID(t *testing.T, m received) string {
	t.Helper()
	var ev state.Event
	if err := json.Unmarshal(m.body, &ev); err != nil {
		t.Fatalf("request %d: %v", m.n, err)
	}
	return ev.ID
}

func mustFault(t *testing.T, e *delivery.Engine, account string, f delivery.Fault) delivery.Fault {
	t.Helper()
	out, err := e.AddFault(account, f)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFaultOutcomesAreRetried(t *testing.T) {
	cases := []struct {
		name    string
		fault   delivery.Fault
		calls   int // requests the merchant sees for the event
		status  int // of the faulted attempt
		errText string
	}{
		{"status", delivery.Fault{Status: 503}, 1, 503, "answered 503 without calling"},
		{"timeout", delivery.Fault{Timeout: true}, 2, 0, "timeout"},
		{"redirect", delivery.Fault{Redirect: true}, 1, 302, "302"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEngine(t, fastRetries)
			rc := newReceiver(t, nil)
			f := mustFault(t, e, "acct_1", tc.fault)
			e.Publish("acct_1", newEvent("ev_1", "order.accepted", `{"id":"o1"}`), []state.Target{target("wh_1", rc.url)})
			for i := range tc.calls {
				if id := eventID(t, rc.next(t, "ev_1")); id != "ev_1" {
					t.Fatalf("request %d is %s", i+1, id)
				}
			}
			at := waitAttempts(t, e, "acct_1", delivery.AttemptFilter{}, 2)
			a := at[0]
			if a.Delivered || a.Status != tc.status || a.Fault != f.ID || !strings.Contains(a.Error, tc.errText) || a.NextRetryAt == nil {
				t.Fatalf("faulted attempt %+v; want status %d, fault %s, error mentioning %q, and a retry", a, tc.status, f.ID, tc.errText)
			}
			if b := at[1]; !b.Delivered || b.Attempt != 2 || b.Fault != "" {
				t.Fatalf("retry %+v, want delivered attempt 2 with no fault (count 1 is used up)", b)
			}
			if len(at) != 2 {
				t.Fatalf("%d attempts, want 2", len(at))
			}
		})
	}
}

func TestDuplicateFaultSendsTheEventTwiceAtOnce(t *testing.T) {
	e := newEngine(t, fastRetries)
	both := make(chan struct{})
	rc := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n <= 2 {
			<-both // neither copy is answered until both arrived: they are concurrent
		}
		w.WriteHeader(http.StatusOK)
	})
	t.Cleanup(func() { // before the receiver closes, should the test fail early
		select {
		case <-both:
		default:
			close(both)
		}
	})
	f := mustFault(t, e, "acct_1", delivery.Fault{Duplicate: true, ObjectID: "o1"})
	e.Publish("acct_1", newEvent("ev_1", "order.accepted", `{"id":"o1"}`), []state.Target{target("wh_1", rc.url)})
	a, b := rc.next(t, "the first copy"), rc.next(t, "the second copy, while the first is unanswered")
	close(both)
	if eventID(t, a) != "ev_1" || eventID(t, b) != "ev_1" || a.header.Get("DigitalRiver-Signature") == "" {
		t.Fatalf("copies %s and %s", eventID(t, a), eventID(t, b))
	}
	at := waitAttempts(t, e, "acct_1", delivery.AttemptFilter{}, 2)
	dups := 0
	for _, x := range at {
		if !x.Delivered || x.Attempt != 1 || x.Fault != f.ID || x.NextRetryAt != nil {
			t.Fatalf("copy attempt %+v, want delivered attempt 1 under %s", x, f.ID)
		}
		if x.Duplicate {
			dups++
		}
	}
	if dups != 1 {
		t.Fatalf("%d attempts marked duplicate, want 1", dups)
	}
	if s := e.Status("acct_1", "wh_1"); s.WaitingRetry != 0 {
		t.Fatalf("status %+v: a delivered duplicate is not retried", s)
	}
}

func TestLatencyFaultDelaysTheDelivery(t *testing.T) {
	e := newEngine(t, delivery.Options{})
	rc := newReceiver(t, nil)
	mustFault(t, e, "acct_1", delivery.Fault{Latency: "80ms", EventType: "order.accepted"})
	start := time.Now()
	e.Publish("acct_1", newEvent("ev_1", "order.accepted", `{}`), []state.Target{target("wh_1", rc.url)})
	if m := rc.next(t, "the delayed delivery"); m.at.Sub(start) < 80*time.Millisecond {
		t.Fatalf("delivered %s after publishing, want at least 80ms", m.at.Sub(start))
	}
	// The pause comes before the attempt starts (its Time, from which its
	// Latency is measured), so it is not counted as the merchant's. Compared
	// as instants, never as a bound on how long the merchant took, which a
	// loaded machine can stretch.
	if a := waitAttempts(t, e, "acct_1", delivery.AttemptFilter{}, 1)[0]; !a.Delivered || a.Time.Sub(start) < 80*time.Millisecond {
		t.Fatalf("attempt %+v started %s after publishing: want delivered, started after the 80ms of added latency", a, a.Time.Sub(start))
	}
}

func TestHoldAndRelease(t *testing.T) {
	e := newEngine(t, delivery.Options{})
	rc := newReceiver(t, nil)
	other := newReceiver(t, nil)
	hold := mustFault(t, e, "acct_1", delivery.Fault{Hold: true, WebhookID: "wh_1", EventType: "order.accepted"})
	if hold.Count != 0 {
		t.Fatalf("hold fault count %d, want 0 (until released)", hold.Count)
	}
	tg := []state.Target{target("wh_1", rc.url)}
	for _, id := range []string{"ev_1", "ev_2", "ev_3", "ev_4"} {
		e.Publish("acct_1", newEvent(id, "order.accepted", `{}`), tg)
	}
	// Not held: another type to the same webhook, and another webhook.
	e.Publish("acct_1", newEvent("ev_x", "sku.created", `{}`), tg)
	e.Publish("acct_1", newEvent("ev_y", "order.accepted", `{}`), []state.Target{target("wh_2", other.url)})
	if id := eventID(t, rc.next(t, "sku.created past the held events")); id != "ev_x" {
		t.Fatalf("got %s while order.accepted is held, want ev_x", id)
	}
	if id := eventID(t, other.next(t, "the other webhook's event")); id != "ev_y" {
		t.Fatalf("other webhook got %s", id)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if f, err := e.WaitHeld(ctx, "acct_1", hold.ID, 4); err != nil || f.Held != 4 || f.Used != 4 {
		t.Fatalf("WaitHeld: %+v, %v", f, err)
	}
	if s := e.Status("acct_1", "wh_1"); s.Held != 4 {
		t.Fatalf("status %+v, want 4 held", s)
	}
	f, err := e.Release("acct_1", hold.ID, delivery.ReleaseReverse, nil)
	if err != nil || f.Released != 4 || f.Held != 0 || !f.Done {
		t.Fatalf("Release: %+v, %v", f, err)
	}
	for _, want := range []string{"ev_4", "ev_3", "ev_2", "ev_1"} {
		if id := eventID(t, rc.next(t, want+" released")); id != want {
			t.Fatalf("released %s, want %s (reverse)", id, want)
		}
	}
	// Done: nothing more is held.
	e.Publish("acct_1", newEvent("ev_5", "order.accepted", `{}`), tg)
	if id := eventID(t, rc.next(t, "ev_5")); id != "ev_5" {
		t.Fatalf("after the release got %s", id)
	}
	if _, err := e.Release("acct_1", hold.ID, "sideways", nil); apierror.As(err).Status != http.StatusBadRequest {
		t.Fatalf("unknown order: %v", err)
	}
	if _, err := e.Release("acct_2", hold.ID, "", nil); apierror.As(err).Status != http.StatusNotFound {
		t.Fatalf("another account released the fault: %v", err)
	}
}

func TestShuffledReleaseIsAPermutationRepeatableBySeed(t *testing.T) {
	e := newEngine(t, delivery.Options{})
	seed := uint64(7)
	var orders [][]string
	for run, wh := range []string{"wh_a", "wh_b"} {
		rc := newReceiver(t, nil)
		hold := mustFault(t, e, "acct_1", delivery.Fault{Hold: true, WebhookID: wh})
		var ids []string
		for i := range 8 {
			id := wh + "_ev_" + string(rune('0'+i))
			ids = append(ids, id)
			e.Publish("acct_1", newEvent(id, "order.accepted", `{}`), []state.Target{target(wh, rc.url)})
		}
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		if _, err := e.WaitHeld(ctx, "acct_1", hold.ID, 8); err != nil {
			cancel()
			t.Fatal(err)
		}
		cancel()
		if _, err := e.Release("acct_1", hold.ID, delivery.ReleaseShuffle, &seed); err != nil {
			t.Fatal(err)
		}
		var order []string
		for range ids {
			id := eventID(t, rc.next(t, "shuffled release"))
			order = append(order, strings.TrimPrefix(id, wh+"_"))
		}
		got := slices.Clone(order)
		slices.Sort(got)
		want := slices.Clone(ids)
		for i := range want {
			want[i] = strings.TrimPrefix(want[i], wh+"_")
		}
		if !slices.Equal(got, want) {
			t.Fatalf("run %d: released %v, not a permutation of %v", run, order, want)
		}
		orders = append(orders, order)
	}
	if !slices.Equal(orders[0], orders[1]) {
		t.Fatalf("seed %d gave %v then %v", seed, orders[0], orders[1])
	}
}

func TestHoldFaultIsUsedOnlyByMatchingDeliveries(t *testing.T) {
	e := newEngine(t, delivery.Options{})
	rc := newReceiver(t, nil)
	hold := mustFault(t, e, "acct_1", delivery.Fault{Hold: true, ObjectID: "o2", Count: 1})
	tg := []state.Target{target("wh_1", rc.url)}
	e.Publish("acct_1", newEvent("ev_1", "order.accepted", `{"id":"o1"}`), tg)
	e.Publish("acct_1", newEvent("ev_2", "fulfillment.created", `{"id":"ful_1","orderId":"o2"}`), tg)
	e.Publish("acct_1", newEvent("ev_3", "order.accepted", `{"id":"o2"}`), tg) // count 1 is used up
	for _, want := range []string{"ev_1", "ev_3"} {
		if id := eventID(t, rc.next(t, want)); id != want {
			t.Fatalf("got %s, want %s (ev_2 is held)", id, want)
		}
	}
	if _, err := e.Release("acct_1", hold.ID, delivery.ReleaseFIFO, nil); err != nil {
		t.Fatal(err)
	}
	if id := eventID(t, rc.next(t, "ev_2 released")); id != "ev_2" {
		t.Fatalf("released %s", id)
	}
}

func TestAddFaultRefusesBadCombinations(t *testing.T) {
	e := newEngine(t, delivery.Options{})
	cases := []struct {
		name  string
		f     delivery.Fault
		param string
	}{
		{"status and redirect", delivery.Fault{Status: 500, Redirect: true}, "status"},
		{"timeout and redirect", delivery.Fault{Timeout: true, Redirect: true}, "status"},
		{"hold and forge", delivery.Fault{Hold: true, Forge: string(delivery.ForgeStale)}, "hold"},
		{"hold and duplicate", delivery.Fault{Hold: true, Duplicate: true}, "hold"},
		{"hold and latency", delivery.Fault{Hold: true, Latency: "1s"}, "hold"},
		{"latency zero", delivery.Fault{Latency: "0s"}, "latency"},
		{"latency words", delivery.Fault{Latency: "a bit"}, "latency"},
		{"released set", delivery.Fault{Hold: true, Released: 1}, "id"},
	}
	for _, tc := range cases {
		if _, err := e.AddFault("acct_1", tc.f); apierror.As(err).Status != http.StatusBadRequest || apierror.As(err).Errors[0].Parameter != tc.param {
			t.Errorf("%s: %v, want 400 on %s", tc.name, err, tc.param)
		}
	}
	// Combinations that are allowed.
	for _, f := range []delivery.Fault{
		{Duplicate: true, Forge: string(delivery.ForgeMissing)},
		{Timeout: true, Latency: "10ms"},
		{Status: 500, Count: 3},
	} {
		if _, err := e.AddFault("acct_1", f); err != nil {
			t.Errorf("%+v: %v", f, err)
		}
	}
}
