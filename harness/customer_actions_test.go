package harness_test

import (
	"context"
	"strings"
	"testing"

	"github.com/drsim/drsim/harness"
	"github.com/drsim/drsim/internal/testrig"
	"github.com/drsim/drsim/simulator/client"
)

// Customer and merchant actions reach the shop as the profile writes them;
// a step about another customer, or a product not in the order, says so
// before anything is sent.
func TestActionsReachTheShop(t *testing.T) {
	ctx := context.Background()
	r := testrig.New(t)
	h := r.Harness(t, `actions:
  requestCancellation: {cannot: [severalItems], path: /cancel-request, json: '{"order":{{json .Order.ID}},"item":{{json (index .Items 0).Product}},"quantity":{{(index .Items 0).Quantity}}}'}
  reportDelay: {path: /delay, json: '{"order":{{json .Order.ID}},"date":{{json .NewDate}}}'}
  requestReturn: {path: /return, json: '{"order":{{json .Order.ID}},"reason":{{json .Reason}},"quantity":{{(index .Items 0).Quantity}}}'}
`)
	sc := testrig.Ordered(t, h)
	testrig.WantErr(t, "accept", sc.AcceptOrder(ctx, ""))
	if _, err := sc.CreateCustomer(ctx, "Bob"); err != nil {
		t.Fatal(err)
	}
	testrig.WantErr(t, "Bob cancels Alice's order", sc.RequestCancellation(ctx, "Bob"), "the order belongs to Alice, not Bob")
	testrig.WantErr(t, "an unknown customer", sc.RequestCancellation(ctx, "Carol"), `no customer "Carol" in this scenario`)
	testrig.WantErr(t, "a product not ordered", sc.RequestReturn(ctx, "Alice", harness.Selection{Product: "Kayak", Quantity: 1}, "too small"), "Kayak")
	before := len(r.Shop.Served())

	testrig.WantErr(t, "cancellation", sc.RequestCancellation(ctx, "Alice"))
	testrig.WantErr(t, "delay", sc.ReportDelay(ctx, "2026-12-24"))
	testrig.WantErr(t, "return", sc.RequestReturn(ctx, "Alice", harness.Selection{Product: "Trail lantern", Quantity: 1}, "too small"))

	got := r.Shop.Served()[before:]
	want := []string{
		`POST /cancel-request {"order":"`, `"item":"Trail lantern","quantity":2}`,
		`POST /cancel-request {"order":"`, `"item":"Camp stove","quantity":1}`,
		`POST /delay {"order":"`, `"date":"2026-12-24"}`,
		`POST /return {"order":"`, `"reason":"too small","quantity":1}`,
	}
	if len(got) != 4 {
		t.Fatalf("the shop served %d actions, want 4 (a cancellation per line, a delay, a return): %q", len(got), got)
	}
	for i, g := range got {
		if !strings.HasPrefix(g, want[2*i]) || !strings.HasSuffix(g, want[2*i+1]) {
			t.Errorf("action %d = %s; want %s…%s", i, g, want[2*i], want[2*i+1])
		}
	}
	testrig.WantErr(t, "an action the profile lacks", sc.Ship(ctx, harness.Selection{Product: "Trail lantern", Quantity: 1}, "UPS", "1Z"), "ship")
}

// Refunds are DR's own: the harness refunds through the API and reads the
// order's state back.
func TestRefundAndOrderState(t *testing.T) {
	ctx := context.Background()
	r := testrig.New(t)
	h := r.Harness(t, "")
	sc := h.NewScenario(t.Name())
	if _, err := sc.CreateCustomer(ctx, "Alice"); err != nil {
		t.Fatal(err)
	}
	o, err := sc.PlaceOrder(ctx, "Alice", harness.OrderSpec{Currency: "USD", Lines: []harness.Line{{Product: "Trail lantern", Quantity: 2, Price: 15}}})
	if err != nil {
		t.Fatal(err)
	}
	testrig.WantErr(t, "accept", sc.AcceptOrder(ctx, ""))
	testrig.WantErr(t, "state accepted", sc.ExpectOrderState(ctx, "accepted"))
	testrig.WantErr(t, "state wrong", sc.ExpectOrderState(ctx, "complete"), "is accepted, want complete")
	testrig.WantErr(t, "refund before any capture", sc.Refund(ctx, 5), "refund 5.00 of order "+o.ID)
	dr := client.New(r.Sim.URL(), r.Key)
	if _, err := dr.CreateFulfillment(ctx, client.FulfillmentParams{OrderID: o.ID, Items: []client.FulfillmentItemParams{{ItemID: o.Items[0].ID, Quantity: 2}}}); err != nil {
		t.Fatal(err)
	}
	testrig.WantErr(t, "partial refund", sc.Refund(ctx, 5))
	testrig.WantErr(t, "refund the rest", sc.Refund(ctx, 0))
	testrig.WantErr(t, "refund past the total", sc.Refund(ctx, 1000), "refund 1000.00 of order "+o.ID)
}

// Each product of an order is a SKU of its own, whatever script its name
// is written in: names without Latin letters, or that differ only in case
// and punctuation, must not share a SKU and so a name.
func TestProductsKeepTheirNames(t *testing.T) {
	ctx := context.Background()
	r := testrig.New(t)
	h := r.Harness(t, "")
	sc := h.NewScenario(t.Name())
	if _, err := sc.CreateCustomer(ctx, "Hanako"); err != nil {
		t.Fatal(err)
	}
	names := []string{"抹茶セット", "有田焼 湯呑み", "Wool socks", "wool-socks", "Widget"}
	var lines []harness.Line
	for _, n := range names {
		lines = append(lines, harness.Line{Product: n, Quantity: 1, Price: 1235})
	}
	o, err := sc.PlaceOrder(ctx, "Hanako", harness.OrderSpec{Currency: "JPY", Lines: lines})
	if err != nil {
		t.Fatal(err)
	}
	dr := client.New(r.Sim.URL(), r.Key)
	got, err := dr.Order(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	skus := map[string]string{}
	for i, it := range got.Items {
		if it.ProductDetails.Name != names[i] {
			t.Errorf("item %d is named %q at DR, want %q", i, it.ProductDetails.Name, names[i])
		}
		if other, ok := skus[it.SKUID]; ok {
			t.Errorf("%q and %q share SKU %s", other, names[i], it.SKUID)
		}
		skus[it.SKUID] = names[i]
	}
}
