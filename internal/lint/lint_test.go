package lint

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/drsim/drsim/features"
	"github.com/drsim/drsim/fixtures"
	"github.com/drsim/drsim/harness/catalogue"
)

func shipped(t *testing.T) *catalogue.Catalogue {
	t.Helper()
	c, err := catalogue.Parse("fixtures/notifications.yaml", fixtures.Notifications())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The project's own features are clean: lint finds no false problems.
func TestShippedFeaturesAreClean(t *testing.T) {
	problems, n, err := Lint(features.Files, shipped(t))
	if err != nil {
		t.Fatal(err)
	}
	if n < 30 {
		t.Errorf("linted %d scenarios, want the whole suite", n)
	}
	for _, p := range problems {
		t.Errorf("false problem: %s", p)
	}
}

func TestLintFindsQAMistakes(t *testing.T) {
	fsys := fstest.MapFS{"qa/orders.feature": {Data: []byte(`Feature: QA's orders
  Background:
    Given a customer "Alice"

  Scenario: Mistakes
    Given Alice has placed an order in USD for:
      | product | quantity | price |
      | Widget  | 2        | 10.00 |
    When Digital River accept the order
    And the merchant ships 1 "Widgit" with "UPS" tracking number "1Z"
    Then Alice receives an order confirmaton email with every required attribute
    And Bob receives no shipment email
`)}}
	problems, _, err := Lint(fsys, shipped(t))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`qa/orders.feature:9: undefined step "Digital River accept the order"; did you mean "Digital River accepts the order"?`,
		`qa/orders.feature:10: product "Widgit" is not in the scenario's order; did you mean "Widget"? its products are: "Widget"`,
		`qa/orders.feature:11: no notification "order confirmaton" in the catalogue; did you mean "order confirmation"? the notifications are: "order confirmation", "shipment"`,
		`qa/orders.feature:12: customer "Bob" is not introduced in scenario "Mistakes"; add ` + "`Given a customer \"Bob\"`" + ` before this step (customers here: "Alice")`,
	}
	if len(problems) != len(want) {
		t.Errorf("%d problems, want %d:\n%v", len(problems), len(want), problems)
	}
	for i, w := range want {
		if i < len(problems) && !strings.HasPrefix(problems[i].String(), w) {
			t.Errorf("problem %d = %s\nwant it to start with %s", i, problems[i], w)
		}
	}
}
