package api_test

import (
	"bytes"
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

	"github.com/drsim/drsim/simulator/signature"
)

// received is one request a webhook receiver got.
type received struct {
	n      int
	method string
	path   string
	header http.Header
	body   []byte
}

// receiver is a merchant's webhook endpoint: it hands every request to the
// test on a channel, then answers as respond says.
type receiver struct {
	url string
	got chan received
}

// respond answers the n-th request (from 1); nil answers 200.
type respond func(n int, w http.ResponseWriter, r *http.Request)

func newReceiver(t *testing.T, fn respond) *receiver {
	t.Helper()
	rc := &receiver{got: make(chan received, 100)}
	var count atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		n := int(count.Add(1))
		rc.got <- received{n: n, method: r.Method, path: r.URL.Path, header: r.Header.Clone(), body: body}
		if fn == nil {
			w.WriteHeader(http.StatusOK)
			return
		}
		fn(n, w, r)
	}))
	t.Cleanup(srv.Close)
	rc.url = srv.URL + "/hooks/dr"
	return rc
}

// next waits for the next request, failing the test after a deadline.
func (rc *receiver) next(t *testing.T, what string) received {
	t.Helper()
	select {
	case m := <-rc.got:
		return m
	case <-time.After(wait):
		t.Fatalf("waited %s for a webhook request (%s); none came", wait, what)
		return received{}
	}
}

// eventOf decodes a delivered body.
func eventOf(t *testing.T, m received) event {
	t.Helper()
	var ev event
	if err := json.Unmarshal(m.body, &ev); err != nil {
		t.Fatalf("delivery %d: body is not an event: %v; body: %s", m.n, err, m.body)
	}
	return ev
}

func orderIDOf(t *testing.T, ev event) string {
	t.Helper()
	var o order
	ev.object(t, &o)
	return o.ID
}

func (c client) webhookSecret(id string) string {
	c.e.t.Helper()
	var s struct {
		Secret string `json:"secret"`
	}
	c.must("GET", "/_sim/webhooks/"+id+"/secret", nil, http.StatusOK, &s)
	if s.Secret == "" {
		c.e.t.Fatalf("webhook %s has an empty secret", id)
	}
	return s.Secret
}

// waitDeliveries long-polls GET /_sim/deliveries until min attempts match.
func (c client) waitDeliveries(query string, min int) []attempt {
	c.e.t.Helper()
	if query != "" {
		query += "&"
	}
	return c.deliveries("?" + query + "min=" + strconv.Itoa(min) + "&wait=" + wait.String())
}

func TestWebhookGetsSignedEventEqualToGetEvent(t *testing.T) {
	e := newEnv(t, 0)
	c := e.newAccount().secret
	rc := newReceiver(t, nil)
	hook := c.createWebhook(rc.url, "order.accepted")
	secret := c.webhookSecret(hook)

	// sku.created, customer.created and order.pending_payment are recorded
	// first; the webhook is not subscribed to them.
	o := c.placeOrder(c.createCustomer("dan@example.test"), c.createSKU("Widget"))
	c.accept(o.ID)

	m := rc.next(t, "order.accepted")
	if m.method != http.MethodPost || m.path != "/hooks/dr" {
		t.Fatalf("delivery is %s %s, want POST /hooks/dr", m.method, m.path)
	}
	if ct := m.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q, want application/json", ct)
	}
	h := m.header.Get(signature.Header)
	if parts := strings.Split(h, ", "); len(parts) != 2 || !strings.HasPrefix(parts[0], "t=") {
		t.Fatalf("%s: %q, want \"t=<unix>, <digest>\"", signature.Header, h)
	}
	if err := signature.Verify(h, m.body, secret, time.Now(), 0); err != nil {
		t.Fatalf("signature does not verify with the webhook's secret: %v", err)
	}
	if err := signature.Verify(h, m.body, secret+"x", time.Now(), 0); !errors.Is(err, signature.ErrMismatch) {
		t.Fatalf("signature verifies with another secret: %v", err)
	}

	ev := eventOf(t, m)
	if ev.Type != "order.accepted" {
		t.Fatalf("first delivery is %s, want order.accepted (earlier events are not subscribed)", ev.Type)
	}
	if len(ev.WebhookIDs) != 1 || ev.WebhookIDs[0] != hook {
		t.Fatalf("webhookIds %v, want [%s]", ev.WebhookIDs, hook)
	}
	if got := orderIDOf(t, ev); got != o.ID {
		t.Fatalf("event carries order %s, want %s", got, o.ID)
	}
	byID := c.must("GET", "/events/"+ev.ID, nil, http.StatusOK, nil)
	if !bytes.Equal(byID, m.body) {
		t.Fatalf("delivered body differs from GET /events/%s\ndelivered: %s\n      GET: %s", ev.ID, m.body, byID)
	}

	at := c.waitDeliveries("webhookId="+hook, 1)
	if len(at) != 1 || at[0].EventID != ev.ID || at[0].Status != 200 || !at[0].Delivered || at[0].Signature != h {
		t.Fatalf("deliveries %+v, want one delivered 200 attempt of %s with the header sent", at, ev.ID)
	}
}

