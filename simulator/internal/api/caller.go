package api

import (
	"net/http"
	"strings"

	"github.com/drsim/drsim/simulator/internal/apierror"
	"github.com/drsim/drsim/simulator/internal/state"
)

// caller is who made a request: the account its Bearer key belongs to, and
// whether that key is the account's public key.
type caller struct {
	account *state.Account
	public  bool
}

// prelude is what every routed request runs first, once: it resolves the
// request's Bearer key to its account, then, for a known key, applies API
// faults (delivery_control.go) and the rate limit (ratelimit.go), and notes
// where the account is reached (files.go). It passes the caller on as a
// value, not in the request's context (a copy of the request each time). A
// request without a known key goes on without one; the handler answers 401.
// answered: a fault or the rate limit answered the request, and nothing
// else may.
func (h *Handler) prelude(w http.ResponseWriter, r *http.Request) (c caller, known, answered bool) {
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return caller{}, false, false
	}
	a, public, found := h.store.Lookup(strings.TrimSpace(key))
	if !found {
		return caller{}, false, false
	}
	c = caller{account: a, public: public}
	if h.applyAPIFault(w, r, c) || h.rateLimited(w, r, c) {
		return c, true, true
	}
	h.noteBaseURL(r, c)
	return c, true, false
}

// plainCall serves a route that needs no key (POST /_sim/accounts, health)
// after the prelude every route runs.
func (h *Handler) plainCall(fn http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, _, answered := h.prelude(w, r); answered {
			return
		}
		fn(w, r)
	})
}

// accountHandler serves one request for an authenticated account and returns
// the status and value to write, or an error.
type accountHandler func(a *state.Account, r *http.Request) (int, any, error)

// keyScope says which of an account's keys may call a DR route.
type keyScope bool

const (
	secretOnly keyScope = false
	publicOK   keyScope = true
)

// drCall serves a DR API route: keys may call it; the call goes in the
// account's request log.
func (h *Handler) drCall(keys keyScope, fn accountHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok, answered := h.prelude(w, r)
		if answered {
			return
		}
		if !ok || (c.public && keys != publicOK) {
			writeError(w, apierror.Unauthorized())
			return
		}
		status := h.serve(w, r, c.account, fn)
		logCall(c, r, status)
	})
}

// controlCall serves a control API route: the secret key only, and no
// request log (the log is of the merchant's DR calls).
func (h *Handler) controlCall(fn accountHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok, answered := h.prelude(w, r)
		if answered {
			return
		}
		if !ok || c.public {
			writeError(w, apierror.Unauthorized())
			return
		}
		h.serve(w, r, c.account, fn)
	})
}

// serve calls fn and writes its value or its error in DR's shape; it
// returns the status written.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, a *state.Account, fn accountHandler) int {
	status, v, err := fn(a, r)
	if err != nil {
		e := apierror.As(err)
		if e.Status >= 500 {
			h.log.Error("simulator error (a bug)", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		writeError(w, e)
		return e.Status
	}
	writeJSON(w, status, v)
	return status
}

// logCall puts a DR API call in its account's request log.
func logCall(c caller, r *http.Request, status int) {
	a := c.account
	a.LogRequest(state.RequestLog{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Status: status, Time: a.Now().UTC(), Public: c.public, Agent: r.UserAgent()})
}
