package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drsim/drsim/simulator"
)

func TestDemoPassesAgainstTheReferenceMerchant(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"demo"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("drsim demo exited %d; stdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), " 0 failed") || !strings.Contains(out.String(), "order-confirmation") {
		t.Fatalf("summary lacks the totals or the notification:\n%s", out.String())
	}
}

func TestDemoWithADefectFailsAndNamesTheAttribute(t *testing.T) {
	var out, errOut bytes.Buffer
	dir := t.TempDir()
	code := run(context.Background(), []string{"demo", "-defects", "omit-total-tax", "-tags", "@order", "-out", dir}, &out, &errOut)
	if code != 1 {
		t.Fatalf("drsim demo -defects omit-total-tax exited %d, want 1; stdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	// A failure cut short in the terminal names the file that has it whole.
	for _, want := range []string{"FAIL  order_confirmation.feature:", "totalTax", "not found", "order-confirmation",
		"the whole text is in " + filepath.Join(dir, "report.txt"), "reports in " + dir + ": report.html (open in a browser), report.txt, junit.xml, cucumber.json, run.json, emails/"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary does not contain %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "(with -out)") {
		t.Errorf("a run with -out tells to use -out:\n%s", out.String())
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "Usage:"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"sever"}, 2, `unknown command "sever"; did you mean "serve"?`},
		{[]string{"demo", "-defects", "no-such-defect"}, 2, "no-such-defect"},
		{[]string{"certify"}, 2, "-profile is required"},
		{[]string{"certify", "-profile", "/nonexistent.yaml"}, 2, "nonexistent.yaml"},
	}
	for _, tc := range tests {
		var out, errOut bytes.Buffer
		code := run(context.Background(), tc.args, &out, &errOut)
		if code != tc.code || !strings.Contains(errOut.String()+out.String(), tc.want) {
			t.Errorf("drsim %v: exit %d, output %q; want exit %d mentioning %q", tc.args, code, errOut.String()+out.String(), tc.code, tc.want)
		}
	}
}

func TestDefectsAndStepsList(t *testing.T) {
	var out bytes.Buffer
	if code := run(context.Background(), []string{"defects"}, &out, &out); code != 0 || !strings.Contains(out.String(), "omit-total-tax") {
		t.Errorf("drsim defects: exit %d, output %q", code, out.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"steps"}, &out, &out); code != 0 || !strings.Contains(out.String(), "Digital River accepts the order") {
		t.Errorf("drsim steps: exit %d, output %q", code, out.String())
	}
}

