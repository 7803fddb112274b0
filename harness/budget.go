package harness

import (
	"context"
	"sync"
	"time"
)

// waitBudget is a deadline that counts only the time spent waiting: the
// harness pauses it while it does its own work (reading events, matching
// emails to them), so an expectation of many emails under -race on a busy
// machine is not failed by the harness's slowness, only by the merchant's.
// Its context ends when the budget is spent, with context.DeadlineExceeded
// as its error (like a context.WithTimeout's), or when its parent ends,
// with the parent's error.
type waitBudget struct {
	ctx *budgetContext

	mu         sync.Mutex
	timer      *time.Timer
	left       time.Duration
	since      time.Time // when the clock last resumed
	paused     bool
	stopParent func() bool
}

// newWaitBudget starts a budget of d on parent; stop releases it.
func newWaitBudget(parent context.Context, d time.Duration) *waitBudget {
	c := &budgetContext{Context: parent, done: make(chan struct{})}
	b := &waitBudget{ctx: c, left: d, since: time.Now()}
	b.timer = time.AfterFunc(d, func() { c.end(context.DeadlineExceeded) })
	b.stopParent = context.AfterFunc(parent, func() { c.end(parent.Err()) })
	return b
}

// pause stops the clock (the harness is working, not waiting).
func (b *waitBudget) pause() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.paused {
		return
	}
	b.paused = true
	if b.timer.Stop() {
		b.left -= time.Since(b.since)
	}
}

// resume restarts the clock with what is left of the budget.
func (b *waitBudget) resume() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.paused {
		return
	}
	b.paused = false
	if b.ctx.Err() != nil {
		return
	}
	if b.left <= 0 {
		b.ctx.end(context.DeadlineExceeded)
		return
	}
	b.since = time.Now()
	b.timer.Reset(b.left)
}

// stop releases the budget's timer and ends its context.
func (b *waitBudget) stop() {
	b.timer.Stop()
	b.stopParent()
	b.ctx.end(context.Canceled)
}

// budgetContext is a waitBudget's context: its own done channel and error,
// and its parent's values.
type budgetContext struct {
	context.Context // the parent, for Value and Deadline
	once            sync.Once
	done            chan struct{}
	mu              sync.Mutex
	err             error
}

func (c *budgetContext) end(err error) {
	c.once.Do(func() {
		c.mu.Lock()
		c.err = err
		c.mu.Unlock()
		close(c.done)
	})
}

func (c *budgetContext) Done() <-chan struct{} { return c.done }

func (c *budgetContext) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}
