package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"

	"github.com/drsim/drsim/harness/catalogue"
	"github.com/drsim/drsim/harness/profile"

	"github.com/drsim/drsim/simulator/client"
)

// perform renders the profile's action and sends it to the merchant. A
// customer-side action runs in the customer's portal session: the profile's
// login runs first (once per customer and scenario), cookies are kept, the
// session token (when the profile names one) is sent, and when the portal
// answers 401/403 or sends the customer to its login page the harness signs
// in again and repeats the request once. A merchant-side action carries
// merchant.headers. perform remembers data as the "request" merchant-side
// notifications are checked against, and returns the answer's body.
func (s *Scenario) perform(ctx context.Context, name string, data profile.ActionData) ([]byte, error) {
	p := s.h.cfg.Profile
	a, ok := p.Actions[name]
	if !ok {
		return nil, fmt.Errorf("the merchant profile has no %q action (%s); add it under \"actions\"", name, profile.ActionDoc(name))
	}
	if name != "login" {
		s.remember(name, data)
	}
	if a.Side == profile.SideMerchant {
		return s.send(ctx, name, a, data, s.merchantSession(), false)
	}
	sess := s.customerSession(data.Customer)
	if name == "login" {
		return s.login(ctx, sess, data)
	}
	if err := s.ensureLogin(ctx, sess, data); err != nil {
		return nil, err
	}
	body, err := s.send(ctx, name, a, data, sess, true)
	var out *signedOut
	if errors.As(err, &out) {
		sess.setLoggedIn(false)
		if err := s.ensureLogin(ctx, sess, data); err != nil {
			return nil, fmt.Errorf("action %s: %v; signing in again: %w", name, out, err)
		}
		body, err = s.send(ctx, name, a, data, sess, true)
		if errors.As(err, &out) {
			hint := ""
			if len(p.Merchant.Headers) > 0 {
				// An operation of the merchant's staff left on the
				// customer's side carries no merchant.headers.
				hint = fmt.Sprintf("; or, if actions.%s is an operation of the merchant's staff that wants merchant.headers, say side: merchant (it runs in the customer's session unless told)", name)
			}
			return nil, fmt.Errorf("action %s: %w, even right after signing in again (does the login action sign %s in? is session: right?%s)", name, out, data.Customer.Email, hint)
		}
	}
	return body, err
}

// signedOut is a customer action the portal refused for want of a session.
type signedOut struct{ why string }

func (e *signedOut) Error() string { return e.why }

// session is a browser: a cookie jar, redirects followed, and the portal's
// session token once signed in. Like the rest of a scenario's step-owned
// state it is used by one step at a time (redirects are followed in the
// caller's goroutine) and needs no lock.
type session struct {
	client *http.Client
	token  string
	in     bool // signed in
	// lastHeaders are the headers of every answer of the last request,
	// redirects included (a login may put its token on the 303).
	lastHeaders []http.Header
}

// merchantTransport carries every merchant action. It keeps no idle
// connections: a connection dialled for a request that another one then
// served would sit unused, and an unused connection holds a merchant's
// http.Server.Shutdown for 5 s.
var merchantTransport = func() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DisableKeepAlives = true
	return t
}()

func newSession() *session {
	jar, _ := cookiejar.New(nil) // never fails without options
	ss := &session{}
	ss.client = &http.Client{Jar: jar, Transport: merchantTransport, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		if req.Response != nil {
			ss.lastHeaders = append(ss.lastHeaders, req.Response.Header)
		}
		return nil
	}}
	return ss
}

func (ss *session) setLoggedIn(v bool) {
	ss.in = v
}

// customerSession is the customer's browser for this scenario.
func (s *Scenario) customerSession(c profile.ActionCustomer) *session {
	if s.sessions == nil {
		s.sessions = map[string]*session{}
	}
	key := c.Email
	if s.sessions[key] == nil {
		s.sessions[key] = newSession()
	}
	return s.sessions[key]
}

// merchantSession is the merchant's admin browser for this scenario.
func (s *Scenario) merchantSession() *session {
	if s.admin == nil {
		s.admin = newSession()
	}
	return s.admin
}

