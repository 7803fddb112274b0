package state

import (
	"fmt"
	"math"
	"time"
)

// This file is the subscription lifecycle on the virtual clock
// (docs/events.md#subscription-events, docs/lifecycles.md#subscription-dr-coordinated). Nothing here waits on wall time: advancing a test clock
// (AdvanceTestClock; AdvanceClock for the account clock in Go tests) runs every transition
// that falls due, in time order, before the clock reaches its target.

// schedule is what the virtual clock will do next to one subscription. Every
// time is a due time.
type schedule struct {
	remindAt  *time.Time // subscription.reminder for this cycle
	invoiceAt *time.Time // the cycle's invoice opens and is charged
	retryAt   *time.Time // the next charge attempt while dunning
	failAt    *time.Time // the collection period ends: subscription.failed
	lapseAt   *time.Time // the source_invalid grace period ends: subscription.lapsed

	invoiceID    string    // this cycle's invoice (draft, then open)
	dunningStart time.Time // when the open invoice opened
	attempts     int       // charge attempts on the open invoice
	resumeState  string    // active or activeFree: the state before activePendingInvoice

	// Period arithmetic: period k ends at anchor + (k+1) × interval, with
	// month ends clamped, so that a subscription started on 31 January
	// renews on 28/29 February, 31 March, 30 April, … [choice]. A plan
	// with another interval re-anchors at the start of the next period.
	anchor         time.Time
	anchorInterval string
	anchorCount    int
	periods        int
}

// dueKind is what falls due; at one instant they run in this order.
type dueKind int

const (
	dueReminder dueKind = iota
	dueInvoice
	dueRetry
	dueFail
	dueLapse
)

// nextDue is the subscription's earliest pending transition. Caller holds
// a.mu.
func (a *Account) nextDue(s *Subscription) (at time.Time, kind dueKind, ok bool) {
	sc := a.schedOf(s)
	consider := func(t *time.Time, k dueKind) {
		if t != nil && (!ok || t.Before(at)) {
			at, kind, ok = *t, k, true
		}
	}
	switch s.State {
	case "active", "activeFree":
		consider(sc.remindAt, dueReminder)
		consider(sc.invoiceAt, dueInvoice)
		consider(sc.lapseAt, dueLapse)
	case "activePendingInvoice":
		consider(sc.retryAt, dueRetry)
		consider(sc.failAt, dueFail)
	}
	return at, kind, ok
}

// lastClockTime is the latest time the virtual clock accepts (its
// timestamps are RFC 3339, whose years have four digits).
var lastClockTime = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)

