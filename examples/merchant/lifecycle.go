package merchant

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/mail"
	"strconv"
	"strings"
	"time"
)

// fulfillment is the part of a Digital River Fulfillment (data.object of
// fulfillment.created) that this merchant reads. DR sends one for every
// successful POST /fulfillments, whether it ships units, cancels them, or
// both.
type fulfillment struct {
	ID              string            `json:"id"`
	OrderID         string            `json:"orderId"`
	Items           []fulfillmentItem `json:"items"`
	TrackingCompany string            `json:"trackingCompany"`
	TrackingNumber  string            `json:"trackingNumber"`
	TrackingURL     string            `json:"trackingUrl"`
	// OrderDetails is the order without its payment, as it was before this
	// fulfillment: it names the products and holds the customer's email.
	OrderDetails order `json:"orderDetails"`
}

// fulfillmentItem is one order line of a fulfillment: Quantity units
// shipped and CancelQuantity units cancelled (either may be 0).
type fulfillmentItem struct {
	ItemID         string `json:"itemId"`
	SKUID          string `json:"skuId"`
	Quantity       count  `json:"quantity"`
	CancelQuantity count  `json:"cancelQuantity"`
}

// count is a number of units: a JSON number or a numeric string ("2", as in
// DR's own fulfillment example). null is 0.
type count int

// maxCount bounds counts, so arithmetic on them cannot overflow.
const maxCount = 1_000_000_000

