package state_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/drsim/drsim/simulator/client"
	"github.com/drsim/drsim/simulator/internal/apierror"
	"github.com/drsim/drsim/simulator/internal/problem"
	"github.com/drsim/drsim/simulator/internal/state"
)

// Helpers shared by the fulfillment, refund and return tests. Their names
// start with lc (order lifecycle) to stay clear of the other test files.

// lcLine is one order line: quantity × price at a tax rate.
type lcLine struct {
	qty         int
	price, rate float64
}

// lcOpts describe the order a fixture places.
type lcOpts struct {
	currency string
	card     string              // test card number paying for the order ("" = a plain Visa)
	source   *state.SourceParams // another source paying for the order (payments_test.go)
	lines    []lcLine
	shipping *state.PlaceShipping
	decide   string // "accept" (default), "block" or "none" (pending_payment)
}

// lcDRLines is DR's partial-cancellation example: two items, each quantity
// 2 × 10.00 at 8.05%, shipping 5.00 + 0.40 tax. Each line costs 24.31
// (20.00 + 1.61 tax + 2.50 shipping + 0.20 shipping tax): its first unit
// 12.16, its second 12.15; the order 48.62.
var lcDRLines = lcOpts{
	lines:    []lcLine{{2, 10, 0.0805}, {2, 10, 0.0805}},
	shipping: &state.PlaceShipping{Amount: 5, TaxAmount: 0.40},
}

// lcFixture is an account with one order, and the events already looked at.
type lcFixture struct {
	t    *testing.T
	a    *state.Account
	id   string   // order id
	item []string // item ids, in line order
	sku  []string // sku ids, in line order
	seen int
}

func lcOrder(t *testing.T, opts lcOpts) *lcFixture {
	t.Helper()
	store := state.NewStore(nil, func() time.Time { return time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC) })
	a, _, ok := store.Lookup(store.CreateAccount().SecretKey)
	if !ok {
		t.Fatal("Lookup of a fresh account's secret key failed")
	}
	email := "lc@example.test"
	c, err := a.CreateCustomer(state.CustomerParams{Email: &email})
	if err != nil {
		t.Fatalf("CreateCustomer: %v", err)
	}
	p := state.PlaceOrderParams{CustomerID: c.ID, Currency: opts.currency, Shipping: opts.shipping}
	if opts.card != "" {
		s, err := a.CreateSource(state.SourceParams{Type: "creditCard", CreditCard: &state.CardParams{Number: opts.card, ExpirationMonth: 7, ExpirationYear: 2031}})
		if err != nil {
			t.Fatalf("CreateSource(%s): %v", opts.card, err)
		}
		p.SourceID = s.ID
	}
	if opts.source != nil {
		s, err := a.CreateSource(*opts.source)
		if err != nil {
			t.Fatalf("CreateSource(%s): %v", opts.source.Type, err)
		}
		p.SourceID = s.ID
	}
	fx := &lcFixture{t: t, a: a}
	for i, l := range opts.lines {
		name := "Product " + string(rune('A'+i))
		sku, _, err := a.CreateSKU(state.SKUParams{Name: &name}, false)
		if err != nil {
			t.Fatalf("CreateSKU: %v", err)
		}
		fx.sku = append(fx.sku, sku.ID)
		p.Items = append(p.Items, state.PlaceItem{SKUID: sku.ID, Quantity: l.qty, Price: l.price, TaxRate: l.rate})
	}
	o, err := a.PlaceOrder(p)
	if err != nil {
		t.Fatalf("PlaceOrder: %v", err)
	}
	fx.id = o.ID
	for _, it := range o.Items {
		fx.item = append(fx.item, it.ID)
	}
	switch opts.decide {
	case "", "accept":
		_, err = a.AcceptOrder(o.ID)
	case "block":
		_, err = a.BlockOrder(o.ID)
	}
	if err != nil {
		t.Fatalf("deciding order: %v", err)
	}
	fx.events()
	return fx
}

