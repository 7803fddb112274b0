// Package delivery sends recorded events to webhooks the way Digital River
// does: a signed POST of the full Event, success on any 2xx, failure on
// anything else (3xx included) or no answer within the timeout (docs/webhooks.md#webhook-delivery).
//
// Each webhook has its own queue drained by one worker goroutine, so a slow
// or failing webhook never holds up another, and first deliveries reach a
// webhook in the order they were recorded unless a fault says otherwise.
// While an attempt has been waiting for the merchant's answer longer than
// Spill, another worker takes the next job (up to MaxConcurrent at once):
// DR's callbacks "may run concurrently" (docs/webhooks.md#webhook-delivery),
// and a merchant that answers within DR's timeout but slowly must not see
// its events queue up behind each other until they are late.
//
// A failed automatic delivery is retried on a schedule of virtual delays
// (RetryPolicy; DefaultSchedule) scaled to wall time by RetryPolicy.Scale.
// A retry waits on a timer, not in the worker, so newer events go out while
// it waits (DR promises no order); when its time comes it goes ahead of the
// first deliveries still queued. Each retry is signed afresh (new timestamp,
// the secrets valid then) and carries the same event id.
//
// A webhook that keeps failing is disabled (DisablePolicy): its enabled
// becomes false through the account (state.WebhookSource) and its pending
// events are parked; PATCH enabled:true (state.Resumer) sends them again.
// Events recorded while the engine has a webhook disabled are parked too.
// Events are never dropped except when their retry budget is spent (then
// they are counted and listed per webhook, logged at warning level, and can
// be replayed) or their webhook is deleted.
//
// Every attempt is recorded and can be read back. Faults (forged signatures,
// failing statuses, timeouts, redirects, duplicates, latency, holds) are
// rules matched against each automatic attempt; they are how tests provoke
// what DR's sandbox cannot. API faults (apifaults.go) do the same for the
// merchant's own calls to the DR API.
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
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/drsim/drsim/simulator/client"
	"github.com/drsim/drsim/simulator/internal/state"
	"github.com/drsim/drsim/simulator/signature"
)

// The headers of every delivery; the slices are shared by all requests and
// never written.
var (
	contentTypeJSON = []string{"application/json"}
	userAgent       = []string{"drsim-webhooks/1"}
	signatureHeader = http.CanonicalHeaderKey(signature.Header)
)

// DefaultTimeout is DR's: no answer within 3 s is a failure.
const DefaultTimeout = 3 * time.Second

// Options configure an Engine.
type Options struct {
	Timeout time.Duration    // per attempt; DefaultTimeout when 0
	Client  *http.Client     // its Transport sends deliveries, with Timeout and no redirect or cookie jar; OAuth token requests go through it whole
	Logger  *slog.Logger     // nil discards
	Wall    func() time.Time // signature timestamps; time.Now when nil
	Retry   RetryPolicy      // DefaultSchedule in real time when zero
	Disable DisablePolicy    // DefaultDisableFailures and DefaultDisableFor when zero
	// MaxAttempts bounds the attempts kept per account (oldest dropped and
	// counted); the package's MaxAttempts when 0.
	MaxAttempts int
}

