package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"testing"
	"time"
)

// The bad-request table (errors_test.go) requires a row for every route;
// these are the rows for plans, subscriptions and billing invoices, and for
// subscription lines on the control API's checkout.
func init() {
	badRows = append(badRows, []badRow{
		// POST /plans
		{route: "POST /plans", name: "bad JSON", path: "/plans", body: `{"name":`, status: 400, code: "invalid_parameter"},
		{route: "POST /plans", name: "missing name", path: "/plans", body: `{"interval":"month"}`, status: 400, code: "missing_parameter", param: "name"},
		{route: "POST /plans", name: "missing interval", path: "/plans", body: `{"name":"Monthly"}`, status: 400, code: "missing_parameter", param: "interval"},
		{route: "POST /plans", name: "interval hour", path: "/plans", body: `{"name":"Hourly","interval":"hour"}`, status: 400, code: "invalid_parameter", param: "interval"},
		{route: "POST /plans", name: "intervalCount a string", path: "/plans", body: `{"name":"M","interval":"month","intervalCount":"1"}`, status: 400, code: "invalid_parameter", param: "intervalCount"},
		{route: "POST /plans", name: "intervalCount 1001", path: "/plans", body: `{"name":"M","interval":"day","intervalCount":1001}`, status: 400, code: "invalid_parameter", param: "intervalCount"},
		{route: "POST /plans", name: "billingOffsetDays over collectionPeriodDays", path: "/plans", body: `{"name":"M","interval":"month","billingOffsetDays":5,"collectionPeriodDays":3}`, status: 400, code: "invalid_parameter", param: "billingOffsetDays"},
		{route: "POST /plans", name: "state unknown", path: "/plans", body: `{"name":"M","interval":"month","state":"paused"}`, status: 400, code: "invalid_parameter", param: "state"},
		{route: "POST /plans", name: "unknown field", path: "/plans", body: `{"name":"M","interval":"month","price":5}`, status: 400, code: "invalid_parameter", param: "price"},
		// GET /plans, /plans/{id}
		{route: "GET /plans", name: "limit 0", path: "/plans?limit=0", status: 400, code: "invalid_parameter", param: "limit"},
		{route: "GET /plans", name: "state unknown", path: "/plans?state=paused", status: 400, code: "invalid_parameter", param: "state"},
		{route: "GET /plans", name: "interval unknown", path: "/plans?interval=hour", status: 400, code: "invalid_parameter", param: "interval"},
		{route: "GET /plans/{id}", name: "unknown id", path: "/plans/nope", status: 404, code: "not_found", param: "id"},
		{route: "POST /plans/{id}", name: "unknown id", path: "/plans/nope", body: `{"name":"x"}`, status: 404, code: "not_found", param: "id"},
		{route: "POST /plans/{id}", name: "bad JSON", path: "/plans/nope", body: `{"name":`, status: 400, code: "invalid_parameter"},
		{route: "POST /plans/{id}", name: "name a number", path: "/plans/nope", body: `{"name":5}`, status: 400, code: "invalid_parameter", param: "name"},
		{route: "DELETE /plans/{id}", name: "unknown id", path: "/plans/nope", status: 404, code: "not_found", param: "id"},
		// Subscriptions
		{route: "GET /subscriptions", name: "limit 101", path: "/subscriptions?limit=101", status: 400, code: "invalid_parameter", param: "limit"},
		{route: "GET /subscriptions", name: "state unknown", path: "/subscriptions?state=paused", status: 400, code: "invalid_parameter", param: "state"},
		{route: "GET /subscriptions/{id}", name: "unknown id", path: "/subscriptions/nope", status: 404, code: "not_found", param: "id"},
		{route: "POST /subscriptions/{id}", name: "unknown id", path: "/subscriptions/nope", body: `{"state":"cancelled"}`, status: 404, code: "not_found", param: "id"},
		{route: "POST /subscriptions/{id}", name: "bad JSON", path: "/subscriptions/nope", body: `{"state":`, status: 400, code: "invalid_parameter"},
		{route: "POST /subscriptions/{id}", name: "state a number", path: "/subscriptions/nope", body: `{"state":1}`, status: 400, code: "invalid_parameter", param: "state"},
		{route: "POST /subscriptions/{id}", name: "unknown field", path: "/subscriptions/nope", body: `{"nextInvoiceDate":"2030-01-01T00:00:00Z"}`, status: 400, code: "invalid_parameter", param: "nextInvoiceDate"},
		{route: "DELETE /subscriptions/{id}", name: "unknown id", path: "/subscriptions/nope", status: 404, code: "not_found", param: "id"},
		// GET /_sim/subscriptions/{id}: wait for a state.
		{route: "GET /_sim/subscriptions/{id}", name: "no state", path: "/_sim/subscriptions/nope?wait=1s", status: 400, code: "missing_parameter", param: "state"},
		{route: "GET /_sim/subscriptions/{id}", name: "wait not a duration", path: "/_sim/subscriptions/nope?state=active&wait=soon", status: 400, code: "invalid_parameter", param: "wait"},
		{route: "GET /_sim/subscriptions/{id}", name: "unknown id", path: "/_sim/subscriptions/nope?state=active&wait=1s", status: 404, code: "not_found", param: "id"},
		// Billing invoices
		{route: "GET /invoices", name: "limit 0", path: "/invoices?limit=0", status: 400, code: "invalid_parameter", param: "limit"},
		{route: "GET /invoices", name: "state unknown", path: "/invoices?state=late", status: 400, code: "invalid_parameter", param: "state"},
		{route: "GET /invoices/{id}", name: "unknown id", path: "/invoices/0123456789abcdef0123456789abcdef", status: 404, code: "not_found", param: "id"},
		// POST /invoices (DR's InvoiceRequest) and the invoice writes.
		{route: "POST /invoices", name: "bad JSON", path: "/invoices", body: `{"customerId":`, status: 400, code: "invalid_parameter"},
		{route: "POST /invoices", name: "missing customerId", path: "/invoices", body: `{"currency":"USD","items":[{"skuId":"{sku}","price":1}]}`, status: 400, code: "missing_parameter", param: "customerId"},
		{route: "POST /invoices", name: "missing currency", path: "/invoices", body: `{"customerId":"{cust}","items":[{"skuId":"{sku}","price":1}]}`, status: 400, code: "missing_parameter", param: "currency"},
		{route: "POST /invoices", name: "currency of 4 letters", path: "/invoices", body: `{"customerId":"{cust}","currency":"USDX","items":[{"skuId":"{sku}","price":1}]}`, status: 400, code: "invalid_parameter", param: "currency"},
		{route: "POST /invoices", name: "missing items", path: "/invoices", body: `{"customerId":"{cust}","currency":"USD"}`, status: 400, code: "missing_parameter", param: "items"},
		{route: "POST /invoices", name: "item without price", path: "/invoices", body: `{"customerId":"{cust}","currency":"USD","items":[{"skuId":"{sku}"}]}`, status: 400, code: "missing_parameter", param: "items[0].price"},
		{route: "POST /invoices", name: "item without skuId", path: "/invoices", body: `{"customerId":"{cust}","currency":"USD","items":[{"price":1}]}`, status: 400, code: "missing_parameter", param: "items[0].skuId"},
		{route: "POST /invoices", name: "negative price", path: "/invoices", body: `{"customerId":"{cust}","currency":"USD","items":[{"skuId":"{sku}","price":-1}]}`, status: 400, code: "invalid_parameter", param: "items[0].price"},
		{route: "POST /invoices", name: "quantity 0", path: "/invoices", body: `{"customerId":"{cust}","currency":"USD","items":[{"skuId":"{sku}","price":1,"quantity":0}]}`, status: 400, code: "invalid_parameter", param: "items[0].quantity"},
		{route: "POST /invoices", name: "quantity a string", path: "/invoices", body: `{"customerId":"{cust}","currency":"USD","items":[{"skuId":"{sku}","price":1,"quantity":"two"}]}`, status: 400, code: "invalid_parameter", param: "items.quantity"},
		{route: "POST /invoices", name: "state open", path: "/invoices", body: `{"customerId":"{cust}","currency":"USD","state":"open","items":[{"skuId":"{sku}","price":1}]}`, status: 400, code: "invalid_parameter", param: "state"},
		{route: "POST /invoices", name: "chargeType unknown", path: "/invoices", body: `{"customerId":"{cust}","currency":"USD","chargeType":"recurring","items":[{"skuId":"{sku}","price":1}]}`, status: 400, code: "invalid_parameter", param: "chargeType"},
		{route: "POST /invoices", name: "collectionPeriodDays negative", path: "/invoices", body: `{"customerId":"{cust}","currency":"USD","collectionPeriodDays":-1,"items":[{"skuId":"{sku}","price":1}]}`, status: 400, code: "invalid_parameter", param: "collectionPeriodDays"},
		{route: "POST /invoices", name: "bad email", path: "/invoices", body: `{"customerId":"{cust}","currency":"USD","email":"nope","items":[{"skuId":"{sku}","price":1}]}`, status: 400, code: "invalid_parameter", param: "email"},
		{route: "POST /invoices", name: "a field drsim does not model", path: "/invoices", body: `{"customerId":"{cust}","currency":"USD","taxInclusive":true,"items":[{"skuId":"{sku}","price":1}]}`, status: 400, code: "invalid_parameter", param: "taxInclusive"},
		{route: "POST /invoices", name: "unknown customer", path: "/invoices", body: `{"customerId":"nope","currency":"USD","items":[{"skuId":"{sku}","price":1}]}`, status: 404, code: "not_found", param: "id"},
		{route: "POST /invoices", name: "unknown SKU", path: "/invoices", body: `{"customerId":"{cust}","currency":"USD","items":[{"skuId":"nope","price":1}]}`, status: 404, code: "not_found", param: "id"},
		{route: "POST /invoices", name: "source of nobody", path: "/invoices", body: `{"customerId":"{cust}","currency":"USD","sourceId":"{loose}","items":[{"skuId":"{sku}","price":1}]}`, status: 400, code: "invalid_parameter", param: "sourceId"},
		{route: "POST /invoices/{id}", name: "unknown id", path: "/invoices/nope", body: `{"metadata":{"a":1}}`, status: 404, code: "not_found", param: "id"},
		{route: "POST /invoices/{id}", name: "bad JSON", path: "/invoices/nope", body: `{"metadata":`, status: 400, code: "invalid_parameter"},
		{route: "POST /invoices/{id}", name: "a field other than metadata", path: "/invoices/nope", body: `{"description":"x"}`, status: 400, code: "invalid_parameter", param: "description"},
		{route: "DELETE /invoices/{id}", name: "unknown id", path: "/invoices/nope", status: 404, code: "not_found", param: "id"},
		{route: "POST /invoices/{id}/open", name: "unknown id", path: "/invoices/nope/open", status: 404, code: "not_found", param: "id"},
		{route: "POST /invoices/{id}/open", name: "a body", path: "/invoices/nope/open", body: `{"state":"open"}`, status: 400, code: "invalid_parameter", param: "state"},
		{route: "POST /invoices/{id}/void", name: "unknown id", path: "/invoices/nope/void", status: 404, code: "not_found", param: "id"},
		{route: "POST /invoices/{id}/void", name: "a body", path: "/invoices/nope/void", body: `{"reason":"x"}`, status: 400, code: "invalid_parameter", param: "reason"},
		// Subscription lines on the control API's checkout.
		{route: "POST /_sim/orders", name: "subscription line without planId", path: "/_sim/orders", body: `{"customerId":"{cust}","items":[{"skuId":"{sku}","quantity":1,"price":1,"subscriptionInfo":{"terms":"t"}}]}`, status: 400, code: "missing_parameter", param: "items[0].subscriptionInfo.planId"},
		{route: "POST /_sim/orders", name: "subscription line with an unknown plan", path: "/_sim/orders", body: `{"customerId":"{cust}","items":[{"skuId":"{sku}","quantity":1,"price":1,"subscriptionInfo":{"planId":"nope"}}]}`, status: 404, code: "not_found", param: "id"},
		{route: "POST /_sim/orders", name: "freeTrial a string", path: "/_sim/orders", body: `{"customerId":"{cust}","items":[{"skuId":"{sku}","quantity":1,"price":1,"subscriptionInfo":{"planId":"p","freeTrial":"yes"}}]}`, status: 400, code: "invalid_parameter", param: "items.subscriptionInfo.freeTrial"},
	}...)
}

