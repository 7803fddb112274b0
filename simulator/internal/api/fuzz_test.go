package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/drsim/drsim/simulator/internal/api"
	"github.com/drsim/drsim/simulator/internal/delivery"
	"github.com/drsim/drsim/simulator/internal/state"
)

// serve runs one request through h in-process.
func serve(h http.Handler, key, method, path, body string) (int, []byte) {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Code, w.Body.Bytes()
}

// FuzzBodies is the property "whatever the decoder accepts can be copied,
// stored and written back": any body on any of these routes answers below
// 500, and afterwards every list still answers 200 (a stored value that
// cannot be encoded would make them 500 for good).
func FuzzBodies(f *testing.F) {
	engine := delivery.New(delivery.Options{})
	f.Cleanup(engine.Close)
	store := state.NewStore(engine, time.Now)
	h := api.New(store, engine, nil)
	// fixtures gives each input a fresh account (state stays small, inputs
	// independent): a customer, a SKU and an accepted order.
	fixtures := func(t testing.TB) (key, cust, sku, order string) {
		var keys state.Keys
		if status, raw := serve(h, "", "POST", "/_sim/accounts", ""); status != 201 || json.Unmarshal(raw, &keys) != nil {
			t.Fatalf("create account: %d %s", status, raw)
		}
		key = keys.SecretKey
		must := func(method, path, body string) map[string]any {
			status, raw := serve(h, key, method, path, body)
			var v map[string]any
			if status/100 != 2 || json.Unmarshal(raw, &v) != nil {
				t.Fatalf("%s %s: %d %s", method, path, status, raw)
			}
			return v
		}
		cust = must("POST", "/customers", `{"email":"a@example.test"}`)["id"].(string)
		sku = must("POST", "/skus", `{"name":"Widget"}`)["id"].(string)
		order = must("POST", "/_sim/orders", `{"customerId":"`+cust+`","items":[{"skuId":"`+sku+`","quantity":3,"price":10}]}`)["id"].(string)
		must("POST", "/_sim/orders/"+order+"/accept", "")
		return key, cust, sku, order
	}
	routes := []struct{ method, path string }{
		{"POST", "/customers"},
		{"POST", "/customers/{cust}"},
		{"POST", "/skus"},
		{"POST", "/orders/{order}"},
		{"POST", "/fulfillments"},
		{"POST", "/refunds"},
		{"POST", "/returns"},
		{"POST", "/webhooks"},
		{"POST", "/file-links"},
		{"POST", "/_sim/orders"},
		{"POST", "/plans"},
		{"POST", "/_sim/test-clocks"},
	}
	lists := []string{"/customers?limit=100", "/skus?limit=100", "/orders?limit=100", "/events?limit=100",
		"/fulfillments?limit=100", "/refunds?limit=100", "/returns?limit=100", "/webhooks?limit=100",
		"/file-links?limit=100", "/files?limit=100", "/plans?limit=100"}
	f.Add(uint8(0), []byte(`{"email":"b@example.test","metadata":{"a":{"b":[1,2,{"c":null}]}}}`))
	f.Add(uint8(3), []byte(`{"metadata":{"k":"v"}}`))
	f.Add(uint8(4), []byte(`{"orderId":"{order}","items":[{"skuId":"{sku}","quantity":1}]}`))
	f.Add(uint8(8), []byte(`{"fileId":"x","expiresTime":"9999-12-31T23:59:59-23:59"}`))
	f.Add(uint8(9), []byte(`{"customerId":"{cust}","items":[{"skuId":"{sku}","quantity":1,"price":1e11}],"shipping":{"amount":1e11}}`))
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		key, cust, sku, order := fixtures(t)
		fill := strings.NewReplacer("{cust}", cust, "{sku}", sku, "{order}", order)
		r := routes[int(route)%len(routes)]
		status, raw := serve(h, key, r.method, fill.Replace(r.path), fill.Replace(string(body)))
		if status >= 500 {
			t.Fatalf("%s %s %q: %d %s", r.method, r.path, body, status, raw)
		}
		for _, p := range lists {
			if status, raw := serve(h, key, "GET", p, ""); status != http.StatusOK {
				t.Fatalf("after %s %s %q (%d): GET %s answered %d %s", r.method, r.path, body, status, p, status, raw)
			}
		}
	})
}
