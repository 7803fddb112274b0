package harness_test

import (
	"context"
	"fmt"
	"log"

	"github.com/drsim/drsim/examples/merchant"
	"github.com/drsim/drsim/fixtures"
	"github.com/drsim/drsim/harness"
	"github.com/drsim/drsim/harness/catalogue"
	"github.com/drsim/drsim/harness/mailbox"
	"github.com/drsim/drsim/harness/profile"
	"github.com/drsim/drsim/simulator"
)

// A Go merchant certifies itself from a plain go test: start the simulator
// and a mailbox, start the merchant pointed at both, then drive scenarios
// through the harness. Here the merchant is the reference one.
func Example() {
	ctx := context.Background()
	cat, err := catalogue.Parse("notifications.yaml", fixtures.Notifications())
	if err != nil {
		log.Fatal(err)
	}
	prof, err := profile.Parse("reference-merchant.yaml", fixtures.ReferenceProfile())
	if err != nil {
		log.Fatal(err)
	}
	sim, err := simulator.Start(simulator.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer sim.Close()
	mail, err := mailbox.StartEmbedded()
	if err != nil {
		log.Fatal(err)
	}
	defer mail.Close()
	shop, err := merchant.Start(merchant.Config{
		SigningSecret: prof.Webhook.SigningSecret, DRBaseURL: sim.URL(), DRSecretKey: prof.API.SecretKey, SMTPAddr: mail.SMTPAddr(),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer shop.Close()
	prof.Webhook.URL, prof.Merchant.URL = shop.WebhookURL(), shop.URL()
	mb := mailbox.NewClient(mail.URL())
	defer mb.Close()

	h, err := harness.New(ctx, harness.Config{Profile: prof, Catalogue: cat, SimulatorURL: sim.URL(), Mailbox: mb})
	if err != nil {
		log.Fatal(err)
	}
	sc := h.NewScenario("order confirmation")
	if _, err := sc.CreateCustomer(ctx, "Alice"); err != nil {
		log.Fatal(err)
	}
	spec := harness.OrderSpec{Currency: "USD", Lines: []harness.Line{{Product: "Widget", Quantity: 2, Price: 10, TaxRate: 0.08}}}
	if _, err := sc.PlaceOrder(ctx, "Alice", spec); err != nil {
		log.Fatal(err)
	}
	if err := sc.AcceptOrder(ctx, ""); err != nil {
		log.Fatal(err)
	}
	err = sc.ExpectNotification(ctx, "Alice", "order-confirmation")
	fmt.Println("order confirmation:", err)
	// Output: order confirmation: <nil>
}
