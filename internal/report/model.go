// Package report holds a run's evidence as data (Run, saved as run.json)
// and writes it for CI and QA: one JUnit file in the layout Jenkins, GitLab
// and Surefire read, one Cucumber JSON file with the emails attached, a
// self-contained HTML evidence report and each checked email as .eml.
// Shard runs' run.json files merge into one report (Merge).
package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Status is a step's or a scenario's outcome, in Cucumber's words.
type Status string

// The statuses. Undefined, ambiguous and pending steps fail a scenario (the
// suite runs strict); skipped steps follow a failed one.
const (
	Passed    Status = "passed"
	Failed    Status = "failed"
	Undefined Status = "undefined"
	Ambiguous Status = "ambiguous"
	Pending   Status = "pending"
	Skipped   Status = "skipped"
)

// Run is one certification run (or several shards merged).
type Run struct {
	Title    string    `json:"title"` // e.g. "drsim certification of Reference merchant"
	Merchant string    `json:"merchant,omitempty"`
	Started  time.Time `json:"started"`
	Duration Duration  `json:"duration"`
	// Shards are the shards this run covers ("1/3"); empty for a whole run.
	Shards []string `json:"shards,omitempty"`
	// Notifications is the catalogue: the checklist every merchant must pass.
	Notifications []Notification `json:"notifications"`
	Scenarios     []Scenario     `json:"scenarios"`
	// Interrupted: the run was cancelled (Ctrl-C); its results are partial.
	Interrupted bool `json:"interrupted,omitempty"`
}

// Notification is one entry of the notification catalogue.
type Notification struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Trigger     string `json:"trigger,omitempty"`
	Description string `json:"description,omitempty"`
}

// Scenario is one scenario (one example row of an outline) and its outcome.
type Scenario struct {
	Feature     string   `json:"feature"`     // the feature's name
	FeatureLine int      `json:"featureLine"` // line of "Feature:"
	FeatureTags []string `json:"featureTags,omitempty"`
	File        string   `json:"file"` // path of the .feature file, relative to the features directory
	Line        int      `json:"line"` // line of the scenario (of the example row for an outline)
	Keyword     string   `json:"keyword"`
	Name        string   `json:"name"`
	Tags        []string `json:"tags,omitempty"`
	Status      Status   `json:"status"`
	Duration    Duration `json:"duration"`
	// Error is the full failure text (step, location, expected, the email's
	// text); empty when the scenario passed.
	Error  string  `json:"error,omitempty"`
	Steps  []Step  `json:"steps"`
	Checks []Check `json:"checks,omitempty"`
	Emails []Email `json:"emails,omitempty"`
}

// Step is one step of a scenario.
type Step struct {
	Keyword  string     `json:"keyword"` // "Given ", "When "…
	Text     string     `json:"text"`
	Line     int        `json:"line"`
	Table    [][]string `json:"table,omitempty"`
	Status   Status     `json:"status"`
	Duration Duration   `json:"duration"`
	Error    string     `json:"error,omitempty"`
	// Emails are indexes into the scenario's Emails: those this step checked.
	Emails []int `json:"emails,omitempty"`
}

// Check is one notification check: a notification awaited by a step.
type Check struct {
	Notification string `json:"notification"`
	Recipient    string `json:"recipient"`
	Passed       bool   `json:"passed"`
	Error        string `json:"error,omitempty"`
}

// Email is one email a check read, with what was looked for in it.
type Email struct {
	Notification string    `json:"notification"`
	Name         string    `json:"name"` // the notification's name
	Recipient    string    `json:"recipient"`
	Subject      string    `json:"subject"`
	From         string    `json:"from"`
	To           []string  `json:"to"`
	Received     time.Time `json:"received"`
	Text         string    `json:"text,omitempty"`
	HTML         string    `json:"html,omitempty"`
	Raw          string    `json:"raw"`
	// EML is the .eml file's path relative to the report directory.
	EML        string      `json:"eml,omitempty"`
	EventID    string      `json:"eventId,omitempty"`
	EventType  string      `json:"eventType,omitempty"`
	Attributes []Attribute `json:"attributes"`
	Deliveries []Delivery  `json:"deliveries,omitempty"`
	Calls      []Call      `json:"calls,omitempty"`
	Passed     bool        `json:"passed"`
	Error      string      `json:"error,omitempty"`
}

// Attribute is one value looked for in an email.
type Attribute struct {
	Name     string `json:"name"`
	Want     string `json:"want"`
	Found    string `json:"found,omitempty"` // the rendering found; empty when missing
	Where    string `json:"where,omitempty"` // "text part", "HTML part", "link"
	Optional bool   `json:"optional,omitempty"`
}

