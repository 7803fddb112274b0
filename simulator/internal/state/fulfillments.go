package state

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/drsim/drsim/simulator/client"
	"github.com/drsim/drsim/simulator/internal/problem"
	"github.com/drsim/drsim/simulator/internal/wire"
)

// Quantity is a unit count as DR accepts it in request bodies: a JSON number
// or a numeric string ("2"; DR's own fulfillment example sends one). Decoding
// never fails; a value that is not a whole number is kept and reported by
// validation as DR's 400 invalid_parameter with the exact parameter name.
type Quantity struct {
	n   int
	set bool
	bad string // the raw JSON when it is not a whole number
}

// maxQuantity bounds quantities so arithmetic on them cannot overflow.
const maxQuantity = 1_000_000_000

// Value is the quantity and whether the request gave one.
func (q Quantity) Value() (n int, set bool) { return q.n, q.set }

// UnmarshalJSON accepts 2, 2.0, "2" and " 2 "; null means absent.
func (q *Quantity) UnmarshalJSON(b []byte) error {
	*q = Quantity{}
	raw := strings.TrimSpace(string(b))
	if raw == "null" {
		return nil
	}
	q.set = true
	text := raw
	if strings.HasPrefix(raw, `"`) {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			q.bad = raw
			return nil
		}
		text = strings.TrimSpace(s)
	}
	n, ok := parseWhole(text)
	if !ok {
		q.bad = raw
		return nil
	}
	q.n = n
	return nil
}

// MarshalJSON writes the number (null when absent).
func (q Quantity) MarshalJSON() ([]byte, error) {
	switch {
	case q.bad != "":
		return json.Marshal(q.bad)
	case !q.set:
		return []byte("null"), nil
	}
	return []byte(strconv.Itoa(q.n)), nil
}

