package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
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

	// The binary runs Go code on half the CPUs unless GOMAXPROCS says
	// otherwise; serve's banner says how many.
	if os.Getenv("GOMAXPROCS") == "" { // else the test's own count is not the machine's
		want := fmt.Sprintf("cpus        %d of ", max(1, runtime.GOMAXPROCS(0)/2))
		if got := serveBanner(t, bin, env); !strings.Contains(got, want) {
			t.Errorf("drsim serve without GOMAXPROCS: banner lacks %q:\n%s", want, got)
		}
	}
	if got := serveBanner(t, bin, append(env, "GOMAXPROCS=3")); !strings.Contains(got, "cpus        3 of ") {
		t.Errorf("drsim serve with GOMAXPROCS=3: banner lacks %q:\n%s", "cpus        3 of ", got)
	}
}

// serveBanner starts drsim serve on free ports and returns what it prints
// up to "Ctrl-C to stop.", then stops it.
func serveBanner(t *testing.T, bin string, env []string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "serve", "-sim-addr", "127.0.0.1:0", "-mail=false", "-v=false")
	cmd.Env = env
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start drsim serve: %v", err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	var b strings.Builder
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		b.WriteString(sc.Text() + "\n")
		if sc.Text() == "Ctrl-C to stop." {
			return b.String()
		}
	}
	t.Fatalf("drsim serve ended before its banner was complete (%v):\n%s", ctx.Err(), b.String())
	return ""
}
