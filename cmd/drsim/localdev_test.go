package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/drsim/drsim/simulator/client"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drsim/drsim/examples/merchant"
	"github.com/drsim/drsim/harness/mailbox"
	"github.com/drsim/drsim/simulator"
)

// notifyBuffer is a writer a test can wait on: each write wakes waiters.
type notifyBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{}
}

func newNotifyBuffer() *notifyBuffer { return &notifyBuffer{changed: make(chan struct{})} }

func (n *notifyBuffer) Write(p []byte) (int, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	close(n.changed)
	n.changed = make(chan struct{})
	return n.b.Write(p)
}

func (n *notifyBuffer) String() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.b.String()
}

// waitFor waits until the output contains want, or fails naming what it saw.
func (n *notifyBuffer) waitFor(t *testing.T, what, want string, d time.Duration) {
	t.Helper()
	deadline := time.After(d)
	for {
		n.mu.Lock()
		out, ch := n.b.String(), n.changed
		n.mu.Unlock()
		if strings.Contains(out, want) {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("%s: %q did not appear within %s; output was:\n%s", what, want, d, out)
		}
	}
}

// localDev is a simulator, an embedded MailHog and the reference merchant,
// as a developer runs them: the merchant configured with a fixed key and
// secret, and no account or webhook yet.
type localDev struct {
	sim      *simulator.Server
	mail     *mailbox.Server
	mailbox  *mailbox.Client
	merchant *merchant.Server
	key      string
	secret   string
}

