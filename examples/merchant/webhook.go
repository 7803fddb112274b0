package merchant

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
	} `json:"data"`
}

// eventHandler processes one event. It returns an error wrapping
// errBadPayload when the event can never be processed (answered 400), any
// other error when a retry may succeed (answered 500).
type eventHandler func(ctx context.Context, ev event) error

// errBadPayload marks events whose content we cannot process.
var errBadPayload = errors.New("bad event payload")

// handleWebhook is POST /webhooks/digitalriver.
//
// The order of the steps matters: nothing is trusted, recorded or acted on
// before the signature has been checked against the exact bytes received.
func (s *Server) handleWebhook(w http.ResponseWriter, r *http.Request) {
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
	// (With the process-before-verify defect the check moves after the work.)
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

	// 2. Decode the envelope.
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

	// 3. Dispatch. Types we don't handle are acknowledged, or DR would retry
	// them and eventually disable the webhook.
	handle, ok := s.handlers[ev.Type]
	if !ok {
		log.Debug("webhook: event type ignored")
		fmt.Fprintln(w, "ignored")
		return
	}

	// 4. Process each event once. DR delivers at least once, possibly
	// concurrently: claim the id before doing anything, so a duplicate that
	// arrives while the first delivery is still being processed is
	// acknowledged without acting twice.
	if !s.events.claim(ev.ID) && !s.defects.has(DefectNoIdempotency) {
		log.Info("webhook: duplicate event acknowledged")
		fmt.Fprintln(w, "duplicate")
		return
	}
	// DR gives up on a delivery after 3 s, but an email half sent when that
	// happens should still be finished, so the handler is not cancelled with
	// the request.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 30*time.Second)
	defer cancel()
	if err := handle(ctx, ev); err != nil {
		// Forget the id so DR's retry of this event can succeed.
		s.events.forget(ev.ID)
		if errors.Is(err, errBadPayload) {
			log.Error("webhook: cannot process event", "err", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		log.Error("webhook: processing failed; DR will retry", "err", err)
		http.Error(w, "processing failed", http.StatusInternalServerError)
		return
	}
	if s.defects.has(DefectProcessBeforeCheck) && verify() != nil {
		return
	}
	log.Info("webhook: event processed")
	fmt.Fprintln(w, "ok")
}

// eventLog records the ids of events processed or being processed.
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
