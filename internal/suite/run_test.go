package suite

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/smtp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/drsim/drsim/internal/report"
	"github.com/drsim/drsim/internal/testrig"
	"github.com/drsim/drsim/simulator/client"
)

// orders is a feature for Run: scenarios that pass, fail on a check, have
// a typo, do not apply, and one whose email the shop sends without its total.
var orders = fstest.MapFS{"orders.feature": {Data: []byte(`Feature: Orders
  Background:
    Given a customer "Alice"
    And Alice has placed an order in USD for:
      | product       | quantity | price |
      | Trail lantern | 2        | 15    |

  Scenario: accepted
    When Digital River accepts the order
    Then the order is accepted

  Scenario: wrong state
    When Digital River accepts the order
    Then the order is complete
    And the order is accepted

  Scenario: a typo
    When Digital River accept the order

  @email
  Scenario: confirmation email
    When Digital River accepts the order
    Then Alice receives an order confirmation email with every required attribute

  Scenario: ships only whole lines
    When Digital River accepts the order
    And the merchant ships 1 "Trail lantern" with "UPS" tracking number "1Z"

  Scenario Outline: outline <state>
    When Digital River accepts the order
    Then the order is <state>

    Examples:
      | state     |
      | accepted  |
      | cancelled |
`)}}

// confirming is a shop's webhook that emails an order confirmation on
// order.accepted, with the order's id, product and amounts but no total.
// It reads the order from DR first, as a merchant does.
func confirming(r *testrig.Rig) func(context.Context, []byte) {
	return func(ctx context.Context, body []byte) {
		var ev struct {
			Type string
			Data struct {
				Object struct {
					ID, Email string
					TotalTax  float64
					Items     []struct {
						Amount         float64
						ProductDetails struct{ Name string }
					}
				}
			}
		}
		if json.Unmarshal(body, &ev) != nil || ev.Type != "order.accepted" {
			return
		}
		o := ev.Data.Object
		if _, err := client.New(r.Sim.URL(), r.Key).Order(ctx, o.ID); err != nil {
			return
		}
		msg := fmt.Sprintf("To: %s\r\nFrom: shop@example.test\r\nSubject: Order confirmation %s\r\n\r\nThank you for order %s.\r\n%s\r\nTax: $%.2f\r\nDiscount: $0.00\r\nShipping: $0.00\r\n",
			o.Email, o.ID, o.ID, o.Items[0].ProductDetails.Name, o.TotalTax)
		_ = smtp.SendMail(r.SMTP, nil, "shop@example.test", []string{o.Email}, []byte(msg))
	}
}

// rigHarness is a harness on the rig whose shop emails a confirmation
// without its amounts and cannot ship part of a line.
func rigHarness(t *testing.T) *testrig.Rig {
	t.Helper()
	r := testrig.New(t)
	r.Shop.Set(func(s *testrig.Shop) { s.OnEvent = confirming(r) })
	return r
}

const cannotSplit = `actions:
  ship: {cannot: [partialQuantity], path: /ship, json: '{}'}
`

