package problem_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/drsim/drsim/simulator/internal/problem"
)

// Each constructor says its kind, DR's code and the parameter, and the
// message reads the same in logs; KindOf finds a problem through wrapping.
func TestProblems(t *testing.T) {
	for _, tc := range []struct {
		err               *problem.Error
		kind              problem.Kind
		code, param, text string
	}{
		{problem.Missing("email"), problem.Invalid, "missing_parameter", "email", "invalid missing_parameter (email): 'email' is required."},
		{problem.Invalidf("limit", "limit must be at most %d.", 100), problem.Invalid, "invalid_parameter", "limit", "invalid invalid_parameter (limit): limit must be at most 100."},
		{problem.Bad("missing_parameter", "", "Give %s.", "one"), problem.Invalid, "missing_parameter", "", "invalid missing_parameter: Give one."},
		{problem.NotFoundID("SKU", "s1"), problem.NotFound, "not_found", "id", "not found not_found (id): SKU 's1' not found."},
		{problem.Conflictf("source_in_use", "Source '%s' is in use.", "src"), problem.Conflict, "source_in_use", "", "conflict source_in_use: Source 'src' is in use."},
		{problem.TimedOut("state", "still %s", "draft"), problem.Timeout, "request_timeout", "state", "timeout request_timeout (state): still draft"},
		{problem.Gone("link_expired", "expired at %s", "noon"), problem.Expired, "link_expired", "", "expired link_expired: expired at noon"},
	} {
		e := tc.err
		if e.Kind != tc.kind || e.Code != tc.code || e.Parameter != tc.param || e.Error() != tc.text {
			t.Errorf("%+v: Error() %q; want kind %v, code %s, parameter %q, text %q", e, e.Error(), tc.kind, tc.code, tc.param, tc.text)
		}
		if k := problem.KindOf(fmt.Errorf("op: %w", e)); k != tc.kind {
			t.Errorf("KindOf(wrapped %v) = %v, want %v", e, k, tc.kind)
		}
	}
	if k := problem.KindOf(errors.New("plain")); k != 0 || k.String() != "none" {
		t.Errorf("KindOf(plain) = %v (%q), want none", k, k.String())
	}
	if s := problem.Kind(42).String(); s != "Kind(42)" {
		t.Errorf("an unknown kind reads %q", s)
	}
}
