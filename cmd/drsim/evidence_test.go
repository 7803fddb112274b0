package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/drsim/drsim/features"
	"github.com/drsim/drsim/internal/report"
	"github.com/drsim/drsim/internal/suite"
)

// Surefire's report shape, as Jenkins, GitLab and other JUnit readers parse it.
type surefireSuites struct {
	XMLName  xml.Name        `xml:"testsuites"`
	Tests    int             `xml:"tests,attr"`
	Failures int             `xml:"failures,attr"`
	Errors   int             `xml:"errors,attr"`
	Skipped  int             `xml:"skipped,attr"`
	Suites   []surefireSuite `xml:"testsuite"`
}

type surefireSuite struct {
	Name     string         `xml:"name,attr"`
	Tests    int            `xml:"tests,attr"`
	Failures int            `xml:"failures,attr"`
	Errors   int            `xml:"errors,attr"`
	Skipped  int            `xml:"skipped,attr"`
	Cases    []surefireCase `xml:"testcase"`
}

type surefireCase struct {
	ClassName string `xml:"classname,attr"`
	Name      string `xml:"name,attr"`
	File      string `xml:"file,attr"`
	Line      int    `xml:"line,attr"`
	Time      string `xml:"time,attr"`
	Failure   *struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Body    string `xml:",chardata"`
	} `xml:"failure"`
	Error *struct {
		Message string `xml:"message,attr"`
	} `xml:"error"`
	Skipped   *struct{} `xml:"skipped"`
	SystemOut string    `xml:"system-out"`
}

