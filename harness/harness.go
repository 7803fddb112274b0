// Package harness is the certification harness's Go API: it drives a
// merchant through the simulator and checks the emails the merchant sends
// against the notification catalogue. The godog steps are thin sentences
// over this API, and a Go merchant can call it from a plain `go test`
// without Gherkin: see the package Example (New, NewScenario, then the
// scenario's steps such as CreateCustomer, PlaceOrder, AcceptOrder and
// ExpectNotification).
package harness

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/drsim/drsim/harness/catalogue"
	"github.com/drsim/drsim/harness/mailbox"
	"github.com/drsim/drsim/harness/profile"
	"github.com/drsim/drsim/simulator/client"
)

// Config wires a harness to a merchant, a simulator and a mailbox.
type Config struct {
	Profile      *profile.Profile
	Catalogue    *catalogue.Catalogue
	SimulatorURL string
	// AdminToken is the simulator's admin token (simulator.Options.AdminToken),
	// needed when it listens beyond loopback; sent with every call.
	AdminToken string
	Mailbox    *mailbox.Client
	// RunID tells this run's addresses from other runs' in a shared mailbox;
	// random when empty.
	RunID string
	// EmailDomain is the domain of customer addresses; "example.test" when empty.
	EmailDomain string
}

// Harness is connected to one merchant under test.
type Harness struct {
	cfg       Config
	dr        *client.Client
	webhookID string
	// observerID is the webhook of the observed types (observedTypes).
	observerID string
	scenarios  atomic.Int64
	events     eventLog // the account's events, read incrementally
}

// New checks the configuration, makes sure the simulator has an account for
// the merchant's secret key, and registers the merchant's webhook for every
// trigger in the catalogue, signed with the merchant's secret.
func New(ctx context.Context, cfg Config) (*Harness, error) {
	switch {
	case cfg.Profile == nil:
		return nil, errors.New("harness: Config.Profile is required")
	case cfg.Catalogue == nil:
		return nil, errors.New("harness: Config.Catalogue is required")
	case cfg.SimulatorURL == "":
		return nil, errors.New("harness: Config.SimulatorURL is required")
	case cfg.Mailbox == nil:
		return nil, errors.New("harness: Config.Mailbox is required")
	}
	ids := make([]string, 0, len(cfg.Catalogue.Notifications))
	for _, n := range cfg.Catalogue.Notifications {
		ids = append(ids, n.ID)
	}
	if err := cfg.Profile.CheckNotificationIDs(ids); err != nil {
		return nil, err
	}
	if words := cfg.Profile.NotificationWords(); words != nil {
		if err := cfg.Profile.CheckNotificationWords(func(id, attr string) error {
			_, err := cfg.Catalogue.WithWords(map[string]map[string][]string{id: {attr: nil}})
			return err
		}); err != nil {
			return nil, err
		}
		cat, err := cfg.Catalogue.WithWords(words)
		if err != nil {
			return nil, fmt.Errorf("harness: %w", err)
		}
		cfg.Catalogue = cat // this harness's copy, with the merchant's words
	}
	if cfg.RunID == "" {
		b := make([]byte, 3)
		_, _ = rand.Read(b)
		cfg.RunID = hex.EncodeToString(b)
	}
	if cfg.EmailDomain == "" {
		cfg.EmailDomain = "example.test"
	}
	base := strings.TrimRight(cfg.SimulatorURL, "/")
	dr := client.New(base, cfg.Profile.API.SecretKey, client.WithCallTimeout(cfg.Profile.ActionTimeout(), "profile timeouts.action"), client.WithUserAgent(HarnessAgent), client.WithAdminToken(cfg.AdminToken))
	h := &Harness{cfg: cfg, dr: dr}
	if err := h.ensureAccount(ctx); err != nil {
		return nil, err
	}
	if err := h.ensureWebhook(ctx); err != nil {
		return nil, err
	}
	// Events of earlier runs against this simulator are older than the
	// simulator's clock now (a minute of slack for a wall clock that steps).
	now, err := h.dr.Clock(ctx)
	if err != nil {
		return nil, fmt.Errorf("harness: read the simulator's clock: %w", err)
	}
	h.events.since = now.Add(-time.Minute)
	return h, nil
}

// ensureAccount creates the account for the profile's key unless it exists.
func (h *Harness) ensureAccount(ctx context.Context) error {
	_, err := h.dr.Webhooks(ctx, client.ListParams{Limit: 1})
	if err == nil {
		return nil
	}
	if client.StatusOf(err) != http.StatusUnauthorized {
		return fmt.Errorf("harness: reach the simulator at %s: %w", h.dr.BaseURL(), err)
	}
	if _, err := h.dr.WithKey("").CreateAccount(ctx, h.cfg.Profile.API.SecretKey); err != nil {
		return fmt.Errorf("harness: create the simulator account for api.secretKey: %w", err)
	}
	return nil
}

