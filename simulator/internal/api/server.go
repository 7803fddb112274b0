// Package api is the simulator's HTTP layer: DR's REST API and the control
// API under /_sim/, routed with gorilla/mux. Handlers decode requests into
// the state package's Params types, call one method, and write its result or
// its error in DR's shape. Rules live in state, not here.
package api

import (
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/gorilla/mux"

	"github.com/drsim/drsim/simulator/internal/apierror"
	"github.com/drsim/drsim/simulator/internal/delivery"
	"github.com/drsim/drsim/simulator/internal/state"
)

// Handler serves the DR API and the control API.
type Handler struct {
	store  *state.Store
	engine *delivery.Engine
	log    *slog.Logger
	router *mux.Router
	// publicURL, when set, is the base of link URLs (SetPublicURL).
	publicURL string
	// apiFaults are the faults of the merchants' own API calls (apifaults.go).
	apiFaults apiFaults
	// rateLimit is DR's per-account rate limit, off unless set (ratelimit.go).
	rateLimit rateLimits
	// adminToken, when set, guards the control API (admin.go).
	adminToken string
	// lastBase is the last base URL noteBaseURL built (files.go).
	lastBase atomic.Pointer[baseEntry]
}

// New builds the handler over a store and its delivery engine.
//
// The router does not clean paths: mux would answer "//customers" with a
// bare 301 (dropping a POST's body); it is a 404 in DR's shape instead.
func New(store *state.Store, engine *delivery.Engine, logger *slog.Logger) *Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{store: store, engine: engine, log: logger, router: mux.NewRouter().SkipClean(true)}
	h.routes()
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			h.log.Error("simulator panic (a bug)", "method", r.Method, "path", r.URL.Path, "panic", v)
			writeError(w, apierror.New(http.StatusInternalServerError, "internal_error", "", "The simulator failed; this is a drsim bug."))
		}
	}()
	if id, ok := strings.CutPrefix(r.URL.Path, "/links/"); ok {
		// A file link's url: DR serves these from another host, not the
		// API; so no key, no API faults, no request log [choice] (files.go).
		h.downloadLink(w, r, id)
		return
	}
	if h.adminRefused(w, r) {
		return
	}
	// As mux's Router.ServeHTTP (the router does not clean paths), less its
	// two copies of the request per call, one to carry the route (unused)
	// and one for the path's variables, which only a path with variables
	// needs.
	var match mux.RouteMatch
	if !h.router.Match(r, &match) || match.Handler == nil {
		h.router.ServeHTTP(w, r) // not reached: NotFoundHandler and MethodNotAllowedHandler are set
		return
	}
	if len(match.Vars) > 0 {
		r = mux.SetURLVars(r, match.Vars)
	}
	match.Handler.ServeHTTP(w, r)
}

