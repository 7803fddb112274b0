package harness

import (
	"context"
	"fmt"
	"slices"

	"github.com/drsim/drsim/harness/catalogue"
	"github.com/drsim/drsim/harness/mailbox"
	"github.com/drsim/drsim/simulator/client"
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
	r := &s.res
	r.mu.Lock()
	defer r.mu.Unlock()
	r.emails = append(r.emails, e)
}

// Emails returns the evidence of the emails checked so far, in check order.
func (s *Scenario) Emails() []EmailEvidence {
	r := &s.res
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.emails)
}

// HarnessAgent is the User-Agent of the harness's calls to the simulator,
// so reports tell the merchant's API calls from the harness's.
const HarnessAgent = "drsim-harness"

// Deliveries lists the delivery attempts of an event to the merchant's webhook.
func (h *Harness) Deliveries(ctx context.Context, eventID string) ([]client.Attempt, error) {
	a, err := h.dr.Deliveries(ctx, client.AttemptFilter{EventID: eventID, WebhookID: h.webhookID})
	if err != nil {
		return nil, fmt.Errorf("deliveries of %s: %w", eventID, err)
	}
	return a, nil
}

// APICalls lists the API calls made with the merchant's key, oldest first.
// The harness's own calls are among them, with Agent HarnessAgent.
func (h *Harness) APICalls(ctx context.Context) ([]client.RequestLog, error) {
	calls, err := h.dr.Requests(ctx)
	if err != nil {
		return nil, fmt.Errorf("API request log: %w", err)
	}
	return calls, nil
}

// CatalogueEntries lists the catalogue's notifications, for checklists.
func (h *Harness) CatalogueEntries() []*catalogue.Notification {
	return h.cfg.Catalogue.Notifications
}

// MerchantName is the profile's merchant name.
func (h *Harness) MerchantName() string { return h.cfg.Profile.Name }
