package delivery_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drsim/drsim/simulator/client"
	"github.com/drsim/drsim/simulator/internal/apierror"
	"github.com/drsim/drsim/simulator/internal/delivery"
	"github.com/drsim/drsim/simulator/internal/state"
	"github.com/drsim/drsim/simulator/signature"
)

const wait = 5 * time.Second

type received struct {
	n      int
	at     time.Time // when the request arrived
	path   string
	header http.Header
	body   []byte
}

// receiver hands each request to the test, then answers with respond (200
// when nil).
type receiver struct {
	url string
	got chan received
}

func newReceiver(t *testing.T, respond func(n int, w http.ResponseWriter, r *http.Request)) *receiver {
	t.Helper()
	rc := &receiver{got: make(chan received, 200)}
	var count atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		n := int(count.Add(1))
		rc.got <- received{n: n, at: time.Now(), path: r.URL.Path, header: r.Header.Clone(), body: body}
		if respond == nil {
			w.WriteHeader(http.StatusOK)
			return
		}
		respond(n, w, r)
	}))
	t.Cleanup(srv.Close)
	rc.url = srv.URL + "/hook"
	return rc
}

func (rc *receiver) next(t *testing.T, what string) received {
	t.Helper()
	select {
	case m := <-rc.got:
		return m
	case <-time.After(wait):
		t.Fatalf("waited %s for %s; no request came", wait, what)
		return received{}
	}
}

func newEngine(t *testing.T, o delivery.Options) *delivery.Engine {
	t.Helper()
	e := delivery.New(o)
	t.Cleanup(e.Close)
	return e
}

func newEvent(id, typ string, object string) *state.Event {
	return &state.Event{Event: client.Event{
		ID: id, Type: typ, CreatedTime: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		DigitalriverVersion: state.APIVersion, WebhookIDs: []string{},
		Data: state.EventData{Object: json.RawMessage(object)},
	}}
}

func target(id, address string) state.Target {
	return state.Target{WebhookID: id, Address: address, Secrets: []string{"whsec_" + id}}
}