// ObservedTypes are the event types the harness also sends the merchant,
// though no notification is due on them: DR sends them to a merchant that
// subscribes to them, and a merchant that sends a notification on one of
// them (the order confirmation on order.pending_payment, before DR accepted
// the order) must be caught. They go through a webhook of their own at the
// same address and with the same secret, so a merchant that refuses event
// types it does not use (correct on DR, where it subscribes only to the
// types it wants) has that webhook disabled, never the one that carries
// the notifications' triggers.
var ObservedTypes = []string{"order.pending_payment"}

// observedTypes are ObservedTypes and the catalogue's alsoOn types (DR's
// docs suggest refund.complete for the refund confirmation): the observer
// webhook's types.
func (h *Harness) observedTypes() []string {
	out := slices.Clone(ObservedTypes)
	for _, t := range h.cfg.Catalogue.AlsoOn() {
		if !slices.Contains(out, t) && !slices.Contains(h.cfg.Catalogue.Triggers(), t) {
			out = append(out, t)
		}
	}
	return out
}

// ensureWebhook registers (or updates) the merchant's webhooks, one for the
// catalogue's triggers and one for ObservedTypes, and sets their secret.
func (h *Harness) ensureWebhook(ctx context.Context) error {
	url := h.cfg.Profile.Webhook.URL
	page, err := h.dr.Webhooks(ctx, client.ListParams{Limit: 100})
	if err != nil {
		return fmt.Errorf("harness: list webhooks: %w", err)
	}
	// The main webhook carries a trigger type; the observer none (its
	// types may be an earlier drsim's list).
	triggers := h.cfg.Catalogue.Triggers()
	var main, observer *client.Webhook
	for i := range page.Data {
		w := &page.Data[i]
		switch {
		case w.Address != url:
		case slices.ContainsFunc(w.Types, func(t string) bool { return slices.Contains(triggers, t) }):
			main = w
		default:
			observer = w
		}
	}
	if main, err = h.putWebhook(ctx, main, triggers); err != nil {
		return err
	}
	if observer, err = h.putWebhook(ctx, observer, h.observedTypes()); err != nil {
		return err
	}
	h.webhookID, h.observerID = main.ID, observer.ID
	return nil
}

// putWebhook creates hook (nil) or updates it to deliver types to the
// merchant, and sets its signing secret.
func (h *Harness) putWebhook(ctx context.Context, hook *client.Webhook, types []string) (*client.Webhook, error) {
	url := h.cfg.Profile.Webhook.URL
	p := client.WebhookParams{Address: client.String(url), Types: &types, Enabled: client.Bool(true)}
	// The callback authentication the profile asks for (DR's
	// authentication or oauth); without either, whatever the webhook has
	// is left alone.
	if a := h.cfg.Profile.Webhook.Authentication; a != nil {
		p.TransportType = client.String("HTTP")
		p.Authentication = &client.WebhookAuthenticationParams{UserName: a.UserName, Password: a.Password}
	}
	if o := h.cfg.Profile.Webhook.OAuth; o != nil {
		p.TransportType = client.String("OAUTH")
		p.OAuth = &client.WebhookOAuth{TokenEndPoint: o.TokenEndPoint, ClientID: o.ClientID, ClientSecret: o.ClientSecret,
			GrantType: o.GrantType, UserName: o.UserName, Password: o.Password}
	}
	var err error
	if hook == nil {
		if hook, err = h.dr.CreateWebhook(ctx, p); err != nil {
			return nil, fmt.Errorf("harness: register webhook %s for %s: %w", url, strings.Join(types, ", "), err)
		}
	} else if hook, err = h.dr.UpdateWebhook(ctx, hook.ID, p); err != nil {
		return nil, fmt.Errorf("harness: update webhook %s for %s: %w", url, strings.Join(types, ", "), err)
	}
	if err := h.dr.SetWebhookSecret(ctx, hook.ID, h.cfg.Profile.Webhook.SigningSecret); err != nil {
		return nil, fmt.Errorf("harness: set the signing secret of webhook %s: %w", hook.ID, err)
	}
	return hook, nil
}

// WebhookID is the id of the merchant's webhook in the simulator.
func (h *Harness) WebhookID() string { return h.webhookID }

// NewScenario starts a scenario with its own customers and addresses.
func (h *Harness) NewScenario(name string) *Scenario {
	n := h.scenarios.Add(1)
	return &Scenario{h: h, name: name, seq: n, customers: map[string]*Customer{}}
}
