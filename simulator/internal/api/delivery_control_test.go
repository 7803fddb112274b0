package api_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drsim/drsim/simulator/internal/api"
	"github.com/drsim/drsim/simulator/internal/delivery"
	"github.com/drsim/drsim/simulator/internal/state"
	"github.com/drsim/drsim/simulator/signature"
)

// The control routes of delivery_control.go join the bad-request table.
func init() { badRows = append(badRows, deliveryBadRows...) }

var deliveryBadRows = []badRow{
	{route: "GET /_sim/webhooks/{id}/secret", name: "unknown webhook (secrets view)", path: "/_sim/webhooks/nope/secret", status: 404, code: "not_found", param: "id"},
	{route: "POST /_sim/webhooks/{id}/secret/rotate", name: "unknown webhook", path: "/_sim/webhooks/nope/secret/rotate", body: `{}`, status: 404, code: "not_found", param: "id"},
	{route: "POST /_sim/webhooks/{id}/secret/rotate", name: "oldValidFor not a duration", path: "/_sim/webhooks/{hook}/secret/rotate", body: `{"oldValidFor":"a day"}`, status: 400, code: "invalid_parameter", param: "oldValidFor"},
	{route: "POST /_sim/webhooks/{id}/secret/rotate", name: "oldValidFor negative", path: "/_sim/webhooks/{hook}/secret/rotate", body: `{"oldValidFor":"-1h"}`, status: 400, code: "invalid_parameter", param: "oldValidFor"},
	{route: "POST /_sim/webhooks/{id}/secret/rotate", name: "secret is a number", path: "/_sim/webhooks/{hook}/secret/rotate", body: `{"secret":5}`, status: 400, code: "invalid_parameter", param: "secret"},
	{route: "POST /_sim/webhooks/{id}/secret/rotate", name: "unknown field", path: "/_sim/webhooks/{hook}/secret/rotate", body: `{"validFor":"1h"}`, status: 400, code: "invalid_parameter", param: "validFor"},
	{route: "GET /_sim/webhooks/{id}/delivery", name: "unknown webhook", path: "/_sim/webhooks/nope/delivery", status: 404, code: "not_found", param: "id"},
	{route: "POST /_sim/deliveries/retry", name: "unknown webhookId", path: "/_sim/deliveries/retry", body: `{"webhookId":"nope"}`, status: 404, code: "not_found", param: "id"},
	{route: "POST /_sim/deliveries/retry", name: "bad JSON", path: "/_sim/deliveries/retry", body: `{"webhookId":`, status: 400, code: "invalid_parameter"},
	{route: "GET /_sim/faults/{id}", name: "unknown fault", path: "/_sim/faults/nope", status: 404, code: "not_found", param: "id"},
	{route: "GET /_sim/faults/{id}", name: "held not a number", path: "/_sim/faults/nope?held=x&wait=1s", status: 400, code: "invalid_parameter", param: "held"},
	{route: "GET /_sim/faults/{id}", name: "wait over the bound", path: "/_sim/faults/nope?held=1&wait=1h", status: 400, code: "invalid_parameter", param: "wait"},
	{route: "POST /_sim/faults/{id}/release", name: "unknown fault", path: "/_sim/faults/nope/release", body: `{}`, status: 404, code: "not_found", param: "id"},
	{route: "POST /_sim/faults/{id}/release", name: "order is a number", path: "/_sim/faults/nope/release", body: `{"order":1}`, status: 400, code: "invalid_parameter", param: "order"},
	{route: "POST /_sim/faults", name: "hold with a status", path: "/_sim/faults", body: `{"hold":true,"status":500}`, status: 400, code: "invalid_parameter", param: "hold"},
	{route: "POST /_sim/faults", name: "status and timeout", path: "/_sim/faults", body: `{"status":500,"timeout":true}`, status: 400, code: "invalid_parameter", param: "status"},
	{route: "POST /_sim/faults", name: "latency not a duration", path: "/_sim/faults", body: `{"latency":"soon"}`, status: 400, code: "invalid_parameter", param: "latency"},
	{route: "POST /_sim/faults", name: "latency over the bound", path: "/_sim/faults", body: `{"latency":"1h"}`, status: 400, code: "invalid_parameter", param: "latency"},
	{route: "POST /_sim/faults", name: "held set by the client", path: "/_sim/faults", body: `{"hold":true,"held":2}`, status: 400, code: "invalid_parameter", param: "id"},
	{route: "POST /_sim/api-faults", name: "missing path", path: "/_sim/api-faults", body: `{"status":500}`, status: 400, code: "missing_parameter", param: "path"},
	{route: "POST /_sim/api-faults", name: "bad glob", path: "/_sim/api-faults", body: `{"path":"/skus/[","status":500}`, status: 400, code: "invalid_parameter", param: "path"},
	{route: "POST /_sim/api-faults", name: "relative path", path: "/_sim/api-faults", body: `{"path":"skus","status":500}`, status: 400, code: "invalid_parameter", param: "path"},
	{route: "POST /_sim/api-faults", name: "control API path", path: "/_sim/api-faults", body: `{"path":"/_sim/clock","status":500}`, status: 400, code: "invalid_parameter", param: "path"},
	{route: "POST /_sim/api-faults", name: "status 200", path: "/_sim/api-faults", body: `{"path":"/skus","status":200}`, status: 400, code: "invalid_parameter", param: "status"},
	{route: "POST /_sim/api-faults", name: "neither status nor delay", path: "/_sim/api-faults", body: `{"path":"/skus"}`, status: 400, code: "missing_parameter", param: "status"},
	{route: "POST /_sim/api-faults", name: "retryAfter without status", path: "/_sim/api-faults", body: `{"path":"/skus","delay":"1ms","retryAfter":"2s"}`, status: 400, code: "invalid_parameter", param: "retryAfter"},
	{route: "POST /_sim/api-faults", name: "retryAfter not a duration", path: "/_sim/api-faults", body: `{"path":"/skus","status":429,"retryAfter":"2"}`, status: 400, code: "invalid_parameter", param: "retryAfter"},
	{route: "POST /_sim/api-faults", name: "delay over the bound", path: "/_sim/api-faults", body: `{"path":"/skus","delay":"1h"}`, status: 400, code: "invalid_parameter", param: "delay"},
	{route: "POST /_sim/api-faults", name: "unknown method", path: "/_sim/api-faults", body: `{"path":"/skus","method":"FETCH","status":500}`, status: 400, code: "invalid_parameter", param: "method"},
	{route: "POST /_sim/api-faults", name: "negative count", path: "/_sim/api-faults", body: `{"path":"/skus","status":500,"count":-1}`, status: 400, code: "invalid_parameter", param: "count"},
	{route: "POST /_sim/api-faults", name: "id set by the client", path: "/_sim/api-faults", body: `{"id":"apf_9","path":"/skus","status":500}`, status: 400, code: "invalid_parameter", param: "id"},
	{route: "GET /_sim/api-faults/{id}", name: "unknown API fault", path: "/_sim/api-faults/nope", status: 404, code: "not_found", param: "id"},
}

