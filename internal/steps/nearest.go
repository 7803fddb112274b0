package steps

import (
	"regexp"
	"strings"
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
		d := distance(words, st.words)
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

// distance is the Levenshtein distance between two word lists.
func distance(a, b []string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
