package othermerchant

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"time"
)

// The warehouse API, /lager/, for staff tools; HTTP Basic auth.
//
//	POST /lager/bestellungen/{id}/versand       JSON {"positionen":[{"position":itemId,"menge":n}],
//	                                            "spediteur","sendungsnummer","verfolgungslink"} → DR fulfillment, 201
//	POST /lager/bestellungen/{id}/verzoegerung  form neues_datum=YYYY-MM-DD → delay notice (1st, then 2nd), 200
//	POST /lager/abos/{id}/tarif                 JSON {"tarif": planId} → the subscription's new plan at DR, 200

func (s *Server) lagerRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /lager/bestellungen/{id}/versand", s.lager(s.versenden))
	mux.HandleFunc("POST /lager/bestellungen/{id}/verzoegerung", s.lager(s.verzoegern))
	mux.HandleFunc("POST /lager/abos/{id}/tarif", s.lager(s.tarifWechseln))
}

func (s *Server) lager(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte(s.lagerAuth)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="Lager"`)
			jsonAntwort(w, http.StatusUnauthorized, map[string]string{"fehler": "nicht angemeldet"})
			return
		}
		h(w, r)
	}
}

func (s *Server) versenden(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Positionen      []position `json:"positionen"`
		Spediteur       string     `json:"spediteur"`
		Sendungsnummer  string     `json:"sendungsnummer"`
		Verfolgungslink string     `json:"verfolgungslink"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil || len(req.Positionen) == 0 {
		jsonAntwort(w, http.StatusBadRequest, map[string]string{"fehler": "Positionen fehlen"})
		return
	}
	f := drFulfillmentRequest{OrderID: r.PathValue("id"), TrackingCompany: req.Spediteur, TrackingNumber: req.Sendungsnummer, TrackingURL: req.Verfolgungslink}
	for _, p := range req.Positionen {
		f.Items = append(f.Items, drFulfillmentLine{ItemID: p.Position, Quantity: p.Menge})
	}
	if err := s.dr.fulfil(context.WithoutCancel(r.Context()), f); err != nil {
		s.log.Error("ship: DR", "order", f.OrderID, "err", err)
		jsonAntwort(w, http.StatusBadGateway, map[string]string{"fehler": err.Error()})
		return
	}
	jsonAntwort(w, http.StatusCreated, map[string]string{"status": "versandt"})
}

type verzoegerungView struct {
	Shop, Bestellung, Datum, StornoURL string
	Zweite                             bool
	Zeilen                             []zeile
}

// verzoegern emails a delay notice with the new date and the way to cancel:
// the first notice, then the second for every later delay.
func (s *Server) verzoegern(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		jsonAntwort(w, http.StatusBadRequest, map[string]string{"fehler": "ungültiges Formular"})
		return
	}
	neu, err := time.Parse("2006-01-02", r.PostForm.Get("neues_datum"))
	if err != nil {
		jsonAntwort(w, http.StatusBadRequest, map[string]string{"fehler": "neues_datum: JJJJ-MM-TT erwartet"})
		return
	}
	ctx := context.WithoutCancel(r.Context())
	o, err := s.dr.order(ctx, r.PathValue("id"))
	if err != nil {
		jsonAntwort(w, http.StatusBadGateway, map[string]string{"fehler": err.Error()})
		return
	}
	an, err := s.empfaenger(ctx, o.Email, o.CustomerID)
	if err != nil {
		jsonAntwort(w, http.StatusBadGateway, map[string]string{"fehler": err.Error()})
		return
	}
	s.mu.Lock()
	s.delays[o.ID]++
	n := s.delays[o.ID]
	s.mu.Unlock()
	v := verzoegerungView{Shop: shopName, Bestellung: o.ID, Datum: neu.Format("02.01.2006"), Zweite: n > 1,
		StornoURL: s.url + "/konto/bestellungen/" + esc(o.ID) + "/stornieren"}
	if s.has(DefectDelayLinksHome) {
		s.log.Warn("DEFECT delay-links-home", "order", o.ID)
		v.StornoURL = s.url + "/konto"
	}
	for _, it := range o.Items {
		if it.State != "cancelled" && it.State != "fulfilled" {
			v.Zeilen = append(v.Zeilen, zeile{Name: it.ProductDetails.Name, Menge: it.Quantity})
		}
	}
	if err := s.mail.send(ctx, an, "verzoegerung", v); err != nil {
		s.mu.Lock()
		s.delays[o.ID]--
		s.mu.Unlock()
		jsonAntwort(w, http.StatusInternalServerError, map[string]string{"fehler": err.Error()})
		return
	}
	jsonAntwort(w, http.StatusOK, map[string]int{"mitteilung": n})
}

func (s *Server) tarifWechseln(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Tarif string `json:"tarif"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil || req.Tarif == "" {
		jsonAntwort(w, http.StatusBadRequest, map[string]string{"fehler": "tarif fehlt"})
		return
	}
	id := r.PathValue("id")
	if s.has(DefectPlanChangeNoop) {
		s.log.Warn("DEFECT plan-change-noop", "subscription", id)
	} else if err := s.dr.updateSubscription(context.WithoutCancel(r.Context()), id, map[string]any{"planId": req.Tarif}); err != nil {
		s.log.Error("plan change: DR", "subscription", id, "err", err)
		jsonAntwort(w, http.StatusBadGateway, map[string]string{"fehler": err.Error()})
		return
	}
	jsonAntwort(w, http.StatusOK, map[string]string{"abo": id, "tarif": req.Tarif})
}
