// Package dashboard is the simulator's web dashboard for local development:
// every account with its keys, webhooks (secret, enabled state, delivery
// status), events with their JSON, every delivery attempt with a "deliver
// again" button, orders, subscriptions, the clock with advance controls,
// files and file links, and the merchant's API calls. It is one page of
// html/template and vanilla JavaScript, embedded in the binary (no network),
// that polls one JSON endpoint.
//
// The dashboard sees every account, so it answers only clients on the
// loopback interface (Options.Allow can widen that, e.g. with an admin
// token). Its POSTs require the header X-Drsim-Dashboard, which a
// cross-site form cannot send, so a web page the developer visits cannot
// press its buttons.
package dashboard

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"io/fs"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/drsim/drsim/simulator/internal/apierror"
	"github.com/drsim/drsim/simulator/internal/delivery"
	"github.com/drsim/drsim/simulator/internal/state"
)

// Prefix is where the dashboard is mounted.
const Prefix = "/_sim/dashboard/"

//go:embed assets
var assets embed.FS

// Options configure the dashboard.
type Options struct {
	// MailURL is the web UI of the mail sink (MailHog), linked from the page; "" hides the link.
	MailURL string
	// Allow decides who may open the dashboard; nil allows loopback clients only.
	Allow func(*http.Request) bool
}

// Handler serves the dashboard under Prefix.
type Handler struct {
	store  *state.Store
	engine *delivery.Engine
	opts   Options
	mux    *http.ServeMux
	page   *template.Template
}

// New builds the dashboard over the simulator's store and delivery engine.
func New(store *state.Store, engine *delivery.Engine, o Options) *Handler {
	if o.Allow == nil {
		o.Allow = Loopback
	}
	h := &Handler{store: store, engine: engine, opts: o, mux: http.NewServeMux(),
		page: template.Must(template.ParseFS(assets, "assets/index.html"))}
	static, _ := fs.Sub(assets, "assets")
	h.mux.Handle("GET "+Prefix+"static/", http.StripPrefix(Prefix+"static/", http.FileServerFS(static)))
	h.mux.HandleFunc("GET "+Prefix+"{$}", h.index)
	h.mux.HandleFunc("GET "+Prefix+"api/accounts", h.accounts)
	h.mux.HandleFunc("GET "+Prefix+"api/accounts/{id}", h.view)
	h.mux.HandleFunc("POST "+Prefix+"api/accounts/{id}/events/{event}/deliveries", h.deliverAgain)
	h.mux.HandleFunc("POST "+Prefix+"api/accounts/{id}/test-clocks/{clock}/advance", h.advanceTestClock)
	h.mux.HandleFunc(Prefix, func(w http.ResponseWriter, r *http.Request) {
		writeError(w, apierror.New(http.StatusNotFound, "not_found", "", "No such dashboard page: "+r.Method+" "+r.URL.Path))
	})
	return h
}

// Loopback allows clients connected from a loopback address.
func Loopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.opts.Allow(r) {
		writeError(w, apierror.New(http.StatusForbidden, "forbidden", "", "The dashboard shows every account's keys and secrets; it answers only on loopback, or with the admin token when the simulator has one (open /_sim/dashboard/?token=…)."))
		return
	}
	if r.Method == http.MethodPost && r.Header.Get("X-Drsim-Dashboard") == "" {
		writeError(w, apierror.New(http.StatusForbidden, "forbidden", "", "Dashboard actions need the X-Drsim-Dashboard header (sent by the dashboard page)."))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	h.mux.ServeHTTP(w, r)
}

func (h *Handler) index(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
	var b bytes.Buffer
	if err := h.page.Execute(&b, struct{ Prefix, MailURL string }{Prefix, h.opts.MailURL}); err != nil {
		writeError(w, apierror.New(http.StatusInternalServerError, "internal_error", "", "render the dashboard: "+err.Error()))
		return
	}
	_, _ = w.Write(b.Bytes())
}

