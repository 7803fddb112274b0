package othermerchant

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"
)

// ereignis is a DR event as the shop reads it.
type ereignis struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	CreatedTime string `json:"createdTime"`
	Data        struct {
		Object             json.RawMessage `json:"object"`
		PreviousAttributes json.RawMessage `json:"previousAttributes"`
	} `json:"data"`
}

// aufgabe is what an event asks the shop to do, after the webhook answered.
type aufgabe func(ctx context.Context, e ereignis) error

// handlers maps the event types the shop acts on to their work.
func (s *Server) handlers() map[string]aufgabe {
	return map[string]aufgabe{
		"order.accepted":              s.bestellungAngenommen,
		"fulfillment.created":         s.lieferungErstellt,
		"order.cancelled":             s.bestellungStorniert,
		"order.refunded":              s.bestellungErstattet,
		"order.invoice.created":       s.rechnungErstellt,
		"order.credit_memo.created":   s.gutschriftErstellt,
		"subscription.reminder":       s.aboErinnerung,
		"subscription.extended":       s.aboVerlaengert,
		"subscription.updated":        s.aboGeaendert,
		"subscription.payment_failed": s.aboZahlungFehlgeschlagen,
		"subscription.failed":         s.aboBeendet,
	}
}

// webhook is POST /dr/ereignisse: verify, claim the event id, queue the
// work, answer 200. Everything slow happens in the pool.
func (s *Server) webhook(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		http.Error(w, "zu groß", http.StatusRequestEntityTooLarge)
		return
	}
	sig := r.Header.Get("DigitalRiver-Signature")
	secret := s.cfg.SigningSecret
	if s.has(DefectWrongSigningSecret) {
		secret += "-alt"
	}
	if err := checkSignature(sig, body, secret, time.Now()); err != nil {
		if !(errors.Is(err, errNoSignature) && s.has(DefectUnsignedWebhooks)) {
			s.log.Warn("webhook: signature refused", "err", err)
			http.Error(w, "Signatur ungültig", http.StatusUnauthorized)
			return
		}
		s.log.Warn("webhook: DEFECT accept-unsigned-webhooks: unsigned delivery accepted")
	}
	var e ereignis
	if err := json.Unmarshal(body, &e); err != nil || e.ID == "" || e.Type == "" {
		http.Error(w, "kein Ereignis", http.StatusBadRequest)
		return
	}
	h, ok := s.aufgaben[e.Type]
	if !ok {
		w.WriteHeader(http.StatusOK)
		return
	}
	s.mu.Lock()
	dup := s.seen[e.ID]
	s.seen[e.ID] = true
	s.mu.Unlock()
	if dup {
		s.log.Info("webhook: duplicate", "event", e.ID, "type", e.Type)
		w.WriteHeader(http.StatusOK)
		return
	}
	if !s.pool.add(func() { s.run(h, e) }) {
		s.forget(e.ID)
		http.Error(w, "wird beendet", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// run does an event's work, trying three times; when it still fails the
// event id is released, so a later delivery of it is handled afresh.
func (s *Server) run(h aufgabe, e ereignis) {
	var err error
	for versuch := range 3 {
		if versuch > 0 {
			time.Sleep(time.Duration(versuch) * 200 * time.Millisecond) // the shop's own backoff
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err = h(ctx, e)
		cancel()
		if err == nil {
			return
		}
		s.log.Warn("webhook: work failed", "event", e.ID, "type", e.Type, "try", versuch+1, "err", err)
	}
	s.log.Error("webhook: giving up", "event", e.ID, "type", e.Type, "err", err)
	s.forget(e.ID)
}

func (s *Server) forget(eventID string) {
	s.mu.Lock()
	delete(s.seen, eventID)
	s.mu.Unlock()
}

// einmal sends an email once per key (event id and kind): a retried job
// does not send again what already went out.
func (s *Server) einmal(ctx context.Context, key, to, vorlage string, view any) error {
	s.mu.Lock()
	if s.sent[key] {
		s.mu.Unlock()
		return nil
	}
	s.sent[key] = true
	s.mu.Unlock()
	if err := s.mail.send(ctx, to, vorlage, view); err != nil {
		s.mu.Lock()
		delete(s.sent, key)
		s.mu.Unlock()
		return err
	}
	s.log.Info("email sent", "to", to, "template", vorlage, "key", key)
	return nil
}