// Engine delivers events. It implements state.Publisher and state.Resumer.
type Engine struct {
	client  *http.Client
	log     *slog.Logger
	wall    func() time.Time
	timeout time.Duration
	retry   RetryPolicy
	delays  []string // retry.Schedule's delays as Attempt.RetryDelay writes them, formatted once
	disable DisablePolicy

	mu           sync.Mutex
	hooks        map[hookKey]*hook
	attempts     map[string]*attemptLog // by account id (attempts.go)
	keepAttempts int                    // per account (Options.MaxAttempts)
	tokens       tokens                 // OAuth access tokens of OAUTH webhooks (auth.go)
	faults       []*fault
	faultSeq     int           // numbers fault ids (faults.go)
	changed      chan struct{} // closed at the next change when someone waits (watchLocked); nil when nobody does
	seq          uint64
	closed       bool
	wg           sync.WaitGroup
	ctx          context.Context
	cancel       context.CancelFunc
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
	if c.Transport == nil {
		// Workers of many webhooks often call one merchant: keep their
		// connections alive rather than churning loopback ports.
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 64
		c.Transport = tr
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
	keep := o.MaxAttempts
	if keep <= 0 {
		keep = MaxAttempts
	}
	retry := o.Retry.normalized()
	retry.Schedule = slices.Clone(retry.Schedule)
	delays := make([]string, len(retry.Schedule))
	for i := range retry.Schedule {
		d, _ := retry.Delay(i + 1)
		delays[i] = d.String()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Engine{
		client: c, log: logger, wall: wall, timeout: timeout, keepAttempts: keep,
		retry: retry, delays: delays, disable: o.Disable.normalized(),
		hooks: map[hookKey]*hook{}, attempts: map[string]*attemptLog{},
		ctx: ctx, cancel: cancel,
	}
}

// Retry is the engine's retry policy, defaults filled in.
func (e *Engine) Retry() RetryPolicy {
	r := e.retry
	r.Schedule = slices.Clone(r.Schedule)
	return r
}

// Disable is the engine's disable policy, defaults filled in.
func (e *Engine) Disable() DisablePolicy { return e.disable }

type hookKey struct{ account, webhook string }

// hook is one webhook's delivery state. All fields are guarded by Engine.mu.
type hook struct {
	key      hookKey
	due      []*job // retries whose backoff ended, released holds, resumed parks: sent first
	fresh    []*job // first deliveries, in the order recorded
	workers  int    // workers draining due and fresh
	slow     int    // attempts in flight longer than Spill; each allows one more worker
	disabled bool   // by the failure policy, until ResumeWebhook
	gen      uint64 // bumped by ResumeWebhook
	parked   []*job // waiting for the webhook to be enabled again
	waiting  map[*job]struct{}
	failures int                 // consecutive failed automatic attempts
	gaveUp   int                 // events whose retry budget was spent
	giveUps  []GiveUp            // the latest maxGiveUps of them, oldest first
	signers  []*signature.Signer // free, keyed with the secrets of recent attempts (signerLocked)
}

// GiveUp is an event the engine stopped retrying: its retry budget was
// spent. It stays readable (GET /events/{id}) and can be sent again
// (POST /_sim/events/{id}/deliveries, POST /_sim/webhooks/{id}/replay).
type GiveUp = client.GiveUp

// maxGiveUps bounds the give-ups listed per webhook (all are counted).
const maxGiveUps = 1000

// job is one event on its way to one webhook.
type job struct {
	seq       uint64 // publish order
	accountID string
	event     *state.Event
	*payload               // shared by the event's jobs
	target    state.Target // as published; re-read from target.Source before each attempt
	attempts  int          // automatic attempts made (Engine.mu)
	failed    int          // failed attempts since the schedule (re)started (Engine.mu)
	timer     *time.Timer  // backoff (Engine.mu)
}

// payload is what the deliveries of one event send and match faults on.
// A recorded event brings its JSON, written once when it was recorded
// (state.Event.JSON); the ids faults match on are read only when a fault
// asks for them. Publish runs under the account's lock and only enqueues.
type payload struct {
	once sync.Once
	ev   *state.Event
	body []byte // the event as JSON; nil when it cannot be marshalled
	err  error  // why it cannot

	idsOnce  sync.Once
	objectID string // data.object.id, for fault matching
	orderID  string // data.object.orderId
}

func (p *payload) prepare(log *slog.Logger) {
	p.once.Do(func() {
		body, err := p.ev.JSON()
		if err != nil {
			p.err = err
			log.Error("cannot marshal event", "event", p.ev.ID, "err", err)
			return
		}
		p.body = body
	})
}

// ids reads data.object's id and orderId once, for faults that match on them.
func (p *payload) ids() (objectID, orderID string) {
	p.idsOnce.Do(func() {
		var obj struct {
			ID      string `json:"id"`
			OrderID string `json:"orderId"`
		}
		_ = json.Unmarshal(p.ev.Data.Object, &obj) // an object without ids matches only id-less faults
		p.objectID, p.orderID = obj.ID, obj.OrderID
	})
	return p.objectID, p.orderID
}

func (e *Engine) hookLocked(accountID, webhookID string) *hook {
	k := hookKey{accountID, webhookID}
	h := e.hooks[k]
	if h == nil {
		h = &hook{key: k, waiting: map[*job]struct{}{}}
		e.hooks[k] = h
	}
	return h
}

// Spill is how long an attempt may wait for the merchant's answer before
// another worker starts on the webhook's next job; MaxConcurrent bounds the
// attempts in flight to one webhook.
const (
	Spill         = 250 * time.Millisecond
	MaxConcurrent = 8
)

// allowedLocked is how many workers h may have: one, and one more for each
// attempt in flight longer than Spill.
func (h *hook) allowedLocked() int { return min(1+h.slow, MaxConcurrent) }

// kickLocked starts a worker for h when it has work and fewer workers run
// than it is allowed.
func (e *Engine) kickLocked(h *hook) {
	if e.closed || h.workers >= h.allowedLocked() || len(h.due)+len(h.fresh) == 0 {
		return
	}
	h.workers++
	e.wg.Add(1)
	go e.drain(h)
}

// signalLocked wakes whoever waits for a change (watchLocked).
func (e *Engine) signalLocked() {
	if e.changed != nil {
		close(e.changed)
		e.changed = nil
	}
}

// watchLocked is a channel closed at the next change: an attempt recorded,
// an event parked or held, a hold released. It is made when someone first
// waits, so a change nobody waits for costs no channel.
func (e *Engine) watchLocked() <-chan struct{} {
	if e.changed == nil {
		e.changed = make(chan struct{})
	}
	return e.changed
}

// Publish enqueues ev for each target. It never blocks on the network.
// A recorded event brings its JSON; others are marshalled once, by the
// first worker to send them.
func (e *Engine) Publish(accountID string, ev *state.Event, targets []state.Target) {
	p := &payload{ev: ev}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return
	}
	for _, t := range targets {
		h := e.hookLocked(accountID, t.WebhookID)
		e.seq++
		h.fresh = append(h.fresh, &job{seq: e.seq, accountID: accountID, event: ev, payload: p, target: t})
		e.kickLocked(h)
	}
}

// drain attempts h's jobs, due ones first, until none is left.
func (e *Engine) drain(h *hook) {
	defer e.wg.Done()
	for {
		e.mu.Lock()
		var j *job
		switch {
		case e.closed:
		case h.workers > h.allowedLocked():
			// the slow attempts that let this worker start have ended
		case len(h.due) > 0:
			j, h.due[0], h.due = h.due[0], nil, h.due[1:]
		case len(h.fresh) > 0:
			j, h.fresh[0], h.fresh = h.fresh[0], nil, h.fresh[1:]
		}
		if j == nil {
			h.workers--
			e.mu.Unlock()
			return
		}
		gen := h.gen
		e.mu.Unlock()
		e.process(h, j, gen)
	}
}

// process makes one automatic attempt of j, applying the first fault that
// matches, and decides what follows.
func (e *Engine) process(h *hook, j *job, gen uint64) {
	j.prepare(e.log)
	if j.body == nil {
		return // logged by prepare
	}
	t, enabled := j.target, true
	if src := j.target.Source; src != nil && !j.captured() {
		var err error
		t, enabled, err = src.CurrentTarget(j.target.WebhookID)
		if err != nil {
			e.log.Warn("webhook gone; event not delivered", "webhook", j.target.WebhookID, "event", j.event.ID, "err", err)
			return
		}
	}
	e.mu.Lock()
	if !enabled || h.disabled {
		e.parkLocked(h, j, gen)
		e.mu.Unlock()
		return
	}
	f := e.takeFaultLocked(h, j)
	var sg *signature.Signer
	if f == nil || (f.Forge == "" && !f.Hold) {
		sg = h.signerLocked(t.Secrets)
	}
	e.mu.Unlock()
	if f != nil && f.Hold {
		return // takeFaultLocked kept j with the fault until it is released
	}
	if f != nil && f.latency > 0 {
		e.pause(f.latency)
	}
	var dup *Attempt
	var wg sync.WaitGroup
	if f != nil && f.Duplicate {
		wg.Go(func() {
			a := e.send(e.ctx, j, t, f, nil) // sg is the worker's
			a.Duplicate = true
			dup = &a
		})
	}
	a := e.sendSpilling(h, j, t, f, sg)
	wg.Wait()
	e.finish(h, j, a, dup, sg)
}

// sendSpilling is send, letting another worker start on h while the
// attempt waits for its answer longer than Spill.
func (e *Engine) sendSpilling(h *hook, j *job, t state.Target, f *fault, sg *signature.Signer) Attempt {
	var slow, done bool // Engine.mu
	timer := time.AfterFunc(Spill, func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		if !done {
			slow = true
			h.slow++
			e.kickLocked(h)
		}
	})
	a := e.send(e.ctx, j, t, f, sg)
	timer.Stop()
	e.mu.Lock()
	done = true
	if slow {
		h.slow--
	}
	e.mu.Unlock()
	return a
}

