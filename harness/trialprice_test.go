package harness_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/drsim/drsim/harness"
	"github.com/drsim/drsim/harness/profile"
	"github.com/drsim/drsim/internal/testrig"
	"github.com/drsim/drsim/simulator"
	"github.com/drsim/drsim/simulator/client"
)

// DR lets a merchant set the price after a free trial any time during the
// trial. The harness must not move time past the trial's end before the
// merchant has priced it: a merchant that prices a moment after activating
// converts its trial; one that never prices fails with what to do.
func TestTimeWaitsForTheTrialPrice(t *testing.T) {
	ctx := context.Background()
	sim, mb, cat := testrig.Services(t, simulator.Options{})
	const key = "sk_test_trialprice000000000"
	dr := client.New(sim.URL(), key)
	prices := make(chan bool, 1) // whether the merchant will price the next trial
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			Type string `json:"type"`
			Data struct {
				Object struct {
					Items []struct {
						SKUID            string         `json:"skuId"`
						Metadata         map[string]any `json:"metadata"`
						SubscriptionInfo struct {
							SubscriptionID string `json:"subscriptionId"`
						} `json:"subscriptionInfo"`
					} `json:"items"`
				} `json:"object"`
			} `json:"data"`
		}
		if json.NewDecoder(r.Body).Decode(&ev) != nil || ev.Type != "order.accepted" {
			return
		}
		price := <-prices
		for _, it := range ev.Data.Object.Items {
			id := it.SubscriptionInfo.SubscriptionID
			if id == "" {
				continue
			}
			_, _ = dr.UpdateSubscription(context.Background(), id, client.SubscriptionUpdateParams{State: client.String("active")})
			paid, _ := it.Metadata["paidPrice"].(float64)
			if price {
				// A slow merchant: the price goes on a while after the
				// activation, as its queue gets to it.
				time.AfterFunc(300*time.Millisecond, func() {
					_, _ = dr.UpdateSubscription(context.Background(), id, client.SubscriptionUpdateParams{Items: []client.SubscriptionItemParams{{SKUID: it.SKUID, Price: &paid}}})
				})
			}
		}
	}))
	defer srv.Close()
	p, err := profile.Parse("p.yaml", []byte(fmt.Sprintf(`
webhook: {url: "%s/hook", signingSecret: whsec_trial}
api: {secretKey: %s}
timeouts: {email: 2s}
`, srv.URL, key)))
	if err != nil {
		t.Fatal(err)
	}
	h, err := harness.New(ctx, harness.Config{Profile: p, Catalogue: cat, SimulatorURL: sim.URL(), Mailbox: mb})
	if err != nil {
		t.Fatal(err)
	}
	trial := func(t *testing.T, price bool) (*harness.Scenario, error) {
		prices <- price
		sc := h.NewScenario(t.Name())
		if _, err := sc.CreateCustomer(ctx, "Alice"); err != nil {
			t.Fatal(err)
		}
		if err := sc.CreatePlan(ctx, harness.PlanSpec{Name: "Gold", Interval: "month", ReminderOffsetDays: 7}); err != nil {
			t.Fatal(err)
		}
		if _, err := sc.PlaceSubscriptionOrder(ctx, "Alice", "USD", "Gold", true, []harness.Line{{Product: "Music box", Quantity: 1, Price: 9.99}}); err != nil {
			t.Fatal(err)
		}
		if err := sc.AcceptOrder(ctx, ""); err != nil {
			t.Fatal(err)
		}
		return sc, sc.PassUntil(ctx, "nextInvoiceDate")
	}
	t.Run("priced late", func(t *testing.T) {
		sc, err := trial(t, true)
		if err != nil {
			t.Fatalf("PassUntil: %v", err)
		}
		if err := sc.ExpectSubscriptionState(ctx, "active"); err != nil {
			t.Fatalf("the trial did not convert at its price: %v", err)
		}
	})
	t.Run("never priced", func(t *testing.T) {
		_, err := trial(t, false)
		if err == nil || !strings.Contains(err.Error(), "never set the price after the trial") {
			t.Fatalf("PassUntil = %v, want the merchant told it never set the price after the trial", err)
		}
	})
}
