package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// DR's "Creating a webhook": an HTTP webhook's authentication{userName,
// password} configures Basic auth for its callbacks, and DR's answers show
// it; the SDK and one passage spell the user name username, so both are
// taken. Changing the transport to OAUTH drops it.
func TestWebhookBasicAuthentication(t *testing.T) {
	e := newEnv(t, 0)
	c := e.newAccount().secret
	rc := newReceiver(t, nil)

	type hook struct {
		ID             string            `json:"id"`
		TransportType  string            `json:"transportType"`
		Authentication map[string]string `json:"authentication"`
		OAuth          map[string]string `json:"oauth"`
	}
	var h hook
	c.must("POST", "/webhooks", map[string]any{"address": rc.url, "types": []string{"customer.created"},
		"authentication": map[string]string{"userName": "dr-callbacks", "password": "s3cret"}}, http.StatusCreated, &h)
	want := map[string]string{"userName": "dr-callbacks", "password": "s3cret"}
	if h.TransportType != "HTTP" || fmt.Sprint(h.Authentication) != fmt.Sprint(want) {
		t.Fatalf("created %+v; want transportType HTTP and authentication %v, as DR's answer shows", h, want)
	}
	c.createCustomer("basic@example.test")
	m := rc.next(t, "customer.created")
	if user, pass, ok := (&http.Request{Header: m.header}).BasicAuth(); !ok || user != "dr-callbacks" || pass != "s3cret" {
		t.Fatalf("callback Authorization %q; want Basic auth dr-callbacks:s3cret", m.header.Get("Authorization"))
	}

	// The SDK's spelling; PATCH changes the credentials.
	c.must("PATCH", "/webhooks/"+h.ID, `{"authentication":{"username":"other","password":"pw2"}}`, http.StatusOK, &h)
	if h.Authentication["userName"] != "other" {
		t.Fatalf("after PATCH with username: %+v", h.Authentication)
	}
	c.createCustomer("basic2@example.test")
	m = rc.next(t, "customer.created after PATCH")
	if user, pass, _ := (&http.Request{Header: m.header}).BasicAuth(); user != "other" || pass != "pw2" {
		t.Fatalf("callback after PATCH: Authorization %q; want Basic other:pw2", m.header.Get("Authorization"))
	}

	// All fields empty removes it: callbacks go without Authorization.
	var cleared hook
	c.must("PATCH", "/webhooks/"+h.ID, `{"authentication":{"userName":"","password":""}}`, http.StatusOK, &cleared)
	if cleared.Authentication != nil {
		t.Fatalf("after an empty authentication: %+v; want none", cleared.Authentication)
	}
	c.createCustomer("basic3@example.test")
	if m = rc.next(t, "customer.created without auth"); m.header.Get("Authorization") != "" {
		t.Fatalf("callback without authentication carries Authorization %q", m.header.Get("Authorization"))
	}
}

// tokenServer is an OAuth 2.0 token endpoint: it checks the client's Basic
// auth and the grant, counts the tokens it issued, and answers as status
// says (200 with a numbered token by default).
type tokenServer struct {
	url    string
	mu     sync.Mutex
	issued int
	forms  []string
	status int
}

func newTokenServer(t *testing.T, expiresIn int) *tokenServer {
	t.Helper()
	ts := &tokenServer{status: http.StatusOK}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.mu.Lock()
		defer ts.mu.Unlock()
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		// RFC 6749 §2.3.1: the client's id and secret are form-encoded,
		// then sent as Basic auth.
		id, secret, ok := r.BasicAuth()
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
		if r.Method != http.MethodPost || !ok || id != "drsim-client" || secret != "client secret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		ts.forms = append(ts.forms, r.PostForm.Encode())
		if ts.status != http.StatusOK {
			w.WriteHeader(ts.status)
			return
		}
		ts.issued++
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": fmt.Sprintf("token-%d", ts.issued), "token_type": "Bearer", "expires_in": expiresIn})
	}))
	t.Cleanup(srv.Close)
	ts.url = srv.URL + "/oauth/token"
	return ts
}

