// Package suite runs the Gherkin features against a merchant through the
// harness, from `go test` (godog's TestingT: each scenario a subtest) or from
// the CLI, and keeps what each scenario did as evidence (report.Run): its
// steps with status and timing, the notifications checked and each email
// read, with the deliveries of its trigger event and the merchant's calls.
package suite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cucumber/godog"

	"github.com/drsim/drsim/harness"
	"github.com/drsim/drsim/internal/report"
	"github.com/drsim/drsim/internal/steps"
	"github.com/drsim/drsim/simulator/client"
)

// DefaultConcurrency is how many scenarios run at once by default. A
// scenario mostly waits (for a webhook, an email, a quiet window), and each
// has its own customers on its own test clock, so many overlap well; at 4 a
// run of the suite took about 1.5× as long as at 16 on a 2-core machine
// (drsim bench -concurrency).
const DefaultConcurrency = 16

// Options configure a run.
type Options struct {
	Harness  *harness.Harness
	Features fs.FS    // the feature files (features.Files, or os.DirFS of a directory)
	Paths    []string // files, directories or file:line inside Features; "." when empty
	Tags     string   // Cucumber tag expression, e.g. "@order and not @slow"
	Name     string   // regular expression: run only scenarios whose name matches
	Shard    Shard    // run only this shard; the zero Shard runs everything
	// Concurrency is how many scenarios run at once; DefaultConcurrency when 0.
	Concurrency int
	// TestingT runs each scenario as a subtest of t and fails t on failure.
	TestingT *testing.T
	// Format is how progress is shown on Output: "progress" (a line per
	// scenario as it finishes; the default), "pretty" (each scenario with its
	// steps) or "quiet" (nothing).
	Format string
	Output io.Writer // where progress goes; nothing is shown when nil
	// ReportDir is where the caller writes the reports (report.txt …), so
	// that a failure cut short on Output says where its whole text is; ""
	// when the caller does not say.
	ReportDir string
	// Heartbeat is how long without a finished scenario before a line says
	// what is still running; 5 s when 0, never when negative.
	Heartbeat time.Duration
	// Context cancels the run (Ctrl-C): steps' waits end, scenarios not yet
	// started fail at once as interrupted, and the reports are still written.
	Context context.Context
}

// ScenarioResult is one scenario's outcome.
type ScenarioResult struct {
	Feature  string // file inside Features
	Line     int
	Name     string
	Err      error // nil when it passed
	Checks   []harness.Check
	Duration time.Duration
	// NotApplicable is why the scenario does not apply to the merchant (its
	// profile declares it cannot do what the scenario needs); such a
	// scenario neither passed nor failed.
	NotApplicable string
	// HarnessDid lists steps the harness performed itself through DR's API
	// because the profile has no action for them.
	HarnessDid []string
}

// Result is a whole run's outcome.
type Result struct {
	Scenarios []ScenarioResult
	Duration  time.Duration
	Status    int // 0 passed, 1 failed
	// Report is the run's evidence, for report.WriteAll.
	Report *report.Run
	// Interrupted is set when Options.Context was cancelled during the run:
	// the results are partial.
	Interrupted bool
	// ReportDir is Options.ReportDir.
	ReportDir string
}

// Failed lists the scenarios that failed.
func (r Result) Failed() []ScenarioResult {
	var out []ScenarioResult
	for _, s := range r.Scenarios {
		if s.Err != nil {
			out = append(out, s)
		}
	}
	return out
}

// StepError is a failed step, located in its feature file.
type StepError struct {
	File     string
	Line     int
	Scenario string
	Step     string
	Err      error
}

func (e *StepError) Error() string {
	return fmt.Sprintf("%s:%d: scenario %q, step %q: %v", e.File, e.Line, e.Scenario, e.Step, e.Err)
}

func (e *StepError) Unwrap() error { return e.Err }