// newEnvWith starts a simulator whose delivery engine has options o.
func newEnvWith(t *testing.T, o delivery.Options) *env {
	t.Helper()
	engine := delivery.New(o)
	store := state.NewStore(engine, time.Now)
	h := api.New(store, engine, nil)
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		engine.Close()
	})
	return &env{t: t, url: srv.URL, handler: h, engine: engine, store: store}
}

// fullAttempt is an attempt with the retry fields.
type fullAttempt struct {
	Seq             int        `json:"seq"`
	EventID         string     `json:"eventId"`
	WebhookID       string     `json:"webhookId"`
	Attempt         int        `json:"attempt"`
	Time            time.Time  `json:"time"`
	Signature       string     `json:"signature"`
	Status          int        `json:"status"`
	Delivered       bool       `json:"delivered"`
	Error           string     `json:"error"`
	Fault           string     `json:"fault"`
	NextRetryAt     *time.Time `json:"nextRetryAt"`
	RetryDelay      string     `json:"retryDelay"`
	GaveUp          bool       `json:"gaveUp"`
	Parked          bool       `json:"parked"`
	DisabledWebhook bool       `json:"disabledWebhook"`
}

func (c client) attempts(query string, min int) []fullAttempt {
	c.e.t.Helper()
	var p page[fullAttempt]
	c.must("GET", "/_sim/deliveries?"+query+"&min="+itoa(min)+"&wait="+wait.String(), nil, http.StatusOK, &p)
	return p.Data
}