// events returns the events recorded since the last call, oldest first.
func (fx *lcFixture) events() []*state.Event {
	fx.t.Helper()
	p, err := fx.a.Events(state.EventFilter{ListParams: state.ListParams{Limit: 100}})
	if err != nil || p.HasMore {
		fx.t.Fatalf("Events: %v (hasMore %v)", err, p.HasMore)
	}
	all := make([]*state.Event, 0, len(p.Data))
	for i := len(p.Data) - 1; i >= 0; i-- {
		all = append(all, p.Data[i])
	}
	fresh := all[fx.seen:]
	fx.seen = len(all)
	return fresh
}

func lcTypes(evs []*state.Event) []string {
	out := []string{}
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

// lcObject decodes an event's data.object.
func lcObject[T any](t *testing.T, e *state.Event) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(e.Data.Object, &v); err != nil {
		t.Fatalf("event %s: data.object: %v", e.Type, err)
	}
	return v
}

func (fx *lcFixture) order() *state.Order {
	fx.t.Helper()
	o, err := fx.a.Order(fx.id)
	if err != nil {
		fx.t.Fatalf("Order: %v", err)
	}
	return o
}

// ship is a fulfillment request line for item i; a negative count is left out.
func (fx *lcFixture) line(i, ship, cancel int) state.FulfillmentItemParams {
	l := state.FulfillmentItemParams{FulfillmentItemParams: client.FulfillmentItemParams{ItemID: fx.item[i]}}
	if ship >= 0 {
		l.Quantity = state.Qty(ship)
	}
	if cancel >= 0 {
		l.CancelQuantity = state.Qty(cancel)
	}
	return l
}

func (fx *lcFixture) fulfil(lines ...state.FulfillmentItemParams) *state.Fulfillment {
	fx.t.Helper()
	f, err := fx.a.CreateFulfillment(state.FulfillmentParams{FulfillmentParams: client.FulfillmentParams{OrderID: fx.id, TrackingCompany: "Fedex", TrackingNumber: "Z1", TrackingURL: "https://track.example/Z1"}, Items: lines})
	if err != nil {
		fx.t.Fatalf("CreateFulfillment: %v", err)
	}
	return f
}

// shipAll ships every unit of every line in one fulfillment.
func (fx *lcFixture) shipAll() {
	fx.t.Helper()
	var lines []state.FulfillmentItemParams
	for i, it := range fx.order().Items {
		lines = append(lines, fx.line(i, it.Quantity, -1))
	}
	fx.fulfil(lines...)
	fx.events()
}

// lcWantErr checks err is DR's error with this status, code and parameter.
func lcWantErr(t *testing.T, err error, status int, code, param string) {
	t.Helper()
	var p *problem.Error
	if !errors.As(err, &p) {
		t.Fatalf("error %v, want a %d %s", err, status, code)
	}
	e := apierror.As(p)
	if e.Status != status || e.Errors[0].Code != code || e.Errors[0].Parameter != param {
		t.Fatalf("error %v; want %d %s (%s)", e, status, code, param)
	}
}

func lcJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestQuantityAcceptsNumbersAndNumericStrings(t *testing.T) {
	cases := []struct {
		in      string
		n       int
		set, ok bool
	}{
		{`2`, 2, true, true},
		{`"2"`, 2, true, true},
		{`" 3 "`, 3, true, true},
		{`2.0`, 2, true, true},
		{`"2.0"`, 2, true, true},
		{`0`, 0, true, true},
		{`null`, 0, false, true},
		{`-1`, -1, true, false}, // decodes, then validation refuses it
		{`2.5`, 0, true, false},
		{`"two"`, 0, true, false},
		{`""`, 0, true, false},
		{`true`, 0, true, false},
		{`[2]`, 0, true, false},
		{`{"n":2}`, 0, true, false},
		{`"0x10"`, 0, true, false},
		{`"NaN"`, 0, true, false},
		{`1e10`, 0, true, false},
	}
	store := state.NewStore(nil, time.Now)
	a, _, _ := store.Lookup(store.CreateAccount().SecretKey)
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			var p state.FulfillmentItemParams
			if err := json.Unmarshal([]byte(`{"itemId":"x","cancelQuantity":1,"quantity":`+c.in+`}`), &p); err != nil {
				t.Fatalf("Unmarshal never fails on a quantity, got %v", err)
			}
			n, set := p.Quantity.Value()
			if set != c.set {
				t.Fatalf("set = %v, want %v", set, c.set)
			}
			// A valid line gets as far as looking the order up (404).
			_, err := a.CreateFulfillment(state.FulfillmentParams{FulfillmentParams: client.FulfillmentParams{OrderID: "nope"}, Items: []state.FulfillmentItemParams{p}})
			var e *problem.Error
			rejected := errors.As(err, &e) && e.Parameter == "items[0].quantity"
			if rejected == c.ok {
				t.Fatalf("validation error %v; want accepted %v", err, c.ok)
			}
			if c.ok && n != c.n {
				t.Fatalf("n = %d, want %d", n, c.n)
			}
		})
	}
}

