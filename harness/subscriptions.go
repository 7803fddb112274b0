package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/drsim/drsim/harness/profile"
	"github.com/drsim/drsim/simulator/client"
)

// PlanSpec describes a subscription plan.
type PlanSpec struct {
	Name                 string
	Interval             string // day, week, month, year
	ReminderOffsetDays   int    // negative: no reminders
	CollectionPeriodDays int
}

// CreatePlan creates a plan the scenario can subscribe to by name.
func (s *Scenario) CreatePlan(ctx context.Context, p PlanSpec) error {
	plan, err := s.h.dr.CreatePlan(ctx, client.PlanParams{
		Name: client.String(p.Name), Terms: client.String(p.Name + " terms: renews every " + p.Interval + "."),
		Interval: client.String(p.Interval), IntervalCount: client.Int(1), ReminderOffsetDays: client.Int(p.ReminderOffsetDays),
		BillingOffsetDays: client.Int(0), CollectionPeriodDays: client.Int(p.CollectionPeriodDays), State: client.String("active"),
	})
	if err != nil {
		return fmt.Errorf("create plan %q: %w", p.Name, err)
	}
	if s.plans == nil {
		s.plans = map[string]string{}
	}
	s.plans[p.Name] = plan.ID
	return nil
}

func (s *Scenario) planID(name string) (string, error) {
	id, ok := s.plans[name]
	if !ok {
		return "", fmt.Errorf("no plan %q in this scenario; add a step like `Given a monthly plan %q`", name, name)
	}
	return id, nil
}

// PayWithCardExpiringThisMonth makes the next order pay with a Visa that
// expires at the end of the scenario clock's current month.
func (s *Scenario) PayWithCardExpiringThisMonth(ctx context.Context) error {
	now, err := s.clockNow(ctx)
	if err != nil {
		return err
	}
	s.card, s.method = &client.CardParams{Number: "4444222233331111", ExpirationMonth: int(now.Month()), ExpirationYear: now.Year()}, ""
	return nil
}

// PayWithCardExpiringIn makes the next order pay with a Visa that expires
// at the end of month/year (a card is valid through the last day of its
// expiration month). A month already over on the scenario's clock is
// refused: DR does not tokenise an expired card.
func (s *Scenario) PayWithCardExpiringIn(ctx context.Context, month time.Month, year int) error {
	now, err := s.clockNow(ctx)
	if err != nil {
		return err
	}
	if !now.Before(cardExpiry(month, year)) {
		return fmt.Errorf("a card that expires at the end of %s %d has expired already: the scenario's clock is at %s; name a later month",
			month, year, now.Format("2 January 2006"))
	}
	s.card, s.method = &client.CardParams{Number: "4444222233331111", ExpirationMonth: int(month), ExpirationYear: year}, ""
	return nil
}

// cardExpiry is the first instant a card of month/year is no longer valid.
func cardExpiry(month time.Month, year int) time.Time {
	return time.Date(year, month+1, 1, 0, 0, 0, 0, time.UTC)
}