// ensureLogin signs the customer in unless signed in already (or the profile
// has no login action).
func (s *Scenario) ensureLogin(ctx context.Context, sess *session, data profile.ActionData) error {
	if s.h.cfg.Profile.Actions["login"] == nil {
		return nil
	}
	in := sess.in
	if in {
		return nil
	}
	_, err := s.login(ctx, sess, data)
	return err
}

// login runs the login action and keeps the session token it answers with.
func (s *Scenario) login(ctx context.Context, sess *session, data profile.ActionData) ([]byte, error) {
	p := s.h.cfg.Profile
	a := p.Actions["login"]
	req, err := a.Render(data)
	if err != nil {
		return nil, fmt.Errorf("action login: %w", err)
	}
	if a.Page != "" {
		if err := s.openSignInPage(ctx, a, req, data, sess); err != nil {
			return nil, err
		}
	}
	body, err := s.sendRequest(ctx, "login", a, req, data, sess, false)
	if err != nil {
		return nil, err
	}
	tok := p.Session.Token
	if tok.JSON != "" || tok.Header != "" {
		var token string
		if tok.Header != "" {
			for _, h := range sess.lastHeaders {
				if v := h.Get(tok.Header); v != "" {
					token = v
				}
			}
		} else {
			var v any
			if json.Unmarshal(body, &v) == nil {
				if vals := catalogue.Lookup(v, tok.JSON); len(vals) > 0 {
					token, _ = vals[0].(string)
				}
			}
		}
		if token == "" {
			where := "header " + tok.Header
			if tok.JSON != "" {
				where = "JSON field " + tok.JSON
			}
			return nil, fmt.Errorf("action login: the answer has no session token in its %s (session.token); it was: %s", where, firstBytes(body, 300))
		}
		sess.token = token
	}
	sess.setLoggedIn(true)
	return body, nil
}

// loginPath is where a signed-out customer is sent: session.loginPage, or
// the login action's page (the sign-in page), or its path.
func (s *Scenario) loginPath(data profile.ActionData) string {
	p := s.h.cfg.Profile
	if p.Session.LoginPage != "" {
		return p.Session.LoginPage
	}
	if a := p.Actions["login"]; a != nil {
		if path, err := a.PagePath(data); err == nil {
			return path
		}
	}
	return ""
}

// send renders and sends one action in sess. For a customer action it
// returns *signedOut when the portal asks for a sign-in.
func (s *Scenario) send(ctx context.Context, name string, a *profile.Action, data profile.ActionData, sess *session, customer bool) ([]byte, error) {
	req, err := a.Render(data)
	if err != nil {
		return nil, fmt.Errorf("action %s: %w", name, err)
	}
	return s.sendRequest(ctx, name, a, req, data, sess, customer)
}

// sendRequest sends an action already rendered; see send.
func (s *Scenario) sendRequest(ctx context.Context, name string, a *profile.Action, req *profile.Request, data profile.ActionData, sess *session, customer bool) ([]byte, error) {
	p := s.h.cfg.Profile
	u := strings.TrimRight(p.Merchant.URL, "/") + req.Path
	limit := p.ActionTimeout()
	ctx, cancel := context.WithTimeoutCause(ctx, limit, errActionTimeout)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, req.Method, u, bytes.NewReader(req.Body))
	if err != nil {
		return nil, fmt.Errorf("action %s: %w", name, err)
	}
	if a.Side == profile.SideMerchant {
		for k, v := range p.Merchant.Headers {
			hr.Header.Set(k, v)
		}
	}
	token := sess.token
	sess.lastHeaders = nil
	if h, prefix := p.Session.TokenHeader(); customer && h != "" && token != "" {
		hr.Header.Set(h, prefix+token)
	}
	for k, v := range req.Headers {
		hr.Header.Set(k, v)
	}
	if req.ContentType != "" {
		hr.Header.Set("Content-Type", req.ContentType)
	}
	resp, err := sess.client.Do(hr)
	if err != nil {
		if errors.Is(context.Cause(ctx), errActionTimeout) {
			return nil, fmt.Errorf("action %s: %s %s: the merchant did not answer within %s (profile timeouts.action)", name, req.Method, u, limit)
		}
		return nil, fmt.Errorf("action %s: %s %s: %w", name, req.Method, u, err)
	}
	defer resp.Body.Close()
	sess.lastHeaders = append(sess.lastHeaders, resp.Header)
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		if errors.Is(context.Cause(ctx), errActionTimeout) {
			return nil, fmt.Errorf("action %s: %s %s: the merchant's answer did not end within %s (profile timeouts.action)", name, req.Method, u, limit)
		}
		return nil, fmt.Errorf("action %s: read the answer: %w", name, err)
	}
	if customer {
		if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
			return nil, &signedOut{fmt.Sprintf("%s %s answered %d", req.Method, u, resp.StatusCode)}
		}
		reqPath, _, _ := strings.Cut(req.Path, "?")
		if lp := s.loginPath(data); lp != "" && resp.Request.URL.Path == lp && reqPath != lp {
			return nil, &signedOut{fmt.Sprintf("%s %s led to the login page %s", req.Method, u, resp.Request.URL)}
		}
	}
	if !a.Accepts(resp.StatusCode) {
		hint := ""
		if name == "login" {
			hint = loginRefusedHint(a, req, resp.StatusCode)
		} else if lp := s.loginPath(data); !customer && lp != "" && resp.Request.URL.Path == lp {
			hint = fmt.Sprintf(" (it led to the login page %s: if this runs in the customer's account, set side: customer on actions.%s)", resp.Request.URL.Path, name)
		}
		return nil, &refusedAnswer{resp.StatusCode, fmt.Sprintf("action %s: %s %s answered %d, want %v%s: %s", name, req.Method, u, resp.StatusCode, acceptList(a), hint, firstBytes(body, 500))}
	}
	return body, nil
}