func startLocalDev(t *testing.T) *localDev {
	t.Helper()
	mail, err := mailbox.StartEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mail.Close() })
	sim, err := simulator.Start(simulator.Options{RetryScale: 1e-4, DeliveryTimeout: time.Second, MailURL: mail.URL() + "/"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	mc := mailbox.NewClient(mail.URL())
	t.Cleanup(func() { mc.Close() })
	d := &localDev{sim: sim, mail: mail, mailbox: mc, key: "sk_test_localdev" + fmt.Sprint(time.Now().UnixNano()), secret: "whsec_localdev"}
	d.merchant, err = merchant.Start(merchant.Config{SigningSecret: d.secret, DRBaseURL: sim.URL(), DRSecretKey: d.key, SMTPAddr: mail.SMTPAddr()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.merchant.Close() })
	return d
}

func TestListenAndTriggerAgainstTheReferenceMerchant(t *testing.T) {
	d := startLocalDev(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	listenOut, listenErr := newNotifyBuffer(), newNotifyBuffer()
	listenDone := make(chan int, 1)
	go func() {
		listenDone <- run(ctx, []string{"listen", "-sim", d.sim.URL(), "-key", d.key, "-secret", d.secret, "-forward-to", d.merchant.WebhookURL()}, listenOut, listenErr)
	}()
	listenOut.waitFor(t, "drsim listen", "Ready.", 10*time.Second)
	for _, want := range []string{"secret key      " + d.key, "signing secret  " + d.secret, "public key      pk_test_"} {
		if !strings.Contains(listenOut.String(), want) {
			t.Errorf("listen did not print %q:\n%s", want, listenOut.String())
		}
	}

	email := fmt.Sprintf("alice+%d@example.test", time.Now().UnixNano())
	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"trigger", "-sim", d.sim.URL(), "-key", d.key, "-email", email, "order.accepted"}, &out, &errOut); code != 0 {
		t.Fatalf("drsim trigger order.accepted exited %d:\n%s\n%s", code, out.String(), errOut.String())
	}
	for _, want := range []string{"order.pending_payment", "order.accepted", "order.invoice.created", d.merchant.WebhookURL() + " 200 delivered"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("trigger output lacks %q:\n%s", want, out.String())
		}
	}
	mctx, mcancel := context.WithTimeout(ctx, 10*time.Second)
	defer mcancel()
	m, err := d.mailbox.Wait(mctx, email, "order confirmation", func(m *mailbox.Message) bool { return strings.Contains(m.Body(), "Widget") })
	if err != nil {
		t.Fatalf("the merchant's email for the triggered order: %v", err)
	}
	t.Logf("email arrived: %q", m.Subject)
	listenOut.waitFor(t, "listen's delivery tail", "order.accepted", 10*time.Second)

	// events resend: a manual delivery of the accepted event, answered 200.
	evID := eventID(t, out.String(), "order.accepted")
	out.Reset()
	if code := run(ctx, []string{"events", "resend", "-sim", d.sim.URL(), "-key", d.key, evID}, &out, &errOut); code != 0 {
		t.Fatalf("drsim events resend exited %d: %s %s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "200 delivered") {
		t.Errorf("resend output: %q", out.String())
	}
	// listen tells the resend from the event's first delivery.
	listenOut.waitFor(t, "listen's tail of the resend", evID+" ["+hookOf(t, listenOut.String())+"] resend  <-- 200 delivered", 10*time.Second)

	// A delivery that does not come within -wait is said in a line, not as
	// the control API's 408 (a hold fault keeps it here).
	if _, err := d.sim.Client(d.key).AddFault(ctx, client.Fault{EventType: "order.accepted", Hold: true}); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := run(ctx, []string{"trigger", "-sim", d.sim.URL(), "-key", d.key, "-wait", "200ms", "order.accepted"}, &out, &errOut); code != 0 {
		t.Fatalf("trigger with a held delivery exited %d: %s %s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "no delivery within 200ms") || strings.Contains(out.String(), "request_timeout") || strings.Contains(out.String(), "/_sim/") {
		t.Errorf("trigger with a held order.accepted delivery printed:\n%s\nwant \"no delivery within 200ms\" without the control API's error", out.String())
	}
	cancel()
	select {
	case code := <-listenDone:
		if code != 0 {
			t.Errorf("listen exited %d after Ctrl-C: %s", code, listenErr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("listen did not stop within 10s of its context ending")
	}
}

// hookOf is the webhook id listen printed on its Ready line.
func hookOf(t *testing.T, out string) string {
	t.Helper()
	m := regexp.MustCompile(`\(webhook ([0-9a-f-]+)\)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no webhook id in listen's output:\n%s", out)
	}
	return m[1]
}

// eventID finds the id printed after an event type in trigger's output.
func eventID(t *testing.T, out, typ string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[1] == typ {
			return f[2]
		}
	}
	t.Fatalf("no %s event in:\n%s", typ, out)
	return ""
}

func TestTriggerFlowsCauseTheirEvents(t *testing.T) {
	d := startLocalDev(t)
	ctx := context.Background()
	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"listen", "-h"}, &out, &errOut); code != 0 {
		t.Fatalf("listen -h exited %d", code)
	}
	keys, err := d.sim.Client("").CreateAccount(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		flow string
		want []string
	}{
		{"order.shipped", []string{"fulfillment.created", "order.complete"}},
		{"order.partly-shipped", []string{"fulfillment.created", "order.charge.capture.complete"}},
		{"order.partly-cancelled", []string{"order.charge.cancel.complete"}},
		{"order.partly-refunded", []string{"refund.complete", "order.refunded", "order.credit_memo.created"}},
		{"order.cancelled", []string{"order.cancelled"}},
		{"order.refunded", []string{"refund.complete", "order.refunded", "order.credit_memo.created"}},
		{"order.blocked", []string{"order.blocked"}},
		{"order.paypal", []string{"order.accepted"}},
		{"order.wire-transfer", []string{"order.pending_payment", "source.chargeable", "order.accepted"}},
		{"order.wire-transfer-expired", []string{"order.cancelled"}},
		{"refund.pending_information", []string{"refund.pending_information"}},
		{"order.charge.cancel.failed", []string{"order.charge.cancel.failed"}},
		{"return.created", []string{"return.created"}},
		{"subscription.created", []string{"subscription.created"}},
		{"reminder", []string{"subscription.reminder"}},
		{"renewal", []string{"subscription.extended", "invoice.paid"}},
		{"trial-conversion", []string{"subscription.extended"}},
		{"payment-failed", []string{"subscription.payment_failed"}},
		{"subscription.failed", []string{"subscription.failed"}},
		{"subscription.cancelled", []string{"subscription.updated"}},
	}
	for _, tc := range tests {
		out.Reset()
		errOut.Reset()
		code := run(ctx, []string{"trigger", "-sim", d.sim.URL(), "-key", keys.SecretKey, "-wait", "0", tc.flow}, &out, &errOut)
		if code != 0 {
			t.Errorf("trigger %s exited %d: %s", tc.flow, code, errOut.String())
			continue
		}
		t.Logf("trigger %s:\n%s", tc.flow, out.String())
		for _, w := range tc.want {
			if !strings.Contains(out.String(), " "+w+" ") {
				t.Errorf("trigger %s: no %s event in:\n%s", tc.flow, w, out.String())
			}
		}
		// A flow not named by a DR event type says so, and which events DR
		// sends instead, and it sends them.
		name := tc.flow
		if a, ok := flowAliases[name]; ok {
			name = a
		}
		if sends, ok := flowSends[name]; ok {
			if !strings.Contains(out.String(), "Triggered "+name+" (drsim's name for the flow, not a DR event type; DR sends "+sends+")") {
				t.Errorf("trigger %s does not say DR sends %s:\n%s", tc.flow, sends, out.String())
			}
			for _, ev := range strings.Split(sends, ", ") {
				if !strings.Contains(out.String(), " "+ev+" ") {
					t.Errorf("trigger %s says DR sends %s, but no %s event in:\n%s", tc.flow, sends, ev, out.String())
				}
			}
		}
		if tc.flow == "order.partly-refunded" { // DR's order.refunded of a partial refund
			ev, err := d.sim.Client(keys.SecretKey).Event(ctx, eventID(t, out.String(), "order.refunded"))
			if err != nil {
				t.Fatal(err)
			}
			var o struct {
				RefundedAmount float64 `json:"refundedAmount"`
				TotalAmount    float64 `json:"totalAmount"`
			}
			if err := json.Unmarshal(ev.Data.Object, &o); err != nil || o.RefundedAmount != 5 || o.TotalAmount <= 5 {
				t.Errorf("order.partly-refunded: order.refunded carries refundedAmount %v of %v (%v), want 5 of more", o.RefundedAmount, o.TotalAmount, err)
			}
		}
	}
	out.Reset()
	errOut.Reset()
	if code := run(ctx, []string{"trigger", "-sim", d.sim.URL(), "-key", keys.SecretKey, "no.such.flow"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "order.refunded") {
		t.Errorf("unknown flow: exit %d, %q; want 2 and the list of flows", code, errOut.String())
	}
	if code := run(ctx, []string{"trigger", "-sim", d.sim.URL(), "order.accepted"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "DRSIM_SECRET_KEY") {
		t.Errorf("no key: exit %d, %q", code, errOut.String())
	}
}

// The local-development commands say what to do about the two usual
// mistakes: no simulator at -sim, and a key the simulator does not know.
func TestLocalDevCommandsExplainNoSimulatorAndUnknownKey(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	sim, err := simulator.Start(simulator.Options{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	const key = "sk_test_nobodyhas0000"
	cmds := [][]string{
		{"trigger", "order.accepted"},
		{"events", "resend", "no-such-event"},
		{"logs", "tail"},
	}
	for _, cmd := range cmds {
		for _, tc := range []struct{ sim, want string }{
			{down, "no simulator answers at " + down + ": start one with `drsim serve`"},
			{sim.URL(), "knows no account with the key " + key + ": use the secret key `drsim listen` printed"},
		} {
			out, errOut := newNotifyBuffer(), newNotifyBuffer()
			args := append([]string{cmd[0], "-sim", tc.sim, "-key", key}, cmd[1:]...)
			if cmd[0] != "trigger" {
				args = append([]string{cmd[0], cmd[1], "-sim", tc.sim, "-key", key}, cmd[2:]...)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			code := run(ctx, args, out, errOut)
			cancel()
			if code != 2 || !strings.Contains(errOut.String(), tc.want) {
				t.Errorf("drsim %v: exit %d, stderr %q; want 2 saying %q", args, code, errOut.String(), tc.want)
			}
		}
	}
	out, errOut := newNotifyBuffer(), newNotifyBuffer()
	if code := run(context.Background(), []string{"listen", "-sim", down, "--forward-to", "http://127.0.0.1:1/hook"}, out, errOut); code != 2 || !strings.Contains(errOut.String(), "no simulator answers at "+down) {
		t.Errorf("listen with no simulator: exit %d, stderr %q", code, errOut.String())
	}
}

// listen -events refuses a type the simulator never emits (the webhook
// would silently get nothing of it) and takes patterns that match some.
func TestListenEventsAreChecked(t *testing.T) {
	for list, want := range map[string]string{
		"order.acepted":                 `"order.acepted" is not an event type the simulator emits; did you mean "order.accepted"?`,
		"order.accepted,nonsense.thing": `"nonsense.thing" is not an event type the simulator emits; the types are customer.created`,
		"widget.*":                      `"widget.*" is not an event type`,
		" , ":                           "names no event type",
	} {
		out, errOut := newNotifyBuffer(), newNotifyBuffer()
		// -sim points nowhere: the types are refused before any call.
		code := run(context.Background(), []string{"listen", "-sim", "http://127.0.0.1:1", "--forward-to", "http://127.0.0.1:1/hook", "-events", list}, out, errOut)
		if code != 2 || !strings.Contains(errOut.String(), want) {
			t.Errorf("listen -events %q: exit %d, stderr %q; want 2 saying %q", list, code, errOut.String(), want)
		}
	}
	for list, want := range map[string][]string{
		"order.accepted, order.refunded": {"order.accepted", "order.refunded"},
		"subscription.*":                 {"subscription.*"},
	} {
		got, err := eventTypes(list)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("eventTypes(%q) = %q, %v; want %q", list, got, err, want)
		}
	}
}

// listen outlives a restart of the simulator (serve -state, stopped and
// started again): it says the simulator stopped answering, waits, and tails
// the restarted one's deliveries, whose attempts are numbered afresh.
func TestListenSurvivesASimulatorRestart(t *testing.T) {
	reconnectEvery = 20 * time.Millisecond
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }))
	defer hook.Close()
	stateFile := filepath.Join(t.TempDir(), "state.json")
	sim, err := simulator.Start(simulator.Options{Addr: "127.0.0.1:0", StateFile: stateFile})
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(sim.URL(), "http://")
	const key = "sk_test_restarting0000"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	listenOut, listenErr := newNotifyBuffer(), newNotifyBuffer()
	listenDone := make(chan int, 1)
	go func() {
		listenDone <- run(ctx, []string{"listen", "-sim", sim.URL(), "-key", key, "-forward-to", hook.URL + "/hook"}, listenOut, listenErr)
	}()
	listenOut.waitFor(t, "drsim listen", "Ready.", 10*time.Second)
	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"trigger", "-sim", sim.URL(), "-key", key, "order.blocked"}, &out, &errOut); code != 0 {
		t.Fatalf("trigger: %d %s %s", code, out.String(), errOut.String())
	}
	listenOut.waitFor(t, "listen's tail before the restart", "order.blocked", 10*time.Second)
	if err := sim.Close(); err != nil { // saves the state
		t.Fatal(err)
	}
	listenOut.waitFor(t, "listen when the simulator stops", "the simulator stopped answering", 10*time.Second)
	sim, err = simulator.Start(simulator.Options{Addr: addr, StateFile: stateFile})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	listenOut.waitFor(t, "listen when the simulator is back", "the simulator is back", 10*time.Second)
	out.Reset()
	if code := run(ctx, []string{"trigger", "-sim", sim.URL(), "-key", key, "order.accepted"}, &out, &errOut); code != 0 {
		t.Fatalf("trigger after the restart: %d %s %s", code, out.String(), errOut.String())
	}
	listenOut.waitFor(t, "listen's tail after the restart", eventID(t, out.String(), "order.accepted"), 10*time.Second)
	cancel()
	select {
	case code := <-listenDone:
		if code != 0 {
			t.Errorf("listen exited %d: %s", code, listenErr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("listen did not stop within 10s of its context ending")
	}
}

// logs tail shows the shop's API calls, not those drsim trigger makes to
// play its flow (nor any other drsim command's: their User-Agent says so),
// and shows a call made right after "Tailing" is printed.
func TestLogsTailLeavesOutDrsimsOwnCalls(t *testing.T) {
	sim, err := simulator.Start(simulator.Options{RetryScale: 1e-4})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	keys, err := client.New(sim.URL(), "").CreateAccount(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	tail, tailErr := newNotifyBuffer(), newNotifyBuffer()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"logs", "tail", "-sim", sim.URL(), "-key", keys.SecretKey, "-poll", "10ms", "-deliveries=false"}, tail, tailErr)
	}()
	tail.waitFor(t, "drsim logs tail", "Tailing", 10*time.Second)

	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"trigger", "-sim", sim.URL(), "-key", keys.SecretKey, "-wait", "0", "order.accepted"}, &out, &errOut); code != 0 {
		t.Fatalf("drsim trigger order.accepted exited %d:\n%s\n%s", code, out.String(), errOut.String())
	}
	// The shop's call, after every call of the trigger: once the tail shows
	// it, it has passed over the trigger's.
	if _, err := client.New(sim.URL(), keys.SecretKey).Customer(ctx, "shop-looks-up-0336"); client.StatusOf(err) != http.StatusNotFound {
		t.Fatalf("the shop's call: %v, want 404", err)
	}
	tail.waitFor(t, "the shop's call in logs tail", "GET /customers/shop-looks-up-0336  <-- 404", 10*time.Second)
	for _, line := range strings.Split(tail.String(), "\n") {
		if strings.Contains(line, "<--") && !strings.Contains(line, "shop-looks-up-0336") {
			t.Errorf("logs tail shows a call the shop did not make: %q\nwhole tail:\n%s", line, tail.String())
		}
	}
	reqs, err := client.New(sim.URL(), keys.SecretKey).Requests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	triggered := 0
	for _, r := range reqs {
		if r.Agent == triggerAgent {
			triggered++
		}
	}
	if triggered == 0 {
		t.Errorf("no call in the request log carries the User-Agent %q: %+v", triggerAgent, reqs)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("logs tail exited %d: %s", code, tailErr.String())
	}
}

// Every trigger flow is named by the DR event type it causes, or says which
// DR events it is about (flowSends), each a type the simulator emits.
func TestTriggerFlowNamesAgreeWithDREvents(t *testing.T) {
	for name := range flows {
		sends, ok := flowSends[name]
		isType := slices.Contains(allEventTypes, name)
		switch {
		case isType && ok:
			t.Errorf("flow %s is a DR event type, yet flowSends says it sends %s", name, sends)
		case !isType && !ok:
			t.Errorf("flow %s is not a DR event type and flowSends does not say which events DR sends for it", name)
		}
		for _, ev := range strings.Split(sends, ", ") {
			if ok && !slices.Contains(allEventTypes, ev) {
				t.Errorf("flowSends[%s] names %s, not an event type the simulator emits", name, ev)
			}
		}
		if !strings.Contains(flows[name].about, "(") && !isType {
			t.Errorf("flow %s: its description %q does not name the events", name, flows[name].about)
		}
	}
	for name := range flowSends {
		if _, ok := flows[name]; !ok {
			t.Errorf("flowSends names %s, which is no flow", name)
		}
	}
}