// AccountSummary is one line of the account list.
type AccountSummary struct {
	ID        string    `json:"id"`
	SecretKey string    `json:"secretKey"`
	PublicKey string    `json:"publicKey"`
	Clock     time.Time `json:"clock"`
}

func (h *Handler) accounts(w http.ResponseWriter, r *http.Request) {
	out := []AccountSummary{}
	for _, a := range h.store.Accounts() {
		k := a.Keys()
		out = append(out, AccountSummary{ID: a.ID(), SecretKey: k.SecretKey, PublicKey: k.PublicKey, Clock: a.Now()})
	}
	writeJSON(w, http.StatusOK, map[string]any{"accounts": out, "mailUrl": h.opts.MailURL})
}

// WebhookView is a webhook with its secret and the engine's view of it.
type WebhookView struct {
	*state.Webhook
	Secret         string              `json:"secret"`
	DisabledReason string              `json:"disabledReason,omitempty"`
	Delivery       delivery.HookStatus `json:"delivery"`
}

// AttemptView is a delivery attempt as the merchant saw it: the request's
// headers and body, and the answer.
type AttemptView struct {
	delivery.Attempt
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body,omitempty"`
}

// MarshalJSON keeps Attempt's own JSON (its MarshalJSON would otherwise
// stand for the whole view) and adds headers and body.
func (v AttemptView) MarshalJSON() ([]byte, error) {
	a, err := json.Marshal(v.Attempt)
	if err != nil {
		return nil, err
	}
	extra, err := json.Marshal(struct {
		Headers map[string]string `json:"headers"`
		Body    json.RawMessage   `json:"body,omitempty"`
	}{v.Headers, v.Body})
	if err != nil {
		return nil, err
	}
	return append(append(a[:len(a)-1], ','), extra[1:]...), nil
}

// View is everything the page shows about one account.
type View struct {
	Account       AccountSummary        `json:"account"`
	Webhooks      []WebhookView         `json:"webhooks"`
	TestClocks    []state.TestClock     `json:"testClocks"`
	Events        []*state.Event        `json:"events"`
	EventTypes    []string              `json:"eventTypes"`
	Deliveries    []AttemptView         `json:"deliveries"`
	Orders        []*state.Order        `json:"orders"`
	Subscriptions []*state.Subscription `json:"subscriptions"`
	Customers     []*state.Customer     `json:"customers"`
	Files         []*state.File         `json:"files"`
	FileLinks     []*state.FileLink     `json:"fileLinks"`
	Requests      []state.RequestLog    `json:"requests"`
	// More names the lists cut at limit with more behind them ("events",
	// "deliveries", "orders", "subscriptions", "customers", "files",
	// "fileLinks", "testClocks", "requests"): the page shows "200+", not a
	// count it does not have.
	More map[string]bool `json:"more"`
}

// limit bounds each list the page shows (newest first).
const limit = 200

func (h *Handler) account(w http.ResponseWriter, r *http.Request) (*state.Account, bool) {
	a, ok := h.store.Account(r.PathValue("id"))
	if !ok {
		writeError(w, apierror.NotFound("account", r.PathValue("id")))
	}
	return a, ok
}