// demoWithDefect runs drsim demo with the omit-total-tax defect over the
// order features and returns the report directory.
func demoWithDefect(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"demo", "-defects", "omit-total-tax", "-tags", "@order or @portal", "-out", dir}, &out, &errOut)
	if code != 1 {
		t.Fatalf("demo with a defect exited %d, want 1; stdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	return dir
}

// A run with a defect gives one junit.xml whose counts add up and whose
// failure says, in its body, the step, the missing attribute and the email.
func TestJUnitOfARunWithADefect(t *testing.T) {
	dir := demoWithDefect(t)
	b, err := os.ReadFile(filepath.Join(dir, "junit.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc surefireSuites
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("junit.xml does not parse: %v", err)
	}
	// @order: 3 scenarios, all fail (each order confirmation lacks its tax; the
	// one whose tax is $0.00 too, though its discount line shows $0.00); @portal: 6 pass.
	if doc.Tests != 9 || doc.Failures != 3 || doc.Errors != 0 || doc.Skipped != 0 {
		t.Errorf("totals tests=%d failures=%d errors=%d skipped=%d, want 9, 3, 0, 0", doc.Tests, doc.Failures, doc.Errors, doc.Skipped)
	}
	tests, failures, failed := 0, 0, 0
	for _, s := range doc.Suites {
		tests += s.Tests
		failures += s.Failures
		if s.Tests != len(s.Cases) {
			t.Errorf("suite %q says tests=%d but has %d testcases", s.Name, s.Tests, len(s.Cases))
		}
		for _, c := range s.Cases {
			if c.ClassName != s.Name || c.File == "" || c.Line == 0 || c.Time == "" {
				t.Errorf("testcase %q: classname %q (want the feature %q), file %q, line %d, time %q", c.Name, c.ClassName, s.Name, c.File, c.Line, c.Time)
			}
			if c.Error != nil || c.Skipped != nil {
				t.Errorf("testcase %q reports an error or a skip: skipped steps must not be errors", c.Name)
			}
			if c.Failure == nil {
				continue
			}
			failed++
			if c.ClassName != "Order confirmation" || c.File != "order_confirmation.feature" {
				t.Errorf("failed testcase %q is in %q (%s), want Order confirmation", c.Name, c.ClassName, c.File)
			}
			for _, want := range []string{"totalTax", "not found"} {
				if !strings.Contains(c.Failure.Message, want) {
					t.Errorf("failure message %q lacks %q", c.Failure.Message, want)
				}
			}
			for _, want := range []string{"order_confirmation.feature:", `step "Alice receives an order confirmation email`, "totalTax", "text was:", "Thank you for your order"} {
				if !strings.Contains(c.Failure.Body, want) {
					t.Errorf("failure body lacks %q:\n%s", want, c.Failure.Body)
				}
			}
			// report.txt has the whole failure too: every line of the body.
			txt, err := os.ReadFile(filepath.Join(dir, "report.txt"))
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range strings.Split(c.Failure.Body, "\n") {
				if l = strings.TrimSpace(l); l != "" && !strings.Contains(string(txt), l) {
					t.Errorf("report.txt lacks the failure's line %q", l)
				}
			}
			if !strings.Contains(c.SystemOut, "skipped") && !strings.Contains(c.SystemOut, "failed") {
				t.Errorf("system-out does not list the steps:\n%s", c.SystemOut)
			}
		}
	}
	if tests != doc.Tests || failures != doc.Failures || failed != doc.Failures {
		t.Errorf("suites add up to tests=%d failures=%d (%d failure elements); the header says %d and %d", tests, failures, failed, doc.Tests, doc.Failures)
	}
	for _, f := range []string{"cucumber.json", "report.html", "run.json", "report.txt"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("report %s: %v", f, err)
		}
	}
	emls, _ := filepath.Glob(filepath.Join(dir, "emails", "*", "*.eml"))
	if len(emls) < 4 {
		t.Errorf("%d .eml files saved, want one per checked email (at least 4): %v", len(emls), emls)
	}
}

// scenariosOf reads a report directory's run.json: "file:line name" → status.
func scenariosOf(t *testing.T, dir string) map[string]string {
	t.Helper()
	r, err := report.Load(filepath.Join(dir, "run.json"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, s := range r.Scenarios {
		k := fmt.Sprintf("%s:%d %s", s.File, s.Line, s.Name)
		if _, dup := out[k]; dup {
			t.Errorf("%s: scenario %s reported twice", dir, k)
		}
		out[k] = string(s.Status)
	}
	return out
}

// selected is what suite.Select picks for f: "file:line name", sorted.
func selected(t *testing.T, f suite.Filter) []string {
	t.Helper()
	sel, err := suite.Select(features.Files, f)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range sel.Pickles {
		out = append(out, fmt.Sprintf("%s:%d %s", p.File, p.Line, p.Name))
	}
	sort.Strings(out)
	return out
}

// Shards 1/3, 2/3 and 3/3 run the whole suite between them, each scenario
// exactly once, and their reports merge into one JUnit and one HTML report
// of every scenario. What is compared is deterministic: which scenarios
// each shard ran (against the stable split), and the merged statuses
// against the shards' own; no status is compared between two runs, as
// timing-dependent scenarios may differ between runs on a loaded machine.
func TestShardsMergeIntoTheWholeRun(t *testing.T) {
	ctx := context.Background()
	whole := selected(t, suite.Filter{})
	var out, errOut bytes.Buffer
	var shards []string
	ran := map[string]string{} // scenario → status, over all shards
	owner := map[string]int{}  // scenario → shard
	for i := 1; i <= 3; i++ {
		dir := t.TempDir()
		out.Reset()
		errOut.Reset()
		// Exit 1 is a failed scenario (reported, and compared below); any
		// other code is a broken run.
		if code := run(ctx, []string{"demo", "-format", "quiet", "-shard", fmt.Sprintf("%d/3", i), "-out", dir}, &out, &errOut); code != 0 && code != 1 {
			t.Fatalf("demo -shard %d/3 exited %d:\n%s%s", i, code, out.String(), errOut.String())
		} else if code == 1 {
			t.Logf("demo -shard %d/3 had failures (not what this test checks):\n%s", i, out.String())
		}
		shards = append(shards, dir)
		got := scenariosOf(t, dir)
		names := slices.Sorted(maps.Keys(got))
		if want := selected(t, suite.Filter{Shard: suite.Shard{Index: i, Total: 3}}); !slices.Equal(names, want) {
			t.Errorf("shard %d/3 ran\n%v\nits selection is\n%v", i, names, want)
		}
		if len(names) == 0 {
			t.Errorf("shard %d/3 ran nothing", i)
		}
		for k, st := range got {
			if j, dup := owner[k]; dup {
				t.Errorf("%s ran in shard %d/3 and in shard %d/3", k, j, i)
			}
			owner[k], ran[k] = i, st
		}
	}
	if union := slices.Sorted(maps.Keys(ran)); !slices.Equal(union, whole) {
		t.Errorf("shards 1..3 together ran\n%v\nthe whole suite is\n%v", union, whole)
	}
	merged := t.TempDir()
	out.Reset()
	errOut.Reset()
	if code := run(ctx, append([]string{"report", "merge", "-out", merged}, shards...), &out, &errOut); code != 0 && code != 1 {
		t.Fatalf("report merge exited %d:\n%s%s", code, out.String(), errOut.String())
	}
	if got := scenariosOf(t, merged); !maps.Equal(got, ran) {
		t.Errorf("the merged report has\n%v\nthe shards reported\n%v", got, ran)
	}
	var doc surefireSuites
	b, err := os.ReadFile(filepath.Join(merged, "junit.xml"))
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, st := range ran {
		if st == "failed" {
			failed++
		}
	}
	if err := xml.Unmarshal(b, &doc); err != nil || doc.Tests != len(whole) || doc.Failures != failed {
		t.Errorf("merged junit.xml: %d tests, %d failures (err %v), want %d and %d", doc.Tests, doc.Failures, err, len(whole), failed)
	}
	if _, err := os.Stat(filepath.Join(merged, "report.html")); err != nil {
		t.Error(err)
	}
	// The same shard twice is a mistake merge refuses.
	if code := run(ctx, []string{"report", "merge", "-out", t.TempDir(), shards[0], shards[0]}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "in two runs") {
		t.Errorf("merging a shard with itself: exit %d, stderr %q", code, errOut.String())
	}
	// A shard left out would make a report that passes without its scenarios.
	errOut.Reset()
	if code := run(ctx, []string{"report", "merge", "-out", t.TempDir(), shards[0], shards[1]}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "shard 3/3 missing") {
		t.Errorf("merging shards 1/3 and 2/3: exit %d, stderr %q; want 2 naming shard 3/3", code, errOut.String())
	}
}

func TestNothingSelectedExits2(t *testing.T) {
	for _, args := range [][]string{
		{"demo", "-tags", "@ordr"},
		{"demo", "-name", "^no such scenario$"},
	} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), args, &out, &errOut)
		if code != 2 || !strings.Contains(errOut.String(), "no scenario selected") {
			t.Errorf("drsim %v: exit %d, stderr %q; want 2 and \"no scenario selected\"", args, code, errOut.String())
		}
	}
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"demo", "-tags", "@a,@b"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "@a or @b") {
		t.Errorf("a godog-style tag list: exit %d, stderr %q; want 2 and the Cucumber spelling", code, errOut.String())
	}
}

// report merge has no default -out: without it the merge would replace the
// reports in ./drsim-report, certify's default. It is refused before any
// shard is read, as is an -out that is one of the shards.
func TestReportMergeNeedsOut(t *testing.T) {
	t.Chdir(t.TempDir())
	// Two shards' reports, each a run of no scenario (enough to merge).
	for i, dir := range []string{"shard-1", "shard-2"} {
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := report.WriteAll(dir, &report.Run{Title: "shard", Shards: []string{fmt.Sprintf("%d/2", i+1)}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"report", "merge", "shard-1", "shard-2"}, "-out DIR is required"},
		{[]string{"report", "merge", "-out", "shard-2/", "shard-1", "shard-2"}, "-out shard-2/ is one of the shards' report directories"},
	} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), tc.args, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("drsim %v: exit %d, stderr %q; want 2 saying %q", tc.args, code, errOut.String(), tc.want)
		}
	}
	if _, err := os.Stat("drsim-report"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("report merge without -out made ./drsim-report (%v)", err)
	}
}
