package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/drsim/drsim/simulator"
	"github.com/drsim/drsim/simulator/client"
)

const wait = 5 * time.Second

// must fails the test on err and returns v.
func must[T any](t *testing.T, what string) func(T, error) T {
	t.Helper()
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
}

func ok(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// strictAccount starts a simulator and returns a strict client of a fresh
// account: every answer must decode into the client's types with no field
// left over, so these tests fail when the wire format and the types part.
func strictAccount(t *testing.T) (*client.Client, *client.Keys) {
	t.Helper()
	sim, err := simulator.Start(simulator.Options{RetryScale: 1e-4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	anon := client.New(sim.URL(), "", client.Strict())
	keys := must[*client.Keys](t, "create account")(anon.CreateAccount(context.Background(), ""))
	return anon.WithKey(keys.SecretKey), keys
}

// TestEveryResourceDecodesStrictly walks DR's API and the control API
// through an order's life and a subscription's first renewal.
func TestEveryResourceDecodesStrictly(t *testing.T) {
	ctx := context.Background()
	c, keys := strictAccount(t)
	if c.BaseURL() == "" || strings.HasSuffix(c.BaseURL(), "/") {
		t.Fatalf("BaseURL() = %q", c.BaseURL())
	}
	got := make(chan struct{}, 100)
	merchant := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got <- struct{}{} }))
	t.Cleanup(merchant.Close)

	acc := must[*client.Keys](t, "account")(c.Account(ctx))
	if acc.SecretKey != keys.SecretKey || acc.PublicKey == "" {
		t.Fatalf("Account() = %+v, want the keys CreateAccount gave (%+v)", acc, keys)
	}

	hook := must[*client.Webhook](t, "create webhook")(c.CreateWebhook(ctx, client.WebhookParams{Address: client.String(merchant.URL), Types: &[]string{"order.accepted", "order.complete"}}))
	hook = must[*client.Webhook](t, "update webhook")(c.UpdateWebhook(ctx, hook.ID, client.WebhookParams{Enabled: client.Bool(true)}))
	must[*client.Webhook](t, "get webhook")(c.Webhook(ctx, hook.ID))
	if p := must[*client.Page[client.Webhook]](t, "list webhooks")(c.Webhooks(ctx, client.ListParams{Limit: 10})); len(p.Data) != 1 {
		t.Fatalf("webhooks %+v, want 1", p.Data)
	}
	ok(t, "set secret", c.SetWebhookSecret(ctx, hook.ID, "whsec_one"))
	sec := must[*client.WebhookSecrets](t, "rotate")(c.RotateWebhookSecret(ctx, hook.ID, client.RotateParams{Secret: "whsec_two", OldValidFor: "1h"}))
	if sec.Secret != "whsec_two" || len(sec.Old) != 1 || sec.Old[0].Secret != "whsec_one" {
		t.Fatalf("after rotation %+v, want whsec_two with whsec_one still valid", sec)
	}
	must[*client.WebhookSecrets](t, "secrets")(c.WebhookSecrets(ctx, hook.ID))
	must[*client.WebhookDelivery](t, "delivery state")(c.WebhookDelivery(ctx, hook.ID))

	sku := must[*client.SKU](t, "create sku")(c.CreateSKU(ctx, client.SKUParams{Name: client.String("Widget"), Physical: client.Bool(true)}))
	must[*client.SKU](t, "put sku")(c.PutSKU(ctx, "sku_box", client.SKUParams{Name: client.String("Box")}))
	must[*client.SKU](t, "update sku")(c.UpdateSKU(ctx, sku.ID, client.SKUParams{Description: client.String("A widget")}))
	must[*client.SKU](t, "get sku")(c.SKU(ctx, "sku_box"))
	must[*client.Page[client.SKU]](t, "list skus")(c.SKUs(ctx, client.ListParams{}))

	cust := must[*client.Customer](t, "create customer")(c.CreateCustomer(ctx, client.CustomerParams{Email: new("zoe@example.test"), Shipping: &client.Contact{Name: "Zoe", Address: &client.Address{Country: "US"}}}))
	must[*client.Customer](t, "update customer")(c.UpdateCustomer(ctx, cust.ID, client.CustomerParams{Locale: new("en_US")}))
	pub := c.WithKey(acc.PublicKey)
	src := must[*client.Source](t, "create source with the public key")(pub.CreateSource(ctx, client.SourceParams{Type: "creditCard", CreditCard: &client.CardParams{Number: "4444222233331111", ExpirationMonth: 12, ExpirationYear: time.Now().Year() + 3}}))
	must[*client.Source](t, "get source")(pub.Source(ctx, src.ID))
	must[*client.Source](t, "attach")(c.AttachSource(ctx, cust.ID, src.ID))
	if cur := must[*client.Customer](t, "get customer")(c.Customer(ctx, cust.ID)); len(cur.Sources) != 1 {
		t.Fatalf("customer sources %+v, want the attached one", cur.Sources)
	}
	must[*client.Page[client.Customer]](t, "list customers")(c.Customers(ctx, client.ListParams{Filters: map[string][]string{"email": {"zoe@example.test"}}}))

	o := must[*client.Order](t, "place order")(c.PlaceOrder(ctx, client.PlaceOrderParams{
		CustomerID: cust.ID, Currency: "USD", SourceID: src.ID,
		Items:    []client.PlaceItem{{SKUID: sku.ID, Quantity: 2, Price: 10, TaxRate: 0.1}},
		Shipping: &client.PlaceShipping{Amount: 5, TaxAmount: 0.5, Description: "Standard"},
	}))
	o = must[*client.Order](t, "accept")(c.AcceptOrder(ctx, o.ID))
	if o.State != "accepted" {
		t.Fatalf("order state %s after AcceptOrder, want accepted", o.State)
	}
	must[*client.Order](t, "update order")(c.UpdateOrder(ctx, o.ID, client.OrderUpdateParams{UpstreamID: new("shop-1")}))
	if len(o.Payment.Charges) == 0 {
		t.Fatalf("accepted order %s has no charge", o.ID)
	}
	if ch := must[*client.Charge](t, "get charge")(c.Charge(ctx, o.Payment.Charges[0].ID)); ch.OrderID != o.ID {
		t.Fatalf("charge %s belongs to order %s, want %s", ch.ID, ch.OrderID, o.ID)
	}
	must[*client.Page[client.Order]](t, "list orders")(c.Orders(ctx, client.ListParams{Filters: map[string][]string{"customerId": {cust.ID}}}))

	f := must[*client.Fulfillment](t, "fulfil")(c.CreateFulfillment(ctx, client.FulfillmentParams{OrderID: o.ID, Items: []client.FulfillmentItemParams{{ItemID: o.Items[0].ID, Quantity: 2}}, TrackingNumber: "1Z"}))
	must[*client.Fulfillment](t, "get fulfillment")(c.Fulfillment(ctx, f.ID))
	must[*client.Page[client.Fulfillment]](t, "list fulfillments")(c.Fulfillments(ctx, client.ListParams{}))
	o = must[*client.Order](t, "get order")(c.Order(ctx, o.ID))
	if o.State != "complete" || len(o.InvoicePDFs) == 0 {
		t.Fatalf("order %s state %s, invoices %v; want complete with an invoice PDF", o.ID, o.State, o.InvoicePDFs)
	}

	ret := must[*client.Return](t, "return")(c.CreateReturn(ctx, client.ReturnParams{OrderID: o.ID, Reason: "broken", Items: []client.ReturnItemParams{{ItemID: o.Items[0].ID, Quantity: 1}}}))
	must[*client.Return](t, "get return")(c.Return(ctx, ret.ID))
	must[*client.Page[client.Return]](t, "list returns")(c.Returns(ctx, client.ListParams{}))
	must[*client.Return](t, "update return")(c.UpdateReturn(ctx, ret.ID, client.ReturnUpdateParams{Metadata: map[string]any{"rma": "7"}}))

	ref := must[*client.Refund](t, "refund")(c.CreateRefund(ctx, client.RefundParams{OrderID: o.ID, Currency: "USD", Amount: client.Float(5), Reason: "goodwill"}))
	must[*client.Refund](t, "update refund")(c.UpdateRefund(ctx, ref.ID, client.MetadataParams{Metadata: map[string]any{"k": "v"}}))
	ref = must[*client.Refund](t, "complete refund")(c.CompleteRefund(ctx, ref.ID))
	if ref.State != "succeeded" {
		t.Fatalf("refund state %s after CompleteRefund, want succeeded", ref.State)
	}
	ref2 := must[*client.Refund](t, "second refund")(c.CreateRefund(ctx, client.RefundParams{OrderID: o.ID, Currency: "USD", Amount: client.Float(1)}))
	must[*client.Refund](t, "fail refund")(c.FailRefund(ctx, ref2.ID, "expired"))
	must[*client.Refund](t, "get refund")(c.Refund(ctx, ref.ID))
	must[*client.Page[client.Refund]](t, "list refunds")(c.Refunds(ctx, client.ListParams{Filters: map[string][]string{"orderId": {o.ID}}}))

	pdf, ctype, err := c.FileContent(ctx, o.InvoicePDFs[0].ID)
	if err != nil || !strings.HasPrefix(string(pdf), "%PDF") || ctype != "application/pdf" {
		t.Fatalf("invoice content: %q… %s %v, want a PDF", pdf[:min(len(pdf), 8)], ctype, err)
	}
	up := must[*client.File](t, "upload")(c.CreateFile(ctx, client.FileUpload{Purpose: "tax_document_customer_upload", FileName: "note.pdf", Title: "Note", Content: []byte("%PDF-1.4 note")}))
	must[*client.File](t, "get file")(c.File(ctx, up.ID))
	must[*client.Page[client.File]](t, "list files")(c.Files(ctx, client.ListParams{}))
	link := must[*client.FileLink](t, "link")(c.CreateFileLink(ctx, client.FileLinkParams{FileID: up.ID, ExpiresTime: time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)}))
	must[*client.FileLink](t, "update link")(c.UpdateFileLink(ctx, link.ID, client.FileLinkUpdateParams{Metadata: map[string]any{"a": "b"}}))
	must[*client.FileLink](t, "get link")(c.FileLink(ctx, link.ID))
	must[*client.Page[client.FileLink]](t, "list links")(c.FileLinks(ctx, client.ListParams{Filters: map[string][]string{"fileId": {up.ID}}}))
	ok(t, "delete link", c.DeleteFileLink(ctx, link.ID))
	ok(t, "delete file", c.DeleteFile(ctx, up.ID))

	evs := must[*client.Page[client.Event]](t, "events")(c.Events(ctx, client.ListParams{Limit: 100, Filters: map[string][]string{"type": {"order.accepted"}}}))
	if len(evs.Data) != 1 {
		t.Fatalf("%d order.accepted events, want 1", len(evs.Data))
	}
	ev := must[*client.Event](t, "event")(c.Event(ctx, evs.Data[0].ID))
	select {
	case <-got:
	case <-time.After(wait):
		t.Fatalf("no delivery to the merchant within %s", wait)
	}
	atts := must[[]client.Attempt](t, "redeliver")(c.Redeliver(ctx, ev.ID, client.RedeliverParams{WebhookID: hook.ID, Forge: client.ForgeStale}))
	if len(atts) != 1 || atts[0].Forged != client.ForgeStale || !atts[0].Manual {
		t.Fatalf("redelivery attempts %+v, want one manual stale forgery", atts)
	}
	must[[]client.Attempt](t, "wait deliveries")(c.WaitDeliveries(ctx, client.AttemptFilter{EventID: ev.ID, WebhookID: hook.ID}, 2, wait))
	must[[]client.Attempt](t, "deliveries")(c.Deliveries(ctx, client.AttemptFilter{}))
	if n, err := c.RetryDeliveries(ctx, hook.ID); err != nil || n != 0 {
		t.Fatalf("RetryDeliveries = %d, %v; want 0 (nothing in backoff)", n, err)
	}

	plan := must[*client.Plan](t, "plan")(c.CreatePlan(ctx, client.PlanParams{Name: client.String("Monthly"), Interval: client.String("month"), IntervalCount: client.Int(1), ReminderOffsetDays: client.Int(7)}))
	must[*client.Plan](t, "update plan")(c.UpdatePlan(ctx, plan.ID, client.PlanParams{Terms: client.String("Monthly terms")}))
	must[*client.Plan](t, "get plan")(c.Plan(ctx, plan.ID))
	must[*client.Page[client.Plan]](t, "list plans")(c.Plans(ctx, client.ListParams{}))
	clk := must[*client.TestClock](t, "test clock")(c.CreateTestClock(ctx, "subscriber", time.Time{}))
	must[*client.TestClock](t, "get test clock")(c.TestClock(ctx, clk.ID))
	must[*client.Page[client.TestClock]](t, "list test clocks")(c.TestClocks(ctx, client.ListParams{}))
	subscriber := must[*client.Customer](t, "clock customer")(c.CreateClockCustomer(ctx, clk.ID, client.CustomerParams{Email: new("sub@example.test")}))
	card := must[*client.Source](t, "subscriber's card")(pub.CreateSource(ctx, client.SourceParams{Type: "creditCard", CreditCard: &client.CardParams{Number: "4444222233331111", ExpirationMonth: 12, ExpirationYear: clk.FrozenTime.Year() + 3}}))
	so := must[*client.Order](t, "subscription order")(c.PlaceOrder(ctx, client.PlaceOrderParams{CustomerID: subscriber.ID, Currency: "USD", SourceID: card.ID,
		Items: []client.PlaceItem{{SKUID: "sku_box", Quantity: 1, Price: 9.99, SubscriptionInfo: &client.SubscriptionInfo{PlanID: plan.ID, Terms: "Monthly terms", AutoRenewal: client.Bool(true)}}}}))
	so = must[*client.Order](t, "accept subscription order")(c.AcceptOrder(ctx, so.ID))
	subID := so.Items[0].SubscriptionInfo.SubscriptionID
	if subID == "" {
		t.Fatalf("accepted subscription order %s has no subscription id: %+v", so.ID, so.Items[0].SubscriptionInfo)
	}
	// The merchant activates the draft after order.accepted, as DR documents.
	must[*client.Subscription](t, "activate subscription")(c.UpdateSubscription(ctx, subID, client.SubscriptionUpdateParams{State: client.String("active")}))
	must[*client.Subscription](t, "wait for active")(c.WaitSubscriptionState(ctx, subID, time.Second, "active"))
	sub := must[*client.Subscription](t, "get subscription")(c.Subscription(ctx, subID))
	must[*client.Page[client.Subscription]](t, "list subscriptions")(c.Subscriptions(ctx, client.ListParams{}))
	must[time.Time](t, "clock")(c.Clock(ctx))
	moved := must[*client.ClockMove](t, "advance")(c.AdvanceTestClock(ctx, clk.ID, 35*24*time.Hour))
	if !moved.FrozenTime.After(clk.FrozenTime) || len(moved.Events) == 0 {
		t.Fatalf("a month on from %s: %+v, want later with the renewal's events", clk.FrozenTime, moved)
	}
	must[*client.ClockMove](t, "set")(c.AdvanceTestClockTo(ctx, clk.ID, moved.FrozenTime.Add(time.Hour)))
	invs := must[*client.Page[client.Invoice]](t, "list invoices")(c.Invoices(ctx, client.ListParams{Filters: map[string][]string{"subscriptionId": {sub.ID}}}))
	if len(invs.Data) == 0 {
		t.Fatalf("no billing invoice after a month of subscription %s", sub.ID)
	}
	must[*client.Invoice](t, "get invoice")(c.Invoice(ctx, invs.Data[0].ID))
	must[*client.Subscription](t, "cancel subscription")(c.UpdateSubscription(ctx, sub.ID, client.SubscriptionUpdateParams{State: client.String("cancelled")}))

	hold := must[*client.Fault](t, "fault")(c.AddFault(ctx, client.Fault{WebhookID: hook.ID, ObjectID: "ord_none", Hold: true}))
	must[*client.Fault](t, "get fault")(c.Fault(ctx, hold.ID))
	must[*client.Fault](t, "release")(c.ReleaseFault(ctx, hold.ID, "fifo"))
	if _, err := c.WaitFaultHeld(ctx, hold.ID, 1, time.Millisecond); client.StatusOf(err) != http.StatusRequestTimeout {
		t.Fatalf("WaitFaultHeld on a fault holding nothing: %v, want 408", err)
	}
	af := must[*client.APIFault](t, "api fault")(c.AddAPIFault(ctx, client.APIFault{Method: "GET", Path: "/skus/sku_box", Status: 503, Count: 1}))
	if _, err := c.SKU(ctx, "sku_box"); client.StatusOf(err) != http.StatusServiceUnavailable {
		t.Fatalf("GET /skus/sku_box under an API fault: %v, want 503", err)
	}
	if af = must[*client.APIFault](t, "get api fault")(c.APIFault(ctx, af.ID)); af.Used != 1 {
		t.Fatalf("API fault used %d times, want 1", af.Used)
	}
	// DR's rate limit, injected: the next 2 DR calls of any path get 429
	// with Retry-After (1.5s rounds up to 2s); control calls pass and do not
	// use the fault up.
	rl := must[*client.APIFault](t, "rate limit fault")(c.RateLimitNext(ctx, 2, 1500*time.Millisecond))
	for i, call := range []func() error{
		func() error { _, err := c.Customers(ctx, client.ListParams{}); return err },
		func() error { _, err := c.Orders(ctx, client.ListParams{}); return err },
	} {
		var e *client.Error
		if err := call(); !errors.As(err, &e) || e.Status != http.StatusTooManyRequests || e.Type != "too_many_requests" || e.Code() != "too_many_requests" || e.RetryAfter != 2*time.Second {
			t.Fatalf("call %d under RateLimitNext: %v (%+v), want 429 too_many_requests with Retry-After 2s", i+1, err, e)
		}
		if got := must[*client.APIFault](t, "get rate limit fault")(c.APIFault(ctx, rl.ID)); got.Used != i+1 || got.Path != client.AnyPath {
			t.Fatalf("after %d calls the fault reads %+v, want used %d", i+1, got, i+1)
		}
	}
	must[*client.Page[client.Customer]](t, "customers after the rate limit")(c.Customers(ctx, client.ListParams{}))
	if _, err := c.RateLimitNext(ctx, 0, time.Second); err == nil {
		t.Fatal("RateLimitNext with count 0 was accepted")
	}
	must[[]client.RequestLog](t, "requests")(c.Requests(ctx))

	ok(t, "detach", c.DetachSource(ctx, cust.ID, src.ID))
	ok(t, "delete sku", c.DeleteSKU(ctx, "sku_box"))
	ok(t, "delete webhook", c.DeleteWebhook(ctx, hook.ID))
	if err := c.DeletePlan(ctx, plan.ID); client.StatusOf(err) != http.StatusConflict {
		t.Fatalf("delete a plan in use: %v, want 409", err)
	}
	unused := must[*client.Plan](t, "unused plan")(c.CreatePlan(ctx, client.PlanParams{Name: client.String("Yearly"), Interval: client.String("year")}))
	ok(t, "delete plan", c.DeletePlan(ctx, unused.ID))
	other := must[*client.Customer](t, "customer to delete")(c.CreateCustomer(ctx, client.CustomerParams{Email: new("gone@example.test")}))
	ok(t, "delete customer", c.DeleteCustomer(ctx, other.ID))
	sub2 := must[*client.Page[client.Subscription]](t, "subscriptions")(c.Subscriptions(ctx, client.ListParams{}))
	if len(sub2.Data) == 0 {
		t.Fatal("no subscription listed")
	}
	if err := c.DeleteSubscription(ctx, sub2.Data[0].ID); client.StatusOf(err) != http.StatusConflict {
		t.Fatalf("delete a cancelled subscription: %v, want 409 (only drafts can be deleted)", err)
	}
}