// Views of the billing resources: only the fields the tests read.

type plan struct {
	ID                   string `json:"id"`
	Name                 string `json:"name"`
	Interval             string `json:"interval"`
	IntervalCount        int    `json:"intervalCount"`
	ReminderOffsetDays   int    `json:"reminderOffsetDays"`
	BillingOffsetDays    int    `json:"billingOffsetDays"`
	CollectionPeriodDays int    `json:"collectionPeriodDays"`
	State                string `json:"state"`
}

type subscription struct {
	ID               string               `json:"id"`
	State            string               `json:"state"`
	StateTransitions map[string]time.Time `json:"stateTransitions"`
	CustomerID       string               `json:"customerId"`
	SourceID         string               `json:"sourceId"`
	PlanID           string               `json:"planId"`
	Items            []struct {
		SKUID    string  `json:"skuId"`
		Price    float64 `json:"price"`
		Quantity int     `json:"quantity"`
	} `json:"items"`
	CurrentPeriodEndDate *time.Time `json:"currentPeriodEndDate"`
	NextInvoiceDate      *time.Time `json:"nextInvoiceDate"`
	NextReminderDate     *time.Time `json:"nextReminderDate"`
}

type invoice struct {
	ID               string               `json:"id"`
	State            string               `json:"state"`
	StateTransitions map[string]time.Time `json:"stateTransitions"`
	Description      string               `json:"description"`
	OrderID          string               `json:"orderId"`
	AttemptCount     int                  `json:"attemptCount"`
	Subtotal         float64              `json:"subtotal"`
	TotalTax         float64              `json:"totalTax"`
	TotalAmount      float64              `json:"totalAmount"`
	Items            []struct {
		SKUID          string  `json:"skuId"`
		Amount         float64 `json:"amount"`
		Quantity       int     `json:"quantity"`
		ProductDetails struct {
			Name string `json:"name"`
		} `json:"productDetails"`
		SubscriptionInfo struct {
			SubscriptionID string `json:"subscriptionId"`
		} `json:"subscriptionInfo"`
	} `json:"items"`
	Payment struct {
		Sources []source `json:"sources"`
		Charges []struct {
			State       string  `json:"state"`
			Captured    bool    `json:"captured"`
			Amount      float64 `json:"amount"`
			FailureCode string  `json:"failureCode"`
		} `json:"charges"`
	} `json:"payment"`
}

