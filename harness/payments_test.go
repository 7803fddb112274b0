package harness_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/drsim/drsim/harness"
	"github.com/drsim/drsim/internal/testrig"
)

// Payment methods: a wire transfer waits for its funds (and is cancelled
// without them), PayPal is accepted like a card; the steps say what is
// missing when the scenario did not arrange the method.
func TestPaymentMethods(t *testing.T) {
	ctx := context.Background()
	r := testrig.New(t)
	h := r.Harness(t, "")
	lines := harness.OrderSpec{Currency: "USD", Lines: []harness.Line{{Product: "Trail lantern", Quantity: 1, Price: 15}}}
	start := func(t *testing.T, pay func(*harness.Scenario) error) *harness.Scenario {
		t.Helper()
		sc := h.NewScenario(t.Name())
		if _, err := sc.CreateCustomer(ctx, "Alice"); err != nil {
			t.Fatal(err)
		}
		if pay != nil {
			testrig.WantErr(t, "choose the method", pay(sc))
		}
		if _, err := sc.PlaceOrder(ctx, "Alice", lines); err != nil {
			t.Fatal(err)
		}
		return sc
	}
	byWire := func(sc *harness.Scenario) error { return sc.PayByWireTransfer(ctx, "Alice") }

	t.Run("wire transfer arrives", func(t *testing.T) {
		sc := start(t, byWire)
		testrig.WantErr(t, "waits", sc.ExpectOrderState(ctx, "pending_payment"))
		testrig.WantErr(t, "funds", sc.WireTransferArrives(ctx, "Alice"))
		testrig.WantErr(t, "accepted", sc.ExpectOrderState(ctx, "accepted"))
		testrig.WantErr(t, "funds twice", sc.WireTransferArrives(ctx, "Alice"), "is not paid by wire transfer")
	})
	t.Run("wire transfer never arrives", func(t *testing.T) {
		sc := start(t, byWire)
		testrig.WantErr(t, "no funds", sc.WireTransferNeverArrives(ctx, "Alice"))
		testrig.WantErr(t, "cancelled", sc.ExpectOrderState(ctx, "cancelled"))
	})
	t.Run("PayPal", func(t *testing.T) {
		sc := start(t, func(sc *harness.Scenario) error { return sc.PayWithPayPal(ctx, "Alice") })
		testrig.WantErr(t, "accept", sc.AcceptOrder(ctx, ""))
		testrig.WantErr(t, "accepted", sc.ExpectOrderState(ctx, "accepted"))
	})
	t.Run("card orders wait for no funds", func(t *testing.T) {
		sc := start(t, nil)
		testrig.WantErr(t, "arrives", sc.WireTransferArrives(ctx, "Alice"), "is not paid by wire transfer", "pays by wire transfer")
		testrig.WantErr(t, "never arrives", sc.WireTransferNeverArrives(ctx, "Alice"), "does not wait for a wire transfer")
		testrig.WantErr(t, "unknown customer", sc.PayWithPayPal(ctx, "Zed"), `no customer "Zed"`)
		testrig.WantErr(t, "unknown customer", sc.WireTransferArrives(ctx, "Zed"), `no customer "Zed"`)
	})
}

// Cards on subscriptions: one that expires this month or before the next
// invoice, one that declines, and the customer's rescue with a new card.
func TestSubscriptionCards(t *testing.T) {
	ctx := context.Background()
	r := testrig.New(t)
	h := r.Harness(t, `actions:
  savePaymentMethod: {path: /portal/save, json: '{"customer":{{json .Customer.ID}},"source":{{json .SourceID}}}'}
`)
	r.Shop.Set(func(s *testrig.Shop) {
		dr := s.DR
		s.Portal = func(w http.ResponseWriter, req *http.Request) {
			var b struct{ Customer, Source string }
			_ = json.NewDecoder(req.Body).Decode(&b)
			if _, err := dr.AttachSource(req.Context(), b.Customer, b.Source); err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
			}
		}
	})
	sc := h.NewScenario(t.Name())
	if _, err := sc.CreateCustomer(ctx, "Alice"); err != nil {
		t.Fatal(err)
	}
	testrig.WantErr(t, "plan", sc.CreatePlan(ctx, harness.PlanSpec{Name: "Monthly", Interval: "month", ReminderOffsetDays: 7, CollectionPeriodDays: 7}))
	testrig.WantErr(t, "no subscription yet", sc.ExpectSubscriptionState(ctx, "active"), "no subscription in this scenario yet")
	testrig.WantErr(t, "expiring this month", sc.PayWithCardExpiringThisMonth(ctx))
	if _, err := sc.PlaceSubscriptionOrder(ctx, "Alice", "USD", "Monthly", false, []harness.Line{{Product: "Coffee club", Quantity: 1, Price: 20}}); err != nil {
		t.Fatal(err)
	}
	testrig.WantErr(t, "accept", sc.AcceptOrder(ctx, ""))
	testrig.WantErr(t, "active", sc.ExpectSubscriptionState(ctx, "active"))
	testrig.WantErr(t, "not cancelled", sc.ExpectSubscriptionState(ctx, "cancelled"), "is active, want cancelled")
	testrig.WantErr(t, "a card that expires before the next invoice", sc.CardExpiresBeforeNextInvoice(ctx))
	testrig.WantErr(t, "a day passes", sc.PassDays(ctx, 1))
	testrig.WantErr(t, "declining card", sc.CardDeclines(ctx))
	testrig.WantErr(t, "rescue", sc.RescueWithNewCard(ctx, "Alice"))
	if did := sc.HarnessDid(); len(did) != 1 {
		t.Errorf("HarnessDid = %q; want the card put on the subscription through DR's API (no updatePaymentMethod action)", did)
	}
	testrig.WantErr(t, "an unknown plan", sc.ChangePlan(ctx, "Yearly"), `no plan "Yearly"`)

	next := h.NewScenario(t.Name() + " past")
	if _, err := next.CreateCustomer(ctx, "Bob"); err != nil {
		t.Fatal(err)
	}
	testrig.WantErr(t, "expiring next year", next.PayWithCardExpiringIn(ctx, time.March, time.Now().Year()+1))
	testrig.WantErr(t, "no order", next.CardExpiresBeforeNextInvoice(ctx), "no order in this scenario yet")
	testrig.WantErr(t, "no order", next.CardDeclines(ctx), "no order in this scenario yet")
}
