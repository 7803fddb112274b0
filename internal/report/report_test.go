package report

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var started = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

// sample is a run of five scenarios: two passed, two failed (an outline's
// rows, one with a control character in its failure), one undefined.
func sample(shard string) *Run {
	steps := func(last Status) []Step {
		return []Step{
			{Keyword: "Given ", Text: `a customer "Alice"`, Line: 3, Status: Passed, Table: [][]string{{"product", "quantity"}, {"Widget", "1"}}},
			{Keyword: "Then ", Text: "the order is accepted", Line: 9, Status: last, Duration: Duration(20 * time.Millisecond)},
		}
	}
	return &Run{Title: "drsim certification of Shop", Merchant: "Shop", Started: started, Duration: Duration(2 * time.Second), Shards: []string{shard},
		Notifications: []Notification{{ID: "order-confirmation", Name: "Order confirmation", Trigger: "order.accepted"}, {ID: "shipment", Name: "Shipment"}},
		Scenarios: []Scenario{
			{Feature: "Orders", File: "orders.feature", Line: 8, Keyword: "Scenario", Name: "accepted", Status: Passed, Steps: steps(Passed),
				Checks: []Check{{Notification: "order-confirmation", Recipient: "alice@example.test", Passed: true}},
				Emails: []Email{{Notification: "order-confirmation", Name: "Order confirmation", Recipient: "alice@example.test", Subject: "Order confirmation 1",
					Raw: "Subject: Order confirmation 1\r\n\r\nThank you", Passed: true}}},
			{Feature: "Orders", File: "orders.feature", Line: 12, Keyword: "Scenario", Name: "wrong state", Status: Failed, Steps: steps(Failed),
				Error:  "orders.feature:9: scenario \"wrong state\", step \"the order is accepted\": order 1 is complete, want accepted\nsecond line\x01",
				Checks: []Check{{Notification: "tax-receipt", Recipient: "alice@example.test", Passed: false, Error: "not found"}}},
			{Feature: "Orders", File: "orders.feature", Line: 17, Keyword: "Scenario", Name: "a typo", Status: Undefined, Steps: steps(Undefined), Error: `undefined step "x"`},
			{Feature: "Refunds", File: "refunds.feature", Line: 30, Keyword: "Scenario Outline", Name: "row", Status: Passed, Steps: steps(Passed)},
			{Feature: "Refunds", File: "refunds.feature", Line: 31, Keyword: "Scenario Outline", Name: "row", Status: Failed, Steps: steps(Failed), Error: "failed row"},
		}}
}

