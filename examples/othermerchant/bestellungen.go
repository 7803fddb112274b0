package othermerchant

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Order emails: confirmation (and the subscription's start), shipment,
// cancellation, refund, invoice and credit memo.

// zeile is one line of an email's table: a product, its units, an amount.
type zeile struct {
	Name   string
	Menge  int
	Betrag string // empty when the line shows no amount
}

// posten is a labelled amount under a table: "Versand 4,00 $".
type posten struct {
	Bezeichnung string
	Betrag      string
}

type bestellungView struct {
	Shop       string
	Bestellung string
	Datum      string
	Zeilen     []zeile
	Summen     []posten
	KontoURL   string
	AboZeilen  []zeile // the subscription lines of an acquisition
	Abos       []string
}

const shopName = "Waldläufer Outdoor"

func (s *Server) empfaenger(ctx context.Context, email, customerID string) (string, error) {
	if email != "" {
		return email, nil
	}
	if customerID == "" {
		return "", fmt.Errorf("no email and no customer")
	}
	k, err := s.dr.customer(ctx, customerID)
	if err != nil {
		return "", err
	}
	if k.Email == "" {
		return "", fmt.Errorf("customer %s has no email", customerID)
	}
	return k.Email, nil
}

func summen(o drOrder) []posten {
	return []posten{
		{"Rabatt", geld(o.TotalDiscount, o.Currency)},
		{"Versandkosten", geld(o.TotalShipping, o.Currency)},
		{"enthaltene MwSt.", geld(o.TotalTax, o.Currency)},
		{"Gesamtbetrag", geld(o.TotalAmount, o.Currency)},
	}
}

// bestellungAngenommen: order.accepted. The confirmation, and for
// subscription lines the activation of their subscriptions at DR and the
// subscription's welcome email.
func (s *Server) bestellungAngenommen(ctx context.Context, e ereignis) error {
	var o drOrder
	if err := json.Unmarshal(e.Data.Object, &o); err != nil {
		return fmt.Errorf("order.accepted: %w", err)
	}
	an, err := s.empfaenger(ctx, o.Email, o.CustomerID)
	if err != nil {
		return fmt.Errorf("order %s: recipient: %w", o.ID, err)
	}
	v := bestellungView{Shop: shopName, Bestellung: o.ID, Datum: datum(o.CreatedTime), Summen: summen(o), KontoURL: s.url + "/konto/bestellungen/" + esc(o.ID)}
	if s.has(DefectShippingShowsDiscount) {
		s.log.Warn("DEFECT shipping-shows-discount", "order", o.ID)
		v.Summen[1].Betrag = geld(o.TotalDiscount, o.Currency)
	}
	for _, it := range o.Items {
		z := zeile{Name: it.ProductDetails.Name, Menge: it.Quantity, Betrag: geld(it.Amount, o.Currency)}
		v.Zeilen = append(v.Zeilen, z)
		if it.SubscriptionInfo != nil {
			v.AboZeilen = append(v.AboZeilen, z)
			if id := it.SubscriptionInfo.SubscriptionID; id != "" && !slices.Contains(v.Abos, id) {
				v.Abos = append(v.Abos, id)
			}
		}
	}
	if err := s.einmal(ctx, e.ID+"/bestaetigung", an, "bestellbestaetigung", v); err != nil {
		return err
	}
	if len(v.AboZeilen) == 0 {
		return nil
	}
	for _, id := range v.Abos {
		sub, err := s.dr.subscription(ctx, id)
		if err != nil {
			return fmt.Errorf("order %s: subscription %s: %w", o.ID, id, err)
		}
		if sub.State == "draft" {
			if err := s.dr.updateSubscription(ctx, id, map[string]any{"state": "active"}); err != nil {
				return fmt.Errorf("order %s: activate subscription %s: %w", o.ID, id, err)
			}
			// A free trial costs 0 until the shop sets the price after it.
			for _, it := range o.Items {
				if si := it.SubscriptionInfo; si != nil && si.SubscriptionID == id && si.FreeTrial && it.Metadata.PaidPrice > 0 {
					preis := map[string]any{"items": []map[string]any{{"skuId": it.SKUID, "quantity": it.Quantity, "price": float64(it.Metadata.PaidPrice)}}}
					if err := s.dr.updateSubscription(ctx, id, preis); err != nil {
						return fmt.Errorf("order %s: price after the trial of %s: %w", o.ID, id, err)
					}
				}
			}
		}
	}
	return s.einmal(ctx, e.ID+"/abo", an, "abo_start", v)
}

// menge is a number of units: a JSON number or a numeric string ("2", as
// DR's own fulfillment example writes it).
type menge int

func (m *menge) UnmarshalJSON(b []byte) error {
	t := strings.Trim(strings.TrimSpace(string(b)), `"`)
	if t == "" || t == "null" {
		*m = 0
		return nil
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return fmt.Errorf("quantity %s: %w", b, err)
	}
	*m = menge(f)
	return nil
}

type drFulfillment struct {
	ID      string `json:"id"`
	OrderID string `json:"orderId"`
	Items   []struct {
		ItemID         string `json:"itemId"`
		Quantity       menge  `json:"quantity"`
		CancelQuantity menge  `json:"cancelQuantity"`
	} `json:"items"`
	TrackingCompany string  `json:"trackingCompany"`
	TrackingNumber  string  `json:"trackingNumber"`
	TrackingURL     string  `json:"trackingUrl"`
	OrderDetails    drOrder `json:"orderDetails"`
}

type versandView struct {
	Shop, Bestellung              string
	Zeilen                        []zeile
	Spediteur, Sendung, Verfolgen string
}

// lieferungErstellt: fulfillment.created. Shipped units get the shipment
// email, cancelled ones the partial cancellation email (unless nothing is
// left of the order: then order.cancelled tells the customer).
func (s *Server) lieferungErstellt(ctx context.Context, e ereignis) error {
	var f drFulfillment
	if err := json.Unmarshal(e.Data.Object, &f); err != nil {
		return fmt.Errorf("fulfillment.created: %w", err)
	}
	orderID := cmpOr(f.OrderID, f.OrderDetails.ID)
	name := func(itemID string) string {
		for _, it := range f.OrderDetails.Items {
			if it.ID == itemID {
				return it.ProductDetails.Name
			}
		}
		return "Artikel " + itemID
	}
	var versandt, storniert []zeile
	for _, it := range f.Items {
		if it.Quantity > 0 {
			versandt = append(versandt, zeile{Name: name(it.ItemID), Menge: int(it.Quantity)})
		}
		if it.CancelQuantity > 0 {
			storniert = append(storniert, zeile{Name: name(it.ItemID), Menge: int(it.CancelQuantity)})
		}
	}
	an, err := s.empfaenger(ctx, f.OrderDetails.Email, f.OrderDetails.CustomerID)
	if err != nil {
		return fmt.Errorf("order %s: recipient: %w", orderID, err)
	}
	if len(versandt) > 0 {
		v := versandView{Shop: shopName, Bestellung: orderID, Zeilen: versandt, Spediteur: f.TrackingCompany, Sendung: f.TrackingNumber, Verfolgen: f.TrackingURL}
		if err := s.einmal(ctx, e.ID+"/versand", an, "versand", v); err != nil {
			return err
		}
	}
	if len(storniert) > 0 {
		o, err := s.dr.order(ctx, orderID)
		if err != nil {
			return fmt.Errorf("order %s: %w", orderID, err)
		}
		if o.State == "cancelled" {
			return nil
		}
		v := stornoView{Shop: shopName, Bestellung: orderID, Zeilen: storniert}
		if err := s.einmal(ctx, e.ID+"/teilstorno", an, "teilstornierung", v); err != nil {
			return err
		}
	}
	return nil
}

type stornoView struct {
	Shop, Bestellung string
	Zeilen           []zeile
	Grund            string
	KontoURL         string
}

// bestellungStorniert: order.cancelled, every unit of the order.
func (s *Server) bestellungStorniert(ctx context.Context, e ereignis) error {
	var o drOrder
	if err := json.Unmarshal(e.Data.Object, &o); err != nil {
		return fmt.Errorf("order.cancelled: %w", err)
	}
	an, err := s.empfaenger(ctx, o.Email, o.CustomerID)
	if err != nil {
		return fmt.Errorf("order %s: recipient: %w", o.ID, err)
	}
	v := stornoView{Shop: shopName, Bestellung: o.ID}
	for _, it := range o.Items {
		v.Zeilen = append(v.Zeilen, zeile{Name: it.ProductDetails.Name, Menge: it.Quantity})
	}
	return s.einmal(ctx, e.ID+"/storno", an, "stornierung", v)
}

type erstattungView struct {
	Shop, Bestellung string
	Betrag           string // the refund this email is about
	Erstattungen     []posten
	Insgesamt        string
}

// bestellungErstattet: order.refunded. The headline names the newest
// refund; every completed refund and the total refunded follow.
func (s *Server) bestellungErstattet(ctx context.Context, e ereignis) error {
	var o drOrder
	if err := json.Unmarshal(e.Data.Object, &o); err != nil {
		return fmt.Errorf("order.refunded: %w", err)
	}
	an, err := s.empfaenger(ctx, o.Email, o.CustomerID)
	if err != nil {
		return fmt.Errorf("order %s: recipient: %w", o.ID, err)
	}
	var refunds []drRefund
	for _, ch := range o.Payment.Charges {
		for _, r := range ch.Refunds {
			if r.State == "complete" {
				refunds = append(refunds, r)
			}
		}
	}
	slices.SortStableFunc(refunds, func(a, b drRefund) int {
		ta, _ := drZeit(a.CreatedTime)
		tb, _ := drZeit(b.CreatedTime)
		return ta.Compare(tb)
	})
	v := erstattungView{Shop: shopName, Bestellung: o.ID, Insgesamt: geld(o.RefundedAmount, o.Currency)}
	for _, r := range refunds {
		v.Erstattungen = append(v.Erstattungen, posten{"Erstattung vom " + datum(r.CreatedTime), geld(r.Amount, o.Currency)})
	}
	if n := len(refunds); n > 0 {
		v.Betrag = geld(refunds[n-1].Amount, o.Currency)
	} else {
		v.Betrag = v.Insgesamt
	}
	if s.has(DefectRefundHeadlineTotal) {
		s.log.Warn("DEFECT refund-headline-order-total", "order", o.ID)
		v.Betrag = geld(o.TotalAmount, o.Currency)
	}
	return s.einmal(ctx, e.ID+"/erstattung", an, "erstattung", v)
}

// dokument is data.object of order.invoice.created and
// order.credit_memo.created.
type dokument struct {
	ID         string `json:"id"`
	FileID     string `json:"fileId"`
	OrderID    string `json:"orderId"`
	CustomerID string `json:"customerId"`
}

type dokumentView struct {
	Shop, Bestellung string
	Art              string // Rechnung, Gutschrift
	Link             string
	Gueltig          string
}

func (s *Server) rechnungErstellt(ctx context.Context, e ereignis) error {
	return s.dokumentMail(ctx, e, "Rechnung")
}

func (s *Server) gutschriftErstellt(ctx context.Context, e ereignis) error {
	return s.dokumentMail(ctx, e, "Gutschrift")
}

// dokumentMail emails a file link (never DR's own file URL, which needs the
// secret key) to the new invoice or credit memo.
func (s *Server) dokumentMail(ctx context.Context, e ereignis, art string) error {
	var d dokument
	if err := json.Unmarshal(e.Data.Object, &d); err != nil {
		return fmt.Errorf("%s: %w", e.Type, err)
	}
	fileID := cmpOr(d.FileID, d.ID)
	o, err := s.dr.order(ctx, d.OrderID)
	if err != nil {
		return fmt.Errorf("%s of order %s: %w", art, d.OrderID, err)
	}
	an, err := s.empfaenger(ctx, o.Email, cmpOr(o.CustomerID, d.CustomerID))
	if err != nil {
		return fmt.Errorf("order %s: recipient: %w", o.ID, err)
	}
	l, err := s.dateiLink(ctx, fileID)
	if err != nil {
		return fmt.Errorf("%s of order %s: %w", art, d.OrderID, err)
	}
	v := dokumentView{Shop: shopName, Bestellung: d.OrderID, Art: art, Link: l.URL, Gueltig: datum(l.ExpiresTime)}
	return s.einmal(ctx, e.ID+"/dokument", an, "dokument", v)
}

// linkDauer is how long a file link the shop makes lives. The shop
// computes expiresTime from its own clock; DR measures the span on the
// customer's clock.
const linkDauer = 30 * 24 * time.Hour

// dateiLink gives the file link of a file: the one given out before while
// DR says it has not expired, else a new one.
func (s *Server) dateiLink(ctx context.Context, fileID string) (drFileLink, error) {
	s.mu.Lock()
	l, ok := s.links[fileID]
	s.mu.Unlock()
	if ok {
		var cur struct {
			Expired bool `json:"expired"`
		}
		if err := s.dr.call(ctx, "GET", "/file-links/"+esc(l.ID), nil, &cur); err == nil && !cur.Expired {
			return l, nil
		}
	}
	l, err := s.dr.createFileLink(ctx, fileID, time.Now().Add(linkDauer))
	if err != nil {
		return drFileLink{}, err
	}
	s.mu.Lock()
	s.links[fileID] = l
	s.mu.Unlock()
	return l, nil
}