// Run selects the scenarios (Paths, Tags, Name, Shard), runs them and
// returns their outcome. It returns an error wrapping ErrNothingSelected
// when the filters leave nothing to run.
func Run(o Options) (Result, error) {
	if o.Harness == nil || o.Features == nil {
		return Result{}, errors.New("suite: Options.Harness and Options.Features are required")
	}
	sel, err := Select(o.Features, Filter{Paths: o.Paths, Tags: o.Tags, Name: o.Name, Shard: o.Shard})
	if err != nil {
		return Result{}, err
	}
	if o.TestingT != nil {
		if sel.Pickles, err = keepGoTestRun(sel.Pickles, goTestRunPattern()); err != nil {
			return Result{}, err
		}
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Context == nil {
		o.Context = context.Background()
	}
	r := newRecorder(sel, o)
	r.progress.total = len(sel.Pickles)
	start := time.Now()
	stop := r.progress.start()
	// Every scenario runs in parallel with the others: each has its own
	// customers on its own test clock, so moving time or spoiling a
	// delivery touches that scenario only. godog runs each selected
	// scenario by its file:line.
	var paths []string
	seen := map[string]bool{}
	for _, p := range sel.Pickles {
		if !seen[p.unit()] {
			seen[p.unit()] = true
			paths = append(paths, p.unit())
		}
	}
	godog.TestSuite{
		Name:                "drsim",
		ScenarioInitializer: r.init,
		Options: &godog.Options{
			Format:         "progress",
			Output:         io.Discard,
			Paths:          paths,
			FS:             o.Features,
			Concurrency:    o.Concurrency,
			TestingT:       o.TestingT,
			Strict:         true,
			NoColors:       true,
			DefaultContext: o.Context,
		},
	}.Run()
	stop()
	res := r.result(time.Since(start))
	res.Interrupted = o.Context.Err() != nil
	res.Report.Interrupted = res.Interrupted
	r.addDeliveryEvidence(res.Report)
	return res, nil
}

// recorder keeps each scenario's evidence as godog runs it.
type recorder struct {
	o        Options
	sel      *Selection
	progress *progress

	mu      sync.Mutex
	claimed map[*Pickle]*record
}

type record struct {
	pickle   *Pickle
	started  time.Time
	steps    []report.Step
	stepAt   time.Time
	emails   int // emails recorded by the harness before the current step
	scenario *harness.Scenario
	done     bool
	result   report.Scenario
	err      error
	// objectIDs are, per email, the ids its trigger event is about.
	objectIDs [][]string
}

type recordKey struct{}

func newRecorder(sel *Selection, o Options) *recorder {
	return &recorder{o: o, sel: sel, claimed: map[*Pickle]*record{}, progress: newProgress(o)}
}

// claim finds the selected pickle godog is about to run: same file and
// scenario line, same name and step texts, not yet claimed.
func (r *recorder) claim(gs *godog.Scenario) *record {
	file, line := splitLocation(gs.Uri)
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.sel.Pickles {
		if p.File != file || p.ScenarioLine != line || p.Name != gs.Name || len(p.Steps) != len(gs.Steps) || r.claimed[p] != nil {
			continue
		}
		same := true
		for i, st := range gs.Steps {
			same = same && st.Text == p.Steps[i].Text
		}
		if same {
			rec := &record{pickle: p, started: time.Now()}
			r.claimed[p] = rec
			return rec
		}
	}
	return nil
}

func splitLocation(uri string) (string, int) {
	file := featureFile(uri)
	line := 0
	if file != uri {
		fmt.Sscanf(uri[len(file)+1:], "%d", &line)
	}
	return file, line
}

// featureFile drops the ":line" godog keeps on a URI given as a file:line path.
func featureFile(uri string) string {
	if i := strings.LastIndexByte(uri, ':'); i > 0 && strings.Trim(uri[i+1:], "0123456789") == "" {
		return uri[:i]
	}
	return uri
}

func (r *recorder) init(sc *godog.ScenarioContext) {
	// First: claim the pickle; an example row the filters left out (an
	// outline runs whole) is skipped and reported nowhere.
	sc.Before(func(ctx context.Context, gs *godog.Scenario) (context.Context, error) {
		rec := r.claim(gs)
		if rec == nil {
			return ctx, godog.ErrSkip
		}
		r.progress.begin(rec)
		ctx = context.WithValue(ctx, recordKey{}, rec)
		if err := r.o.Context.Err(); err != nil {
			return ctx, fmt.Errorf("run interrupted before this scenario started: %w", err)
		}
		return ctx, nil
	})
	steps.Register(sc, r.o.Harness, nil)
	sc.StepContext().Before(func(ctx context.Context, st *godog.Step) (context.Context, error) {
		if rec, _ := ctx.Value(recordKey{}).(*record); rec != nil {
			r.mu.Lock()
			rec.stepAt = time.Now()
			if rec.scenario == nil {
				rec.scenario = steps.ScenarioFrom(ctx)
			}
			if rec.scenario != nil {
				rec.emails = len(rec.scenario.Emails())
			}
			r.mu.Unlock()
			r.progress.step(rec, st.Text)
		}
		return ctx, nil
	})
	sc.StepContext().After(func(ctx context.Context, st *godog.Step, status godog.StepResultStatus, err error) (context.Context, error) {
		rec, _ := ctx.Value(recordKey{}).(*record)
		if rec == nil {
			return ctx, nil
		}
		r.mu.Lock()
		i := len(rec.steps)
		if i >= len(rec.pickle.Steps) {
			r.mu.Unlock()
			return ctx, nil
		}
		ps := rec.pickle.Steps[i]
		s := report.Step{Keyword: ps.Keyword, Text: st.Text, Line: ps.Line, Table: ps.Table, Status: stepStatus(status)}
		if !rec.stepAt.IsZero() {
			s.Duration = report.Duration(time.Since(rec.stepAt))
			rec.stepAt = time.Time{}
		}
		if err != nil && s.Status != report.Skipped {
			s.Error = r.stepError(s, err).Error()
		}
		if rec.scenario == nil {
			rec.scenario = steps.ScenarioFrom(ctx)
		}
		if rec.scenario != nil {
			for k := rec.emails; k < len(rec.scenario.Emails()); k++ {
				s.Emails = append(s.Emails, k)
			}
			rec.emails = len(rec.scenario.Emails())
		}
		rec.steps = append(rec.steps, s)
		if s.Status != report.Passed && s.Status != report.Skipped && rec.err == nil {
			rec.err = &StepError{File: rec.pickle.File, Line: ps.Line, Scenario: rec.pickle.Name, Step: st.Text, Err: r.stepError(s, err)}
		}
		last := len(rec.steps) == len(rec.pickle.Steps)
		if last {
			r.finish(rec)
		}
		r.mu.Unlock()
		if last {
			r.progress.end(rec)
		}
		return ctx, nil
	})
}

func stepStatus(s godog.StepResultStatus) report.Status {
	switch s {
	case godog.StepPassed:
		return report.Passed
	case godog.StepFailed:
		return report.Failed
	case godog.StepSkipped:
		return report.Skipped
	case godog.StepUndefined:
		return report.Undefined
	case godog.StepPending:
		return report.Pending
	case godog.StepAmbiguous:
		return report.Ambiguous
	}
	return report.Failed
}

// stepError explains a step's error; an undefined step gets the nearest
// step of the vocabulary.
func (r *recorder) stepError(s report.Step, err error) error {
	switch {
	case s.Status == report.Undefined:
		return fmt.Errorf("undefined step %q: no step of the vocabulary matches it (did you mean %q? `drsim steps` lists them all)", s.Text, steps.Nearest(s.Text))
	case err == nil:
		return fmt.Errorf("%s step", s.Status)
	}
	return err
}

// finish builds the scenario's evidence; r.mu is held.
func (r *recorder) finish(rec *record) {
	p := rec.pickle
	out := report.Scenario{
		Feature: p.Feature, FeatureLine: p.FeatureLine, FeatureTags: p.FeatureTags,
		File: p.File, Line: p.Line, Keyword: p.Keyword, Name: p.Name, Tags: p.Tags,
		Status: report.Passed, Steps: rec.steps,
	}
	if !rec.started.IsZero() {
		out.Duration = report.Duration(time.Since(rec.started))
	}
	for _, s := range rec.steps {
		if s.Status != report.Passed && s.Status != report.Skipped {
			out.Status = s.Status
			break
		}
	}
	if rec.err != nil {
		out.Error = rec.err.Error()
	}
	if rec.scenario != nil && rec.scenario.NotApplicable() != "" && rec.err == nil {
		// Not applicable is never passed: the report shows it skipped, with why.
		out.Status = report.Skipped
		out.Error = "not applicable: " + rec.scenario.NotApplicable()
	}
	if rec.scenario != nil {
		for _, c := range rec.scenario.Checks() {
			rc := report.Check{Notification: c.Notification, Recipient: c.Recipient, Passed: c.Err == nil}
			if c.Err != nil {
				rc.Error = c.Err.Error()
			}
			out.Checks = append(out.Checks, rc)
		}
		for _, e := range rec.scenario.Emails() {
			out.Emails = append(out.Emails, r.email(e))
			rec.objectIDs = append(rec.objectIDs, ids(e.Object, nil))
		}
	}
	rec.result = out
	rec.done = true
}

// email turns the harness's evidence into the report's, saying where each
// found value was.
func (r *recorder) email(e harness.EmailEvidence) report.Email {
	out := report.Email{Notification: e.Notification, Name: e.Notification, Recipient: e.Recipient, EventID: e.EventID, EventType: e.EventType, Passed: e.Err == nil}
	for _, n := range r.o.Harness.CatalogueEntries() {
		if n.ID == e.Notification {
			out.Name = n.Name
		}
	}
	if e.Err != nil {
		out.Error = e.Err.Error()
	}
	m := e.Message
	if m != nil {
		out.Subject, out.From, out.To, out.Received = m.Subject, m.From, m.To, m.Created
		out.Text, out.HTML, out.Raw = m.Text, m.HTML, m.Raw
	}
	for _, f := range e.Findings {
		a := report.Attribute{Name: f.Attribute, Want: f.Want, Found: f.Found, Optional: f.Optional}
		if f.Found != "" && m != nil {
			a.Where = where(f.Found, m.Subject, m.Text, m.HTMLText, m.Links)
		}
		out.Attributes = append(out.Attributes, a)
	}
	return out
}

func where(found, subject, text, html string, links []string) string {
	var at []string
	if strings.Contains(subject, found) {
		at = append(at, "subject")
	}
	if strings.Contains(text, found) {
		at = append(at, "text part")
	}
	if strings.Contains(html, found) {
		at = append(at, "HTML part")
	}
	for _, l := range links {
		if strings.Contains(l, found) {
			at = append(at, "link")
			break
		}
	}
	return strings.Join(at, ", ")
}

// result collects the finished scenarios in file and line order; a
// selected scenario godog never started (no steps) is reported undefined.
func (r *recorder) result(d time.Duration) Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	run := &report.Run{Title: "drsim certification of " + r.o.Harness.MerchantName(), Merchant: r.o.Harness.MerchantName(),
		Started: time.Now().Add(-d), Duration: report.Duration(d)}
	if s := r.o.Shard.String(); s != "" {
		run.Shards = []string{s}
	}
	for _, n := range r.o.Harness.CatalogueEntries() {
		run.Notifications = append(run.Notifications, report.Notification{ID: n.ID, Name: n.Name, Trigger: n.Trigger, Description: n.Description})
	}
	res := Result{Duration: d, Report: run, ReportDir: r.o.ReportDir}
	for _, p := range r.sel.Pickles {
		rec := r.claimed[p]
		if rec == nil || !rec.done {
			rec = &record{pickle: p, err: &StepError{File: p.File, Line: p.Line, Scenario: p.Name, Step: "", Err: errors.New("the scenario did not run to its end (no steps, or the run was interrupted)")}}
			if len(p.Steps) == 0 {
				rec.err = &StepError{File: p.File, Line: p.Line, Scenario: p.Name, Err: errors.New("the scenario has no steps")}
			}
			r.finish(rec)
			rec.result.Status = report.Undefined
		}
		run.Scenarios = append(run.Scenarios, rec.result)
		sr := ScenarioResult{Feature: p.File, Line: p.Line, Name: p.Name, Err: rec.err, Duration: time.Duration(rec.result.Duration)}
		if rec.scenario != nil {
			sr.Checks = rec.scenario.Checks()
			sr.HarnessDid = rec.scenario.HarnessDid()
			if na := rec.scenario.NotApplicable(); na != "" && rec.err == nil {
				sr.NotApplicable = na
			}
		}
		if rec.err != nil {
			res.Status = 1
		}
		res.Scenarios = append(res.Scenarios, sr)
	}
	return res
}