// TestErrorsCarryDRsShape checks that a refused call is an *Error with the
// status, type, code and parameter of DR's error body.
func TestErrorsCarryDRsShape(t *testing.T) {
	ctx := context.Background()
	c, _ := strictAccount(t)
	_, err := c.Customer(ctx, "cus_missing")
	var e *client.Error
	if !errors.As(err, &e) {
		t.Fatalf("missing customer: %T %v, want *client.Error", err, err)
	}
	if e.Status != http.StatusNotFound || e.Type != "not_found" || e.Code() != "not_found" || e.Method != "GET" || e.Path != "/customers/cus_missing" {
		t.Fatalf("error %+v (code %q), want GET /customers/cus_missing 404 not_found", e, e.Code())
	}
	if !strings.Contains(e.Error(), "404") || !strings.Contains(e.Error(), "cus_missing") {
		t.Fatalf("Error() = %q, want the status and the id", e.Error())
	}

	_, err = c.CreateWebhook(ctx, client.WebhookParams{Types: &[]string{"order.accepted"}})
	if !errors.As(err, &e) || e.Status != http.StatusBadRequest || e.Parameter() != "address" {
		t.Fatalf("webhook without address: %v, want 400 naming parameter address", err)
	}

	if _, err := c.WithKey("sk_wrong").Customers(ctx, client.ListParams{}); client.StatusOf(err) != http.StatusUnauthorized {
		t.Fatalf("wrong key: %v, want 401", err)
	}
	if client.StatusOf(errors.New("plain")) != 0 {
		t.Fatal("StatusOf of a plain error is not 0")
	}
}