func (c *count) UnmarshalJSON(b []byte) error {
	text := strings.TrimSpace(string(b))
	if text == "null" {
		*c = 0
		return nil
	}
	if strings.HasPrefix(text, `"`) {
		if err := json.Unmarshal(b, &text); err != nil {
			return err
		}
		text = strings.TrimSpace(text)
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || f != math.Trunc(f) || f < 0 || f > maxCount {
		return fmt.Errorf("quantity %s is not a whole number of units", b)
	}
	*c = count(f)
	return nil
}

// itemView is a product and a number of its units, as the emails show them.
type itemView struct {
	Name     string
	Quantity int
}

// productName is what customers call the order line with this item id (or,
// failing that, this SKU id).
func (o order) productName(itemID, skuID string) string {
	if it, ok := o.item(itemID); ok && itemID != "" {
		return it.name()
	}
	for _, it := range o.Items {
		if skuID != "" && it.SKUID == skuID {
			return it.name()
		}
	}
	return "Item " + cmp.Or(itemID, skuID)
}

func (it orderItem) name() string {
	if name := oneLine(it.ProductDetails.Name); name != "" {
		return name
	}
	return "Item " + it.ID
}

// handleFulfillmentCreated sends the shipment email (notification #2) for
// the units this fulfillment ships, and the cancellation email
// (notification #3) for the units it cancels, unless that cancellation
// cancelled the whole order: then order.cancelled follows and sends it.
func (s *Server) handleFulfillmentCreated(ev event) (work, error) {
	var f fulfillment
	if err := json.Unmarshal(ev.Data.Object, &f); err != nil {
		return nil, fmt.Errorf("%w: fulfillment: %v", errBadPayload, err)
	}
	orderID := cmp.Or(f.OrderID, f.OrderDetails.ID)
	if orderID == "" {
		return nil, fmt.Errorf("%w: fulfillment %s has no orderId", errBadPayload, f.ID)
	}
	f.OrderDetails.ID = orderID
	to, err := f.OrderDetails.recipient()
	if err != nil {
		return nil, err
	}

	var shipped, cancelled []itemView
	for _, it := range f.Items {
		name := f.OrderDetails.productName(it.ItemID, it.SKUID)
		if it.Quantity > 0 {
			shipped = append(shipped, itemView{name, int(it.Quantity)})
		}
		if it.CancelQuantity > 0 {
			cancelled = append(cancelled, itemView{name, int(it.CancelQuantity)})
		}
	}
	if len(shipped) == 0 && len(cancelled) == 0 {
		s.log.Warn("fulfillment without units", "fulfillment", f.ID, "order", orderID)
		return nil, nil
	}
	return func(ctx context.Context) error {
		return s.fulfillmentEmails(ctx, ev, f, to, shipped, cancelled)
	}, nil
}

// fulfillmentEmails sends the shipment and cancellation emails of one
// fulfillment.
func (s *Server) fulfillmentEmails(ctx context.Context, ev event, f fulfillment, to *mail.Address, shipped, cancelled []itemView) error {
	orderID := f.OrderDetails.ID
	if len(shipped) > 0 {
		view := shipmentView{
			ShopName:       s.cfg.ShopName,
			OrderID:        orderID,
			Items:          shipped,
			Carrier:        oneLine(f.TrackingCompany),
			TrackingNumber: oneLine(f.TrackingNumber),
			TrackingURL:    strings.TrimSpace(f.TrackingURL),
		}
		if s.defects.has(DefectOmitTrackingURL) {
			s.log.Warn("fulfillment: DEFECT omit-tracking-url: tracking URL left out", "order", orderID)
			view.TrackingURL = ""
		}
		subject := "Your order " + orderID + " has shipped"
		if err := s.notifyOnce(ctx, ev.ID+"/shipment", to, subject, shipmentEmail, view); err != nil {
			return fmt.Errorf("order %s: shipment email: %w", orderID, err)
		}
	}

	if len(cancelled) > 0 {
		if s.defects.has(DefectNoPartialCancelEmail) {
			s.log.Warn("fulfillment: DEFECT no-partial-cancel-email: cancellation not emailed", "order", orderID)
			return nil
		}
		// When this fulfillment cancelled the last units, DR now sends
		// order.cancelled, whose email lists the whole order: one
		// cancellation, one email. The fulfillment's orderDetails show the
		// order as it was before, so ask DR how it is now.
		if !s.defects.has(DefectDoubleCancelEmail) {
			o, err := s.getOrder(ctx, orderID)
			if err != nil {
				return fmt.Errorf("order %s: is the cancellation full? %w", orderID, err)
			}
			if o.State == "cancelled" {
				s.log.Info("fulfillment cancelled the whole order; order.cancelled sends the email", "order", orderID)
				return nil
			}
		} else {
			s.log.Warn("fulfillment: DEFECT double-cancel-email: emailed even if the order is cancelled", "order", orderID)
		}
		view := cancellationView{ShopName: s.cfg.ShopName, OrderID: orderID, Items: cancelled}
		if err := s.notifyOnce(ctx, ev.ID+"/cancellation", to, cancellationSubject(orderID), cancellationEmail, view); err != nil {
			return fmt.Errorf("order %s: cancellation email: %w", orderID, err)
		}
	}
	return nil
}

// handleOrderCancelled sends the cancellation email (notification #3) for a
// fully cancelled order; items[].quantity is the cancelled quantity.
func (s *Server) handleOrderCancelled(ev event) (work, error) {
	o, to, err := decodeOrder(ev)
	if err != nil {
		return nil, err
	}
	view := cancellationView{ShopName: s.cfg.ShopName, OrderID: o.ID, Full: true}
	for _, it := range o.Items {
		view.Items = append(view.Items, itemView{it.name(), it.Quantity})
	}
	return func(ctx context.Context) error {
		if err := s.notify(ctx, to, cancellationSubject(o.ID), cancellationEmail, view); err != nil {
			return fmt.Errorf("order %s: cancellation email: %w", o.ID, err)
		}
		if s.defects.has(DefectRefundOnCancel) {
			s.log.Warn("order: DEFECT refund-email-on-cancel: refund confirmation sent for a cancellation", "order", o.ID)
			rv := refundView{ShopName: s.cfg.ShopName, OrderID: o.ID, TotalRefunded: formatMoney(o.RefundedAmount, o.Currency)}
			if err := s.notify(ctx, to, "Refund confirmation – order "+o.ID, refundEmail, rv); err != nil {
				return fmt.Errorf("order %s: refund confirmation: %w", o.ID, err)
			}
		}
		return nil
	}, nil
}

// decodeOrder reads the Order of an order.* event and its recipient.
func decodeOrder(ev event) (order, *mail.Address, error) {
	var o order
	if err := json.Unmarshal(ev.Data.Object, &o); err != nil {
		return o, nil, fmt.Errorf("%w: order: %v", errBadPayload, err)
	}
	if o.ID == "" {
		return o, nil, fmt.Errorf("%w: order has no id", errBadPayload)
	}
	to, err := o.recipient()
	return o, to, err
}

func cancellationSubject(orderID string) string { return "Cancellation confirmed – order " + orderID }

// handleOrderRefunded sends the refund confirmation (notification #6): the
// total refunded so far and each completed refund.
func (s *Server) handleOrderRefunded(ev event) (work, error) {
	o, to, err := decodeOrder(ev)
	if err != nil {
		return nil, err
	}
	if s.cfg.RefundOn == "refund.complete" && !s.defects.has(DefectRefundOnBoth) {
		return nil, nil // sent on refund.complete
	}
	if s.defects.has(DefectRefundOnBoth) {
		s.log.Warn("order: DEFECT refund-email-on-both: refund confirmation sent on order.refunded after refund.complete", "order", o.ID)
	}
	return s.refundConfirmation(o, to), nil
}

// handleRefundComplete sends the refund confirmation on refund.complete,
// as DR's refund docs also suggest (Config.RefundOn): the refund carries
// its orderId, and the order, read from DR, what the email shows.
func (s *Server) handleRefundComplete(ev event) (work, error) {
	var r struct {
		OrderID string `json:"orderId"`
	}
	if err := json.Unmarshal(ev.Data.Object, &r); err != nil || r.OrderID == "" {
		return nil, fmt.Errorf("%w: refund without orderId", errBadPayload)
	}
	return func(ctx context.Context) error {
		o, err := s.getOrder(ctx, r.OrderID)
		if err != nil {
			return fmt.Errorf("refund.complete: read order %s: %w", r.OrderID, err)
		}
		to, err := o.recipient()
		if err != nil {
			return fmt.Errorf("refund.complete: order %s: %w", r.OrderID, err)
		}
		return s.refundConfirmation(o, to)(ctx)
	}, nil
}

// refundConfirmation is the refund confirmation of order o, to to.
func (s *Server) refundConfirmation(o order, to *mail.Address) work {
	view := refundView{
		ShopName:      s.cfg.ShopName,
		OrderID:       o.ID,
		TotalRefunded: formatMoney(o.RefundedAmount, o.Currency),
	}
	if s.defects.has(DefectRefundShowsOrderTotal) {
		s.log.Warn("refund: DEFECT refund-shows-order-total: order total shown as refunded", "order", o.ID)
		view.TotalRefunded = formatMoney(o.TotalAmount, o.Currency)
	} else {
		for _, ch := range o.Payment.Charges {
			for _, r := range ch.Refunds {
				if r.State == "complete" {
					view.Refunds = append(view.Refunds, refundLine{
						Date:   formatDate(r.CreatedTime),
						Amount: formatMoney(r.Amount, o.Currency),
					})
				}
			}
		}
	}
	subject := "Refund confirmation – order " + o.ID
	return func(ctx context.Context) error {
		if err := s.notify(ctx, to, subject, refundEmail, view); err != nil {
			return fmt.Errorf("order %s: refund confirmation: %w", o.ID, err)
		}
		return nil
	}
}

// formatDate writes a DR date-time as a customer reads it ("8 August 2022"),
// or "" if it is not one.
func formatDate(dr string) string {
	if t, ok := parseDRTime(dr); ok {
		return t.UTC().Format(customerDate)
	}
	return ""
}

// parseDRTime reads a DR date-time in any of the forms DR sends
// (docs/dr-api.md#dates): RFC 3339 with or without fractions, or with a +0000 offset.
func parseDRTime(dr string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700"} {
		if t, err := time.Parse(layout, dr); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// customerDate is how emails write dates: 22 December 2026.
const customerDate = "2 January 2006"

// notifyOnce is notify for one of several emails a single event causes. key
// records that this email went out, so when a later step fails and the
// event is processed again (retried, or delivered again), the email is not
// sent twice.
func (s *Server) notifyOnce(ctx context.Context, key string, to *mail.Address, subject string, tmpl emailTemplate, view any) error {
	if s.defects.has(DefectNoIdempotency) {
		return s.notify(ctx, to, subject, tmpl, view)
	}
	if !s.sent.claim(key) {
		s.log.Info("email already sent for this event", "key", key, "subject", subject)
		return nil
	}
	if err := s.notify(ctx, to, subject, tmpl, view); err != nil {
		s.sent.forget(key)
		return err
	}
	return nil
}

// Views of the lifecycle emails.
type (
	shipmentView struct {
		ShopName, OrderID string
		Items             []itemView // the units this shipment contains
		Carrier           string
		TrackingNumber    string
		TrackingURL       string
	}
	cancellationView struct {
		ShopName, OrderID string
		Full              bool       // the whole order is cancelled
		Items             []itemView // the cancelled units
	}
	refundView struct {
		ShopName, OrderID string
		TotalRefunded     string
		Refunds           []refundLine
	}
	refundLine struct {
		Date, Amount string
	}
)

var (
	shipmentEmail     = parseEmailTemplate("shipment")
	cancellationEmail = parseEmailTemplate("cancellation")
	refundEmail       = parseEmailTemplate("refund")
)