// lcStep is one POST /fulfillments and what must follow.
type lcStep struct {
	lines                          [][3]int // {item, quantity, cancelQuantity}; -1 leaves a field out
	events                         []string
	order                          string
	items                          []string
	charge                         string
	captured, cancelled, available float64
}

func TestFulfillmentStateTransitions(t *testing.T) {
	created := "fulfillment.created"
	capture, cancel := "order.charge.capture.complete", "order.charge.cancel.complete"
	cases := []struct {
		name  string
		steps []lcStep
	}{
		{"DR example: cancel A, then cancel B", []lcStep{
			{lines: [][3]int{{0, -1, 2}}, events: []string{created, cancel},
				order: "accepted", items: []string{"cancelled", "created"}, charge: "capturable", cancelled: 24.31},
			{lines: [][3]int{{1, -1, 2}}, events: []string{created, cancel, "order.cancelled"},
				order: "cancelled", items: []string{"cancelled", "cancelled"}, charge: "cancelled", cancelled: 48.62},
		}},
		{"DR example: cancel A, then ship B", []lcStep{
			{lines: [][3]int{{0, 0, 2}}, events: []string{created, cancel},
				order: "accepted", items: []string{"cancelled", "created"}, charge: "capturable", cancelled: 24.31},
			{lines: [][3]int{{1, 2, 0}}, events: []string{created, "order.fulfilled", capture, "order.complete"},
				order: "complete", items: []string{"cancelled", "fulfilled"}, charge: "complete", captured: 24.31, cancelled: 24.31, available: 24.31},
		}},
		{"ship everything at once", []lcStep{
			{lines: [][3]int{{0, 2, -1}, {1, 2, -1}}, events: []string{created, "order.fulfilled", capture, "order.complete"},
				order: "complete", items: []string{"fulfilled", "fulfilled"}, charge: "complete", captured: 48.62, available: 48.62},
		}},
		{"split shipment", []lcStep{
			{lines: [][3]int{{0, 1, -1}}, events: []string{created, capture},
				order: "accepted", items: []string{"created", "created"}, charge: "capturable", captured: 12.16, available: 12.16},
			{lines: [][3]int{{1, 2, -1}}, events: []string{created, capture},
				order: "accepted", items: []string{"created", "fulfilled"}, charge: "capturable", captured: 36.47, available: 36.47},
			{lines: [][3]int{{0, 1, -1}}, events: []string{created, "order.fulfilled", capture, "order.complete"},
				order: "complete", items: []string{"fulfilled", "fulfilled"}, charge: "complete", captured: 48.62, available: 48.62},
		}},
		{"ship one unit and cancel the other of the same item", []lcStep{
			{lines: [][3]int{{0, 1, 1}, {1, 2, -1}}, events: []string{created, "order.fulfilled", capture, cancel, "order.complete"},
				order: "complete", items: []string{"fulfilled", "fulfilled"}, charge: "complete", captured: 36.47, cancelled: 12.15, available: 36.47},
		}},
		{"ship A, then cancel B: fulfilled plus cancelled", []lcStep{
			{lines: [][3]int{{0, 2, -1}}, events: []string{created, capture},
				order: "accepted", items: []string{"fulfilled", "created"}, charge: "capturable", captured: 24.31, available: 24.31},
			{lines: [][3]int{{1, -1, 2}}, events: []string{created, "order.fulfilled", cancel, "order.complete"},
				order: "complete", items: []string{"fulfilled", "cancelled"}, charge: "complete", captured: 24.31, cancelled: 24.31, available: 24.31},
		}},
		{"partial cancel of one unit", []lcStep{
			{lines: [][3]int{{1, -1, 1}}, events: []string{created, cancel},
				order: "accepted", items: []string{"created", "created"}, charge: "capturable", cancelled: 12.16},
		}},
		{"the same item twice in one request", []lcStep{
			{lines: [][3]int{{0, 1, -1}, {0, 1, -1}}, events: []string{created, capture},
				order: "accepted", items: []string{"fulfilled", "created"}, charge: "capturable", captured: 24.31, available: 24.31},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fx := lcOrder(t, lcDRLines)
			for si, s := range c.steps {
				before := fx.order()
				var lines []state.FulfillmentItemParams
				for _, l := range s.lines {
					lines = append(lines, fx.line(l[0], l[1], l[2]))
				}
				f := fx.fulfil(lines...)
				evs := fx.events()
				if got := lcTypes(evs); !reflect.DeepEqual(got, s.events) {
					t.Fatalf("step %d: events %v, want %v", si, got, s.events)
				}
				o := fx.order()
				var items []string
				for _, it := range o.Items {
					items = append(items, it.State)
				}
				ch := o.Payment.Charges[0]
				if o.State != s.order || !reflect.DeepEqual(items, s.items) || ch.State != s.charge {
					t.Fatalf("step %d: order %s items %v charge %s; want %s %v %s", si, o.State, items, ch.State, s.order, s.items, s.charge)
				}
				if o.CapturedAmount != s.captured || o.CancelledAmount != s.cancelled || o.AvailableToRefundAmount != s.available {
					t.Fatalf("step %d: captured %.2f cancelled %.2f available %.2f; want %.2f %.2f %.2f", si,
						o.CapturedAmount, o.CancelledAmount, o.AvailableToRefundAmount, s.captured, s.cancelled, s.available)
				}
				var itemAvail float64
				for _, it := range o.Items {
					itemAvail += it.AvailableToRefundAmount
				}
				if minorUnitsOf(itemAvail) != minorUnitsOf(o.AvailableToRefundAmount) {
					t.Fatalf("step %d: items' availableToRefundAmount add up to %.2f, the order's is %.2f", si, itemAvail, o.AvailableToRefundAmount)
				}
				if s.order == "fulfilled" || s.order == "complete" || s.order == "cancelled" {
					if _, ok := o.StateTransitions[s.order]; !ok {
						t.Fatalf("step %d: stateTransitions %v lacks %s", si, o.StateTransitions, s.order)
					}
				}
				// The fulfillment: ful_ id, both quantities on every line,
				// orderDetails = the order before this call, without payment.
				if !strings.HasPrefix(f.ID, "ful_") || f.OrderID != fx.id || len(f.Items) != len(s.lines) {
					t.Fatalf("step %d: fulfillment %+v", si, f)
				}
				raw := lcJSON(t, f)
				if strings.Count(raw, `"cancelQuantity":`) != len(s.lines) || strings.Count(raw, `"quantity":`) < len(s.lines) {
					t.Fatalf("step %d: fulfillment lines lack a quantity: %s", si, raw)
				}
				var details map[string]json.RawMessage
				if err := json.Unmarshal(f.OrderDetails, &details); err != nil {
					t.Fatalf("step %d: orderDetails: %v", si, err)
				}
				if _, has := details["payment"]; has {
					t.Fatalf("step %d: orderDetails carries payment", si)
				}
				var pre state.Order
				if err := json.Unmarshal(f.OrderDetails, &pre); err != nil {
					t.Fatal(err)
				}
				if pre.State != before.State || pre.Items[0].State != before.Items[0].State || pre.CapturedAmount != before.CapturedAmount {
					t.Fatalf("step %d: orderDetails shows %s/%s/%.2f, want the order before the call: %s/%s/%.2f", si,
						pre.State, pre.Items[0].State, pre.CapturedAmount, before.State, before.Items[0].State, before.CapturedAmount)
				}
				// Every event's object.
				for _, e := range evs {
					switch {
					case e.Type == created:
						ev := lcObject[state.Fulfillment](t, e)
						if ev.ID != f.ID || len(ev.OrderDetails) == 0 {
							t.Fatalf("step %d: fulfillment.created carries %s with orderDetails %s", si, ev.ID, ev.OrderDetails)
						}
					case strings.HasPrefix(e.Type, "order.charge."):
						ev := lcObject[state.Charge](t, e)
						ops := ev.Captures
						if e.Type == cancel {
							ops = ev.Cancels
						}
						last := ops[len(ops)-1]
						if ev.OrderID != fx.id || last.State != "complete" {
							t.Fatalf("step %d: %s carries orderId %s, last op %+v", si, e.Type, ev.OrderID, last)
						}
					case e.Type == "order.fulfilled":
						ev := lcObject[state.Order](t, e)
						if ev.State != "fulfilled" || ev.Payment.Charges[0].State != "processing" {
							t.Fatalf("step %d: order.fulfilled shows order %s, charge %s; want fulfilled, processing", si, ev.State, ev.Payment.Charges[0].State)
						}
					case e.Type == "order.complete" || e.Type == "order.cancelled":
						ev := lcObject[state.Order](t, e)
						if ev.State != o.State {
							t.Fatalf("step %d: %s shows state %s", si, e.Type, ev.State)
						}
					}
				}
			}
			// Every capture and cancel is accounted for, to the cent.
			o := fx.order()
			var sum float64
			for _, op := range append(append([]*state.ChargeOperation(nil), o.Payment.Charges[0].Captures...), o.Payment.Charges[0].Cancels...) {
				sum += op.Amount
			}
			if o.State == "complete" || o.State == "cancelled" {
				if minorUnitsOf(sum) != minorUnitsOf(o.TotalAmount) {
					t.Fatalf("captures and cancels add up to %.2f, totalAmount is %.2f", sum, o.TotalAmount)
				}
			}
		})
	}
}