// TestNonDRAnswers covers answers that are not DR's shape and transport
// failures.
func TestNonDRAnswers(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/customers/plain":
			http.Error(w, "upstream down", http.StatusBadGateway)
		case "/customers/extra":
			_, _ = w.Write([]byte(`{"id":"c","surprise":1}`))
		default:
			_, _ = w.Write([]byte(`{"id":`))
		}
	}))
	t.Cleanup(srv.Close)
	c := client.New(srv.URL+"/", "sk", client.WithHTTPClient(srv.Client()))
	_, err := c.Customer(ctx, "plain")
	var e *client.Error
	if !errors.As(err, &e) || e.Status != http.StatusBadGateway || e.Type != "" || !strings.Contains(e.Error(), "upstream down") {
		t.Fatalf("plain-text 502: %v, want an *Error keeping the text", err)
	}
	if e.Code() != "" || e.Parameter() != "" {
		t.Fatalf("plain-text error has code %q parameter %q", e.Code(), e.Parameter())
	}
	if cu, err := c.Customer(ctx, "extra"); err != nil || cu.ID != "c" {
		t.Fatalf("lenient client on an unknown field: %+v %v, want it ignored", cu, err)
	}
	if _, err := client.New(srv.URL, "sk", client.Strict()).Customer(ctx, "extra"); err == nil || !strings.Contains(err.Error(), "surprise") {
		t.Fatalf("strict client on an unknown field: %v, want an error naming it", err)
	}
	if _, err := c.Customer(ctx, "broken"); err == nil || !strings.Contains(err.Error(), "decode answer") {
		t.Fatalf("truncated JSON: %v, want a decode error", err)
	}
	if err := c.Do(ctx, "GET", "/x", func() {}, nil); err == nil || !strings.Contains(err.Error(), "encode request") {
		t.Fatalf("unencodable body: %v, want an encode error", err)
	}
	srv.Close()
	if _, err := c.Customer(ctx, "plain"); err == nil || client.StatusOf(err) != 0 {
		t.Fatalf("closed server: %v, want a transport error", err)
	}
	if _, err := client.New("http://bad host", "").Customer(ctx, "x"); err == nil {
		t.Fatal("bad URL: no error")
	}
}

