package steps_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cucumber/godog"

	"github.com/drsim/drsim/harness"
	"github.com/drsim/drsim/internal/steps"
	"github.com/drsim/drsim/internal/testrig"
	"github.com/drsim/drsim/simulator/client"
)

// outcome is what a scenario run through the vocabulary left: the
// harness's scenario and the first failing step's error.
type outcome struct {
	sc  *harness.Scenario
	err error
}

// run runs feature (Gherkin text) through the vocabulary on h, as the
// suite does (godog with Register), and returns each scenario's outcome by
// name. Every scenario must have run to its end.
func run(t *testing.T, h *harness.Harness, feature string) map[string]outcome {
	t.Helper()
	var mu sync.Mutex
	got := map[string]outcome{}
	godog.TestSuite{
		ScenarioInitializer: func(sc *godog.ScenarioContext) {
			steps.Register(sc, h, func(gs *godog.Scenario, hs *harness.Scenario, err error) {
				mu.Lock()
				defer mu.Unlock()
				got[gs.Name] = outcome{hs, err}
			})
		},
		Options: &godog.Options{Format: "progress", Output: io.Discard, Strict: true, NoColors: true, Concurrency: 4,
			FeatureContents: []godog.Feature{{Name: "steps.feature", Contents: []byte(feature)}}},
	}.Run()
	if n := strings.Count(feature, "Scenario:"); len(got) != n {
		t.Fatalf("%d of the feature's %d scenarios ran to their end: %v", len(got), n, slices.Sorted(maps.Keys(got)))
	}
	return got
}

// dr is DR as the rig's last harness's merchant sees it.
func dr(r *testrig.Rig) *client.Client { return client.New(r.Sim.URL(), r.Key) }

// fulfilling is a portal that ships (/portal/ship) or cancels
// (/portal/cancel) the units the profile's action names, at DR, as a
// merchant's admin does.
func fulfilling(dr *client.Client) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		var b struct {
			Order, Carrier, Tracking string
			Items                    []client.FulfillmentItemParams
		}
		if err := json.NewDecoder(req.Body).Decode(&b); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if req.URL.Path == "/portal/cancel" {
			for i := range b.Items {
				b.Items[i].CancelQuantity, b.Items[i].Quantity = b.Items[i].Quantity, 0
			}
		}
		if _, err := dr.CreateFulfillment(req.Context(), client.FulfillmentParams{OrderID: b.Order, Items: b.Items, TrackingCompany: b.Carrier, TrackingNumber: b.Tracking}); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		fmt.Fprint(w, "{}")
	}
}

const orderActions = `actions:
  ship: {path: /portal/ship, json: '{"order":{{json .Order.ID}},"carrier":{{json .Carrier}},"tracking":{{json .TrackingNumber}},"items":[{{range $i, $it := .Items}}{{if $i}},{{end}}{"itemId":{{json $it.ItemID}},"quantity":{{$it.Quantity}}}{{end}}]}'}
  cancel: {path: /portal/cancel, json: '{"order":{{json .Order.ID}},"items":[{{range $i, $it := .Items}}{{if $i}},{{end}}{"itemId":{{json $it.ItemID}},"quantity":{{$it.Quantity}}}{{end}}]}'}
  reportDelay: {path: /delay, json: '{"date":{{json .NewDate}}}'}
  requestCancellation: {path: /cancel-request, json: '{"customer":{{json .Customer.Name}}}'}
  requestReturn: {path: /return, json: '{"customer":{{json .Customer.Name}},"item":{{json (index .Items 0).Product}},"quantity":{{(index .Items 0).Quantity}},"reason":{{json .Reason}}}'}
`