// Run reports each scenario where it is written, and a failure says the
// file and line of the failing step, the scenario, the step, what was
// expected, what was seen and why.
func TestRunReportsEachScenarioWhereItIs(t *testing.T) {
	r := rigHarness(t)
	h := r.Harness(t, cannotSplit)
	var progress bytes.Buffer
	res, err := Run(Options{Harness: h, Features: orders, Output: &progress, Format: "pretty", Heartbeat: -1})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range res.Scenarios {
		got = append(got, fmt.Sprintf("%s:%d %s", s.Feature, s.Line, s.Name))
	}
	want := []string{"orders.feature:8 accepted", "orders.feature:12 wrong state", "orders.feature:17 a typo", "orders.feature:21 confirmation email",
		"orders.feature:25 ships only whole lines", "orders.feature:35 outline accepted", "orders.feature:36 outline cancelled"}
	if !slices.Equal(got, want) {
		t.Fatalf("scenarios %q, want %q", got, want)
	}
	var failed []string
	for _, s := range res.Failed() {
		failed = append(failed, s.Name)
	}
	if res.Status != 1 || !slices.Equal(failed, []string{"wrong state", "a typo", "confirmation email", "outline cancelled"}) {
		t.Errorf("status %d, failed %q; want 1 and the four that fail", res.Status, failed)
	}
	// Each failure: where (the step's line), which scenario and step, and
	// the harness's or the vocabulary's explanation.
	for i, tc := range []struct {
		scenario int
		line     int
		step     string
		says     []string
	}{
		{1, 14, "the order is complete", []string{"is accepted, want complete"}},
		{2, 18, "Digital River accept the order", []string{`undefined step "Digital River accept the order": no step of the vocabulary matches it (did you mean "Digital River accepts the order"? ` + "`drsim steps`"}},
		{3, 23, "Alice receives an order confirmation email with every required attribute", []string{
			`the closest email, "Order confirmation `, "shows the most required attributes (5 of 7)", "itemAmount 30.00 USD not found; totalAmount 30.00 USD not found", "text was:", "Trail lantern"}},
		{6, 31, "the order is cancelled", []string{"is accepted, want cancelled"}},
	} {
		s := res.Scenarios[tc.scenario]
		var se *StepError
		if !errors.As(s.Err, &se) {
			t.Errorf("case %d: %s: error %v, want a StepError", i, s.Name, s.Err)
			continue
		}
		prefix := fmt.Sprintf("orders.feature:%d: scenario %q, step %q: ", tc.line, s.Name, tc.step)
		if se.File != "orders.feature" || se.Line != tc.line || se.Scenario != s.Name || se.Step != tc.step || !strings.HasPrefix(se.Error(), prefix) {
			t.Errorf("case %d: %s at %s:%d step %q: %q; want it to begin %q", i, se.Scenario, se.File, se.Line, se.Step, se.Error(), prefix)
		}
		for _, w := range tc.says {
			if !strings.Contains(se.Error(), w) {
				t.Errorf("case %d: %q does not say %q", i, se.Error(), w)
			}
		}
		if se.Unwrap() == nil {
			t.Errorf("case %d: the StepError wraps nothing", i)
		}
	}
	if na := res.Scenarios[4]; na.Err != nil || !strings.Contains(na.NotApplicable, "actions.ship cannot act on part of an item (cannot: [partialQuantity])") {
		t.Errorf("ships only whole lines: error %v, not applicable %q; want no error and the profile's reason", na.Err, na.NotApplicable)
	}

	// The evidence: each step with its status and line, the table, the
	// not-applicable scenario skipped with why, the email read with where
	// each attribute was found, its event's delivery and the merchant's call.
	run := res.Report
	if run.Merchant != "Rig shop" || len(run.Scenarios) != 7 || len(run.Notifications) == 0 {
		t.Fatalf("report of %q with %d scenarios and %d notifications", run.Merchant, len(run.Scenarios), len(run.Notifications))
	}
	var statuses []string
	for _, st := range run.Scenarios[1].Steps {
		statuses = append(statuses, fmt.Sprintf("%d %s", st.Line, st.Status))
	}
	if want := []string{"3 passed", "4 passed", "13 passed", "14 failed", "15 skipped"}; !slices.Equal(statuses, want) {
		t.Errorf("steps of wrong state: %q, want %q", statuses, want)
	}
	if tbl := run.Scenarios[0].Steps[1].Table; len(tbl) != 2 || !slices.Equal(tbl[1], []string{"Trail lantern", "2", "15"}) {
		t.Errorf("the order step's table in the report: %q", tbl)
	}
	if s := run.Scenarios[2]; s.Status != report.Undefined || s.Steps[2].Status != report.Undefined {
		t.Errorf("a typo: %s, its step %s; want undefined", s.Status, s.Steps[2].Status)
	}
	if s := run.Scenarios[4]; s.Status != report.Skipped || !strings.HasPrefix(s.Error, "not applicable: ship of 1 of the 2 remaining") {
		t.Errorf("ships only whole lines: %s %q; want skipped, not applicable", s.Status, s.Error)
	}
	mail := run.Scenarios[3]
	if len(mail.Emails) != 1 || len(mail.Checks) != 1 || mail.Checks[0].Passed || !slices.Equal(mail.Steps[3].Emails, []int{0}) {
		t.Fatalf("confirmation email: %d emails, checks %+v, the checking step's emails %v; want the one email read by step 4", len(mail.Emails), mail.Checks, mail.Steps[3].Emails)
	}
	e := mail.Emails[0]
	where := map[string]string{}
	for _, a := range e.Attributes {
		where[a.Name] = a.Found + " @ " + a.Where
	}
	if e.Name != "Order confirmation" || !strings.HasPrefix(e.Subject, "Order confirmation ") || e.EventType != "order.accepted" || e.Passed ||
		where["id"] != strings.TrimPrefix(e.Subject, "Order confirmation ")+" @ subject, text part" || where["productName"] != "Trail lantern @ text part" || where["itemAmount"] != " @ " {
		t.Errorf("the email's evidence: %q %q %s passed=%v, attributes %q", e.Name, e.Subject, e.EventType, e.Passed, where)
	}
	// On a loaded machine a first attempt may time out (the rig's
	// delivery timeout is short) and be retried: the evidence then lists
	// both, and the shop's GET for each.
	otherCall := slices.IndexFunc(e.Calls, func(c report.Call) bool { return c.Method != "GET" || !strings.HasPrefix(c.Path, "/orders/") })
	if n := len(e.Deliveries); n == 0 || e.Deliveries[n-1].Status != 200 || len(e.Calls) == 0 || len(e.Calls) > n || otherCall >= 0 {
		t.Errorf("the email's event: deliveries %+v, the merchant's calls %+v; want deliveries ending with one answered 200, and the shop's GET of the order for each (one, unless a first attempt timed out)", e.Deliveries, e.Calls)
	}

	// Progress and summary, as a terminal shows them.
	for _, w := range []string{"✗ orders.feature:12 wrong state", "    failed    Then the order is complete", "    skipped   And the order is accepted", "✓ orders.feature:8 accepted", "/7]"} {
		if !strings.Contains(progress.String(), w) {
			t.Errorf("progress lacks %q:\n%s", w, progress.String())
		}
	}
	var sum strings.Builder
	res.WriteSummary(&sum)
	for _, w := range []string{"PASS  orders.feature:8  accepted", "FAIL  orders.feature:12  wrong state", "      orders.feature:14: scenario \"wrong state\"",
		"N/A   orders.feature:25  ships only whole lines", "order-confirmation           0 passed, 1 failed  FAILED", "scenarios: 2 passed, 4 failed, 1 not applicable"} {
		if !strings.Contains(sum.String(), w) {
			t.Errorf("summary lacks %q:\n%s", w, sum.String())
		}
	}
}

