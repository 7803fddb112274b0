package state

import (
	"net/mail"
	"time"

	"github.com/drsim/drsim/simulator/client"
	"github.com/drsim/drsim/simulator/internal/problem"
)

// DR's billing-invoice write endpoints (docs/dr-api.md#invoice-billing-invoice-not-a-pdf):
// POST /invoices, POST and DELETE /invoices/{id}, POST /invoices/{id}/open
// (draft only) and /void (open only, else 409 invalid_state). The
// request shapes are DR's SDK models InvoiceRequest, InvoiceItemRequest and
// UpdateInvoiceRequest; what they do beyond the states is not documented,
// and drsim's choices are listed in docs/dr-api.md ("Billing invoices made
// through the API").

type (
	InvoiceParams       = client.InvoiceParams
	InvoiceItemParams   = client.InvoiceItemParams
	InvoiceUpdateParams = client.InvoiceUpdateParams
)

// invoiceChargeTypes are Charge.type's values (docs/dr-api.md#order).
var invoiceChargeTypes = []string{"merchant_initiated", "customer_initiated"}

// validateInvoice checks what needs no account data. It fills defaults.
func validateInvoice(p *InvoiceParams) error {
	switch {
	case p.CustomerID == "":
		return problem.Missing("customerId")
	case p.Currency == "":
		return problem.Missing("currency")
	case len(p.Currency) != 3:
		return problem.Invalidf("currency", "currency must be a three-letter ISO code, got '%s'.", p.Currency)
	case p.State != "" && p.State != "draft":
		return problem.Invalidf("state", "An invoice is created as a draft; open it with POST /invoices/{id}/open (got state '%s').", p.State)
	case p.ChargeType != "" && !contains(invoiceChargeTypes, p.ChargeType):
		return problem.Invalidf("chargeType", "chargeType must be merchant_initiated or customer_initiated, got '%s'.", p.ChargeType)
	case p.CollectionPeriodDays != nil && (*p.CollectionPeriodDays < 0 || *p.CollectionPeriodDays > maxPlanDays):
		return problem.Invalidf("collectionPeriodDays", "collectionPeriodDays must be between 0 and %d, got %d.", maxPlanDays, *p.CollectionPeriodDays)
	case len(p.Items) == 0:
		return problem.Missing("items")
	}
	if p.Email != "" {
		if _, err := mail.ParseAddress(p.Email); err != nil {
			return problem.Invalidf("email", "'%s' is not a valid email address.", p.Email)
		}
	}
	if p.ChargeType == "" {
		p.ChargeType = "merchant_initiated"
	}
	for i, it := range p.Items {
		q := 1
		if it.Quantity != nil {
			q = *it.Quantity
		}
		switch {
		case it.SKUID == "":
			return problem.Missing(itemParam(i, "skuId"))
		case it.Price == nil:
			return problem.Missing(itemParam(i, "price"))
		case *it.Price < 0:
			return problem.Invalidf(itemParam(i, "price"), "price cannot be negative.")
		case q < 1 || q > 1_000_000:
			return problem.Invalidf(itemParam(i, "quantity"), "quantity must be between 1 and 1000000, got %d.", q)
		case *it.Price*float64(q) > maxAmount:
			return problem.Invalidf(itemParam(i, "price"), "price × quantity cannot exceed %.0f.", maxAmount)
		}
	}
	return nil
}

// CreateInvoice is POST /invoices: a draft billing invoice of the
// customer's (invoice.created). Line amount = price × quantity; no tax
// [choice: DR computes it, and the request carries no rate]; the payment
// source is sourceId, else the customer's default source.
func (a *Account) CreateInvoice(p InvoiceParams) (*Invoice, error) {
	if err := validateInvoice(&p); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	c, ok := a.customers.get(p.CustomerID)
	if !ok {
		return nil, problem.NotFoundID("Customer", p.CustomerID)
	}
	defer a.useCustomer(c.ID)()
	for _, it := range p.Items {
		if _, ok := a.skus.get(it.SKUID); !ok {
			return nil, problem.NotFoundID("SKU", it.SKUID)
		}
	}
	srcID := firstNonEmpty(p.SourceID, c.DefaultSourceID)
	var src *Source
	if srcID != "" {
		s, ok := a.sources.get(srcID)
		switch {
		case !ok:
			return nil, problem.NotFoundID("Source", srcID)
		case s.CustomerID != c.ID:
			return nil, problem.Invalidf("sourceId", "Source '%s' is not attached to customer '%s'; attach it with POST /customers/%s/sources/%s first.", s.ID, c.ID, c.ID, s.ID)
		case s.State != "chargeable":
			return nil, problem.Conflictf("source_not_chargeable", "Source '%s' is %s, not chargeable.", s.ID, s.State)
		}
		src = s
	}
	now := a.now()
	cur := p.Currency
	inv := &Invoice{
		ID:               randomHex(16),
		State:            "draft",
		StateTransitions: map[string]time.Time{"draft": now},
		Description:      p.Description,
		CustomerID:       c.ID,
		Email:            firstNonEmpty(p.Email, c.Email),
		Currency:         cur,
		Locale:           firstNonEmpty(p.Locale, c.Locale),
		Items:            make([]*InvoiceItem, 0, len(p.Items)),
		Payment:          InvoicePayment{Sources: []*InvoiceSource{}},
		ChargeType:       p.ChargeType,
		BillTo:           p.BillTo,
		ShipTo:           p.ShipTo,
		Metadata:         p.Metadata,
		CreatedTime:      now,
		UpdatedTime:      now,
	}
	if p.CollectionPeriodDays != nil {
		inv.CollectionPeriodDays = *p.CollectionPeriodDays
	}
	se := defaultSellingEntity
	inv.SellingEntity = &se
	var subtotal float64
	for _, it := range p.Items {
		q := 1
		if it.Quantity != nil {
			q = *it.Quantity
		}
		sku, _ := a.skus.get(it.SKUID)
		pd := ProductDetails{ID: sku.ID, Name: sku.Name, Description: sku.Description, Image: sku.Image, URL: sku.URL}
		if it.ProductDetails != nil {
			pd = *it.ProductDetails
		}
		amount := round(*it.Price*float64(q), cur)
		var info *SubscriptionInfo
		if it.SubscriptionInfo != nil {
			si := *it.SubscriptionInfo
			info = &si
		}
		inv.Items = append(inv.Items, &InvoiceItem{SKUID: it.SKUID, ProductDetails: pd, Amount: amount, Quantity: q, SubscriptionInfo: info})
		subtotal += amount
	}
	inv.Subtotal = round(subtotal, cur)
	inv.TotalAmount = inv.Subtotal
	if src != nil {
		is := &InvoiceSource{ID: src.ID, Type: src.Type, CustomerID: src.CustomerID}
		if src.CreditCard != nil {
			cc := *src.CreditCard
			is.CreditCard = &cc
		}
		inv.Payment.Sources = append(inv.Payment.Sources, is)
	}
	a.invoices.put(inv.ID, inv)
	a.record("invoice.created", inv, nil)
	return clone(inv), nil
}

