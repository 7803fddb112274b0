package state_test

import (
	"encoding/json"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/drsim/drsim/simulator/internal/state"
)

// Acquisition: the checkout creates a draft subscription (before
// order.pending_payment); accepting the order activates it.
func TestAcquisitionCreatesAndActivates(t *testing.T) {
	a := newAccount(t)
	cust := mustCustomer(t, a)
	sku := mustSKU(t, a, "Running Shoes")
	plan := mustPlan(t, a, state.PlanParams{Name: ptr("Monthly"), Interval: ptr("month"), ContractBindingDays: ptr(30),
		ReminderOffsetDays: ptr(5), BillingOffsetDays: ptr(5), CollectionPeriodDays: ptr(10)})
	src := mustCard(t, a, cust, goodCard, 7, 2031)
	o, err := a.PlaceOrder(state.PlaceOrderParams{CustomerID: cust, SourceID: src, Items: []state.PlaceItem{
		{SKUID: sku, Quantity: 1, Price: 100, SubscriptionInfo: &state.SubscriptionInfo{PlanID: plan, Terms: "I agree"}},
		{SKUID: mustSKU(t, a, "Socks"), Quantity: 2, Price: 3}, // not a subscription line
	}})
	if err != nil {
		t.Fatal(err)
	}
	info := o.Items[0].SubscriptionInfo
	if info == nil || info.SubscriptionID == "" || info.PlanID != plan || info.AutoRenewal == nil || !*info.AutoRenewal || info.Terms != "I agree" {
		t.Fatalf("order line subscriptionInfo %+v", info)
	}
	if o.Items[1].SubscriptionInfo != nil {
		t.Fatalf("a plain line got subscriptionInfo %+v", o.Items[1].SubscriptionInfo)
	}
	evs := allEvents(t, a)
	types := []string{}
	for _, e := range evs {
		types = append(types, e.Type)
	}
	if n := len(types); n < 2 || types[n-2] != "subscription.created" || types[n-1] != "order.pending_payment" {
		t.Fatalf("events %v, want … subscription.created, order.pending_payment", types)
	}
	var created map[string]any
	if err := json.Unmarshal(evs[len(evs)-2].Data.Object, &created); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"customerId", "sourceId", "nextInvoiceDate", "currentPeriodEndDate"} {
		if _, has := created[k]; has {
			t.Errorf("subscription.created has %s", k)
		}
	}
	if created["state"] != "draft" || created["planId"] != plan || !reflect.DeepEqual(created["stateTransitions"], map[string]any{}) {
		t.Errorf("subscription.created object %v", created)
	}

	accepted, err := a.AcceptOrder(o.ID)
	if err != nil {
		t.Fatal(err)
	}
	now := accepted.StateTransitions["accepted"]
	// Accepting the order leaves the subscription draft: DR's merchant
	// activates it with POST /subscriptions/{id} {"state":"active"}.
	for _, e := range allEvents(t, a) {
		if e.Type == "subscription.updated" {
			t.Fatalf("subscription.updated on acceptance, before the merchant activated it")
		}
	}
	if s, _ := a.Subscription(info.SubscriptionID); s.State != "draft" {
		t.Fatalf("after order.accepted the subscription is %s, want draft until the merchant activates it", s.State)
	}
	if _, err := a.UpdateSubscription(info.SubscriptionID, state.SubscriptionUpdateParams{State: ptr("active")}); err != nil {
		t.Fatalf("activate: %v", err)
	}
	evs = allEvents(t, a)
	last := evs[len(evs)-1]
	if last.Type != "subscription.updated" {
		t.Fatalf("activation recorded %s, want subscription.updated: %v", last.Type, describe(evs))
	}
	var s state.Subscription
	if err := json.Unmarshal(last.Data.Object, &s); err != nil {
		t.Fatal(err)
	}
	end := now.AddDate(0, 1, 0)
	if s.State != "active" || !s.StateTransitions["activated"].Equal(now) || s.CustomerID != cust || s.SourceID != src ||
		!s.CurrentPeriodStartDate.Equal(now) || !s.CurrentPeriodEndDate.Equal(end) || !s.ContractBindingUntil.Equal(now.AddDate(0, 0, 30)) ||
		!s.NextInvoiceDate.Equal(end.AddDate(0, 0, -5)) || !s.NextReminderDate.Equal(end.AddDate(0, 0, -10)) {
		t.Fatalf("activated subscription %+v", s)
	}
	var prev map[string]any
	if err := json.Unmarshal(last.Data.PreviousAttributes, &prev); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"state": "draft", "stateTransitions": map[string]any{"activated": nil}, "customerId": nil, "sourceId": nil,
		"contractBindingUntil": nil, "currentPeriodStartDate": nil, "currentPeriodEndDate": nil,
		"nextInvoiceDate": nil, "nextReminderDate": nil,
	}
	if !reflect.DeepEqual(prev, want) {
		t.Fatalf("previousAttributes\n got %v\nwant %v", prev, want)
	}
	page, _ := a.Subscriptions(state.SubscriptionFilter{CustomerID: cust, State: "active", PlanID: plan})
	if len(page.Data) != 1 || page.Data[0].ID != info.SubscriptionID {
		t.Fatalf("GET /subscriptions?customerId&state&planId: %d", len(page.Data))
	}
	if page, _ := a.Subscriptions(state.SubscriptionFilter{State: "draft"}); len(page.Data) != 0 {
		t.Fatalf("a draft subscription is still listed")
	}
}

