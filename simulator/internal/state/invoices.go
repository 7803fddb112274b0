package state

import (
	"time"

	"github.com/drsim/drsim/simulator/client"
	"github.com/drsim/drsim/simulator/internal/problem"
)

// The billing invoice types are package client's: DR's wire form. The
// subscription an invoice bills is the account's invoiceSub note.
type (
	// Invoice is DR's billing invoice
	// (docs/dr-api.md#invoice-billing-invoice-not-a-pdf): what one renewal
	// of a subscription bills. Not a PDF. Its id is 32 hex characters.
	//
	// States: draft (built for subscription.reminder, or just before
	// opening) → open (a charge is attempted at once) → paid |
	// uncollectible | void. [choice] A draft that will never be opened
	// (the subscription is cancelled, lapses or ends, or the total is 0)
	// also becomes void.
	Invoice        = client.Invoice
	InvoiceItem    = client.InvoiceItem
	InvoicePayment = client.InvoicePayment
	InvoiceSource  = client.InvoiceSource
	InvoiceCharge  = client.InvoiceCharge
)

// currentInvoice is the subscription's invoice of this cycle, if any.
// Caller holds a.mu.
func (a *Account) currentInvoice(s *Subscription) *Invoice {
	if a.schedOf(s).invoiceID == "" {
		return nil
	}
	inv, _ := a.invoices.get(a.schedOf(s).invoiceID)
	return inv
}

// draftInvoice returns the cycle's invoice, building a draft when there is
// none, and refreshes a draft from the subscription as it is now (plan
// name, items, prices, source). Caller holds a.mu.
func (a *Account) draftInvoice(s *Subscription, at time.Time) *Invoice {
	inv := a.currentInvoice(s)
	created := inv == nil
	if created {
		inv = &Invoice{
			ID:               randomHex(16),
			State:            "draft",
			StateTransitions: map[string]time.Time{"draft": at},
			ChargeType:       "merchant_initiated",
			CreatedTime:      at,
		}
		a.invoices.put(inv.ID, inv)
		a.invoiceSub.set(inv.ID, s.ID)
		a.schedOf(s).invoiceID = inv.ID
	}
	if inv.State != "draft" {
		return inv
	}
	plan, _ := a.plans.get(s.PlanID)
	cur := s.Currency
	inv.Description = plan.Name
	inv.CustomerID = s.CustomerID
	inv.Email = a.subNote(s).email
	inv.Currency = cur
	inv.Locale = s.Locale
	inv.CollectionPeriodDays = plan.CollectionPeriodDays
	// The seller and the addresses are the acquisition order's (DR's Invoice
	// model: sellingEntity, billTo, shipTo).
	if acq, ok := a.orders.get(a.subNote(s).acqOrderID); ok {
		se := acq.SellingEntity
		inv.SellingEntity, inv.BillTo, inv.ShipTo = &se, acq.BillTo, acq.ShipTo
	}
	inv.Items = make([]*InvoiceItem, 0, len(s.Items))
	var subtotal, tax float64
	rates := a.subNote(s).taxRates
	for i, it := range s.Items {
		pd := ProductDetails{ID: it.SKUID, Name: it.SKUID}
		if sku, ok := a.skus.get(it.SKUID); ok {
			pd = ProductDetails{ID: sku.ID, Name: sku.Name, Description: sku.Description, Image: sku.Image, URL: sku.URL}
		}
		amount := round(it.Price*float64(it.Quantity), cur)
		line := &InvoiceItem{
			SKUID: it.SKUID, ProductDetails: pd, Amount: amount, Quantity: it.Quantity,
			Tax:              Tax{Rate: rates[i], Amount: round(amount*rates[i], cur)},
			SubscriptionInfo: &SubscriptionInfo{SubscriptionID: s.ID, PlanID: s.PlanID, FreeTrial: false},
		}
		inv.Items = append(inv.Items, line)
		subtotal += amount
		tax += line.Tax.Amount
	}
	inv.Subtotal = round(subtotal, cur)
	inv.TotalTax = round(tax, cur)
	inv.TotalAmount = round(inv.Subtotal+inv.TotalTax, cur)
	inv.Payment.Sources = []*InvoiceSource{}
	if src, ok := a.sources.get(s.SourceID); ok {
		is := &InvoiceSource{ID: src.ID, Type: src.Type, CustomerID: src.CustomerID}
		if src.CreditCard != nil {
			cc := *src.CreditCard
			is.CreditCard = &cc
		}
		inv.Payment.Sources = append(inv.Payment.Sources, is)
	}
	inv.UpdatedTime = at
	if created {
		// DR's invoice events (docs/events.md): invoice.created when the
		// draft is built (at the reminder, or at the invoice date when no
		// reminder came first).
		a.record("invoice.created", inv, nil)
	}
	return inv
}

