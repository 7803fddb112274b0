package harness_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/drsim/drsim/harness"
	"github.com/drsim/drsim/harness/profile"
	"github.com/drsim/drsim/internal/testrig"
	"github.com/drsim/drsim/simulator"
	"github.com/drsim/drsim/simulator/client"
)

// Subscription actions go through the merchant when the profile has them,
// and their effect is checked in DR; without them the harness does the step
// itself and says so.
func TestSubscriptionActionsThroughTheMerchant(t *testing.T) {
	ctx := context.Background()
	sim, mb, cat := testrig.Services(t, simulator.Options{})
	const key = "sk_test_subactions00000000"
	dr := client.New(sim.URL(), key)
	var mu sync.Mutex // the handler runs on the server's goroutines
	noop := false
	var calls []string
	set := func(n bool) { mu.Lock(); noop, calls = n, nil; mu.Unlock() }
	got := func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), calls...) }
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hook" {
			body, _ := io.ReadAll(r.Body)
			testrig.ActivateOnAccept(r.Context(), dr, body)
			return
		}
		_ = r.ParseForm()
		mu.Lock()
		calls = append(calls, r.URL.Path+" "+r.Form.Encode())
		skip := noop
		mu.Unlock()
		if skip {
			return
		}
		id := r.Form.Get("sub")
		var p client.SubscriptionUpdateParams
		switch r.URL.Path {
		case "/cancel":
			p.State = client.String("cancelled")
		case "/plan":
			p.PlanID = client.String(r.Form.Get("plan"))
		case "/price":
			var price float64
			_, _ = fmt.Sscan(r.Form.Get("price"), &price)
			sub, err := dr.Subscription(r.Context(), id)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			for _, it := range sub.Items {
				p.Items = append(p.Items, client.SubscriptionItemParams{SKUID: it.SKUID, Price: client.Float(price)})
			}
		}
		if _, err := dr.UpdateSubscription(r.Context(), id, p); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
		}
	}))
	defer srv.Close()
	newScenario := func(t *testing.T, actions string) *harness.Scenario {
		p, err := profile.Parse("p.yaml", []byte(fmt.Sprintf(`
webhook: {url: "%[1]s/hook", signingSecret: whsec_subs}
api: {secretKey: %[2]s}
merchant: {url: "%[1]s"}
timeouts: {email: 1s}
%[3]s`, srv.URL, key, actions)))
		if err != nil {
			t.Fatal(err)
		}
		h, err := harness.New(ctx, harness.Config{Profile: p, Catalogue: cat, SimulatorURL: sim.URL(), Mailbox: mb})
		if err != nil {
			t.Fatal(err)
		}
		sc := h.NewScenario(t.Name())
		if _, err := sc.CreateCustomer(ctx, "Alice"); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"Gold", "Platinum"} {
			if err := sc.CreatePlan(ctx, harness.PlanSpec{Name: name, Interval: "month", ReminderOffsetDays: 7}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := sc.PlaceSubscriptionOrder(ctx, "Alice", "USD", "Gold", false, []harness.Line{{Product: "Music box", Quantity: 1, Price: 9.99}}); err != nil {
			t.Fatal(err)
		}
		if err := sc.AcceptOrder(ctx, ""); err != nil {
			t.Fatal(err)
		}
		return sc
	}
	const actions = `actions:
  cancelSubscription: {path: /cancel, form: {sub: '{{.Subscription.ID}}'}}
  changePlan: {path: /plan, form: {sub: '{{.Subscription.ID}}', plan: '{{.Plan.ID}}', name: '{{.Plan.Name}}'}}
  changePrice: {path: /price, form: {sub: '{{.Subscription.ID}}', price: '{{.Price}}'}}
`
	t.Run("through the merchant", func(t *testing.T) {
		set(false)
		sc := newScenario(t, actions)
		if err := sc.ChangePlan(ctx, "Platinum"); err != nil {
			t.Fatal(err)
		}
		if err := sc.ChangePrice(ctx, 12.99); err != nil {
			t.Fatal(err)
		}
		if err := sc.CancelSubscription(ctx); err != nil {
			t.Fatal(err)
		}
		if err := sc.ExpectSubscriptionState(ctx, "cancelled"); err != nil {
			t.Fatal(err)
		}
		if calls := got(); len(calls) != 3 || !strings.Contains(calls[0], "name=Platinum") || !strings.Contains(calls[1], "price=12.99") || !strings.HasPrefix(calls[2], "/cancel sub=") {
			t.Errorf("merchant calls = %q, want the plan change, the price change, then the cancellation", got())
		}
		if did := sc.HarnessDid(); len(did) != 0 {
			t.Errorf("HarnessDid = %q, want nothing", did)
		}
	})
	t.Run("a merchant that answers but does nothing fails with what DR shows", func(t *testing.T) {
		set(true)
		sc := newScenario(t, actions)
		err := sc.CancelSubscription(ctx)
		if err == nil || !strings.Contains(err.Error(), "Digital River shows subscription") || !strings.Contains(err.Error(), " active ") {
			t.Fatalf("err = %v, want what DR shows", err)
		}
		err = sc.ChangePrice(ctx, 12.99)
		if err == nil || !strings.Contains(err.Error(), "Digital River shows subscription") || !strings.Contains(err.Error(), "unit price 12.99") {
			t.Fatalf("price change: err = %v, want what DR shows", err)
		}
	})
	t.Run("without the actions the harness does it and says so", func(t *testing.T) {
		set(false)
		sc := newScenario(t, "")
		if err := sc.ChangePlan(ctx, "Platinum"); err != nil {
			t.Fatal(err)
		}
		if err := sc.ChangePrice(ctx, 12.99); err != nil {
			t.Fatal(err)
		}
		if err := sc.CancelSubscription(ctx); err != nil {
			t.Fatal(err)
		}
		did := sc.HarnessDid()
		if len(did) != 3 || !strings.Contains(did[0], "no changePlan action") || !strings.Contains(did[1], "no changePrice action") || !strings.Contains(did[2], "no cancelSubscription action") || len(got()) != 0 {
			t.Errorf("HarnessDid = %q, merchant calls %q; want the three steps reported as the harness's own", did, got())
		}
		page, err := dr.Subscriptions(ctx, client.ListParams{Limit: 1}) // the newest: this scenario's
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Data) != 1 || len(page.Data[0].Items) == 0 || page.Data[0].Items[0].Price != 12.99 {
			t.Errorf("subscriptions after the harness's price change = %+v, want items at 12.99", page.Data)
		}
	})
}
