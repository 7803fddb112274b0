package harness_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/drsim/drsim/examples/merchant"
	"github.com/drsim/drsim/harness"
	"github.com/drsim/drsim/harness/profile"
	"github.com/drsim/drsim/internal/stack"
)

// The harness's Go API is usable from a plain go test, without Gherkin: this
// is how a Go merchant writes the same checks in its own tests.
func TestGoAPIWithoutGherkin(t *testing.T) {
	ctx := context.Background()
	s, err := stack.Start(ctx, stack.Options{Merchant: merchant.Starter()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Profile.Timeouts.Email = profile.Duration(2 * time.Second)
	s.Profile.Timeouts.Quiet = profile.Duration(200 * time.Millisecond)

	t.Run("order confirmation passes", func(t *testing.T) {
		sc := s.Harness.NewScenario(t.Name())
		if _, err := sc.CreateCustomer(ctx, "Alice"); err != nil {
			t.Fatal(err)
		}
		spec := harness.OrderSpec{Currency: "GBP", Shipping: 3.5, Lines: []harness.Line{{Product: "Kettle", Quantity: 1, Price: 1234.5, TaxRate: 0.2}}}
		if _, err := sc.PlaceOrder(ctx, "Alice", spec); err != nil {
			t.Fatal(err)
		}
		if err := sc.AcceptOrder(ctx, ""); err != nil {
			t.Fatal(err)
		}
		if err := sc.ExpectNotification(ctx, "Alice", "order-confirmation"); err != nil {
			t.Fatal(err)
		}
		checks := sc.Checks()
		if len(checks) != 1 || checks[0].Err != nil || checks[0].Notification != "order-confirmation" {
			t.Fatalf("checks = %+v, want one passed order-confirmation check", checks)
		}
		emails := sc.Emails()
		if len(emails) != 1 {
			t.Fatalf("recorded %d emails, want the one order confirmation", len(emails))
		}
		e := emails[0]
		if e.Err != nil || e.Notification != "order-confirmation" || e.EventType != "order.accepted" || e.EventID == "" || e.Message == nil || e.Message.Raw == "" {
			t.Errorf("email evidence = %+v, want a passed order confirmation matched to its order.accepted event, with the raw message", e)
		}
		if len(e.Findings) == 0 || e.Findings[0].Found == "" {
			t.Errorf("email evidence has no found attributes: %+v", e.Findings)
		}
	})

	t.Run("a missing email is reported with what was awaited and seen", func(t *testing.T) {
		sc := s.Harness.NewScenario(t.Name())
		c, err := sc.CreateCustomer(ctx, "Bob")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sc.PlaceOrder(ctx, "Bob", harness.OrderSpec{Currency: "USD", Lines: []harness.Line{{Product: "Widget", Quantity: 1, Price: 10}}}); err != nil {
			t.Fatal(err)
		}
		if err := sc.AcceptOrder(ctx, "wrong-secret"); err != nil {
			t.Fatal(err)
		}
		err = sc.ExpectNotification(ctx, "Bob", "order-confirmation")
		if err == nil {
			t.Fatal("ExpectNotification succeeded for a webhook the merchant must reject")
		}
		for _, want := range []string{c.Email, "order confirmation email", "Order confirmation"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not mention %q", err, want)
			}
		}
		if err := sc.ExpectRejected(ctx, "order.accepted"); err != nil {
			t.Errorf("ExpectRejected: %v", err)
		}
	})

	t.Run("misuse is explained", func(t *testing.T) {
		sc := s.Harness.NewScenario(t.Name())
		if err := sc.AcceptOrder(ctx, ""); err == nil || !strings.Contains(err.Error(), "no order in this scenario") {
			t.Errorf("AcceptOrder without an order: err = %v", err)
		}
		if err := sc.ExpectNotification(ctx, "Carol", "order-confirmation"); err == nil || !strings.Contains(err.Error(), `a customer "Carol"`) {
			t.Errorf("ExpectNotification for an unknown customer: err = %v", err)
		}
		if _, err := sc.CreateCustomer(ctx, "Dan"); err != nil {
			t.Fatal(err)
		}
		if err := sc.ExpectCount(ctx, "Dan", "no-such-notification", 1); err == nil || !strings.Contains(err.Error(), `"order confirmation"`) {
			t.Errorf("unknown notification: err = %v, want it to list the known ones", err)
		}
	})
}
