package api_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// The bad-request table (errors_test.go) requires a row for every route;
// these are the rows for the fulfillment, refund and return routes. Their
// fixtures: {order} is pending_payment, {accepted} is accepted and holds one
// line of {sku}, quantity 2, nothing shipped.
func init() {
	badRows = append(badRows, []badRow{
		// POST /fulfillments
		{route: "POST /fulfillments", name: "bad JSON", path: "/fulfillments", body: `{"orderId":`, status: 400, code: "invalid_parameter"},
		{route: "POST /fulfillments", name: "no orderId", path: "/fulfillments", body: `{"items":[{"itemId":"x","quantity":1}]}`, status: 400, code: "missing_parameter", param: "orderId"},
		{route: "POST /fulfillments", name: "no items", path: "/fulfillments", body: `{"orderId":"{accepted}"}`, status: 400, code: "missing_parameter", param: "items"},
		{route: "POST /fulfillments", name: "line without quantities", path: "/fulfillments", body: `{"orderId":"{accepted}","items":[{"skuId":"{sku}"}]}`, status: 400, code: "missing_parameter", param: "items[0].quantity"},
		{route: "POST /fulfillments", name: "quantity a word", path: "/fulfillments", body: `{"orderId":"{accepted}","items":[{"skuId":"{sku}","quantity":"two"}]}`, status: 400, code: "invalid_parameter", param: "items[0].quantity"},
		{route: "POST /fulfillments", name: "orderId a number", path: "/fulfillments", body: `{"orderId":5}`, status: 400, code: "invalid_parameter", param: "orderId"},
		{route: "POST /fulfillments", name: "unknown field", path: "/fulfillments", body: `{"carrier":"x"}`, status: 400, code: "invalid_parameter", param: "carrier"},
		{route: "POST /fulfillments", name: "line itemId a number", path: "/fulfillments", body: `{"orderId":"{accepted}","items":[{"itemId":5,"quantity":1}]}`, status: 400, code: "invalid_parameter", param: "items.itemId"},
		{route: "POST /fulfillments", name: "unknown order", path: "/fulfillments", body: `{"orderId":"nope","items":[{"itemId":"x","quantity":1}]}`, status: 404, code: "not_found", param: "id"},
		{route: "POST /fulfillments", name: "unknown sku", path: "/fulfillments", body: `{"orderId":"{accepted}","items":[{"skuId":"nope","quantity":1}]}`, status: 400, code: "invalid_parameter", param: "items[0].skuId"},
		{route: "POST /fulfillments", name: "pending_payment order", path: "/fulfillments", body: `{"orderId":"{order}","items":[{"skuId":"{sku}","quantity":1}]}`, status: 409, code: "invalid_state"},
		{route: "POST /fulfillments", name: "over the quantity", path: "/fulfillments", body: `{"orderId":"{accepted}","items":[{"skuId":"{sku}","quantity":"3"}]}`, status: 409, code: "conflict"},
		// GET /fulfillments, /fulfillments/{id}
		{route: "GET /fulfillments", name: "limit 0", path: "/fulfillments?limit=0", status: 400, code: "invalid_parameter", param: "limit"},
		{route: "GET /fulfillments", name: "startingAfter unknown", path: "/fulfillments?startingAfter=nope", status: 400, code: "invalid_parameter", param: "startingAfter"},
		{route: "GET /fulfillments/{id}", name: "unknown id", path: "/fulfillments/ful_nope", status: 404, code: "not_found", param: "id"},
		// POST /refunds
		{route: "POST /refunds", name: "bad JSON", path: "/refunds", body: `{"amount":`, status: 400, code: "invalid_parameter"},
		{route: "POST /refunds", name: "amount a string", path: "/refunds", body: `{"amount":"5"}`, status: 400, code: "invalid_parameter", param: "amount"},
		{route: "POST /refunds", name: "line amount a string", path: "/refunds", body: `{"orderId":"{accepted}","currency":"USD","items":[{"itemId":"x","amount":"5"}]}`, status: 400, code: "invalid_parameter", param: "items.amount"},
		{route: "POST /refunds", name: "no orderId", path: "/refunds", body: `{"currency":"USD","amount":1}`, status: 400, code: "missing_parameter", param: "orderId"},
		{route: "POST /refunds", name: "no currency", path: "/refunds", body: `{"orderId":"{accepted}","amount":1}`, status: 400, code: "missing_parameter", param: "currency"},
		{route: "POST /refunds", name: "percent over 100", path: "/refunds", body: `{"orderId":"{accepted}","currency":"USD","percent":101}`, status: 400, code: "invalid_parameter", param: "percent"},
		{route: "POST /refunds", name: "unknown order", path: "/refunds", body: `{"orderId":"nope","currency":"USD","amount":1}`, status: 404, code: "not_found", param: "id"},
		{route: "POST /refunds", name: "currency differs", path: "/refunds", body: `{"orderId":"{accepted}","currency":"EUR","amount":1}`, status: 400, code: "invalid_parameter", param: "currency"},
		{route: "POST /refunds", name: "nothing captured", path: "/refunds", body: `{"orderId":"{accepted}","currency":"USD","amount":1}`, status: 409, code: "invalid_state"},
		// GET /refunds, /refunds/{id}, POST /refunds/{id}
		{route: "GET /refunds", name: "limit 101", path: "/refunds?limit=101", status: 400, code: "invalid_parameter", param: "limit"},
		{route: "GET /refunds/{id}", name: "unknown id", path: "/refunds/re_nope", status: 404, code: "not_found", param: "id"},
		{route: "POST /refunds/{id}", name: "unknown id", path: "/refunds/re_nope", body: `{"metadata":{"a":"b"}}`, status: 404, code: "not_found", param: "id"},
		{route: "POST /refunds/{id}", name: "not metadata", path: "/refunds/re_nope", body: `{"amount":5}`, status: 400, code: "invalid_parameter", param: "amount"},
		// POST /returns
		{route: "POST /returns", name: "bad JSON", path: "/returns", body: `{"orderId"`, status: 400, code: "invalid_parameter"},
		{route: "POST /returns", name: "no orderId", path: "/returns", body: `{"items":[{"itemId":"x","quantity":1}]}`, status: 400, code: "missing_parameter", param: "orderId"},
		{route: "POST /returns", name: "reason a number", path: "/returns", body: `{"orderId":"{accepted}","reason":5}`, status: 400, code: "invalid_parameter", param: "reason"},
		{route: "POST /returns", name: "line skuId a number", path: "/returns", body: `{"orderId":"{accepted}","items":[{"skuId":5,"quantity":1}]}`, status: 400, code: "invalid_parameter", param: "items.skuId"},
		{route: "POST /returns", name: "no quantity", path: "/returns", body: `{"orderId":"{accepted}","items":[{"skuId":"{sku}"}]}`, status: 400, code: "missing_parameter", param: "items[0].quantity"},
		{route: "POST /returns", name: "unknown order", path: "/returns", body: `{"orderId":"nope","items":[{"itemId":"x","quantity":1}]}`, status: 404, code: "not_found", param: "id"},
		{route: "POST /returns", name: "nothing shipped", path: "/returns", body: `{"orderId":"{accepted}","items":[{"skuId":"{sku}","quantity":1}]}`, status: 409, code: "quantity_too_large"},
		// GET /returns, /returns/{id}, POST /returns/{id}
		{route: "GET /returns", name: "limit abc", path: "/returns?limit=abc", status: 400, code: "invalid_parameter", param: "limit"},
		{route: "GET /returns/{id}", name: "unknown id", path: "/returns/ret_nope", status: 404, code: "not_found", param: "id"},
		{route: "POST /returns/{id}", name: "unknown id", path: "/returns/ret_nope", body: `{"state":"accepted"}`, status: 404, code: "not_found", param: "id"},
		{route: "POST /returns/{id}", name: "state not accepted", path: "/returns/ret_nope", body: `{"state":"rejected"}`, status: 400, code: "invalid_parameter", param: "state"},
		{route: "POST /returns/{id}", name: "state a number", path: "/returns/ret_nope", body: `{"state":1}`, status: 400, code: "invalid_parameter", param: "state"},
		// Control API: settling refunds.
		{route: "POST /_sim/refunds/{id}/complete", name: "unknown id", path: "/_sim/refunds/re_nope/complete", status: 404, code: "not_found", param: "id"},
		{route: "POST /_sim/refunds/{id}/complete", name: "body has a field", path: "/_sim/refunds/re_nope/complete", body: `{"amount":1}`, status: 400, code: "invalid_parameter", param: "amount"},
		{route: "POST /_sim/refunds/{id}/fail", name: "unknown id", path: "/_sim/refunds/re_nope/fail", body: `{"failureReason":"x"}`, status: 404, code: "not_found", param: "id"},
		{route: "POST /_sim/refunds/{id}/fail", name: "bad JSON", path: "/_sim/refunds/re_nope/fail", body: `{"failureReason":`, status: 400, code: "invalid_parameter"},
	}...)
}

