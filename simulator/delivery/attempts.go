package delivery

import (
	"encoding/json"
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
	out := []Attempt{}
	for _, a := range e.attempts[accountID] {
		if (f.EventID == "" || a.EventID == f.EventID) && (f.WebhookID == "" || a.WebhookID == f.WebhookID) {
			out = append(out, a)
		}
	}
	return out
}
