package suite

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/drsim/drsim/internal/report"
)

// When nothing finishes for the heartbeat interval, a line names each
// running scenario and the step it awaits; a finished scenario gets its line.
func TestProgressHeartbeatNamesWhatIsAwaited(t *testing.T) {
	var out bytes.Buffer
	p := newProgress(Options{Output: &out, Heartbeat: 5 * time.Second})
	p.total = 2
	start := time.Now()
	p.lastDone = start
	rec := &record{pickle: &Pickle{File: "orders.feature", Line: 12, Name: "Confirmation"}}
	p.begin(rec)
	p.step(rec, "Alice receives an order confirmation email with every required attribute")
	p.beat(start.Add(2 * time.Second))
	if out.Len() != 0 {
		t.Fatalf("a heartbeat before the interval passed: %q", out.String())
	}
	p.beat(start.Add(6 * time.Second))
	for _, want := range []string{"0 of 2 done", "nothing finished for 6s", "orders.feature:12 Confirmation", `step "Alice receives an order confirmation email`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("heartbeat %q lacks %q", out.String(), want)
		}
	}
	out.Reset()
	rec.result = report.Scenario{File: "orders.feature", Line: 12, Name: "Confirmation", Status: report.Failed, Error: "orders.feature:14: totalTax not found"}
	p.end(rec)
	if !strings.Contains(out.String(), "✗ orders.feature:12 Confirmation") || !strings.Contains(out.String(), "[1/2]") || !strings.Contains(out.String(), "totalTax not found") {
		t.Errorf("finished line = %q", out.String())
	}
	out.Reset()
	p.beat(time.Now().Add(time.Minute))
	if out.Len() != 0 {
		t.Errorf("a heartbeat with nothing running: %q", out.String())
	}
}
