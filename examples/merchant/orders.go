package merchant

import (
	"context"
	"encoding/json"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
)

// order is the part of a Digital River Order (data.object of order.* events,
// and DR's answer to GET /orders/{id}: see getOrder) that this merchant
// reads. Amounts are JSON numbers in the order's currency.
type order struct {
	ID            string      `json:"id"`
	CustomerID    string      `json:"customerId"`
	CreatedTime   string      `json:"createdTime"` // kept as text, like chargeRefund's
	Email         string      `json:"email"`       // the notification recipient (billTo.email may differ)
	Currency      string      `json:"currency"`
	Locale        string      `json:"locale"`
	State         string      `json:"state"`
	Items         []orderItem `json:"items"`
	Subtotal      float64     `json:"subtotal"`
	TotalTax      float64     `json:"totalTax"`
	TotalDiscount float64     `json:"totalDiscount"`
	TotalShipping float64     `json:"totalShipping"`
	TotalAmount   float64     `json:"totalAmount"`
	// RefundedAmount is the total of the completed refunds (order.refunded).
	RefundedAmount float64 `json:"refundedAmount"`
	Payment        struct {
		Charges []charge `json:"charges"`
		// Sources are what paid: a card, PayPal, a wire transfer…
		// (only cards have creditCard).
		Sources []source `json:"sources"`
	} `json:"payment"`
	// InvoicePDFs and CreditMemoPDFs are the order's documents, once DR has
	// generated them. Their url needs the secret key: customers get a file
	// link of the id instead.
	InvoicePDFs    []orderDocument `json:"invoicePDFs"`
	CreditMemoPDFs []orderDocument `json:"creditMemoPDFs"`
}

// orderDocument is an entry of an order's invoicePDFs or creditMemoPDFs.
type orderDocument struct {
	ID string `json:"id"` // the File id
	// URL (…/files/{id}/content) is deliberately not decoded: it needs the
	// secret key and must never reach a customer.
}

type orderItem struct {
	ID             string `json:"id"`
	SKUID          string `json:"skuId"`
	ProductDetails struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	} `json:"productDetails"`
	Quantity int     `json:"quantity"`
	Amount   float64 `json:"amount"` // the line total, not the unit price
	// State is created, fulfilled, paid, cancelled, blocked or returned.
	State string `json:"state"`
	// SubscriptionInfo is set on the lines that start (or, in a renewal
	// order, renew) a subscription.
	SubscriptionInfo *struct {
		SubscriptionID string `json:"subscriptionId"`
		PlanID         string `json:"planId"`
		FreeTrial      bool   `json:"freeTrial"`
	} `json:"subscriptionInfo"`
	// Metadata is what this merchant's checkout put on the line: for a free
	// trial, paidPrice is the unit price after the trial.
	Metadata map[string]any `json:"metadata"`
}

// paidPrice is the unit price after a free trial that the checkout recorded
// on the line (metadata.paidPrice, a number or a numeric string).
func (it orderItem) paidPrice() (float64, bool) {
	switch v := it.Metadata["paidPrice"].(type) {
	case float64:
		return v, v > 0
	case string:
		f, err := strconv.ParseFloat(v, 64)
		return f, err == nil && f > 0
	}
	return 0, false
}

// charge is the part of a Charge (order.payment.charges[]) that this
// merchant reads.
type charge struct {
	Refunds []chargeRefund `json:"refunds"`
}

type chargeRefund struct {
	Amount float64 `json:"amount"`
	State  string  `json:"state"` // pending, complete or failed
	// CreatedTime is kept as text: DR's date formats vary (docs/dr-api.md#dates),
	// and a date we cannot read must not make the whole event unreadable.
	CreatedTime string `json:"createdTime"`
}

// source is the part of a DR Source (an order's or a billing invoice's
// payment.sources[]) that this merchant reads. Full card numbers never
// leave DR.
type source struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	State      string `json:"state"`
	Reusable   bool   `json:"reusable"`
	CustomerID string `json:"customerId"`
	CreditCard *struct {
		Brand           string `json:"brand"`
		ExpirationMonth int    `json:"expirationMonth"`
		ExpirationYear  int    `json:"expirationYear"`
		LastFourDigits  string `json:"lastFourDigits"`
	} `json:"creditCard"`
}

// item looks up an order line by id.
func (o order) item(id string) (orderItem, bool) {
	for _, it := range o.Items {
		if it.ID == id {
			return it, true
		}
	}
	return orderItem{}, false
}

