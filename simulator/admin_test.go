package simulator_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/drsim/drsim/simulator"
	"github.com/drsim/drsim/simulator/client"
)

// Beyond loopback the simulator does not start without an admin token.
func TestStartBeyondLoopbackNeedsAnAdminToken(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "[::]:0"} {
		sim, err := simulator.Start(simulator.Options{Addr: addr})
		if err == nil {
			sim.Close()
			t.Fatalf("Start(%s) without an admin token started; want it refused", addr)
		}
		if !strings.Contains(err.Error(), "admin token") {
			t.Fatalf("Start(%s): %v; want the error to say an admin token is needed", addr, err)
		}
	}
	// On loopback nothing changes: no token, and CreateAccount works.
	start(t, simulator.Options{Addr: "127.0.0.1:0"})
}

// drError is DR's error shape as the tests read it.
type drError struct {
	Type   string `json:"type"`
	Errors []struct {
		Code, Parameter, Message string
	} `json:"errors"`
}

func call(t *testing.T, method, url string, header map[string]string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	cl := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// With an admin token the control API and account creation need it, DR's
// API does not, the health check does not, and the dashboard takes it as
// the header or as the cookie it sets when opened with ?token=.
func TestAdminTokenGuardsTheControlAPIAndTheDashboard(t *testing.T) {
	const tok = "adm_9f2c4e"
	sim, err := simulator.Start(simulator.Options{Addr: "0.0.0.0:0", AdminToken: tok})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(sim.URL(), "http://"))
	base := "http://127.0.0.1:" + port
	ctx := context.Background()

	// Account creation: refused without the token or with another, in DR's shape.
	for _, h := range []map[string]string{nil, {simulator.AdminHeader: "adm_wrong"}} {
		status, _, body := call(t, "POST", base+"/_sim/accounts", h)
		var e drError
		if err := json.Unmarshal(body, &e); status != http.StatusUnauthorized || err != nil || e.Type != "unauthorized" ||
			len(e.Errors) != 1 || e.Errors[0].Code != "admin_token_required" || e.Errors[0].Parameter != simulator.AdminHeader {
			t.Fatalf("POST /_sim/accounts with header %v: %d %s; want 401 unauthorized admin_token_required", h, status, body)
		}
	}
	if _, err := client.New(base, "").CreateAccount(ctx, ""); client.StatusOf(err) != http.StatusUnauthorized {
		t.Fatalf("CreateAccount without the token: %v; want 401", err)
	}
	keys, err := client.New(base, "", client.WithAdminToken(tok)).CreateAccount(ctx, "")
	if err != nil {
		t.Fatalf("CreateAccount with the token: %v", err)
	}
	// The server's own client carries the token.
	if _, err := sim.Client("").CreateAccount(ctx, ""); err != nil {
		t.Fatalf("Server.Client CreateAccount: %v", err)
	}

	// Control calls need it even with the account's secret key; DR's API does not.
	auth := map[string]string{"Authorization": "Bearer " + keys.SecretKey}
	if status, _, body := call(t, "GET", base+"/_sim/account", auth); status != http.StatusUnauthorized {
		t.Fatalf("GET /_sim/account with the secret key but no admin token: %d %s; want 401", status, body)
	}
	if status, _, body := call(t, "GET", base+"/_sim/account", map[string]string{"Authorization": auth["Authorization"], simulator.AdminHeader: tok}); status != http.StatusOK {
		t.Fatalf("GET /_sim/account with both: %d %s", status, body)
	}
	if status, _, body := call(t, "GET", base+"/customers", auth); status != http.StatusOK {
		t.Fatalf("GET /customers with the secret key alone: %d %s; DR's API needs no admin token", status, body)
	}
	if status, _, body := call(t, "GET", base+"/_sim/health", nil); status != http.StatusOK {
		t.Fatalf("GET /_sim/health: %d %s; the health check needs no token", status, body)
	}

	// The dashboard: refused on loopback without the token.
	if status, _, body := call(t, "GET", base+"/_sim/dashboard/", nil); status != http.StatusForbidden {
		t.Fatalf("dashboard without the token: %d %s; want 403", status, body)
	}
	if status, _, body := call(t, "GET", base+"/_sim/dashboard/", map[string]string{simulator.AdminHeader: tok}); status != http.StatusOK {
		t.Fatalf("dashboard with the header: %d %.200s", status, body)
	}
	if status, hdr, body := call(t, "GET", base+"/_sim/dashboard/?token=adm_wrong", nil); status != http.StatusForbidden || hdr.Get("Set-Cookie") != "" {
		t.Fatalf("dashboard ?token=wrong: %d (Set-Cookie %q) %s; want 403 and no cookie", status, hdr.Get("Set-Cookie"), body)
	}
	status, hdr, _ := call(t, "GET", base+"/_sim/dashboard/?token="+tok, nil)
	cookie := hdr.Get("Set-Cookie")
	if status != http.StatusSeeOther || hdr.Get("Location") != "/_sim/dashboard/" ||
		!strings.Contains(cookie, "HttpOnly") || !strings.Contains(cookie, "SameSite=Strict") {
		t.Fatalf("dashboard ?token=: %d Location %q Set-Cookie %q; want 303 to /_sim/dashboard/ with an HttpOnly SameSite=Strict cookie", status, hdr.Get("Location"), cookie)
	}
	if status, _, body := call(t, "GET", base+"/_sim/dashboard/", map[string]string{"Cookie": strings.SplitN(cookie, ";", 2)[0]}); status != http.StatusOK {
		t.Fatalf("dashboard with the cookie: %d %.200s", status, body)
	}
	if status, _, body := call(t, "GET", base+"/_sim/dashboard/", map[string]string{"Cookie": "drsim_admin=adm_wrong"}); status != http.StatusForbidden {
		t.Fatalf("dashboard with a wrong cookie: %d %.200s; want 403", status, body)
	}
}

// The client's and the simulator's header names agree.
func TestAdminHeaderNamesAgree(t *testing.T) {
	if simulator.AdminHeader != client.AdminHeader {
		t.Fatalf("simulator.AdminHeader %q, client.AdminHeader %q", simulator.AdminHeader, client.AdminHeader)
	}
}
