package othermerchant

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The customer account, /konto/: HTML pages behind a cookie login.
//
//	GET  /konto/anmelden                      sign-in form
//	POST /konto/anmelden                      form adresse=<email> → cookie, 303 to weiter or /konto
//	GET  /konto                               overview
//	GET  /konto/bestellungen/{id}             the order, with its invoice and credit memo links
//	GET  /konto/bestellungen/{id}/stornieren  cancellation form (the delay notices link here)
//	POST /konto/bestellungen/{id}/stornieren  JSON {"positionen":[{"position":itemId,"menge":n}]} (none: everything left),
//	                                          or the form's alles=1 → 202, or 409 when units have shipped
//	POST /konto/bestellungen/{id}/ruecksendung JSON {"positionen":[…],"grund":"…"} → DR return, 201
//	GET  /konto/zahlungsarten                 saved cards and a form (billing emails link here)
//	POST /konto/zahlungsarten                 form quelle=<source id>[&abo=<subscription id>] → attach (and put on
//	                                          the subscription), 303 back
//	GET  /konto/abos                          subscriptions
//	GET  /konto/abos/{id}/kuendigen           cancellation page (the new-terms email links here)
//	POST /konto/abos/{id}/kuendigen           cancel at DR, 303 to /konto/abos
//
// Without a session every page, GET or POST, answers 303 to
// /konto/anmelden?weiter=<path>.

const sitzungsCookie = "waldlaeufer_sitzung"

var seiten = template.Must(template.New("").Funcs(vorlagenFunktionen).ParseFS(vorlagen, "vorlagen/seite_*.html"))

type kontoHandler func(w http.ResponseWriter, r *http.Request, k sitzung)

func (s *Server) kontoRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /konto/anmelden", s.anmeldeSeite)
	mux.HandleFunc("POST /konto/anmelden", s.anmelden)
	mux.HandleFunc("GET /konto", s.angemeldet(s.uebersicht))
	mux.HandleFunc("GET /konto/bestellungen/{id}", s.angemeldet(s.bestellSeite))
	mux.HandleFunc("GET /konto/bestellungen/{id}/stornieren", s.angemeldet(s.stornoSeite))
	mux.HandleFunc("POST /konto/bestellungen/{id}/stornieren", s.angemeldet(s.stornieren))
	mux.HandleFunc("POST /konto/bestellungen/{id}/ruecksendung", s.angemeldet(s.ruecksenden))
	mux.HandleFunc("GET /konto/zahlungsarten", s.angemeldet(s.zahlungsartenSeite))
	mux.HandleFunc("POST /konto/zahlungsarten", s.angemeldet(s.zahlungsartSpeichern))
	mux.HandleFunc("GET /konto/abos", s.angemeldet(s.aboSeite))
	mux.HandleFunc("GET /konto/abos/{id}/kuendigen", s.angemeldet(s.kuendigenSeite))
	mux.HandleFunc("POST /konto/abos/{id}/kuendigen", s.angemeldet(s.kuendigen))
}

// angemeldet lets signed-in customers through and sends the rest to the
// sign-in page.
func (s *Server) angemeldet(h kontoHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie(sitzungsCookie); err == nil {
			s.mu.Lock()
			k, ok := s.sessions[c.Value]
			s.mu.Unlock()
			if ok && time.Now().Before(k.Bis) {
				h(w, r, k)
				return
			}
		}
		http.Redirect(w, r, "/konto/anmelden?"+url.Values{"weiter": {r.URL.Path}}.Encode(), http.StatusSeeOther)
	}
}

func (s *Server) seite(w http.ResponseWriter, status int, name string, view any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := seiten.ExecuteTemplate(w, name, view); err != nil {
		s.log.Error("page", "page", name, "err", err)
	}
}

type anmeldeView struct {
	Weiter, Fehler, Adresse string
}

func (s *Server) anmeldeSeite(w http.ResponseWriter, r *http.Request) {
	s.seite(w, http.StatusOK, "seite_anmelden", anmeldeView{Weiter: r.URL.Query().Get("weiter")})
}

