package api

import (
	"context"
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

type callerKey struct{}

// resolve is the router middleware that resolves a request's Bearer key to
// its account, once: the other middleware (API faults, base URL) and the
// handlers read the result from the request's context (callerOf). A request
// without a known key goes on without one; the handler answers 401.
func (h *Handler) resolve(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			if a, public, found := h.store.Lookup(strings.TrimSpace(key)); found {
				r = r.WithContext(context.WithValue(r.Context(), callerKey{}, caller{account: a, public: public}))
			}
		}
		next.ServeHTTP(w, r)
	})
}

// callerOf is the caller resolve found for r, if any.
func callerOf(r *http.Request) (caller, bool) {
	c, ok := r.Context().Value(callerKey{}).(caller)
	return c, ok
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
		c, ok := callerOf(r)
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
		c, ok := callerOf(r)
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