func (ts *tokenServer) counts() (issued int, forms []string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.issued, append([]string(nil), ts.forms...)
}

// DR's "Creating a webhook": an OAUTH webhook's callback "is always
// accompanied by a valid bearer token" from its tokenEndPoint. The
// simulator asks for it as OAuth 2.0 defines (client_credentials, client
// Basic auth), reuses it while it is valid, gets a new one when the webhook
// answers 401, and fails the attempt without calling the webhook when no
// token can be had.
func TestWebhookOAuthBearerToken(t *testing.T) {
	e := newEnv(t, 0)
	c := e.newAccount().secret
	ts := newTokenServer(t, 3600)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 3 {
			w.WriteHeader(http.StatusUnauthorized) // the merchant revoked token-1
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	var h struct {
		ID            string            `json:"id"`
		TransportType string            `json:"transportType"`
		OAuth         map[string]string `json:"oauth"`
	}
	c.must("POST", "/webhooks", map[string]any{"address": rc.url, "types": []string{"customer.created"}, "transportType": "OAUTH",
		"oauth": map[string]string{"tokenEndPoint": ts.url, "clientID": "drsim-client", "clientSecret": "client secret"}}, http.StatusCreated, &h)
	if h.TransportType != "OAUTH" || h.OAuth["tokenEndPoint"] != ts.url || h.OAuth["clientSecret"] != "client secret" {
		t.Fatalf("created %+v; want OAUTH with its oauth shown (DR shows clientSecret decrypted)", h)
	}
	bearer := func(m received) string { return m.header.Get("Authorization") }

	c.createCustomer("o1@example.test")
	if got := bearer(rc.next(t, "first customer.created")); got != "Bearer token-1" {
		t.Fatalf("first callback Authorization %q; want Bearer token-1", got)
	}
	c.createCustomer("o2@example.test")
	if got := bearer(rc.next(t, "second customer.created")); got != "Bearer token-1" {
		t.Fatalf("second callback Authorization %q; want the same token reused", got)
	}
	if issued, forms := ts.counts(); issued != 1 || forms[0] != "grant_type=client_credentials" {
		t.Fatalf("token endpoint issued %d tokens for forms %v; want 1 for grant_type=client_credentials", issued, forms)
	}
	// The third delivery is answered 401: the token is dropped, and the
	// retry carries a new one.
	c.createCustomer("o3@example.test")
	first := rc.next(t, "third customer.created")
	c.deliveries("?webhookId=" + h.ID + "&min=3&wait=5s") // the 401 is recorded and its retry waits
	c.must("POST", "/_sim/deliveries/retry", map[string]any{}, http.StatusOK, nil)
	retry := rc.next(t, "the retry after 401")
	if bearer(first) != "Bearer token-1" || bearer(retry) != "Bearer token-2" {
		t.Fatalf("401 then retry: Authorization %q then %q; want token-1 then a new token-2", bearer(first), bearer(retry))
	}

	// No token to be had (a new token endpoint that answers 503): the
	// attempt fails without calling the webhook.
	ts.mu.Lock()
	ts.status = http.StatusServiceUnavailable
	ts.mu.Unlock()
	c.must("PATCH", "/webhooks/"+h.ID, map[string]any{"oauth": map[string]string{"tokenEndPoint": ts.url + "?tenant=2", "clientID": "drsim-client", "clientSecret": "client secret"}}, http.StatusOK, nil)
	c.createCustomer("o4@example.test")
	atts := c.deliveries("?webhookId=" + h.ID + "&min=5&wait=5s")
	if len(atts) < 5 {
		t.Fatalf("%d attempts recorded, want 5", len(atts))
	}
	if last := atts[4]; last.Delivered || last.Status != 0 || !strings.Contains(last.Error, "tokenEndPoint") {
		t.Fatalf("attempt without a token: %+v; want a failure naming the token endpoint, no status", last)
	}
	select {
	case m := <-rc.got:
		t.Fatalf("the webhook was called without a token: %s", m.body)
	default:
	}
}
