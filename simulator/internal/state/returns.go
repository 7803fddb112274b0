package state

import (
	"strconv"
	"time"

	"github.com/drsim/drsim/simulator/client"
	"github.com/drsim/drsim/simulator/internal/problem"
)

// The return types are package client's: DR's wire form.
type (
	ReturnItem = client.ReturnItem
	Return     = client.Return
	// ReturnUpdateParams is the body of POST /returns/{id}.
	ReturnUpdateParams = client.ReturnUpdateParams
)

// ReturnItemParams is one line of POST /returns as the API decodes it: the
// client's, with a Quantity (see FulfillmentItemParams).
type ReturnItemParams struct {
	client.ReturnItemParams
	Quantity Quantity `json:"quantity"`
}

// ReturnParams is the body of POST /returns as the API decodes it.
type ReturnParams struct {
	client.ReturnParams
	Items []ReturnItemParams `json:"items"`
}

func validateReturn(p *ReturnParams) ([]int, error) {
	if p.OrderID == "" {
		return nil, problem.Missing("orderId")
	}
	if len(p.Items) == 0 {
		return nil, problem.Missing("items")
	}
	qs := make([]int, len(p.Items))
	for i, it := range p.Items {
		param := "items[" + strconv.Itoa(i) + "]"
		if it.ItemID == "" && it.SKUID == "" {
			return nil, problem.Missing(param + ".itemId")
		}
		q, err := it.Quantity.whole(param + ".quantity")
		if err != nil {
			return nil, err
		}
		if _, set := it.Quantity.Value(); !set {
			return nil, problem.Missing(param + ".quantity")
		}
		if q < 1 {
			return nil, problem.Invalidf(param+".quantity", "'%s.quantity' must be at least 1, got %d.", param, q)
		}
		qs[i] = q
	}
	return qs, nil
}

// CreateReturn is POST /returns: the customer sends shipped units back.
// More units than were shipped and not yet returned → 409 quantity_too_large.
func (a *Account) CreateReturn(p ReturnParams) (*Return, error) {
	qs, err := validateReturn(&p)
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
	claimed := map[string]int{}
	left := func(it *OrderItem) int {
		pr := a.progressOf(it)
		return pr.fulfilled - pr.returnRequested - claimed[it.ID]
	}
	items := make([]ReturnItem, 0, len(p.Items))
	resolved := make([]*OrderItem, 0, len(p.Items))
	for i, ip := range p.Items {
		param := "items[" + strconv.Itoa(i) + "]"
		it, err := findItem(o, param, ip.ItemID, ip.SKUID, func(it *OrderItem) bool { return left(it) > 0 })
		if err != nil {
			return nil, err
		}
		if n := left(it); qs[i] > n {
			return nil, problem.Conflictf("quantity_too_large", "%s: item '%s' has %d shipped unit(s) not yet returned; the request returns %d.", param, it.ID, n, qs[i])
		}
		claimed[it.ID] += qs[i]
		items = append(items, ReturnItem{ItemID: it.ID, SKUID: it.SKUID, Quantity: qs[i], State: "created"})
		resolved = append(resolved, it)
	}
	now := a.now()
	for i, it := range resolved {
		a.progressOf(it).returnRequested += qs[i]
	}
	ret := &Return{
		ID: "ret_" + newUUID(), OrderID: o.ID, Currency: o.Currency, Reason: p.Reason, Items: items,
		State: "created", RefundIDs: []string{}, Metadata: p.Metadata,
		CreatedTime: now, UpdatedTime: now,
	}
	a.returns.put(ret.ID, ret)
	a.record("return.created", ret, nil)
	return clone(ret), nil
}

