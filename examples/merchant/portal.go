package merchant

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"net/http"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/drsim/drsim/simulator/client"
)

// The customer portal's HTML pages. Customers sign in, see their orders with
// links to their invoices and credit memos, and save payment methods outside
// checkout.
//
//	GET  /portal/login            the sign-in form (field "email")
//	POST /portal/login            → DR GET /customers?email=; sets the portal_session cookie; 303 to /portal/orders (401 if unknown)
//	POST /portal/logout           ends the session; 303 to /portal/login
//	GET  /portal/orders           the customer's orders       → DR GET /orders?customerId=
//	GET  /portal/orders/{orderId} one order, its documents    → DR GET /orders/{id}, file links (404 if not the customer's)
//	GET  /portal/payment-methods  saved payment methods, a form → DR GET /customers/{id}
//	POST /portal/payment-methods  save one (field "sourceId") → DR POST /customers/{id}/sources/{sourceId}; 303 back
//	GET  /portal/subscriptions/{id}/cancel  asks to confirm → DR GET /subscriptions/{id} (404 if not the customer's)
//	POST /portal/subscriptions/{id}/cancel  cancels it       → DR POST /subscriptions/{id} {"state":"cancelled"}
//
// Every page but the sign-in form needs the session cookie; without it the
// answer is a 303 to /portal/login. Document links are DR file links, never
// the secret-key file URLs.
//
// The sign-in is deliberately simple: knowing an email is enough. A real
// shop has its own customer accounts (a password, or a link emailed to the
// address) and stores each one's DR customer id.

// sessionCookie holds the portal session's token.
const sessionCookie = "portal_session"

// sessionTTL is how long a portal session lasts.
const sessionTTL = 12 * time.Hour

// routePortal registers the portal's pages on mux.
func (s *Server) routePortal(mux *http.ServeMux) {
	mux.HandleFunc("GET /portal/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/portal/orders", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /portal/login", s.handleLoginPage)
	mux.HandleFunc("POST /portal/login", s.handleLogin)
	mux.HandleFunc("POST /portal/logout", s.handleLogout)
	mux.HandleFunc("GET /portal/orders", s.withSession(s.handleOrdersPage))
	mux.HandleFunc("GET /portal/orders/{orderId}", s.withSession(s.handleOrderPage))
	mux.HandleFunc("GET /portal/payment-methods", s.withSession(s.handlePaymentMethodsPage))
	mux.HandleFunc("POST /portal/payment-methods", s.withSession(s.handleSavePaymentMethod))
	mux.HandleFunc("GET /portal/subscriptions/{subscriptionId}/cancel", s.withSession(s.handleSubscriptionCancelPage))
	mux.HandleFunc("POST /portal/subscriptions/{subscriptionId}/cancel", s.withSession(s.handleCancelSubscription))
}

// --- Sessions ------------------------------------------------------------

// portalSession is a signed-in customer.
type portalSession struct {
	CustomerID string // DR's customer id
	Email      string
	Expires    time.Time
}

// sessionStore maps session tokens to sessions.
//
// It lives in memory, like eventLog: a restart signs everyone out.
type sessionStore struct {
	mu     sync.Mutex
	tokens map[string]portalSession
}

func newSessionStore() *sessionStore { return &sessionStore{tokens: map[string]portalSession{}} }

// start records a new session and returns its token. It also forgets the
// sessions that have expired.
func (st *sessionStore) start(sess portalSession, now time.Time) string {
	token := rand.Text() // 26 characters, 130 random bits
	st.mu.Lock()
	defer st.mu.Unlock()
	for t, old := range st.tokens {
		if !now.Before(old.Expires) {
			delete(st.tokens, t)
		}
	}
	st.tokens[token] = sess
	return token
}

func (st *sessionStore) get(token string, now time.Time) (portalSession, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	sess, ok := st.tokens[token]
	if !ok || !now.Before(sess.Expires) {
		return portalSession{}, false
	}
	return sess, true
}

func (st *sessionStore) end(token string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	delete(st.tokens, token)
}

// sessionHandler is a page handler for a signed-in customer.
type sessionHandler func(w http.ResponseWriter, r *http.Request, sess portalSession)

// withSession runs h for signed-in customers and sends everyone else to the
// sign-in form.
func (s *Server) withSession(h sessionHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie(sessionCookie); err == nil {
			if sess, ok := s.sessions.get(c.Value, s.cfg.Now()); ok {
				h(w, r, sess)
				return
			}
		}
		http.Redirect(w, r, "/portal/login", http.StatusSeeOther)
	}
}

