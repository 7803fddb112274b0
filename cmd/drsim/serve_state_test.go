package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/drsim/drsim/simulator/client"
)

// runningServe is `drsim serve` run in-process until stop.
type runningServe struct {
	url  string
	out  *notifyBuffer
	stop func() string // ends serve; returns its stderr
}

func startServe(t *testing.T, args ...string) *runningServe {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, errOut := newNotifyBuffer(), newNotifyBuffer()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "-sim-addr", "127.0.0.1:0", "-mail=false", "-v=false"}, args...), out, errOut)
	}()
	ready := make(chan struct{})
	go func() {
		defer close(ready)
		for {
			out.mu.Lock()
			s, ch := out.b.String(), out.changed
			out.mu.Unlock()
			if strings.Contains(s, "Ctrl-C to stop.") {
				return
			}
			select {
			case <-ch:
			case <-done:
				done <- -1
				return
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(15 * time.Second):
		cancel()
		t.Fatalf("drsim serve %v did not print Ctrl-C to stop. within 15s; stdout:\n%s\nstderr:\n%s", args, out.String(), errOut.String())
	}
	m := regexp.MustCompile(`simulator +(http://\S+)`).FindStringSubmatch(out.String())
	if m == nil {
		cancel()
		t.Fatalf("drsim serve %v: no simulator URL in\n%s\nstderr:\n%s", args, out.String(), errOut.String())
	}
	stopped := false
	r := &runningServe{url: m[1], out: out, stop: func() string {
		if stopped {
			return ""
		}
		stopped = true
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("drsim serve exited %d: %s", code, errOut.String())
			}
		case <-time.After(15 * time.Second):
			t.Errorf("drsim serve did not stop within 15s of Ctrl-C")
		}
		return errOut.String()
	}}
	t.Cleanup(func() { r.stop() })
	return r
}

func TestServeStateSurvivesARestartAndProfileProvisions(t *testing.T) {
	d := startLocalDev(t) // the reference merchant the profile points at
	dir := t.TempDir()
	stateFile := filepath.Join(dir, "drsim-state.json")
	prof := filepath.Join(dir, "merchant.yaml")
	if err := os.WriteFile(prof, []byte(fmt.Sprintf("name: Local Shop\nwebhook:\n  url: %s\n  signingSecret: %s\napi:\n  secretKey: %s\n",
		d.merchant.WebhookURL(), d.secret, d.key)), 0o644); err != nil {
		t.Fatal(err)
	}

	first := startServe(t, "-state", stateFile, "-profile", prof)
	if !strings.Contains(first.out.String(), "(new: no such file yet, starting empty;") {
		t.Errorf("serve -state with no file yet did not say it starts empty:\n%s", first.out.String())
	}
	if !strings.Contains(first.out.String(), "secret key "+d.key) || !strings.Contains(first.out.String(), "signing secret "+d.secret) {
		t.Fatalf("serve -profile did not print the provisioned account:\n%s", first.out.String())
	}
	ctx := context.Background()
	email := fmt.Sprintf("erin+%d@example.test", time.Now().UnixNano())
	out, errOut := newNotifyBuffer(), newNotifyBuffer()
	if code := run(ctx, []string{"trigger", "-sim", first.url, "-key", d.key, "-email", email, "order.accepted"}, out, errOut); code != 0 {
		t.Fatalf("trigger: %d %s %s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "200 delivered") {
		t.Errorf("the provisioned webhook did not deliver to the merchant:\n%s", out.String())
	}
	mctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := d.mailbox.Wait(mctx, email, "order confirmation", nil); err != nil {
		t.Fatalf("the merchant's email: %v", err)
	}
	order := regexp.MustCompile(`order (\d+)`).FindStringSubmatch(out.String())[1]
	c := client.New(first.url, d.key)
	keysBefore, err := c.Account(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hooks, err := c.Webhooks(ctx, client.ListParams{})
	if err != nil || len(hooks.Data) != 1 {
		t.Fatalf("webhooks: %v %v", hooks, err)
	}
	if stderr := first.stop(); stderr != "" {
		t.Logf("first serve's stderr: %s", stderr)
	}
	if fi, err := os.Stat(stateFile); err != nil || fi.Size() == 0 {
		t.Fatalf("no state file after serve stopped: %v", err)
	}
	if !strings.Contains(first.out.String(), "state       saved to "+stateFile+"\n") {
		t.Errorf("serve did not say at exit that it saved the state:\n%s", first.out.String())
	}

	second := startServe(t, "-state", stateFile, "-profile", prof)
	if !strings.Contains(second.out.String(), stateFile+" (restored;") {
		t.Errorf("serve -state after a restart did not say it restored the file:\n%s", second.out.String())
	}
	c = client.New(second.url, d.key)
	keysAfter, err := c.Account(ctx)
	if err != nil {
		t.Fatalf("the account after a restart: %v", err)
	}
	if *keysAfter != *keysBefore {
		t.Errorf("keys after restart %+v, before %+v", keysAfter, keysBefore)
	}
	o, err := c.Order(ctx, order)
	if err != nil {
		t.Fatalf("the order after a restart: %v", err)
	}
	if o.ID != order || o.State != "accepted" || o.Email != email {
		t.Errorf("order after restart: %s %s %s, want %s accepted for %s", o.ID, o.State, o.Email, order, email)
	}
	after, err := c.Webhooks(ctx, client.ListParams{})
	if err != nil || len(after.Data) != 1 || after.Data[0].ID != hooks.Data[0].ID {
		t.Fatalf("webhooks after restart: %+v (before %+v), err %v; -profile must reuse the restored webhook", after, hooks, err)
	}
	if sec, err := c.WebhookSecrets(ctx, after.Data[0].ID); err != nil || sec.Secret != d.secret {
		t.Errorf("signing secret after restart: %+v %v", sec, err)
	}
	evs, err := eventsAfter(ctx, c, "")
	if err != nil || len(evs) == 0 {
		t.Fatalf("events after restart: %d %v", len(evs), err)
	}
	second.stop()

	// A corrupt file is refused with a clear error; the file stays as it was.
	if err := os.WriteFile(stateFile, []byte(`{"format":"drsim-state","version":1,`), 0o644); err != nil {
		t.Fatal(err)
	}
	o2, e2 := newNotifyBuffer(), newNotifyBuffer()
	if code := run(ctx, []string{"serve", "-sim-addr", "127.0.0.1:0", "-mail=false", "-state", stateFile}, o2, e2); code != 2 || !strings.Contains(e2.String(), "not a drsim state file") {
		t.Errorf("serve with a corrupt state file: exit %d, %q; want 2 and a clear error", code, e2.String())
	}
	if b, _ := os.ReadFile(stateFile); string(b) != `{"format":"drsim-state","version":1,` {
		t.Errorf("the corrupt state file was overwritten: %q", b)
	}
}

// Mistakes in serve's files are said at start, before anything listens: a
// state file whose directory is missing (it used to start, log a failed
// save every 30 s and lose the state at exit) and a profile that does not load.
func TestServeRefusesUnusableFilesAtStart(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-state", filepath.Join(dir, "no-such-dir", "state.json")}, "cannot be written"},
		{[]string{"-profile", filepath.Join(dir, "missing.yaml")}, "missing.yaml"},
		{[]string{"-rate-limit", "-1"}, "-rate-limit must be 0"},
	} {
		out, errOut := newNotifyBuffer(), newNotifyBuffer()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		code := run(ctx, append([]string{"serve", "-sim-addr", "127.0.0.1:0", "-mail=false"}, tc.args...), out, errOut)
		cancel()
		if code != 2 || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("serve %v: exit %d, stderr %q; want 2 saying %q", tc.args, code, errOut.String(), tc.want)
		}
		if out.String() != "" {
			t.Errorf("serve %v started before refusing:\n%s", tc.args, out.String())
		}
	}
}

