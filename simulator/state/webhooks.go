package state

import (
	"net/url"
	"time"

	"github.com/drsim/drsim/simulator/apierror"
)

// Webhook is DR's Webhook. Its signing secret is not part of DR's API; the
// control API reads and sets it [choice].
type Webhook struct {
	ID            string    `json:"id"`
	Address       string    `json:"address"`
	Types         []string  `json:"types"`
	Enabled       bool      `json:"enabled"`
	APIVersion    string    `json:"apiVersion"`
	TransportType string    `json:"transportType"`
	LiveMode      bool      `json:"liveMode"`
	CreatedTime   time.Time `json:"createdTime"`
	UpdatedTime   time.Time `json:"updatedTime"`

	secret string
}

// Target is where and how one event goes to one webhook.
type Target struct {
	WebhookID string
	Address   string
	// Secrets sign the delivery: the current secret first.
	Secrets []string
}

// WebhookParams is the body of POST /webhooks and PATCH /webhooks/{id}.
type WebhookParams struct {
	Address       *string   `json:"address"`
	Types         *[]string `json:"types"`
	Enabled       *bool     `json:"enabled"`
	APIVersion    *string   `json:"apiVersion"`
	TransportType *string   `json:"transportType"`
}

func (p *WebhookParams) validate(create bool) error {
	if create && p.Address == nil {
		return apierror.Missing("address")
	}
	if p.Address != nil {
		u, err := url.Parse(*p.Address)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return apierror.Invalid("address", "address must be an absolute http or https URL, got '%s'.", *p.Address)
		}
	}
	if create && p.Types == nil {
		return apierror.Missing("types")
	}
	if p.Types != nil {
		if len(*p.Types) == 0 {
			return apierror.Invalid("types", "types must name at least one event type.")
		}
		for _, t := range *p.Types {
			if t == "" {
				return apierror.Invalid("types", "types cannot contain an empty name.")
			}
		}
	}
	if p.TransportType != nil && *p.TransportType != "HTTP" && *p.TransportType != "OAUTH" {
		return apierror.Invalid("transportType", "transportType must be HTTP or OAUTH, got '%s'.", *p.TransportType)
	}
	return nil
}

func (w *Webhook) apply(p WebhookParams, now time.Time) {
	if p.Address != nil {
		w.Address = *p.Address
	}
	if p.Types != nil {
		w.Types = append([]string(nil), (*p.Types)...)
	}
	if p.Enabled != nil {
		w.Enabled = *p.Enabled
	}
	if p.APIVersion != nil {
		w.APIVersion = *p.APIVersion
	}
	if p.TransportType != nil {
		w.TransportType = *p.TransportType
	}
	w.UpdatedTime = now
}

func (w *Webhook) subscribed(typ string) bool {
	for _, t := range w.Types {
		if MatchType(t, typ) {
			return true
		}
	}
	return false
}

// subscribedTargets lists the enabled webhooks subscribed to typ. Caller holds a.mu.
func (a *Account) subscribedTargets(typ string) []Target {
	var out []Target
	for _, id := range a.webhooks.order {
		w := a.webhooks.byID[id]
		if w.Enabled && w.subscribed(typ) {
			out = append(out, Target{WebhookID: w.ID, Address: w.Address, Secrets: []string{w.secret}})
		}
	}
	return out
}

// CreateWebhook is POST /webhooks.
func (a *Account) CreateWebhook(p WebhookParams) (*Webhook, error) {
	if err := p.validate(true); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.clock.Now()
	w := &Webhook{ID: newUUID(), Enabled: true, APIVersion: "default", TransportType: "HTTP", CreatedTime: now, secret: "whsec_" + randomHex(16)}
	w.apply(p, now)
	a.webhooks.put(w.ID, w)
	return cloneWebhook(w), nil
}

func cloneWebhook(w *Webhook) *Webhook {
	c := *w
	c.Types = append([]string(nil), w.Types...)
	return &c
}

// UpdateWebhook is PATCH /webhooks/{id}.
func (a *Account) UpdateWebhook(id string, p WebhookParams) (*Webhook, error) {
	if err := p.validate(false); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	w, ok := a.webhooks.get(id)
	if !ok {
		return nil, apierror.NotFound("Webhook", id)
	}
	w.apply(p, a.clock.Now())
	return cloneWebhook(w), nil
}

// Webhook is GET /webhooks/{id}.
func (a *Account) Webhook(id string) (*Webhook, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	w, ok := a.webhooks.get(id)
	if !ok {
		return nil, apierror.NotFound("Webhook", id)
	}
	return cloneWebhook(w), nil
}

// WebhookFilter is GET /webhooks' query.
type WebhookFilter struct {
	ListParams
	Type  string
	Types []string
}

// Webhooks is GET /webhooks (DR's list envelope [choice]).
func (a *Account) Webhooks(f WebhookFilter) (Page[*Webhook], error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	items := a.webhooks.newestFirst(func(w *Webhook) bool {
		if f.Type != "" && !w.subscribed(f.Type) {
			return false
		}
		for _, t := range f.Types {
			if !w.subscribed(t) {
				return false
			}
		}
		return true
	})
	p, err := paginate(items, func(w *Webhook) string { return w.ID }, f.ListParams)
	for i, w := range p.Data {
		p.Data[i] = cloneWebhook(w)
	}
	return p, err
}

// DeleteWebhook is DELETE /webhooks/{id}.
func (a *Account) DeleteWebhook(id string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.webhooks.get(id); !ok {
		return apierror.NotFound("Webhook", id)
	}
	a.webhooks.remove(id)
	return nil
}

// WebhookSecret returns a webhook's signing secret (control API).
func (a *Account) WebhookSecret(id string) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	w, ok := a.webhooks.get(id)
	if !ok {
		return "", apierror.NotFound("Webhook", id)
	}
	return w.secret, nil
}

// SetWebhookSecret replaces a webhook's signing secret at once (control API).
func (a *Account) SetWebhookSecret(id, secret string) error {
	if secret == "" {
		return apierror.Missing("secret")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	w, ok := a.webhooks.get(id)
	if !ok {
		return apierror.NotFound("Webhook", id)
	}
	w.secret = secret
	w.UpdatedTime = a.clock.Now()
	return nil
}

// DeliveryTarget returns the target for delivering an event to one webhook
// now, whatever its subscriptions (control API redelivery).
func (a *Account) DeliveryTarget(webhookID string) (Target, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	w, ok := a.webhooks.get(webhookID)
	if !ok {
		return Target{}, apierror.NotFound("Webhook", webhookID)
	}
	return Target{WebhookID: w.ID, Address: w.Address, Secrets: []string{w.secret}}, nil
}