// setSessionCookie sets (or, with an empty token, clears) the session
// cookie. SameSite=Lax keeps other sites from posting forms with it.
func setSessionCookie(w http.ResponseWriter, r *http.Request, token string) {
	c := &http.Cookie{
		Name:     sessionCookie,
		Value:    token,
		Path:     "/portal",
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteLaxMode,
	}
	if token == "" {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}

// --- Sign-in -------------------------------------------------------------

type loginView struct {
	pageBase
	Error string
	Value string // the email entered
}

// handleLoginPage is GET /portal/login.
func (s *Server) handleLoginPage(w http.ResponseWriter, _ *http.Request) {
	s.render(w, http.StatusOK, loginPage, loginView{pageBase: s.page(portalSession{})})
}

// handleLogin is POST /portal/login: the customer with this email (at DR)
// is signed in.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		s.render(w, http.StatusBadRequest, loginPage, loginView{pageBase: s.page(portalSession{}), Error: "The form could not be read."})
		return
	}
	entered := strings.TrimSpace(r.PostForm.Get("email"))
	refuse := func(status int, msg string) {
		s.render(w, status, loginPage, loginView{pageBase: s.page(portalSession{}), Error: msg, Value: entered})
	}
	addr, err := mail.ParseAddress(entered)
	if err != nil {
		refuse(http.StatusBadRequest, "Enter the email address you ordered with.")
		return
	}
	ctx, cancel := actionContext(r)
	defer cancel()
	found, err := s.dr.Customers(ctx, client.ListParams{Limit: maxListLimit, Filters: url.Values{"email": {addr.Address}}})
	if err != nil {
		s.portalDRFailed(w, portalSession{}, err, "sign-in")
		return
	}
	// DR allows several customers with one email; a shop with its own
	// accounts would know which one is this customer's.
	var c client.Customer
	for _, f := range found.Data {
		if f.ID != "" && sameAddress(f.Email, addr.Address) {
			c = f
			break
		}
	}
	if c.ID == "" {
		s.log.Info("portal: sign-in with an unknown email")
		refuse(http.StatusUnauthorized, "We know no customer with this email address.")
		return
	}
	if old, err := r.Cookie(sessionCookie); err == nil {
		s.sessions.end(old.Value)
	}
	now := s.cfg.Now()
	sess := portalSession{CustomerID: c.ID, Email: addr.Address, Expires: now.Add(sessionTTL)}
	if known, err := mail.ParseAddress(c.Email); err == nil {
		sess.Email = known.Address // as DR has it
	}
	token := s.sessions.start(sess, now)
	setSessionCookie(w, r, token)
	s.log.Info("portal: customer signed in", "customer", c.ID)
	http.Redirect(w, r, "/portal/orders", http.StatusSeeOther)
}

// handleLogout is POST /portal/logout.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.sessions.end(c.Value)
	}
	setSessionCookie(w, r, "")
	http.Redirect(w, r, "/portal/login", http.StatusSeeOther)
}

// --- Orders --------------------------------------------------------------

type (
	ordersView struct {
		pageBase
		Orders []orderRow
		More   bool // DR has more orders than shown
	}
	orderRow struct {
		ID, Date, State, Total string
	}
	orderPageView struct {
		pageBase
		OrderID, Date, State string
		Items                []lineView
		Totals               []totalView
		Documents            []documentLink
		CanCancel            bool
	}
	documentLink struct {
		Kind    documentKind
		FileID  string
		URL     string // the file link
		Expires string
	}
)

// handleOrdersPage is GET /portal/orders.
func (s *Server) handleOrdersPage(w http.ResponseWriter, r *http.Request, sess portalSession) {
	ctx, cancel := actionContext(r)
	defer cancel()
	list, err := s.listOrders(ctx, sess.CustomerID)
	if err != nil {
		s.portalDRFailed(w, sess, err, "orders")
		return
	}
	view := ordersView{pageBase: s.page(sess), More: list.HasMore}
	for _, o := range list.Data {
		if o.CustomerID != sess.CustomerID { // DR filtered; make sure
			continue
		}
		view.Orders = append(view.Orders, orderRow{
			ID:    o.ID,
			Date:  formatDate(o.CreatedTime),
			State: o.State,
			Total: formatMoney(o.TotalAmount, o.Currency),
		})
	}
	s.render(w, http.StatusOK, ordersPage, view)
}

