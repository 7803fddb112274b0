package state

import (
	"net/url"
	"time"

	"github.com/drsim/drsim/simulator/client"
	"github.com/drsim/drsim/simulator/internal/problem"
)

// Webhook is DR's Webhook. Its signing secrets are not part of DR's API;
// the control API reads and sets them [choice]: they are the account's
// hookNotes.
type Webhook = client.Webhook

// webhookNote is what the simulator keeps on a webhook beyond its wire form.
type webhookNote struct {
	secret         string
	oldSecrets     []OldSecret // after rotations, newest first; pruned when read
	disabledReason string      // why the delivery engine disabled it; "" otherwise
}

// hookNote is webhook w's note (CreateWebhook makes it). Caller holds a.mu.
func (a *Account) hookNote(w *Webhook) *webhookNote {
	n := a.hookNotes[w.ID]
	if n == nil {
		n = &webhookNote{}
		a.hookNotes.set(w.ID, n)
	}
	return n
}

// DefaultOldSecretValidity is how long a rotated-out secret keeps signing
// deliveries when the rotation does not say: DR's signature page says the old
// key stays valid "a short time (12 hours)" [choice].
const DefaultOldSecretValidity = 12 * time.Hour

// OldSecret is a rotated-out signing secret still valid until Expires
// (account's virtual clock).
type OldSecret = client.OldSecret

// WebhookSecrets is a webhook's signing secrets as the control API shows them.
type WebhookSecrets = client.WebhookSecrets

// Target is where and how one event goes to one webhook.
type Target struct {
	WebhookID string
	Address   string
	// Secrets sign the delivery: the current secret first, then the old
	// secrets still valid after a rotation (docs/webhooks.md#webhook-delivery "Secret rotation").
	Secrets []string
	// Source, when set, is the account the webhook belongs to. The delivery
	// engine re-reads the target from it before every attempt but a first
	// one whose webhook has not changed since publish (so a retry uses the
	// address and secrets valid then, and a disabled webhook's events are
	// parked) and disables the webhook through it after sustained failure.
	// Targets built by hand (tests) leave it nil and are used as is.
	Source WebhookSource
	// Enabled and Version are the webhook's enabled flag and its account's
	// WebhookVersion when the target was read. While the version is the
	// same the webhook has not changed, so a first attempt may use the
	// target captured at publish without asking Source.
	Enabled bool
	Version uint64
	// Authentication, when set, is sent as HTTP Basic auth with every
	// callback (transportType HTTP); OAuth, when set, says where to get the
	// bearer token sent with every callback (transportType OAUTH). Both are
	// copies (docs/webhooks.md#webhook-delivery, "Receiver auth").
	Authentication *WebhookAuthentication
	OAuth          *WebhookOAuth
}

// WebhookAuthentication and WebhookOAuth are how DR authenticates its
// callbacks to a webhook (docs/dr-api.md#webhook).
type (
	WebhookAuthentication = client.WebhookAuthentication
	WebhookOAuth          = client.WebhookOAuth
)

// WebhookSource is what the delivery engine may ask of the account a webhook
// belongs to, after Publish and without holding the account's lock. *Account
// implements it.
type WebhookSource interface {
	// CurrentTarget is the webhook's target now and whether it is enabled;
	// an error (404) when it was deleted.
	CurrentTarget(webhookID string) (t Target, enabled bool, err error)
	// DisableWebhook sets enabled:false because deliveries keep failing.
	DisableWebhook(webhookID, reason string) error
	// WebhookVersion changes whenever any of the account's webhooks may
	// have changed (address, secrets, enabled, deleted). It takes no lock.
	WebhookVersion() uint64
}

// Resumer is implemented by a Publisher that parks the deliveries of
// disabled webhooks (the delivery engine). UpdateWebhook calls ResumeWebhook,
// holding the account's lock (ResumeWebhook must not call back into the
// account), whenever a PATCH sets enabled:true, so the parked events go out
// again.
type Resumer interface {
	ResumeWebhook(accountID, webhookID string)
}

// EventForgetter is implemented by a Publisher that remembers events (the
// delivery engine keeps which were acknowledged): when an account forgets
// events past DR's retention it calls ForgetEvents, holding the account's
// lock, so the publisher can forget them too.
type EventForgetter interface {
	ForgetEvents(accountID string, eventIDs []string)
}