// captured reports whether j's first attempt can use the target captured
// at publish: the webhook was enabled then, has not changed since (its
// account's webhook version is the same), and signs with one secret (an
// old secret kept by a rotation expires on the account's clock).
func (j *job) captured() bool {
	t := j.target
	return j.attempts == 0 && t.Enabled && len(t.Secrets) == 1 && t.Source.WebhookVersion() == t.Version
}

// signerLocked is a Signer for secrets from h's free list, or a new one.
// finish gives it back. Caller holds Engine.mu.
func (h *hook) signerLocked(secrets []string) *signature.Signer {
	for i, sg := range h.signers {
		if slices.Equal(sg.Secrets(), secrets) {
			h.signers = slices.Delete(h.signers, i, i+1)
			return sg
		}
	}
	if len(secrets) == 0 {
		return nil // send reports it
	}
	return signature.NewSigner(secrets...)
}

// maxSigners bounds the signers a webhook keeps between attempts.
const maxSigners = 2

// parkLocked keeps j until its webhook is enabled again, unless it was
// resumed since the worker took j (then j goes back in the queue).
func (e *Engine) parkLocked(h *hook, j *job, gen uint64) {
	if gen != h.gen && !h.disabled {
		h.due = append(h.due, j)
		e.kickLocked(h)
		return
	}
	h.parked = append(h.parked, j)
	e.signalLocked()
}

