package delivery

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Attempt is one delivery of one event to one webhook.
type Attempt struct {
	Seq       int    `json:"seq"`
	EventID   string `json:"eventId"`
	EventType string `json:"eventType"`
	WebhookID string `json:"webhookId"`
	Address   string `json:"address"`
	// Attempt numbers the automatic attempts of one event to one webhook:
	// 1 is the first delivery, 2 the first retry… A duplicate copy shares
	// its original's number; a manual redelivery is 1.
	Attempt         int           `json:"attempt"`
	Time            time.Time     `json:"time"` // wall clock: when it was signed and sent
	Signature       string        `json:"signature"`
	Forged          string        `json:"forged,omitempty"`
	Fault           string        `json:"fault,omitempty"`     // id of the fault applied
	Duplicate       bool          `json:"duplicate,omitempty"` // the extra copy of a duplicate fault
	Manual          bool          `json:"manual,omitempty"`    // a redelivery asked for through the control API
	Status          int           `json:"status"`
	Delivered       bool          `json:"delivered"`
	Latency         time.Duration `json:"-"`
	ResponseExcerpt string        `json:"responseExcerpt,omitempty"`
	Error           string        `json:"error,omitempty"`
	// After a failure, exactly one of these says what happens next.
	NextRetryAt *time.Time    `json:"nextRetryAt,omitempty"` // wall time of the retry: Time + RetryDelay × scale
	RetryDelay  time.Duration `json:"-"`                     // the virtual backoff (JSON retryDelay, e.g. "5m0s")
	GaveUp      bool          `json:"gaveUp,omitempty"`      // the retry budget is spent
	Parked      bool          `json:"parked,omitempty"`      // the webhook is disabled; re-enabling it resumes the event
	// DisabledWebhook marks the failure that disabled the webhook.
	DisabledWebhook bool `json:"disabledWebhook,omitempty"`
}

// MarshalJSON adds latencyMs and retryDelay.
func (a Attempt) MarshalJSON() ([]byte, error) {
	type plain Attempt
	out := struct {
		plain
		LatencyMS  float64 `json:"latencyMs"`
		RetryDelay string  `json:"retryDelay,omitempty"`
	}{plain: plain(a), LatencyMS: float64(a.Latency.Microseconds()) / 1000}
	if a.NextRetryAt != nil {
		out.RetryDelay = a.RetryDelay.String()
	}
	return json.Marshal(out)
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
		changed := e.changed
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

// ForgetAccount drops the attempts recorded for account (the account was
// deleted). Deliveries already queued still run.
func (e *Engine) ForgetAccount(account string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.attempts, account)
}

// DeliveredEvents is the set of event ids with at least one delivered
// attempt (automatic or manual) to webhookID of an account.
func (e *Engine) DeliveredEvents(accountID, webhookID string) map[string]bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := map[string]bool{}
	for _, a := range e.attempts[accountID] {
		if a.Delivered && a.WebhookID == webhookID {
			out[a.EventID] = true
		}
	}
	return out
}