// Lines with the same plan (or subscriptionId) share a subscription; a
// merchant-supplied subscriptionId is kept; a card that is not saved is
// saved for the subscription.
func TestCheckoutGroupsLinesAndSavesTheCard(t *testing.T) {
	a := newAccount(t)
	cust := mustCustomer(t, a)
	p1 := mustPlan(t, a, planParams("month", 1, -1, 0, 0))
	p2 := mustPlan(t, a, planParams("year", 1, -1, 0, 0))
	s1, s2 := mustSKU(t, a, "A"), mustSKU(t, a, "B")
	o, err := a.PlaceOrder(state.PlaceOrderParams{CustomerID: cust, Items: []state.PlaceItem{
		{SKUID: s1, Quantity: 1, Price: 1, SubscriptionInfo: &state.SubscriptionInfo{PlanID: p1}},
		{SKUID: s2, Quantity: 2, Price: 2, SubscriptionInfo: &state.SubscriptionInfo{PlanID: p1}},
		{SKUID: s1, Quantity: 1, Price: 5, SubscriptionInfo: &state.SubscriptionInfo{PlanID: p2, SubscriptionID: "sub_mine"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if o.Items[0].SubscriptionInfo.SubscriptionID != o.Items[1].SubscriptionInfo.SubscriptionID || o.Items[2].SubscriptionInfo.SubscriptionID != "sub_mine" {
		t.Fatalf("grouping: %s %s %s", o.Items[0].SubscriptionInfo.SubscriptionID, o.Items[1].SubscriptionInfo.SubscriptionID, o.Items[2].SubscriptionInfo.SubscriptionID)
	}
	s, err := a.Subscription(o.Items[0].SubscriptionInfo.SubscriptionID)
	if err != nil || len(s.Items) != 2 || s.Items[1].Quantity != 2 || s.Items[1].Price != 2 {
		t.Fatalf("subscription %+v %v", s, err)
	}
	src, _ := a.Source(o.Payment.Sources[0].ID)
	if !src.Reusable || src.State != "chargeable" || src.CustomerID != cust {
		t.Fatalf("the checkout's card was not saved: %+v", src)
	}
	c, _ := a.Customer(cust)
	if c.DefaultSourceID != src.ID {
		t.Fatalf("defaultSourceId %q, want %s", c.DefaultSourceID, src.ID)
	}

	// Refusals change nothing.
	for _, tc := range []struct {
		name   string
		info   state.SubscriptionInfo
		status int
		code   string
		param  string
	}{
		{"no planId", state.SubscriptionInfo{}, 400, "missing_parameter", "items[0].subscriptionInfo.planId"},
		{"unknown plan", state.SubscriptionInfo{PlanID: "nope"}, 404, "not_found", "id"},
		{"subscriptionId taken", state.SubscriptionInfo{PlanID: p1, SubscriptionID: "sub_mine"}, 409, "conflict", ""},
	} {
		before := len(allEvents(t, a))
		_, err := a.PlaceOrder(state.PlaceOrderParams{CustomerID: cust, Items: []state.PlaceItem{{SKUID: s1, Quantity: 1, Price: 1, SubscriptionInfo: &tc.info}}})
		t.Run(tc.name, func(t *testing.T) { wantAPIError(t, err, tc.status, tc.code, tc.param) })
		if after := len(allEvents(t, a)); after != before {
			t.Fatalf("%s: %d events recorded by a refused checkout", tc.name, after-before)
		}
	}
	_, err = a.PlaceOrder(state.PlaceOrderParams{CustomerID: cust, Items: []state.PlaceItem{
		{SKUID: s1, Quantity: 1, Price: 1, SubscriptionInfo: &state.SubscriptionInfo{PlanID: p1, SubscriptionID: "x"}},
		{SKUID: s2, Quantity: 1, Price: 1, SubscriptionInfo: &state.SubscriptionInfo{PlanID: p2, SubscriptionID: "x"}},
	}})
	wantAPIError(t, err, 400, "invalid_parameter", "items[1].subscriptionInfo.planId")
}

// Only {"state":"active"} and {"state":"cancelled"} exactly; anything with
// them is 409 restricted_update.
func TestRestrictedUpdate(t *testing.T) {
	a := newAccount(t)
	f := subscribe(t, a, buy{plan: planParams("month", 1, -1, 0, 0), price: 1})
	other := mustPlan(t, a, planParams("month", 1, -1, 0, 0))
	cases := []struct {
		name   string
		p      state.SubscriptionUpdateParams
		status int
		code   string
		param  string
	}{
		{"cancel with planId", state.SubscriptionUpdateParams{State: ptr("cancelled"), PlanID: &other}, 409, "restricted_update", ""},
		{"activate with metadata", state.SubscriptionUpdateParams{State: ptr("active"), Metadata: map[string]any{"a": 1}}, 409, "restricted_update", ""},
		{"cancel with items", state.SubscriptionUpdateParams{State: ptr("cancelled"), Items: []state.SubscriptionItemParams{{SKUID: f.sku, Price: ptr(1.0)}}}, 409, "restricted_update", ""},
		{"activate with locale", state.SubscriptionUpdateParams{State: ptr("active"), Locale: ptr("fr_FR")}, 409, "restricted_update", ""},
		{"state paused", state.SubscriptionUpdateParams{State: ptr("paused")}, 400, "invalid_parameter", "state"},
		{"activate an active subscription", state.SubscriptionUpdateParams{State: ptr("active")}, 409, "invalid_state", ""},
		{"empty body", state.SubscriptionUpdateParams{}, 400, "missing_parameter", ""},
		{"unknown plan", state.SubscriptionUpdateParams{PlanID: ptr("nope")}, 404, "not_found", "id"},
		{"empty items", state.SubscriptionUpdateParams{Items: []state.SubscriptionItemParams{}}, 400, "invalid_parameter", "items"},
		{"item without price", state.SubscriptionUpdateParams{Items: []state.SubscriptionItemParams{{SKUID: f.sku}}}, 400, "missing_parameter", "items[0].price"},
		{"item with an unknown SKU", state.SubscriptionUpdateParams{Items: []state.SubscriptionItemParams{{SKUID: "nope", Price: ptr(1.0)}}}, 404, "not_found", "id"},
		{"item quantity 0", state.SubscriptionUpdateParams{Items: []state.SubscriptionItemParams{{SKUID: f.sku, Price: ptr(1.0), Quantity: ptr(0)}}}, 400, "invalid_parameter", "items[0].quantity"},
		{"unknown source", state.SubscriptionUpdateParams{SourceID: ptr("nope")}, 404, "not_found", "id"},
		{"empty locale", state.SubscriptionUpdateParams{Locale: ptr("")}, 400, "invalid_parameter", "locale"},
	}
	before := len(allEvents(t, a))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.UpdateSubscription(f.sub, tc.p)
			wantAPIError(t, err, tc.status, tc.code, tc.param)
		})
	}
	if after := len(allEvents(t, a)); after != before {
		t.Fatalf("refused updates recorded %d events", after-before)
	}
	if s := f.subscription(); s.State != "active" || s.PlanID != f.plan {
		t.Fatalf("refused updates changed the subscription: %s %s", s.State, s.PlanID)
	}
	_, err := a.UpdateSubscription("nope", state.SubscriptionUpdateParams{State: ptr("cancelled")})
	wantAPIError(t, err, 404, "not_found", "id")
}

// Terms updates: each change emits subscription.updated with the old values
// in previousAttributes; a request that changes nothing emits nothing.
func TestUpdateTerms(t *testing.T) {
	a := newAccount(t)
	f := subscribe(t, a, buy{plan: planParams("month", 1, -1, 0, 0), price: 10, taxRate: 0.1})
	other := mustPlan(t, a, state.PlanParams{Name: ptr("Gold"), Interval: ptr("month")})
	prevOf := func(fn func()) map[string]any {
		t.Helper()
		f.log = nil
		f.act(fn)
		if len(f.log) != 1 || f.log[0].Type != "subscription.updated" {
			t.Fatalf("events %v, want one subscription.updated", describe(f.log))
		}
		var prev map[string]any
		if err := json.Unmarshal(f.log[0].Data.PreviousAttributes, &prev); err != nil {
			t.Fatal(err)
		}
		return prev
	}
	prev := prevOf(func() {
		if _, err := a.UpdateSubscription(f.sub, state.SubscriptionUpdateParams{PlanID: &other}); err != nil {
			t.Fatal(err)
		}
	})
	if !reflect.DeepEqual(prev, map[string]any{"planId": f.plan}) {
		t.Fatalf("planId change: previousAttributes %v", prev)
	}
	prev = prevOf(func() {
		if _, err := a.UpdateSubscription(f.sub, state.SubscriptionUpdateParams{Items: []state.SubscriptionItemParams{{SKUID: f.sku, Price: ptr(12.5), Quantity: ptr(2)}}}); err != nil {
			t.Fatal(err)
		}
	})
	if !reflect.DeepEqual(prev, map[string]any{"items": []any{map[string]any{"skuId": f.sku, "price": 10.0, "quantity": 1.0}}}) {
		t.Fatalf("items change: previousAttributes %v", prev)
	}
	prev = prevOf(func() {
		if _, err := a.UpdateSubscription(f.sub, state.SubscriptionUpdateParams{Locale: ptr("de_DE"), Metadata: map[string]any{"k": "v"}}); err != nil {
			t.Fatal(err)
		}
	})
	if keys := sortedKeys(prev); !reflect.DeepEqual(keys, []string{"locale", "metadata"}) || prev["metadata"] != nil {
		t.Fatalf("locale and metadata: previousAttributes %v", prev)
	}
	// DR: each success emits subscription.updated, also one that changes
	// nothing; previousAttributes is then {}.
	prev = prevOf(func() {
		if _, err := a.UpdateSubscription(f.sub, state.SubscriptionUpdateParams{PlanID: &other, Locale: ptr("de_DE")}); err != nil {
			t.Fatal(err)
		}
	})
	if len(prev) != 0 || string(f.log[0].Data.PreviousAttributes) != "{}" {
		t.Fatalf("a no-op update: previousAttributes %s, want {}", f.log[0].Data.PreviousAttributes)
	}

	// The next invoice bills the new terms: plan name, 2 × 12.50, the item's tax rate.
	_, evs, err := a.AdvanceClock(32 * 24 * time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var inv *state.Invoice
	for _, e := range evs {
		if e.Type == "subscription.extended" {
			_, i := pairOf(t, e)
			inv = &i
		}
	}
	if inv == nil || inv.Description != "Gold" || inv.Items[0].Amount != 25 || inv.TotalTax != 2.5 || inv.TotalAmount != 27.5 {
		t.Fatalf("renewal invoice after new terms: %+v", inv)
	}

	// Source changes: the source must be the customer's and chargeable.
	stranger := mustCustomer(t, a)
	theirs := mustCard(t, a, stranger, goodCard2, 1, 2031)
	_, err = a.UpdateSubscription(f.sub, state.SubscriptionUpdateParams{SourceID: &theirs})
	wantAPIError(t, err, 400, "invalid_parameter", "sourceId")
	mine := mustCard(t, a, f.cust, goodCard2, 1, 2031)
	if err := a.DetachSource(f.cust, mine); err != nil {
		t.Fatal(err)
	}
	_, err = a.UpdateSubscription(f.sub, state.SubscriptionUpdateParams{SourceID: &mine})
	wantAPIError(t, err, 409, "source_not_chargeable", "")
}

func sortedKeys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// DELETE only in draft; subscription.deleted carries {} and the
// subscription in previousAttributes. Terminal subscriptions refuse updates.
func TestDeleteOnlyInDraft(t *testing.T) {
	a := newAccount(t)
	cust := mustCustomer(t, a)
	plan := mustPlan(t, a, planParams("month", 1, -1, 0, 0))
	o, err := a.PlaceOrder(state.PlaceOrderParams{CustomerID: cust, Items: []state.PlaceItem{{
		SKUID: mustSKU(t, a, "A"), Quantity: 1, Price: 1, SubscriptionInfo: &state.SubscriptionInfo{PlanID: plan},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	draft := o.Items[0].SubscriptionInfo.SubscriptionID

	// A draft whose order is still pending cannot be activated by request,
	// nor cancelled, nor given a source.
	_, err = a.UpdateSubscription(draft, state.SubscriptionUpdateParams{State: ptr("active")})
	wantAPIError(t, err, 409, "invalid_state", "")
	_, err = a.UpdateSubscription(draft, state.SubscriptionUpdateParams{State: ptr("cancelled")})
	wantAPIError(t, err, 409, "invalid_state", "")
	_, err = a.UpdateSubscription(draft, state.SubscriptionUpdateParams{SourceID: ptr(o.Payment.Sources[0].ID)})
	wantAPIError(t, err, 409, "invalid_state", "")
	if _, err := a.UpdateSubscription(draft, state.SubscriptionUpdateParams{Metadata: map[string]any{"draft": true}}); err != nil {
		t.Fatalf("a draft takes terms updates: %v", err)
	}

	if err := a.DeleteSubscription(draft); err != nil {
		t.Fatal(err)
	}
	evs := allEvents(t, a)
	last := evs[len(evs)-1]
	var prev map[string]any
	if err := json.Unmarshal(last.Data.PreviousAttributes, &prev); err != nil {
		t.Fatal(err)
	}
	if last.Type != "subscription.deleted" || string(last.Data.Object) != "{}" || prev["id"] != draft || prev["state"] != "draft" || prev["planId"] != plan {
		t.Fatalf("%s object %s previousAttributes %v", last.Type, last.Data.Object, prev)
	}
	_, err = a.Subscription(draft)
	wantAPIError(t, err, 404, "not_found", "id")
	wantAPIError(t, a.DeleteSubscription(draft), 404, "not_found", "id")
	// Accepting the order now activates nothing.
	if _, err := a.AcceptOrder(o.ID); err != nil {
		t.Fatal(err)
	}

	f := subscribe(t, a, buy{plan: planParams("month", 1, -1, 0, 0), price: 1})
	wantAPIError(t, a.DeleteSubscription(f.sub), 409, "invalid_state", "")
	cancelSub(f)
	wantAPIError(t, a.DeleteSubscription(f.sub), 409, "invalid_state", "")
	_, err = a.UpdateSubscription(f.sub, state.SubscriptionUpdateParams{Locale: ptr("fr_FR")})
	wantAPIError(t, err, 409, "invalid_state", "")
	_, err = a.UpdateSubscription(f.sub, state.SubscriptionUpdateParams{State: ptr("cancelled")})
	wantAPIError(t, err, 409, "invalid_state", "")
	if s := f.subscription(); s.StateTransitions["cancelled"].IsZero() {
		t.Fatalf("stateTransitions %v, want cancelled", s.StateTransitions)
	}
}

// A blocked acquisition order leaves the subscription draft.
func TestBlockedOrderLeavesDraft(t *testing.T) {
	a := newAccount(t)
	cust := mustCustomer(t, a)
	plan := mustPlan(t, a, planParams("month", 1, -1, 0, 0))
	o, err := a.PlaceOrder(state.PlaceOrderParams{CustomerID: cust, Items: []state.PlaceItem{{
		SKUID: mustSKU(t, a, "A"), Quantity: 1, Price: 1, SubscriptionInfo: &state.SubscriptionInfo{PlanID: plan},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.BlockOrder(o.ID); err != nil {
		t.Fatal(err)
	}
	s, _ := a.Subscription(o.Items[0].SubscriptionInfo.SubscriptionID)
	if s.State != "draft" {
		t.Fatalf("state %s after a blocked order, want draft", s.State)
	}
	if _, evs, _ := a.AdvanceClock(400 * 24 * time.Hour); len(evs) != 0 {
		t.Fatalf("a draft subscription produced %v", describe(evs))
	}
}

// Invoices: GET by id and the list filters.
func TestInvoicesList(t *testing.T) {
	a := newAccount(t)
	f := subscribe(t, a, buy{plan: planParams("month", 1, 3, 0, 0), price: 2})
	g := subscribe(t, a, buy{plan: planParams("month", 1, -1, 0, 0), price: 3})
	advanceDays(31)(f) // f: reminder draft → paid; g: paid
	advanceDays(28)(f) // f: next reminder (draft)
	all, err := a.Invoices(state.InvoiceFilter{})
	if err != nil || len(all.Data) != 3 {
		t.Fatalf("%d invoices, %v; want 3", len(all.Data), err)
	}
	for _, inv := range all.Data {
		if len(inv.ID) != 32 || inv.ChargeType != "merchant_initiated" {
			t.Errorf("invoice id %q chargeType %q", inv.ID, inv.ChargeType)
		}
	}
	if p, _ := a.Invoices(state.InvoiceFilter{SubscriptionID: f.sub}); len(p.Data) != 2 || p.Data[0].State != "draft" || p.Data[1].State != "paid" {
		t.Fatalf("f's invoices: %d", len(p.Data))
	}
	if p, _ := a.Invoices(state.InvoiceFilter{State: "paid", CustomerID: g.cust}); len(p.Data) != 1 || p.Data[0].Items[0].SubscriptionInfo.SubscriptionID != g.sub {
		t.Fatalf("g's paid invoices: %d", len(p.Data))
	}
	inv, err := a.Invoice(all.Data[0].ID)
	if err != nil || inv.ID != all.Data[0].ID {
		t.Fatal(err)
	}
	_, err = a.Invoice("nope")
	wantAPIError(t, err, 404, "not_found", "id")
	_, err = a.Invoices(state.InvoiceFilter{State: "lost"})
	wantAPIError(t, err, 400, "invalid_parameter", "state")
}
