package simulator_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drsim/drsim/simulator"
	"github.com/drsim/drsim/simulator/client"
	"github.com/drsim/drsim/simulator/signature"
)

const wait = 5 * time.Second

// start runs a simulator for the test and returns it with a client of a
// fresh account.
func start(t *testing.T, o simulator.Options) (*simulator.Server, *client.Client) {
	t.Helper()
	sim, err := simulator.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	keys, err := sim.Client("").CreateAccount(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	return sim, sim.Client(keys.SecretKey)
}

// TestStartServesAnOrderFlowEndToEnd is the whole loop a merchant sees:
// an account, a webhook, a checkout, DR accepting it, a signed delivery.
func TestStartServesAnOrderFlowEndToEnd(t *testing.T) {
	ctx := context.Background()
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

	keys, err := sim.Client("").CreateAccount(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	c := sim.Client(keys.SecretKey)
	if acc, err := c.Account(ctx); err != nil || acc.AccountID != keys.AccountID {
		t.Fatalf("Account() = %+v, %v; want account %s", acc, err, keys.AccountID)
	}

	hook, err := c.CreateWebhook(ctx, client.WebhookParams{Address: client.String(merchant.URL), Types: &[]string{"order.accepted"}})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := c.WebhookSecrets(ctx, hook.ID)
	if err != nil {
		t.Fatal(err)
	}
	sku, err := c.CreateSKU(ctx, client.SKUParams{Name: client.String("Widget")})
	if err != nil {
		t.Fatal(err)
	}
	cust, err := c.CreateCustomer(ctx, client.CustomerParams{Email: new("zoe@example.test")})
	if err != nil {
		t.Fatal(err)
	}
	o, err := c.PlaceOrder(ctx, client.PlaceOrderParams{
		CustomerID: cust.ID,
		Items:      []client.PlaceItem{{SKUID: sku.ID, Quantity: 2, Price: 10.0, TaxRate: 0.0805}},
		Shipping:   &client.PlaceShipping{Amount: 5.0, TaxAmount: 0.40},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AcceptOrder(ctx, o.ID); err != nil {
		t.Fatal(err)
	}

	var body []byte
	select {
	case body = <-got:
	case <-time.After(wait):
		t.Fatalf("no webhook delivery within %s", wait)
	}
	if err := signature.Verify(<-sigs, body, secret.Secret, time.Now(), 0); err != nil {
		t.Fatalf("delivery signature: %v", err)
	}
	var ev client.Event
	if err := json.Unmarshal(body, &ev); err != nil {
		t.Fatal(err)
	}
	var delivered client.Order
	if err := json.Unmarshal(ev.Data.Object, &delivered); err != nil {
		t.Fatal(err)
	}
	if ev.Type != "order.accepted" || delivered.ID != o.ID || delivered.TotalAmount != 27.01 {
		t.Fatalf("delivered %s of order %s total %v, want order.accepted of %s total 27.01", ev.Type, delivered.ID, delivered.TotalAmount, o.ID)
	}

	// The request log records DR API calls, not control calls.
	log, err := c.Requests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, r := range log {
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
	if _, err := c.Events(ctx, client.ListParams{}); err == nil {
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
	ctx := context.Background()
	_, c := start(t, simulator.Options{DeliveryTimeout: 100 * time.Millisecond})
	release := make(chan struct{})
	merchant := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(merchant.Close)
	t.Cleanup(func() { close(release) })

	if _, err := c.CreateWebhook(ctx, client.WebhookParams{Address: client.String(merchant.URL), Types: &[]string{"sku.created"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateSKU(ctx, client.SKUParams{Name: client.String("Widget")}); err != nil {
		t.Fatal(err)
	}
	at, err := c.WaitDeliveries(ctx, client.AttemptFilter{}, 1, wait)
	if err != nil {
		t.Fatal(err)
	}
	if len(at) != 1 || at[0].Delivered || !strings.Contains(at[0].Error, "no answer within 100ms") {
		t.Fatalf("attempts %+v, want one timed out after Options.DeliveryTimeout", at)
	}
}

// TestConcurrentUse drives one account from many goroutines over HTTP at
// once, writers and readers, while the engine delivers; -race checks it.
func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	_, c := start(t, simulator.Options{})
	ids := make(chan string, 200)
	merchant := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			ID string `json:"id"`
		}
		_ = json.NewDecoder(r.Body).Decode(&ev)
		ids <- ev.ID
	}))
	t.Cleanup(merchant.Close)

	if _, err := c.CreateWebhook(ctx, client.WebhookParams{Address: client.String(merchant.URL), Types: &[]string{"order.accepted"}}); err != nil {
		t.Fatal(err)
	}
	sku, err := c.CreateSKU(ctx, client.SKUParams{Name: client.String("Widget")})
	if err != nil {
		t.Fatal(err)
	}
	cust, err := c.CreateCustomer(ctx, client.CustomerParams{Email: new("many@example.test")})
	if err != nil {
		t.Fatal(err)
	}

	const workers, each = 6, 8
	errs := make(chan error, workers*each*4)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for range each {
				o, err := c.PlaceOrder(ctx, client.PlaceOrderParams{CustomerID: cust.ID, Items: []client.PlaceItem{{SKUID: sku.ID, Quantity: 1, Price: 9.99, TaxRate: 0.2}}})
				if err != nil {
					errs <- err
					continue
				}
				if _, err := c.AcceptOrder(ctx, o.ID); err != nil {
					errs <- err
				}
			}
		}()
		go func() { // readers
			defer wg.Done()
			for range each {
				if _, err := c.Events(ctx, client.ListParams{Limit: 20}); err != nil {
					errs <- fmt.Errorf("events: %w", err)
				}
				if _, err := c.Orders(ctx, client.ListParams{Limit: 20}); err != nil {
					errs <- fmt.Errorf("orders: %w", err)
				}
				if _, err := c.Deliveries(ctx, client.AttemptFilter{}); err != nil {
					errs <- fmt.Errorf("deliveries: %w", err)
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
	at, err := c.WaitDeliveries(ctx, client.AttemptFilter{}, workers*each, wait)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range at {
		if !x.Delivered {
			t.Fatalf("attempt %d not delivered", i+1)
		}
	}
}

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

// FillCustomers stores what POST /customers stores: customers reading back
// as one created over the API does, and a customer.created event each,
// newest first in lists; it logs no requests.
func TestFillCustomersStoresWhatTheAPIStores(t *testing.T) {
	sim, c := start(t, simulator.Options{})
	ctx := context.Background()
	keys, err := c.Account(ctx)
	if err != nil {
		t.Fatal(err)
	}
	viaAPI, err := c.CreateCustomer(ctx, client.CustomerParams{Email: new("api@example.test")})
	if err != nil {
		t.Fatal(err)
	}
	logged, err := c.Requests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := sim.FillCustomers(keys.SecretKey, 3, func(i int) string { return fmt.Sprintf("fill%d@example.test", i) })
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 3 {
		t.Fatalf("FillCustomers returned %d ids, want 3", len(ids))
	}
	page, err := c.Customers(ctx, client.ListParams{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Data) != 4 || page.Data[3].ID != viaAPI.ID {
		t.Fatalf("customers %+v; want the 3 filled, newest first, then %s", page.Data, viaAPI.ID)
	}
	for i, id := range ids {
		got, err := c.Customer(ctx, id)
		if err != nil {
			t.Fatalf("GET filled customer %s: %v", id, err)
		}
		want := *viaAPI
		want.ID, want.Email, want.CreatedTime, want.UpdatedTime = id, fmt.Sprintf("fill%d@example.test", i), got.CreatedTime, got.UpdatedTime
		if !reflect.DeepEqual(*got, want) || got.CreatedTime.IsZero() {
			t.Fatalf("filled customer %+v; want %+v (as created over the API, but for id, email and times)", *got, want)
		}
		if page.Data[2-i].ID != id {
			t.Fatalf("list position of %s: got %s", id, page.Data[2-i].ID)
		}
	}
	events, err := c.Events(ctx, client.ListParams{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var created []string
	for _, e := range events.Data {
		if e.Type == "customer.created" {
			var obj struct{ ID string }
			if err := json.Unmarshal(e.Data.Object, &obj); err != nil {
				t.Fatal(err)
			}
			created = append(created, obj.ID)
		}
	}
	if want := []string{ids[2], ids[1], ids[0], viaAPI.ID}; !reflect.DeepEqual(created, want) {
		t.Fatalf("customer.created events for %v; want %v", created, want)
	}
	after, err := c.Requests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The calls above after the fill (list, GETs, events) are logged; the fill is not.
	if got, want := len(after)-len(logged), 2+len(ids); got != want {
		t.Fatalf("%d requests logged after the fill, want %d (the test's own list, GETs and events list)", got, want)
	}
	if _, err := sim.FillCustomers(keys.PublicKey, 1, func(int) string { return "x@example.test" }); err == nil {
		t.Fatal("FillCustomers with a public key: no error")
	}
}

// TrimEvents takes back the newest events down to the number kept: they
// are gone from the list and from GET by id, the older ones stay as they
// were, and events recorded after are listed as usual.
func TestTrimEventsRemovesTheNewest(t *testing.T) {
	sim, c := start(t, simulator.Options{})
	ctx := context.Background()
	keys, err := c.Account(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sim.FillCustomers(keys.SecretKey, 3, func(i int) string { return fmt.Sprintf("t%d@example.test", i) }); err != nil {
		t.Fatal(err)
	}
	filled, err := c.Events(ctx, client.ListParams{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if _, err := c.CreateCustomer(ctx, client.CustomerParams{Email: new(fmt.Sprintf("new%d@example.test", i))}); err != nil {
			t.Fatal(err)
		}
	}
	before, err := c.Events(ctx, client.ListParams{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := sim.TrimEvents(keys.SecretKey, 3); err != nil || n != 2 {
		t.Fatalf("TrimEvents(3) of 5 = %d, %v; want 2 removed", n, err)
	}
	after, err := c.Events(ctx, client.ListParams{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := eventIDs(after.Data), eventIDs(filled.Data); !slices.Equal(got, want) {
		t.Fatalf("events after the trim: %v; want the filled ones %v", got, want)
	}
	for _, e := range before.Data[:2] {
		if _, err := c.Event(ctx, e.ID); err == nil || !strings.Contains(err.Error(), "404") {
			t.Fatalf("GET trimmed event %s: %v; want a 404", e.ID, err)
		}
	}
	if _, err := c.CreateCustomer(ctx, client.CustomerParams{Email: new("later@example.test")}); err != nil {
		t.Fatal(err)
	}
	later, err := c.Events(ctx, client.ListParams{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(later.Data) != 4 || !slices.Equal(eventIDs(later.Data[1:]), eventIDs(filled.Data)) {
		t.Fatalf("events after one more create: %v; want it before the filled ones %v", eventIDs(later.Data), eventIDs(filled.Data))
	}
	if n, err := sim.TrimEvents(keys.SecretKey, 10); err != nil || n != 0 {
		t.Fatalf("TrimEvents(10) of 4 = %d, %v; want none removed", n, err)
	}
	if _, err := sim.TrimEvents(keys.PublicKey, 0); err == nil {
		t.Fatal("TrimEvents with a public key: no error")
	}
}

func eventIDs(events []client.Event) []string {
	ids := make([]string, len(events))
	for i, e := range events {
		ids[i] = e.ID
	}
	return ids
}

// TrimCustomers takes back the newest customers down to the number kept:
// they are gone from GET and from lists, their ids can be made again, the
// older ones stay as they were, and their events stay.
func TestTrimCustomersRemovesTheNewest(t *testing.T) {
	sim, c := start(t, simulator.Options{})
	ctx := context.Background()
	keys, err := c.Account(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := sim.FillCustomers(keys.SecretKey, 5, func(i int) string { return fmt.Sprintf("t%d@example.test", i) })
	if err != nil {
		t.Fatal(err)
	}
	if n, err := sim.TrimCustomers(keys.SecretKey, 2); err != nil || n != 3 {
		t.Fatalf("TrimCustomers(2) of 5 = %d, %v; want 3 removed", n, err)
	}
	page, err := c.Customers(ctx, client.ListParams{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Data) != 2 || page.Data[0].ID != ids[1] || page.Data[1].ID != ids[0] {
		t.Fatalf("customers after the trim: %+v; want %s and %s", page.Data, ids[1], ids[0])
	}
	for _, id := range ids[2:] {
		if _, err := c.Customer(ctx, id); err == nil || !strings.Contains(err.Error(), "404") {
			t.Fatalf("GET trimmed customer %s: %v; want a 404", id, err)
		}
	}
	if got, err := c.Customer(ctx, ids[1]); err != nil || got.Email != "t1@example.test" {
		t.Fatalf("GET kept customer %s: %+v, %v", ids[1], got, err)
	}
	if _, err := c.CreateCustomer(ctx, client.CustomerParams{ID: new(ids[4])}); err != nil {
		t.Fatalf("making a trimmed id again: %v", err)
	}
	events, err := c.Events(ctx, client.ListParams{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(events.Data) != 6 {
		t.Fatalf("%d events after the trim and one create; want 6 (the 5 filled stay)", len(events.Data))
	}
	if n, err := sim.TrimCustomers(keys.SecretKey, 10); err != nil || n != 0 {
		t.Fatalf("TrimCustomers(10) of 3 = %d, %v; want none removed", n, err)
	}
	if _, err := sim.TrimCustomers(keys.PublicKey, 0); err == nil {
		t.Fatal("TrimCustomers with a public key: no error")
	}
}
