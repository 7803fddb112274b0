// Package merchant is drsim's reference merchant: a complete, small Digital
// River integration written the way we would like every integration to be
// written. It receives DR's signed webhooks, verifies them, acknowledges
// each at once, processes each event once in the background, and emails the
// customer over SMTP.
//
// Read it in this order:
//
//   - config.go: what the merchant is configured with, and its named defects
//   - server.go: the HTTP wiring (Start, URL, Close)
//   - webhook.go: signature check, idempotency, dispatch by event type
//   - work.go: the background workers that do an event's work after the
//     webhook has answered, retrying what fails
//   - orders.go: the order.accepted handler and the DR fields it reads
//   - lifecycle.go: shipment, cancellation and refund emails from
//     fulfillment.created, order.cancelled and order.refunded
//   - admin.go: the shop's admin and customer-portal endpoints (ship, cancel,
//     report a delay, request a cancellation or a return)
//   - documents.go: invoice and credit memo emails from order.invoice.created
//     and order.credit_memo.created, with DR file links (never invoiceURL)
//   - subscriptions.go: the nine subscription notifications, from
//     order.accepted and the subscription.* events
//   - portal.go: the customer portal's HTML pages behind a simple login:
//     orders, their invoices and credit memos, saved payment methods
//   - dr.go: how it calls Digital River's API: through simulator/client,
//     drsim's typed Go client, which speaks DR's API (the simulator serves
//     DR's API, so the same calls reach Digital River itself)
//   - email.go: composing a multipart/alternative email and sending it
//   - money.go: amounts in the order's currency
//
// The project's certification suite runs against this merchant. It can also
// switch on named defects (Config.Defects) that make it deliberately wrong, so
// the suite can prove it notices each mistake.
package merchant

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/drsim/drsim/simulator/signature"
)

// Config configures a reference merchant. Zero values take the documented
// defaults; SigningSecret and SMTPAddr are required.
type Config struct {
	// Addr is the listen address. Default "127.0.0.1:0" (a free loopback port).
	Addr string
	// SigningSecret is the webhook endpoint's signing secret, as shown in
	// DR's Dashboard (the simulator's admin API in drsim). Required.
	SigningSecret string
	// SignatureTolerance is how far a signature timestamp may be from Now.
	// Default signature.DefaultTolerance.
	SignatureTolerance time.Duration
	// DRBaseURL is the Digital River API base URL (the simulator in drsim).
	// The admin and portal endpoints call it, and so does the
	// fulfillment.created handler for cancellations. Without it those fail.
	DRBaseURL string
	// DRSecretKey is the secret API key (sk_test_…) for DR API calls.
	DRSecretKey string
	// SMTPAddr is host:port of the SMTP server that delivers customer email.
	// Required.
	SMTPAddr string
	// From is the sender address of customer email. Default "shop@merchant.example".
	From string
	// ShopName is shown to customers as the sender name and in email bodies.
	// Default "Reference Shop".
	ShopName string
	// ReturnAddress is where customers send returned products, as one line.
	// Default "Reference Shop Returns, 1 Warehouse Way, Springfield".
	ReturnAddress string
	// FileLinkTTL is how long the file links emailed and shown to customers
	// for invoices and credit memos stay valid. Default 30 days.
	FileLinkTTL time.Duration
	// AdminToken guards /admin/: requests must carry it in the X-Admin-Token
	// header. Default "drsim-admin".
	AdminToken string
	// RefundOn is the event the refund confirmation is sent on:
	// "order.refunded" (the default, DR's notification table) or
	// "refund.complete" (which DR's refund docs also suggest).
	RefundOn string
	// Defects lists named defects to switch on (see KnownDefects). An unknown
	// name makes Start fail.
	Defects []string
	// Logger receives all logs. Default: logs are discarded.
	Logger *slog.Logger
	// Now is the merchant's clock, used to check signature timestamps, to
	// date emails, to set file link expiries and to expire portal sessions.
	// Default time.Now.
	Now func() time.Time

	// Workers is how many events are processed at once in the background.
	// Default 4.
	Workers int
	// QueueSize bounds the events acknowledged but not yet being processed.
	// When the queue is full, a webhook is answered 503 and DR retries it
	// later. Default 1024.
	QueueSize int
	// RetryBackoff is how long to wait before each retry of an event whose
	// processing failed (a DR call or the mail server): the first attempt
	// and one retry after each delay. nil means the default, 50 ms, 200 ms,
	// 1 s; an empty slice means no retries.
	RetryBackoff []time.Duration
	// SlowAckDelay is how long the slow-ack defect takes to answer a webhook.
	// Default 3.5 s, longer than DR's 3 s timeout.
	SlowAckDelay time.Duration
}

