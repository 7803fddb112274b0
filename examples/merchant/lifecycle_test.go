package merchant_test

import (
	"encoding/json"
	"html"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/drsim/drsim/examples/merchant"
)

// shop is a merchant wired to a fake SMTP server and a fake DR.
type shop struct {
	srv  *merchant.Server
	smtp *fakeSMTP
	dr   *fakeDR
}

func startShop(t *testing.T, defects ...string) shop {
	t.Helper()
	smtp := startFakeSMTP(t)
	dr := startFakeDR(t)
	srv := startMerchant(t, smtp, func(c *merchant.Config) {
		c.DRBaseURL = dr.URL
		c.DRSecretKey = drKey
		c.Defects = defects
	})
	return shop{srv, smtp, dr}
}

// line is an order line of the canned orders.
type line struct {
	ID, SKU, Name string
	Quantity      int
	State         string
}

var (
	widget = line{"127911830336", "sku_widget", "Widget", 2, "created"}
	bolts  = line{"127911840336", "sku_bolts", "Bolts & Nuts <M4>", 1, "created"}
)

func (l line) in(state string) line { l.State = state; return l }

const customer = "alice@example.test"

// orderJSON is an Order as GET /orders/{id} and order.* events carry it.
func orderJSON(id, state string, lines ...line) json.RawMessage {
	items := []map[string]any{}
	for _, l := range lines {
		items = append(items, map[string]any{
			"id": l.ID, "skuId": l.SKU, "productDetails": map[string]any{"name": l.Name},
			"quantity": l.Quantity, "amount": 10.0 * float64(l.Quantity), "state": l.State,
		})
	}
	b, err := json.Marshal(map[string]any{
		"id": id, "email": customer, "currency": "USD", "locale": "en_US", "state": state,
		"items": items, "totalAmount": 27.01, "liveMode": false,
	})
	if err != nil {
		panic(err)
	}
	return b
}

// entry is one item of a fulfillment.
type entry struct {
	ItemID         string `json:"itemId"`
	SKUID          string `json:"skuId"`
	Quantity       int    `json:"quantity"`
	CancelQuantity int    `json:"cancelQuantity"`
}

func ship(l line, n int) entry   { return entry{l.ID, l.SKU, n, 0} }
func cancel(l line, n int) entry { return entry{l.ID, l.SKU, 0, n} }

type tracking struct{ Company, Number, URL string }

// fulfillmentObject is a Fulfillment with its orderDetails (docs/events.md#order-and-fulfillment-events):
// the order before this fulfillment, without payment.
func fulfillmentObject(orderID string, tr tracking, entries ...entry) json.RawMessage {
	b, err := json.Marshal(map[string]any{
		"id": "ful_" + orderID, "createdTime": "2026-03-28T18:23:52Z", "orderId": orderID,
		"items": entries, "trackingCompany": tr.Company, "trackingNumber": tr.Number, "trackingUrl": tr.URL,
		"liveMode": false, "orderDetails": orderJSON(orderID, "accepted", widget, bolts),
	})
	if err != nil {
		panic(err)
	}
	return b
}

// eventJSON is an event envelope around object.
func eventJSON(id, typ string, object json.RawMessage) []byte {
	b, err := json.Marshal(map[string]any{
		"id": id, "type": typ, "liveMode": false, "createdTime": "2026-03-28T18:23:52.939306Z",
		"data": map[string]any{"object": object},
	})
	if err != nil {
		panic(err)
	}
	return b
}

// deliverOK delivers a signed event and requires a 202: its work queued.
func deliverOK(t *testing.T, srv *merchant.Server, body []byte) {
	t.Helper()
	if code, text := deliver(t, srv, body, signNow(body)); code != http.StatusAccepted {
		t.Fatalf("webhook: status %d %q, want 202", code, text)
	}
}

// expectEmail decodes m and checks its recipient, subject, and that both
// parts show every string of want and none of notWant.
func expectEmail(t *testing.T, m received, subject string, want, notWant []string) confirmation {
	t.Helper()
	if len(m.To) != 1 || m.To[0] != customer {
		t.Errorf("RCPT TO = %v, want [%s]", m.To, customer)
	}
	c := parseConfirmation(t, m)
	if c.Subject != subject {
		t.Errorf("Subject = %q, want %q", c.Subject, subject)
	}
	checkBothParts(t, c, func(part, text string) {
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s part of %q: %q not found; text was:\n%s", part, subject, w, text)
			}
		}
		for _, nw := range notWant {
			if strings.Contains(text, nw) {
				t.Errorf("%s part of %q: %q present; text was:\n%s", part, subject, nw, text)
			}
		}
	})
	return c
}