// Views of the lifecycle resources: only what the tests read.

type lcFulfillment struct {
	ID      string `json:"id"`
	OrderID string `json:"orderId"`
	Items   []struct {
		ItemID         string `json:"itemId"`
		SKUID          string `json:"skuId"`
		Quantity       int    `json:"quantity"`
		CancelQuantity int    `json:"cancelQuantity"`
	} `json:"items"`
	TrackingNumber string                     `json:"trackingNumber"`
	OrderDetails   map[string]json.RawMessage `json:"orderDetails"`
}

type lcCharge struct {
	State    string `json:"state"`
	Refunded bool   `json:"refunded"`
	Captures []struct {
		Amount float64 `json:"amount"`
	} `json:"captures"`
	Refunds []struct {
		Amount float64 `json:"amount"`
		State  string  `json:"state"`
	} `json:"refunds"`
}

type lcOrder struct {
	ID                      string  `json:"id"`
	State                   string  `json:"state"`
	CapturedAmount          float64 `json:"capturedAmount"`
	CancelledAmount         float64 `json:"cancelledAmount"`
	RefundedAmount          float64 `json:"refundedAmount"`
	AvailableToRefundAmount float64 `json:"availableToRefundAmount"`
	Items                   []struct {
		ID    string `json:"id"`
		State string `json:"state"`
	} `json:"items"`
	Payment struct {
		Charges []lcCharge `json:"charges"`
	} `json:"payment"`
}

