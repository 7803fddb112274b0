package merchant_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/drsim/drsim/examples/merchant"
)

// Subscription events shaped like the simulator's (docs/events.md#subscription-events): one
// subscription to the plan "Monthly Coffee & Co" of alice@example.test
// (customer cus_alice), active since 15 January 2026, renewing on 22
// December 2026: two bags of coffee and a mug, paid with a MasterCard
// ending in 0008 that expires in July 2027.

const (
	subID        = "sub_1ec4"
	planID       = "plan_coffee"
	renewalOrder = "240000000336"
)

// subscriptionObject is the Subscription, as a bare event or the pair's
// subscription carries it. SKUs name its products.
func subscriptionObject() map[string]any {
	return map[string]any{
		"id": subID, "state": "active",
		"stateTransitions": map[string]any{"activated": "2026-01-15T10:00:00Z"},
		"customerId":       "cus_alice", "sourceId": "src_mc", "planId": planID,
		"items": []any{
			map[string]any{"skuId": "sku_coffee", "price": 12.5, "quantity": 2},
			map[string]any{"skuId": "sku_mug", "price": 8.0}, // DR: quantity 1 when absent
		},
		"currency": "USD", "taxInclusive": false,
		"currentPeriodEndDate": "2026-12-22T10:00:00Z", "nextInvoiceDate": "2026-12-22T10:00:00Z",
		"nextReminderDate": "2026-12-15T10:00:00Z", "liveMode": false,
	}
}

// invoiceObject is the renewal's billing invoice in state.
func invoiceObject(state string) map[string]any {
	info := map[string]any{"subscriptionId": subID, "planId": planID, "freeTrial": false}
	return map[string]any{
		"id": "cec27db855f64c7d863142ee2bc28af8", "state": state,
		"stateTransitions": map[string]any{"draft": "2026-12-15T10:00:00Z"},
		"description":      "Monthly Coffee & Co", "customerId": "cus_alice", "email": customer,
		"currency": "USD", "locale": "en_US",
		"items": []any{
			map[string]any{"skuId": "sku_coffee", "productDetails": map[string]any{"name": "Coffee Beans"},
				"amount": 25.0, "quantity": 2, "subscriptionInfo": info},
			map[string]any{"skuId": "sku_mug", "productDetails": map[string]any{"name": "Mug"},
				"amount": 8.0, "quantity": 1, "subscriptionInfo": info},
		},
		"subtotal": 33.0, "totalTax": 2.64, "totalDiscount": 1.5, "totalAmount": 34.14,
		"attemptCount": 0, "collectionPeriodDays": 7, "chargeType": "merchant_initiated",
		"payment":  map[string]any{"sources": []any{card("MasterCard", "0008", 7, 2027)}},
		"liveMode": false,
	}
}

