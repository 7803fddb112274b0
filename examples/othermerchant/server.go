// Package othermerchant is a second example merchant, written the way an
// independent shop would integrate Digital River, and deliberately unlike
// drsim's reference merchant (examples/merchant), whose code it does not
// use. It is "Waldläufer Outdoor", a German shop:
//
//   - its own German subjects and wording, HTML-only emails whose links
//     live only in href attributes, amounts as "1.234,56 €" and dates as
//     22.12.2026;
//   - a customer account (/konto/) behind a cookie login: a form posts the
//     email address, a session cookie follows, and every page redirects to
//     /konto/anmelden without it. Customers cancel orders, return items,
//     save cards and cancel subscriptions there; there is no staff
//     cancellation endpoint;
//   - a warehouse API (/lager/, HTTP Basic auth) to ship, report a delay and
//     change a subscription's plan;
//   - webhooks verified with its own HMAC code, acknowledged at once and
//     handled by a worker pool that takes waiting events in random order,
//     so one subscription's emails go out in any order.
//
// Named defects (Defects) switch on mistakes the certification suite must
// catch. drsim's tests certify this shop with the profile in profile.yaml.
package othermerchant

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/mail"
	"slices"
	"sync"
	"time"
)

// Config configures the shop.
type Config struct {
	Addr          string // listen address; default 127.0.0.1:0
	SigningSecret string // the webhook's DigitalRiver-Signature secret
	DRBaseURL     string // Digital River's API (the simulator)
	DRSecretKey   string
	SMTPAddr      string // host:port
	// LagerUser and LagerPassword guard /lager/ (HTTP Basic); default
	// lager / waldweg.
	LagerUser, LagerPassword string
	Workers                  int // webhook workers; default 8
	Defects                  []string
	Logger                   *slog.Logger
}

// Defect names.
const (
	// DefectRefundHeadlineTotal: the refund email's headline names the
	// order total as the amount refunded (the refunds are listed below).
	DefectRefundHeadlineTotal = "refund-headline-order-total"
	// DefectCancelWholeLine: a customer's cancellation cancels every
	// remaining unit of each line it names, not the quantity asked for.
	DefectCancelWholeLine = "cancel-whole-line"
	// DefectSubscriptionCancelNoop: the account's "cancel subscription"
	// answers as if done, but never tells DR.
	DefectSubscriptionCancelNoop = "subscription-cancel-noop"
	// DefectPlanChangeNoop: the warehouse's plan change answers as if done,
	// but never tells DR.
	DefectPlanChangeNoop = "plan-change-noop"
	// DefectCardNotOnSubscription: a card saved for a subscription is
	// attached to the customer but never put on the subscription.
	DefectCardNotOnSubscription = "card-not-on-subscription"
	// DefectDelayLinksHome: the delay notices' cancel link leads to the
	// account's overview, not to the order's cancellation page.
	DefectDelayLinksHome = "delay-links-home"
	// DefectUnsignedWebhooks: webhooks without a signature header are
	// accepted.
	DefectUnsignedWebhooks = "accept-unsigned-webhooks"
	// DefectShippingShowsDiscount: the order confirmation's shipping line
	// shows the discount.
	DefectShippingShowsDiscount = "shipping-shows-discount"
	// DefectRefusalWithoutReason: the refused-cancellation email does not
	// say the items have shipped.
	DefectRefusalWithoutReason = "refusal-without-reason"
	// DefectBillingLinksOverview: the payment-failed email links to the
	// account's overview instead of its payment methods page.
	DefectBillingLinksOverview = "billing-failed-links-overview"
	// DefectWrongSigningSecret: the shop verifies webhooks with a secret
	// other than the one DR signs with (a configuration mistake).
	DefectWrongSigningSecret = "wrong-signing-secret"
)

// Defects lists every defect with what goes wrong.
var Defects = map[string]string{
	DefectRefundHeadlineTotal:    "the refund email's headline shows the order total as refunded",
	DefectCancelWholeLine:        "a customer's cancellation cancels whole lines, more units than asked",
	DefectSubscriptionCancelNoop: "cancelling a subscription in the account does nothing at DR",
	DefectPlanChangeNoop:         "the warehouse's plan change does nothing at DR",
	DefectCardNotOnSubscription:  "a card saved for a subscription is not put on it",
	DefectDelayLinksHome:         "the delay notices link to the account overview, not to the cancellation page",
	DefectUnsignedWebhooks:       "webhooks without a signature are accepted",
	DefectShippingShowsDiscount:  "the order confirmation's shipping line shows the discount",
	DefectRefusalWithoutReason:   "a refused cancellation does not say the items have shipped",
	DefectBillingLinksOverview:   "the payment-failed email links to the account overview, not to the payment methods",
	DefectWrongSigningSecret:     "webhooks are verified with the wrong secret",
}

