package state_test

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/drsim/drsim/simulator/internal/state"
	"github.com/drsim/drsim/simulator/internal/wire"
)

// Cards (docs/lifecycles.md#test-mode-triggers-doc).
const (
	goodCard     = "4444222233331111"
	goodCard2    = "5466160000000008"
	decliningCrd = "4000000000003600" // charges fail
)

// buy describes one subscription bought through an accepted order.
type buy struct {
	plan              state.PlanParams
	card              string // default goodCard
	expMonth, expYear int    // default 12/2030
	price             float64
	qty               int // default 1
	taxRate           float64
	trial             bool
	autoRenewal       *bool
}

// fixture is one customer, one SKU, one plan and one subscription activated
// at the account's clock time, plus the events recorded since activation.
type fixture struct {
	t                    *testing.T
	a                    *state.Account
	cust, sku, plan, sub string
	order                string
	start                time.Time // activation: the order's acceptance
	log                  []*state.Event
}

func planParams(interval string, count, reminder, billing, collection int) state.PlanParams {
	return state.PlanParams{
		Name: ptr("Plan " + interval), Terms: ptr("Renews every " + interval), Interval: ptr(interval),
		IntervalCount: ptr(count), ReminderOffsetDays: ptr(reminder), BillingOffsetDays: ptr(billing),
		CollectionPeriodDays: ptr(collection),
	}
}

func mustPlan(t *testing.T, a *state.Account, p state.PlanParams) string {
	t.Helper()
	pl, err := a.CreatePlan(p)
	if err != nil {
		t.Fatalf("CreatePlan: %v", err)
	}
	return pl.ID
}

// mustCard creates a card and saves it to the customer.
func mustCard(t *testing.T, a *state.Account, cust, number string, month, year int) string {
	t.Helper()
	s, err := a.CreateSource(state.SourceParams{Type: "creditCard", CreditCard: &state.CardParams{
		Number: number, ExpirationMonth: month, ExpirationYear: year, CVV: "123",
	}})
	if err != nil {
		t.Fatalf("CreateSource(%s): %v", number, err)
	}
	if _, err := a.AttachSource(cust, s.ID); err != nil {
		t.Fatalf("AttachSource(%s): %v", number, err)
	}
	return s.ID
}

func subscribe(t *testing.T, a *state.Account, b buy) *fixture {
	t.Helper()
	f := &fixture{t: t, a: a, cust: mustCustomer(t, a), sku: mustSKU(t, a, "Athena Womens Running Shoes")}
	f.plan = mustPlan(t, a, b.plan)
	card, m, y := b.card, b.expMonth, b.expYear
	if card == "" {
		card = goodCard
	}
	if m == 0 {
		m, y = 12, 2030
	}
	src := mustCard(t, a, f.cust, card, m, y)
	qty := b.qty
	if qty == 0 {
		qty = 1
	}
	o, err := a.PlaceOrder(state.PlaceOrderParams{CustomerID: f.cust, SourceID: src, Items: []state.PlaceItem{{
		SKUID: f.sku, Quantity: qty, Price: b.price, TaxRate: b.taxRate,
		SubscriptionInfo: &state.SubscriptionInfo{PlanID: f.plan, Terms: "terms", FreeTrial: b.trial, AutoRenewal: b.autoRenewal},
	}}})
	if err != nil {
		t.Fatalf("PlaceOrder: %v", err)
	}
	f.order = o.ID
	f.sub = o.Items[0].SubscriptionInfo.SubscriptionID
	accepted, err := a.AcceptOrder(o.ID)
	if err != nil {
		t.Fatalf("AcceptOrder: %v", err)
	}
	// The merchant activates the draft after order.accepted, as DR documents.
	if _, err := a.UpdateSubscription(f.sub, state.SubscriptionUpdateParams{State: ptr("active")}); err != nil {
		t.Fatalf("activate: %v", err)
	}
	f.start = accepted.StateTransitions["accepted"]
	return f
}

