package suite

import (
	"testing"
	"testing/fstest"
)

func TestFeatureFileDropsLine(t *testing.T) {
	for in, want := range map[string]string{
		"orders.feature":      "orders.feature",
		"orders.feature:12":   "orders.feature",
		"dir/a.feature:7":     "dir/a.feature",
		"c:/x/orders.feature": "c:/x/orders.feature",
	} {
		if got := featureFile(in); got != want {
			t.Errorf("featureFile(%q) = %q, want %q", in, got, want)
		}
	}
}

var testFeatures = fstest.MapFS{
	"a.feature": {Data: []byte(`Feature: A
  Background:
    Given a customer "Alice"

  Scenario: First
    When Digital River accepts the order

  @slow
  Scenario: Second
    When 8 days pass
`)},
}

func TestLocationsAndPaths(t *testing.T) {
	l, err := indexFeatures(testFeatures)
	if err != nil {
		t.Fatal(err)
	}
	if got := l.stepLine("a.feature", "First", `a customer "Alice"`); got != 3 {
		t.Errorf("background step line = %d, want 3", got)
	}
	if got := l.stepLine("a.feature", "Second", "8 days pass"); got != 10 {
		t.Errorf("step line = %d, want 10", got)
	}
	if got := l.stepLine("a.feature", "Second", "an outline step"); got != 9 {
		t.Errorf("unknown step falls back to the scenario's line: %d, want 9", got)
	}
	p, err := ScenarioPath(testFeatures, "Second")
	if err != nil || p != "a.feature:9" {
		t.Errorf("ScenarioPath = %q, %v; want a.feature:9", p, err)
	}
	if _, err := ScenarioPath(testFeatures, "Third"); err == nil {
		t.Error("ScenarioPath found a scenario that does not exist")
	}
}

func TestTagSelection(t *testing.T) {
	if !hasScenarios(testFeatures, []string{"."}, "@slow") {
		t.Error("no @slow scenario found")
	}
	if !hasScenarios(testFeatures, []string{"."}, "~@slow") {
		t.Error("no scenario without @slow found")
	}
	if hasScenarios(testFeatures, []string{"."}, "@nothing") {
		t.Error("a tag nothing carries matched")
	}
}
