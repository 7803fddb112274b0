package merchant

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/mail"
	"strconv"
	"sync"
	"time"

	"github.com/drsim/drsim/simulator/client"
)

// Server is a running reference merchant. Start one with Start and stop it
// with Close.
type Server struct {
	cfg     Config
	defects defectSet
	log     *slog.Logger
	from    *mail.Address

	events   *eventLog
	sent     *eventLog // emails sent, when one event sends several
	handlers map[string]eventHandler
	work     *workPool      // runs the events' work after the webhook answered
	smtp     smtpConns      // SMTP connections kept between emails
	dr       *client.Client // Digital River's API (dr.go)
	delays   *delayLog
	links    *linkStore
	sessions *sessionStore

	ln        net.Listener
	http      *http.Server
	served    chan struct{} // closed when Serve has returned
	closeOnce sync.Once
	closeErr  error
}

// Start validates cfg, listens on cfg.Addr and serves in the background.
func Start(cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	defects, err := parseDefects(cfg.Defects)
	if err != nil {
		return nil, err
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("merchant: Config.From %q: %w", cfg.From, err)
	}
	from.Name = cfg.ShopName

	s := &Server{
		cfg:      cfg,
		defects:  defects,
		log:      cfg.Logger,
		from:     from,
		events:   newEventLog(),
		sent:     newEventLog(),
		dr:       newDRClient(cfg.DRBaseURL, cfg.DRSecretKey),
		delays:   newDelayLog(),
		links:    newLinkStore(),
		sessions: newSessionStore(),
		served:   make(chan struct{}),
	}
	s.handlers = map[string]eventHandler{
		"order.accepted":      s.handleOrderAccepted,
		"fulfillment.created": s.handleFulfillmentCreated,
		"order.cancelled":     s.handleOrderCancelled,
		"order.refunded":      s.handleOrderRefunded,

		"order.invoice.created":     s.handleInvoiceCreated,
		"order.credit_memo.created": s.handleCreditMemoCreated,

		"subscription.reminder":       s.handleSubscriptionReminder,
		"subscription.extended":       s.handleSubscriptionExtended,
		"subscription.updated":        s.handleSubscriptionUpdated,
		"subscription.payment_failed": s.handleSubscriptionPaymentFailed,
		"subscription.failed":         s.handleSubscriptionFailed,
	}

	if cfg.RefundOn == "refund.complete" || s.defects.has(DefectRefundOnBoth) {
		s.handlers["refund.complete"] = s.handleRefundComplete
	}
	if s.defects.has(DefectConfirmOnPendingPayment) {
		s.handlers["order.pending_payment"] = s.handlePendingPayment
	}

	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhooks/digitalriver", s.handleWebhook)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	s.routeAdmin(mux)
	s.routePortal(mux)

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("merchant: listen on %s: %w", cfg.Addr, err)
	}
	s.ln = ln
	s.work = startWorkPool(cfg.Workers, cfg.QueueSize)
	s.http = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}
	go func() {
		defer close(s.served)
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("merchant: serve", "err", err)
		}
	}()
	s.log.Info("merchant started", "url", s.URL(), "defects", cfg.Defects)
	return s, nil
}

// URL is the merchant's base URL, e.g. "http://127.0.0.1:40123". When
// listening on all interfaces, the host is 127.0.0.1.
func (s *Server) URL() string {
	addr, ok := s.ln.Addr().(*net.TCPAddr)
	if !ok {
		return "http://" + s.ln.Addr().String()
	}
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(addr.Port))
}

// WebhookURL is the address to register as the DR webhook endpoint.
func (s *Server) WebhookURL() string { return s.URL() + "/webhooks/digitalriver" }

// Close stops accepting connections, waits for in-flight webhooks and
// admin or portal requests, including the emails they are sending, to
// finish, and then for the work of every acknowledged event, queued or
// running, retries included. It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.closeErr = s.http.Shutdown(context.Background())
		<-s.served
		s.work.close()
		s.smtp.close()
		s.log.Info("merchant stopped", "url", s.URL())
	})
	return s.closeErr
}

// Idle waits until no event's work is queued or running (retries
// included), or ctx ends. Webhooks acknowledge events before their emails
// are sent: once every delivery has been answered, Idle returning means
// every email they cause has been sent or given up on.
func (s *Server) Idle(ctx context.Context) error { return s.work.wait(ctx) }