// WriteAll writes every format and the emails; run.json reads back.
func TestWriteAllAndLoad(t *testing.T) {
	dir := t.TempDir()
	r := sample("1/1")
	if err := WriteAll(dir, r); err != nil {
		t.Fatal(err)
	}
	eml, err := os.ReadFile(filepath.Join(dir, "emails", "orders-8", "01-order-confirmation.eml"))
	if err != nil || string(eml) != r.Scenarios[0].Emails[0].Raw || r.Scenarios[0].Emails[0].EML != "emails/orders-8/01-order-confirmation.eml" {
		t.Errorf("the email's .eml: %q, %v, recorded as %q", eml, err, r.Scenarios[0].Emails[0].EML)
	}
	back, err := Load(filepath.Join(dir, RunFile))
	if err != nil {
		t.Fatal(err)
	}
	if back.Title != r.Title || !back.Started.Equal(started) || back.Duration != r.Duration || len(back.Scenarios) != 5 ||
		back.Scenarios[1].Error != r.Scenarios[1].Error || back.Scenarios[0].Emails[0].EML != r.Scenarios[0].Emails[0].EML || back.Scenarios[0].Steps[1].Duration != Duration(20*time.Millisecond) {
		t.Errorf("run.json read back differs: %+v", back)
	}
	for _, f := range []string{JUnitFile, CucumberFile, HTMLFile} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	if _, err := Load(filepath.Join(dir, "none.json")); err == nil || !strings.HasPrefix(err.Error(), "read run: ") {
		t.Errorf("a missing run.json: %v", err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"duration":"long"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "duration in seconds") {
		t.Errorf("a run.json with a bad duration: %v, want its path and what is wrong", err)
	}
}

// JUnit: a suite per feature file, a case per scenario (outline rows told
// apart by line), a failure's first line as its message and its whole text
// as its body (XML-safe), an undefined step an error.
func TestJUnit(t *testing.T) {
	var b strings.Builder
	if err := WriteJUnit(&b, sample("1/1")); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal([]byte(b.String()), &doc); err != nil {
		t.Fatalf("junit.xml does not parse: %v\n%s", err, b.String())
	}
	if doc.Tests != 5 || doc.Failures != 2 || doc.Errors != 1 || len(doc.Suites) != 2 {
		t.Fatalf("tests %d failures %d errors %d suites %d; want 5, 2, 1 and 2", doc.Tests, doc.Failures, doc.Errors, len(doc.Suites))
	}
	orders, refunds := doc.Suites[0], doc.Suites[1]
	if orders.Name != "Orders" || orders.Tests != 3 || orders.Failures != 1 || orders.Errors != 1 || orders.Timestamp != "2026-12-02T10:00:00" {
		t.Errorf("the orders suite: %+v", orders)
	}
	var names []string
	for _, c := range refunds.Cases {
		names = append(names, c.Name)
	}
	if !slices.Equal(names, []string{"row", "row (line 31)"}) {
		t.Errorf("outline rows named %q", names)
	}
	f := orders.Cases[1].Failure
	if f == nil || f.Message != `orders.feature:9: scenario "wrong state", step "the order is accepted": order 1 is complete, want accepted` ||
		f.Body != "orders.feature:9: scenario \"wrong state\", step \"the order is accepted\": order 1 is complete, want accepted\nsecond line\uFFFD" {
		t.Errorf("the failure: %+v", f)
	}
	if e := orders.Cases[2].Error; e == nil || e.Type != "undefined step" || orders.Cases[2].Failure != nil {
		t.Errorf("the undefined scenario: error %+v failure %+v", e, orders.Cases[2].Failure)
	}
	if out := orders.Cases[0].SystemOut; out == nil || !strings.Contains(out.Text, "  passed    Then the order is accepted (line 9, 20ms)") ||
		!strings.Contains(out.Text, `email Order confirmation to alice@example.test: "Order confirmation 1" (passed)`) {
		t.Errorf("system-out: %+v", out)
	}
}

// Cucumber JSON: a feature per file with its scenarios, steps, tables and
// results (durations in nanoseconds).
func TestCucumber(t *testing.T) {
	var b strings.Builder
	if err := WriteCucumber(&b, sample("1/1")); err != nil {
		t.Fatal(err)
	}
	var fs []cukeFeature
	if err := json.Unmarshal([]byte(b.String()), &fs); err != nil {
		t.Fatal(err)
	}
	if len(fs) != 2 || fs[0].URI != "orders.feature" || len(fs[0].Elements) != 3 || len(fs[1].Elements) != 2 {
		t.Fatalf("features %+v", fs)
	}
	st := fs[0].Elements[1].Steps[1]
	if st.Result.Status != "failed" || st.Result.Duration != int64(20*time.Millisecond) || st.Line != 9 {
		t.Errorf("the failed step: %+v", st)
	}
	if rows := fs[0].Elements[0].Steps[0].Rows; len(rows) != 2 || !slices.Equal(rows[1].Cells, []string{"Widget", "1"}) {
		t.Errorf("the table: %+v", rows)
	}
}

// The HTML report lists failures first, then the rest by file and line,
// with the notification checklist.
func TestHTML(t *testing.T) {
	var b strings.Builder
	if err := WriteHTML(&b, sample("1/1")); err != nil {
		t.Fatal(err)
	}
	h := b.String()
	if !strings.Contains(h, "Shop") || !strings.Contains(h, "Order confirmation") || !strings.Contains(h, "tax-receipt") {
		t.Fatalf("the HTML report lacks the merchant or the checklist:\n%s", h)
	}
	var order []string
	for _, part := range strings.Split(h, "<summary>")[1:] {
		name, _, _ := strings.Cut(part[strings.Index(part, "<b>")+3:], "</b>")
		loc, _, _ := strings.Cut(part[strings.Index(part, `<span class="loc">`)+18:], " ·")
		order = append(order, name+" "+loc)
	}
	want := []string{"wrong state orders.feature:12", "a typo orders.feature:17", "row refunds.feature:31", "accepted orders.feature:8", "row refunds.feature:30"}
	if !slices.Equal(order, want) {
		t.Errorf("scenarios listed %q, want failures first, then by file and line: %q", order, want)
	}
}

// Shards merge into one run; the same shard given twice is refused.
func TestMerge(t *testing.T) {
	a, b := sample("2/2"), sample("1/2")
	a.Scenarios, b.Scenarios = a.Scenarios[3:], b.Scenarios[:3]
	b.Started = started.Add(-time.Minute)
	b.Duration = Duration(5 * time.Second)
	m, err := Merge(a, b)
	if err != nil {
		t.Fatal(err)
	}
	var at []string
	for _, s := range m.Scenarios {
		at = append(at, s.File+":"+s.Name)
	}
	if !slices.Equal(m.Shards, []string{"1/2", "2/2"}) || !m.Started.Equal(b.Started) || m.Duration != b.Duration ||
		!slices.Equal(at, []string{"orders.feature:accepted", "orders.feature:wrong state", "orders.feature:a typo", "refunds.feature:row", "refunds.feature:row"}) {
		t.Errorf("merged: shards %q, started %s, duration %s, scenarios %q", m.Shards, m.Started, m.Duration, at)
	}
	c := m.Checklist()
	if len(c) != 3 || c[0].Status() != "passed" || c[1].Status() != "not checked" || c[2].ID != "tax-receipt" || c[2].Status() != "failed" {
		t.Errorf("checklist %+v", c)
	}
	if _, err := Merge(a, a); err == nil || !strings.Contains(err.Error(), "is in two runs (shards 2/2 and 2/2): were the same shard's reports given twice?") {
		t.Errorf("a shard merged twice: %v", err)
	}
	if _, err := Merge(); err == nil {
		t.Error("merging nothing: no error")
	}
	// A shard left out (its job died before writing reports) is refused, not
	// merged into a report that passes without its scenarios.
	if _, err := Merge(b); err == nil || !strings.Contains(err.Error(), "shard 2/2 missing (given 1/2)") {
		t.Errorf("shard 1/2 merged alone: %v", err)
	}
	c3 := sample("3/3")
	c3.Scenarios = nil
	if _, err := Merge(a, c3); err == nil || !strings.Contains(err.Error(), "different splits") {
		t.Errorf("shards 2/2 and 3/3 merged: %v", err)
	}
}

// An interrupted run's reports say so as a whole (README: "the summary and
// reports are still written and marked INTERRUPTED"), and so does a merge
// of it.
func TestInterruptedRunIsMarked(t *testing.T) {
	r := sample("1/1")
	r.Interrupted = true
	var h, j strings.Builder
	if err := WriteHTML(&h, r); err != nil {
		t.Fatal(err)
	}
	if err := WriteJUnit(&j, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h.String(), "<strong>INTERRUPTED</strong>") || !strings.Contains(j.String(), "INTERRUPTED") {
		t.Errorf("an interrupted run's HTML or JUnit does not say INTERRUPTED:\n%s", j.String())
	}
	a, b := sample("1/2"), sample("2/2")
	a.Scenarios, b.Scenarios = a.Scenarios[:3], b.Scenarios[3:]
	b.Interrupted = true
	if m, err := Merge(a, b); err != nil || !m.Interrupted {
		t.Errorf("merging an interrupted shard: %v, interrupted %v", err, m != nil && m.Interrupted)
	}
	r.Interrupted = false
	h.Reset()
	if err := WriteHTML(&h, r); err != nil || strings.Contains(h.String(), "INTERRUPTED") {
		t.Errorf("a whole run's HTML says INTERRUPTED (%v)", err)
	}
}
