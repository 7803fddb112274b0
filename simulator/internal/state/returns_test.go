package state_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/drsim/drsim/simulator/internal/state"
)

func (fx *lcFixture) ret(body string) (*state.Return, error) {
	fx.t.Helper()
	body = strings.NewReplacer("{order}", fx.id, "{A}", fx.item[0], "{B}", fx.item[1], "{skuB}", fx.sku[1]).Replace(body)
	var p state.ReturnParams
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		fx.t.Fatalf("body %s: %v", body, err)
	}
	return fx.a.CreateReturn(p)
}

func (fx *lcFixture) mustReturn(body string) *state.Return {
	fx.t.Helper()
	r, err := fx.ret(body)
	if err != nil {
		fx.t.Fatalf("CreateReturn(%s): %v", body, err)
	}
	return r
}

func TestReturnAcceptedRefundsTheReturnedUnits(t *testing.T) {
	fx := lcOrder(t, lcDRLines)
	fx.shipAll()
	ret := fx.mustReturn(`{"orderId":"{order}","reason":"too small","items":[{"itemId":"{A}","quantity":"1"}]}`)
	if !strings.HasPrefix(ret.ID, "ret_") || ret.State != "created" || ret.Currency != "USD" ||
		!reflect.DeepEqual(ret.Items, []state.ReturnItem{{ItemID: fx.item[0], SKUID: fx.sku[0], Quantity: 1, State: "created"}}) {
		t.Fatalf("return %+v", ret)
	}
	evs := fx.events()
	if got := lcTypes(evs); !reflect.DeepEqual(got, []string{"return.created"}) {
		t.Fatalf("events %v", got)
	}
	if ev := lcObject[state.Return](t, evs[0]); ev.ID != ret.ID || ev.State != "created" {
		t.Fatalf("return.created carries %+v", ev)
	}
	fx.checkAvailability(48.62) // a return alone refunds nothing

	acc, err := fx.a.UpdateReturn(ret.ID, state.ReturnUpdateParams{State: "accepted"})
	if err != nil {
		t.Fatalf("UpdateReturn: %v", err)
	}
	if acc.State != "accepted" || len(acc.Items) != 1 || acc.Items[0].State != "accepted" || acc.Items[0].QuantityAccepted != 1 {
		t.Fatalf("return %+v", acc)
	}
	evs = fx.events()
	if got := lcTypes(evs); !reflect.DeepEqual(got, []string{"return.accepted", "refund.pending"}) {
		t.Fatalf("events %v, want [return.accepted refund.pending]", got)
	}
	r := lcObject[state.Refund](t, evs[1])
	if ev := lcObject[state.Return](t, evs[0]); !reflect.DeepEqual(ev.RefundIDs, []string{r.ID}) || !reflect.DeepEqual(acc.RefundIDs, []string{r.ID}) {
		t.Fatalf("return.accepted refundIds %v, answer %v; want [%s] (DR's refund for it)", ev.RefundIDs, acc.RefundIDs, r.ID)
	}
	want := []state.RefundItem{{ItemID: fx.item[0], SKUID: fx.sku[0], Quantity: 1, Amount: 12.16}}
	if r.State != "pending" || r.Amount != 12.16 || r.Reason != "too small" || !reflect.DeepEqual(r.Items, want) {
		t.Fatalf("DR-created refund %+v", r)
	}
	fx.checkAvailability(36.46)

	// The second unit of A: worth the rest of A's capture.
	ret2 := fx.mustReturn(`{"orderId":"{order}","items":[{"itemId":"{A}","quantity":1}]}`)
	if _, err := fx.a.UpdateReturn(ret2.ID, state.ReturnUpdateParams{State: "accepted"}); err != nil {
		t.Fatal(err)
	}
	p, _ := fx.a.Refunds(state.RefundFilter{OrderID: fx.id})
	if len(p.Data) != 2 || p.Data[0].Amount != 12.15 {
		t.Fatalf("refunds %+v; want a second of 12.15", p.Data)
	}

	// Accepting twice, and states other than accepted, are refused.
	_, err = fx.a.UpdateReturn(ret.ID, state.ReturnUpdateParams{State: "accepted"})
	lcWantErr(t, err, 409, "invalid_state", "")
	_, err = fx.a.UpdateReturn(ret.ID, state.ReturnUpdateParams{State: "rejected"})
	lcWantErr(t, err, 400, "invalid_parameter", "state")
	_, err = fx.a.UpdateReturn("ret_nope", state.ReturnUpdateParams{State: "accepted"})
	lcWantErr(t, err, 404, "not_found", "id")

	// Metadata alone changes nothing else.
	up, err := fx.a.UpdateReturn(ret.ID, state.ReturnUpdateParams{Metadata: map[string]any{"rma": "42"}})
	if err != nil || up.Metadata["rma"] != "42" || up.State != "accepted" {
		t.Fatalf("UpdateReturn(metadata) = %+v, %v", up, err)
	}
}