// handleOrderPage is GET /portal/orders/{orderId}: the order's lines and
// totals, and a file link to each of its invoices and credit memos.
func (s *Server) handleOrderPage(w http.ResponseWriter, r *http.Request, sess portalSession) {
	ctx, cancel := actionContext(r)
	defer cancel()
	id := r.PathValue("orderId")
	notFound := func() {
		s.message(w, http.StatusNotFound, sess, "Order not found", "You have no order "+id+".")
	}
	o, err := s.getOrder(ctx, id)
	if client.StatusOf(err) == http.StatusNotFound {
		notFound()
		return
	}
	if err != nil {
		s.portalDRFailed(w, sess, err, "order "+id)
		return
	}
	if o.CustomerID != sess.CustomerID && s.defects.has(DefectPortalAnyOrder) {
		s.log.Warn("portal: DEFECT portal-shows-any-order: order of another customer shown", "order", id, "customer", sess.CustomerID)
	} else if o.CustomerID != sess.CustomerID {
		s.log.Warn("portal: order of another customer requested", "order", id, "customer", sess.CustomerID)
		notFound() // the same answer as for an order that does not exist
		return
	}

	view := orderPageView{
		pageBase: s.page(sess),
		OrderID:  o.ID,
		Date:     formatDate(o.CreatedTime),
		State:    o.State,
		Totals:   orderTotals(o, true),
	}
	switch o.State {
	case "cancelled", "fulfilled", "complete", "returned":
	default:
		view.CanCancel = true
	}
	for _, it := range o.Items {
		view.Items = append(view.Items, lineView{it.name(), it.Quantity, formatMoney(it.Amount, o.Currency)})
	}

	type doc struct {
		kind   documentKind
		fileID string
	}
	var docs []doc
	if s.defects.has(DefectPortalMissingInvoice) {
		s.log.Warn("portal: DEFECT portal-missing-invoice: invoice links left out", "order", o.ID)
	} else {
		for _, d := range o.InvoicePDFs {
			docs = append(docs, doc{invoiceDoc, d.ID})
		}
	}
	if s.defects.has(DefectNoCreditMemoLink) {
		s.log.Warn("portal: DEFECT no-credit-memo-link: credit memo links left out", "order", o.ID)
	} else {
		for _, d := range o.CreditMemoPDFs {
			docs = append(docs, doc{creditMemoDoc, d.ID})
		}
	}
	for _, d := range docs {
		if d.fileID == "" {
			continue
		}
		link, err := s.fileLinkFor(ctx, d.fileID, time.Time{})
		if err != nil {
			s.log.Error("portal: no file link", "order", o.ID, "file", d.fileID, "err", err)
			s.message(w, http.StatusBadGateway, sess, "Documents unavailable",
				"Your "+d.kind.Name+" cannot be shown right now. Please try again in a few minutes.")
			return
		}
		view.Documents = append(view.Documents, documentLink{d.kind, d.fileID, link.URL, link.Expires.UTC().Format(customerDate)})
	}
	s.render(w, http.StatusOK, orderPage, view)
}

// orderTotals are the total lines of an order: discount, shipping, tax
// (unless left out) and the total.
func orderTotals(o order, withTax bool) []totalView {
	money := func(label string, amount float64) totalView {
		return totalView{label, formatMoney(amount, o.Currency)}
	}
	totals := []totalView{money("Discount", o.TotalDiscount), money("Shipping", o.TotalShipping)}
	if withTax {
		totals = append(totals, money("Tax", o.TotalTax))
	}
	return append(totals, money("Total", o.TotalAmount))
}

// --- Payment methods -----------------------------------------------------

type (
	paymentMethodsView struct {
		pageBase
		Methods []methodView
	}
	methodView struct {
		SourceID string
		Brand    string // or the source type, for other than cards
		LastFour string
		Expiry   string // MM/YYYY
		Default  bool
	}
)