func waitAttempts(t *testing.T, e *delivery.Engine, account string, f delivery.AttemptFilter, n int) []delivery.Attempt {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	got, err := e.WaitAttempts(ctx, account, f, n)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestEachWebhookGetsItsEventsInOrder(t *testing.T) {
	e := newEngine(t, delivery.Options{})
	rc := newReceiver(t, nil)
	tg := target("wh_1", rc.url)
	const n = 30
	for i := range n {
		e.Publish("acct_1", newEvent(fmt.Sprintf("ev_%02d", i), "order.accepted", `{"id":"o`+strconv.Itoa(i)+`"}`), []state.Target{tg})
	}
	for i := range n {
		m := rc.next(t, fmt.Sprintf("event %d", i))
		var ev state.Event
		if err := json.Unmarshal(m.body, &ev); err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("ev_%02d", i); ev.ID != want {
			t.Fatalf("delivery %d is %s, want %s (FIFO per webhook)", i+1, ev.ID, want)
		}
		if err := signature.Verify(m.header.Get(signature.Header), m.body, "whsec_wh_1", time.Now(), 0); err != nil {
			t.Fatalf("delivery %d: %v", i+1, err)
		}
	}
	at := waitAttempts(t, e, "acct_1", delivery.AttemptFilter{WebhookID: "wh_1"}, n)
	for i, a := range at {
		if a.Seq != i+1 || a.EventID != fmt.Sprintf("ev_%02d", i) || !a.Delivered || a.Status != 200 {
			t.Fatalf("attempt %d: %+v", i, a)
		}
	}
	if other := e.Attempts("acct_2", delivery.AttemptFilter{}); len(other) != 0 {
		t.Fatalf("another account sees %d attempts", len(other))
	}
}

func TestBodyIsTheEventAndSignatureUsesWallTime(t *testing.T) {
	signedAt := time.Now().Add(-time.Minute).Truncate(time.Second)
	e := newEngine(t, delivery.Options{Wall: func() time.Time { return signedAt }})
	rc := newReceiver(t, nil)
	ev := newEvent("ev_1", "order.accepted", `{"id":"o1","totalAmount":27.01}`)
	e.Publish("acct_1", ev, []state.Target{target("wh_1", rc.url)})
	m := rc.next(t, "the event")
	want, _ := json.Marshal(ev)
	if string(m.body) != string(want) {
		t.Fatalf("body\n got %s\nwant %s", m.body, want)
	}
	h := m.header.Get(signature.Header)
	if !strings.HasPrefix(h, "t="+strconv.FormatInt(signedAt.Unix(), 10)+", ") {
		t.Fatalf("header %q, want it signed at %d", h, signedAt.Unix())
	}
	if err := signature.Verify(h, m.body, "whsec_wh_1", time.Now(), 0); err != nil {
		t.Fatal(err)
	}
	if ua := m.header.Get("User-Agent"); !strings.HasPrefix(ua, "drsim-webhooks/") {
		t.Fatalf("User-Agent %q", ua)
	}
}

func TestRotationSignsWithEverySecret(t *testing.T) {
	e := newEngine(t, delivery.Options{})
	rc := newReceiver(t, nil)
	tg := state.Target{WebhookID: "wh_1", Address: rc.url, Secrets: []string{"whsec_new", "whsec_old"}}
	e.Publish("acct_1", newEvent("ev_1", "sku.created", `{}`), []state.Target{tg})
	m := rc.next(t, "the event")
	for _, s := range tg.Secrets {
		if err := signature.Verify(m.header.Get(signature.Header), m.body, s, time.Now(), 0); err != nil {
			t.Fatalf("secret %s: %v", s, err)
		}
	}
}

func TestASlowWebhookDoesNotHoldUpAnother(t *testing.T) {
	e := newEngine(t, delivery.Options{Timeout: wait})
	release := make(chan struct{})
	slow := newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		w.WriteHeader(http.StatusOK)
	})
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	fast := newReceiver(t, nil)
	both := []state.Target{target("wh_slow", slow.url), target("wh_fast", fast.url)}
	e.Publish("acct_1", newEvent("ev_1", "order.accepted", `{}`), both)
	e.Publish("acct_1", newEvent("ev_2", "order.accepted", `{}`), both)

	slow.next(t, "ev_1 at the slow webhook (held)")
	fast.next(t, "ev_1 at the fast webhook")
	fast.next(t, "ev_2 at the fast webhook while the slow one is held")
	close(release)
	slow.next(t, "ev_2 at the slow webhook")
}

// A merchant that answers within the timeout but slowly gets the next
// events concurrently, as DR's callbacks may run: once an attempt has
// waited longer than Spill, another worker takes the next job. Awaited:
// three requests in flight at once at the receiver, which holds each
// until it sees three (or gives up after wait, answering 200 anyway).
func TestASlowAnswerLetsTheNextEventsGoConcurrently(t *testing.T) {
	e := newEngine(t, delivery.Options{Timeout: 2 * wait})
	var inflight, most atomic.Int64
	three := make(chan struct{})
	var once atomic.Bool
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		n := inflight.Add(1)
		defer inflight.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		if n >= 3 && once.CompareAndSwap(false, true) {
			close(three)
		}
		select {
		case <-three:
		case <-time.After(wait):
		case <-r.Context().Done():
		}
		w.WriteHeader(http.StatusOK)
	})
	tg := []state.Target{target("wh_1", rc.url)}
	for i := range 3 {
		e.Publish("acct_1", newEvent(fmt.Sprintf("ev_%d", i), "order.accepted", `{}`), tg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*wait)
	defer cancel()
	at, err := e.WaitAttempts(ctx, "acct_1", delivery.AttemptFilter{WebhookID: "wh_1"}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if m := most.Load(); m < 3 {
		t.Fatalf("at most %d deliveries were in flight at once to a webhook answering slowly; want the 3 events concurrently (attempts %+v)", m, at)
	}
	for _, a := range at {
		if !a.Delivered {
			t.Fatalf("attempt %+v not delivered", a)
		}
	}
}

func TestOnly2xxIsDelivered(t *testing.T) {
	e := newEngine(t, delivery.Options{})
	var status atomic.Int64
	var followed atomic.Int64
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/hook" {
			followed.Add(1)
		}
		s := int(status.Load())
		if s >= 300 && s < 400 {
			w.Header().Set("Location", "/elsewhere")
		}
		w.WriteHeader(s)
		fmt.Fprintf(w, "answer %d", s)
	})
	ev := newEvent("ev_1", "order.accepted", `{}`)
	for _, s := range []int{200, 201, 202, 204, 299, 301, 302, 303, 307, 308, 400, 401, 404, 410, 500, 502, 503} {
		status.Store(int64(s))
		a, err := e.Deliver(context.Background(), "acct_1", ev, target("wh_1", rc.url), delivery.ForgeNone)
		if err != nil {
			t.Fatalf("status %d: %v", s, err)
		}
		rc.next(t, fmt.Sprintf("the delivery answered %d", s))
		if want := s >= 200 && s < 300; a.Delivered != want || a.Status != s || a.Error != "" {
			t.Errorf("answer %d: delivered %v status %d error %q, want delivered %v", s, a.Delivered, a.Status, a.Error, want)
		}
		if s != 204 && !strings.Contains(a.ResponseExcerpt, strconv.Itoa(s)) {
			t.Errorf("answer %d: responseExcerpt %q", s, a.ResponseExcerpt)
		}
	}
	if n := followed.Load(); n != 0 {
		t.Fatalf("the engine followed %d redirects", n)
	}
	if n := len(e.Attempts("acct_1", delivery.AttemptFilter{EventID: "ev_1"})); n != 17 {
		t.Fatalf("%d attempts recorded, want 17", n)
	}
}