func card(brand, last4 string, month, year int) map[string]any {
	return map[string]any{"id": "src_mc", "type": "creditCard", "customerId": "cus_alice",
		"creditCard": map[string]any{"brand": brand, "lastFourDigits": last4, "expirationMonth": month, "expirationYear": year}}
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// pairEvent is a subscription.reminder, .extended or .payment_failed event.
func pairEvent(id, typ string, sub, inv map[string]any) []byte {
	return eventJSON(id, typ, mustJSON(map[string]any{"subscription": sub, "invoice": inv}))
}

// updatedEvent is a subscription.updated event with previousAttributes.
func updatedEvent(id string, sub map[string]any, previous map[string]any) []byte {
	return mustJSON(map[string]any{
		"id": id, "type": "subscription.updated", "liveMode": false, "createdTime": "2026-03-03T09:30:00.5Z",
		"data": map[string]any{"object": sub, "previousAttributes": previous},
	})
}

// The events of each notification, and what their emails show.

func reminderEvent(id string) []byte {
	return pairEvent(id, "subscription.reminder", subscriptionObject(), invoiceObject("draft"))
}

var reminderShows = []string{"Monthly Coffee & Co", "Subscribed since: 15 January 2026",
	"Coffee Beans 2 $25.00", "Mug 1 $8.00", "MasterCard ending in 0008",
	"Subtotal $33.00", "Tax $2.64", "Total $34.14"}

// trialConversionEvent: a free trial started on 22 November 2026; its first
// paid invoice set activated to the instant it was paid (written two ways).
func trialConversionEvent(id string) []byte {
	sub, inv := subscriptionObject(), invoiceObject("paid")
	sub["stateTransitions"] = map[string]any{"activatedFree": "2026-11-22T10:00:00Z", "activated": "2026-12-22T10:00:00.5Z"}
	sub["nextInvoiceDate"] = "2027-01-22T10:00:00Z"
	inv["stateTransitions"] = map[string]any{"draft": "2026-12-15T10:00:00Z", "open": "2026-12-22T10:00:00.5Z", "paid": "2026-12-22T10:00:00.500+0000"}
	inv["orderId"], inv["attemptCount"] = renewalOrder, 1
	return pairEvent(id, "subscription.extended", sub, inv)
}

var trialShows = []string{"Monthly Coffee & Co", "Free trial started: 22 November 2026", "Next payment: 22 January 2027",
	"Coffee Beans 2 $25.00", "Mug 1 $8.00", "MasterCard ending in 0008", "Subtotal $33.00", "Tax $2.64", "Total $34.14"}

// renewalEvent: the 22 December 2026 renewal was paid; the next is on
// 22 January 2027.
func renewalEvent(id string) []byte {
	sub, inv := subscriptionObject(), invoiceObject("paid")
	sub["nextInvoiceDate"] = "2027-01-22T10:00:00Z"
	inv["stateTransitions"] = map[string]any{"draft": "2026-12-15T10:00:00Z", "open": "2026-12-22T10:00:00Z", "paid": "2026-12-22T10:00:00Z"}
	inv["orderId"], inv["attemptCount"] = renewalOrder, 1
	return pairEvent(id, "subscription.extended", sub, inv)
}

var renewalShows = []string{"Monthly Coffee & Co", "Subscribed since: 15 January 2026",
	"Coffee Beans 2 $25.00", "Mug 1 $8.00", "MasterCard ending in 0008",
	"Subtotal $33.00", "Discount $1.50", "Tax $2.64", "Total $34.14", "Next payment: 22 January 2027"}

func cancelledEvent(id string) []byte {
	sub := subscriptionObject()
	sub["state"] = "cancelled"
	sub["stateTransitions"] = map[string]any{"activated": "2026-01-15T10:00:00Z", "cancelled": "2026-03-03T09:30:00Z"}
	return updatedEvent(id, sub, map[string]any{"state": "active", "stateTransitions": map[string]any{"cancelled": nil}})
}

func termsEvent(id string) []byte {
	return updatedEvent(id, subscriptionObject(), map[string]any{"planId": "plan_old"})
}

func paymentFailedEvent(id string) []byte {
	sub, inv := subscriptionObject(), invoiceObject("open")
	sub["state"] = "activePendingInvoice"
	inv["attemptCount"] = 2
	inv["payment"] = map[string]any{
		"sources": []any{card("Visa", "3600", 2, 2026)},
		"charges": []any{map[string]any{"amount": 34.14, "state": "failed", "failureCode": "declined"}},
	}
	return pairEvent(id, "subscription.payment_failed", sub, inv)
}

var paymentFailedShows = []string{"Monthly Coffee & Co", "Visa ending in 3600", "Attempt 2", "Coffee Beans", "Mug"}

func failedEvent(id string) []byte {
	sub := subscriptionObject()
	sub["state"] = "failed"
	sub["stateTransitions"] = map[string]any{"activated": "2026-01-15T10:00:00Z", "failed": "2026-04-05T00:00:00Z"}
	return eventJSON(id, "subscription.failed", mustJSON(sub))
}

var failedShows = []string{"Monthly Coffee & Co", "Ended on: 5 April 2026", "Coffee Club Beans <1kg> 2", "Mug 1"}

// startSubShop is a shop whose fake DR knows the customer, the SKUs and
// the plan.
func startSubShop(t *testing.T, defects ...string) shop {
	t.Helper()
	s := startShop(t, defects...)
	s.dr.setCustomer("cus_alice", customer)
	s.dr.setSKU("sku_coffee", "Coffee Club Beans <1kg>")
	s.dr.setSKU("sku_mug", "Mug")
	s.dr.setPlan(planID, "Monthly Coffee & Co", "Renews every month until cancelled.", "month", 1)
	return s
}

// subscriptionOrderAccepted is an order.accepted that starts a
// subscription: one subscription line and one ordinary line.
func subscriptionOrderAccepted(eventID, orderID string) []byte {
	return eventJSON(eventID, "order.accepted", mustJSON(map[string]any{
		"id": orderID, "customerId": "cus_alice", "email": customer, "currency": "USD", "locale": "en_US",
		"subtotal": 41.0, "totalTax": 3.28, "totalDiscount": 2.0, "totalShipping": 4.5, "totalAmount": 46.78,
		"state": "accepted", "liveMode": false,
		"items": []any{
			map[string]any{"id": "item_sub", "skuId": "sku_coffee", "productDetails": map[string]any{"name": "Coffee Beans"},
				"amount": 25.0, "quantity": 2, "state": "created",
				"subscriptionInfo": map[string]any{"subscriptionId": subID, "planId": planID, "terms": "Monthly", "autoRenewal": true, "freeTrial": false}},
			map[string]any{"id": "item_grinder", "skuId": "sku_grinder", "productDetails": map[string]any{"name": "Grinder"},
				"amount": 16.0, "quantity": 1, "state": "created"},
		},
	}))
}

func TestSubscriptionAcquisitionConfirmation(t *testing.T) {
	t.Parallel()
	s := startSubShop(t)
	deliverOK(t, s.srv, subscriptionOrderAccepted("evt-acq-1", "250000000336"))
	// The order confirmation lists every item, as for any order.
	expectEmail(t, awaitMail(t, s.smtp, "order confirmation"), "Order confirmation – order 250000000336",
		[]string{"Coffee Beans 2 $25.00", "Grinder 1 $16.00", "Total $46.78"}, nil)
	c := expectEmail(t, awaitMail(t, s.smtp, "subscription confirmation"), "Your subscription is confirmed – order 250000000336",
		[]string{"250000000336", "Coffee Beans 2 $25.00", "Discount $2.00", "Shipping $4.50", "Tax $3.28", "Total $46.78"},
		[]string{"Grinder", "$16.00"})
	if !strings.Contains(c.HTML, "<td>Coffee Beans</td><td align=\"right\">2</td><td align=\"right\">$25.00</td>") {
		t.Errorf("HTML part: the subscription line is not one table row:\n%s", c.HTML)
	}
	expectNoMoreMail(t, s.smtp)

	// An order without subscription items: the order confirmation only.
	deliverOK(t, s.srv, orderAccepted("evt-acq-2", "250000010336", customer))
	expectEmail(t, awaitMail(t, s.smtp, "order confirmation"), "Order confirmation – order 250000010336", nil, nil)
	expectNoMoreMail(t, s.smtp)
}

// DR leaves an accepted order's subscriptions in draft: the merchant
// activates each once, with a body of exactly {"state":"active"}.
func TestAcceptedOrderActivatesItsSubscriptions(t *testing.T) {
	t.Parallel()
	s := startSubShop(t)
	deliverOK(t, s.srv, subscriptionOrderAccepted("evt-act-1", "250000040336"))
	awaitMail(t, s.smtp, "order confirmation")
	awaitMail(t, s.smtp, "subscription confirmation")
	calls := s.dr.CallsTo("POST /subscriptions/" + subID)
	if len(calls) != 1 || !sameJSONBytes([]byte(calls[0].Body), `{"state":"active"}`) {
		t.Fatalf("activation calls %+v, want one POST /subscriptions/%s {\"state\":\"active\"}", calls, subID)
	}
	if st := s.dr.subscriptionState(subID); st != "active" {
		t.Fatalf("subscription %s is %v at DR, want active", subID, st)
	}
	// The defect: the confirmation emails go out, the subscription stays draft.
	d := startSubShop(t, merchant.DefectNeverActivate)
	deliverOK(t, d.srv, subscriptionOrderAccepted("evt-act-2", "250000050336"))
	awaitMail(t, d.smtp, "order confirmation")
	awaitMail(t, d.smtp, "subscription confirmation")
	if calls := d.dr.CallsTo("POST /subscriptions/" + subID); len(calls) != 0 {
		t.Fatalf("never-activates-subscriptions made activation calls %+v", calls)
	}
}

// An activation DR refuses with 409 is done when the subscription is no
// longer a draft (an earlier activation whose answer was lost): the
// merchant asks DR and carries on. A 409 for a draft is a failure: the work
// is retried.
func TestActivationConflictCountsAsDoneOnlyWhenActive(t *testing.T) {
	t.Parallel()
	conflict := drErrorJSON("conflict", "invalid_state", "Subscription '"+subID+"' is not a draft.")

	s := startSubShop(t)
	s.dr.setSubscription(subID, "cus_alice", planID, "active")
	deliverOK(t, s.srv, subscriptionOrderAccepted("evt-act-3", "250000070336"))
	awaitMail(t, s.smtp, "order confirmation")
	awaitMail(t, s.smtp, "subscription confirmation")
	if posts, gets := s.dr.CallsTo("POST /subscriptions/"+subID), s.dr.CallsTo("GET /subscriptions/"+subID); len(posts) != 1 || len(gets) != 1 {
		t.Fatalf("already active: %d activations and %d look-ups, want 1 and 1", len(posts), len(gets))
	}

	d := startSubShop(t)
	d.dr.setSubscription(subID, "cus_alice", planID, "draft")
	d.dr.queue("POST /subscriptions/"+subID, http.StatusConflict, conflict)
	deliverOK(t, d.srv, subscriptionOrderAccepted("evt-act-4", "250000080336"))
	awaitMail(t, d.smtp, "order confirmation after the retry")
	awaitMail(t, d.smtp, "subscription confirmation after the retry")
	if posts := d.dr.CallsTo("POST /subscriptions/" + subID); len(posts) != 2 {
		t.Fatalf("draft refused once: %d activations, want 2 (the refusal, then the retry)", len(posts))
	}
	if st := d.dr.subscriptionState(subID); st != "active" {
		t.Fatalf("subscription %s is %v at DR after the retry, want active", subID, st)
	}
}

// A free trial costs 0 at DR: after activating it the merchant sets the
// price after the trial that its checkout recorded (metadata.paidPrice).
func TestTrialActivationSetsThePaidPrice(t *testing.T) {
	t.Parallel()
	s := startSubShop(t)
	deliverOK(t, s.srv, eventJSON("evt-trial-1", "order.accepted", mustJSON(map[string]any{
		"id": "250000060336", "customerId": "cus_alice", "email": customer, "currency": "USD", "locale": "en_US",
		"subtotal": 0.0, "totalTax": 0.0, "totalDiscount": 0.0, "totalShipping": 0.0, "totalAmount": 0.0, "state": "accepted",
		"items": []any{map[string]any{"id": "item_trial", "skuId": "sku_coffee", "productDetails": map[string]any{"name": "Coffee Beans"},
			"amount": 0.0, "quantity": 2, "state": "created", "metadata": map[string]any{"paidPrice": 12.5},
			"subscriptionInfo": map[string]any{"subscriptionId": subID, "planId": planID, "freeTrial": true}}},
	})))
	awaitMail(t, s.smtp, "order confirmation")
	awaitMail(t, s.smtp, "subscription confirmation")
	calls := s.dr.CallsTo("POST /subscriptions/" + subID)
	if len(calls) != 2 || !sameJSONBytes([]byte(calls[0].Body), `{"state":"active"}`) ||
		!sameJSONBytes([]byte(calls[1].Body), `{"items":[{"skuId":"sku_coffee","quantity":2,"price":12.5}]}`) {
		t.Fatalf("calls %+v, want the activation then the paid price 12.5 for 2 × sku_coffee", calls)
	}
}

func TestSubscriptionAcquisitionRetryDoesNotResendTheOrderConfirmation(t *testing.T) {
	t.Parallel()
	s := startSubShop(t)
	// The order confirmation goes out; the subscription confirmation is
	// refused once, and sent on the merchant's retry.
	s.smtp.rejectMatching("Thank you for subscribing", 1)
	deliverOK(t, s.srv, subscriptionOrderAccepted("evt-acq-3", "250000020336"))
	expectEmail(t, awaitMail(t, s.smtp, "order confirmation"), "Order confirmation – order 250000020336", nil, nil)
	expectEmail(t, awaitMail(t, s.smtp, "subscription confirmation"), "Your subscription is confirmed – order 250000020336", nil, nil)
	expectNoMoreMail(t, s.smtp)
}

func TestTrialConversionEmail(t *testing.T) {
	t.Parallel()
	s := startSubShop(t)
	deliverOK(t, s.srv, trialConversionEvent("evt-trial-1"))
	expectEmail(t, awaitMail(t, s.smtp, "trial conversion"), "Your free trial has ended – subscription "+subID,
		trialShows, []string{"renewed"})
	expectNoMoreMail(t, s.smtp)
	if calls := s.dr.Calls(); len(calls) != 0 {
		t.Errorf("the pair's invoice has the email, yet the merchant called DR: %+v", calls)
	}
}

func TestRenewalConfirmationEmail(t *testing.T) {
	t.Parallel()
	s := startSubShop(t)
	deliverOK(t, s.srv, renewalEvent("evt-renew-1"))
	expectEmail(t, awaitMail(t, s.smtp, "renewal confirmation"), "Your subscription has renewed – order "+renewalOrder,
		append([]string{"Order number: " + renewalOrder}, renewalShows...), []string{"trial"})

	// A renewal of a subscription that began with a free trial: activated
	// is older than the invoice's payment.
	ev := map[string]any{}
	if err := json.Unmarshal(renewalEvent("evt-renew-2"), &ev); err != nil {
		t.Fatal(err)
	}
	sub := ev["data"].(map[string]any)["object"].(map[string]any)["subscription"].(map[string]any)
	sub["stateTransitions"] = map[string]any{"activatedFree": "2025-12-15T10:00:00Z", "activated": "2026-01-15T10:00:00Z"}
	deliverOK(t, s.srv, mustJSON(ev))
	expectEmail(t, awaitMail(t, s.smtp, "renewal after a trial"), "Your subscription has renewed – order "+renewalOrder,
		renewalShows, []string{"trial"})
	expectNoMoreMail(t, s.smtp)
}

func TestRenewalReminderEmail(t *testing.T) {
	t.Parallel()
	s := startSubShop(t)
	deliverOK(t, s.srv, reminderEvent("evt-remind-1"))
	c := expectEmail(t, awaitMail(t, s.smtp, "renewal reminder"), "Your subscription renews on 22 December 2026",
		append([]string{"Next payment: 22 December 2026"}, reminderShows...), nil)
	if got := links(c.HTML); !slices.Equal(got, []string{s.srv.URL() + "/portal"}) {
		t.Errorf("HTML links = %q, want the portal", got)
	}
	// The card is valid until July 2027: no expiry notice.
	expectNoMoreMail(t, s.smtp)
}

func TestCardExpirationNoticeOnReminder(t *testing.T) {
	t.Parallel()
	s := startSubShop(t)
	for i, tc := range []struct {
		month, year int
		next        string
		notice      bool
	}{
		{11, 2026, "2026-12-22T10:00:00Z", true},  // expired at the end of November
		{12, 2026, "2026-12-22T10:00:00Z", false}, // valid through 31 December
		{12, 2026, "2027-01-01T00:00:00Z", true},  // not on 1 January
		{12, 2026, "2026-12-31T23:59:59Z", false},
	} {
		sub, inv := subscriptionObject(), invoiceObject("draft")
		sub["nextInvoiceDate"] = tc.next
		inv["payment"] = map[string]any{"sources": []any{card("MasterCard", "0008", tc.month, tc.year)}}
		deliverOK(t, s.srv, pairEvent(fmt.Sprint("evt-exp-", i), "subscription.reminder", sub, inv))
		next := map[string]string{"2026-12-22T10:00:00Z": "22 December 2026", "2027-01-01T00:00:00Z": "1 January 2027", "2026-12-31T23:59:59Z": "31 December 2026"}[tc.next]
		expectEmail(t, awaitMail(t, s.smtp, "renewal reminder"), "Your subscription renews on "+next, nil, nil)
		if !tc.notice {
			expectNoMoreMail(t, s.smtp)
			continue
		}
		expiry := "12/2026"
		if tc.month == 11 {
			expiry = "11/2026"
		}
		c := expectEmail(t, awaitMail(t, s.smtp, "card expiry notice"), "Your card on file expires before your next payment",
			[]string{"MasterCard ending in 0008", "Expires: " + expiry, "Next payment: " + next, s.srv.URL() + "/portal/payment-methods"}, nil)
		if got := links(c.HTML); !slices.Equal(got, []string{s.srv.URL() + "/portal/payment-methods"}) {
			t.Errorf("HTML links = %q, want the payment methods page", got)
		}
		expectNoMoreMail(t, s.smtp)
	}
}

func TestSubscriptionCancelledEmail(t *testing.T) {
	t.Parallel()
	s := startSubShop(t)
	deliverOK(t, s.srv, cancelledEvent("evt-cancel-1"))
	expectEmail(t, awaitMail(t, s.smtp, "subscription cancelled"), "Your subscription has been cancelled",
		[]string{"Cancelled on: 3 March 2026", "Coffee Club Beans <1kg> 2", "Mug 1"}, nil)
	expectNoMoreMail(t, s.smtp)
	for _, route := range []string{"GET /customers/cus_alice", "GET /skus/sku_coffee", "GET /skus/sku_mug"} {
		if got := s.dr.CallsTo(route); len(got) != 1 || got[0].Auth != "Bearer "+drKey {
			t.Errorf("%s: calls %+v, want one with the secret key", route, got)
		}
	}
}

func TestUpdatedTermsEmail(t *testing.T) {
	t.Parallel()
	s := startSubShop(t)
	cancelURL := s.srv.URL() + "/portal/subscriptions/" + subID + "/cancel"
	want := []string{"Plan: Monthly Coffee & Co", "Renews: every month", "Terms: Renews every month until cancelled.",
		"Coffee Club Beans <1kg> 2 $12.50", "Mug 1 $8.00", "You may cancel this subscription", cancelURL}

	deliverOK(t, s.srv, termsEvent("evt-terms-1"))
	c := expectEmail(t, awaitMail(t, s.smtp, "updated terms (plan)"), "The terms of your subscription have changed", want, nil)
	if got := links(c.HTML); !slices.Equal(got, []string{cancelURL}) {
		t.Errorf("HTML links = %q, want the cancel page %q", got, cancelURL)
	}
	if got := s.dr.CallsTo("GET /plans/" + planID); len(got) != 1 {
		t.Errorf("GET /plans/%s called %d times, want 1", planID, len(got))
	}

	// A change of items is a change of terms too.
	deliverOK(t, s.srv, updatedEvent("evt-terms-2", subscriptionObject(), map[string]any{"items": []any{map[string]any{"skuId": "sku_coffee", "price": 10.0, "quantity": 2}}}))
	expectEmail(t, awaitMail(t, s.smtp, "updated terms (items)"), "The terms of your subscription have changed", want, nil)
	expectNoMoreMail(t, s.smtp)
}

func TestSubscriptionUpdatesWithoutEmail(t *testing.T) {
	t.Parallel()
	s := startSubShop(t)
	sub := subscriptionObject()
	for i, prev := range []map[string]any{
		// Activation.
		{"state": "draft", "stateTransitions": map[string]any{"activated": nil}, "sourceId": nil, "nextInvoiceDate": nil},
		// A new card.
		{"sourceId": "src_old"},
		// Metadata.
		{"metadata": nil},
		// An update that changed nothing (DR still emits the event).
		{},
	} {
		deliverOK(t, s.srv, updatedEvent(fmt.Sprint("evt-quiet-", i), sub, prev))
	}
	// The end of a subscription (autoRenewal false): no notification.
	ended := subscriptionObject()
	ended["state"] = "ended"
	deliverOK(t, s.srv, updatedEvent("evt-quiet-d", ended, map[string]any{"state": "active"}))
	expectNoMoreMail(t, s.smtp)
	if calls := s.dr.Calls(); len(calls) != 0 {
		t.Errorf("DR calls for updates that need no email: %+v", calls)
	}
}

func TestBillingFailedEmail(t *testing.T) {
	t.Parallel()
	s := startSubShop(t)
	deliverOK(t, s.srv, paymentFailedEvent("evt-pf-1"))
	methods := s.srv.URL() + "/portal/payment-methods"
	c := expectEmail(t, awaitMail(t, s.smtp, "billing failed"), "We could not charge your card – Monthly Coffee & Co",
		append([]string{methods}, paymentFailedShows...), nil)
	if got := links(c.HTML); !slices.Equal(got, []string{methods}) {
		t.Errorf("HTML links = %q, want the payment methods page %q", got, methods)
	}
	expectNoMoreMail(t, s.smtp)
}

func TestSubscriptionFailedEmail(t *testing.T) {
	t.Parallel()
	s := startSubShop(t)
	deliverOK(t, s.srv, failedEvent("evt-failed-1"))
	portal := s.srv.URL() + "/portal"
	c := expectEmail(t, awaitMail(t, s.smtp, "subscription failed"), "Your subscription has ended – payment failed",
		append([]string{"To reactivate, subscribe again at " + portal}, failedShows...), nil)
	if got := links(c.HTML); !slices.Equal(got, []string{portal}) {
		t.Errorf("HTML links = %q, want the portal %q", got, portal)
	}
	expectNoMoreMail(t, s.smtp)
	if got := s.dr.CallsTo("GET /plans/" + planID); len(got) != 1 {
		t.Errorf("GET /plans/%s called %d times, want 1", planID, len(got))
	}
}

func TestSubscriptionEmailRecipient(t *testing.T) {
	t.Parallel()
	s := startSubShop(t)
	// No email on the invoice: the customer's.
	sub, inv := subscriptionObject(), invoiceObject("open")
	delete(inv, "email")
	inv["attemptCount"] = 1
	deliverOK(t, s.srv, pairEvent("evt-rcpt-1", "subscription.payment_failed", sub, inv))
	expectEmail(t, awaitMail(t, s.smtp, "billing failed"), "We could not charge your card – Monthly Coffee & Co", []string{"Attempt 1"}, nil)
	if got := s.dr.CallsTo("GET /customers/cus_alice"); len(got) != 1 {
		t.Errorf("GET /customers/cus_alice called %d times, want 1", len(got))
	}

	// The invoice's email wins over the customer's.
	inv = invoiceObject("draft")
	inv["email"] = "Bob <bob@example.test>"
	deliverOK(t, s.srv, pairEvent("evt-rcpt-2", "subscription.reminder", sub, inv))
	if m := awaitMail(t, s.smtp, "reminder to bob"); !slices.Equal(m.To, []string{"bob@example.test"}) {
		t.Errorf("RCPT TO = %v, want [bob@example.test]", m.To)
	}
	expectNoMoreMail(t, s.smtp)
}

func TestSubscriptionWebhookEdgeCases(t *testing.T) {
	t.Parallel()
	s := startSubShop(t)
	noNext := subscriptionObject()
	delete(noNext, "nextInvoiceDate")
	noCustomer := subscriptionObject()
	delete(noCustomer, "customerId")
	unpaid := invoiceObject("paid")
	delete(unpaid, "orderId")
	badEmail := invoiceObject("draft")
	badEmail["email"] = "not an address"
	for _, tc := range []struct {
		name string
		body []byte
		want int
	}{
		{"pair without subscription id", eventJSON("evt-se-1", "subscription.reminder", mustJSON(map[string]any{"invoice": invoiceObject("draft")})), http.StatusBadRequest},
		{"reminder without nextInvoiceDate", pairEvent("evt-se-2", "subscription.reminder", noNext, invoiceObject("draft")), http.StatusBadRequest},
		{"renewal without orderId", pairEvent("evt-se-3", "subscription.extended", subscriptionObject(), unpaid), http.StatusBadRequest},
		{"invoice email not an address", pairEvent("evt-se-4", "subscription.reminder", subscriptionObject(), badEmail), http.StatusBadRequest},
		{"cancellation without customer", updatedEvent("evt-se-5", noCustomer, map[string]any{"state": "active"}), http.StatusBadRequest},
		{"failed without customer", eventJSON("evt-se-6", "subscription.failed", mustJSON(noCustomer)), http.StatusBadRequest},
		{"previousAttributes null: nothing to do", updatedEvent("evt-se-7", subscriptionObject(), nil), http.StatusAccepted},
		{"previousAttributes not an object", mustJSON(map[string]any{"id": "evt-se-9", "type": "subscription.updated",
			"data": map[string]any{"object": subscriptionObject(), "previousAttributes": "planId"}}), http.StatusBadRequest},
		{"not an object", eventJSON("evt-se-8", "subscription.failed", json.RawMessage(`"x"`)), http.StatusBadRequest},
	} {
		if code, text := deliver(t, s.srv, tc.body, signNow(tc.body)); code != tc.want {
			t.Errorf("%s: status %d %q, want %d", tc.name, code, text, tc.want)
		}
	}
	expectNoMoreMail(t, s.smtp)
}

// --- Defects -------------------------------------------------------------

func TestSubscriptionDefects(t *testing.T) {
	t.Parallel()
	type email struct {
		subject       string
		want, notWant []string
		links         []string // the HTML part's links, exactly
	}
	for _, tc := range []struct {
		defect string
		event  func(id string) []byte
		emails func(url string) []email // with the defect
	}{
		{merchant.DefectNoAcquisitionEmail, func(id string) []byte { return subscriptionOrderAccepted(id, "250000030336") },
			func(string) []email {
				return []email{{"Order confirmation – order 250000030336", []string{"Coffee Beans 2 $25.00", "Grinder 1 $16.00"}, nil, nil}}
			}},
		{merchant.DefectNoTrialConversion, trialConversionEvent, func(string) []email { return nil }},
		{merchant.DefectReminderWithoutDate, reminderEvent, func(url string) []email {
			return []email{{"Your subscription renews soon", reminderShows, []string{"22 December 2026", "December", "Next payment"}, []string{url + "/portal"}}}
		}},
		{merchant.DefectRenewalWithoutOrder, renewalEvent, func(string) []email {
			return []email{{"Your subscription has renewed", renewalShows, []string{renewalOrder, "Order number"}, nil}}
		}},
		{merchant.DefectCancelledWithoutProduct, cancelledEvent, func(string) []email {
			return []email{{"Your subscription has been cancelled", []string{"Cancelled on: 3 March 2026", "cancelled"}, []string{"Coffee", "Mug"}, nil}}
		}},
		{merchant.DefectTermsWithoutCancel, termsEvent, func(url string) []email {
			return []email{{"The terms of your subscription have changed",
				[]string{"Plan: Monthly Coffee & Co", "Terms: Renews every month until cancelled.", "Coffee Club Beans <1kg> 2 $12.50", "Mug 1 $8.00"},
				[]string{"You may cancel", "/cancel", url}, nil}}
		}},
		{merchant.DefectBillingFailedNoLink, paymentFailedEvent, func(url string) []email {
			return []email{{"We could not charge your card – Monthly Coffee & Co", paymentFailedShows, []string{"/portal/payment-methods", url}, nil}}
		}},
		{merchant.DefectFailedNoReactivation, failedEvent, func(url string) []email {
			return []email{{"Your subscription has ended – payment failed", failedShows, []string{"reactivate", url}, nil}}
		}},
		{merchant.DefectNoExpiryCheck, func(id string) []byte {
			inv := invoiceObject("draft")
			inv["payment"] = map[string]any{"sources": []any{card("MasterCard", "0008", 11, 2026)}}
			return pairEvent(id, "subscription.reminder", subscriptionObject(), inv)
		}, func(url string) []email {
			return []email{{"Your subscription renews on 22 December 2026", append([]string{"Next payment: 22 December 2026"}, reminderShows...), nil, []string{url + "/portal"}}}
		}},
	} {
		t.Run(tc.defect, func(t *testing.T) {
			t.Parallel()
			s := startSubShop(t, tc.defect)
			deliverOK(t, s.srv, tc.event("evt-defect-"+tc.defect))
			for _, e := range tc.emails(s.srv.URL()) {
				c := expectEmail(t, awaitMail(t, s.smtp, e.subject), e.subject, e.want, e.notWant)
				if got := links(c.HTML); !slices.Equal(got, e.links) {
					t.Errorf("%s: HTML links = %q, want %q", e.subject, got, e.links)
				}
			}
			expectNoMoreMail(t, s.smtp)
		})
	}
}

// Every defect of this file is known to KnownDefects.
func TestSubscriptionDefectsAreKnown(t *testing.T) {
	known := map[string]bool{}
	for _, d := range merchant.KnownDefects() {
		known[d.Name] = true
	}
	for _, name := range []string{
		merchant.DefectNoAcquisitionEmail, merchant.DefectNoTrialConversion, merchant.DefectReminderWithoutDate,
		merchant.DefectRenewalWithoutOrder, merchant.DefectCancelledWithoutProduct, merchant.DefectTermsWithoutCancel,
		merchant.DefectBillingFailedNoLink, merchant.DefectFailedNoReactivation, merchant.DefectNoExpiryCheck,
		merchant.DefectSlowAck, merchant.DefectNeverActivate,
	} {
		if !known[name] {
			t.Errorf("defect %q is not in KnownDefects (%v)", name, slices.Sorted(maps.Keys(known)))
		}
	}
}

func TestPortalCancelsSubscription(t *testing.T) {
	t.Parallel()
	s := startSubShop(t)
	s.dr.setCustomer("cus_bob", "bob@example.test")
	s.dr.setSubscription(subID, "cus_alice", planID, "active")
	s.dr.setSubscription("sub_bob", "cus_bob", planID, "active")
	page := "/portal/subscriptions/" + subID + "/cancel"

	// Signed out: the sign-in form.
	b := newBrowser(t, s.srv)
	expectRedirect(t, "signed out", b.get(page), "/portal/login")
	expectRedirect(t, "signed out", b.post(page, nil), "/portal/login")

	b.login(customer)
	p := b.get(page)
	expectPage(t, "cancel page", p, http.StatusOK)
	if !strings.Contains(p.Body, subID) || !strings.Contains(p.Body, "Monthly Coffee &amp; Co") ||
		!strings.Contains(p.Body, `action="`+page+`"`) {
		t.Errorf("cancel page does not show the subscription and its form:\n%s", p.Body)
	}
	// Someone else's subscription, or none: not found, nothing cancelled.
	for _, other := range []string{"sub_bob", "sub_none"} {
		expectPage(t, other, b.post("/portal/subscriptions/"+other+"/cancel", nil), http.StatusNotFound)
	}
	if got := s.dr.subscriptionState("sub_bob"); got != "active" {
		t.Errorf("bob's subscription is %v, want active", got)
	}

	p = b.post(page, nil)
	expectPage(t, "cancelled", p, http.StatusOK)
	if !strings.Contains(p.Body, "Subscription cancelled") {
		t.Errorf("answer to the cancellation:\n%s", p.Body)
	}
	calls := s.dr.CallsTo("POST /subscriptions/" + subID)
	if len(calls) != 1 || !sameJSON(t, calls[0].Body, `{"state":"cancelled"}`) || calls[0].Auth != "Bearer "+drKey {
		t.Errorf("DR calls %+v, want one POST {\"state\":\"cancelled\"} with the secret key", calls)
	}
	// Cancelled already: nothing more to cancel.
	expectPage(t, "cancelled again", b.post(page, nil), http.StatusOK)
	if got := len(s.dr.CallsTo("POST /subscriptions/" + subID)); got != 1 {
		t.Errorf("POST /subscriptions/%s called %d times, want 1", subID, got)
	}
	// The email comes from DR's subscription.updated.
	expectNoMoreMail(t, s.smtp)
}
