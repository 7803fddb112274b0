package state

import (
	"time"

	"github.com/drsim/drsim/simulator/client"
	"github.com/drsim/drsim/simulator/internal/problem"
)

// ChargeOperation is one capture, cancel or refund on a charge (DR's
// Capture, Cancel and Refund models). The refund a refund entry belongs to
// is in the account's refundNotes.
type ChargeOperation = client.ChargeOperation

// itemProgress is what has happened to an order line's units and money.
// The wire shows only its consequences (item state, availableToRefundAmount).
type itemProgress struct {
	fulfilled, cancelled int // units shipped and cancelled by fulfillments
	returnRequested      int // units in returns that are created or accepted
	returnAccepted       int // units in accepted returns
	returned             int // units whose return refund succeeded
	captured             float64
	cancelledAmount      float64
}

// progressOf is what has happened to order line it: the account's
// progress note, which PlaceOrder makes for every line (and this, for a
// renewal order's, on first use). Caller holds a.mu.
func (a *Account) progressOf(it *OrderItem) *itemProgress {
	p := a.progress[it.ID]
	if p == nil {
		p = &itemProgress{}
		a.progress.set(it.ID, p)
	}
	return p
}

// remaining is how many units of line it are neither fulfilled nor
// cancelled. Caller holds a.mu.
func (a *Account) remaining(it *OrderItem) int {
	p := a.progressOf(it)
	return it.Quantity - p.fulfilled - p.cancelled
}

// itemTotal is what a line costs the customer: amount (after discount) +
// tax + its share of shipping and shipping tax.
func itemTotal(it *OrderItem, cur string) float64 {
	return round(it.Amount+it.Tax.Amount+it.Shipping.Amount+it.Shipping.TaxAmount, cur)
}

// unitsValue is the money of the first k units of a line [choice]: each unit
// is worth itemTotal ÷ quantity rounded to the currency, and the last unit
// takes the remainder, so that the captures and cancels of a line always add
// up to its total exactly. A fulfillment that takes units base..base+n of a
// line is worth unitsValue(base+n) − unitsValue(base).
func unitsValue(it *OrderItem, k int, cur string) float64 {
	if k <= 0 || it.Quantity <= 0 {
		return 0
	}
	total := itemTotal(it, cur)
	if k >= it.Quantity {
		return total
	}
	return round(total*float64(k)/float64(it.Quantity), cur)
}

// orderCharge is the order's charge (orders have one).
func orderCharge(o *Order) *Charge {
	if len(o.Payment.Charges) == 0 {
		return nil
	}
	return o.Payment.Charges[0]
}

// settleCharge derives a charge's state and flags from its operations:
// anything pending → processing; money neither captured, cancelled nor
// failed → capturable; a failed capture → failed; a capture (even of 0)
// complete → complete; everything cancelled → cancelled.
func settleCharge(ch *Charge) {
	var captured, cancelled, pending, failed float64
	anyCaptured, anyFailed, anyPending := false, false, false
	for _, op := range ch.Captures {
		switch op.State {
		case "complete":
			captured += op.Amount
			anyCaptured = true
		case "pending":
			pending += op.Amount
			anyPending = true
		case "failed":
			failed += op.Amount
			anyFailed = true
		}
	}
	for _, op := range ch.Cancels {
		switch op.State {
		case "complete":
			cancelled += op.Amount
		case "pending":
			pending += op.Amount
			anyPending = true
		}
	}
	ch.Captured = anyCaptured
	ch.Refunded = false
	for _, op := range ch.Refunds {
		ch.Refunded = ch.Refunded || op.State == "complete"
	}
	switch rest := round(ch.Amount-captured-cancelled-pending-failed, ch.Currency); {
	case anyPending:
		ch.State = "processing"
	case rest > 0:
		ch.State = "capturable"
	case anyFailed:
		ch.State = "failed"
	case anyCaptured:
		ch.State = "complete"
	default:
		ch.State = "cancelled"
	}
}

// sourceBehaviour is what the test card that pays for the charge does.
// Caller holds a.mu.
func (a *Account) sourceBehaviour(ch *Charge) cardBehaviour {
	if ch == nil {
		return cardBehaviour{}
	}
	if s, ok := a.sources.get(ch.SourceID); ok {
		return a.behaviours[s.ID]
	}
	return cardBehaviour{}
}

// refreshRefundable recomputes availableToRefundAmount on the order and its
// items: captured − (pending + succeeded refunds) (docs/dr-api.md#order). Caller
// holds a.mu.
func (a *Account) refreshRefundable(o *Order) {
	cur := o.Currency
	held := 0.0
	heldByItem := map[string]float64{}
	for _, r := range a.refunds.all() {
		if r.OrderID != o.ID || (r.State != "pending" && r.State != "pending_information" && r.State != "succeeded") {
			continue
		}
		held += r.Amount
		for _, al := range a.noteOf(r).alloc {
			heldByItem[al.itemID] += al.amount
		}
	}
	o.AvailableToRefundAmount = round(o.CapturedAmount-held, cur)
	for _, it := range o.Items {
		it.AvailableToRefundAmount = round(a.progressOf(it).captured-heldByItem[it.ID], cur)
	}
}

func setItemState(it *OrderItem, state string, at time.Time) {
	it.State = state
	if it.StateTransitions == nil {
		it.StateTransitions = map[string]time.Time{}
	}
	it.StateTransitions[state] = at
}

// Charge is GET /charges/{id}: an order's charge (DR's Charge, with its
// captures, cancels and refunds), found through the orders that hold it.
func (a *Account) Charge(id string) (*Charge, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, o := range a.orders.newestFirst(func(*Order) bool { return true }) {
		for _, ch := range o.Payment.Charges {
			if ch.ID == id {
				return clone(ch), nil
			}
		}
	}
	return nil, problem.NotFoundID("Charge", id)
}
