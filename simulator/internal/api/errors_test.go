package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/drsim/drsim/simulator/internal/api"
)

// unauthorizedBody is DR's 401 body, byte for byte (docs/dr-api.md#hosts-auth-content): no code.
const unauthorizedBody = `{"type":"unauthorized","errors":[{"message":"An authorization error has occurred."}]}`

// badRow is one bad request and the error it must get.
type badRow struct {
	route  string // the route as server.go registers it: "METHOD /path/{template}"
	name   string
	key    string // "secret" (default), "public", "none", "unknown", "basic"
	method string // defaults to the route's
	path   string // concrete path; {placeholders} name fixtures
	body   any    // string bodies are sent verbatim
	status int
	code   string // exact; "" means absent
	param  string // exact; "" means absent
}

// badRows covers every DR endpoint and the control API with bad JSON, wrong
// types, missing required fields, unknown ids, bad list parameters and wrong
// keys. Placeholders: {cust} {src} (attached to cust) {loose} (attached to
// nobody) {sku} {order} (pending_payment) {accepted} {hook} {skuEvent} (went
// to no webhook) {acceptedEvent} (went to {hook}).
var badRows = []badRow{
	// POST /customers
	{route: "POST /customers", name: "bad JSON", path: "/customers", body: `{"email":`, status: 400, code: "invalid_parameter"},
	{route: "POST /customers", name: "email is a number", path: "/customers", body: `{"email": 5}`, status: 400, code: "invalid_parameter", param: "email"},
	{route: "POST /customers", name: "email is not an address", path: "/customers", body: `{"email":"alice"}`, status: 400, code: "invalid_parameter", param: "email"},
	{route: "POST /customers", name: "unknown field", path: "/customers", body: `{"colour":"red"}`, status: 400, code: "invalid_parameter", param: "colour"},
	{route: "POST /customers", name: "type not individual or business", path: "/customers", body: `{"type":"company"}`, status: 400, code: "invalid_parameter", param: "type"},
	{route: "POST /customers", name: "id longer than 40", path: "/customers", body: `{"id":"` + strings.Repeat("x", 41) + `"}`, status: 400, code: "invalid_parameter", param: "id"},
	{route: "POST /customers", name: "id taken", path: "/customers", body: `{"id":"{cust}"}`, status: 409, code: "conflict"},
	{route: "POST /customers", name: "defaultSourceId before attach", path: "/customers", body: `{"defaultSourceId":"{loose}"}`, status: 400, code: "invalid_parameter", param: "defaultSourceId"},
	{route: "POST /customers", name: "body is an array", path: "/customers", body: `[]`, status: 400, code: "invalid_parameter"},
	{route: "POST /customers", name: "two JSON values", path: "/customers", body: `{} {}`, status: 400, code: "invalid_parameter"},
	// GET /customers
	{route: "GET /customers", name: "limit 0", path: "/customers?limit=0", status: 400, code: "invalid_parameter", param: "limit"},
	{route: "GET /customers", name: "limit 101", path: "/customers?limit=101", status: 400, code: "invalid_parameter", param: "limit"},
	{route: "GET /customers", name: "limit abc", path: "/customers?limit=abc", status: 400, code: "invalid_parameter", param: "limit"},
	{route: "GET /customers", name: "limit -1", path: "/customers?limit=-1", status: 400, code: "invalid_parameter", param: "limit"},
	{route: "GET /customers", name: "startingAfter unknown", path: "/customers?startingAfter=nope", status: 400, code: "invalid_parameter", param: "startingAfter"},
	{route: "GET /customers", name: "requestToBeForgotten not a boolean", path: "/customers?requestToBeForgotten=maybe", status: 400, code: "invalid_parameter", param: "requestToBeForgotten"},
	{route: "GET /customers", name: "createdTime not a date", path: "/customers?createdTime%5Bgt%5D=yesterday", status: 400, code: "invalid_parameter", param: "createdTime[gt]"},
	{route: "GET /customers", name: "updatedTime not a date", path: "/customers?updatedTime%5Blte%5D=soon", status: 400, code: "invalid_parameter", param: "updatedTime[lte]"},
	{route: "GET /customers", name: "two bad times name the first operator", path: "/customers?updatedTime%5Blte%5D=soon&updatedTime%5Bgt%5D=later", status: 400, code: "invalid_parameter", param: "updatedTime[gt]"},
	{route: "GET /customers", name: "both cursors", path: "/customers?startingAfter={cust}&endingBefore={cust}", status: 400, code: "invalid_parameter", param: "startingAfter"},
	// /customers/{id}
	{route: "GET /customers/{id}", name: "unknown id", path: "/customers/nope", status: 404, code: "not_found", param: "id"},
	{route: "POST /customers/{id}", name: "unknown id", path: "/customers/nope", body: `{"email":"a@example.test"}`, status: 404, code: "not_found", param: "id"},
	{route: "POST /customers/{id}", name: "bad JSON", path: "/customers/{cust}", body: `{"email":`, status: 400, code: "invalid_parameter"},
	{route: "POST /customers/{id}", name: "enabled is a string", path: "/customers/{cust}", body: `{"enabled":"yes"}`, status: 400, code: "invalid_parameter", param: "enabled"},
	{route: "POST /customers/{id}", name: "id changes", path: "/customers/{cust}", body: `{"id":"other"}`, status: 400, code: "invalid_parameter", param: "id"},
	{route: "POST /customers/{id}", name: "defaultSourceId not attached", path: "/customers/{cust}", body: `{"defaultSourceId":"{loose}"}`, status: 400, code: "invalid_parameter", param: "defaultSourceId"},
	{route: "DELETE /customers/{id}", name: "unknown id", path: "/customers/nope", status: 404, code: "not_found", param: "id"},
	// /customers/{id}/sources/{sourceId}
	{route: "POST /customers/{id}/sources/{sourceId}", name: "unknown customer", path: "/customers/nope/sources/{loose}", status: 404, code: "not_found", param: "id"},
	{route: "POST /customers/{id}/sources/{sourceId}", name: "unknown source", path: "/customers/{cust}/sources/nope", status: 404, code: "not_found", param: "id"},
	{route: "POST /customers/{id}/sources/{sourceId}", name: "bad JSON", path: "/customers/{cust}/sources/{loose}", body: `{"email":`, status: 400, code: "invalid_parameter"},
	{route: "POST /customers/{id}/sources/{sourceId}", name: "body has a field", path: "/customers/{cust}/sources/{loose}", body: `{"default":true}`, status: 400, code: "invalid_parameter", param: "default"},
	{route: "DELETE /customers/{id}/sources/{sourceId}", name: "unknown customer", path: "/customers/nope/sources/{src}", status: 404, code: "not_found", param: "id"},
	{route: "DELETE /customers/{id}/sources/{sourceId}", name: "source not attached", path: "/customers/{cust}/sources/{loose}", status: 404, code: "not_found", param: "id"},
	// POST /sources (public key allowed: a bad request is a 400, not a 401)
	{route: "POST /sources", name: "bad JSON", path: "/sources", body: `{"email":`, status: 400, code: "invalid_parameter"},
	{route: "POST /sources", name: "bad JSON with public key", key: "public", path: "/sources", body: `{"type":`, status: 400, code: "invalid_parameter"},
	{route: "POST /sources", name: "expired card (01/2020)", path: "/sources", body: `{"type":"creditCard","creditCard":{"number":"4444222233331111","expirationMonth":1,"expirationYear":2020}}`, status: 400, code: "invalid_parameter", param: "creditCard.expirationYear"},
	{route: "POST /sources", name: "missing type", path: "/sources", body: `{}`, status: 400, code: "missing_parameter", param: "type"},
	{route: "POST /sources", name: "type not simulated", key: "public", path: "/sources", body: `{"type":"konbini"}`, status: 400, code: "invalid_parameter", param: "type"},
	{route: "POST /sources", name: "card data on a PayPal source", key: "public", path: "/sources", body: `{"type":"payPal","creditCard":{"number":"4444222233331111","expirationMonth":1,"expirationYear":2040}}`, status: 400, code: "invalid_parameter", param: "creditCard"},
	{route: "POST /sources", name: "missing creditCard", key: "public", path: "/sources", body: `{"type":"creditCard"}`, status: 400, code: "missing_parameter", param: "creditCard"},
	{route: "POST /sources", name: "creditCard is a string", path: "/sources", body: `{"type":"creditCard","creditCard":"4444222233331111"}`, status: 400, code: "invalid_parameter", param: "creditCard"},
	{route: "POST /sources", name: "card number is a number", path: "/sources", body: `{"type":"creditCard","creditCard":{"number":4444222233331111}}`, status: 400, code: "invalid_parameter", param: "creditCard.number"},
	{route: "POST /sources", name: "missing card number", path: "/sources", body: `{"type":"creditCard","creditCard":{"expirationMonth":7,"expirationYear":2030}}`, status: 400, code: "missing_parameter", param: "creditCard.number"},
	{route: "POST /sources", name: "card number has letters", path: "/sources", body: `{"type":"creditCard","creditCard":{"number":"4444abcd33331111","expirationMonth":7,"expirationYear":2030}}`, status: 400, code: "invalid_parameter", param: "creditCard.number"},
	{route: "POST /sources", name: "month 13", path: "/sources", body: `{"type":"creditCard","creditCard":{"number":"4444222233331111","expirationMonth":13,"expirationYear":2030}}`, status: 400, code: "invalid_parameter", param: "creditCard.expirationMonth"},
	{route: "POST /sources", name: "two-digit year", path: "/sources", body: `{"type":"creditCard","creditCard":{"number":"4444222233331111","expirationMonth":7,"expirationYear":30}}`, status: 400, code: "invalid_parameter", param: "creditCard.expirationYear"},
	// GET /sources/{id}
	{route: "GET /sources/{id}", name: "unknown id", path: "/sources/nope", status: 404, code: "not_found", param: "id"},
	{route: "GET /sources/{id}", name: "unknown id with public key", key: "public", path: "/sources/nope", status: 404, code: "not_found", param: "id"},
	// POST /skus
	{route: "POST /skus", name: "bad JSON", path: "/skus", body: `{"name":`, status: 400, code: "invalid_parameter"},
	{route: "POST /skus", name: "missing name", path: "/skus", body: `{"description":"no name"}`, status: 400, code: "missing_parameter", param: "name"},
	{route: "POST /skus", name: "empty name", path: "/skus", body: `{"name":""}`, status: 400, code: "missing_parameter", param: "name"},
	{route: "GET /charges/{id}", name: "unknown id", path: "/charges/nope", status: 404, code: "not_found", param: "id"},
	{route: "POST /skus", name: "weightUnit stone", path: "/skus", body: `{"name":"W","weightUnit":"stone"}`, status: 400, code: "invalid_parameter", param: "weightUnit"},
	{route: "POST /skus", name: "weight negative", path: "/skus", body: `{"name":"W","weight":-1}`, status: 400, code: "invalid_parameter", param: "weight"},
	{route: "POST /skus", name: "name is a number", path: "/skus", body: `{"name":5}`, status: 400, code: "invalid_parameter", param: "name"},
	{route: "POST /skus", name: "physical is a string", path: "/skus", body: `{"name":"x","physical":"yes"}`, status: 400, code: "invalid_parameter", param: "physical"},
	{route: "POST /skus", name: "id taken", path: "/skus", body: `{"id":"{sku}","name":"again"}`, status: 409, code: "conflict"},
	{route: "POST /skus", name: "id longer than 100", path: "/skus", body: `{"id":"` + strings.Repeat("s", 101) + `","name":"x"}`, status: 400, code: "invalid_parameter", param: "id"},
	// GET /skus
	{route: "GET /skus", name: "limit abc", path: "/skus?limit=abc", status: 400, code: "invalid_parameter", param: "limit"},
	{route: "GET /skus", name: "limit 101", path: "/skus?limit=101", status: 400, code: "invalid_parameter", param: "limit"},
	{route: "GET /skus", name: "endingBefore unknown", path: "/skus?endingBefore=nope", status: 400, code: "invalid_parameter", param: "endingBefore"},
	// /skus/{id}
	{route: "GET /skus/{id}", name: "unknown id", path: "/skus/nope", status: 404, code: "not_found", param: "id"},
	{route: "PUT /skus/{id}", name: "bad JSON", path: "/skus/{sku}", body: `{"name":`, status: 400, code: "invalid_parameter"},
	{route: "PUT /skus/{id}", name: "new SKU without name", path: "/skus/sku_new_without_name", body: `{"description":"x"}`, status: 400, code: "missing_parameter", param: "name"},
	{route: "PUT /skus/{id}", name: "name is a number", path: "/skus/{sku}", body: `{"name":5}`, status: 400, code: "invalid_parameter", param: "name"},
	{route: "POST /skus/{id}", name: "unknown id", path: "/skus/nope", body: `{"name":"x"}`, status: 404, code: "not_found", param: "id"},
	{route: "POST /skus/{id}", name: "empty name", path: "/skus/{sku}", body: `{"name":""}`, status: 400, code: "invalid_parameter", param: "name"},
	{route: "POST /skus/{id}", name: "bad JSON", path: "/skus/{sku}", body: `{"name":`, status: 400, code: "invalid_parameter"},
	{route: "DELETE /skus/{id}", name: "unknown id", path: "/skus/nope", status: 404, code: "not_found", param: "id"},
	// GET /orders
	{route: "GET /orders", name: "limit 0", path: "/orders?limit=0", status: 400, code: "invalid_parameter", param: "limit"},
	{route: "GET /orders", name: "limit 101", path: "/orders?limit=101", status: 400, code: "invalid_parameter", param: "limit"},
	{route: "GET /orders", name: "limit abc", path: "/orders?limit=abc", status: 400, code: "invalid_parameter", param: "limit"},
	{route: "GET /orders", name: "createdTime[gt] not a date", path: "/orders?" + url.QueryEscape("createdTime[gt]") + "=yesterday", status: 400, code: "invalid_parameter", param: "createdTime[gt]"},
	{route: "GET /orders", name: "createdTime[lte] month 13", path: "/orders?" + url.QueryEscape("createdTime[lte]") + "=2021-13-01T00:00:00Z", status: 400, code: "invalid_parameter", param: "createdTime[lte]"},
	// /orders/{id}
	{route: "GET /orders/{id}", name: "unknown id", path: "/orders/000000000336", status: 404, code: "not_found", param: "id"},
	{route: "GET /orders/{id}", name: "expand not a boolean", path: "/orders/000000000336?expand=yes", status: 400, code: "invalid_parameter", param: "expand"},
	{route: "GET /orders/{id}", name: "unknown id, expanded", path: "/orders/000000000336?expand=true", status: 404, code: "not_found", param: "id"},
	{route: "POST /orders/{id}", name: "unknown id", path: "/orders/000000000336", body: `{"upstreamId":"u1"}`, status: 404, code: "not_found", param: "id"},
	{route: "POST /orders/{id}", name: "bad JSON", path: "/orders/{order}", body: `{"upstreamId":`, status: 400, code: "invalid_parameter"},
	{route: "POST /orders/{id}", name: "requestToBeForgotten is a string", path: "/orders/{order}", body: `{"requestToBeForgotten":"yes"}`, status: 400, code: "invalid_parameter", param: "requestToBeForgotten"},
	{route: "POST /orders/{id}", name: "state is not updatable", path: "/orders/{order}", body: `{"state":"accepted"}`, status: 400, code: "invalid_parameter", param: "state"},
	// GET /events
	{route: "GET /events", name: "limit 0", path: "/events?limit=0", status: 400, code: "invalid_parameter", param: "limit"},
	{route: "GET /events", name: "limit 101", path: "/events?limit=101", status: 400, code: "invalid_parameter", param: "limit"},
	{route: "GET /events", name: "limit abc", path: "/events?limit=abc", status: 400, code: "invalid_parameter", param: "limit"},
	{route: "GET /events", name: "createdTime[gt] not a date", path: "/events?" + url.QueryEscape("createdTime[gt]") + "=2021-11-01", status: 400, code: "invalid_parameter", param: "createdTime[gt]"},
	{route: "GET /events", name: "type and types", path: "/events?type=order.accepted&types=order.cancelled", status: 400, code: "invalid_parameter", param: "types"},
	{route: "GET /events", name: "20 types", path: "/events?types=" + strings.TrimSuffix(strings.Repeat("a.b,", 20), ","), status: 400, code: "invalid_parameter", param: "types"},
	{route: "GET /events", name: "startingAfter unknown", path: "/events?startingAfter=nope", status: 400, code: "invalid_parameter", param: "startingAfter"},
	{route: "GET /events/{id}", name: "unknown id", path: "/events/nope", status: 404, code: "not_found", param: "id"},
	// POST /webhooks
	{route: "POST /webhooks", name: "bad JSON", path: "/webhooks", body: `{"address":`, status: 400, code: "invalid_parameter"},
	{route: "POST /webhooks", name: "types is a string", path: "/webhooks", body: `{"address":"http://127.0.0.1:9/hook","types":"order.accepted"}`, status: 400, code: "invalid_parameter", param: "types"},
	{route: "POST /webhooks", name: "enabled is a string", path: "/webhooks", body: `{"address":"http://127.0.0.1:9/hook","types":["order.accepted"],"enabled":"yes"}`, status: 400, code: "invalid_parameter", param: "enabled"},
	{route: "POST /webhooks", name: "missing address", path: "/webhooks", body: `{"types":["order.accepted"]}`, status: 400, code: "missing_parameter", param: "address"},
	{route: "POST /webhooks", name: "missing types", path: "/webhooks", body: `{"address":"http://127.0.0.1:9/hook"}`, status: 400, code: "missing_parameter", param: "types"},
	{route: "POST /webhooks", name: "empty types", path: "/webhooks", body: `{"address":"http://127.0.0.1:9/hook","types":[]}`, status: 400, code: "invalid_parameter", param: "types"},
	{route: "POST /webhooks", name: "empty type name", path: "/webhooks", body: `{"address":"http://127.0.0.1:9/hook","types":[""]}`, status: 400, code: "invalid_parameter", param: "types"},
	{route: "POST /webhooks", name: "address not a URL", path: "/webhooks", body: `{"address":"merchant.example","types":["order.accepted"]}`, status: 400, code: "invalid_parameter", param: "address"},
	{route: "POST /webhooks", name: "address not http", path: "/webhooks", body: `{"address":"ftp://merchant.example/hook","types":["order.accepted"]}`, status: 400, code: "invalid_parameter", param: "address"},
	{route: "POST /webhooks", name: "transportType unknown", path: "/webhooks", body: `{"address":"http://127.0.0.1:9/hook","types":["order.accepted"],"transportType":"SMTP"}`, status: 400, code: "invalid_parameter", param: "transportType"},
	// Callback authentication (DR's "Creating a webhook": authentication
	// only with HTTP, oauth only with OAUTH and then with tokenEndPoint,
	// clientID and clientSecret).
	{route: "POST /webhooks", name: "authentication with OAUTH", path: "/webhooks", body: `{"address":"http://127.0.0.1:9/hook","types":["order.accepted"],"transportType":"OAUTH","oauth":{"tokenEndPoint":"http://127.0.0.1:9/token","clientID":"c","clientSecret":"s"},"authentication":{"userName":"u","password":"p"}}`, status: 400, code: "invalid_parameter", param: "authentication"},
	{route: "POST /webhooks", name: "oauth with HTTP", path: "/webhooks", body: `{"address":"http://127.0.0.1:9/hook","types":["order.accepted"],"oauth":{"tokenEndPoint":"http://127.0.0.1:9/token","clientID":"c","clientSecret":"s"}}`, status: 400, code: "invalid_parameter", param: "oauth"},
	{route: "POST /webhooks", name: "OAUTH without oauth", path: "/webhooks", body: `{"address":"http://127.0.0.1:9/hook","types":["order.accepted"],"transportType":"OAUTH"}`, status: 400, code: "missing_parameter", param: "oauth"},
	{route: "POST /webhooks", name: "oauth without tokenEndPoint", path: "/webhooks", body: `{"address":"http://127.0.0.1:9/hook","types":["order.accepted"],"transportType":"OAUTH","oauth":{"clientID":"c","clientSecret":"s"}}`, status: 400, code: "missing_parameter", param: "oauth.tokenEndPoint"},
	{route: "POST /webhooks", name: "oauth without clientID", path: "/webhooks", body: `{"address":"http://127.0.0.1:9/hook","types":["order.accepted"],"transportType":"OAUTH","oauth":{"tokenEndPoint":"http://127.0.0.1:9/token","clientSecret":"s"}}`, status: 400, code: "missing_parameter", param: "oauth.clientID"},
	{route: "POST /webhooks", name: "oauth without clientSecret", path: "/webhooks", body: `{"address":"http://127.0.0.1:9/hook","types":["order.accepted"],"transportType":"OAUTH","oauth":{"tokenEndPoint":"http://127.0.0.1:9/token","clientID":"c"}}`, status: 400, code: "missing_parameter", param: "oauth.clientSecret"},
	{route: "POST /webhooks", name: "tokenEndPoint not a URL", path: "/webhooks", body: `{"address":"http://127.0.0.1:9/hook","types":["order.accepted"],"transportType":"OAUTH","oauth":{"tokenEndPoint":"token","clientID":"c","clientSecret":"s"}}`, status: 400, code: "invalid_parameter", param: "oauth.tokenEndPoint"},
	{route: "POST /webhooks", name: "grantType unknown", path: "/webhooks", body: `{"address":"http://127.0.0.1:9/hook","types":["order.accepted"],"transportType":"OAUTH","oauth":{"tokenEndPoint":"http://127.0.0.1:9/token","clientID":"c","clientSecret":"s","grantType":"implicit"}}`, status: 400, code: "invalid_parameter", param: "oauth.grantType"},
	{route: "POST /webhooks", name: "password grant without userName", path: "/webhooks", body: `{"address":"http://127.0.0.1:9/hook","types":["order.accepted"],"transportType":"OAUTH","oauth":{"tokenEndPoint":"http://127.0.0.1:9/token","clientID":"c","clientSecret":"s","grantType":"password"}}`, status: 400, code: "missing_parameter", param: "oauth.userName"},
	{route: "POST /webhooks", name: "authentication without userName", path: "/webhooks", body: `{"address":"http://127.0.0.1:9/hook","types":["order.accepted"],"authentication":{"password":"p"}}`, status: 400, code: "missing_parameter", param: "authentication.userName"},
	{route: "POST /webhooks", name: "userName and username differ", path: "/webhooks", body: `{"address":"http://127.0.0.1:9/hook","types":["order.accepted"],"authentication":{"userName":"a","username":"b","password":"p"}}`, status: 400, code: "invalid_parameter", param: "authentication.userName"},
	{route: "POST /webhooks", name: "authentication a string", path: "/webhooks", body: `{"address":"http://127.0.0.1:9/hook","types":["order.accepted"],"authentication":"u:p"}`, status: 400, code: "invalid_parameter", param: "authentication"},
	{route: "GET /webhooks", name: "limit 101", path: "/webhooks?limit=101", status: 400, code: "invalid_parameter", param: "limit"},
	{route: "GET /webhooks", name: "limit 0", path: "/webhooks?limit=0", status: 400, code: "invalid_parameter", param: "limit"},
	// /webhooks/{id}
	{route: "GET /webhooks/{id}", name: "unknown id", path: "/webhooks/nope", status: 404, code: "not_found", param: "id"},
	{route: "PATCH /webhooks/{id}", name: "unknown id", path: "/webhooks/nope", body: `{"enabled":false}`, status: 404, code: "not_found", param: "id"},
	{route: "PATCH /webhooks/{id}", name: "enabled is a string", path: "/webhooks/{hook}", body: `{"enabled":"yes"}`, status: 400, code: "invalid_parameter", param: "enabled"},
	{route: "PATCH /webhooks/{id}", name: "bad JSON", path: "/webhooks/{hook}", body: `{"enabled":`, status: 400, code: "invalid_parameter"},
	{route: "PATCH /webhooks/{id}", name: "empty types", path: "/webhooks/{hook}", body: `{"types":[]}`, status: 400, code: "invalid_parameter", param: "types"},
	{route: "PATCH /webhooks/{id}", name: "OAUTH without oauth", path: "/webhooks/{hook}", body: `{"transportType":"OAUTH"}`, status: 400, code: "missing_parameter", param: "oauth"},
	{route: "PATCH /webhooks/{id}", name: "oauth on an HTTP webhook", path: "/webhooks/{hook}", body: `{"oauth":{"tokenEndPoint":"http://127.0.0.1:9/token","clientID":"c","clientSecret":"s"}}`, status: 400, code: "invalid_parameter", param: "oauth"},
	{route: "DELETE /webhooks/{id}", name: "unknown id", path: "/webhooks/nope", status: 404, code: "not_found", param: "id"},

	// Control API.
	{route: "GET /_sim/account", name: "public key", key: "public", path: "/_sim/account", status: 401},
	{route: "POST /_sim/accounts", name: "bad JSON", key: "none", path: "/_sim/accounts", body: `{"secretKey":`, status: 400, code: "invalid_parameter"},
	{route: "POST /_sim/accounts", name: "secretKey not sk_test_", key: "none", path: "/_sim/accounts", body: `{"secretKey":"pk_test_0123456789"}`, status: 400, code: "invalid_parameter", param: "secretKey"},
	{route: "POST /_sim/orders", name: "bad JSON", path: "/_sim/orders", body: `{"customerId":`, status: 400, code: "invalid_parameter"},
	{route: "POST /_sim/orders", name: "missing customerId", path: "/_sim/orders", body: `{"items":[{"skuId":"{sku}","quantity":1,"price":1}]}`, status: 400, code: "missing_parameter", param: "customerId"},
	{route: "POST /_sim/orders", name: "missing items", path: "/_sim/orders", body: `{"customerId":"{cust}"}`, status: 400, code: "missing_parameter", param: "items"},
	{route: "POST /_sim/orders", name: "items is an object", path: "/_sim/orders", body: `{"customerId":"{cust}","items":{"skuId":"{sku}"}}`, status: 400, code: "invalid_parameter", param: "items"},
	{route: "POST /_sim/orders", name: "missing skuId", path: "/_sim/orders", body: `{"customerId":"{cust}","items":[{"quantity":1,"price":1}]}`, status: 400, code: "missing_parameter", param: "items[0].skuId"},
	{route: "POST /_sim/orders", name: "quantity 0", path: "/_sim/orders", body: `{"customerId":"{cust}","items":[{"skuId":"{sku}","quantity":0,"price":1}]}`, status: 400, code: "invalid_parameter", param: "items[0].quantity"},
	{route: "POST /_sim/orders", name: "taxRate over 1", path: "/_sim/orders", body: `{"customerId":"{cust}","items":[{"skuId":"{sku}","quantity":1,"price":1,"taxRate":8}]}`, status: 400, code: "invalid_parameter", param: "items[0].taxRate"},
	{route: "POST /_sim/orders", name: "discount over the line", path: "/_sim/orders", body: `{"customerId":"{cust}","items":[{"skuId":"{sku}","quantity":1,"price":1,"discount":2}]}`, status: 400, code: "invalid_parameter", param: "items[0].discount"},
	{route: "POST /_sim/orders", name: "price overflows the total", path: "/_sim/orders", body: `{"customerId":"{cust}","items":[{"skuId":"{sku}","quantity":2,"price":1e308}]}`, status: 400, code: "invalid_parameter", param: "items[0].price"},
	{route: "POST /_sim/orders", name: "shipping overflows the total", path: "/_sim/orders", body: `{"customerId":"{cust}","items":[{"skuId":"{sku}","quantity":1,"price":1}],"shipping":{"amount":1e308,"taxAmount":1e308}}`, status: 400, code: "invalid_parameter", param: "shipping.amount"},
	{route: "POST /_sim/orders", name: "currency not ISO", path: "/_sim/orders", body: `{"customerId":"{cust}","currency":"US","items":[{"skuId":"{sku}","quantity":1,"price":1}]}`, status: 400, code: "invalid_parameter", param: "currency"},
	{route: "POST /_sim/orders", name: "unknown customer", path: "/_sim/orders", body: `{"customerId":"nope","items":[{"skuId":"{sku}","quantity":1,"price":1}]}`, status: 404, code: "not_found", param: "id"},
	{route: "POST /_sim/orders", name: "unknown SKU", path: "/_sim/orders", body: `{"customerId":"{cust}","items":[{"skuId":"nope","quantity":1,"price":1}]}`, status: 404, code: "not_found", param: "id"},
	{route: "POST /_sim/orders/{id}/accept", name: "unknown order", path: "/_sim/orders/nope/accept", status: 404, code: "not_found", param: "id"},
	{route: "POST /_sim/orders/{id}/review", name: "unknown order", path: "/_sim/orders/nope/review", status: 404, code: "not_found", param: "id"},
	{route: "POST /_sim/orders/{id}/review", name: "accepted order", path: "/_sim/orders/{accepted}/review", status: 409, code: "invalid_state"},
	{route: "POST /_sim/orders/{id}/accept", name: "accepted twice", path: "/_sim/orders/{accepted}/accept", status: 409, code: "invalid_state"},
	{route: "POST /_sim/sources/{id}/funds", name: "unknown source", path: "/_sim/sources/nope/funds", status: 404, code: "not_found", param: "id"},
	{route: "POST /_sim/sources/{id}/funds", name: "a card is not pending_funds", path: "/_sim/sources/{loose}/funds", status: 409, code: "invalid_state"},
	{route: "POST /_sim/sources/{id}/funds", name: "a body", path: "/_sim/sources/{loose}/funds", body: `{"amount":1}`, status: 400, code: "invalid_parameter", param: "amount"},
	{route: "POST /_sim/sources/{id}/expire", name: "unknown source", path: "/_sim/sources/nope/expire", status: 404, code: "not_found", param: "id"},
	{route: "POST /_sim/sources/{id}/expire", name: "a card is not pending_funds", path: "/_sim/sources/{loose}/expire", status: 409, code: "invalid_state"},
	{route: "POST /_sim/sources/{id}/expire", name: "a body", path: "/_sim/sources/{loose}/expire", body: `{"days":1}`, status: 400, code: "invalid_parameter", param: "days"},
	{route: "POST /_sim/orders/{id}/block", name: "unknown order", path: "/_sim/orders/nope/block", status: 404, code: "not_found", param: "id"},
	{route: "POST /_sim/orders/{id}/block", name: "block an accepted order", path: "/_sim/orders/{accepted}/block", status: 409, code: "invalid_state"},
	{route: "GET /_sim/webhooks/{id}/secret", name: "unknown webhook", path: "/_sim/webhooks/nope/secret", status: 404, code: "not_found", param: "id"},
	{route: "POST /_sim/webhooks/{id}/secret", name: "missing secret", path: "/_sim/webhooks/{hook}/secret", body: `{}`, status: 400, code: "missing_parameter", param: "secret"},
	{route: "POST /_sim/webhooks/{id}/secret", name: "unknown webhook", path: "/_sim/webhooks/nope/secret", body: `{"secret":"s"}`, status: 404, code: "not_found", param: "id"},
	{route: "POST /_sim/events/{id}/deliveries", name: "unknown forge", path: "/_sim/events/{acceptedEvent}/deliveries", body: `{"forge":"backwards"}`, status: 400, code: "invalid_parameter", param: "forge"},
	{route: "POST /_sim/events/{id}/deliveries", name: "unknown event", path: "/_sim/events/nope/deliveries", body: `{}`, status: 404, code: "not_found", param: "id"},
	{route: "POST /_sim/events/{id}/deliveries", name: "event went to no webhook", path: "/_sim/events/{skuEvent}/deliveries", body: `{}`, status: 400, code: "invalid_parameter", param: "webhookId"},
	{route: "POST /_sim/events/{id}/deliveries", name: "unknown webhookId", path: "/_sim/events/{acceptedEvent}/deliveries", body: `{"webhookId":"nope"}`, status: 404, code: "not_found", param: "id"},
	{route: "POST /_sim/faults", name: "neither forge nor status", path: "/_sim/faults", body: `{"eventType":"order.accepted"}`, status: 400, code: "missing_parameter", param: "forge"},
	{route: "POST /_sim/faults", name: "unknown forge", path: "/_sim/faults", body: `{"forge":"backwards"}`, status: 400, code: "invalid_parameter", param: "forge"},
	{route: "POST /_sim/faults", name: "status 200", path: "/_sim/faults", body: `{"status":200}`, status: 400, code: "invalid_parameter", param: "status"},
	{route: "POST /_sim/faults", name: "negative count", path: "/_sim/faults", body: `{"forge":"missing","count":-1}`, status: 400, code: "invalid_parameter", param: "count"},
	{route: "POST /_sim/faults", name: "unknown webhook", path: "/_sim/faults", body: `{"forge":"missing","webhookId":"nope"}`, status: 404, code: "not_found", param: "id"},
	{route: "POST /_sim/faults", name: "id set by the client", path: "/_sim/faults", body: `{"forge":"missing","id":"flt_9"}`, status: 400, code: "invalid_parameter", param: "id"},
	{route: "POST /_sim/test-clocks", name: "frozenTime not a date", path: "/_sim/test-clocks", body: `{"frozenTime":"tomorrow"}`, status: 400, code: "invalid_parameter", param: "frozenTime"},
	{route: "POST /_sim/test-clocks", name: "frozenTime before 1970", path: "/_sim/test-clocks", body: `{"frozenTime":"1960-01-01T00:00:00Z"}`, status: 400, code: "invalid_parameter", param: "frozenTime"},
	{route: "GET /_sim/test-clocks/{id}", name: "unknown clock", path: "/_sim/test-clocks/nope", status: 404, code: "not_found", param: "id"},
	{route: "DELETE /_sim/test-clocks/{id}", name: "unknown clock", path: "/_sim/test-clocks/nope", status: 404, code: "not_found", param: "id"},
	{route: "POST /_sim/test-clocks/{id}/customers", name: "unknown clock", path: "/_sim/test-clocks/nope/customers", body: `{"email":"a@example.test"}`, status: 404, code: "not_found", param: "id"},
	{route: "POST /_sim/test-clocks/{id}/customers", name: "bad email", path: "/_sim/test-clocks/{clock}/customers", body: `{"email":"nope"}`, status: 400, code: "invalid_parameter", param: "email"},
	{route: "POST /_sim/test-clocks/{id}/advance", name: "neither advance nor frozenTime", path: "/_sim/test-clocks/{clock}/advance", body: `{}`, status: 400, code: "missing_parameter", param: "frozenTime"},
	{route: "POST /_sim/test-clocks/{id}/advance", name: "advance backwards", path: "/_sim/test-clocks/{clock}/advance", body: `{"advance":"-1h"}`, status: 400, code: "invalid_parameter", param: "advance"},
	{route: "POST /_sim/test-clocks/{id}/advance", name: "advance not a duration", path: "/_sim/test-clocks/{clock}/advance", body: `{"advance":"a month"}`, status: 400, code: "invalid_parameter", param: "advance"},
	{route: "POST /_sim/test-clocks/{id}/advance", name: "advance and frozenTime", path: "/_sim/test-clocks/{clock}/advance", body: `{"advance":"1h","frozenTime":"2100-01-01T00:00:00Z"}`, status: 400, code: "invalid_parameter", param: "advance"},
	{route: "POST /_sim/test-clocks/{id}/advance", name: "frozenTime in the past", path: "/_sim/test-clocks/{clock}/advance", body: `{"frozenTime":"2001-01-01T00:00:00Z"}`, status: 400, code: "invalid_parameter", param: "frozenTime"},
	{route: "POST /_sim/test-clocks/{id}/advance", name: "frozenTime is not a date", path: "/_sim/test-clocks/{clock}/advance", body: `{"frozenTime":"tomorrow"}`, status: 400, code: "invalid_parameter", param: "frozenTime"},
	{route: "POST /_sim/test-clocks/{id}/advance", name: "advance over the bound", path: "/_sim/test-clocks/{clock}/advance", body: `{"advance":"87600h"}`, status: 400, code: "invalid_parameter", param: "advance"},
	{route: "POST /_sim/test-clocks/{id}/advance", name: "frozenTime over the bound", path: "/_sim/test-clocks/{clock}/advance", body: `{"frozenTime":"9000-01-01T00:00:00Z"}`, status: 400, code: "invalid_parameter", param: "frozenTime"},
	{route: "POST /_sim/test-clocks/{id}/advance", name: "unknown clock", path: "/_sim/test-clocks/nope/advance", body: `{"advance":"1h"}`, status: 404, code: "not_found", param: "id"},
	{route: "GET /_sim/deliveries", name: "min not a number", path: "/_sim/deliveries?min=abc&wait=1s", status: 400, code: "invalid_parameter", param: "min"},
	{route: "GET /_sim/deliveries", name: "wait not a duration", path: "/_sim/deliveries?min=1&wait=forever", status: 400, code: "invalid_parameter", param: "wait"},
	{route: "GET /_sim/deliveries", name: "wait over the bound", path: "/_sim/deliveries?min=1&wait=1h", status: 400, code: "invalid_parameter", param: "wait"},
	{route: "GET /_sim/deliveries", name: "wait runs out", path: "/_sim/deliveries?min=1000&wait=1ms", status: 408, code: "request_timeout", param: "wait"},

	// Routing.
	{name: "unknown endpoint", method: "GET", path: "/nope", status: 404, code: "not_found"},
	{name: "PUT on a collection", method: "PUT", path: "/customers", body: `{}`, status: 405, code: "method_not_allowed"},
	{name: "DELETE an event", method: "DELETE", path: "/events/{skuEvent}", status: 405, code: "method_not_allowed"},
	{name: "GET the accounts collection", method: "GET", path: "/_sim/accounts", status: 405, code: "method_not_allowed"},
}

