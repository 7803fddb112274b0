package state

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/drsim/drsim/simulator/client"
	"github.com/drsim/drsim/simulator/internal/problem"
)

// The refund types are package client's: DR's wire form. What the
// simulator keeps on a refund beyond it is the account's refundNotes.
type (
	RefundItem        = client.RefundItem
	RefundCharge      = client.RefundCharge
	RefundChargeEntry = client.RefundChargeEntry
	Refund            = client.Refund
)

// refundNote is what the simulator keeps on a refund beyond its wire form.
type refundNote struct {
	alloc    []allocation // how the amount comes off the items' availableToRefundAmount
	returnID string       // the Return this refund pays for, if any
	entry    string       // the id of its entry in its charge's refunds
}

// noteOf is refund r's note (newRefund makes it). Caller holds a.mu.
func (a *Account) noteOf(r *Refund) *refundNote {
	if n := a.refundNotes[r.ID]; n != nil {
		return n
	}
	return &refundNote{}
}

// TokenInformation is what a merchant's page hands DigitalRiver.js to
// collect the bank details a refund of a delayed method needs.
type TokenInformation = client.TokenInformation

// refundInfoLifetime is how long the customer has to give the bank details:
// 90 days after the refund.pending_information event (DR's "Refunding
// asynchronous payment methods").
const refundInfoLifetime = 90 * 24 * time.Hour

// allocation is the part of a refund held against one order line.
type allocation struct {
	itemID string
	amount float64
}

// RefundItemParams is one line of an item-level POST /refunds as the API
// decodes it: the client's, with a Quantity (see FulfillmentItemParams).
type RefundItemParams struct {
	client.RefundItemParams
	Quantity Quantity `json:"quantity"`
}

// RefundParams is the body of POST /refunds as the API decodes it: exactly
// one of amount, percent and items.
type RefundParams struct {
	client.RefundParams
	Items []RefundItemParams `json:"items"`
}

// refundTypes are DR's non-product refund types.
var refundTypes = []string{"shipping", "tax", "duty", "importer_tax", "fees"}

func checkPercent(param string, p float64) error {
	if p < 0.01 || p > 100 {
		return problem.Invalidf(param, "'%s' must be between 0.01 and 100, got %g.", param, p)
	}
	return nil
}

func checkAmount(param string, v float64) error {
	if v <= 0 || v > maxAmount {
		return problem.Invalidf(param, "'%s' must be a positive amount, got %g.", param, v)
	}
	return nil
}

func validateRefund(p *RefundParams) error {
	if p.OrderID == "" && p.InvoiceID == "" {
		return problem.Missing("orderId")
	}
	if p.Currency == "" {
		return problem.Missing("currency")
	}
	modes := 0
	for _, given := range []bool{p.Amount != nil, p.Percent != nil, len(p.Items) > 0} {
		if given {
			modes++
		}
	}
	switch {
	case modes == 0:
		return problem.Bad("missing_parameter", "amount", "Give one of 'amount', 'percent' or 'items'.")
	case modes > 1:
		return problem.Invalidf("amount", "Give exactly one of 'amount', 'percent' or 'items'.")
	}
	if p.Amount != nil {
		if err := checkAmount("amount", *p.Amount); err != nil {
			return err
		}
	}
	if p.Percent != nil {
		if err := checkPercent("percent", *p.Percent); err != nil {
			return err
		}
	}
	if p.Type != "" {
		if !contains(refundTypes, p.Type) {
			return problem.Invalidf("type", "'type' must be one of %s, got '%s'.", strings.Join(refundTypes, ", "), p.Type)
		}
		if len(p.Items) > 0 {
			return problem.Invalidf("type", "'type' is for non-product refunds; it cannot be used with 'items'.")
		}
	}
	for i, it := range p.Items {
		param := "items[" + strconv.Itoa(i) + "]"
		if it.ItemID == "" && it.SKUID == "" {
			return problem.Missing(param + ".itemId")
		}
		q, err := it.Quantity.whole(param + ".quantity")
		if err != nil {
			return err
		}
		if _, set := it.Quantity.Value(); set && q < 1 {
			return problem.Invalidf(param+".quantity", "'%s.quantity' must be at least 1, got %d.", param, q)
		}
		switch {
		case it.Amount != nil && it.Percent != nil:
			return problem.Invalidf(param+".amount", "Give either '%s.amount' or '%s.percent', not both.", param, param)
		case it.Amount != nil:
			if err := checkAmount(param+".amount", *it.Amount); err != nil {
				return err
			}
		case it.Percent != nil:
			if err := checkPercent(param+".percent", *it.Percent); err != nil {
				return err
			}
		default:
			if _, set := it.Quantity.Value(); !set {
				return problem.Bad("missing_parameter", param+".quantity", "'%s' needs a quantity, an amount or a percent.", param)
			}
		}
	}
	return nil
}

