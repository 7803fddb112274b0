package othermerchant

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Subscription emails. DR bills renewals itself and tells the shop:
// subscription.reminder, .extended and .payment_failed carry
// {"subscription", "invoice"}; .updated and .failed the bare subscription.

type aboPaar struct {
	Subscription drSubscription `json:"subscription"`
	Invoice      drInvoice      `json:"invoice"`
}

type aboView struct {
	Shop        string
	Abo         string
	Tarif       string
	Bestellung  string
	Zeilen      []zeile
	Summen      []posten
	Karte       string
	KarteBis    string
	Naechste    string // next invoice date
	Seit        string // activated
	TestSeit    string // activatedFree
	Datum       string // cancelled or failed
	Versuch     int
	Produkte    []string
	Bedingungen string

	ZahlungsartenURL string
	KuendigenURL     string
	AbosURL          string
}

func (s *Server) paar(e ereignis) (aboPaar, error) {
	var p aboPaar
	if err := json.Unmarshal(e.Data.Object, &p); err != nil {
		return p, fmt.Errorf("%s: %w", e.Type, err)
	}
	if p.Subscription.ID == "" {
		return p, fmt.Errorf("%s: no subscription", e.Type)
	}
	return p, nil
}

// rechnungView is what the emails about a billing invoice show.
func (s *Server) rechnungView(ctx context.Context, p aboPaar) (aboView, error) {
	inv, sub := p.Invoice, p.Subscription
	cur := cmpOr(inv.Currency, sub.Currency)
	v := aboView{
		Shop:     shopName,
		Abo:      sub.ID,
		Tarif:    inv.Description,
		Naechste: datum(sub.NextInvoiceDate),
		Seit:     datum(sub.StateTransitions["activated"]),
		TestSeit: datum(sub.StateTransitions["activatedFree"]),
		Summen: []posten{
			{"Zwischensumme", geld(inv.Subtotal, cur)},
			{"Rabatt", geld(inv.TotalDiscount, cur)},
			{"enthaltene MwSt.", geld(inv.TotalTax, cur)},
			{"Gesamtbetrag", geld(inv.TotalAmount, cur)},
		},
		ZahlungsartenURL: s.url + "/konto/zahlungsarten",
		AbosURL:          s.url + "/konto/abos",
	}
	for _, it := range inv.Items {
		name := it.ProductDetails.Name
		if name == "" && it.SKUID != "" {
			sk, err := s.dr.sku(ctx, it.SKUID)
			if err != nil {
				return v, fmt.Errorf("product %s: %w", it.SKUID, err)
			}
			name = sk.Name
		}
		v.Zeilen = append(v.Zeilen, zeile{Name: name, Menge: max(it.Quantity, 1), Betrag: geld(it.Amount, cur)})
		v.Produkte = append(v.Produkte, name)
	}
	if src := inv.Payment.Sources; len(src) > 0 && src[0].CreditCard != nil {
		cc := src[0].CreditCard
		v.Karte = fmt.Sprintf("%s, endet auf %s", cmpOr(cc.Brand, "Karte"), cc.LastFourDigits)
		v.KarteBis = fmt.Sprintf("%02d/%d", cc.ExpirationMonth, cc.ExpirationYear)
	}
	return v, nil
}

func (s *Server) aboEmpfaenger(ctx context.Context, p aboPaar) (string, error) {
	return s.empfaenger(ctx, p.Invoice.Email, cmpOr(p.Invoice.CustomerID, p.Subscription.CustomerID))
}

// aboErinnerung: subscription.reminder. The renewal reminder and, when the
// card on file expires before the next payment, a request for a new card.
func (s *Server) aboErinnerung(ctx context.Context, e ereignis) error {
	p, err := s.paar(e)
	if err != nil {
		return err
	}
	an, err := s.aboEmpfaenger(ctx, p)
	if err != nil {
		return err
	}
	v, err := s.rechnungView(ctx, p)
	if err != nil {
		return err
	}
	if err := s.einmal(ctx, e.ID+"/erinnerung", an, "abo_erinnerung", v); err != nil {
		return err
	}
	next, ok := drZeit(p.Subscription.NextInvoiceDate)
	if !ok || len(p.Invoice.Payment.Sources) == 0 || p.Invoice.Payment.Sources[0].CreditCard == nil {
		return nil
	}
	cc := p.Invoice.Payment.Sources[0].CreditCard
	gueltigBis := time.Date(cc.ExpirationYear, time.Month(cc.ExpirationMonth)+1, 1, 0, 0, 0, 0, time.UTC)
	if next.Before(gueltigBis) {
		return nil
	}
	return s.einmal(ctx, e.ID+"/karte", an, "abo_karte_laeuft_ab", v)
}