func (h *Handler) view(w http.ResponseWriter, r *http.Request) {
	a, ok := h.account(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	k := a.Keys()
	v := View{Account: AccountSummary{ID: a.ID(), SecretKey: k.SecretKey, PublicKey: k.PublicKey, Clock: a.Now()},
		Webhooks: []WebhookView{}, Events: []*state.Event{}, EventTypes: []string{}, Deliveries: []AttemptView{}, Requests: []state.RequestLog{},
		More: map[string]bool{}}
	var errs []error
	hooks, _, err := all(func(lp state.ListParams) (state.Page[*state.Webhook], error) {
		return a.Webhooks(state.WebhookFilter{ListParams: lp})
	}, func(x *state.Webhook) string { return x.ID })
	errs = append(errs, err)
	for _, wh := range hooks {
		sec, _ := a.WebhookSecret(wh.ID)
		why, _ := a.WebhookDisabledReason(wh.ID)
		v.Webhooks = append(v.Webhooks, WebhookView{Webhook: wh, Secret: sec, DisabledReason: why, Delivery: h.engine.Status(a.ID(), wh.ID)})
	}
	evs, moreEvents, err := all(func(lp state.ListParams) (state.Page[*state.Event], error) {
		return a.Events(state.EventFilter{ListParams: lp})
	}, func(x *state.Event) string { return x.ID })
	errs = append(errs, err)
	byID := map[string]*state.Event{}
	types := map[string]bool{}
	for _, e := range evs {
		byID[e.ID] = e
		types[e.Type] = true
	}
	typ, about := q.Get("type"), strings.TrimSpace(q.Get("about"))
	if typ != "" || about != "" {
		// A filter looks through every kept event, not only the latest
		// limit: an order of an hour ago still shows its events.
		matches, more, err := matching(a, typ, about)
		errs = append(errs, err)
		v.Events = append(v.Events, matches...)
		v.More["events"] = more
	} else {
		v.Events = append(v.Events, evs...)
		v.More["events"] = moreEvents
	}
	for t := range types {
		v.EventTypes = append(v.EventTypes, t)
	}
	attempts := h.engine.Attempts(a.ID(), delivery.AttemptFilter{})
	for i := len(attempts) - 1; i >= 0 && len(v.Deliveries) < limit; i-- {
		at := attempts[i]
		av := AttemptView{Attempt: at, Headers: map[string]string{"Content-Type": "application/json", "User-Agent": "drsim-webhooks/1"}}
		if at.Signature != "" {
			av.Headers["DigitalRiver-Signature"] = at.Signature
		}
		if e, ok := byID[at.EventID]; ok {
			av.Body, _ = json.Marshal(e)
		}
		v.Deliveries = append(v.Deliveries, av)
	}
	v.More["deliveries"] = len(attempts) > limit
	v.TestClocks, v.More["testClocks"], err = all(a.TestClocks, func(x state.TestClock) string { return x.ID })
	errs = append(errs, err)
	v.Orders, v.More["orders"], err = all(func(lp state.ListParams) (state.Page[*state.Order], error) {
		return a.Orders(state.OrderFilter{ListParams: lp})
	}, func(x *state.Order) string { return x.ID })
	errs = append(errs, err)
	v.Subscriptions, v.More["subscriptions"], err = all(func(lp state.ListParams) (state.Page[*state.Subscription], error) {
		return a.Subscriptions(state.SubscriptionFilter{ListParams: lp})
	}, func(x *state.Subscription) string { return x.ID })
	errs = append(errs, err)
	v.Customers, v.More["customers"], err = all(func(lp state.ListParams) (state.Page[*state.Customer], error) {
		return a.Customers(state.CustomerFilter{ListParams: lp})
	}, func(x *state.Customer) string { return x.ID })
	errs = append(errs, err)
	v.Files, v.More["files"], err = all(func(lp state.ListParams) (state.Page[*state.File], error) {
		return a.Files(state.FileFilter{ListParams: lp})
	}, func(x *state.File) string { return x.ID })
	errs = append(errs, err)
	v.FileLinks, v.More["fileLinks"], err = all(func(lp state.ListParams) (state.Page[*state.FileLink], error) {
		return a.FileLinks(state.FileLinkFilter{ListParams: lp})
	}, func(x *state.FileLink) string { return x.ID })
	errs = append(errs, err)
	reqs := a.Requests()
	for i := len(reqs) - 1; i >= 0 && len(v.Requests) < limit; i-- {
		v.Requests = append(v.Requests, reqs[i])
	}
	v.More["requests"] = len(reqs) > limit
	if err := errors.Join(errs...); err != nil {
		writeError(w, apierror.As(err))
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// matching reads the account's events newest first, page after page, and
// keeps up to limit of those of type typ (any when "") that mention about
// (an order, customer or subscription id; any when ""); more reports that
// another one matches beyond them.
func matching(a *state.Account, typ, about string) (out []*state.Event, more bool, err error) {
	out = []*state.Event{}
	lp := state.ListParams{Limit: 100}
	for {
		p, err := a.Events(state.EventFilter{ListParams: lp, Type: typ})
		if err != nil {
			return out, false, err
		}
		for _, e := range p.Data {
			if about != "" && !bytes.Contains(e.Data.Object, []byte(`"`+about+`"`)) {
				continue
			}
			if len(out) == limit {
				return out, true, nil
			}
			out = append(out, e)
		}
		if !p.HasMore || len(p.Data) == 0 {
			return out, false, nil
		}
		lp.StartingAfter = p.Data[len(p.Data)-1].ID
	}
}

// all reads every page of a newest-first list, up to limit items; more
// reports that the list goes on beyond them.
func all[T any](list func(state.ListParams) (state.Page[T], error), id func(T) string) (out []T, more bool, err error) {
	out = []T{}
	lp := state.ListParams{Limit: 100}
	for {
		p, err := list(lp)
		if err != nil {
			return out, false, err
		}
		out = append(out, p.Data...)
		if len(out) > limit {
			return out[:limit], true, nil
		}
		if !p.HasMore || len(p.Data) == 0 {
			return out, false, nil
		}
		if len(out) == limit {
			return out, true, nil
		}
		lp.StartingAfter = id(p.Data[len(p.Data)-1])
	}
}

// deliverAgain is POST …/events/{event}/deliveries {webhookId?}: a manual
// delivery now, to one webhook or to every webhook the event went to.
func (h *Handler) deliverAgain(w http.ResponseWriter, r *http.Request) {
	a, ok := h.account(w, r)
	if !ok {
		return
	}
	var p struct {
		WebhookID string `json:"webhookId"`
	}
	if err := decode(r, &p); err != nil {
		writeError(w, err)
		return
	}
	ev, err := a.Event(r.PathValue("event"))
	if err != nil {
		writeError(w, apierror.As(err))
		return
	}
	hooks := ev.WebhookIDs
	if p.WebhookID != "" {
		hooks = []string{p.WebhookID}
	}
	if len(hooks) == 0 {
		writeError(w, apierror.Invalid("webhookId", "Event '%s' went to no webhook; name one with webhookId.", ev.ID))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Minute)
	defer cancel()
	out := []delivery.Attempt{}
	for _, id := range hooks {
		t, err := a.DeliveryTarget(id)
		if err != nil {
			writeError(w, apierror.As(err))
			return
		}
		at, err := h.engine.Deliver(ctx, a.ID(), ev, t, delivery.ForgeNone)
		if err != nil {
			writeError(w, apierror.As(err))
			return
		}
		out = append(out, at)
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
}

// advanceTestClock is POST …/test-clocks/{clock}/advance {advance:"24h"}:
// the test clock moves forward and its customers' due work runs, as
// POST /_sim/test-clocks/{id}/advance does.
func (h *Handler) advanceTestClock(w http.ResponseWriter, r *http.Request) {
	a, ok := h.account(w, r)
	if !ok {
		return
	}
	var p struct {
		Advance string `json:"advance"`
	}
	if err := decode(r, &p); err != nil {
		writeError(w, err)
		return
	}
	d, err := time.ParseDuration(p.Advance)
	if err != nil || d <= 0 {
		writeError(w, apierror.Invalid("advance", "advance must be a positive duration such as 24h, got '%s'.", p.Advance))
		return
	}
	tc, evs, err := a.AdvanceTestClockBy(r.PathValue("clock"), d)
	if err != nil {
		writeError(w, apierror.As(err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"testClock": tc, "events": len(evs)})
}

func decode(r *http.Request, v any) *apierror.Error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return apierror.BadRequest("invalid_parameter", "", "Cannot read the request body as JSON: %v", err)
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, apierror.New(http.StatusInternalServerError, "internal_error", "", "encode: "+err.Error()))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeError(w http.ResponseWriter, e *apierror.Error) {
	b, _ := json.Marshal(e)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Status)
	_, _ = w.Write(b)
}