// minorOf is an amount in whole minor units, for exact comparison.
func minorOf(v float64, cur string) int64 {
	return int64(math.Round(v * math.Pow10(minorUnits(cur))))
}

// overAvailable is DR's 400 for a refund larger than what is left.
func overAvailable(requested, available float64) error {
	return problem.Invalidf("amountRequested", "The requested amount %.2f exceeds the amount available to refund (%.2f).", requested, available)
}

// unitsRefundValue is what n shipped units of a line refund: the line's
// captured amount shared evenly over its shipped units (the last takes the
// remainder), so that refunding every shipped unit refunds every capture.
// Caller holds a.mu.
func (a *Account) unitsRefundValue(it *OrderItem, n int, cur string) float64 {
	p := a.progressOf(it)
	f := p.fulfilled
	if n <= 0 || f <= 0 {
		return 0
	}
	if n >= f {
		return p.captured
	}
	return round(p.captured*float64(n)/float64(f), cur)
}

// componentTotal is the order's total of a non-product refund type.
func componentTotal(o *Order, typ string) float64 {
	switch typ {
	case "shipping":
		return o.TotalShipping
	case "tax":
		return o.TotalTax
	case "duty":
		return o.TotalDuty
	case "importer_tax":
		return o.TotalImporterTax
	case "fees":
		return o.TotalFees
	}
	return o.CapturedAmount
}

