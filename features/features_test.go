package features_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/drsim/drsim/features"
	"github.com/drsim/drsim/internal/stack"
	"github.com/drsim/drsim/internal/suite"
)

// TestFeatures runs every scenario against the reference merchant, in
// parallel, each scenario a subtest (go test ./features -run 'TestFeatures/Order').
// It writes JUnit and Cucumber JSON reports to out/.
func TestFeatures(t *testing.T) {
	s, err := stack.Start(context.Background(), stack.Options{})
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
		Format:   "progress,junit:" + filepath.Join(out, "junit.xml") + ",cucumber:" + filepath.Join(out, "cucumber.json"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Scenarios) == 0 {
		t.Fatal("no scenario ran")
	}
	for _, sc := range res.Failed() {
		t.Errorf("FAIL %s:%d %s: %v", sc.Feature, sc.Line, sc.Name, sc.Err)
	}
}
