package harness

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/drsim/drsim/fixtures"
	"github.com/drsim/drsim/harness/catalogue"
	"github.com/drsim/drsim/harness/mailbox"
	"github.com/drsim/drsim/harness/profile"
	"github.com/drsim/drsim/simulator"
	"github.com/drsim/drsim/simulator/client"
)

// DR emits subscription.updated for every successful POST
// /subscriptions/{id}, also one that changes nothing (previousAttributes
// {}). The harness must not count such an event as a trigger of the
// "updated terms" email: a merchant that announces no new terms for it is
// right. Only the plan change that follows is.
func TestNoOpSubscriptionUpdateExpectsNoUpdatedTermsEmail(t *testing.T) {
	ctx := context.Background()
	sim, err := simulator.Start(simulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	mail, err := mailbox.StartEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	defer mail.Close()
	mb := mailbox.NewClient(mail.URL())
	defer mb.Close()
	cat, err := catalogue.Parse("notifications.yaml", fixtures.Notifications())
	if err != nil {
		t.Fatal(err)
	}
	hook := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer hook.Close()
	const key = "sk_test_noopupdate0000000"
	p, err := profile.Parse("p.yaml", []byte(fmt.Sprintf(`
webhook: {url: "%[1]s/hook", signingSecret: whsec_noop}
api: {secretKey: %[2]s}
merchant: {url: "%[1]s"}
timeouts: {email: 1s}
`, hook.URL, key)))
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(ctx, Config{Profile: p, Catalogue: cat, SimulatorURL: sim.URL(), Mailbox: mb})
	if err != nil {
		t.Fatal(err)
	}
	sc := h.NewScenario(t.Name())
	if _, err := sc.CreateCustomer(ctx, "Alice"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Gold", "Platinum"} {
		if err := sc.CreatePlan(ctx, PlanSpec{Name: name, Interval: "month", ReminderOffsetDays: 7}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sc.PlaceSubscriptionOrder(ctx, "Alice", "USD", "Gold", false, []Line{{Product: "Music box", Quantity: 1, Price: 9.99}}); err != nil {
		t.Fatal(err)
	}
	if err := sc.AcceptOrder(ctx, ""); err != nil {
		t.Fatal(err)
	}
	// The merchant's activation (this hook does nothing).
	if _, err := h.dr.UpdateSubscription(ctx, sc.subscriptionID, client.SubscriptionUpdateParams{State: client.String("active")}); err != nil {
		t.Fatal(err)
	}
	gold, err := sc.planID("Gold")
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.UpdateSubscription(ctx, client.SubscriptionUpdateParams{PlanID: client.String(gold)}); err != nil {
		t.Fatal(err)
	}
	updated, err := sc.orderEvents(ctx, "subscription.updated")
	if err != nil {
		t.Fatal(err)
	}
	if len(updated) != 2 || updated[1].Data.PreviousAttributes == nil || len(updated[1].Data.PreviousAttributes) != 0 {
		t.Fatalf("subscription.updated events %d, want the activation and the no-op update with previousAttributes {}", len(updated))
	}
	terms, err := cat.Get("updated-terms")
	if err != nil {
		t.Fatal(err)
	}
	if subs, err := sc.subjects(ctx, terms, true); err != nil || len(subs) != 0 {
		t.Fatalf("after a no-op update the harness expects %d updated terms email(s) (err %v), want none", len(subs), err)
	}
	if err := sc.ChangePlan(ctx, "Platinum"); err != nil {
		t.Fatal(err)
	}
	subs, err := sc.subjects(ctx, terms, true)
	if err != nil || len(subs) != 1 {
		t.Fatalf("after a plan change the harness expects %d updated terms email(s) (err %v), want one", len(subs), err)
	}
	if prev, _ := subs[0].object["previousAttributes"].(map[string]any); prev["planId"] != gold {
		t.Fatalf("the updated terms trigger is %v, want the plan change from %s", subs[0].object["previousAttributes"], gold)
	}
}