// CreateRefund is POST /refunds (docs/dr-api.md#refund). The refund is pending and
// stays so until the control API completes or fails it [choice]; while it
// is pending its amount is already off availableToRefundAmount.
//
// Amounts: amount as given; percent of the captured amount (of the
// component's total with type); items by amount, by percent of the item's
// captured amount, or by quantity (the item's captured amount shared evenly
// over its shipped units).
func (a *Account) CreateRefund(p RefundParams) (*Refund, error) {
	if err := validateRefund(&p); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if p.InvoiceID != "" {
		// A billing invoice is refunded through the order its payment
		// made (docs/dr-api.md#refund: orderId or invoiceId) [choice].
		inv, ok := a.invoices.get(p.InvoiceID)
		if !ok {
			return nil, problem.NotFoundID("Invoice", p.InvoiceID)
		}
		if inv.OrderID == "" {
			return nil, problem.Conflictf("invalid_state", "Invoice '%s' is %s; only a paid invoice has a payment to refund.", inv.ID, inv.State)
		}
		if p.OrderID != "" && p.OrderID != inv.OrderID {
			return nil, problem.Invalidf("invoiceId", "Invoice '%s' was paid by order '%s', not '%s'; give one of orderId and invoiceId.", inv.ID, inv.OrderID, p.OrderID)
		}
		p.OrderID = inv.OrderID
	}
	o, ok := a.orders.get(p.OrderID)
	if !ok {
		return nil, problem.NotFoundID("Order", p.OrderID)
	}
	defer a.useCustomer(o.CustomerID)()
	cur := o.Currency
	if !strings.EqualFold(p.Currency, cur) {
		return nil, problem.Invalidf("currency", "Currency '%s' does not match the order's currency '%s'.", p.Currency, cur)
	}
	if o.CapturedAmount <= 0 {
		return nil, problem.Conflictf("invalid_state", "Order '%s' has no completed captures to refund.", o.ID)
	}
	a.refreshRefundable(o)
	var (
		amount float64
		items  = []RefundItem{}
		alloc  []allocation
	)
	switch {
	case p.Amount != nil:
		amount = round(*p.Amount, cur)
		if minorOf(amount, cur) <= 0 {
			return nil, problem.Invalidf("amount", "%g %s rounds to nothing to refund (%s has %d decimal places).", *p.Amount, cur, cur, minorUnits(cur))
		}
	case p.Percent != nil:
		amount = round(componentTotal(o, p.Type)**p.Percent/100, cur)
		if amount <= 0 {
			return nil, problem.Invalidf("percent", "%g%% of %.2f is nothing to refund.", *p.Percent, componentTotal(o, p.Type))
		}
	default:
		held := map[string]float64{}
		for i, ip := range p.Items {
			param := "items[" + strconv.Itoa(i) + "]"
			it, err := findItem(o, param, ip.ItemID, ip.SKUID, func(it *OrderItem) bool { return a.progressOf(it).fulfilled > 0 })
			if err != nil {
				return nil, err
			}
			q, _ := ip.Quantity.Value()
			pr := a.progressOf(it)
			var v float64
			switch {
			case ip.Amount != nil:
				v = round(*ip.Amount, cur)
			case ip.Percent != nil:
				v = round(pr.captured**ip.Percent/100, cur)
			default:
				if q > pr.fulfilled {
					return nil, problem.Invalidf(param+".quantity", "Item '%s' has %d shipped unit(s); cannot refund %d.", it.ID, pr.fulfilled, q)
				}
				v = a.unitsRefundValue(it, q, cur)
			}
			if minorOf(v, cur) <= 0 {
				return nil, problem.Invalidf(param+".amount", "Item '%s' has nothing captured to refund, or the amount rounds to nothing.", it.ID)
			}
			if minorOf(held[it.ID]+v, cur) > minorOf(it.AvailableToRefundAmount, cur) {
				return nil, overAvailable(round(held[it.ID]+v, cur), it.AvailableToRefundAmount)
			}
			held[it.ID] = round(held[it.ID]+v, cur)
			amount = round(amount+v, cur)
			items = append(items, RefundItem{ItemID: it.ID, SKUID: it.SKUID, Quantity: q, Amount: v})
			alloc = append(alloc, allocation{itemID: it.ID, amount: v})
		}
	}
	if p.Type != "" && minorOf(amount, cur) > minorOf(componentTotal(o, p.Type), cur) {
		return nil, overAvailable(amount, componentTotal(o, p.Type))
	}
	if minorOf(amount, cur) > minorOf(o.AvailableToRefundAmount, cur) {
		return nil, overAvailable(amount, o.AvailableToRefundAmount)
	}
	if alloc == nil {
		alloc = distribute(amount, o)
	}
	r := a.newRefund(o, amount, items, alloc)
	r.Type, r.Reason, r.Metadata, r.InvoiceID = p.Type, p.Reason, p.Metadata, p.InvoiceID
	a.record(refundEvent(r), r, nil)
	return clone(r), nil
}

// refundEvent is the event a new refund records: refund.pending, or
// refund.pending_information when it waits for the customer's details.
func refundEvent(r *Refund) string {
	if r.State == "pending_information" {
		return "refund.pending_information"
	}
	return "refund.pending"
}

