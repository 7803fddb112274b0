package api

import (
	"net/http"
	"time"

	"github.com/drsim/drsim/simulator/internal/apierror"
	"github.com/drsim/drsim/simulator/internal/state"
)

// Test clocks (state/testclocks.go): POST /_sim/test-clocks {frozenTime?,
// name?}, GET /_sim/test-clocks[/{id}], POST /_sim/test-clocks/{id}/advance
// {"frozenTime": t} or {"advance": "720h"}, DELETE /_sim/test-clocks/{id},
// and POST /_sim/test-clocks/{id}/customers (POST /customers' body) for a
// customer attached to the clock.

func (h *Handler) createTestClock(a *state.Account, r *http.Request) (int, any, error) {
	return withBody(r, http.StatusCreated, a.CreateTestClock)
}

func (h *Handler) getTestClock(a *state.Account, r *http.Request) (int, any, error) {
	tc, err := a.TestClock(pathID(r, "id"))
	return http.StatusOK, tc, err
}

func (h *Handler) listTestClocks(a *state.Account, r *http.Request) (int, any, error) {
	return listed(r.URL.Query(), a.TestClocks)
}

func (h *Handler) deleteTestClock(a *state.Account, r *http.Request) (int, any, error) {
	return http.StatusNoContent, nil, a.DeleteTestClock(pathID(r, "id"))
}

func (h *Handler) createTestClockCustomer(a *state.Account, r *http.Request) (int, any, error) {
	var p state.CustomerParams
	if err := decode(r, &p); err != nil {
		return 0, nil, err
	}
	c, err := a.TestClockCustomer(pathID(r, "id"), p)
	return http.StatusCreated, c, err
}

// testClockMove is the answer to an advance: the clock and the events the
// advance recorded (every subscription transition that fell due), oldest
// first.
type testClockMove struct {
	state.TestClock
	Events []eventRef `json:"events"`
}

// advanceTestClock is POST /_sim/test-clocks/{id}/advance with either
// {"frozenTime": "2027-01-01T00:00:00Z"} (move to) or {"advance": "720h"}
// (move by a Go duration).
func (h *Handler) advanceTestClock(a *state.Account, r *http.Request) (int, any, error) {
	var p struct {
		FrozenTime *time.Time `json:"frozenTime"`
		Advance    string     `json:"advance"`
	}
	if err := decode(r, &p); err != nil {
		return 0, nil, err
	}
	id := pathID(r, "id")
	var (
		tc  state.TestClock
		evs []*state.Event
		err error
	)
	switch {
	case p.Advance != "" && p.FrozenTime != nil:
		return 0, nil, apierror.Invalid("advance", "Give either 'advance' or 'frozenTime', not both.")
	case p.Advance != "":
		d, perr := time.ParseDuration(p.Advance)
		if perr != nil {
			return 0, nil, apierror.Invalid("advance", "advance must be a duration such as 720h or 90m, got '%s'.", p.Advance)
		}
		tc, evs, err = a.AdvanceTestClockBy(id, d)
	case p.FrozenTime != nil:
		tc, evs, err = a.AdvanceTestClock(id, *p.FrozenTime)
	default:
		return 0, nil, apierror.BadRequest("missing_parameter", "frozenTime",
			"Give 'advance' (a duration to move the clock by, such as 720h or 90m) or 'frozenTime' (a time to move it to, such as 2027-01-01T00:00:00Z).")
	}
	if err != nil {
		return 0, nil, err
	}
	m := testClockMove{TestClock: tc, Events: make([]eventRef, 0, len(evs))}
	for _, e := range evs {
		m.Events = append(m.Events, eventRef{ID: e.ID, Type: e.Type, CreatedTime: e.CreatedTime})
	}
	return http.StatusOK, m, nil
}

// deleteAccount is DELETE /_sim/account: the account of the key goes, with
// everything in it (reset a long-lived simulator).
func (h *Handler) deleteAccount(a *state.Account, r *http.Request) (int, any, error) {
	if err := h.store.DeleteAccount(a); err != nil {
		return 0, nil, err
	}
	h.engine.ForgetAccount(a.ID())
	h.rateLimit.forget(a.ID())
	return http.StatusNoContent, nil, nil
}
