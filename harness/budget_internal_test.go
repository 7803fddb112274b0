package harness

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A wait budget ends its context with DeadlineExceeded once the waiting
// time is spent, and work done while it is paused does not count: a
// paused budget never ends, however long the work.
func TestWaitBudgetCountsOnlyWaiting(t *testing.T) {
	b := newWaitBudget(context.Background(), 50*time.Millisecond)
	defer b.stop()
	b.pause()
	// While paused, the budget outlives its own length several times over:
	// wait on a timer four times as long and check the context is alive.
	select {
	case <-b.ctx.Done():
		t.Fatalf("a paused budget ended: %v", b.ctx.Err())
	case <-time.After(200 * time.Millisecond):
	}
	b.resume()
	select {
	case <-b.ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("a resumed budget of 50ms did not end within 10s")
	}
	if !errors.Is(b.ctx.Err(), context.DeadlineExceeded) {
		t.Errorf("err = %v, want context.DeadlineExceeded", b.ctx.Err())
	}
	// A context derived from it before it ended reports the same.
	b4 := newWaitBudget(context.Background(), 20*time.Millisecond)
	defer b4.stop()
	child, cancel := context.WithCancel(b4.ctx)
	defer cancel()
	select {
	case <-child.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("a context derived from a 20ms budget did not end within 10s")
	}
	if !errors.Is(child.Err(), context.DeadlineExceeded) {
		t.Errorf("derived err = %v, want context.DeadlineExceeded", child.Err())
	}

	// Spent while paused: it ends at once on resume.
	b2 := newWaitBudget(context.Background(), time.Nanosecond)
	defer b2.stop()
	<-b2.ctx.Done() // spent
	b2.pause()
	b2.resume()
	if !errors.Is(b2.ctx.Err(), context.DeadlineExceeded) {
		t.Errorf("spent budget: err = %v", b2.ctx.Err())
	}

	// Its parent's cancellation passes through unchanged.
	parent, cancelParent := context.WithCancel(context.Background())
	b3 := newWaitBudget(parent, time.Hour)
	defer b3.stop()
	cancelParent()
	<-b3.ctx.Done()
	if !errors.Is(b3.ctx.Err(), context.Canceled) {
		t.Errorf("cancelled parent: err = %v, want context.Canceled", b3.ctx.Err())
	}
}
