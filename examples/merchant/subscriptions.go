package merchant

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/drsim/drsim/simulator/client"
)

// Subscription notifications (docs/notifications.md#subscription-notifications-9). DR coordinates subscriptions:
// it bills each renewal itself and tells the merchant what happened.
//
//	#  notification              trigger
//	1  acquisition confirmation  order.accepted with subscription items (see handleOrderAccepted)
//	2  trial conversion          subscription.extended, the first paid period after a free trial
//	3  renewal reminder          subscription.reminder
//	4  renewal confirmation      subscription.extended, any other
//	5  subscription cancelled    subscription.updated to state cancelled
//	6  updated terms             subscription.updated changing planId or items
//	7  billing failed            subscription.payment_failed
//	8  subscription failed       subscription.failed
//	9  card expiration           subscription.reminder, when the card expires before nextInvoiceDate
//
// subscription.reminder, .extended and .payment_failed carry the pair
// {"subscription": …, "invoice": …}; the others a bare Subscription. Emails
// go to the invoice's email, or else to the customer's (GET /customers/{id}).
// A bare Subscription names no products: their names come from
// GET /skus/{id}, and the plan's from GET /plans/{id}.

// subscription is the part of a DR Subscription that this merchant reads.
// Dates are kept as text (see parseDRTime): DR writes them in several forms.
type subscription struct {
	ID               string             `json:"id"`
	State            string             `json:"state"`
	StateTransitions map[string]string  `json:"stateTransitions"` // activated, activatedFree, cancelled, failed, …
	CustomerID       string             `json:"customerId"`
	PlanID           string             `json:"planId"`
	Items            []subscriptionItem `json:"items"`
	Currency         string             `json:"currency"`
	NextInvoiceDate  string             `json:"nextInvoiceDate"`
}

// subscriptionItem is what each renewal bills: price per unit, quantity.
type subscriptionItem struct {
	SKUID    string  `json:"skuId"`
	Price    float64 `json:"price"`
	Quantity int     `json:"quantity"` // DR: 1 when absent
	// ProductDetails is usually absent: the SKU names the product.
	ProductDetails struct {
		Name string `json:"name"`
	} `json:"productDetails"`
}

// billingInvoice is the part of a DR billing Invoice (docs/dr-api.md#invoice-billing-invoice-not-a-pdf, not a
// PDF) that this merchant reads. Its items are shaped like an order's.
type billingInvoice struct {
	ID               string            `json:"id"`
	State            string            `json:"state"` // draft, open, paid, uncollectible, void
	StateTransitions map[string]string `json:"stateTransitions"`
	Description      string            `json:"description"` // the plan's name
	CustomerID       string            `json:"customerId"`
	Email            string            `json:"email"`
	Currency         string            `json:"currency"`
	OrderID          string            `json:"orderId"` // the renewal order, once paid
	Items            []orderItem       `json:"items"`
	Subtotal         float64           `json:"subtotal"`
	TotalTax         float64           `json:"totalTax"`
	TotalDiscount    float64           `json:"totalDiscount"`
	TotalAmount      float64           `json:"totalAmount"`
	AttemptCount     int               `json:"attemptCount"`
	Payment          struct {
		Sources []source `json:"sources"` // brand, last four and expiry; never the number
	} `json:"payment"`
}

// subscriptionPair is data.object of subscription.reminder, .extended and
// .payment_failed.
type subscriptionPair struct {
	Subscription subscription   `json:"subscription"`
	Invoice      billingInvoice `json:"invoice"`
}

// transition is the time of one of the subscription's stateTransitions.
func (sub subscription) transition(name string) (time.Time, bool) {
	return parseDRTime(sub.StateTransitions[name])
}

// decodePair reads the pair of a subscription.reminder, .extended or
// .payment_failed event and checks that it says who to email.
func decodePair(ev event) (subscriptionPair, error) {
	var p subscriptionPair
	if err := json.Unmarshal(ev.Data.Object, &p); err != nil {
		return p, fmt.Errorf("%w: subscription and invoice: %v", errBadPayload, err)
	}
	if p.Subscription.ID == "" {
		return p, fmt.Errorf("%w: subscription has no id", errBadPayload)
	}
	if err := checkSubscriber(p.Invoice.Email, p.customerID()); err != nil {
		return p, err
	}
	return p, nil
}

func (p subscriptionPair) customerID() string {
	return cmp.Or(p.Invoice.CustomerID, p.Subscription.CustomerID)
}