// The order steps carry their table, quantities, carriers and amounts to
// the harness: what they did is read back from DR and from the shop.
func TestOrderStepsReachDRAndTheShop(t *testing.T) {
	ctx := context.Background()
	r := testrig.New(t)
	h := r.Harness(t, orderActions)
	dr := dr(r)
	r.Shop.Set(func(s *testrig.Shop) { s.Portal = fulfilling(dr) })
	got := run(t, h, `Feature: orders
  Scenario: placed, shipped, cancelled, refunded, returned
    Given a customer "Alice"
    And Alice has placed an order in USD with shipping 5.00 (tax 0.40) for:
      | Product       | Quantity | Price | Tax rate | Discount |
      |  Trail lantern| 3        | 15.00 | 0.08     | 1.00     |
      | Camp stove    | 1        | 49    |          |          |
    When Digital River accepts the order
    Then the order is accepted
    When the merchant ships 1 "Trail lantern" with "UPS" tracking number "1Z999"
    And the merchant cancels 1 "Trail lantern"
    And the merchant reports the shipment delayed until "2026-12-22"
    And the merchant ships the order with "FedEx" tracking number "Z101"
    Then the order is complete
    When Digital River refunds 2.50 of the order
    And Alice asks to return 1 "Camp stove"
    And Digital River refunds the rest of the order

  Scenario: cancelled on request
    Given a customer "Bob"
    And Bob has placed an order in EUR for:
      | product | quantity | price |
      | Widget  | 2        | 10    |
    When Digital River accepts the order
    And Bob asks to cancel the order
    And the merchant cancels the rest of the order
    Then the order is cancelled
`)
	for name, o := range got {
		if o.err != nil {
			t.Fatalf("scenario %q failed: %v", name, o.err)
		}
	}
	orders, err := dr.Orders(ctx, client.ListParams{})
	if err != nil || len(orders.Data) != 2 {
		t.Fatalf("DR has %v orders (%v), want the scenarios' two", orders, err)
	}
	o := orders.Data[0]
	if o.Currency == "EUR" {
		o = orders.Data[1]
	}
	if o.Currency != "USD" || o.ShippingChoice.Amount != 5 || o.ShippingChoice.TaxAmount != 0.4 || len(o.Items) != 2 {
		t.Fatalf("order %s: %s, shipping %+v, %d items; want USD, shipping 5.00 with tax 0.40, two lines", o.ID, o.Currency, o.ShippingChoice, len(o.Items))
	}
	lantern, stove := o.Items[0], o.Items[1]
	if lantern.ProductDetails.Name != "Trail lantern" || lantern.Quantity != 3 || lantern.Amount != 44 || lantern.Tax.Rate != 0.08 {
		t.Errorf("first line %s ×%d amount %v tax rate %v; want Trail lantern ×3, 45.00 less the 1.00 discount, rate 0.08",
			lantern.ProductDetails.Name, lantern.Quantity, lantern.Amount, lantern.Tax.Rate)
	}
	if stove.ProductDetails.Name != "Camp stove" || stove.Quantity != 1 || stove.Amount != 49 || stove.Tax.Rate != 0 || stove.Discount != nil {
		t.Errorf("second line %s ×%d amount %v tax rate %v discount %+v; want Camp stove ×1 at 49, the empty cells zero",
			stove.ProductDetails.Name, stove.Quantity, stove.Amount, stove.Tax.Rate, stove.Discount)
	}
	fs, err := dr.Fulfillments(ctx, client.ListParams{})
	if err != nil {
		t.Fatal(err)
	}
	var did []string
	for _, f := range fs.Data {
		for _, it := range f.Items {
			line, ours := map[string]string{lantern.ID: "lantern", stove.ID: "stove"}[it.ItemID]
			if !ours {
				continue
			}
			did = append(did, fmt.Sprintf("%s ship %d cancel %d %s %s", line, it.Quantity, it.CancelQuantity, f.TrackingCompany, f.TrackingNumber))
		}
	}
	sort.Strings(did)
	want := []string{"lantern ship 0 cancel 1  ", "lantern ship 1 cancel 0 FedEx Z101", "lantern ship 1 cancel 0 UPS 1Z999", "stove ship 1 cancel 0 FedEx Z101"}
	if strings.Join(did, "\n") != strings.Join(want, "\n") {
		t.Errorf("DR's fulfillments:\n%s\nwant:\n%s", strings.Join(did, "\n"), strings.Join(want, "\n"))
	}
	refunds, err := dr.Refunds(ctx, client.ListParams{})
	if err != nil {
		t.Fatal(err)
	}
	var amounts []float64
	for _, rf := range refunds.Data {
		amounts = append(amounts, rf.Amount)
	}
	sort.Float64s(amounts)
	after, err := dr.Order(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(amounts) != 2 || amounts[0] != 2.5 || fmt.Sprintf("%.2f", amounts[0]+amounts[1]) != fmt.Sprintf("%.2f", after.CapturedAmount) || after.AvailableToRefundAmount != 0 {
		t.Errorf("refunds %v of %.2f captured, leaving %.2f to refund; want 2.50 and then the rest", amounts, after.CapturedAmount, after.AvailableToRefundAmount)
	}
	served := strings.Join(r.Shop.Served(), "\n")
	for _, w := range []string{`POST /delay {"date":"2026-12-22"}`, `POST /cancel-request {"customer":"Bob"}`, `POST /return {"customer":"Alice","item":"Camp stove","quantity":1,"reason":"changed my mind"}`} {
		if !strings.Contains(served, w) {
			t.Errorf("the shop was not asked %s; it served:\n%s", w, served)
		}
	}
}

// order is a Background: Alice and an order of one lantern, not yet accepted.
const order = `Feature: webhooks
  Background:
    Given a customer "Alice"
    And Alice has placed an order in USD for:
      | product       | quantity | price |
      | Trail lantern | 1        | 15    |
`

// The webhook steps arrange DR's faults and read its deliveries: on a shop
// that checks signatures, the ones about a behaving merchant pass, and the
// numbers in them reach the harness in their places.
func TestWebhookSteps(t *testing.T) {
	r := testrig.New(t)
	h := r.Harness(t, "")
	got := run(t, h, order+`
  Scenario: down, then delivered
    When Digital River accepts the order while the merchant answers 503 to the first 2 deliveries
    Then Digital River retried the "order.accepted" webhook after 2 failures until it was delivered

  Scenario: retried fewer times than said
    When Digital River accepts the order while the merchant answers 500 to the first 1 deliveries
    Then Digital River retried the "order.accepted" webhook after 3 failures until it was delivered

  Scenario: forged
    When Digital River accepts the order with a "wrong-secret" signature
    Then the merchant rejects the "order.accepted" webhook

  Scenario: delivered again
    When Digital River accepts the order
    Then the merchant acknowledges the "order.accepted" webhook the first time
    When Digital River delivers the "order.accepted" event again
    And Digital River delivers the "order.accepted" event again with a "stale" signature
    And Digital River delivers the "order.accepted" event again while rotating the webhook secret
    Then the merchant accepts that delivery

  Scenario: twice at once
    When Digital River accepts the order and delivers the webhook twice at once
    Then the merchant acknowledges the "order.accepted" webhook the first time

  Scenario: held and released
    Given Digital River holds the webhooks about the order
    When Digital River accepts the order
    And Digital River releases the held webhooks in shuffled order
    Then the merchant acknowledges the "order.accepted" webhook the first time

  Scenario: too late
    When Digital River accepts the order and gets no answer in time to the first delivery
    Then the merchant acknowledges the "order.accepted" webhook the first time
`)
	for name, want := range map[string][]string{
		"down, then delivered":          nil,
		"retried fewer times than said": {"wait for 4 delivery attempt(s) of event"},
		"forged":                        nil,
		"delivered again":               nil,
		"twice at once":                 nil,
		"held and released":             nil,
		"too late":                      {"was not acknowledged in time"},
	} {
		testrig.WantErr(t, name, got[name].err, want...)
	}
}

// The subscription and payment steps: plans with their intervals and days,
// subscriptions and trials, time passing, cards, PayPal and wire transfers.
func TestSubscriptionAndPaymentSteps(t *testing.T) {
	ctx := context.Background()
	r := testrig.New(t)
	h := r.Harness(t, `actions:
  savePaymentMethod: {path: /portal/save, json: '{"customer":{{json .Customer.ID}},"source":{{json .SourceID}}}'}
`)
	dr := dr(r)
	r.Shop.Set(func(s *testrig.Shop) {
		s.Portal = func(w http.ResponseWriter, req *http.Request) {
			var b struct{ Customer, Source string }
			_ = json.NewDecoder(req.Body).Decode(&b)
			if _, err := dr.AttachSource(req.Context(), b.Customer, b.Source); err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
			}
		}
	})
	got := run(t, h, `Feature: subscriptions
  Scenario: renewed, moved, rescued and cancelled
    Given a customer "Alice"
    And a monthly plan "Monthly" with reminders 7 days before billing and 8 days to collect
    And a yearly plan "Yearly" with reminders 30 days before billing
    And Alice has subscribed in USD to the "Monthly" plan with:
      | product     | quantity | price |
      | Coffee club | 1        | 20    |
    When Digital River accepts the order
    Then the subscription is now active
    When the subscription's next reminder date arrives
    And the subscription's next invoice date arrives
    And 2 renewals pass
    And 3 days pass
    And Alice's card declines from now on
    And Alice saves a new card in the portal for the subscription
    And the merchant moves the subscription to the "Yearly" plan
    And the merchant cancels the subscription
    Then the subscription is now cancelled

  Scenario: cards that expire
    Given a customer "Frank"
    And a monthly plan "Frank's" with reminders 7 days before billing
    And Frank pays with a card that expires this month
    And Frank has subscribed in USD to the "Frank's" plan with:
      | product     | quantity | price |
      | Coffee club | 1        | 20    |
    When Digital River accepts the order
    And Frank's card expires before the next invoice
    Then the subscription is now active

  Scenario: a free trial
    Given a customer "Bob"
    And a weekly plan "Weekly" with reminders 1 days before billing
    And Bob pays with a card that expires in March 2031
    And Bob has started a free trial in USD of the "Weekly" plan with:
      | product     | quantity | price |
      | Coffee club | 1        | 5     |
    When Digital River accepts the order
    Then the subscription is now activeFree

  Scenario: PayPal
    Given a customer "Carol"
    And Carol pays with PayPal
    And Carol has placed an order in USD for:
      | product | quantity | price |
      | Widget  | 1        | 10    |
    When Digital River accepts the order
    Then the order is accepted

  Scenario: wire transfer
    Given a customer "Dave"
    And Dave pays by wire transfer
    And Dave has placed an order in USD for:
      | product | quantity | price |
      | Widget  | 1        | 10    |
    Then the order is pending_payment
    When Dave's wire transfer arrives
    Then the order is accepted

  Scenario: no wire transfer
    Given a customer "Erin"
    And Erin pays by wire transfer
    And Erin has placed an order in USD for:
      | product | quantity | price |
      | Widget  | 1        | 10    |
    When Erin's wire transfer never arrives
    Then the order is cancelled
`)
	for name, want := range map[string][]string{
		"renewed, moved, rescued and cancelled": nil,
		"cards that expire":                     nil,
		"PayPal":                                nil,
		"wire transfer":                         nil,
		"no wire transfer":                      nil,
		// The shop never sets the price after the trial: the failure says
		// what was expected, what DR has, and what the merchant must do.
		"a free trial": {"is activeFree with price 0", "the merchant never set the price after the trial (5.00", `POST /subscriptions/{id} {"items":[{"skuId":…,"price":…}]}`},
	} {
		testrig.WantErr(t, name, got[name].err, want...)
	}
	did := strings.Join(got["renewed, moved, rescued and cancelled"].sc.HarnessDid(), "\n")
	for _, w := range []string{"no updatePaymentMethod action", "no changePlan action", "no cancelSubscription action"} {
		if !strings.Contains(did, w) {
			t.Errorf("the harness did not say it acted itself because the profile has %s; it said:\n%s", w, did)
		}
	}
	plans, err := dr.Plans(ctx, client.ListParams{})
	if err != nil {
		t.Fatal(err)
	}
	planOf := map[string]string{}
	var gotPlans []string
	for _, p := range plans.Data {
		planOf[p.ID] = p.Name
		gotPlans = append(gotPlans, fmt.Sprintf("%s every %s, reminder %d, collect %d", p.Name, p.Interval, p.ReminderOffsetDays, p.CollectionPeriodDays))
	}
	sort.Strings(gotPlans)
	wantPlans := []string{"Frank's every month, reminder 7, collect 0", "Monthly every month, reminder 7, collect 8", "Weekly every week, reminder 1, collect 0", "Yearly every year, reminder 30, collect 0"}
	if strings.Join(gotPlans, "\n") != strings.Join(wantPlans, "\n") {
		t.Errorf("DR's plans:\n%s\nwant:\n%s", strings.Join(gotPlans, "\n"), strings.Join(wantPlans, "\n"))
	}
	subs, err := dr.Subscriptions(ctx, client.ListParams{})
	if err != nil {
		t.Fatal(err)
	}
	for _, sub := range subs.Data {
		switch planOf[sub.PlanID] {
		case "Yearly": // Alice's, moved from Monthly
			// Three invoices (the next one and 2 renewals) moved the period
			// three months on; the cancellation came 3 days into it.
			start, cancelled := sub.StateTransitions["activated"].AddDate(0, 3, 0), sub.StateTransitions["cancelled"]
			if sub.State != "cancelled" || !sub.CurrentPeriodStartDate.Equal(start) || !cancelled.Equal(start.AddDate(0, 0, 3)) {
				t.Errorf("Alice's subscription is %s, period from %s, cancelled %s; want cancelled 3 days into the period from %s", sub.State, sub.CurrentPeriodStartDate, cancelled, start)
			}
		case "Frank's":
			src, err := dr.Source(ctx, sub.SourceID)
			if err != nil {
				t.Fatal(err)
			}
			if c := src.CreditCard; c == nil || sub.NextInvoiceDate == nil || !time.Date(c.ExpirationYear, time.Month(c.ExpirationMonth)+1, 1, 0, 0, 0, 0, time.UTC).Before(*sub.NextInvoiceDate) {
				t.Errorf("Frank's card %+v on the subscription, next invoice %s; want a card that expires before it", c, sub.NextInvoiceDate)
			}
		case "Weekly": // Bob's
			src, err := dr.Source(ctx, sub.SourceID)
			if err != nil {
				t.Fatal(err)
			}
			if c := src.CreditCard; c == nil || c.ExpirationMonth != 3 || c.ExpirationYear != 2031 {
				t.Errorf("Bob's card %+v, want one that expires in March 2031", c)
			}
		}
	}
}