// publicRoutes are the only DR routes the public key may call [choice].
var publicRoutes = map[string]bool{"POST /sources": true, "GET /sources/{id}": true}

// authRows builds, for every authenticated route the server registers, the
// 401 rows: no key, an unknown key, Basic instead of Bearer, and the public
// key where a secret key is needed.
func authRows(routes []string) []badRow {
	fill := strings.NewReplacer("{id}", "x", "{sourceId}", "y")
	var rows []badRow
	for _, r := range routes {
		if r == "POST /_sim/accounts" || r == "GET /_sim/health" {
			continue // the unauthenticated routes
		}
		method, tpl, _ := strings.Cut(r, " ")
		kinds := []string{"none", "unknown", "basic"}
		if !publicRoutes[r] {
			kinds = append(kinds, "public")
		}
		for _, k := range kinds {
			rows = append(rows, badRow{route: r, name: k + " key", key: k, method: method, path: fill.Replace(tpl), status: 401})
		}
	}
	return rows
}

func TestBadRequestsGetDRErrors(t *testing.T) {
	e := newEnv(t, 0)
	routes, err := api.Routes(e.handler)
	if err != nil {
		t.Fatalf("walk routes: %v", err)
	}

	// Every DR route (and every control route that takes input) has a row
	// of its own beyond the generated 401s.
	covered := map[string]bool{}
	for _, r := range badRows {
		covered[r.route] = true
	}
	inputless := map[string]bool{"GET /_sim/clock": true, "GET /_sim/requests": true, "GET /_sim/test-clocks": true, "GET /_sim/health": true,
		"DELETE /_sim/account": true} // deleting the fixtures' account would end the test: accounts_test.go
	var missing []string
	for _, r := range routes {
		if !covered[r] && !inputless[r] {
			missing = append(missing, r)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("routes with no bad-request row: %v", missing)
	}

	// Fixtures.
	acct := e.newAccount()
	c := acct.secret
	hookRecv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(hookRecv.Close)
	sku := c.createSKU("Widget")
	cust := c.createCustomer("alice@example.test")
	src := c.createCard("4444222233331111")
	c.must("POST", "/customers/"+cust+"/sources/"+src.ID, nil, http.StatusOK, nil)
	loose := c.createCard("5466160000000008")
	hook := c.createWebhook(hookRecv.URL, "order.accepted")
	pending := c.placeOrder(cust, sku)
	accepted := c.placeOrder(cust, sku)
	c.accept(accepted.ID)
	skuEvents := c.events("?type=sku.created")
	acceptedEvents := c.events("?type=order.accepted")
	if len(skuEvents.Data) != 1 || len(acceptedEvents.Data) != 1 {
		t.Fatalf("fixtures: %d sku.created and %d order.accepted events, want 1 each", len(skuEvents.Data), len(acceptedEvents.Data))
	}
	if len(skuEvents.Data[0].WebhookIDs) != 0 || len(acceptedEvents.Data[0].WebhookIDs) != 1 {
		t.Fatalf("fixtures: sku.created went to %v, order.accepted to %v; want none and [%s]",
			skuEvents.Data[0].WebhookIDs, acceptedEvents.Data[0].WebhookIDs, hook)
	}
	var clk idOnly
	c.must("POST", "/_sim/test-clocks", `{}`, http.StatusCreated, &clk)
	var upload file
	if status, raw := c.upload([][2]string{{"purpose", "tax_document_customer_upload"}}, "a.pdf", []byte("%PDF-1.4\n%%EOF\n")); status != http.StatusCreated {
		t.Fatalf("fixtures: POST /files: %d %s", status, raw)
	} else if err := json.Unmarshal(raw, &upload); err != nil {
		t.Fatal(err)
	}
	fill := strings.NewReplacer("{file}", upload.ID, "{clock}", clk.ID, "{cust}", cust, "{src}", src.ID, "{loose}", loose.ID, "{sku}", sku,
		"{order}", pending.ID, "{accepted}", accepted.ID, "{hook}", hook,
		"{skuEvent}", skuEvents.Data[0].ID, "{acceptedEvent}", acceptedEvents.Data[0].ID)

	rows := append(append([]badRow(nil), badRows...), authRows(routes)...)
	rows = append(rows, genericStrictRows(badRows, routes)...)
	// Every list the account has, read back after each bad request: a
	// failing request changes nothing.
	var lists []string
	for _, r := range routes {
		if p, ok := strings.CutPrefix(r, "GET "); ok && !strings.Contains(p, "{") && p != "/_sim/requests" && p != "/_sim/deliveries" && p != "/_sim/clock" {
			if strings.HasPrefix(p, "/_sim/") {
				lists = append(lists, p)
			} else {
				lists = append(lists, p+"?limit=100")
			}
		}
	}
	snapshot := func(t *testing.T) map[string]string {
		out := map[string]string{}
		for _, p := range lists {
			out[p] = string(c.on(t).must("GET", p, nil, http.StatusOK, nil))
		}
		return out
	}
	before := snapshot(t)
	counts := map[int]int{}
	for _, row := range rows {
		name := row.route
		if name == "" {
			name = row.method + " " + row.path
		}
		t.Run(name+"/"+row.name, func(t *testing.T) {
			method, path := row.method, fill.Replace(row.path)
			if method == "" {
				method, _, _ = strings.Cut(row.route, " ")
			}
			var cl client
			switch row.key {
			case "", "secret":
				cl = c
			case "public":
				cl = acct.public
			case "none":
				cl = client{e: e}
			case "unknown":
				cl = e.as("sk_test_00000000000000000000000000000000")
			case "basic":
				cl = client{e: e, auth: "Basic " + acct.keys.SecretKey}
			default:
				t.Fatalf("row key %q", row.key)
			}
			var body any
			if s, ok := row.body.(string); ok {
				body = fill.Replace(s)
			}
			status, raw := cl.on(t).do(method, path, body)
			if status >= 500 {
				t.Fatalf("%s %s answered %d (a simulator bug): %s", method, path, status, raw)
			}
			if status != row.status {
				t.Fatalf("%s %s: status %d, want %d; body: %s", method, path, status, row.status, raw)
			}
			if status == http.StatusUnauthorized {
				if string(raw) != unauthorizedBody {
					t.Fatalf("%s %s: 401 body\n got %s\nwant %s", method, path, raw, unauthorizedBody)
				}
				return
			}
			de, problem := parseError(status, raw)
			if problem != "" {
				t.Fatalf("%s %s: %s; body: %s", method, path, problem, raw)
			}
			if d := de.Errors[0]; d.Code != row.code || d.Parameter != row.param {
				t.Fatalf("%s %s: code %q parameter %q, want %q %q; body: %s", method, path, d.Code, d.Parameter, row.code, row.param, raw)
			}
			for p, now := range snapshot(t) {
				if now != before[p] {
					t.Fatalf("%s %s failed with %d but changed GET %s:\nbefore %s\nafter  %s", method, path, status, p, before[p], now)
				}
			}
		})
		counts[row.status]++
	}
	t.Logf("%d rows: %v (status → rows)", len(rows), counts)

	// No bad request changed anything a later call could trip on: every
	// list still answers, and the fixtures are as they were.
	for _, p := range []string{"/customers", "/skus", "/orders", "/events?limit=100", "/webhooks"} {
		c.must("GET", p, nil, http.StatusOK, nil)
	}
	var o order
	c.must("GET", "/orders/"+pending.ID, nil, http.StatusOK, &o)
	if o.State != "pending_payment" {
		t.Fatalf("order %s is %s after the bad requests, want pending_payment", pending.ID, o.State)
	}
	var orders page[order]
	c.must("GET", "/orders?limit=100", nil, http.StatusOK, &orders)
	if len(orders.Data) != 2 {
		t.Fatalf("%d orders after the bad requests, want the 2 fixtures", len(orders.Data))
	}
}
