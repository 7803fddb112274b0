package state_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/drsim/drsim/simulator/internal/state"
)

// refund creates a refund from a JSON body ({order} {A} {B} {skuB} are filled in).
func (fx *lcFixture) refund(body string) (*state.Refund, error) {
	fx.t.Helper()
	body = strings.NewReplacer("{order}", fx.id, "{A}", fx.item[0], "{B}", fx.item[1], "{skuB}", fx.sku[1]).Replace(body)
	var p state.RefundParams
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		fx.t.Fatalf("body %s: %v", body, err)
	}
	return fx.a.CreateRefund(p)
}

func (fx *lcFixture) mustRefund(body string) *state.Refund {
	fx.t.Helper()
	r, err := fx.refund(body)
	if err != nil {
		fx.t.Fatalf("CreateRefund(%s): %v", body, err)
	}
	return r
}

// checkAvailability requires the order's availableToRefundAmount to be want
// and the items' to add up to it.
func (fx *lcFixture) checkAvailability(want float64) {
	fx.t.Helper()
	o := fx.order()
	var items float64
	for _, it := range o.Items {
		items += it.AvailableToRefundAmount
		if it.AvailableToRefundAmount < 0 {
			fx.t.Fatalf("item %s availableToRefundAmount %.2f", it.ID, it.AvailableToRefundAmount)
		}
	}
	if o.AvailableToRefundAmount != want || minorUnitsOf(items) != minorUnitsOf(want) {
		fx.t.Fatalf("availableToRefundAmount %.2f (items add up to %.2f), want %.2f", o.AvailableToRefundAmount, items, want)
	}
}

func TestRefundAmounts(t *testing.T) {
	// DR's example order, shipped: captured 48.62, each line 24.31.
	cases := []struct {
		name   string
		body   string
		amount float64
		items  []state.RefundItem // itemId "A"/"B" stand for the lines
	}{
		{"amount", `{"orderId":"{order}","currency":"USD","amount":10}`, 10, nil},
		{"amount rounded to the currency", `{"orderId":"{order}","currency":"usd","amount":10.005}`, 10.01, nil},
		{"half by percent", `{"orderId":"{order}","currency":"USD","percent":50}`, 24.31, nil},
		{"everything by percent", `{"orderId":"{order}","currency":"USD","percent":100}`, 48.62, nil},
		{"a third by percent", `{"orderId":"{order}","currency":"USD","percent":33.333}`, 16.21, nil},
		{"smallest percent that is a cent", `{"orderId":"{order}","currency":"USD","percent":0.03}`, 0.01, nil},
		{"shipping by percent", `{"orderId":"{order}","currency":"USD","type":"shipping","percent":100}`, 5, nil},
		{"one unit of A", `{"orderId":"{order}","currency":"USD","items":[{"itemId":"{A}","quantity":1}]}`, 12.16,
			[]state.RefundItem{{ItemID: "A", Quantity: 1, Amount: 12.16}}},
		{"both units of A as a string", `{"orderId":"{order}","currency":"USD","items":[{"itemId":"{A}","quantity":"2"}]}`, 24.31,
			[]state.RefundItem{{ItemID: "A", Quantity: 2, Amount: 24.31}}},
		{"an amount of A", `{"orderId":"{order}","currency":"USD","items":[{"itemId":"{A}","amount":5}]}`, 5,
			[]state.RefundItem{{ItemID: "A", Amount: 5}}},
		{"a percent of B by sku", `{"orderId":"{order}","currency":"USD","items":[{"skuId":"{skuB}","percent":10}]}`, 2.43,
			[]state.RefundItem{{ItemID: "B", Amount: 2.43}}},
		{"two lines", `{"orderId":"{order}","currency":"USD","items":[{"itemId":"{A}","quantity":2},{"itemId":"{B}","quantity":1,"amount":1}]}`, 25.31,
			[]state.RefundItem{{ItemID: "A", Quantity: 2, Amount: 24.31}, {ItemID: "B", Quantity: 1, Amount: 1}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fx := lcOrder(t, lcDRLines)
			fx.shipAll()
			r := fx.mustRefund(c.body)
			if !strings.HasPrefix(r.ID, "re_") || r.State != "pending" || r.RefundedAmount != 0 || r.Amount != c.amount || r.Currency != "USD" || r.OrderID != fx.id {
				t.Fatalf("refund %+v; want re_…, pending, refundedAmount 0, amount %.2f", r, c.amount)
			}
			want := []state.RefundItem{}
			for _, it := range c.items {
				i := int(it.ItemID[0] - 'A')
				it.ItemID, it.SKUID = fx.item[i], fx.sku[i]
				want = append(want, it)
			}
			if !reflect.DeepEqual(r.Items, want) {
				t.Fatalf("items %+v, want %+v", r.Items, want)
			}
			evs := fx.events()
			if got := lcTypes(evs); !reflect.DeepEqual(got, []string{"refund.pending"}) {
				t.Fatalf("events %v, want [refund.pending]", got)
			}
			if ev := lcObject[state.Refund](t, evs[0]); ev.ID != r.ID || ev.State != "pending" || ev.Amount != c.amount {
				t.Fatalf("refund.pending carries %+v", ev)
			}
			// Pending already counts against what is left to refund.
			fx.checkAvailability(round2(48.62 - c.amount))
			o := fx.order()
			if o.RefundedAmount != 0 {
				t.Fatalf("refundedAmount %.2f while pending", o.RefundedAmount)
			}
			if refs := o.Payment.Charges[0].Refunds; len(refs) != 1 || refs[0].State != "pending" || refs[0].Amount != c.amount {
				t.Fatalf("charge refunds %+v, want one pending of %.2f", refs, c.amount)
			}
		})
	}
}