// Named defects. Each makes the merchant wrong in one specific way that the
// certification suite must detect.
const (
	DefectSkipSignatureCheck = "skip-signature-check"
	DefectOmitTotalTax       = "omit-total-tax"
	DefectAssumesCard        = "assumes-card"
	DefectNoIdempotency      = "no-idempotency"
	DefectAcceptStale        = "accept-stale-signature"
	DefectProcessBeforeCheck = "process-before-verify"

	DefectOmitTrackingURL           = "omit-tracking-url"
	DefectNoPartialCancelEmail      = "no-partial-cancel-email"
	DefectDoubleCancelEmail         = "double-cancel-email"
	DefectRefundShowsOrderTotal     = "refund-shows-order-total"
	DefectNoSecondDelayNotice       = "no-second-delay-notice"
	DefectNoFailedCancelEmail       = "no-failed-cancel-email"
	DefectReturnWithoutInstructions = "return-without-instructions"

	DefectEmailInvoiceURL      = "email-invoice-url"
	DefectNoCreditMemoLink     = "no-credit-memo-link"
	DefectPortalMissingInvoice = "portal-missing-invoice"
	DefectPortalAnyOrder       = "portal-shows-any-order"
	DefectNoAttach             = "no-attach"

	DefectNeverActivate           = "never-activates-subscriptions"
	DefectNoAcquisitionEmail      = "no-acquisition-email"
	DefectNoTrialConversion       = "no-trial-conversion"
	DefectReminderWithoutDate     = "reminder-without-date"
	DefectRenewalWithoutOrder     = "renewal-without-order"
	DefectCancelledWithoutProduct = "cancelled-without-products"
	DefectTermsWithoutCancel      = "terms-without-cancel"
	DefectTermsOnlyOnPlanChange   = "terms-only-on-plan-change"
	DefectBillingFailedNoLink     = "billing-failed-without-link"
	DefectFailedNoReactivation    = "failed-without-reactivation"
	DefectNoExpiryCheck           = "no-expiry-check"

	DefectSlowAck = "slow-ack"

	// Required notifications sent on the wrong event.
	DefectConfirmOnPendingPayment  = "confirm-on-pending-payment"
	DefectShipmentOnAccept         = "shipment-email-on-accept"
	DefectRefundOnCancel           = "refund-email-on-cancel"
	DefectRefundOnBoth             = "refund-email-on-both"
	DefectCancelledOnActivation    = "cancelled-email-on-activation"
	DefectRenewalConfirmOnReminder = "renewal-confirmation-on-reminder"
)

// Defect names and describes one defect the merchant can switch on.
type Defect struct {
	Name        string
	Description string
}

