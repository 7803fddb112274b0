package merchant_test

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// drKey is the secret key the test merchants call the fake DR with.
const drKey = "sk_test_fake0000000000000000000000"

// drCall is one request the fake DR received.
type drCall struct {
	Method, Path string
	Query        string // the raw query string
	Auth         string // the Authorization header
	Body         string
}

// drReply is a canned DR answer.
type drReply struct {
	Status int
	Body   string
}

// fakeDR serves the few DR endpoints the merchant calls: GET /orders/{id}
// and GET /orders?customerId= from canned orders, POST /fulfillments and
// POST /returns answered with 201 and a new id, file links (POST and GET
// /file-links), and customers with their sources (GET /customers?email=,
// GET /customers/{id}, POST /customers/{id}/sources/{sourceId}), SKUs and
// plans (GET /skus/{id}, GET /plans/{id}), and subscriptions
// (GET /subscriptions/{id}, POST /subscriptions/{id} to activate or cancel). It records
// every call. Replies queued for a route ("POST /fulfillments",
// "GET /orders/301") are served first, one per call.
type fakeDR struct {
	URL string

	mu        sync.Mutex
	orders    map[string]string
	queued    map[string][]drReply
	calls     []drCall
	created   int
	links     []fakeLink
	customers map[string]*fakeCustomer
	sources   map[string]map[string]any
	skus      map[string]map[string]any
	plans     map[string]map[string]any
	subs      map[string]map[string]any
}

// fakeLink is a FileLink the fake DR made or was given.
type fakeLink struct {
	ID          string `json:"id"`
	FileID      string `json:"fileId"`
	ExpiresTime string `json:"expiresTime"`
	Expired     bool   `json:"expired"`
	URL         string `json:"url"`
	LiveMode    bool   `json:"liveMode"`
}

// fakeCustomer is a DR Customer; Sources are the ids of its attached sources.
type fakeCustomer struct {
	ID, Email       string
	DefaultSourceID string
	Sources         []string
}

func startFakeDR(t *testing.T) *fakeDR {
	t.Helper()
	f := &fakeDR{
		orders: map[string]string{}, queued: map[string][]drReply{},
		customers: map[string]*fakeCustomer{}, sources: map[string]map[string]any{},
		skus: map[string]map[string]any{}, plans: map[string]map[string]any{}, subs: map[string]map[string]any{},
	}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// setOrder makes GET /orders/{id} answer with the order JSON.
func (f *fakeDR) setOrder(id, orderJSON string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.orders[id] = orderJSON
}

// setCustomer makes a customer with no sources.
func (f *fakeDR) setCustomer(id, email string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.customers[id] = &fakeCustomer{ID: id, Email: email}
}

// addCardSource makes a chargeable, not yet reusable card source, as
// DigitalRiver.js creates with the public key.
func (f *fakeDR) addCardSource(id, brand, lastFour string, month, year int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sources[id] = map[string]any{
		"id": id, "type": "creditCard", "state": "chargeable", "reusable": false, "flow": "standard",
		"clientSecret": id + "_secret", "liveMode": false,
		"creditCard": map[string]any{"brand": brand, "lastFourDigits": lastFour, "expirationMonth": month, "expirationYear": year},
	}
}

// setSKU makes GET /skus/{id} answer a SKU of that name.
func (f *fakeDR) setSKU(id, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.skus[id] = map[string]any{"id": id, "name": name, "physical": false, "liveMode": false}
}

// setPlan makes GET /plans/{id} answer a plan.
func (f *fakeDR) setPlan(id, name, terms, interval string, intervalCount int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.plans[id] = map[string]any{
		"id": id, "name": name, "terms": terms, "interval": interval, "intervalCount": intervalCount,
		"contractBindingDays": 365, "reminderOffsetDays": 7, "billingOffsetDays": 0, "collectionPeriodDays": 7,
		"state": "active", "liveMode": false,
	}
}

// setSubscription makes GET /subscriptions/{id} answer a subscription of
// the customer to the plan, in state.
func (f *fakeDR) setSubscription(id, customerID, planID, state string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.subs[id] = map[string]any{"id": id, "customerId": customerID, "planId": planID, "state": state,
		"stateTransitions": map[string]any{}, "items": []any{}, "liveMode": false}
}

// subscriptionState is the state of a subscription of the fake DR.
func (f *fakeDR) subscriptionState(id string) any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.subs[id]["state"]
}

// addLink records a file link as if made earlier, e.g. before a restart.
func (f *fakeDR) addLink(l fakeLink) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.links = append(f.links, l)
}

