package delivery

import (
	"context"
	"fmt"
	"slices"

	"github.com/drsim/drsim/simulator/client"
	"github.com/drsim/drsim/simulator/internal/state"
)

// Attempt is one delivery of one event to one webhook (client.Attempt).
type Attempt = client.Attempt

// MaxAttempts bounds the attempts kept per account by default
// (Options.MaxAttempts): beyond it the oldest
// are dropped (and counted), so a simulator that runs for weeks holds the
// latest ones. Which events were delivered is kept apart (DeliveredEvents),
// so dropping an attempt never makes its event look undelivered.
const MaxAttempts = 10000

// attemptLog is one account's attempts, oldest first, at most keep: a ring
// that grows to keep and then overwrites its oldest, so recording an
// attempt never copies the others. Seqs are consecutive, so the attempts
// after a seq are found by position.
type attemptLog struct {
	ring      []Attempt           // ring[head] is the oldest once the ring is full
	head      int                 // position of the oldest
	seq       int                 // of the newest attempt
	dropped   int                 // attempts dropped as the log went past keep
	delivered map[string][]string // event id → the webhooks that acknowledged it (until the account forgets the event)
	byEvent   map[string][]int    // event id → the seqs of its attempts in the ring, oldest first
}

func (e *Engine) attemptLogLocked(accountID string) *attemptLog {
	l := e.attempts[accountID]
	if l == nil {
		l = &attemptLog{delivered: map[string][]string{}, byEvent: map[string][]int{}}
		e.attempts[accountID] = l
	}
	return l
}

// add numbers a and keeps it, dropping the oldest beyond keep.
func (l *attemptLog) add(a Attempt, keep int) Attempt {
	l.seq++
	a.Seq = l.seq
	if len(l.ring) < keep {
		l.ring = append(l.ring, a)
	} else {
		old := l.ring[l.head].EventID // the oldest attempt, and so its event's oldest
		if seqs := l.byEvent[old][1:]; len(seqs) > 0 {
			l.byEvent[old] = seqs
		} else {
			delete(l.byEvent, old)
		}
		l.ring[l.head] = a // drops the oldest, and lets its strings go
		l.head = (l.head + 1) % len(l.ring)
		l.dropped++
	}
	l.byEvent[a.EventID] = append(l.byEvent[a.EventID], a.Seq)
	if a.Delivered && !slices.Contains(l.delivered[a.EventID], a.WebhookID) {
		l.delivered[a.EventID] = append(l.delivered[a.EventID], a.WebhookID)
	}
	return a
}

// after appends to out the attempts numbered above seq that match keep,
// oldest first; with an event id, only that event's, found by its seqs
// rather than by a walk over the account's attempts.
func (l *attemptLog) after(out []Attempt, seq int, eventID string, keep func(*Attempt) bool) []Attempt {
	n := len(l.ring)
	oldest := l.seq - n + 1
	if eventID != "" {
		for _, s := range l.byEvent[eventID] {
			if s <= seq {
				continue
			}
			if a := &l.ring[(l.head+s-oldest)%n]; keep(a) {
				out = append(out, *a)
			}
		}
		return out
	}
	start := max(0, min(n, seq-oldest+1))
	for i := start; i < n; i++ {
		a := &l.ring[(l.head+i)%n]
		if keep(a) {
			out = append(out, *a)
		}
	}
	return out
}

// AttemptFilter selects attempts; empty fields match everything. After
// keeps only attempts numbered (Seq) above it.
type AttemptFilter struct {
	EventID   string
	WebhookID string
	After     int
}

// Attempts returns an account's recorded attempts, oldest first.
func (e *Engine) Attempts(accountID string, f AttemptFilter) []Attempt {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.attemptsLocked(accountID, f)
}

// AttemptPage is a page of an account's attempts, oldest first: those
// matching the filter after f.After, at most limit; HasMore when more
// match; Dropped is how many attempts of the account were dropped
// (MaxAttempts), oldest first.
type AttemptPage struct {
	HasMore bool      `json:"hasMore"`
	Data    []Attempt `json:"data"`
	Dropped int       `json:"dropped"`
}

// AttemptsPage is Attempts cut to at most limit.
func (e *Engine) AttemptsPage(accountID string, f AttemptFilter, limit int) AttemptPage {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.pageLocked(accountID, f, limit)
}

func (e *Engine) pageLocked(accountID string, f AttemptFilter, limit int) AttemptPage {
	return e.pageOf(accountID, e.attemptsLocked(accountID, f), limit)
}

// pageOf cuts all, the attempts of an account a filter matched, to a page.
func (e *Engine) pageOf(accountID string, all []Attempt, limit int) AttemptPage {
	p := AttemptPage{Data: all}
	if len(all) > limit {
		p.Data, p.HasMore = all[:limit:limit], true
	}
	if l := e.attempts[accountID]; l != nil {
		p.Dropped = l.dropped
	}
	return p
}

// WaitAttempts waits until at least min attempts match f, or ctx ends; it
// returns the attempts seen either way, with an error saying what was awaited.
func (e *Engine) WaitAttempts(ctx context.Context, accountID string, f AttemptFilter, min int) ([]Attempt, error) {
	p, err := e.WaitAttemptsPage(ctx, accountID, f, min, e.keepAttempts)
	return p.Data, err
}

// WaitAttemptsPage is WaitAttempts answering a page of at most limit.
func (e *Engine) WaitAttemptsPage(ctx context.Context, accountID string, f AttemptFilter, min, limit int) (AttemptPage, error) {
	for {
		e.mu.Lock()
		got := e.attemptsLocked(accountID, f)
		p := e.pageOf(accountID, got, limit)
		changed := e.watchLocked()
		e.mu.Unlock()
		if len(got) >= min {
			return p, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return p, fmt.Errorf("waited for %d delivery attempt(s) of event %q, saw %d: %w", min, f.EventID, len(got), ctx.Err())
		}
	}
}

func (e *Engine) attemptsLocked(accountID string, f AttemptFilter) []Attempt {
	out := []Attempt{}
	l := e.attempts[accountID]
	if l == nil {
		return out
	}
	return l.after(out, f.After, f.EventID, func(a *Attempt) bool {
		return (f.EventID == "" || a.EventID == f.EventID) && (f.WebhookID == "" || a.WebhookID == f.WebhookID)
	})
}

// ForgetAccount drops the attempts recorded for account (the account was
// deleted) and its faults. Deliveries already queued still run.
func (e *Engine) ForgetAccount(account string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.attempts, account)
	e.faults = slices.DeleteFunc(e.faults, func(f *fault) bool { return f.accountID == account })
}

// DeliveredEvents is the set of event ids with at least one delivered
// attempt (automatic or manual) to webhookID of an account, dropped
// attempts included.
func (e *Engine) DeliveredEvents(accountID, webhookID string) map[string]bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := map[string]bool{}
	l := e.attempts[accountID]
	if l == nil {
		return out
	}
	for ev, hooks := range l.delivered {
		if slices.Contains(hooks, webhookID) {
			out[ev] = true
		}
	}
	return out
}

var _ state.EventForgetter = (*Engine)(nil)

// ForgetEvents drops what the engine remembers of events the account no
// longer keeps (state.EventForgetter): past DR's retention they cannot be
// listed or replayed, so whether they were acknowledged no longer matters.
func (e *Engine) ForgetEvents(accountID string, eventIDs []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if l := e.attempts[accountID]; l != nil {
		for _, id := range eventIDs {
			delete(l.delivered, id)
		}
	}
}