// allEvents is GET /events, every page, oldest first.
func allEvents(t *testing.T, a *state.Account) []*state.Event {
	t.Helper()
	var out []*state.Event
	lp := state.ListParams{Limit: 100}
	for {
		p, err := a.Events(state.EventFilter{ListParams: lp})
		if err != nil {
			t.Fatalf("Events: %v", err)
		}
		out = append(out, p.Data...)
		if !p.HasMore {
			break
		}
		lp.StartingAfter = p.Data[len(p.Data)-1].ID
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// act runs fn and logs the events it recorded.
func (f *fixture) act(fn func()) {
	f.t.Helper()
	before := map[string]bool{}
	for _, e := range allEvents(f.t, f.a) {
		before[e.ID] = true
	}
	fn()
	for _, e := range allEvents(f.t, f.a) {
		if !before[e.ID] {
			f.log = append(f.log, e)
		}
	}
}

// step is one thing a table row does after activation.
type step func(f *fixture)

func advance(d time.Duration) step {
	return func(f *fixture) {
		f.t.Helper()
		_, evs, err := f.a.AdvanceClock(d)
		if err != nil {
			f.t.Fatalf("AdvanceClock(%s): %v", d, err)
		}
		f.log = append(f.log, evs...)
	}
}

func advanceDays(n int) step { return advance(time.Duration(n) * 24 * time.Hour) }

// paidPrice is the merchant setting the price after a free trial (POST
// /subscriptions/{id} {items}), as DR documents for trials.
func paidPrice(price float64) step {
	return func(f *fixture) {
		f.t.Helper()
		if _, err := f.a.UpdateSubscription(f.sub, state.SubscriptionUpdateParams{Items: []state.SubscriptionItemParams{{SKUID: f.sku, Price: &price}}}); err != nil {
			f.t.Fatalf("set the paid price: %v", err)
		}
	}
}

// newCard saves a card and makes it the subscription's source.
func newCard(number string, month, year int) step {
	return func(f *fixture) {
		f.t.Helper()
		src := mustCard(f.t, f.a, f.cust, number, month, year)
		f.act(func() {
			if _, err := f.a.UpdateSubscription(f.sub, state.SubscriptionUpdateParams{SourceID: &src}); err != nil {
				f.t.Fatalf("UpdateSubscription(sourceId): %v", err)
			}
		})
	}
}

func cancelSub(f *fixture) {
	f.t.Helper()
	f.act(func() {
		if _, err := f.a.UpdateSubscription(f.sub, state.SubscriptionUpdateParams{State: ptr("cancelled")}); err != nil {
			f.t.Fatalf("cancel: %v", err)
		}
	})
}

func deactivatePlan(f *fixture) {
	f.t.Helper()
	if _, err := f.a.UpdatePlan(f.plan, state.PlanParams{State: ptr("deactivated")}); err != nil {
		f.t.Fatalf("deactivate plan: %v", err)
	}
}

func setPrice(price float64) step {
	return func(f *fixture) {
		f.t.Helper()
		f.act(func() {
			if _, err := f.a.UpdateSubscription(f.sub, state.SubscriptionUpdateParams{Items: []state.SubscriptionItemParams{{SKUID: f.sku, Price: &price}}}); err != nil {
				f.t.Fatalf("set price: %v", err)
			}
		})
	}
}

// at is one expected event: its type and its time as days (and months)
// after activation.
type at struct {
	typ    string
	months int
	days   int
}

func (w at) String(start time.Time) string {
	return w.typ + " @ " + start.AddDate(0, w.months, w.days).Format(time.RFC3339Nano)
}

func describe(evs []*state.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Type + " @ " + e.CreatedTime.Format(time.RFC3339Nano)
	}
	return out
}

func (f *fixture) subscription() *state.Subscription {
	f.t.Helper()
	s, err := f.a.Subscription(f.sub)
	if err != nil {
		f.t.Fatalf("Subscription: %v", err)
	}
	return s
}

func day(start time.Time, months, days int) time.Time { return start.AddDate(0, months, days) }

// TestScheduleTable: for given plan offsets, trial, card and clock moves,
// the exact sequence of subscription.* and invoice.* events with their
// times (the account's wall clock is frozen at 2026-03-14T15:09:26Z, so
// every month from there has its own day count).
func TestScheduleTable(t *testing.T) {
	no := false
	cases := []struct {
		name      string
		buy       buy
		steps     []step
		want      []at
		wantState string
		check     func(t *testing.T, f *fixture)
	}{
		{
			name:  "monthly, reminder 7 days before, invoice at period end",
			buy:   buy{plan: planParams("month", 1, 7, 0, 0), price: 10},
			steps: []step{advanceDays(31)}, // 2026-04-14: exactly one month
			want: []at{
				{"subscription.reminder", 1, -7},
				{"invoice.open", 1, 0}, {"subscription.extended", 1, 0}, {"invoice.paid", 1, 0},
			},
			wantState: "active",
			check: func(t *testing.T, f *fixture) {
				s := f.subscription()
				if !s.NextInvoiceDate.Equal(day(f.start, 2, 0)) || !s.NextReminderDate.Equal(day(f.start, 2, -7)) ||
					!s.CurrentPeriodStartDate.Equal(day(f.start, 1, 0)) || !s.CurrentPeriodEndDate.Equal(day(f.start, 2, 0)) {
					t.Errorf("after one renewal: period %s–%s, next invoice %s, next reminder %s",
						s.CurrentPeriodStartDate, s.CurrentPeriodEndDate, s.NextInvoiceDate, s.NextReminderDate)
				}
			},
		},
		{
			name:  "billing offset 3, reminder 5: invoice 3 days before the period ends",
			buy:   buy{plan: planParams("month", 1, 5, 3, 5), price: 10},
			steps: []step{advanceDays(40)},
			want: []at{
				{"subscription.reminder", 1, -8},
				{"invoice.open", 1, -3}, {"subscription.extended", 1, -3}, {"invoice.paid", 1, -3},
			},
			wantState: "active",
			check: func(t *testing.T, f *fixture) {
				if s := f.subscription(); !s.NextInvoiceDate.Equal(day(f.start, 2, -3)) || !s.CurrentPeriodEndDate.Equal(day(f.start, 2, 0)) {
					t.Errorf("next invoice %s, period end %s; want %s, %s", s.NextInvoiceDate, s.CurrentPeriodEndDate, day(f.start, 2, -3), day(f.start, 2, 0))
				}
			},
		},
		{
			name:      "negative reminderOffsetDays: no reminder",
			buy:       buy{plan: planParams("month", 1, -1, 0, 0), price: 10},
			steps:     []step{advanceDays(31)},
			want:      []at{{"invoice.open", 1, 0}, {"subscription.extended", 1, 0}, {"invoice.paid", 1, 0}},
			wantState: "active",
			check: func(t *testing.T, f *fixture) {
				if s := f.subscription(); s.NextReminderDate != nil {
					t.Errorf("nextReminderDate %s with reminderOffsetDays -1", s.NextReminderDate)
				}
			},
		},
		{
			name:  "10-day plan, reminder 2, billing 1: two cycles in one move",
			buy:   buy{plan: planParams("day", 10, 2, 1, 2), price: 10},
			steps: []step{advanceDays(25)},
			want: []at{
				{"subscription.reminder", 0, 7}, {"invoice.open", 0, 9}, {"subscription.extended", 0, 9}, {"invoice.paid", 0, 9},
				{"subscription.reminder", 0, 17}, {"invoice.open", 0, 19}, {"subscription.extended", 0, 19}, {"invoice.paid", 0, 19},
			},
			wantState: "active",
		},
		{
			name:  "weekly plan moved a day at a time: same events as one move",
			buy:   buy{plan: planParams("week", 1, 1, 0, 0), price: 10},
			steps: repeat(advanceDays(1), 15),
			want: []at{
				{"subscription.reminder", 0, 6}, {"invoice.open", 0, 7}, {"subscription.extended", 0, 7}, {"invoice.paid", 0, 7},
				{"subscription.reminder", 0, 13}, {"invoice.open", 0, 14}, {"subscription.extended", 0, 14}, {"invoice.paid", 0, 14},
			},
			wantState: "active",
		},
		{
			name:      "reminder offset 0: reminder then invoice at the same instant",
			buy:       buy{plan: planParams("week", 1, 0, 0, 0), price: 10},
			steps:     []step{advanceDays(7)},
			want:      []at{{"subscription.reminder", 0, 7}, {"invoice.open", 0, 7}, {"subscription.extended", 0, 7}, {"invoice.paid", 0, 7}},
			wantState: "active",
		},
		{
			name:  "free trial of 14 days converts to paid once the merchant sets the price",
			buy:   buy{plan: planParams("day", 14, 3, 0, 0), price: 9.99, trial: true},
			steps: []step{paidPrice(9.99), advanceDays(15)},
			want: []at{
				{"subscription.reminder", 0, 11},
				{"invoice.open", 0, 14}, {"subscription.extended", 0, 14}, {"invoice.paid", 0, 14},
			},
			wantState: "active",
			check: func(t *testing.T, f *fixture) {
				s := f.subscription()
				if !s.StateTransitions["activatedFree"].Equal(f.start) || !s.StateTransitions["activated"].Equal(day(f.start, 0, 14)) {
					t.Errorf("stateTransitions %v; want activatedFree %s and activated %s", s.StateTransitions, f.start, day(f.start, 0, 14))
				}
				o, _ := f.a.Order(f.order)
				if o.TotalAmount != 0 || o.Items[0].Amount != 0 {
					t.Errorf("the acquisition order charged %v for a free trial, want 0", o.TotalAmount)
				}
			},
		},
		{
			name:  "free trial whose price stays 0: no billing, stays activeFree",
			buy:   buy{plan: planParams("day", 14, 3, 0, 0), price: 0, trial: true},
			steps: []step{advanceDays(15)},
			want:  []at{{"subscription.reminder", 0, 11}, {"invoice.void", 0, 14}},
			check: func(t *testing.T, f *fixture) {
				if s := f.subscription(); !s.NextInvoiceDate.Equal(day(f.start, 0, 28)) {
					t.Errorf("nextInvoiceDate %s, want the next period's %s", s.NextInvoiceDate, day(f.start, 0, 28))
				}
			},
			wantState: "activeFree",
		},
		{
			name: "paid subscription whose price becomes 0: activeFree at the next invoice date, no billing; priced again, active",
			buy:  buy{plan: planParams("month", 1, -1, 0, 0), price: 10},
			steps: []step{setPrice(0), advanceDays(31), func(f *fixture) {
				s := f.subscription()
				if s.State != "activeFree" || !s.StateTransitions["activatedFree"].Equal(day(f.start, 1, 0)) || !s.NextInvoiceDate.Equal(day(f.start, 2, 0)) {
					f.t.Errorf("after the invoice of 0: state %s, stateTransitions %v, next invoice %s; want activeFree since %s, next invoice %s",
						s.State, s.StateTransitions, s.NextInvoiceDate, day(f.start, 1, 0), day(f.start, 2, 0))
				}
			}, setPrice(12), advanceDays(30)},
			want: []at{
				{"subscription.updated", 0, 0}, {"invoice.void", 1, 0},
				{"subscription.updated", 1, 0}, {"invoice.open", 2, 0}, {"subscription.extended", 2, 0}, {"invoice.paid", 2, 0},
			},
			wantState: "active",
			check: func(t *testing.T, f *fixture) {
				s := f.subscription()
				if !s.StateTransitions["activated"].Equal(f.start) || !s.StateTransitions["activatedFree"].Equal(day(f.start, 1, 0)) {
					t.Errorf("stateTransitions %v; want activated %s (the first paid period: a renewal, not a trial conversion), activatedFree %s",
						s.StateTransitions, f.start, day(f.start, 1, 0))
				}
			},
		},
		{
			name:  "free trial priced during the trial converts at the new price",
			buy:   buy{plan: planParams("day", 14, -1, 0, 0), price: 0, trial: true},
			steps: []step{setPrice(4.5), advanceDays(14)},
			want: []at{
				{"subscription.updated", 0, 0},
				{"invoice.open", 0, 14}, {"subscription.extended", 0, 14}, {"invoice.paid", 0, 14},
			},
			wantState: "active",
		},
		{
			name:  "card expiring before the second renewal: source_invalid, then lapsed",
			buy:   buy{plan: planParams("month", 1, 7, 0, 5), price: 10, expMonth: 4, expYear: 2026},
			steps: []step{advanceDays(70)},
			want: []at{
				{"subscription.reminder", 1, -7}, {"invoice.open", 1, 0}, {"subscription.extended", 1, 0}, {"invoice.paid", 1, 0},
				{"subscription.reminder", 2, -7}, {"subscription.source_invalid", 2, 0},
				{"subscription.lapsed", 2, 5}, {"invoice.void", 2, 5},
			},
			wantState: "lapsed",
		},
		{
			name: "expired card replaced within the grace period: invoiced at once",
			buy:  buy{plan: planParams("month", 1, -1, 0, 5), price: 10, expMonth: 3, expYear: 2026},
			steps: []step{
				advanceDays(33), // 2026-04-16: source_invalid on the 14th
				newCard(goodCard2, 1, 2031),
				advanceDays(10), // past the old lapse date: nothing
			},
			want: []at{
				{"subscription.source_invalid", 1, 0},
				{"subscription.updated", 1, 2}, {"invoice.open", 1, 2}, {"subscription.extended", 1, 2}, {"invoice.paid", 1, 2},
			},
			wantState: "active",
		},
		{
			name:  "declining card: four attempts over 7 days, then failed",
			buy:   buy{plan: planParams("month", 1, -1, 0, 7), price: 10},
			steps: []step{newCard(decliningCrd, 1, 2031), advanceDays(45)},
			want: []at{
				{"subscription.updated", 0, 0},
				{"invoice.open", 1, 0}, {"subscription.payment_failed", 1, 0}, {"invoice.payment_failed", 1, 0},
				{"subscription.payment_failed", 1, 1}, {"invoice.payment_failed", 1, 1},
				{"subscription.payment_failed", 1, 3}, {"invoice.payment_failed", 1, 3},
				{"subscription.payment_failed", 1, 5}, {"invoice.payment_failed", 1, 5},
				{"subscription.failed", 1, 7}, {"invoice.uncollectible", 1, 7},
			},
			wantState: "failed",
			check: func(t *testing.T, f *fixture) {
				invs, _ := f.a.Invoices(state.InvoiceFilter{SubscriptionID: f.sub})
				if len(invs.Data) != 1 {
					t.Fatalf("%d invoices, want 1", len(invs.Data))
				}
				inv := invs.Data[0]
				if inv.State != "uncollectible" || inv.AttemptCount != 4 || len(inv.Payment.Charges) != 4 || inv.OrderID != "" {
					t.Errorf("invoice %s attempts %d charges %d orderId %q; want uncollectible, 4, 4, none", inv.State, inv.AttemptCount, len(inv.Payment.Charges), inv.OrderID)
				}
				for _, ch := range inv.Payment.Charges {
					if ch.State != "failed" || ch.FailureCode != "declined" {
						t.Errorf("charge %+v, want failed/declined", ch)
					}
				}
				if s := f.subscription(); !s.StateTransitions["failed"].Equal(day(f.start, 1, 7)) {
					t.Errorf("stateTransitions.failed %s", s.StateTransitions["failed"])
				}
			},
		},
		{
			name:  "collection period 0: one attempt, failed at once",
			buy:   buy{plan: planParams("month", 1, -1, 0, 0), price: 10},
			steps: []step{newCard(decliningCrd, 1, 2031), advanceDays(45)},
			want: []at{
				{"subscription.updated", 0, 0},
				{"invoice.open", 1, 0}, {"subscription.payment_failed", 1, 0}, {"invoice.payment_failed", 1, 0},
				{"subscription.failed", 1, 0}, {"invoice.uncollectible", 1, 0},
			},
			wantState: "failed",
		},
		{
			name:  "collection period 1: one attempt, failed a day later",
			buy:   buy{plan: planParams("month", 1, -1, 0, 1), price: 10},
			steps: []step{newCard(decliningCrd, 1, 2031), advanceDays(45)},
			want: []at{
				{"subscription.updated", 0, 0},
				{"invoice.open", 1, 0}, {"subscription.payment_failed", 1, 0}, {"invoice.payment_failed", 1, 0},
				{"subscription.failed", 1, 1}, {"invoice.uncollectible", 1, 1},
			},
			wantState: "failed",
		},
		{
			name: "dunning rescued by a new card: the open invoice is voided and a new one paid at once",
			buy:  buy{plan: planParams("month", 1, -1, 0, 7), price: 10},
			steps: []step{
				newCard(decliningCrd, 1, 2031),
				advanceDays(32), // attempts on 04-14 and 04-15
				newCard(goodCard2, 1, 2031),
				advanceDays(30), // the next renewal, on 05-14, with the new card
			},
			want: []at{
				{"subscription.updated", 0, 0},
				{"invoice.open", 1, 0}, {"subscription.payment_failed", 1, 0}, {"invoice.payment_failed", 1, 0},
				{"subscription.payment_failed", 1, 1}, {"invoice.payment_failed", 1, 1},
				{"subscription.updated", 1, 1}, {"invoice.void", 1, 1},
				{"invoice.open", 1, 1}, {"subscription.extended", 1, 1}, {"invoice.paid", 1, 1},
				{"invoice.open", 2, 0}, {"subscription.extended", 2, 0}, {"invoice.paid", 2, 0},
			},
			wantState: "active",
		},
		{
			name:  "cancelled during dunning: the open invoice is voided, nothing more happens",
			buy:   buy{plan: planParams("month", 1, -1, 0, 7), price: 10},
			steps: []step{newCard(decliningCrd, 1, 2031), advanceDays(31), cancelSub, advanceDays(90)},
			want: []at{
				{"subscription.updated", 0, 0},
				{"invoice.open", 1, 0}, {"subscription.payment_failed", 1, 0}, {"invoice.payment_failed", 1, 0},
				{"subscription.updated", 1, 0}, {"invoice.void", 1, 0},
			},
			wantState: "cancelled",
		},
		{
			name:      "cancelled after the reminder: the draft invoice is voided",
			buy:       buy{plan: planParams("month", 1, 7, 0, 0), price: 10},
			steps:     []step{advanceDays(25), cancelSub, advanceDays(90)},
			want:      []at{{"subscription.reminder", 1, -7}, {"subscription.updated", 0, 25}, {"invoice.void", 0, 25}},
			wantState: "cancelled",
		},
		{
			name:      "plan deactivated: the subscription ends on nextInvoiceDate",
			buy:       buy{plan: planParams("month", 1, 7, 0, 0), price: 10},
			steps:     []step{deactivatePlan, advanceDays(60)},
			want:      []at{{"subscription.reminder", 1, -7}, {"subscription.updated", 1, 0}, {"invoice.void", 1, 0}},
			wantState: "ended",
		},
		{
			name:      "autoRenewal false: the subscription ends on nextInvoiceDate",
			buy:       buy{plan: planParams("month", 1, -1, 0, 0), price: 10, autoRenewal: &no},
			steps:     []step{advanceDays(60)},
			want:      []at{{"subscription.updated", 1, 0}},
			wantState: "ended",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newAccount(t)
			f := subscribe(t, a, tc.buy)
			for _, st := range tc.steps {
				st(f)
			}
			want := make([]string, len(tc.want))
			for i, w := range tc.want {
				want[i] = w.String(f.start)
			}
			// The table lists the subscription events and the invoice's state
			// events; invoice.created and invoice.updated accompany them
			// (TestInvoiceCreatedAndUpdated).
			var got []*state.Event
			for _, e := range f.log {
				if e.Type == "invoice.created" || e.Type == "invoice.updated" {
					continue
				}
				if strings.HasPrefix(e.Type, "subscription.") || strings.HasPrefix(e.Type, "invoice.") {
					got = append(got, e)
				}
			}
			if g := describe(got); !reflect.DeepEqual(g, want) {
				t.Fatalf("events:\n got %s\nwant %s", strings.Join(g, "\n     "), strings.Join(want, "\n     "))
			}
			if s := f.subscription(); s.State != tc.wantState {
				t.Fatalf("state %s, want %s", s.State, tc.wantState)
			}
			if tc.check != nil {
				tc.check(t, f)
			}
		})
	}
}

