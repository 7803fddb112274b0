package api_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/drsim/drsim/simulator/internal/api"
	"github.com/drsim/drsim/simulator/internal/state"
)

// benchHandler is the API handler over a fresh store with one account
// holding one customer, called directly (no network): what one request
// costs the simulator itself, routing, logging and encoding included.
func benchHandler(b *testing.B) (h *api.Handler, key, customerID string) {
	b.Helper()
	store := state.NewStore(nil, time.Now)
	h = api.New(store, nil, nil)
	key = store.CreateAccount().SecretKey
	a, _, _ := store.Lookup(key)
	email := "seed@example.test"
	c, err := a.CreateCustomer(state.CustomerParams{Email: &email})
	if err != nil {
		b.Fatal(err)
	}
	return h, key, c.ID
}

func serveOnce(b *testing.B, h http.Handler, method, path, key, body string, want int) {
	var r *http.Request
	if body != "" {
		r = httptest.NewRequest(method, path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
	} else {
		r = httptest.NewRequest(method, path, nil)
	}
	r.Header.Set("Authorization", "Bearer "+key)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != want {
		b.Fatalf("%s %s: %d %s", method, path, w.Code, w.Body)
	}
}

// BenchmarkHandlerCreateCustomer is POST /customers through the handler.
func BenchmarkHandlerCreateCustomer(b *testing.B) {
	h, key, _ := benchHandler(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		serveOnce(b, h, "POST", "/customers", key, fmt.Sprintf(`{"email":"b%d@example.test"}`, i), http.StatusCreated)
	}
}

// BenchmarkHandlerGetCustomer is GET /customers/{id} through the handler.
func BenchmarkHandlerGetCustomer(b *testing.B) {
	h, key, id := benchHandler(b)
	b.ReportAllocs()
	for b.Loop() {
		serveOnce(b, h, "GET", "/customers/"+id, key, "", http.StatusOK)
	}
}

// BenchmarkHandlerListCustomers is GET /customers?limit=10 through the
// handler, with ten customers stored.
func BenchmarkHandlerListCustomers(b *testing.B) {
	h, key, _ := benchHandler(b)
	for i := range 9 {
		serveOnce(b, h, "POST", "/customers", key, fmt.Sprintf(`{"email":"l%d@example.test"}`, i), http.StatusCreated)
	}
	b.ReportAllocs()
	for b.Loop() {
		serveOnce(b, h, "GET", "/customers?limit=10", key, "", http.StatusOK)
	}
}