// The email steps ask the harness for the notification the sentence names
// (its catalogue id); on a shop that sends none, each says which email
// it awaited, what it found and why it may be missing.
func TestEmailStepsNameTheNotification(t *testing.T) {
	r := testrig.New(t)
	h := r.Harness(t, "")
	got := run(t, h, order+`
  Scenario: confirmation
    When Digital River accepts the order
    Then Alice receives an order confirmation email with every required attribute

  Scenario: none
    When Digital River accepts the order
    Then Alice receives no order confirmation email

  Scenario: exactly one
    When Digital River accepts the order
    Then Alice receives exactly 1 order confirmation email

  Scenario: two
    When Digital River accepts the order
    Then Alice receives 2 order   confirmation emails with every required attribute
`)
	for name, want := range map[string][]string{
		"confirmation": {"Order confirmation: ", `no "order confirmation email (recognised by content)" to alice+`, "saw no message at all",
			"likely cause: the merchant acknowledged order.accepted (1 of 1 deliveries) but sent no matching email", "attempt 1 to " + r.URL + "/hook: answered 200"},
		"none":        nil,
		"exactly one": {"Order confirmation: ", `no "order confirmation email" to alice+`},
		"two":         {"Order confirmation: ", `no "2 order confirmation emails (recognised by content)" to alice+`, "likely cause: "},
	} {
		testrig.WantErr(t, name, got[name].err, want...)
	}
}

