package simulator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drsim/drsim/simulator"
)

// This file checks the simulator against DR's own models: every JSON object
// it emits while a merchant lives a full life (GET and list answers, the
// answers of writes, webhook bodies, each event's data.object and
// data.previousAttributes) is compared, recursively, with the model of that
// object in DR's PHP SDK (testdata/dr-sdk-models.json, a copy of
// DigitalRiver/digital-river-php's lib/Model classes: model → field → type).
//
// A field the model does not have fails the test unless docAllowed lists it
// with the DR page that shows it. A value of the wrong JSON type fails the
// test. The figures (field paths known, allowed, unknown; type mismatches)
// are logged: go test ./simulator -run TestConformance -v.

const sdkModelPrefix = `\DigitalRiver\ApiSdk\Model\`

// docAllowed are fields DR's documentation shows that the SDK's models lack.
// Each entry is model.field → its JSON type in the SDK's notation, and the
// page that shows it.
var docAllowed = map[string]struct{ typ, doc string }{
	// Event samples on every DR event page carry these two; the SDK spells the
	// version digitalRiverVersion.
	"Event.digitalriverVersion": {"string", "https://docs.digitalriver.com/digital-river-api/order-management/events-and-webhooks-1/events (sample events)"},
	"Event.webhookIds":          {"string[]", "https://docs.digitalriver.com/digital-river-api/order-management/events-and-webhooks-1/events (sample events)"},
	// Subscriptions: currentPeriodStartDate and the lapsed state.
	"Subscription.currentPeriodStartDate": {`\DateTime`, "https://docs.digitalriver.com/digital-river-api/using-our-services/subscriptions/subscription-lifecycle (subscription object)"},
	"SubscriptionStateTransitions.lapsed": {`\DateTime`, "https://docs.digitalriver.com/digital-river-api/using-our-services/subscriptions/subscription-lifecycle (lapsed)"},
	"SubscriptionItems.subscriptionInfo":  {sdkModelPrefix + "SubscriptionInfo", "https://docs.digitalriver.com/digital-river-api/using-our-services/subscriptions (items)"},
	// invoicePDFs[] and creditMemoPDFs[] entries carry liveMode in DR's
	// order.refunded sample (the SDK's File has id and url only).
	"File.liveMode": {"bool", "https://docs.digitalriver.com/digital-river-api/order-management/returns-and-refunds (order.refunded sample)"},
	// DR's example answer of POST /webhooks spells the Basic auth user
	// userName (the SDK's WebhookRequestAuthentication: username).
	"WebhookRequestAuthentication.userName": {"string", "https://docs.digitalriver.com/digital-river-api/order-management/events-and-webhooks-1/webhooks/creating-a-webhook (201 Created response)"},
	// order.charge.capture.* samples: each capture carries the fulfillment
	// that triggered it.
	"Capture.fulfillmentId": {"string", "https://docs.digitalriver.com/digital-river-api/order-management/informing-digital-river-of-a-fulfillment (order.charge.capture.complete sample)"},
	// GET /orders/{id}?expand=true (and DR's expanded events) add the SKU's
	// physical and metadata to each line's productDetails.
	"ProductDetails.physical":  {"bool", "https://docs.digitalriver.com/digital-river-api/order-management/events-and-webhooks-1/expanding-events"},
	"ProductDetails.metadata":  {"map[string,AnyType]", "https://docs.digitalriver.com/digital-river-api/order-management/events-and-webhooks-1/expanding-events"},
	"CreditCard.fundingSource": {"string", "https://docs.digitalriver.com/digital-river-api/payments/payment-sources/source-object (creditCard.fundingSource)"},
}

// docModels are objects DR documents that the SDK does not model.
var docModels = map[string]map[string]string{
	// https://docs.digitalriver.com/digital-river-api/order-management/accessing-invoices-and-credit-memos
	// (the order.invoice.created and order.credit_memo.created samples).
	"FileNotice": {"id": "string", "fileId": "string", "orderId": "string", "customerId": "string", "purpose": "string", "invoiceURL": "string"},
	// https://docs.digitalriver.com/digital-river-api/using-our-services/subscriptions/subscription-notifications
	// (subscription.extended, .reminder and .payment_failed carry both objects).
	"SubscriptionPair": {"subscription": sdkModelPrefix + "Subscription", "invoice": sdkModelPrefix + "Invoice"},
	// The SDK types GET /webhooks and GET /invoices as bare arrays; drsim
	// answers DR's list envelope for them too (README [choice] "list envelope").
	"ListWebhooksResponse": {"data": sdkModelPrefix + "Webhook[]", "hasMore": "bool"},
	"ListInvoicesResponse": {"data": sdkModelPrefix + "Invoice[]", "hasMore": "bool"},
	// An invoice's stateTransitions (draft, open, paid, void, uncollectible):
	// the SDK reuses the plan's StateTransitions model; the subscription.extended
	// sample shows {draft, open, paid}.
	"InvoiceStateTransitions": {"draft": `\DateTime`, "open": `\DateTime`, "paid": `\DateTime`, "void": `\DateTime`, "uncollectible": `\DateTime`},
}

// conformance accumulates what was checked.
type conformance struct {
	t      *testing.T
	models map[string]map[string]string

	mu         sync.Mutex
	paths      map[string]string // root:path → "known" | "allowed" | "unknown"
	unknown    map[string]string // root:path → where it was first seen
	mismatches map[string]string // root:path → what was wrong
	formats    map[string]string // root:path → a value not written as DR writes it
	objects    int
}

func loadModels(t *testing.T) map[string]map[string]string {
	t.Helper()
	raw, err := os.ReadFile("testdata/dr-sdk-models.json")
	if err != nil {
		t.Fatalf("read DR's SDK models: %v", err)
	}
	var m map[string]map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("decode testdata/dr-sdk-models.json: %v", err)
	}
	for k, v := range docModels {
		m[k] = v
	}
	// The SDK spells one key "updatedTime:" (Plan); read it as updatedTime.
	for _, fields := range m {
		for k, v := range fields {
			if strings.HasSuffix(k, ":") {
				delete(fields, k)
				fields[strings.TrimSuffix(k, ":")] = v
			}
		}
	}
	// Invoices' stateTransitions are the invoice's own states, not a plan's.
	inv := map[string]string{}
	for k, v := range m["Invoice"] {
		inv[k] = v
	}
	inv["stateTransitions"] = sdkModelPrefix + "InvoiceStateTransitions"
	m["Invoice"] = inv
	return m
}

func newConformance(t *testing.T) *conformance {
	return &conformance{
		t: t, models: loadModels(t),
		paths: map[string]string{}, unknown: map[string]string{}, mismatches: map[string]string{}, formats: map[string]string{},
	}
}

// decodeJSON decodes keeping numbers as written.
func decodeJSON(raw []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// checkRaw checks one emitted body against model; where says where it came from.
func (c *conformance) checkRaw(model, where string, raw []byte) {
	v, err := decodeJSON(raw)
	if err != nil {
		c.t.Errorf("%s: not JSON: %v; body %.300s", where, err, raw)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.objects++
	c.value(sdkModelPrefix+model, v, model, model, where, dateForm)
	if model == "Event" {
		c.eventData(v, where)
	}
	if list, ok := v.(map[string]any); ok && model == "ListEventsResponse" {
		if data, ok := list["data"].([]any); ok {
			for _, e := range data {
				c.eventData(e, where)
			}
		}
	}
}

// eventData checks an event's data.object and data.previousAttributes
// against the model of its type.
func (c *conformance) eventData(v any, where string) {
	ev, _ := v.(map[string]any)
	typ, _ := ev["type"].(string)
	data, _ := ev["data"].(map[string]any)
	model := eventModel(typ)
	if model == "" {
		c.mismatches["Event:type="+typ] = where + ": an event type with no known shape"
		return
	}
	root := "event " + typ
	if obj, ok := data["object"]; ok {
		c.value(sdkModelPrefix+model, obj, model, root+":object", where, dateForm)
	} else {
		c.mismatches[root+":object"] = where + ": data.object missing"
	}
	if prev, ok := data["previousAttributes"]; ok {
		c.value(sdkModelPrefix+model, prev, model, root+":previousAttributes", where, dateForm)
	}
}

// eventModel is the model of data.object for an event type (DR's event
// catalogue; the shapes are listed in the README's event table).
func eventModel(typ string) string {
	switch {
	case strings.HasPrefix(typ, "order.charge."):
		return "Charge"
	case typ == "order.invoice.created", typ == "order.credit_memo.created":
		return "FileNotice"
	case strings.HasPrefix(typ, "order."):
		return "Order"
	case strings.HasPrefix(typ, "fulfillment."):
		return "FulfillmentOrder"
	case strings.HasPrefix(typ, "refund."):
		return "OrderRefund"
	case strings.HasPrefix(typ, "return."):
		return "ReturnsResponse"
	case typ == "subscription.extended", typ == "subscription.reminder", typ == "subscription.payment_failed":
		return "SubscriptionPair"
	case strings.HasPrefix(typ, "subscription."):
		return "Subscription"
	case strings.HasPrefix(typ, "invoice."):
		return "Invoice"
	case strings.HasPrefix(typ, "fileLink."):
		return "FileLink"
	case strings.HasPrefix(typ, "customer.source."), strings.HasPrefix(typ, "source."):
		return "Source"
	case strings.HasPrefix(typ, "customer."):
		return "Customer"
	case strings.HasPrefix(typ, "sku."):
		return "Sku"
	case strings.HasPrefix(typ, "plan."):
		return "Plan"
	}
	return ""
}

// dateStyle is how DR writes the dates of an object.
type dateStyle int

const (
	dateForm dateStyle = iota // whole seconds, Z: "2021-11-01T18:23:02Z"
	pairForm                  // the subscription of a pair event: "2022-08-25T21:09:39.061+0000"
)

var (
	wholeSecondZ = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)
	millisOffset = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$`)
	eventTime    = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$`)
)

// value checks v against the SDK type typ. model.field names the field for
// the allow-list; path is the field path from the root object.
func (c *conformance) value(typ string, v any, field, path, where string, style dateStyle) {
	if v == nil {
		return // DR writes null for absent values (previousAttributes)
	}
	bad := func(want string) {
		c.mismatches[path] = fmt.Sprintf("%s: want %s, got %T %v", where, want, v, v)
	}
	switch {
	case typ == "string":
		if _, ok := v.(string); !ok {
			bad("a string")
		}
	case typ == "bool":
		if _, ok := v.(bool); !ok {
			bad("a boolean")
		}
	case typ == "int":
		n, ok := v.(json.Number)
		if !ok || strings.ContainsAny(n.String(), ".eE") {
			bad("an integer")
		}
	case typ == "double" || typ == "float":
		n, ok := v.(json.Number)
		if !ok {
			bad("a number")
		} else if typ == "double" && !strings.ContainsAny(n.String(), ".eE") {
			// DR writes amounts with a decimal point: 28.0, not 28.
			c.formats[path] = fmt.Sprintf("%s: %s written without a decimal point", where, n)
		}
	case typ == `\DateTime`:
		s, ok := v.(string)
		if !ok {
			bad("a date-time string")
			return
		}
		if _, err := parseDRTime(s); err != nil {
			bad("a date-time: " + err.Error())
			return
		}
		switch {
		case field == "Event.createdTime":
			if !eventTime.MatchString(s) {
				c.formats[path] = fmt.Sprintf("%s: event time %q", where, s)
			}
		case style == pairForm && !millisOffset.MatchString(s):
			c.formats[path] = fmt.Sprintf("%s: %q, want DR's pair form 2022-08-25T21:09:39.061+0000", where, s)
		case style == dateForm && !wholeSecondZ.MatchString(s):
			c.formats[path] = fmt.Sprintf("%s: %q, want whole seconds with Z", where, s)
		}
	case typ == "object" || typ == "map[string,AnyType]":
		if _, ok := v.(map[string]any); !ok {
			bad("an object")
		}
	case strings.HasSuffix(typ, "[]"):
		arr, ok := v.([]any)
		if !ok {
			bad("an array")
			return
		}
		for _, e := range arr {
			c.value(strings.TrimSuffix(typ, "[]"), e, field, path+"[]", where, style)
		}
	case strings.HasPrefix(typ, sdkModelPrefix):
		name := strings.TrimPrefix(typ, sdkModelPrefix)
		fields, ok := c.models[name]
		if !ok { // an enum (CustomerType, ChargeType): a string
			if _, ok := v.(string); !ok {
				bad("a string (" + name + ")")
			}
			return
		}
		obj, ok := v.(map[string]any)
		if !ok {
			bad("an object (" + name + ")")
			return
		}
		for k, fv := range obj {
			p := path + "." + k
			ft, known := fields[k]
			state := "known"
			if !known {
				if a, ok := docAllowed[name+"."+k]; ok {
					ft, state = a.typ, "allowed"
				} else {
					state = "unknown"
					if _, seen := c.unknown[p]; !seen {
						c.unknown[p] = fmt.Sprintf("%s (model %s)", where, name)
					}
				}
			}
			c.paths[p] = state
			if state == "unknown" {
				continue
			}
			sub := style
			if name == "SubscriptionPair" && k == "subscription" {
				sub = pairForm
			} else if name == "SubscriptionPair" {
				sub = dateForm
			}
			c.value(ft, fv, name+"."+k, p, where, sub)
		}
	default:
		c.t.Fatalf("the models file has a type this test cannot read: %q at %s", typ, path)
	}
}

// parseDRTime reads every date form DR writes.
func parseDRTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05-0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is in no form DR writes", s)
}

// report logs the figures and fails on unknown fields and type mismatches.
func (c *conformance) report(strictFormats bool) {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	var known, allowed, unknown int
	for _, s := range c.paths {
		switch s {
		case "known":
			known++
		case "allowed":
			allowed++
		default:
			unknown++
		}
	}
	total := known + allowed + unknown
	if total == 0 || c.objects == 0 {
		c.t.Fatal("nothing was checked")
	}
	c.t.Logf("conformance: %d objects; %d distinct field paths: %d in DR's SDK models (%.1f%%), %d shown by DR's docs (allow-list), %d unknown; %d type mismatches; %d values not written as DR writes them",
		c.objects, total, known, 100*float64(known)/float64(total), allowed, unknown, len(c.mismatches), len(c.formats))
	for _, p := range sortedKeys(c.unknown) {
		c.t.Errorf("field unknown to DR: %s (first seen in %s)", p, c.unknown[p])
	}
	for _, p := range sortedKeys(c.mismatches) {
		c.t.Errorf("type mismatch: %s: %s", p, c.mismatches[p])
	}
	for _, p := range sortedKeys(c.formats) {
		if strictFormats {
			c.t.Errorf("format: %s: %s", p, c.formats[p])
		} else {
			c.t.Logf("format: %s: %s", p, c.formats[p])
		}
	}
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// modelFor is the model of the answer to method path.
func modelFor(method, path string) string {
	path, _, _ = strings.Cut(path, "?")
	parts := strings.Split(strings.Trim(path, "/"), "/")
	single := map[string]string{
		"customers": "Customer", "sources": "Source", "skus": "Sku", "orders": "Order", "fulfillments": "FulfillmentOrder",
		"refunds": "OrderRefund", "returns": "ReturnsResponse", "files": "FileObject", "file-links": "FileLink",
		"events": "Event", "webhooks": "Webhook", "plans": "Plan", "subscriptions": "Subscription", "invoices": "Invoice",
		"charges": "Charge",
	}
	list := map[string]string{
		"customers": "ListCustomersResponse", "skus": "ListSkusResponse", "orders": "ListOrdersResponse",
		"fulfillments": "ListFulfillmentsResponse", "refunds": "ListRefundsResponse", "returns": "ListReturnsResponse1",
		"files": "ListFilesResponse", "file-links": "ListFileLinksResponse", "events": "ListEventsResponse",
		"webhooks": "ListWebhooksResponse", "plans": "ListPlansResponse", "subscriptions": "ListSubscriptionsResponse",
		"invoices": "ListInvoicesResponse",
	}
	if parts[0] == "_sim" && len(parts) > 1 {
		parts = parts[1:] // the control API answers DR's objects too
	}
	switch {
	case len(parts) == 3 && parts[0] == "test-clocks" && parts[2] == "customers":
		return "Customer"
	case len(parts) == 4 && parts[0] == "customers" && parts[2] == "sources":
		return "Source"
	case len(parts) == 1 && method == "GET":
		return list[parts[0]]
	default:
		return single[parts[0]]
	}
}

// life drives one account through a merchant's whole life.
type life struct {
	t    *testing.T
	c    *conformance
	base string
	key  string
}

// call sends a request; a 2xx JSON answer is checked against its model
// (an error answer is DR's error shape, not the resource's).
func (l *life) call(method, path string, body any, want int) map[string]any {
	l.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			l.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, l.base+path, r)
	if err != nil {
		l.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+l.key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return l.send(req, want)
}

func (l *life) send(req *http.Request, want int) map[string]any {
	l.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		l.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		l.t.Fatalf("%s %s: read: %v", req.Method, req.URL.Path, err)
	}
	if resp.StatusCode != want {
		l.t.Fatalf("%s %s: status %d, want %d; body %s", req.Method, req.URL.Path, resp.StatusCode, want, raw)
	}
	if len(raw) == 0 {
		return nil
	}
	where := req.Method + " " + req.URL.Path
	if model := modelFor(req.Method, req.URL.RequestURI()); model != "" && want < 300 && !strings.HasPrefix(req.URL.Path, "/_sim/clock") {
		l.c.checkRaw(model, where, raw)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		l.t.Fatalf("%s: decode: %v; body %s", where, err, raw)
	}
	return out
}

func str(m map[string]any, path ...string) string {
	var v any = m
	for _, p := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			var i int
			fmt.Sscan(p, &i)
			if i >= len(x) {
				return ""
			}
			v = x[i]
		default:
			return ""
		}
	}
	s, _ := v.(string)
	return s
}

// TestConformanceWithDRModels drives a full merchant life and checks every
// emitted object against DR's SDK models.
func TestConformanceWithDRModels(t *testing.T) {
	sim, cl := start(t, simulator.Options{})
	c := newConformance(t)

	var bodies struct {
		sync.Mutex
		raw [][]byte
	}
	merchant := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies.Lock()
		bodies.raw = append(bodies.raw, b)
		bodies.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(merchant.Close)

	keys, err := cl.Account(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Raw HTTP rather than the typed client: the test reads every byte DR's
	// models are checked against, including fields no Go type declares.
	l := &life{t: t, c: c, base: sim.URL(), key: keys.SecretKey}

	hook := l.call("POST", "/webhooks", map[string]any{"address": merchant.URL, "types": []string{"*"}}, 201)
	l.call("PATCH", "/webhooks/"+str(hook, "id"), map[string]any{"enabled": true}, 200)
	l.call("GET", "/webhooks/"+str(hook, "id"), nil, 200)
	// Webhooks whose callbacks are authenticated: Basic auth (HTTP) and a
	// bearer token (OAUTH; disabled here, so nothing asks for a token).
	basic := l.call("POST", "/webhooks", map[string]any{"address": merchant.URL + "/basic", "types": []string{"order.accepted"},
		"authentication": map[string]any{"userName": "dr", "password": "secret"}}, 201)
	l.call("GET", "/webhooks/"+str(basic, "id"), nil, 200)
	l.call("POST", "/webhooks", map[string]any{"address": merchant.URL + "/oauth", "types": []string{"order.accepted"}, "enabled": false,
		"transportType": "OAUTH", "oauth": map[string]any{"tokenEndPoint": merchant.URL + "/token", "clientID": "id", "clientSecret": "secret", "grantType": "client_credentials"}}, 201)
	l.call("GET", "/webhooks", nil, 200)

	// Catalogue: SKUs and plans.
	sku := l.call("POST", "/skus", map[string]any{"name": "Widget", "description": "A small gadget", "image": "https://example.test/w.png", "url": "https://example.test/w", "physical": true, "taxCode": "4323.310_A", "countryOfOrigin": "US",
		"eccn": "EAR99", "hsCode": "8517.62", "partNumber": "W-1", "weight": 1.5, "weightUnit": "kg", "manufacturerId": "ACME", "skuGroupId": "gadgets", "metadata": map[string]any{"line": "gadgets"}}, 201)
	sku2 := l.call("PUT", "/skus/sku_fidelity_2", map[string]any{"name": "Gadget", "physical": true}, 201)
	l.call("POST", "/skus/"+str(sku2, "id"), map[string]any{"description": "Another gadget"}, 200)
	subSKU := l.call("POST", "/skus", map[string]any{"name": "Cloud Backup", "physical": false}, 201)
	l.call("GET", "/skus/"+str(sku, "id"), nil, 200)
	l.call("GET", "/skus", nil, 200)
	plan := l.call("POST", "/plans", map[string]any{"name": "Monthly Backup", "terms": "Billed monthly", "interval": "month", "intervalCount": 1, "contractBindingDays": 365, "reminderOffsetDays": 5, "billingOffsetDays": 2, "collectionPeriodDays": 8, "state": "active"}, 201)
	l.call("POST", "/plans/"+str(plan, "id"), map[string]any{"name": "Monthly Backup Plan"}, 200)
	l.call("GET", "/plans/"+str(plan, "id"), nil, 200)
	l.call("GET", "/plans", nil, 200)

	// A customer on a test clock, with a saved card.
	clock := l.call("POST", "/_sim/test-clocks", map[string]any{"name": "conformance"}, 201)
	cust := l.call("POST", "/_sim/test-clocks/"+str(clock, "id")+"/customers", map[string]any{"email": "fid@example.test", "locale": "en_US", "shipping": map[string]any{"name": "Fi Delity", "address": map[string]any{"line1": "1 Main St", "city": "Minnetonka", "postalCode": "55343", "state": "MN", "country": "US"}}}, 201)
	custID := str(cust, "id")
	l.call("POST", "/customers/"+custID, map[string]any{"metadata": map[string]any{"tier": "gold"}}, 200)
	card := l.call("POST", "/sources", map[string]any{"type": "creditCard", "owner": map[string]any{"firstName": "Fi", "lastName": "Delity", "email": "fid@example.test"}, "creditCard": map[string]any{"number": "4444222233331111", "expirationMonth": 7, "expirationYear": 2040}}, 201)
	l.call("POST", "/customers/"+custID+"/sources/"+str(card, "id"), nil, 200)
	l.call("GET", "/sources/"+str(card, "id"), nil, 200)
	l.call("GET", "/customers/"+custID, nil, 200)
	l.call("GET", "/customers", nil, 200)

	// Order 1: two lines, a discount, shipping; part cancelled, part shipped,
	// refunded in part, then returned.
	o1 := l.call("POST", "/_sim/orders", map[string]any{
		"customerId": custID, "sourceId": str(card, "id"), "locale": "en_US",
		"items": []map[string]any{
			{"skuId": str(sku, "id"), "quantity": 2, "price": 10.0, "taxRate": 0.08, "discount": 2.0},
			{"skuId": str(sku2, "id"), "quantity": 1, "price": 28.0, "taxRate": 0.08},
		},
		"shipping": map[string]any{"amount": 5.0, "taxAmount": 0.40, "description": "Standard"},
		"billTo":   map[string]any{"name": "Fi Delity", "email": "billing@example.test", "address": map[string]any{"line1": "2 Main St", "city": "Minnetonka", "postalCode": "55343", "state": "MN", "country": "US"}},
		"shipTo":   map[string]any{"name": "Fi Delity", "address": map[string]any{"line1": "1 Main St", "city": "Minnetonka", "postalCode": "55343", "state": "MN", "country": "US"}},
	}, 201)
	o1ID := str(o1, "id")
	if got := str(o1, "billTo", "email"); got != "billing@example.test" {
		t.Errorf("order billTo.email %q, want the checkout's billing@example.test", got)
	}
	l.call("POST", "/_sim/orders/"+o1ID+"/accept", nil, 200)
	l.call("POST", "/orders/"+o1ID, map[string]any{"upstreamId": "up-1", "metadata": map[string]any{"k": "v"}}, 200)
	l.call("POST", "/fulfillments", map[string]any{"orderId": o1ID, "items": []map[string]any{{"itemId": str(o1, "items", "0", "id"), "cancelQuantity": 1}}}, 201)
	ful := l.call("POST", "/fulfillments", map[string]any{"orderId": o1ID, "trackingCompany": "Fedex", "trackingNumber": "Z1", "trackingUrl": "https://fedex.example/Z1",
		"items": []map[string]any{{"itemId": str(o1, "items", "0", "id"), "quantity": 1}, {"itemId": str(o1, "items", "1", "id"), "quantity": 1}}}, 201)
	l.call("GET", "/fulfillments/"+str(ful, "id"), nil, 200)
	l.call("GET", "/fulfillments?orderId="+o1ID, nil, 200)
	order := l.call("GET", "/orders/"+o1ID, nil, 200)
	if x := l.call("GET", "/orders/"+o1ID+"?expand=true", nil, 200); str(x, "items", "0", "productDetails", "metadata", "line") != "gadgets" {
		t.Fatalf("GET /orders/{id}?expand=true: productDetails %v, want the SKU's metadata", x["items"])
	}
	chargeID := str(order, "payment", "charges", "0", "id")
	if ch := l.call("GET", "/charges/"+chargeID, nil, 200); ch["id"] != chargeID || ch["orderId"] != o1ID {
		t.Fatalf("GET /charges/%s answered %v, want the charge of order %s", chargeID, ch, o1ID)
	}
	ref := l.call("POST", "/refunds", map[string]any{"orderId": o1ID, "currency": "USD", "amount": 5.0, "reason": "goodwill"}, 201)
	l.call("POST", "/_sim/refunds/"+str(ref, "id")+"/complete", nil, 200)
	l.call("POST", "/refunds/"+str(ref, "id"), map[string]any{"metadata": map[string]any{"n": "1"}}, 200)
	l.call("GET", "/refunds/"+str(ref, "id"), nil, 200)
	ret := l.call("POST", "/returns", map[string]any{"orderId": o1ID, "reason": "damaged", "items": []map[string]any{{"itemId": str(o1, "items", "1", "id"), "quantity": 1}}}, 201)
	l.call("POST", "/returns/"+str(ret, "id"), map[string]any{"state": "accepted"}, 200)
	l.call("GET", "/returns/"+str(ret, "id"), nil, 200)
	l.call("GET", "/returns", nil, 200)
	refunds := l.call("GET", "/refunds?orderId="+o1ID, nil, 200)
	for _, r := range refunds["data"].([]any) {
		if rm := r.(map[string]any); rm["state"] == "pending" {
			l.call("POST", "/_sim/refunds/"+rm["id"].(string)+"/complete", nil, 200)
		}
	}
	failing := l.call("POST", "/refunds", map[string]any{"orderId": o1ID, "currency": "USD", "amount": 1.0}, 201)
	l.call("POST", "/_sim/refunds/"+str(failing, "id")+"/fail", map[string]any{"failureReason": "expired"}, 200)
	l.call("GET", "/orders/"+o1ID, nil, 200)

	// Order 2: cancelled in full.
	o2 := l.call("POST", "/_sim/orders", map[string]any{"customerId": custID, "items": []map[string]any{{"skuId": str(sku, "id"), "quantity": 1, "price": 28.0}}}, 201)
	if got := str(o2, "billTo", "email"); got != "fid@example.test" {
		t.Errorf("order without a billTo: billTo.email %q, want the order's email fid@example.test", got)
	}
	l.call("POST", "/_sim/orders/"+str(o2, "id")+"/accept", nil, 200)
	l.call("POST", "/fulfillments", map[string]any{"orderId": str(o2, "id"), "items": []map[string]any{{"itemId": str(o2, "items", "0", "id"), "cancelQuantity": 1}}}, 201)
	// Order 3: blocked.
	o3 := l.call("POST", "/_sim/orders", map[string]any{"customerId": custID, "items": []map[string]any{{"skuId": str(sku, "id"), "quantity": 1, "price": 3.5}}}, 201)
	l.call("POST", "/_sim/orders/"+str(o3, "id")+"/block", nil, 200)
	// Order 4: a fraud review, then accepted.
	o4 := l.call("POST", "/_sim/orders", map[string]any{"customerId": custID, "items": []map[string]any{{"skuId": str(sku, "id"), "quantity": 1, "price": 4.25}}}, 201)
	if rev := l.call("POST", "/_sim/orders/"+str(o4, "id")+"/review", nil, 200); rev["state"] != "in_review" || rev["fraudState"] != "review_opened" {
		t.Fatalf("review: state %v fraudState %v, want in_review review_opened", rev["state"], rev["fraudState"])
	}
	if acc := l.call("POST", "/_sim/orders/"+str(o4, "id")+"/accept", nil, 200); acc["state"] != "accepted" || acc["fraudState"] != "passed" {
		t.Fatalf("accept after review: state %v fraudState %v", acc["state"], acc["fraudState"])
	}
	if evs := l.call("GET", "/events?type=order.review_opened", nil, 200); len(evs["data"].([]any)) != 1 {
		t.Fatalf("order.review_opened events: %v, want 1", evs["data"])
	}
	// Order 5: paid with PayPal, shipped.
	pp := l.call("POST", "/sources", map[string]any{"type": "payPal", "owner": map[string]any{"firstName": "Fi", "lastName": "Delity"}, "payPal": map[string]any{"redirect": map[string]any{"returnUrl": "https://shop.example/ok", "cancelUrl": "https://shop.example/cancel"}}}, 201)
	o5 := l.call("POST", "/_sim/orders", map[string]any{"customerId": custID, "sourceId": str(pp, "id"), "items": []map[string]any{{"skuId": str(sku, "id"), "quantity": 1, "price": 6.0}}}, 201)
	l.call("POST", "/_sim/orders/"+str(o5, "id")+"/accept", nil, 200)
	l.call("POST", "/fulfillments", map[string]any{"orderId": str(o5, "id"), "items": []map[string]any{{"itemId": str(o5, "items", "0", "id"), "quantity": 1}}}, 201)
	// A PayPal Billing Agreement, saved to the customer and paying an order.
	ba := l.call("POST", "/sources", map[string]any{"type": "payPalBilling", "payPalBilling": map[string]any{"redirect": map[string]any{"returnUrl": "https://shop.example/ok", "cancelUrl": "https://shop.example/cancel"}}}, 201)
	l.call("POST", "/customers/"+custID+"/sources/"+str(ba, "id"), nil, 200)
	l.call("GET", "/sources/"+str(ba, "id"), nil, 200)
	o5b := l.call("POST", "/_sim/orders", map[string]any{"customerId": custID, "sourceId": str(ba, "id"), "items": []map[string]any{{"skuId": str(sku, "id"), "quantity": 1, "price": 6.5}}}, 201)
	l.call("POST", "/_sim/orders/"+str(o5b, "id")+"/accept", nil, 200)
	// Order 6: paid by wire transfer, accepted when the funds arrive.
	wt := l.call("POST", "/sources", map[string]any{"type": "wireTransfer", "owner": map[string]any{"firstName": "Fi", "lastName": "Delity"}, "wireTransfer": map[string]any{}, "amount": 7.0, "currency": "USD"}, 201)
	o6 := l.call("POST", "/_sim/orders", map[string]any{"customerId": custID, "sourceId": str(wt, "id"), "items": []map[string]any{{"skuId": str(sku, "id"), "quantity": 1, "price": 7.0}}}, 201)
	l.call("POST", "/_sim/orders/"+str(o6, "id")+"/accept", nil, 409)
	l.call("POST", "/_sim/sources/"+str(wt, "id")+"/funds", nil, 200)
	if o := l.call("GET", "/orders/"+str(o6, "id"), nil, 200); o["state"] != "accepted" {
		t.Fatalf("wire transfer order after the funds: state %v, want accepted", o["state"])
	}
	l.call("GET", "/sources/"+str(wt, "id"), nil, 200)
	l.call("POST", "/fulfillments", map[string]any{"orderId": str(o6, "id"), "items": []map[string]any{{"itemId": str(o6, "items", "0", "id"), "quantity": 1}}}, 201)
	wref := l.call("POST", "/refunds", map[string]any{"orderId": str(o6, "id"), "currency": "USD", "amount": 2.0}, 201)
	if wref["state"] != "pending_information" || str(wref, "tokenInformation", "token") == "" {
		t.Fatalf("wire transfer refund: state %v tokenInformation %v, want pending_information with a token", wref["state"], wref["tokenInformation"])
	}
	l.call("POST", "/_sim/refunds/"+str(wref, "id")+"/complete", nil, 200)
	// Order 8: a wire transfer never funded: DR cancels the order.
	wt2 := l.call("POST", "/sources", map[string]any{"type": "wireTransfer", "wireTransfer": map[string]any{}}, 201)
	o8 := l.call("POST", "/_sim/orders", map[string]any{"customerId": custID, "sourceId": str(wt2, "id"), "items": []map[string]any{{"skuId": str(sku, "id"), "quantity": 1, "price": 9.0}}}, 201)
	l.call("POST", "/_sim/sources/"+str(wt2, "id")+"/expire", nil, 200)
	if o := l.call("GET", "/orders/"+str(o8, "id"), nil, 200); o["state"] != "cancelled" {
		t.Fatalf("unfunded wire transfer order: state %v, want cancelled", o["state"])
	}
	// Order 7: the "cancel fails" test card.
	cf := l.call("POST", "/sources", map[string]any{"type": "creditCard", "creditCard": map[string]any{"number": "4000000000004442", "expirationMonth": 7, "expirationYear": 2040}}, 201)
	o7 := l.call("POST", "/_sim/orders", map[string]any{"customerId": custID, "sourceId": str(cf, "id"), "items": []map[string]any{{"skuId": str(sku, "id"), "quantity": 1, "price": 8.0}}}, 201)
	l.call("POST", "/_sim/orders/"+str(o7, "id")+"/accept", nil, 200)
	l.call("POST", "/fulfillments", map[string]any{"orderId": str(o7, "id"), "items": []map[string]any{{"itemId": str(o7, "items", "0", "id"), "cancelQuantity": 1}}}, 201)
	if evs := l.call("GET", "/events?type=order.charge.cancel.failed", nil, 200); len(evs["data"].([]any)) != 1 {
		t.Fatalf("order.charge.cancel.failed events: %v, want 1", evs["data"])
	}
	l.call("GET", "/orders?customerId="+custID, nil, 200)

	// Files and file links.
	files := l.call("GET", "/files", nil, 200)
	for _, f := range files["data"].([]any) {
		id := f.(map[string]any)["id"].(string)
		link := l.call("POST", "/file-links", map[string]any{"fileId": id, "expiresTime": time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)}, 201)
		l.call("POST", "/file-links/"+str(link, "id"), map[string]any{"expiresTime": time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339)}, 200)
		l.call("GET", "/file-links/"+str(link, "id"), nil, 200)
		l.call("GET", "/files/"+id, nil, 200)
	}
	l.call("GET", "/file-links", nil, 200)
	upload := l.upload("tax-cert.pdf", "tax_document_customer_upload")
	l.call("GET", "/files/"+str(upload, "id"), nil, 200)
	l.call("DELETE", "/files/"+str(upload, "id"), nil, 204)

	// Subscriptions: a paid one that renews and is changed then cancelled, a
	// free trial, one that fails in dunning, and a draft that is deleted.
	plan2 := l.call("POST", "/plans", map[string]any{"name": "Yearly Backup", "interval": "year", "intervalCount": 1, "reminderOffsetDays": 10, "billingOffsetDays": 0, "collectionPeriodDays": 4, "state": "active"}, 201)
	subLine := func(price float64, trial bool) map[string]any {
		return map[string]any{"skuId": str(subSKU, "id"), "quantity": 1, "price": price, "taxRate": 0.1,
			"subscriptionInfo": map[string]any{"planId": str(plan, "id"), "terms": "Billed monthly", "autoRenewal": true, "freeTrial": trial}}
	}
	placeSub := func(src string, price float64, trial bool) (order, sub string) {
		o := l.call("POST", "/_sim/orders", map[string]any{"customerId": custID, "sourceId": src, "items": []any{subLine(price, trial)}}, 201)
		l.call("POST", "/_sim/orders/"+str(o, "id")+"/accept", nil, 200)
		subID := str(o, "items", "0", "subscriptionInfo", "subscriptionId")
		if s := l.call("GET", "/subscriptions/"+subID, nil, 200); s["state"] == "draft" {
			l.call("POST", "/subscriptions/"+subID, map[string]any{"state": "active"}, 200)
		}
		return str(o, "id"), subID
	}
	_, paid := placeSub(str(card, "id"), 28.0, false)
	_, trial := placeSub(str(card, "id"), 0, true)
	if s := l.call("GET", "/subscriptions/"+trial, nil, 200); s["state"] == "activeFree" {
		l.call("POST", "/subscriptions/"+trial, map[string]any{"items": []map[string]any{{"skuId": str(subSKU, "id"), "quantity": 1, "price": 12.5}}}, 200)
	}
	declining := l.call("POST", "/sources", map[string]any{"type": "creditCard", "creditCard": map[string]any{"number": "4000000000003600", "expirationMonth": 7, "expirationYear": 2040}}, 201)
	l.call("POST", "/customers/"+custID+"/sources/"+str(declining, "id"), nil, 200)
	_, dunned := placeSub(str(card, "id"), 9.99, false)
	l.call("POST", "/subscriptions/"+dunned, map[string]any{"sourceId": str(declining, "id")}, 200)
	draft := l.call("POST", "/_sim/orders", map[string]any{"customerId": custID, "items": []any{subLine(5, false)}}, 201)
	l.call("DELETE", "/subscriptions/"+str(draft, "items", "0", "subscriptionInfo", "subscriptionId"), nil, 204)

	for range 2 {
		l.call("POST", "/_sim/test-clocks/"+str(clock, "id")+"/advance", map[string]any{"advance": "744h"}, 200)
	}
	l.call("POST", "/subscriptions/"+paid, map[string]any{"planId": str(plan2, "id")}, 200)
	l.call("POST", "/subscriptions/"+paid, map[string]any{"state": "cancelled"}, 200)
	l.call("GET", "/subscriptions/"+dunned, nil, 200)
	l.call("GET", "/subscriptions", nil, 200)
	// Billing invoices made through the API: create, metadata, open, void;
	// a draft deleted.
	made := l.call("POST", "/invoices", map[string]any{"customerId": custID, "currency": "USD", "description": "Setup fee",
		"email": "billing@example.test", "locale": "en_US", "chargeType": "merchant_initiated", "collectionPeriodDays": 3,
		"items": []map[string]any{{"skuId": str(subSKU, "id"), "price": 19.99, "quantity": 2}}, "metadata": map[string]any{"ref": "S-1"}}, 201)
	l.call("POST", "/invoices/"+str(made, "id"), map[string]any{"metadata": map[string]any{"ref": "S-2"}}, 200)
	l.call("POST", "/invoices/"+str(made, "id")+"/open", nil, 200)
	l.call("POST", "/invoices/"+str(made, "id")+"/void", nil, 200)
	spare := l.call("POST", "/invoices", map[string]any{"customerId": custID, "currency": "USD", "items": []map[string]any{{"skuId": str(subSKU, "id"), "price": 1}}}, 201)
	l.call("DELETE", "/invoices/"+str(spare, "id"), nil, 204)
	invoices := l.call("GET", "/invoices", nil, 200)
	for _, inv := range invoices["data"].([]any) {
		l.call("GET", "/invoices/"+inv.(map[string]any)["id"].(string), nil, 200)
	}
	l.call("GET", "/orders", nil, 200)

	// Detach the declining card; delete a SKU and a file link.
	l.call("DELETE", "/customers/"+custID+"/sources/"+str(declining, "id"), nil, 204)
	links := l.call("GET", "/file-links", nil, 200)
	if data := links["data"].([]any); len(data) > 0 {
		l.call("DELETE", "/file-links/"+data[0].(map[string]any)["id"].(string), nil, 204)
	}
	l.call("DELETE", "/skus/"+str(sku2, "id"), nil, 204)

	// Every event, page by page and one by one.
	after := ""
	events := 0
	for {
		page := l.call("GET", "/events?limit=100"+after, nil, 200)
		data := page["data"].([]any)
		for _, e := range data {
			l.call("GET", "/events/"+e.(map[string]any)["id"].(string), nil, 200)
			events++
		}
		if page["hasMore"] != true || len(data) == 0 {
			break
		}
		after = "&startingAfter=" + data[len(data)-1].(map[string]any)["id"].(string)
	}

	// Every event that names the webhook is delivered; wait for them all.
	var deliveries struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := cl.Do(context.Background(), "GET", fmt.Sprintf("/_sim/deliveries?webhookId=%s&min=%d&wait=5s", str(hook, "id"), events), nil, &deliveries); err != nil {
		t.Fatalf("wait for %d deliveries: %v", events, err)
	}
	bodies.Lock()
	got := append([][]byte(nil), bodies.raw...)
	bodies.Unlock()
	if len(got) < events {
		t.Fatalf("the webhook received %d bodies, want one per event (%d)", len(got), events)
	}
	for _, b := range got {
		c.checkRaw("Event", "webhook body", b)
	}
	t.Logf("life: %d events, %d webhook bodies", events, len(got))
	c.report(false)
}

// upload is POST /files with a small PDF.
func (l *life) upload(name, purpose string) map[string]any {
	l.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.WriteField("purpose", purpose); err != nil {
		l.t.Fatal(err)
	}
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		l.t.Fatal(err)
	}
	if _, err := fw.Write([]byte("%PDF-1.4\n%%EOF\n")); err != nil {
		l.t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		l.t.Fatal(err)
	}
	req, err := http.NewRequest("POST", l.base+"/files", &buf)
	if err != nil {
		l.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+l.key)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return l.send(req, http.StatusCreated)
}
