package harness_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/drsim/drsim/examples/merchant"
	"github.com/drsim/drsim/harness"
	"github.com/drsim/drsim/harness/mailbox"
	"github.com/drsim/drsim/harness/profile"
	"github.com/drsim/drsim/internal/stack"
)

// An email that shows every attribute of an order confirmation but arrived
// before DR delivered order.accepted (the merchant sent it on
// order.pending_payment) is not that event's confirmation, even without a
// pinned subject, and the failure names the event it answered.
func TestEmailBeforeItsEventIsNotItsNotification(t *testing.T) {
	ctx := context.Background()
	s, err := stack.Start(ctx, stack.Options{Merchant: merchant.Starter(merchant.DefectConfirmOnPendingPayment)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Profile.Notifications = nil
	s.Profile.Timeouts.Email = profile.Duration(time.Second)
	sc := s.Harness.NewScenario(t.Name())
	c, err := sc.CreateCustomer(ctx, "Alice")
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.PayByWireTransfer(ctx, "Alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.PlaceOrder(ctx, "Alice", harness.OrderSpec{Currency: "EUR", Lines: []harness.Line{{Product: "Lantern", Quantity: 1, Price: 149, TaxRate: 0.19}}}); err != nil {
		t.Fatal(err)
	}
	// The early confirmation is here before DR accepts the order.
	if _, err := s.Mailbox.Wait(ctx, c.Email, "the early confirmation", func(*mailbox.Message) bool { return true }); err != nil {
		t.Fatal(err)
	}
	if err := sc.WireTransferArrives(ctx, "Alice"); err != nil {
		t.Fatal(err)
	}
	err = sc.ExpectNotification(ctx, "Alice", "order-confirmation")
	if err == nil {
		t.Fatal("the confirmation sent on order.pending_payment passed as order.accepted's")
	}
	for _, want := range []string{"arrived before Digital River sent order.accepted", "order.pending_payment", "send it on order.accepted", "sentAfterEvent"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the failure does not say %q:\n%v", want, err)
		}
	}
}
