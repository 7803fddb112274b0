package merchant_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/drsim/drsim/examples/merchant"
)

const adminToken = "drsim-admin" // Config.AdminToken's default

// request sends body (JSON, or nothing when "") to the merchant and returns
// the status and the answer.
func request(t *testing.T, srv *merchant.Server, method, path string, headers map[string]string, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read answer: %v", method, path, err)
	}
	return resp.StatusCode, string(b)
}

// admin POSTs body to an admin endpoint with the admin token.
func admin(t *testing.T, srv *merchant.Server, path, body string) (int, string) {
	t.Helper()
	return request(t, srv, http.MethodPost, path, map[string]string{"X-Admin-Token": adminToken}, body)
}

// portal POSTs body to a portal endpoint.
func portal(t *testing.T, srv *merchant.Server, path, body string) (int, string) {
	t.Helper()
	return request(t, srv, http.MethodPost, path, nil, body)
}

// expectAnswer checks a status and a JSON answer.
func expectAnswer(t *testing.T, what string, code int, body string, wantCode int, wantBody string) {
	t.Helper()
	if code != wantCode || !sameJSON(t, body, wantBody) {
		t.Errorf("%s: %d %s, want %d %s", what, code, body, wantCode, wantBody)
	}
}

// expectDRBodies checks the bodies of the calls to route.
func expectDRBodies(t *testing.T, dr *fakeDR, route string, want ...string) {
	t.Helper()
	calls := dr.CallsTo(route)
	if len(calls) != len(want) {
		t.Fatalf("%d calls to DR %s, want %d: %+v", len(calls), route, len(want), calls)
	}
	for i, c := range calls {
		if c.Auth != "Bearer "+drKey {
			t.Errorf("DR %s call %d: Authorization %q, want the secret key", route, i+1, c.Auth)
		}
		if !sameJSON(t, c.Body, want[i]) {
			t.Errorf("DR %s call %d: body %s\nwant %s", route, i+1, c.Body, want[i])
		}
	}
}

func TestAdminShipmentCallsDR(t *testing.T) {
	t.Parallel()
	s := startShop(t)
	code, body := admin(t, s.srv, "/admin/orders/401/shipments",
		`{"items":[{"itemId":"127911830336","quantity":2},{"itemId":"127911840336","quantity":"1"}],
		  "carrier":"FedEx","trackingNumber":"Z1","trackingUrl":"https://fedex.example/Z1"}`)
	want := `{"orderId":"401","items":[{"itemId":"127911830336","quantity":2},{"itemId":"127911840336","quantity":1}],
	  "trackingCompany":"FedEx","trackingNumber":"Z1","trackingUrl":"https://fedex.example/Z1"}`
	expectDRBodies(t, s.dr, "POST /fulfillments", want)

	// The answer is DR's Fulfillment.
	var ful map[string]any
	if err := json.Unmarshal([]byte(body), &ful); code != http.StatusCreated || err != nil || ful["id"] != "ful_1" || ful["orderId"] != "401" {
		t.Errorf("shipment: %d %s, want 201 and DR's fulfillment", code, body)
	}
	expectNoMoreMail(t, s.smtp) // the email comes from fulfillment.created
}

func TestAdminCancellationCallsDR(t *testing.T) {
	t.Parallel()
	s := startShop(t)
	code, body := admin(t, s.srv, "/admin/orders/402/cancellations", `{"items":[{"itemId":"127911830336","quantity":2}]}`)
	if code != http.StatusCreated || !strings.Contains(body, `"id":"ful_1"`) {
		t.Errorf("cancellation: %d %s, want 201 and DR's fulfillment", code, body)
	}
	expectDRBodies(t, s.dr, "POST /fulfillments", `{"orderId":"402","items":[{"itemId":"127911830336","cancelQuantity":2}]}`)
	expectNoMoreMail(t, s.smtp)
}

