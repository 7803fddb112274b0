package harness_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/cucumber/godog"

	"github.com/drsim/drsim/harness"
)

// A not-applicable step is a skipped one for godog, says why, and is told
// apart from a failure even when wrapped.
func TestNotApplicableIsASkip(t *testing.T) {
	err := fmt.Errorf("step: %w", &harness.NotApplicableError{Reason: "the shop cannot split an item"})
	if !errors.Is(err, godog.ErrSkip) || !harness.IsNotApplicable(err) {
		t.Fatalf("%v: Is(ErrSkip) %v, IsNotApplicable %v; want both", err, errors.Is(err, godog.ErrSkip), harness.IsNotApplicable(err))
	}
	if err.Error() != "step: not applicable: the shop cannot split an item" {
		t.Errorf("Error() = %q", err)
	}
	if plain := errors.New("boom"); harness.IsNotApplicable(plain) || errors.Is(plain, godog.ErrSkip) {
		t.Error("a plain error counted as not applicable")
	}
}