// finish counts an attempt's outcome, schedules the retry, parks or gives
// up, disables the webhook when the policy says so, and records the attempt.
func (e *Engine) finish(h *hook, j *job, a Attempt, dup *Attempt, sg *signature.Signer) {
	e.mu.Lock()
	if sg != nil && len(h.signers) < maxSigners {
		h.signers = append(h.signers, sg)
	}
	j.attempts++
	a.Attempt = j.attempts
	if dup != nil {
		dup.Attempt = j.attempts
	}
	var reason string
	if a.Delivered || (dup != nil && dup.Delivered) {
		h.failures = 0
	} else {
		h.failures++
		j.failed++
		age := e.retry.Age(j.failed)
		switch {
		case e.closed: // no retry: the engine is stopping
		case !h.disabled && e.disable.Trips(h.failures, age):
			h.disabled = true
			reason = fmt.Sprintf("%d consecutive failed deliveries; event %s failing for %s (policy: %s)", h.failures, j.event.ID, age, e.disable)
			a.DisabledWebhook = true
			fallthrough
		case h.disabled:
			a.Parked = true
			e.parkWaitingLocked(h)
			h.parked = append(h.parked, j)
		default:
			if d, ok := e.retry.Delay(j.failed); ok {
				wait := e.retry.Wall(d)
				next := a.Time.Add(wait)
				a.NextRetryAt, a.RetryDelay = &next, e.delays[j.failed-1]
				e.scheduleLocked(h, j, wait)
			} else {
				a.GaveUp = true
				h.gaveUp++
				h.giveUps = append(h.giveUps, GiveUp{EventID: j.event.ID, EventType: j.event.Type, Attempts: j.attempts, Time: a.Time})
				if len(h.giveUps) > maxGiveUps {
					h.giveUps = slices.Delete(h.giveUps, 0, len(h.giveUps)-maxGiveUps)
				}
			}
		}
	}
	e.mu.Unlock()
	if a.GaveUp {
		e.log.Warn("webhook delivery given up: retry budget spent; the event is listed in GET /_sim/webhooks/{id}/delivery and can be replayed",
			"account", h.key.account, "webhook", h.key.webhook, "event", j.event.ID, "type", j.event.Type, "attempts", j.attempts)
	}
	if reason != "" {
		e.log.Warn("webhook disabled", "account", h.key.account, "webhook", h.key.webhook, "reason", reason)
		if j.target.Source != nil {
			// Before the attempt is recorded, so whoever sees the attempt
			// also sees enabled:false.
			if err := j.target.Source.DisableWebhook(h.key.webhook, reason); err != nil {
				e.log.Warn("cannot disable webhook", "webhook", h.key.webhook, "err", err)
			}
		}
	}
	e.store(j.accountID, a)
	if dup != nil {
		e.store(j.accountID, *dup)
	}
}