type lcRefund struct {
	ID             string  `json:"id"`
	State          string  `json:"state"`
	Amount         float64 `json:"amount"`
	RefundedAmount float64 `json:"refundedAmount"`
	FailureReason  string  `json:"failureReason"`
	Items          []struct {
		ItemID string  `json:"itemId"`
		Amount float64 `json:"amount"`
	} `json:"items"`
	Metadata map[string]string `json:"metadata"`
}

type lcReturn struct {
	ID    string `json:"id"`
	State string `json:"state"`
}

// lcTypesSince lists the account's event types after the first skip, oldest first.
func lcTypesSince(c client, skip int) []string {
	p := c.events("?limit=100")
	var out []string
	for i := len(p.Data) - 1; i >= 0; i-- {
		out = append(out, p.Data[i].Type)
	}
	return out[skip:]
}

func TestOrderLifecycleOverHTTP(t *testing.T) {
	e := newEnv(t, 0)
	c := e.newAccount().secret
	skuA, skuB := c.createSKU("Widget"), c.createSKU("Gadget")
	cust := c.createCustomer("pat@example.test")
	var o lcOrder
	c.must("POST", "/_sim/orders", map[string]any{
		"customerId": cust,
		"items": []map[string]any{
			{"skuId": skuA, "quantity": 2, "price": 10.0, "taxRate": 0.0805},
			{"skuId": skuB, "quantity": 2, "price": 10.0, "taxRate": 0.0805},
		},
		"shipping": map[string]any{"amount": 5.0, "taxAmount": 0.40},
	}, http.StatusCreated, &o)
	c.accept(o.ID)
	itemA, itemB := o.Items[0].ID, o.Items[1].ID
	seen := len(c.events("?limit=100").Data)

	// Cancel A with a numeric string: a partial cancellation.
	var cancelA lcFulfillment
	raw := c.must("POST", "/fulfillments", `{"orderId":"`+o.ID+`","items":[{"itemId":"`+itemA+`","cancelQuantity":"2"}]}`, http.StatusCreated, &cancelA)
	if !strings.HasPrefix(cancelA.ID, "ful_") || cancelA.OrderID != o.ID || len(cancelA.Items) != 1 ||
		cancelA.Items[0].ItemID != itemA || cancelA.Items[0].SKUID != skuA || cancelA.Items[0].CancelQuantity != 2 {
		t.Fatalf("fulfillment %s", raw)
	}
	if !strings.Contains(string(raw), `"quantity":0`) || !strings.Contains(string(raw), `"cancelQuantity":2`) {
		t.Fatalf("fulfillment lines must carry both quantities: %s", raw)
	}
	if _, has := cancelA.OrderDetails["payment"]; has || string(cancelA.OrderDetails["state"]) != `"accepted"` {
		t.Fatalf("orderDetails: %s", raw)
	}
	if got := lcTypesSince(c, seen); !reflect.DeepEqual(got, []string{"fulfillment.created", "order.charge.cancel.complete"}) {
		t.Fatalf("events %v", got)
	}
	var got lcFulfillment
	if again := c.must("GET", "/fulfillments/"+cancelA.ID, nil, http.StatusOK, &got); string(again) != string(raw) {
		t.Fatalf("GET /fulfillments/{id}\n got %s\nwant %s", again, raw)
	}

	// Ship B by SKU with tracking: the order is fulfilled, then complete.
	var shipB lcFulfillment
	c.must("POST", "/fulfillments", map[string]any{
		"orderId": o.ID, "items": []map[string]any{{"skuId": skuB, "quantity": 2}},
		"trackingCompany": "Fedex", "trackingNumber": "Z101", "trackingUrl": "https://fedex.example/Z101",
	}, http.StatusCreated, &shipB)
	want := []string{"fulfillment.created", "order.charge.cancel.complete", "fulfillment.created", "order.fulfilled", "order.charge.capture.complete", "order.complete"}
	if got := lcTypesSince(c, seen); !reflect.DeepEqual(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	created := c.events("?type=fulfillment.created")
	var evF lcFulfillment
	created.Data[0].object(t, &evF)
	if evF.ID != shipB.ID || evF.TrackingNumber != "Z101" || string(evF.OrderDetails["id"]) != `"`+o.ID+`"` {
		t.Fatalf("fulfillment.created carries %+v", evF)
	}
	var ch lcCharge
	c.events("?type=order.charge.capture.complete").Data[0].object(t, &ch)
	if len(ch.Captures) != 1 || ch.Captures[0].Amount != 24.31 {
		t.Fatalf("capture event charge %+v", ch)
	}
	for query, n := range map[string]int{"?orderId=" + o.ID: 2, "?trackingNumber=Z101": 1, "?skuId=" + skuA: 1, "?trackingCompany=UPS": 0, "?ids=" + cancelA.ID: 1} {
		var p page[lcFulfillment]
		c.must("GET", "/fulfillments"+query, nil, http.StatusOK, &p)
		if len(p.Data) != n {
			t.Fatalf("GET /fulfillments%s: %d, want %d", query, len(p.Data), n)
		}
	}
	c.mustError("POST", "/fulfillments", map[string]any{"orderId": o.ID, "items": []map[string]any{{"itemId": itemB, "quantity": 1}}}, http.StatusConflict, "order_fulfilled", "")
	c.must("GET", "/orders/"+o.ID, nil, http.StatusOK, &o)
	if o.State != "complete" || o.CapturedAmount != 24.31 || o.CancelledAmount != 24.31 || o.AvailableToRefundAmount != 24.31 ||
		o.Items[0].State != "cancelled" || o.Items[1].State != "fulfilled" {
		t.Fatalf("order %+v", o)
	}

	// Refund 10.00; it holds the money while pending.
	seen = len(c.events("?limit=100").Data)
	var r lcRefund
	c.must("POST", "/refunds", map[string]any{"orderId": o.ID, "currency": "USD", "amount": 10}, http.StatusCreated, &r)
	if !strings.HasPrefix(r.ID, "re_") || r.State != "pending" || r.Amount != 10 || r.RefundedAmount != 0 {
		t.Fatalf("refund %+v", r)
	}
	c.mustError("POST", "/refunds", map[string]any{"orderId": o.ID, "currency": "USD", "amount": 14.32}, http.StatusBadRequest, "invalid_parameter", "amountRequested")
	c.mustError("POST", "/refunds", map[string]any{"orderId": o.ID, "currency": "EUR", "percent": 10}, http.StatusBadRequest, "invalid_parameter", "currency")
	c.must("POST", "/refunds/"+r.ID, map[string]any{"metadata": map[string]any{"ticket": "T-7"}}, http.StatusOK, &r)
	if r.Metadata["ticket"] != "T-7" {
		t.Fatalf("metadata %v", r.Metadata)
	}
	c.must("POST", "/_sim/refunds/"+r.ID+"/complete", nil, http.StatusOK, &r)
	if r.State != "succeeded" || r.RefundedAmount != 10 {
		t.Fatalf("completed refund %+v", r)
	}
	c.mustError("POST", "/_sim/refunds/"+r.ID+"/complete", nil, http.StatusConflict, "invalid_state", "")
	c.must("GET", "/refunds/"+r.ID, nil, http.StatusOK, &r)
	if r.State != "succeeded" {
		t.Fatalf("GET /refunds/{id}: %+v", r)
	}
	want = []string{"refund.pending", "refund.complete", "order.charge.refund.complete", "order.refunded", "order.credit_memo.created"}
	if got := lcTypesSince(c, seen); !reflect.DeepEqual(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	c.must("GET", "/orders/"+o.ID, nil, http.StatusOK, &o)
	if refs := o.Payment.Charges[0].Refunds; o.RefundedAmount != 10 || o.AvailableToRefundAmount != 14.31 || len(refs) != 1 || refs[0].State != "complete" {
		t.Fatalf("order after the refund %+v", o)
	}

	// Return one unit of B; accepting it makes DR refund it; fail that refund.
	var ret lcReturn
	c.must("POST", "/returns", map[string]any{"orderId": o.ID, "reason": "broken", "items": []map[string]any{{"itemId": itemB, "quantity": 1}}}, http.StatusCreated, &ret)
	if !strings.HasPrefix(ret.ID, "ret_") || ret.State != "created" {
		t.Fatalf("return %+v", ret)
	}
	c.mustError("POST", "/returns", map[string]any{"orderId": o.ID, "items": []map[string]any{{"itemId": itemB, "quantity": "2"}}}, http.StatusConflict, "quantity_too_large", "")
	c.must("POST", "/returns/"+ret.ID, map[string]any{"state": "accepted"}, http.StatusOK, &ret)
	if ret.State != "accepted" {
		t.Fatalf("return %+v", ret)
	}
	var pending page[lcRefund]
	c.must("GET", "/refunds?state=pending&orderId="+o.ID, nil, http.StatusOK, &pending)
	if len(pending.Data) != 1 || pending.Data[0].Amount != 12.16 || len(pending.Data[0].Items) != 1 || pending.Data[0].Items[0].ItemID != itemB {
		t.Fatalf("pending refunds %+v", pending.Data)
	}
	c.must("POST", "/_sim/refunds/"+pending.Data[0].ID+"/fail", map[string]any{"failureReason": "card closed"}, http.StatusOK, &r)
	if r.State != "failed" || r.FailureReason != "card closed" || r.RefundedAmount != 0 {
		t.Fatalf("failed refund %+v", r)
	}
	var rets page[lcReturn]
	c.must("GET", "/returns?orderId="+o.ID, nil, http.StatusOK, &rets)
	if len(rets.Data) != 1 || rets.Data[0].ID != ret.ID {
		t.Fatalf("returns %+v", rets.Data)
	}
	c.must("GET", "/returns/"+ret.ID, nil, http.StatusOK, &ret)
	want = []string{"refund.pending", "refund.complete", "order.charge.refund.complete", "order.refunded", "order.credit_memo.created",
		"return.created", "return.accepted", "refund.pending", "refund.failed", "order.charge.refund.failed"}
	if got := lcTypesSince(c, seen); !reflect.DeepEqual(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	c.must("GET", "/orders/"+o.ID, nil, http.StatusOK, &o)
	if o.AvailableToRefundAmount != 14.31 || o.RefundedAmount != 10 {
		t.Fatalf("after the failed refund: available %.2f refunded %.2f; want 14.31, 10", o.AvailableToRefundAmount, o.RefundedAmount)
	}
}

func TestFullCancellationOverHTTP(t *testing.T) {
	e := newEnv(t, 0)
	c := e.newAccount().secret
	sku := c.createSKU("Widget")
	o := c.placeOrder(c.createCustomer("pat@example.test"), sku)
	c.accept(o.ID)
	seen := len(c.events("?limit=100").Data)
	c.must("POST", "/fulfillments", map[string]any{"orderId": o.ID, "items": []map[string]any{{"skuId": sku, "cancelQuantity": 2}}}, http.StatusCreated, nil)
	if got := lcTypesSince(c, seen); !reflect.DeepEqual(got, []string{"fulfillment.created", "order.charge.cancel.complete", "order.cancelled"}) {
		t.Fatalf("events %v", got)
	}
	var cancelled lcOrder
	c.events("?type=order.cancelled").Data[0].object(t, &cancelled)
	if cancelled.State != "cancelled" || cancelled.Items[0].State != "cancelled" || cancelled.Payment.Charges[0].State != "cancelled" {
		t.Fatalf("order.cancelled carries %+v", cancelled)
	}
	c.mustError("POST", "/fulfillments", map[string]any{"orderId": o.ID, "items": []map[string]any{{"skuId": sku, "quantity": 1}}}, http.StatusConflict, "conflict", "")
	c.mustError("POST", "/refunds", map[string]any{"orderId": o.ID, "currency": "USD", "percent": 100}, http.StatusConflict, "invalid_state", "")
}
