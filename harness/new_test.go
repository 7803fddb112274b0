package harness_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/drsim/drsim/fixtures"
	"github.com/drsim/drsim/harness"
	"github.com/drsim/drsim/harness/catalogue"
	"github.com/drsim/drsim/harness/mailbox"
	"github.com/drsim/drsim/harness/profile"
)

// fakeSim is an httptest fake of the simulator's calls harness.New makes:
// an unknown key at first (401), then an account, a webhook list, webhook
// create/update and the secret.
type fakeSim struct {
	mu       sync.Mutex
	accounts map[string]bool
	hooks    []map[string]any
	calls    []string
	secret   string
}

func (f *fakeSim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, r.Method+" "+r.URL.Path)
	key := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	var body map[string]any
	_ = json.NewDecoder(r.Body).Decode(&body)
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path == "/_sim/accounts" {
		f.accounts[body["secretKey"].(string)] = true
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"accountId":"a1","secretKey":%q,"publicKey":"pk_test_x"}`, body["secretKey"])
		return
	}
	if !f.accounts[key] {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"type":"unauthorized","errors":[{"message":"An authorization error has occurred."}]}`)
		return
	}
	switch {
	case r.Method == "GET" && r.URL.Path == "/_sim/clock":
		fmt.Fprint(w, `{"now":"2026-12-01T00:00:00Z"}`)
	case r.Method == "GET" && r.URL.Path == "/webhooks":
		b, _ := json.Marshal(map[string]any{"hasMore": false, "data": f.hooks})
		_, _ = w.Write(b)
	case r.Method == "POST" && r.URL.Path == "/webhooks":
		body["id"] = fmt.Sprintf("wh%d", len(f.hooks)+1)
		f.hooks = append(f.hooks, body)
		w.WriteHeader(http.StatusCreated)
		b, _ := json.Marshal(body)
		_, _ = w.Write(b)
	case r.Method == "PATCH" && strings.HasPrefix(r.URL.Path, "/webhooks/"):
		for _, h := range f.hooks {
			if h["id"] == strings.TrimPrefix(r.URL.Path, "/webhooks/") {
				b, _ := json.Marshal(h)
				_, _ = w.Write(b)
				return
			}
		}
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"type":"not_found","errors":[{"code":"not_found","message":"no"}]}`)
	case r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/secret"):
		f.secret, _ = body["secret"].(string)
		fmt.Fprintf(w, `{"secret":%q}`, f.secret)
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"type":"not_found","errors":[{"code":"not_found","message":"no"}]}`)
	}
}

func testConfig(t *testing.T, simURL string) harness.Config {
	t.Helper()
	cat, err := catalogue.Parse("notifications.yaml", fixtures.Notifications())
	if err != nil {
		t.Fatal(err)
	}
	prof, err := profile.Parse("reference-merchant.yaml", fixtures.ReferenceProfile())
	if err != nil {
		t.Fatal(err)
	}
	prof.Webhook.URL = "http://shop.example.test/webhooks"
	mb := mailbox.NewClient("http://127.0.0.1:1")
	t.Cleanup(func() { _ = mb.Close() })
	return harness.Config{Profile: prof, Catalogue: cat, SimulatorURL: simURL, Mailbox: mb}
}

