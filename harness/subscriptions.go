package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"time"
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
	body := map[string]any{
		"name": p.Name, "terms": p.Name + " terms: renews every " + p.Interval + ".",
		"interval": p.Interval, "intervalCount": 1, "reminderOffsetDays": p.ReminderOffsetDays,
		"billingOffsetDays": 0, "collectionPeriodDays": p.CollectionPeriodDays, "state": "active",
	}
	var plan struct {
		ID string `json:"id"`
	}
	if err := s.h.dr.do(ctx, "POST", "/plans", body, &plan); err != nil {
		return fmt.Errorf("create plan %q: %w", p.Name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.plans == nil {
		s.plans = map[string]string{}
	}
	s.plans[p.Name] = plan.ID
	return nil
}

func (s *Scenario) planID(name string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
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
	s.card = map[string]any{"number": "4444222233331111", "expirationMonth": int(now.Month()), "expirationYear": now.Year()}
	return nil
}

// testClock is the scenario's test clock, created frozen at wall time now
// when the scenario makes its first customer. Every customer of the
// scenario is attached to it, so a scenario that moves time moves only its
// own customers, and runs in parallel with every other scenario.
func (s *Scenario) testClock(ctx context.Context) (string, error) {
	s.mu.Lock()
	id := s.clock
	s.mu.Unlock()
	if id != "" {
		return id, nil
	}
	var c struct {
		ID         string    `json:"id"`
		FrozenTime time.Time `json:"frozenTime"`
	}
	if err := s.h.dr.do(ctx, "POST", "/_sim/test-clocks", map[string]any{"name": s.name}, &c); err != nil {
		return "", fmt.Errorf("create the scenario's test clock: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.clock == "" {
		s.clock, s.clockStart = c.ID, c.FrozenTime
	}
	return s.clock, nil
}

// clockNow is the time on the scenario's test clock.
func (s *Scenario) clockNow(ctx context.Context) (time.Time, error) {
	id, err := s.testClock(ctx)
	if err != nil {
		return time.Time{}, err
	}
	var c struct {
		FrozenTime time.Time `json:"frozenTime"`
	}
	if err := s.h.dr.do(ctx, "GET", "/_sim/test-clocks/"+id, nil, &c); err != nil {
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

// moveClock advances the scenario's test clock with body ({"advance": d}
// or {"frozenTime": t}) and returns the ids of the events it recorded.
func (s *Scenario) moveClock(ctx context.Context, body map[string]any) ([]string, error) {
	id, err := s.testClock(ctx)
	if err != nil {
		return nil, err
	}
	var moved struct {
		Events []struct {
			ID string `json:"id"`
		} `json:"events"`
	}
	if err := s.h.dr.do(ctx, "POST", "/_sim/test-clocks/"+id+"/advance", body, &moved); err != nil {
		return nil, fmt.Errorf("advance the scenario's test clock (%v): %w", body, err)
	}
	ids := make([]string, len(moved.Events))
	for i, e := range moved.Events {
		ids[i] = e.ID
	}
	return ids, nil
}

// newCardSource creates a card source with the secret key.
func (s *Scenario) newCardSource(ctx context.Context, card map[string]any) (string, error) {
	var src struct {
		ID string `json:"id"`
	}
	if err := s.h.dr.do(ctx, "POST", "/sources", map[string]any{"type": "creditCard", "creditCard": card}, &src); err != nil {
		return "", fmt.Errorf("create a card source: %w", err)
	}
	return src.ID, nil
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
	items := make([]map[string]any, 0, len(lines))
	for _, l := range lines {
		id, err := s.ensureSKU(ctx, l.Product)
		if err != nil {
			return nil, err
		}
		items = append(items, map[string]any{
			"skuId": id, "quantity": l.Quantity, "price": l.Price, "taxRate": l.TaxRate, "discount": l.Discount,
			"subscriptionInfo": map[string]any{"planId": planID, "terms": plan + " terms", "autoRenewal": true, "freeTrial": freeTrial},
		})
	}
	body := map[string]any{"customerId": c.ID, "currency": currency, "items": items}
	if s.card != nil {
		src, err := s.newCardSource(ctx, s.card)
		if err != nil {
			return nil, err
		}
		body["sourceId"] = src
	}
	var raw struct {
		Order
		Items []struct {
			SubscriptionInfo struct {
				SubscriptionID string `json:"subscriptionId"`
			} `json:"subscriptionInfo"`
		} `json:"items"`
	}
	if err := s.h.dr.do(ctx, "POST", "/_sim/orders", body, &raw); err != nil {
		return nil, fmt.Errorf("place a subscription order for %s: %w", customerName, err)
	}
	o := raw.Order
	var full Order
	if err := s.h.dr.do(ctx, "GET", "/orders/"+raw.ID, nil, &full); err != nil {
		return nil, err
	}
	full.Customer = c
	s.order = &full
	for _, it := range raw.Items {
		if it.SubscriptionInfo.SubscriptionID != "" {
			s.subscriptionID = it.SubscriptionInfo.SubscriptionID
		}
	}
	if s.subscriptionID == "" {
		return nil, fmt.Errorf("order %s started no subscription", o.ID)
	}
	return &full, nil
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
	var sub map[string]any
	if err := s.h.dr.do(ctx, "GET", "/subscriptions/"+s.subscriptionID, nil, &sub); err != nil {
		return err
	}
	v, _ := sub[field].(string)
	due, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return fmt.Errorf("subscription %s has no %s (%q)", s.subscriptionID, field, v)
	}
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
	for left > 0 {
		step := min(left, maxStep)
		left -= step
		ids, err := s.moveClock(ctx, map[string]any{"advance": step.String()})
		if err != nil {
			return err
		}
		for _, id := range ids {
			var ev event
			if err := s.h.dr.do(ctx, "GET", "/events/"+url.PathEscape(id), nil, &ev); err != nil {
				return fmt.Errorf("read event %s: %w", id, err)
			}
			if s.about(&ev) {
				s.mu.Lock()
				s.kept = append(s.kept, &ev)
				s.mu.Unlock()
			}
		}
	}
	return nil
}

// UpdateSubscription sends POST /subscriptions/{id} with body (as the
// merchant does for its customer).
func (s *Scenario) UpdateSubscription(ctx context.Context, body map[string]any) error {
	if s.subscriptionID == "" {
		return fmt.Errorf("no subscription in this scenario yet")
	}
	if err := s.h.dr.do(ctx, "POST", "/subscriptions/"+s.subscriptionID, body, nil); err != nil {
		return fmt.Errorf("update subscription %s with %v: %w", s.subscriptionID, body, err)
	}
	return nil
}

// ChangePlan moves the subscription to another plan of the scenario.
func (s *Scenario) ChangePlan(ctx context.Context, plan string) error {
	id, err := s.planID(plan)
	if err != nil {
		return err
	}
	return s.UpdateSubscription(ctx, map[string]any{"planId": id})
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
	src, err := s.newCardSource(ctx, map[string]any{"number": "4000000000003600", "expirationMonth": 12, "expirationYear": year})
	if err != nil {
		return err
	}
	if err := s.h.dr.do(ctx, "POST", "/customers/"+o.Customer.ID+"/sources/"+src, nil, nil); err != nil {
		return fmt.Errorf("save the declining card: %w", err)
	}
	return s.UpdateSubscription(ctx, map[string]any{"sourceId": src})
}

// RescueWithNewCard saves a new card in the merchant's portal and funds the
// subscription with it (POST /subscriptions/{id} {sourceId}).
func (s *Scenario) RescueWithNewCard(ctx context.Context, customerName string) error {
	src, err := s.SavePaymentMethod(ctx, customerName, "5466160000000008")
	if err != nil {
		return err
	}
	return s.UpdateSubscription(ctx, map[string]any{"sourceId": src})
}

// ExpectSubscriptionState checks the subscription's state in the simulator.
func (s *Scenario) ExpectSubscriptionState(ctx context.Context, want string) error {
	if s.subscriptionID == "" {
		return fmt.Errorf("no subscription in this scenario yet")
	}
	var sub struct {
		State string `json:"state"`
	}
	if err := s.h.dr.do(ctx, "GET", "/subscriptions/"+s.subscriptionID, nil, &sub); err != nil {
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
				sku, err := s.lookup(ctx, "/skus/"+url.PathEscape(id))
				if err != nil {
					return fmt.Errorf("look up SKU %s: %w", id, err)
				}
				m["productDetails"] = sku
			}
		}
		if id, ok := t["planId"].(string); ok && id != "" && t["plan"] == nil {
			plan, err := s.lookup(ctx, "/plans/"+url.PathEscape(id))
			if err != nil {
				return fmt.Errorf("look up plan %s: %w", id, err)
			}
			t["plan"] = plan
		}
	}
	return nil
}

// lookup GETs a SKU or plan once per scenario (they do not change under it).
func (s *Scenario) lookup(ctx context.Context, path string) (map[string]any, error) {
	s.mu.Lock()
	v, ok := s.lookups[path]
	s.mu.Unlock()
	if ok {
		return deepCopy(v), nil
	}
	if err := s.h.dr.do(ctx, "GET", path, nil, &v); err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.lookups == nil {
		s.lookups = map[string]map[string]any{}
	}
	s.lookups[path] = v
	s.mu.Unlock()
	return deepCopy(v), nil
}

// deepCopy copies decoded JSON.
func deepCopy(m map[string]any) map[string]any {
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
