package editdist

import "strings"

// Closest returns the candidate nearest to s (case-insensitive, letter by
// letter) when it is near enough to be a slip of the keyboard: at most
// max(2, len(s)/3) edits away. ok is false when none is.
func Closest(s string, candidates []string) (best string, ok bool) {
	want := []rune(strings.ToLower(s))
	bestD := -1
	for _, c := range candidates {
		d := Distance(want, []rune(strings.ToLower(c)))
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	if bestD < 0 || bestD > max(2, len(want)/3) {
		return "", false
	}
	return best, true
}

// DidYouMean is ` did you mean "X"?` for the closest candidate, or "".
func DidYouMean(s string, candidates []string) string {
	if c, ok := Closest(s, candidates); ok {
		return ` did you mean "` + c + `"?`
	}
	return ""
}
