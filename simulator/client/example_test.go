package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"

	"github.com/drsim/drsim/simulator"
	"github.com/drsim/drsim/simulator/client"
)

// New connects to any running simulator by URL (here one started in
// process); CreateAccount needs no key, everything else the account's.
func ExampleNew() {
	sim, err := simulator.Start(simulator.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer sim.Close()
	ctx := context.Background()

	keys, err := client.New(sim.URL(), "").CreateAccount(ctx, "")
	if err != nil {
		log.Fatal(err)
	}
	dr := client.New(sim.URL(), keys.SecretKey)
	hook, err := dr.CreateWebhook(ctx, client.WebhookParams{Address: client.String("https://shop.example.test/webhooks"), Types: &[]string{"order.accepted"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(hook.Address, hook.Types, hook.Enabled)
	// Output: https://shop.example.test/webhooks [order.accepted] true
}

// A refused call is an *Error carrying DR's status, type, code and parameter.
func ExampleError() {
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

	_, err = sim.Client(keys.SecretKey).Order(ctx, "no-such-order")
	var e *client.Error
	if errors.As(err, &e) {
		fmt.Println(e.Status, e.Type, e.Code(), e.Status == http.StatusNotFound)
	}
	// Output: 404 not_found not_found true
}