func TestAdminPassesDRErrorsOn(t *testing.T) {
	t.Parallel()
	s := startShop(t)
	ship := `{"items":[{"itemId":"127911830336","quantity":1}],"carrier":"FedEx","trackingNumber":"Z1"}`

	conflict := drErrorJSON("conflict", "order_fulfilled", "The order has already been fulfilled.")
	s.dr.queue("POST /fulfillments", http.StatusConflict, conflict)
	code, body := admin(t, s.srv, "/admin/orders/403/shipments", ship)
	if code != http.StatusConflict || body != conflict {
		t.Errorf("DR 409: merchant answered %d %s, want 409 %s", code, body, conflict)
	}

	s.dr.queue("POST /fulfillments", http.StatusInternalServerError, drErrorJSON("internal_server_error", "", "boom"))
	if code, body := admin(t, s.srv, "/admin/orders/403/cancellations", ship); code != http.StatusBadGateway {
		t.Errorf("DR 500: merchant answered %d %s, want 502", code, body)
	}

	// Unknown order: DR's 404 as DR sent it.
	code, body = admin(t, s.srv, "/admin/orders/999/delays", `{"newDate":"2026-12-22"}`)
	if code != http.StatusNotFound || !strings.Contains(body, `"type":"not_found"`) || !strings.Contains(body, "Order '999' not found.") {
		t.Errorf("unknown order: %d %s, want DR's 404", code, body)
	}
	code, body = portal(t, s.srv, "/portal/orders/999/returns", `{"email":"`+customer+`","items":[{"itemId":"1","quantity":1}]}`)
	if code != http.StatusNotFound || !strings.Contains(body, `"not_found"`) {
		t.Errorf("return on unknown order: %d %s, want DR's 404", code, body)
	}

	// DR unreachable.
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	smtp := startFakeSMTP(t)
	offline := startMerchant(t, smtp, func(c *merchant.Config) { c.DRBaseURL = gone.URL; c.DRSecretKey = drKey })
	if code, body := admin(t, offline, "/admin/orders/403/shipments", ship); code != http.StatusBadGateway || !strings.Contains(body, `"error"`) {
		t.Errorf("DR unreachable: %d %s, want 502 with an error", code, body)
	}
	// No DR configured: every call fails, naming the setting.
	unset := startMerchant(t, smtp, func(c *merchant.Config) { c.DRBaseURL = "" })
	if code, body := admin(t, unset, "/admin/orders/403/shipments", ship); code != http.StatusBadGateway || !strings.Contains(body, "Config.DRBaseURL is not set") {
		t.Errorf("no DRBaseURL: %d %s, want 502 naming Config.DRBaseURL", code, body)
	}
	expectNoMoreMail(t, s.smtp)
}

func TestAdminRequiresToken(t *testing.T) {
	t.Parallel()
	s := startShop(t)
	body := `{"items":[{"itemId":"127911830336","quantity":1}]}`
	for _, tc := range []struct {
		name, path string
		headers    map[string]string
	}{
		{"no token", "/admin/orders/404/shipments", nil},
		{"wrong token", "/admin/orders/404/cancellations", map[string]string{"X-Admin-Token": "guess"}},
		{"token in another header", "/admin/orders/404/delays", map[string]string{"Authorization": "Bearer " + adminToken}},
		{"unknown admin path", "/admin/anything", nil},
	} {
		if code, text := request(t, s.srv, http.MethodPost, tc.path, tc.headers, body); code != http.StatusUnauthorized {
			t.Errorf("%s: %d %s, want 401", tc.name, code, text)
		}
	}
	if calls := s.dr.Calls(); len(calls) != 0 {
		t.Errorf("unauthorized requests reached DR: %+v", calls)
	}

	// Config.AdminToken replaces the default.
	smtp := startFakeSMTP(t)
	custom := startMerchant(t, smtp, func(c *merchant.Config) {
		c.DRBaseURL, c.DRSecretKey, c.AdminToken = s.dr.URL, drKey, "s3cret"
	})
	if code, _ := admin(t, custom, "/admin/orders/404/shipments", body); code != http.StatusUnauthorized {
		t.Errorf("default token on a merchant with its own: %d, want 401", code)
	}
	code, text := request(t, custom, http.MethodPost, "/admin/orders/404/shipments", map[string]string{"X-Admin-Token": "s3cret"}, body)
	if code != http.StatusCreated {
		t.Errorf("custom token: %d %s, want 201", code, text)
	}
}

