package harness_test

import (
	"context"
	"testing"
	"time"

	"github.com/drsim/drsim/examples/merchant"
	"github.com/drsim/drsim/harness"
	"github.com/drsim/drsim/harness/profile"
	"github.com/drsim/drsim/internal/stack"
	"github.com/drsim/drsim/internal/testrig"
)

// Notification checks against the reference merchant: an email with a
// document is checked down to the PDF its link serves, and counts are
// exact — the emails a notification was matched as count, and a count
// that is wrong names every email seen.
func TestNotificationCountsAndDocuments(t *testing.T) {
	ctx := context.Background()
	s, err := stack.Start(ctx, stack.Options{Merchant: merchant.Starter()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// The stack's teardown is not what this test checks (the features
		// tests do): on a busy machine the simulator's 5 s shutdown grace
		// can end with a connection still open, which Close reports.
		if err := s.Close(); err != nil {
			t.Logf("close the stack: %v", err)
		}
	})
	s.Profile.Timeouts.Email = profile.Duration(5 * time.Second)
	s.Profile.Timeouts.Quiet = profile.Duration(200 * time.Millisecond)

	sc := s.Harness.NewScenario(t.Name())
	if _, err := sc.CreateCustomer(ctx, "Alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.PlaceOrder(ctx, "Alice", harness.OrderSpec{Currency: "USD", Lines: []harness.Line{{Product: "Kettle", Quantity: 1, Price: 40, TaxRate: 0.1}}}); err != nil {
		t.Fatal(err)
	}
	testrig.WantErr(t, "accept", sc.AcceptOrder(ctx, ""))
	testrig.WantErr(t, "confirmation", sc.ExpectNotification(ctx, "Alice", "order-confirmation"))
	testrig.WantErr(t, "invoice with its PDF", sc.ExpectNotification(ctx, "Alice", "invoice"))
	testrig.WantErr(t, "one confirmation", sc.ExpectCount(ctx, "Alice", "order-confirmation", 1))
	testrig.WantErr(t, "no shipment", sc.ExpectCount(ctx, "Alice", "shipment", 0))
	testrig.WantErr(t, "two confirmations", sc.ExpectCount(ctx, "Alice", "order-confirmation", 2), "want exactly 2 email(s)", "order confirmation to alice+")
	testrig.WantErr(t, "an unknown customer", sc.ExpectCount(ctx, "Zoe", "shipment", 0), `no customer "Zoe"`)
	testrig.WantErr(t, "an unknown notification", sc.ExpectCount(ctx, "Alice", "carrier-pigeon", 0), `no notification "carrier pigeon" in the catalogue`, `"order confirmation"`)

	checks := sc.Checks()
	if len(checks) != 5 {
		t.Fatalf("%d checks recorded, want 5 (two expectations, three counts): %+v", len(checks), checks)
	}
	if checks[1].Notification != "invoice" || checks[1].Err != nil || checks[4].Err == nil {
		t.Errorf("checks %+v; want the invoice passed and the count of two failed", checks)
	}
}