type clockMove struct {
	Now    time.Time `json:"frozenTime"`
	Events []struct {
		ID          string    `json:"id"`
		Type        string    `json:"type"`
		CreatedTime time.Time `json:"createdTime"`
	} `json:"events"`
}

// moveClock advances test clock clk with {"frozenTime": t} or {"advance": d}.
func (c client) moveClock(clk string, body map[string]string) clockMove {
	c.e.t.Helper()
	var m clockMove
	c.must("POST", "/_sim/test-clocks/"+clk+"/advance", body, http.StatusOK, &m)
	return m
}

// clockCustomer creates a test clock frozen at wall time now and a customer
// attached to it; it returns both ids.
func (c client) clockCustomer(email string) (clk, cust string) {
	c.e.t.Helper()
	var tc, cu idOnly
	c.must("POST", "/_sim/test-clocks", map[string]any{"name": email}, http.StatusCreated, &tc)
	c.must("POST", "/_sim/test-clocks/"+tc.ID+"/customers", map[string]any{"email": email}, http.StatusCreated, &cu)
	return tc.ID, cu.ID
}

func (m clockMove) types() []string {
	out := []string{}
	for _, e := range m.Events {
		out = append(out, e.Type)
	}
	return out
}

// subscribeOverHTTP creates a plan, a customer on a new test clock with a
// saved card, and a subscription bought through an accepted order; it
// returns the subscription as activated, the customer, the SKU and the clock.
func subscribeOverHTTP(c client, planBody map[string]any, price float64, qty int) (subscription, string, string, string) {
	c.e.t.Helper()
	var p plan
	c.must("POST", "/plans", planBody, http.StatusCreated, &p)
	sku := c.createSKU("Athena Womens Running Shoes")
	clk, cust := c.clockCustomer("runner@example.test")
	card := c.createCard("5466160000000008")
	c.must("POST", "/customers/"+cust+"/sources/"+card.ID, nil, http.StatusOK, nil)
	var o struct {
		ID    string `json:"id"`
		Items []struct {
			SubscriptionInfo struct {
				SubscriptionID string `json:"subscriptionId"`
			} `json:"subscriptionInfo"`
		} `json:"items"`
	}
	c.must("POST", "/_sim/orders", map[string]any{
		"customerId": cust,
		"items": []map[string]any{{"skuId": sku, "quantity": qty, "price": price, "taxRate": 0.0755,
			"subscriptionInfo": map[string]any{"planId": p.ID, "terms": "Monthly, cancel any time", "autoRenewal": true}}},
	}, http.StatusCreated, &o)
	c.accept(o.ID)
	id := o.Items[0].SubscriptionInfo.SubscriptionID
	// Accepting the order leaves the subscription draft until the merchant
	// activates it (POST /subscriptions/{id} {"state":"active"}); the
	// control API's wait answers 408 while it is not.
	var s subscription
	c.must("GET", "/subscriptions/"+id, nil, http.StatusOK, &s)
	if s.State != "draft" {
		c.e.t.Fatalf("subscription %s is %s after order.accepted, want draft until the merchant activates it", id, s.State)
	}
	c.mustError("GET", "/_sim/subscriptions/"+id+"?state=active,activeFree&wait=10ms", nil, 408, "request_timeout", "state")
	done := make(chan subscription, 1)
	go func() {
		var w subscription
		c.must("GET", "/_sim/subscriptions/"+id+"?state=active,activeFree&wait=5s", nil, http.StatusOK, &w)
		done <- w
	}()
	c.must("POST", "/subscriptions/"+id, map[string]string{"state": "active"}, http.StatusOK, &s)
	select {
	case w := <-done:
		if w.State != s.State || w.ID != id {
			c.e.t.Fatalf("the wait answered %s %s, want %s %s", w.ID, w.State, id, s.State)
		}
	case <-time.After(wait):
		c.e.t.Fatalf("GET /_sim/subscriptions/%s?state=active did not answer within %s of the activation", id, wait)
	}
	return s, cust, sku, clk
}

