package testrig_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/drsim/drsim/internal/testrig"
	"github.com/drsim/drsim/simulator/client"
	"github.com/drsim/drsim/simulator/signature"
)

// The shop the harness tests rely on: its webhook takes only DR's
// signature (anything when Trusting) and hands each event to OnEvent;
// every other request is an action it records and answers 200 {}; /portal/…
// goes to Portal when set.
func TestShop(t *testing.T) {
	r := testrig.New(t)
	events := make(chan string, 4)
	r.Shop.Set(func(s *testrig.Shop) {
		s.OnEvent = func(_ context.Context, body []byte) { events <- string(body) }
		s.Portal = func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) }
	})
	post := func(path, sig, body string) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, r.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if sig != "" {
			req.Header.Set(signature.Header, sig)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	body := `{"type":"order.accepted"}`
	signed := signature.Sign([]byte(body), time.Now(), testrig.Secret)
	if got := post("/hook", "t=1,v1=forged", body); got != http.StatusUnauthorized {
		t.Errorf("a forged webhook: %d, want 401", got)
	}
	if got := post("/hook", signed, body); got != http.StatusOK || <-events != body {
		t.Errorf("a signed webhook: %d, want 200 and the event handed on", got)
	}
	r.Shop.Set(func(s *testrig.Shop) { s.Trusting = true })
	if got := post("/hook", "t=1,v1=forged", `{"type":"x"}`); got != http.StatusOK || <-events != `{"type":"x"}` {
		t.Errorf("a forged webhook to a trusting shop: %d, want 200", got)
	}
	if got := post("/ship", "", `{"n":1}`); got != http.StatusOK {
		t.Errorf("an action: %d, want 200", got)
	}
	if got := post("/portal/orders/1", "", ""); got != http.StatusTeapot {
		t.Errorf("a portal page: %d, want the Portal's answer", got)
	}
	if got := r.Shop.Served(); len(got) != 1 || got[0] != `POST /ship {"n":1}` {
		t.Errorf("served %q, want only the action", got)
	}
}

// Each harness on the rig has its own account, and Ordered places Alice's
// order in it.
func TestHarnessAndOrdered(t *testing.T) {
	r := testrig.New(t)
	h := r.Harness(t, "")
	first := r.Key
	testrig.Ordered(t, h)
	r.Harness(t, "")
	if r.Key == first {
		t.Fatalf("two harnesses share the key %s", first)
	}
	orders, err := r.Sim.Client(first).Orders(context.Background(), client.ListParams{})
	if err != nil || len(orders.Data) != 1 || len(orders.Data[0].Items) != 2 {
		t.Fatalf("the first account's orders: %+v, %v; want Alice's of two lines", orders, err)
	}
	testrig.WantErr(t, "no error wanted", nil)
}
