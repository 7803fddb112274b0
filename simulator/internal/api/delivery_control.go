package api

// Control API for webhook delivery: secrets and their rotation, the state of
// a webhook's delivery, retrying now, fault holds and their release, and API
// faults for the merchant's own DR calls (with the middleware that applies
// them). The delivery engine and its registries do the work; these handlers
// only decode and answer.

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/drsim/drsim/simulator/internal/apierror"
	"github.com/drsim/drsim/simulator/internal/delivery"
	"github.com/drsim/drsim/simulator/internal/state"
)

// webhookSecrets is GET /_sim/webhooks/{id}/secret: the current secret and
// the old ones still valid, with their expiry (virtual clock).
func (h *Handler) webhookSecrets(a *state.Account, r *http.Request) (int, any, error) {
	s, err := a.WebhookSecrets(pathID(r, "id"))
	return http.StatusOK, s, err
}

// rotateWebhookSecret is POST /_sim/webhooks/{id}/secret/rotate
// {"secret"?: "…", "oldValidFor"?: "12h"}: the new secret (random when not
// given) signs at once; the old one keeps signing for oldValidFor of virtual
// time (state.DefaultOldSecretValidity when absent, "0s" blocks it at once).
func (h *Handler) rotateWebhookSecret(a *state.Account, r *http.Request) (int, any, error) {
	var p struct {
		Secret      string  `json:"secret"`
		OldValidFor *string `json:"oldValidFor"`
	}
	if err := decode(r, &p); err != nil {
		return 0, nil, err
	}
	validFor := state.DefaultOldSecretValidity
	if p.OldValidFor != nil {
		d, err := time.ParseDuration(*p.OldValidFor)
		if err != nil || d < 0 {
			return 0, nil, apierror.Invalid("oldValidFor", "oldValidFor must be a duration such as 12h or 0s, got '%s'.", *p.OldValidFor)
		}
		validFor = d
	}
	s, err := a.RotateWebhookSecret(pathID(r, "id"), p.Secret, validFor)
	return http.StatusOK, s, err
}

// webhookDeliveryStatus is the answer of GET /_sim/webhooks/{id}/delivery.
type webhookDeliveryStatus struct {
	WebhookID      string `json:"webhookId"`
	Enabled        bool   `json:"enabled"`
	DisabledReason string `json:"disabledReason,omitempty"`
	delivery.HookStatus
	RetrySchedule []string `json:"retrySchedule"`
	RetryScale    float64  `json:"retryScale"`
	DisablePolicy string   `json:"disablePolicy"`
}

// webhookDelivery is GET /_sim/webhooks/{id}/delivery: whether the webhook
// is enabled (and why the engine disabled it), its queues and failure count,
// and the engine's policies.
func (h *Handler) webhookDelivery(a *state.Account, r *http.Request) (int, any, error) {
	id := pathID(r, "id")
	w, err := a.Webhook(id)
	if err != nil {
		return 0, nil, err
	}
	reason, err := a.WebhookDisabledReason(id)
	if err != nil {
		return 0, nil, err
	}
	retry := h.engine.Retry()
	schedule := make([]string, len(retry.Schedule))
	for i, d := range retry.Schedule {
		schedule[i] = d.String()
	}
	return http.StatusOK, webhookDeliveryStatus{
		WebhookID: id, Enabled: w.Enabled, DisabledReason: reason,
		HookStatus:    h.engine.Status(a.ID(), id),
		RetrySchedule: schedule, RetryScale: retry.Scale, DisablePolicy: h.engine.Disable().String(),
	}, nil
}

// replayWebhook is POST /_sim/webhooks/{id}/replay {"since"?: time,
// "undelivered"?: bool}: every event still kept that the webhook is
// subscribed to, created at or after since (the account's virtual clock;
// all when absent) — with undelivered, only those it never acknowledged —
// is queued for it again, oldest first, as a first delivery with a fresh
// retry schedule.
func (h *Handler) replayWebhook(a *state.Account, r *http.Request) (int, any, error) {
	var p struct {
		Since       *time.Time `json:"since"`
		Undelivered bool       `json:"undelivered"`
	}
	if err := decode(r, &p); err != nil {
		return 0, nil, err
	}
	var since time.Time
	if p.Since != nil {
		since = *p.Since
	}
	id := pathID(r, "id")
	evs, t, err := a.ReplayEvents(id, since)
	if err != nil {
		return 0, nil, err
	}
	var delivered map[string]bool
	if p.Undelivered {
		delivered = h.engine.DeliveredEvents(a.ID(), id)
	}
	ids := []string{}
	for _, ev := range evs {
		if delivered[ev.ID] {
			continue
		}
		ids = append(ids, ev.ID)
		h.engine.Publish(a.ID(), ev, []state.Target{t})
	}
	return http.StatusOK, struct {
		Replayed int      `json:"replayed"`
		EventIDs []string `json:"eventIds"`
	}{len(ids), ids}, nil
}

