package apierror_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/drsim/drsim/simulator/internal/apierror"
	"github.com/drsim/drsim/simulator/internal/problem"
)

// Each kind of problem a rule reports gets DR's status, type, code,
// parameter and message; anything else is a 500 (a simulator bug).
func TestAsMapsProblemKindsToDRStatuses(t *testing.T) {
	for _, tc := range []struct {
		err                   error
		status                int
		typ, code, param, msg string
	}{
		{problem.Missing("email"), 400, "bad_request", "missing_parameter", "email", "'email' is required."},
		{problem.Invalidf("limit", "limit must be between 1 and 100, got %d.", 0), 400, "bad_request", "invalid_parameter", "limit", "limit must be between 1 and 100, got 0."},
		{problem.Bad("missing_parameter", "", "Give one of %s.", "a or b"), 400, "bad_request", "missing_parameter", "", "Give one of a or b."},
		{problem.NotFoundID("Order", "o1"), 404, "not_found", "not_found", "id", "Order 'o1' not found."},
		{fmt.Errorf("wrapped: %w", problem.Conflictf("order_fulfilled", "Order '%s' is fulfilled.", "o1")), 409, "conflict", "order_fulfilled", "", "Order 'o1' is fulfilled."},
		{problem.TimedOut("state", "still %s", "draft"), 408, "request_timeout", "request_timeout", "state", "still draft"},
		{problem.Gone("link_expired", "File link '%s' expired.", "l1"), 410, "gone", "link_expired", "", "File link 'l1' expired."},
		{apierror.Unauthorized(), 401, "unauthorized", "", "", "An authorization error has occurred."},
		{errors.New("boom"), 500, "internal_server_error", "internal_error", "", "boom"},
		{&problem.Error{Kind: 99, Message: "odd"}, 500, "internal_server_error", "internal_error", "", "Kind(99): odd"},
	} {
		e := apierror.As(tc.err)
		d := e.Errors[0]
		if e.Status != tc.status || e.Type != tc.typ || d.Code != tc.code || d.Parameter != tc.param || d.Message != tc.msg {
			t.Errorf("As(%v) = %d %s %+v; want %d %s {%s %s %s}", tc.err, e.Status, e.Type, d, tc.status, tc.typ, tc.code, tc.param, tc.msg)
		}
	}
	if got := apierror.As(problem.Missing("email")).Error(); got != "400 bad_request missing_parameter (email): 'email' is required." {
		t.Errorf("Error() = %q", got)
	}
	if k := problem.KindOf(fmt.Errorf("x: %w", problem.NotFoundID("SKU", "s"))); k != problem.NotFound || k.String() != "not found" {
		t.Errorf("KindOf = %v", k)
	}
	if k := problem.KindOf(errors.New("plain")); k != 0 {
		t.Errorf("KindOf(plain) = %v, want none", k)
	}
}
