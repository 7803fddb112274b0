package suite

import (
	"fmt"
	"io/fs"
	"strings"

	gherkin "github.com/cucumber/gherkin/go/v26"
	messages "github.com/cucumber/messages/go/v21"
)

// locations finds the line of each scenario and step in the feature files,
// so failures can say file:line. godog's hooks carry pickles, which know
// their file but not their lines.
type locations struct {
	scenarios map[string]int            // uri + "\x00" + scenario name → line
	steps     map[string]map[string]int // uri + "\x00" + scenario name → step text → line
}

func key(uri, scenario string) string { return uri + "\x00" + scenario }

func indexFeatures(fsys fs.FS) (*locations, error) {
	l := &locations{scenarios: map[string]int{}, steps: map[string]map[string]int{}}
	err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".feature") {
			return err
		}
		f, err := fsys.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		doc, err := gherkin.ParseGherkinDocument(f, (&messages.Incrementing{}).NewId)
		if err != nil {
			return fmt.Errorf("parse %s: %w", path, err)
		}
		if doc.Feature != nil {
			l.add(path, doc.Feature.Children, nil)
		}
		return nil
	})
	return l, err
}

func (l *locations) add(uri string, children []*messages.FeatureChild, background []*messages.Step) {
	for _, c := range children {
		switch {
		case c.Background != nil:
			background = append(background, c.Background.Steps...)
		case c.Rule != nil:
			rb := append([]*messages.Step(nil), background...)
			for _, rc := range c.Rule.Children {
				if rc.Background != nil {
					rb = append(rb, rc.Background.Steps...)
				}
			}
			for _, rc := range c.Rule.Children {
				if rc.Scenario != nil {
					l.addScenario(uri, rc.Scenario, rb)
				}
			}
		case c.Scenario != nil:
			l.addScenario(uri, c.Scenario, background)
		}
	}
}

func (l *locations) addScenario(uri string, s *messages.Scenario, background []*messages.Step) {
	k := key(uri, s.Name)
	l.scenarios[k] = int(s.Location.Line)
	steps := map[string]int{}
	for _, st := range append(append([]*messages.Step(nil), background...), s.Steps...) {
		if _, seen := steps[st.Text]; !seen {
			steps[st.Text] = int(st.Location.Line)
		}
	}
	l.steps[k] = steps
}

// scenarioLine is the line of a scenario, 0 when unknown.
func (l *locations) scenarioLine(uri, scenario string) int {
	return l.scenarios[key(uri, scenario)]
}

// stepLine is the line of a step in a scenario, falling back to the
// scenario's line (outline steps have their placeholders filled in).
func (l *locations) stepLine(uri, scenario, text string) int {
	if n, ok := l.steps[key(uri, scenario)][text]; ok {
		return n
	}
	return l.scenarioLine(uri, scenario)
}

// ScenarioPath returns "file:line" of the scenario named name, a path godog
// runs alone (Options.Paths).
func ScenarioPath(fsys fs.FS, name string) (string, error) {
	l, err := indexFeatures(fsys)
	if err != nil {
		return "", err
	}
	var found []string
	for k, line := range l.scenarios {
		uri, scenario, _ := strings.Cut(k, "\x00")
		if scenario == name {
			found = append(found, fmt.Sprintf("%s:%d", uri, line))
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
