package features_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/drsim/drsim/examples/merchant"
	"github.com/drsim/drsim/internal/stack"
	"github.com/drsim/drsim/internal/suite"
)

// QA's slips fail at run time with what would have been valid: the
// notification names QA types (not catalogue ids), the order's products,
// the scenario's customers, each with the one meant when a slip away.
func TestMistakesListWhatWouldHaveBeenValid(t *testing.T) {
	s, err := stack.Start(context.Background(), stack.Options{Merchant: merchant.Starter()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const order = `
    Given a customer "Alice"
    And a customer "Bob"
    And Alice has placed an order in USD for:
      | product | quantity | price |
      | Widget  | 2        | 10.00 |
      | Gadget  | 1        | 5.00  |
`
	fsys := fstest.MapFS{"mistakes.feature": {Data: []byte(`Feature: Mistakes

  Scenario: A misspelt notification
` + order + `    Then Alice receives an order confirmaton email with every required attribute

  Scenario: A misspelt product
` + order + `    When the merchant ships 1 "Widgte" with "UPS" tracking number "1Z999AA10123456784"

  Scenario: A misspelt customer
` + order + `    Then Alcie receives no shipment email

  Scenario: A product to return that is not in the order
` + order + `    When Alice asks to return 1 "Music box"

  Scenario: A card month already over
    Given a customer "Alice"
    And Alice pays with a card that expires in January 2020
`)}}
	res, err := suite.Run(suite.Options{Harness: s.Harness, Features: fsys})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"A misspelt notification": {`no notification "order confirmaton" in the catalogue; did you mean "order confirmation"?`,
			`"order confirmation", "shipment"`, `"renewal reminder"`, `"payment method expiration"`},
		"A misspelt product":                           {`has no product "Widgte"; did you mean "Widget"? its products are: "Widget", "Gadget"`},
		"A misspelt customer":                          {`no customer "Alcie" in this scenario; did you mean "Alice"? the customers here are: "Alice", "Bob"`},
		"A product to return that is not in the order": {`has no product "Music box"; its products are: "Widget", "Gadget"`},
		"A card month already over":                    {`a card that expires at the end of January 2020 has expired already: the scenario's clock is at`},
	}
	if len(res.Scenarios) != len(want) {
		t.Fatalf("%d scenarios ran, want %d", len(res.Scenarios), len(want))
	}
	for _, sc := range res.Scenarios {
		if sc.Err == nil {
			t.Errorf("scenario %q passed; want it to fail on the mistake", sc.Name)
			continue
		}
		msg := sc.Err.Error()
		for _, w := range want[sc.Name] {
			if !strings.Contains(msg, w) {
				t.Errorf("scenario %q: the failure does not say %q:\n%s", sc.Name, w, msg)
			}
		}
		if strings.Contains(msg, "order-confirmation") || strings.Contains(msg, "renewal-reminder") {
			t.Errorf("scenario %q: the failure shows catalogue ids, not the words QA types:\n%s", sc.Name, msg)
		}
	}
}