func TestUnreachableAndTimedOutAttemptsRecordAnError(t *testing.T) {
	e := newEngine(t, delivery.Options{Timeout: 100 * time.Millisecond})
	release := make(chan struct{})
	held := newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) })
	ev := newEvent("ev_1", "order.accepted", `{}`)

	a, err := e.Deliver(context.Background(), "acct_1", ev, target("wh_1", held.url), delivery.ForgeNone)
	if err != nil {
		t.Fatal(err)
	}
	held.next(t, "the held delivery")
	if a.Delivered || a.Status != 0 || !strings.Contains(a.Error, "no answer within 100ms") {
		t.Fatalf("held attempt %+v, want undelivered with a timeout error", a)
	}

	// Nothing listens on a closed server's address.
	gone := httptest.NewServer(http.NotFoundHandler())
	addr := gone.URL + "/hook"
	gone.Close()
	a, err = e.Deliver(context.Background(), "acct_1", ev, target("wh_2", addr), delivery.ForgeNone)
	if err != nil {
		t.Fatal(err)
	}
	if a.Delivered || a.Error == "" {
		t.Fatalf("unreachable attempt %+v, want undelivered with an error", a)
	}
	raw, _ := json.Marshal(a)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["latencyMs"]; !ok || m["error"] == "" {
		t.Fatalf("attempt JSON %s, want latencyMs and error", raw)
	}
}

func TestDeliverForgeries(t *testing.T) {
	e := newEngine(t, delivery.Options{})
	rc := newReceiver(t, nil)
	ev := newEvent("ev_1", "order.accepted", `{"id":"o1","totalAmount":27.01}`)
	canonical, _ := json.Marshal(ev)
	tg := target("wh_1", rc.url)
	cases := []struct {
		forge   delivery.Forgery
		wantErr error
		same    bool // body unchanged
	}{
		{delivery.ForgeNone, nil, true},
		{delivery.ForgeMissing, signature.ErrMissing, true},
		{delivery.ForgeWrongSecret, signature.ErrMismatch, true},
		{delivery.ForgeTamperedBody, signature.ErrMismatch, false},
		{delivery.ForgeStale, signature.ErrStale, true},
		{delivery.ForgeRotating, nil, true},
	}
	for _, tc := range cases {
		a, err := e.Deliver(context.Background(), "acct_1", ev, tg, tc.forge)
		if err != nil {
			t.Fatalf("forge %q: %v", tc.forge, err)
		}
		m := rc.next(t, "forge "+string(tc.forge))
		h := m.header.Get(signature.Header)
		if a.Forged != string(tc.forge) || a.Signature != h || !a.Delivered {
			t.Errorf("forge %q: attempt %+v, header %q", tc.forge, a, h)
		}
		if err := signature.Verify(h, m.body, "whsec_wh_1", time.Now(), 0); !errors.Is(err, tc.wantErr) {
			t.Errorf("forge %q: Verify = %v, want %v", tc.forge, err, tc.wantErr)
		}
		if same := string(m.body) == string(canonical); same != tc.same {
			t.Errorf("forge %q: body unchanged = %v, want %v", tc.forge, same, tc.same)
		}
	}
	if _, err := e.Deliver(context.Background(), "acct_1", ev, tg, "sideways"); apierror.As(err).Status != http.StatusBadRequest {
		t.Fatalf("unknown forge: %v, want 400", err)
	}
	for _, f := range append([]delivery.Forgery{delivery.ForgeNone}, delivery.Forgeries()...) {
		if err := f.Validate(); err != nil {
			t.Errorf("Validate(%q) = %v", f, err)
		}
	}
}

