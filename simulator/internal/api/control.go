package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/drsim/drsim/simulator/internal/apierror"
	"github.com/drsim/drsim/simulator/internal/delivery"
	"github.com/drsim/drsim/simulator/internal/state"
)

// createAccount is POST /_sim/accounts {secretKey?}: a fresh tenant.
func (h *Handler) createAccount(w http.ResponseWriter, r *http.Request) {
	var p struct {
		SecretKey string `json:"secretKey"`
	}
	if err := decode(r, &p); err != nil {
		writeError(w, apierror.As(err))
		return
	}
	keys, err := h.store.CreateAccountWithKey(p.SecretKey)
	if err != nil {
		writeError(w, apierror.As(err))
		return
	}
	writeJSON(w, http.StatusCreated, keys)
}

func (h *Handler) placeOrder(a *state.Account, r *http.Request) (int, any, error) {
	return withBody(r, http.StatusCreated, a.PlaceOrder)
}

func (h *Handler) acceptOrder(a *state.Account, r *http.Request) (int, any, error) {
	var empty struct{}
	if err := decode(r, &empty); err != nil {
		return 0, nil, err
	}
	o, err := a.AcceptOrder(pathID(r, "id"))
	return http.StatusOK, o, err
}

func (h *Handler) reviewOrder(a *state.Account, r *http.Request) (int, any, error) {
	if err := decode(r, &struct{}{}); err != nil {
		return 0, nil, err
	}
	o, err := a.ReviewOrder(pathID(r, "id"))
	return http.StatusOK, o, err
}

func (h *Handler) blockOrder(a *state.Account, r *http.Request) (int, any, error) {
	var empty struct{}
	if err := decode(r, &empty); err != nil {
		return 0, nil, err
	}
	o, err := a.BlockOrder(pathID(r, "id"))
	return http.StatusOK, o, err
}

// fundSource is POST /_sim/sources/{id}/funds: the customer pushed the
// funds of a delayed (wireTransfer) source; DR accepts the order it pays.
func (h *Handler) fundSource(a *state.Account, r *http.Request) (int, any, error) {
	if err := decode(r, &struct{}{}); err != nil {
		return 0, nil, err
	}
	s, err := a.FundSource(pathID(r, "id"))
	return http.StatusOK, s, err
}

// expireSource is POST /_sim/sources/{id}/expire: the funds of a delayed
// (wireTransfer) source never came; DR cancels the order it pays.
func (h *Handler) expireSource(a *state.Account, r *http.Request) (int, any, error) {
	if err := decode(r, &struct{}{}); err != nil {
		return 0, nil, err
	}
	s, err := a.ExpireSource(pathID(r, "id"))
	return http.StatusOK, s, err
}

type secretBody struct {
	Secret string `json:"secret"`
}

func (h *Handler) setWebhookSecret(a *state.Account, r *http.Request) (int, any, error) {
	var p secretBody
	if err := decode(r, &p); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, p, a.SetWebhookSecret(pathID(r, "id"), p.Secret)
}

// redeliver is POST /_sim/events/{id}/deliveries {webhookId?, forge?}: it
// delivers the event again now, synchronously, to one webhook or to every
// webhook it was first sent to, and returns the attempts.
func (h *Handler) redeliver(a *state.Account, r *http.Request) (int, any, error) {
	var p struct {
		WebhookID string           `json:"webhookId"`
		Forge     delivery.Forgery `json:"forge"`
	}
	if err := decode(r, &p); err != nil {
		return 0, nil, err
	}
	if err := p.Forge.Validate(); err != nil {
		return 0, nil, err
	}
	ev, err := a.Event(pathID(r, "id"))
	if err != nil {
		return 0, nil, err
	}
	hooks := ev.WebhookIDs
	if p.WebhookID != "" {
		hooks = []string{p.WebhookID}
	}
	if len(hooks) == 0 {
		return 0, nil, apierror.Invalid("webhookId", "Event '%s' went to no webhook; name one with webhookId.", ev.ID)
	}
	attempts := []delivery.Attempt{}
	for _, id := range hooks {
		t, err := a.DeliveryTarget(id)
		if err != nil {
			return 0, nil, err
		}
		at, err := h.engine.Deliver(r.Context(), a.ID(), ev, t, p.Forge)
		if err != nil {
			return 0, nil, err
		}
		attempts = append(attempts, at)
	}
	return http.StatusOK, state.Page[delivery.Attempt]{Data: attempts}, nil
}