// CardExpiresBeforeNextInvoice puts on the subscription (through DR's API,
// as CardDeclines does) a new Visa that is valid now but expires at the end
// of the month before the subscription's next invoice, the latest expiry
// that does not reach that invoice. It fails when the next invoice is in
// the clock's current month (no card valid today expires before it).
func (s *Scenario) CardExpiresBeforeNextInvoice(ctx context.Context) error {
	o, err := s.currentOrder()
	if err != nil {
		return err
	}
	if s.subscriptionID == "" {
		return fmt.Errorf("no subscription in this scenario yet")
	}
	if err := s.awaitActivation(ctx); err != nil {
		return err
	}
	sub, err := s.h.dr.Subscription(ctx, s.subscriptionID)
	if err != nil {
		return fmt.Errorf("read subscription %s: %w", s.subscriptionID, err)
	}
	if sub.NextInvoiceDate == nil {
		return fmt.Errorf("subscription %s (%s) has no next invoice date", sub.ID, sub.State)
	}
	now, err := s.clockNow(ctx)
	if err != nil {
		return err
	}
	next := sub.NextInvoiceDate.UTC()
	y, m, _ := next.Date()
	last := time.Date(y, m-1, 1, 0, 0, 0, 0, time.UTC) // the month before the invoice's
	if !now.Before(cardExpiry(last.Month(), last.Year())) {
		return fmt.Errorf("subscription %s invoices next on %s, in the scenario clock's current month (now %s): no card valid today expires before it; let time pass first",
			sub.ID, next.Format("2 January 2006"), now.Format("2 January 2006"))
	}
	src, err := s.newCardSource(ctx, &client.CardParams{Number: "4444222233331111", ExpirationMonth: int(last.Month()), ExpirationYear: last.Year()})
	if err != nil {
		return err
	}
	if _, err := s.h.dr.AttachSource(ctx, o.Customer.ID, src); err != nil {
		return fmt.Errorf("save the expiring card: %w", err)
	}
	return s.UpdateSubscription(ctx, client.SubscriptionUpdateParams{SourceID: client.String(src)})
}

// testClock is the scenario's test clock, created frozen at wall time now
// when the scenario makes its first customer. Every customer of the
// scenario is attached to it, so a scenario that moves time moves only its
// own customers, and runs in parallel with every other scenario.
func (s *Scenario) testClock(ctx context.Context) (string, error) {
	if s.clock != "" {
		return s.clock, nil
	}
	c, err := s.h.dr.CreateTestClock(ctx, s.name, time.Time{})
	if err != nil {
		return "", fmt.Errorf("create the scenario's test clock: %w", err)
	}
	s.clock = c.ID
	return s.clock, nil
}

// clockNow is the time on the scenario's test clock.
func (s *Scenario) clockNow(ctx context.Context) (time.Time, error) {
	id, err := s.testClock(ctx)
	if err != nil {
		return time.Time{}, err
	}
	c, err := s.h.dr.TestClock(ctx, id)
	if err != nil {
		return time.Time{}, fmt.Errorf("read the scenario's test clock: %w", err)
	}
	return c.FrozenTime, nil
}

// cardExpiry is a card expiry year three years after the scenario's clock.
func (s *Scenario) cardExpiryYear(ctx context.Context) (int, error) {
	now, err := s.clockNow(ctx)
	if err != nil {
		return 0, err
	}
	return now.Year() + 3, nil
}

// moveClock advances the scenario's test clock by d and returns the events
// the move recorded.
func (s *Scenario) moveClock(ctx context.Context, d time.Duration) ([]client.EventRef, error) {
	id, err := s.testClock(ctx)
	if err != nil {
		return nil, err
	}
	moved, err := s.h.dr.AdvanceTestClock(ctx, id, d)
	if err != nil {
		return nil, fmt.Errorf("advance the scenario's test clock by %s: %w", d, err)
	}
	return moved.Events, nil
}

// moveClockTo advances the scenario's test clock to t and returns the
// events the move recorded.
func (s *Scenario) moveClockTo(ctx context.Context, t time.Time) ([]client.EventRef, error) {
	id, err := s.testClock(ctx)
	if err != nil {
		return nil, err
	}
	moved, err := s.h.dr.AdvanceTestClockTo(ctx, id, t)
	if err != nil {
		return nil, fmt.Errorf("advance the scenario's test clock to %s: %w", t.Format(time.RFC3339), err)
	}
	return moved.Events, nil
}

// newCardSource creates a card source with the secret key.
func (s *Scenario) newCardSource(ctx context.Context, card *client.CardParams) (string, error) {
	src, err := s.h.dr.CreateSource(ctx, client.SourceParams{Type: "creditCard", CreditCard: card})
	if err != nil {
		return "", fmt.Errorf("create a card source: %w", err)
	}
	return src.ID, nil
}

