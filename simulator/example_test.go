package simulator_test

import (
	"context"
	"fmt"
	"log"

	"github.com/drsim/drsim/simulator"
	"github.com/drsim/drsim/simulator/client"
)

// Start a simulator on a free loopback port, make an account, and use DR's
// API through the client the server hands out.
func ExampleStart() {
	sim, err := simulator.Start(simulator.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer sim.Close()

	ctx := context.Background()
	keys, err := sim.Client("").CreateAccount(ctx, "sk_test_example1")
	if err != nil {
		log.Fatal(err)
	}
	dr := sim.Client(keys.SecretKey)
	cust, err := dr.CreateCustomer(ctx, client.CustomerParams{Email: new("zoe@example.test")})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(keys.SecretKey, cust.Email, cust.Enabled)
	// Output: sk_test_example1 zoe@example.test true
}

// A checkout placed through the control API becomes an order DR accepts.
func ExampleServer_Client() {
	sim, err := simulator.Start(simulator.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer sim.Close()
	ctx := context.Background()
	keys, err := sim.Client("").CreateAccount(ctx, "")
	if err != nil {
		log.Fatal(err)
	}
	dr := sim.Client(keys.SecretKey)

	if _, err := dr.PutSKU(ctx, "sku_kettle", client.SKUParams{Name: client.String("Kettle")}); err != nil {
		log.Fatal(err)
	}
	cust, err := dr.CreateCustomer(ctx, client.CustomerParams{Email: new("zoe@example.test")})
	if err != nil {
		log.Fatal(err)
	}
	o, err := dr.PlaceOrder(ctx, client.PlaceOrderParams{CustomerID: cust.ID, Currency: "GBP",
		Items: []client.PlaceItem{{SKUID: "sku_kettle", Quantity: 1, Price: 40, TaxRate: 0.2}}})
	if err != nil {
		log.Fatal(err)
	}
	o, err = dr.AcceptOrder(ctx, o.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(o.State, o.TotalAmount, o.Items[0].ProductDetails.Name)
	// Output: accepted 48 Kettle
}

// A load test fills an account straight in its state, measures creates
// over the API, and trims what they made, so the next figure is measured
// at the same number of stored customers and events.
func ExampleServer_FillCustomers() {
	sim, err := simulator.Start(simulator.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer sim.Close()
	ctx := context.Background()
	keys, err := sim.Client("").CreateAccount(ctx, "")
	if err != nil {
		log.Fatal(err)
	}
	ids, err := sim.FillCustomers(keys.SecretKey, 1000, func(i int) string { return fmt.Sprintf("load%d@example.test", i) })
	if err != nil {
		log.Fatal(err)
	}
	dr := sim.Client(keys.SecretKey)
	for range 3 { // the creates a load test measures
		if _, err := dr.CreateCustomer(ctx, client.CustomerParams{Email: new("new@example.test")}); err != nil {
			log.Fatal(err)
		}
	}
	trimmed, err := sim.TrimCustomers(keys.SecretKey, len(ids))
	if err != nil {
		log.Fatal(err)
	}
	// Each filled customer has its customer.created event; the creates'
	// events go too.
	trimmedEvents, err := sim.TrimEvents(keys.SecretKey, len(ids))
	if err != nil {
		log.Fatal(err)
	}
	newest, err := dr.Customers(ctx, client.ListParams{Limit: 1})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(ids), trimmed, trimmedEvents, newest.Data[0].ID == ids[len(ids)-1])
	// Output: 1000 3 3 true
}