// refusedAnswer is an action the merchant answered with a status outside
// the action's accept list.
type refusedAnswer struct {
	status int
	msg    string
}

func (e *refusedAnswer) Error() string { return e.msg }

// errActionTimeout is the cause of a context ended by timeouts.action.
var errActionTimeout = errors.New("timeouts.action elapsed")

func firstBytes(b []byte, n int) string {
	s := strings.TrimSpace(string(b))
	if cut, more := cutRunes(s, n); more > 0 {
		return fmt.Sprintf("%s… (%d more characters of the answer not shown)", cut, more)
	}
	return s
}

func acceptList(a *profile.Action) any {
	if len(a.Accept) == 0 {
		return "a 2xx"
	}
	return a.Accept
}

// remember keeps the action's data as JSON-shaped values for checks.
func (s *Scenario) remember(action string, d profile.ActionData) {
	items := make([]any, len(d.Items))
	for i, it := range d.Items {
		items[i] = map[string]any{"itemId": it.ItemID, "skuId": it.SKUID, "product": it.Product, "quantity": float64(it.Quantity)}
	}
	s.lastRequest = map[string]any{
		"action": action, "items": items, "carrier": d.Carrier, "trackingNumber": d.TrackingNumber,
		"trackingUrl": d.TrackingURL, "newDate": d.NewDate, "reason": d.Reason,
	}
}

func (s *Scenario) actionData(items []profile.ActionItem) (profile.ActionData, error) {
	o, err := s.currentOrder()
	if err != nil {
		return profile.ActionData{}, err
	}
	d := profile.ActionData{
		Customer: profile.ActionCustomer{Name: o.Customer.Name, Email: o.Customer.Email, ID: o.Customer.ID},
		Order:    profile.ActionOrder{ID: o.ID, Currency: o.Currency},
		Items:    items,
	}
	for _, it := range o.Items {
		d.Order.Items = append(d.Order.Items, profile.ActionItem{ItemID: it.ID, SKUID: it.SKUID, Product: it.ProductDetails.Name, Quantity: it.Quantity})
	}
	return d, nil
}

// Selection names units of one product, or every remaining unit when Product is empty.
type Selection struct {
	Product  string
	Quantity int
}

// pick resolves a selection against the order's remaining units.
func (s *Scenario) pick(sel Selection) ([]profile.ActionItem, []*OrderItem, error) {
	o, err := s.currentOrder()
	if err != nil {
		return nil, nil, err
	}
	var items []profile.ActionItem
	var lines []*OrderItem
	for i := range o.Items {
		it := &o.Items[i]
		if sel.Product != "" && !strings.EqualFold(it.ProductDetails.Name, sel.Product) {
			continue
		}
		q := it.remaining()
		if sel.Product != "" {
			q = sel.Quantity
		}
		if q <= 0 {
			continue
		}
		items = append(items, profile.ActionItem{ItemID: it.ID, SKUID: it.SKUID, Product: it.ProductDetails.Name, Quantity: q})
		lines = append(lines, it)
	}
	if len(items) == 0 {
		if sel.Product != "" {
			return nil, nil, o.noProduct(sel.Product)
		}
		return nil, nil, fmt.Errorf("order %s has no units left", o.ID)
	}
	return items, lines, nil
}