// listDeliveries is GET /_sim/deliveries?eventId&webhookId[&min=N&wait=5s]:
// with min and wait it answers once at least min attempts match, or after
// wait with 408 and the attempts seen.
func (h *Handler) listDeliveries(a *state.Account, r *http.Request) (int, any, error) {
	q := r.URL.Query()
	after, limit, err := controlPage(r)
	if err != nil {
		return 0, nil, err
	}
	f := delivery.AttemptFilter{EventID: q.Get("eventId"), WebhookID: q.Get("webhookId"), After: after}
	if q.Get("min") == "" && q.Get("wait") == "" {
		return http.StatusOK, h.engine.AttemptsPage(a.ID(), f, limit), nil
	}
	min, err := strconv.Atoi(q.Get("min"))
	if err != nil || min < 1 {
		return 0, nil, apierror.Invalid("min", "min must be a whole number of at least 1, got '%s'.", q.Get("min"))
	}
	wait, err := time.ParseDuration(q.Get("wait"))
	if err != nil || wait <= 0 || wait > maxWait {
		return 0, nil, apierror.Invalid("wait", "wait must be a duration between 1ms and %s, got '%s'.", maxWait, q.Get("wait"))
	}
	ctx, cancel := context.WithTimeout(r.Context(), wait)
	defer cancel()
	page, err := h.engine.WaitAttemptsPage(ctx, a.ID(), f, min, limit)
	if err != nil {
		e := apierror.New(http.StatusRequestTimeout, "request_timeout", "wait", err.Error())
		return 0, nil, e
	}
	return http.StatusOK, page, nil
}

// maxWait bounds long-polling control calls.
const maxWait = 2 * time.Minute

func (h *Handler) addFault(a *state.Account, r *http.Request) (int, any, error) {
	var f delivery.Fault
	if err := decode(r, &f); err != nil {
		return 0, nil, err
	}
	if f.ID != "" || f.Used != 0 {
		return 0, nil, apierror.Invalid("id", "id and used are set by the simulator.")
	}
	if f.WebhookID != "" {
		if _, err := a.Webhook(f.WebhookID); err != nil {
			return 0, nil, err
		}
	}
	out, err := h.engine.AddFault(a.ID(), f)
	return http.StatusCreated, out, err
}

type clockBody struct {
	Now time.Time `json:"now"`
}

// getClock is GET /_sim/clock: the account's clock, which follows wall
// time (virtual time lives in test clocks, testclocks.go).
func (h *Handler) getClock(a *state.Account, r *http.Request) (int, any, error) {
	return http.StatusOK, clockBody{Now: a.Now()}, nil
}

// Control lists (GET /_sim/requests, GET /_sim/deliveries) page oldest
// first: limit (default 100, at most 1000) entries numbered (seq) after
// startingAfter; hasMore says more follow, dropped how many the simulator
// no longer keeps (state.MaxRequestLog, delivery.MaxAttempts).
const (
	controlPageDefault = 100
	controlPageMax     = 1000
)

// controlPage reads limit and startingAfter (a seq) of a control list.
func controlPage(r *http.Request) (after, limit int, err error) {
	q := r.URL.Query()
	limit = controlPageDefault
	if s := q.Get("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 || limit > controlPageMax {
			return 0, 0, apierror.Invalid("limit", "limit must be a whole number between 1 and %d, got '%s'.", controlPageMax, s)
		}
	}
	if s := q.Get("startingAfter"); s != "" {
		if after, err = strconv.Atoi(s); err != nil || after < 0 {
			return 0, 0, apierror.Invalid("startingAfter", "startingAfter must be the seq of an entry (a whole number, 0 or more), got '%s'.", s)
		}
	}
	return after, limit, nil
}

func (h *Handler) listRequests(a *state.Account, r *http.Request) (int, any, error) {
	after, limit, err := controlPage(r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, a.RequestsPage(after, limit), nil
}
