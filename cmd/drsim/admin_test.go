package main

import (
	"context"
	"net/http"
	"regexp"
	"testing"

	"github.com/drsim/drsim/simulator/client"
)

func TestLoopbackAddr(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:9090": true, "[::1]:9090": true, "localhost:9090": true, "127.0.0.2:0": true,
		"0.0.0.0:9090": false, "[::]:9090": false, ":9090": false, "192.0.2.10:9090": false, "nonsense": false,
	} {
		if got := loopbackAddr(addr); got != want {
			t.Errorf("loopbackAddr(%q) = %v, want %v", addr, got, want)
		}
	}
}

// serve beyond loopback with no token makes one, prints it, and the control
// API needs it; the commands take it from -admin-token.
func TestServeBeyondLoopbackPrintsAGeneratedAdminToken(t *testing.T) {
	t.Setenv("DRSIM_ADMIN_TOKEN", "")
	s := startServe(t, "-sim-addr", "0.0.0.0:0")
	m := regexp.MustCompile(`admin token (adm_[0-9a-f]{32}) `).FindStringSubmatch(s.out.String())
	if m == nil {
		t.Fatalf("serve -sim-addr 0.0.0.0:0 printed no generated admin token:\n%s", s.out.String())
	}
	ctx := context.Background()
	if _, err := client.New(s.url, "").CreateAccount(ctx, ""); client.StatusOf(err) != http.StatusUnauthorized {
		t.Fatalf("CreateAccount without the token: %v, want 401", err)
	}
	keys, err := client.New(s.url, "", client.WithAdminToken(m[1])).CreateAccount(ctx, "")
	if err != nil {
		t.Fatalf("CreateAccount with the printed token: %v", err)
	}
	for _, tok := range []string{"", m[1]} {
		out, errOut := newNotifyBuffer(), newNotifyBuffer()
		code := run(ctx, []string{"events", "resend", "-sim", s.url, "-key", keys.SecretKey, "-admin-token", tok, "no-such-event"}, out, errOut)
		// Without the token the control call is refused; with it the event is simply unknown.
		want := regexp.MustCompile(`404|not_found|No such`)
		if tok == "" {
			want = regexp.MustCompile(`401|admin_token_required`)
		}
		t.Logf("events resend, token %q: exit %d: %s%s", tok, code, out.String(), errOut.String())
		if code == 0 || !want.MatchString(errOut.String()+out.String()) {
			t.Errorf("events resend with admin token %q: exit %d, stdout %s stderr %s; want an error matching %s", tok, code, out.String(), errOut.String(), want)
		}
	}
}
