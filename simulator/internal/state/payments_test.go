package state_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/drsim/drsim/simulator/client"
	"github.com/drsim/drsim/simulator/internal/state"
)

// Payment methods beyond cards (docs/dr-api.md#source): PayPal, chargeable at
// once and single-use; wire transfer, a delayed method that waits for the
// customer's funds.

var (
	payPal       = &state.SourceParams{Type: "payPal", Owner: &state.Owner{FirstName: "Pat", LastName: "Doe"}}
	wireTransfer = &state.SourceParams{Type: "wireTransfer", Owner: &state.Owner{FirstName: "Pat", LastName: "Doe"}, WireTransfer: &state.WireTransferParams{}}
)

func TestPayPalSourceIsChargeableAndSingleUse(t *testing.T) {
	a := newAccount(t)
	s, err := a.CreateSource(state.SourceParams{Type: "payPal", PayPal: &state.PayPalParams{}})
	if err != nil {
		t.Fatalf("CreateSource(payPal): %v", err)
	}
	if s.State != "chargeable" || s.Flow != "redirect" || s.Reusable || s.CreditCard != nil || s.WireTransfer != nil {
		t.Fatalf("source %+v; want chargeable, flow redirect, not reusable, no creditCard", s)
	}
	if s.PayPal == nil || s.PayPal.DirectDebit == nil || s.PayPal.DirectDebit.Token == "" {
		t.Fatalf("payPal %+v; want PayPal's token", s.PayPal)
	}
	page, _ := a.Events(state.EventFilter{Type: "source.*"})
	if got := lcTypes(page.Data); !reflect.DeepEqual(got, []string{"source.chargeable", "source.created"}) {
		t.Fatalf("events %v (newest first), want source.created then source.chargeable", got)
	}
	_, err = a.AttachSource(mustCustomer(t, a), s.ID)
	lcWantErr(t, err, http.StatusConflict, "nonreusable_source", "")
}

// DR's "Configuring PayPal": a PayPal Billing Agreement (payPalBilling)
// is PayPal for subscriptions: chargeable once approved, and unlike payPal
// it can be saved to the customer. DR's example request gives its details
// as payPal, so that is taken too.
func TestPayPalBillingSourceIsReusable(t *testing.T) {
	a := newAccount(t)
	for _, p := range []state.SourceParams{
		{Type: "payPalBilling", PayPalBilling: &state.PayPalParams{}},
		{Type: "payPalBilling", PayPal: &state.PayPalParams{}},
		{Type: "payPalBilling"},
	} {
		s, err := a.CreateSource(p)
		if err != nil {
			t.Fatalf("CreateSource(%+v): %v", p, err)
		}
		if s.State != "chargeable" || s.Flow != "redirect" || s.Reusable || s.CreditCard != nil || s.PayPal != nil ||
			s.PayPalBilling == nil || s.PayPalBilling.DirectDebit == nil || !strings.HasPrefix(s.PayPalBilling.DirectDebit.Token, "BA-") {
			t.Fatalf("source %+v; want chargeable, redirect, not reusable yet, payPalBilling with a BA- token", s)
		}
		cust := mustCustomer(t, a)
		saved, err := a.AttachSource(cust, s.ID)
		if err != nil || !saved.Reusable || saved.CustomerID != cust {
			t.Fatalf("AttachSource: %v %+v; want it saved, reusable", err, saved)
		}
		c, _ := a.Customer(cust)
		if c.DefaultSourceID != s.ID {
			t.Fatalf("customer default source %q, want the billing agreement %q", c.DefaultSourceID, s.ID)
		}
	}
	_, err := a.CreateSource(state.SourceParams{Type: "wireTransfer", PayPal: &state.PayPalParams{}})
	lcWantErr(t, err, http.StatusBadRequest, "invalid_parameter", "payPal")
	_, err = a.CreateSource(state.SourceParams{Type: "payPal", PayPalBilling: &state.PayPalParams{}})
	lcWantErr(t, err, http.StatusBadRequest, "invalid_parameter", "payPalBilling")
}