func TestBenchMeasuresRealWork(t *testing.T) {
	ctx := context.Background()
	d, err := benchDeliveryFloor(ctx, 50)
	if err != nil {
		t.Fatalf("delivery bench: %v", err)
	}
	if d.n != 50 || d.engine <= 0 || d.load <= 0 {
		t.Fatalf("delivery bench: %+v, want 50 deliveries timed by the engine and by plain POSTs", d)
	}
	lat, err := benchNotification(ctx, 2)
	if err != nil {
		t.Fatalf("notification bench: %v", err)
	}
	if len(lat) != 2 {
		t.Fatalf("notification bench: %d latencies, want 2", len(lat))
	}
	var progress strings.Builder
	figs, err := benchAPI(ctx, []int{0, 50}, 2, 20, 2, "", func(f string, a ...any) { fmt.Fprintf(&progress, f+"\n", a...) })
	if err != nil {
		t.Fatalf("API bench: %v", err)
	}
	// Level 0 stores a list page of customers, level 50 fifty, each in its own
	// simulator. Each figure sums two rounds, each at least its requests
	// (list a quarter) over at least one collection, after a warm-up
	// over two.
	if len(figs) != 2 || figs[0].stored != listPage || figs[1].stored != 50 {
		t.Fatalf("API bench: %+v, want levels of %d and 50 stored customers", figs, listPage)
	}
	for _, f := range figs {
		for _, r := range []struct {
			name string
			res  loadResult
			min  int
		}{{"create", f.create, 2 * 20}, {"GET", f.get, 2 * 20}, {"list", f.lists, 2 * 5}} {
			if r.res.n < r.min || r.res.gc.cycles < 2*apiCycles || r.res.wall <= 0 || len(r.res.lat) != r.res.n {
				t.Errorf("API bench at %d stored: %s ran %d requests over %d collections in %s, want at least %d over at least %d", f.stored, r.name, r.res.n, r.res.gc.cycles, r.res.wall, r.min, 2*apiCycles)
			}
		}
		if f.warm.gc.cycles < apiWarm || f.warm.n == 0 {
			t.Errorf("API bench at %d stored: warmed with %d GETs over %d collections, want at least %d", f.stored, f.warm.n, f.warm.gc.cycles, apiWarm)
		}
	}
	if p := progress.String(); strings.Count(p, "filling a simulator") != 2 || !strings.Contains(p, "round 2 of 2") {
		t.Errorf("API bench progress: %q, want a line for each of 2 levels and each of 2 rounds", p)
	}
	if figs[1].mem.live == 0 || figs[1].memFilled.live == 0 {
		t.Fatalf("API bench: no live heap measured: %+v", figs[1].mem)
	}
	var printed bytes.Buffer
	printAPI(&printed, figs, 2, 2)
	// The creates' customers were trimmed, and as many events with them
	// (one per create, measured or not): the level's own are left.
	want := fmt.Sprintf("%d customers and %d events stored, live heap", figs[1].stored, figs[1].stored)
	if out := printed.String(); !strings.Contains(out, want) || figs[1].memEvents != figs[1].stored {
		t.Fatalf("API bench output lacks the memory figures (%q):\n%s", want, out)
	}
	_, n, err := benchYear(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n < 24 {
		t.Fatalf("a year of monthly renewals produced %d events, want at least 12 reminders and 12 renewals", n)
	}
}

// cancelOnWrite cancels a context at its first write: demo writes its banner
// after the stack started and before the suite runs, so the run is
// interrupted as Ctrl-C would interrupt it.
type cancelOnWrite struct {
	bytes.Buffer
	cancel context.CancelFunc
}

func (w *cancelOnWrite) Write(p []byte) (int, error) {
	w.cancel()
	return w.Buffer.Write(p)
}

func TestInterruptedRunExits130WithPartialSummary(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &cancelOnWrite{cancel: cancel}
	var errOut bytes.Buffer
	code := run(ctx, []string{"demo", "-tags", "@order"}, out, &errOut)
	if code != 130 {
		t.Fatalf("interrupted demo exited %d, want 130; stdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	for _, want := range []string{"INTERRUPTED", "FAIL  order_confirmation.feature:", "run interrupted before this scenario started"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary does not contain %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(errOut.String(), "interrupted; partial reports written") {
		t.Errorf("stderr = %q, want the interruption named", errOut.String())
	}
}

// TestLoadCyclesMeasuresWholeCollections: a run measured over collection
// cycles starts after one completes and holds at least as many as asked
// and at least its requests; without cycles it is exactly its requests;
// one that cannot see a collection within its bound says so.
func TestLoadCyclesMeasuresWholeCollections(t *testing.T) {
	ctx := context.Background()
	var sink atomic.Pointer[[]byte]
	alloc := func(context.Context, int) error { // garbage, so collections come
		b := make([]byte, 256<<10)
		sink.Store(&b)
		return nil
	}
	gc := selfProbe{} // this heap's, where alloc's garbage goes
	r, err := loadCycles(ctx, gc, 2, 10, 2, 1_000_000, alloc)
	if err != nil {
		t.Fatal(err)
	}
	if r.gc.cycles < 2 || r.n < 10 || len(r.lat) != r.n || r.wall <= 0 || r.cpu <= 0 {
		t.Errorf("loadCycles(cycles 2, total 10): %d requests over %d collections in %s, want at least 10 over at least 2, with this process's CPU time (%s)", r.n, r.gc.cycles, r.wall, r.cpu)
	}
	r, err = loadCycles(ctx, gc, 2, 10, 0, 10, alloc)
	if err != nil || r.n != 10 {
		t.Errorf("loadCycles(cycles 0, total 10): %d requests, %v; want exactly 10", r.n, err)
	}
	idle := func(context.Context, int) error { return nil }
	if _, err := loadCycles(ctx, gc, 1, 1, 1, 3, idle); err == nil || !strings.Contains(err.Error(), "no collection completed in 3 requests") {
		t.Errorf("loadCycles with no garbage and at most 3 requests: err %v, want it to say no collection completed", err)
	}
}

// A run flag that is wrong, or filters that select nothing, are usage
// errors said at once: before the simulator, MailHog and the preflight start
// (the profile's merchant is not running here, so a preflight would fail
// first and hide the flag's mistake).
func TestRunFlagsCheckedBeforeAnythingStarts(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-format", "json"}, `-format "json": want progress, pretty or quiet`},
		{[]string{"-name", "("}, `-name "("`},
		{[]string{"-tags", "@a,@b"}, `write "@a or @b" instead of "@a,@b"`},
		{[]string{"-shard", "4/3"}, `shard "4/3"`},
		{[]string{"-name", "no scenario is called this"}, "no scenario selected"},
		{[]string{"-features", "/nonexistent-features"}, "-features"},
	} {
		for _, cmd := range [][]string{{"certify", "-profile", "../../fixtures/reference-merchant.yaml", "-sim-addr", "127.0.0.1:0", "-smtp-addr", "127.0.0.1:0", "-mail-addr", "127.0.0.1:0"}, {"demo"}} {
			var out, errOut bytes.Buffer
			args := append(append([]string{}, cmd...), tc.args...)
			code := run(context.Background(), args, &out, &errOut)
			if code != 2 || !strings.Contains(errOut.String(), tc.want) || strings.Contains(errOut.String(), "preflight") {
				t.Errorf("drsim %v: exit %d, stderr %q; want exit 2 saying %q", args, code, errOut.String(), tc.want)
			}
			if out.Len() > 0 {
				t.Errorf("drsim %v printed before refusing its flags (something was started):\n%s", args, out.String())
			}
		}
	}
}

// A feature directory that is empty, or a file given for a directory, is
// the wrong path: lint and -features say so (exit 2) instead of passing
// nothing ("0 scenario(s): 0 problem(s)", exit 0) or naming a flag lint
// does not have.
func TestFeatureDirectoryMistakes(t *testing.T) {
	empty := t.TempDir()
	file := filepath.Join(t.TempDir(), "mine.feature")
	if err := os.WriteFile(file, []byte("Feature: f\n  Scenario: s\n    Given a customer \"Alice\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"lint", empty}, empty + ": no .feature file in it"},
		{[]string{"demo", "-features", empty}, "-features " + empty + ": no .feature file in it"},
		{[]string{"lint", file}, file + ": not a directory: give the directory that holds the .feature files"},
		{[]string{"demo", "-features", filepath.Dir(file), "-name", "^nothing$"}, "-features " + filepath.Dir(file) + ": no scenario selected: 1 scenario(s) in the feature files"},
	} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), tc.args, &out, &errOut)
		if code != 2 || !strings.Contains(errOut.String(), tc.want) || strings.Contains(errOut.String(), "lint: -features") {
			t.Errorf("drsim %v: exit %d, stderr %q, stdout %q; want exit 2 saying %q", tc.args, code, errOut.String(), out.String(), tc.want)
		}
	}
}