func repeat(s step, n int) []step {
	out := make([]step, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// pairOf decodes a pair event's object.
func pairOf(t *testing.T, e *state.Event) (sub state.Subscription, inv state.Invoice) {
	t.Helper()
	var p struct {
		Subscription *state.Subscription `json:"subscription"`
		Invoice      *state.Invoice      `json:"invoice"`
	}
	if err := json.Unmarshal(rfc3339Times(t, e.Data.Object), &p); err != nil || p.Subscription == nil || p.Invoice == nil {
		t.Fatalf("%s object is not {subscription, invoice}: %v: %s", e.Type, err, e.Data.Object)
	}
	return *p.Subscription, *p.Invoice
}

// TestYearOfMonthlyRenewals: one move of the clock through a year runs 12
// reminders and 12 renewals in order, each with the right dates and amounts.
func TestYearOfMonthlyRenewals(t *testing.T) {
	a := newAccount(t)
	f := subscribe(t, a, buy{plan: planParams("month", 1, 7, 0, 0), price: 5.01, qty: 5, taxRate: 0.0755})
	began := time.Now()
	_, evs, err := a.AdvanceClock(f.start.AddDate(1, 0, 0).Sub(f.start))
	elapsed := time.Since(began)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("a year of monthly renewals (%d events) took %s of wall time", len(evs), elapsed)

	var reminders, extended []*state.Event
	for _, e := range evs {
		switch e.Type {
		case "subscription.reminder":
			reminders = append(reminders, e)
		case "subscription.extended":
			extended = append(extended, e)
		}
	}
	if len(reminders) != 12 || len(extended) != 12 {
		t.Fatalf("%d reminders and %d extended, want 12 each; events %v", len(reminders), len(extended), describe(evs))
	}
	orderIDs := map[string]bool{}
	for k := 1; k <= 12; k++ {
		due := f.start.AddDate(0, k, 0)
		r, x := reminders[k-1], extended[k-1]
		if !r.CreatedTime.Equal(due.AddDate(0, 0, -7)) || !x.CreatedTime.Equal(due) {
			t.Errorf("cycle %d: reminder at %s, extended at %s; want %s and %s", k, r.CreatedTime, x.CreatedTime, due.AddDate(0, 0, -7), due)
		}
		if k > 1 && !r.CreatedTime.After(extended[k-2].CreatedTime) {
			t.Errorf("cycle %d: reminder before the previous renewal", k)
		}
		rs, ri := pairOf(t, r)
		if ri.State != "draft" || ri.AttemptCount != 0 || len(ri.Payment.Charges) != 0 || !rs.NextInvoiceDate.Equal(due) {
			t.Errorf("cycle %d reminder: invoice %s attempts %d charges %d, nextInvoiceDate %s", k, ri.State, ri.AttemptCount, len(ri.Payment.Charges), rs.NextInvoiceDate)
		}
		xs, xi := pairOf(t, x)
		if xi.ID != ri.ID {
			t.Errorf("cycle %d: the reminder showed invoice %s, the renewal paid %s", k, ri.ID, xi.ID)
		}
		if xi.State != "paid" || xi.AttemptCount != 1 || xi.OrderID == "" || orderIDs[xi.OrderID] {
			t.Errorf("cycle %d renewal: invoice %s attempts %d orderId %q", k, xi.State, xi.AttemptCount, xi.OrderID)
		}
		orderIDs[xi.OrderID] = true
		for _, inv := range []state.Invoice{ri, xi} {
			if inv.Subtotal != 25.05 || inv.TotalTax != 1.89 || inv.TotalAmount != 26.94 || inv.Items[0].Amount != 25.05 ||
				inv.Items[0].Quantity != 5 || inv.Description != "Plan month" || inv.Items[0].ProductDetails.Name != "Athena Womens Running Shoes" {
				t.Errorf("cycle %d invoice %s: subtotal %v tax %v total %v line %+v description %q", k, inv.State, inv.Subtotal, inv.TotalTax, inv.TotalAmount, inv.Items[0], inv.Description)
			}
			if len(inv.Payment.Sources) != 1 || inv.Payment.Sources[0].CreditCard.LastFourDigits != "1111" {
				t.Errorf("cycle %d invoice %s: payment.sources %+v", k, inv.State, inv.Payment.Sources)
			}
		}
		if xs.State != "active" || !xs.NextInvoiceDate.Equal(f.start.AddDate(0, k+1, 0)) || !xs.StateTransitions["activated"].Equal(f.start) {
			t.Errorf("cycle %d renewal: subscription %s nextInvoiceDate %s activated %s", k, xs.State, xs.NextInvoiceDate, xs.StateTransitions["activated"])
		}
		o, err := a.Order(xi.OrderID)
		if err != nil || o.State != "complete" || o.TotalAmount != 26.94 || o.Items[0].SubscriptionInfo.SubscriptionID != f.sub {
			t.Errorf("cycle %d renewal order: %v %+v", k, err, o)
		}
	}
}

// Month ends clamp: a subscription started on 31 January renews on the
// last day of shorter months, and on the 31st again when there is one.
func TestMonthEndsClamp(t *testing.T) {
	a := newAccount(t)
	if _, _, err := a.SetClock(time.Date(2027, 1, 31, 10, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	f := subscribe(t, a, buy{plan: planParams("month", 1, -1, 0, 0), price: 1})
	advanceDays(95)(f)
	var got []string
	for _, e := range f.log {
		if e.Type == "subscription.extended" {
			got = append(got, e.CreatedTime.Format("2006-01-02"))
		}
	}
	if want := []string{"2027-02-28", "2027-03-31", "2027-04-30"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("renewals on %v, want %v", got, want)
	}
}

// Transitions of several subscriptions run in time order, whichever was
// created first.
func TestScheduleOrdersAcrossSubscriptions(t *testing.T) {
	a := newAccount(t)
	monthly := subscribe(t, a, buy{plan: planParams("month", 1, -1, 0, 0), price: 1})
	tenDays := subscribe(t, a, buy{plan: planParams("day", 10, -1, 0, 0), price: 1})
	_, evs, err := a.AdvanceClock(35 * 24 * time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		if e.Type != "subscription.extended" {
			continue
		}
		var p struct {
			Subscription struct {
				ID string `json:"id"`
			} `json:"subscription"`
		}
		if err := json.Unmarshal(e.Data.Object, &p); err != nil {
			t.Fatal(err)
		}
		who := map[string]string{monthly.sub: "monthly", tenDays.sub: "ten-day"}[p.Subscription.ID]
		got = append(got, fmt.Sprintf("%s %s", who, e.CreatedTime.Format("01-02")))
	}
	want := []string{"ten-day 03-24", "ten-day 04-03", "ten-day 04-13", "monthly 04-14"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("renewals %v, want %v", got, want)
	}
	for i := 1; i < len(evs); i++ {
		if evs[i].CreatedTime.Before(evs[i-1].CreatedTime) {
			t.Fatalf("event %d (%s) is earlier than the one before", i, evs[i].Type)
		}
	}
}

// The clock only moves forward, and refusing a move changes nothing.
func TestClockMovesForwardOnly(t *testing.T) {
	a := newAccount(t)
	f := subscribe(t, a, buy{plan: planParams("month", 1, 7, 0, 0), price: 1})
	if _, _, err := a.AdvanceClock(-time.Hour); err == nil {
		t.Fatal("AdvanceClock(-1h) succeeded")
	}
	if _, _, err := a.SetClock(f.start.Add(-time.Second)); err == nil {
		t.Fatal("SetClock(the past) succeeded")
	}
	if _, _, err := a.SetClock(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)); err == nil {
		t.Fatal("SetClock(year 10000) succeeded")
	}
	if _, _, err := a.AdvanceClock(time.Duration(math.MaxInt64)); err == nil {
		t.Fatal("AdvanceClock(max) succeeded")
	}
	if now := a.Now(); !now.Equal(f.start) {
		t.Fatalf("refused moves changed the clock to %s", now)
	}
	if s := f.subscription(); s.NextReminderDate == nil || !s.NextReminderDate.Equal(day(f.start, 1, -7)) {
		t.Fatalf("refused moves changed the schedule: %v", s.NextReminderDate)
	}
	now, evs, err := a.SetClock(day(f.start, 1, -7))
	if err != nil || !now.Equal(day(f.start, 1, -7)) || len(evs) != 2 || evs[0].Type != "invoice.created" || evs[1].Type != "subscription.reminder" {
		t.Fatalf("SetClock(reminder date) = %s, %v, %v", now, describe(evs), err)
	}
}

// Clock moves and reads from many goroutines: race-free, and the outcome is
// the same as moving the clock in one go (run with -race).
func TestConcurrentClockMovesAndReads(t *testing.T) {
	a := newAccount(t)
	f := subscribe(t, a, buy{plan: planParams("day", 1, 0, 0, 0), price: 1})
	done := make(chan struct{})
	for g := 0; g < 4; g++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := 0; i < 25; i++ {
				if _, _, err := a.AdvanceClock(6 * time.Hour); err != nil {
					t.Error(err)
					return
				}
				if _, err := a.Subscription(f.sub); err != nil {
					t.Error(err)
					return
				}
				if _, err := a.Invoices(state.InvoiceFilter{}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for g := 0; g < 4; g++ {
		<-done
	}
	// 4 × 25 × 6h = 25 days: 25 daily renewals, each paid.
	page, err := a.Invoices(state.InvoiceFilter{State: "paid", ListParams: state.ListParams{Limit: 100}})
	if err != nil || len(page.Data) != 25 {
		t.Fatalf("%d paid invoices, %v; want 25", len(page.Data), err)
	}
	if s := f.subscription(); !s.NextInvoiceDate.Equal(day(f.start, 0, 26)) {
		t.Fatalf("nextInvoiceDate %s, want %s", s.NextInvoiceDate, day(f.start, 0, 26))
	}
}

// rfc3339Times rewrites the dates DR writes in its pair form
// ("2022-08-25T21:09:39.061+0000") as RFC 3339, so that they decode into
// time.Time; it fails the test if the subscription of a pair is not in that form.
func rfc3339Times(t *testing.T, raw []byte) []byte {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("pair object: %v", err)
	}
	var walk func(any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				x[k] = walk(e)
			}
		case []any:
			for i, e := range x {
				x[i] = walk(e)
			}
		case string:
			if tm, err := time.Parse(wire.PairTimeLayout, x); err == nil {
				return tm.Format(time.RFC3339Nano)
			}
		}
		return v
	}
	m, _ := v.(map[string]any)
	sub, _ := m["subscription"].(map[string]any)
	if created, _ := sub["createdTime"].(string); created != "" {
		if _, err := time.Parse(wire.PairTimeLayout, created); err != nil {
			t.Fatalf("pair subscription createdTime %q is not in DR's pair form: %v", created, err)
		}
	}
	out, err := json.Marshal(walk(v))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// DR's invoice events (docs/events.md): invoice.created when the draft is
// built, and invoice.updated after every later state event, its
// previousAttributes naming the state left.
func TestInvoiceCreatedAndUpdated(t *testing.T) {
	a := newAccount(t)
	f := subscribe(t, a, buy{plan: planParams("month", 1, 7, 0, 0), price: 10})
	advanceDays(31)(f)
	var got []string
	var invoiceID string
	for _, e := range f.log {
		if !strings.HasPrefix(e.Type, "invoice.") && e.Type != "subscription.reminder" {
			continue
		}
		desc := e.Type
		if e.Type == "invoice.updated" {
			var prev map[string]any
			if err := json.Unmarshal(e.Data.PreviousAttributes, &prev); err != nil {
				t.Fatalf("invoice.updated previousAttributes %s: %v", e.Data.PreviousAttributes, err)
			}
			desc += fmt.Sprintf(" (was %v)", prev["state"])
		}
		if strings.HasPrefix(e.Type, "invoice.") {
			var inv state.Invoice
			if err := json.Unmarshal(e.Data.Object, &inv); err != nil {
				t.Fatalf("%s: %v", e.Type, err)
			}
			if invoiceID == "" {
				invoiceID = inv.ID
			}
			if inv.ID != invoiceID {
				t.Fatalf("%s is about invoice %s, want the cycle's %s", e.Type, inv.ID, invoiceID)
			}
			if e.Type == "invoice.created" && (inv.State != "draft" || inv.TotalAmount != 10) {
				t.Fatalf("invoice.created: state %s total %.2f; want the filled draft", inv.State, inv.TotalAmount)
			}
		}
		got = append(got, desc)
	}
	want := []string{
		"invoice.created", "subscription.reminder",
		"invoice.open", "invoice.updated (was draft)",
		"invoice.paid", "invoice.updated (was open)",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("events\n got %v\nwant %v", got, want)
	}
}