func parseWhole(s string) (int, bool) {
	if s == "" || strings.Trim(s, "0123456789.-+eE") != "" {
		return 0, false
	}
	if n, err := strconv.Atoi(s); err == nil {
		return n, n >= -maxQuantity && n <= maxQuantity
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > maxQuantity {
		return 0, false
	}
	return int(f), true
}

// whole returns the quantity (0 when absent) or DR's 400 for param.
func (q Quantity) whole(param string) (int, error) {
	if q.bad != "" {
		return 0, problem.Invalidf(param, "'%s' must be a whole number or a string holding one, got %s.", param, q.bad)
	}
	if q.n < 0 {
		return 0, problem.Invalidf(param, "'%s' cannot be negative, got %d.", param, q.n)
	}
	return q.n, nil
}

// FulfillmentItemParams is one line of POST /fulfillments as the API
// decodes it: the client's, with quantities that also take DR's numeric
// strings and keep a malformed value for validation's 400.
type FulfillmentItemParams struct {
	client.FulfillmentItemParams
	Quantity       Quantity `json:"quantity"`
	CancelQuantity Quantity `json:"cancelQuantity"`
}

// FulfillmentParams is the body of POST /fulfillments as the API decodes
// it (docs/dr-api.md#fulfillment): the client's, with lines of Quantity.
type FulfillmentParams struct {
	client.FulfillmentParams
	Items []FulfillmentItemParams `json:"items"`
}

// The fulfillment types are package client's: DR's wire form.
type (
	FulfillmentItem = client.FulfillmentItem
	Fulfillment     = client.Fulfillment
)

// fulfilLine is one validated request line.
type fulfilLine struct {
	param           string // "items[i]"
	itemID, skuID   string
	ship, cancelled int
}

func validateFulfillment(p *FulfillmentParams) ([]fulfilLine, error) {
	if p.OrderID == "" {
		return nil, problem.Missing("orderId")
	}
	if len(p.Items) == 0 {
		return nil, problem.Missing("items")
	}
	lines := make([]fulfilLine, 0, len(p.Items))
	for i, it := range p.Items {
		param := "items[" + strconv.Itoa(i) + "]"
		if it.ItemID == "" && it.SKUID == "" {
			return nil, problem.Missing(param + ".itemId")
		}
		ship, err := it.Quantity.whole(param + ".quantity")
		if err != nil {
			return nil, err
		}
		cancelled, err := it.CancelQuantity.whole(param + ".cancelQuantity")
		if err != nil {
			return nil, err
		}
		if _, set := it.Quantity.Value(); !set {
			if _, set := it.CancelQuantity.Value(); !set {
				return nil, problem.Bad("missing_parameter", param+".quantity",
					"'%s' needs a quantity or a cancelQuantity.", param)
			}
		}
		if ship == 0 && cancelled == 0 {
			return nil, problem.Invalidf(param+".quantity", "'%s' must ship or cancel at least one unit.", param)
		}
		lines = append(lines, fulfilLine{param: param, itemID: it.ItemID, skuID: it.SKUID, ship: ship, cancelled: cancelled})
	}
	return lines, nil
}

// findItem resolves a request line's itemId or skuId to an order line. With
// a SKU shared by several lines, the first line that prefer accepts wins,
// else the first line with that SKU.
func findItem(o *Order, param, itemID, skuID string, prefer func(*OrderItem) bool) (*OrderItem, error) {
	if itemID != "" {
		for _, it := range o.Items {
			if it.ID != itemID {
				continue
			}
			if skuID != "" && it.SKUID != skuID {
				return nil, problem.Invalidf(param+".skuId", "Item '%s' is SKU '%s', not '%s'.", itemID, it.SKUID, skuID)
			}
			return it, nil
		}
		return nil, problem.Invalidf(param+".itemId", "Order '%s' has no item '%s'.", o.ID, itemID)
	}
	var first *OrderItem
	for _, it := range o.Items {
		if it.SKUID != skuID {
			continue
		}
		if prefer == nil || prefer(it) {
			return it, nil
		}
		if first == nil {
			first = it
		}
	}
	if first == nil {
		return nil, problem.Invalidf(param+".skuId", "Order '%s' has no item with SKU '%s'.", o.ID, skuID)
	}
	return first, nil
}

// canFulfil says whether an order in this state takes fulfillments, with
// DR's 409 when it does not (docs/lifecycles.md#order-third-party-fulfilment).
func canFulfil(o *Order) error {
	switch o.State {
	case "accepted":
		return nil
	case "fulfilled", "complete", "returned":
		return problem.Conflictf("order_fulfilled", "Order '%s' is already %s.", o.ID, o.State)
	case "cancelled":
		return problem.Conflictf("conflict", "Order '%s' is cancelled.", o.ID) // [choice]
	}
	return problem.Conflictf("invalid_state", "Order '%s' is %s; only an accepted order can be fulfilled or cancelled.", o.ID, o.State)
}

// orderDetails is the order as a fulfillment shows it: without payment.
func orderDetails(o *Order) json.RawMessage {
	b, err := wire.Marshal(o)
	if err != nil {
		panic(fmt.Sprintf("state: cannot marshal order %s: %v", o.ID, err))
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		panic(fmt.Sprintf("state: cannot unmarshal order %s: %v", o.ID, err))
	}
	delete(m, "payment")
	out, err := wire.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("state: cannot marshal order details %s: %v", o.ID, err))
	}
	return out
}

