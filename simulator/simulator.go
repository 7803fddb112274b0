// Package simulator is a stateful fake of Digital River's API that emits
// signed webhook events. Start one with Start, point a merchant at URL(), and
// drive it through DR's API and the control API under /_sim/, by hand or
// with the typed client Server.Client hands out.
//
// Public packages:
//
//	client     a typed Go client of the simulator, with its wire types
//	signature  the DigitalRiver-Signature layout (Sign, Verify)
//
// The rest is internal, each package named for what it is: clock (the
// virtual clock every business timestamp reads), state (accounts, resources,
// DR's rules and the events they record), delivery (the webhook delivery
// engine), documents (invoice and credit memo PDFs), api (the HTTP layer),
// dashboard (the web dashboard for local development, loopback only) and
// apierror (DR's error shape).
package simulator

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/drsim/drsim/simulator/client"
	"github.com/drsim/drsim/simulator/internal/api"
	"github.com/drsim/drsim/simulator/internal/dashboard"
	"github.com/drsim/drsim/simulator/internal/delivery"
	"github.com/drsim/drsim/simulator/internal/readdeadline"
	"github.com/drsim/drsim/simulator/internal/state"
)

// Options configure a simulator.
type Options struct {
	Addr            string        // listen address; "127.0.0.1:0" when empty
	Logger          *slog.Logger  // nil discards
	DeliveryTimeout time.Duration // per webhook attempt; DR's 3 s when 0
	// RetryScale turns DR's retry schedule (virtual delays of 1m … 24h)
	// into wall time: 1 (or 0) is real time; tests and certify use 1e-4
	// (5 minutes → 30 ms).
	RetryScale float64
	// MailURL is the mail sink's web UI (MailHog), linked from the dashboard.
	MailURL string
	// StateFile keeps accounts, keys, resources, events, test clocks and
	// webhook secrets across restarts: read at Start when it exists (a
	// corrupt or incompatible file is an error, never a silent reset),
	// written atomically every SaveEvery and at Close. Delivery attempts,
	// pending retries and faults are not kept.
	StateFile string
	SaveEvery time.Duration // 30 s when 0
	// PublicURL is the base of the file link URLs the simulator hands out
	// (what merchants and their customers reach it at, e.g. behind a proxy);
	// the listen address's URL when empty. Never taken from a request's Host.
	PublicURL string
	// AdminToken guards what no DR merchant can do: with it set, the
	// control API under /_sim/ (account creation included; the health
	// check excepted) needs it in the X-Drsim-Admin-Token header, and the
	// dashboard needs it too (AdminHeader, or the cookie the dashboard sets
	// when opened as /_sim/dashboard/?token=…). Start refuses to listen
	// beyond loopback without one: anyone who reaches the simulator could
	// otherwise create accounts and make it call any URL.
	AdminToken string
	// RateLimit, when above 0, limits each account to RateLimit DR API
	// calls a second (a token bucket holding one second's worth), as DR
	// limits its keys (250 a second live, 25 test): a call beyond it gets
	// DR's 429 too_many_requests with a Retry-After in seconds. The control
	// API (/_sim/), the health check and file links are never limited. Off
	// when 0: certification compresses time, so a merchant within DR's
	// limit in real traffic would exceed it there.
	RateLimit int
}

// AdminHeader is the header that carries Options.AdminToken.
const AdminHeader = api.AdminHeader

// adminCookie is the dashboard's copy of the admin token, set when the
// dashboard is opened with ?token=… (a browser cannot send a header when
// it navigates).
const adminCookie = "drsim_admin"

// limits bound what one connection may hold (README "Limits"): a client
// that sends its headers or its body too slowly is cut off, and an idle
// keep-alive connection is closed. No write timeout: control calls that
// wait (?wait=) answer when their wait ends.
var limits = struct {
	readHeader, read, idle time.Duration
	sweep                  time.Duration // how late past a read deadline a connection may be cut off
	headerBytes            int
}{readHeader: 10 * time.Second, read: time.Minute, idle: 2 * time.Minute, sweep: 250 * time.Millisecond, headerBytes: 64 << 10}

// Server is a running simulator.
type Server struct {
	store  *state.Store
	state  string // the state file, or ""
	admin  string // Options.AdminToken
	log    *slog.Logger
	stop   chan struct{}
	saved  chan struct{} // closed when the periodic saver ends
	engine *delivery.Engine
	srv    *http.Server
	ln     net.Listener
	done   chan error
	// cancel ends the context of every request, so that long polls
	// (?wait=) return at Close instead of holding the shutdown.
	cancel context.CancelFunc
	// fresh holds the connections that have sent nothing yet (StateNew):
	// Go's HTTP clients dial spare ones, and Shutdown would wait for them
	// to age 5 s. Close closes them once the listener is closed.
	fresh   sync.Map      // net.Conn → struct{}
	freshed chan struct{} // a connection became fresh (tests)
}

