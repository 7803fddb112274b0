package simulator_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drsim/drsim/simulator"
	"github.com/drsim/drsim/simulator/internal/state"
	"github.com/drsim/drsim/simulator/signature"
)

const wait = 5 * time.Second

// call sends a JSON request and decodes a JSON answer, failing on any status but want.
func call(t *testing.T, method, url, key string, body any, want int, out any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d; body %s", method, url, resp.StatusCode, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode: %v; body %s", method, url, err, raw)
		}
	}
}

// TestStartServesAnOrderFlowEndToEnd is the whole loop a merchant sees:
// an account, a webhook, a checkout, DR accepting it, a signed delivery.
func TestStartServesAnOrderFlowEndToEnd(t *testing.T) {
	sim, err := simulator.Start(simulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			_ = sim.Close()
		}
	})
	base := sim.URL()
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("URL() = %s, want a loopback address", base)
	}

	got := make(chan []byte, 10)
	var sigs = make(chan string, 10)
	merchant := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		sigs <- r.Header.Get(signature.Header)
		got <- b
	}))
	t.Cleanup(merchant.Close)

	var keys struct {
		SecretKey string `json:"secretKey"`
		AccountID string `json:"accountId"`
	}
	call(t, "POST", base+"/_sim/accounts", "", nil, http.StatusCreated, &keys)
	if a, public, ok := sim.Store().Lookup(keys.SecretKey); !ok || public || a.ID() != keys.AccountID {
		t.Fatalf("Store().Lookup(secret key) = %v %v %v, want account %s", a, public, ok, keys.AccountID)
	}
	key := keys.SecretKey

	var hook, sku, cust, o struct {
		ID string `json:"id"`
	}
	call(t, "POST", base+"/webhooks", key, map[string]any{"address": merchant.URL, "types": []string{"order.accepted"}}, http.StatusCreated, &hook)
	var secret struct {
		Secret string `json:"secret"`
	}
	call(t, "GET", base+"/_sim/webhooks/"+hook.ID+"/secret", key, nil, http.StatusOK, &secret)
	call(t, "POST", base+"/skus", key, map[string]any{"name": "Widget"}, http.StatusCreated, &sku)
	call(t, "POST", base+"/customers", key, map[string]any{"email": "zoe@example.test"}, http.StatusCreated, &cust)
	call(t, "POST", base+"/_sim/orders", key, map[string]any{
		"customerId": cust.ID,
		"items":      []map[string]any{{"skuId": sku.ID, "quantity": 2, "price": 10.0, "taxRate": 0.0805}},
		"shipping":   map[string]any{"amount": 5.0, "taxAmount": 0.40},
	}, http.StatusCreated, &o)
	call(t, "POST", base+"/_sim/orders/"+o.ID+"/accept", key, nil, http.StatusOK, nil)

	var body []byte
	select {
	case body = <-got:
	case <-time.After(wait):
		t.Fatalf("no webhook delivery within %s", wait)
	}
	if err := signature.Verify(<-sigs, body, secret.Secret, time.Now(), 0); err != nil {
		t.Fatalf("delivery signature: %v", err)
	}
	var ev struct {
		Type string `json:"type"`
		Data struct {
			Object struct {
				ID          string  `json:"id"`
				TotalAmount float64 `json:"totalAmount"`
			} `json:"object"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Type != "order.accepted" || ev.Data.Object.ID != o.ID || ev.Data.Object.TotalAmount != 27.01 {
		t.Fatalf("delivered %s of order %s total %v, want order.accepted of %s total 27.01", ev.Type, ev.Data.Object.ID, ev.Data.Object.TotalAmount, o.ID)
	}

	// The request log records DR API calls, not control calls.
	var log struct {
		Data []struct {
			Method string `json:"method"`
			Path   string `json:"path"`
			Status int    `json:"status"`
		} `json:"data"`
	}
	call(t, "GET", base+"/_sim/requests", key, nil, http.StatusOK, &log)
	var paths []string
	for _, r := range log.Data {
		paths = append(paths, r.Method+" "+r.Path)
		if strings.HasPrefix(r.Path, "/_sim/") {
			t.Fatalf("request log holds a control call: %+v", r)
		}
	}
	if want := []string{"POST /webhooks", "POST /skus", "POST /customers"}; strings.Join(paths, ",") != strings.Join(want, ",") {
		t.Fatalf("request log %v, want %v", paths, want)
	}

	if err := sim.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	closed = true
	if _, err := http.Get(base + "/events"); err == nil {
		t.Fatal("the simulator still answers after Close")
	}
}

func TestStartReportsAnAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	sim, err := simulator.Start(simulator.Options{Addr: ln.Addr().String()})
	if err == nil {
		_ = sim.Close()
		t.Fatalf("Start on the busy %s succeeded", ln.Addr())
	}
	var opErr *net.OpError
	if !errors.As(err, &opErr) || !strings.Contains(err.Error(), ln.Addr().String()) {
		t.Fatalf("Start error %v, want a listen error naming %s", err, ln.Addr())
	}
}

func TestDeliveryTimeoutOption(t *testing.T) {
	sim, err := simulator.Start(simulator.Options{DeliveryTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	release := make(chan struct{})
	merchant := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(merchant.Close)
	t.Cleanup(func() { close(release) })

	var keys struct {
		SecretKey string `json:"secretKey"`
	}
	base := sim.URL()
	call(t, "POST", base+"/_sim/accounts", "", nil, http.StatusCreated, &keys)
	var hook struct {
		ID string `json:"id"`
	}
	call(t, "POST", base+"/webhooks", keys.SecretKey, map[string]any{"address": merchant.URL, "types": []string{"sku.created"}}, http.StatusCreated, &hook)
	call(t, "POST", base+"/skus", keys.SecretKey, map[string]any{"name": "Widget"}, http.StatusCreated, nil)
	var at struct {
		Data []struct {
			Delivered bool   `json:"delivered"`
			Error     string `json:"error"`
		} `json:"data"`
	}
	call(t, "GET", base+"/_sim/deliveries?min=1&wait="+wait.String(), keys.SecretKey, nil, http.StatusOK, &at)
	if len(at.Data) != 1 || at.Data[0].Delivered || !strings.Contains(at.Data[0].Error, "Timeout") {
		t.Fatalf("attempts %+v, want one timed out after Options.DeliveryTimeout", at.Data)
	}
}

// TestConcurrentUse drives one account from many goroutines, through the
// store and over HTTP at once, while the engine delivers; -race checks it.
func TestConcurrentUse(t *testing.T) {
	sim, err := simulator.Start(simulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	ids := make(chan string, 200)
	merchant := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			ID string `json:"id"`
		}
		_ = json.NewDecoder(r.Body).Decode(&ev)
		ids <- ev.ID
	}))
	t.Cleanup(merchant.Close)

	base := sim.URL()
	var keys struct {
		SecretKey string `json:"secretKey"`
	}
	call(t, "POST", base+"/_sim/accounts", "", nil, http.StatusCreated, &keys)
	call(t, "POST", base+"/webhooks", keys.SecretKey, map[string]any{"address": merchant.URL, "types": []string{"order.accepted"}}, http.StatusCreated, nil)
	a, _, _ := sim.Store().Lookup(keys.SecretKey)
	sku, _, err := a.CreateSKU(state.SKUParams{Name: ptr("Widget")}, false)
	if err != nil {
		t.Fatal(err)
	}
	cust, err := a.CreateCustomer(state.CustomerParams{Email: ptr("many@example.test")})
	if err != nil {
		t.Fatal(err)
	}

	const workers, each = 6, 8
	errs := make(chan error, workers*each*3)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for range each {
				o, err := a.PlaceOrder(state.PlaceOrderParams{CustomerID: cust.ID, Items: []state.PlaceItem{{SKUID: sku.ID, Quantity: 1, Price: 9.99, TaxRate: 0.2}}})
				if err != nil {
					errs <- err
					continue
				}
				if _, err := a.AcceptOrder(o.ID); err != nil {
					errs <- err
				}
			}
		}()
		go func() { // readers over HTTP
			defer wg.Done()
			for range each {
				for _, p := range []string{"/events?limit=20", "/orders?limit=20", "/_sim/deliveries"} {
					req, _ := http.NewRequest("GET", base+p, nil)
					req.Header.Set("Authorization", "Bearer "+keys.SecretKey)
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						errs <- err
						continue
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						errs <- fmt.Errorf("GET %s: %d", p, resp.StatusCode)
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	seen := map[string]bool{}
	for len(seen) < workers*each {
		select {
		case id := <-ids:
			if seen[id] {
				t.Fatalf("event %s delivered twice", id)
			}
			seen[id] = true
		case <-time.After(wait):
			t.Fatalf("%d of %d order.accepted events delivered within %s", len(seen), workers*each, wait)
		}
	}
	var at struct {
		Data []struct {
			Delivered bool `json:"delivered"`
		} `json:"data"`
	}
	call(t, "GET", base+"/_sim/deliveries?min="+strconv.Itoa(workers*each)+"&wait="+wait.String(), keys.SecretKey, nil, http.StatusOK, &at)
	for i, x := range at.Data {
		if !x.Delivered {
			t.Fatalf("attempt %d not delivered", i+1)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestBrowsersOpeningTheRootGoToTheDashboard(t *testing.T) {
	s, err := simulator.Start(simulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("GET", s.URL()+"/", nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/_sim/dashboard/" {
		t.Fatalf("GET / from a browser: %d to %q, want 302 to /_sim/dashboard/", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, err = http.Get(s.DashboardURL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET %s: %d %s", s.DashboardURL(), resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}