// PolicyDisabler is implemented by a Publisher that disables webhooks by a
// failure policy: DisableWebhook asks it, under the account's lock, whether
// the webhook is still disabled by the policy (a PATCH may have resumed it
// since the decision).
type PolicyDisabler interface {
	PolicyDisabled(accountID, webhookID string) bool
}

// WebhookParams is the body of POST /webhooks and PATCH /webhooks/{id}.
type WebhookParams = client.WebhookParams

func validateWebhook(p *WebhookParams, create bool) error {
	if create && p.Address == nil {
		return problem.Missing("address")
	}
	if p.Address != nil {
		u, err := url.Parse(*p.Address)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return problem.Invalidf("address", "address must be an absolute http or https URL, got '%s'.", *p.Address)
		}
	}
	if create && p.Types == nil {
		return problem.Missing("types")
	}
	if p.Types != nil {
		if len(*p.Types) == 0 {
			return problem.Invalidf("types", "types must name at least one event type.")
		}
		for _, t := range *p.Types {
			if t == "" {
				return problem.Invalidf("types", "types cannot contain an empty name.")
			}
		}
	}
	if p.TransportType != nil && *p.TransportType != "HTTP" && *p.TransportType != "OAUTH" {
		return problem.Invalidf("transportType", "transportType must be HTTP or OAUTH, got '%s'.", *p.TransportType)
	}
	return nil
}

// oauthGrants are the OAuth 2.0 grants the simulator uses to get a token
// [choice]: client_credentials (the default) and password.
var oauthGrants = []string{"client_credentials", "password"}

// callbackAuth is the authentication and oauth w has once p applies
// (docs/dr-api.md#webhook; DR's "Creating a webhook": authentication is
// accepted only with transportType HTTP, oauth only with OAUTH, which needs
// tokenEndPoint, clientID and clientSecret). Changing the transport drops
// the other's settings; an authentication whose fields are all empty
// removes it [choice]. w is the webhook before p (zero on create).
func callbackAuth(w *Webhook, p *WebhookParams) (*WebhookAuthentication, *WebhookOAuth, error) {
	typ := w.TransportType
	if p.TransportType != nil {
		typ = *p.TransportType
	}
	var auth *WebhookAuthentication
	var oa *WebhookOAuth
	if typ == "HTTP" && w.Authentication != nil {
		c := *w.Authentication
		auth = &c
	}
	if typ == "OAUTH" && w.OAuth != nil {
		c := *w.OAuth
		oa = &c
	}
	if pa := p.Authentication; pa != nil {
		if typ != "HTTP" {
			return nil, nil, problem.Invalidf("authentication", "authentication is accepted only with transportType HTTP (this webhook's is %s); OAUTH takes oauth.", typ)
		}
		user := pa.UserName
		switch {
		case pa.UserName != "" && pa.Username != "" && pa.UserName != pa.Username:
			return nil, nil, problem.Invalidf("authentication.userName", "authentication gives userName '%s' and username '%s'; give one.", pa.UserName, pa.Username)
		case user == "":
			user = pa.Username
		}
		switch {
		case user == "" && pa.Password == "":
			auth = nil
		case user == "":
			return nil, nil, problem.Missing("authentication.userName")
		default:
			auth = &WebhookAuthentication{UserName: user, Password: pa.Password}
		}
	}
	if po := p.OAuth; po != nil {
		if typ != "OAUTH" {
			return nil, nil, problem.Invalidf("oauth", "oauth is accepted only with transportType OAUTH (this webhook's is %s).", typ)
		}
		c := *po
		oa = &c
		switch {
		case oa.TokenEndPoint == "":
			return nil, nil, problem.Missing("oauth.tokenEndPoint")
		case oa.ClientID == "":
			return nil, nil, problem.Missing("oauth.clientID")
		case oa.ClientSecret == "":
			return nil, nil, problem.Missing("oauth.clientSecret")
		case oa.GrantType != "" && !contains(oauthGrants, oa.GrantType):
			return nil, nil, problem.Invalidf("oauth.grantType", "grantType must be client_credentials or password, got '%s'.", oa.GrantType)
		case oa.GrantType == "password" && oa.UserName == "":
			return nil, nil, problem.Missing("oauth.userName")
		}
		if u, err := url.Parse(oa.TokenEndPoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, nil, problem.Invalidf("oauth.tokenEndPoint", "tokenEndPoint must be an absolute http or https URL, got '%s'.", oa.TokenEndPoint)
		}
	}
	if typ == "OAUTH" && oa == nil {
		return nil, nil, problem.Missing("oauth")
	}
	return auth, oa, nil
}