// Start listens and serves in the background.
func Start(o Options) (*Server, error) {
	addr := o.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("simulator: listen on %s: %w", addr, err)
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && !tcp.IP.IsLoopback() && o.AdminToken == "" {
		ln.Close()
		return nil, fmt.Errorf("simulator: %s listens beyond loopback; set an admin token (Options.AdminToken, drsim serve -admin-token or DRSIM_ADMIN_TOKEN), or listen on 127.0.0.1", ln.Addr())
	}
	// The limits' read deadlines are enforced by a sweeper, not a runtime
	// timer per request (package readdeadline says why).
	ln = readdeadline.Listen(ln, limits.sweep)
	engine := delivery.New(delivery.Options{Timeout: o.DeliveryTimeout, Logger: o.Logger, Retry: delivery.RetryPolicy{Scale: o.RetryScale}})
	store := state.NewStore(engine, time.Now)
	if o.StateFile != "" {
		if err := loadState(store, o.StateFile); err != nil {
			ln.Close()
			engine.Close()
			return nil, err
		}
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	apiHandler := api.New(store, engine, o.Logger)
	public := o.PublicURL
	if public == "" {
		public = "http://" + ln.Addr().String()
		if tcp, ok := ln.Addr().(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
			public = "http://" + net.JoinHostPort("127.0.0.1", fmt.Sprint(tcp.Port))
		}
	}
	apiHandler.SetPublicURL(public)
	apiHandler.SetAdminToken(o.AdminToken)
	apiHandler.SetRateLimit(o.RateLimit)
	dashOpts := dashboard.Options{MailURL: o.MailURL}
	if o.AdminToken != "" {
		dashOpts.Allow = func(r *http.Request) bool {
			if api.AdminTokenOK(r.Header.Get(AdminHeader), o.AdminToken) {
				return true
			}
			c, err := r.Cookie(adminCookie)
			return err == nil && api.AdminTokenOK(c.Value, o.AdminToken)
		}
	}
	base, cancel := context.WithCancel(context.Background())
	s := &Server{
		store: store, state: o.StateFile, admin: o.AdminToken, log: logger, stop: make(chan struct{}), saved: make(chan struct{}),
		engine: engine,
		srv: &http.Server{Handler: withDashboard(apiHandler, dashboard.New(store, engine, dashOpts), o.AdminToken),
			ReadHeaderTimeout: limits.readHeader, ReadTimeout: limits.read, IdleTimeout: limits.idle, MaxHeaderBytes: limits.headerBytes,
			BaseContext: func(net.Listener) context.Context { return base }},
		ln:      ln,
		done:    make(chan error, 1),
		cancel:  cancel,
		freshed: make(chan struct{}, 1),
	}
	s.srv.ConnState = func(c net.Conn, st http.ConnState) {
		if st != http.StateNew {
			s.fresh.Delete(c)
			return
		}
		s.fresh.Store(c, struct{}{})
		select {
		case s.freshed <- struct{}{}:
		default:
		}
	}
	// Shutdown runs this once its listeners are closed: a connection that
	// has sent nothing will send nothing this server answers.
	s.srv.RegisterOnShutdown(func() {
		s.fresh.Range(func(c, _ any) bool {
			c.(net.Conn).Close()
			return true
		})
	})
	go func() { s.done <- s.srv.Serve(ln) }()
	go s.saveEvery(o.SaveEvery)
	return s, nil
}

// loadState restores the store from path; a missing file is a fresh start.
func loadState(store *state.Store, path string) error {
	// The file is written beside itself (a temporary file renamed over it):
	// a directory that is missing or read-only is said now, not every
	// SaveEvery in the log while the state is lost at exit.
	probe, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("simulator: state file %s cannot be written (%w): create its directory or choose another path", path, err)
	}
	probe.Close()
	os.Remove(probe.Name())
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("simulator: state file: %w", err)
	}
	defer f.Close()
	if err := store.Load(f); err != nil {
		return fmt.Errorf("simulator: state file %s: %w", path, err)
	}
	return nil
}

func (s *Server) saveEvery(every time.Duration) {
	defer close(s.saved)
	if s.state == "" {
		return
	}
	if every <= 0 {
		every = 30 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			if err := s.SaveState(); err != nil {
				s.log.Error("save the state file", "err", err)
			}
		}
	}
}