// DR's rate limit, injected by a step, reaches the merchant's own DR calls
// (here the shop's shipment) and not the harness's checks of DR's state.
func TestRateLimitStepReachesTheMerchantOnly(t *testing.T) {
	r := testrig.New(t)
	h := r.Harness(t, orderActions)
	r.Shop.Set(func(s *testrig.Shop) { s.Portal = fulfilling(dr(r)) })
	got := run(t, h, order+`
  Scenario: rate limited
    Given Digital River answers the merchant's next 1 API call with 429, retry after 2 seconds
    When Digital River accepts the order
    Then the order is accepted
    When the merchant ships the order with "UPS" tracking number "1Z999"
`)
	// The shop's POST /fulfillments met DR's 429 and, not retrying, failed
	// the shipment; the harness read the order's state unhindered.
	testrig.WantErr(t, "rate limited", got["rate limited"].err, "too_many_requests")
	reqs, err := dr(r).Requests(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var limited []string
	for _, q := range reqs {
		if q.Status == http.StatusTooManyRequests {
			limited = append(limited, q.Method+" "+q.Path+" "+q.Agent)
		}
	}
	if len(limited) != 1 || !strings.HasPrefix(limited[0], "POST /fulfillments ") || strings.Contains(limited[0], harness.HarnessAgent) {
		t.Errorf("calls answered 429: %q; want the shop's POST /fulfillments only", limited)
	}
}
