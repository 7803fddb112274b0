package api

import (
	"net/http"

	"github.com/drsim/drsim/simulator/internal/state"
)

// Fulfillments (docs/dr-api.md#fulfillment).

func (h *Handler) createFulfillment(a *state.Account, r *http.Request) (int, any, error) {
	return withBody(r, http.StatusCreated, a.CreateFulfillment)
}

func (h *Handler) listFulfillments(a *state.Account, r *http.Request) (int, any, error) {
	q := r.URL.Query()
	return listed(q, func(lp state.ListParams) (any, error) {
		return a.Fulfillments(state.FulfillmentFilter{
			ListParams: lp, IDs: multi(q, "ids"), OrderID: q.Get("orderId"), SKUID: q.Get("skuId"),
			TrackingNumber: q.Get("trackingNumber"), TrackingCompany: q.Get("trackingCompany"),
		})
	})
}

func (h *Handler) getFulfillment(a *state.Account, r *http.Request) (int, any, error) {
	return byID(a, state.KindFulfillment, pathID(r, "id"))
}

// Refunds (docs/dr-api.md#refund).

func (h *Handler) createRefund(a *state.Account, r *http.Request) (int, any, error) {
	return withBody(r, http.StatusCreated, a.CreateRefund)
}

func (h *Handler) listRefunds(a *state.Account, r *http.Request) (int, any, error) {
	q := r.URL.Query()
	return listed(q, func(lp state.ListParams) (any, error) {
		return a.Refunds(state.RefundFilter{ListParams: lp, IDs: multi(q, "ids"), OrderID: q.Get("orderId"), State: q.Get("state")})
	})
}

func (h *Handler) getRefund(a *state.Account, r *http.Request) (int, any, error) {
	return byID(a, state.KindRefund, pathID(r, "id"))
}

func (h *Handler) updateRefund(a *state.Account, r *http.Request) (int, any, error) {
	return withBody(r, http.StatusOK, func(p state.RefundUpdateParams) (any, error) { return a.UpdateRefund(pathID(r, "id"), p) })
}

// Returns (docs/dr-api.md#return-optional).

func (h *Handler) createReturn(a *state.Account, r *http.Request) (int, any, error) {
	return withBody(r, http.StatusCreated, a.CreateReturn)
}

func (h *Handler) listReturns(a *state.Account, r *http.Request) (int, any, error) {
	q := r.URL.Query()
	return listed(q, func(lp state.ListParams) (any, error) {
		return a.Returns(state.ReturnFilter{ListParams: lp, IDs: multi(q, "ids"), OrderID: q.Get("orderId"), State: q.Get("state")})
	})
}

func (h *Handler) getReturn(a *state.Account, r *http.Request) (int, any, error) {
	return byID(a, state.KindReturn, pathID(r, "id"))
}

func (h *Handler) updateReturn(a *state.Account, r *http.Request) (int, any, error) {
	return withBody(r, http.StatusOK, func(p state.ReturnUpdateParams) (any, error) { return a.UpdateReturn(pathID(r, "id"), p) })
}

// Control API: DR settles refunds on its own schedule; the simulator waits
// for these calls [choice].

// completeRefund is POST /_sim/refunds/{id}/complete (empty body).
func (h *Handler) completeRefund(a *state.Account, r *http.Request) (int, any, error) {
	var empty struct{}
	if err := decode(r, &empty); err != nil {
		return 0, nil, err
	}
	re, err := a.CompleteRefund(pathID(r, "id"))
	return http.StatusOK, re, err
}

// failRefund is POST /_sim/refunds/{id}/fail {failureReason?}.
func (h *Handler) failRefund(a *state.Account, r *http.Request) (int, any, error) {
	var p struct {
		FailureReason string `json:"failureReason"`
	}
	if err := decode(r, &p); err != nil {
		return 0, nil, err
	}
	re, err := a.FailRefund(pathID(r, "id"), p.FailureReason)
	return http.StatusOK, re, err
}
