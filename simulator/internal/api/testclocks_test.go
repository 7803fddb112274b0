package api_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

type testClockView struct {
	ID         string    `json:"id"`
	FrozenTime time.Time `json:"frozenTime"`
	Status     string    `json:"status"`
	Customers  int       `json:"customers"`
}

// newTestClock creates a test clock frozen at start.
func (c client) newTestClock(start time.Time) testClockView {
	c.e.t.Helper()
	var tc testClockView
	c.must("POST", "/_sim/test-clocks", map[string]any{"frozenTime": start}, http.StatusCreated, &tc)
	return tc
}

// clockSubscriber creates a customer on clock clk with a saved card and a
// monthly subscription bought through an accepted order; it returns the
// customer and the subscription as activated.
func (c client) clockSubscriber(clk, planID, sku, email string) (string, subscription) {
	c.e.t.Helper()
	var cu idOnly
	c.must("POST", "/_sim/test-clocks/"+clk+"/customers", map[string]any{"email": email}, http.StatusCreated, &cu)
	card := c.createCard("5466160000000008")
	c.must("POST", "/customers/"+cu.ID+"/sources/"+card.ID, nil, http.StatusOK, nil)
	var o struct {
		ID    string `json:"id"`
		Items []struct {
			SubscriptionInfo struct {
				SubscriptionID string `json:"subscriptionId"`
			} `json:"subscriptionInfo"`
		} `json:"items"`
	}
	c.must("POST", "/_sim/orders", map[string]any{
		"customerId": cu.ID,
		"items": []map[string]any{{"skuId": sku, "quantity": 1, "price": 10.0,
			"subscriptionInfo": map[string]any{"planId": planID, "terms": "Monthly", "autoRenewal": true}}},
	}, http.StatusCreated, &o)
	c.accept(o.ID)
	var s subscription
	// As the merchant does after order.accepted.
	c.must("POST", "/subscriptions/"+o.Items[0].SubscriptionInfo.SubscriptionID, map[string]string{"state": "active"}, http.StatusOK, &s)
	return cu.ID, s
}

// Two customers of one account on two test clocks: each clock's advance
// runs only its own customer's renewals, at that clock's times.
func TestTwoTestClocksAdvanceIndependently(t *testing.T) {
	e := newEnv(t, 0)
	c := e.newAccount().secret
	var p plan
	c.must("POST", "/plans", map[string]any{"name": "Monthly", "interval": "month"}, http.StatusCreated, &p)
	sku := c.createSKU("Magazine")
	startA := time.Date(2030, 1, 10, 9, 0, 0, 0, time.UTC)
	startB := time.Date(2031, 6, 1, 12, 0, 0, 0, time.UTC)
	clkA, clkB := c.newTestClock(startA), c.newTestClock(startB)
	custA, subA := c.clockSubscriber(clkA.ID, p.ID, sku, "a@example.test")
	custB, subB := c.clockSubscriber(clkB.ID, p.ID, sku, "b@example.test")
	if !subA.StateTransitions["activated"].Equal(startA) || !subB.StateTransitions["activated"].Equal(startB) {
		t.Fatalf("activated at %s and %s, want each clock's time %s and %s", subA.StateTransitions["activated"], subB.StateTransitions["activated"], startA, startB)
	}

	m := c.moveClock(clkA.ID, map[string]string{"advance": "1000h"}) // ~41 days: one renewal of A
	if want := []string{"invoice.created", "invoice.open", "invoice.updated", "subscription.extended", "invoice.paid", "invoice.updated"}; !reflect.DeepEqual(m.types(), want) {
		t.Fatalf("advancing clock A recorded %v, want %v", m.types(), want)
	}
	for _, ev := range m.Events {
		if !ev.CreatedTime.Equal(*subA.NextInvoiceDate) {
			t.Errorf("%s at %s, want A's renewal time %s", ev.Type, ev.CreatedTime, subA.NextInvoiceDate)
		}
	}
	var a2, b2 subscription
	c.must("GET", "/subscriptions/"+subA.ID, nil, http.StatusOK, &a2)
	c.must("GET", "/subscriptions/"+subB.ID, nil, http.StatusOK, &b2)
	if !a2.NextInvoiceDate.Equal(subA.NextInvoiceDate.AddDate(0, 1, 0)) {
		t.Fatalf("A's next invoice %s, want a month after %s", a2.NextInvoiceDate, subA.NextInvoiceDate)
	}
	if !b2.NextInvoiceDate.Equal(*subB.NextInvoiceDate) {
		t.Fatalf("B's next invoice moved to %s with A's clock, want %s", b2.NextInvoiceDate, subB.NextInvoiceDate)
	}
	var gotB testClockView
	c.must("GET", "/_sim/test-clocks/"+clkB.ID, nil, http.StatusOK, &gotB)
	if !gotB.FrozenTime.Equal(startB) || gotB.Customers != 1 {
		t.Fatalf("clock B %+v, want still at %s with 1 customer", gotB, startB)
	}

	m = c.moveClock(clkB.ID, map[string]string{"frozenTime": subB.NextInvoiceDate.Add(time.Minute).Format(time.RFC3339Nano)})
	if len(m.Events) != 6 || m.Events[3].Type != "subscription.extended" || !m.Events[3].CreatedTime.Equal(*subB.NextInvoiceDate) {
		t.Fatalf("advancing clock B recorded %v, want B's renewal at %s", m.Events, subB.NextInvoiceDate)
	}
	var invA, invB page[invoice]
	c.must("GET", "/invoices?customerId="+custA, nil, http.StatusOK, &invA)
	c.must("GET", "/invoices?customerId="+custB, nil, http.StatusOK, &invB)
	if len(invA.Data) != 1 || len(invB.Data) != 1 {
		t.Fatalf("invoices A %d, B %d; want one renewal each", len(invA.Data), len(invB.Data))
	}
}