// The filters reach Run: a name, a path with a line, a shard (named in the
// report), and a selection of nothing says so before anything runs.
func TestRunSelects(t *testing.T) {
	r := rigHarness(t)
	h := r.Harness(t, cannotSplit)
	names := func(res Result) []string {
		var out []string
		for _, s := range res.Scenarios {
			out = append(out, s.Name)
		}
		return out
	}
	for _, tc := range []struct {
		o    Options
		want []string
	}{
		{Options{Name: "^accepted$"}, []string{"accepted"}},
		{Options{Paths: []string{"orders.feature:35"}}, []string{"outline accepted"}},
		{Options{Tags: "not @email", Shard: Shard{2, 2}, Name: "accept|outline"}, []string{"outline accepted", "outline cancelled"}},
	} {
		tc.o.Harness, tc.o.Features, tc.o.Concurrency = h, orders, 1
		res, err := Run(tc.o)
		if err != nil {
			t.Fatalf("%+v: %v", tc.o, err)
		}
		if got := names(res); !slices.Equal(got, tc.want) {
			t.Errorf("name %q paths %q shard %s ran %q, want %q", tc.o.Name, tc.o.Paths, tc.o.Shard, got, tc.want)
		}
		if s := tc.o.Shard.String(); s != "" && !slices.Equal(res.Report.Shards, []string{s}) {
			t.Errorf("the report names shards %q, want %q", res.Report.Shards, s)
		}
	}
	if _, err := Run(Options{Harness: h, Features: orders, Tags: "@nothing"}); !errors.Is(err, ErrNothingSelected) {
		t.Errorf("tags that select nothing: %v, want ErrNothingSelected", err)
	}
	if _, err := Run(Options{Features: orders}); err == nil || !strings.Contains(err.Error(), "Options.Harness and Options.Features are required") {
		t.Errorf("no harness: %v, want an error saying what is required", err)
	}
}

// A cancelled run (Ctrl-C) starts no scenario: each fails as interrupted,
// the result says the run was, and the summary says so first.
func TestRunInterrupted(t *testing.T) {
	r := rigHarness(t)
	h := r.Harness(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := Run(Options{Harness: h, Features: orders, Context: ctx, Name: "^(accepted|wrong state)$"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted || !res.Report.Interrupted || res.Status != 1 || len(res.Scenarios) != 2 {
		t.Fatalf("interrupted %v, status %d, %d scenarios; want an interrupted failed run of 2", res.Interrupted, res.Status, len(res.Scenarios))
	}
	for _, s := range res.Scenarios {
		if s.Err == nil || !strings.Contains(s.Err.Error(), "run interrupted before this scenario started: context canceled") {
			t.Errorf("%s: %v, want it interrupted before it started", s.Name, s.Err)
		}
	}
	var sum strings.Builder
	res.WriteSummary(&sum)
	if !strings.HasPrefix(sum.String(), "INTERRUPTED: the run was cancelled; the results below are partial\n") {
		t.Errorf("summary:\n%s", sum.String())
	}
}

// Under go test each scenario is a subtest named after it.
func TestRunUnderGoTest(t *testing.T) {
	r := rigHarness(t)
	h := r.Harness(t, "")
	res, err := Run(Options{Harness: h, Features: orders, Name: "^(accepted|outline accepted)$", TestingT: t})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != 0 || len(res.Scenarios) != 2 {
		t.Errorf("status %d with %d scenarios: %+v", res.Status, len(res.Scenarios), res.Scenarios)
	}
}

// A scenario written without steps yet is reported, not passed.
func TestRunReportsAScenarioWithoutSteps(t *testing.T) {
	r := rigHarness(t)
	h := r.Harness(t, "")
	fsys := fstest.MapFS{"todo.feature": {Data: []byte("Feature: To do\n\n  Scenario: not written yet\n")}}
	res, err := Run(Options{Harness: h, Features: fsys})
	if err != nil {
		t.Fatal(err)
	}
	var se *StepError
	if len(res.Scenarios) != 1 || !errors.As(res.Scenarios[0].Err, &se) || se.Line != 3 || se.Err.Error() != "the scenario has no steps" || res.Report.Scenarios[0].Status != report.Undefined {
		t.Errorf("scenarios %+v; want the one at line 3 undefined: the scenario has no steps", res.Scenarios)
	}
}
