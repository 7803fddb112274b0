package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// The JUnit layout Surefire writes and Jenkins, GitLab and most CI read:
// one testsuite per feature file, one testcase per scenario with classname
// the feature, file and line; a failed step is a <failure> (message the
// first line, body the whole text), an undefined, ambiguous or pending step
// an <error>; skipped steps are not reported (they follow the failure).
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr,omitempty"`
	File      string      `xml:"file,attr"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	ClassName string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	File      string        `xml:"file,attr"`
	Line      int           `xml:"line,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	SystemOut *cdata        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",cdata"`
}

type cdata struct {
	Text string `xml:",cdata"`
}

// xmlSafe drops the characters XML 1.0 cannot carry (most control
// characters), which CDATA sections do not escape.
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r != 0xFFFE && r != 0xFFFF && !(r >= 0xD800 && r <= 0xDFFF) {
			return r
		}
		return '\uFFFD'
	}, s)
}

func seconds(d Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// WriteJUnit writes the run as one JUnit XML document.
func WriteJUnit(w io.Writer, r *Run) error {
	c := r.Counts()
	name := r.Title
	if r.Interrupted {
		name += " (INTERRUPTED: the run was cancelled; the results are partial)"
	}
	doc := junitSuites{Name: name, Tests: c.Scenarios, Failures: c.Failed, Errors: c.Errors, Time: seconds(r.Duration)}
	byFile := map[string]int{}
	var times []Duration
	names := map[string]int{} // file + name → how many so far, for outline rows
	for _, s := range r.Scenarios {
		i, ok := byFile[s.File]
		if !ok {
			i = len(doc.Suites)
			byFile[s.File] = i
			ts := ""
			if !r.Started.IsZero() {
				ts = r.Started.UTC().Format("2006-01-02T15:04:05")
			}
			doc.Suites = append(doc.Suites, junitSuite{Name: s.Feature, File: s.File, Timestamp: ts})
			times = append(times, 0)
		}
		suite := &doc.Suites[i]
		name := s.Name
		names[s.File+"\x00"+s.Name]++
		if n := names[s.File+"\x00"+s.Name]; n > 1 {
			name = fmt.Sprintf("%s (line %d)", s.Name, s.Line)
		}
		tc := junitCase{ClassName: s.Feature, Name: name, File: s.File, Line: s.Line, Time: seconds(s.Duration), SystemOut: &cdata{xmlSafe(stepsText(s))}}
		suite.Tests++
		times[i] += s.Duration
		suite.Time = seconds(times[i])
		switch s.Status {
		case Passed:
		case Failed:
			suite.Failures++
			tc.Failure = &junitProblem{Message: xmlSafe(s.FirstLine()), Type: "failed step", Body: xmlSafe(s.Error)}
		default:
			suite.Errors++
			tc.Error = &junitProblem{Message: xmlSafe(s.FirstLine()), Type: string(s.Status) + " step", Body: xmlSafe(s.Error)}
		}
		suite.Cases = append(suite.Cases, tc)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// stepsText lists the scenario's steps with status and time, for system-out.
func stepsText(s Scenario) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d %s: %s\n", s.File, s.Line, s.Keyword, s.Name)
	for _, st := range s.Steps {
		fmt.Fprintf(&b, "  %-9s %s%s (line %d, %s)\n", st.Status, st.Keyword, st.Text, st.Line, st.Duration)
	}
	for _, e := range s.Emails {
		mark := "passed"
		if !e.Passed {
			mark = "failed"
		}
		fmt.Fprintf(&b, "  email %s to %s: %q (%s)\n", e.Name, e.Recipient, e.Subject, mark)
	}
	return b.String()
}
