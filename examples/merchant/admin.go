package merchant

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	"mime"
	"net/http"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/drsim/drsim/simulator/client"
)

// The shop's own endpoints, JSON in and out. Staff use /admin/ (guarded by
// the X-Admin-Token header); customers use /portal/ (a real shop would
// authenticate them with a session; here the order's email must match).
// The portal's HTML pages, behind a sign-in, are in portal.go.
//
//	POST /admin/orders/{orderId}/shipments        ship items with tracking  → DR POST /fulfillments (quantity)
//	POST /admin/orders/{orderId}/cancellations    cancel items              → DR POST /fulfillments (cancelQuantity)
//	POST /admin/orders/{orderId}/delays           report a shipment delay   → 1st or 2nd delay notice
//	POST /portal/orders/{orderId}/cancel-request  customer cancels items    → DR cancellation, or the failed-cancellation email
//	POST /portal/orders/{orderId}/returns         customer returns items    → DR POST /returns, return instructions
//	GET  /portal/orders/{orderId}/cancel          the page the delay notices link to
//
// Answers: DR's 4xx are passed on with DR's status and body; a DR that
// cannot be reached or fails (5xx) is 502. The merchant's own errors are
// {"error": "…"}.

// adminTokenHeader carries Config.AdminToken on /admin/ requests.
const adminTokenHeader = "X-Admin-Token"

// maxRequestBody bounds the size of an admin or portal request body.
const maxRequestBody = 64 << 10

// actionTimeout bounds the work one admin or portal request does.
const actionTimeout = 30 * time.Second

// routeAdmin registers the admin and portal endpoints on mux.
func (s *Server) routeAdmin(mux *http.ServeMux) {
	admin := http.NewServeMux()
	admin.HandleFunc("POST /admin/orders/{orderId}/shipments", s.handleShip)
	admin.HandleFunc("POST /admin/orders/{orderId}/cancellations", s.handleCancel)
	admin.HandleFunc("POST /admin/orders/{orderId}/delays", s.handleDelay)
	mux.Handle("/admin/", s.requireAdmin(admin))

	mux.HandleFunc("POST /portal/orders/{orderId}/cancel-request", s.handleCancelRequest)
	mux.HandleFunc("POST /portal/orders/{orderId}/returns", s.handleReturnRequest)
	mux.HandleFunc("GET /portal/orders/{orderId}/cancel", s.handleCancelPage)
}

// requireAdmin lets through only requests carrying the admin token.
func (s *Server) requireAdmin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get(adminTokenHeader)
		if subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.AdminToken)) != 1 {
			s.log.Warn("admin: rejected request without the admin token", "path", r.URL.Path, "remote", r.RemoteAddr)
			writeError(w, http.StatusUnauthorized, "missing or wrong %s header", adminTokenHeader)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// requestItem is an order line and a number of its units, in a request.
type requestItem struct {
	ItemID   string `json:"itemId"`
	Quantity count  `json:"quantity"`
}

// checkItems reports what is wrong with items, which must not be empty.
func checkItems(items []requestItem) error {
	if len(items) == 0 {
		return errors.New("items is required")
	}
	for i, it := range items {
		if it.ItemID == "" {
			return fmt.Errorf("items[%d].itemId is required", i)
		}
		if it.Quantity < 1 {
			return fmt.Errorf("items[%d].quantity must be at least 1", i)
		}
	}
	return nil
}

// handleShip is POST /admin/orders/{orderId}/shipments: tell DR that items
// shipped. DR then sends fulfillment.created, which sends the shipment email.
func (s *Server) handleShip(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Items          []requestItem `json:"items"`
		Carrier        string        `json:"carrier"`
		TrackingNumber string        `json:"trackingNumber"`
		TrackingURL    string        `json:"trackingUrl"`
	}
	if !decodeRequest(w, r, &req) {
		return
	}
	if err := checkItems(req.Items); err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	f := client.FulfillmentParams{
		OrderID:         r.PathValue("orderId"),
		TrackingCompany: req.Carrier,
		TrackingNumber:  req.TrackingNumber,
		TrackingURL:     req.TrackingURL,
	}
	for _, it := range req.Items {
		f.Items = append(f.Items, client.FulfillmentItemParams{ItemID: it.ItemID, Quantity: int(it.Quantity)})
	}
	s.fulfil(w, r, f, "shipment")
}