// newRefund stores a pending refund (pending_information for a delayed
// method), adds its entry to the charge and takes it off
// availableToRefundAmount. Caller holds a.mu and records refundEvent(r)
// once the refund is complete.
func (a *Account) newRefund(o *Order, amount float64, items []RefundItem, alloc []allocation) *Refund {
	now := a.now()
	r := &Refund{
		ID: "re_" + newUUID(), OrderID: o.ID, Currency: o.Currency, Amount: amount, Items: items,
		State: "pending", CreatedTime: now,
	}
	note := &refundNote{alloc: alloc}
	a.refundNotes.set(r.ID, note)
	if len(o.Payment.Sources) > 0 && delayed(o.Payment.Sources[0]) {
		// A delayed (asynchronous) method needs the customer's bank
		// details first: DR creates the refund pending_information with
		// a token (DR's "Refunding asynchronous payment methods").
		r.State = "pending_information"
		r.TokenInformation = &TokenInformation{Token: newUUID(), ExpiresTime: now.Add(refundInfoLifetime)}
	}
	if ch := orderCharge(o); ch != nil {
		op := &ChargeOperation{ID: newUUID(), CreatedTime: now, Amount: amount, State: r.State}
		ch.Refunds = append(ch.Refunds, op)
		note.entry = op.ID
	}
	a.refunds.put(r.ID, r)
	o.UpdatedTime = now
	a.refreshRefundable(o)
	return r
}

// distribute spreads an order-level refund over the items in proportion to
// what each has left to refund, in whole minor units (largest shares first
// get the leftover units), so that item and order availability agree.
func distribute(amount float64, o *Order) []allocation {
	cur := o.Currency
	total := minorOf(amount, cur)
	avail := make([]int64, len(o.Items))
	var sum int64
	for i, it := range o.Items {
		avail[i] = max(minorOf(it.AvailableToRefundAmount, cur), 0)
		sum += avail[i]
	}
	if total <= 0 || sum <= 0 {
		return nil
	}
	total = min(total, sum)
	shares := make([]int64, len(avail))
	var given int64
	for i, v := range avail {
		shares[i] = min(int64(math.Floor(float64(total)*float64(v)/float64(sum))), v)
		given += shares[i]
	}
	for i := 0; given < total; i = (i + 1) % len(shares) {
		if shares[i] < avail[i] {
			shares[i]++
			given++
		}
	}
	for i := len(shares) - 1; given > total; i = (i + len(shares) - 1) % len(shares) {
		if shares[i] > 0 {
			shares[i]--
			given--
		}
	}
	scale := math.Pow10(minorUnits(cur))
	var out []allocation
	for i, s := range shares {
		if s > 0 {
			out = append(out, allocation{itemID: o.Items[i].ID, amount: float64(s) / scale})
		}
	}
	return out
}

// Refund is GET /refunds/{id}.
func (a *Account) Refund(id string) (*Refund, error) {
	return find(a, &a.refunds, KindRefund, id)
}

// RefundFilter is GET /refunds' query.
type RefundFilter struct {
	ListParams
	IDs     []string
	OrderID string
	State   string
}

// Refunds is GET /refunds.
func (a *Account) Refunds(f RefundFilter) (Page[*Refund], error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return pageOf(&a.refunds, func(r *Refund) bool {
		return (len(f.IDs) == 0 || contains(f.IDs, r.ID)) && (f.OrderID == "" || r.OrderID == f.OrderID) &&
			(f.State == "" || r.State == f.State)
	}, f.ListParams)
}

// RefundUpdateParams is POST /refunds/{id}: DR allows only metadata.
type RefundUpdateParams = client.MetadataParams

// UpdateRefund is POST /refunds/{id}.
func (a *Account) UpdateRefund(id string, p RefundUpdateParams) (*Refund, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	r, ok := a.refunds.get(id)
	if !ok {
		return nil, problem.NotFoundID("Refund", id)
	}
	defer a.useOrder(r.OrderID)()
	if p.Metadata != nil {
		r.Metadata = p.Metadata
	}
	return clone(r), nil
}

// pendingRefund finds a refund the control API may settle, and its order.
// Caller holds a.mu.
func (a *Account) pendingRefund(id string) (*Refund, *Order, error) {
	r, ok := a.refunds.get(id)
	if !ok {
		return nil, nil, problem.NotFoundID("Refund", id)
	}
	if r.State != "pending" && r.State != "pending_information" {
		return nil, nil, problem.Conflictf("invalid_state", "Refund '%s' is %s; only a pending or pending_information refund can complete or fail.", id, r.State)
	}
	o, ok := a.orders.get(r.OrderID)
	if !ok {
		return nil, nil, problem.NotFoundID("Order", r.OrderID) // orders are never deleted
	}
	return r, o, nil
}

