package harness

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/drsim/drsim/harness/catalogue"
	"github.com/drsim/drsim/simulator/client"
)

// A failing look-up while matching an email's subjects is an error of the
// step, not a crash of the run (it used to unlock the scenario's mutex twice:
// "fatal error: sync: unlock of unlocked mutex").
func TestSubjectsLookupErrorIsAnError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/events":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"hasMore":false,"data":[{"id":"ev1","type":"order.accepted","createdTime":"2026-01-01T00:00:00Z",
				"data":{"object":{"id":"o1","items":[{"skuId":"sku1","quantity":1}]}}}]}`))
		case strings.HasPrefix(r.URL.Path, "/skus/"):
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"type":"internal_error"}`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	h := &Harness{dr: client.New(srv.URL, "", client.WithHTTPClient(srv.Client()))}
	sc := h.NewScenario("lookup error")
	sc.order = &Order{ID: "o1"}
	n := &catalogue.Notification{ID: "order-confirmation", Trigger: "order.accepted"}
	for range 2 { // twice: the lock must be free after the first failure
		_, err := sc.subjects(context.Background(), n, false)
		if err == nil || !strings.Contains(err.Error(), "look up SKU sku1") {
			t.Fatalf("subjects: err = %v, want the failed SKU look-up", err)
		}
	}
	sc.addCheck(Check{Notification: "x"}) // takes the lock: not left held either
	if got := len(sc.Checks()); got != 1 {
		t.Fatalf("checks = %d, want 1", got)
	}
}