// UpdateReturn is POST /returns/{id}: metadata, and {"state":"accepted"},
// which records return.accepted and makes DR refund the returned units
// (refund.pending; the refund's items name them). Each returned unit is
// worth its share of the line's captured amount, within what is left to
// refund. When that refund succeeds the items, and the order once every
// shipped unit is back, become returned.
func (a *Account) UpdateReturn(id string, p ReturnUpdateParams) (*Return, error) {
	if p.State != "" && p.State != "accepted" {
		return nil, problem.Invalidf("state", "'state' can only be set to 'accepted', got '%s'.", p.State)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	ret, ok := a.returns.get(id)
	if !ok {
		return nil, problem.NotFoundID("Return", id)
	}
	defer a.useOrder(ret.OrderID)()
	if p.State == "accepted" && ret.State != "created" {
		return nil, problem.Conflictf("invalid_state", "Return '%s' is %s; only a created return can be accepted.", id, ret.State)
	}
	now := a.now()
	if p.Metadata != nil {
		ret.Metadata = p.Metadata
		ret.UpdatedTime = now
	}
	if p.State != "accepted" {
		return clone(ret), nil
	}
	o, _ := a.orders.get(ret.OrderID) // orders are never deleted
	cur := o.Currency
	ret.State = "accepted"
	ret.UpdatedTime = now
	for i := range ret.Items {
		ret.Items[i].State, ret.Items[i].QuantityAccepted = "accepted", ret.Items[i].Quantity
	}

	a.refreshRefundable(o)
	var (
		amount float64
		items  = []RefundItem{}
		alloc  []allocation
		held   = map[string]float64{}
	)
	for _, ri := range ret.Items {
		it := orderItem(o, ri.ItemID)
		pr := a.progressOf(it)
		before := pr.returnAccepted
		pr.returnAccepted += ri.Quantity
		v := round(a.unitsRefundValue(it, before+ri.Quantity, cur)-a.unitsRefundValue(it, before, cur), cur)
		v = min(v, round(it.AvailableToRefundAmount-held[it.ID], cur))
		if v <= 0 {
			continue
		}
		held[it.ID] = round(held[it.ID]+v, cur)
		amount = round(amount+v, cur)
		items = append(items, RefundItem{ItemID: it.ID, SKUID: it.SKUID, Quantity: ri.Quantity, Amount: v})
		alloc = append(alloc, allocation{itemID: it.ID, amount: v})
	}
	var refund *Refund
	if amount > 0 {
		refund = a.newRefund(o, amount, items, alloc)
		refund.Reason = ret.Reason
		a.noteOf(refund).returnID = ret.ID
		ret.RefundIDs = append(ret.RefundIDs, refund.ID)
	}
	a.record("return.accepted", ret, nil)
	if refund != nil {
		a.record(refundEvent(refund), refund, nil)
	}
	return clone(ret), nil
}

// orderItem is the order line with this id (nil if none).
func orderItem(o *Order, id string) *OrderItem {
	for _, it := range o.Items {
		if it.ID == id {
			return it
		}
	}
	return nil
}

// markReturned counts a return's units as back once its refund succeeded:
// an item whose shipped units are all back is returned, and so is the order
// once that holds for every shipped item. Caller holds a.mu.
func (a *Account) markReturned(o *Order, returnID string, now time.Time) {
	ret, ok := a.returns.get(returnID)
	if !ok {
		return
	}
	for _, ri := range ret.Items {
		it := orderItem(o, ri.ItemID)
		pr := a.progressOf(it)
		pr.returned += ri.Quantity
		if pr.fulfilled > 0 && pr.returned >= pr.fulfilled {
			setItemState(it, "returned", now)
		}
	}
	if o.State != "complete" && o.State != "fulfilled" {
		return
	}
	all := false
	for _, it := range o.Items {
		pr := a.progressOf(it)
		if pr.fulfilled == 0 {
			continue
		}
		if pr.returned < pr.fulfilled {
			return
		}
		all = true
	}
	if all {
		a.setOrderState(o, "returned", now)
	}
}

// releaseReturn gives a return's units back when the refund DR made for it
// failed: they count as shipped and not returned again, so a new return
// may claim them and be refunded while money is left to refund. The return
// itself stays accepted (its refundIds name the failed refund). Caller
// holds a.mu.
func (a *Account) releaseReturn(o *Order, returnID string) {
	ret, ok := a.returns.get(returnID)
	if !ok {
		return
	}
	for _, ri := range ret.Items {
		it := orderItem(o, ri.ItemID)
		pr := a.progressOf(it)
		pr.returnRequested -= ri.Quantity
		pr.returnAccepted -= ri.QuantityAccepted
	}
}

// Return is GET /returns/{id}.
func (a *Account) Return(id string) (*Return, error) {
	return find(a, &a.returns, KindReturn, id)
}

// ReturnFilter is GET /returns' query.
type ReturnFilter struct {
	ListParams
	IDs     []string
	OrderID string
	State   string
}

// Returns is GET /returns.
func (a *Account) Returns(f ReturnFilter) (Page[*Return], error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return pageOf(&a.returns, func(r *Return) bool {
		return (len(f.IDs) == 0 || contains(f.IDs, r.ID)) && (f.OrderID == "" || r.OrderID == f.OrderID) &&
			(f.State == "" || r.State == f.State)
	}, f.ListParams)
}
