package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	// @order: 3 scenarios, 2 fail (the two order confirmations); @portal: 4 pass.
	if doc.Tests != 7 || doc.Failures != 2 || doc.Errors != 0 || doc.Skipped != 0 {
		t.Errorf("totals tests=%d failures=%d errors=%d skipped=%d, want 7, 2, 0, 0", doc.Tests, doc.Failures, doc.Errors, doc.Skipped)
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