// retryNow is POST /_sim/deliveries/retry {"webhookId"?}: every event
// waiting for its backoff (to that webhook) is retried now.
func (h *Handler) retryNow(a *state.Account, r *http.Request) (int, any, error) {
	var p struct {
		WebhookID string `json:"webhookId"`
	}
	if err := decode(r, &p); err != nil {
		return 0, nil, err
	}
	if p.WebhookID != "" {
		if _, err := a.Webhook(p.WebhookID); err != nil {
			return 0, nil, err
		}
	}
	return http.StatusOK, struct {
		Retried int `json:"retried"`
	}{h.engine.RetryNow(a.ID(), p.WebhookID)}, nil
}

// getFault is GET /_sim/faults/{id}[?held=N&wait=5s]: with held and wait it
// answers once the hold fault holds at least N deliveries, or after wait
// with 408.
func (h *Handler) getFault(a *state.Account, r *http.Request) (int, any, error) {
	q := r.URL.Query()
	id := pathID(r, "id")
	if q.Get("held") == "" && q.Get("wait") == "" {
		f, err := h.engine.Fault(a.ID(), id)
		return http.StatusOK, f, err
	}
	n, err := strconv.Atoi(q.Get("held"))
	if err != nil || n < 1 {
		return 0, nil, apierror.Invalid("held", "held must be a whole number of at least 1, got '%s'.", q.Get("held"))
	}
	wait, err := time.ParseDuration(q.Get("wait"))
	if err != nil || wait <= 0 || wait > maxWait {
		return 0, nil, apierror.Invalid("wait", "wait must be a duration between 1ms and %s, got '%s'.", maxWait, q.Get("wait"))
	}
	ctx, cancel := context.WithTimeout(r.Context(), wait)
	defer cancel()
	f, err := h.engine.WaitHeld(ctx, a.ID(), id, n)
	if err != nil && ctx.Err() != nil {
		return 0, nil, apierror.New(http.StatusRequestTimeout, "request_timeout", "wait", err.Error())
	}
	return http.StatusOK, f, err
}

// releaseFault is POST /_sim/faults/{id}/release {"order"?: "fifo"|"reverse"|"shuffle", "seed"?: N}.
func (h *Handler) releaseFault(a *state.Account, r *http.Request) (int, any, error) {
	var p struct {
		Order string  `json:"order"`
		Seed  *uint64 `json:"seed"`
	}
	if err := decode(r, &p); err != nil {
		return 0, nil, err
	}
	f, err := h.engine.Release(a.ID(), pathID(r, "id"), p.Order, p.Seed)
	return http.StatusOK, f, err
}

// addAPIFault is POST /_sim/api-faults {"method"?, "path", "status"?,
// "retryAfter"?, "delay"?, "count"?} (apiFault, apifaults.go).
func (h *Handler) addAPIFault(a *state.Account, r *http.Request) (int, any, error) {
	var f apiFault
	if err := decode(r, &f); err != nil {
		return 0, nil, err
	}
	out, err := h.apiFaults.Add(a.ID(), f)
	return http.StatusCreated, out, err
}

// getAPIFault is GET /_sim/api-faults/{id}.
func (h *Handler) getAPIFault(a *state.Account, r *http.Request) (int, any, error) {
	f, err := h.apiFaults.Get(a.ID(), pathID(r, "id"))
	return http.StatusOK, f, err
}

// applyAPIFault applies API faults to DR API calls (never to /_sim/, nor
// to drsim's own calls: drsimCaller) made with either key of an account
// that has one matching: it waits the
// fault's delay, then answers its status in DR's error shape (with
// Retry-After, and X-Drsim-Fault naming the fault) and logs the call, or,
// for a delay-only fault, lets the call through. It reports whether it
// answered (or the caller left during the delay): then nothing else runs.
func (h *Handler) applyAPIFault(w http.ResponseWriter, r *http.Request, c caller) bool {
	if strings.HasPrefix(r.URL.Path, "/_sim/") || drsimCaller(r) {
		return false
	}
	f, hit := h.apiFaults.Take(c.account.ID(), r.Method, r.URL.Path)
	if !hit {
		return false
	}
	if d := f.DelayDuration(); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return true
		}
	}
	e := f.APIError()
	if e == nil {
		return false
	}
	w.Header().Set("X-Drsim-Fault", f.ID)
	if s := f.RetryAfterSeconds(); s > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(s))
	}
	writeError(w, e)
	logCall(c, r, e.Status)
	return true
}