// writableInvoice is invoice id for a write: 404 when unknown. The
// returned func restores the clock (the customer's). Caller holds a.mu.
func (a *Account) writableInvoice(id string) (*Invoice, func(), error) {
	inv, ok := a.invoices.get(id)
	if !ok {
		return nil, func() {}, problem.NotFoundID("Invoice", id)
	}
	return inv, a.useCustomer(inv.CustomerID), nil
}

// managedBySubscription refuses a state change of the invoice of a
// subscription's cycle [choice]: its subscription's schedule opens,
// charges and voids it (cancel the subscription, or give it a new
// sourceId). Caller holds a.mu.
func (a *Account) managedBySubscription(inv *Invoice, action string) error {
	if sub, ok := a.invoiceSub[inv.ID]; ok {
		return problem.Conflictf("invalid_state", "Invoice '%s' bills subscription '%s': its schedule opens, charges and voids it, and drsim does not %s it through the invoice API (cancel the subscription, or give it a new sourceId).", inv.ID, sub, action)
	}
	return nil
}

// UpdateInvoice is POST /invoices/{id}: metadata only (DR's
// UpdateInvoiceRequest), in any state. It emits invoice.updated with
// previousAttributes [choice], {} when nothing changed.
func (a *Account) UpdateInvoice(id string, p InvoiceUpdateParams) (*Invoice, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	inv, restore, err := a.writableInvoice(id)
	defer restore()
	if err != nil {
		return nil, err
	}
	if p.Metadata == nil {
		return nil, problem.Missing("metadata")
	}
	before := snapshot(inv)
	inv.Metadata = p.Metadata
	prev := previousAttributes(before, snapshot(inv))
	inv.UpdatedTime = a.now()
	a.record("invoice.updated", inv, prev)
	return clone(inv), nil
}

// DeleteInvoice is DELETE /invoices/{id}: a draft only, else 409
// invalid_state [choice, as for subscriptions]. No event: DR's invoice
// events name none for a deletion.
func (a *Account) DeleteInvoice(id string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	inv, restore, err := a.writableInvoice(id)
	defer restore()
	if err != nil {
		return err
	}
	if err := a.managedBySubscription(inv, "delete"); err != nil {
		return err
	}
	if inv.State != "draft" {
		return problem.Conflictf("invalid_state", "Invoice '%s' is %s; only a draft invoice can be deleted.", inv.ID, inv.State)
	}
	a.invoices.remove(id)
	return nil
}

// OpenInvoice is POST /invoices/{id}/open: a draft becomes open
// (invoice.open, invoice.updated); any other state is 409 invalid_state.
// No charge is attempted: DR does not document what collects an invoice
// opened through the API (docs/dr-api.md).
func (a *Account) OpenInvoice(id string) (*Invoice, error) {
	return a.moveInvoice(id, "open", "draft")
}

// VoidInvoice is POST /invoices/{id}/void: an open invoice becomes void
// (invoice.void, invoice.updated); any other state is 409 invalid_state,
// as DR documents.
func (a *Account) VoidInvoice(id string) (*Invoice, error) {
	return a.moveInvoice(id, "void", "open")
}

func (a *Account) moveInvoice(id, to, from string) (*Invoice, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	inv, restore, err := a.writableInvoice(id)
	defer restore()
	if err != nil {
		return nil, err
	}
	if err := a.managedBySubscription(inv, to); err != nil {
		return nil, err
	}
	if inv.State != from {
		return nil, problem.Conflictf("invalid_state", "Invoice '%s' is %s; only a%s %s invoice can be %s.", inv.ID, inv.State, article(from), from, map[string]string{"open": "opened", "void": "voided"}[to])
	}
	a.setInvoiceState(inv, to, a.now())
	return clone(inv), nil
}

// article is "n" before a vowel: "an open", "a draft".
func article(word string) string {
	if word != "" && (word[0] == 'a' || word[0] == 'e' || word[0] == 'i' || word[0] == 'o' || word[0] == 'u') {
		return "n"
	}
	return ""
}