var hrefs = regexp.MustCompile(`href="([^"]*)"`)

// links returns the href targets of an HTML part.
func links(htmlPart string) []string {
	var out []string
	for _, m := range hrefs.FindAllStringSubmatch(htmlPart, -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	return out
}

// sameJSON reports whether a and b are the same JSON value.
func sameJSON(t *testing.T, got, want string) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Errorf("not JSON: %v: %s", err, got)
		return false
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want is not JSON: %v: %s", err, want)
	}
	return reflect.DeepEqual(g, w)
}

func TestSplitShipmentSendsOneEmailPerShipment(t *testing.T) {
	t.Parallel()
	s := startShop(t)
	fedex := tracking{"FedEx", "Z10100002632653", "https://www.fedex.example/track?n=Z101&lang=en"}
	ups := tracking{"UPS", "1Z999AA10123456784", "https://ups.example/1Z999AA10123456784"}

	deliverOK(t, s.srv, eventJSON("evt-ship-1", "fulfillment.created", fulfillmentObject("301", fedex, ship(widget, 2))))
	c := expectEmail(t, awaitMail(t, s.smtp, "first shipment email"), "Your order 301 has shipped",
		[]string{"301", "Widget 2", "Carrier: FedEx", "Tracking number: Z10100002632653", fedex.URL},
		[]string{"Bolts", "UPS"})
	if got := links(c.HTML); !reflect.DeepEqual(got, []string{fedex.URL}) {
		t.Errorf("HTML links = %q, want the tracking URL %q", got, fedex.URL)
	}

	deliverOK(t, s.srv, eventJSON("evt-ship-2", "fulfillment.created", fulfillmentObject("301", ups, ship(bolts, 1))))
	c = expectEmail(t, awaitMail(t, s.smtp, "second shipment email"), "Your order 301 has shipped",
		[]string{"301", "Bolts & Nuts <M4> 1", "Carrier: UPS", "Tracking number: 1Z999AA10123456784", ups.URL},
		[]string{"Widget", "FedEx"})
	if got := links(c.HTML); !reflect.DeepEqual(got, []string{ups.URL}) {
		t.Errorf("HTML links = %q, want the tracking URL %q", got, ups.URL)
	}
	expectNoMoreMail(t, s.smtp)
	if calls := s.dr.Calls(); len(calls) != 0 {
		t.Errorf("a shipment made DR calls: %+v", calls)
	}
}

func TestPartialCancellationEmail(t *testing.T) {
	t.Parallel()
	s := startShop(t)
	s.dr.setOrder("302", string(orderJSON("302", "accepted", widget.in("cancelled"), bolts)))

	deliverOK(t, s.srv, eventJSON("evt-pc-1", "fulfillment.created", fulfillmentObject("302", tracking{}, cancel(widget, 2))))
	expectEmail(t, awaitMail(t, s.smtp, "partial cancellation email"), "Cancellation confirmed – order 302",
		[]string{"302", "Part of your order", "Widget 2"}, []string{"Bolts", "shipped"})
	expectNoMoreMail(t, s.smtp)

	calls := s.dr.Calls()
	if len(calls) != 1 || calls[0].Method != "GET" || calls[0].Path != "/orders/302" || calls[0].Auth != "Bearer "+drKey {
		t.Errorf("DR calls = %+v, want one GET /orders/302 with the secret key", calls)
	}
}

func TestFullCancellationSendsOneEmail(t *testing.T) {
	t.Parallel()
	s := startShop(t)
	// Widget was cancelled earlier; this fulfillment cancels the rest, so
	// DR shows the order cancelled and sends order.cancelled.
	cancelled := orderJSON("303", "cancelled", widget.in("cancelled"), bolts.in("cancelled"))
	s.dr.setOrder("303", string(cancelled))

	deliverOK(t, s.srv, eventJSON("evt-fc-1", "fulfillment.created", fulfillmentObject("303", tracking{}, cancel(bolts, 1))))
	expectNoMoreMail(t, s.smtp)
	if got := len(s.dr.CallsTo("GET /orders/303")); got != 1 {
		t.Errorf("GET /orders/303 called %d times, want 1", got)
	}

	deliverOK(t, s.srv, eventJSON("evt-fc-2", "order.cancelled", cancelled))
	expectEmail(t, awaitMail(t, s.smtp, "full cancellation email"), "Cancellation confirmed – order 303",
		[]string{"303", "Your order", "has been cancelled", "Widget 2", "Bolts & Nuts <M4> 1"}, []string{"Part of"})
	expectNoMoreMail(t, s.smtp)
}

