package merchant_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// drKey is the secret key the test merchants call the fake DR with.
const drKey = "sk_test_fake0000000000000000000000"

// drCall is one request the fake DR received.
type drCall struct {
	Method, Path string
	Auth         string // the Authorization header
	Body         string
}

// drReply is a canned DR answer.
type drReply struct {
	Status int
	Body   string
}

// fakeDR serves the few DR endpoints the merchant calls: GET /orders/{id}
// from canned orders, POST /fulfillments and POST /returns answered with
// 201 and a new id. It records every call. Replies queued for a route
// ("POST /fulfillments", "GET /orders/301") are served first, one per call.
type fakeDR struct {
	URL string

	mu      sync.Mutex
	orders  map[string]string
	queued  map[string][]drReply
	calls   []drCall
	created int
}

func startFakeDR(t *testing.T) *fakeDR {
	t.Helper()
	f := &fakeDR{orders: map[string]string{}, queued: map[string][]drReply{}}
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
	f.calls = append(f.calls, drCall{r.Method, r.URL.Path, r.Header.Get("Authorization"), string(body)})
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
	switch {
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/orders/"):
		id := strings.TrimPrefix(r.URL.Path, "/orders/")
		f.mu.Lock()
		o, ok := f.orders[id]
		f.mu.Unlock()
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
		f.mu.Lock()
		f.created++
		n := f.created
		f.mu.Unlock()
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