// handlePaymentMethodsPage is GET /portal/payment-methods: the customer's
// saved sources and a form to save another.
func (s *Server) handlePaymentMethodsPage(w http.ResponseWriter, r *http.Request, sess portalSession) {
	ctx, cancel := actionContext(r)
	defer cancel()
	c, err := s.dr.Customer(ctx, sess.CustomerID)
	if err != nil {
		s.portalDRFailed(w, sess, err, "payment methods")
		return
	}
	view := paymentMethodsView{pageBase: s.page(sess)}
	for _, src := range c.Sources {
		m := methodView{SourceID: src.ID, Brand: src.Type, Default: src.ID == c.DefaultSourceID}
		if cc := src.CreditCard; cc != nil {
			m.Brand = cc.Brand
			m.LastFour = cc.LastFourDigits
			if cc.ExpirationMonth > 0 && cc.ExpirationYear > 0 {
				m.Expiry = fmt.Sprintf("%02d/%d", cc.ExpirationMonth, cc.ExpirationYear)
			}
		}
		view.Methods = append(view.Methods, m)
	}
	s.render(w, http.StatusOK, paymentMethodsPage, view)
}

// handleSavePaymentMethod is POST /portal/payment-methods. The source was
// created in the customer's browser by DigitalRiver.js or Drop-in (flow
// managePaymentMethods) with the public key; attaching it to the customer
// at DR makes it reusable. DR's refusals (409 source_not_chargeable,
// nonreusable_source, source_in_use) are shown with DR's status.
func (s *Server) handleSavePaymentMethod(w http.ResponseWriter, r *http.Request, sess portalSession) {
	if !parseForm(w, r) {
		s.message(w, http.StatusBadRequest, sess, "Payment method not saved", "The form could not be read.")
		return
	}
	sourceID := strings.TrimSpace(r.PostForm.Get("sourceId"))
	if sourceID == "" {
		s.message(w, http.StatusBadRequest, sess, "Payment method not saved", "No payment method was given (sourceId is empty).")
		return
	}
	if s.defects.has(DefectNoAttach) {
		s.log.Warn("portal: DEFECT no-attach: source not attached at DR", "customer", sess.CustomerID, "source", sourceID)
		http.Redirect(w, r, "/portal/payment-methods", http.StatusSeeOther)
		return
	}
	ctx, cancel := actionContext(r)
	defer cancel()
	if _, err := s.dr.AttachSource(ctx, sess.CustomerID, sourceID); err != nil {
		s.portalDRFailed(w, sess, err, "payment method")
		return
	}
	s.log.Info("portal: payment method saved at DR", "customer", sess.CustomerID, "source", sourceID)
	http.Redirect(w, r, "/portal/payment-methods", http.StatusSeeOther)
}

// --- Subscriptions -------------------------------------------------------

// subscriptionCancelView is the page that confirms a cancellation; the
// updated terms email links to it.
type subscriptionCancelView struct {
	pageBase
	SubscriptionID string
	Plan           string
	Action         string // where the form posts
}

// customerSubscription fetches the subscription and checks that it is the
// signed-in customer's. On failure it answers and returns false.
func (s *Server) customerSubscription(w http.ResponseWriter, r *http.Request, sess portalSession) (*client.Subscription, bool) {
	ctx, cancel := actionContext(r)
	defer cancel()
	id := r.PathValue("subscriptionId")
	sub, err := s.dr.Subscription(ctx, id)
	if client.StatusOf(err) == http.StatusNotFound || (err == nil && sub.CustomerID != sess.CustomerID) {
		s.message(w, http.StatusNotFound, sess, "Subscription not found", "You have no subscription "+id+".")
		return nil, false
	}
	if err != nil {
		s.portalDRFailed(w, sess, err, "subscription")
		return nil, false
	}
	if sub.State != "active" && sub.State != "activeFree" && sub.State != "activePendingInvoice" {
		s.message(w, http.StatusOK, sess, "Subscription not active", "Your subscription "+sub.ID+" is "+sub.State+": there is nothing to cancel.")
		return nil, false
	}
	return sub, true
}

// handleSubscriptionCancelPage is GET /portal/subscriptions/{id}/cancel.
func (s *Server) handleSubscriptionCancelPage(w http.ResponseWriter, r *http.Request, sess portalSession) {
	sub, ok := s.customerSubscription(w, r, sess)
	if !ok {
		return
	}
	view := subscriptionCancelView{
		pageBase:       s.page(sess),
		SubscriptionID: sub.ID,
		Action:         "/portal/subscriptions/" + url.PathEscape(sub.ID) + "/cancel",
	}
	ctx, cancel := actionContext(r)
	defer cancel()
	if pl, err := s.dr.Plan(ctx, sub.PlanID); err == nil {
		view.Plan = oneLine(pl.Name)
	}
	s.render(w, http.StatusOK, subscriptionCancelPage, view)
}

