// Package delivery sends recorded events to webhooks the way Digital River
// does: a signed POST of the full Event, success on any 2xx, failure on
// anything else (3xx included) or no answer within the timeout.
//
// Each webhook has its own FIFO queue drained by one worker, so one webhook's
// events arrive in the order they were recorded unless a fault says
// otherwise, and a slow webhook never holds up another. Every attempt is
// recorded and can be read back. Faults (forged signatures, failing statuses)
// are rules matched against each delivery; they are how tests provoke what
// DR's sandbox cannot.
package delivery

import (
	"bytes"
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
	"github.com/drsim/drsim/simulator/state"
)

// DefaultTimeout is DR's: no answer within 3 s is a failure.
const DefaultTimeout = 3 * time.Second

// Options configure an Engine.
type Options struct {
	Timeout time.Duration    // per attempt; DefaultTimeout when 0
	Client  *http.Client     // its Timeout and CheckRedirect are overridden
	Logger  *slog.Logger     // nil discards
	Wall    func() time.Time // signature timestamps; time.Now when nil
}

// Engine delivers events. It implements state.Publisher.
type Engine struct {
	client *http.Client
	log    *slog.Logger
	wall   func() time.Time

	mu       sync.Mutex
	queues   map[string]*queue    // by webhook id
	attempts map[string][]Attempt // by account id
	faults   []*Fault
	recorded chan struct{} // closed and replaced each time an attempt is recorded
	closed   bool
	wg       sync.WaitGroup
	ctx      context.Context
	cancel   context.CancelFunc
}

// New returns a running engine; Close stops it.
func New(o Options) *Engine {
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	c := &http.Client{}
	if o.Client != nil {
		cc := *o.Client
		c = &cc
	}
	c.Timeout = timeout
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	wall := o.Wall
	if wall == nil {
		wall = time.Now
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Engine{
		client: c, log: logger, wall: wall,
		queues: map[string]*queue{}, attempts: map[string][]Attempt{},
		recorded: make(chan struct{}),
		ctx:      ctx, cancel: cancel,
	}
}

type job struct {
	accountID string
	event     *state.Event
	body      []byte
	target    state.Target
}

type queue struct {
	jobs    []job
	running bool
}

// Publish enqueues ev for each target. It never blocks on the network.
func (e *Engine) Publish(accountID string, ev *state.Event, targets []state.Target) {
	body, err := json.Marshal(ev)
	if err != nil {
		e.log.Error("cannot marshal event", "event", ev.ID, "err", err)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return
	}
	for _, t := range targets {
		q := e.queues[t.WebhookID]
		if q == nil {
			q = &queue{}
			e.queues[t.WebhookID] = q
		}
		q.jobs = append(q.jobs, job{accountID: accountID, event: ev, body: body, target: t})
		if !q.running {
			q.running = true
			e.wg.Add(1)
			go e.drain(q)
		}
	}
}

// drain delivers a queue's jobs in order until it is empty.
func (e *Engine) drain(q *queue) {
	defer e.wg.Done()
	for {
		e.mu.Lock()
		if len(q.jobs) == 0 || e.closed {
			q.running = false
			e.mu.Unlock()
			return
		}
		j := q.jobs[0]
		q.jobs = q.jobs[1:]
		e.mu.Unlock()
		e.attempt(e.ctx, j, e.takeFault(j))
	}
}

// Deliver sends ev to target now, synchronously, applying forge (may be
// empty), and returns the recorded attempt. It is the control API's
// redelivery; it bypasses the queue and the fault rules.
func (e *Engine) Deliver(ctx context.Context, accountID string, ev *state.Event, target state.Target, forge Forgery) (Attempt, error) {
	if err := forge.Validate(); err != nil {
		return Attempt{}, err
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return Attempt{}, fmt.Errorf("marshal event %s: %w", ev.ID, err)
	}
	e.mu.Lock()
	closed := e.closed
	if !closed {
		e.wg.Add(1)
	}
	e.mu.Unlock()
	if closed {
		return Attempt{}, errors.New("delivery engine closed")
	}
	defer e.wg.Done()
	return e.attempt(ctx, job{accountID: accountID, event: ev, body: body, target: target}, &Fault{Forge: forge}), nil
}

// attempt makes one HTTP delivery and records it.
func (e *Engine) attempt(ctx context.Context, j job, f *Fault) Attempt {
	now := e.wall()
	body, sig := j.body, signature.Sign(j.body, now, j.target.Secrets...)
	forge := Forgery("")
	if f != nil {
		forge = f.Forge
		body, sig = forge.apply(j.body, now, j.target.Secrets)
	}
	a := Attempt{
		EventID: j.event.ID, EventType: j.event.Type, WebhookID: j.target.WebhookID, Address: j.target.Address,
		Time: now.UTC(), Signature: sig, Forged: string(forge),
	}
	if f != nil && f.Status != 0 {
		a.Status = f.Status
		a.Error = fmt.Sprintf("fault injected: answered %d without calling the merchant", f.Status)
		return e.store(j.accountID, a)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.target.Address, bytes.NewReader(body))
	if err != nil {
		a.Error = fmt.Sprintf("build request: %v", err)
		return e.store(j.accountID, a)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "drsim-webhooks/1")
	if sig != "" {
		req.Header.Set(signature.Header, sig)
	}
	start := time.Now()
	resp, err := e.client.Do(req)
	a.Latency = time.Since(start)
	if err != nil {
		a.Error = err.Error()
		return e.store(j.accountID, a)
	}
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_ = resp.Body.Close()
	a.Status = resp.StatusCode
	a.ResponseExcerpt = string(excerpt)
	a.Delivered = resp.StatusCode >= 200 && resp.StatusCode < 300
	return e.store(j.accountID, a)
}

func (e *Engine) store(accountID string, a Attempt) Attempt {
	e.mu.Lock()
	defer e.mu.Unlock()
	a.Seq = len(e.attempts[accountID]) + 1
	e.attempts[accountID] = append(e.attempts[accountID], a)
	close(e.recorded)
	e.recorded = make(chan struct{})
	e.log.Debug("webhook delivery", "event", a.EventID, "type", a.EventType, "webhook", a.WebhookID,
		"status", a.Status, "delivered", a.Delivered, "forged", a.Forged, "err", a.Error)
	return a
}

// Close stops taking events, cancels in-flight attempts and waits for the workers.
func (e *Engine) Close() {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	e.cancel()
	e.wg.Wait()
}