// Ship has the merchant ship units with a carrier and tracking number; the
// tracking URL is https://track.example.test/<carrier>/<number>. It then
// checks in DR that exactly those units shipped with that tracking number.
func (s *Scenario) Ship(ctx context.Context, sel Selection, carrier, tracking string) error {
	items, lines, err := s.pick(sel)
	if err != nil {
		return err
	}
	if err := s.checkLimits("ship", items, lines); err != nil {
		return err
	}
	d, err := s.actionData(items)
	if err != nil {
		return err
	}
	d.Carrier, d.TrackingNumber = carrier, tracking
	d.TrackingURL = "https://track.example.test/" + url.PathEscape(carrier) + "/" + url.PathEscape(tracking)
	before, err := s.fulfilled(ctx, s.order.ID)
	if err != nil {
		return err
	}
	if err := s.performEach(ctx, "ship", d); err != nil {
		return err
	}
	if err := s.expectUnits(ctx, "ship", "shipped", before, items, tracking); err != nil {
		return err
	}
	for i, l := range lines {
		l.shipped += items[i].Quantity
	}
	return nil
}

// Cancel has the merchant cancel units, then checks in DR that exactly those
// units were cancelled.
func (s *Scenario) Cancel(ctx context.Context, sel Selection) error {
	items, lines, err := s.pick(sel)
	if err != nil {
		return err
	}
	if err := s.checkLimits("cancel", items, lines); err != nil {
		return err
	}
	d, err := s.actionData(items)
	if err != nil {
		return err
	}
	before, err := s.fulfilled(ctx, s.order.ID)
	if err != nil {
		return err
	}
	if err := s.performEach(ctx, "cancel", d); err != nil {
		return err
	}
	if err := s.expectUnits(ctx, "cancel", "cancelled", before, items, ""); err != nil {
		return err
	}
	for i, l := range lines {
		l.cancelled += items[i].Quantity
	}
	return nil
}

// performEach performs an action once, or once per item when the action
// takes one item per request (cannot: [severalItems]).
func (s *Scenario) performEach(ctx context.Context, name string, d profile.ActionData) error {
	a := s.h.cfg.Profile.Actions[name]
	if a == nil || a.Can(profile.CannotSeveralItems) || len(d.Items) < 2 {
		_, err := s.perform(ctx, name, d)
		return err
	}
	for _, it := range d.Items {
		one := d
		one.Items = []profile.ActionItem{it}
		if _, err := s.perform(ctx, name, one); err != nil {
			return err
		}
	}
	return nil
}

// RequestCancellation has the customer ask, in the portal, to cancel every
// remaining unit of the order.
func (s *Scenario) RequestCancellation(ctx context.Context, customerName string) error {
	if err := s.isOrderCustomer(customerName); err != nil {
		return err
	}
	o := s.order
	var items []profile.ActionItem
	for _, it := range o.Items {
		q := it.remaining()
		if q <= 0 {
			// Every unit shipped or cancelled: ask for all of them, as a
			// customer who does not know does.
			q = it.Quantity
		}
		items = append(items, profile.ActionItem{ItemID: it.ID, SKUID: it.SKUID, Product: it.ProductDetails.Name, Quantity: q})
	}
	d, err := s.actionData(items)
	if err != nil {
		return err
	}
	return s.performEach(ctx, "requestCancellation", d)
}

// ReportDelay has the merchant report a shipment delay with a new date (YYYY-MM-DD).
func (s *Scenario) ReportDelay(ctx context.Context, newDate string) error {
	d, err := s.actionData(nil)
	if err != nil {
		return err
	}
	d.NewDate = newDate
	_, err = s.perform(ctx, "reportDelay", d)
	return err
}