// addDeliveryEvidence adds to each email the deliveries of its trigger
// event and the merchant's API calls about that event's objects between
// the event's first delivery and the email. Evidence that cannot be read
// is left out: the run's outcome does not depend on it.
func (r *recorder) addDeliveryEvidence(run *report.Run) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var calls []client.RequestLog
	objectIDs := make([][][]string, len(run.Scenarios))
	r.mu.Lock()
	for i, p := range r.sel.Pickles {
		if rec := r.claimed[p]; rec != nil && i < len(objectIDs) {
			objectIDs[i] = rec.objectIDs
		}
	}
	r.mu.Unlock()
	for i := range run.Scenarios {
		for j := range run.Scenarios[i].Emails {
			e := &run.Scenarios[i].Emails[j]
			if e.EventID == "" || j >= len(objectIDs[i]) {
				continue
			}
			ds, err := r.o.Harness.Deliveries(ctx, e.EventID)
			if err != nil {
				continue
			}
			for _, d := range ds {
				e.Deliveries = append(e.Deliveries, report.Delivery{Attempt: d.Attempt, Time: d.Time, Status: d.Status, Delivered: d.Delivered,
					LatencyMs: d.LatencyMS, Forged: d.Forged, Manual: d.Manual, Duplicate: d.Duplicate, Error: d.Error})
			}
			if calls == nil {
				if calls, err = r.o.Harness.APICalls(ctx); err != nil {
					calls = []client.RequestLog{}
				}
			}
			e.Calls = merchantCalls(calls, e, objectIDs[i][j])
		}
	}
}