func round2(v float64) float64 { return float64(minorUnitsOf(v)) / 100 }

func TestRefundRefusals(t *testing.T) {
	cases := []struct {
		name   string
		opts   lcOpts
		ship   [][3]int // fulfillments first; nil ships everything
		before string   // a refund that succeeds first
		body   string
		status int
		code   string
		param  string
	}{
		{name: "currency differs", body: `{"orderId":"{order}","currency":"EUR","amount":1}`, status: 400, code: "invalid_parameter", param: "currency"},
		{name: "no currency", body: `{"orderId":"{order}","amount":1}`, status: 400, code: "missing_parameter", param: "currency"},
		{name: "no orderId", body: `{"currency":"USD","amount":1}`, status: 400, code: "missing_parameter", param: "orderId"},
		{name: "unknown invoice", body: `{"invoiceId":"inv","currency":"USD","amount":1}`, status: 404, code: "not_found", param: "id"},
		{name: "unknown order", body: `{"orderId":"nope","currency":"USD","amount":1}`, status: 404, code: "not_found", param: "id"},
		{name: "no amount, percent or items", body: `{"orderId":"{order}","currency":"USD"}`, status: 400, code: "missing_parameter", param: "amount"},
		{name: "amount and percent", body: `{"orderId":"{order}","currency":"USD","amount":1,"percent":5}`, status: 400, code: "invalid_parameter", param: "amount"},
		{name: "percent and items", body: `{"orderId":"{order}","currency":"USD","percent":5,"items":[{"itemId":"{A}","quantity":1}]}`, status: 400, code: "invalid_parameter", param: "amount"},
		{name: "amount zero", body: `{"orderId":"{order}","currency":"USD","amount":0}`, status: 400, code: "invalid_parameter", param: "amount"},
		{name: "amount negative", body: `{"orderId":"{order}","currency":"USD","amount":-5}`, status: 400, code: "invalid_parameter", param: "amount"},
		{name: "percent zero", body: `{"orderId":"{order}","currency":"USD","percent":0}`, status: 400, code: "invalid_parameter", param: "percent"},
		{name: "percent comes to nothing", body: `{"orderId":"{order}","currency":"USD","percent":0.01}`, status: 400, code: "invalid_parameter", param: "percent"},
		{name: "percent over 100", body: `{"orderId":"{order}","currency":"USD","percent":100.5}`, status: 400, code: "invalid_parameter", param: "percent"},
		{name: "unknown type", body: `{"orderId":"{order}","currency":"USD","type":"gift","amount":1}`, status: 400, code: "invalid_parameter", param: "type"},
		{name: "type with items", body: `{"orderId":"{order}","currency":"USD","type":"tax","items":[{"itemId":"{A}","quantity":1}]}`, status: 400, code: "invalid_parameter", param: "type"},
		{name: "over the available amount", body: `{"orderId":"{order}","currency":"USD","amount":48.63}`, status: 400, code: "invalid_parameter", param: "amountRequested"},
		{name: "over what a pending refund left", before: `{"orderId":"{order}","currency":"USD","amount":40}`, body: `{"orderId":"{order}","currency":"USD","amount":10}`, status: 400, code: "invalid_parameter", param: "amountRequested"},
		{name: "percent over what is left", before: `{"orderId":"{order}","currency":"USD","amount":0.01}`, body: `{"orderId":"{order}","currency":"USD","percent":100}`, status: 400, code: "invalid_parameter", param: "amountRequested"},
		{name: "over the shipping", body: `{"orderId":"{order}","currency":"USD","type":"shipping","amount":5.01}`, status: 400, code: "invalid_parameter", param: "amountRequested"},
		{name: "over the captured part", ship: [][3]int{{0, 1, -1}}, body: `{"orderId":"{order}","currency":"USD","amount":12.17}`, status: 400, code: "invalid_parameter", param: "amountRequested"},
		{name: "item amount over the item", body: `{"orderId":"{order}","currency":"USD","items":[{"itemId":"{A}","amount":24.32}]}`, status: 400, code: "invalid_parameter", param: "amountRequested"},
		{name: "item twice over the item", body: `{"orderId":"{order}","currency":"USD","items":[{"itemId":"{A}","quantity":2},{"itemId":"{A}","amount":0.01}]}`, status: 400, code: "invalid_parameter", param: "amountRequested"},
		{name: "more units than shipped", body: `{"orderId":"{order}","currency":"USD","items":[{"itemId":"{A}","quantity":3}]}`, status: 400, code: "invalid_parameter", param: "items[0].quantity"},
		{name: "quantity zero", body: `{"orderId":"{order}","currency":"USD","items":[{"itemId":"{A}","quantity":0}]}`, status: 400, code: "invalid_parameter", param: "items[0].quantity"},
		{name: "quantity a word", body: `{"orderId":"{order}","currency":"USD","items":[{"itemId":"{A}","quantity":"one"}]}`, status: 400, code: "invalid_parameter", param: "items[0].quantity"},
		{name: "item without anything to refund", body: `{"orderId":"{order}","currency":"USD","items":[{"itemId":"{A}"}]}`, status: 400, code: "missing_parameter", param: "items[0].quantity"},
		{name: "item amount and percent", body: `{"orderId":"{order}","currency":"USD","items":[{"itemId":"{A}","amount":1,"percent":1}]}`, status: 400, code: "invalid_parameter", param: "items[0].amount"},
		{name: "item percent over 100", body: `{"orderId":"{order}","currency":"USD","items":[{"itemId":"{A}","percent":101}]}`, status: 400, code: "invalid_parameter", param: "items[0].percent"},
		{name: "unknown item", body: `{"orderId":"{order}","currency":"USD","items":[{"itemId":"nope","amount":1}]}`, status: 400, code: "invalid_parameter", param: "items[0].itemId"},
		{name: "item not shipped", ship: [][3]int{{0, 2, -1}, {1, -1, 2}}, body: `{"orderId":"{order}","currency":"USD","items":[{"itemId":"{B}","amount":1}]}`, status: 400, code: "invalid_parameter", param: "amountRequested"},
		{name: "item not shipped, by percent", ship: [][3]int{{0, 2, -1}, {1, -1, 2}}, body: `{"orderId":"{order}","currency":"USD","items":[{"itemId":"{B}","percent":50}]}`, status: 400, code: "invalid_parameter", param: "items[0].amount"},
		{name: "item over what an order-level refund left it", before: `{"orderId":"{order}","currency":"USD","amount":13.51}`, body: `{"orderId":"{order}","currency":"USD","items":[{"itemId":"{B}","quantity":2}]}`, status: 400, code: "invalid_parameter", param: "amountRequested"},
		{name: "nothing captured yet", ship: [][3]int{}, body: `{"orderId":"{order}","currency":"USD","amount":1}`, status: 409, code: "invalid_state"},
		{name: "everything cancelled", ship: [][3]int{{0, -1, 2}, {1, -1, 2}}, body: `{"orderId":"{order}","currency":"USD","amount":1}`, status: 409, code: "invalid_state"},
		{name: "capture failed", opts: lcOpts{card: "4000000000004103"}, body: `{"orderId":"{order}","currency":"USD","amount":1}`, status: 409, code: "invalid_state"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := c.opts
			opts.lines, opts.shipping = lcDRLines.lines, lcDRLines.shipping
			fx := lcOrder(t, opts)
			if c.ship == nil {
				fx.shipAll()
			}
			for _, s := range c.ship {
				fx.fulfil(fx.line(s[0], s[1], s[2]))
			}
			if c.before != "" {
				fx.mustRefund(c.before)
			}
			fx.events()
			before := lcJSON(t, fx.order())
			_, err := fx.refund(c.body)
			lcWantErr(t, err, c.status, c.code, c.param)
			if evs := fx.events(); len(evs) != 0 {
				t.Fatalf("a refused refund recorded %v", lcTypes(evs))
			}
			if after := lcJSON(t, fx.order()); after != before {
				t.Fatalf("a refused refund changed the order:\n%s\n%s", before, after)
			}
		})
	}
}

