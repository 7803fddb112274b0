package othermerchant

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/drsim/drsim/simulator"
)

// shop starts the simulator and the shop (whose SMTP server is never
// reached in these tests) and returns the shop and a DR customer's email.
func shop(t *testing.T) (*Server, string) {
	t.Helper()
	sim, err := simulator.Start(simulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	const key = "sk_test_shoptest000000000000000"
	post := func(path string, body any, auth bool) {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", sim.URL()+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if auth {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			t.Fatalf("POST %s: %d", path, resp.StatusCode)
		}
	}
	post("/_sim/accounts", map[string]string{"secretKey": key}, false)
	email := "anna@example.test"
	post("/customers", map[string]string{"email": email}, true)
	s, err := Start(Config{SigningSecret: "geheim", DRBaseURL: sim.URL(), DRSecretKey: key, SMTPAddr: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, email
}

// browser keeps cookies and does not follow redirects, to see them.
func browser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func do(t *testing.T, c *http.Client, method, u string, header http.Header, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

var form = http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}

func TestAccountNeedsASession(t *testing.T) {
	s, email := shop(t)
	c := browser(t)
	for _, tc := range []struct{ method, path string }{
		{"GET", "/konto"},
		{"GET", "/konto/bestellungen/123"},
		{"POST", "/konto/bestellungen/123/stornieren"},
		{"POST", "/konto/bestellungen/123/ruecksendung"},
		{"POST", "/konto/zahlungsarten"},
		{"POST", "/konto/abos/sub_1/kuendigen"},
	} {
		resp := do(t, c, tc.method, s.URL()+tc.path, form, "")
		want := "/konto/anmelden?" + url.Values{"weiter": {tc.path}}.Encode()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
			t.Errorf("%s %s without a session: %d to %q, want 303 to %q", tc.method, tc.path, resp.StatusCode, resp.Header.Get("Location"), want)
		}
	}

	resp := do(t, c, "POST", s.URL()+"/konto/anmelden", form, "adresse=niemand%40example.test")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("sign-in with an unknown address: %d, want 401", resp.StatusCode)
	}
	resp = do(t, c, "POST", s.URL()+"/konto/anmelden", form, url.Values{"adresse": {email}, "weiter": {"/konto/zahlungsarten"}}.Encode())
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/konto/zahlungsarten" {
		t.Fatalf("sign-in: %d to %q, want 303 to /konto/zahlungsarten", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp := do(t, c, "GET", s.URL()+"/konto/zahlungsarten", nil, ""); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /konto/zahlungsarten signed in: %d, want 200", resp.StatusCode)
	}
	if resp := do(t, c, "GET", s.URL()+"/konto/bestellungen/999999990336", nil, ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET an unknown order signed in: %d, want 404", resp.StatusCode)
	}
}

func TestWarehouseNeedsItsCredentials(t *testing.T) {
	s, _ := shop(t)
	c := browser(t)
	json := http.Header{"Content-Type": {"application/json"}}
	for _, auth := range []string{"", "Basic bGFnZXI6ZmFsc2No", "Bearer drsim-admin"} {
		h := json.Clone()
		if auth != "" {
			h.Set("Authorization", auth)
		}
		if resp := do(t, c, "POST", s.URL()+"/lager/bestellungen/1/versand", h, `{}`); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("ship with Authorization %q: %d, want 401", auth, resp.StatusCode)
		}
	}
	h := json.Clone()
	h.Set("Authorization", "Basic bGFnZXI6d2FsZHdlZw==")
	if resp := do(t, c, "POST", s.URL()+"/lager/bestellungen/1/versand", h, `{"positionen":[]}`); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("ship nothing with the credentials: %d, want 400", resp.StatusCode)
	}
}

func TestWebhookVerifiesBeforeActing(t *testing.T) {
	s, _ := shop(t)
	c := browser(t)
	body := `{"id":"evt_9","type":"order.pending_payment","createdTime":"2026-12-01T10:00:00Z","data":{"object":{}}}`
	for _, tc := range []struct {
		name, sig string
		want      int
	}{
		{"unsigned", "", http.StatusUnauthorized},
		{"wrong secret", sign("falsch", time.Now(), []byte(body)), http.StatusUnauthorized},
		{"signed", sign("geheim", time.Now(), []byte(body)), http.StatusOK},
	} {
		h := http.Header{"Content-Type": {"application/json"}}
		if tc.sig != "" {
			h.Set("DigitalRiver-Signature", tc.sig)
		}
		if resp := do(t, c, "POST", s.WebhookURL(), h, body); resp.StatusCode != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, resp.StatusCode, tc.want)
		}
	}
}