func TestOrderPaidWithPayPal(t *testing.T) {
	fx := lcOrder(t, lcOpts{source: payPal, lines: lcDRLines.lines, shipping: lcDRLines.shipping})
	o := fx.order()
	src := o.Payment.Sources[0]
	if o.State != "accepted" || src.Type != "payPal" || src.CreditCard != nil || src.State != "consumed" {
		t.Fatalf("order %s paid by %s (%s, card %v); want accepted, a consumed payPal source without creditCard", o.State, src.Type, src.State, src.CreditCard)
	}
	fx.shipAll()
	if o := fx.order(); o.State != "complete" {
		t.Fatalf("order %s after shipping everything, want complete", o.State)
	}
}

func TestWireTransferWaitsForFunds(t *testing.T) {
	fx := lcOrder(t, lcOpts{source: wireTransfer, lines: lcDRLines.lines, shipping: lcDRLines.shipping, decide: "none"})
	o := fx.order()
	src := o.Payment.Sources[0]
	if o.State != "pending_payment" || o.Payment.Charges[0].State != "pending" || src.State != "pending_funds" || src.Flow != "receiver" {
		t.Fatalf("placed order %s charge %s source %s flow %s; want pending_payment, pending, pending_funds, receiver",
			o.State, o.Payment.Charges[0].State, src.State, src.Flow)
	}
	if w := src.WireTransfer; w == nil || w.IBAN == "" || w.ReferenceID == "" || src.CreditCard != nil {
		t.Fatalf("source %+v; want the bank details to push the funds to and no creditCard", src)
	}
	_, err := fx.a.AcceptOrder(fx.id)
	lcWantErr(t, err, http.StatusConflict, "invalid_state", "")
	if fx.order().State != "pending_payment" {
		t.Fatal("a refused accept changed the order")
	}
	// A pending_funds source pays one order.
	cust := fx.order().CustomerID
	_, err = fx.a.PlaceOrder(state.PlaceOrderParams{CustomerID: cust, SourceID: src.ID, Items: []state.PlaceItem{{SKUID: fx.sku[0], Quantity: 1, Price: 1}}})
	lcWantErr(t, err, http.StatusConflict, "failed-request", "")
	fx.events()

	funded, err := fx.a.FundSource(src.ID)
	if err != nil {
		t.Fatalf("FundSource: %v", err)
	}
	if funded.State != "consumed" {
		t.Fatalf("funded source %s, want consumed (single-use, charged)", funded.State)
	}
	want := []string{"source.chargeable", "order.accepted", "order.invoice.created"}
	if got := lcTypes(fx.events()); !reflect.DeepEqual(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	o = fx.order()
	if o.State != "accepted" || o.Payment.Charges[0].State != "capturable" {
		t.Fatalf("funded order %s charge %s; want accepted, capturable", o.State, o.Payment.Charges[0].State)
	}
	_, err = fx.a.FundSource(src.ID)
	lcWantErr(t, err, http.StatusConflict, "invalid_state", "")
	_, err = fx.a.FundSource("no-such-source")
	lcWantErr(t, err, http.StatusNotFound, "not_found", "id")
	fx.shipAll()
	if o := fx.order(); o.State != "complete" {
		t.Fatalf("order %s after shipping everything, want complete", o.State)
	}
}

func TestWireTransferFundedDuringReview(t *testing.T) {
	fx := lcOrder(t, lcOpts{source: wireTransfer, lines: lcDRLines.lines, decide: "none"})
	if _, err := fx.a.ReviewOrder(fx.id); err != nil {
		t.Fatalf("ReviewOrder: %v", err)
	}
	fx.events()
	if _, err := fx.a.FundSource(fx.order().Payment.Sources[0].ID); err != nil {
		t.Fatalf("FundSource: %v", err)
	}
	if got := lcTypes(fx.events()); !reflect.DeepEqual(got, []string{"source.chargeable"}) {
		t.Fatalf("events %v; want only source.chargeable while the review decides", got)
	}
	if _, err := fx.a.AcceptOrder(fx.id); err != nil {
		t.Fatalf("AcceptOrder after the funds and the review: %v", err)
	}
}

func TestOtherMethodsSourceRefusals(t *testing.T) {
	a := newAccount(t)
	cases := []struct {
		name  string
		p     state.SourceParams
		param string
	}{
		{"unknown type", state.SourceParams{Type: "konbini"}, "type"},
		{"card data on PayPal", state.SourceParams{Type: "payPal", CreditCard: &state.CardParams{Number: "4444222233331111", ExpirationMonth: 1, ExpirationYear: 2030}}, "creditCard"},
		{"wire data on a card", state.SourceParams{Type: "creditCard", WireTransfer: &state.WireTransferParams{}}, "wireTransfer"},
		{"PayPal data on a wire transfer", state.SourceParams{Type: "wireTransfer", PayPal: &state.PayPalParams{}}, "payPal"},
		{"negative amount", state.SourceParams{Type: "payPal", Amount: -1}, "amount"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := a.CreateSource(c.p)
			lcWantErr(t, err, http.StatusBadRequest, "invalid_parameter", c.param)
		})
	}
	if page, _ := a.Events(state.EventFilter{}); len(page.Data) != 0 {
		t.Fatalf("refused sources recorded %d events", len(page.Data))
	}
}