func TestFullReturnMakesTheOrderReturned(t *testing.T) {
	fx := lcOrder(t, lcDRLines)
	fx.shipAll()
	ret := fx.mustReturn(`{"orderId":"{order}","items":[{"itemId":"{A}","quantity":2},{"skuId":"{skuB}","quantity":2}]}`)
	if _, err := fx.a.UpdateReturn(ret.ID, state.ReturnUpdateParams{State: "accepted"}); err != nil {
		t.Fatal(err)
	}
	p, _ := fx.a.Refunds(state.RefundFilter{OrderID: fx.id})
	if len(p.Data) != 1 || p.Data[0].Amount != 48.62 {
		t.Fatalf("refunds %+v, want one of 48.62", p.Data)
	}
	fx.checkAvailability(0)
	fx.events()
	if _, err := fx.a.CompleteRefund(p.Data[0].ID); err != nil {
		t.Fatal(err)
	}
	evs := fx.events()
	if got := lcTypes(evs); !reflect.DeepEqual(got, []string{"refund.complete", "order.charge.refund.complete", "order.refunded", "order.credit_memo.created"}) {
		t.Fatalf("events %v", got)
	}
	o := lcObject[state.Order](t, evs[2])
	if o.State != "returned" || o.Items[0].State != "returned" || o.Items[1].State != "returned" || o.RefundedAmount != 48.62 {
		t.Fatalf("order.refunded shows order %s items %s/%s refunded %.2f; want returned, 48.62",
			o.State, o.Items[0].State, o.Items[1].State, o.RefundedAmount)
	}
	// Nothing is left to return.
	_, err := fx.ret(`{"orderId":"{order}","items":[{"itemId":"{A}","quantity":1}]}`)
	lcWantErr(t, err, 409, "quantity_too_large", "")
}

func TestPartialReturnKeepsTheOrderComplete(t *testing.T) {
	fx := lcOrder(t, lcDRLines)
	fx.shipAll()
	ret := fx.mustReturn(`{"orderId":"{order}","items":[{"itemId":"{A}","quantity":2}]}`)
	if _, err := fx.a.UpdateReturn(ret.ID, state.ReturnUpdateParams{State: "accepted"}); err != nil {
		t.Fatal(err)
	}
	p, _ := fx.a.Refunds(state.RefundFilter{OrderID: fx.id})
	if _, err := fx.a.CompleteRefund(p.Data[0].ID); err != nil {
		t.Fatal(err)
	}
	o := fx.order()
	if o.State != "complete" || o.Items[0].State != "returned" || o.Items[1].State != "fulfilled" || o.RefundedAmount != 24.31 {
		t.Fatalf("order %s items %s/%s refunded %.2f", o.State, o.Items[0].State, o.Items[1].State, o.RefundedAmount)
	}
}

func TestReturnRefusals(t *testing.T) {
	cases := []struct {
		name   string
		ship   [][3]int // nil ships everything
		before string   // a return that succeeds first
		body   string
		status int
		code   string
		param  string
	}{
		{name: "no orderId", body: `{"items":[{"itemId":"{A}","quantity":1}]}`, status: 400, code: "missing_parameter", param: "orderId"},
		{name: "no items", body: `{"orderId":"{order}"}`, status: 400, code: "missing_parameter", param: "items"},
		{name: "line without an item", body: `{"orderId":"{order}","items":[{"quantity":1}]}`, status: 400, code: "missing_parameter", param: "items[0].itemId"},
		{name: "line without a quantity", body: `{"orderId":"{order}","items":[{"itemId":"{A}"}]}`, status: 400, code: "missing_parameter", param: "items[0].quantity"},
		{name: "quantity zero", body: `{"orderId":"{order}","items":[{"itemId":"{A}","quantity":0}]}`, status: 400, code: "invalid_parameter", param: "items[0].quantity"},
		{name: "quantity a word", body: `{"orderId":"{order}","items":[{"itemId":"{A}","quantity":"all"}]}`, status: 400, code: "invalid_parameter", param: "items[0].quantity"},
		{name: "unknown order", body: `{"orderId":"nope","items":[{"itemId":"{A}","quantity":1}]}`, status: 404, code: "not_found", param: "id"},
		{name: "unknown item", body: `{"orderId":"{order}","items":[{"itemId":"nope","quantity":1}]}`, status: 400, code: "invalid_parameter", param: "items[0].itemId"},
		{name: "more than shipped", body: `{"orderId":"{order}","items":[{"itemId":"{A}","quantity":3}]}`, status: 409, code: "quantity_too_large"},
		{name: "more than is left after a return", before: `{"orderId":"{order}","items":[{"itemId":"{A}","quantity":1}]}`, body: `{"orderId":"{order}","items":[{"itemId":"{A}","quantity":2}]}`, status: 409, code: "quantity_too_large"},
		{name: "the same item twice", body: `{"orderId":"{order}","items":[{"itemId":"{A}","quantity":1},{"itemId":"{A}","quantity":2}]}`, status: 409, code: "quantity_too_large"},
		{name: "only part shipped", ship: [][3]int{{0, 1, -1}}, body: `{"orderId":"{order}","items":[{"itemId":"{A}","quantity":2}]}`, status: 409, code: "quantity_too_large"},
		{name: "cancelled item", ship: [][3]int{{0, 2, -1}, {1, -1, 2}}, body: `{"orderId":"{order}","items":[{"itemId":"{B}","quantity":1}]}`, status: 409, code: "quantity_too_large"},
		{name: "nothing shipped", ship: [][3]int{}, body: `{"orderId":"{order}","items":[{"itemId":"{A}","quantity":1}]}`, status: 409, code: "quantity_too_large"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fx := lcOrder(t, lcDRLines)
			if c.ship == nil {
				fx.shipAll()
			}
			for _, s := range c.ship {
				fx.fulfil(fx.line(s[0], s[1], s[2]))
			}
			if c.before != "" {
				fx.mustReturn(c.before)
			}
			fx.events()
			_, err := fx.ret(c.body)
			lcWantErr(t, err, c.status, c.code, c.param)
			if evs := fx.events(); len(evs) != 0 {
				t.Fatalf("a refused return recorded %v", lcTypes(evs))
			}
		})
	}
}