// The whole acquisition-to-renewal path over HTTP, with the webhook
// deliveries of the pair events.
func TestSubscriptionLifecycleOverHTTP(t *testing.T) {
	e := newEnv(t, 0)
	c := e.newAccount().secret
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	t.Cleanup(recv.Close)
	hook := c.createWebhook(recv.URL, "subscription.reminder", "subscription.extended")

	s, cust, sku, clk := subscribeOverHTTP(c, map[string]any{"name": "365 Days Plan Paid Monthly", "interval": "month",
		"reminderOffsetDays": 7, "billingOffsetDays": 0, "collectionPeriodDays": 5}, 5.01, 5)
	if s.State != "active" || s.CustomerID != cust || s.SourceID == "" || s.NextInvoiceDate == nil || s.NextReminderDate == nil ||
		!s.NextReminderDate.Equal(s.NextInvoiceDate.AddDate(0, 0, -7)) || !s.NextInvoiceDate.Equal(*s.CurrentPeriodEndDate) {
		t.Fatalf("activated subscription %+v", s)
	}
	var list page[subscription]
	c.must("GET", "/subscriptions?customerId="+cust+"&state=active&planId="+s.PlanID, nil, http.StatusOK, &list)
	if len(list.Data) != 1 || list.Data[0].ID != s.ID {
		t.Fatalf("GET /subscriptions filters: %+v", list.Data)
	}

	m := c.moveClock(clk, map[string]string{"frozenTime": s.NextInvoiceDate.Add(time.Hour).Format(time.RFC3339Nano)})
	want := []string{"invoice.created", "subscription.reminder", "invoice.open", "invoice.updated", "subscription.extended", "invoice.paid", "invoice.updated"}
	if !reflect.DeepEqual(m.types(), want) {
		t.Fatalf("clock move events %v, want %v", m.types(), want)
	}
	for i, due := range []time.Time{*s.NextReminderDate, *s.NextReminderDate, *s.NextInvoiceDate, *s.NextInvoiceDate, *s.NextInvoiceDate, *s.NextInvoiceDate, *s.NextInvoiceDate} {
		if got := m.Events[i].CreatedTime; got.Before(due) || got.After(due.Add(time.Second)) {
			t.Errorf("%s at %s, want its due time %s (not the move's end %s)", m.Events[i].Type, got, due, m.Now)
		}
	}

	// The pair events as DR sends them.
	var ev event
	c.must("GET", "/events/"+m.Events[1].ID, nil, http.StatusOK, &ev)
	var reminder struct {
		Subscription map[string]json.RawMessage `json:"subscription"`
		Invoice      map[string]json.RawMessage `json:"invoice"`
	}
	ev.object(t, &reminder)
	var payment map[string]json.RawMessage
	if err := json.Unmarshal(reminder.Invoice["payment"], &payment); err != nil {
		t.Fatal(err)
	}
	if _, has := payment["charges"]; has || string(reminder.Invoice["state"]) != `"draft"` || string(reminder.Invoice["attemptCount"]) != "0" {
		t.Fatalf("reminder invoice: state %s attemptCount %s payment %s", reminder.Invoice["state"], reminder.Invoice["attemptCount"], reminder.Invoice["payment"])
	}
	c.must("GET", "/events/"+m.Events[4].ID, nil, http.StatusOK, &ev)
	var extended struct {
		Subscription subscription `json:"subscription"`
		Invoice      invoice      `json:"invoice"`
	}
	ev.object(t, &extended)
	inv := extended.Invoice
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(inv.ID) || inv.State != "paid" || inv.OrderID == "" || inv.AttemptCount != 1 ||
		inv.Description != "365 Days Plan Paid Monthly" || inv.Subtotal != 25.05 || inv.TotalTax != 1.89 || inv.TotalAmount != 26.94 ||
		len(inv.Items) != 1 || inv.Items[0].SKUID != sku || inv.Items[0].Amount != 25.05 || inv.Items[0].Quantity != 5 ||
		inv.Items[0].ProductDetails.Name != "Athena Womens Running Shoes" || inv.Items[0].SubscriptionInfo.SubscriptionID != s.ID ||
		len(inv.Payment.Sources) != 1 || inv.Payment.Sources[0].CreditCard.Brand != "MasterCard" || inv.Payment.Sources[0].CreditCard.LastFourDigits != "0008" ||
		inv.Payment.Sources[0].CreditCard.ExpirationYear != 2031 || len(inv.Payment.Charges) != 1 {
		t.Fatalf("extended invoice %+v", inv)
	}
	// DR's subscription.extended sample: {"amount":26.94,"state":"processing","captured":true}.
	if ch := inv.Payment.Charges[0]; ch.State != "processing" || !ch.Captured || ch.Amount != 26.94 {
		t.Fatalf("extended invoice's charge %+v, want DR's sample: processing, captured, 26.94", ch)
	}
	if sub := extended.Subscription; sub.State != "active" || !sub.NextInvoiceDate.Equal(s.NextInvoiceDate.AddDate(0, 1, 0)) {
		t.Fatalf("extended subscription %+v", sub)
	}

	// The renewal order and the invoice, by id.
	var o order
	c.must("GET", "/orders/"+inv.OrderID, nil, http.StatusOK, &o)
	if o.State != "complete" || o.TotalAmount != 26.94 {
		t.Fatalf("renewal order %+v", o)
	}
	var got invoice
	c.must("GET", "/invoices/"+inv.ID, nil, http.StatusOK, &got)
	if got.State != "paid" || got.OrderID != inv.OrderID {
		t.Fatalf("GET /invoices/{id}: %+v", got)
	}
	var invs page[invoice]
	c.must("GET", "/invoices?state=paid&customerId="+cust, nil, http.StatusOK, &invs)
	if len(invs.Data) != 1 || invs.Data[0].ID != inv.ID {
		t.Fatalf("GET /invoices?state=paid: %+v", invs.Data)
	}

	// Both pair events went to the webhook.
	atts := c.deliveries("?webhookId=" + hook + "&min=2&wait=5s")
	types := map[string]bool{}
	for _, at := range atts {
		types[at.EventType] = at.Delivered
	}
	if !types["subscription.reminder"] || !types["subscription.extended"] {
		t.Fatalf("deliveries %+v", atts)
	}

	// Cancellation: subscription.updated with previousAttributes.state.
	var cancelled subscription
	c.must("POST", "/subscriptions/"+s.ID, map[string]string{"state": "cancelled"}, http.StatusOK, &cancelled)
	if cancelled.State != "cancelled" || cancelled.StateTransitions["cancelled"].IsZero() {
		t.Fatalf("cancelled: %+v", cancelled)
	}
	upd := c.events("?type=subscription.updated&limit=1").Data[0]
	var d struct {
		PreviousAttributes map[string]any `json:"previousAttributes"`
	}
	if err := json.Unmarshal(upd.Data, &d); err != nil {
		t.Fatal(err)
	}
	if d.PreviousAttributes["state"] != "active" {
		t.Fatalf("cancellation previousAttributes %v", d.PreviousAttributes)
	}
}