func TestFulfillmentRetryDoesNotResendItsFirstEmail(t *testing.T) {
	t.Parallel()
	s := startShop(t)
	s.dr.setOrder("304", string(orderJSON("304", "fulfilled", widget.in("fulfilled"), bolts.in("cancelled"))))
	s.dr.queue("GET /orders/304", http.StatusServiceUnavailable, drErrorJSON("service_unavailable", "", "try later"))
	body := eventJSON("evt-mixed-1", "fulfillment.created",
		fulfillmentObject("304", tracking{"DHL", "JD01", "https://dhl.example/JD01"}, ship(widget, 2), cancel(bolts, 1)))

	deliverOK(t, s.srv, body)
	expectEmail(t, awaitMail(t, s.smtp, "shipment email"), "Your order 304 has shipped", []string{"Widget 2", "JD01"}, []string{"Bolts"})
	// The merchant's retry.
	expectEmail(t, awaitMail(t, s.smtp, "cancellation email on retry"), "Cancellation confirmed – order 304",
		[]string{"Bolts & Nuts <M4> 1"}, []string{"Widget"})
	expectNoMoreMail(t, s.smtp)
	if got := len(s.dr.CallsTo("GET /orders/304")); got != 2 {
		t.Errorf("GET /orders/304 called %d times, want 2 (the failure and the retry)", got)
	}
}

// refundedOrder is an order.refunded object: two completed refunds (10.00
// and 11.60) and a failed one (5.00) on an order of 27.01.
func refundedOrder(id string) json.RawMessage {
	return json.RawMessage(`{"id":"` + id + `","email":"` + customer + `","currency":"USD",
	 "totalAmount":27.01,"refundedAmount":21.6,"availableToRefundAmount":5.41,"state":"complete",
	 "items":[{"id":"127911830336","productDetails":{"name":"Widget"},"quantity":2,"amount":20.0,"state":"fulfilled"}],
	 "payment":{"charges":[
	  {"id":"c1","state":"complete","refunded":true,"refunds":[
	   {"createdTime":"2022-08-08T15:07:43Z","amount":10.0,"state":"complete"},
	   {"createdTime":"2022-08-08T16:00:00Z","amount":5.0,"state":"failed"}]},
	  {"id":"c2","state":"complete","refunded":true,"refunds":[
	   {"createdTime":"2022-08-09T09:30:00.123Z","amount":11.6,"state":"complete"}]}]}}`)
}

func TestRefundConfirmation(t *testing.T) {
	t.Parallel()
	s := startShop(t)
	deliverOK(t, s.srv, eventJSON("evt-refund-1", "order.refunded", refundedOrder("305")))
	expectEmail(t, awaitMail(t, s.smtp, "refund confirmation"), "Refund confirmation – order 305",
		[]string{"305", "Total refunded $21.60", "8 August 2022 $10.00", "9 August 2022 $11.60"},
		[]string{"$5.00", "$27.01"})
	expectNoMoreMail(t, s.smtp)
}

func TestLifecycleWebhookEdgeCases(t *testing.T) {
	t.Parallel()
	s := startShop(t)
	for _, tc := range []struct {
		name string
		body []byte
		want int
	}{
		{"fulfillment without order id", eventJSON("evt-e1", "fulfillment.created", json.RawMessage(`{"items":[{"itemId":"1","quantity":1}]}`)), http.StatusBadRequest},
		{"fulfillment without email", eventJSON("evt-e2", "fulfillment.created", json.RawMessage(`{"orderId":"9","items":[{"itemId":"1","quantity":1}],"orderDetails":{"id":"9"}}`)), http.StatusBadRequest},
		{"fractional quantity", eventJSON("evt-e3", "fulfillment.created", json.RawMessage(`{"orderId":"9","items":[{"itemId":"1","quantity":1.5}],"orderDetails":{"email":"a@b.test"}}`)), http.StatusBadRequest},
		{"fulfillment without units", eventJSON("evt-e4", "fulfillment.created", json.RawMessage(`{"orderId":"9","items":[{"itemId":"1","quantity":0,"cancelQuantity":0}],"orderDetails":{"email":"a@b.test"}}`)), http.StatusAccepted},
		{"cancelled order without id", eventJSON("evt-e5", "order.cancelled", json.RawMessage(`{"email":"a@b.test"}`)), http.StatusBadRequest},
		{"refunded order without email", eventJSON("evt-e6", "order.refunded", json.RawMessage(`{"id":"9"}`)), http.StatusBadRequest},
	} {
		if code, text := deliver(t, s.srv, tc.body, signNow(tc.body)); code != tc.want {
			t.Errorf("%s: status %d %q, want %d", tc.name, code, text, tc.want)
		}
	}
	expectNoMoreMail(t, s.smtp)

	// A quantity sent as a numeric string, as in DR's own example, and an
	// item found by its SKU.
	body := eventJSON("evt-e7", "fulfillment.created", json.RawMessage(`{"orderId":"306","items":[{"skuId":"sku_bolts","quantity":"1"}],
	 "trackingCompany":"FedEx","trackingNumber":"Z1","trackingUrl":"https://fedex.example/Z1",
	 "orderDetails":`+string(orderJSON("306", "accepted", widget, bolts))+`}`))
	deliverOK(t, s.srv, body)
	expectEmail(t, awaitMail(t, s.smtp, "shipment by SKU"), "Your order 306 has shipped", []string{"Bolts & Nuts <M4> 1"}, []string{"Widget"})
}