// apply sets the fields p gives on w. Caller holds a.mu.
func (a *Account) apply(w *Webhook, p WebhookParams, now time.Time) {
	if p.Address != nil {
		w.Address = *p.Address
	}
	if p.Types != nil {
		w.Types = append([]string(nil), (*p.Types)...)
	}
	if p.Enabled != nil {
		w.Enabled = *p.Enabled
		a.hookNote(w).disabledReason = ""
	}
	if p.APIVersion != nil {
		w.APIVersion = *p.APIVersion
	}
	if p.TransportType != nil {
		w.TransportType = *p.TransportType
	}
	w.UpdatedTime = now
}

// applyAuth sets w's callback authentication (callbackAuth's results).
func applyAuth(w *Webhook, auth *WebhookAuthentication, oa *WebhookOAuth) {
	w.Authentication, w.OAuth = auth, oa
}

func subscribed(w *Webhook, typ string) bool {
	for _, t := range w.Types {
		if MatchType(t, typ) {
			return true
		}
	}
	return false
}

// subscribedTargets lists the webhooks subscribed to typ that take events:
// the enabled ones, and those the delivery engine disabled (it parks their
// events until PATCH enabled:true, so none is lost [choice]). A webhook the
// merchant disabled gets nothing; POST /_sim/webhooks/{id}/replay resends
// what it missed. Caller holds a.mu.
func (a *Account) subscribedTargets(typ string) []Target {
	var out []Target
	now := a.now()
	for _, w := range a.webhooks.all() {
		if (w.Enabled || a.hookNote(w).disabledReason != "") && subscribed(w, typ) {
			out = append(out, a.targetLocked(w, now))
		}
	}
	return out
}

// targetLocked is w's target at virtual time now. Caller holds a.mu.
func (a *Account) targetLocked(w *Webhook, now time.Time) Target {
	n := a.hookNote(w)
	n.pruneSecrets(now)
	secrets := make([]string, 0, 1+len(n.oldSecrets))
	secrets = append(secrets, n.secret)
	for _, o := range n.oldSecrets {
		secrets = append(secrets, o.Secret)
	}
	t := Target{WebhookID: w.ID, Address: w.Address, Secrets: secrets, Source: a, Enabled: w.Enabled, Version: a.webhookVersion.Load()}
	if w.Authentication != nil {
		c := *w.Authentication
		t.Authentication = &c
	}
	if w.OAuth != nil {
		c := *w.OAuth
		t.OAuth = &c
	}
	return t
}

// WebhookVersion is bumped, under a.mu and before the change, by every
// call that may change a webhook once created (WebhookSource).
func (a *Account) WebhookVersion() uint64 { return a.webhookVersion.Load() }

// pruneSecrets drops the old secrets expired at now.
func (n *webhookNote) pruneSecrets(now time.Time) {
	kept := n.oldSecrets[:0:0]
	for _, o := range n.oldSecrets {
		if now.Before(o.Expires) {
			kept = append(kept, o)
		}
	}
	n.oldSecrets = kept
}

// CreateWebhook is POST /webhooks.
func (a *Account) CreateWebhook(p WebhookParams) (*Webhook, error) {
	if err := validateWebhook(&p, true); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	w := &Webhook{ID: newUUID(), Enabled: true, APIVersion: "default", TransportType: "HTTP", CreatedTime: now}
	auth, oa, err := callbackAuth(w, &p)
	if err != nil {
		return nil, err
	}
	a.hookNotes.set(w.ID, &webhookNote{secret: "whsec_" + randomHex(16)})
	a.apply(w, p, now)
	applyAuth(w, auth, oa)
	a.webhooks.put(w.ID, w)
	return cloneWebhook(w), nil
}