// CreateFulfillment is POST /fulfillments. Shipped units become a capture
// and cancelled units a cancel on the order's charge; item and order states
// follow (docs/lifecycles.md#order-third-party-fulfilment). Events, in this order:
//
//	fulfillment.created (always; orderDetails = the order before this call)
//	order.fulfilled     (every unit is now fulfilled or cancelled, at least one fulfilled; capture pending)
//	order.charge.capture.complete | .failed (units shipped; .failed for the capture-failing test card)
//	order.charge.cancel.complete  (units cancelled) | .failed (the cancel-failing test card: the units stay uncancelled)
//	order.cancelled     (every unit is now cancelled) or
//	order.complete      (fulfilled and the charge fully captured or cancelled)
//
// A partial cancellation therefore emits fulfillment.created and the cancel
// event only. An item whose units are all fulfilled or all cancelled becomes
// fulfilled or cancelled; one with some of each becomes fulfilled [choice].
func (a *Account) CreateFulfillment(p FulfillmentParams) (*Fulfillment, error) {
	lines, err := validateFulfillment(&p)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	o, ok := a.orders.get(p.OrderID)
	if !ok {
		return nil, problem.NotFoundID("Order", p.OrderID)
	}
	defer a.useCustomer(o.CustomerID)()
	if err := canFulfil(o); err != nil {
		return nil, err
	}

	// Resolve every line and check it against what is left, counting
	// earlier lines of the same request, before changing anything.
	type step struct {
		it               *OrderItem
		ship, cancelled  int
		capture, release float64
	}
	claimed := map[string]int{}
	steps := make([]step, 0, len(lines))
	for _, l := range lines {
		it, err := findItem(o, l.param, l.itemID, l.skuID, func(it *OrderItem) bool { return a.remaining(it)-claimed[it.ID] > 0 })
		if err != nil {
			return nil, err
		}
		left := a.remaining(it) - claimed[it.ID]
		if n := l.ship + l.cancelled; n > left {
			return nil, problem.Conflictf("conflict", "%s: item '%s' has %d unit(s) left to fulfil or cancel; the request asks for %d.", l.param, it.ID, left, n)
		}
		claimed[it.ID] += l.ship + l.cancelled
		steps = append(steps, step{it: it, ship: l.ship, cancelled: l.cancelled})
	}

	// The "cancel fails" test card (docs/lifecycles.md#test-mode-triggers-doc):
	// the cancel is recorded as failed and its units stay uncancelled.
	cancelFails := a.sourceBehaviour(orderCharge(o)).cancelFails
	now := a.now()
	cur := o.Currency
	f := &Fulfillment{
		ID: "ful_" + newUUID(), CreatedTime: now, OrderID: o.ID, Items: make([]FulfillmentItem, 0, len(steps)),
		TrackingCompany: p.TrackingCompany, TrackingNumber: p.TrackingNumber, TrackingURL: p.TrackingURL,
		ShipmentID: p.ShipmentID, Metadata: p.Metadata, OrderDetails: orderDetails(o),
	}
	var shipped, cancelled int
	var captureAmt, cancelAmt float64
	for i := range steps {
		s := &steps[i]
		it, pr := s.it, a.progressOf(s.it)
		base := pr.fulfilled + pr.cancelled
		s.capture = round(unitsValue(it, base+s.ship, cur)-unitsValue(it, base, cur), cur)
		s.release = round(unitsValue(it, base+s.ship+s.cancelled, cur)-unitsValue(it, base+s.ship, cur), cur)
		pr.fulfilled += s.ship
		if !cancelFails {
			pr.cancelled += s.cancelled
		}
		if a.remaining(it) == 0 {
			if pr.fulfilled > 0 {
				setItemState(it, "fulfilled", now)
			} else {
				setItemState(it, "cancelled", now)
			}
		}
		shipped += s.ship
		cancelled += s.cancelled
		captureAmt += s.capture
		cancelAmt += s.release
		f.Items = append(f.Items, FulfillmentItem{ItemID: it.ID, SKUID: it.SKUID, Quantity: s.ship, CancelQuantity: s.cancelled})
	}
	ch := orderCharge(o)
	var captureOp, cancelOp *ChargeOperation
	if ch != nil && shipped > 0 {
		// A capture names the fulfillment that triggered it, as the
		// order.charge.capture.* events show (docs/events.md#order-and-fulfillment-events).
		captureOp = &ChargeOperation{ID: newUUID(), CreatedTime: now, Amount: round(captureAmt, cur), State: "pending", FulfillmentID: f.ID}
		ch.Captures = append(ch.Captures, captureOp)
	}
	if ch != nil && cancelled > 0 {
		cancelOp = &ChargeOperation{ID: newUUID(), CreatedTime: now, Amount: round(cancelAmt, cur), State: "pending"}
		ch.Cancels = append(ch.Cancels, cancelOp)
	}
	if ch != nil {
		settleCharge(ch)
	}
	o.UpdatedTime = now
	a.fulfils.put(f.ID, f)
	a.record("fulfillment.created", f, nil)

	done, anyShipped := true, false
	for _, it := range o.Items {
		done = done && a.remaining(it) == 0
		anyShipped = anyShipped || a.progressOf(it).fulfilled > 0
	}
	if done && anyShipped {
		a.setOrderState(o, "fulfilled", now)
		a.record("order.fulfilled", o, nil)
	}
	if captureOp != nil {
		if a.sourceBehaviour(ch).captureFails {
			captureOp.State, captureOp.FailureCode = "failed", "capture_failed"
			settleCharge(ch)
			a.record("order.charge.capture.failed", ch, nil)
		} else {
			captureOp.State = "complete"
			for _, s := range steps {
				pr := a.progressOf(s.it)
				pr.captured = round(pr.captured+s.capture, cur)
			}
			o.CapturedAmount = round(o.CapturedAmount+captureOp.Amount, cur)
			settleCharge(ch)
			a.refreshRefundable(o)
			a.record("order.charge.capture.complete", ch, nil)
		}
	}
	if cancelOp != nil && cancelFails {
		// DR's event list names order.charge.cancel.failed but shows no
		// payload: the Charge, as for order.charge.capture.failed
		// (docs/events.md, order.charge.cancel.failed) [choice].
		cancelOp.State, cancelOp.FailureCode = "failed", "cancel_failed"
		settleCharge(ch)
		a.record("order.charge.cancel.failed", ch, nil)
		cancelOp = nil
	}
	if cancelOp != nil {
		cancelOp.State = "complete"
		for _, s := range steps {
			pr := a.progressOf(s.it)
			pr.cancelledAmount = round(pr.cancelledAmount+s.release, cur)
		}
		o.CancelledAmount = round(o.CancelledAmount+cancelOp.Amount, cur)
		settleCharge(ch)
		a.record("order.charge.cancel.complete", ch, nil)
	}
	if done {
		switch {
		case !anyShipped:
			a.setOrderState(o, "cancelled", now)
			a.record("order.cancelled", o, nil)
		case ch == nil || ch.State == "complete":
			a.setOrderState(o, "complete", now)
			a.record("order.complete", o, nil)
		}
	}
	return clone(f), nil
}