// cardSource is the source the next order pays with: a new source of the
// card chosen by a step, or "" for the simulator's default.
func (s *Scenario) cardSource(ctx context.Context) (string, error) {
	if s.method != "" {
		return s.methodSource(ctx) // payments.go
	}
	if s.card == nil {
		return "", nil
	}
	return s.newCardSource(ctx, s.card)
}

// PlaceSubscriptionOrder places an order whose lines subscribe the customer
// to a plan (with a free trial when freeTrial), as a checkout with
// subscriptionInfo does.
func (s *Scenario) PlaceSubscriptionOrder(ctx context.Context, customerName, currency, plan string, freeTrial bool, lines []Line) (*Order, error) {
	c, err := s.customer(customerName)
	if err != nil {
		return nil, err
	}
	planID, err := s.planID(plan)
	if err != nil {
		return nil, err
	}
	items, err := s.placeItems(ctx, lines, &client.SubscriptionInfo{PlanID: planID, Terms: plan + " terms", AutoRenewal: client.Bool(true), FreeTrial: freeTrial})
	if err != nil {
		return nil, err
	}
	p := client.PlaceOrderParams{CustomerID: c.ID, Currency: currency, Items: items}
	if p.SourceID, err = s.cardSource(ctx); err != nil {
		return nil, err
	}
	placed, err := s.h.dr.PlaceOrder(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("place a subscription order for %s: %w", customerName, err)
	}
	s.order = newOrder(placed, c)
	for _, it := range placed.Items {
		if it.SubscriptionInfo != nil && it.SubscriptionInfo.SubscriptionID != "" {
			s.subscriptionID = it.SubscriptionInfo.SubscriptionID
		}
	}
	if s.subscriptionID == "" {
		return nil, fmt.Errorf("order %s started no subscription", placed.ID)
	}
	if freeTrial {
		for _, l := range lines {
			s.trialPrice = max(s.trialPrice, l.Price)
		}
	}
	return s.order, nil
}

// maxStep keeps each clock move inside DR's 30-day event retention, so the
// scenario can keep every event the move produced.
const maxStep = 29 * 24 * time.Hour

// PassDays advances the scenario's test clock by days, in steps of at most
// 29 days, and keeps every event each step produced. The simulator runs every
// renewal, reminder and retry that falls due, in order.
func (s *Scenario) PassDays(ctx context.Context, days int) error {
	return s.advance(ctx, time.Duration(days)*24*time.Hour)
}

// PassUntil advances the clock to the subscription's next reminder
// ("nextReminderDate") or next invoice ("nextInvoiceDate") date.
func (s *Scenario) PassUntil(ctx context.Context, field string) error {
	if s.subscriptionID == "" {
		return fmt.Errorf("no subscription in this scenario yet")
	}
	if err := s.awaitActivation(ctx); err != nil {
		return err
	}
	sub, err := s.h.dr.Subscription(ctx, s.subscriptionID)
	if err != nil {
		return err
	}
	var date *time.Time
	switch field {
	case "nextReminderDate":
		date = sub.NextReminderDate
	case "nextInvoiceDate":
		date = sub.NextInvoiceDate
	default:
		return fmt.Errorf("the clock can pass until nextReminderDate or nextInvoiceDate, not %q", field)
	}
	if date == nil {
		return fmt.Errorf("subscription %s has no %s", s.subscriptionID, field)
	}
	due := *date
	v := due.Format(time.RFC3339)
	now, err := s.clockNow(ctx)
	if err != nil {
		return err
	}
	if !due.After(now) {
		return fmt.Errorf("subscription %s: %s %s is not in the future (now %s)", s.subscriptionID, field, v, now.Format(time.RFC3339))
	}
	return s.advance(ctx, due.Sub(now))
}