// aboVerlaengert: subscription.extended. The first paid period after a
// free trial (the subscription had activatedFree, and activated is the
// instant this invoice was paid) gets the trial's end; any other, the
// renewal confirmation.
func (s *Server) aboVerlaengert(ctx context.Context, e ereignis) error {
	p, err := s.paar(e)
	if err != nil {
		return err
	}
	an, err := s.aboEmpfaenger(ctx, p)
	if err != nil {
		return err
	}
	v, err := s.rechnungView(ctx, p)
	if err != nil {
		return err
	}
	v.Bestellung = p.Invoice.OrderID
	tr := p.Subscription.StateTransitions
	if _, testphase := tr["activatedFree"]; testphase {
		aktiv, ok1 := drZeit(tr["activated"])
		bezahlt, ok2 := drZeit(p.Invoice.StateTransitions["paid"])
		if ok1 && ok2 && aktiv.Sub(bezahlt).Abs() < time.Second {
			return s.einmal(ctx, e.ID+"/testende", an, "abo_test_ende", v)
		}
	}
	return s.einmal(ctx, e.ID+"/verlaengert", an, "abo_verlaengert", v)
}

// aboZahlungFehlgeschlagen: subscription.payment_failed.
func (s *Server) aboZahlungFehlgeschlagen(ctx context.Context, e ereignis) error {
	p, err := s.paar(e)
	if err != nil {
		return err
	}
	an, err := s.aboEmpfaenger(ctx, p)
	if err != nil {
		return err
	}
	v, err := s.rechnungView(ctx, p)
	if err != nil {
		return err
	}
	v.Versuch = p.Invoice.AttemptCount
	if s.has(DefectBillingLinksOverview) {
		s.log.Warn("DEFECT billing-failed-links-overview", "subscription", p.Subscription.ID)
		v.ZahlungsartenURL = s.url + "/konto"
	}
	return s.einmal(ctx, e.ID+"/zahlung", an, "abo_zahlung_fehlgeschlagen", v)
}

// aboFakten looks up what a bare subscription does not say: the customer's
// address, the plan and the products.
func (s *Server) aboFakten(ctx context.Context, sub drSubscription) (string, aboView, error) {
	an, err := s.empfaenger(ctx, "", sub.CustomerID)
	if err != nil {
		return "", aboView{}, fmt.Errorf("subscription %s: %w", sub.ID, err)
	}
	v := aboView{
		Shop:         shopName,
		Abo:          sub.ID,
		AbosURL:      s.url + "/konto/abos",
		KuendigenURL: s.url + "/konto/abos/" + esc(sub.ID) + "/kuendigen",
	}
	if sub.PlanID != "" {
		pl, err := s.dr.plan(ctx, sub.PlanID)
		if err != nil {
			return "", v, fmt.Errorf("subscription %s: plan: %w", sub.ID, err)
		}
		v.Tarif, v.Bedingungen = pl.Name, pl.Terms
	}
	for _, it := range sub.Items {
		sk, err := s.dr.sku(ctx, it.SKUID)
		if err != nil {
			return "", v, fmt.Errorf("subscription %s: product %s: %w", sub.ID, it.SKUID, err)
		}
		v.Produkte = append(v.Produkte, sk.Name)
		v.Zeilen = append(v.Zeilen, zeile{Name: sk.Name, Menge: max(it.Quantity, 1), Betrag: geld(it.Price, sub.Currency)})
	}
	return an, v, nil
}

// aboGeaendert: subscription.updated. A cancellation gets its
// confirmation; a new plan or a new price the new terms, with the way to
// cancel (a free trial's price set after the trial is no new price).
func (s *Server) aboGeaendert(ctx context.Context, e ereignis) error {
	var sub drSubscription
	if err := json.Unmarshal(e.Data.Object, &sub); err != nil {
		return fmt.Errorf("subscription.updated: %w", err)
	}
	var vorher map[string]json.RawMessage
	if len(e.Data.PreviousAttributes) > 0 {
		if err := json.Unmarshal(e.Data.PreviousAttributes, &vorher); err != nil {
			return fmt.Errorf("subscription.updated: previousAttributes: %w", err)
		}
	}
	_, zustand := vorher["state"]
	_, tarif := vorher["planId"]
	tarif = tarif || warBezahlt(vorher["items"])
	switch {
	case zustand && sub.State == "cancelled":
		an, v, err := s.aboFakten(ctx, sub)
		if err != nil {
			return err
		}
		v.Datum = datum(sub.StateTransitions["cancelled"])
		return s.einmal(ctx, e.ID+"/gekuendigt", an, "abo_gekuendigt", v)
	case tarif && !zustand:
		an, v, err := s.aboFakten(ctx, sub)
		if err != nil {
			return err
		}
		return s.einmal(ctx, e.ID+"/tarif", an, "abo_neue_bedingungen", v)
	}
	return nil
}

// warBezahlt: previous items (previousAttributes.items) of which one had a
// price: their price changed.
func warBezahlt(roh json.RawMessage) bool {
	var posten []struct {
		Price float64 `json:"price"`
	}
	if json.Unmarshal(roh, &posten) != nil {
		return false
	}
	for _, p := range posten {
		if p.Price > 0 {
			return true
		}
	}
	return false
}

// aboBeendet: subscription.failed. Dunning ran out.
func (s *Server) aboBeendet(ctx context.Context, e ereignis) error {
	var sub drSubscription
	if err := json.Unmarshal(e.Data.Object, &sub); err != nil {
		return fmt.Errorf("subscription.failed: %w", err)
	}
	an, v, err := s.aboFakten(ctx, sub)
	if err != nil {
		return err
	}
	v.Datum = datum(sub.StateTransitions["failed"])
	return s.einmal(ctx, e.ID+"/beendet", an, "abo_beendet", v)
}
