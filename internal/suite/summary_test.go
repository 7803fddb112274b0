package suite

import (
	"errors"
	"fmt"
	"strings"
	"testing"
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
