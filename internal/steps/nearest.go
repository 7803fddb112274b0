package steps

import (
	"regexp"
	"strings"

	"github.com/drsim/drsim/internal/editdist"
)

// Defined reports whether text (a step without its keyword) matches a step
// of the vocabulary.
func Defined(text string) bool {
	for _, st := range compiled() {
		if st.re.MatchString(text) {
			return true
		}
	}
	return false
}

// Nearest returns the example (without its keyword, first line only) of the
// vocabulary step closest to text, by word edit distance.
func Nearest(text string) string {
	best, bestD := "", -1
	words := strings.Fields(strings.ToLower(text))
	for _, st := range compiled() {
		d := editdist.Distance(words, st.words)
		if bestD < 0 || d < bestD {
			best, bestD = st.example, d
		}
	}
	return best
}

type compiledStep struct {
	re      *regexp.Regexp
	example string
	words   []string
}

func compiled() []compiledStep {
	var out []compiledStep
	for _, st := range Vocabulary() {
		ex, _, _ := strings.Cut(st.Example, "\n")
		ex = StripKeyword(ex)
		out = append(out, compiledStep{re: regexp.MustCompile(st.Pattern), example: ex, words: strings.Fields(strings.ToLower(ex))})
	}
	return out
}

// StripKeyword drops a leading Given, When, Then, And or But.
func StripKeyword(s string) string {
	s = strings.TrimSpace(s)
	for _, k := range []string{"Given ", "When ", "Then ", "And ", "But ", "* "} {
		if strings.HasPrefix(s, k) {
			return strings.TrimSpace(s[len(k):])
		}
	}
	return s
}