func minorUnitsOf(v float64) int64 {
	if v < 0 {
		return -minorUnitsOf(-v)
	}
	return int64(v*100 + 0.5)
}

func TestCaptureArithmetic(t *testing.T) {
	cases := []struct {
		name     string
		currency string
		line     lcLine
		shipping *state.PlaceShipping
		ships    []int
		want     []float64 // capture amounts, one per fulfillment
	}{
		{"DR sample 27.01 in two units", "USD", lcLine{2, 10, 0.0805}, &state.PlaceShipping{Amount: 5, TaxAmount: 0.40}, []int{1, 1}, []float64{13.51, 13.50}},
		{"30.01 in three units", "USD", lcLine{3, 10, 0}, &state.PlaceShipping{Amount: 0.01}, []int{1, 1, 1}, []float64{10.00, 10.01, 10.00}},
		{"30.01 as two units then one", "USD", lcLine{3, 10, 0}, &state.PlaceShipping{Amount: 0.01}, []int{2, 1}, []float64{20.01, 10.00}},
		{"10.82 as three units then four", "USD", lcLine{7, 1.43, 0.0805}, nil, []int{3, 4}, []float64{4.64, 6.18}},
		{"yen: 301 in three units", "JPY", lcLine{3, 100, 0}, &state.PlaceShipping{Amount: 1}, []int{1, 1, 1}, []float64{100, 101, 100}},
		{"yen: 330 with tax", "JPY", lcLine{3, 100, 0.1}, nil, []int{1, 2}, []float64{110, 220}},
		{"free item", "USD", lcLine{1, 0, 0}, nil, []int{1}, []float64{0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fx := lcOrder(t, lcOpts{currency: c.currency, lines: []lcLine{c.line}, shipping: c.shipping})
			var got []float64
			for _, n := range c.ships {
				f := fx.fulfil(fx.line(0, n, -1))
				caps := fx.order().Payment.Charges[0].Captures
				got = append(got, caps[len(caps)-1].Amount)
				// DR's "Capturing and cancelling charges": each capture
				// names the fulfillment that triggered it.
				if id := caps[len(caps)-1].FulfillmentID; id != f.ID {
					t.Fatalf("capture's fulfillmentId %q, want %q", id, f.ID)
				}
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("captures %v, want %v", got, c.want)
			}
			o := fx.order()
			if o.CapturedAmount != o.TotalAmount || o.AvailableToRefundAmount != o.TotalAmount || o.State != "complete" {
				t.Fatalf("captured %v available %v state %s; totalAmount %v", o.CapturedAmount, o.AvailableToRefundAmount, o.State, o.TotalAmount)
			}
		})
	}
}