// Fulfillment is GET /fulfillments/{id}.
func (a *Account) Fulfillment(id string) (*Fulfillment, error) {
	return find(a, &a.fulfils, KindFulfillment, id)
}

// FulfillmentFilter is GET /fulfillments' query.
type FulfillmentFilter struct {
	ListParams
	IDs             []string
	OrderID         string
	SKUID           string
	TrackingNumber  string
	TrackingCompany string
}

// Fulfillments is GET /fulfillments. Its entries are DR's Fulfillment,
// without the orderDetails that GET /fulfillments/{id} and the event carry.
func (a *Account) Fulfillments(ff FulfillmentFilter) (Page[*Fulfillment], error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	page, err := pageOf(&a.fulfils, func(f *Fulfillment) bool {
		if ff.SKUID != "" {
			found := false
			for _, it := range f.Items {
				found = found || it.SKUID == ff.SKUID
			}
			if !found {
				return false
			}
		}
		return (len(ff.IDs) == 0 || contains(ff.IDs, f.ID)) && (ff.OrderID == "" || f.OrderID == ff.OrderID) &&
			(ff.TrackingNumber == "" || f.TrackingNumber == ff.TrackingNumber) &&
			(ff.TrackingCompany == "" || f.TrackingCompany == ff.TrackingCompany)
	}, ff.ListParams)
	for _, f := range page.Data {
		f.OrderDetails = nil
	}
	return page, err
}
