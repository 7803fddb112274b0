// Package suite runs the Gherkin features against a merchant through the
// harness, from `go test` (godog's TestingT: each scenario a subtest) or from
// the CLI, and summarises the outcome: which notifications passed and which
// attribute failed where.
package suite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cucumber/godog"

	"github.com/drsim/drsim/harness"
	"github.com/drsim/drsim/internal/steps"
)

// Options configure a run.
type Options struct {
	Harness  *harness.Harness
	Features fs.FS    // the feature files (features.Files by default in callers)
	Paths    []string // files or directories inside Features; "." when empty
	Tags     string   // godog tag expression, e.g. "@order && ~@slow"
	// Concurrency is how many scenarios run at once; 4 when 0.
	Concurrency int
	// TestingT runs each scenario as a subtest of t and fails t on failure.
	TestingT *testing.T
	// Format is godog's formatter list, e.g. "pretty" or
	// "progress,junit:out/junit.xml,cucumber:out/cucumber.json"; "progress" when empty.
	Format string
	Output io.Writer // where godog writes; io.Discard when nil
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
	Status    int // godog's: 0 passed, 1 failed, 2 options error
	// Interrupted is set when Options.Context was cancelled during the run:
	// the results are partial.
	Interrupted bool
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

// Run runs the features and returns their outcome.
func Run(o Options) (Result, error) {
	if o.Harness == nil || o.Features == nil {
		return Result{}, errors.New("suite: Options.Harness and Options.Features are required")
	}
	locs, err := indexFeatures(o.Features)
	if err != nil {
		return Result{}, fmt.Errorf("suite: read features: %w", err)
	}
	if o.Concurrency == 0 {
		o.Concurrency = 4
	}
	if o.Format == "" {
		o.Format = "progress"
	}
	if o.Output == nil {
		o.Output = io.Discard
	}
	if len(o.Paths) == 0 {
		o.Paths = []string{"."}
	}
	var (
		mu       sync.Mutex
		results  []ScenarioResult
		started  sync.Map // pickle id → time.Time
		failures failureTable
	)
	if o.Context == nil {
		o.Context = context.Background()
	}
	init := func(sc *godog.ScenarioContext) {
		sc.Before(func(ctx context.Context, gs *godog.Scenario) (context.Context, error) {
			started.Store(gs.Id, time.Now())
			if err := o.Context.Err(); err != nil {
				return ctx, fmt.Errorf("run interrupted before this scenario started: %w", err)
			}
			return ctx, nil
		})
		// Remember where a step failed (godog's hooks cannot replace its
		// error), so the scenario's result can name file, line and step.
		sc.StepContext().After(func(ctx context.Context, st *godog.Step, status godog.StepResultStatus, err error) (context.Context, error) {
			if loc := failureOf(ctx); err != nil && loc != nil && loc.Step == "" {
				loc.Step = st.Text
			}
			return ctx, nil
		})
		steps.Register(sc, o.Harness, func(gs *godog.Scenario, hs *harness.Scenario, err error) {
			uri := featureFile(gs.Uri)
			r := ScenarioResult{Feature: uri, Line: locs.scenarioLine(uri, gs.Name), Name: gs.Name, Err: err}
			if loc := failures.take(gs.Id); err != nil && loc != nil && loc.Step != "" {
				r.Err = &StepError{File: uri, Line: locs.stepLine(uri, gs.Name, loc.Step), Scenario: gs.Name, Step: loc.Step, Err: err}
			}
			if t, ok := started.Load(gs.Id); ok {
				r.Duration = time.Since(t.(time.Time))
			}
			if hs != nil {
				r.Checks = hs.Checks()
				r.HarnessDid = hs.HarnessDid()
				if na := hs.NotApplicable(); na != "" {
					r.NotApplicable, r.Err = na, nil
				}
			}
			mu.Lock()
			results = append(results, r)
			mu.Unlock()
		})
		sc.Before(func(ctx context.Context, gs *godog.Scenario) (context.Context, error) {
			return context.WithValue(ctx, failureKey{}, failures.start(gs.Id)), nil
		})
	}
	// Every scenario runs in parallel with the others: each has its own
	// customers on its own test clock, so moving time or spoiling a
	// delivery touches that scenario only.
	start := time.Now()
	status := 0
	if hasScenarios(o.Features, o.Paths, o.Tags) {
		status = godog.TestSuite{
			Name:                "drsim",
			ScenarioInitializer: init,
			Options: &godog.Options{
				Format:         o.Format,
				Paths:          o.Paths,
				FS:             o.Features,
				Tags:           o.Tags,
				Concurrency:    o.Concurrency,
				TestingT:       o.TestingT,
				Strict:         true,
				Output:         o.Output,
				NoColors:       true,
				DefaultContext: o.Context,
			},
		}.Run()
	}
	sort.Slice(results, func(i, j int) bool {
		if results[i].Feature != results[j].Feature {
			return results[i].Feature < results[j].Feature
		}
		return results[i].Line < results[j].Line
	})
	return Result{Scenarios: results, Duration: time.Since(start), Status: status, Interrupted: o.Context.Err() != nil}, nil
}

// featureFile drops the ":line" godog keeps on a URI given as a file:line path.
func featureFile(uri string) string {
	if i := strings.LastIndexByte(uri, ':'); i > 0 && strings.Trim(uri[i+1:], "0123456789") == "" {
		return uri[:i]
	}
	return uri
}

// hasScenarios reports whether any scenario under paths matches tags, so an
// empty selection is not run (godog would report it as a failure to find any).
func hasScenarios(fsys fs.FS, paths []string, tags string) bool {
	st := godog.TestSuite{
		ScenarioInitializer: func(*godog.ScenarioContext) {},
		Options:             &godog.Options{Format: "progress", Paths: paths, FS: fsys, Tags: tags, Output: io.Discard, NoColors: true},
	}
	features, err := st.RetrieveFeatures()
	if err != nil {
		return false
	}
	for _, f := range features {
		if len(f.Pickles) > 0 {
			return true
		}
	}
	return false
}

// failure is where a scenario failed; the step hook fills it in.
type failure struct{ Step string }

type failureKey struct{}

func failureOf(ctx context.Context) *failure {
	f, _ := ctx.Value(failureKey{}).(*failure)
	return f
}

// failureTable holds each running scenario's failure by pickle id.
type failureTable struct{ m sync.Map }

func (t *failureTable) start(id string) *failure {
	f := &failure{}
	t.m.Store(id, f)
	return f
}

func (t *failureTable) take(id string) *failure {
	v, ok := t.m.LoadAndDelete(id)
	if !ok {
		return nil
	}
	return v.(*failure)
}