// handleCancel is POST /admin/orders/{orderId}/cancellations: cancel items
// at DR. DR then sends fulfillment.created (and order.cancelled when nothing
// is left), which send the cancellation email.
func (s *Server) handleCancel(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Items []requestItem `json:"items"`
	}
	if !decodeRequest(w, r, &req) {
		return
	}
	if err := checkItems(req.Items); err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	f := client.FulfillmentParams{OrderID: r.PathValue("orderId")}
	for _, it := range req.Items {
		f.Items = append(f.Items, client.FulfillmentItemParams{ItemID: it.ItemID, CancelQuantity: int(it.Quantity)})
	}
	s.fulfil(w, r, f, "cancellation")
}

// fulfil creates the fulfillment f and answers 201 with DR's Fulfillment.
func (s *Server) fulfil(w http.ResponseWriter, r *http.Request, f client.FulfillmentParams, what string) {
	ctx, cancel := actionContext(r)
	defer cancel()
	body, err := s.createFulfillment(ctx, f)
	if err != nil {
		s.drFailed(w, err, what, f.OrderID)
		return
	}
	s.log.Info("admin: "+what+" recorded at DR", "order", f.OrderID)
	writeRaw(w, http.StatusCreated, body)
}

// handleCancelRequest is POST /portal/orders/{orderId}/cancel-request: the
// customer asks to cancel some items (all of them when items is empty).
// Units that have shipped cannot be cancelled: the customer gets the failed
// cancellation email and the answer is 409. Otherwise the items are
// cancelled at DR (202), and DR's events send the cancellation email.
func (s *Server) handleCancelRequest(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := actionContext(r)
	defer cancel()
	req, o, ok := s.customerOrder(ctx, w, r, true)
	if !ok {
		return
	}
	rejected := func(reason string) {
		writeJSON(w, http.StatusConflict, map[string]string{"status": "rejected", "reason": reason})
	}
	if o.State == "cancelled" {
		rejected("order " + o.ID + " is already cancelled")
		return
	}

	// Which units, and have any shipped?
	wanted := req.Items
	if len(wanted) == 0 {
		for _, it := range o.Items {
			if it.State != "cancelled" {
				wanted = append(wanted, requestItem{it.ID, count(it.Quantity)})
			}
		}
		if len(wanted) == 0 {
			rejected("nothing left to cancel in order " + o.ID)
			return
		}
	}
	orderShipped := shippedState(o.State)
	var shipped []itemView
	for _, want := range wanted {
		it, found := o.item(want.ItemID)
		if !found {
			writeError(w, http.StatusBadRequest, "order %s has no item %s", o.ID, want.ItemID)
			return
		}
		if orderShipped || shippedState(it.State) {
			shipped = append(shipped, itemView{it.name(), int(want.Quantity)})
		}
	}
	if len(shipped) > 0 {
		names := make([]string, len(shipped))
		for i, it := range shipped {
			names[i] = it.Name
		}
		reason := "already shipped: " + strings.Join(names, ", ")
		if s.defects.has(DefectNoFailedCancelEmail) {
			s.log.Warn("portal: DEFECT no-failed-cancel-email: refusal not emailed", "order", o.ID)
		} else {
			to, err := o.recipient()
			if err != nil {
				s.failed(w, err, "failed cancellation email", o.ID)
				return
			}
			view := failedCancellationView{ShopName: s.cfg.ShopName, OrderID: o.ID, Items: shipped}
			subject := "We could not cancel order " + o.ID
			if err := s.notify(ctx, to, subject, failedCancellationEmail, view); err != nil {
				s.failed(w, err, "failed cancellation email", o.ID)
				return
			}
		}
		s.log.Info("portal: cancellation refused", "order", o.ID, "reason", reason)
		rejected(reason)
		return
	}

	f := client.FulfillmentParams{OrderID: o.ID}
	for _, it := range wanted {
		f.Items = append(f.Items, client.FulfillmentItemParams{ItemID: it.ItemID, CancelQuantity: int(it.Quantity)})
	}
	if _, err := s.createFulfillment(ctx, f); err != nil {
		s.drFailed(w, err, "customer cancellation", o.ID)
		return
	}
	s.log.Info("portal: cancellation requested at DR", "order", o.ID)
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "cancelling"})
}

