package api

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/drsim/drsim/simulator/internal/apierror"
)

// AdminHeader carries the admin token. With a token set (SetAdminToken),
// every control call under /_sim/ but the health check needs it, account
// creation included; DR's API keeps needing only an account's key.
const AdminHeader = "X-Drsim-Admin-Token"

// SetAdminToken makes the control API need tok in AdminHeader; "" (the
// default, for a simulator on loopback) needs none. Call it before serving.
func (h *Handler) SetAdminToken(tok string) { h.adminToken = tok }

// AdminTokenOK reports whether got is the admin token want (constant time).
func AdminTokenOK(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// adminRefused answers a control call that lacks the admin token, and
// reports whether it did.
func (h *Handler) adminRefused(w http.ResponseWriter, r *http.Request) bool {
	if h.adminToken == "" || !strings.HasPrefix(r.URL.Path, "/_sim/") || r.URL.Path == "/_sim/health" {
		return false
	}
	got := r.Header.Get(AdminHeader)
	if AdminTokenOK(got, h.adminToken) {
		return false
	}
	msg := "This simulator listens beyond loopback: the control API needs the admin token in the " + AdminHeader + " header (drsim's commands read DRSIM_ADMIN_TOKEN)."
	if got != "" {
		msg = "The " + AdminHeader + " header does not carry this simulator's admin token."
	}
	writeError(w, apierror.New(http.StatusUnauthorized, "admin_token_required", AdminHeader, msg))
	return true
}