// New creates the account for the profile's key when the simulator does not
// know it, registers the webhooks once (the triggers' and ObservedTypes';
// a second New updates them), and sets the profile's signing secret.
func TestNewArrangesAccountWebhookAndSecret(t *testing.T) {
	f := &fakeSim{accounts: map[string]bool{}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	cfg := testConfig(t, srv.URL+"/")
	h, err := harness.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if h.WebhookID() != "wh1" || f.secret != cfg.Profile.Webhook.SigningSecret {
		t.Fatalf("webhook %q, secret %q; want wh1 signed with the profile's secret", h.WebhookID(), f.secret)
	}
	if _, err := harness.New(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(f.calls, ", ")
	for _, want := range []string{"POST /_sim/accounts", "POST /webhooks", "PATCH /webhooks/wh1", "POST /_sim/webhooks/wh1/secret", "PATCH /webhooks/wh2", "POST /_sim/webhooks/wh2/secret"} {
		if !strings.Contains(joined, want) {
			t.Errorf("calls %s: missing %s", joined, want)
		}
	}
	if n := strings.Count(joined, "POST /webhooks,"); n > 2 || len(f.hooks) != 2 {
		t.Errorf("registered %d webhooks, want the two reused: %s", len(f.hooks), joined)
	}
}

// New says which part of the configuration is missing, and that the
// simulator cannot be reached.
func TestNewRefusesBadConfigAndUnreachableSimulator(t *testing.T) {
	full := testConfig(t, "http://127.0.0.1:1")
	for name, mutate := range map[string]func(*harness.Config){
		"Profile":      func(c *harness.Config) { c.Profile = nil },
		"Catalogue":    func(c *harness.Config) { c.Catalogue = nil },
		"SimulatorURL": func(c *harness.Config) { c.SimulatorURL = "" },
		"Mailbox":      func(c *harness.Config) { c.Mailbox = nil },
	} {
		cfg := full
		mutate(&cfg)
		if _, err := harness.New(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("without %s: %v, want an error naming it", name, err)
		}
	}
	if _, err := harness.New(context.Background(), full); err == nil || !strings.Contains(err.Error(), "reach the simulator at http://127.0.0.1:1") {
		t.Errorf("unreachable simulator: %v", err)
	}
}

// A profile's words are checked against the catalogue: an attribute that
// takes none fails New, naming the profile's line and what it has; words
// the catalogue takes make a harness.
func TestNewChecksProfileWords(t *testing.T) {
	f := &fakeSim{accounts: map[string]bool{}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	cfg := testConfig(t, srv.URL)
	for _, tc := range []struct{ yaml, wantErr string }{
		{"    words: {orderId: [x]}\n", `notifications.failed-cancellation.words.orderId: failed-cancellation has no attribute "orderId" matched by words (those it has: reason)`},
		{"    words: {reason: []}\n", "notifications.failed-cancellation.words.reason: give one or more words, none empty"},
		{"    words: {reason: [kiszállítva]}\n", ""},
	} {
		const entry = "  failed-cancellation:\n    subject: '^We could not cancel order'\n"
		src := strings.Replace(string(fixtures.ReferenceProfile()), entry, entry+tc.yaml, 1)
		prof, err := profile.Parse("words.yaml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		prof.Webhook.URL = cfg.Profile.Webhook.URL
		c := cfg
		c.Profile = prof
		_, err = harness.New(context.Background(), c)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tc.yaml, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "[24:")):
			t.Errorf("%s: err %v, want %q at the profile's line 24", tc.yaml, err, tc.wantErr)
		}
	}
}

// A profile's webhook.authentication (or webhook.oauth) registers the
// webhook with DR's authentication (or transportType OAUTH and oauth), so
// the simulator's callbacks carry the credentials the merchant's endpoint
// wants.
func TestNewRegistersTheWebhooksCallbackAuthentication(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(*profile.Webhook)
		want string
	}{
		{"basic", func(w *profile.Webhook) {
			w.Authentication = &profile.WebhookAuthentication{UserName: "dr", Password: "pw"}
		}, `"authentication":{"password":"pw","userName":"dr"}`},
		{"oauth", func(w *profile.Webhook) {
			w.OAuth = &profile.WebhookOAuth{TokenEndPoint: "http://shop.example.test/token", ClientID: "id", ClientSecret: "s"}
		}, `"oauth":{"clientID":"id","clientSecret":"s","tokenEndPoint":"http://shop.example.test/token"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeSim{accounts: map[string]bool{}}
			srv := httptest.NewServer(f)
			defer srv.Close()
			cfg := testConfig(t, srv.URL+"/")
			tc.set(&cfg.Profile.Webhook)
			if _, err := harness.New(context.Background(), cfg); err != nil {
				t.Fatal(err)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			b, _ := json.Marshal(f.hooks[0])
			if !strings.Contains(string(b), tc.want) {
				t.Fatalf("registered %s; want it to carry %s", b, tc.want)
			}
			if tc.name == "oauth" && !strings.Contains(string(b), `"transportType":"OAUTH"`) {
				t.Fatalf("registered %s; want transportType OAUTH", b)
			}
		})
	}
}
