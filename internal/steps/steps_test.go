package steps_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/drsim/drsim/internal/steps"
)

// TestVocabularyIsDocumented keeps the README's step table and the code
// together: every step's example must appear in the README and match its own pattern.
func TestVocabularyIsDocumented(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range steps.Vocabulary() {
		first := strings.SplitN(s.Example, "\n", 2)[0]
		if !strings.Contains(string(readme), first) {
			t.Errorf("README does not show the step example %q", first)
		}
		sentence := regexp.MustCompile(`^(Given|When|Then|And) `).ReplaceAllString(first, "")
		if !regexp.MustCompile(s.Pattern).MatchString(sentence) {
			t.Errorf("example %q does not match its pattern %s", sentence, s.Pattern)
		}
	}
}