// DR's test owner last names make other methods than cards fail
// (docs/lifecycles.md#test-mode-triggers-doc).
func TestOwnerLastNameTriggers(t *testing.T) {
	a := newAccount(t)
	sku := mustSKU(t, a, "Widget")
	cust := mustCustomer(t, a)
	s, err := a.CreateSource(state.SourceParams{Type: "payPal", Owner: &state.Owner{LastName: "ChargeFail"}})
	if err != nil {
		t.Fatalf("CreateSource: %v", err)
	}
	_, err = a.PlaceOrder(state.PlaceOrderParams{CustomerID: cust, SourceID: s.ID, Items: []state.PlaceItem{{SKUID: sku, Quantity: 1, Price: 5}}})
	lcWantErr(t, err, http.StatusConflict, "failed-request", "")

	fx := lcOrder(t, lcOpts{source: &state.SourceParams{Type: "payPal", Owner: &state.Owner{LastName: "RefundFail"}}, lines: lcDRLines.lines})
	fx.shipAll()
	r := fx.mustRefund(`{"orderId":"` + fx.id + `","currency":"USD","amount":5}`)
	fx.events()
	if r, err = fx.a.CompleteRefund(r.ID); err != nil || r.State != "failed" {
		t.Fatalf("CompleteRefund on a RefundFail PayPal order: %v, state %v; want failed", err, r)
	}
}

// A refund of an order paid by wire transfer waits for the customer's bank
// details: pending_information with a token valid 90 days (DR's "Refunding
// asynchronous payment methods"), then completes as any refund.
func TestWireTransferRefundNeedsInformation(t *testing.T) {
	fx := lcOrder(t, lcOpts{source: wireTransfer, lines: lcDRLines.lines, shipping: lcDRLines.shipping, decide: "none"})
	if _, err := fx.a.FundSource(fx.order().Payment.Sources[0].ID); err != nil {
		t.Fatalf("FundSource: %v", err)
	}
	fx.shipAll()
	before := fx.order().AvailableToRefundAmount
	r := fx.mustRefund(`{"orderId":"` + fx.id + `","currency":"USD","amount":5}`)
	if r.State != "pending_information" || r.TokenInformation == nil || r.TokenInformation.Token == "" {
		t.Fatalf("refund %s token %+v; want pending_information with a token", r.State, r.TokenInformation)
	}
	if got := r.TokenInformation.ExpiresTime.Sub(r.CreatedTime); got != 90*24*time.Hour {
		t.Fatalf("token expires %v after the refund, want 90 days", got)
	}
	evs := fx.events()
	if got := lcTypes(evs); !reflect.DeepEqual(got, []string{"refund.pending_information"}) {
		t.Fatalf("events %v, want refund.pending_information", got)
	}
	o := fx.order()
	if o.AvailableToRefundAmount != round2(before-5) || o.Payment.Charges[0].Refunds[0].State != "pending_information" {
		t.Fatalf("available %.2f (was %.2f), charge refund %s; want 5.00 held and the charge's entry pending_information",
			o.AvailableToRefundAmount, before, o.Payment.Charges[0].Refunds[0].State)
	}
	done, err := fx.a.CompleteRefund(r.ID)
	if err != nil || done.State != "succeeded" {
		t.Fatalf("CompleteRefund: %v (%v); want succeeded once the customer gave the details", err, done)
	}
	if got := lcTypes(fx.events()); !reflect.DeepEqual(got[:3], []string{"refund.complete", "order.charge.refund.complete", "order.refunded"}) {
		t.Fatalf("events %v; want refund.complete, order.charge.refund.complete, order.refunded first", got)
	}

	// A card order's refund stays plain pending.
	card := lcOrder(t, lcDRLines)
	card.shipAll()
	if r := card.mustRefund(`{"orderId":"` + card.id + `","currency":"USD","amount":5}`); r.State != "pending" || r.TokenInformation != nil {
		t.Fatalf("card refund %s token %+v; want pending without a token", r.State, r.TokenInformation)
	}
}