func (s *Scenario) advance(ctx context.Context, left time.Duration) error {
	if err := s.awaitActivation(ctx); err != nil {
		return err
	}
	for left > 0 {
		step := min(left, maxStep)
		left -= step
		evs, err := s.moveClock(ctx, step)
		if err != nil {
			return err
		}
		for _, e := range evs {
			de, err := s.h.dr.Event(ctx, e.ID)
			if err != nil {
				return fmt.Errorf("read event %s: %w", e.ID, err)
			}
			ev, err := decodeEvent(de)
			if err != nil {
				return err
			}
			if s.about(ev) {
				s.kept = append(s.kept, ev)
			}
		}
	}
	return nil
}

// awaitActivation waits (up to the profile's email timeout: the merchant
// acts on order.accepted asynchronously) until the merchant has activated
// the scenario's subscription. DR creates it as a draft from the checkout
// and leaves it so until the merchant calls POST /subscriptions/{id}
// {"state":"active"} after order.accepted; a draft is never reminded,
// renewed or billed, so time passing means nothing until then.
func (s *Scenario) awaitActivation(ctx context.Context) error {
	if s.subscriptionID == "" || s.activated {
		return nil
	}
	wait := s.h.cfg.Profile.EmailTimeout()
	if _, err := s.h.dr.WaitSubscriptionState(ctx, s.subscriptionID, wait, "active", "activeFree"); err != nil {
		state := "unknown"
		if sub, gerr := s.h.dr.Subscription(ctx, s.subscriptionID); gerr == nil {
			state = sub.State
		}
		if client.StatusOf(err) == http.StatusRequestTimeout {
			return fmt.Errorf("subscription %s is still %s %s after order.accepted: the merchant never activated it. "+
				"Digital River leaves an accepted order's subscriptions in draft until the merchant calls "+
				`POST /subscriptions/{id} {"state":"active"}; a draft is never reminded, renewed or billed`, s.subscriptionID, state, wait)
		}
		return fmt.Errorf("wait for subscription %s to be activated: %w", s.subscriptionID, err)
	}
	s.activated = true
	return s.awaitTrialPrice(ctx)
}