// AdvanceClock is AdvanceTo(now + d) on the account's own clock, for Go
// tests: the control API cannot move the account's clock (it follows wall
// time; virtual time lives in test clocks, testclocks.go). It returns the
// new time and the events recorded on the way.
func (a *Account) AdvanceClock(d time.Duration) (time.Time, []*Event, error) {
	if d < 0 {
		return time.Time{}, nil, fmt.Errorf("clock: cannot move back by %s", -d)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	if d > lastClockTime.Sub(now) {
		return time.Time{}, nil, fmt.Errorf("clock: cannot advance %s by %s (never past %s)",
			now.Format(time.RFC3339), d, lastClockTime.Format(time.RFC3339))
	}
	evs, err := a.advanceTo(now.Add(d))
	return a.now(), evs, err
}

// SetClock is AdvanceTo(t) on the account's own clock, for Go tests (see
// AdvanceClock). It returns the new time and the events recorded on the way.
func (a *Account) SetClock(t time.Time) (time.Time, []*Event, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	evs, err := a.advanceTo(t.UTC())
	return a.now(), evs, err
}

// AdvanceTo moves the account's own clock forward to t, running every
// transition of the subscriptions of customers without a test clock due at
// or before t in time order (AdvanceTestClock does the same for a test
// clock's customers): it sets the
// clock to each due time in turn, so that each transition's events,
// stateTransitions and dates carry its due time, not t. (When the clock
// follows wall time rather than being frozen, an event's createdTime is its
// due time plus the microseconds the step took; stateTransitions and dates
// are exact.) It returns the events recorded, oldest first. Moving back is
// refused. Transitions run only when the control API moves the clock: wall
// time passing never triggers one.
// The schedule it runs, per subscription, is in
// docs/lifecycles.md#the-subscription-schedule-in-the-simulator.
func (a *Account) AdvanceTo(t time.Time) ([]*Event, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.advanceTo(t.UTC())
}

// advanceTo is AdvanceTo with a.mu held.
func (a *Account) advanceTo(t time.Time) ([]*Event, error) {
	now := a.now()
	switch {
	case t.Before(now):
		return nil, fmt.Errorf("clock: cannot move back from %s to %s", now.Format(time.RFC3339), t.Format(time.RFC3339))
	case t.After(lastClockTime) || t.Sub(now) == time.Duration(math.MaxInt64):
		return nil, fmt.Errorf("clock: cannot move from %s to %s (never past %s)",
			now.Format(time.RFC3339), t.Format(time.RFC3339), lastClockTime.Format(time.RFC3339))
	}
	var recorded []*Event
	stop := a.collect(&recorded)
	defer stop()
	for {
		s, due, kind, ok := a.earliestDue("")
		if !ok || due.After(t) {
			break
		}
		if due.After(a.now()) {
			if _, err := a.clock.Set(due); err != nil {
				return recorded, err
			}
		}
		a.runDue(s, due, kind)
	}
	if rest := t.Sub(a.now()); rest > 0 {
		if _, err := a.clock.Advance(rest); err != nil {
			return recorded, err
		}
	}
	return recorded, nil
}

// collect makes record append each new event (an *Event of the list's
// own) to *into until the returned func runs. Caller holds a.mu (and still holds it when calling the func).
func (a *Account) collect(into *[]*Event) (stop func()) {
	a.collecting = append(a.collecting, into)
	return func() {
		for i, c := range a.collecting {
			if c == into {
				a.collecting = append(a.collecting[:i], a.collecting[i+1:]...)
				return
			}
		}
	}
}

// earliestDue is the next transition of the customers on test clock
// clockID (on the account's own clock when ""); ties go to the subscription
// created first.
func (a *Account) earliestDue(clockID string) (s *Subscription, at time.Time, kind dueKind, ok bool) {
	for _, sub := range a.subs.all() {
		if a.clockOf(sub.CustomerID) != clockID {
			continue
		}
		t, k, due := a.nextDue(sub)
		if due && (!ok || t.Before(at)) {
			s, at, kind, ok = sub, t, k, true
		}
	}
	return s, at, kind, ok
}

func (a *Account) runDue(s *Subscription, at time.Time, kind dueKind) {
	switch kind {
	case dueReminder:
		a.remind(s, at)
	case dueInvoice:
		a.invoiceDue(s, at)
	case dueRetry:
		a.attemptCharge(s, at)
	case dueFail:
		a.failSubscription(s, at)
	case dueLapse:
		a.lapse(s, at)
	}
}

// subscriptionPair is data.object of subscription.reminder, .extended and
// .payment_failed (docs/events.md#shape-of-dataobject).
type subscriptionPair struct {
	Subscription *Subscription `json:"subscription"`
	Invoice      *Invoice      `json:"invoice"`
}

// beginPeriod starts the period that begins at start, scheduling at time at
// (start, or later when a late payment starts it): dates, reminder and
// invoice. Caller holds a.mu.
func (a *Account) beginPeriod(s *Subscription, p *Plan, start, at time.Time) {
	sc := a.schedOf(s)
	if sc.anchor.IsZero() || sc.anchorInterval != p.Interval || sc.anchorCount != p.IntervalCount {
		sc.anchor, sc.anchorInterval, sc.anchorCount, sc.periods = start, p.Interval, p.IntervalCount, 0
	}
	end := addInterval(sc.anchor, p.Interval, p.IntervalCount*(sc.periods+1))
	invoiceAt := end.AddDate(0, 0, -p.BillingOffsetDays)
	if invoiceAt.Before(at) {
		invoiceAt = at // paid so late that the next invoice is already due
	}
	periodStart, nextInvoice, due := start, invoiceAt, invoiceAt
	s.CurrentPeriodStartDate, s.CurrentPeriodEndDate, s.NextInvoiceDate = &periodStart, &end, &nextInvoice
	sc.invoiceAt, sc.invoiceID = &due, ""
	sc.remindAt, s.NextReminderDate = nil, nil
	if p.ReminderOffsetDays >= 0 {
		if r := invoiceAt.AddDate(0, 0, -p.ReminderOffsetDays); r.After(at) {
			shown, remind := r, r
			s.NextReminderDate, sc.remindAt = &shown, &remind
		}
	}
}

// advancePeriod moves a subscription to its next period. Caller holds a.mu.
func (a *Account) advancePeriod(s *Subscription, at time.Time) {
	a.schedOf(s).periods++
	plan, _ := a.plans.get(s.PlanID)
	a.beginPeriod(s, plan, *s.CurrentPeriodEndDate, at)
}

// addInterval is t plus n days, weeks, months or years; months and years
// clamp to the end of a shorter month.
func addInterval(t time.Time, interval string, n int) time.Time {
	switch interval {
	case "day":
		return t.AddDate(0, 0, n)
	case "week":
		return t.AddDate(0, 0, 7*n)
	case "year":
		n *= 12
	}
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(n), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	if last := first.AddDate(0, 1, -1).Day(); d > last {
		d = last
	}
	return first.AddDate(0, 0, d-1)
}

// cardExpiry is the first instant a card is no longer valid: it is valid
// through the last day of its expiration month (UTC).
func cardExpiry(cc *CreditCard) time.Time {
	return time.Date(cc.ExpirationYear, time.Month(cc.ExpirationMonth)+1, 1, 0, 0, 0, 0, time.UTC)
}

// sourceUsable reports whether an invoice can be billed to src at time at.
func sourceUsable(src *Source, at time.Time) bool {
	if src == nil || src.State != "chargeable" {
		return false
	}
	return src.CreditCard == nil || at.Before(cardExpiry(src.CreditCard))
}

// attemptDays are the days after an invoice opens on which its charge is
// attempted, for a collection period of c days (see AdvanceTo).
func attemptDays(c int) []int {
	if c <= 1 {
		return []int{0}
	}
	var out []int
	for i := 0; i < 4; i++ {
		if d := i * c / 4; len(out) == 0 || d != out[len(out)-1] {
			out = append(out, d)
		}
	}
	return out
}

// remind is nextReminderDate: subscription.reminder with a draft invoice.
func (a *Account) remind(s *Subscription, at time.Time) {
	a.schedOf(s).remindAt = nil
	inv := a.draftInvoice(s, at)
	a.record("subscription.reminder", subscriptionPair{Subscription: s, Invoice: inv}, nil)
}

// invoiceDue is nextInvoiceDate (and a new source after source_invalid):
// end, source_invalid, no billing, or open and charge (see AdvanceTo).
func (a *Account) invoiceDue(s *Subscription, at time.Time) {
	sc := a.schedOf(s)
	sc.invoiceAt, sc.remindAt = nil, nil
	plan, _ := a.plans.get(s.PlanID)
	if plan.State == "deactivated" || !a.subNote(s).autoRenewal {
		a.end(s, at)
		return
	}
	src, _ := a.sources.get(s.SourceID)
	if !sourceUsable(src, at) {
		if sc.lapseAt == nil {
			lapse := at.AddDate(0, 0, plan.CollectionPeriodDays)
			sc.lapseAt = &lapse
		}
		s.UpdatedTime = at
		a.record("subscription.source_invalid", s, nil)
		return
	}
	sc.lapseAt = nil
	inv := a.draftInvoice(s, at)
	if inv.TotalAmount == 0 {
		// DR: "invoice total 0 → activeFree, no billing" (docs/lifecycles.md),
		// also for a paid subscription whose price became 0. It turns
		// active again when a later invoice is priced and paid
		// (attemptCharge). stateTransitions.activatedFree is set the first
		// time, as activated is [choice]; no subscription event [choice: DR
		// documents none], the voided invoice's events only.
		a.voidInvoice(inv, at)
		if s.State != "activeFree" {
			s.State = "activeFree"
			if _, had := s.StateTransitions["activatedFree"]; !had {
				s.StateTransitions["activatedFree"] = at
			}
		}
		a.advancePeriod(s, at)
		s.UpdatedTime = at
		return
	}
	sc.resumeState = s.State
	s.State = "activePendingInvoice"
	s.UpdatedTime = at
	sc.dunningStart, sc.attempts = at, 0
	fail := at.AddDate(0, 0, inv.CollectionPeriodDays)
	sc.failAt = &fail
	a.setInvoiceState(inv, "open", at)
	a.attemptCharge(s, at)
}

// attemptCharge charges the open invoice once (see AdvanceTo).
func (a *Account) attemptCharge(s *Subscription, at time.Time) {
	a.schedOf(s).retryAt = nil
	inv := a.currentInvoice(s)
	src, _ := a.sources.get(s.SourceID)
	inv.AttemptCount++
	a.schedOf(s).attempts++
	ch := &InvoiceCharge{
		ID: newUUID(), CreatedTime: at, Currency: inv.Currency, Amount: inv.TotalAmount,
		SourceID: s.SourceID, Type: "merchant_initiated",
	}
	inv.Payment.Charges = append(inv.Payment.Charges, ch)
	inv.UpdatedTime = at
	if sourceUsable(src, at) && !a.behaviours[src.ID].chargeFails {
		// As DR's subscription.extended sample shows the invoice's charge:
		// {"state":"processing","captured":true} (docs/events.md).
		ch.State, ch.Captured = "processing", true
		wasState := inv.State
		inv.State = "paid"
		inv.StateTransitions["paid"] = at
		inv.OrderID = a.renewalOrder(s, inv, src, at).ID
		s.State = "active"
		if _, had := s.StateTransitions["activated"]; !had {
			s.StateTransitions["activated"] = at // the trial conversion
		}
		a.schedOf(s).failAt = nil
		a.advancePeriod(s, at)
		s.UpdatedTime = at
		a.record("subscription.extended", subscriptionPair{Subscription: s, Invoice: inv}, nil)
		a.record("invoice.paid", inv, nil)
		a.record("invoice.updated", inv, map[string]any{"state": wasState})
		return
	}
	ch.State, ch.FailureCode = "failed", "declined"
	if sc, days := a.schedOf(s), attemptDays(inv.CollectionPeriodDays); sc.attempts < len(days) {
		retry := sc.dunningStart.AddDate(0, 0, days[sc.attempts])
		sc.retryAt = &retry
	}
	a.record("subscription.payment_failed", subscriptionPair{Subscription: s, Invoice: inv}, nil)
	a.record("invoice.payment_failed", inv, nil)
}

// failSubscription is the end of the collection period with the invoice unpaid.
func (a *Account) failSubscription(s *Subscription, at time.Time) {
	inv := a.currentInvoice(s)
	*a.schedOf(s) = schedule{}
	s.State = "failed"
	s.StateTransitions["failed"] = at
	s.UpdatedTime = at
	a.record("subscription.failed", s, nil)
	if inv != nil {
		a.setInvoiceState(inv, "uncollectible", at)
	}
}

// lapse is the end of the source_invalid grace period with no new source.
func (a *Account) lapse(s *Subscription, at time.Time) {
	inv := a.currentInvoice(s)
	*a.schedOf(s) = schedule{}
	s.State = "lapsed"
	s.StateTransitions["lapsed"] = at
	s.UpdatedTime = at
	a.record("subscription.lapsed", s, nil)
	a.voidInvoice(inv, at)
}

// end is a renewal that must not happen: the plan is deactivated or the
// subscription does not auto-renew.
func (a *Account) end(s *Subscription, at time.Time) {
	before := snapshot(s)
	inv := a.currentInvoice(s)
	*a.schedOf(s) = schedule{}
	s.State = "ended"
	s.StateTransitions["ended"] = at
	s.UpdatedTime = at
	a.record("subscription.updated", s, previousAttributes(before, snapshot(s)))
	a.voidInvoice(inv, at)
}

// reissueInvoice is a new source during dunning: the open invoice becomes
// void and a new one is opened and charged at once.
func (a *Account) reissueInvoice(s *Subscription, at time.Time) {
	a.voidInvoice(a.currentInvoice(s), at)
	sc := a.schedOf(s)
	s.State = sc.resumeState
	sc.invoiceID, sc.retryAt, sc.failAt = "", nil, nil
	a.invoiceDue(s, at)
}