// ids collects the id-like strings of an object (values of keys named id or
// ending in Id).
func ids(v any, out []string) []string {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && (k == "id" || strings.HasSuffix(k, "Id")) && len(s) >= 4 {
				out = append(out, s)
			}
			out = ids(x, out)
		}
	case []any:
		for _, x := range v {
			out = ids(x, out)
		}
	}
	return out
}

func merchantCalls(calls []client.RequestLog, e *report.Email, objectIDs []string) []report.Call {
	if len(e.Deliveries) == 0 || len(objectIDs) == 0 {
		return nil
	}
	// The request log's times are written as DR writes times, in whole
	// seconds; a delivery's is exact. A call made during the first
	// delivery's second would otherwise look earlier than it.
	from := e.Deliveries[0].Time.Truncate(time.Second)
	var out []report.Call
	for _, c := range calls {
		if c.Agent == harness.HarnessAgent || c.Time.Before(from) || (!e.Received.IsZero() && c.Time.After(e.Received)) {
			continue
		}
		for _, id := range objectIDs {
			if strings.Contains(c.Path, id) || strings.Contains(c.Query, id) {
				out = append(out, report.Call{Method: c.Method, Path: c.Path, Query: c.Query, Status: c.Status, Time: c.Time})
				break
			}
		}
	}
	return out
}
