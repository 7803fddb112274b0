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

func TestNearestSuggestsTheIntendedStep(t *testing.T) {
	for text, want := range map[string]string{
		"Alice gets an order confirmation email with every required attribute": "Alice receives an order confirmation email with every required attribute",
		"Digital River accept the order":                                       "Digital River accepts the order",
		"the merchant ship the order with \"UPS\" tracking number \"1\"":       `the merchant ships the order with "FedEx" tracking number "Z10100002632653"`,
	} {
		if steps.Defined(text) {
			t.Errorf("%q is defined; the test wants an undefined step", text)
		}
		if got := steps.Nearest(text); got != want {
			t.Errorf("Nearest(%q) = %q, want %q", text, got, want)
		}
	}
	if !steps.Defined("Digital River accepts the order") {
		t.Error("a vocabulary step is not Defined")
	}
}
