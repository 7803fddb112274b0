package harness_test

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/drsim/drsim/harness"
	"github.com/drsim/drsim/simulator"
)

// Against a simulator that listens beyond loopback, the harness needs the
// admin token (Config.AdminToken) for the account, webhook and clock calls
// New makes; without it New says the token is missing.
func TestNewSendsTheAdminToken(t *testing.T) {
	const tok = "adm_harness_test"
	sim, err := simulator.Start(simulator.Options{Addr: "0.0.0.0:0", AdminToken: tok})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(sim.URL(), "http://"))
	cfg := testConfig(t, "http://127.0.0.1:"+port)

	if _, err := harness.New(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "admin_token_required") {
		t.Fatalf("harness.New without the admin token: %v; want a refusal naming admin_token_required", err)
	}
	cfg.AdminToken = tok
	if _, err := harness.New(context.Background(), cfg); err != nil {
		t.Fatalf("harness.New with the admin token: %v", err)
	}
}