// decodeSubscription reads the bare Subscription of a subscription.updated
// or subscription.failed event.
func decodeSubscription(ev event) (subscription, error) {
	var sub subscription
	if err := json.Unmarshal(ev.Data.Object, &sub); err != nil {
		return sub, fmt.Errorf("%w: subscription: %v", errBadPayload, err)
	}
	if sub.ID == "" {
		return sub, fmt.Errorf("%w: subscription has no id", errBadPayload)
	}
	return sub, checkSubscriber("", sub.CustomerID)
}

// checkSubscriber checks that an email can be addressed: to email, or to
// the customer's email.
func checkSubscriber(email, customerID string) error {
	if email != "" {
		if _, err := mail.ParseAddress(email); err != nil {
			return fmt.Errorf("%w: invoice email %q: %v", errBadPayload, email, err)
		}
		return nil
	}
	if customerID == "" {
		return fmt.Errorf("%w: neither an email nor a customerId", errBadPayload)
	}
	return nil
}

// subscriber is the address of a subscription's emails: email when given,
// else the customer's (GET /customers/{id}).
func (s *Server) subscriber(ctx context.Context, email, customerID string) (*mail.Address, error) {
	if email == "" {
		c, err := s.dr.Customer(ctx, customerID)
		if err != nil {
			return nil, fmt.Errorf("who is customer %s? %w", customerID, err)
		}
		email = c.Email
	}
	to, err := mail.ParseAddress(email)
	if err != nil {
		return nil, fmt.Errorf("%w: customer %s: email %q: %v", errBadPayload, customerID, email, err)
	}
	return to, nil
}

// --- Activation ----------------------------------------------------------

// activateSubscriptions activates each draft subscription an accepted order
// started (POST /subscriptions/{id} {"state":"active"}): DR leaves them in
// draft until the merchant does, and a draft is never billed, reminded or
// renewed.
func (s *Server) activateSubscriptions(ctx context.Context, o order) error {
	done := map[string]bool{}
	for _, it := range o.Items {
		if it.SubscriptionInfo == nil || it.SubscriptionInfo.SubscriptionID == "" || done[it.SubscriptionInfo.SubscriptionID] {
			continue
		}
		id := it.SubscriptionInfo.SubscriptionID
		done[id] = true
		if s.defects.has(DefectNeverActivate) {
			s.log.Warn("subscriptions: DEFECT never-activates-subscriptions: subscription left in draft", "order", o.ID, "subscription", id)
			continue
		}
		if err := s.activateSubscription(ctx, id); err != nil {
			return fmt.Errorf("order %s: activate subscription %s: %w", o.ID, id, err)
		}
		// A free trial costs 0 at DR until the merchant sets the price
		// after the trial; without it the subscription stays activeFree.
		if price, ok := it.paidPrice(); ok && it.SubscriptionInfo.FreeTrial {
			paid := client.SubscriptionItemParams{SKUID: it.SKUID, Quantity: client.Int(it.Quantity), Price: client.Float(price)}
			if _, err := s.dr.UpdateSubscription(ctx, id, client.SubscriptionUpdateParams{Items: []client.SubscriptionItemParams{paid}}); err != nil {
				return fmt.Errorf("order %s: set the paid price of trial %s: %w", o.ID, id, err)
			}
		}
	}
	return nil
}

// --- 1. Acquisition confirmation ----------------------------------------

// sendAcquisition sends the subscription confirmation of an accepted order
// with subscription items: those items only, and the order's totals.
func (s *Server) sendAcquisition(ctx context.Context, ev event, o order, to *mail.Address) error {
	v := subscriptionView{ShopName: s.cfg.ShopName, OrderID: o.ID}
	for _, it := range o.Items {
		if it.SubscriptionInfo != nil {
			v.Items = append(v.Items, lineView{it.name(), it.Quantity, formatMoney(it.Amount, o.Currency)})
		}
	}
	if len(v.Items) == 0 {
		return nil
	}
	if s.defects.has(DefectNoAcquisitionEmail) {
		s.log.Warn("subscriptions: DEFECT no-acquisition-email: subscription confirmation not sent", "order", o.ID)
		return nil
	}
	v.Totals = orderTotals(o, true)
	subject := "Your subscription is confirmed – order " + o.ID
	if err := s.notifyOnce(ctx, ev.ID+"/subscription", to, subject, acquisitionEmail, v); err != nil {
		return fmt.Errorf("order %s: subscription confirmation: %w", o.ID, err)
	}
	return nil
}