func itoa(n int) string { return strconv.Itoa(n) }

type secretsView struct {
	Secret string `json:"secret"`
	Old    []struct {
		Secret  string    `json:"secret"`
		Expires time.Time `json:"expiresTime"`
	} `json:"old"`
}

type deliveryView struct {
	Enabled             bool   `json:"enabled"`
	DisabledReason      string `json:"disabledReason"`
	Queued              int    `json:"queued"`
	WaitingRetry        int    `json:"waitingRetry"`
	Parked              int    `json:"parked"`
	ConsecutiveFailures int    `json:"consecutiveFailures"`
	DisabledByPolicy    bool   `json:"disabledByPolicy"`
	Held                int    `json:"held"`
}

func TestFailedDeliveriesAreRetriedOnTheScaledSchedule(t *testing.T) {
	e := newEnvWith(t, delivery.Options{Retry: delivery.RetryPolicy{Scale: 1e-4}})
	c := e.newAccount().secret
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n <= 2 {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
	hook := c.createWebhook(rc.url, "order.accepted")
	secret := c.webhookSecret(hook)
	o := c.placeOrder(c.createCustomer("rita@example.test"), c.createSKU("Widget"))
	c.accept(o.ID)

	var id string
	for i := 1; i <= 3; i++ {
		m := rc.next(t, "attempt "+itoa(i)+" of order.accepted")
		ev := eventOf(t, m)
		if id == "" {
			id = ev.ID
		}
		if ev.ID != id || orderIDOf(t, ev) != o.ID {
			t.Fatalf("attempt %d carries event %s (order %s), want event %s of order %s", i, ev.ID, orderIDOf(t, ev), id, o.ID)
		}
		if err := signature.Verify(m.header.Get(signature.Header), m.body, secret, time.Now(), 0); err != nil {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	at := c.attempts("webhookId="+hook, 3)
	want := []struct {
		status    int
		delivered bool
		delay     string
		wall      time.Duration
	}{{503, false, "1m0s", e.engine.Retry().Wall(time.Minute)}, {503, false, "5m0s", e.engine.Retry().Wall(5 * time.Minute)}, {202, true, "", 0}}
	for i, w := range want {
		a := at[i]
		if a.Attempt != i+1 || a.Status != w.status || a.Delivered != w.delivered || a.RetryDelay != w.delay || a.EventID != id {
			t.Fatalf("attempt %d: %+v; want attempt %d, status %d, delivered %v, retryDelay %q", i+1, a, i+1, w.status, w.delivered, w.delay)
		}
		if w.delay == "" {
			if a.NextRetryAt != nil || a.GaveUp {
				t.Fatalf("delivered attempt %+v schedules a retry or gives up", a)
			}
			continue
		}
		if a.NextRetryAt == nil || a.NextRetryAt.Sub(a.Time) != w.wall {
			t.Fatalf("attempt %d: nextRetryAt %v, time %v; want time + %s (%s × 1e-4)", i+1, a.NextRetryAt, a.Time, w.wall, w.delay)
		}
		if gap := at[i+1].Time.Sub(a.Time); gap < w.wall {
			t.Fatalf("attempt %d came %s after attempt %d, before its backoff of %s", i+2, gap, i+1, w.wall)
		}
	}
}

func TestAutoDisableParksAndReEnablingDeliversEverything(t *testing.T) {
	e := newEnvWith(t, delivery.Options{
		Retry:   delivery.RetryPolicy{Scale: 1e-4},
		Disable: delivery.DisablePolicy{Failures: 3, For: -1},
	})
	c := e.newAccount().secret
	var down atomic.Bool
	down.Store(true)
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		if down.Load() {
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	hook := c.createWebhook(rc.url, "sku.created")
	c.createSKU("Alpha")
	c.createSKU("Beta")
	events := c.events("?type=sku.created").Data // newest first

	at := c.attempts("webhookId="+hook, 3)
	for i, a := range at[:2] {
		if a.Delivered || a.DisabledWebhook || a.NextRetryAt == nil {
			t.Fatalf("failed attempt %d %+v: want a retry scheduled and the webhook still enabled", i+1, a)
		}
	}
	if a := at[2]; a.Delivered || !a.DisabledWebhook || !a.Parked || a.NextRetryAt != nil {
		t.Fatalf("third failed attempt %+v: want it to disable the webhook and park its event", a)
	}
	var w struct {
		Enabled bool `json:"enabled"`
	}
	c.must("GET", "/webhooks/"+hook, nil, http.StatusOK, &w)
	if w.Enabled {
		t.Fatal("GET /webhooks/{id} says enabled:true after 3 consecutive failures (policy: 3)")
	}
	var st deliveryView
	c.must("GET", "/_sim/webhooks/"+hook+"/delivery", nil, http.StatusOK, &st)
	if st.Enabled || !st.DisabledByPolicy || st.Parked != 2 || st.WaitingRetry != 0 || st.Queued != 0 || !strings.Contains(st.DisabledReason, "3 consecutive failed") {
		t.Fatalf("delivery status %+v, want disabled by policy with both events parked", st)
	}
	var retried struct {
		Retried int `json:"retried"`
	}
	c.must("POST", "/_sim/deliveries/retry", map[string]string{"webhookId": hook}, http.StatusOK, &retried)
	if retried.Retried != 0 {
		t.Fatalf("retry-now found %d waiting events; parked events must wait for re-enabling", retried.Retried)
	}
	// An event recorded while the engine has the webhook disabled is kept
	// for it (parked) and sent when it is enabled again: nothing is lost.
	c.createSKU("Gamma")
	gamma := c.events("?type=sku.created").Data[0]
	if len(gamma.WebhookIDs) != 1 || gamma.WebhookIDs[0] != hook {
		t.Fatalf("an event recorded while the webhook is disabled went to %v, want [%s] (parked)", gamma.WebhookIDs, hook)
	}
	events = append(events, gamma)

	for range 3 {
		rc.next(t, "the three failed attempts")
	}
	down.Store(false)
	c.must("PATCH", "/webhooks/"+hook, `{"enabled":true}`, http.StatusOK, &w)
	got := map[string]int{}
	for range 3 {
		got[eventOf(t, rc.next(t, "a parked event after re-enabling")).ID]++
	}
	for _, ev := range events {
		if got[ev.ID] != 1 {
			t.Fatalf("after re-enabling the merchant got %v, want each of the 3 events once", got)
		}
	}
	at = c.attempts("webhookId="+hook, 6)
	delivered := 0
	for _, a := range at {
		if a.Delivered {
			delivered++
		}
	}
	if len(at) != 6 || delivered != 3 || !at[3].Delivered || !at[4].Delivered || !at[5].Delivered {
		t.Fatalf("attempts %+v, want 3 failures then 3 deliveries", at)
	}
	st = deliveryView{}
	c.must("GET", "/_sim/webhooks/"+hook+"/delivery", nil, http.StatusOK, &st)
	if !st.Enabled || st.DisabledByPolicy || st.Parked != 0 || st.DisabledReason != "" || st.ConsecutiveFailures != 0 {
		t.Fatalf("delivery status after re-enabling %+v", st)
	}
}

func TestSecretRotationKeepsTheOldSecretUntilItExpires(t *testing.T) {
	e := newEnv(t, 0)
	acct := e.newAccount()
	c := acct.secret
	a, _, _ := e.store.Lookup(acct.keys.SecretKey)
	now := a.FreezeClock()
	rc := newReceiver(t, nil)
	hook := c.createWebhook(rc.url, "sku.created")
	old := c.webhookSecret(hook)

	var rot secretsView
	c.must("POST", "/_sim/webhooks/"+hook+"/secret/rotate", `{"oldValidFor":"1h"}`, http.StatusOK, &rot)
	if rot.Secret == old || !strings.HasPrefix(rot.Secret, "whsec_") || len(rot.Old) != 1 || rot.Old[0].Secret != old || !rot.Old[0].Expires.Equal(now.Add(time.Hour)) {
		t.Fatalf("rotation answered %+v; want a new whsec_ secret and %s valid until %s", rot, old, now.Add(time.Hour))
	}
	var view secretsView
	c.must("GET", "/_sim/webhooks/"+hook+"/secret", nil, http.StatusOK, &view)
	if view.Secret != rot.Secret || len(view.Old) != 1 || view.Old[0].Secret != old {
		t.Fatalf("GET secret %+v after rotation %+v", view, rot)
	}

	c.createSKU("During the overlap")
	m := rc.next(t, "sku.created during the overlap")
	h := m.header.Get(signature.Header)
	if parts := strings.Split(h, ", "); len(parts) != 3 {
		t.Fatalf("header %q: want a timestamp and two digests (new, old)", h)
	}
	for name, s := range map[string]string{"new": rot.Secret, "old": old} {
		if err := signature.Verify(h, m.body, s, time.Now(), 0); err != nil {
			t.Fatalf("during the overlap the %s secret does not verify: %v", name, err)
		}
	}

	if _, _, err := a.AdvanceClock(time.Hour); err != nil { // an hour of wall time passes
		t.Fatal(err)
	}
	c.must("GET", "/_sim/webhooks/"+hook+"/secret", nil, http.StatusOK, &view)
	if len(view.Old) != 0 {
		t.Fatalf("old secrets %+v still listed once the clock reached their expiry", view.Old)
	}
	c.createSKU("After the overlap")
	m = rc.next(t, "sku.created after the overlap")
	h = m.header.Get(signature.Header)
	if parts := strings.Split(h, ", "); len(parts) != 2 {
		t.Fatalf("header %q after expiry: want only the new digest", h)
	}
	if err := signature.Verify(h, m.body, rot.Secret, time.Now(), 0); err != nil {
		t.Fatalf("new secret after the overlap: %v", err)
	}
	if err := signature.Verify(h, m.body, old, time.Now(), 0); !errors.Is(err, signature.ErrMismatch) {
		t.Fatalf("old secret after its expiry: %v, want ErrMismatch", err)
	}

	// A given secret, DR's 12 h default; then one that blocks the old at once.
	now = a.Now()
	c.must("POST", "/_sim/webhooks/"+hook+"/secret/rotate", `{"secret":"whsec_third"}`, http.StatusOK, &view)
	if view.Secret != "whsec_third" || len(view.Old) != 1 || view.Old[0].Secret != rot.Secret || !view.Old[0].Expires.Equal(now.Add(12*time.Hour)) {
		t.Fatalf("rotation with defaults %+v; want whsec_third and %s valid for 12h", view, rot.Secret)
	}
	c.must("POST", "/_sim/webhooks/"+hook+"/secret/rotate", `{"secret":"whsec_fourth","oldValidFor":"0s"}`, http.StatusOK, &view)
	if view.Secret != "whsec_fourth" || len(view.Old) != 1 || view.Old[0].Secret != rot.Secret {
		t.Fatalf("rotation with oldValidFor 0s %+v; want whsec_third blocked at once and %s still valid", view, rot.Secret)
	}
	c.mustError("POST", "/_sim/webhooks/"+hook+"/secret/rotate", `{"secret":"whsec_fourth"}`, http.StatusBadRequest, "invalid_parameter", "secret")
	// Setting a secret (not rotating) blocks every old one at once.
	c.must("POST", "/_sim/webhooks/"+hook+"/secret", `{"secret":"whsec_fifth"}`, http.StatusOK, nil)
	c.must("GET", "/_sim/webhooks/"+hook+"/secret", nil, http.StatusOK, &view)
	if view.Secret != "whsec_fifth" || len(view.Old) != 0 {
		t.Fatalf("after setting a secret %+v, want whsec_fifth alone", view)
	}
}

func TestHoldAndReleaseInReverseOrder(t *testing.T) {
	e := newEnv(t, 0)
	c := e.newAccount().secret
	rc := newReceiver(t, nil)
	hook := c.createWebhook(rc.url, "sku.created")
	type fault struct {
		ID       string `json:"id"`
		Count    int    `json:"count"`
		Held     int    `json:"held"`
		Released int    `json:"released"`
		Done     bool   `json:"done"`
	}
	var f fault
	c.must("POST", "/_sim/faults", map[string]any{"webhookId": hook, "eventType": "sku.created", "hold": true}, http.StatusCreated, &f)
	if f.Count != 0 {
		t.Fatalf("hold fault %+v: count 0 (hold until released) expected by default", f)
	}
	names := []string{"A", "B", "C", "D"}
	for _, n := range names {
		c.createSKU(n)
	}
	c.must("GET", "/_sim/faults/"+f.ID+"?held=4&wait="+wait.String(), nil, http.StatusOK, &f)
	if f.Held != 4 {
		t.Fatalf("fault %+v, want 4 held", f)
	}
	select {
	case m := <-rc.got:
		t.Fatalf("request %d reached the merchant while every delivery was held", m.n)
	default:
	}
	var st deliveryView
	c.must("GET", "/_sim/webhooks/"+hook+"/delivery", nil, http.StatusOK, &st)
	if st.Held != 4 || st.Queued != 0 {
		t.Fatalf("delivery status %+v, want 4 held and nothing queued", st)
	}

	var rel fault
	c.must("POST", "/_sim/faults/"+f.ID+"/release", `{"order":"reverse"}`, http.StatusOK, &rel)
	if rel.Held != 0 || rel.Released != 4 || !rel.Done {
		t.Fatalf("released fault %+v, want 4 released, none held, done", rel)
	}
	for i := range names {
		want := names[len(names)-1-i]
		var sku struct {
			Name string `json:"name"`
		}
		eventOf(t, rc.next(t, "released delivery of "+want)).object(t, &sku)
		if sku.Name != want {
			t.Fatalf("released delivery %d is SKU %s, want %s (reverse order)", i+1, sku.Name, want)
		}
	}
	// The fault is done: the next event goes straight through.
	c.createSKU("E")
	var sku struct {
		Name string `json:"name"`
	}
	eventOf(t, rc.next(t, "SKU E after the release")).object(t, &sku)
	if sku.Name != "E" {
		t.Fatalf("after the release got SKU %s, want E", sku.Name)
	}
	var plain fault
	c.must("POST", "/_sim/faults", `{"status":500,"eventType":"order.accepted"}`, http.StatusCreated, &plain)
	c.mustError("POST", "/_sim/faults/"+plain.ID+"/release", `{}`, http.StatusBadRequest, "invalid_parameter", "id")
	c.mustError("POST", "/_sim/faults/"+f.ID+"/release", `{"order":"sideways"}`, http.StatusBadRequest, "invalid_parameter", "order")
}

// rawCall sends a request and returns its status, headers and body.
func rawCall(t *testing.T, c client, method, path, body string) (int, http.Header, []byte) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.e.url+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", c.auth)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, raw
}

func TestAPIFaults(t *testing.T) {
	e := newEnv(t, 0)
	c := e.newAccount().secret
	other := e.newAccount().secret
	sku := c.createSKU("Widget")
	otherSKU := other.createSKU("Gadget")

	var f struct {
		ID    string `json:"id"`
		Count int    `json:"count"`
		Used  int    `json:"used"`
	}
	c.must("POST", "/_sim/api-faults", `{"method":"get","path":"/skus/*","status":429,"retryAfter":"1500ms","count":2}`, http.StatusCreated, &f)
	if f.ID == "" || f.Count != 2 || f.Used != 0 {
		t.Fatalf("API fault %+v", f)
	}
	// Not matched: another path, another method, another account.
	c.must("GET", "/skus", nil, http.StatusOK, nil)
	c.must("POST", "/skus/"+sku, `{"name":"Widget 2"}`, http.StatusOK, nil)
	other.must("GET", "/skus/"+otherSKU, nil, http.StatusOK, nil)
	for i := range 2 {
		status, hdr, body := rawCall(t, c, "GET", "/skus/"+sku, "")
		if status != http.StatusTooManyRequests || hdr.Get("Retry-After") != "2" || hdr.Get("X-Drsim-Fault") != f.ID {
			t.Fatalf("faulted call %d: %d, Retry-After %q, X-Drsim-Fault %q; want 429, 2 (1.5s rounded up), %s; body %s",
				i+1, status, hdr.Get("Retry-After"), hdr.Get("X-Drsim-Fault"), f.ID, body)
		}
		var de drError
		if err := json.Unmarshal(body, &de); err != nil || de.Type != "too_many_requests" || len(de.Errors) != 1 || de.Errors[0].Code != "too_many_requests" || de.Errors[0].Message == "" {
			t.Fatalf("429 body %s is not DR's error shape (err %v)", body, err)
		}
	}
	c.must("GET", "/skus/"+sku, nil, http.StatusOK, nil)
	c.must("GET", "/_sim/api-faults/"+f.ID, nil, http.StatusOK, &f)
	if f.Used != 2 {
		t.Fatalf("API fault after use %+v, want used 2", f)
	}
	other.mustError("GET", "/_sim/api-faults/"+f.ID, nil, http.StatusNotFound, "not_found", "id")

	var log page[state.RequestLog]
	c.must("GET", "/_sim/requests", nil, http.StatusOK, &log)
	n429 := 0
	for _, r := range log.Data {
		if r.Status == http.StatusTooManyRequests && r.Path == "/skus/"+sku {
			n429++
		}
	}
	if n429 != 2 {
		t.Fatalf("request log has %d 429s for GET /skus/%s, want 2: %+v", n429, sku, log.Data)
	}

	// A 500 for the next POST /customers, then normal service.
	c.must("POST", "/_sim/api-faults", `{"method":"POST","path":"/customers","status":500}`, http.StatusCreated, nil)
	status, _, body := rawCall(t, c, "POST", "/customers", `{"email":"x@example.test"}`)
	var de drError
	if err := json.Unmarshal(body, &de); status != http.StatusInternalServerError || err != nil || de.Type != "internal_server_error" || len(de.Errors) == 0 || de.Errors[0].Message == "" {
		t.Fatalf("faulted POST /customers: %d %s", status, body)
	}
	c.createCustomer("x@example.test")

	// A delay alone slows the call, which then succeeds.
	c.must("POST", "/_sim/api-faults", `{"path":"/customers","delay":"100ms"}`, http.StatusCreated, nil)
	start := time.Now()
	c.must("GET", "/customers", nil, http.StatusOK, nil)
	if took := time.Since(start); took < 100*time.Millisecond {
		t.Fatalf("delayed call took %s, want at least 100ms", took)
	}
}

func TestMerchantDownForAWhileGetsEveryEventOnce(t *testing.T) {
	e := newEnvWith(t, delivery.Options{Retry: delivery.RetryPolicy{Scale: 1e-4}})
	c := e.newAccount().secret
	rc := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n <= 10 { // down for the first 10 requests, whatever they are
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	hook := c.createWebhook(rc.url, "sku.created")
	for _, n := range []string{"A", "B", "C", "D"} {
		c.createSKU(n)
	}
	acked := map[string]int{}
	for len(acked) < 4 {
		m := rc.next(t, "deliveries until the merchant has all 4 events")
		if m.n > 10 {
			acked[eventOf(t, m).ID]++
		}
	}
	for _, ev := range c.events("?type=sku.created").Data {
		if acked[ev.ID] != 1 {
			t.Fatalf("merchant acknowledged %v; want each event once", acked)
		}
	}
	var st deliveryView
	c.must("GET", "/_sim/webhooks/"+hook+"/delivery", nil, http.StatusOK, &st)
	if !st.Enabled || st.DisabledByPolicy {
		t.Fatalf("a merchant down for 10 attempts (minutes of DR time) got disabled: %+v", st)
	}
}
