package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"
	"time"
)

//go:embed report.html.tmpl
var htmlTemplate string

var tmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"lower": strings.ToLower,
	"time":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000 UTC") },
	"ms":    func(f float64) string { return fmt.Sprintf("%.1f ms", f) },
	"join":  strings.Join,
	"email": func(s Scenario, i int) Email { return s.Emails[i] },
	"add":   func(a, b int) int { return a + b },
}).Parse(htmlTemplate))

type htmlView struct {
	*Run
	Counts    Counts
	Checklist []ChecklistEntry
	Ordered   []Scenario // failures first, then by file and line
	Passed    bool
}

// WriteHTML writes the self-contained evidence report: one HTML file with
// inline styles, no script and no network access (its Content Security
// Policy forbids any load, so an email's remote images stay unloaded), each
// email's HTML part in a sandboxed frame.
func WriteHTML(w io.Writer, r *Run) error {
	v := htmlView{Run: r, Counts: r.Counts(), Checklist: r.Checklist()}
	v.Passed = v.Counts.Scenarios > 0 && v.Counts.Passed == v.Counts.Scenarios
	v.Ordered = append([]Scenario(nil), r.Scenarios...)
	sort.SliceStable(v.Ordered, func(i, j int) bool {
		a, b := v.Ordered[i], v.Ordered[j]
		if a.Failed() != b.Failed() {
			return a.Failed()
		}
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	if err := tmpl.Execute(w, v); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	return nil
}