func cloneWebhook(w *Webhook) *Webhook {
	c := *w
	c.Types = append([]string(nil), w.Types...)
	if w.Authentication != nil {
		x := *w.Authentication
		c.Authentication = &x
	}
	if w.OAuth != nil {
		x := *w.OAuth
		c.OAuth = &x
	}
	return &c
}

// UpdateWebhook is PATCH /webhooks/{id}. Setting enabled:true also tells the
// publisher (when it is a Resumer) to deliver the events it parked while the
// webhook was disabled.
func (a *Account) UpdateWebhook(id string, p WebhookParams) (*Webhook, error) {
	if err := validateWebhook(&p, false); err != nil {
		return nil, err
	}
	a.mu.Lock()
	a.webhookVersion.Add(1)
	w, ok := a.webhooks.get(id)
	if !ok {
		a.mu.Unlock()
		return nil, problem.NotFoundID("Webhook", id)
	}
	auth, oa, err := callbackAuth(w, &p)
	if err != nil {
		a.mu.Unlock()
		return nil, err
	}
	a.apply(w, p, a.now())
	applyAuth(w, auth, oa)
	out := cloneWebhook(w)
	// Resumed under a.mu, so that a concurrent DisableWebhook (which asks
	// the engine under a.mu too) sees either both changes or neither: the
	// account and the engine never disagree on whether it is enabled.
	if r, ok := a.publisher.(Resumer); ok && p.Enabled != nil && *p.Enabled {
		r.ResumeWebhook(a.id, id)
	}
	a.mu.Unlock()
	return out, nil
}

// DisableWebhook sets a webhook's enabled to false because its deliveries
// keep failing (the delivery engine's failure policy). PATCH enabled:true
// turns it back on.
func (a *Account) DisableWebhook(id, reason string) error {
	a.mu.Lock()
	a.webhookVersion.Add(1)
	defer a.mu.Unlock()
	w, ok := a.webhooks.get(id)
	if !ok {
		return problem.NotFoundID("Webhook", id)
	}
	if pd, ok := a.publisher.(PolicyDisabler); ok && !pd.PolicyDisabled(a.id, id) {
		return nil // re-enabled by a PATCH since the engine decided
	}
	w.Enabled = false
	a.hookNote(w).disabledReason = reason
	w.UpdatedTime = a.now()
	return nil
}

// WebhookDisabledReason says why the delivery engine disabled a webhook: ""
// when it is enabled or was disabled through the API.
func (a *Account) WebhookDisabledReason(id string) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	w, ok := a.webhooks.get(id)
	if !ok {
		return "", problem.NotFoundID("Webhook", id)
	}
	return a.hookNote(w).disabledReason, nil
}

// CurrentTarget is the webhook's target now (address, and the secrets valid
// at the account's virtual time) and whether it is enabled. It implements
// WebhookSource for the delivery engine.
func (a *Account) CurrentTarget(id string) (Target, bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	w, ok := a.webhooks.get(id)
	if !ok {
		return Target{}, false, problem.NotFoundID("Webhook", id)
	}
	return a.targetLocked(w, a.now()), w.Enabled, nil
}

// Webhook is GET /webhooks/{id}.
func (a *Account) Webhook(id string) (*Webhook, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	w, ok := a.webhooks.get(id)
	if !ok {
		return nil, problem.NotFoundID("Webhook", id)
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
	p, err := a.webhooks.page(func(w *Webhook) bool {
		if f.Type != "" && !subscribed(w, f.Type) {
			return false
		}
		for _, t := range f.Types {
			if !subscribed(w, t) {
				return false
			}
		}
		return true
	}, f.ListParams)
	for i, w := range p.Data {
		p.Data[i] = cloneWebhook(w)
	}
	return p, err
}

// DeleteWebhook is DELETE /webhooks/{id}.
func (a *Account) DeleteWebhook(id string) error {
	a.mu.Lock()
	a.webhookVersion.Add(1)
	defer a.mu.Unlock()
	if _, ok := a.webhooks.get(id); !ok {
		return problem.NotFoundID("Webhook", id)
	}
	a.webhooks.remove(id)
	delete(a.hookNotes, id)
	return nil
}

// WebhookSecret returns a webhook's signing secret (control API).
func (a *Account) WebhookSecret(id string) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	w, ok := a.webhooks.get(id)
	if !ok {
		return "", problem.NotFoundID("Webhook", id)
	}
	return a.hookNote(w).secret, nil
}