// setInvoiceState moves an invoice and records invoice.<state>, then
// invoice.updated with the state it left in previousAttributes (a later
// transition also emits invoice.updated: docs/events.md). Caller holds a.mu.
func (a *Account) setInvoiceState(inv *Invoice, state string, at time.Time) {
	old := inv.State
	inv.State = state
	inv.StateTransitions[state] = at
	inv.UpdatedTime = at
	a.record("invoice."+state, inv, nil)
	a.record("invoice.updated", inv, map[string]any{"state": old})
}

// voidInvoice voids a draft or open invoice (invoice.void); others are left alone.
func (a *Account) voidInvoice(inv *Invoice, at time.Time) {
	if inv != nil && (inv.State == "draft" || inv.State == "open") {
		a.setInvoiceState(inv, "void", at)
	}
}

// renewalOrder creates the order a paid invoice stands for: state complete
// at once (accepted, fulfilled and complete at the payment time), the
// invoice's lines with their subscriptionInfo, every unit delivered, one
// merchant_initiated charge captured in full. It records no order.* event [choice]: the
// merchant learns of renewals from subscription.extended, whose invoice
// carries orderId. Caller holds a.mu.
func (a *Account) renewalOrder(s *Subscription, inv *Invoice, src *Source, at time.Time) *Order {
	cur := inv.Currency
	o := &Order{
		ID:                      a.ids.numeric(),
		CustomerID:              inv.CustomerID,
		Email:                   inv.Email,
		Locale:                  firstNonEmpty(inv.Locale, "en_US"),
		Currency:                cur,
		State:                   "complete",
		StateTransitions:        map[string]time.Time{"accepted": at, "fulfilled": at, "complete": at},
		FraudState:              "passed",
		Subtotal:                inv.Subtotal,
		TotalTax:                inv.TotalTax,
		TotalDiscount:           inv.TotalDiscount,
		TotalAmount:             inv.TotalAmount,
		CapturedAmount:          inv.TotalAmount,
		AvailableToRefundAmount: inv.TotalAmount,
		SellingEntity:           defaultSellingEntity,
		CreatedTime:             at,
		UpdatedTime:             at,
	}
	if acq, ok := a.orders.get(a.subNote(s).acqOrderID); ok {
		o.BillTo, o.ShipTo = acq.BillTo, acq.ShipTo
	}
	for _, line := range inv.Items {
		info := *line.SubscriptionInfo
		id := a.ids.numeric()
		// Every unit is delivered and its money captured, as for an
		// order whose lines all shipped: refunds (by amount, percent or
		// item) and returns read this.
		a.progress.set(id, &itemProgress{fulfilled: line.Quantity, captured: round(line.Amount+line.Tax.Amount, cur)})
		o.Items = append(o.Items, &OrderItem{
			ID:                      id,
			SKUID:                   line.SKUID,
			ProductDetails:          line.ProductDetails,
			Quantity:                line.Quantity,
			Amount:                  line.Amount,
			State:                   "fulfilled",
			StateTransitions:        map[string]time.Time{"created": at, "fulfilled": at},
			Tax:                     line.Tax,
			AvailableToRefundAmount: round(line.Amount+line.Tax.Amount, cur),
			SubscriptionInfo:        &info,
		})
	}
	o.Payment = Payment{
		Sources: []*Source{src},
		Charges: []*Charge{{
			ID: newUUID(), CreatedTime: at, Currency: cur, Amount: o.TotalAmount, State: "complete", Captured: true,
			SourceID: src.ID, OrderID: o.ID, Type: "merchant_initiated",
			Captures: []*ChargeOperation{{ID: newUUID(), CreatedTime: at, Amount: o.TotalAmount, State: "complete"}},
		}},
	}
	a.orders.put(o.ID, o)
	return o
}

// Invoice is GET /invoices/{id}.
func (a *Account) Invoice(id string) (*Invoice, error) {
	return find(a, &a.invoices, KindInvoice, id)
}

// InvoiceFilter is GET /invoices' query.
type InvoiceFilter struct {
	ListParams
	State          string
	CustomerID     string
	SubscriptionID string
}

var invoiceStates = []string{"draft", "open", "paid", "uncollectible", "void"}

// Invoices is GET /invoices.
func (a *Account) Invoices(f InvoiceFilter) (Page[*Invoice], error) {
	if f.State != "" && !contains(invoiceStates, f.State) {
		return Page[*Invoice]{}, problem.Invalidf("state", "'%s' is not an invoice state.", f.State)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return pageOf(&a.invoices, func(inv *Invoice) bool {
		return (f.State == "" || inv.State == f.State) && (f.CustomerID == "" || inv.CustomerID == f.CustomerID) &&
			(f.SubscriptionID == "" || a.invoiceSub[inv.ID] == f.SubscriptionID)
	}, f.ListParams)
}
