package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/drsim/drsim/simulator/internal/apierror"
	"github.com/drsim/drsim/simulator/internal/state"
)

// billingRoutes registers plans, subscriptions and billing invoices
// (docs/dr-api.md: Plan, Subscription, Invoice). There is no POST /subscriptions: the control API's
// POST /_sim/orders creates them from lines with subscriptionInfo.
func (h *Handler) billingRoutes(dr func(method, path string, keys keyScope, fn accountHandler)) {
	dr("POST", "/plans", secretOnly, h.createPlan)
	dr("GET", "/plans", secretOnly, h.listPlans)
	dr("GET", "/plans/{id}", secretOnly, h.getPlan)
	dr("POST", "/plans/{id}", secretOnly, h.updatePlan)
	dr("DELETE", "/plans/{id}", secretOnly, h.deletePlan)
	dr("GET", "/subscriptions", secretOnly, h.listSubscriptions)
	dr("GET", "/subscriptions/{id}", secretOnly, h.getSubscription)
	dr("POST", "/subscriptions/{id}", secretOnly, h.updateSubscription)
	dr("DELETE", "/subscriptions/{id}", secretOnly, h.deleteSubscription)
	dr("GET", "/invoices", secretOnly, h.listInvoices)
	dr("GET", "/invoices/{id}", secretOnly, h.getInvoice)
	dr("POST", "/invoices", secretOnly, h.createInvoice)
	dr("POST", "/invoices/{id}", secretOnly, h.updateInvoice)
	dr("DELETE", "/invoices/{id}", secretOnly, h.deleteInvoice)
	dr("POST", "/invoices/{id}/open", secretOnly, h.openInvoice)
	dr("POST", "/invoices/{id}/void", secretOnly, h.voidInvoice)
}

// Plans.

func (h *Handler) createPlan(a *state.Account, r *http.Request) (int, any, error) {
	return withBody(r, http.StatusCreated, a.CreatePlan)
}

func (h *Handler) listPlans(a *state.Account, r *http.Request) (int, any, error) {
	q := r.URL.Query()
	return listed(q, func(lp state.ListParams) (any, error) {
		return a.Plans(state.PlanFilter{ListParams: lp, State: q.Get("state"), Interval: q.Get("interval")})
	})
}

func (h *Handler) getPlan(a *state.Account, r *http.Request) (int, any, error) {
	return byID(a, state.KindPlan, pathID(r, "id"))
}

func (h *Handler) updatePlan(a *state.Account, r *http.Request) (int, any, error) {
	return withBody(r, http.StatusOK, func(p state.PlanParams) (any, error) { return a.UpdatePlan(pathID(r, "id"), p) })
}

func (h *Handler) deletePlan(a *state.Account, r *http.Request) (int, any, error) {
	return http.StatusNoContent, nil, a.DeletePlan(pathID(r, "id"))
}

// Subscriptions.

func (h *Handler) listSubscriptions(a *state.Account, r *http.Request) (int, any, error) {
	q := r.URL.Query()
	return listed(q, func(lp state.ListParams) (any, error) {
		return a.Subscriptions(state.SubscriptionFilter{
			ListParams: lp, PlanID: q.Get("planId"), State: q.Get("state"), CustomerID: q.Get("customerId"),
		})
	})
}

func (h *Handler) getSubscription(a *state.Account, r *http.Request) (int, any, error) {
	return byID(a, state.KindSubscription, pathID(r, "id"))
}

func (h *Handler) updateSubscription(a *state.Account, r *http.Request) (int, any, error) {
	return withBody(r, http.StatusOK, func(p state.SubscriptionUpdateParams) (any, error) { return a.UpdateSubscription(pathID(r, "id"), p) })
}

func (h *Handler) deleteSubscription(a *state.Account, r *http.Request) (int, any, error) {
	return http.StatusNoContent, nil, a.DeleteSubscription(pathID(r, "id"))
}

// Billing invoices.

func (h *Handler) listInvoices(a *state.Account, r *http.Request) (int, any, error) {
	q := r.URL.Query()
	return listed(q, func(lp state.ListParams) (any, error) {
		return a.Invoices(state.InvoiceFilter{
			ListParams: lp, State: q.Get("state"), CustomerID: q.Get("customerId"), SubscriptionID: q.Get("subscriptionId"),
		})
	})
}

func (h *Handler) getInvoice(a *state.Account, r *http.Request) (int, any, error) {
	return byID(a, state.KindInvoice, pathID(r, "id"))
}

func (h *Handler) createInvoice(a *state.Account, r *http.Request) (int, any, error) {
	return withBody(r, http.StatusCreated, a.CreateInvoice)
}

func (h *Handler) updateInvoice(a *state.Account, r *http.Request) (int, any, error) {
	return withBody(r, http.StatusOK, func(p state.InvoiceUpdateParams) (any, error) { return a.UpdateInvoice(pathID(r, "id"), p) })
}

func (h *Handler) deleteInvoice(a *state.Account, r *http.Request) (int, any, error) {
	return http.StatusNoContent, nil, a.DeleteInvoice(pathID(r, "id"))
}

// openInvoice and voidInvoice take no body (an empty object is fine).
func (h *Handler) openInvoice(a *state.Account, r *http.Request) (int, any, error) {
	return withBody(r, http.StatusOK, func(struct{}) (any, error) { return a.OpenInvoice(pathID(r, "id")) })
}

func (h *Handler) voidInvoice(a *state.Account, r *http.Request) (int, any, error) {
	return withBody(r, http.StatusOK, func(struct{}) (any, error) { return a.VoidInvoice(pathID(r, "id")) })
}

// eventRef names an event an advance recorded.
type eventRef struct {
	ID          string    `json:"id"`
	Type        string    `json:"type"`
	CreatedTime time.Time `json:"createdTime"`
}

// waitSubscription is GET /_sim/subscriptions/{id}?state=active,activeFree&wait=10s:
// the subscription once it is in one of the states (what a harness waits
// for after asking the merchant to act), or 408 when wait passes first.
func (h *Handler) waitSubscription(a *state.Account, r *http.Request) (int, any, error) {
	q := r.URL.Query()
	states := strings.FieldsFunc(q.Get("state"), func(c rune) bool { return c == ',' })
	if len(states) == 0 {
		return 0, nil, apierror.Missing("state")
	}
	wait, err := time.ParseDuration(q.Get("wait"))
	if err != nil || wait <= 0 || wait > maxWait {
		return 0, nil, apierror.Invalid("wait", "wait must be a duration between 1ms and %s, got '%s'.", maxWait, q.Get("wait"))
	}
	ctx, cancel := context.WithTimeout(r.Context(), wait)
	defer cancel()
	s, err := a.WaitSubscriptionState(ctx, pathID(r, "id"), states)
	return http.StatusOK, s, err
}
