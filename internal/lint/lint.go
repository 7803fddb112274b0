// Package lint checks QA's feature files before a run: every step is in
// the vocabulary (else the nearest step is suggested), every notification
// named in a step is in the catalogue (else the names QA can type are
// listed), every customer a step names was introduced, and every product a
// step names is in the scenario's order.
package lint

import (
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/drsim/drsim/harness/catalogue"
	"github.com/drsim/drsim/internal/editdist"
	"github.com/drsim/drsim/internal/steps"
	"github.com/drsim/drsim/internal/suite"
)

// Problem is one finding, located.
type Problem struct {
	File    string
	Line    int
	Message string
}

func (p Problem) String() string { return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message) }

// argument kinds read off the vocabulary's patterns.
const (
	customerGroup     = `([A-Z][\w-]*)`
	notificationGroup = `(.+?) email`
	productGroup      = `(\d+) "([^"]+)"`
)

type pattern struct {
	re                       *regexp.Regexp
	customer, notif, product []int // capture group numbers
	defines                  bool  // a customer "X"
}

func patterns() []pattern {
	var out []pattern
	for _, st := range steps.Vocabulary() {
		p := pattern{re: regexp.MustCompile(st.Pattern), defines: strings.HasPrefix(st.Pattern, `^a customer "`)}
		// Number the capture groups by their opening parentheses.
		g := 0
		src := st.Pattern
		for i := 0; i < len(src); i++ {
			if src[i] == '\\' {
				i++
				continue
			}
			if src[i] != '(' || strings.HasPrefix(src[i:], "(?") {
				continue
			}
			g++
			switch {
			case strings.HasPrefix(src[i:], customerGroup):
				p.customer = append(p.customer, g)
			case strings.HasPrefix(src[i:], `(.+?) email`):
				p.notif = append(p.notif, g)
			case strings.HasPrefix(src[i:], `([^"]+)"`) && i >= 7 && strings.HasSuffix(src[:i], `(\d+) "`):
				p.product = append(p.product, g)
			}
		}
		out = append(out, p)
	}
	return out
}

// Lint checks the feature files under fsys against the vocabulary and the catalogue.
func Lint(fsys fs.FS, cat *catalogue.Catalogue) ([]Problem, int, error) {
	pickles, err := suite.Parse(fsys, nil)
	if err != nil {
		return nil, 0, err
	}
	pats := patterns()
	seen := map[string]bool{}
	var out []Problem
	add := func(file string, line int, format string, args ...any) {
		p := Problem{file, line, fmt.Sprintf(format, args...)}
		if !seen[p.String()] {
			seen[p.String()] = true
			out = append(out, p)
		}
	}
	for _, pk := range pickles {
		customers := map[string]bool{}
		var products []string
		for _, st := range pk.Steps {
			products = append(products, productRows(st.Table)...)
			var match *pattern
			var groups []string
			for i := range pats {
				if m := pats[i].re.FindStringSubmatch(st.Text); m != nil {
					match, groups = &pats[i], m
					break
				}
			}
			if match == nil {
				add(pk.File, st.Line, "undefined step %q; did you mean %q? (drsim steps lists every step)", st.Text, steps.Nearest(st.Text))
				continue
			}
			if match.defines {
				customers[groups[1]] = true
				continue
			}
			for _, g := range match.customer {
				if who := groups[g]; !customers[who] {
					add(pk.File, st.Line, "customer %q is not introduced in scenario %q;%s add `Given a customer %q` before this step (customers here: %s)", who, pk.Name, editdist.DidYouMean(who, keys(customers)), who, list(keys(customers)))
				}
			}
			for _, g := range match.notif {
				name := groups[g]
				if _, err := cat.Get(name); err != nil {
					if _, plural := cat.Get(strings.TrimSuffix(name, "s")); plural != nil {
						add(pk.File, st.Line, "%v", err) // the same words as at run time
					}
				}
			}
			for _, g := range match.product {
				if p := groups[g]; !slices.Contains(products, p) {
					add(pk.File, st.Line, "product %q is not in the scenario's order;%s its products are: %s", p, editdist.DidYouMean(p, products), list(products))
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
	return out, len(pickles), nil
}

// productRows are the product column's values of an order table.
func productRows(t [][]string) []string {
	if len(t) < 2 {
		return nil
	}
	col := -1
	for i, c := range t[0] {
		if strings.EqualFold(strings.TrimSpace(c), "product") {
			col = i
		}
	}
	if col < 0 {
		return nil
	}
	var out []string
	for _, r := range t[1:] {
		if col < len(r) {
			out = append(out, strings.TrimSpace(r[col]))
		}
	}
	return out
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func list(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	q := make([]string, len(s))
	for i, x := range s {
		q[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(q, ", ")
}