// POST /subscriptions/{id}, DELETE /subscriptions/{id} and DELETE
// /plans/{id}: status codes and DR's error shape.
func TestSubscriptionRulesOverHTTP(t *testing.T) {
	e := newEnv(t, 0)
	c := e.newAccount().secret
	s, cust, sku, _ := subscribeOverHTTP(c, map[string]any{"name": "Monthly", "interval": "month"}, 10, 1)

	c.mustError("POST", "/subscriptions/"+s.ID, `{"state":"cancelled","planId":"`+s.PlanID+`"}`, 409, "restricted_update", "")
	c.mustError("POST", "/subscriptions/"+s.ID, `{"state":"active","metadata":{"a":1}}`, 409, "restricted_update", "")
	c.mustError("POST", "/subscriptions/"+s.ID, `{"state":"active"}`, 409, "invalid_state", "") // already active
	c.mustError("POST", "/subscriptions/"+s.ID, `{"state":"paused"}`, 400, "invalid_parameter", "state")
	c.mustError("POST", "/subscriptions/"+s.ID, `{}`, 400, "missing_parameter", "")
	c.mustError("DELETE", "/subscriptions/"+s.ID, nil, 409, "invalid_state", "")
	c.mustError("DELETE", "/plans/"+s.PlanID, nil, 409, "conflict", "")
	c.mustError("POST", "/plans/"+s.PlanID, `{"interval":"year"}`, 400, "invalid_parameter", "interval")

	// Updated terms: previousAttributes.items.
	var updated subscription
	c.must("POST", "/subscriptions/"+s.ID, map[string]any{"items": []map[string]any{{"skuId": sku, "price": 12, "quantity": 2}}}, http.StatusOK, &updated)
	if len(updated.Items) != 1 || updated.Items[0].Price != 12 || updated.Items[0].Quantity != 2 {
		t.Fatalf("updated items %+v", updated.Items)
	}

	// A draft (order not yet accepted) can be deleted: 204, no body.
	var o struct {
		Items []struct {
			SubscriptionInfo struct {
				SubscriptionID string `json:"subscriptionId"`
			} `json:"subscriptionInfo"`
		} `json:"items"`
	}
	c.must("POST", "/_sim/orders", map[string]any{"customerId": cust, "items": []map[string]any{{"skuId": sku, "quantity": 1, "price": 3,
		"subscriptionInfo": map[string]any{"planId": s.PlanID}}}}, http.StatusCreated, &o)
	draft := o.Items[0].SubscriptionInfo.SubscriptionID
	var ds subscription
	c.must("GET", "/subscriptions/"+draft, nil, http.StatusOK, &ds)
	if ds.State != "draft" || ds.CustomerID != "" || ds.NextInvoiceDate != nil {
		t.Fatalf("draft %+v", ds)
	}
	status, body := c.do("DELETE", "/subscriptions/"+draft, nil)
	if status != http.StatusNoContent || len(body) != 0 {
		t.Fatalf("DELETE draft: %d %q", status, body)
	}
	c.mustError("GET", "/subscriptions/"+draft, nil, 404, "not_found", "id")
	del := c.events("?type=subscription.deleted").Data
	if len(del) != 1 {
		t.Fatalf("%d subscription.deleted events", len(del))
	}
	var d struct {
		Object             map[string]any `json:"object"`
		PreviousAttributes map[string]any `json:"previousAttributes"`
	}
	if err := json.Unmarshal(del[0].Data, &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Object) != 0 || d.PreviousAttributes["id"] != draft || d.PreviousAttributes["state"] != "draft" {
		t.Fatalf("subscription.deleted data %s", del[0].Data)
	}

	// An unused plan: GET, POST, list filters, DELETE 204.
	var p plan
	c.must("POST", "/plans", map[string]any{"id": "plan_weekly", "name": "Weekly", "interval": "week", "state": "draft"}, http.StatusCreated, &p)
	c.mustError("POST", "/plans", map[string]any{"id": "plan_weekly", "name": "Weekly", "interval": "week"}, 409, "conflict", "")
	c.must("POST", "/plans/plan_weekly", map[string]any{"name": "Weekly plan", "state": "active"}, http.StatusOK, &p)
	if p.Name != "Weekly plan" || p.State != "active" || p.IntervalCount != 1 || p.ReminderOffsetDays != -1 {
		t.Fatalf("updated plan %+v", p)
	}
	var plans page[plan]
	c.must("GET", "/plans?interval=week&state=active", nil, http.StatusOK, &plans)
	if len(plans.Data) != 1 || plans.Data[0].ID != "plan_weekly" {
		t.Fatalf("GET /plans?interval=week: %+v", plans.Data)
	}
	if status, _ := c.do("DELETE", "/plans/plan_weekly", nil); status != http.StatusNoContent {
		t.Fatalf("DELETE unused plan: %d", status)
	}
	c.mustError("GET", "/plans/plan_weekly", nil, 404, "not_found", "id")
}