// anmelden signs in the DR customer with this email address.
func (s *Server) anmelden(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.seite(w, http.StatusBadRequest, "seite_anmelden", anmeldeView{Fehler: "Das Formular war unvollständig."})
		return
	}
	adresse := strings.TrimSpace(r.PostForm.Get("adresse"))
	weiter := r.PostForm.Get("weiter")
	if adresse == "" {
		s.seite(w, http.StatusBadRequest, "seite_anmelden", anmeldeView{Weiter: weiter, Fehler: "Bitte geben Sie Ihre E-Mail-Adresse ein."})
		return
	}
	kunden, err := s.dr.customersByEmail(r.Context(), adresse)
	if err != nil {
		s.log.Error("sign-in: DR", "err", err)
		s.seite(w, http.StatusBadGateway, "seite_anmelden", anmeldeView{Weiter: weiter, Adresse: adresse, Fehler: "Die Anmeldung ist gerade nicht möglich."})
		return
	}
	var kunde drCustomer
	for _, k := range kunden {
		if strings.EqualFold(k.Email, adresse) {
			kunde = k
			break
		}
	}
	if kunde.ID == "" {
		s.seite(w, http.StatusUnauthorized, "seite_anmelden", anmeldeView{Weiter: weiter, Adresse: adresse, Fehler: "Zu dieser Adresse kennen wir kein Kundenkonto."})
		return
	}
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		http.Error(w, "Fehler", http.StatusInternalServerError)
		return
	}
	token := hex.EncodeToString(b)
	s.mu.Lock()
	s.sessions[token] = sitzung{CustomerID: kunde.ID, Email: kunde.Email, Bis: time.Now().Add(2 * time.Hour)}
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: sitzungsCookie, Value: token, Path: "/konto", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	if !strings.HasPrefix(weiter, "/konto") {
		weiter = "/konto"
	}
	http.Redirect(w, r, weiter, http.StatusSeeOther)
}

type uebersichtView struct {
	Email string
}

func (s *Server) uebersicht(w http.ResponseWriter, r *http.Request, k sitzung) {
	s.seite(w, http.StatusOK, "seite_konto", uebersichtView{Email: k.Email})
}

// eigeneBestellung fetches the order and checks that it is the customer's.
func (s *Server) eigeneBestellung(ctx context.Context, w http.ResponseWriter, id string, k sitzung) (drOrder, bool) {
	o, err := s.dr.order(ctx, id)
	var de *drError
	if errors.As(err, &de) && de.Status == http.StatusNotFound || err == nil && o.CustomerID != k.CustomerID && !strings.EqualFold(o.Email, k.Email) {
		s.seite(w, http.StatusNotFound, "seite_meldung", meldung{"Bestellung nicht gefunden", "Zu Ihrem Konto gehört keine Bestellung " + id + "."})
		return o, false
	}
	if err != nil {
		s.log.Error("account: order", "order", id, "err", err)
		s.seite(w, http.StatusBadGateway, "seite_meldung", meldung{"Fehler", "Die Bestellung kann gerade nicht geladen werden."})
		return o, false
	}
	return o, true
}

type meldung struct{ Titel, Text string }

type bestellSeiteView struct {
	Bestellung, Datum, Zustand string
	Zeilen                     []zeile
	Summen                     []posten
	Dokumente                  []dokumentLink
}

type dokumentLink struct {
	Art, URL, Gueltig string
}

func (s *Server) bestellSeite(w http.ResponseWriter, r *http.Request, k sitzung) {
	o, ok := s.eigeneBestellung(r.Context(), w, r.PathValue("id"), k)
	if !ok {
		return
	}
	v := bestellSeiteView{Bestellung: o.ID, Datum: datum(o.CreatedTime), Zustand: o.State, Summen: summen(o)}
	for _, it := range o.Items {
		v.Zeilen = append(v.Zeilen, zeile{Name: it.ProductDetails.Name, Menge: it.Quantity, Betrag: geld(it.Amount, o.Currency)})
	}
	add := func(art string, files []drFileRef) error {
		for _, f := range files {
			l, err := s.dateiLink(r.Context(), f.ID)
			if err != nil {
				return err
			}
			v.Dokumente = append(v.Dokumente, dokumentLink{art, l.URL, datum(l.ExpiresTime)})
		}
		return nil
	}
	if err := errors.Join(add("Rechnung", o.InvoicePDFs), add("Gutschrift", o.CreditMemoPDFs)); err != nil {
		s.log.Error("account: document links", "order", o.ID, "err", err)
	}
	s.seite(w, http.StatusOK, "seite_bestellung", v)
}

func (s *Server) stornoSeite(w http.ResponseWriter, r *http.Request, k sitzung) {
	o, ok := s.eigeneBestellung(r.Context(), w, r.PathValue("id"), k)
	if !ok {
		return
	}
	s.seite(w, http.StatusOK, "seite_stornieren", o)
}

