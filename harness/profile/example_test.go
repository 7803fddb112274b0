package profile_test

import (
	"fmt"
	"log"

	"github.com/drsim/drsim/fixtures"
	"github.com/drsim/drsim/harness/profile"
)

// Parse reads a merchant profile: where its webhook, admin and portal are,
// its keys, timeouts and the HTTP requests of its actions.
func ExampleParse() {
	p, err := profile.Parse("fixtures/reference-merchant.yaml", fixtures.ReferenceProfile())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Name, p.Actions["ship"] != nil, p.EmailTimeout() > 0)
	// Output: drsim reference merchant true true
}

// KnownActions lists the operations a profile may describe, and ActionDoc
// says what one is for.
func ExampleActionDoc() {
	fmt.Println(len(profile.KnownActions()) > 0, profile.ActionDoc("ship") != "")
	// Output: true true
}