// Dunning rescued by a card saved in the portal: the declining card fails,
// the customer saves a new card, the merchant points the subscription at
// it, and the renewal is paid at once.
func TestDunningRescuedOverHTTP(t *testing.T) {
	e := newEnv(t, 0)
	c := e.newAccount().secret
	s, cust, _, clk := subscribeOverHTTP(c, map[string]any{"name": "Monthly", "interval": "month", "collectionPeriodDays": 10}, 10, 1)
	bad := c.createCard("4000000000003600")
	c.must("POST", "/customers/"+cust+"/sources/"+bad.ID, nil, http.StatusOK, nil)
	c.must("POST", "/subscriptions/"+s.ID, map[string]string{"sourceId": bad.ID}, http.StatusOK, nil)

	m := c.moveClock(clk, map[string]string{"frozenTime": s.NextInvoiceDate.Add(time.Hour).Format(time.RFC3339Nano)})
	if want := []string{"invoice.created", "invoice.open", "invoice.updated", "subscription.payment_failed", "invoice.payment_failed"}; !reflect.DeepEqual(m.types(), want) {
		t.Fatalf("first attempt: %v, want %v", m.types(), want)
	}
	var pending subscription
	c.must("GET", "/subscriptions/"+s.ID, nil, http.StatusOK, &pending)
	if pending.State != "activePendingInvoice" {
		t.Fatalf("state %s while dunning", pending.State)
	}
	var open page[invoice]
	c.must("GET", "/invoices?state=open", nil, http.StatusOK, &open)
	if len(open.Data) != 1 || open.Data[0].AttemptCount != 1 || open.Data[0].Payment.Charges[0].FailureCode != "declined" {
		t.Fatalf("open invoices %+v", open.Data)
	}

	good := c.createCard("4444222233331111")
	c.must("POST", "/customers/"+cust+"/sources/"+good.ID, nil, http.StatusOK, nil)
	var rescued subscription
	c.must("POST", "/subscriptions/"+s.ID, map[string]string{"sourceId": good.ID}, http.StatusOK, &rescued)
	if rescued.State != "active" || rescued.SourceID != good.ID || !rescued.NextInvoiceDate.Equal(s.NextInvoiceDate.AddDate(0, 1, 0)) {
		t.Fatalf("rescued subscription %+v", rescued)
	}
	var void, paid page[invoice]
	c.must("GET", "/invoices?state=void", nil, http.StatusOK, &void)
	c.must("GET", "/invoices?state=paid", nil, http.StatusOK, &paid)
	if len(void.Data) != 1 || void.Data[0].ID != open.Data[0].ID || len(paid.Data) != 1 || paid.Data[0].Payment.Sources[0].ID != good.ID {
		t.Fatalf("void %+v paid %+v", void.Data, paid.Data)
	}
	// Nothing more until the next period.
	if m := c.moveClock(clk, map[string]string{"advance": "240h"}); len(m.Events) != 0 {
		t.Fatalf("after the rescue: %v", m.types())
	}
}