// CompleteRefund is the control API's POST /_sim/refunds/{id}/complete:
// what DR does when the payment provider confirms a refund (usually within
// 24 h). Events, in this order [choice]: refund.complete (state succeeded),
// order.charge.refund.complete, order.refunded. An order paid with a
// refund-failing test card fails instead (as FailRefund).
func (a *Account) CompleteRefund(id string) (*Refund, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	r, o, err := a.pendingRefund(id)
	if err != nil {
		return nil, err
	}
	defer a.useCustomer(o.CustomerID)()
	ch := orderCharge(o)
	if a.sourceBehaviour(ch).refundFails {
		a.failRefund(r, o, "The payment provider declined the refund (test card).")
		return clone(r), nil
	}
	now := a.now()
	cur := o.Currency
	r.State = "succeeded"
	r.RefundedAmount = r.Amount
	for i := range r.Items {
		r.Items[i].RefundedAmount = r.Items[i].Amount
	}
	op := a.settleRefundEntry(ch, r, "complete", "")
	r.Charges = refundCharges(ch, op)
	o.RefundedAmount = round(o.RefundedAmount+r.Amount, cur)
	o.UpdatedTime = now
	if ret := a.noteOf(r).returnID; ret != "" {
		a.markReturned(o, ret, now)
	}
	a.refreshRefundable(o)
	a.record("refund.complete", r, nil)
	if ch != nil {
		a.record("order.charge.refund.complete", ch, nil)
	}
	a.record("order.refunded", o, nil)
	a.issueCreditMemo(o, r) // documents.go: the credit memo PDF and order.credit_memo.created
	return clone(r), nil
}

// FailRefund is the control API's POST /_sim/refunds/{id}/fail: the refund
// fails (refund.failed, order.charge.refund.failed) and its amount is
// available to refund again.
func (a *Account) FailRefund(id, reason string) (*Refund, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	r, o, err := a.pendingRefund(id)
	if err != nil {
		return nil, err
	}
	defer a.useCustomer(o.CustomerID)()
	a.failRefund(r, o, reason)
	return clone(r), nil
}

func (a *Account) failRefund(r *Refund, o *Order, reason string) {
	now := a.now()
	ch := orderCharge(o)
	r.State = "failed"
	r.RefundedAmount = 0
	r.FailureReason = reason
	op := a.settleRefundEntry(ch, r, "failed", "refund_failed")
	r.Charges = refundCharges(ch, op)
	o.UpdatedTime = now
	if ret := a.noteOf(r).returnID; ret != "" {
		a.releaseReturn(o, ret)
	}
	a.refreshRefundable(o)
	a.record("refund.failed", r, nil)
	if ch != nil {
		a.record("order.charge.refund.failed", ch, nil)
	}
}

// settleRefundEntry moves refund r's entry on the charge to state. Caller
// holds a.mu.
func (a *Account) settleRefundEntry(ch *Charge, r *Refund, state, failureCode string) *ChargeOperation {
	if ch == nil {
		return nil
	}
	entry := a.noteOf(r).entry
	for _, op := range ch.Refunds {
		if op.ID == entry {
			op.State, op.FailureCode = state, failureCode
			settleCharge(ch)
			return op
		}
	}
	return nil
}

// refundCharges is a refund's charges[]: the charge with this refund's entry.
func refundCharges(ch *Charge, op *ChargeOperation) []RefundCharge {
	if ch == nil || op == nil {
		return nil
	}
	return []RefundCharge{{ID: ch.ID, Captured: ch.Captured, Refunded: ch.Refunded, Refunds: []RefundChargeEntry{{CreatedTime: op.CreatedTime, Amount: op.Amount, State: op.State}}, SourceID: ch.SourceID}}
}