// handleCancelSubscription is POST /portal/subscriptions/{id}/cancel. DR
// then sends subscription.updated, which sends the cancellation email.
func (s *Server) handleCancelSubscription(w http.ResponseWriter, r *http.Request, sess portalSession) {
	sub, ok := s.customerSubscription(w, r, sess)
	if !ok {
		return
	}
	ctx, cancel := actionContext(r)
	defer cancel()
	// DR refuses (409 restricted_update) a cancellation that changes
	// anything else: the body is exactly {"state":"cancelled"}.
	if _, err := s.dr.UpdateSubscription(ctx, sub.ID, client.SubscriptionUpdateParams{State: client.String("cancelled")}); err != nil {
		s.portalDRFailed(w, sess, err, "subscription")
		return
	}
	s.log.Info("portal: subscription cancelled at DR", "customer", sess.CustomerID, "subscription", sub.ID)
	s.message(w, http.StatusOK, sess, "Subscription cancelled",
		"Your subscription "+sub.ID+" has been cancelled. We are emailing you a confirmation.")
}

// --- Rendering -----------------------------------------------------------

// pageBase is what every portal page shows: the shop, and who is signed in.
type pageBase struct {
	ShopName string
	Email    string // empty when nobody is
}

func (s *Server) page(sess portalSession) pageBase {
	return pageBase{ShopName: s.cfg.ShopName, Email: sess.Email}
}

// messageView is a page that only says something: an error, mostly.
type messageView struct {
	pageBase
	Title   string
	Message string
	Errors  []client.ErrorDetail // DR's, when DR refused
}

// message answers status with a message page.
func (s *Server) message(w http.ResponseWriter, status int, sess portalSession, title, msg string) {
	s.render(w, status, messagePage, messageView{pageBase: s.page(sess), Title: title, Message: msg})
}

// portalDRFailed answers a failed DR call with a page: DR's 4xx refusals
// with DR's status and messages (an unauthorized key is the shop's fault,
// not the customer's: 502), anything else 502.
func (s *Server) portalDRFailed(w http.ResponseWriter, sess portalSession, err error, what string) {
	if e, ok := errors.AsType[*client.Error](err); ok && e.Status >= 400 && e.Status < 500 &&
		e.Status != http.StatusUnauthorized && e.Status != http.StatusForbidden {
		s.log.Info("portal: DR refused "+what, "err", err)
		view := messageView{
			pageBase: s.page(sess),
			Title:    "Digital River refused this request",
			Errors:   e.Errors,
		}
		if len(e.Errors) == 0 {
			view.Message = http.StatusText(e.Status)
		}
		if what == "payment method" {
			view.Title = "We could not save this payment method"
		}
		s.render(w, e.Status, messagePage, view)
		return
	}
	s.log.Error("portal: DR call failed: "+what, "err", err)
	s.message(w, http.StatusBadGateway, sess, "Something went wrong",
		"We cannot reach our payment provider right now. Please try again in a few minutes.")
}

// render executes page's layout with view and answers status with it.
func (s *Server) render(w http.ResponseWriter, status int, page *htmltemplate.Template, view any) {
	var b bytes.Buffer
	if err := page.ExecuteTemplate(&b, "layout", view); err != nil {
		s.log.Error("portal: render page", "page", page.Name(), "err", err)
		http.Error(w, "the page cannot be shown", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store") // a customer's own data, and links
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// parseForm reads a form post's fields into r.PostForm.
func parseForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
	return r.ParseForm() == nil
}

// orderPath is the portal page of an order.
func orderPath(id string) string { return "/portal/orders/" + url.PathEscape(id) }

// parsePortalPage is templates/portal_<name>.html.tmpl inside the portal's
// layout (templates/portal_layout.html.tmpl).
func parsePortalPage(name string) *htmltemplate.Template {
	return htmltemplate.Must(htmltemplate.New("portal_"+name).Funcs(htmltemplate.FuncMap{
		"orderPath": orderPath,
	}).ParseFS(templates, "templates/portal_layout.html.tmpl", "templates/portal_"+name+".html.tmpl"))
}

var (
	loginPage          = parsePortalPage("login")
	ordersPage         = parsePortalPage("orders")
	orderPage          = parsePortalPage("order")
	paymentMethodsPage = parsePortalPage("payment_methods")
	messagePage        = parsePortalPage("message")

	subscriptionCancelPage = parsePortalPage("subscription_cancel")
)