// A simulator that never answers fails the call after WithCallTimeout; a
// long-polling call gets its wait on top; a cancelled caller is reported as
// such, not as a timeout.
func TestCallTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	c := client.New(srv.URL, "", client.WithHTTPClient(srv.Client()), client.WithCallTimeout(30*time.Millisecond, "profile timeouts.action"))
	_, err := c.Order(context.Background(), "o1")
	if err == nil || !strings.Contains(err.Error(), "did not answer within 30ms (profile timeouts.action)") {
		t.Errorf("Order: err = %v, want the timeout named", err)
	}
	_, err = c.WaitDeliveries(context.Background(), client.AttemptFilter{}, 1, 20*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "did not answer within 50ms") {
		t.Errorf("WaitDeliveries: err = %v, want timeout 30ms + 20ms", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.Order(ctx, "o1")
	if err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("Order with a cancelled context: err = %v", err)
	}
	_, err = client.New(srv.URL, "", client.WithCallTimeout(10*time.Millisecond, "")).Order(context.Background(), "o1")
	if err == nil || !strings.Contains(err.Error(), "did not answer within 10ms") || strings.Contains(err.Error(), "(") {
		t.Errorf("Order without a setting name: err = %v", err)
	}
}

// TestFulfillmentRequestLeavesOutUnusedQuantities checks the body of POST
// /fulfillments: a line that only cancels sends no quantity and one that
// only ships no cancelQuantity (both are optional in DR's request), and the
// simulator takes a cancel-only line.
func TestFulfillmentRequestLeavesOutUnusedQuantities(t *testing.T) {
	ctx := context.Background()
	bodies := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies <- string(b)
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id":"ful_1"}`))
	}))
	t.Cleanup(srv.Close)
	rec := client.New(srv.URL, "sk", client.WithHTTPClient(srv.Client()))
	for _, tc := range []struct {
		item client.FulfillmentItemParams
		want string
	}{
		{client.FulfillmentItemParams{ItemID: "i1", CancelQuantity: 2}, `{"orderId":"o1","items":[{"itemId":"i1","cancelQuantity":2}]}`},
		{client.FulfillmentItemParams{SKUID: "s1", Quantity: 1}, `{"orderId":"o1","items":[{"skuId":"s1","quantity":1}]}`},
		{client.FulfillmentItemParams{ItemID: "i1", Quantity: 1, CancelQuantity: 1}, `{"orderId":"o1","items":[{"itemId":"i1","quantity":1,"cancelQuantity":1}]}`},
	} {
		must[*client.Fulfillment](t, "fulfil")(rec.CreateFulfillment(ctx, client.FulfillmentParams{OrderID: "o1", Items: []client.FulfillmentItemParams{tc.item}}))
		if got := <-bodies; got != tc.want {
			t.Errorf("%+v: body %s, want %s", tc.item, got, tc.want)
		}
	}

	c, _ := strictAccount(t)
	sku := must[*client.SKU](t, "sku")(c.CreateSKU(ctx, client.SKUParams{Name: client.String("Widget")}))
	cust := must[*client.Customer](t, "customer")(c.CreateCustomer(ctx, client.CustomerParams{Email: client.String("zoe@example.test")}))
	o := must[*client.Order](t, "place order")(c.PlaceOrder(ctx, client.PlaceOrderParams{
		CustomerID: cust.ID, Currency: "USD", Items: []client.PlaceItem{{SKUID: sku.ID, Quantity: 2, Price: 10}},
	}))
	o = must[*client.Order](t, "accept")(c.AcceptOrder(ctx, o.ID))
	f := must[*client.Fulfillment](t, "cancel")(c.CreateFulfillment(ctx, client.FulfillmentParams{OrderID: o.ID, Items: []client.FulfillmentItemParams{{ItemID: o.Items[0].ID, CancelQuantity: 2}}}))
	if len(f.Items) != 1 || f.Items[0].Quantity != 0 || f.Items[0].CancelQuantity != 2 {
		t.Fatalf("cancel-only fulfillment items %+v, want quantity 0 and cancelQuantity 2", f.Items)
	}
	if o = must[*client.Order](t, "get order")(c.Order(ctx, o.ID)); o.State != "cancelled" {
		t.Fatalf("order state %s after cancelling every unit, want cancelled", o.State)
	}
}