func TestUnsubscribedAndDisabledWebhooksGetNothing(t *testing.T) {
	e := newEnv(t, 0)
	c := e.newAccount().secret
	sku := c.createSKU("Widget")
	cust := c.createCustomer("erin@example.test")
	orders := c.placeOrder(cust, sku)

	rcA := newReceiver(t, nil)
	rcB := newReceiver(t, nil)
	hookA := c.createWebhook(rcA.url, "order.accepted")
	hookB := c.createWebhook(rcB.url, "sku.created")

	// A is disabled while order 1 is accepted, enabled for order 2.
	var w struct {
		Enabled bool `json:"enabled"`
	}
	c.must("PATCH", "/webhooks/"+hookA, `{"enabled":false}`, http.StatusOK, &w)
	if w.Enabled {
		t.Fatal("PATCH enabled:false answered enabled:true")
	}
	c.accept(orders.ID)
	c.must("PATCH", "/webhooks/"+hookA, `{"enabled":true}`, http.StatusOK, &w)
	second := c.placeOrder(cust, sku)
	c.accept(second.ID)
	c.createSKU("Gadget") // the first event B is subscribed to

	// Each webhook's queue is FIFO: had anything earlier been sent, it
	// would arrive first.
	if got := orderIDOf(t, eventOf(t, rcA.next(t, "order 2's order.accepted"))); got != second.ID {
		t.Fatalf("A's first delivery is order %s's; want order %s (order %s was accepted while A was disabled)", got, second.ID, orders.ID)
	}
	mB := eventOf(t, rcB.next(t, "sku.created for Gadget"))
	var sku2 struct {
		Name string `json:"name"`
	}
	mB.object(t, &sku2)
	if mB.Type != "sku.created" || sku2.Name != "Gadget" {
		t.Fatalf("B's first delivery is %s of %q; want sku.created of Gadget (nothing before it was subscribed)", mB.Type, sku2.Name)
	}

	first := c.events("?type=order.accepted").Data
	if len(first) != 2 || len(first[1].WebhookIDs) != 0 || len(first[0].WebhookIDs) != 1 || first[0].WebhookIDs[0] != hookA {
		t.Fatalf("order.accepted events' webhookIds: newest %v, oldest %v; want [%s] and []", first[0].WebhookIDs, first[1].WebhookIDs, hookA)
	}
	if at := c.waitDeliveries("webhookId="+hookA, 1); len(at) != 1 {
		t.Fatalf("A has %d attempts, want 1", len(at))
	}
	if at := c.waitDeliveries("webhookId="+hookB, 1); len(at) != 1 || at[0].EventType != "sku.created" {
		t.Fatalf("B's attempts %+v, want one sku.created", at)
	}
}