// --- 2, 4. Trial conversion and renewal confirmation ----------------------

// handleSubscriptionExtended sends the trial conversion or the renewal
// confirmation: a renewal was paid.
func (s *Server) handleSubscriptionExtended(ev event) (work, error) {
	p, err := decodePair(ev)
	if err != nil {
		return nil, err
	}
	sub, inv := p.Subscription, p.Invoice
	if isTrialConversion(p) {
		if s.defects.has(DefectNoTrialConversion) {
			s.log.Warn("subscriptions: DEFECT no-trial-conversion: trial conversion not emailed", "subscription", sub.ID)
			return nil, nil
		}
		return func(ctx context.Context) error {
			v := s.invoiceView(p)
			started, _ := sub.transition("activatedFree")
			v.TrialStarted = started.UTC().Format(customerDate)
			v.Totals = v.money(total("Subtotal", inv.Subtotal), total("Tax", inv.TotalTax), total("Total", inv.TotalAmount))
			subject := "Your free trial has ended – subscription " + sub.ID
			return s.notifySubscriber(ctx, p, subject, trialConversionEmail, v)
		}, nil
	}

	if inv.OrderID == "" {
		return nil, fmt.Errorf("%w: paid invoice %s has no orderId", errBadPayload, inv.ID)
	}
	return func(ctx context.Context) error {
		v := s.invoiceView(p)
		v.OrderID = inv.OrderID
		v.Since = formatDate(sub.StateTransitions["activated"])
		v.Totals = v.money(total("Subtotal", inv.Subtotal), total("Discount", inv.TotalDiscount),
			total("Tax", inv.TotalTax), total("Total", inv.TotalAmount))
		subject := "Your subscription has renewed – order " + inv.OrderID
		if s.defects.has(DefectRenewalWithoutOrder) {
			s.log.Warn("subscriptions: DEFECT renewal-without-order: order id left out", "subscription", sub.ID)
			v.OrderID = ""
			subject = "Your subscription has renewed"
		}
		return s.notifySubscriber(ctx, p, subject, renewalEmail, v)
	}, nil
}

// isTrialConversion tells a trial conversion from a renewal; both are
// subscription.extended and no flag says which (docs/notifications.md#subscription-notifications-9). The first
// paid invoice after a free trial sets activated to the instant it is
// paid: a subscription that had a trial (activatedFree) and whose activated
// equals the invoice's paid time has just converted. A renewal's
// activated is older than its invoice.
func isTrialConversion(p subscriptionPair) bool {
	if _, trial := p.Subscription.transition("activatedFree"); !trial {
		return false
	}
	activated, ok1 := p.Subscription.transition("activated")
	paid, ok2 := parseDRTime(p.Invoice.StateTransitions["paid"])
	return ok1 && ok2 && activated.Equal(paid)
}

// --- 3, 9. Renewal reminder and card expiration ---------------------------