// scheduleLocked retries j after wait of wall time.
func (e *Engine) scheduleLocked(h *hook, j *job, wait time.Duration) {
	h.waiting[j] = struct{}{}
	j.timer = time.AfterFunc(wait, func() { e.due(h, j) })
}

// due moves j, whose backoff ended, to the front of its webhook's work.
func (e *Engine) due(h *hook, j *job) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := h.waiting[j]; !ok || e.closed {
		return // retried early, parked, or the engine closed
	}
	delete(h.waiting, j)
	j.timer = nil
	if h.disabled {
		h.parked = append(h.parked, j)
		e.signalLocked()
		return
	}
	h.due = append(h.due, j)
	e.kickLocked(h)
}

// parkWaitingLocked parks every job of h waiting for its backoff.
func (e *Engine) parkWaitingLocked(h *hook) {
	for _, j := range sortedWaiting(h) {
		j.timer.Stop()
		j.timer = nil
		delete(h.waiting, j)
		h.parked = append(h.parked, j)
	}
}

func sortedWaiting(h *hook) []*job {
	out := make([]*job, 0, len(h.waiting))
	for j := range h.waiting {
		out = append(out, j)
	}
	slices.SortFunc(out, func(a, b *job) int { return compareSeq(a.seq, b.seq) })
	return out
}

func compareSeq(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ResumeWebhook sends again, at once and oldest first, the events parked
// while the webhook was disabled, each with a fresh retry schedule, and
// clears the engine's disabled mark and failure count. The state calls it
// when PATCH /webhooks/{id} sets enabled:true; it only enqueues.
func (e *Engine) ResumeWebhook(accountID, webhookID string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	h := e.hooks[hookKey{accountID, webhookID}]
	if h == nil {
		return
	}
	h.gen++
	h.disabled = false
	h.failures = 0
	parked := h.parked
	h.parked = nil
	slices.SortFunc(parked, func(a, b *job) int { return compareSeq(a.seq, b.seq) })
	for _, j := range parked {
		j.failed = 0
	}
	h.due = append(h.due, parked...)
	e.kickLocked(h)
}

// RetryNow ends the backoff of every event waiting to be retried for an
// account (one webhook when webhookID is not empty) and returns how many
// there were. Parked events stay parked.
func (e *Engine) RetryNow(accountID, webhookID string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for k, h := range e.hooks {
		if k.account != accountID || (webhookID != "" && k.webhook != webhookID) {
			continue
		}
		for _, j := range sortedWaiting(h) {
			j.timer.Stop()
			j.timer = nil
			delete(h.waiting, j)
			n++
			if h.disabled {
				h.parked = append(h.parked, j)
				continue
			}
			h.due = append(h.due, j)
		}
		e.kickLocked(h)
	}
	return n
}

// HookStatus is the engine's view of one webhook.
type HookStatus struct {
	Queued              int      `json:"queued"`              // to be attempted now
	WaitingRetry        int      `json:"waitingRetry"`        // in backoff
	Parked              int      `json:"parked"`              // waiting for the webhook to be enabled
	Held                int      `json:"held"`                // held by hold faults
	ConsecutiveFailures int      `json:"consecutiveFailures"` // automatic attempts since the last success
	DisabledByPolicy    bool     `json:"disabledByPolicy"`    // the failure policy disabled it and it was not re-enabled since
	GaveUp              int      `json:"gaveUp"`              // events given up (retry budget spent)
	GiveUps             []GiveUp `json:"giveUps"`             // the latest of them (at most 1000), oldest first
}

// Status returns the engine's view of one webhook of an account.
func (e *Engine) Status(accountID, webhookID string) HookStatus {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.statusLocked(accountID, webhookID)
}

// WaitStatus waits until the engine's view of a webhook satisfies cond, or
// ctx ends; it returns the last status seen either way. The view changes
// when an attempt is recorded, an event is parked or held, or a hold is
// released.
func (e *Engine) WaitStatus(ctx context.Context, accountID, webhookID string, cond func(HookStatus) bool) (HookStatus, error) {
	for {
		e.mu.Lock()
		s := e.statusLocked(accountID, webhookID)
		changed := e.watchLocked()
		e.mu.Unlock()
		if cond(s) {
			return s, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return s, fmt.Errorf("webhook %s: delivery status %+v never met the condition: %w", webhookID, s, ctx.Err())
		}
	}
}

func (e *Engine) statusLocked(accountID, webhookID string) HookStatus {
	var s HookStatus
	for _, f := range e.faults {
		if f.accountID != accountID {
			continue
		}
		for _, j := range f.held {
			if j.target.WebhookID == webhookID {
				s.Held++
			}
		}
	}
	h := e.hooks[hookKey{accountID, webhookID}]
	if h == nil {
		return s
	}
	s.Queued = len(h.due) + len(h.fresh)
	s.WaitingRetry = len(h.waiting)
	s.Parked = len(h.parked)
	s.ConsecutiveFailures = h.failures
	s.DisabledByPolicy = h.disabled
	s.GaveUp = h.gaveUp
	s.GiveUps = slices.Clone(h.giveUps)
	return s
}

// GiveUps counts, per webhook of an account, the events given up.
func (e *Engine) GiveUps(accountID string) map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := map[string]int{}
	for k, h := range e.hooks {
		if k.account == accountID && h.gaveUp > 0 {
			out[k.webhook] = h.gaveUp
		}
	}
	return out
}

