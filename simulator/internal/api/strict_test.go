package api_test

import (
	"net/http"
	"strings"
)

// strictRows are the hardening cases: strict JSON, DR's metadata bounds,
// times Go can write back, quantities and amounts that cannot overflow or
// round to nothing, junk bodies on body-less actions. Each is also checked
// to change nothing (TestBadRequestsGetDRErrors reads the state back).
var strictRows = []badRow{
	{route: "POST /customers", name: "field name in another case", path: "/customers", body: `{"EMAIL":"a@example.test"}`, status: 400, code: "invalid_parameter", param: "EMAIL"},
	{route: "POST /customers", name: "nested field name in another case", path: "/customers", body: `{"shipping":{"Name":"x"}}`, status: 400, code: "invalid_parameter", param: "shipping.Name"},
	{route: "POST /customers", name: "21 metadata keys", path: "/customers", body: `{"metadata":{` + metadataKeysJSON(21) + `}}`, status: 400, code: "invalid_parameter", param: "metadata"},
	{route: "POST /customers", name: "metadata key of 41 characters", path: "/customers", body: `{"metadata":{"` + strings.Repeat("k", 41) + `":1}}`, status: 400, code: "invalid_parameter", param: "metadata"},
	{route: "POST /customers", name: "nested metadata key of 41 characters", path: "/customers", body: `{"metadata":{"a":{"` + strings.Repeat("k", 41) + `":1}}}`, status: 400, code: "invalid_parameter", param: "metadata"},
	{route: "POST /customers", name: "metadata value of 501 characters", path: "/customers", body: `{"metadata":{"a":"` + strings.Repeat("v", 499) + `"}}`, status: 400, code: "invalid_parameter", param: "metadata.a"},
	{route: "POST /customers", name: "metadata nested 9998 deep", path: "/customers", body: `{"metadata":{"a":` + strings.Repeat("[", 9998) + strings.Repeat("]", 9998) + `}}`, status: 400, code: "invalid_parameter"},
	{route: "POST /customers", name: "trailing brace", path: "/customers", body: `{"email":"a@example.test"}}`, status: 400, code: "invalid_parameter"},
	{route: "POST /customers", name: "trailing word", path: "/customers", body: `{"email":"a@example.test"} x`, status: 400, code: "invalid_parameter"},
	{route: "POST /customers", name: "null body", path: "/customers", body: `null`, status: 400, code: "invalid_parameter"},
	{route: "POST /customers", name: "invalid UTF-8", path: "/customers", body: "{\"email\":\"a\xff@example.test\"}", status: 400, code: "invalid_parameter"},
	{route: "POST /customers", name: "doubled slash", method: "POST", path: "//customers", body: `{"email":"a@example.test"}`, status: 404, code: "not_found"},
	{route: "POST /orders/{id}", name: "metadata nested 9999 deep", path: "/orders/{accepted}", body: `{"metadata":{"a":` + strings.Repeat(`{"a":`, 9999) + `1` + strings.Repeat("}", 9999) + `}}`, status: 400, code: "invalid_parameter"},
	{route: "POST /orders/{id}", name: "metadata value too long", path: "/orders/{accepted}", body: `{"metadata":{"a":["` + strings.Repeat("v", 500) + `"]}}`, status: 400, code: "invalid_parameter", param: "metadata.a"},
	{route: "POST /_sim/orders", name: "quantity beyond int64 bounds", path: "/_sim/orders", body: `{"customerId":"{cust}","items":[{"skuId":"{sku}","quantity":9223372036854775807,"price":1}]}`, status: 400, code: "invalid_parameter", param: "items[0].quantity"},
	{route: "POST /_sim/orders", name: "metadata too many keys", path: "/_sim/orders", body: `{"customerId":"{cust}","items":[{"skuId":"{sku}","quantity":1,"price":1}],"metadata":{` + metadataKeysJSON(21) + `}}`, status: 400, code: "invalid_parameter", param: "metadata"},
	{route: "POST /fulfillments", name: "quantity int64 max", path: "/fulfillments", body: `{"orderId":"{accepted}","items":[{"skuId":"{sku}","quantity":9223372036854775807}]}`, status: 400, code: "invalid_parameter", param: "items[0].quantity"},
	{route: "POST /_sim/orders/{id}/accept", name: "junk body", path: "/_sim/orders/{order}/accept", body: `junk`, status: 400, code: "invalid_parameter"},
	{route: "POST /_sim/orders/{id}/accept", name: "unknown field", path: "/_sim/orders/{order}/accept", body: `{"force":true}`, status: 400, code: "invalid_parameter", param: "force"},
	{route: "POST /_sim/orders/{id}/block", name: "junk body", path: "/_sim/orders/{order}/block", body: `junk`, status: 400, code: "invalid_parameter"},
	{route: "POST /webhooks", name: "field name in another case", path: "/webhooks", body: `{"Address":"http://127.0.0.1:1/x","types":["order.accepted"]}`, status: 400, code: "invalid_parameter", param: "Address"},
	{route: "POST /_sim/test-clocks", name: "frozenTime beyond year 9999", path: "/_sim/test-clocks", body: `{"frozenTime":"9999-12-31T23:59:59-23:59"}`, status: 400, code: "invalid_parameter", param: "frozenTime"},
	{route: "POST /file-links", name: "expiresTime in year 10000 in UTC", path: "/file-links", body: `{"fileId":"{file}","expiresTime":"9999-12-31T23:59:59-23:59"}`, status: 400, code: "invalid_parameter", param: "expiresTime"},
	{route: "POST /_sim/webhooks/{id}/replay", name: "unknown webhook", path: "/_sim/webhooks/nope/replay", body: `{}`, status: 404, code: "not_found", param: "id"},
	{route: "POST /_sim/webhooks/{id}/replay", name: "since not a time", path: "/_sim/webhooks/{hook}/replay", body: `{"since":"yesterday"}`, status: 400, code: "invalid_parameter", param: "since"},
	{route: "POST /_sim/webhooks/{id}/replay", name: "undelivered a string", path: "/_sim/webhooks/{hook}/replay", body: `{"undelivered":"yes"}`, status: 400, code: "invalid_parameter", param: "undelivered"},
	{route: "GET /customers", name: "doubled slash", method: "GET", path: "//customers", status: 404, code: "not_found"},
	{route: "GET /customers", name: "dot segment", method: "GET", path: "/skus/../customers", status: 404, code: "not_found"},
	{route: "PUT /customers", name: "method not allowed", method: "PUT", path: "/customers", body: `{}`, status: 405, code: "method_not_allowed"},
}