func TestReturnsListAndGet(t *testing.T) {
	fx := lcOrder(t, lcDRLines)
	fx.shipAll()
	r1 := fx.mustReturn(`{"orderId":"{order}","items":[{"itemId":"{A}","quantity":1}]}`)
	r2 := fx.mustReturn(`{"orderId":"{order}","items":[{"itemId":"{B}","quantity":1}]}`)
	if _, err := fx.a.UpdateReturn(r1.ID, state.ReturnUpdateParams{State: "accepted"}); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		f    state.ReturnFilter
		want []string
	}{
		"all":      {state.ReturnFilter{}, []string{r2.ID, r1.ID}},
		"by order": {state.ReturnFilter{OrderID: fx.id}, []string{r2.ID, r1.ID}},
		"accepted": {state.ReturnFilter{State: "accepted"}, []string{r1.ID}},
		"by ids":   {state.ReturnFilter{IDs: []string{r2.ID}}, []string{r2.ID}},
		"limit 1":  {state.ReturnFilter{ListParams: state.ListParams{Limit: 1}}, []string{r2.ID}},
	} {
		p, err := fx.a.Returns(c.f)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range p.Data {
			got = append(got, r.ID)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %v, want %v", name, got, c.want)
		}
	}
	got, err := fx.a.Return(r2.ID)
	if err != nil || got.ID != r2.ID || got.State != "created" {
		t.Fatalf("Return = %+v, %v", got, err)
	}
	_, err = fx.a.Return("ret_nope")
	lcWantErr(t, err, 404, "not_found", "id")
}

// A return whose refund fails gives its units back: a new return of the
// same units is accepted and refunded while the money is still refundable,
// and once that refund succeeds the units are returned.
func TestFailedReturnRefundReleasesItsUnits(t *testing.T) {
	fx := lcOrder(t, lcDRLines)
	fx.shipAll()
	ret := fx.mustReturn(`{"orderId":"{order}","items":[{"itemId":"{A}","quantity":2}]}`)
	if _, err := fx.a.UpdateReturn(ret.ID, state.ReturnUpdateParams{State: "accepted"}); err != nil {
		t.Fatal(err)
	}
	p, _ := fx.a.Refunds(state.RefundFilter{OrderID: fx.id})
	if len(p.Data) != 1 || p.Data[0].Amount != 24.31 {
		t.Fatalf("refunds %+v, want one of 24.31", p.Data)
	}
	// While the refund is pending the units are claimed.
	_, err := fx.ret(`{"orderId":"{order}","items":[{"itemId":"{A}","quantity":1}]}`)
	lcWantErr(t, err, 409, "quantity_too_large", "")
	if _, err := fx.a.FailRefund(p.Data[0].ID, "bank closed the account"); err != nil {
		t.Fatal(err)
	}
	fx.checkAvailability(48.62)

	again, err := fx.ret(`{"orderId":"{order}","items":[{"itemId":"{A}","quantity":2}]}`)
	if err != nil {
		t.Fatalf("a new return of the units whose refund failed: %v (want it accepted: the money is still refundable)", err)
	}
	if _, err := fx.a.UpdateReturn(again.ID, state.ReturnUpdateParams{State: "accepted"}); err != nil {
		t.Fatal(err)
	}
	p, _ = fx.a.Refunds(state.RefundFilter{OrderID: fx.id, State: "pending"})
	if len(p.Data) != 1 || p.Data[0].Amount != 24.31 {
		t.Fatalf("pending refunds %+v, want one of 24.31 (the units' full value again)", p.Data)
	}
	if _, err := fx.a.CompleteRefund(p.Data[0].ID); err != nil {
		t.Fatal(err)
	}
	o := fx.order()
	if o.Items[0].State != "returned" || o.RefundedAmount != 24.31 {
		t.Fatalf("order item A %s refunded %.2f; want returned, 24.31", o.Items[0].State, o.RefundedAmount)
	}
	// Now they are back for good.
	_, err = fx.ret(`{"orderId":"{order}","items":[{"itemId":"{A}","quantity":1}]}`)
	lcWantErr(t, err, 409, "quantity_too_large", "")
}
