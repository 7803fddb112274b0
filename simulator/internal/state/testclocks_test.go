package state_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/drsim/drsim/simulator/internal/state"
)

// gate is a Publisher that, once armed, stops the first event of account
// in its tracks (Publish runs with that account locked, in the middle of a
// clock's advance) until released.
type gate struct {
	mu       sync.Mutex
	account  string
	armed    bool
	reached  chan struct{}
	release  chan struct{}
	reachOne sync.Once
}

func (g *gate) Publish(accountID string, _ *state.Event, _ []state.Target) {
	g.mu.Lock()
	stop := g.armed && accountID == g.account
	g.mu.Unlock()
	if stop {
		g.reachOne.Do(func() { close(g.reached) })
		<-g.release
	}
}

// A file link of another account downloads while an advance is stopped
// in the middle of a step, its account locked: downloads find their link
// through the store's index and never wait on an account that is not the
// link's.
func TestLinkDownloadOfAnotherAccountDuringAnAdvance(t *testing.T) {
	g := &gate{reached: make(chan struct{}), release: make(chan struct{})}
	s := state.NewStore(g, time.Now)
	busy := mustAccount(t, s)
	other := mustAccount(t, s)
	g.account = busy.ID()

	// The busy account: a clock with daily subscriptions and a webhook, so
	// every renewal publishes.
	if _, err := busy.CreateWebhook(state.WebhookParams{Address: ptr("http://127.0.0.1:1/hook"), Types: &[]string{"subscription.extended"}}); err != nil {
		t.Fatalf("CreateWebhook: %v", err)
	}
	clk, err := busy.CreateTestClock(state.TestClockParams{FrozenTime: ptr(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))})
	if err != nil {
		t.Fatalf("CreateTestClock: %v", err)
	}
	plan := mustPlan(t, busy, planParams("day", 1, -1, 0, 0))
	sku := mustSKU(t, busy, "Daily paper")
	for i := 0; i < 3; i++ {
		c, err := busy.TestClockCustomer(clk.ID, state.CustomerParams{Email: ptr(fmt.Sprintf("d%d@example.test", i))})
		if err != nil {
			t.Fatalf("TestClockCustomer: %v", err)
		}
		src := mustCard(t, busy, c.ID, goodCard, 12, 2040)
		o, err := busy.PlaceOrder(state.PlaceOrderParams{CustomerID: c.ID, SourceID: src, Items: []state.PlaceItem{{
			SKUID: sku, Quantity: 1, Price: 1, SubscriptionInfo: &state.SubscriptionInfo{PlanID: plan, Terms: "daily"},
		}}})
		if err != nil {
			t.Fatalf("PlaceOrder: %v", err)
		}
		if _, err := busy.AcceptOrder(o.ID); err != nil {
			t.Fatalf("AcceptOrder: %v", err)
		}
		if _, err := busy.UpdateSubscription(o.Items[0].SubscriptionInfo.SubscriptionID, state.SubscriptionUpdateParams{State: ptr("active")}); err != nil {
			t.Fatalf("activate: %v", err)
		}
	}

	// The other account: an invoice and a link to it.
	oc := mustCustomer(t, other)
	o, err := other.PlaceOrder(state.PlaceOrderParams{CustomerID: oc, Items: []state.PlaceItem{{SKUID: mustSKU(t, other, "Widget"), Quantity: 1, Price: 10}}})
	if err != nil {
		t.Fatalf("PlaceOrder: %v", err)
	}
	accepted, err := other.AcceptOrder(o.ID)
	if err != nil || len(accepted.InvoicePDFs) != 1 {
		t.Fatalf("AcceptOrder: %v, invoicePDFs %+v", err, accepted)
	}
	link, err := other.CreateFileLink(state.FileLinkParams{FileID: accepted.InvoicePDFs[0].ID, ExpiresTime: time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
	if err != nil {
		t.Fatalf("CreateFileLink: %v", err)
	}

	g.mu.Lock()
	g.armed = true
	g.mu.Unlock()
	type result struct {
		evs int
		err error
	}
	advanced := make(chan result, 1)
	go func() {
		_, evs, err := busy.AdvanceTestClockBy(clk.ID, 60*24*time.Hour)
		advanced <- result{len(evs), err}
	}()
	select {
	case <-g.reached:
	case r := <-advanced:
		t.Fatalf("the advance ended (%d events, %v) without publishing a renewal", r.evs, r.err)
	case <-time.After(10 * time.Second):
		t.Fatal("waited 10s for the advance to publish its first renewal; it did not")
	}
	downloaded := make(chan error, 1)
	go func() {
		d, err := s.DownloadLink(link.ID)
		if err == nil && len(d.Content) == 0 {
			err = fmt.Errorf("empty download")
		}
		downloaded <- err
	}()
	select {
	case err := <-downloaded:
		if err != nil {
			t.Fatalf("download of the other account's link: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("waited 10s for the other account's link download while the advance was stopped; it did not complete")
	}

	close(g.release)
	select {
	case r := <-advanced:
		if r.err != nil || r.evs == 0 {
			t.Fatalf("advance after release: %d events, %v", r.evs, r.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("waited 30s for the advance to finish after release; it did not")
	}
}

func mustAccount(t *testing.T, s *state.Store) *state.Account {
	t.Helper()
	k := s.CreateAccount()
	a, _, ok := s.Lookup(k.SecretKey)
	if !ok {
		t.Fatalf("no account for new key %s", k.SecretKey)
	}
	return a
}
