package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// QA's feature directory runs from the built binary on a machine without a
// Go toolchain: the test builds drsim, then runs it with a PATH that has no
// go on it.
func TestQAFeaturesRunFromTheBinaryWithoutGo(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go on PATH to build the binary with")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "drsim")
	build := exec.Command(goBin, "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	qa := filepath.Join(dir, "qa-features")
	if err := os.MkdirAll(qa, 0o755); err != nil {
		t.Fatal(err)
	}
	feature := `@qa
Feature: QA's own order checks

  Scenario: A two-line order is confirmed
    Given a customer "Dana"
    And Dana has placed an order in EUR for:
      | product    | quantity | price | tax rate |
      | Teapot     | 1        | 35.00 | 0.19     |
      | Tea leaves | 3        | 4.50  | 0.07     |
    When Digital River accepts the order
    Then Dana receives an order confirmation email with every required attribute

  @wip
  Scenario: Work in progress
    Given a customer "Eve"
`
	if err := os.WriteFile(filepath.Join(qa, "orders.feature"), []byte(feature), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty-path")
	if err := os.MkdirAll(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + empty, "HOME=" + dir}
	if _, err := exec.LookPath("go"); err == nil {
		t.Setenv("PATH", empty)
		if _, err := exec.LookPath("go"); err == nil {
			t.Fatal("go is still on the stripped PATH")
		}
	}
	out := filepath.Join(dir, "report")
	cmd := exec.Command(bin, "demo", "-features", qa, "-tags", "not @wip", "-out", out)
	cmd.Env = env
	got, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("drsim demo -features %s without go on PATH: %v\n%s", qa, err, got)
	}
	if !strings.Contains(string(got), "orders.feature:4 A two-line order is confirmed") || !strings.Contains(string(got), "1 passed, 0 failed") {
		t.Errorf("output lacks the QA scenario's progress line or the totals:\n%s", got)
	}
	if _, err := os.Stat(filepath.Join(out, "junit.xml")); err != nil {
		t.Errorf("no junit.xml: %v", err)
	}
	lint := exec.Command(bin, "lint", qa)
	lint.Env = env
	if got, err := lint.CombinedOutput(); err != nil || !strings.Contains(string(got), "0 problem(s)") {
		t.Errorf("drsim lint %s: %v\n%s", qa, err, got)
	}
}