// handleSubscriptionReminder sends the renewal reminder and, when the card
// on file will have expired by the renewal, the card expiration notice.
func (s *Server) handleSubscriptionReminder(ev event) (work, error) {
	p, err := decodePair(ev)
	if err != nil {
		return nil, err
	}
	sub := p.Subscription
	next, ok := parseDRTime(sub.NextInvoiceDate)
	if !ok {
		return nil, fmt.Errorf("%w: subscription %s: nextInvoiceDate %q is not a date", errBadPayload, sub.ID, sub.NextInvoiceDate)
	}
	return func(ctx context.Context) error {
		to, err := s.subscriber(ctx, p.Invoice.Email, p.customerID())
		if err != nil {
			return fmt.Errorf("subscription %s: %w", sub.ID, err)
		}
		inv := p.Invoice
		v := s.invoiceView(p)
		v.Since = formatDate(cmp.Or(sub.StateTransitions["activated"], sub.StateTransitions["activatedFree"]))
		v.Totals = v.money(total("Subtotal", inv.Subtotal), total("Tax", inv.TotalTax), total("Total", inv.TotalAmount))
		v.PortalURL = s.URL() + "/portal"
		subject := "Your subscription renews on " + v.NextInvoiceDate
		if s.defects.has(DefectReminderWithoutDate) {
			s.log.Warn("subscriptions: DEFECT reminder-without-date: renewal date left out", "subscription", sub.ID)
			v.NextInvoiceDate = ""
			subject = "Your subscription renews soon"
		}
		if err := s.notifyOnce(ctx, ev.ID+"/reminder", to, subject, reminderEmail, v); err != nil {
			return fmt.Errorf("subscription %s: renewal reminder: %w", sub.ID, err)
		}
		if s.defects.has(DefectRenewalConfirmOnReminder) {
			s.log.Warn("subscriptions: DEFECT renewal-confirmation-on-reminder: renewal confirmed before it was charged", "subscription", sub.ID)
			rv := s.invoiceView(p)
			rv.Since = v.Since
			rv.Totals = v.money(total("Subtotal", inv.Subtotal), total("Discount", inv.TotalDiscount),
				total("Tax", inv.TotalTax), total("Total", inv.TotalAmount))
			if err := s.notifyOnce(ctx, ev.ID+"/renewed", to, "Your subscription has renewed", renewalEmail, rv); err != nil {
				return fmt.Errorf("subscription %s: renewal confirmation: %w", sub.ID, err)
			}
		}

		card, expiry, expires := cardExpiring(inv.Payment.Sources, next)
		if !expires {
			return nil
		}
		if s.defects.has(DefectNoExpiryCheck) {
			s.log.Warn("subscriptions: DEFECT no-expiry-check: expiring card not reported", "subscription", sub.ID)
			return nil
		}
		cv := subscriptionView{
			ShopName:          s.cfg.ShopName,
			SubscriptionID:    sub.ID,
			Plan:              v.Plan,
			Card:              card,
			CardExpiry:        expiry,
			NextInvoiceDate:   next.UTC().Format(customerDate),
			PaymentMethodsURL: s.URL() + "/portal/payment-methods",
		}
		subject = "Your card on file expires before your next payment"
		if err := s.notifyOnce(ctx, ev.ID+"/card-expiry", to, subject, cardExpiryEmail, cv); err != nil {
			return fmt.Errorf("subscription %s: card expiration: %w", sub.ID, err)
		}
		return nil
	}, nil
}

// cardExpiring reports whether the invoice's card will have expired at t
// (a card is valid through the last day of its expiration month), and
// describes it and its expiry (MM/YYYY).
func cardExpiring(sources []source, t time.Time) (card, expiry string, expires bool) {
	if len(sources) == 0 || sources[0].CreditCard == nil {
		return "", "", false
	}
	cc := sources[0].CreditCard
	if cc.ExpirationMonth < 1 || cc.ExpirationMonth > 12 || cc.ExpirationYear < 1 {
		return "", "", false
	}
	validUntil := time.Date(cc.ExpirationYear, time.Month(cc.ExpirationMonth)+1, 1, 0, 0, 0, 0, time.UTC)
	if t.Before(validUntil) {
		return "", "", false
	}
	return describeSource(sources[0]), fmt.Sprintf("%02d/%d", cc.ExpirationMonth, cc.ExpirationYear), true
}

// --- 5, 6. Cancellation and updated terms -------------------------------

// handleSubscriptionUpdated sends the cancellation email when the state
// became cancelled, and the updated terms when the plan or the items
// changed and the state did not. Other updates (activation, a new source,
// the end of a subscription) send nothing.
func (s *Server) handleSubscriptionUpdated(ev event) (work, error) {
	sub, err := decodeSubscription(ev)
	if err != nil {
		return nil, err
	}
	var prev map[string]json.RawMessage
	if len(ev.Data.PreviousAttributes) > 0 {
		if err := json.Unmarshal(ev.Data.PreviousAttributes, &prev); err != nil {
			return nil, fmt.Errorf("%w: previousAttributes: %v", errBadPayload, err)
		}
	}
	rawState, stateChanged := prev["state"]
	if stateChanged {
		var old string
		_ = json.Unmarshal(rawState, &old) // null: there was none
		stateChanged = old != sub.State
	}
	_, planChanged := prev["planId"]
	_, itemsChanged := prev["items"]
	if itemsChanged && !planChanged && s.defects.has(DefectTermsOnlyOnPlanChange) {
		s.log.Warn("subscriptions: DEFECT terms-only-on-plan-change: no updated terms for a price change", "subscription", sub.ID)
		itemsChanged = false
	}
	if itemsChanged && !planChanged && sub.State == "activeFree" && freeItems(prev["items"]) {
		// This merchant's own setting of the price after a free trial,
		// agreed at checkout: not new terms to announce.
		itemsChanged = false
	}

	switch {
	case s.defects.has(DefectCancelledOnActivation) && stateChanged && (sub.State == "active" || sub.State == "activeFree"):
		s.log.Warn("subscriptions: DEFECT cancelled-email-on-activation: cancellation emailed on activation", "subscription", sub.ID)
		return func(ctx context.Context) error { return s.sendCancelled(ctx, ev, sub) }, nil
	case sub.State == "cancelled" && stateChanged:
		return func(ctx context.Context) error { return s.sendCancelled(ctx, ev, sub) }, nil
	case !stateChanged && (planChanged || itemsChanged):
		if sub.PlanID == "" {
			return nil, fmt.Errorf("%w: subscription %s has no planId", errBadPayload, sub.ID)
		}
		return func(ctx context.Context) error { return s.sendUpdatedTerms(ctx, sub) }, nil
	}
	return nil, nil
}