func TestFulfillmentRefusals(t *testing.T) {
	cases := []struct {
		name   string
		opts   lcOpts
		before [][3]int // fulfillments that succeed first, one line each
		body   string   // placeholders {order} {A} {B} {skuA}
		status int
		code   string
		param  string
	}{
		{name: "no orderId", body: `{"items":[{"itemId":"{A}","quantity":1}]}`, status: 400, code: "missing_parameter", param: "orderId"},
		{name: "no items", body: `{"orderId":"{order}"}`, status: 400, code: "missing_parameter", param: "items"},
		{name: "line without itemId or skuId", body: `{"orderId":"{order}","items":[{"quantity":1}]}`, status: 400, code: "missing_parameter", param: "items[0].itemId"},
		{name: "line without quantities", body: `{"orderId":"{order}","items":[{"itemId":"{A}"}]}`, status: 400, code: "missing_parameter", param: "items[0].quantity"},
		{name: "both quantities zero", body: `{"orderId":"{order}","items":[{"itemId":"{A}","quantity":0,"cancelQuantity":"0"}]}`, status: 400, code: "invalid_parameter", param: "items[0].quantity"},
		{name: "negative quantity", body: `{"orderId":"{order}","items":[{"itemId":"{A}","quantity":-1}]}`, status: 400, code: "invalid_parameter", param: "items[0].quantity"},
		{name: "negative cancelQuantity", body: `{"orderId":"{order}","items":[{"itemId":"{A}","cancelQuantity":"-2"}]}`, status: 400, code: "invalid_parameter", param: "items[0].cancelQuantity"},
		{name: "quantity is a word", body: `{"orderId":"{order}","items":[{"itemId":"{A}","quantity":1},{"itemId":"{B}","quantity":"two"}]}`, status: 400, code: "invalid_parameter", param: "items[1].quantity"},
		{name: "quantity is a fraction", body: `{"orderId":"{order}","items":[{"itemId":"{A}","quantity":1.5}]}`, status: 400, code: "invalid_parameter", param: "items[0].quantity"},
		{name: "unknown order", body: `{"orderId":"nope","items":[{"itemId":"{A}","quantity":1}]}`, status: 404, code: "not_found", param: "id"},
		{name: "unknown item", body: `{"orderId":"{order}","items":[{"itemId":"nope","quantity":1}]}`, status: 400, code: "invalid_parameter", param: "items[0].itemId"},
		{name: "unknown sku", body: `{"orderId":"{order}","items":[{"skuId":"nope","quantity":1}]}`, status: 400, code: "invalid_parameter", param: "items[0].skuId"},
		{name: "item and sku disagree", body: `{"orderId":"{order}","items":[{"itemId":"{B}","skuId":"{skuA}","quantity":1}]}`, status: 400, code: "invalid_parameter", param: "items[0].skuId"},
		{name: "more units than ordered", body: `{"orderId":"{order}","items":[{"itemId":"{A}","quantity":3}]}`, status: 409, code: "conflict"},
		{name: "ship and cancel more than ordered", body: `{"orderId":"{order}","items":[{"itemId":"{A}","quantity":2,"cancelQuantity":1}]}`, status: 409, code: "conflict"},
		{name: "more than remain after a shipment", before: [][3]int{{0, 1, -1}}, body: `{"orderId":"{order}","items":[{"skuId":"{skuA}","quantity":"2"}]}`, status: 409, code: "conflict"},
		{name: "the same item twice, over the quantity", body: `{"orderId":"{order}","items":[{"itemId":"{A}","quantity":1},{"itemId":"{A}","cancelQuantity":2}]}`, status: 409, code: "conflict"},
		{name: "a cancelled item", before: [][3]int{{0, -1, 2}}, body: `{"orderId":"{order}","items":[{"itemId":"{A}","quantity":1}]}`, status: 409, code: "conflict"},
		{name: "complete order", before: [][3]int{{0, 2, -1}, {1, 2, -1}}, body: `{"orderId":"{order}","items":[{"itemId":"{A}","quantity":1}]}`, status: 409, code: "order_fulfilled"},
		{name: "fulfilled order (capture failed)", opts: lcOpts{card: "4000000000004103"}, before: [][3]int{{0, 2, -1}, {1, 2, -1}}, body: `{"orderId":"{order}","items":[{"itemId":"{A}","cancelQuantity":1}]}`, status: 409, code: "order_fulfilled"},
		{name: "cancelled order", before: [][3]int{{0, -1, 2}, {1, -1, 2}}, body: `{"orderId":"{order}","items":[{"itemId":"{A}","quantity":1}]}`, status: 409, code: "conflict"},
		{name: "pending_payment order", opts: lcOpts{decide: "none"}, body: `{"orderId":"{order}","items":[{"itemId":"{A}","quantity":1}]}`, status: 409, code: "invalid_state"},
		{name: "blocked order", opts: lcOpts{decide: "block"}, body: `{"orderId":"{order}","items":[{"itemId":"{A}","quantity":1}]}`, status: 409, code: "invalid_state"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := c.opts
			opts.lines, opts.shipping = lcDRLines.lines, lcDRLines.shipping
			fx := lcOrder(t, opts)
			for _, b := range c.before {
				fx.fulfil(fx.line(b[0], b[1], b[2]))
			}
			fx.events()
			body := strings.NewReplacer("{order}", fx.id, "{A}", fx.item[0], "{B}", fx.item[1], "{skuA}", fx.sku[0]).Replace(c.body)
			var p state.FulfillmentParams
			if err := json.Unmarshal([]byte(body), &p); err != nil {
				t.Fatalf("body %s: %v", body, err)
			}
			before := lcJSON(t, fx.order())
			_, err := fx.a.CreateFulfillment(p)
			lcWantErr(t, err, c.status, c.code, c.param)
			if evs := fx.events(); len(evs) != 0 {
				t.Fatalf("a refused fulfillment recorded %v", lcTypes(evs))
			}
			if after := lcJSON(t, fx.order()); after != before {
				t.Fatalf("a refused fulfillment changed the order:\n%s\n%s", before, after)
			}
			if page, _ := fx.a.Fulfillments(state.FulfillmentFilter{OrderID: fx.id}); len(page.Data) != len(c.before) {
				t.Fatalf("%d fulfillments stored, want %d", len(page.Data), len(c.before))
			}
		})
	}
}

