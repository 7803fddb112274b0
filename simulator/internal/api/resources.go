package api

import (
	"net/http"

	"github.com/drsim/drsim/simulator/internal/state"
)

// Customers.

func (h *Handler) createCustomer(a *state.Account, r *http.Request) (int, any, error) {
	return withBody(r, http.StatusCreated, func(p state.CustomerParams) (jsonBody, error) { return a.CreateCustomerJSON(p) })
}

// listCustomers is GET /customers with DR's filters: email, ids,
// createdTime and updatedTime ranges, requestToBeForgotten
// (docs/dr-api.md#customer).
func (h *Handler) listCustomers(a *state.Account, r *http.Request) (int, any, error) {
	q := r.URL.Query()
	f := state.CustomerFilter{Email: q.Get("email"), IDs: multi(q, "ids")}
	var err error
	if f.Created, err = timeRange(q, "createdTime"); err != nil {
		return 0, nil, err
	}
	if f.Updated, err = timeRange(q, "updatedTime"); err != nil {
		return 0, nil, err
	}
	if f.RequestToBeForgotten, err = boolParam(q, "requestToBeForgotten"); err != nil {
		return 0, nil, err
	}
	return listed(q, func(lp state.ListParams) (any, error) {
		f.ListParams = lp
		return a.Customers(f)
	})
}

func (h *Handler) getCustomer(a *state.Account, r *http.Request) (int, any, error) {
	return byID(a, state.KindCustomer, pathID(r, "id"))
}

func (h *Handler) updateCustomer(a *state.Account, r *http.Request) (int, any, error) {
	return withBody(r, http.StatusOK, func(p state.CustomerParams) (any, error) { return a.UpdateCustomer(pathID(r, "id"), p) })
}

func (h *Handler) deleteCustomer(a *state.Account, r *http.Request) (int, any, error) {
	return http.StatusNoContent, nil, a.DeleteCustomer(pathID(r, "id"))
}

func (h *Handler) attachSource(a *state.Account, r *http.Request) (int, any, error) {
	var empty struct{}
	if err := decode(r, &empty); err != nil {
		return 0, nil, err
	}
	s, err := a.AttachSource(pathID(r, "id"), pathID(r, "sourceId"))
	return http.StatusOK, s, err
}

func (h *Handler) detachSource(a *state.Account, r *http.Request) (int, any, error) {
	return http.StatusNoContent, nil, a.DetachSource(pathID(r, "id"), pathID(r, "sourceId"))
}

// Sources.

func (h *Handler) createSource(a *state.Account, r *http.Request) (int, any, error) {
	return withBody(r, http.StatusCreated, a.CreateSource)
}

func (h *Handler) getSource(a *state.Account, r *http.Request) (int, any, error) {
	return byID(a, state.KindSource, pathID(r, "id"))
}

// SKUs.

func (h *Handler) createSKU(a *state.Account, r *http.Request) (int, any, error) {
	var p state.SKUParams
	if err := decode(r, &p); err != nil {
		return 0, nil, err
	}
	s, _, err := a.CreateSKU(p, false)
	return http.StatusCreated, s, err
}

func (h *Handler) upsertSKU(a *state.Account, r *http.Request) (int, any, error) {
	var p state.SKUParams
	if err := decode(r, &p); err != nil {
		return 0, nil, err
	}
	id := pathID(r, "id")
	p.ID = &id
	s, created, err := a.CreateSKU(p, true)
	if created {
		return http.StatusCreated, s, err
	}
	return http.StatusOK, s, err
}

func (h *Handler) updateSKU(a *state.Account, r *http.Request) (int, any, error) {
	return withBody(r, http.StatusOK, func(p state.SKUParams) (any, error) { return a.UpdateSKU(pathID(r, "id"), p) })
}

func (h *Handler) getSKU(a *state.Account, r *http.Request) (int, any, error) {
	return byID(a, state.KindSKU, pathID(r, "id"))
}

func (h *Handler) listSKUs(a *state.Account, r *http.Request) (int, any, error) {
	return listed(r.URL.Query(), a.SKUs)
}

func (h *Handler) deleteSKU(a *state.Account, r *http.Request) (int, any, error) {
	return http.StatusNoContent, nil, a.DeleteSKU(pathID(r, "id"))
}

// Orders.

func (h *Handler) listOrders(a *state.Account, r *http.Request) (int, any, error) {
	q := r.URL.Query()
	lp, err := listParams(q)
	if err != nil {
		return 0, nil, err
	}
	created, err := timeRange(q, "createdTime")
	if err != nil {
		return 0, nil, err
	}
	page, err := a.Orders(state.OrderFilter{
		ListParams: lp, IDs: multi(q, "ids"), State: q.Get("state"), CustomerID: q.Get("customerId"),
		Email: q.Get("email"), SubscriptionID: q.Get("subscriptionId"), Created: created,
	})
	return http.StatusOK, page, err
}

// getOrder is GET /orders/{id}[?expand=true] (docs/dr-api.md#order).
func (h *Handler) getOrder(a *state.Account, r *http.Request) (int, any, error) {
	expand, err := boolParam(r.URL.Query(), "expand")
	if err != nil {
		return 0, nil, err
	}
	if expand != nil && *expand {
		o, err := a.OrderExpanded(pathID(r, "id"))
		return http.StatusOK, o, err
	}
	return byID(a, state.KindOrder, pathID(r, "id"))
}

func (h *Handler) getCharge(a *state.Account, r *http.Request) (int, any, error) {
	ch, err := a.Charge(pathID(r, "id"))
	return http.StatusOK, ch, err
}

func (h *Handler) updateOrder(a *state.Account, r *http.Request) (int, any, error) {
	return withBody(r, http.StatusOK, func(p state.OrderUpdateParams) (any, error) { return a.UpdateOrder(pathID(r, "id"), p) })
}

// Events.

func (h *Handler) listEvents(a *state.Account, r *http.Request) (int, any, error) {
	q := r.URL.Query()
	lp, err := listParams(q)
	if err != nil {
		return 0, nil, err
	}
	created, err := timeRange(q, "createdTime")
	if err != nil {
		return 0, nil, err
	}
	page, err := a.Events(state.EventFilter{ListParams: lp, Type: q.Get("type"), Types: multi(q, "types"), Created: created})
	return http.StatusOK, page, err
}

func (h *Handler) getEvent(a *state.Account, r *http.Request) (int, any, error) {
	e, err := a.Event(pathID(r, "id"))
	return http.StatusOK, e, err
}

// Webhooks.

func (h *Handler) createWebhook(a *state.Account, r *http.Request) (int, any, error) {
	return withBody(r, http.StatusCreated, a.CreateWebhook)
}

func (h *Handler) listWebhooks(a *state.Account, r *http.Request) (int, any, error) {
	q := r.URL.Query()
	return listed(q, func(lp state.ListParams) (any, error) {
		return a.Webhooks(state.WebhookFilter{ListParams: lp, Type: q.Get("type"), Types: multi(q, "types")})
	})
}

func (h *Handler) getWebhook(a *state.Account, r *http.Request) (int, any, error) {
	w, err := a.Webhook(pathID(r, "id"))
	return http.StatusOK, w, err
}

func (h *Handler) updateWebhook(a *state.Account, r *http.Request) (int, any, error) {
	return withBody(r, http.StatusOK, func(p state.WebhookParams) (any, error) { return a.UpdateWebhook(pathID(r, "id"), p) })
}

func (h *Handler) deleteWebhook(a *state.Account, r *http.Request) (int, any, error) {
	return http.StatusNoContent, nil, a.DeleteWebhook(pathID(r, "id"))
}
