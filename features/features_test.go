package features_test

import (
	"context"
	"os"
	"testing"

	"github.com/drsim/drsim/examples/merchant"
	"github.com/drsim/drsim/features"
	"github.com/drsim/drsim/internal/report"
	"github.com/drsim/drsim/internal/stack"
	"github.com/drsim/drsim/internal/suite"
)

// TestFeatures runs every scenario against the reference merchant, in
// parallel, each scenario a subtest (go test ./features -run 'TestFeatures/Order').
// With DRSIM_REPORTS=dir it writes the reports there (junit.xml,
// cucumber.json, report.html, run.json and the emails as .eml).
func TestFeatures(t *testing.T) {
	s, err := stack.Start(context.Background(), stack.Options{Merchant: merchant.Starter()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close stack: %v", err)
		}
	})
	out := t.TempDir()
	if dir := os.Getenv("DRSIM_REPORTS"); dir != "" {
		out = dir
	}
	res, err := suite.Run(suite.Options{
		Harness:  s.Harness,
		Features: features.Files,
		TestingT: t,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := report.WriteAll(out, res.Report); err != nil {
		t.Fatal(err)
	}
	if len(res.Scenarios) == 0 {
		t.Fatal("no scenario ran")
	}
	for _, sc := range res.Failed() {
		t.Errorf("FAIL %s:%d %s: %v", sc.Feature, sc.Line, sc.Name, sc.Err)
	}
}
