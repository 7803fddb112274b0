package delivery_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/drsim/drsim/simulator/internal/delivery"
	"github.com/drsim/drsim/simulator/internal/problem"
	"github.com/drsim/drsim/simulator/internal/state"
)

func seqs(as []delivery.Attempt) []int {
	out := make([]int, len(as))
	for i, a := range as {
		out[i] = a.Seq
	}
	return out
}

// Past MaxAttempts the oldest attempts are dropped and counted; seqs keep
// counting, pages follow them, and the dropped attempts' events still count
// as delivered (a replay of undelivered events does not resend them).
func TestAttemptsAreCappedOldestDropped(t *testing.T) {
	e := newEngine(t, delivery.Options{MaxAttempts: 5})
	rc := newReceiver(t, nil)
	for i := 1; i <= 8; i++ {
		e.Publish("acct_1", newEvent(fmt.Sprintf("ev_%d", i), "order.accepted", `{}`), []state.Target{target("wh_1", rc.url)})
	}
	for i := 1; i <= 8; i++ {
		rc.next(t, fmt.Sprintf("delivery %d", i))
	}
	// The merchant has the 8th; wait for its record (seq 8).
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if _, err := e.WaitAttemptsPage(ctx, "acct_1", delivery.AttemptFilter{After: 7}, 1, 10); err != nil {
		t.Fatal(err)
	}
	p := e.AttemptsPage("acct_1", delivery.AttemptFilter{}, 100)
	if got := seqs(p.Data); !slices.Equal(got, []int{4, 5, 6, 7, 8}) || p.Dropped != 3 || p.HasMore {
		t.Fatalf("page seqs %v dropped %d hasMore %v; want [4 5 6 7 8], 3 dropped, no more", got, p.Dropped, p.HasMore)
	}
	for _, c := range []struct {
		after, limit int
		want         []int
		more         bool
	}{{0, 2, []int{4, 5}, true}, {5, 2, []int{6, 7}, true}, {7, 2, []int{8}, false}, {8, 2, []int{}, false}} {
		p := e.AttemptsPage("acct_1", delivery.AttemptFilter{After: c.after}, c.limit)
		if got := seqs(p.Data); !slices.Equal(got, c.want) || p.HasMore != c.more {
			t.Errorf("after %d limit %d: seqs %v hasMore %v; want %v %v", c.after, c.limit, got, p.HasMore, c.want, c.more)
		}
	}
	delivered := e.DeliveredEvents("acct_1", "wh_1")
	for i := 1; i <= 8; i++ {
		if id := fmt.Sprintf("ev_%d", i); !delivered[id] {
			t.Errorf("%s is not counted as delivered once its attempt was dropped", id)
		}
	}
	// Once the account forgets an event (past retention), so does the engine.
	e.ForgetEvents("acct_1", []string{"ev_1", "ev_2"})
	delivered = e.DeliveredEvents("acct_1", "wh_1")
	if delivered["ev_1"] || delivered["ev_2"] || !delivered["ev_3"] || len(delivered) != 6 {
		t.Fatalf("after forgetting ev_1 and ev_2, delivered = %v; want ev_3…ev_8", delivered)
	}
	// Another account's log is its own.
	if p := e.AttemptsPage("acct_2", delivery.AttemptFilter{}, 100); len(p.Data) != 0 || p.Dropped != 0 {
		t.Fatalf("acct_2's page %+v", p)
	}
}

// At MaxFaults live faults a new one is refused (409 too_many_faults); once
// one is used up, the new fault takes its room and the spent one is gone.
func TestFaultsAreCapped(t *testing.T) {
	e := newEngine(t, delivery.Options{})
	rc := newReceiver(t, nil)
	first := mustFault(t, e, "acct_1", delivery.Fault{Forge: "wrong-secret"})
	for range delivery.MaxFaults - 1 {
		mustFault(t, e, "acct_1", delivery.Fault{Forge: "wrong-secret"})
	}
	_, err := e.AddFault("acct_1", delivery.Fault{Forge: "wrong-secret"})
	if problem.KindOf(err) != problem.Conflict || !containsCode(err, "too_many_faults") {
		t.Fatalf("fault %d: %v; want a conflict too_many_faults", delivery.MaxFaults+1, err)
	}
	mustFault(t, e, "acct_2", delivery.Fault{Forge: "wrong-secret"}) // other accounts have their own room

	e.Publish("acct_1", newEvent("ev_1", "order.accepted", `{}`), []state.Target{target("wh_1", rc.url)})
	rc.next(t, "the delivery that uses the first fault")
	if a := waitAttempts(t, e, "acct_1", delivery.AttemptFilter{}, 1)[0]; a.Fault != first.ID {
		t.Fatalf("attempt used fault %q, want %s", a.Fault, first.ID)
	}
	next := mustFault(t, e, "acct_1", delivery.Fault{Forge: "wrong-secret"})
	if next.ID == first.ID {
		t.Fatalf("the new fault reuses id %s", next.ID)
	}
	if _, err := e.Fault("acct_1", first.ID); problem.KindOf(err) != problem.NotFound {
		t.Fatalf("the spent fault %s after it made room: %v; want not found", first.ID, err)
	}
}

func containsCode(err error, code string) bool {
	var p *problem.Error
	return errors.As(err, &p) && p.Code == code
}