// shippedState reports whether an order or item in this DR state has
// shipped units.
func shippedState(state string) bool {
	switch state {
	case "fulfilled", "complete", "paid", "returned":
		return true
	}
	return false
}

// handleDelay is POST /admin/orders/{orderId}/delays: the shipment will be
// late. The customer gets the delayed-shipment notice with the new date and
// a link to cancel: the 1st notice the first time, the 2nd after that.
func (s *Server) handleDelay(w http.ResponseWriter, r *http.Request) {
	var req struct {
		NewDate string `json:"newDate"`
	}
	if !decodeRequest(w, r, &req) {
		return
	}
	newDate, err := time.Parse(time.DateOnly, req.NewDate)
	if err != nil {
		writeError(w, http.StatusBadRequest, "newDate %q is not a date as YYYY-MM-DD", req.NewDate)
		return
	}
	ctx, cancel := actionContext(r)
	defer cancel()
	orderID := r.PathValue("orderId")
	o, err := s.getOrder(ctx, orderID)
	if err != nil {
		s.drFailed(w, err, "delay", orderID)
		return
	}
	switch o.State {
	case "cancelled", "fulfilled", "complete", "returned":
		writeError(w, http.StatusConflict, "order %s is %s: nothing left to ship", orderID, o.State)
		return
	}
	to, err := o.recipient()
	if err != nil {
		s.failed(w, err, "delay notice", orderID)
		return
	}

	notice := min(s.delays.report(orderID), 2)
	if notice == 2 && s.defects.has(DefectNoSecondDelayNotice) {
		s.log.Warn("admin: DEFECT no-second-delay-notice: second notice not sent", "order", orderID)
		writeJSON(w, http.StatusAccepted, map[string]int{"notice": notice})
		return
	}
	view := delayView{
		ShopName:  s.cfg.ShopName,
		OrderID:   orderID,
		Notice:    notice,
		NewDate:   newDate.Format(customerDate),
		CancelURL: s.URL() + "/portal/orders/" + url.PathEscape(orderID) + "/cancel",
	}
	for _, it := range o.Items {
		if it.State != "cancelled" && !shippedState(it.State) {
			view.Items = append(view.Items, itemView{it.name(), it.Quantity})
		}
	}
	subject := "Shipment delayed – order " + orderID
	if notice == 2 {
		subject = "Second notice: shipment delayed – order " + orderID
	}
	if err := s.notify(ctx, to, subject, delayEmail, view); err != nil {
		s.delays.undo(orderID) // so that reporting again sends this notice
		s.failed(w, err, "delay notice", orderID)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]int{"notice": notice})
}

