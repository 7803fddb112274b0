package suite

import (
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
)

// SummaryLines is how many lines of a failure WriteSummary shows; the rest
// is counted, and WriteFullSummary, junit.xml and report.html have it all.
const SummaryLines = 12

// WriteSummary prints a readable outcome for a terminal: each scenario with
// its status and location, the first SummaryLines lines of each failure
// (saying how many more there are and where they are), the notifications
// checked (passed or the attribute that failed), and the totals.
func (r Result) WriteSummary(w io.Writer) { r.writeSummary(w, SummaryLines) }

// WriteFullSummary is WriteSummary with every failure's whole text, for
// report.txt: nothing is cut.
func (r Result) WriteFullSummary(w io.Writer) { r.writeSummary(w, 0) }

// writeSummary shows at most maxLines lines of each failure; 0: all.
func (r Result) writeSummary(w io.Writer, maxLines int) {
	if r.Interrupted {
		fmt.Fprintln(w, "INTERRUPTED: the run was cancelled; the results below are partial")
	}
	passed := 0
	notif := map[string][2]int{} // id → passed, failed
	subjects := map[string]map[string]bool{}
	var warnings, notApplicable, did []string
	for _, s := range r.Scenarios {
		mark := "PASS"
		switch {
		case s.NotApplicable != "":
			mark = "N/A "
			notApplicable = append(notApplicable, fmt.Sprintf("%s:%d  %s: %s", s.Feature, s.Line, s.Name, s.NotApplicable))
		case s.Err != nil:
			mark = "FAIL"
		default:
			passed++
		}
		for _, d := range s.HarnessDid {
			did = append(did, fmt.Sprintf("%s:%d  %s: %s", s.Feature, s.Line, s.Name, d))
		}
		fmt.Fprintf(w, "%s  %s:%d  %s (%s)\n", mark, s.Feature, s.Line, s.Name, s.Duration.Round(1e6))
		for _, c := range s.Checks {
			n := notif[c.Notification]
			if c.Err != nil {
				n[1]++
			} else {
				n[0]++
			}
			notif[c.Notification] = n
			for _, sub := range c.Subjects {
				if subjects[c.Notification] == nil {
					subjects[c.Notification] = map[string]bool{}
				}
				subjects[c.Notification][sub] = true
			}
			for _, wn := range c.Warnings {
				warnings = append(warnings, fmt.Sprintf("%s:%d: %s", s.Feature, s.Line, wn))
			}
		}
		if s.Err != nil {
			fmt.Fprintf(w, "      %s\n", strings.ReplaceAll(firstLines(s.Err.Error(), maxLines, r.ReportDir), "\n", "\n      "))
		}
	}
	if len(notif) > 0 {
		fmt.Fprintln(w, "\nNotifications checked:")
		ids := make([]string, 0, len(notif))
		for id := range notif {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			n := notif[id]
			status := "ok"
			if n[1] > 0 {
				status = "FAILED"
			}
			fmt.Fprintf(w, "  %-28s %d passed, %d failed  %s\n", id, n[0], n[1], status)
		}
	}
	if len(subjects) > 0 {
		// Emails are recognised by content; these subjects can be pinned
		// under notifications: in the profile.
		fmt.Fprintln(w, "\nSubjects recognised (examples):")
		ids := make([]string, 0, len(subjects))
		for id := range subjects {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			all := make([]string, 0, len(subjects[id]))
			for sub := range subjects[id] {
				all = append(all, fmt.Sprintf("%q", sub))
			}
			sort.Strings(all)
			if len(all) > 2 {
				all = append(all[:2], fmt.Sprintf("… (%d in all)", len(all)))
			}
			fmt.Fprintf(w, "  %-28s %s\n", id, strings.Join(all, ", "))
		}
	}
	if len(warnings) > 0 {
		fmt.Fprintln(w, "\nWarnings (not failures):")
		for _, wn := range warnings {
			fmt.Fprintf(w, "  %s\n", wn)
		}
	}
	if len(notApplicable) > 0 {
		fmt.Fprintln(w, "\nNot applicable (the profile declares the merchant cannot do what they need; not passed):")
		for _, na := range notApplicable {
			fmt.Fprintf(w, "  %s\n", na)
		}
	}
	if len(did) > 0 {
		fmt.Fprintln(w, "\nDone by the harness through Digital River's API, not by the merchant (the profile has no action for it):")
		for _, d := range did {
			fmt.Fprintf(w, "  %s\n", d)
		}
	}
	failed := len(r.Scenarios) - passed - len(notApplicable)
	if len(notApplicable) > 0 {
		fmt.Fprintf(w, "\nscenarios: %d passed, %d failed, %d not applicable (%s)\n", passed, failed, len(notApplicable), r.Duration.Round(1e6))
		return
	}
	fmt.Fprintf(w, "\nscenarios: %d passed, %d failed (%s)\n", passed, failed, r.Duration.Round(1e6))
}

// firstLines is s cut to n lines (all when n is 0), with a last line that
// says how many were left out and where the whole text is: in reportDir's
// reports when the caller writes them there.
func firstLines(s string, n int, reportDir string) string {
	lines := strings.Split(s, "\n")
	if n > 0 && len(lines) > n {
		more := len(lines) - n
		where := "the whole text is in report.txt, junit.xml (the failure's body) and report.html (with -out)"
		if reportDir != "" {
			where = fmt.Sprintf("the whole text is in %s (and junit.xml, the failure's body, and report.html there)", filepath.Join(reportDir, "report.txt"))
		}
		lines = append(lines[:n], fmt.Sprintf("… %d more line(s) not shown here: %s", more, where))
	}
	return strings.Join(lines, "\n")
}