// Missing reports whether a required value was not found.
func (a Attribute) Missing() bool { return a.Found == "" && !a.Optional }

// Delivery is one webhook delivery attempt of an email's trigger event.
type Delivery struct {
	Attempt   int       `json:"attempt"`
	Time      time.Time `json:"time"`
	Status    int       `json:"status"`
	Delivered bool      `json:"delivered"`
	LatencyMs float64   `json:"latencyMs"`
	Forged    string    `json:"forged,omitempty"`
	Manual    bool      `json:"manual,omitempty"`
	Duplicate bool      `json:"duplicate,omitempty"`
	Error     string    `json:"error,omitempty"`
}

// Call is one Digital River API call the merchant made.
type Call struct {
	Method string    `json:"method"`
	Path   string    `json:"path"`
	Query  string    `json:"query,omitempty"`
	Status int       `json:"status"`
	Time   time.Time `json:"time"`
}

// Duration is a time.Duration that reads and writes as seconds in JSON.
type Duration time.Duration

// MarshalJSON writes seconds.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).Seconds())
}

// UnmarshalJSON reads seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s float64
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration in seconds: %w", err)
	}
	*d = Duration(s * float64(time.Second))
	return nil
}

// Seconds is the duration in seconds.
func (d Duration) Seconds() float64 { return time.Duration(d).Seconds() }

func (d Duration) String() string { return time.Duration(d).Round(time.Millisecond).String() }

// Failed reports whether the scenario failed (any status but passed).
func (s Scenario) Failed() bool { return s.Status != Passed }

// FirstLine is the first line of the failure, for one-line summaries.
func (s Scenario) FirstLine() string {
	line, _, _ := strings.Cut(s.Error, "\n")
	return line
}

// Counts are a run's totals.
type Counts struct {
	Scenarios, Passed, Failed, Errors int // Errors: undefined, ambiguous or pending steps
}

// Counts totals the scenarios: Passed + Failed + Errors = Scenarios.
func (r *Run) Counts() Counts {
	var c Counts
	for _, s := range r.Scenarios {
		c.Scenarios++
		switch s.Status {
		case Passed:
			c.Passed++
		case Failed:
			c.Failed++
		default:
			c.Errors++
		}
	}
	return c
}

