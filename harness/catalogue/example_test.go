package catalogue_test

import (
	"fmt"
	"log"

	"github.com/drsim/drsim/fixtures"
	"github.com/drsim/drsim/harness/catalogue"
)

// Parse reads a notification catalogue; Get finds a notification by id.
func ExampleParse() {
	cat, err := catalogue.Parse("fixtures/notifications.yaml", fixtures.Notifications())
	if err != nil {
		log.Fatal(err)
	}
	n, err := cat.Get("order-confirmation")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(n.Name, "on", n.Trigger)
	// Output: Order confirmation on order.accepted
}

// A mistake in a catalogue is reported with its line and column.
func ExampleParse_error() {
	_, err := catalogue.Parse("bad.yaml", []byte("notifications:\n  - id: x\n    colour: red\n"))
	fmt.Println(err != nil)
	// Output: true
}
