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
func shop(t *testing.T, defects ...string) (*Server, string) {
	s, e := shopAndDR(t, defects...)
	return s, e.email
}

// drEnv is the simulator the shop talks to, and a customer there.
type drEnv struct {
	url, key, email, customerID string
}

// call sends a JSON request to the simulator with key and decodes the answer into out.
func (e drEnv) call(t *testing.T, method, path, key string, in, out any) {
	t.Helper()
	var body *bytes.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	} else {
		body = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, e.url+path, body)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d", method, path, resp.StatusCode)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

func shopAndDR(t *testing.T, defects ...string) (*Server, drEnv) {
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
	e := drEnv{url: sim.URL(), key: key, email: "anna@example.test"}
	var c struct {
		ID string `json:"id"`
	}
	e.call(t, "POST", "/customers", key, map[string]string{"email": e.email}, &c)
	e.customerID = c.ID
	s, err := Start(Config{SigningSecret: "geheim", DRBaseURL: sim.URL(), DRSecretKey: key, SMTPAddr: "127.0.0.1:1", Defects: defects})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, e
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

// The account's and the warehouse's subscription endpoints act at DR (and,
// with their defects, do not).
func TestSubscriptionEndpointsActAtDR(t *testing.T) {
	for _, tc := range []struct {
		defect                         string
		wantPlan, wantSource, wantStop bool
	}{
		{"", true, true, true},
		{DefectPlanChangeNoop, false, true, true},
		{DefectCardNotOnSubscription, true, false, true},
		{DefectSubscriptionCancelNoop, true, true, false},
	} {
		t.Run(cmpOr(tc.defect, "no defect"), func(t *testing.T) {
			var defects []string
			if tc.defect != "" {
				defects = []string{tc.defect}
			}
			s, e := shopAndDR(t, defects...)
			var gold, platin struct {
				ID string `json:"id"`
			}
			plan := func(name string) map[string]any {
				return map[string]any{"name": name, "terms": name + ": monatlich", "interval": "month", "intervalCount": 1,
					"reminderOffsetDays": 7, "billingOffsetDays": 0, "collectionPeriodDays": 8, "state": "active"}
			}
			e.call(t, "POST", "/plans", e.key, plan("Gold"), &gold)
			e.call(t, "POST", "/plans", e.key, plan("Platin"), &platin)
			e.call(t, "PUT", "/skus/sku_kaffee", e.key, map[string]any{"name": "Kaffee-Abo", "physical": false}, nil)
			var o struct {
				ID    string `json:"id"`
				Items []struct {
					SubscriptionInfo struct {
						SubscriptionID string `json:"subscriptionId"`
					} `json:"subscriptionInfo"`
				} `json:"items"`
			}
			e.call(t, "POST", "/_sim/orders", e.key, map[string]any{"customerId": e.customerID, "currency": "EUR", "items": []map[string]any{{
				"skuId": "sku_kaffee", "quantity": 1, "price": 9.99, "taxRate": 0.19,
				"subscriptionInfo": map[string]any{"planId": gold.ID, "terms": "Gold", "autoRenewal": true},
			}}}, &o)
			e.call(t, "POST", "/_sim/orders/"+o.ID+"/accept", e.key, nil, nil)
			subID := o.Items[0].SubscriptionInfo.SubscriptionID
			sub := func() (state, planID, sourceID string) {
				var v struct{ State, PlanID, SourceID string }
				e.call(t, "GET", "/subscriptions/"+subID, e.key, nil, &v)
				return v.State, v.PlanID, v.SourceID
			}
			if st, _, _ := sub(); st == "draft" { // no webhook here: activate as the shop would
				e.call(t, "POST", "/subscriptions/"+subID, e.key, map[string]string{"state": "active"}, nil)
			}

			c := browser(t)
			if resp := do(t, c, "POST", s.URL()+"/konto/anmelden", form, "adresse="+url.QueryEscape(e.email)); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("sign-in: %d", resp.StatusCode)
			}
			lager := http.Header{"Content-Type": {"application/json"}, "Authorization": {"Basic bGFnZXI6d2FsZHdlZw=="}}
			if resp := do(t, c, "POST", s.URL()+"/lager/abos/"+subID+"/tarif", lager, `{"tarif":"`+platin.ID+`"}`); resp.StatusCode != http.StatusOK {
				t.Fatalf("plan change: %d", resp.StatusCode)
			}
			if _, p, _ := sub(); (p == platin.ID) != tc.wantPlan {
				t.Errorf("after the plan change the plan is %s (Platin is %s); want moved: %v", p, platin.ID, tc.wantPlan)
			}

			var keys struct {
				PublicKey string `json:"publicKey"`
			}
			e.call(t, "GET", "/_sim/account", e.key, nil, &keys)
			var src struct {
				ID string `json:"id"`
			}
			e.call(t, "POST", "/sources", keys.PublicKey, map[string]any{"type": "creditCard",
				"creditCard": map[string]any{"number": "5466160000000008", "expirationMonth": 12, "expirationYear": time.Now().Year() + 3}}, &src)
			resp := do(t, c, "POST", s.URL()+"/konto/zahlungsarten", form, url.Values{"quelle": {src.ID}, "abo": {subID}}.Encode())
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("save a card for the subscription: %d", resp.StatusCode)
			}
			if _, _, got := sub(); (got == src.ID) != tc.wantSource {
				t.Errorf("after saving card %s for it, the subscription's source is %q; want it on: %v", src.ID, got, tc.wantSource)
			}

			if resp := do(t, c, "POST", s.URL()+"/konto/abos/"+subID+"/kuendigen", form, "bestaetigt=ja"); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("cancel: %d", resp.StatusCode)
			}
			if st, _, _ := sub(); (st == "cancelled") != tc.wantStop {
				t.Errorf("after cancelling, the subscription is %s; want cancelled: %v", st, tc.wantStop)
			}
		})
	}
}
