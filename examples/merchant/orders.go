package merchant

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	htmltemplate "html/template"
	"net/mail"
	"strings"
	"text/tabwriter"
	texttemplate "text/template"
)

// order is the part of a Digital River Order (data.object of order.* events)
// that this merchant reads. Amounts are JSON numbers in the order's currency.
type order struct {
	ID            string      `json:"id"`
	Email         string      `json:"email"` // the notification recipient (billTo.email may differ)
	Currency      string      `json:"currency"`
	Locale        string      `json:"locale"`
	State         string      `json:"state"`
	Items         []orderItem `json:"items"`
	Subtotal      float64     `json:"subtotal"`
	TotalTax      float64     `json:"totalTax"`
	TotalDiscount float64     `json:"totalDiscount"`
	TotalShipping float64     `json:"totalShipping"`
	TotalAmount   float64     `json:"totalAmount"`
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
}

// handleOrderAccepted sends the order confirmation (notification #1): DR has
// authorized the payment and passed fraud review, so the order will be
// fulfilled.
func (s *Server) handleOrderAccepted(ctx context.Context, ev event) error {
	var o order
	if err := json.Unmarshal(ev.Data.Object, &o); err != nil {
		return fmt.Errorf("%w: order: %v", errBadPayload, err)
	}
	if o.ID == "" {
		return fmt.Errorf("%w: order has no id", errBadPayload)
	}
	to, err := mail.ParseAddress(o.Email)
	if err != nil {
		return fmt.Errorf("%w: order %s: email %q: %v", errBadPayload, o.ID, o.Email, err)
	}

	view := s.confirmationView(o)
	var text, html strings.Builder
	tw := tabwriter.NewWriter(&text, 0, 8, 2, ' ', 0)
	if err := confirmationText.Execute(tw, view); err != nil {
		return fmt.Errorf("order %s: render text: %w", o.ID, err)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("order %s: render text: %w", o.ID, err)
	}
	if err := confirmationHTML.Execute(&html, view); err != nil {
		return fmt.Errorf("order %s: render html: %w", o.ID, err)
	}

	msg := email{
		To:      to,
		Subject: "Order confirmation – order " + o.ID,
		Text:    text.String(),
		HTML:    html.String(),
	}
	if err := s.send(ctx, msg); err != nil {
		return fmt.Errorf("order %s: confirmation to %s: %w", o.ID, to.Address, err)
	}
	s.log.Info("order confirmation sent", "order", o.ID, "to", to.Address)
	return nil
}

// confirmationView is what the order confirmation templates show; amounts
// are already formatted in the order's currency.
type confirmationView struct {
	ShopName string
	OrderID  string
	Items    []lineView
	Totals   []totalView
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

func (s *Server) confirmationView(o order) confirmationView {
	v := confirmationView{ShopName: s.cfg.ShopName, OrderID: o.ID}
	for _, it := range o.Items {
		v.Items = append(v.Items, lineView{
			Name:     oneLine(it.ProductDetails.Name),
			Quantity: it.Quantity,
			Amount:   formatMoney(it.Amount, o.Currency),
		})
	}
	money := func(label string, amount float64) totalView {
		return totalView{label, formatMoney(amount, o.Currency)}
	}
	v.Totals = append(v.Totals, money("Discount", o.TotalDiscount), money("Shipping", o.TotalShipping))
	if !s.defects.has(DefectOmitTotalTax) {
		v.Totals = append(v.Totals, money("Tax", o.TotalTax))
	}
	v.Totals = append(v.Totals, money("Total", o.TotalAmount))
	return v
}

// oneLine collapses whitespace, so a product name cannot break the layout
// of the plain-text table.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

//go:embed templates
var templates embed.FS

var (
	confirmationText = texttemplate.Must(texttemplate.ParseFS(templates, "templates/order_confirmation.txt.tmpl"))
	confirmationHTML = htmltemplate.Must(htmltemplate.ParseFS(templates, "templates/order_confirmation.html.tmpl"))
)
