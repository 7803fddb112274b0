package harness_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drsim/drsim/fixtures"
	"github.com/drsim/drsim/harness"
	"github.com/drsim/drsim/harness/catalogue"
	"github.com/drsim/drsim/harness/mailbox"
	"github.com/drsim/drsim/harness/profile"
	"github.com/drsim/drsim/simulator"
	"github.com/drsim/drsim/simulator/client"
	"github.com/drsim/drsim/simulator/signature"
)

// rig is the simulator and MailHog in-process and a small shop served by
// httptest: its webhook checks DR's signature (or, trusting, takes
// anything), and every other request is an action it records and answers
// 200 {}.
type rig struct {
	sim  *simulator.Server
	mb   *mailbox.Client
	cat  *catalogue.Catalogue
	shop *shop
	url  string
	key  string // the secret key of the last harness made
}

const rigSecret = "whsec_rig"

// rigKeys numbers the rig's secret keys, one account per harness.
var rigKeys atomic.Int64

type shop struct {
	mu       sync.Mutex
	trusting bool             // accept any signature
	actions  []string         // "METHOD /path body" of each action served
	portal   http.HandlerFunc // serves /portal/… when set
	// dr is DR with the last harness's key: on order.accepted the shop
	// activates the order's subscriptions, as a merchant must.
	dr *client.Client
}

func (s *shop) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	portal, trusting, dr := s.portal, s.trusting, s.dr
	s.mu.Unlock()
	if portal != nil && strings.HasPrefix(r.URL.Path, "/portal/") {
		portal(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	if r.URL.Path == "/hook" {
		if !trusting && signature.Verify(r.Header.Get(signature.Header), body, rigSecret, time.Now(), signature.DefaultTolerance) != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		if dr != nil {
			activateOnAccept(r.Context(), dr, body)
		}
		return
	}
	s.mu.Lock()
	s.actions = append(s.actions, r.Method+" "+r.URL.Path+" "+string(body))
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, "{}")
}

// activateOnAccept does what a merchant must on order.accepted (body):
// activate the order's subscriptions at DR.
func activateOnAccept(ctx context.Context, dr *client.Client, body []byte) {
	var ev struct {
		Type string `json:"type"`
		Data struct {
			Object struct {
				Items []struct {
					SubscriptionInfo struct {
						SubscriptionID string `json:"subscriptionId"`
					} `json:"subscriptionInfo"`
				} `json:"items"`
			} `json:"object"`
		} `json:"data"`
	}
	if json.Unmarshal(body, &ev) != nil || ev.Type != "order.accepted" {
		return
	}
	for _, it := range ev.Data.Object.Items {
		if id := it.SubscriptionInfo.SubscriptionID; id != "" {
			_, _ = dr.UpdateSubscription(ctx, id, client.SubscriptionUpdateParams{State: "active"})
		}
	}
}

// set changes the shop under its lock.
func (s *shop) set(f func(*shop)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

func (s *shop) served() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.actions...)
}

func newRig(t *testing.T) *rig {
	t.Helper()
	sim, mb, cat := services(t, simulator.Options{RetryScale: 1e-4, DeliveryTimeout: 500 * time.Millisecond})
	sh := &shop{}
	srv := httptest.NewServer(sh)
	t.Cleanup(srv.Close)
	return &rig{sim: sim, mb: mb, cat: cat, shop: sh, url: srv.URL}
}

// services starts what every harness test runs against, in process: the
// simulator with o, an embedded MailHog with its client, and the embedded
// notification catalogue. Each is closed when the test ends.
func services(t *testing.T, o simulator.Options) (*simulator.Server, *mailbox.Client, *catalogue.Catalogue) {
	t.Helper()
	sim, err := simulator.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	mail, err := mailbox.StartEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mail.Close() })
	mb := mailbox.NewClient(mail.URL())
	t.Cleanup(func() { mb.Close() })
	cat, err := catalogue.Parse("notifications.yaml", fixtures.Notifications())
	if err != nil {
		t.Fatal(err)
	}
	return sim, mb, cat
}

// harness connects a harness to the rig with a profile of the shop; extra
// is more YAML (actions:, say). Each call makes its own account.
func (r *rig) harness(t *testing.T, extra string) *harness.Harness {
	t.Helper()
	key := fmt.Sprintf("sk_test_rig%d_%d", time.Now().UnixNano(), rigKeys.Add(1))
	p, err := profile.Parse("rig.yaml", []byte(fmt.Sprintf(`
name: Rig shop
webhook: {url: "%[1]s/hook", signingSecret: %[2]s}
api: {secretKey: %[3]s}
merchant: {url: "%[1]s"}
timeouts: {email: 1s, quiet: 100ms}
%[4]s`, r.url, rigSecret, key, extra)))
	if err != nil {
		t.Fatal(err)
	}
	h, err := harness.New(context.Background(), harness.Config{Profile: p, Catalogue: r.cat, SimulatorURL: r.sim.URL(), Mailbox: r.mb})
	if err != nil {
		t.Fatal(err)
	}
	r.key = key
	r.shop.set(func(s *shop) { s.dr = client.New(r.sim.URL(), key) })
	return h
}

// ordered is a scenario whose customer Alice placed an order of two
// "Trail lantern" and one "Camp stove" (not yet accepted).
func ordered(t *testing.T, h *harness.Harness) *harness.Scenario {
	t.Helper()
	ctx := context.Background()
	sc := h.NewScenario(t.Name())
	if _, err := sc.CreateCustomer(ctx, "Alice"); err != nil {
		t.Fatal(err)
	}
	spec := harness.OrderSpec{Currency: "USD", Lines: []harness.Line{{Product: "Trail lantern", Quantity: 2, Price: 15}, {Product: "Camp stove", Quantity: 1, Price: 49}}}
	if _, err := sc.PlaceOrder(ctx, "Alice", spec); err != nil {
		t.Fatal(err)
	}
	return sc
}

// wantErr fails unless err's message holds every one of want (no error
// wanted when want is empty).
func wantErr(t *testing.T, what string, err error, want ...string) {
	t.Helper()
	if len(want) == 0 {
		if err != nil {
			t.Fatalf("%s: %v, want no error", what, err)
		}
		return
	}
	if err == nil {
		t.Fatalf("%s: no error, want one saying %q", what, want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Fatalf("%s: error %q does not say %q", what, err, w)
		}
	}
}