// RequestReturn has the customer ask, in the portal, to return units.
func (s *Scenario) RequestReturn(ctx context.Context, customerName string, sel Selection, reason string) error {
	if err := s.isOrderCustomer(customerName); err != nil {
		return err
	}
	o := s.order
	var items []profile.ActionItem
	var lines []*OrderItem
	for i := range o.Items {
		it := &o.Items[i]
		if strings.EqualFold(it.ProductDetails.Name, sel.Product) {
			items = append(items, profile.ActionItem{ItemID: it.ID, SKUID: it.SKUID, Product: it.ProductDetails.Name, Quantity: sel.Quantity})
			lines = append(lines, it)
		}
	}
	if len(items) == 0 {
		return o.noProduct(sel.Product)
	}
	if a := s.h.cfg.Profile.Actions["requestReturn"]; a != nil && !a.Can(profile.CannotPartialQuantity) {
		for i, it := range items {
			if it.Quantity < lines[i].Quantity {
				return s.notApplicable("requestReturn of %d of the %d %q: actions.requestReturn cannot act on part of an item (cannot: [partialQuantity])", it.Quantity, lines[i].Quantity, it.Product)
			}
		}
	}
	d, err := s.actionData(items)
	if err != nil {
		return err
	}
	d.Reason = reason
	_, err = s.perform(ctx, "requestReturn", d)
	return err
}

func (s *Scenario) isOrderCustomer(name string) error {
	o, err := s.currentOrder()
	if err != nil {
		return err
	}
	if o.Customer.Name != name {
		if _, err := s.customer(name); err != nil {
			return err
		}
		return fmt.Errorf("the order belongs to %s, not %s", o.Customer.Name, name)
	}
	return nil
}

// Refund has Digital River refund the order: amount <= 0 means the whole
// available amount. The refund is completed at once (refund.complete,
// order.refunded).
func (s *Scenario) Refund(ctx context.Context, amount float64) error {
	o, err := s.currentOrder()
	if err != nil {
		return err
	}
	if amount <= 0 {
		cur, err := s.h.dr.Order(ctx, o.ID)
		if err != nil {
			return fmt.Errorf("refund order %s: %w", o.ID, err)
		}
		amount = cur.AvailableToRefundAmount
	}
	refund, err := s.h.dr.CreateRefund(ctx, client.RefundParams{OrderID: o.ID, Currency: o.Currency, Amount: client.Float(amount)})
	if err != nil {
		return fmt.Errorf("refund %.2f of order %s: %w", amount, o.ID, err)
	}
	if _, err := s.h.dr.CompleteRefund(ctx, refund.ID); err != nil {
		return fmt.Errorf("complete refund %s: %w", refund.ID, err)
	}
	return nil
}

// ExpectOrderState checks the order's state in the simulator.
func (s *Scenario) ExpectOrderState(ctx context.Context, want string) error {
	o, err := s.currentOrder()
	if err != nil {
		return err
	}
	cur, err := s.h.dr.Order(ctx, o.ID)
	if err != nil {
		return err
	}
	if cur.State != want {
		return fmt.Errorf("order %s is %s, want %s", o.ID, cur.State, want)
	}
	return nil
}

// actionPages renders the path of each profile action (its page: when given)
// for the scenario's order, subscription and customer: emails that link to
// one of the merchant's pages are recognised by where the link leads.
func (s *Scenario) actionPages() map[string]string {
	d := s.pageData()
	out := map[string]string{}
	for name, a := range s.h.cfg.Profile.Actions {
		if p, err := a.PagePath(d); err == nil && p != "" {
			out[name] = p
		}
	}
	return out
}

// pageData is the template data of the scenario as it stands.
func (s *Scenario) pageData() profile.ActionData {
	var d profile.ActionData
	if o := s.order; o != nil {
		d.Order = profile.ActionOrder{ID: o.ID, Currency: o.Currency}
		for _, it := range o.Items {
			d.Order.Items = append(d.Order.Items, profile.ActionItem{ItemID: it.ID, SKUID: it.SKUID, Product: it.ProductDetails.Name, Quantity: it.Quantity})
		}
		d.Items = d.Order.Items
		if c := o.Customer; c != nil {
			d.Customer = profile.ActionCustomer{Name: c.Name, Email: c.Email, ID: c.ID}
		}
	}
	d.Subscription.ID = s.subscriptionID
	d.SourceID = s.savedSource
	return d
}