// knownDefects is the single list of defects: adding one is a constant above,
// a line here, and a defects.has check where it takes effect.
var knownDefects = []Defect{
	{DefectSkipSignatureCheck, "accept webhooks without verifying the DigitalRiver-Signature header"},
	{DefectOmitTotalTax, "leave the tax line (totalTax) out of the order confirmation email"},
	{DefectAssumesCard, "write the order confirmation for card payments only: an order paid without a card (PayPal, wire transfer) gets none"},
	{DefectNoIdempotency, "process every delivery of an event, duplicates included"},
	{DefectAcceptStale, "accept signatures whatever their timestamp (replays)"},
	{DefectProcessBeforeCheck, "act on the event first and check the signature afterwards"},
	{DefectOmitTrackingURL, "leave the tracking URL (text and link) out of the shipment email"},
	{DefectNoPartialCancelEmail, "send no email for a partial cancellation (fulfillment.created with cancelQuantity)"},
	{DefectDoubleCancelEmail, "email a full cancellation twice: from fulfillment.created and from order.cancelled"},
	{DefectRefundShowsOrderTotal, "show the order total as \"Total refunded\" and leave out each refund's amount"},
	{DefectNoSecondDelayNotice, "send nothing when a shipment delay is reported a second time"},
	{DefectNoFailedCancelEmail, "send no email when a cancellation request is refused (items already shipped)"},
	{DefectReturnWithoutInstructions, "leave the returned products and quantities out of the return instructions"},
	{DefectEmailInvoiceURL, "link the invoice email to the event's invoiceURL (DR's secret-key file URL) instead of a file link"},
	{DefectNoCreditMemoLink, "send no credit memo email and show no credit memo link on the portal's order page"},
	{DefectPortalMissingInvoice, "show no invoice link on the portal's order page"},
	{DefectPortalAnyOrder, "show any order's page, documents included, to any signed-in customer (no check that the order is theirs)"},
	{DefectNoAttach, "answer a saved payment method with success without attaching the source at DR"},
	{DefectNeverActivate, "never activate the draft subscriptions of an accepted order (no POST /subscriptions/{id} {\"state\":\"active\"})"},
	{DefectNoAcquisitionEmail, "send no subscription confirmation when an order with subscription items is accepted"},
	{DefectNoTrialConversion, "send nothing when a free trial converts to a paid subscription"},
	{DefectReminderWithoutDate, "leave the renewal date (nextInvoiceDate) out of the renewal reminder, subject included"},
	{DefectRenewalWithoutOrder, "leave the renewal order id out of the renewal confirmation, subject included"},
	{DefectCancelledWithoutProduct, "leave the products out of the subscription cancelled email"},
	{DefectTermsWithoutCancel, "leave the offer to cancel (sentence and link) out of the updated terms email"},
	{DefectTermsOnlyOnPlanChange, "announce updated terms only when the plan changes, not when the price of the items does"},
	{DefectBillingFailedNoLink, "leave the link to update the payment method out of the billing failed email"},
	{DefectFailedNoReactivation, "leave how to reactivate out of the subscription failed email"},
	{DefectNoExpiryCheck, "never warn that the card on file expires before the next payment"},
	{DefectConfirmOnPendingPayment, "send the order confirmation when the order is placed (order.pending_payment), before DR accepts it, and not again on order.accepted"},
	{DefectShipmentOnAccept, "also send a shipment email, without tracking, when DR accepts an order"},
	{DefectRefundOnCancel, "also send a refund confirmation when an order is cancelled (order.cancelled)"},
	{DefectRefundOnBoth, "send the refund confirmation on refund.complete and again on order.refunded (two emails for one refund)"},
	{DefectCancelledOnActivation, "also send the subscription cancelled email whenever a subscription is activated"},
	{DefectRenewalConfirmOnReminder, "also send a renewal confirmation, without the renewal order, with each renewal reminder"},
	{DefectSlowAck, "process each webhook before answering it, and answer only after the slow-ack delay (Config.SlowAckDelay, default 3.5 s; DR gives up after 3 s)"},
}

// KnownDefects returns the defects Config.Defects may name, in a stable order.
func KnownDefects() []Defect { return slices.Clone(knownDefects) }

// defectSet is the set of defects switched on.
type defectSet map[string]bool

func (d defectSet) has(name string) bool { return d[name] }

func parseDefects(names []string) (defectSet, error) {
	set := defectSet{}
	for _, name := range names {
		if !slices.ContainsFunc(knownDefects, func(k Defect) bool { return k.Name == name }) {
			known := make([]string, len(knownDefects))
			for i, k := range knownDefects {
				known[i] = k.Name
			}
			return nil, fmt.Errorf("merchant: unknown defect %q (known: %s)", name, strings.Join(known, ", "))
		}
		set[name] = true
	}
	return set, nil
}

// withDefaults validates cfg and fills in its defaults.
func (cfg Config) withDefaults() (Config, error) {
	var errs []error
	if cfg.SigningSecret == "" {
		errs = append(errs, errors.New("merchant: Config.SigningSecret is required"))
	}
	if cfg.SMTPAddr == "" {
		errs = append(errs, errors.New("merchant: Config.SMTPAddr is required"))
	}
	switch cfg.RefundOn {
	case "":
		cfg.RefundOn = "order.refunded"
	case "order.refunded", "refund.complete":
	default:
		errs = append(errs, fmt.Errorf("merchant: Config.RefundOn %q: want order.refunded or refund.complete", cfg.RefundOn))
	}
	if err := errors.Join(errs...); err != nil {
		return cfg, err
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.SignatureTolerance <= 0 {
		cfg.SignatureTolerance = signature.DefaultTolerance
	}
	if cfg.From == "" {
		cfg.From = "shop@merchant.example"
	}
	if cfg.ShopName == "" {
		cfg.ShopName = "Reference Shop"
	}
	if cfg.ReturnAddress == "" {
		cfg.ReturnAddress = "Reference Shop Returns, 1 Warehouse Way, Springfield"
	}
	if cfg.FileLinkTTL <= 0 {
		cfg.FileLinkTTL = 30 * 24 * time.Hour
	}
	if cfg.AdminToken == "" {
		cfg.AdminToken = "drsim-admin"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 1024
	}
	if cfg.RetryBackoff == nil {
		cfg.RetryBackoff = []time.Duration{50 * time.Millisecond, 200 * time.Millisecond, time.Second}
	} else {
		cfg.RetryBackoff = slices.Clone(cfg.RetryBackoff)
	}
	if cfg.SlowAckDelay <= 0 {
		cfg.SlowAckDelay = 3500 * time.Millisecond
	}
	return cfg, nil
}