func TestAdminAndPortalRejectBadRequests(t *testing.T) {
	t.Parallel()
	s := startShop(t)
	s.dr.setOrder("405", string(orderJSON("405", "accepted", widget, bolts)))
	for _, tc := range []struct {
		name, path, body string
	}{
		{"malformed JSON", "/admin/orders/405/shipments", `{"items":[`},
		{"empty body", "/admin/orders/405/shipments", ``},
		{"two JSON values", "/admin/orders/405/shipments", `{"items":[{"itemId":"1","quantity":1}]} {}`},
		{"no items", "/admin/orders/405/shipments", `{"carrier":"FedEx"}`},
		{"no item id", "/admin/orders/405/cancellations", `{"items":[{"quantity":1}]}`},
		{"zero quantity", "/admin/orders/405/cancellations", `{"items":[{"itemId":"1","quantity":0}]}`},
		{"fractional quantity", "/admin/orders/405/shipments", `{"items":[{"itemId":"1","quantity":1.5}]}`},
		{"negative quantity", "/admin/orders/405/shipments", `{"items":[{"itemId":"1","quantity":"-1"}]}`},
		{"date not YYYY-MM-DD", "/admin/orders/405/delays", `{"newDate":"22/12/2026"}`},
		{"no date", "/admin/orders/405/delays", `{}`},
		{"cancel request without email", "/portal/orders/405/cancel-request", `{"items":[{"itemId":"127911830336","quantity":1}]}`},
		{"cancel request for an unknown item", "/portal/orders/405/cancel-request", `{"email":"` + customer + `","items":[{"itemId":"nope","quantity":1}]}`},
		{"return without items", "/portal/orders/405/returns", `{"email":"` + customer + `","reason":"x"}`},
		{"return of an unknown item", "/portal/orders/405/returns", `{"email":"` + customer + `","items":[{"itemId":"nope","quantity":1}]}`},
	} {
		code, text := admin(t, s.srv, tc.path, tc.body)
		if code != http.StatusBadRequest || !strings.Contains(text, `"error"`) {
			t.Errorf("%s: %d %s, want 400 with an error", tc.name, code, text)
		}
	}
	for _, route := range []string{"POST /fulfillments", "POST /returns"} {
		if calls := s.dr.CallsTo(route); len(calls) != 0 {
			t.Errorf("bad requests reached DR %s: %+v", route, calls)
		}
	}
	expectNoMoreMail(t, s.smtp)
}