func TestNumericStringQuantitiesFulfil(t *testing.T) {
	fx := lcOrder(t, lcDRLines)
	var p state.FulfillmentParams
	body := `{"orderId":"` + fx.id + `","items":[{"itemId":"` + fx.item[0] + `","quantity":"2"},{"skuId":"` + fx.sku[1] + `","quantity":"1","cancelQuantity":"1"}],"trackingNumber":"Z9"}`
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatal(err)
	}
	f, err := fx.a.CreateFulfillment(p)
	if err != nil {
		t.Fatalf("CreateFulfillment: %v", err)
	}
	want := []state.FulfillmentItem{{ItemID: fx.item[0], SKUID: fx.sku[0], Quantity: 2}, {ItemID: fx.item[1], SKUID: fx.sku[1], Quantity: 1, CancelQuantity: 1}}
	if !reflect.DeepEqual(f.Items, want) {
		t.Fatalf("items %+v, want %+v", f.Items, want)
	}
	if o := fx.order(); o.State != "complete" {
		t.Fatalf("order %s, want complete", o.State)
	}
}

func TestCaptureFailingCardLeavesOrderFulfilled(t *testing.T) {
	fx := lcOrder(t, lcOpts{card: "4000000000004103", lines: lcDRLines.lines, shipping: lcDRLines.shipping})
	fx.fulfil(fx.line(0, 2, -1), fx.line(1, 2, -1))
	evs := fx.events()
	want := []string{"fulfillment.created", "order.fulfilled", "order.charge.capture.failed"}
	if got := lcTypes(evs); !reflect.DeepEqual(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	o := fx.order()
	ch := o.Payment.Charges[0]
	if o.State != "fulfilled" || ch.State != "failed" || ch.Captures[0].State != "failed" || o.CapturedAmount != 0 || o.AvailableToRefundAmount != 0 {
		t.Fatalf("order %s charge %s capture %s captured %.2f available %.2f", o.State, ch.State, ch.Captures[0].State, o.CapturedAmount, o.AvailableToRefundAmount)
	}
}

func TestFulfillmentsListAndGet(t *testing.T) {
	fx := lcOrder(t, lcDRLines)
	first := fx.fulfil(fx.line(0, 1, -1))
	second, err := fx.a.CreateFulfillment(state.FulfillmentParams{FulfillmentParams: client.FulfillmentParams{OrderID: fx.id, TrackingCompany: "UPS", TrackingNumber: "1Z"}, Items: []state.FulfillmentItemParams{fx.line(1, -1, 1)}})
	if err != nil {
		t.Fatal(err)
	}
	other := lcOrder(t, lcDRLines) // another account: never listed here
	other.fulfil(other.line(0, 1, -1))

	ids := func(p state.Page[*state.Fulfillment]) []string {
		var out []string
		for _, f := range p.Data {
			out = append(out, f.ID)
		}
		return out
	}
	cases := []struct {
		name string
		f    state.FulfillmentFilter
		want []string
	}{
		{"all, newest first", state.FulfillmentFilter{}, []string{second.ID, first.ID}},
		{"by order", state.FulfillmentFilter{OrderID: fx.id}, []string{second.ID, first.ID}},
		{"by sku", state.FulfillmentFilter{SKUID: fx.sku[0]}, []string{first.ID}},
		{"by tracking number", state.FulfillmentFilter{TrackingNumber: "1Z"}, []string{second.ID}},
		{"by tracking company", state.FulfillmentFilter{TrackingCompany: "Fedex"}, []string{first.ID}},
		{"by ids", state.FulfillmentFilter{IDs: []string{first.ID}}, []string{first.ID}},
		{"limit 1", state.FulfillmentFilter{ListParams: state.ListParams{Limit: 1}}, []string{second.ID}},
		{"after the newest", state.FulfillmentFilter{ListParams: state.ListParams{StartingAfter: second.ID}}, []string{first.ID}},
		{"no match", state.FulfillmentFilter{OrderID: other.id}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := fx.a.Fulfillments(c.f)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(p); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
	got, err := fx.a.Fulfillment(first.ID)
	if err != nil || lcJSON(t, got) != lcJSON(t, first) {
		t.Fatalf("Fulfillment(%s) = %v, %v; want what POST returned", first.ID, got, err)
	}
	_, err = fx.a.Fulfillment(other.order().ID)
	lcWantErr(t, err, 404, "not_found", "id")
	if _, err := fx.a.Fulfillments(state.FulfillmentFilter{ListParams: state.ListParams{Limit: 101}}); err == nil {
		t.Fatal("limit 101 accepted")
	}
}

// The "cancel fails" test card: the cancel is recorded failed with
// order.charge.cancel.failed, the units stay uncancelled and can still ship.
func TestCancelFailingCardLeavesUnitsUncancelled(t *testing.T) {
	fx := lcOrder(t, lcOpts{card: "4000000000004442", lines: lcDRLines.lines, shipping: lcDRLines.shipping})
	f := fx.fulfil(fx.line(0, -1, 2), fx.line(1, -1, 2))
	if f.Items[0].CancelQuantity != 2 {
		t.Fatalf("fulfillment %+v; want the cancelQuantity asked for", f.Items)
	}
	evs := fx.events()
	want := []string{"fulfillment.created", "order.charge.cancel.failed"}
	if got := lcTypes(evs); !reflect.DeepEqual(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	ch := lcObject[state.Charge](t, evs[1])
	if len(ch.Cancels) != 1 || ch.Cancels[0].State != "failed" || ch.Cancels[0].FailureCode != "cancel_failed" || ch.State != "capturable" {
		t.Fatalf("charge %s cancels %+v; want one failed cancel (cancel_failed) and the charge still capturable", ch.State, ch.Cancels)
	}
	o := fx.order()
	if o.State != "accepted" || o.CancelledAmount != 0 || o.Items[0].State != "created" || o.Items[1].State != "created" {
		t.Fatalf("order %s cancelled %.2f items %s %s; want accepted, nothing cancelled, items created", o.State, o.CancelledAmount, o.Items[0].State, o.Items[1].State)
	}
	fx.shipAll()
	if o := fx.order(); o.State != "complete" || o.CapturedAmount != o.TotalAmount {
		t.Fatalf("after shipping the uncancelled units: order %s captured %.2f of %.2f; want complete, all captured", o.State, o.CapturedAmount, o.TotalAmount)
	}
}
