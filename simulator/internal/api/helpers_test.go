package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/drsim/drsim/simulator/internal/api"
	"github.com/drsim/drsim/simulator/internal/delivery"
	"github.com/drsim/drsim/simulator/internal/state"
	"github.com/drsim/drsim/simulator/internal/wire"
)

// wait bounds every wait on a channel in these tests.
const wait = 5 * time.Second

// env is one simulator served over loopback by httptest.
type env struct {
	t       *testing.T
	url     string
	handler *api.Handler
	engine  *delivery.Engine
	store   *state.Store
}

// newEnv starts a simulator whose webhook attempts time out after timeout
// (DR's default when 0).
func newEnv(t *testing.T, timeout time.Duration) *env {
	t.Helper()
	engine := delivery.New(delivery.Options{Timeout: timeout})
	store := state.NewStore(engine, time.Now)
	h := api.New(store, engine, nil)
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		engine.Close()
	})
	return &env{t: t, url: srv.URL, handler: h, engine: engine, store: store}
}

// client calls the simulator with one Authorization header ("" sends none).
type client struct {
	e    *env
	auth string
}

// on returns the client reporting to t (a subtest's own T).
func (c client) on(t *testing.T) client {
	e := *c.e
	e.t = t
	return client{e: &e, auth: c.auth}
}

// account is a fresh tenant from POST /_sim/accounts.
type account struct {
	secret, public client
	keys           state.Keys
}

func (e *env) newAccount() account {
	e.t.Helper()
	var keys state.Keys
	client{e: e}.must("POST", "/_sim/accounts", "", http.StatusCreated, &keys)
	if !strings.HasPrefix(keys.SecretKey, "sk_test_") || !strings.HasPrefix(keys.PublicKey, "pk_test_") {
		e.t.Fatalf("POST /_sim/accounts gave keys %+v, want sk_test_… and pk_test_…", keys)
	}
	return account{secret: e.as(keys.SecretKey), public: e.as(keys.PublicKey), keys: keys}
}

// as is a client sending "Authorization: Bearer <key>".
func (e *env) as(key string) client { return client{e: e, auth: "Bearer " + key} }

// do sends a request and returns the status and the raw body. body is sent
// verbatim when it is a string or []byte, as JSON otherwise, and not at all
// when nil.
func (c client) do(method, path string, body any) (int, []byte) {
	c.e.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			c.e.t.Fatalf("encode %s %s body: %v", method, path, err)
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.e.url+path, r)
	if err != nil {
		c.e.t.Fatalf("build %s %s: %v", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		c.e.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return resp.StatusCode, raw
}

// must sends a request, fails the test unless the status is want, and
// decodes the body into out (when out is not nil). It returns the raw body.
func (c client) must(method, path string, body any, want int, out any) []byte {
	c.e.t.Helper()
	status, raw := c.do(method, path, body)
	if status != want {
		c.e.t.Fatalf("%s %s: status %d, want %d; body: %s", method, path, status, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			c.e.t.Fatalf("%s %s: decode %T: %v; body: %s", method, path, out, err, raw)
		}
	}
	return raw
}

// drError is DR's error body, decoded strictly.
type drError struct {
	Type   string `json:"type"`
	Errors []struct {
		Code      string `json:"code"`
		Parameter string `json:"parameter"`
		Message   string `json:"message"`
	} `json:"errors"`
}

// errorTypes maps a status to DR's error type (docs/dr-api.md#errors).
var errorTypes = map[int]string{
	400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
	405: "method_not_allowed", 408: "request_timeout", 409: "conflict", 429: "too_many_requests",
}

// parseError decodes raw as DR's error shape and checks its type against
// status; it reports what is wrong, or "" when the body is well formed.
func parseError(status int, raw []byte) (drError, string) {
	var e drError
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return e, "body is not DR's error shape: " + err.Error()
	}
	if want := errorTypes[status]; e.Type != want {
		return e, "type " + e.Type + ", want " + want
	}
	if len(e.Errors) == 0 {
		return e, "errors is empty"
	}
	for _, d := range e.Errors {
		if d.Message == "" {
			return e, "an error has no message"
		}
	}
	return e, ""
}

// mustError sends a request that must fail with status, code and parameter.
func (c client) mustError(method, path string, body any, status int, code, param string) drError {
	c.e.t.Helper()
	got, raw := c.do(method, path, body)
	if got != status {
		c.e.t.Fatalf("%s %s: status %d, want %d; body: %s", method, path, got, status, raw)
	}
	e, problem := parseError(status, raw)
	if problem != "" {
		c.e.t.Fatalf("%s %s: %s; body: %s", method, path, problem, raw)
	}
	if e.Errors[0].Code != code || e.Errors[0].Parameter != param {
		c.e.t.Fatalf("%s %s: code %q parameter %q, want %q %q; body: %s", method, path, e.Errors[0].Code, e.Errors[0].Parameter, code, param, raw)
	}
	return e
}

// Resource views: only the fields the tests read.

type idOnly struct {
	ID string `json:"id"`
}

type page[T any] struct {
	HasMore bool `json:"hasMore"`
	Data    []T  `json:"data"`
}