// metadataKeysJSON is n distinct metadata entries.
func metadataKeysJSON(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = `"k` + strings.Repeat("x", i) + `":1`
	}
	return strings.Join(parts, ",")
}

func init() { badRows = append(badRows, strictRows...) }

// genericStrictRows gives every route that takes a JSON body the same four
// malformed bodies, at the path of its first row that names a real resource.
func genericStrictRows(rows []badRow, routes []string) []badRow {
	served := map[string]bool{}
	for _, r := range routes {
		served[r] = true
	}
	seen := map[string]bool{}
	var out []badRow
	for _, r := range rows {
		method, _, _ := strings.Cut(r.route, " ")
		if r.method != "" || seen[r.route] || !served[r.route] || r.status == http.StatusNotFound || r.status == http.StatusUnauthorized ||
			(method != "POST" && method != "PUT" && method != "PATCH") || r.route == "POST /files" || strings.Contains(r.path, "nope") {
			continue
		}
		seen[r.route] = true
		for _, c := range []struct{ name, body string }{
			{"null body (generic)", "null"},
			{"trailing junk (generic)", "{}]"},
			{"invalid UTF-8 (generic)", "{\"\xff\":1}"},
			{"nested too deep (generic)", strings.Repeat("[", 40) + strings.Repeat("]", 40)},
		} {
			out = append(out, badRow{route: r.route, name: c.name, key: r.key, path: r.path, body: c.body, status: 400, code: "invalid_parameter"})
		}
	}
	return out
}