// position is an order line and a number of its units, in a request.
type position struct {
	Position string `json:"position"`
	Menge    int    `json:"menge"`
}

// rest is how many units of each line are neither shipped nor cancelled,
// from DR's fulfillments of the order.
func (s *Server) rest(ctx context.Context, o drOrder) (offen, versandt map[string]int, err error) {
	var page struct {
		Data []struct {
			Items []struct {
				ItemID         string `json:"itemId"`
				Quantity       menge  `json:"quantity"`
				CancelQuantity menge  `json:"cancelQuantity"`
			} `json:"items"`
		} `json:"data"`
	}
	if err := s.dr.call(ctx, "GET", "/fulfillments?"+url.Values{"orderId": {o.ID}, "limit": {"100"}}.Encode(), nil, &page); err != nil {
		return nil, nil, err
	}
	offen, versandt = map[string]int{}, map[string]int{}
	for _, it := range o.Items {
		offen[it.ID] = it.Quantity
	}
	for _, f := range page.Data {
		for _, it := range f.Items {
			offen[it.ItemID] -= int(it.Quantity) + int(it.CancelQuantity)
			versandt[it.ItemID] += int(it.Quantity)
		}
	}
	return offen, versandt, nil
}

func jsonAntwort(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// stornieren cancels units the customer names (or every unit left) at DR,
// or, when some have shipped, tells the customer it cannot.
func (s *Server) stornieren(w http.ResponseWriter, r *http.Request, k sitzung) {
	var req struct {
		Positionen []position `json:"positionen"`
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil {
			jsonAntwort(w, http.StatusBadRequest, map[string]string{"fehler": "ungültige Anfrage: " + err.Error()})
			return
		}
	} else if err := r.ParseForm(); err != nil {
		jsonAntwort(w, http.StatusBadRequest, map[string]string{"fehler": "ungültiges Formular"})
		return
	}
	ctx := context.WithoutCancel(r.Context())
	o, ok := s.eigeneBestellung(ctx, w, r.PathValue("id"), k)
	if !ok {
		return
	}
	offen, versandt, err := s.rest(ctx, o)
	if err != nil {
		s.log.Error("cancel: fulfillments", "order", o.ID, "err", err)
		jsonAntwort(w, http.StatusBadGateway, map[string]string{"fehler": "Digital River nicht erreichbar"})
		return
	}
	wanted := req.Positionen
	if len(wanted) == 0 {
		for _, it := range o.Items {
			if offen[it.ID] > 0 || versandt[it.ID] > 0 {
				wanted = append(wanted, position{it.ID, max(offen[it.ID], versandt[it.ID])})
			}
		}
	}
	var bereitsVersandt []zeile
	f := drFulfillmentRequest{OrderID: o.ID}
	for _, p := range wanted {
		name := ""
		for _, it := range o.Items {
			if it.ID == p.Position {
				name = it.ProductDetails.Name
			}
		}
		if name == "" || p.Menge < 1 {
			jsonAntwort(w, http.StatusBadRequest, map[string]string{"fehler": "unbekannte Position " + p.Position})
			return
		}
		n := p.Menge
		if s.has(DefectCancelWholeLine) {
			s.log.Warn("DEFECT cancel-whole-line", "order", o.ID, "item", p.Position)
			n = offen[p.Position]
		}
		if n > offen[p.Position] {
			bereitsVersandt = append(bereitsVersandt, zeile{Name: name, Menge: p.Menge})
			continue
		}
		f.Items = append(f.Items, drFulfillmentLine{ItemID: p.Position, CancelQuantity: n})
	}
	if len(bereitsVersandt) > 0 || len(f.Items) == 0 {
		v := stornoView{Shop: shopName, Bestellung: o.ID, Zeilen: bereitsVersandt, Grund: "bereits versandt", KontoURL: s.url + "/konto/bestellungen/" + esc(o.ID)}
		if s.has(DefectRefusalWithoutReason) {
			s.log.Warn("DEFECT refusal-without-reason", "order", o.ID)
			v.Grund = ""
		}
		an, err := s.empfaenger(ctx, o.Email, o.CustomerID)
		if err == nil {
			err = s.mail.send(ctx, an, "storno_abgelehnt", v)
		}
		if err != nil {
			s.log.Error("cancel: refusal email", "order", o.ID, "err", err)
		}
		jsonAntwort(w, http.StatusConflict, map[string]string{"status": "abgelehnt", "grund": "bereits versandt"})
		return
	}
	if err := s.dr.fulfil(ctx, f); err != nil {
		s.log.Error("cancel: DR", "order", o.ID, "err", err)
		jsonAntwort(w, http.StatusBadGateway, map[string]string{"fehler": err.Error()})
		return
	}
	if r.PostForm.Get("alles") != "" {
		http.Redirect(w, r, "/konto/bestellungen/"+esc(o.ID), http.StatusSeeOther)
		return
	}
	jsonAntwort(w, http.StatusAccepted, map[string]string{"status": "storniert"})
}

type rueckView struct {
	Shop, Bestellung, Referenz string
	Zeilen                     []zeile
}

// ruecksenden creates a return at DR and emails the return instructions.
func (s *Server) ruecksenden(w http.ResponseWriter, r *http.Request, k sitzung) {
	var req struct {
		Positionen []position `json:"positionen"`
		Grund      string     `json:"grund"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil || len(req.Positionen) == 0 {
		jsonAntwort(w, http.StatusBadRequest, map[string]string{"fehler": "Positionen fehlen"})
		return
	}
	ctx := context.WithoutCancel(r.Context())
	o, ok := s.eigeneBestellung(ctx, w, r.PathValue("id"), k)
	if !ok {
		return
	}
	v := rueckView{Shop: shopName, Bestellung: o.ID}
	var lines []drReturnLine
	for _, p := range req.Positionen {
		name := ""
		for _, it := range o.Items {
			if it.ID == p.Position {
				name = it.ProductDetails.Name
			}
		}
		if name == "" || p.Menge < 1 {
			jsonAntwort(w, http.StatusBadRequest, map[string]string{"fehler": "unbekannte Position " + p.Position})
			return
		}
		lines = append(lines, drReturnLine{p.Position, p.Menge})
		v.Zeilen = append(v.Zeilen, zeile{Name: name, Menge: p.Menge})
	}
	id, err := s.dr.createReturn(ctx, o.ID, cmpOr(req.Grund, "Rücksendung"), lines)
	if err != nil {
		s.log.Error("return: DR", "order", o.ID, "err", err)
		jsonAntwort(w, http.StatusBadGateway, map[string]string{"fehler": err.Error()})
		return
	}
	v.Referenz = id
	an, err := s.empfaenger(ctx, o.Email, o.CustomerID)
	if err == nil {
		err = s.mail.send(ctx, an, "ruecksendung", v)
	}
	if err != nil {
		s.log.Error("return: email", "order", o.ID, "err", err)
		jsonAntwort(w, http.StatusInternalServerError, map[string]string{"fehler": "E-Mail nicht gesendet", "ruecksendung": id})
		return
	}
	jsonAntwort(w, http.StatusCreated, map[string]string{"ruecksendung": id})
}

type zahlungsartenView struct {
	Karten  []string
	Hinweis string
}

func (s *Server) zahlungsartenSeite(w http.ResponseWriter, r *http.Request, k sitzung) {
	kunde, err := s.dr.customer(r.Context(), k.CustomerID)
	if err != nil {
		s.seite(w, http.StatusBadGateway, "seite_meldung", meldung{"Fehler", "Ihre Zahlungsarten können gerade nicht geladen werden."})
		return
	}
	v := zahlungsartenView{}
	if r.URL.Query().Get("gespeichert") != "" {
		v.Hinweis = "Ihre Karte wurde gespeichert."
	}
	for _, src := range kunde.Sources {
		if cc := src.CreditCard; cc != nil {
			v.Karten = append(v.Karten, fmt.Sprintf("%s, endet auf %s, gültig bis %02d/%d", cc.Brand, cc.LastFourDigits, cc.ExpirationMonth, cc.ExpirationYear))
		}
	}
	s.seite(w, http.StatusOK, "seite_zahlungsarten", v)
}

// zahlungsartSpeichern attaches a source made in the browser (with DR's
// public key) to the customer and, when the form names a subscription,
// puts it on that subscription.
func (s *Server) zahlungsartSpeichern(w http.ResponseWriter, r *http.Request, k sitzung) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("quelle") == "" {
		s.seite(w, http.StatusBadRequest, "seite_meldung", meldung{"Nicht gespeichert", "Es wurde keine Karte übermittelt."})
		return
	}
	ctx := context.WithoutCancel(r.Context())
	quelle := r.PostForm.Get("quelle")
	if err := s.dr.attachSource(ctx, k.CustomerID, quelle); err != nil {
		s.log.Error("save card: DR", "customer", k.CustomerID, "err", err)
		s.seite(w, http.StatusConflict, "seite_meldung", meldung{"Nicht gespeichert", "Digital River hat die Karte abgelehnt."})
		return
	}
	if abo := r.PostForm.Get("abo"); abo != "" {
		sub, err := s.dr.subscription(ctx, abo)
		if err != nil || sub.CustomerID != k.CustomerID {
			s.seite(w, http.StatusNotFound, "seite_meldung", meldung{"Abo nicht gefunden", "Zu Ihrem Konto gehört kein Abo " + abo + "."})
			return
		}
		if s.has(DefectCardNotOnSubscription) {
			s.log.Warn("DEFECT card-not-on-subscription", "subscription", abo)
		} else if err := s.dr.updateSubscription(ctx, abo, map[string]any{"sourceId": quelle}); err != nil {
			s.log.Error("save card: subscription", "subscription", abo, "err", err)
			s.seite(w, http.StatusConflict, "seite_meldung", meldung{"Nicht gespeichert", "Die Karte konnte nicht für Ihr Abo hinterlegt werden."})
			return
		}
	}
	http.Redirect(w, r, "/konto/zahlungsarten?gespeichert=1", http.StatusSeeOther)
}

type abosView struct {
	Abos    []aboZeile
	Hinweis string
}

type aboZeile struct {
	ID, Zustand, Naechste string
	Kuendbar              bool
}

func (s *Server) aboSeite(w http.ResponseWriter, r *http.Request, k sitzung) {
	subs, err := s.dr.customerSubscriptions(r.Context(), k.CustomerID)
	if err != nil {
		s.seite(w, http.StatusBadGateway, "seite_meldung", meldung{"Fehler", "Ihre Abos können gerade nicht geladen werden."})
		return
	}
	v := abosView{}
	if id := r.URL.Query().Get("gekuendigt"); id != "" {
		v.Hinweis = "Ihr Abo " + id + " ist gekündigt."
	}
	for _, sub := range subs {
		v.Abos = append(v.Abos, aboZeile{sub.ID, sub.State, datum(sub.NextInvoiceDate), aktiv(sub.State)})
	}
	s.seite(w, http.StatusOK, "seite_abos", v)
}

func aktiv(state string) bool {
	return state == "active" || state == "activeFree" || state == "activePendingInvoice"
}

func (s *Server) eigenesAbo(ctx context.Context, w http.ResponseWriter, id string, k sitzung) (drSubscription, bool) {
	sub, err := s.dr.subscription(ctx, id)
	if err != nil || sub.CustomerID != k.CustomerID {
		s.seite(w, http.StatusNotFound, "seite_meldung", meldung{"Abo nicht gefunden", "Zu Ihrem Konto gehört kein Abo " + id + "."})
		return sub, false
	}
	return sub, true
}

func (s *Server) kuendigenSeite(w http.ResponseWriter, r *http.Request, k sitzung) {
	sub, ok := s.eigenesAbo(r.Context(), w, r.PathValue("id"), k)
	if !ok {
		return
	}
	s.seite(w, http.StatusOK, "seite_kuendigen", sub)
}

func (s *Server) kuendigen(w http.ResponseWriter, r *http.Request, k sitzung) {
	ctx := context.WithoutCancel(r.Context())
	sub, ok := s.eigenesAbo(ctx, w, r.PathValue("id"), k)
	if !ok {
		return
	}
	if !aktiv(sub.State) {
		s.seite(w, http.StatusConflict, "seite_meldung", meldung{"Nicht möglich", "Ihr Abo " + sub.ID + " ist nicht aktiv."})
		return
	}
	if s.has(DefectSubscriptionCancelNoop) {
		s.log.Warn("DEFECT subscription-cancel-noop", "subscription", sub.ID)
	} else if err := s.dr.updateSubscription(ctx, sub.ID, map[string]any{"state": "cancelled"}); err != nil {
		s.log.Error("cancel subscription: DR", "subscription", sub.ID, "err", err)
		s.seite(w, http.StatusBadGateway, "seite_meldung", meldung{"Fehler", "Die Kündigung ist gerade nicht möglich."})
		return
	}
	http.Redirect(w, r, "/konto/abos?gekuendigt="+url.QueryEscape(sub.ID), http.StatusSeeOther)
}