type event struct {
	ID          string          `json:"id"`
	Type        string          `json:"type"`
	CreatedTime time.Time       `json:"createdTime"`
	WebhookIDs  []string        `json:"webhookIds"`
	Data        json.RawMessage `json:"data"`
}

func (ev event) object(t *testing.T, out any) {
	t.Helper()
	var d struct {
		Object json.RawMessage `json:"object"`
	}
	if err := json.Unmarshal(ev.Data, &d); err != nil {
		t.Fatalf("event %s: data: %v", ev.ID, err)
	}
	if err := json.Unmarshal(pairTimesAsRFC3339(t, d.Object), out); err != nil {
		t.Fatalf("event %s: data.object: %v", ev.ID, err)
	}
}

// pairTimesAsRFC3339 rewrites the dates DR writes in the pair events' form
// ("2022-08-25T21:09:39.061+0000") as RFC 3339, so that they decode into time.Time.
func pairTimesAsRFC3339(t *testing.T, raw []byte) []byte {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("object: %v", err)
	}
	var walk func(any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				x[k] = walk(e)
			}
		case []any:
			for i, e := range x {
				x[i] = walk(e)
			}
		case string:
			if tm, err := time.Parse(wire.PairTimeLayout, x); err == nil {
				return tm.Format(time.RFC3339Nano)
			}
		}
		return v
	}
	out, err := json.Marshal(walk(v))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

type source struct {
	ID           string `json:"id"`
	ClientSecret string `json:"clientSecret"`
	Type         string `json:"type"`
	State        string `json:"state"`
	Reusable     bool   `json:"reusable"`
	CustomerID   string `json:"customerId"`
	CreditCard   struct {
		Brand           string `json:"brand"`
		ExpirationMonth int    `json:"expirationMonth"`
		ExpirationYear  int    `json:"expirationYear"`
		LastFourDigits  string `json:"lastFourDigits"`
	} `json:"creditCard"`
}

type customer struct {
	ID              string   `json:"id"`
	Email           string   `json:"email"`
	DefaultSourceID string   `json:"defaultSourceId"`
	Sources         []source `json:"sources"`
}

type order struct {
	ID               string               `json:"id"`
	State            string               `json:"state"`
	TotalAmount      float64              `json:"totalAmount"`
	StateTransitions map[string]time.Time `json:"stateTransitions"`
}

type attempt struct {
	Seq             int    `json:"seq"`
	EventID         string `json:"eventId"`
	EventType       string `json:"eventType"`
	WebhookID       string `json:"webhookId"`
	Signature       string `json:"signature"`
	Forged          string `json:"forged"`
	Status          int    `json:"status"`
	Delivered       bool   `json:"delivered"`
	ResponseExcerpt string `json:"responseExcerpt"`
	Error           string `json:"error"`
}

// Builders for the resources most tests need.

func (c client) createSKU(name string) string {
	c.e.t.Helper()
	var s idOnly
	c.must("POST", "/skus", map[string]any{"name": name, "description": name + " description"}, http.StatusCreated, &s)
	return s.ID
}

func (c client) createCustomer(email string) string {
	c.e.t.Helper()
	var cu idOnly
	c.must("POST", "/customers", map[string]any{"email": email}, http.StatusCreated, &cu)
	return cu.ID
}

func (c client) createCard(number string) source {
	c.e.t.Helper()
	var s source
	c.must("POST", "/sources", map[string]any{
		"type":       "creditCard",
		"owner":      map[string]any{"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.test"},
		"creditCard": map[string]any{"number": number, "expirationMonth": 7, "expirationYear": 2031, "cvv": "123"},
	}, http.StatusCreated, &s)
	return s
}

// placeOrder is POST /_sim/orders for one item of sku: 2 × 10.00.
func (c client) placeOrder(customerID, skuID string) order {
	c.e.t.Helper()
	var o order
	c.must("POST", "/_sim/orders", map[string]any{
		"customerId": customerID,
		"items":      []map[string]any{{"skuId": skuID, "quantity": 2, "price": 10.0, "taxRate": 0.0805}},
		"shipping":   map[string]any{"amount": 5.0, "taxAmount": 0.40},
	}, http.StatusCreated, &o)
	return o
}

func (c client) accept(orderID string) order {
	c.e.t.Helper()
	var o order
	c.must("POST", "/_sim/orders/"+orderID+"/accept", nil, http.StatusOK, &o)
	return o
}

func (c client) createWebhook(address string, types ...string) string {
	c.e.t.Helper()
	var w idOnly
	c.must("POST", "/webhooks", map[string]any{"address": address, "types": types}, http.StatusCreated, &w)
	return w.ID
}

func (c client) events(query string) page[event] {
	c.e.t.Helper()
	var p page[event]
	c.must("GET", "/events"+query, nil, http.StatusOK, &p)
	return p
}

func (c client) deliveries(query string) []attempt {
	c.e.t.Helper()
	var p page[attempt]
	c.must("GET", "/_sim/deliveries"+query, nil, http.StatusOK, &p)
	return p.Data
}
