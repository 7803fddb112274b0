package state

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/drsim/drsim/simulator/client"
	"github.com/drsim/drsim/simulator/internal/problem"
	"github.com/drsim/drsim/simulator/internal/wire"
)

// SubscriptionInfo is subscriptionInfo on a checkout line (the control API's
// POST /_sim/orders), an order line and a billing-invoice line
// (docs/dr-api.md#subscription). On a checkout line subscriptionId is optional (merchant-supplied;
// a UUID otherwise) and autoRenewal defaults to true.
type SubscriptionInfo = client.SubscriptionInfo

// The subscription types are package client's: DR's wire form. What the
// simulator keeps on a subscription beyond it is the account's subNotes.
type (
	SubscriptionItem = client.SubscriptionItem
	// Subscription is DR's Subscription (docs/dr-api.md#subscription).
	// Dates are whole-second RFC 3339 in UTC like every other timestamp,
	// except inside the pair events, which write DR's
	// "…T21:09:39.061+0000" (events.go).
	Subscription = client.Subscription
)

// subscriptionNote is what the simulator keeps on a subscription beyond
// its wire form.
type subscriptionNote struct {
	acqOrderID  string // the acquisition order
	email       string // the acquisition order's email: the billing invoices'
	terms       string
	freeTrial   bool
	autoRenewal bool
	// taxRates are the tax rates of Items, by position: from the
	// acquisition lines; renewal tax = round(amount × rate).
	taxRates []float64
	sched    schedule // what the virtual clock will do next (schedule.go)
}

// schedOf is what the virtual clock will do next to subscription s.
// Caller holds a.mu.
func (a *Account) schedOf(s *Subscription) *schedule { return &a.subNote(s).sched }

// subNote is subscription s's note (made with the subscription). Caller
// holds a.mu.
func (a *Account) subNote(s *Subscription) *subscriptionNote {
	n := a.subNotes[s.ID]
	if n == nil {
		n = &subscriptionNote{}
		a.subNotes.set(s.ID, n)
	}
	return n
}

var subscriptionStates = []string{"draft", "active", "activeFree", "activePendingInvoice", "cancelled", "failed", "ended", "lapsed"}

// isActive reports whether the subscription is in one of DR's three active states.
func isActive(s *Subscription) bool {
	return s.State == "active" || s.State == "activeFree" || s.State == "activePendingInvoice"
}

// subscriptionCheckout is what PlaceOrder learns from the subscriptionInfo
// of a checkout's lines.
type subscriptionCheckout struct {
	items  []PlaceItem // the lines as given
	lines  []PlaceItem // the lines as charged: a free-trial line costs 0
	groups []*subscriptionGroup
}

// subscriptionGroup is the lines of one new subscription.
type subscriptionGroup struct {
	id    string
	plan  *Plan
	info  SubscriptionInfo
	lines []int
}

func subInfoParam(i int, field string) string { return itemParam(i, "subscriptionInfo."+field) }

// prepareSubscriptions checks the subscriptionInfo of a checkout's lines
// and groups them into new subscriptions: lines with the same
// subscriptionId (or, when none is given, the same planId) share one.
// Nothing changes yet. Caller holds a.mu.
//
// A freeTrial line's price is 0, on the order and on the subscription's
// item (DR: the merchant sets the paid price or plan during the trial; a
// price still 0 at the trial's end leaves the subscription activeFree).
func (a *Account) prepareSubscriptions(items []PlaceItem) (*subscriptionCheckout, error) {
	sc := &subscriptionCheckout{items: items, lines: append([]PlaceItem(nil), items...)}
	byKey := map[string]*subscriptionGroup{}
	for i, it := range items {
		si := it.SubscriptionInfo
		if si == nil {
			continue
		}
		if si.PlanID == "" {
			return nil, problem.Missing(subInfoParam(i, "planId"))
		}
		plan, ok := a.plans.get(si.PlanID)
		if !ok {
			return nil, problem.NotFoundID("Plan", si.PlanID)
		}
		if plan.State != "active" {
			return nil, problem.Invalidf(subInfoParam(i, "planId"), "Plan '%s' is %s; only an active plan takes new subscriptions.", plan.ID, plan.State)
		}
		if len(si.SubscriptionID) > 100 {
			return nil, problem.Invalidf(subInfoParam(i, "subscriptionId"), "subscriptionId must be at most 100 characters.")
		}
		if si.SubscriptionID != "" {
			if _, taken := a.subs.get(si.SubscriptionID); taken {
				return nil, problem.Conflictf("conflict", "Subscription '%s' already exists.", si.SubscriptionID)
			}
		}
		key := "id:" + si.SubscriptionID
		if si.SubscriptionID == "" {
			key = "plan:" + si.PlanID
		}
		g, ok := byKey[key]
		if !ok {
			g = &subscriptionGroup{id: si.SubscriptionID, plan: plan, info: *si}
			if g.id == "" {
				g.id = newUUID()
			}
			byKey[key] = g
			sc.groups = append(sc.groups, g)
		} else if g.info.PlanID != si.PlanID || g.info.FreeTrial != si.FreeTrial {
			return nil, problem.Invalidf(subInfoParam(i, "planId"), "Lines of one subscription must share planId and freeTrial.")
		}
		g.lines = append(g.lines, i)
		if si.FreeTrial {
			sc.lines[i].Price, sc.lines[i].Discount = 0, 0
		}
	}
	return sc, nil
}