// TestDoDecodesIntoCallersTypes checks that Do serves a caller's own
// answer types: a *json.RawMessage gets the answer as received, a
// Page of the caller's type a list.
func TestDoDecodesIntoCallersTypes(t *testing.T) {
	ctx := context.Background()
	const answer = `{"id":"ful_1", "orderId":"o1","extra":{"kept":true}}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/orders" {
			_, _ = w.Write([]byte(`{"hasMore":true,"data":[{"id":"o1","state":"accepted"}]}`))
			return
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(answer + "\n"))
	}))
	t.Cleanup(srv.Close)
	c := client.New(srv.URL, "sk", client.WithHTTPClient(srv.Client()))
	var raw json.RawMessage
	ok(t, "POST into RawMessage", c.Do(ctx, http.MethodPost, "/fulfillments", client.FulfillmentParams{OrderID: "o1"}, &raw))
	if string(raw) != answer {
		t.Errorf("raw answer %s, want %s as received", raw, answer)
	}
	type myOrder struct{ ID, State string }
	var page client.Page[myOrder]
	ok(t, "GET into Page[myOrder]", c.Do(ctx, http.MethodGet, "/orders?customerId=c1", nil, &page))
	if !page.HasMore || len(page.Data) != 1 || page.Data[0] != (myOrder{"o1", "accepted"}) {
		t.Errorf("page %+v, want one accepted order o1 and hasMore", page)
	}
}