func (s *Server) sendCancelled(ctx context.Context, ev event, sub subscription) error {
	to, err := s.subscriber(ctx, "", sub.CustomerID)
	if err != nil {
		return fmt.Errorf("subscription %s: %w", sub.ID, err)
	}
	v := subscriptionView{ShopName: s.cfg.ShopName, SubscriptionID: sub.ID, Cancelled: transitionDate(sub, "cancelled", ev)}
	if s.defects.has(DefectCancelledWithoutProduct) {
		s.log.Warn("subscriptions: DEFECT cancelled-without-products: products left out", "subscription", sub.ID)
	} else {
		names, err := s.productNames(ctx, sub.Items)
		if err != nil {
			return fmt.Errorf("subscription %s: %w", sub.ID, err)
		}
		for i, it := range sub.Items {
			v.Products = append(v.Products, itemView{names[i], it.quantity()})
		}
	}
	if err := s.notify(ctx, to, "Your subscription has been cancelled", cancelledEmail, v); err != nil {
		return fmt.Errorf("subscription %s: cancellation email: %w", sub.ID, err)
	}
	return nil
}

// planView is what the plan-based notices (updated terms, subscription
// failed) look up and show: the recipient, and the plan with its terms and
// the subscription's products (GET /plans/{id}, GET /skus/{id}).
func (s *Server) planView(ctx context.Context, sub subscription) (*mail.Address, subscriptionView, error) {
	to, err := s.subscriber(ctx, "", sub.CustomerID)
	if err != nil {
		return nil, subscriptionView{}, fmt.Errorf("subscription %s: %w", sub.ID, err)
	}
	pl, err := s.dr.Plan(ctx, sub.PlanID)
	if err != nil {
		return nil, subscriptionView{}, fmt.Errorf("subscription %s: plan: %w", sub.ID, err)
	}
	names, err := s.productNames(ctx, sub.Items)
	if err != nil {
		return nil, subscriptionView{}, fmt.Errorf("subscription %s: %w", sub.ID, err)
	}
	v := subscriptionView{
		ShopName:       s.cfg.ShopName,
		SubscriptionID: sub.ID,
		Plan:           cmp.Or(oneLine(pl.Name), sub.PlanID),
		Terms:          strings.TrimSpace(pl.Terms),
		Renews:         renewalPeriod(pl),
	}
	for i, it := range sub.Items {
		v.Items = append(v.Items, lineView{names[i], it.quantity(), formatMoney(it.Price, sub.Currency)})
		v.Products = append(v.Products, itemView{names[i], it.quantity()})
	}
	return to, v, nil
}

func (s *Server) sendUpdatedTerms(ctx context.Context, sub subscription) error {
	to, v, err := s.planView(ctx, sub)
	if err != nil {
		return err
	}
	v.CancelURL = s.URL() + "/portal/subscriptions/" + url.PathEscape(sub.ID) + "/cancel"
	if s.defects.has(DefectTermsWithoutCancel) {
		s.log.Warn("subscriptions: DEFECT terms-without-cancel: no offer to cancel", "subscription", sub.ID)
		v.CancelURL = ""
	}
	if err := s.notify(ctx, to, "The terms of your subscription have changed", termsEmail, v); err != nil {
		return fmt.Errorf("subscription %s: updated terms: %w", sub.ID, err)
	}
	return nil
}

