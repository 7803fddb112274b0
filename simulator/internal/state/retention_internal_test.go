package state

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Events past DR's 30-day retention are forgotten, not only hidden: after
// the account's clock passes 30 days, the next pruneEvery recorded events
// prune the old ones from memory. Retention counts wall time since an event
// was recorded: a test clock advanced a year keeps its customer's events
// (its webhooks and the merchant's GET /events/{id} come after the advance).
func TestRetiredEventsArePruned(t *testing.T) {
	wall := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	pub := &forgetter{}
	s := NewStore(pub, func() time.Time { return wall })
	a, _, _ := s.Lookup(s.CreateAccount().SecretKey)
	email := func(i int) *string { e := fmt.Sprintf("c%d@example.test", i); return &e }

	frozen := wall
	tc, err := a.CreateTestClock(TestClockParams{FrozenTime: &frozen})
	if err != nil {
		t.Fatal(err)
	}
	onClock, err := a.TestClockCustomer(tc.ID, CustomerParams{Email: email(-1)})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if _, err := a.CreateCustomer(CustomerParams{Email: email(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := a.AdvanceTestClockBy(tc.ID, 400*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	a.mu.Lock()
	var onTC []string // events of the test-clock customer
	for _, e := range a.events.all() {
		if e.testClock == tc.ID {
			onTC = append(onTC, e.ID)
		}
	}
	before := a.events.len()
	a.mu.Unlock()
	if len(onTC) == 0 {
		t.Fatal("the test-clock customer has no event")
	}
	// A year later on its clock, the same instant on the wall: kept.
	for _, id := range onTC {
		if _, err := a.Event(id); err != nil {
			t.Fatalf("event %s of customer %s after its clock moved 400 days (wall time unchanged): %v, want kept", id, onClock.ID, err)
		}
	}

	wall = wall.Add(EventRetention + time.Hour)
	for i := range pruneEvery {
		if _, err := a.CreateCustomer(CustomerParams{Email: email(100 + i)}); err != nil {
			t.Fatal(err)
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	kept := a.events.len()
	for _, e := range a.events.all() {
		if e.recorded.Before(a.retentionCutoff()) {
			t.Fatalf("event %s (%s, %s) past retention is still kept", e.ID, e.Type, e.CreatedTime)
		}
	}
	// Only the new events: the old ones, the test clock's included, were
	// recorded more than 30 days ago on the wall.
	if kept != pruneEvery {
		t.Fatalf("kept %d events; want the %d new ones", kept, pruneEvery)
	}
	// The publisher is told which events went: exactly those no longer kept.
	if len(pub.forgotten) != before {
		t.Fatalf("the publisher was told to forget %d events, want the %d pruned", len(pub.forgotten), before)
	}
	for _, id := range pub.forgotten {
		if _, kept := a.events.index(id); kept {
			t.Fatalf("the publisher was told to forget %s, which is kept", id)
		}
	}
	// What is kept is still consistent: every position maps back.
	for i, id := range a.events.ids() {
		if got, _ := a.events.index(id); got != i {
			t.Fatalf("index(%s) = %d, want %d", id, got, i)
		}
	}
	if a.events.idx.len()+len(a.events.dup) != kept || a.events.len() != kept {
		t.Fatalf("idx %d+%d entries %d, want %d", a.events.idx.len(), len(a.events.dup), a.events.len(), kept)
	}
}

// forgetter is a Publisher that records what it is told to forget.
type forgetter struct{ forgotten []string }

func (*forgetter) Publish(string, *Event, []Target) {}

func (f *forgetter) ForgetEvents(_ string, ids []string) { f.forgotten = append(f.forgotten, ids...) }

// A clock move returns every event it recorded even when a prune runs in
// the middle of it: the prune removes older events from the account's
// order, so a position taken before the move no longer marks where the
// move's events start (a year of renewals lost one reminder that way).
func TestEventsCollectedAcrossAPrune(t *testing.T) {
	wall := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := NewStore(nil, func() time.Time { return wall })
	a, _, _ := s.Lookup(s.CreateAccount().SecretKey)
	email := func(i int) *string { e := fmt.Sprintf("c%d@example.test", i); return &e }
	for i := range 50 { // old events, retired once the clock passes retention
		if _, err := a.CreateCustomer(CustomerParams{Email: email(i)}); err != nil {
			t.Fatal(err)
		}
	}
	wall = wall.Add(EventRetention + time.Hour)
	a.mu.Lock()
	a.recorded = pruneEvery - 3 // the third event from now prunes
	before := a.events.len()
	var got []*Event
	stop := a.collect(&got)
	a.mu.Unlock()
	var want []string
	for i := range 6 {
		c, err := a.CreateCustomer(CustomerParams{Email: email(100 + i)})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, c.ID)
	}
	a.mu.Lock()
	stop()
	after := a.events.len()
	a.mu.Unlock()
	if after >= before {
		t.Fatalf("no prune ran during the move (%d events before, %d after): the test proves nothing", before, after)
	}
	if len(got) != len(want) {
		t.Fatalf("collected %d events, want the %d recorded", len(got), len(want))
	}
	for i, e := range got {
		if !strings.Contains(string(e.Data.Object), want[i]) {
			t.Errorf("event %d is %s about %s, want customer %s", i, e.Type, e.Data.Object, want[i])
		}
	}
	// Collection stops with stop.
	if _, err := a.CreateCustomer(CustomerParams{Email: email(200)}); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Errorf("an event recorded after stop was collected")
	}
}