// PolicyDisabled reports whether the failure policy disabled the webhook
// and no ResumeWebhook followed (state.PolicyDisabler).
func (e *Engine) PolicyDisabled(accountID, webhookID string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	h := e.hooks[hookKey{accountID, webhookID}]
	return h != nil && h.disabled
}

// pause waits d of wall time, or until the engine closes.
func (e *Engine) pause(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-e.ctx.Done():
	}
}

// Deliver sends ev to target now, synchronously, applying forge (may be
// empty), and returns the recorded attempt. It is the control API's
// redelivery; it bypasses the queue, the fault rules and the retries.
func (e *Engine) Deliver(ctx context.Context, accountID string, ev *state.Event, target state.Target, forge Forgery) (Attempt, error) {
	if err := forge.Validate(); err != nil {
		return Attempt{}, err
	}
	p := &payload{ev: ev}
	p.prepare(e.log)
	if p.err != nil {
		return Attempt{}, fmt.Errorf("marshal event %s: %w", ev.ID, p.err)
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
	a := e.send(ctx, &job{accountID: accountID, event: ev, payload: p, target: target}, target, &fault{Fault: Fault{Forge: string(forge)}}, nil)
	a.Attempt, a.Manual = 1, true
	return e.store(accountID, a), nil
}

// send makes one HTTP delivery of j to t under fault f (may be nil) and
// returns the attempt, not yet recorded. An unforged delivery is signed
// with sg when not nil (keyed with t's secrets; one goroutine at a time).
func (e *Engine) send(ctx context.Context, j *job, t state.Target, f *fault, sg *signature.Signer) Attempt {
	now := e.wall()
	forge := ForgeNone
	if f != nil {
		forge = Forgery(f.Forge)
	}
	body, sig := forge.apply(j.body, now, t.Secrets, sg)
	a := Attempt{
		EventID: j.event.ID, EventType: j.event.Type, WebhookID: t.WebhookID, Address: t.Address,
		Time: now.UTC(), Signature: sig, Forged: string(forge),
	}
	if f != nil {
		a.Fault = f.ID
		switch {
		case f.Status != 0:
			a.Status = f.Status
			a.Error = fmt.Sprintf("fault %s injected: answered %d without calling the merchant", f.ID, f.Status)
			return a
		case f.Redirect:
			a.Status = http.StatusFound
			a.Error = fmt.Sprintf("fault %s injected: answered 302 (a redirect, which DR counts as a failure) without calling the merchant", f.ID)
			return a
		}
	}
	timed, cancel := context.WithTimeout(ctx, e.timeout) // until the answer is read
	defer cancel()
	req, err := http.NewRequestWithContext(timed, http.MethodPost, t.Address, bytes.NewReader(body))
	if err != nil {
		a.Error = fmt.Sprintf("build request: %v", err)
		return a
	}
	req.Header["Content-Type"] = contentTypeJSON // shared, never written: set directly, not copied per request
	req.Header["User-Agent"] = userAgent
	if sig != "" {
		req.Header[signatureHeader] = []string{sig}
	}
	if err := e.authorize(ctx, req, t); err != nil {
		a.Error = err.Error()
		return a
	}
	start := time.Now()
	resp, err := e.roundTrip(req)
	a.LatencyMS = float64(time.Since(start).Microseconds()) / 1000
	if err != nil {
		a.Error = err.Error()
	} else {
		excerpt := excerpts.Get().(*[excerptSize]byte)
		n, _ := io.ReadFull(resp.Body, excerpt[:])
		a.ResponseExcerpt = string(excerpt[:n])
		excerpts.Put(excerpt)
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
		_ = resp.Body.Close()
		a.Status = resp.StatusCode
		a.Delivered = resp.StatusCode >= 200 && resp.StatusCode < 300
		if resp.StatusCode == http.StatusUnauthorized && t.OAuth != nil {
			e.dropToken(t.OAuth) // the next attempt gets a new token
		}
	}
	if f != nil && f.Timeout {
		seen := fmt.Sprintf("it answered %d", a.Status)
		if err != nil {
			seen = "the call failed: " + err.Error()
		}
		a.Status, a.Delivered = 0, false
		a.Error = fmt.Sprintf("fault %s injected: timeout: the merchant was called (%s) but its answer counts as not arriving within %s", f.ID, seen, e.timeout)
	}
	return a
}

// excerptSize is how much of the merchant's answer an attempt keeps.
const excerptSize = 512

// excerpts are the buffers send reads an answer's excerpt into (an array
// on send's stack would escape to the heap through resp.Body).
var excerpts = sync.Pool{New: func() any { return new([excerptSize]byte) }}

// roundTrip sends one delivery: a single request with no redirect followed
// (DR counts a 3xx as a failure, so its answer is the attempt's), whose
// context carries the engine's timeout. It calls the client's transport
// itself rather than http.Client.Do, which for each request copies its
// headers and URL to follow redirects the engine refuses. Its errors read
// as Do's do (Post "address": …).
func (e *Engine) roundTrip(req *http.Request) (*http.Response, error) {
	if u := req.URL.User; u != nil && req.Header.Get("Authorization") == "" {
		password, _ := u.Password() // as http.Client sends a URL's user and password
		req.SetBasicAuth(u.Username(), password)
	}
	resp, err := e.client.Transport.RoundTrip(req)
	if err != nil {
		if errors.Is(req.Context().Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("no answer within %s (DR's delivery timeout): %w", e.timeout, err)
		}
		return nil, &url.Error{Op: "Post", URL: req.URL.Redacted(), Err: err}
	}
	return resp, nil
}

func (e *Engine) store(accountID string, a Attempt) Attempt {
	e.mu.Lock()
	defer e.mu.Unlock()
	a = e.attemptLogLocked(accountID).add(a, e.keepAttempts)
	e.signalLocked()
	if e.log.Enabled(context.Background(), slog.LevelDebug) { // the arguments cost allocations even when discarded
		e.log.Debug("webhook delivery", "event", a.EventID, "type", a.EventType, "webhook", a.WebhookID, "attempt", a.Attempt,
			"status", a.Status, "delivered", a.Delivered, "forged", a.Forged, "fault", a.Fault, "err", a.Error)
	}
	return a
}

// Close stops taking events, stops the retry timers, cancels in-flight
// attempts and waits for the workers. Events still queued, waiting, parked
// or held are dropped.
func (e *Engine) Close() {
	e.mu.Lock()
	e.closed = true
	for _, h := range e.hooks {
		for j := range h.waiting {
			j.timer.Stop()
		}
	}
	e.mu.Unlock()
	e.cancel()
	e.wg.Wait()
	e.client.CloseIdleConnections()
}
