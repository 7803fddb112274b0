package harness

import (
	"github.com/drsim/drsim/harness/catalogue"
	"github.com/drsim/drsim/harness/mailbox"
)

// EmailEvidence is one email a notification check read: the message, the
// trigger event it was matched to and what was found of each attribute.
// Reports (the HTML evidence, cucumber.json attachments, .eml files) are
// built from it.
type EmailEvidence struct {
	Notification string // catalogue id, e.g. "order-confirmation"
	Recipient    string
	Message      *mailbox.Message
	// EventID and EventType name the trigger event the email was matched
	// to; empty for a merchant-side notification (no trigger).
	EventID   string
	EventType string
	// Object is what the attributes were read from (the event's object, or
	// {"order","request"} for a merchant-side notification).
	Object   map[string]any
	Findings []catalogue.Finding
	Err      error // nil when every required attribute was found
}

// RecordEmail keeps the evidence of an email the scenario checked. Checks
// call it once per email they matched, whether it passed or not.
func (s *Scenario) RecordEmail(e EmailEvidence) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.emails = append(s.emails, e)
}

// Emails returns the evidence of the emails checked so far, in check order.
func (s *Scenario) Emails() []EmailEvidence {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]EmailEvidence(nil), s.emails...)
}