// recipient is the address notifications about o go to.
func (o order) recipient() (*mail.Address, error) {
	to, err := mail.ParseAddress(o.Email)
	if err != nil {
		return nil, fmt.Errorf("%w: order %s: email %q: %v", errBadPayload, o.ID, o.Email, err)
	}
	return to, nil
}

// handleOrderAccepted sends the order confirmation (notification #1): DR has
// authorized the payment and passed fraud review, so the order will be
// fulfilled. An order with subscription items also gets the subscription
// confirmation (subscription notification #1, subscriptions.go).
func (s *Server) handleOrderAccepted(ev event) (work, error) {
	var o order
	if err := json.Unmarshal(ev.Data.Object, &o); err != nil {
		return nil, fmt.Errorf("%w: order: %v", errBadPayload, err)
	}
	if o.ID == "" {
		return nil, fmt.Errorf("%w: order has no id", errBadPayload)
	}
	to, err := o.recipient()
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) error {
		if err := s.activateSubscriptions(ctx, o); err != nil {
			return err
		}
		key := ev.ID + "/confirmation"
		if s.defects.has(DefectConfirmOnPendingPayment) {
			key = o.ID + "/confirmation" // sent already when the order was placed
		}
		if err := s.sendConfirmation(ctx, key, o, to); err != nil {
			return err
		}
		if s.defects.has(DefectShipmentOnAccept) {
			s.log.Warn("order: DEFECT shipment-email-on-accept: shipment emailed on acceptance", "order", o.ID)
			view := shipmentView{ShopName: s.cfg.ShopName, OrderID: o.ID}
			for _, it := range o.Items {
				view.Items = append(view.Items, itemView{it.name(), it.Quantity})
			}
			if err := s.notifyOnce(ctx, ev.ID+"/shipment", to, "Your order "+o.ID+" has shipped", shipmentEmail, view); err != nil {
				return fmt.Errorf("order %s: shipment email: %w", o.ID, err)
			}
		}
		return s.sendAcquisition(ctx, ev, o, to)
	}, nil
}

// sendConfirmation sends the order confirmation once per key.
func (s *Server) sendConfirmation(ctx context.Context, key string, o order, to *mail.Address) error {
	v, err := s.confirmationView(o)
	if err != nil {
		return err
	}
	if err := s.notifyOnce(ctx, key, to, "Order confirmation – order "+o.ID, confirmationEmail, v); err != nil {
		return fmt.Errorf("order %s: confirmation: %w", o.ID, err)
	}
	return nil
}

// handlePendingPayment is the confirm-on-pending-payment defect: the order
// confirmation goes out when the order is placed, before DR has accepted it
// (a wire transfer's funds may never arrive). The correct merchant does not
// handle order.pending_payment.
func (s *Server) handlePendingPayment(ev event) (work, error) {
	o, to, err := decodeOrder(ev)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) error {
		s.log.Warn("order: DEFECT confirm-on-pending-payment: confirmation sent before acceptance", "order", o.ID)
		return s.sendConfirmation(ctx, o.ID+"/confirmation", o, to)
	}, nil
}

// confirmationView is what the order confirmation templates show; amounts
// are already formatted in the order's currency.
type confirmationView struct {
	ShopName string
	OrderID  string
	Items    []lineView
	Totals   []totalView
	Payment  string // "Visa ending in 1111", "PayPal", "wire transfer"; "" when DR sent none
}

type lineView struct {
	Name     string
	Quantity int
	Amount   string
}

type totalView struct {
	Label  string
	Amount string
}

func (s *Server) confirmationView(o order) (confirmationView, error) {
	v := confirmationView{ShopName: s.cfg.ShopName, OrderID: o.ID}
	if len(o.Payment.Sources) > 0 {
		src := o.Payment.Sources[0]
		if s.defects.has(DefectAssumesCard) && src.CreditCard == nil {
			// The defect: a confirmation written for cards only cannot
			// read an order paid another way, and gives up on it.
			return v, fmt.Errorf("%w: order %s: payment source %s has no creditCard", errBadPayload, o.ID, src.Type)
		}
		v.Payment = describeSource(src)
	}
	for _, it := range o.Items {
		v.Items = append(v.Items, lineView{
			Name:     oneLine(it.ProductDetails.Name),
			Quantity: it.Quantity,
			Amount:   formatMoney(it.Amount, o.Currency),
		})
	}
	v.Totals = orderTotals(o, !s.defects.has(DefectOmitTotalTax))
	return v, nil
}

// oneLine collapses whitespace, so a product name cannot break the layout
// of the plain-text table.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

var confirmationEmail = parseEmailTemplate("order_confirmation")