// --- Defects -------------------------------------------------------------

func TestDefectOmitTrackingURL(t *testing.T) {
	t.Parallel()
	s := startShop(t, merchant.DefectOmitTrackingURL)
	tr := tracking{"FedEx", "Z10100002632653", "https://www.fedex.example/track?n=Z101"}
	deliverOK(t, s.srv, eventJSON("evt-d1", "fulfillment.created", fulfillmentObject("311", tr, ship(widget, 1))))
	c := expectEmail(t, awaitMail(t, s.smtp, "shipment email"), "Your order 311 has shipped",
		[]string{"311", "Widget 1", "Carrier: FedEx", "Tracking number: Z10100002632653"},
		[]string{"fedex.example", "Track your parcel"})
	if got := links(c.HTML); len(got) != 0 {
		t.Errorf("HTML links = %q, want none with omit-tracking-url", got)
	}
}

func TestDefectNoPartialCancelEmail(t *testing.T) {
	t.Parallel()
	s := startShop(t, merchant.DefectNoPartialCancelEmail)
	s.dr.setOrder("312", string(orderJSON("312", "accepted", widget.in("cancelled"), bolts)))
	deliverOK(t, s.srv, eventJSON("evt-d2", "fulfillment.created", fulfillmentObject("312", tracking{}, cancel(widget, 2))))
	expectNoMoreMail(t, s.smtp)

	// Full cancellations are still emailed.
	deliverOK(t, s.srv, eventJSON("evt-d3", "order.cancelled", orderJSON("312", "cancelled", widget.in("cancelled"), bolts.in("cancelled"))))
	expectEmail(t, awaitMail(t, s.smtp, "full cancellation email"), "Cancellation confirmed – order 312", []string{"Widget 2", "Bolts & Nuts <M4> 1"}, nil)
	expectNoMoreMail(t, s.smtp)
}

func TestDefectDoubleCancelEmail(t *testing.T) {
	t.Parallel()
	s := startShop(t, merchant.DefectDoubleCancelEmail)
	cancelled := orderJSON("313", "cancelled", widget.in("cancelled"), bolts.in("cancelled"))
	s.dr.setOrder("313", string(cancelled))

	deliverOK(t, s.srv, eventJSON("evt-d4", "fulfillment.created", fulfillmentObject("313", tracking{}, cancel(widget, 2), cancel(bolts, 1))))
	expectEmail(t, awaitMail(t, s.smtp, "cancellation email from fulfillment.created"), "Cancellation confirmed – order 313",
		[]string{"Part of your order", "Widget 2", "Bolts & Nuts <M4> 1"}, nil)
	deliverOK(t, s.srv, eventJSON("evt-d5", "order.cancelled", cancelled))
	expectEmail(t, awaitMail(t, s.smtp, "cancellation email from order.cancelled"), "Cancellation confirmed – order 313",
		[]string{"Your order", "has been cancelled", "Widget 2", "Bolts & Nuts <M4> 1"}, nil)
	expectNoMoreMail(t, s.smtp)
}

func TestDefectRefundShowsOrderTotal(t *testing.T) {
	t.Parallel()
	s := startShop(t, merchant.DefectRefundShowsOrderTotal)
	deliverOK(t, s.srv, eventJSON("evt-d6", "order.refunded", refundedOrder("314")))
	expectEmail(t, awaitMail(t, s.smtp, "refund confirmation"), "Refund confirmation – order 314",
		[]string{"314", "Total refunded $27.01"},
		[]string{"$21.60", "$10.00", "$11.60"})
}
