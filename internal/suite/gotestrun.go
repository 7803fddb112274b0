package suite

import (
	"flag"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// Under `go test`, godog runs each scenario as a subtest named after it, and
// `go test -run TestFeatures/Partial_refund` runs only the subtests whose
// names match. The scenarios go test filters out never start, so they are
// taken out of the selection first instead of being reported as scenarios
// that did not run to their end.

// goTestRunPattern is the -run flag of the running test binary ("" when
// there is none).
func goTestRunPattern() string {
	if f := flag.Lookup("test.run"); f != nil {
		return f.Value.String()
	}
	return ""
}

// keepGoTestRun keeps the pickles whose subtest name the second element of
// a `go test -run` pattern matches, as the testing package matches it. A
// pattern without a second element keeps every pickle.
func keepGoTestRun(pickles []*Pickle, pattern string) ([]*Pickle, error) {
	elems := splitRunPattern(pattern)
	if len(elems) < 2 {
		return pickles, nil
	}
	re, err := regexp.Compile(elems[1])
	if err != nil {
		return nil, fmt.Errorf("go test -run %q: the scenario part %q: %w", pattern, elems[1], err)
	}
	var kept []*Pickle
	for _, p := range pickles {
		if re.MatchString(subtestName(p.Name)) {
			kept = append(kept, p)
		}
	}
	return kept, nil
}

// splitRunPattern splits a -run pattern at the slashes that are outside
// brackets and parentheses, as the testing package does.
func splitRunPattern(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	cs, cp, start := 0, 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			cs++
		case ']':
			if cs--; cs < 0 {
				cs = 0
			}
		case '(':
			if cs == 0 {
				cp++
			}
		case ')':
			if cs == 0 {
				cp--
			}
		case '\\':
			i++
		case '/':
			if cs == 0 && cp == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// subtestName is the name the testing package gives a subtest called name:
// spaces become underscores, unprintable runes their Go escapes.
func subtestName(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case unicode.IsSpace(r):
			b.WriteByte('_')
		case !strconv.IsPrint(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