// A merchant asks for a link that lives 30 days from its own wall clock;
// the customer's clock is two years ahead. The link works there, and
// expires 30 days later on that clock.
func TestLinkLifetimeOnTheCustomersClock(t *testing.T) {
	e := newEnv(t, 0)
	c := e.newAccount().secret
	ahead := time.Now().UTC().AddDate(2, 0, 0).Truncate(time.Second)
	clk := c.newTestClock(ahead)
	var cu idOnly
	c.must("POST", "/_sim/test-clocks/"+clk.ID+"/customers", map[string]any{"email": "ahead@example.test"}, http.StatusCreated, &cu)
	o := c.placeOrder(cu.ID, c.createSKU("Widget"))
	var got docOrder
	c.must("POST", "/_sim/orders/"+o.ID+"/accept", nil, http.StatusOK, &got)
	if len(got.InvoicePDFs) != 1 {
		t.Fatalf("invoicePDFs %+v, want one", got.InvoicePDFs)
	}
	var f file
	c.must("GET", "/files/"+got.InvoicePDFs[0].ID, nil, http.StatusOK, &f)
	if f.CreatedTime.Before(ahead) {
		t.Fatalf("invoice file created at %s, want the customer's clock time %s", f.CreatedTime, ahead)
	}

	asked := time.Now().Add(30 * 24 * time.Hour) // the merchant's now + 30 days
	var l fileLink
	c.must("POST", "/file-links", map[string]any{"fileId": f.ID, "expiresTime": asked.UTC().Format(time.RFC3339)}, http.StatusCreated, &l)
	if l.Expired || l.ExpiresTime.Before(ahead.Add(29*24*time.Hour)) || l.ExpiresTime.After(ahead.Add(30*24*time.Hour)) {
		t.Fatalf("link %+v: want it to expire 30 days after the clock's %s", l, ahead)
	}
	if resp, _ := get(t, l.URL, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("link download on the clock two years ahead: %d, want 200", resp.StatusCode)
	}
	c.moveClock(clk.ID, map[string]string{"advance": "744h"}) // 31 days
	if resp, _ := get(t, l.URL, ""); resp.StatusCode != http.StatusGone {
		t.Fatalf("link after 31 days on the clock: %d, want 410", resp.StatusCode)
	}
	var after fileLink
	c.must("GET", "/file-links/"+l.ID, nil, http.StatusOK, &after)
	if !after.Expired {
		t.Fatalf("link %+v after 31 days on the clock, want expired", after)
	}
	// A link with wall-time expiry in the past is still refused.
	c.mustError("POST", "/file-links", map[string]any{"fileId": f.ID, "expiresTime": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)},
		http.StatusBadRequest, "invalid_parameter", "expiresTime")
}