// awaitTrialPrice waits (up to the email timeout) until the merchant has
// set the price after a free trial on the subscription, when the checkout
// recorded one: DR bills a trial's end at the subscription's price, so
// moving time before the merchant priced it would end the trial at 0 (and
// fail a merchant that prices it a little later, as DR allows any time
// during the trial).
func (s *Scenario) awaitTrialPrice(ctx context.Context) error {
	if s.trialPrice <= 0 || s.priced {
		return nil
	}
	deadline := time.Now().Add(s.h.cfg.Profile.EmailTimeout())
	tick := time.NewTicker(effectPoll)
	defer tick.Stop()
	for {
		sub, err := s.h.dr.Subscription(ctx, s.subscriptionID)
		if err != nil {
			return fmt.Errorf("read subscription %s: %w", s.subscriptionID, err)
		}
		for _, it := range sub.Items {
			if it.Price > 0 {
				s.priced = true
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("free trial subscription %s is %s with price 0 %s after its activation: the merchant never set the price after the trial "+
				"(%.2f, the checkout line's metadata.paidPrice). Digital River bills the trial's end at the subscription's price, "+
				"so the merchant must set it during the trial with POST /subscriptions/{id} {\"items\":[{\"skuId\":…,\"price\":…}]}",
				s.subscriptionID, sub.State, s.h.cfg.Profile.EmailTimeout(), s.trialPrice)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for the price after the trial on subscription %s: %w", s.subscriptionID, ctx.Err())
		case <-tick.C:
		}
	}
}

// UpdateSubscription sends POST /subscriptions/{id} with p (as the
// merchant does for its customer).
func (s *Scenario) UpdateSubscription(ctx context.Context, p client.SubscriptionUpdateParams) error {
	if s.subscriptionID == "" {
		return fmt.Errorf("no subscription in this scenario yet")
	}
	if err := s.awaitActivation(ctx); err != nil {
		return err
	}
	if _, err := s.h.dr.UpdateSubscription(ctx, s.subscriptionID, p); err != nil {
		return fmt.Errorf("update subscription %s with %+v: %w", s.subscriptionID, p, err)
	}
	return nil
}

// subscriptionData is the template data of a subscription action.
func (s *Scenario) subscriptionData(ctx context.Context) (profile.ActionData, error) {
	if s.subscriptionID == "" {
		return profile.ActionData{}, fmt.Errorf("no subscription in this scenario yet")
	}
	// The merchant activates the subscription after order.accepted; act on
	// it once it has.
	if err := s.awaitActivation(ctx); err != nil {
		return profile.ActionData{}, err
	}
	d, err := s.actionData(nil)
	if err != nil {
		return d, err
	}
	sub, err := s.h.dr.Subscription(ctx, s.subscriptionID)
	if err != nil {
		return d, fmt.Errorf("read subscription %s: %w", s.subscriptionID, err)
	}
	d.Subscription = profile.ActionSubscription{ID: sub.ID, PlanID: sub.PlanID}
	return d, nil
}

// waitSubscription waits (up to the email timeout) until DR's subscription
// shows what ok wants; it fails with what was asked and what DR shows.
func (s *Scenario) waitSubscription(ctx context.Context, action, asked string, ok func(*client.Subscription) bool) error {
	deadline := time.Now().Add(s.h.cfg.Profile.EmailTimeout())
	tick := time.NewTicker(effectPoll)
	defer tick.Stop()
	for {
		sub, err := s.h.dr.Subscription(ctx, s.subscriptionID)
		if err != nil {
			return fmt.Errorf("read subscription %s: %w", s.subscriptionID, err)
		}
		if ok(sub) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("action %s: asked %s, but after %s Digital River shows subscription %s %s on plan %s with source %q; did the merchant call POST /subscriptions/%s?",
				action, asked, s.h.cfg.Profile.EmailTimeout(), sub.ID, sub.State, sub.PlanID, sub.SourceID, sub.ID)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// CancelSubscription has the merchant cancel the subscription (the
// profile's cancelSubscription action), then checks in DR that it is
// cancelled. Without that action the harness cancels it through DR's API
// and says so (HarnessDid).
func (s *Scenario) CancelSubscription(ctx context.Context) error {
	d, err := s.subscriptionData(ctx)
	if err != nil {
		return err
	}
	if s.h.cfg.Profile.Actions["cancelSubscription"] == nil {
		s.harnessDid("cancelled the subscription through Digital River's API (POST /subscriptions/{id} {state: cancelled}): the profile has no cancelSubscription action, so the merchant's own endpoint was not exercised")
		return s.UpdateSubscription(ctx, client.SubscriptionUpdateParams{State: client.String("cancelled")})
	}
	if _, err := s.perform(ctx, "cancelSubscription", d); err != nil {
		return err
	}
	return s.waitSubscription(ctx, "cancelSubscription", "to cancel subscription "+d.Subscription.ID, func(sub *client.Subscription) bool { return sub.State == "cancelled" })
}

// ChangePlan moves the subscription to another plan of the scenario through
// the merchant (changePlan, with .Plan), then checks the plan in DR. Without
// that action the harness moves it through DR's API and says so.
func (s *Scenario) ChangePlan(ctx context.Context, plan string) error {
	id, err := s.planID(plan)
	if err != nil {
		return err
	}
	d, err := s.subscriptionData(ctx)
	if err != nil {
		return err
	}
	if s.h.cfg.Profile.Actions["changePlan"] == nil {
		s.harnessDid("moved the subscription to another plan through Digital River's API (POST /subscriptions/{id} {planId}): the profile has no changePlan action, so the merchant's own endpoint was not exercised")
		return s.UpdateSubscription(ctx, client.SubscriptionUpdateParams{PlanID: client.String(id)})
	}
	d.Plan = profile.ActionPlan{ID: id, Name: plan}
	if _, err := s.perform(ctx, "changePlan", d); err != nil {
		return err
	}
	return s.waitSubscription(ctx, "changePlan", fmt.Sprintf("plan %s (%q)", id, plan), func(sub *client.Subscription) bool { return sub.PlanID == id })
}

// ChangePrice sets the price of every item of the subscription through DR's
// API (POST /subscriptions/{id} {items}), as a merchant's back office
// would: the merchant then gets a subscription.updated whose
// previousAttributes carry the old items, a change of terms it must
// announce (DR: updated terms on a plan or price change). No profile action
// exists for it; the summary says the harness did it.
func (s *Scenario) ChangePrice(ctx context.Context, price float64) error {
	if price < 0 {
		return fmt.Errorf("a subscription's price cannot be negative, got %.2f", price)
	}
	if s.subscriptionID == "" {
		return fmt.Errorf("no subscription in this scenario yet")
	}
	if err := s.awaitActivation(ctx); err != nil {
		return err
	}
	sub, err := s.h.dr.Subscription(ctx, s.subscriptionID)
	if err != nil {
		return fmt.Errorf("read subscription %s: %w", s.subscriptionID, err)
	}
	items := make([]client.SubscriptionItemParams, 0, len(sub.Items))
	for _, it := range sub.Items {
		if it.Price == price {
			return fmt.Errorf("subscription %s already costs %.2f per unit of %s: a price change needs another price", sub.ID, price, it.SKUID)
		}
		items = append(items, client.SubscriptionItemParams{SKUID: it.SKUID, Price: client.Float(price), Quantity: client.Int(it.Quantity)})
	}
	s.harnessDid("changed the subscription's price through Digital River's API (POST /subscriptions/{id} {items}), as the merchant's back office would")
	return s.UpdateSubscription(ctx, client.SubscriptionUpdateParams{Items: items})
}

// CardDeclines puts a card that declines every charge on the subscription.
func (s *Scenario) CardDeclines(ctx context.Context) error {
	o, err := s.currentOrder()
	if err != nil {
		return err
	}
	year, err := s.cardExpiryYear(ctx)
	if err != nil {
		return err
	}
	src, err := s.newCardSource(ctx, &client.CardParams{Number: "4000000000003600", ExpirationMonth: 12, ExpirationYear: year})
	if err != nil {
		return err
	}
	if _, err := s.h.dr.AttachSource(ctx, o.Customer.ID, src); err != nil {
		return fmt.Errorf("save the declining card: %w", err)
	}
	return s.UpdateSubscription(ctx, client.SubscriptionUpdateParams{SourceID: client.String(src)})
}

// RescueWithNewCard has the customer put a new card on the subscription in
// the merchant's portal: the updatePaymentMethod action (with .SourceID and
// .Subscription), then checks in DR that the subscription is funded by it.
// Without that action, the card is saved with savePaymentMethod and the
// harness puts it on the subscription through DR's API, and says so.
func (s *Scenario) RescueWithNewCard(ctx context.Context, customerName string) error {
	if s.h.cfg.Profile.Actions["updatePaymentMethod"] == nil {
		src, err := s.SavePaymentMethod(ctx, customerName, "5466160000000008")
		if err != nil {
			return err
		}
		s.harnessDid("put the card saved in the portal on the subscription through Digital River's API (POST /subscriptions/{id} {sourceId}): the profile has no updatePaymentMethod action")
		return s.UpdateSubscription(ctx, client.SubscriptionUpdateParams{SourceID: client.String(src)})
	}
	d, err := s.subscriptionData(ctx)
	if err != nil {
		return err
	}
	src, err := s.browserSource(ctx, customerName, "5466160000000008")
	if err != nil {
		return err
	}
	d.SourceID = src
	if _, err := s.perform(ctx, "updatePaymentMethod", d); err != nil {
		return err
	}
	s.savedSource = src
	return s.waitSubscription(ctx, "updatePaymentMethod", "source "+src+" on subscription "+d.Subscription.ID, func(sub *client.Subscription) bool { return sub.SourceID == src })
}

// ExpectSubscriptionState checks the subscription's state in the simulator.
func (s *Scenario) ExpectSubscriptionState(ctx context.Context, want string) error {
	if s.subscriptionID == "" {
		return fmt.Errorf("no subscription in this scenario yet")
	}
	if want != "draft" {
		if err := s.awaitActivation(ctx); err != nil {
			return err
		}
	}
	sub, err := s.h.dr.Subscription(ctx, s.subscriptionID)
	if err != nil {
		return err
	}
	if sub.State != want {
		return fmt.Errorf("subscription %s is %s, want %s", s.subscriptionID, sub.State, want)
	}
	return nil
}

// augment adds what a merchant looks up for subscription notices: each
// items[].skuId's productDetails (GET /skus/{id}) and the plan (GET /plans/{id}),
// in the object and in a pair's subscription.
func (s *Scenario) augment(ctx context.Context, obj map[string]any) error {
	targets := []map[string]any{obj}
	if sub, ok := obj["subscription"].(map[string]any); ok {
		targets = append(targets, sub)
	}
	for _, t := range targets {
		if items, ok := t["items"].([]any); ok {
			for _, it := range items {
				m, ok := it.(map[string]any)
				if !ok || m["productDetails"] != nil {
					continue
				}
				id, _ := m["skuId"].(string)
				if id == "" {
					continue
				}
				sku, err := s.lookup("sku "+id, func() (any, error) { return s.h.dr.SKU(ctx, id) })
				if err != nil {
					return fmt.Errorf("look up SKU %s: %w", id, err)
				}
				m["productDetails"] = sku
			}
		}
		if id, ok := t["planId"].(string); ok && id != "" && t["plan"] == nil {
			plan, err := s.lookup("plan "+id, func() (any, error) { return s.h.dr.Plan(ctx, id) })
			if err != nil {
				return fmt.Errorf("look up plan %s: %w", id, err)
			}
			t["plan"] = plan
		}
	}
	return nil
}

// lookup fetches a SKU or plan once per scenario (they do not change under
// it), as decoded JSON; key names it in the cache.
func (s *Scenario) lookup(key string, fetch func() (any, error)) (map[string]any, error) {
	v, ok := s.lookups[key]
	if ok {
		return deepCopy(v), nil
	}
	got, err := fetch()
	if err != nil {
		return nil, err
	}
	if v, err = asMap(got); err != nil {
		return nil, err
	}
	if s.lookups == nil {
		s.lookups = map[string]map[string]any{}
	}
	s.lookups[key] = v
	return deepCopy(v), nil
}

// deepCopy copies decoded JSON: maps, slices, strings, numbers, booleans
// and nulls are copied as they are; a map holding anything else is copied
// through a JSON round trip, which turns it into decoded JSON.
func deepCopy(m map[string]any) map[string]any {
	if out, ok := copyJSON(m).(map[string]any); ok {
		return out
	}
	b, err := json.Marshal(m)
	if err != nil {
		return m
	}
	var out map[string]any
	if json.Unmarshal(b, &out) != nil {
		return m
	}
	return out
}

// copyJSON deep-copies a value of decoded JSON (encoding/json's decoding
// into any), or returns notJSON{} when v holds anything else.
func copyJSON(v any) any {
	switch v := v.(type) {
	case map[string]any:
		if v == nil {
			return v
		}
		out := make(map[string]any, len(v))
		for k, e := range v {
			c := copyJSON(e)
			if _, bad := c.(notJSON); bad {
				return c
			}
			out[k] = c
		}
		return out
	case []any:
		if v == nil {
			return v
		}
		out := make([]any, len(v))
		for i, e := range v {
			c := copyJSON(e)
			if _, bad := c.(notJSON); bad {
				return c
			}
			out[i] = c
		}
		return out
	case nil, string, float64, bool:
		return v
	}
	return notJSON{}
}

// notJSON marks a value copyJSON cannot copy.
type notJSON struct{}
