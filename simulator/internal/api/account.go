package api

import (
	"net/http"

	"github.com/drsim/drsim/simulator/internal/state"
)

// getAccount is GET /_sim/account: the calling account's keys, so a harness
// that holds the secret key can act as the customer's browser with the
// public key.
func (h *Handler) getAccount(a *state.Account, r *http.Request) (int, any, error) {
	return http.StatusOK, a.Keys(), nil
}
