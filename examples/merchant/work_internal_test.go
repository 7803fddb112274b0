package merchant

import (
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestOrderingKey(t *testing.T) {
	for _, tc := range []struct{ object, want string }{
		{`{"subscription":{"id":"sub_1"},"invoice":{"id":"inv_1","orderId":"ord_1"}}`, "sub_1"},
		{`{"id":"sub_1","state":"cancelled","customerId":"cus_1"}`, "sub_1"},
		{`{"id":"ord_1","state":"accepted"}`, "ord_1"},
		{`{"id":"ful_1","orderId":"ord_1"}`, "ord_1"},
		{`{"id":"file_1","fileId":"file_1","orderId":"ord_1"}`, "ord_1"},
		{`[1]`, "evt_1"},
		{`null`, "evt_1"},
	} {
		ev := event{ID: "evt_1"}
		ev.Data.Object = json.RawMessage(tc.object)
		if got := orderingKey(ev); got != tc.want {
			t.Errorf("orderingKey(%s) = %q, want %q", tc.object, got, tc.want)
		}
	}
}

// A job waiting to retry gives its turn away: with one worker, a job of
// another key runs and finishes while the first one pauses, and jobs of the
// same key still run in the order they were submitted.
func TestWorkPoolPauseLetsOtherKeysRun(t *testing.T) {
	p := startWorkPool(1, 8)
	paused, release := make(chan struct{}), make(chan struct{})
	p.sleep = func(time.Duration) { close(paused); <-release }

	var order []string
	var mu sync.Mutex
	record := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
	otherDone := make(chan struct{})

	if !p.submit("A", func(pause func(time.Duration)) { record("A1 try"); pause(time.Hour); record("A1 retry") }) ||
		!p.submit("A", func(func(time.Duration)) { record("A2") }) ||
		!p.submit("B", func(func(time.Duration)) { record("B"); close(otherDone) }) {
		t.Fatal("submit refused a job with room in the queue")
	}
	deadline := time.After(5 * time.Second)
	select {
	case <-paused:
	case <-deadline:
		t.Fatal("awaited A1's pause; it never paused")
	}
	select {
	case <-otherDone:
	case <-deadline:
		t.Fatalf("awaited B while A1 pauses on the only worker; B did not run (order so far %v)", order)
	}
	close(release)
	p.close()
	// B may run before A1's first try (different keys), but only A1's
	// pause let it finish before A1 did.
	pos := func(s string) int { return slices.Index(order, s) }
	if len(order) != 4 || pos("A1 try") > pos("A1 retry") || pos("A1 retry") > pos("A2") || pos("B") > pos("A1 retry") {
		t.Fatalf("order = %v, want A1 try < A1 retry < A2 and B before A1 retry", order)
	}
}

// The queue bound counts jobs not yet begun, and a closed pool refuses work.
func TestWorkPoolBounds(t *testing.T) {
	p := startWorkPool(1, 1)
	started, release := make(chan struct{}), make(chan struct{})
	if !p.submit("A", func(func(time.Duration)) { close(started); <-release }) {
		t.Fatal("first job refused")
	}
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("awaited the first job to start; it did not")
	}
	if !p.submit("B", func(func(time.Duration)) {}) {
		t.Fatal("second job refused though the queue holds one waiting job")
	}
	if p.submit("C", func(func(time.Duration)) {}) {
		t.Fatal("third job queued beyond QueueSize 1")
	}
	close(release)
	p.close()
	if p.submit("D", func(func(time.Duration)) {}) {
		t.Fatal("closed pool queued a job")
	}
}