// queue makes the next call of route answer status and body.
func (f *fakeDR) queue(route string, status int, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queued[route] = append(f.queued[route], drReply{status, body})
}

// Calls returns the calls received so far.
func (f *fakeDR) Calls() []drCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]drCall(nil), f.calls...)
}

// CallsTo returns the calls of one route, e.g. "POST /fulfillments".
func (f *fakeDR) CallsTo(route string) []drCall {
	var out []drCall
	for _, c := range f.Calls() {
		if c.Method+" "+c.Path == route {
			out = append(out, c)
		}
	}
	return out
}

func drErrorJSON(typ, code, message string) string {
	return fmt.Sprintf(`{"type":%q,"errors":[{"code":%q,"message":%q}]}`, typ, code, message)
}

func (f *fakeDR) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	route := r.Method + " " + r.URL.Path
	f.mu.Lock()
	f.calls = append(f.calls, drCall{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Authorization"), string(body)})
	var reply *drReply
	if q := f.queued[route]; len(q) > 0 {
		reply, f.queued[route] = &q[0], q[1:]
	}
	f.mu.Unlock()

	answer := func(status int, body string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
	if reply != nil {
		answer(reply.Status, reply.Body)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+drKey {
		answer(http.StatusUnauthorized, `{"type":"unauthorized","errors":[{"message":"An authorization error has occurred."}]}`)
		return
	}
	answerJSON := func(status int, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		answer(status, string(b))
	}
	list := func(data any) map[string]any { return map[string]any{"hasMore": false, "data": data} }
	f.mu.Lock()
	defer f.mu.Unlock()
	switch parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/"); {
	case route == "GET /orders":
		var data []json.RawMessage
		for _, id := range slices.Sorted(maps.Keys(f.orders)) {
			var o struct{ CustomerID string }
			if json.Unmarshal([]byte(f.orders[id]), &o) == nil && o.CustomerID == r.URL.Query().Get("customerId") {
				data = append(data, json.RawMessage(f.orders[id]))
			}
		}
		answerJSON(http.StatusOK, list(data))
	case route == "POST /file-links":
		var req struct{ FileID, ExpiresTime string }
		if err := json.Unmarshal(body, &req); err != nil {
			answer(http.StatusBadRequest, drErrorJSON("bad_request", "invalid_parameter", err.Error()))
			return
		}
		if _, err := time.Parse(time.RFC3339, req.ExpiresTime); err != nil || req.FileID == "" {
			answer(http.StatusBadRequest, drErrorJSON("bad_request", "invalid_parameter", "fileId and expiresTime are required"))
			return
		}
		f.created++
		id := fmt.Sprintf("fl_%d", f.created)
		l := fakeLink{ID: id, FileID: req.FileID, ExpiresTime: req.ExpiresTime, URL: "https://files-test.digitalriver.com/links/" + id}
		f.links = append(f.links, l)
		answerJSON(http.StatusCreated, l)
	case route == "GET /file-links":
		data := []fakeLink{}
		for _, l := range f.links {
			if l.FileID == r.URL.Query().Get("fileId") {
				data = append(data, l)
			}
		}
		answerJSON(http.StatusOK, list(data))
	case route == "GET /customers":
		data := []any{}
		for _, id := range slices.Sorted(maps.Keys(f.customers)) {
			if c := f.customers[id]; strings.EqualFold(c.Email, r.URL.Query().Get("email")) {
				data = append(data, f.customerJSON(c))
			}
		}
		answerJSON(http.StatusOK, list(data))
	case r.Method == http.MethodGet && len(parts) == 2 && parts[0] == "customers":
		c, ok := f.customers[parts[1]]
		if !ok {
			answer(http.StatusNotFound, drErrorJSON("not_found", "not_found", "Customer '"+parts[1]+"' not found."))
			return
		}
		answerJSON(http.StatusOK, f.customerJSON(c))
	case r.Method == http.MethodPost && len(parts) == 4 && parts[0] == "customers" && parts[2] == "sources":
		c, ok := f.customers[parts[1]]
		src, found := f.sources[parts[3]]
		switch {
		case !ok || !found:
			answer(http.StatusNotFound, drErrorJSON("not_found", "not_found", "Not found."))
		case src["state"] != "chargeable":
			answer(http.StatusConflict, drErrorJSON("conflict", "source_not_chargeable", "The source is not chargeable."))
		case src["customerId"] != nil && src["customerId"] != c.ID:
			answer(http.StatusConflict, drErrorJSON("conflict", "source_in_use", "The source belongs to another customer."))
		default:
			src["reusable"], src["customerId"] = true, c.ID
			if !slices.Contains(c.Sources, parts[3]) {
				c.Sources = append(c.Sources, parts[3])
			}
			if c.DefaultSourceID == "" {
				c.DefaultSourceID = parts[3]
			}
			answerJSON(http.StatusOK, src)
		}
	case r.Method == http.MethodPost && len(parts) == 2 && parts[0] == "subscriptions":
		sub, ok := f.subs[parts[1]]
		switch {
		case sameJSONBytes(body, `{"state":"active"}`) && (!ok || sub["state"] == "draft"):
			// DR made the draft from the checkout; the fake learns of it here.
			if !ok {
				sub = map[string]any{"id": parts[1]}
				f.subs[parts[1]] = sub
			}
			sub["state"] = "active"
			answerJSON(http.StatusOK, sub)
		case sameJSONBytes(body, `{"state":"active"}`):
			answer(http.StatusConflict, drErrorJSON("conflict", "invalid_state", "Subscription '"+parts[1]+"' is not a draft."))
		case !ok:
			answer(http.StatusNotFound, drErrorJSON("not_found", "not_found", "Subscription '"+parts[1]+"' not found."))
		case strings.HasPrefix(string(body), `{"items":`):
			var upd struct {
				Items []any `json:"items"`
			}
			if err := json.Unmarshal(body, &upd); err != nil {
				answer(http.StatusBadRequest, drErrorJSON("bad_request", "invalid_parameter", err.Error()))
				return
			}
			sub["items"] = upd.Items
			answerJSON(http.StatusOK, sub)
		case !sameJSONBytes(body, `{"state":"cancelled"}`):
			answer(http.StatusConflict, drErrorJSON("conflict", "restricted_update", "only {\"state\":\"cancelled\"} is supported by the fake"))
		default:
			sub["state"] = "cancelled"
			answerJSON(http.StatusOK, sub)
		}
	case r.Method == http.MethodGet && len(parts) == 2 && (parts[0] == "skus" || parts[0] == "plans" || parts[0] == "subscriptions"):
		store, kind := f.skus, "SKU"
		switch parts[0] {
		case "plans":
			store, kind = f.plans, "Plan"
		case "subscriptions":
			store, kind = f.subs, "Subscription"
		}
		obj, ok := store[parts[1]]
		if !ok {
			answer(http.StatusNotFound, drErrorJSON("not_found", "not_found", kind+" '"+parts[1]+"' not found."))
			return
		}
		answerJSON(http.StatusOK, obj)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/orders/"):
		id := strings.TrimPrefix(r.URL.Path, "/orders/")
		o, ok := f.orders[id]
		if !ok {
			answer(http.StatusNotFound, drErrorJSON("not_found", "not_found", "Order '"+id+"' not found."))
			return
		}
		answer(http.StatusOK, o)
	case route == "POST /fulfillments", route == "POST /returns":
		var obj map[string]any
		if err := json.Unmarshal(body, &obj); err != nil {
			answer(http.StatusBadRequest, drErrorJSON("bad_request", "invalid_parameter", err.Error()))
			return
		}
		f.created++
		n := f.created
		if route == "POST /fulfillments" {
			obj["id"] = fmt.Sprintf("ful_%d", n)
		} else {
			obj["id"] = fmt.Sprintf("ret_%d", n)
			obj["state"] = "created"
		}
		obj["liveMode"] = false
		b, _ := json.Marshal(obj)
		answer(http.StatusCreated, string(b))
	default:
		answer(http.StatusNotFound, drErrorJSON("not_found", "not_found", "no route "+route))
	}
}

// customerJSON is c as DR shows it, with its sources. Call with f.mu held.
func (f *fakeDR) customerJSON(c *fakeCustomer) map[string]any {
	sources := []any{}
	for _, id := range c.Sources {
		sources = append(sources, f.sources[id])
	}
	out := map[string]any{"id": c.ID, "email": c.Email, "sources": sources, "enabled": true, "liveMode": false}
	if c.DefaultSourceID != "" {
		out["defaultSourceId"] = c.DefaultSourceID
	}
	return out
}

// sameJSONBytes reports whether got is the JSON value want.
func sameJSONBytes(got []byte, want string) bool {
	var g, w any
	if json.Unmarshal(got, &g) != nil || json.Unmarshal([]byte(want), &w) != nil {
		return false
	}
	return reflect.DeepEqual(g, w)
}
