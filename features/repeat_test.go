package features_test

import (
	"context"
	"io"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/drsim/drsim/examples/merchant"
	"github.com/drsim/drsim/features"
	"github.com/drsim/drsim/harness"
	"github.com/drsim/drsim/internal/stack"
	"github.com/drsim/drsim/internal/suite"
)

// TestRepeatedCertificationDoesNotDrift certifies the reference merchant
// several times in a row against one running simulator and one merchant,
// as a CI job does against `drsim serve` or the compose stack: every run
// must pass every scenario. Time-moving scenarios move their own test
// clocks, so nothing a later run relies on (the account's clock, file-link
// expiry, card dates, the webhook's secret) is left changed by an earlier
// one. DRSIM_REPEAT sets the number of runs (default 3).
func TestRepeatedCertificationDoesNotDrift(t *testing.T) {
	runs := 3
	if v := os.Getenv("DRSIM_REPEAT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("DRSIM_REPEAT=%q: want a whole number of at least 1", v)
		}
		runs = n
	}
	ctx := context.Background()
	s, err := stack.Start(ctx, stack.Options{Merchant: merchant.Starter()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close stack: %v", err)
		}
	})
	for i := 1; i <= runs; i++ {
		// A new harness per run, as each `drsim certify` makes one.
		h, err := harness.New(ctx, harness.Config{
			Profile: s.Profile, Catalogue: s.Catalogue, SimulatorURL: s.Simulator.URL(), Mailbox: s.Mailbox,
		})
		if err != nil {
			t.Fatalf("run %d: harness: %v", i, err)
		}
		res, err := suite.Run(suite.Options{Harness: h, Features: features.Files, Format: "progress", Output: io.Discard})
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		passed := len(res.Scenarios) - len(res.Failed())
		t.Logf("run %d of %d: %d of %d scenarios passed in %s", i, runs, passed, len(res.Scenarios), res.Duration.Round(time.Millisecond))
		if len(res.Scenarios) == 0 {
			t.Fatalf("run %d: no scenario ran", i)
		}
		for _, sc := range res.Failed() {
			t.Errorf("run %d: FAIL %s:%d %s: %v", i, sc.Feature, sc.Line, sc.Name, sc.Err)
		}
		if t.Failed() {
			return
		}
	}
}