// renewalPeriod says how often the plan renews: "every month", "every 3
// months"; "" when the plan does not say.
func renewalPeriod(p *client.Plan) string {
	if p.Interval == "" {
		return ""
	}
	if p.IntervalCount <= 1 {
		return "every " + p.Interval
	}
	return fmt.Sprintf("every %d %ss", p.IntervalCount, p.Interval)
}

// --- 7, 8. Billing failed and subscription failed ------------------------

// handleSubscriptionPaymentFailed sends the billing failed email: a renewal
// charge was declined, and the customer should update the payment method.
func (s *Server) handleSubscriptionPaymentFailed(ev event) (work, error) {
	p, err := decodePair(ev)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) error {
		v := s.invoiceView(p)
		v.Attempt = p.Invoice.AttemptCount
		v.PaymentMethodsURL = s.URL() + "/portal/payment-methods"
		if s.defects.has(DefectBillingFailedNoLink) {
			s.log.Warn("subscriptions: DEFECT billing-failed-without-link: no link to update the payment method", "subscription", p.Subscription.ID)
			v.PaymentMethodsURL = ""
		}
		subject := "We could not charge your card – " + v.Plan
		return s.notifySubscriber(ctx, p, subject, billingFailedEmail, v)
	}, nil
}

// handleSubscriptionFailed sends the subscription failed email: the
// collection period ran out unpaid and the subscription ended.
func (s *Server) handleSubscriptionFailed(ev event) (work, error) {
	sub, err := decodeSubscription(ev)
	if err != nil {
		return nil, err
	}
	if sub.PlanID == "" {
		return nil, fmt.Errorf("%w: subscription %s has no planId", errBadPayload, sub.ID)
	}
	return func(ctx context.Context) error {
		to, v, err := s.planView(ctx, sub)
		if err != nil {
			return err
		}
		v.Failed = transitionDate(sub, "failed", ev)
		v.PortalURL = s.URL() + "/portal"
		if s.defects.has(DefectFailedNoReactivation) {
			s.log.Warn("subscriptions: DEFECT failed-without-reactivation: no way to reactivate", "subscription", sub.ID)
			v.PortalURL = ""
		}
		if err := s.notify(ctx, to, "Your subscription has ended – payment failed", failedEmail, v); err != nil {
			return fmt.Errorf("subscription %s: subscription failed email: %w", sub.ID, err)
		}
		return nil
	}, nil
}

// --- Shared ------------------------------------------------------------------

// subscriptionView is what the subscription emails show; each template
// uses the fields its notification needs. Dates are written like
// 22 December 2026, amounts in the invoice's (or order's) currency.
type subscriptionView struct {
	ShopName       string
	SubscriptionID string
	OrderID        string // the acquisition or renewal order
	Plan           string // the plan's name (the invoice's description)
	Terms          string // the plan's terms
	Renews         string // how often: "every month"
	currency       string

	Since           string // when the subscription started (activated)
	TrialStarted    string // when the free trial started (activatedFree)
	NextInvoiceDate string // the next payment
	Cancelled       string
	Failed          string

	Items    []lineView // product, quantity and amount
	Products []itemView // product and quantity
	Totals   []totalView

	Card       string // "Visa ending in 1111"
	CardExpiry string // MM/YYYY
	Attempt    int    // the invoice's attemptCount

	CancelURL         string // the portal page that cancels the subscription
	PaymentMethodsURL string // the portal page that updates the card
	PortalURL         string // the portal, to subscribe again
}

// invoiceView is what the emails of the pair events share: the plan, the
// next payment, the invoice's lines and card.
func (s *Server) invoiceView(p subscriptionPair) subscriptionView {
	inv := p.Invoice
	v := subscriptionView{
		ShopName:        s.cfg.ShopName,
		SubscriptionID:  p.Subscription.ID,
		Plan:            cmp.Or(oneLine(inv.Description), "your subscription"),
		currency:        cmp.Or(inv.Currency, p.Subscription.Currency),
		NextInvoiceDate: formatDate(p.Subscription.NextInvoiceDate),
	}
	for _, it := range inv.Items {
		name := oneLine(it.ProductDetails.Name)
		if name == "" {
			name = "Product " + it.SKUID
		}
		v.Items = append(v.Items, lineView{name, it.Quantity, formatMoney(it.Amount, v.currency)})
	}
	if len(inv.Payment.Sources) > 0 {
		v.Card = describeSource(inv.Payment.Sources[0])
	}
	return v
}