func TestNon2xxAnswersAreNotDelivered(t *testing.T) {
	e := newEnv(t, 0)
	c := e.newAccount().secret
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		switch n {
		case 1:
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		case 2:
			http.Error(w, "boom", http.StatusInternalServerError)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	})
	hook := c.createWebhook(rc.url, "order.pending_payment", "order.accepted") // not order.*: later features add order events
	sku := c.createSKU("Widget")
	cust := c.createCustomer("fay@example.test")
	a := c.placeOrder(cust, sku) // order.pending_payment → 302
	c.accept(a.ID)               // order.accepted → 500
	b := c.placeOrder(cust, sku) // order.pending_payment → 204

	wantTypes := []string{"order.pending_payment", "order.accepted", "order.pending_payment"}
	for i, want := range wantTypes {
		m := rc.next(t, want)
		if m.method != http.MethodPost || m.path != "/hooks/dr" {
			t.Fatalf("request %d is %s %s: the 302 was followed", m.n, m.method, m.path)
		}
		if ev := eventOf(t, m); ev.Type != want {
			t.Fatalf("request %d is %s, want %s", i+1, ev.Type, want)
		}
	}
	at := c.waitDeliveries("webhookId="+hook, 3)
	if len(at) != 3 {
		t.Fatalf("%d attempts, want 3: %+v", len(at), at)
	}
	want := []struct {
		status    int
		delivered bool
	}{{302, false}, {500, false}, {204, true}}
	for i, w := range want {
		if at[i].Status != w.status || at[i].Delivered != w.delivered {
			t.Fatalf("attempt %d: status %d delivered %v, want %d %v", i+1, at[i].Status, at[i].Delivered, w.status, w.delivered)
		}
	}
	if !strings.Contains(at[1].ResponseExcerpt, "boom") {
		t.Fatalf("500 attempt's responseExcerpt %q, want the merchant's answer", at[1].ResponseExcerpt)
	}
	if got := orderIDOf(t, eventOf(t, received{body: c.must("GET", "/events/"+at[2].EventID, nil, http.StatusOK, nil)})); got != b.ID {
		t.Fatalf("third attempt is for order %s, want %s", got, b.ID)
	}
	// Filtering by event.
	if byEvent := c.deliveries("?eventId=" + at[1].EventID); len(byEvent) != 1 || byEvent[0].Status != 500 {
		t.Fatalf("deliveries?eventId=%s: %+v, want the one 500", at[1].EventID, byEvent)
	}
}

