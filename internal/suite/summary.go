package suite

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// WriteSummary prints a readable outcome: each scenario with its status and
// location, the notifications checked (passed or the attribute that failed),
// and the totals.
func (r Result) WriteSummary(w io.Writer) {
	if r.Interrupted {
		fmt.Fprintln(w, "INTERRUPTED: the run was cancelled; the results below are partial")
	}
	passed := 0
	notif := map[string][2]int{} // id → passed, failed
	for _, s := range r.Scenarios {
		mark := "PASS"
		if s.Err != nil {
			mark = "FAIL"
		} else {
			passed++
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
		}
		if s.Err != nil {
			fmt.Fprintf(w, "      %s\n", strings.ReplaceAll(firstLines(s.Err.Error(), 12), "\n", "\n      "))
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
	fmt.Fprintf(w, "\nscenarios: %d passed, %d failed (%s)\n", passed, len(r.Scenarios)-passed, r.Duration.Round(1e6))
}

func firstLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = append(lines[:n], "…")
	}
	return strings.Join(lines, "\n")
}
