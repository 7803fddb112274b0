package suite

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/drsim/drsim/harness"
)

// The terminal summary shows a failure's first lines and says how many
// more there are and where; the full summary (report.txt) cuts nothing.
func TestSummaryCutsNothingSilently(t *testing.T) {
	var lines []string
	for i := 1; i <= 30; i++ {
		lines = append(lines, fmt.Sprintf("line %d of the failure", i))
	}
	r := Result{Scenarios: []ScenarioResult{{Feature: "a.feature", Line: 3, Name: "Long failure", Err: errors.New(strings.Join(lines, "\n"))}}}
	var short, full strings.Builder
	r.WriteSummary(&short)
	r.WriteFullSummary(&full)
	if !strings.Contains(short.String(), "line 12 of the failure") || strings.Contains(short.String(), "line 13 of the failure") {
		t.Errorf("the terminal summary does not show exactly the first %d lines:\n%s", SummaryLines, short.String())
	}
	if !strings.Contains(short.String(), "… 18 more line(s) not shown here: the whole text is in report.txt, junit.xml") {
		t.Errorf("the terminal summary does not say what it cut and where it is:\n%s", short.String())
	}
	for _, l := range lines {
		if !strings.Contains(full.String(), l) {
			t.Errorf("the full summary lacks %q", l)
		}
	}
	if strings.Contains(full.String(), "not shown") {
		t.Errorf("the full summary cut something:\n%s", full.String())
	}
}

// The summary's sections: notifications checked with their counts, the
// subjects recognised (two, then how many), warnings, scenarios that do
// not apply and what the harness did itself, then the totals.
func TestSummarySections(t *testing.T) {
	r := Result{Duration: 1500 * time.Millisecond, Scenarios: []ScenarioResult{
		{Feature: "a.feature", Line: 3, Name: "Confirmed", Checks: []harness.Check{
			{Notification: "order-confirmation", Subjects: []string{"Order 1", "Order 2", "Order 3"}, Warnings: []string{"the shipment email came before the confirmation"}},
			{Notification: "shipment", Err: errors.New("trackingNumber not found")},
		}, Err: errors.New("a.feature:5: trackingNumber not found")},
		{Feature: "a.feature", Line: 9, Name: "Split", NotApplicable: "actions.ship cannot act on part of an item"},
		{Feature: "b.feature", Line: 2, Name: "Moved", HarnessDid: []string{"moved the subscription through Digital River's API"}},
	}}
	var b strings.Builder
	r.WriteSummary(&b)
	want := `FAIL  a.feature:3  Confirmed (0s)
      a.feature:5: trackingNumber not found
N/A   a.feature:9  Split (0s)
PASS  b.feature:2  Moved (0s)

Notifications checked:
  order-confirmation           1 passed, 0 failed  ok
  shipment                     0 passed, 1 failed  FAILED

Subjects recognised (examples):
  order-confirmation           "Order 1", "Order 2", … (3 in all)

Warnings (not failures):
  a.feature:3: the shipment email came before the confirmation

Not applicable (the profile declares the merchant cannot do what they need; not passed):
  a.feature:9  Split: actions.ship cannot act on part of an item

Done by the harness through Digital River's API, not by the merchant (the profile has no action for it):
  b.feature:2  Moved: moved the subscription through Digital River's API

scenarios: 1 passed, 1 failed, 1 not applicable (1.5s)
`
	if b.String() != want {
		t.Errorf("summary:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	Result{Scenarios: r.Scenarios[2:]}.WriteSummary(&b)
	if !strings.HasSuffix(b.String(), "\nscenarios: 1 passed, 0 failed (0s)\n") {
		t.Errorf("summary without scenarios that do not apply:\n%s", b.String())
	}
}
