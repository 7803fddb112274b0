package delivery

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Attempt is one delivery of one event to one webhook.
type Attempt struct {
	Seq             int           `json:"seq"`
	EventID         string        `json:"eventId"`
	EventType       string        `json:"eventType"`
	WebhookID       string        `json:"webhookId"`
	Address         string        `json:"address"`
	Time            time.Time     `json:"time"`
	Signature       string        `json:"signature"`
	Forged          string        `json:"forged,omitempty"`
	Status          int           `json:"status"`
	Delivered       bool          `json:"delivered"`
	Latency         time.Duration `json:"-"`
	ResponseExcerpt string        `json:"responseExcerpt,omitempty"`
	Error           string        `json:"error,omitempty"`
}

// MarshalJSON adds latencyMs.
func (a Attempt) MarshalJSON() ([]byte, error) {
	type plain Attempt
	return json.Marshal(struct {
		plain
		LatencyMS float64 `json:"latencyMs"`
	}{plain(a), float64(a.Latency.Microseconds()) / 1000})
}

// AttemptFilter selects attempts; empty fields match everything.
type AttemptFilter struct {
	EventID   string
	WebhookID string
}

// Attempts returns an account's recorded attempts, oldest first.
func (e *Engine) Attempts(accountID string, f AttemptFilter) []Attempt {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.attemptsLocked(accountID, f)
}

// WaitAttempts waits until at least min attempts match f, or ctx ends; it
// returns the attempts seen either way, with an error saying what was awaited.
func (e *Engine) WaitAttempts(ctx context.Context, accountID string, f AttemptFilter, min int) ([]Attempt, error) {
	for {
		e.mu.Lock()
		got := e.attemptsLocked(accountID, f)
		changed := e.recorded
		e.mu.Unlock()
		if len(got) >= min {
			return got, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return got, fmt.Errorf("waited for %d delivery attempt(s) of event %q, saw %d: %w", min, f.EventID, len(got), ctx.Err())
		}
	}
}

func (e *Engine) attemptsLocked(accountID string, f AttemptFilter) []Attempt {
	out := []Attempt{}
	for _, a := range e.attempts[accountID] {
		if (f.EventID == "" || a.EventID == f.EventID) && (f.WebhookID == "" || a.WebhookID == f.WebhookID) {
			out = append(out, a)
		}
	}
	return out
}