// handleReturnRequest is POST /portal/orders/{orderId}/returns: the customer
// returns items. The return is created at DR and the customer gets the
// return instructions, with DR's return id as the reference.
func (s *Server) handleReturnRequest(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := actionContext(r)
	defer cancel()
	req, o, ok := s.customerOrder(ctx, w, r, false)
	if !ok {
		return
	}
	rr := client.ReturnParams{OrderID: o.ID, Reason: req.Reason}
	var items []itemView
	for _, want := range req.Items {
		it, found := o.item(want.ItemID)
		if !found {
			writeError(w, http.StatusBadRequest, "order %s has no item %s", o.ID, want.ItemID)
			return
		}
		rr.Items = append(rr.Items, client.ReturnItemParams{ItemID: want.ItemID, Quantity: int(want.Quantity)})
		items = append(items, itemView{it.name(), int(want.Quantity)})
	}
	to, err := o.recipient()
	if err != nil {
		s.failed(w, err, "return", o.ID)
		return
	}
	ret, err := s.dr.CreateReturn(ctx, rr)
	if err == nil && ret.ID == "" {
		err = errors.New("POST /returns: the answer has no id")
	}
	if err != nil {
		s.drFailed(w, err, "return", o.ID)
		return
	}
	s.log.Info("portal: return created at DR", "order", o.ID, "return", ret.ID)

	view := returnView{
		ShopName: s.cfg.ShopName,
		OrderID:  o.ID,
		ReturnID: ret.ID,
		Address:  s.cfg.ReturnAddress,
		Items:    items,
	}
	if s.defects.has(DefectReturnWithoutInstructions) {
		s.log.Warn("portal: DEFECT return-without-instructions: returned items left out", "order", o.ID)
		view.Items = nil
	}
	for i, step := range []string{
		"Pack the items in their original packaging if you still have it.",
		"Write the return reference " + ret.ID + " on the outside of the parcel.",
		"Send the parcel to " + s.cfg.ReturnAddress + " within 30 days.",
		"We will email you a refund confirmation once the return has arrived.",
	} {
		view.Steps = append(view.Steps, returnStep{i + 1, step})
	}
	subject := "Return instructions – order " + o.ID
	if err := s.notify(ctx, to, subject, returnEmail, view); err != nil {
		s.log.Error("portal: return instructions not sent", "order", o.ID, "return", ret.ID, "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{
			"error":    "the return was created but its instructions could not be emailed",
			"returnId": ret.ID,
		})
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"returnId": ret.ID})
}

// orderRequest is the body of a customer's request about an order (a
// cancellation or a return): the order's email, the units, and for a
// return its reason.
type orderRequest struct {
	Email  string        `json:"email"`
	Items  []requestItem `json:"items"`
	Reason string        `json:"reason"`
}

// customerOrder reads and checks a customer's orderRequest (no items means
// the whole order when wholeOrder allows it), then fetches the order and
// checks that it is the customer's: the request must give the order's
// email. On failure it answers (400, 403 or DR's refusal) and returns false.
func (s *Server) customerOrder(ctx context.Context, w http.ResponseWriter, r *http.Request, wholeOrder bool) (orderRequest, order, bool) {
	var req orderRequest
	if !decodeRequest(w, r, &req) {
		return req, order{}, false
	}
	if req.Email == "" {
		writeError(w, http.StatusBadRequest, "email is required")
		return req, order{}, false
	}
	if len(req.Items) > 0 || !wholeOrder {
		if err := checkItems(req.Items); err != nil {
			writeError(w, http.StatusBadRequest, "%v", err)
			return req, order{}, false
		}
	}
	orderID := r.PathValue("orderId")
	o, err := s.getOrder(ctx, orderID)
	if err != nil {
		s.drFailed(w, err, "portal", orderID)
		return req, order{}, false
	}
	if !sameAddress(req.Email, o.Email) {
		s.log.Warn("portal: email does not match the order", "order", orderID)
		writeError(w, http.StatusForbidden, "this is not the email of order %s", orderID)
		return req, order{}, false
	}
	return req, o, true
}

// sameAddress reports whether a and b are the same mailbox ("Alice
// <alice@x>" and "ALICE@x" are).
func sameAddress(a, b string) bool {
	addr := func(s string) string {
		if p, err := mail.ParseAddress(s); err == nil {
			return p.Address
		}
		return strings.TrimSpace(s)
	}
	x, y := addr(a), addr(b)
	return x != "" && strings.EqualFold(x, y)
}

// handleCancelPage is GET /portal/orders/{orderId}/cancel, the page the
// delayed-shipment notices link to: a form that posts a cancellation request
// for the whole order.
func (s *Server) handleCancelPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	view := struct{ ShopName, OrderID string }{s.cfg.ShopName, r.PathValue("orderId")}
	if err := cancelPage.Execute(w, view); err != nil {
		s.log.Error("portal: cancel page", "err", err)
	}
}

