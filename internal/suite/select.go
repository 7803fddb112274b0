package suite

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	gherkin "github.com/cucumber/gherkin/go/v26"
	messages "github.com/cucumber/messages/go/v21"

	"github.com/drsim/drsim/internal/tagexpr"
)

// Shard is a part of a split suite: Index of Total, from 1. The zero Shard
// is the whole suite.
type Shard struct{ Index, Total int }

// ParseShard reads "i/n".
func ParseShard(s string) (Shard, error) {
	if s == "" {
		return Shard{}, nil
	}
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		return Shard{}, fmt.Errorf("shard %q: want i/n with 1 ≤ i ≤ n, e.g. 2/3", s)
	}
	return Shard{i, n}, nil
}

func (s Shard) String() string {
	if s.Total == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Total)
}

// ErrNothingSelected is returned when the filters select no scenario.
var ErrNothingSelected = errors.New("no scenario selected")

// Pickle is one runnable scenario (one example row of an outline), located
// in its feature file.
type Pickle struct {
	File         string // path inside the features FS
	ScenarioLine int    // line of Scenario: (or Scenario Outline:)
	Line         int    // line of the example row for an outline, else ScenarioLine
	Keyword      string // Scenario, Scenario Outline, Example…
	Name         string
	Tags         []string
	Feature      string
	FeatureLine  int
	FeatureTags  []string
	Steps        []PickleStep
}

// PickleStep is one step with its keyword, line and data table.
type PickleStep struct {
	Keyword string
	Text    string
	Line    int
	Table   [][]string
}

// Location is "file:line".
func (p *Pickle) Location() string { return fmt.Sprintf("%s:%d", p.File, p.Line) }

func (p *Pickle) unit() string { return fmt.Sprintf("%s:%d", p.File, p.ScenarioLine) }

// Selection is what a run will execute.
type Selection struct {
	Pickles []*Pickle
}

// Filter chooses scenarios.
type Filter struct {
	Paths []string // files, directories or file:line inside the FS; "." when empty
	Tags  string   // Cucumber tag expression
	Name  string   // regular expression on scenario names
	Shard Shard
}

// Select parses the feature files under f.Paths and keeps the scenarios the
// filter selects. The shard split is stable: scenarios (outlines whole) in
// file and line order are dealt round-robin, so shards 1/n…n/n together are
// exactly the unsharded selection. It returns ErrNothingSelected (wrapped,
// with what was asked for) when nothing is left.
func Select(fsys fs.FS, f Filter) (*Selection, error) {
	expr, err := tagexpr.Parse(f.Tags)
	if err != nil {
		return nil, err
	}
	var name *regexp.Regexp
	if f.Name != "" {
		if name, err = regexp.Compile(f.Name); err != nil {
			return nil, fmt.Errorf("-name %q: %w", f.Name, err)
		}
	}
	all, err := parsePaths(fsys, f.Paths)
	if err != nil {
		return nil, err
	}
	var kept []*Pickle
	for _, p := range all {
		if expr.Match(p.Tags) && (name == nil || name.MatchString(p.Name)) {
			kept = append(kept, p)
		}
	}
	if f.Shard.Total > 1 {
		units := map[string]int{}
		var order []string
		for _, p := range kept {
			if _, ok := units[p.unit()]; !ok {
				units[p.unit()] = len(order)
				order = append(order, p.unit())
			}
		}
		var mine []*Pickle
		for _, p := range kept {
			if units[p.unit()]%f.Shard.Total == f.Shard.Index-1 {
				mine = append(mine, p)
			}
		}
		kept = mine
	}
	if len(kept) == 0 {
		var why []string
		if f.Tags != "" {
			why = append(why, fmt.Sprintf("tags %q", f.Tags))
		}
		if f.Name != "" {
			why = append(why, fmt.Sprintf("name /%s/", f.Name))
		}
		if f.Shard.Total > 1 {
			why = append(why, "shard "+f.Shard.String())
		}
		what := "the features"
		if len(why) > 0 {
			what = strings.Join(why, ", ")
		}
		where := "the feature files"
		if len(f.Paths) > 0 {
			where = strings.Join(f.Paths, ", ")
		}
		return nil, fmt.Errorf("%w: %d scenario(s) in %s, none matches %s", ErrNothingSelected, len(all), where, what)
	}
	return &Selection{Pickles: kept}, nil
}

func pathsOrDot(p []string) []string {
	if len(p) == 0 {
		return []string{"."}
	}
	return p
}

// Parse reads every scenario under paths (files, directories or
// file:line), in file and line order, without filtering.
func Parse(fsys fs.FS, paths []string) ([]*Pickle, error) { return parsePaths(fsys, paths) }

