package harness

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/drsim/drsim/harness/profile"
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

// A simulator that never answers fails the call after timeouts.action; a
// long-polling call gets its wait on top.
func TestHungSimulatorCallTimesOut(t *testing.T) {
	srv := hangingServer(t)
	c := &drClient{base: srv.URL, http: srv.Client(), timeout: 30 * time.Millisecond}
	err := c.do(context.Background(), "GET", "/orders/o1", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "did not answer within 30ms (profile timeouts.action)") {
		t.Errorf("do: err = %v, want the timeout named", err)
	}
	err = c.do(context.Background(), "GET", "/_sim/deliveries?wait=20ms", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "did not answer within 50ms") {
		t.Errorf("do with wait: err = %v, want timeout 30ms + 20ms", err)
	}
	// Cancelling the caller's context (Ctrl-C) is reported as such, not as a timeout.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = c.do(ctx, "GET", "/orders/o1", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("do with a cancelled context: err = %v", err)
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
	h := &Harness{dr: &drClient{base: srv.URL, http: srv.Client()}, webhookID: "wh1"}
	n, list, err := h.DeliveryGiveUps(context.Background())
	if err != nil || n != 2 || len(list) != 2 || list[1].EventID != "e2" || list[0].Attempts != 9 {
		t.Fatalf("DeliveryGiveUps = %d, %+v, %v; want the 2 give-ups", n, list, err)
	}
}
