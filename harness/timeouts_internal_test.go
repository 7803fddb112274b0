package harness

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/drsim/drsim/harness/profile"
	"github.com/drsim/drsim/simulator/client"
)

// hangingServer answers nothing until the test ends.
func hangingServer(t *testing.T) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	return srv
}

// A merchant that never answers an action fails the step with a message that
// names the action, the URL and the profile's timeouts.action.
func TestHungMerchantActionTimesOut(t *testing.T) {
	srv := hangingServer(t)
	p, err := profile.Parse("test.yaml", fmt.Appendf(nil, `
name: hung
webhook: {url: %[1]s/webhooks, signingSecret: s}
api: {secretKey: sk_test_0123456789}
timeouts: {action: 50ms}
merchant: {url: %[1]s}
actions:
  ship: {path: "/admin/orders/{{.Order.ID}}/ship", json: "{}"}
`, srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	h := &Harness{cfg: Config{Profile: p}}
	sc := h.NewScenario("hung")
	_, err = sc.perform(context.Background(), "ship", profile.ActionData{Order: profile.ActionOrder{ID: "o1"}})
	for _, want := range []string{"action ship", srv.URL + "/admin/orders/o1/ship", "did not answer within 50ms", "timeouts.action"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("perform: err = %v, want it to mention %q", err, want)
		}
	}
}

// The run's report lists the events the simulator gave up delivering.
func TestDeliveryGiveUpsReadsTheWebhookState(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/_sim/webhooks/wh1/delivery" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(`{"gaveUp":2,"giveUps":[{"eventId":"e1","eventType":"order.accepted","attempts":9},{"eventId":"e2","eventType":"order.complete","attempts":9}]}`))
	}))
	defer srv.Close()
	h := &Harness{dr: client.New(srv.URL, "", client.WithHTTPClient(srv.Client())), webhookID: "wh1"}
	n, list, err := h.DeliveryGiveUps(context.Background())
	if err != nil || n != 2 || len(list) != 2 || list[1].EventID != "e2" || list[0].Attempts != 9 {
		t.Fatalf("DeliveryGiveUps = %d, %+v, %v; want the 2 give-ups", n, list, err)
	}
}