// decodeRequest reads a JSON request body into v; a form post (the cancel
// page's) is read as {"email": …}. On failure it answers 400 and returns
// false.
func decodeRequest(w http.ResponseWriter, r *http.Request, v any) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/x-www-form-urlencoded" {
		if err := r.ParseForm(); err != nil {
			writeError(w, http.StatusBadRequest, "malformed form: %v", err)
			return false
		}
		b, _ := json.Marshal(map[string]string{"email": r.PostForm.Get("email")})
		if err := json.Unmarshal(b, v); err != nil {
			writeError(w, http.StatusBadRequest, "this endpoint takes JSON")
			return false
		}
		return true
	}
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			err = errors.New("empty body")
		}
		writeError(w, http.StatusBadRequest, "malformed JSON body: %v", err)
		return false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		writeError(w, http.StatusBadRequest, "malformed JSON body: data after the JSON value")
		return false
	}
	return true
}

// actionContext is the context of an admin or portal action. Like a
// webhook's, it is not cancelled with the request: a change made at DR is
// followed by its email even if the caller hung up.
func actionContext(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(r.Context()), actionTimeout)
}

// drFailed answers a failed DR call: DR's 4xx as DR sent it (status and
// body), anything else (unreachable, timeout, 5xx) 502.
func (s *Server) drFailed(w http.ResponseWriter, err error, what, orderID string) {
	if e, ok := errors.AsType[*client.Error](err); ok && e.Status >= 400 && e.Status < 500 {
		s.log.Info("DR refused "+what, "order", orderID, "err", err)
		body := []byte(e.Body)
		if len(body) == 0 {
			body, _ = json.Marshal(&client.Error{Type: strings.ReplaceAll(strings.ToLower(http.StatusText(e.Status)), " ", "_")})
		}
		writeRaw(w, e.Status, body)
		return
	}
	s.log.Error("DR call failed: "+what, "order", orderID, "err", err)
	writeError(w, http.StatusBadGateway, "Digital River: %v", err)
}

// failed answers 500 for a failure of the merchant's own.
func (s *Server) failed(w http.ResponseWriter, err error, what, orderID string) {
	s.log.Error(what+" failed", "order", orderID, "err", err)
	writeError(w, http.StatusInternalServerError, "%s: %v", what, err)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{"error":"cannot encode the answer"}`)
		status = http.StatusInternalServerError
	}
	writeRaw(w, status, append(b, '\n'))
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

func writeError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, map[string]string{"error": fmt.Sprintf(format, args...)})
}

// delayLog counts the delays reported for each order.
//
// It lives in memory, like eventLog; a production merchant keeps it in its
// database with the order.
type delayLog struct {
	mu sync.Mutex
	n  map[string]int
}

func newDelayLog() *delayLog { return &delayLog{n: map[string]int{}} }

// report records a delay of the order and returns how many it has had.
func (l *delayLog) report(orderID string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n[orderID]++
	return l.n[orderID]
}

// undo takes back the last report.
func (l *delayLog) undo(orderID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n[orderID] > 0 {
		l.n[orderID]--
	}
}

// Views of the emails the admin and portal endpoints send.
type (
	failedCancellationView struct {
		ShopName, OrderID string
		Items             []itemView // the requested units that have shipped
	}
	delayView struct {
		ShopName, OrderID string
		Notice            int    // 1 or 2
		NewDate           string // e.g. 22 December 2026
		CancelURL         string
		Items             []itemView // what is still to ship
	}
	returnView struct {
		ShopName, OrderID string
		ReturnID          string // DR's return id, the customer's reference
		Address           string
		Items             []itemView
		Steps             []returnStep
	}
	returnStep struct {
		N    int
		Text string
	}
)

var (
	failedCancellationEmail = parseEmailTemplate("cancellation_failed")
	delayEmail              = parseEmailTemplate("shipment_delayed")
	returnEmail             = parseEmailTemplate("return_instructions")

	cancelPage = htmltemplate.Must(htmltemplate.ParseFS(templates, "templates/portal_cancel.html.tmpl"))
)