// A state file cut short (a disk that filled up, a copy interrupted) is
// refused at start with its path and the byte where it ends.
func TestServeRefusesACutShortStateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	s := startServe(t, "-state", path)
	if _, err := client.New(s.url, "").CreateAccount(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	s.stop()
	full, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cut := len(full) * 2 / 3
	if err := os.WriteFile(path, full[:cut], 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut := newNotifyBuffer(), newNotifyBuffer()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := run(ctx, []string{"serve", "-sim-addr", "127.0.0.1:0", "-mail=false", "-state", path}, out, errOut)
	if want := fmt.Sprintf("at byte %d ", cut); code != 2 || !strings.Contains(errOut.String(), path) || !strings.Contains(errOut.String(), want) {
		t.Errorf("serve with a cut-short state file: exit %d, stderr %q; want 2 naming %s and %q", code, errOut.String(), path, want)
	}
	if out.String() != "" {
		t.Errorf("serve started before refusing:\n%s", out.String())
	}
}

func TestServeRateLimit(t *testing.T) {
	s := startServe(t, "-rate-limit", "1")
	if !strings.Contains(s.out.String(), "rate limit  1 DR API calls a second per account") {
		t.Errorf("serve -rate-limit 1 did not say so at start:\n%s", s.out.String())
	}
	ctx := context.Background()
	keys, err := client.New(s.url, "").CreateAccount(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	c := client.New(s.url, keys.SecretKey)
	// One call a second: of a few calls made back to back, all but the first
	// of each second are refused as DR refuses them.
	var refused *client.Error
	for i := 0; i < 5 && refused == nil; i++ {
		_, err := c.Customers(ctx, client.ListParams{})
		if err != nil && !errors.As(err, &refused) {
			t.Fatal(err)
		}
	}
	if refused == nil || refused.Status != http.StatusTooManyRequests || refused.Code() != "too_many_requests" || refused.RetryAfter != time.Second {
		t.Fatalf("5 calls at once under -rate-limit 1: %+v, want one refused 429 too_many_requests with Retry-After 1s", refused)
	}
	// The control API is not limited.
	for range 3 {
		if _, err := c.Account(ctx); err != nil {
			t.Fatalf("a control call under the rate limit: %v", err)
		}
	}
}