// parsePaths reads every scenario under paths, in file and line order.
func parsePaths(fsys fs.FS, paths []string) ([]*Pickle, error) {
	seen := map[string]bool{}
	var out []*Pickle
	for _, p := range pathsOrDot(paths) {
		file, line := p, -1
		if i := strings.LastIndexByte(p, ':'); i > 0 {
			if n, err := strconv.Atoi(p[i+1:]); err == nil {
				file, line = p[:i], n
			}
		}
		st, err := fs.Stat(fsys, file)
		if err != nil {
			return nil, fmt.Errorf("feature path %q: %w", p, err)
		}
		var files []string
		if st.IsDir() {
			err := fs.WalkDir(fsys, file, func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() && strings.HasSuffix(p, ".feature") {
					files = append(files, p)
				}
				return err
			})
			if err != nil {
				return nil, fmt.Errorf("feature path %q: %w", p, err)
			}
		} else {
			files = []string{file}
		}
		for _, f := range files {
			pickles, err := parseFile(fsys, f)
			if err != nil {
				return nil, err
			}
			for _, pk := range pickles {
				k := pk.Location()
				if (line == -1 || pk.ScenarioLine == line || pk.Line == line) && !seen[k] {
					seen[k] = true
					out = append(out, pk)
				}
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].File != out[j].File {
			return out[i].File < out[j].File
		}
		return out[i].Line < out[j].Line
	})
	return out, nil
}

// parseFile parses one feature file into its pickles.
func parseFile(fsys fs.FS, file string) ([]*Pickle, error) {
	f, err := fsys.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	newID := (&messages.Incrementing{}).NewId
	doc, err := gherkin.ParseGherkinDocument(f, newID)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", file, err)
	}
	if doc.Feature == nil {
		return nil, nil
	}
	uri := path.Clean(file)
	type stepInfo struct {
		keyword string
		line    int
	}
	steps := map[string]stepInfo{}
	scenarios := map[string]*messages.Scenario{}
	rows := map[string]int{} // example row id → line
	addSteps := func(ss []*messages.Step) {
		for _, s := range ss {
			steps[s.Id] = stepInfo{s.Keyword, int(s.Location.Line)}
		}
	}
	addScenario := func(s *messages.Scenario) {
		scenarios[s.Id] = s
		addSteps(s.Steps)
		for _, ex := range s.Examples {
			for _, r := range ex.TableBody {
				rows[r.Id] = int(r.Location.Line)
			}
		}
	}
	for _, c := range doc.Feature.Children {
		switch {
		case c.Background != nil:
			addSteps(c.Background.Steps)
		case c.Scenario != nil:
			addScenario(c.Scenario)
		case c.Rule != nil:
			for _, rc := range c.Rule.Children {
				if rc.Background != nil {
					addSteps(rc.Background.Steps)
				}
				if rc.Scenario != nil {
					addScenario(rc.Scenario)
				}
			}
		}
	}
	var featureTags []string
	for _, t := range doc.Feature.Tags {
		featureTags = append(featureTags, t.Name)
	}
	var out []*Pickle
	for _, pk := range gherkin.Pickles(*doc, uri, newID) {
		sc := scenarios[pk.AstNodeIds[0]]
		if sc == nil {
			continue
		}
		p := &Pickle{File: uri, ScenarioLine: int(sc.Location.Line), Line: int(sc.Location.Line), Keyword: sc.Keyword, Name: pk.Name,
			Feature: doc.Feature.Name, FeatureLine: int(doc.Feature.Location.Line), FeatureTags: featureTags}
		if len(pk.AstNodeIds) > 1 {
			p.Line = rows[pk.AstNodeIds[1]]
		}
		for _, t := range pk.Tags {
			p.Tags = append(p.Tags, t.Name)
		}
		for _, st := range pk.Steps {
			info := steps[st.AstNodeIds[0]]
			ps := PickleStep{Keyword: info.keyword, Text: st.Text, Line: info.line}
			if st.Argument != nil && st.Argument.DataTable != nil {
				for _, r := range st.Argument.DataTable.Rows {
					var cells []string
					for _, c := range r.Cells {
						cells = append(cells, c.Value)
					}
					ps.Table = append(ps.Table, cells)
				}
			}
			p.Steps = append(p.Steps, ps)
		}
		out = append(out, p)
	}
	return out, nil
}

// ScenarioPath returns "file:line" of the scenario (or outline) named name,
// a path Run and godog run alone (Options.Paths).
func ScenarioPath(fsys fs.FS, name string) (string, error) {
	all, err := parsePaths(fsys, nil)
	if err != nil {
		return "", err
	}
	var found []string
	for _, p := range all {
		if p.Name == name && !slices.Contains(found, p.unit()) {
			found = append(found, p.unit())
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("no scenario named %q", name)
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("%d scenarios are named %q: %v", len(found), name, found)
}