// Sort orders scenarios by file, then line.
func (r *Run) Sort() {
	sort.SliceStable(r.Scenarios, func(i, j int) bool {
		a, b := r.Scenarios[i], r.Scenarios[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
}

// ChecklistEntry is one notification's outcome over the run.
type ChecklistEntry struct {
	Notification
	Passed, Failed int
}

// Status is "passed", "failed" or "not checked".
func (c ChecklistEntry) Status() string {
	switch {
	case c.Failed > 0:
		return "failed"
	case c.Passed > 0:
		return "passed"
	}
	return "not checked"
}

// Checklist is DR's notification checklist: each catalogue notification
// with the number of checks that passed and failed, in catalogue order;
// notifications checked but not in the catalogue follow.
func (r *Run) Checklist() []ChecklistEntry {
	idx := map[string]int{}
	var out []ChecklistEntry
	for _, n := range r.Notifications {
		idx[n.ID] = len(out)
		out = append(out, ChecklistEntry{Notification: n})
	}
	for _, s := range r.Scenarios {
		for _, c := range s.Checks {
			i, ok := idx[c.Notification]
			if !ok {
				i = len(out)
				idx[c.Notification] = i
				out = append(out, ChecklistEntry{Notification: Notification{ID: c.Notification, Name: c.Notification}})
			}
			if c.Passed {
				out[i].Passed++
			} else {
				out[i].Failed++
			}
		}
	}
	return out
}

// Load reads a run.json.
func Load(path string) (*Run, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read run: %w", err)
	}
	var r Run
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("read run %s: %w", path, err)
	}
	return &r, nil
}

// Merge combines shard runs into one: every scenario, the catalogue of the
// first, the earliest start and the longest duration (shards run side by side).
func Merge(runs ...*Run) (*Run, error) {
	if len(runs) == 0 {
		return nil, fmt.Errorf("merge: no runs")
	}
	out := &Run{Title: runs[0].Title, Merchant: runs[0].Merchant, Started: runs[0].Started, Notifications: runs[0].Notifications}
	seen := map[string]string{}
	for _, r := range runs {
		if r.Started.Before(out.Started) {
			out.Started = r.Started
		}
		out.Duration = max(out.Duration, r.Duration)
		out.Shards = append(out.Shards, r.Shards...)
		out.Interrupted = out.Interrupted || r.Interrupted
		for _, s := range r.Scenarios {
			k := fmt.Sprintf("%s:%d", s.File, s.Line)
			if prev, dup := seen[k]; dup {
				return nil, fmt.Errorf("merge: scenario %s (%s) is in two runs (shards %s and %s): were the same shard's reports given twice?", k, s.Name, prev, strings.Join(r.Shards, ","))
			}
			seen[k] = strings.Join(r.Shards, ",")
			out.Scenarios = append(out.Scenarios, s)
		}
	}
	if err := allShards(out.Shards); err != nil {
		return nil, err
	}
	sort.Strings(out.Shards)
	out.Sort()
	return out, nil
}

// allShards refuses shards of one split that leave some out: a merged
// report of shards 1/3 and 2/3 would pass a suite a third of which never
// ran (a shard job that died before writing its reports), and shards of
// different splits do not add up to the suite.
func allShards(shards []string) error {
	total := 0
	have := map[int]bool{}
	for _, sh := range shards {
		var i, n int
		if _, err := fmt.Sscanf(sh, "%d/%d", &i, &n); err != nil || i < 1 || i > n {
			return fmt.Errorf("merge: shard %q: want i/n", sh)
		}
		if total != 0 && n != total {
			return fmt.Errorf("merge: shards of different splits (%d/%d beside shards of %d): merge the reports of one -shard i/n split", i, n, total)
		}
		total, have[i] = n, true
	}
	var missing []string
	for i := 1; i <= total; i++ {
		if !have[i] {
			missing = append(missing, fmt.Sprintf("%d/%d", i, total))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("merge: shard %s missing (given %s): the merged report would leave its scenarios out; name every shard's report directory", strings.Join(missing, ", "), strings.Join(shards, ", "))
	}
	return nil
}

// Files names what WriteAll writes in a report directory.
const (
	RunFile      = "run.json"
	JUnitFile    = "junit.xml"
	CucumberFile = "cucumber.json"
	HTMLFile     = "report.html"
	EmailDir     = "emails"
)

// WriteAll writes run.json, junit.xml, cucumber.json, report.html and the
// emails as .eml files into dir.
func WriteAll(dir string, r *Run) error {
	if err := os.MkdirAll(filepath.Join(dir, EmailDir), 0o755); err != nil {
		return fmt.Errorf("report directory: %w", err)
	}
	if err := writeEML(dir, r); err != nil {
		return err
	}
	writers := []struct {
		name  string
		write func(*os.File, *Run) error
	}{
		{RunFile, func(f *os.File, r *Run) error {
			enc := json.NewEncoder(f)
			enc.SetIndent("", " ")
			return enc.Encode(r)
		}},
		{JUnitFile, func(f *os.File, r *Run) error { return WriteJUnit(f, r) }},
		{CucumberFile, func(f *os.File, r *Run) error { return WriteCucumber(f, r) }},
		{HTMLFile, func(f *os.File, r *Run) error { return WriteHTML(f, r) }},
	}
	for _, w := range writers {
		f, err := os.Create(filepath.Join(dir, w.name))
		if err != nil {
			return fmt.Errorf("write %s: %w", w.name, err)
		}
		err = w.write(f, r)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", w.name, err)
		}
	}
	return nil
}

// writeEML saves each email as emails/<file>-<line>/<n>-<notification>.eml
// and records the path in the run.
func writeEML(dir string, r *Run) error {
	for i := range r.Scenarios {
		s := &r.Scenarios[i]
		for j := range s.Emails {
			e := &s.Emails[j]
			rel := filepath.ToSlash(filepath.Join(EmailDir, fmt.Sprintf("%s-%d", slug(s.File), s.Line), fmt.Sprintf("%02d-%s.eml", j+1, slug(e.Notification))))
			if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(rel)), 0o755); err != nil {
				return fmt.Errorf("email directory: %w", err)
			}
			if err := os.WriteFile(filepath.Join(dir, rel), []byte(e.Raw), 0o644); err != nil {
				return fmt.Errorf("write email: %w", err)
			}
			e.EML = rel
		}
	}
	return nil
}

func slug(s string) string {
	s = strings.TrimSuffix(s, ".feature")
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
		} else {
			b.WriteByte('-')
		}
	}
	return strings.Trim(b.String(), "-")
}