// WebhookSecrets returns a webhook's current secret and the old ones still
// valid at the account's virtual time (control API).
func (a *Account) WebhookSecrets(id string) (WebhookSecrets, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	w, ok := a.webhooks.get(id)
	if !ok {
		return WebhookSecrets{}, problem.NotFoundID("Webhook", id)
	}
	n := a.hookNote(w)
	n.pruneSecrets(a.now())
	return WebhookSecrets{Secret: n.secret, Old: append([]OldSecret{}, n.oldSecrets...)}, nil
}

// SetWebhookSecret replaces a webhook's signing secret at once (control API):
// no old secret stays valid.
func (a *Account) SetWebhookSecret(id, secret string) error {
	if secret == "" {
		return problem.Missing("secret")
	}
	a.mu.Lock()
	a.webhookVersion.Add(1)
	defer a.mu.Unlock()
	w, ok := a.webhooks.get(id)
	if !ok {
		return problem.NotFoundID("Webhook", id)
	}
	n := a.hookNote(w)
	n.secret, n.oldSecrets = secret, nil
	w.UpdatedTime = a.now()
	return nil
}

// RotateWebhookSecret makes secret (a fresh random one when empty) the
// webhook's current secret and keeps the previous one valid for oldValidFor
// of the account's virtual time (0: blocked at once). Secrets rotated out
// earlier keep their own expiry. Deliveries meanwhile carry a digest for each
// valid secret, the current one first (control API).
func (a *Account) RotateWebhookSecret(id, secret string, oldValidFor time.Duration) (WebhookSecrets, error) {
	if oldValidFor < 0 {
		return WebhookSecrets{}, problem.Invalidf("oldValidFor", "oldValidFor cannot be negative, got %s.", oldValidFor)
	}
	a.mu.Lock()
	a.webhookVersion.Add(1)
	defer a.mu.Unlock()
	w, ok := a.webhooks.get(id)
	if !ok {
		return WebhookSecrets{}, problem.NotFoundID("Webhook", id)
	}
	now := a.now()
	n := a.hookNote(w)
	n.pruneSecrets(now)
	if secret == "" {
		secret = "whsec_" + randomHex(16)
	}
	if secret == n.secret {
		return WebhookSecrets{}, problem.Invalidf("secret", "secret must differ from the current secret.")
	}
	old := n.oldSecrets[:0:0]
	if oldValidFor > 0 {
		old = append(old, OldSecret{Secret: n.secret, Expires: now.Add(oldValidFor)})
	}
	for _, o := range n.oldSecrets {
		if o.Secret != secret {
			old = append(old, o)
		}
	}
	n.secret, n.oldSecrets = secret, old
	w.UpdatedTime = now
	return WebhookSecrets{Secret: n.secret, Old: append([]OldSecret{}, n.oldSecrets...)}, nil
}

// DeliveryTarget returns the target for delivering an event to one webhook
// now, whatever its subscriptions (control API redelivery).
func (a *Account) DeliveryTarget(webhookID string) (Target, error) {
	t, _, err := a.CurrentTarget(webhookID)
	return t, err
}

// ReplayEvents lists, oldest first, the events still kept (DR's retention)
// created at or after since that webhook id is subscribed to, with the
// webhook's target now: POST /_sim/webhooks/{id}/replay resends them.
func (a *Account) ReplayEvents(id string, since time.Time) ([]*Event, Target, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	w, ok := a.webhooks.get(id)
	if !ok {
		return nil, Target{}, problem.NotFoundID("Webhook", id)
	}
	cutoff := a.retentionCutoff()
	match := make([]bool, len(a.events.types)) // whether w is subscribed to each event type
	for i, typ := range a.events.types {
		match[i] = subscribed(w, typ)
	}
	var out []*Event
	for i := range a.events.entries {
		if e := &a.events.entries[i]; match[e.typ] && !e.retired(cutoff) && !e.createdTime().Before(since) {
			out = append(out, a.events.event(i))
		}
	}
	return out, a.targetLocked(w, a.now()), nil
}