func TestRedeliveryForgeries(t *testing.T) {
	e := newEnv(t, 0)
	c := e.newAccount().secret
	rc := newReceiver(t, nil)
	hook := c.createWebhook(rc.url, "order.accepted")
	secret := c.webhookSecret(hook)
	o := c.placeOrder(c.createCustomer("gus@example.test"), c.createSKU("Widget"))
	c.accept(o.ID)
	orig := rc.next(t, "the first order.accepted")
	ev := eventOf(t, orig)
	canonical := c.must("GET", "/events/"+ev.ID, nil, http.StatusOK, nil)
	// The merchant has the first delivery, but the engine records its
	// attempt only once it has read the answer: wait for that record, or
	// the count at the end could miss it on a loaded machine.
	if first := c.deliveries("?eventId=" + ev.ID + "&min=1&wait=10s"); len(first) != 1 {
		t.Fatalf("attempts for the first delivery: %+v, want 1", first)
	}

	cases := []struct {
		forge string
		check func(t *testing.T, m received)
	}{
		{"", func(t *testing.T, m received) {
			if err := signature.Verify(m.header.Get(signature.Header), m.body, secret, time.Now(), 0); err != nil {
				t.Fatalf("plain redelivery does not verify: %v", err)
			}
			if !bytes.Equal(m.body, canonical) {
				t.Fatalf("plain redelivery body differs from GET /events/{id}")
			}
		}},
		{"missing", func(t *testing.T, m received) {
			if v := m.header.Values(signature.Header); len(v) != 0 {
				t.Fatalf("forge missing sent %s: %q", signature.Header, v)
			}
			if err := signature.Verify(m.header.Get(signature.Header), m.body, secret, time.Now(), 0); !errors.Is(err, signature.ErrMissing) {
				t.Fatalf("Verify = %v, want ErrMissing", err)
			}
			if !bytes.Equal(m.body, canonical) {
				t.Fatal("forge missing changed the body")
			}
		}},
		{"wrong-secret", func(t *testing.T, m received) {
			h := m.header.Get(signature.Header)
			if err := signature.Verify(h, m.body, secret, time.Now(), 0); !errors.Is(err, signature.ErrMismatch) {
				t.Fatalf("Verify = %v, want ErrMismatch", err)
			}
			if !bytes.Equal(m.body, canonical) {
				t.Fatal("forge wrong-secret changed the body")
			}
		}},
		{"tampered-body", func(t *testing.T, m received) {
			h := m.header.Get(signature.Header)
			if bytes.Equal(m.body, canonical) {
				t.Fatal("forge tampered-body sent the event unchanged")
			}
			if err := signature.Verify(h, m.body, secret, time.Now(), 0); !errors.Is(err, signature.ErrMismatch) {
				t.Fatalf("Verify(sent body) = %v, want ErrMismatch", err)
			}
			if err := signature.Verify(h, canonical, secret, time.Now(), 0); err != nil {
				t.Fatalf("the signature is not the original body's: %v", err)
			}
			var got struct {
				Data struct {
					Object struct {
						Tampered    bool    `json:"tampered"`
						TotalAmount float64 `json:"totalAmount"`
					} `json:"object"`
				} `json:"data"`
			}
			if err := json.Unmarshal(m.body, &got); err != nil || !got.Data.Object.Tampered || got.Data.Object.TotalAmount != 1027.01 {
				t.Fatalf("tampered body: %+v (err %v), want tampered:true and totalAmount 1027.01", got.Data.Object, err)
			}
		}},
		{"stale", func(t *testing.T, m received) {
			h := m.header.Get(signature.Header)
			if err := signature.Verify(h, m.body, secret, time.Now(), 0); !errors.Is(err, signature.ErrStale) {
				t.Fatalf("Verify = %v, want ErrStale", err)
			}
			if err := signature.Verify(h, m.body, secret, time.Now().Add(-24*time.Hour), 0); err != nil {
				t.Fatalf("stale signature is not a correct signature from 24h ago: %v", err)
			}
			if !bytes.Equal(m.body, canonical) {
				t.Fatal("forge stale changed the body")
			}
		}},
	}
	for _, tc := range cases {
		t.Run("forge="+tc.forge, func(t *testing.T) {
			cl := c.on(t)
			var res page[attempt]
			cl.must("POST", "/_sim/events/"+ev.ID+"/deliveries", map[string]string{"forge": tc.forge}, http.StatusOK, &res)
			if len(res.Data) != 1 || res.Data[0].Forged != tc.forge || !res.Data[0].Delivered || res.Data[0].WebhookID != hook {
				t.Fatalf("redelivery attempts %+v, want one delivered attempt to %s forged %q", res.Data, hook, tc.forge)
			}
			m := rc.next(t, "redelivery forge="+tc.forge)
			if id := eventOf(t, m).ID; id != ev.ID {
				t.Fatalf("redelivered event id %s, want the same id %s", id, ev.ID)
			}
			tc.check(t, m)
		})
	}
	c.mustError("POST", "/_sim/events/"+ev.ID+"/deliveries", `{"forge":"sideways"}`, http.StatusBadRequest, "invalid_parameter", "forge")
	if n := len(c.deliveries("?eventId=" + ev.ID)); n != 1+len(cases) {
		t.Fatalf("%d attempts for the event, want %d (the unknown forge sent nothing)", n, 1+len(cases))
	}
}

func TestFaultAppliesOnlyToItsOrder(t *testing.T) {
	e := newEnv(t, 0)
	c := e.newAccount().secret
	rc := newReceiver(t, nil)
	hook := c.createWebhook(rc.url, "order.accepted")
	secret := c.webhookSecret(hook)
	sku := c.createSKU("Widget")
	cust := c.createCustomer("hal@example.test")
	a, b, d := c.placeOrder(cust, sku), c.placeOrder(cust, sku), c.placeOrder(cust, sku)

	var f struct {
		ID    string `json:"id"`
		Count int    `json:"count"`
	}
	c.must("POST", "/_sim/faults", map[string]string{"eventType": "order.accepted", "objectId": b.ID, "forge": "wrong-secret"}, http.StatusCreated, &f)
	if f.ID == "" || f.Count != 1 {
		t.Fatalf("fault %+v, want an id and count 1", f)
	}
	c.accept(a.ID) // before b: the fault must not catch the first matching type
	c.accept(b.ID)
	c.accept(d.ID)

	for _, want := range []struct {
		order string
		err   error
	}{{a.ID, nil}, {b.ID, signature.ErrMismatch}, {d.ID, nil}} {
		m := rc.next(t, "order.accepted of "+want.order)
		if got := orderIDOf(t, eventOf(t, m)); got != want.order {
			t.Fatalf("delivery %d is order %s, want %s", m.n, got, want.order)
		}
		err := signature.Verify(m.header.Get(signature.Header), m.body, secret, time.Now(), 0)
		if !errors.Is(err, want.err) {
			t.Fatalf("order %s: Verify = %v, want %v", want.order, err, want.err)
		}
	}
	at := c.waitDeliveries("webhookId="+hook, 3)
	if len(at) != 3 || at[0].Forged != "" || at[1].Forged != "wrong-secret" || at[2].Forged != "" {
		t.Fatalf("attempts forged %q; want only the second wrong-secret", []string{at[0].Forged, at[1].Forged, at[2].Forged})
	}
}

