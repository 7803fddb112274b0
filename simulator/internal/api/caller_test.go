package api

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/drsim/drsim/simulator/internal/delivery"
	"github.com/drsim/drsim/simulator/internal/state"
)

// The prelude finds the account of a request's key once and hands it on,
// with which key it was; the route's scope then decides,
// and only DR calls that reach a handler go in the request log.
func TestPreludeScopesAndLog(t *testing.T) {
	engine := delivery.New(delivery.Options{})
	t.Cleanup(engine.Close)
	store := state.NewStore(engine, time.Now)
	h := New(store, engine, nil)
	keys := store.CreateAccount()
	a, _, _ := store.Lookup(keys.SecretKey)

	var seen []caller
	for _, auth := range []string{"Bearer " + keys.SecretKey, "Bearer " + keys.PublicKey, "Bearer sk_test_unknown", keys.SecretKey, ""} {
		r := httptest.NewRequest("GET", "/skus", nil)
		r.Header.Set("Authorization", auth)
		if c, ok, answered := h.prelude(httptest.NewRecorder(), r); ok && !answered {
			seen = append(seen, c)
		}
	}
	if len(seen) != 2 || seen[0].account != a || seen[0].public || seen[1].account != a || !seen[1].public {
		t.Fatalf("resolved callers %+v; want the account by its secret key, then by its public key, and no other", seen)
	}

	for _, tc := range []struct {
		method, path, key string
		status            int
		logged            bool
	}{
		{"GET", "/skus", keys.SecretKey, 200, true},
		{"GET", "/skus", keys.PublicKey, 401, false},         // secret-only DR route
		{"GET", "/sources/src_x", keys.PublicKey, 404, true}, // public key allowed, and logged
		{"GET", "/_sim/clock", keys.SecretKey, 200, false},   // control: never logged
		{"GET", "/_sim/clock", keys.PublicKey, 401, false},   // control: secret key only
		{"GET", "/skus", "sk_test_unknown", 401, false},
	} {
		before := len(a.Requests())
		r := httptest.NewRequest(tc.method, tc.path, nil)
		r.Header.Set("Authorization", "Bearer "+tc.key)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		logged := len(a.Requests()) - before
		if w.Code != tc.status || logged != map[bool]int{true: 1}[tc.logged] {
			t.Errorf("%s %s with %.8s…: %d, %d log entries; want %d, logged %v", tc.method, tc.path, tc.key, w.Code, logged, tc.status, tc.logged)
		}
	}
	if last := a.Requests()[len(a.Requests())-1]; !last.Public || last.Path != "/sources/src_x" || last.Status != 404 {
		t.Errorf("last log entry %+v; want the public-key source call, 404", last)
	}
}

// The base URL follows each request's scheme and Host, whatever came
// before (requestBase keeps the last one built).
func TestRequestBaseFollowsHost(t *testing.T) {
	h := New(state.NewStore(nil, time.Now), nil, nil)
	for _, c := range []struct {
		host string
		tls  bool
		want string
	}{
		{"a.test:1", false, "http://a.test:1"},
		{"a.test:1", false, "http://a.test:1"},
		{"b.test", false, "http://b.test"},
		{"b.test", true, "https://b.test"},
		{"a.test:1", false, "http://a.test:1"},
	} {
		url := "http://" + c.host + "/skus"
		if c.tls {
			url = "https://" + c.host + "/skus"
		}
		r := httptest.NewRequest("GET", url, nil)
		if got := h.requestBase(r); got != c.want || got != requestBase(r) {
			t.Errorf("host %s, TLS %v: base %q; want %q", c.host, c.tls, got, c.want)
		}
	}
}