func TestRefundCompletes(t *testing.T) {
	fx := lcOrder(t, lcDRLines)
	fx.shipAll()
	r := fx.mustRefund(`{"orderId":"{order}","currency":"USD","amount":13.51,"reason":"damaged"}`)
	fx.events()

	done, err := fx.a.CompleteRefund(r.ID)
	if err != nil {
		t.Fatalf("CompleteRefund: %v", err)
	}
	if done.State != "succeeded" || done.RefundedAmount != 13.51 || done.Reason != "damaged" || len(done.Charges) != 1 {
		t.Fatalf("refund %+v; want succeeded, refundedAmount 13.51, one charge", done)
	}
	ch := done.Charges[0]
	if !ch.Captured || !ch.Refunded || len(ch.Refunds) != 1 || ch.Refunds[0].State != "complete" || ch.Refunds[0].Amount != 13.51 || ch.SourceID == "" {
		t.Fatalf("refund charges %+v", done.Charges)
	}
	evs := fx.events()
	want := []string{"refund.complete", "order.charge.refund.complete", "order.refunded", "order.credit_memo.created"}
	if got := lcTypes(evs); !reflect.DeepEqual(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	if ev := lcObject[state.Refund](t, evs[0]); ev.State != "succeeded" || ev.RefundedAmount != 13.51 || ev.Charges[0].Refunds[0].State != "complete" {
		t.Fatalf("refund.complete carries %+v", ev)
	}
	if ev := lcObject[state.Charge](t, evs[1]); ev.OrderID != fx.id || !ev.Refunded || len(ev.Refunds) != 1 || ev.Refunds[0].State != "complete" || ev.Refunds[0].Amount != 13.51 {
		t.Fatalf("order.charge.refund.complete carries %+v", ev)
	}
	ev := lcObject[state.Order](t, evs[2])
	if ev.RefundedAmount != 13.51 || ev.AvailableToRefundAmount != 35.11 || ev.State != "complete" ||
		ev.Payment.Charges[0].Refunds[0].State != "complete" || !ev.Payment.Charges[0].Refunded {
		t.Fatalf("order.refunded carries refundedAmount %.2f available %.2f state %s charge %+v",
			ev.RefundedAmount, ev.AvailableToRefundAmount, ev.State, ev.Payment.Charges[0])
	}
	fx.checkAvailability(35.11)

	// A second refund adds up. The first, order-level one was spread over
	// the lines in proportion (6.76 + 6.75), so B has 17.56 left.
	if o := fx.order(); o.Items[1].AvailableToRefundAmount != 17.56 {
		t.Fatalf("B availableToRefundAmount %.2f, want 17.56", o.Items[1].AvailableToRefundAmount)
	}
	r2 := fx.mustRefund(`{"orderId":"{order}","currency":"USD","items":[{"itemId":"{B}","quantity":1}]}`)
	if _, err := fx.a.CompleteRefund(r2.ID); err != nil {
		t.Fatal(err)
	}
	o := fx.order()
	if o.RefundedAmount != 25.67 || len(o.Payment.Charges[0].Refunds) != 2 {
		t.Fatalf("refundedAmount %.2f with %d charge refunds; want 25.67, 2", o.RefundedAmount, len(o.Payment.Charges[0].Refunds))
	}
	fx.checkAvailability(22.95)
	if o.Items[1].AvailableToRefundAmount != 5.40 {
		t.Fatalf("B availableToRefundAmount %.2f, want 5.40", o.Items[1].AvailableToRefundAmount)
	}
	got, _ := fx.a.Refund(r2.ID)
	if got.Items[0].RefundedAmount != 12.16 || got.State != "succeeded" {
		t.Fatalf("item refundedAmount %.2f (%s), want 12.16", got.Items[0].RefundedAmount, got.State)
	}

	// Settled refunds settle once.
	_, err = fx.a.CompleteRefund(r.ID)
	lcWantErr(t, err, 409, "invalid_state", "")
	_, err = fx.a.FailRefund(r.ID, "")
	lcWantErr(t, err, 409, "invalid_state", "")
	_, err = fx.a.CompleteRefund("re_nope")
	lcWantErr(t, err, 404, "not_found", "id")
}

func TestRefundFails(t *testing.T) {
	cases := []struct {
		name   string
		card   string
		fail   bool // the control API fails it; else it is completed
		reason string
	}{
		{name: "control API", fail: true, reason: "bank closed the account"},
		{name: "refund-failing card", card: "4000000000004111", reason: "The payment provider declined the refund (test card)."},
		{name: "refund pending then failed card", card: "4556602564240839", reason: "The payment provider declined the refund (test card)."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fx := lcOrder(t, lcOpts{card: c.card, lines: lcDRLines.lines, shipping: lcDRLines.shipping})
			fx.shipAll()
			r := fx.mustRefund(`{"orderId":"{order}","currency":"USD","percent":100}`)
			fx.checkAvailability(0)
			fx.events()
			var got *state.Refund
			var err error
			if c.fail {
				got, err = fx.a.FailRefund(r.ID, c.reason)
			} else {
				got, err = fx.a.CompleteRefund(r.ID)
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.State != "failed" || got.RefundedAmount != 0 || got.FailureReason != c.reason || got.Charges[0].Refunds[0].State != "failed" {
				t.Fatalf("refund %+v", got)
			}
			evs := fx.events()
			if types := lcTypes(evs); !reflect.DeepEqual(types, []string{"refund.failed", "order.charge.refund.failed"}) {
				t.Fatalf("events %v", types)
			}
			if ev := lcObject[state.Charge](t, evs[1]); ev.Refunds[0].State != "failed" || ev.Refunded {
				t.Fatalf("order.charge.refund.failed carries %+v", ev)
			}
			fx.checkAvailability(48.62)
			if o := fx.order(); o.RefundedAmount != 0 {
				t.Fatalf("refundedAmount %.2f after a failure", o.RefundedAmount)
			}
			// The money can be refunded again.
			fx.mustRefund(`{"orderId":"{order}","currency":"USD","amount":48.62}`)
		})
	}
}

func TestRefundsListGetUpdate(t *testing.T) {
	fx := lcOrder(t, lcDRLines)
	fx.shipAll()
	r1 := fx.mustRefund(`{"orderId":"{order}","currency":"USD","amount":1}`)
	r2 := fx.mustRefund(`{"orderId":"{order}","currency":"USD","amount":2}`)
	if _, err := fx.a.CompleteRefund(r1.ID); err != nil {
		t.Fatal(err)
	}
	ids := func(f state.RefundFilter) []string {
		t.Helper()
		p, err := fx.a.Refunds(f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range p.Data {
			out = append(out, r.ID)
		}
		return out
	}
	for name, c := range map[string]struct {
		f    state.RefundFilter
		want []string
	}{
		"all":       {state.RefundFilter{}, []string{r2.ID, r1.ID}},
		"by order":  {state.RefundFilter{OrderID: fx.id}, []string{r2.ID, r1.ID}},
		"pending":   {state.RefundFilter{State: "pending"}, []string{r2.ID}},
		"succeeded": {state.RefundFilter{State: "succeeded"}, []string{r1.ID}},
		"by ids":    {state.RefundFilter{IDs: []string{r1.ID}}, []string{r1.ID}},
		"limit 1":   {state.RefundFilter{ListParams: state.ListParams{Limit: 1}}, []string{r2.ID}},
		"other":     {state.RefundFilter{OrderID: "nope"}, nil},
	} {
		if got := ids(c.f); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %v, want %v", name, got, c.want)
		}
	}
	up, err := fx.a.UpdateRefund(r2.ID, state.RefundUpdateParams{Metadata: map[string]any{"ticket": "T-1"}})
	if err != nil || up.Metadata["ticket"] != "T-1" || up.State != "pending" || up.Amount != 2 {
		t.Fatalf("UpdateRefund = %+v, %v", up, err)
	}
	if got, _ := fx.a.Refund(r2.ID); got.Metadata["ticket"] != "T-1" {
		t.Fatalf("metadata not kept: %+v", got.Metadata)
	}
	_, err = fx.a.UpdateRefund("re_nope", state.RefundUpdateParams{})
	lcWantErr(t, err, 404, "not_found", "id")
	_, err = fx.a.Refund("re_nope")
	lcWantErr(t, err, 404, "not_found", "id")
}