func TestDeliveryTimeoutIsRecorded(t *testing.T) {
	e := newEnv(t, 300*time.Millisecond)
	c := e.newAccount().secret
	release := make(chan struct{})
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 || n == 3 { // hold the first delivery and the redelivery
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
		w.WriteHeader(http.StatusOK)
	})
	t.Cleanup(func() { close(release) }) // runs before the receiver closes
	hook := c.createWebhook(rc.url, "order.accepted")
	sku := c.createSKU("Widget")
	cust := c.createCustomer("ivy@example.test")
	a, b := c.placeOrder(cust, sku), c.placeOrder(cust, sku)
	c.accept(a.ID)
	c.accept(b.ID)

	heldEvent := eventOf(t, rc.next(t, "order A (held)"))
	if got := orderIDOf(t, eventOf(t, rc.next(t, "order B"))); got != b.ID {
		t.Fatalf("second delivery is order %s, want %s", got, b.ID)
	}
	// B may be sent while A waits (an attempt waiting longer than the
	// engine's Spill lets the next go), so its attempt may end first.
	at := c.waitDeliveries("webhookId="+hook, 2)
	if at[0].EventID != heldEvent.ID {
		at[0], at[1] = at[1], at[0]
	}
	if at[0].Delivered || at[0].Status != 0 || at[0].Error == "" {
		t.Fatalf("held attempt %+v, want not delivered, no status, an error", at[0])
	}
	if !strings.Contains(at[0].Error, "no answer within") {
		t.Fatalf("held attempt error %q does not say it timed out", at[0].Error)
	}
	if !at[1].Delivered {
		t.Fatalf("attempt after the timeout %+v, want delivered", at[1])
	}

	// A synchronous redelivery to the held receiver times out the same way.
	var res page[attempt]
	c.must("POST", "/_sim/events/"+at[0].EventID+"/deliveries", `{}`, http.StatusOK, &res)
	rc.next(t, "redelivery (held)")
	if len(res.Data) != 1 || res.Data[0].Delivered || res.Data[0].Error == "" {
		t.Fatalf("redelivery %+v, want one undelivered attempt with an error", res.Data)
	}
}

func TestSecretRotationSignsWithTheNewSecret(t *testing.T) {
	e := newEnv(t, 0)
	c := e.newAccount().secret
	rc := newReceiver(t, nil)
	hook := c.createWebhook(rc.url, "sku.created")
	old := c.webhookSecret(hook)
	c.must("POST", "/_sim/webhooks/"+hook+"/secret", `{"secret":"whsec_rotated"}`, http.StatusOK, nil)
	if got := c.webhookSecret(hook); got != "whsec_rotated" {
		t.Fatalf("secret after rotation %q, want whsec_rotated", got)
	}
	c.createSKU("Widget")
	m := rc.next(t, "sku.created")
	h := m.header.Get(signature.Header)
	if err := signature.Verify(h, m.body, "whsec_rotated", time.Now(), 0); err != nil {
		t.Fatalf("Verify with the new secret: %v", err)
	}
	if err := signature.Verify(h, m.body, old, time.Now(), 0); !errors.Is(err, signature.ErrMismatch) {
		t.Fatalf("Verify with the old secret = %v, want ErrMismatch (rotation is immediate)", err)
	}
}