func TestFaults(t *testing.T) {
	e := newEngine(t, delivery.Options{})
	rc := newReceiver(t, nil)
	tg := target("wh_1", rc.url)
	publish := func(account, id, typ, object string) {
		e.Publish(account, newEvent(id, typ, object), []state.Target{tg})
	}

	// A fault answers 503 for order o2's order.accepted without calling the
	// merchant, twice; one forges fulfillment.created of o3 (matched on orderId).
	f1, err := e.AddFault("acct_1", delivery.Fault{EventType: "order.accepted", ObjectID: "o2", Status: 503, Count: 2})
	if err != nil {
		t.Fatal(err)
	}
	if f1.ID == "" || f1.Count != 2 || f1.Used != 0 {
		t.Fatalf("AddFault = %+v", f1)
	}
	if _, err := e.AddFault("acct_1", delivery.Fault{EventType: "fulfillment.created", ObjectID: "o3", Forge: string(delivery.ForgeMissing)}); err != nil {
		t.Fatal(err)
	}
	// A fault of another account never applies here.
	if _, err := e.AddFault("acct_2", delivery.Fault{Forge: string(delivery.ForgeWrongSecret), Count: 100}); err != nil {
		t.Fatal(err)
	}
	publish("acct_1", "ev_1", "order.accepted", `{"id":"o1"}`)
	publish("acct_1", "ev_2", "order.accepted", `{"id":"o2"}`) // 503, not sent
	publish("acct_1", "ev_3", "order.accepted", `{"id":"o2"}`) // 503, not sent
	publish("acct_1", "ev_4", "order.accepted", `{"id":"o2"}`) // fault used up: sent
	publish("acct_1", "ev_5", "fulfillment.created", `{"id":"ful_1","orderId":"o3"}`)
	publish("acct_1", "ev_6", "fulfillment.created", `{"id":"ful_2","orderId":"o3"}`)

	for _, want := range []struct {
		id        string
		signature bool
	}{{"ev_1", true}, {"ev_4", true}, {"ev_5", false}, {"ev_6", true}} {
		m := rc.next(t, want.id)
		var ev state.Event
		if err := json.Unmarshal(m.body, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.ID != want.id {
			t.Fatalf("request %d is %s, want %s", m.n, ev.ID, want.id)
		}
		verr := signature.Verify(m.header.Get(signature.Header), m.body, "whsec_wh_1", time.Now(), 0)
		if (verr == nil) != want.signature {
			t.Fatalf("%s: Verify = %v, want valid %v", want.id, verr, want.signature)
		}
	}
	at := waitAttempts(t, e, "acct_1", delivery.AttemptFilter{}, 6)
	for i, want := range []struct {
		status    int
		delivered bool
		forged    string
	}{{200, true, ""}, {503, false, ""}, {503, false, ""}, {200, true, ""}, {200, true, "missing"}, {200, true, ""}} {
		a := at[i]
		if a.Status != want.status || a.Delivered != want.delivered || a.Forged != want.forged {
			t.Fatalf("attempt %d (%s): status %d delivered %v forged %q, want %d %v %q", i+1, a.EventID, a.Status, a.Delivered, a.Forged, want.status, want.delivered, want.forged)
		}
	}
	if !strings.Contains(at[1].Error, "fault") {
		t.Fatalf("fault attempt error %q, want it to say it was injected", at[1].Error)
	}
}

func TestAddFaultRefusesNonsense(t *testing.T) {
	e := newEngine(t, delivery.Options{})
	cases := []struct {
		name  string
		f     delivery.Fault
		code  string
		param string
	}{
		{"nothing to do", delivery.Fault{EventType: "order.accepted"}, "missing_parameter", "forge"},
		{"unknown forge", delivery.Fault{Forge: "sideways"}, "invalid_parameter", "forge"},
		{"2xx status", delivery.Fault{Status: 204}, "invalid_parameter", "status"},
		{"status 99", delivery.Fault{Status: 99}, "invalid_parameter", "status"},
		{"status 600", delivery.Fault{Status: 600}, "invalid_parameter", "status"},
		{"negative count", delivery.Fault{Forge: string(delivery.ForgeStale), Count: -1}, "invalid_parameter", "count"},
	}
	for _, tc := range cases {
		_, err := e.AddFault("acct_1", tc.f)
		ae := apierror.As(err)
		if err == nil || ae.Status != http.StatusBadRequest || ae.Errors[0].Code != tc.code || ae.Errors[0].Parameter != tc.param {
			t.Errorf("%s: %v, want 400 %s (%s)", tc.name, err, tc.code, tc.param)
		}
	}
}

func TestCloseCancelsInFlightAttemptsAndStopsTakingEvents(t *testing.T) {
	e := delivery.New(delivery.Options{Timeout: time.Minute})
	held := newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // only a cancelled attempt ends this
	})
	e.Publish("acct_1", newEvent("ev_1", "order.accepted", `{}`), []state.Target{target("wh_1", held.url)})
	held.next(t, "the held delivery")

	closed := make(chan struct{})
	go func() {
		e.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(wait):
		t.Fatalf("Close did not return within %s while an attempt was in flight", wait)
	}
	at := e.Attempts("acct_1", delivery.AttemptFilter{})
	if len(at) != 1 || at[0].Delivered || !strings.Contains(at[0].Error, "canceled") {
		t.Fatalf("attempts after Close %+v, want the cancelled one", at)
	}

	e.Publish("acct_1", newEvent("ev_2", "order.accepted", `{}`), []state.Target{target("wh_1", held.url)})
	if n := len(e.Attempts("acct_1", delivery.AttemptFilter{})); n != 1 {
		t.Fatalf("Publish after Close recorded an attempt (%d now)", n)
	}
	if _, err := e.Deliver(context.Background(), "acct_1", newEvent("ev_3", "order.accepted", `{}`), target("wh_1", held.url), delivery.ForgeNone); err == nil {
		t.Fatal("Deliver after Close succeeded")
	}
}