// SaveState writes the state file now (temporary file, then rename, so a
// crash never leaves half a file). Without Options.StateFile it does nothing.
func (s *Server) SaveState() error {
	if s.state == "" {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.state), filepath.Base(s.state)+".tmp-*")
	if err != nil {
		return fmt.Errorf("simulator: save state: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing left to remove
	if err := s.store.Save(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("simulator: save state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("simulator: save state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("simulator: save state: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.state); err != nil {
		return fmt.Errorf("simulator: save state: %w", err)
	}
	return nil
}

// withDashboard serves the dashboard under dashboard.Prefix and sends a
// browser that opens "/" there; everything else is the API. With an admin
// token, opening the dashboard as Prefix?token=<token> stores the token in
// an HttpOnly, SameSite=Strict cookie and redirects to Prefix (so the token
// leaves the address bar); the dashboard's own calls then carry the cookie.
func withDashboard(apiHandler, dash http.Handler, adminToken string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case adminToken != "" && r.URL.Path == dashboard.Prefix && r.Method == http.MethodGet && r.URL.Query().Has("token"):
			if !api.AdminTokenOK(r.URL.Query().Get("token"), adminToken) {
				dash.ServeHTTP(w, r) // refused by its Allow: 403 in DR's shape
				return
			}
			http.SetCookie(w, &http.Cookie{Name: adminCookie, Value: adminToken, Path: dashboard.Prefix, HttpOnly: true, SameSite: http.SameSiteStrictMode})
			http.Redirect(w, r, dashboard.Prefix, http.StatusSeeOther)
		case strings.HasPrefix(r.URL.Path, dashboard.Prefix):
			dash.ServeHTTP(w, r)
		case r.URL.Path == "/" && r.Method == http.MethodGet && strings.Contains(r.Header.Get("Accept"), "text/html"):
			http.Redirect(w, r, dashboard.Prefix, http.StatusFound)
		default:
			apiHandler.ServeHTTP(w, r)
		}
	})
}

// DashboardURL is the web dashboard (loopback clients only).
func (s *Server) DashboardURL() string { return s.URL() + dashboard.Prefix }

// URL is the API base URL, e.g. http://127.0.0.1:41234.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// Client returns a ready client of this simulator calling with key: an
// account's secret or public key, or "" for CreateAccount. It carries the
// admin token when the simulator has one.
func (s *Server) Client(key string) *client.Client {
	return client.New(s.URL(), key, client.WithAdminToken(s.admin))
}

// FillCustomers creates n customers in the account of secretKey straight
// in its state, as n calls of POST /customers with the body
// {"email": email(i)} would: the same customers and customer.created
// events (published to the webhooks subscribed), without HTTP and without
// request log entries. It is for load tests that need a large account
// quickly (drsim bench -stored). It returns the customers' ids, oldest
// first.
func (s *Server) FillCustomers(secretKey string, n int, email func(i int) string) ([]string, error) {
	a, err := s.secretAccount(secretKey, "fill customers")
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, n)
	for i := range n {
		e := email(i)
		c, err := a.CreateCustomer(state.CustomerParams{Email: &e})
		if err != nil {
			return ids, fmt.Errorf("simulator: fill customer %d of %d: %w", i+1, n, err)
		}
		ids = append(ids, c.ID)
	}
	return ids, nil
}

// TrimCustomers removes the newest customers of the account of secretKey
// until keep are left, straight in its state, and says how many went; their
// events stay (TrimEvents takes those back). With FillCustomers it keeps a
// load test's account at the size it measures: drsim bench trims the
// customers its create figure made.
func (s *Server) TrimCustomers(secretKey string, keep int) (int, error) {
	a, err := s.secretAccount(secretKey, "trim customers")
	if err != nil {
		return 0, err
	}
	return a.DropNewestCustomers(keep), nil
}

// TrimEvents removes the newest events of the account of secretKey until
// keep are left, straight in its state, and says how many went: they are
// gone from GET /events and replays, as if never recorded. With
// TrimCustomers it keeps a load test's account at the size it measures:
// drsim bench takes back the customers and the customer.created events its
// create figure made.
func (s *Server) TrimEvents(secretKey string, keep int) (int, error) {
	a, err := s.secretAccount(secretKey, "trim events")
	if err != nil {
		return 0, err
	}
	return a.DropNewestEvents(keep), nil
}

// secretAccount is the account of secretKey for the load-test helpers
// (FillCustomers, TrimCustomers, TrimEvents); a public key is refused.
func (s *Server) secretAccount(secretKey, what string) (*state.Account, error) {
	a, public, ok := s.store.Lookup(secretKey)
	if !ok || public {
		return nil, fmt.Errorf("simulator: %s: no account has the secret key %q", what, secretKey)
	}
	return a, nil
}

// Close stops serving and waits for in-flight webhook deliveries to end.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.cancel() // long polls answer now; other requests finish as usual
	err := s.srv.Shutdown(ctx)
	s.engine.Close()
	close(s.stop)
	<-s.saved
	err = errors.Join(err, s.SaveState())
	if serveErr := <-s.done; serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return errors.Join(err, serveErr)
	}
	return err
}