// An advance that would record too many events is refused before anything
// changes: the clock, subscriptions, invoices and events stay as they were.
func TestRefusedAdvanceChangesNothing(t *testing.T) {
	e := newEnv(t, 0)
	c := e.newAccount().secret
	var p plan
	c.must("POST", "/plans", map[string]any{"name": "Daily", "interval": "day"}, http.StatusCreated, &p)
	sku := c.createSKU("Daily paper")
	clk := c.newTestClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	for _, email := range []string{"d1@example.test", "d2@example.test", "d3@example.test", "d4@example.test"} {
		c.clockSubscriber(clk.ID, p.ID, sku, email)
	}
	snapshot := func() [4]string {
		return [4]string{
			string(c.must("GET", "/_sim/test-clocks/"+clk.ID, nil, http.StatusOK, nil)),
			string(c.must("GET", "/subscriptions?limit=100", nil, http.StatusOK, nil)),
			string(c.must("GET", "/invoices?limit=100", nil, http.StatusOK, nil)),
			string(c.must("GET", "/events?limit=100", nil, http.StatusOK, nil)),
		}
	}
	before := snapshot()
	// 4 daily subscriptions for ~4 years: far more than one advance may record.
	c.mustError("POST", "/_sim/test-clocks/"+clk.ID+"/advance", map[string]string{"advance": "35000h"}, http.StatusBadRequest, "invalid_parameter", "frozenTime")
	if after := snapshot(); after != before {
		t.Fatalf("a refused advance changed state:\nbefore %v\nafter  %v", before, after)
	}
	// A shorter advance of the same clock goes through.
	if m := c.moveClock(clk.ID, map[string]string{"advance": "48h"}); len(m.Events) == 0 {
		t.Fatal("a 48h advance of four daily subscriptions recorded nothing")
	}
}

// Deleting a test clock takes its customers and their resources with it;
// deleting an account makes its keys and links unknown.
func TestDeleteTestClockAndAccount(t *testing.T) {
	e := newEnv(t, 0)
	acct := e.newAccount()
	c := acct.secret
	clk := c.newTestClock(time.Now().UTC())
	var cu idOnly
	c.must("POST", "/_sim/test-clocks/"+clk.ID+"/customers", map[string]any{"email": "gone@example.test"}, http.StatusCreated, &cu)
	o := c.placeOrder(cu.ID, c.createSKU("Widget"))
	var got docOrder
	c.must("POST", "/_sim/orders/"+o.ID+"/accept", nil, http.StatusOK, &got)
	var l fileLink
	c.must("POST", "/file-links", map[string]any{"fileId": got.InvoicePDFs[0].ID, "expiresTime": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, http.StatusCreated, &l)
	keep := c.createCustomer("kept@example.test")

	c.must("DELETE", "/_sim/test-clocks/"+clk.ID, nil, http.StatusNoContent, nil)
	c.mustError("GET", "/_sim/test-clocks/"+clk.ID, nil, http.StatusNotFound, "not_found", "id")
	c.mustError("GET", "/customers/"+cu.ID, nil, http.StatusNotFound, "not_found", "id")
	c.mustError("GET", "/orders/"+o.ID, nil, http.StatusNotFound, "not_found", "id")
	if resp, _ := get(t, l.URL, ""); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("link of a deleted clock's order: %d, want 404", resp.StatusCode)
	}
	c.must("GET", "/customers/"+keep, nil, http.StatusOK, nil)

	other := e.newAccount().secret
	o2, _ := acceptedWithInvoice(t, other, "Gadget")
	var l2 fileLink
	other.must("POST", "/file-links", map[string]any{"fileId": o2.InvoicePDFs[0].ID, "expiresTime": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, http.StatusCreated, &l2)
	other.must("DELETE", "/_sim/account", nil, http.StatusNoContent, nil)
	if status, _ := other.do("GET", "/customers", nil); status != http.StatusUnauthorized {
		t.Fatalf("a deleted account's key: %d, want 401", status)
	}
	if resp, _ := get(t, l2.URL, ""); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("link of a deleted account: %d, want 404", resp.StatusCode)
	}
	c.must("GET", "/customers/"+keep, nil, http.StatusOK, nil) // other accounts are untouched
}

// An advance that says neither how far nor to when names both ways to say it.
func TestAdvanceWithNothingNamesWhatIsAccepted(t *testing.T) {
	e := newEnv(t, 0)
	c := e.newAccount().secret
	clk := c.newTestClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	got := c.mustError("POST", "/_sim/test-clocks/"+clk.ID+"/advance", map[string]string{}, http.StatusBadRequest, "missing_parameter", "frozenTime")
	for _, want := range []string{"'advance'", "720h", "'frozenTime'", "2027-01-01T00:00:00Z"} {
		if !strings.Contains(got.Errors[0].Message, want) {
			t.Errorf("advance {}: message %q does not say %s", got.Errors[0].Message, want)
		}
	}
}