// -h is help for every command (exit 0), the subcommand groups included,
// and never prints the secret key or admin token taken from the
// environment as a flag's default.
func TestHelpExitsZeroAndShowsNoSecrets(t *testing.T) {
	t.Setenv("DRSIM_SECRET_KEY", "sk_test_secretfromenv0000")
	t.Setenv("DRSIM_ADMIN_TOKEN", "adm_tokenfromenv")
	for _, args := range [][]string{
		{"events", "-h"}, {"logs", "-h"}, {"report", "-h"}, {"events", "resend", "-h"}, {"logs", "tail", "-h"},
		{"listen", "-h"}, {"trigger", "-h"}, {"serve", "-h"}, {"certify", "-h"}, {"health", "-h"}, {"lint", "-h"},
	} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), args, &out, &errOut)
		all := out.String() + errOut.String()
		if code != 0 || !strings.Contains(all, "Usage") {
			t.Errorf("drsim %v: exit %d, output %q; want 0 and the usage", args, code, all)
		}
		if strings.Contains(all, "secretfromenv") || strings.Contains(all, "tokenfromenv") {
			t.Errorf("drsim %v printed a secret from the environment:\n%s", args, all)
		}
	}
	// The environment still supplies them: the key reaches the simulator.
	sim, err := simulator.Start(simulator.Options{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	t.Setenv("DRSIM_ADMIN_TOKEN", "")
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"events", "resend", "-sim", sim.URL(), "some-event"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "sk_test_secretfromenv0000") {
		t.Errorf("events resend with DRSIM_SECRET_KEY: exit %d, stderr %q; want the key from the environment named as unknown", code, errOut.String())
	}
}

func TestProcs(t *testing.T) {
	for _, tc := range []struct {
		env   string
		avail int
		want  int
	}{
		{"", 2, 1},  // half of a 2-CPU machine
		{"", 8, 4},  // half of 8
		{"", 1, 1},  // never 0
		{"", 3, 1},  // rounds down
		{"6", 6, 6}, // GOMAXPROCS set: the runtime's value stands
		{"1", 1, 1},
	} {
		if got := procs(tc.env, tc.avail); got != tc.want {
			t.Errorf("procs(GOMAXPROCS=%q, %d CPUs) = %d; want %d", tc.env, tc.avail, got, tc.want)
		}
	}
}

// selfProbe is this process as the server of a load run.
type selfProbe struct{}

func (selfProbe) gcCycles() uint64       { return readGC().cycles }
func (selfProbe) cpuTime() time.Duration { return processCPU(os.Getpid()) }