// totalLine is a total line before formatting.
type totalLine struct {
	label  string
	amount float64
}

func total(label string, amount float64) totalLine { return totalLine{label, amount} }

// money formats total lines in the view's currency.
func (v subscriptionView) money(lines ...totalLine) []totalView {
	out := make([]totalView, len(lines))
	for i, l := range lines {
		out[i] = totalView{l.label, formatMoney(l.amount, v.currency)}
	}
	return out
}

// notifySubscriber emails a pair event's view to the subscriber.
func (s *Server) notifySubscriber(ctx context.Context, p subscriptionPair, subject string, tmpl emailTemplate, v subscriptionView) error {
	to, err := s.subscriber(ctx, p.Invoice.Email, p.customerID())
	if err != nil {
		return fmt.Errorf("subscription %s: %w", p.Subscription.ID, err)
	}
	if err := s.notify(ctx, to, subject, tmpl, v); err != nil {
		return fmt.Errorf("subscription %s: %q: %w", p.Subscription.ID, subject, err)
	}
	return nil
}

// describeSource names a payment source as customers know it: "Visa ending
// in 1111", "PayPal", "wire transfer", or its type for other methods.
func describeSource(src source) string {
	if cc := src.CreditCard; cc != nil {
		brand := cmp.Or(oneLine(cc.Brand), "Card")
		if last4 := oneLine(cc.LastFourDigits); last4 != "" {
			return brand + " ending in " + last4
		}
		return brand
	}
	if name, ok := methodNames[src.Type]; ok {
		return name
	}
	return oneLine(src.Type)
}

// methodNames are DR's source types as customers call them.
var methodNames = map[string]string{
	"payPal": "PayPal", "payPalBilling": "PayPal", "payPalCredit": "PayPal Credit",
	"wireTransfer": "wire transfer", "directDebit": "direct debit", "googlePay": "Google Pay", "applePay": "Apple Pay",
}

func (it subscriptionItem) quantity() int { return max(it.Quantity, 1) }

// productNames names each item's product, from its SKU (GET /skus/{id}),
// asking once per SKU.
func (s *Server) productNames(ctx context.Context, items []subscriptionItem) ([]string, error) {
	names := make([]string, len(items))
	known := map[string]string{}
	for i, it := range items {
		if it.SKUID == "" {
			names[i] = cmp.Or(oneLine(it.ProductDetails.Name), "Product")
			continue
		}
		name, ok := known[it.SKUID]
		if !ok {
			sk, err := s.dr.SKU(ctx, it.SKUID)
			if err != nil {
				return nil, fmt.Errorf("product %s: %w", it.SKUID, err)
			}
			name = cmp.Or(oneLine(sk.Name), oneLine(it.ProductDetails.Name), "Product "+it.SKUID)
			known[it.SKUID] = name
		}
		names[i] = name
	}
	return names, nil
}

// transitionDate is the date of one of the subscription's stateTransitions,
// or of the event when DR left it out.
func transitionDate(sub subscription, name string, ev event) string {
	if t, ok := sub.transition(name); ok {
		return t.UTC().Format(customerDate)
	}
	if !ev.CreatedTime.IsZero() {
		return ev.CreatedTime.UTC().Format(customerDate)
	}
	return ""
}

var (
	acquisitionEmail     = parseEmailTemplate("subscription_confirmation")
	trialConversionEmail = parseEmailTemplate("subscription_trial_converted")
	reminderEmail        = parseEmailTemplate("subscription_reminder")
	renewalEmail         = parseEmailTemplate("subscription_renewed")
	cancelledEmail       = parseEmailTemplate("subscription_cancelled")
	termsEmail           = parseEmailTemplate("subscription_terms")
	billingFailedEmail   = parseEmailTemplate("subscription_payment_failed")
	failedEmail          = parseEmailTemplate("subscription_failed")
	cardExpiryEmail      = parseEmailTemplate("subscription_card_expiring")
)

// freeItems reports whether previous items (previousAttributes.items) all
// cost 0: a free trial's lines before the merchant set the paid price.
func freeItems(raw json.RawMessage) bool {
	var items []struct {
		Price float64 `json:"price"`
	}
	if json.Unmarshal(raw, &items) != nil || len(items) == 0 {
		return false
	}
	for _, it := range items {
		if it.Price != 0 {
			return false
		}
	}
	return true
}
