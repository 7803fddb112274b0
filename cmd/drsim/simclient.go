package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/drsim/drsim/simulator/client"
)

// The local-development commands (listen, trigger, events resend, logs
// tail) call a running simulator through simulator/client; these helpers are
// the few compositions they share.

// eventsAfter lists the events recorded after the event marker (all when
// marker is empty), oldest first.
func eventsAfter(ctx context.Context, c *client.Client, marker string) ([]client.Event, error) {
	var all []client.Event
	cursor := ""
	for range 50 {
		p, err := c.Events(ctx, client.ListParams{Limit: 100, StartingAfter: cursor})
		if err != nil {
			return nil, err
		}
		done := false
		for _, e := range p.Data {
			if e.ID == marker {
				done = true
				break
			}
			all = append(all, e)
		}
		if done || !p.HasMore || len(p.Data) == 0 {
			break
		}
		cursor = p.Data[len(p.Data)-1].ID
	}
	slices.Reverse(all)
	return all, nil
}

// newestEvent is the id of the account's newest event ("" when none).
func newestEvent(ctx context.Context, c *client.Client) (string, error) {
	p, err := c.Events(ctx, client.ListParams{Limit: 1})
	if err != nil {
		return "", err
	}
	if len(p.Data) == 0 {
		return "", nil
	}
	return p.Data[0].ID, nil
}

// connection flags shared by the local-development commands. agent is the
// User-Agent of the command's calls (cliAgent when empty): the simulator's
// request log keeps it, and logs tail leaves drsim's own calls out.
type conn struct {
	sim, key, admin string
	agent           string
}

// User-Agents of drsim's own calls to a simulator. Every one starts with
// drsimAgentPrefix, as the harness's (harness.HarnessAgent) does: the
// request log then tells them from the shop's calls.
const (
	drsimAgentPrefix = "drsim-"
	cliAgent         = "drsim-cli"     // listen, events resend, logs tail
	triggerAgent     = "drsim-trigger" // trigger's customers, sources, orders, refunds…
)

func (c *conn) flags(fs interface {
	StringVar(*string, string, string, string)
}) {
	fs.StringVar(&c.sim, "sim", envOr("DRSIM_URL", "http://127.0.0.1:9090"), "the running simulator (env DRSIM_URL)")
	// The key and the token come from the environment after parsing, so
	// that -h does not print them as defaults.
	fs.StringVar(&c.key, "key", "", "the account's secret key (env DRSIM_SECRET_KEY)")
	fs.StringVar(&c.admin, "admin-token", "", "the simulator's admin token, needed when it listens beyond loopback (env DRSIM_ADMIN_TOKEN)")
}

func (c *conn) client(needKey bool) (*client.Client, error) {
	if c.key == "" {
		c.key = os.Getenv("DRSIM_SECRET_KEY")
	}
	if c.admin == "" {
		c.admin = os.Getenv("DRSIM_ADMIN_TOKEN")
	}
	if needKey && c.key == "" {
		return nil, fmt.Errorf("no secret key: pass -key sk_test_… or set DRSIM_SECRET_KEY (drsim listen prints one)")
	}
	agent := c.agent
	if agent == "" {
		agent = cliAgent
	}
	return client.New(c.sim, c.key, client.WithHTTPClient(&http.Client{Timeout: 2 * time.Minute}), client.WithAdminToken(c.admin), client.WithUserAgent(agent)), nil
}

// explain turns the two mistakes every newcomer makes with the
// local-development commands into what to do: no simulator at -sim, and a
// key the simulator does not know (or a missing admin token).
func (c *conn) explain(err error) error {
	var ce *client.Error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("no simulator answers at %s: start one with `drsim serve`, or point -sim (or DRSIM_URL) at yours (%w)", c.sim, err)
	case errors.As(err, &ce) && ce.Status == http.StatusUnauthorized:
		for _, d := range ce.Errors {
			if d.Code == "admin_token_required" {
				return fmt.Errorf("the simulator at %s needs its admin token: pass -admin-token or set DRSIM_ADMIN_TOKEN (serve printed it) (%w)", c.sim, err)
			}
		}
		return fmt.Errorf("the simulator at %s knows no account with the key %s: use the secret key `drsim listen` printed, or create the account with `drsim listen -key %s --forward-to URL` (%w)", c.sim, c.key, c.key, err)
	}
	return err
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// lockedWriter serialises lines from several tails.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// adminTokenFor is the admin token a simulator started on addr runs with:
// given (flag or DRSIM_ADMIN_TOKEN), else none on loopback, else a fresh
// random one (generated reports that it was made here, to print it).
func adminTokenFor(addr, given string) (token string, generated bool, err error) {
	if given != "" || loopbackAddr(addr) {
		return given, false, nil
	}
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", false, fmt.Errorf("generate an admin token: %w", err)
	}
	return "adm_" + hex.EncodeToString(b), true, nil
}

// loopbackAddr reports whether a listen address stays on loopback: an IP
// that is loopback, or a name all of whose addresses are ("localhost").
// An empty host (":9090") listens on every interface.
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return false
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback()
	}
	ips, err := net.LookupIP(host)
	if err != nil || len(ips) == 0 {
		return false
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return false
		}
	}
	return true
}
