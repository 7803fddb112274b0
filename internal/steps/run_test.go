package steps_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"

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
		t.Fatalf("%d of the feature's %d scenarios ran to their end: %v", len(got), n, names(got))
	}
	return got
}

func names(m map[string]outcome) []string {
	var out []string
	for n := range m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
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
			Items                    []client.FulfillmentItem
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