// startSubscriptions creates the draft subscriptions of a new order
// (subscription.created) and marks the order's lines with their
// subscriptionInfo. A subscription needs a reusable source: when the order
// pays with a card that is not saved, the checkout saves it to the customer
// (reusable, chargeable, first source → default) [choice], with no
// customer.source.created event. Caller holds a.mu.
func (a *Account) startSubscriptions(sc *subscriptionCheckout, o *Order, c *Customer, src *Source, now time.Time) {
	if len(sc.groups) == 0 {
		return
	}
	if !src.Reusable {
		src.Reusable, src.State, src.CustomerID = true, "chargeable", c.ID
		c.Sources = append(c.Sources, src)
		if c.DefaultSourceID == "" {
			c.DefaultSourceID = src.ID
		}
		c.UpdatedTime = now
	}
	for _, g := range sc.groups {
		autoRenewal := g.info.AutoRenewal == nil || *g.info.AutoRenewal
		terms := firstNonEmpty(g.info.Terms, g.plan.Terms)
		s := &Subscription{
			ID:               g.id,
			State:            "draft",
			StateTransitions: map[string]time.Time{},
			PlanID:           g.plan.ID,
			Items:            []*SubscriptionItem{},
			Currency:         o.Currency,
			Locale:           o.Locale,
			CreatedTime:      now,
			UpdatedTime:      now,
		}
		note := &subscriptionNote{acqOrderID: o.ID, email: o.Email, terms: terms, freeTrial: g.info.FreeTrial, autoRenewal: autoRenewal}
		for _, i := range g.lines {
			pi := sc.items[i]
			price := pi.Price
			if g.info.FreeTrial {
				price = 0 // DR: a trial line costs 0 until the merchant sets the paid price
			}
			s.Items = append(s.Items, &SubscriptionItem{SKUID: pi.SKUID, Price: price, Quantity: pi.Quantity})
			note.taxRates = append(note.taxRates, pi.TaxRate)
			o.Items[i].SubscriptionInfo = &SubscriptionInfo{
				SubscriptionID: s.ID, PlanID: s.PlanID, Terms: terms, AutoRenewal: &autoRenewal, FreeTrial: g.info.FreeTrial,
			}
		}
		a.subs.put(s.ID, s)
		a.subNotes.set(s.ID, note)
		a.record("subscription.created", s, nil)
	}
}

// activate fills a draft subscription from its acquisition order and starts
// its first period: active (stateTransitions.activated), or activeFree
// (activatedFree) for a free trial. Caller holds a.mu.
func (a *Account) activate(s *Subscription, o *Order, at time.Time) {
	before := snapshot(s)
	plan, _ := a.plans.get(s.PlanID)
	s.CustomerID = o.CustomerID
	if len(o.Payment.Sources) > 0 {
		s.SourceID = o.Payment.Sources[0].ID
	}
	binding := at.AddDate(0, 0, plan.ContractBindingDays)
	s.ContractBindingUntil = &binding
	a.beginPeriod(s, plan, at, at)
	if a.subNote(s).freeTrial {
		s.State = "activeFree"
		s.StateTransitions["activatedFree"] = at
	} else {
		s.State = "active"
		s.StateTransitions["activated"] = at
	}
	s.UpdatedTime = at
	a.record("subscription.updated", s, previousAttributes(before, snapshot(s)))
}