// A webhook address with a user and password is called with them as basic
// authentication, as an HTTP client sends them, and the recorded attempt's
// errors never show the password.
func TestAddressUserAndPasswordAreBasicAuth(t *testing.T) {
	e := newEngine(t, delivery.Options{})
	rc := newReceiver(t, nil)
	addr := strings.Replace(rc.url, "http://", "http://hook-user:s3cret@", 1) + "/hook"
	a, err := e.Deliver(context.Background(), "acct_1", newEvent("ev_1", "order.accepted", `{}`), target("wh_1", addr), delivery.ForgeNone)
	if err != nil {
		t.Fatal(err)
	}
	got := rc.next(t, "the delivery")
	if !a.Delivered {
		t.Fatalf("attempt %+v, want delivered", a)
	}
	r := http.Request{Header: got.header}
	if u, p, ok := r.BasicAuth(); !ok || u != "hook-user" || p != "s3cret" {
		t.Fatalf("Authorization %q, want basic hook-user:s3cret", got.header.Get("Authorization"))
	}

	gone := httptest.NewServer(http.NotFoundHandler())
	addr = strings.Replace(gone.URL, "http://", "http://hook-user:s3cret@", 1) + "/hook"
	gone.Close()
	a, err = e.Deliver(context.Background(), "acct_1", newEvent("ev_2", "order.accepted", `{}`), target("wh_2", addr), delivery.ForgeNone)
	if err != nil {
		t.Fatal(err)
	}
	if a.Delivered || !strings.HasPrefix(a.Error, `Post "http://hook-user:xxxxx@`) || strings.Contains(a.Error, "s3cret") {
		t.Fatalf("attempt to a closed address: error %q, want Post \"http://hook-user:xxxxx@…\" without the password", a.Error)
	}
}