// A year of monthly renewals over HTTP: one clock move, 12 reminders and 12
// renewals in order with the right dates and amounts, well under a second.
func TestYearOfRenewalsOverHTTP(t *testing.T) {
	began := time.Now()
	e := newEnv(t, 0)
	c := e.newAccount().secret
	s, _, _, clk := subscribeOverHTTP(c, map[string]any{"name": "365 Days Plan Paid Monthly", "interval": "month", "reminderOffsetDays": 7}, 5.01, 5)
	start := s.CurrentPeriodEndDate.AddDate(0, -1, 0)
	moved := time.Now()
	m := c.moveClock(clk, map[string]string{"frozenTime": start.AddDate(1, 0, 0).Format(time.RFC3339Nano)})
	moveTook := time.Since(moved)

	var reminders, renewals []time.Time
	for _, ev := range m.Events {
		switch ev.Type {
		case "subscription.reminder":
			reminders = append(reminders, ev.CreatedTime)
		case "subscription.extended":
			renewals = append(renewals, ev.CreatedTime)
		}
	}
	if len(reminders) != 12 || len(renewals) != 12 {
		t.Fatalf("%d reminders and %d renewals, want 12 each: %v", len(reminders), len(renewals), m.types())
	}
	for k := 1; k <= 12; k++ {
		due := start.AddDate(0, k, 0)
		r, x := reminders[k-1], renewals[k-1]
		if r.Before(due.AddDate(0, 0, -7)) || r.After(due.AddDate(0, 0, -7).Add(time.Second)) || x.Before(due) || x.After(due.Add(time.Second)) {
			t.Errorf("cycle %d: reminder %s, renewal %s; want %s and %s", k, r, x, due.AddDate(0, 0, -7), due)
		}
	}
	var paid page[invoice]
	c.must("GET", "/invoices?state=paid&limit=100", nil, http.StatusOK, &paid)
	if len(paid.Data) != 12 {
		t.Fatalf("%d paid invoices, want 12", len(paid.Data))
	}
	orders := map[string]bool{}
	for _, inv := range paid.Data {
		if inv.TotalAmount != 26.94 || inv.Subtotal != 25.05 || inv.TotalTax != 1.89 || inv.Items[0].Amount != 25.05 || orders[inv.OrderID] {
			t.Errorf("invoice %s: %v + %v = %v, order %s", inv.ID, inv.Subtotal, inv.TotalTax, inv.TotalAmount, inv.OrderID)
		}
		orders[inv.OrderID] = true
	}
	var renewalOrders page[order]
	c.must("GET", "/orders?state=complete&limit=100", nil, http.StatusOK, &renewalOrders)
	if len(renewalOrders.Data) != 12 {
		t.Fatalf("%d complete orders, want 12 renewal orders", len(renewalOrders.Data))
	}
	t.Logf("year of monthly renewals over HTTP: clock move %s, whole scenario %s (%d events)", moveTook, time.Since(began), len(m.Events))
}

