package state

import (
	"context"
	"slices"

	"github.com/drsim/drsim/simulator/internal/problem"
)

// signalChange wakes whoever waits for the account to change. Caller holds a.mu.
func (a *Account) signalChange() {
	if a.changed != nil {
		close(a.changed)
		a.changed = nil
	}
}

// waitUntil returns once ok (called with a.mu held) is true, rechecking it
// after each recorded event, or ctx's error when ctx ends first.
func (a *Account) waitUntil(ctx context.Context, ok func() bool) error {
	for {
		a.mu.Lock()
		if ok() {
			a.mu.Unlock()
			return nil
		}
		if a.changed == nil {
			a.changed = make(chan struct{})
		}
		ch := a.changed
		a.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// WaitSubscriptionState is the control API's GET
// /_sim/subscriptions/{id}?state=…&wait=…: it answers the subscription once
// its state is one of states, or a 408 naming the state it is still in when
// ctx ends. A harness waits with it for what the merchant must do, such as
// activating a draft subscription after order.accepted.
func (a *Account) WaitSubscriptionState(ctx context.Context, id string, states []string) (*Subscription, error) {
	err := a.waitUntil(ctx, func() bool {
		s, ok := a.subs.get(id)
		return !ok || slices.Contains(states, s.State)
	})
	a.mu.Lock()
	defer a.mu.Unlock()
	cur, ok := a.subs.get(id)
	if !ok {
		return nil, problem.NotFoundID("Subscription", id)
	}
	if err != nil {
		return nil, problem.TimedOut("state", "Subscription '%s' is still %s, not %v.", id, cur.State, states)
	}
	return clone(cur), nil
}