// Funds that never come: the wire transfer source is cancelled and DR
// cancels the order it pays (DR's "Handling delayed payment methods").
func TestWireTransferUnfundedCancelsTheOrder(t *testing.T) {
	fx := lcOrder(t, lcOpts{source: wireTransfer, lines: lcDRLines.lines, shipping: lcDRLines.shipping, decide: "none"})
	src := fx.order().Payment.Sources[0].ID
	expired, err := fx.a.ExpireSource(src)
	if err != nil || expired.State != "cancelled" {
		t.Fatalf("ExpireSource: %v (%+v); want the source cancelled", err, expired)
	}
	evs := fx.events()
	if got := lcTypes(evs); !reflect.DeepEqual(got, []string{"order.cancelled"}) {
		t.Fatalf("events %v, want order.cancelled", got)
	}
	o := lcObject[state.Order](t, evs[0])
	if o.State != "cancelled" || o.Payment.Charges[0].State != "cancelled" || o.CancelledAmount != o.TotalAmount {
		t.Fatalf("order %s charge %s cancelled %.2f of %.2f; want everything cancelled", o.State, o.Payment.Charges[0].State, o.CancelledAmount, o.TotalAmount)
	}
	for _, it := range o.Items {
		if it.State != "cancelled" {
			t.Fatalf("item %s is %s, want cancelled", it.ID, it.State)
		}
	}
	_, err = fx.a.ExpireSource(src)
	lcWantErr(t, err, http.StatusConflict, "invalid_state", "")
	_, err = fx.a.FundSource(src)
	lcWantErr(t, err, http.StatusConflict, "invalid_state", "")
	_, err = fx.a.CreateFulfillment(state.FulfillmentParams{FulfillmentParams: client.FulfillmentParams{OrderID: fx.id}, Items: []state.FulfillmentItemParams{fx.line(0, 1, -1)}})
	lcWantErr(t, err, http.StatusConflict, "conflict", "")
}

// A blocked order waits for no funds: they make the source chargeable and
// leave the order blocked.
func TestWireTransferFundsAfterABlock(t *testing.T) {
	fx := lcOrder(t, lcOpts{source: wireTransfer, lines: lcDRLines.lines, decide: "block"})
	if _, err := fx.a.FundSource(fx.order().Payment.Sources[0].ID); err != nil {
		t.Fatalf("FundSource: %v", err)
	}
	if got := lcTypes(fx.events()); !reflect.DeepEqual(got, []string{"source.chargeable"}) {
		t.Fatalf("events %v; want only source.chargeable", got)
	}
	if o := fx.order(); o.State != "blocked" || o.Payment.Charges[0].State != "pending" {
		t.Fatalf("order %s charge %s; want still blocked, the charge never authorized", o.State, o.Payment.Charges[0].State)
	}
}