func (h *Handler) routes() {
	r := h.router
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, apierror.New(http.StatusNotFound, "not_found", "", "No such endpoint: "+r.Method+" "+r.URL.Path))
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, apierror.New(http.StatusMethodNotAllowed, "method_not_allowed", "", r.Method+" is not allowed on "+r.URL.Path))
	})

	// Every route runs prelude first (caller.go): the account of the
	// request's key, API faults, the base URL.
	dr := func(method, path string, keys keyScope, fn accountHandler) {
		r.Handle(path, h.drCall(keys, fn)).Methods(method)
	}
	// Customers and saved sources (docs/dr-api.md#customer).
	dr("POST", "/customers", secretOnly, h.createCustomer)
	dr("GET", "/customers", secretOnly, h.listCustomers)
	dr("GET", "/customers/{id}", secretOnly, h.getCustomer)
	dr("POST", "/customers/{id}", secretOnly, h.updateCustomer)
	dr("DELETE", "/customers/{id}", secretOnly, h.deleteCustomer)
	dr("POST", "/customers/{id}/sources/{sourceId}", secretOnly, h.attachSource)
	dr("DELETE", "/customers/{id}/sources/{sourceId}", secretOnly, h.detachSource)
	// Sources (docs/dr-api.md#source): the public key may create and retrieve [choice].
	dr("POST", "/sources", publicOK, h.createSource)
	dr("GET", "/sources/{id}", publicOK, h.getSource)
	// SKUs (docs/dr-api.md#sku).
	dr("POST", "/skus", secretOnly, h.createSKU)
	dr("GET", "/skus", secretOnly, h.listSKUs)
	dr("GET", "/skus/{id}", secretOnly, h.getSKU)
	dr("PUT", "/skus/{id}", secretOnly, h.upsertSKU)
	dr("POST", "/skus/{id}", secretOnly, h.updateSKU)
	dr("DELETE", "/skus/{id}", secretOnly, h.deleteSKU)
	// Orders (docs/dr-api.md#order).
	dr("GET", "/orders", secretOnly, h.listOrders)
	dr("GET", "/orders/{id}", secretOnly, h.getOrder)
	dr("POST", "/orders/{id}", secretOnly, h.updateOrder)
	dr("GET", "/charges/{id}", secretOnly, h.getCharge)
	// Plans, subscriptions and billing invoices (docs/dr-api.md: Plan, Subscription, Invoice): subscriptions.go.
	h.billingRoutes(dr)
	// Fulfillments, refunds and returns (docs/dr-api.md: Fulfillment, Refund, Return).
	dr("POST", "/fulfillments", secretOnly, h.createFulfillment)
	dr("GET", "/fulfillments", secretOnly, h.listFulfillments)
	dr("GET", "/fulfillments/{id}", secretOnly, h.getFulfillment)
	dr("POST", "/refunds", secretOnly, h.createRefund)
	dr("GET", "/refunds", secretOnly, h.listRefunds)
	dr("GET", "/refunds/{id}", secretOnly, h.getRefund)
	dr("POST", "/refunds/{id}", secretOnly, h.updateRefund)
	dr("POST", "/returns", secretOnly, h.createReturn)
	dr("GET", "/returns", secretOnly, h.listReturns)
	dr("GET", "/returns/{id}", secretOnly, h.getReturn)
	dr("POST", "/returns/{id}", secretOnly, h.updateReturn)
	// Events (docs/dr-api.md#event) and webhooks (docs/dr-api.md#webhook).
	dr("GET", "/events", secretOnly, h.listEvents)
	dr("GET", "/events/{id}", secretOnly, h.getEvent)
	dr("POST", "/webhooks", secretOnly, h.createWebhook)
	dr("GET", "/webhooks", secretOnly, h.listWebhooks)
	dr("GET", "/webhooks/{id}", secretOnly, h.getWebhook)
	dr("PATCH", "/webhooks/{id}", secretOnly, h.updateWebhook)
	dr("DELETE", "/webhooks/{id}", secretOnly, h.deleteWebhook)
	// Files and file links (docs/dr-api.md#file, docs/dr-api.md#filelink).
	dr("GET", "/files", secretOnly, h.listFiles)
	dr("POST", "/files", secretOnly, h.createFile)
	dr("GET", "/files/{id}", secretOnly, h.getFile)
	dr("DELETE", "/files/{id}", secretOnly, h.deleteFile)
	dr("GET", "/files/{id}/content", secretOnly, h.fileContent)
	dr("POST", "/file-links", secretOnly, h.createFileLink)
	dr("GET", "/file-links", secretOnly, h.listFileLinks)
	dr("GET", "/file-links/{id}", secretOnly, h.getFileLink)
	dr("POST", "/file-links/{id}", secretOnly, h.updateFileLink)
	dr("DELETE", "/file-links/{id}", secretOnly, h.deleteFileLink)

	// Control API: what only DR does. Not recorded in the request log.
	r.Handle("/_sim/accounts", h.plainCall(h.createAccount)).Methods("POST")
	// Health for orchestrators (compose healthchecks, Kubernetes probes): no
	// key needed, nothing about any account.
	r.Handle("/_sim/health", h.plainCall(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	})).Methods("GET")
	ctl := func(method, path string, fn accountHandler) {
		r.Handle(path, h.controlCall(fn)).Methods(method)
	}
	ctl("GET", "/_sim/account", h.getAccount)
	ctl("POST", "/_sim/orders", h.placeOrder)
	ctl("POST", "/_sim/orders/{id}/accept", h.acceptOrder)
	ctl("POST", "/_sim/orders/{id}/review", h.reviewOrder)
	ctl("GET", "/_sim/subscriptions/{id}", h.waitSubscription)
	ctl("POST", "/_sim/orders/{id}/block", h.blockOrder)
	ctl("POST", "/_sim/sources/{id}/funds", h.fundSource)
	ctl("POST", "/_sim/sources/{id}/expire", h.expireSource)
	ctl("POST", "/_sim/refunds/{id}/complete", h.completeRefund)
	ctl("POST", "/_sim/refunds/{id}/fail", h.failRefund)
	ctl("GET", "/_sim/webhooks/{id}/secret", h.webhookSecrets)
	ctl("POST", "/_sim/webhooks/{id}/secret", h.setWebhookSecret)
	ctl("POST", "/_sim/webhooks/{id}/secret/rotate", h.rotateWebhookSecret)
	ctl("GET", "/_sim/webhooks/{id}/delivery", h.webhookDelivery)
	ctl("POST", "/_sim/deliveries/retry", h.retryNow)
	ctl("POST", "/_sim/webhooks/{id}/replay", h.replayWebhook)
	ctl("GET", "/_sim/faults/{id}", h.getFault)
	ctl("POST", "/_sim/faults/{id}/release", h.releaseFault)
	ctl("POST", "/_sim/api-faults", h.addAPIFault)
	ctl("GET", "/_sim/api-faults/{id}", h.getAPIFault)
	ctl("POST", "/_sim/events/{id}/deliveries", h.redeliver)
	ctl("GET", "/_sim/deliveries", h.listDeliveries)
	ctl("POST", "/_sim/faults", h.addFault)
	ctl("GET", "/_sim/clock", h.getClock)
	ctl("DELETE", "/_sim/account", h.deleteAccount)
	ctl("POST", "/_sim/test-clocks", h.createTestClock)
	ctl("GET", "/_sim/test-clocks", h.listTestClocks)
	ctl("GET", "/_sim/test-clocks/{id}", h.getTestClock)
	ctl("DELETE", "/_sim/test-clocks/{id}", h.deleteTestClock)
	ctl("POST", "/_sim/test-clocks/{id}/advance", h.advanceTestClock)
	ctl("POST", "/_sim/test-clocks/{id}/customers", h.createTestClockCustomer)
	ctl("GET", "/_sim/requests", h.listRequests)
}