// A renewal order is refunded like any complete order: by item (its units
// were delivered and captured), by amount, and its lines' and charge's
// figures follow (DR's "Issuing refunds"; docs/dr-api.md#refund).
func TestRenewalOrderRefunds(t *testing.T) {
	e := newEnv(t, 0)
	c := e.newAccount().secret
	s, cust, _, clk := subscribeOverHTTP(c, map[string]any{"name": "Monthly", "interval": "month", "collectionPeriodDays": 5, "reminderOffsetDays": 3}, 5.01, 5)
	c.moveClock(clk, map[string]string{"frozenTime": s.NextInvoiceDate.Add(time.Hour).Format(time.RFC3339Nano)})
	var invs page[struct {
		ID      string `json:"id"`
		OrderID string `json:"orderId"`
	}]
	c.must("GET", "/invoices?state=paid&customerId="+cust, nil, http.StatusOK, &invs)
	if len(invs.Data) != 1 || invs.Data[0].OrderID == "" {
		t.Fatalf("paid invoices %+v, want one with its renewal order", invs.Data)
	}
	type renewal struct {
		TotalAmount             float64 `json:"totalAmount"`
		AvailableToRefundAmount float64 `json:"availableToRefundAmount"`
		Items                   []struct {
			ID                      string  `json:"id"`
			AvailableToRefundAmount float64 `json:"availableToRefundAmount"`
		} `json:"items"`
		Payment struct {
			Charges []struct {
				Captures []struct {
					Amount float64 `json:"amount"`
					State  string  `json:"state"`
				} `json:"captures"`
			} `json:"charges"`
		} `json:"payment"`
	}
	id := invs.Data[0].OrderID
	var o renewal
	c.must("GET", "/orders/"+id, nil, http.StatusOK, &o)
	if caps := o.Payment.Charges[0].Captures; len(caps) != 1 || caps[0].Amount != o.TotalAmount || caps[0].State != "complete" {
		t.Fatalf("renewal charge captures %+v, want one complete capture of %.2f", caps, o.TotalAmount)
	}
	var byItem struct {
		Amount float64 `json:"amount"`
	}
	c.must("POST", "/refunds", map[string]any{"orderId": id, "currency": "USD", "items": []map[string]any{{"itemId": o.Items[0].ID, "quantity": 1}}}, http.StatusCreated, &byItem)
	if byItem.Amount != 5.39 { // 26.94 over 5 units
		t.Fatalf("one unit refunds %.2f, want 5.39", byItem.Amount)
	}
	c.must("POST", "/refunds", map[string]any{"orderId": id, "currency": "USD", "amount": 5}, http.StatusCreated, nil)
	c.must("GET", "/orders/"+id, nil, http.StatusOK, &o)
	if o.AvailableToRefundAmount != 16.55 || o.Items[0].AvailableToRefundAmount != 16.55 {
		t.Fatalf("after refunds of 5.39 and 5.00: order available %.2f, line available %.2f; want 16.55 both",
			o.AvailableToRefundAmount, o.Items[0].AvailableToRefundAmount)
	}

	// By invoiceId (DR's POST /refunds takes orderId or invoiceId): the
	// paid invoice's order is refunded.
	var byInvoice struct {
		OrderID   string  `json:"orderId"`
		InvoiceID string  `json:"invoiceId"`
		Amount    float64 `json:"amount"`
	}
	inv := invs.Data[0].ID
	c.must("POST", "/refunds", map[string]any{"invoiceId": inv, "currency": "USD", "amount": 1.55}, http.StatusCreated, &byInvoice)
	if byInvoice.OrderID != id || byInvoice.InvoiceID != inv || byInvoice.Amount != 1.55 {
		t.Fatalf("refund by invoiceId %+v, want order %s, invoice %s, 1.55", byInvoice, id, inv)
	}
	c.must("GET", "/orders/"+id, nil, http.StatusOK, &o)
	if o.AvailableToRefundAmount != 15 {
		t.Fatalf("after the invoice refund: available %.2f, want 15.00", o.AvailableToRefundAmount)
	}
	c.mustError("POST", "/refunds", map[string]any{"invoiceId": inv, "orderId": "123", "currency": "USD", "amount": 1}, http.StatusBadRequest, "invalid_parameter", "invoiceId")
	c.mustError("POST", "/refunds", map[string]any{"invoiceId": inv, "currency": "USD", "amount": 15.01}, http.StatusBadRequest, "invalid_parameter", "amountRequested")
	c.mustError("POST", "/refunds", map[string]any{"invoiceId": "0123456789abcdef0123456789abcdef", "currency": "USD", "amount": 1}, http.StatusNotFound, "not_found", "id")
	// The next cycle's draft invoice (built at its reminder) has no payment to refund.
	var sub subscription
	c.must("GET", "/subscriptions/"+s.ID, nil, http.StatusOK, &sub)
	c.moveClock(clk, map[string]string{"frozenTime": sub.NextReminderDate.Add(time.Minute).Format(time.RFC3339Nano)})
	var drafts page[struct {
		ID string `json:"id"`
	}]
	c.must("GET", "/invoices?state=draft&customerId="+cust, nil, http.StatusOK, &drafts)
	if len(drafts.Data) != 1 {
		t.Fatalf("draft invoices %+v, want the next cycle's", drafts.Data)
	}
	c.mustError("POST", "/refunds", map[string]any{"invoiceId": drafts.Data[0].ID, "currency": "USD", "amount": 1}, http.StatusConflict, "invalid_state", "")
}

// DR's "Configuring PayPal": subscriptions are paid with PayPal through a
// PayPal Billing Agreement, a payPalBilling source. Saved to the customer
// and set as the subscription's source, it pays the renewal, and the
// pair event's invoice names it (its type; no card details).
func TestRenewalPaidByPayPalBillingAgreement(t *testing.T) {
	e := newEnv(t, 0)
	c := e.newAccount().secret
	s, cust, _, clk := subscribeOverHTTP(c, map[string]any{"name": "Monthly", "interval": "month", "collectionPeriodDays": 5}, 5.01, 5)
	var ba source
	c.must("POST", "/sources", map[string]any{"type": "payPalBilling", "payPalBilling": map[string]any{"redirect": map[string]any{"returnUrl": "https://shop.example/ok", "cancelUrl": "https://shop.example/cancel"}}}, http.StatusCreated, &ba)
	if ba.Type != "payPalBilling" || ba.State != "chargeable" || ba.Reusable {
		t.Fatalf("payPalBilling source %+v; want chargeable, not reusable until attached", ba)
	}
	c.must("POST", "/customers/"+cust+"/sources/"+ba.ID, nil, http.StatusOK, &ba)
	if !ba.Reusable || ba.CustomerID != cust {
		t.Fatalf("attached payPalBilling source %+v; want reusable, the customer's", ba)
	}
	c.must("POST", "/subscriptions/"+s.ID, map[string]any{"sourceId": ba.ID}, http.StatusOK, nil)
	m := c.moveClock(clk, map[string]string{"frozenTime": s.NextInvoiceDate.Add(time.Hour).Format(time.RFC3339Nano)})
	var ext *event
	for i := range m.Events {
		if m.Events[i].Type == "subscription.extended" {
			var ev event
			c.must("GET", "/events/"+m.Events[i].ID, nil, http.StatusOK, &ev)
			ext = &ev
		}
	}
	if ext == nil {
		t.Fatalf("clock move events %v; want subscription.extended (the renewal paid by PayPal)", m.types())
	}
	var pair struct {
		Invoice struct {
			State   string `json:"state"`
			Payment struct {
				Sources []struct {
					ID   string `json:"id"`
					Type string `json:"type"`
				} `json:"sources"`
			} `json:"payment"`
		} `json:"invoice"`
	}
	ext.object(t, &pair)
	if srcs := pair.Invoice.Payment.Sources; pair.Invoice.State != "paid" || len(srcs) != 1 || srcs[0].ID != ba.ID || srcs[0].Type != "payPalBilling" {
		t.Fatalf("extended invoice %+v; want paid by the payPalBilling source", pair.Invoice)
	}
}