// Subscription is GET /subscriptions/{id}.
func (a *Account) Subscription(id string) (*Subscription, error) {
	return find(a, &a.subs, KindSubscription, id)
}

// SubscriptionFilter is GET /subscriptions' query.
type SubscriptionFilter struct {
	ListParams
	PlanID     string
	State      string
	CustomerID string
}

// Subscriptions is GET /subscriptions.
func (a *Account) Subscriptions(f SubscriptionFilter) (Page[*Subscription], error) {
	if f.State != "" && !contains(subscriptionStates, f.State) {
		return Page[*Subscription]{}, problem.Invalidf("state", "'%s' is not a subscription state.", f.State)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return pageOf(&a.subs, func(s *Subscription) bool {
		return (f.PlanID == "" || s.PlanID == f.PlanID) && (f.State == "" || s.State == f.State) &&
			(f.CustomerID == "" || s.CustomerID == f.CustomerID)
	}, f.ListParams)
}

// SubscriptionItemParams is one line of POST /subscriptions/{id} {items}.
type SubscriptionItemParams = client.SubscriptionItemParams

// SubscriptionUpdateParams is the body of POST /subscriptions/{id}: either
// exactly {"state":"active"} or {"state":"cancelled"}, or any of the other
// fields.
type SubscriptionUpdateParams = client.SubscriptionUpdateParams

func hasTermsFields(p *SubscriptionUpdateParams) bool {
	return p.PlanID != nil || p.SourceID != nil || p.Items != nil || p.Locale != nil || p.Metadata != nil
}

// UpdateSubscription is POST /subscriptions/{id} (docs/dr-api.md#subscription, docs/lifecycles.md#subscription-dr-coordinated).
// Every success emits subscription.updated, as DR documents ("each success
// emits subscription.updated"), with previousAttributes holding the old
// value of each field that changed: {} when the request changed nothing
// [choice] (updatedTime still moves; it is never in previousAttributes).
//
// A new sourceId is the way out of trouble [choice]: during dunning
// (activePendingInvoice) the open invoice is voided and a new one is opened
// and charged at once with the new source; while subscription.source_invalid
// is pending (before subscription.lapsed) the invoice is opened and charged
// at once. Both happen in the same request, after subscription.updated.
func (a *Account) UpdateSubscription(id string, p SubscriptionUpdateParams) (*Subscription, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s, ok := a.subs.get(id)
	if !ok {
		return nil, problem.NotFoundID("Subscription", id)
	}
	// A draft has no customerId yet: its clock is its acquisition order's customer's.
	defer a.useOrder(a.subNote(s).acqOrderID)()
	now := a.now()
	if p.State != nil {
		if hasTermsFields(&p) {
			return nil, problem.Conflictf("restricted_update", "Activating or cancelling a subscription takes a body of exactly {\"state\":\"%s\"}.", *p.State)
		}
		switch *p.State {
		case "active":
			if err := a.activateOnRequest(s, now); err != nil {
				return nil, err
			}
		case "cancelled":
			if err := a.cancel(s, now); err != nil {
				return nil, err
			}
		default:
			return nil, problem.Invalidf("state", "state can only be set to 'active' or 'cancelled', got '%s'.", *p.State)
		}
		return clone(s), nil
	}
	if !hasTermsFields(&p) {
		return nil, problem.Bad("missing_parameter", "", "Give state, or at least one of planId, sourceId, items, locale, metadata.")
	}
	if s.State != "draft" && !isActive(s) {
		return nil, problem.Conflictf("invalid_state", "Subscription '%s' is %s and cannot be updated.", s.ID, s.State)
	}
	items, rates, err := a.checkTerms(s, p)
	if err != nil {
		return nil, err
	}
	before := snapshot(s)
	if p.PlanID != nil {
		s.PlanID = *p.PlanID
	}
	if items != nil {
		s.Items, a.subNote(s).taxRates = items, rates
	}
	if p.Locale != nil {
		s.Locale = *p.Locale
	}
	if p.Metadata != nil {
		s.Metadata = p.Metadata
	}
	sourceChanged := p.SourceID != nil && *p.SourceID != s.SourceID
	if p.SourceID != nil {
		s.SourceID = *p.SourceID
	}
	prev := previousAttributes(before, snapshot(s))
	s.UpdatedTime = now
	a.record("subscription.updated", s, prev)
	if sourceChanged {
		switch {
		case s.State == "activePendingInvoice":
			a.reissueInvoice(s, now)
		case a.schedOf(s).lapseAt != nil:
			a.invoiceDue(s, now)
		}
	}
	return clone(s), nil
}

// checkTerms validates a terms update and returns the new items and their
// tax rates (nil when items is not being changed). Caller holds a.mu.
func (a *Account) checkTerms(s *Subscription, p SubscriptionUpdateParams) ([]*SubscriptionItem, []float64, error) {
	if p.PlanID != nil {
		plan, ok := a.plans.get(*p.PlanID)
		if !ok {
			return nil, nil, problem.NotFoundID("Plan", *p.PlanID)
		}
		if plan.State != "active" {
			return nil, nil, problem.Invalidf("planId", "Plan '%s' is %s; a subscription can move only to an active plan.", plan.ID, plan.State)
		}
	}
	if p.SourceID != nil {
		if !isActive(s) {
			return nil, nil, problem.Conflictf("invalid_state", "Subscription '%s' is %s; its source can change only once it is active.", s.ID, s.State)
		}
		src, ok := a.sources.get(*p.SourceID)
		if !ok {
			return nil, nil, problem.NotFoundID("Source", *p.SourceID)
		}
		if src.State != "chargeable" {
			return nil, nil, problem.Conflictf("source_not_chargeable", "Source '%s' is %s, not chargeable.", src.ID, src.State)
		}
		if src.CustomerID != s.CustomerID {
			return nil, nil, problem.Invalidf("sourceId", "Source '%s' is not attached to customer '%s'; attach it with POST /customers/%s/sources/%s first.", src.ID, s.CustomerID, s.CustomerID, src.ID)
		}
	}
	if p.Locale != nil && *p.Locale == "" {
		return nil, nil, problem.Invalidf("locale", "locale cannot be empty.")
	}
	if p.Items == nil {
		return nil, nil, nil
	}
	if len(p.Items) == 0 {
		return nil, nil, problem.Invalidf("items", "A subscription needs at least one item.")
	}
	out := make([]*SubscriptionItem, 0, len(p.Items))
	rates := make([]float64, 0, len(p.Items))
	for i, ip := range p.Items {
		q := 1
		if ip.Quantity != nil {
			q = *ip.Quantity
		}
		switch {
		case ip.SKUID == "":
			return nil, nil, problem.Missing(itemParam(i, "skuId"))
		case ip.Price == nil:
			return nil, nil, problem.Missing(itemParam(i, "price"))
		case *ip.Price < 0:
			return nil, nil, problem.Invalidf(itemParam(i, "price"), "price cannot be negative.")
		case q < 1 || q > 1_000_000:
			return nil, nil, problem.Invalidf(itemParam(i, "quantity"), "quantity must be between 1 and 1000000, got %d.", q)
		case *ip.Price*float64(q) > maxAmount:
			return nil, nil, problem.Invalidf(itemParam(i, "price"), "price × quantity cannot exceed %.0f.", maxAmount)
		}
		if _, ok := a.skus.get(ip.SKUID); !ok {
			return nil, nil, problem.NotFoundID("SKU", ip.SKUID)
		}
		out = append(out, &SubscriptionItem{SKUID: ip.SKUID, Price: *ip.Price, Quantity: q})
		rates = append(rates, a.taxRateFor(s, ip.SKUID))
	}
	return out, rates, nil
}

// taxRateFor is the tax rate a new item line gets [choice]: that of the
// current line with the same SKU, else that of the first line.
// Caller holds a.mu.
func (a *Account) taxRateFor(s *Subscription, skuID string) float64 {
	rates := a.subNote(s).taxRates
	for i, it := range s.Items {
		if it.SKUID == skuID && i < len(rates) {
			return rates[i]
		}
	}
	if len(rates) > 0 {
		return rates[0]
	}
	return 0
}

// activateOnRequest is POST {"state":"active"}: a draft subscription whose
// acquisition order was accepted becomes active. (Accepting the order
// already does this, so the request matters only for a subscription whose
// order is still pending, which it refuses.) Caller holds a.mu.
func (a *Account) activateOnRequest(s *Subscription, now time.Time) error {
	if s.State != "draft" {
		return problem.Conflictf("invalid_state", "Subscription '%s' is %s; only a draft subscription can be activated.", s.ID, s.State)
	}
	o, ok := a.orders.get(a.subNote(s).acqOrderID)
	if !ok || o.State == "pending_payment" || o.State == "in_review" || o.State == "blocked" || o.State == "cancelled" {
		st := "gone"
		if ok {
			st = o.State
		}
		return problem.Conflictf("invalid_state", "The acquisition order of subscription '%s' is %s; a subscription is activated once its order is accepted.", s.ID, st)
	}
	a.activate(s, o, now)
	return nil
}

// cancel is POST {"state":"cancelled"}: the subscription ends, nothing more
// is billed, and its invoice in progress (draft or open) becomes void.
// Caller holds a.mu.
func (a *Account) cancel(s *Subscription, now time.Time) error {
	if !isActive(s) {
		return problem.Conflictf("invalid_state", "Subscription '%s' is %s; only an active subscription can be cancelled.", s.ID, s.State)
	}
	before := snapshot(s)
	s.State = "cancelled"
	s.StateTransitions["cancelled"] = now
	s.UpdatedTime = now
	inv := a.currentInvoice(s)
	*a.schedOf(s) = schedule{}
	a.record("subscription.updated", s, previousAttributes(before, snapshot(s)))
	a.voidInvoice(inv, now)
	return nil
}

// DeleteSubscription is DELETE /subscriptions/{id}: draft only, else 409
// invalid_state. subscription.deleted carries {} as its object and the
// subscription in previousAttributes (docs/events.md#subscription-events).
func (a *Account) DeleteSubscription(id string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	s, ok := a.subs.get(id)
	if !ok {
		return problem.NotFoundID("Subscription", id)
	}
	defer a.useCustomer(s.CustomerID)()
	if s.State != "draft" {
		return problem.Conflictf("invalid_state", "Subscription '%s' is %s; only a draft subscription can be deleted.", s.ID, s.State)
	}
	a.subs.remove(id)
	delete(a.subNotes, id)
	a.record("subscription.deleted", struct{}{}, s)
	return nil
}

// snapshot is an object's wire form, field by field.
func snapshot(v any) map[string]json.RawMessage {
	raw, err := wire.Marshal(v)
	if err != nil {
		panic("state: snapshot: " + err.Error()) // resources are plain data
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		panic("state: snapshot: " + err.Error())
	}
	return m
}

// previousAttributes is DR's data.previousAttributes: the old value (null
// when it had none) of every field that changed, except updatedTime. For
// stateTransitions only the changed keys appear, as in DR's sample
// {"stateTransitions":{"activated":null}}.
func previousAttributes(before, after map[string]json.RawMessage) map[string]any {
	null := json.RawMessage("null")
	prev := map[string]any{}
	for k, nv := range after {
		if k == "updatedTime" {
			continue
		}
		ov, had := before[k]
		if had && bytes.Equal(ov, nv) {
			continue
		}
		if !had {
			prev[k] = null
			continue
		}
		if k == "stateTransitions" {
			var o, n map[string]json.RawMessage
			if json.Unmarshal(ov, &o) == nil && json.Unmarshal(nv, &n) == nil {
				st := map[string]any{}
				for sk, sv := range n {
					if old, ok := o[sk]; !ok {
						st[sk] = null
					} else if !bytes.Equal(old, sv) {
						st[sk] = old
					}
				}
				prev[k] = st
				continue
			}
		}
		prev[k] = ov
	}
	for k, ov := range before {
		if _, still := after[k]; !still && k != "updatedTime" {
			prev[k] = ov
		}
	}
	return prev
}
