// Package testrig starts, in process and on loopback, what the harness's
// own tests run against: the simulator, an embedded MailHog with its
// client, the embedded notification catalogue, and a small shop served by
// httptest. Tests of harness, internal/steps and internal/suite share it;
// nothing outside tests imports it.
package testrig

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

// Secret is the webhook signing secret of the rig's profile.
const Secret = "whsec_rig"

// Rig is the simulator and MailHog in-process and a Shop served by
// httptest.
type Rig struct {
	Sim       *simulator.Server
	Mailbox   *mailbox.Client
	Catalogue *catalogue.Catalogue
	Shop      *Shop
	URL       string // the shop's
	SMTP      string // the embedded MailHog's SMTP address, for a shop's emails
	Key       string // the secret key of the last harness made
}

// keys numbers the rig's secret keys, one account per harness.
var keys atomic.Int64

// Shop is a small merchant: its webhook (/hook) checks DR's signature (or,
// Trusting, takes anything), and every other request is an action it
// records and answers 200 {}. Change its fields with Set.
type Shop struct {
	mu       sync.Mutex
	Trusting bool             // accept any signature
	Portal   http.HandlerFunc // serves /portal/… when set
	// DR is DR with the last harness's key: on order.accepted the shop
	// activates the order's subscriptions, as a merchant must.
	DR *client.Client
	// OnEvent, when set, is given each webhook the shop accepts (its body),
	// before the shop answers: to send an email, say.
	OnEvent func(ctx context.Context, body []byte)
	actions []string // "METHOD /path body" of each action served
}

func (s *Shop) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	portal, trusting, dr, onEvent := s.Portal, s.Trusting, s.DR, s.OnEvent
	s.mu.Unlock()
	if portal != nil && strings.HasPrefix(r.URL.Path, "/portal/") {
		portal(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	if r.URL.Path == "/hook" {
		if !trusting && signature.Verify(r.Header.Get(signature.Header), body, Secret, time.Now(), signature.DefaultTolerance) != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		if dr != nil {
			ActivateOnAccept(r.Context(), dr, body)
		}
		if onEvent != nil {
			onEvent(r.Context(), body)
		}
		return
	}
	s.mu.Lock()
	s.actions = append(s.actions, r.Method+" "+r.URL.Path+" "+string(body))
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, "{}")
}

// ActivateOnAccept does what a merchant must on order.accepted (body):
// activate the order's subscriptions at DR.
func ActivateOnAccept(ctx context.Context, dr *client.Client, body []byte) {
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
			_, _ = dr.UpdateSubscription(ctx, id, client.SubscriptionUpdateParams{State: client.String("active")})
		}
	}
}

// Set changes the shop under its lock.
func (s *Shop) Set(f func(*Shop)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

// Served lists the actions served so far, "METHOD /path body" each.
func (s *Shop) Served() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.actions...)
}

// New starts a rig whose simulator retries 10,000 times faster than DR
// and times a delivery out after 500 ms; everything closes when t ends.
func New(t testing.TB) *Rig {
	t.Helper()
	sim, mail, mb, cat := services(t, simulator.Options{RetryScale: 1e-4, DeliveryTimeout: 500 * time.Millisecond})
	sh := &Shop{}
	srv := httptest.NewServer(sh)
	t.Cleanup(srv.Close)
	return &Rig{Sim: sim, Mailbox: mb, Catalogue: cat, Shop: sh, URL: srv.URL, SMTP: mail.SMTPAddr()}
}

// Services starts what every harness test runs against, in process: the
// simulator with o, an embedded MailHog with its client, and the embedded
// notification catalogue. Each is closed when the test ends.
func Services(t testing.TB, o simulator.Options) (*simulator.Server, *mailbox.Client, *catalogue.Catalogue) {
	t.Helper()
	sim, _, mb, cat := services(t, o)
	return sim, mb, cat
}

func services(t testing.TB, o simulator.Options) (*simulator.Server, *mailbox.Server, *mailbox.Client, *catalogue.Catalogue) {
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
	return sim, mail, mb, cat
}

// Harness connects a harness to the rig with a profile of the shop named
// "Rig shop"; extra is more YAML (actions:, say). Each call makes its own
// account.
func (r *Rig) Harness(t testing.TB, extra string) *harness.Harness {
	t.Helper()
	key := fmt.Sprintf("sk_test_rig%d_%d", time.Now().UnixNano(), keys.Add(1))
	p, err := profile.Parse("rig.yaml", []byte(fmt.Sprintf(`
name: Rig shop
webhook: {url: "%[1]s/hook", signingSecret: %[2]s}
api: {secretKey: %[3]s}
merchant: {url: "%[1]s"}
timeouts: {email: 1s, quiet: 100ms}
%[4]s`, r.URL, Secret, key, extra)))
	if err != nil {
		t.Fatal(err)
	}
	h, err := harness.New(context.Background(), harness.Config{Profile: p, Catalogue: r.Catalogue, SimulatorURL: r.Sim.URL(), Mailbox: r.Mailbox})
	if err != nil {
		t.Fatal(err)
	}
	r.Key = key
	r.Shop.Set(func(s *Shop) { s.DR = client.New(r.Sim.URL(), key) })
	return h
}

// Ordered is a scenario whose customer Alice placed an order of two
// "Trail lantern" and one "Camp stove" (not yet accepted).
func Ordered(t testing.TB, h *harness.Harness) *harness.Scenario {
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

// WantErr fails unless err's message holds every one of want (no error
// wanted when want is empty).
func WantErr(t testing.TB, what string, err error, want ...string) {
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
