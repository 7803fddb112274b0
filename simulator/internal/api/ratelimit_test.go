package api_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drsim/drsim/simulator/internal/api"
)

// fakeNow is a clock a test moves by hand.
type fakeNow struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeNow) now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.t }
func (f *fakeNow) add(d time.Duration) {
	f.mu.Lock()
	f.t = f.t.Add(d)
	f.mu.Unlock()
}

// retryAfter sends a request and returns its status, Retry-After header and body.
func (c client) retryAfter(method, path string) (int, string, string) {
	return c.retryAfterAs("", method, path)
}

// retryAfterAs is retryAfter with a User-Agent (Go's when "").
func (c client) retryAfterAs(agent, method, path string) (int, string, string) {
	c.e.t.Helper()
	req, err := http.NewRequest(method, c.e.url+path, nil)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	if agent != "" {
		req.Header.Set("User-Agent", agent)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, resp.Header.Get("Retry-After"), b.String()
}

func TestRateLimitPerAccount(t *testing.T) {
	e := newEnv(t, 0)
	e.handler.SetRateLimit(2)
	clock := &fakeNow{t: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	api.SetRateLimitClock(e.handler, clock.now)
	a, b := e.newAccount(), e.newAccount()

	// A burst of one second's worth passes; the next call is refused in
	// DR's shape with a Retry-After, and changes nothing.
	a.secret.must("GET", "/customers", nil, http.StatusOK, nil)
	a.public.must("POST", "/sources", map[string]any{"type": "creditCard", "creditCard": map[string]any{"number": "4111111111111111", "expirationMonth": 12, "expirationYear": 2099}}, http.StatusCreated, nil)
	status, ra, body := a.secret.retryAfter("POST", "/customers")
	if status != http.StatusTooManyRequests || ra != "1" {
		t.Fatalf("third call in the same instant: %d Retry-After %q, want 429 and 1; body %s", status, ra, body)
	}
	a.secret.mustError("GET", "/customers", nil, http.StatusTooManyRequests, "too_many_requests", "")

	// Another account has its own bucket; the control API, the health
	// check and file links are not limited.
	b.secret.must("GET", "/customers", nil, http.StatusOK, nil)
	a.secret.must("GET", "/_sim/clock", nil, http.StatusOK, nil)
	a.secret.must("GET", "/_sim/health", nil, http.StatusOK, nil)
	if status, _, body := a.secret.retryAfter("GET", "/links/nope"); status != http.StatusNotFound {
		t.Fatalf("GET /links/nope over the limit: %d %s, want 404", status, body)
	}

	// Half a second later one token is back: one call passes, the next waits.
	clock.add(500 * time.Millisecond)
	var list struct {
		Data []any `json:"data"`
	}
	a.secret.must("GET", "/customers", nil, http.StatusOK, &list)
	if len(list.Data) != 0 {
		t.Fatalf("the refused POST /customers created %d customers", len(list.Data))
	}
	a.secret.mustError("GET", "/customers", nil, http.StatusTooManyRequests, "too_many_requests", "")

	// The refusals are in the account's request log, as the merchant's calls.
	var log struct {
		Data []struct {
			Path   string `json:"path"`
			Status int    `json:"status"`
		} `json:"data"`
	}
	a.secret.must("GET", "/_sim/requests", nil, http.StatusOK, &log)
	refused := 0
	for _, l := range log.Data {
		if l.Status == http.StatusTooManyRequests {
			refused++
		}
	}
	if refused != 3 {
		t.Fatalf("request log shows %d refused calls, want 3: %+v", refused, log.Data)
	}
}

func TestNoRateLimitByDefault(t *testing.T) {
	e := newEnv(t, 0)
	a := e.newAccount()
	for range 60 {
		a.secret.must("GET", "/customers", nil, http.StatusOK, nil)
	}
}

// The rate limit and API faults are for the merchant's calls: drsim's own
// (the harness, trigger: a User-Agent starting "drsim-") pass them by and
// leave a fault for the merchant.
func TestDrsimsOwnCallsPassTheRateLimitAndAPIFaults(t *testing.T) {
	e := newEnv(t, 0)
	e.handler.SetRateLimit(1)
	clock := &fakeNow{t: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	api.SetRateLimitClock(e.handler, clock.now)
	a := e.newAccount()
	a.secret.must("GET", "/customers", nil, http.StatusOK, nil) // the merchant's one call this second
	for _, agent := range []string{"drsim-harness", "drsim-trigger"} {
		if status, _, body := a.secret.retryAfterAs(agent, "GET", "/customers"); status != http.StatusOK {
			t.Fatalf("%s over the merchant's rate limit: %d %s, want 200", agent, status, body)
		}
	}
	if status, _, _ := a.secret.retryAfterAs("shop/1.0", "GET", "/customers"); status != http.StatusTooManyRequests {
		t.Fatalf("the merchant's second call this second: %d, want 429", status)
	}

	clock.add(time.Hour)
	a.secret.must("POST", "/_sim/api-faults", map[string]any{"path": "*", "status": 429, "retryAfter": "3s", "count": 1}, http.StatusCreated, nil)
	if status, _, body := a.secret.retryAfterAs("drsim-harness", "GET", "/customers"); status != http.StatusOK {
		t.Fatalf("the harness under the merchant's API fault: %d %s, want 200", status, body)
	}
	if status, ra, body := a.secret.retryAfterAs("shop/1.0", "GET", "/orders"); status != http.StatusTooManyRequests || ra != "3" {
		t.Fatalf("the merchant under its API fault: %d Retry-After %q %s, want 429 and 3", status, ra, body)
	}
}