// Server is a running shop.
type Server struct {
	cfg       Config
	log       *slog.Logger
	dr        *drAPI
	mail      *mailer
	pool      *pool
	defects   map[string]bool
	aufgaben  map[string]aufgabe // the work of each event type the shop acts on
	lagerAuth string

	ln  net.Listener
	srv *http.Server
	url string

	mu       sync.Mutex
	seen     map[string]bool       // event ids claimed
	sent     map[string]bool       // emails sent, by key (event id + kind)
	sessions map[string]sitzung    // session cookie → customer
	links    map[string]drFileLink // file id → file link given out
	delays   map[string]int        // order id → delays reported
}

// sitzung is a signed-in customer.
type sitzung struct {
	CustomerID string
	Email      string
	Bis        time.Time
}

// Start starts the shop.
func Start(cfg Config) (*Server, error) {
	if cfg.SigningSecret == "" || cfg.DRBaseURL == "" || cfg.DRSecretKey == "" || cfg.SMTPAddr == "" {
		return nil, errors.New("othermerchant: SigningSecret, DRBaseURL, DRSecretKey and SMTPAddr are required")
	}
	for _, d := range cfg.Defects {
		if _, ok := Defects[d]; !ok {
			return nil, fmt.Errorf("othermerchant: unknown defect %q", d)
		}
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.LagerUser == "" {
		cfg.LagerUser, cfg.LagerPassword = "lager", "waldweg"
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 8
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		cfg:       cfg,
		log:       log,
		dr:        &drAPI{base: cfg.DRBaseURL, key: cfg.DRSecretKey, http: &http.Client{Timeout: 20 * time.Second}},
		mail:      &mailer{addr: cfg.SMTPAddr, from: mail.Address{Name: "Waldläufer Outdoor", Address: "kundenservice@waldlaeufer.example"}},
		defects:   map[string]bool{},
		lagerAuth: "Basic " + base64.StdEncoding.EncodeToString([]byte(cfg.LagerUser+":"+cfg.LagerPassword)),
		seen:      map[string]bool{},
		sent:      map[string]bool{},
		sessions:  map[string]sitzung{},
		links:     map[string]drFileLink{},
		delays:    map[string]int{},
	}
	for _, d := range cfg.Defects {
		s.defects[d] = true
	}
	s.aufgaben = s.handlers()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("othermerchant: listen: %w", err)
	}
	s.ln = ln
	s.url = "http://" + ln.Addr().String()
	s.pool = newPool(cfg.Workers)
	// A client may open a connection it never uses (a spare dial); the
	// header timeout closes it, so Close does not wait 5 s for it.
	s.srv = &http.Server{Handler: s.routes(), ReadHeaderTimeout: time.Second}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("othermerchant: serve", "err", err)
		}
	}()
	return s, nil
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /dr/ereignisse", s.webhook)
	s.kontoRoutes(mux)
	s.lagerRoutes(mux)
	return mux
}

// URL is the shop's base URL.
func (s *Server) URL() string { return s.url }

// WebhookURL is where DR posts events.
func (s *Server) WebhookURL() string { return s.url + "/dr/ereignisse" }

// Idle waits until every queued webhook job is done.
func (s *Server) Idle(ctx context.Context) error { return s.pool.idle(ctx) }

// Close stops the shop after the queued jobs are done.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	s.pool.close()
	// A connection dialled but never used would hold DR's (the
	// simulator's) shutdown for 5 s.
	s.dr.http.CloseIdleConnections()
	if err != nil {
		return fmt.Errorf("othermerchant: shut down: %w", err)
	}
	return nil
}

func (s *Server) has(defect string) bool { return s.defects[defect] }

// DefectNames lists the defect names, sorted.
func DefectNames() []string {
	out := make([]string, 0, len(Defects))
	for d := range Defects {
		out = append(out, d)
	}
	slices.Sort(out)
	return out
}
