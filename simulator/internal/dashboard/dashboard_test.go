package dashboard_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/drsim/drsim/simulator/internal/dashboard"
	"github.com/drsim/drsim/simulator/internal/delivery"
	"github.com/drsim/drsim/simulator/internal/state"
)

func newDashboard(t *testing.T) (*dashboard.Handler, *state.Store, state.Keys) {
	t.Helper()
	engine := delivery.New(delivery.Options{Timeout: time.Second})
	t.Cleanup(engine.Close)
	store := state.NewStore(engine, time.Now)
	keys := store.CreateAccount()
	return dashboard.New(store, engine, dashboard.Options{MailURL: "http://127.0.0.1:8025/"}), store, keys
}

func TestDashboardAnswersOnlyLoopbackAndGuardsActions(t *testing.T) {
	h, _, keys := newDashboard(t)
	tests := []struct {
		name, method, path, remote string
		header                     bool
		status                     int
		contains                   string
	}{
		{"page on loopback", "GET", dashboard.Prefix, "127.0.0.1:5000", false, 200, "drsim"},
		{"page on IPv6 loopback", "GET", dashboard.Prefix, "[::1]:5000", false, 200, "Mail (MailHog)"},
		{"page from the network", "GET", dashboard.Prefix, "192.0.2.7:5000", false, 403, `"forbidden"`},
		{"static script", "GET", dashboard.Prefix + "static/app.js", "127.0.0.1:5000", false, 200, "use strict"},
		{"accounts", "GET", dashboard.Prefix + "api/accounts", "127.0.0.1:5000", false, 200, keys.SecretKey},
		{"unknown account", "GET", dashboard.Prefix + "api/accounts/acct_nope", "127.0.0.1:5000", false, 404, `"not_found"`},
		{"unknown page", "GET", dashboard.Prefix + "nope", "127.0.0.1:5000", false, 404, `"not_found"`},
		{"action without the header (a cross-site form)", "POST", dashboard.Prefix + "api/accounts/" + keys.AccountID + "/test-clocks/x/advance", "127.0.0.1:5000", false, 403, "X-Drsim-Dashboard"},
		{"clock with a bad duration", "POST", dashboard.Prefix + "api/accounts/" + keys.AccountID + "/test-clocks/x/advance", "127.0.0.1:5000", true, 400, `"advance"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.path, strings.NewReader(`{"advance":"soon"}`))
			r.RemoteAddr = tc.remote
			if tc.header {
				r.Header.Set("X-Drsim-Dashboard", "1")
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.contains) {
				t.Fatalf("%s %s from %s: %d %s; want %d containing %q", tc.method, tc.path, tc.remote, w.Code, w.Body.String(), tc.status, tc.contains)
			}
		})
	}
}

func TestDashboardViewFiltersEventsAndMovesTheClock(t *testing.T) {
	h, store, keys := newDashboard(t)
	a, _, _ := store.Lookup(keys.SecretKey)
	c1, err := a.CreateCustomer(state.CustomerParams{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateCustomer(state.CustomerParams{}); err != nil {
		t.Fatal(err)
	}
	get := func(query string) dashboard.View {
		t.Helper()
		r := httptest.NewRequest("GET", dashboard.Prefix+"api/accounts/"+keys.AccountID+query, nil)
		r.RemoteAddr = "127.0.0.1:1"
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		var v dashboard.View
		if w.Code != 200 {
			t.Fatalf("view: %d %s", w.Code, w.Body.String())
		}
		if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := get(""); len(v.Events) != 2 || len(v.Customers) != 2 || v.Account.SecretKey != keys.SecretKey || v.More["events"] || v.More["customers"] {
		t.Fatalf("view: %d events, %d customers, key %s, more %v; want 2, 2, %s and no more", len(v.Events), len(v.Customers), v.Account.SecretKey, v.More, keys.SecretKey)
	}
	if v := get("?about=" + c1.ID); len(v.Events) != 1 || !strings.Contains(string(v.Events[0].Data.Object), c1.ID) {
		t.Fatalf("about %s: %d events, want its customer.created only", c1.ID, len(v.Events))
	}
	if v := get("?type=order.accepted"); len(v.Events) != 0 || len(v.EventTypes) != 1 {
		t.Fatalf("type filter: %d events (want 0), types %v (want customer.created)", len(v.Events), v.EventTypes)
	}
	// Exactly 200 customers and events: the lists are whole.
	for range 198 {
		if _, err := a.CreateCustomer(state.CustomerParams{}); err != nil {
			t.Fatal(err)
		}
	}
	if v := get(""); len(v.Events) != 200 || len(v.Customers) != 200 || v.More["events"] || v.More["customers"] {
		t.Fatalf("200 customers: %d events, %d customers, more %v; want 200 each and no more", len(v.Events), len(v.Customers), v.More)
	}
	if v := get("?type=customer.created"); len(v.Events) != 200 || v.More["events"] {
		t.Fatalf("200 customer.created events filtered: %d, more %v; want 200 and no more", len(v.Events), v.More)
	}
	// A filter finds the events of a customer older than the latest 200
	// events the unfiltered view shows.
	for range 52 {
		if _, err := a.CreateCustomer(state.CustomerParams{}); err != nil {
			t.Fatal(err)
		}
	}
	// The page shows "200+" for a list cut at 200 (More), not "200".
	if v := get(""); len(v.Events) != 200 || !v.More["events"] || !v.More["customers"] || v.More["orders"] || v.More["requests"] {
		t.Fatalf("unfiltered view: %d events, more %v; want the latest 200, and more events and customers only", len(v.Events), v.More)
	}
	if v := get("?type=customer.created"); len(v.Events) != 200 || !v.More["events"] {
		t.Fatalf("252 customer.created events filtered: %d, more %v; want 200 and more", len(v.Events), v.More)
	}
	for range 201 {
		a.LogRequest(state.RequestLog{Method: "GET", Path: "/customers", Status: 200, Time: time.Now()})
	}
	if v := get(""); len(v.Requests) != 200 || !v.More["requests"] {
		t.Fatalf("201 API calls: %d shown, more %v; want 200 and more", len(v.Requests), v.More)
	}
	if v := get("?about=" + c1.ID); len(v.Events) != 1 || !strings.Contains(string(v.Events[0].Data.Object), c1.ID) {
		t.Fatalf("about %s behind 250 newer events: %d events, want its customer.created", c1.ID, len(v.Events))
	}
	if v := get("?type=customer.created&about=" + c1.ID); len(v.Events) != 1 {
		t.Fatalf("type and about %s behind 250 newer events: %d events", c1.ID, len(v.Events))
	}
	tc, err := a.CreateTestClock(state.TestClockParams{Name: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	if v := get(""); len(v.TestClocks) != 1 || v.TestClocks[0].ID != tc.ID {
		t.Fatalf("test clocks: %+v, want %s", v.TestClocks, tc.ID)
	}
	r := httptest.NewRequest("POST", dashboard.Prefix+"api/accounts/"+keys.AccountID+"/test-clocks/"+tc.ID+"/advance", strings.NewReader(`{"advance":"48h"}`))
	r.RemoteAddr = "127.0.0.1:1"
	r.Header.Set("X-Drsim-Dashboard", "1")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	after, err := a.TestClock(tc.ID)
	if w.Code != 200 || err != nil || after.FrozenTime.Sub(tc.FrozenTime) != 48*time.Hour {
		t.Fatalf("advance: %d %s; clock moved %s, want 48h", w.Code, w.Body.String(), after.FrozenTime.Sub(tc.FrozenTime))
	}
}

func TestLoopback(t *testing.T) {
	for remote, want := range map[string]bool{"127.0.0.1:1": true, "[::1]:2": true, "10.0.0.1:3": false, "garbage": false} {
		r := &http.Request{RemoteAddr: remote}
		if got := dashboard.Loopback(r); got != want {
			t.Errorf("Loopback(%q) = %v, want %v", remote, got, want)
		}
	}
}
