package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/drsim/drsim/simulator/internal/state"
)

// Keys given to POST /_sim/accounts are bounded and plain; a refused one
// creates no account.
func TestAccountKeyBounds(t *testing.T) {
	e := newEnv(t, 0)
	cl := client{e: e}
	for name, key := range map[string]string{
		"900 KB":             "sk_test_" + strings.Repeat("a", 900<<10),
		"one over the limit": "sk_test_" + strings.Repeat("a", state.MaxKeyLength-len("sk_test_")+1),
		"too short":          "sk_test_abc",
		"not a test key":     "sk_live_0123456789",
		"a space":            "sk_test_0123 456789",
		"a newline":          "sk_test_0123\n456789",
		"not ASCII":          "sk_test_01234567é",
	} {
		t.Run(name, func(t *testing.T) {
			before := len(e.store.Accounts())
			cl.mustError("POST", "/_sim/accounts", map[string]string{"secretKey": key}, http.StatusBadRequest, "invalid_parameter", "secretKey")
			if after := len(e.store.Accounts()); after != before {
				t.Fatalf("a refused key made %d account(s)", after-before)
			}
		})
	}
	longest := "sk_test_" + strings.Repeat("Z", state.MaxKeyLength-len("sk_test_"))
	cl.must("POST", "/_sim/accounts", map[string]string{"secretKey": longest}, http.StatusCreated, nil)
	e.as(longest).createSKU("Widget")
}

// At MaxAccounts the simulator refuses another account (409
// too_many_accounts) until one is deleted.
func TestMaxAccounts(t *testing.T) {
	e := newEnv(t, 0)
	cl := client{e: e}
	for i := len(e.store.Accounts()); i < state.MaxAccounts-1; i++ {
		e.store.CreateAccount()
	}
	var last struct {
		SecretKey string `json:"secretKey"`
	}
	cl.must("POST", "/_sim/accounts", `{}`, http.StatusCreated, &last)
	cl.mustError("POST", "/_sim/accounts", `{}`, http.StatusConflict, "too_many_accounts", "")
	cl.mustError("POST", "/_sim/accounts", map[string]string{"secretKey": "sk_test_one_more_account"}, http.StatusConflict, "too_many_accounts", "")
	if n := len(e.store.Accounts()); n != state.MaxAccounts {
		t.Fatalf("%d accounts, want %d", n, state.MaxAccounts)
	}
	e.as(last.SecretKey).must("DELETE", "/_sim/account", nil, http.StatusNoContent, nil)
	cl.must("POST", "/_sim/accounts", map[string]string{"secretKey": "sk_test_one_more_account"}, http.StatusCreated, nil)
}
