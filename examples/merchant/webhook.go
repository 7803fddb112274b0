package merchant

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/drsim/drsim/simulator/signature"
)

// maxWebhookBody bounds the size of a webhook body we are willing to read.
const maxWebhookBody = 1 << 20

// event is a Digital River Event, as POSTed to the webhook endpoint. Its id
// stays the same on every retry and duplicate delivery.
type event struct {
	ID          string    `json:"id"`
	Type        string    `json:"type"`
	CreatedTime time.Time `json:"createdTime"`
	LiveMode    bool      `json:"liveMode"`
	Data        struct {
		// Object is decoded by the handler for the event type.
		Object json.RawMessage `json:"object"`
		// PreviousAttributes holds the old values of what an update
		// (subscription.updated) changed.
		PreviousAttributes json.RawMessage `json:"previousAttributes"`
	} `json:"data"`
}

// eventHandler reads one event's object and returns the work the event asks
// for, which runs after the webhook has answered (work.go); nil work means
// there is nothing to do (an update that needs no email, say). It must be
// quick and call nobody: it returns an error wrapping errBadPayload when the
// event can never be processed (answered 400).
type eventHandler func(ev event) (work, error)

// errBadPayload marks events whose content we cannot process.
var errBadPayload = errors.New("bad event payload")

// handleWebhook is POST /webhooks/digitalriver.
//
// The order of the steps matters: nothing is trusted, recorded or acted on
// before the signature has been checked against the exact bytes received.
// The answer comes as soon as the event is claimed and its work queued, well
// within DR's 3 s:
//
//	202  the first delivery of an event of a handled type: its work is
//	     queued (or there is none)
//	200  a duplicate of an event queued, being processed or done; or an
//	     event of a type not handled
//	400  the body or the event's object cannot be processed
//	401  the signature is missing, wrong or stale
//	413  the body is too large
//	503  the work queue is full; DR will retry
func (s *Server) handleWebhook(w http.ResponseWriter, r *http.Request) {
	arrived := time.Now()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}

	// 1. Authenticate: the signature covers the raw body and a timestamp.
	// (With the process-before-verify defect the check moves after the work
	// has been queued, just before a success is answered.)
	verify := func() error {
		if s.defects.has(DefectSkipSignatureCheck) {
			s.log.Warn("webhook: DEFECT skip-signature-check: signature not verified")
			return nil
		}
		tolerance := s.cfg.SignatureTolerance
		if s.defects.has(DefectAcceptStale) {
			tolerance = 100 * 365 * 24 * time.Hour
		}
		err := signature.Verify(r.Header.Get(signature.Header), body, s.cfg.SigningSecret, s.cfg.Now(), tolerance)
		if err != nil {
			s.log.Warn("webhook: rejected signature", "err", err, "remote", r.RemoteAddr)
			http.Error(w, "invalid signature", http.StatusUnauthorized)
		}
		return err
	}
	if !s.defects.has(DefectProcessBeforeCheck) {
		if verify() != nil {
			return
		}
	}
	answer := func(status int, text string) {
		if s.defects.has(DefectProcessBeforeCheck) && verify() != nil {
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		fmt.Fprintln(w, text)
	}

	// 2. Decode the envelope, and the object as the event's handler reads it.
	var ev event
	if err := json.Unmarshal(body, &ev); err != nil {
		s.log.Warn("webhook: malformed event", "err", err)
		http.Error(w, "malformed event", http.StatusBadRequest)
		return
	}
	if ev.ID == "" || ev.Type == "" {
		s.log.Warn("webhook: event without id or type", "id", ev.ID, "type", ev.Type)
		http.Error(w, "event id and type are required", http.StatusBadRequest)
		return
	}
	log := s.log.With("event", ev.ID, "type", ev.Type)

	// Types we don't handle are acknowledged, or DR would retry them and
	// eventually disable the webhook.
	handle, ok := s.handlers[ev.Type]
	if !ok {
		log.Debug("webhook: event type ignored")
		answer(http.StatusOK, "ignored")
		return
	}
	job, err := handle(ev)
	if err != nil {
		log.Error("webhook: cannot process event", "err", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if job == nil {
		job = func(context.Context) error { return nil }
	}

	// 3. Process each event once. DR delivers at least once, possibly
	// concurrently: claim the id before doing anything, so a duplicate that
	// arrives while the first delivery is still queued or being processed is
	// acknowledged without acting twice.
	if !s.events.claim(ev.ID) && !s.defects.has(DefectNoIdempotency) {
		log.Info("webhook: duplicate event acknowledged")
		answer(http.StatusOK, "duplicate")
		return
	}

	if s.defects.has(DefectSlowAck) {
		s.slowAck(w, r, arrived, ev, job, log, answer)
		return
	}

	// 4. Queue the work and answer. (A production merchant would record
	// the event in its database here, in the same transaction as the
	// claim, and have the workers read it from there.)
	if !s.work.submit(orderingKey(ev), func(pause func(time.Duration)) { s.process(ev, job, log, pause) }) {
		s.events.forget(ev.ID)
		log.Error("webhook: work queue full; DR will retry")
		w.Header().Set("Retry-After", "1")
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	log.Debug("webhook: event queued")
	answer(http.StatusAccepted, "accepted")
}

// slowAck is the slow-ack defect: the event is processed before the webhook
// answers, and the answer comes no sooner than Config.SlowAckDelay after the
// request arrived. When DR has given up first (the request is cancelled),
// nobody is answered.
func (s *Server) slowAck(w http.ResponseWriter, r *http.Request, arrived time.Time, ev event, job work, log *slog.Logger, answer func(int, string)) {
	log.Warn("webhook: DEFECT slow-ack: processing before answering", "delay", s.cfg.SlowAckDelay)
	s.work.begin()
	err := s.process(ev, job, log, sleep)
	s.work.done()

	t := time.NewTimer(time.Until(arrived.Add(s.cfg.SlowAckDelay)))
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
		log.Warn("webhook: DEFECT slow-ack: the sender gave up before the answer")
		return
	}
	switch {
	case err == nil:
		answer(http.StatusOK, "ok")
	case errors.Is(err, errBadPayload):
		http.Error(w, err.Error(), http.StatusBadRequest)
	default:
		http.Error(w, "processing failed", http.StatusInternalServerError)
	}
}

// eventLog records the ids of events queued, being processed or processed.
//
// It lives in memory: a production merchant keeps it in its database and
// records the id in the same transaction as the work the event causes.
type eventLog struct {
	mu  sync.Mutex
	ids map[string]struct{}
}

func newEventLog() *eventLog { return &eventLog{ids: map[string]struct{}{}} }

// claim records id and reports whether it was new.
func (l *eventLog) claim(id string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, seen := l.ids[id]; seen {
		return false
	}
	l.ids[id] = struct{}{}
	return true
}

// forget removes id, so the event can be processed again.
func (l *eventLog) forget(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.ids, id)
}
