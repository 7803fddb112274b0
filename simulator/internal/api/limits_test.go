package api_test

import (
	"fmt"
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

// GET /_sim/requests and GET /_sim/deliveries page oldest first with limit
// and startingAfter (a seq), and say how many entries were dropped.
func TestControlLogsArePaginated(t *testing.T) {
	e := newEnv(t, 0)
	c := e.newAccount().secret
	for range 5 {
		c.must("GET", "/customers", nil, http.StatusOK, nil)
	}
	type logPage struct {
		HasMore bool `json:"hasMore"`
		Data    []struct {
			Seq  int    `json:"seq"`
			Path string `json:"path"`
		} `json:"data"`
		Dropped *int `json:"dropped"`
	}
	read := func(path string) (seqs []int, more bool) {
		t.Helper()
		var p logPage
		c.must("GET", path, nil, http.StatusOK, &p)
		if p.Dropped == nil || *p.Dropped != 0 {
			t.Fatalf("GET %s: dropped %v, want 0", path, p.Dropped)
		}
		for _, d := range p.Data {
			seqs = append(seqs, d.Seq)
		}
		return seqs, p.HasMore
	}
	if seqs, more := read("/_sim/requests?limit=2"); len(seqs) != 2 || seqs[0] != 1 || seqs[1] != 2 || !more {
		t.Fatalf("first page %v more %v; want [1 2] and more", seqs, more)
	}
	if seqs, more := read("/_sim/requests?limit=2&startingAfter=4"); len(seqs) != 1 || seqs[0] != 5 || more {
		t.Fatalf("last page %v more %v; want [5] and no more", seqs, more)
	}
	if seqs, _ := read("/_sim/requests"); len(seqs) != 5 {
		t.Fatalf("default page %v; want the 5 calls", seqs)
	}

	rc := newReceiver(t, nil)
	c.createWebhook(rc.url, "customer.created")
	for i := range 3 {
		c.createCustomer(fmt.Sprintf("p%d@example.test", i))
	}
	c.waitDeliveries("", 3)
	if seqs, more := read("/_sim/deliveries?limit=2"); len(seqs) != 2 || seqs[0] != 1 || !more {
		t.Fatalf("deliveries first page %v more %v", seqs, more)
	}
	if seqs, more := read("/_sim/deliveries?limit=2&startingAfter=2"); len(seqs) != 1 || seqs[0] != 3 || more {
		t.Fatalf("deliveries after 2: %v more %v; want [3]", seqs, more)
	}
	if seqs, _ := read("/_sim/deliveries?startingAfter=2&min=1&wait=1s"); len(seqs) != 1 || seqs[0] != 3 {
		t.Fatalf("waiting for deliveries after 2: %v; want [3]", seqs)
	}

	for _, q := range []string{"limit=0", "limit=1001", "limit=ten", "startingAfter=-1", "startingAfter=abc"} {
		param := strings.SplitN(q, "=", 2)[0]
		c.mustError("GET", "/_sim/requests?"+q, nil, http.StatusBadRequest, "invalid_parameter", param)
		c.mustError("GET", "/_sim/deliveries?"+q, nil, http.StatusBadRequest, "invalid_parameter", param)
	}
}