func TestCancelRequest(t *testing.T) {
	t.Parallel()
	s := startShop(t)
	// 406: Widget shipped, Bolts not yet.
	s.dr.setOrder("406", string(orderJSON("406", "accepted", widget.in("fulfilled"), bolts)))

	t.Run("not the order's email", func(t *testing.T) {
		code, body := portal(t, s.srv, "/portal/orders/406/cancel-request", `{"email":"mallory@example.test"}`)
		if code != http.StatusForbidden {
			t.Errorf("%d %s, want 403", code, body)
		}
		expectNoMoreMail(t, s.smtp)
	})

	t.Run("shipped item", func(t *testing.T) {
		code, body := portal(t, s.srv, "/portal/orders/406/cancel-request",
			`{"email":"`+customer+`","items":[{"itemId":"127911830336","quantity":2}]}`)
		var got struct{ Status, Reason string }
		if err := json.Unmarshal([]byte(body), &got); code != http.StatusConflict || err != nil || got.Status != "rejected" || got.Reason == "" {
			t.Errorf("%d %s, want 409 {\"status\":\"rejected\",\"reason\":…}", code, body)
		}
		expectEmail(t, awaitMail(t, s.smtp, "failed cancellation email"), "We could not cancel order 406",
			[]string{"406", "already shipped", "Widget 2"}, []string{"Bolts"})
		expectNoMoreMail(t, s.smtp)
	})

	t.Run("whole order after part shipped", func(t *testing.T) {
		code, body := portal(t, s.srv, "/portal/orders/406/cancel-request", `{"email":"`+customer+`"}`)
		if code != http.StatusConflict || !strings.Contains(body, `"rejected"`) {
			t.Errorf("%d %s, want 409 rejected", code, body)
		}
		expectEmail(t, awaitMail(t, s.smtp, "failed cancellation email"), "We could not cancel order 406", []string{"Widget 2"}, []string{"Bolts"})
	})

	t.Run("item not shipped", func(t *testing.T) {
		code, body := portal(t, s.srv, "/portal/orders/406/cancel-request",
			`{"email":"Alice <ALICE@example.test>","items":[{"itemId":"127911840336","quantity":1}]}`)
		expectAnswer(t, "cancel request", code, body, http.StatusAccepted, `{"status":"cancelling"}`)
		expectNoMoreMail(t, s.smtp) // the email comes from DR's events
	})
	if t.Failed() {
		return
	}
	expectDRBodies(t, s.dr, "POST /fulfillments", `{"orderId":"406","items":[{"itemId":"127911840336","cancelQuantity":1}]}`)

	t.Run("fulfilled order", func(t *testing.T) {
		s.dr.setOrder("407", string(orderJSON("407", "fulfilled", widget.in("fulfilled"), bolts.in("fulfilled"))))
		code, body := portal(t, s.srv, "/portal/orders/407/cancel-request", `{"email":"`+customer+`"}`)
		if code != http.StatusConflict || !strings.Contains(body, `"rejected"`) {
			t.Errorf("%d %s, want 409 rejected", code, body)
		}
		expectEmail(t, awaitMail(t, s.smtp, "failed cancellation email"), "We could not cancel order 407",
			[]string{"407", "Widget 2", "Bolts & Nuts <M4> 1"}, nil)
	})

	t.Run("whole order not shipped, from the cancel page's form", func(t *testing.T) {
		s.dr.setOrder("408", string(orderJSON("408", "accepted", widget, bolts)))
		req, err := http.NewRequest(http.MethodPost, s.srv.URL()+"/portal/orders/408/cancel-request",
			strings.NewReader(url.Values{"email": {customer}}.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		expectAnswer(t, "cancel request", resp.StatusCode, string(body), http.StatusAccepted, `{"status":"cancelling"}`)
		expectDRBodies(t, s.dr, "POST /fulfillments",
			`{"orderId":"406","items":[{"itemId":"127911840336","cancelQuantity":1}]}`,
			`{"orderId":"408","items":[{"itemId":"127911830336","cancelQuantity":2},{"itemId":"127911840336","cancelQuantity":1}]}`)
		expectNoMoreMail(t, s.smtp)
	})
}

func TestDelayNotices(t *testing.T) {
	t.Parallel()
	s := startShop(t)
	s.dr.setOrder("409", string(orderJSON("409", "accepted", widget, bolts)))
	cancelURL := s.srv.URL() + "/portal/orders/409/cancel"

	code, body := admin(t, s.srv, "/admin/orders/409/delays", `{"newDate":"2026-12-22"}`)
	expectAnswer(t, "first delay", code, body, http.StatusAccepted, `{"notice":1}`)
	c := expectEmail(t, awaitMail(t, s.smtp, "1st delay notice"), "Shipment delayed – order 409",
		[]string{"409", "22 December 2026", "You may cancel this order", cancelURL, "Widget 2"}, []string{"Second notice"})
	if got := links(c.HTML); !reflect.DeepEqual(got, []string{cancelURL}) {
		t.Errorf("HTML links = %q, want the cancel page %q", got, cancelURL)
	}

	for i, date := range []string{"2027-01-05", "2027-01-19"} {
		code, body := admin(t, s.srv, "/admin/orders/409/delays", `{"newDate":"`+date+`"}`)
		expectAnswer(t, "later delay", code, body, http.StatusAccepted, `{"notice":2}`)
		want := []string{"5 January 2027", "19 January 2027"}[i]
		c := expectEmail(t, awaitMail(t, s.smtp, "2nd delay notice"), "Second notice: shipment delayed – order 409",
			[]string{"409", "Second notice", want, "You may cancel this order", cancelURL}, []string{"22 December 2026"})
		if got := links(c.HTML); !reflect.DeepEqual(got, []string{cancelURL}) {
			t.Errorf("HTML links = %q, want the cancel page %q", got, cancelURL)
		}
	}

	// Delays are counted per order.
	s.dr.setOrder("410", string(orderJSON("410", "accepted", widget)))
	code, body = admin(t, s.srv, "/admin/orders/410/delays", `{"newDate":"2026-12-22"}`)
	expectAnswer(t, "other order", code, body, http.StatusAccepted, `{"notice":1}`)
	expectEmail(t, awaitMail(t, s.smtp, "1st delay notice of 410"), "Shipment delayed – order 410", []string{"22 December 2026"}, nil)

	// Nothing left to ship: nothing to delay.
	s.dr.setOrder("411", string(orderJSON("411", "fulfilled", widget.in("fulfilled"))))
	if code, body := admin(t, s.srv, "/admin/orders/411/delays", `{"newDate":"2026-12-22"}`); code != http.StatusConflict {
		t.Errorf("delay of a fulfilled order: %d %s, want 409", code, body)
	}
	expectNoMoreMail(t, s.smtp)

	// The link leads to the cancel page.
	resp, err := http.Get(cancelURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		!bytes.Contains(page, []byte(`action="/portal/orders/409/cancel-request"`)) {
		t.Errorf("GET %s: %d %s\n%s", cancelURL, resp.StatusCode, resp.Header.Get("Content-Type"), page)
	}
}

func TestReturnInstructions(t *testing.T) {
	t.Parallel()
	s := startShop(t)
	s.dr.setOrder("412", string(orderJSON("412", "complete", widget.in("fulfilled"), bolts.in("fulfilled"))))

	code, body := portal(t, s.srv, "/portal/orders/412/returns", `{"email":"mallory@example.test","items":[{"itemId":"127911830336","quantity":1}]}`)
	if code != http.StatusForbidden {
		t.Errorf("return by someone else: %d %s, want 403", code, body)
	}

	code, body = portal(t, s.srv, "/portal/orders/412/returns",
		`{"email":"`+customer+`","items":[{"itemId":"127911830336","quantity":1},{"itemId":"127911840336","quantity":1}],"reason":"Too small"}`)
	expectAnswer(t, "return", code, body, http.StatusCreated, `{"returnId":"ret_1"}`)
	expectDRBodies(t, s.dr, "POST /returns",
		`{"orderId":"412","reason":"Too small","items":[{"itemId":"127911830336","quantity":1},{"itemId":"127911840336","quantity":1}]}`)
	expectEmail(t, awaitMail(t, s.smtp, "return instructions"), "Return instructions – order 412",
		[]string{"412", "Return reference: ret_1", "Widget 1", "Bolts & Nuts <M4> 1",
			"Reference Shop Returns, 1 Warehouse Way, Springfield", "1. Pack", "2. Write the return reference ret_1", "3. Send", "4. "},
		nil)
	expectNoMoreMail(t, s.smtp)

	// DR refuses (too many units): its answer is passed on, no email.
	refusal := drErrorJSON("conflict", "quantity_too_large", "Quantity exceeds the returnable quantity.")
	s.dr.queue("POST /returns", http.StatusConflict, refusal)
	code, body = portal(t, s.srv, "/portal/orders/412/returns", `{"email":"`+customer+`","items":[{"itemId":"127911830336","quantity":5}]}`)
	if code != http.StatusConflict || body != refusal {
		t.Errorf("refused return: %d %s, want 409 %s", code, body, refusal)
	}
	expectNoMoreMail(t, s.smtp)
}

// --- Defects -------------------------------------------------------------

func TestDefectNoSecondDelayNotice(t *testing.T) {
	t.Parallel()
	s := startShop(t, merchant.DefectNoSecondDelayNotice)
	s.dr.setOrder("421", string(orderJSON("421", "accepted", widget)))
	code, body := admin(t, s.srv, "/admin/orders/421/delays", `{"newDate":"2026-12-22"}`)
	expectAnswer(t, "first delay", code, body, http.StatusAccepted, `{"notice":1}`)
	expectEmail(t, awaitMail(t, s.smtp, "1st delay notice"), "Shipment delayed – order 421",
		[]string{"22 December 2026", "You may cancel this order"}, nil)

	code, body = admin(t, s.srv, "/admin/orders/421/delays", `{"newDate":"2027-01-05"}`)
	expectAnswer(t, "second delay", code, body, http.StatusAccepted, `{"notice":2}`)
	expectNoMoreMail(t, s.smtp)
}

func TestDefectNoFailedCancelEmail(t *testing.T) {
	t.Parallel()
	s := startShop(t, merchant.DefectNoFailedCancelEmail)
	s.dr.setOrder("422", string(orderJSON("422", "fulfilled", widget.in("fulfilled"))))
	code, body := portal(t, s.srv, "/portal/orders/422/cancel-request", `{"email":"`+customer+`"}`)
	if code != http.StatusConflict || !strings.Contains(body, `"rejected"`) {
		t.Errorf("%d %s, want 409 rejected", code, body)
	}
	expectNoMoreMail(t, s.smtp)
	if calls := s.dr.CallsTo("POST /fulfillments"); len(calls) != 0 {
		t.Errorf("refused cancellation reached DR: %+v", calls)
	}
}

func TestDefectReturnWithoutInstructions(t *testing.T) {
	t.Parallel()
	s := startShop(t, merchant.DefectReturnWithoutInstructions)
	s.dr.setOrder("423", string(orderJSON("423", "complete", widget.in("fulfilled"))))
	code, body := portal(t, s.srv, "/portal/orders/423/returns", `{"email":"`+customer+`","items":[{"itemId":"127911830336","quantity":1}],"reason":"x"}`)
	expectAnswer(t, "return", code, body, http.StatusCreated, `{"returnId":"ret_1"}`)
	expectEmail(t, awaitMail(t, s.smtp, "return instructions"), "Return instructions – order 423",
		[]string{"423", "Return reference: ret_1", "Reference Shop Returns, 1 Warehouse Way, Springfield", "1. Pack", "4. "},
		[]string{"Widget"})
}
