package merchant

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// An event's work (its DR calls and emails) runs after the webhook has
// answered: DR gives up on a delivery after 3 s and counts it as failed, so
// the webhook only verifies, decodes and claims the event, queues its work
// and answers 202 (docs/webhooks.md#webhook-delivery: DR recommends 202 for asynchronous
// processing). The workers below do the rest.
//
// Since DR has had its 2xx, DR will not retry: work that fails is retried
// here, after each of Config.RetryBackoff. What becomes of the event id:
//
//   - success: the id stays claimed, so any later delivery is a duplicate;
//   - a payload that can never be processed (errBadPayload): the id stays
//     claimed too, since trying again cannot help;
//   - still failing after the last retry: the error is logged and the id is
//     released, so that a later delivery of the event (DR delivers at least
//     once; an operator can resend it from DR's Dashboard) is processed
//     afresh. The emails of an event that sends several are recorded one by
//     one (notifyOnce), so those already sent are not sent again.
//
// While the work is queued or retrying the id is claimed, and duplicates
// are acknowledged without acting twice. The events about one subscription
// or order are processed one at a time, in the order they arrived (see
// workPool); Server.Close waits for all queued work, retries included.

// work does what one event asks for. It returns an error wrapping
// errBadPayload when the event can never be processed, any other error
// when trying again may succeed.
type work func(ctx context.Context) error

// workTimeout bounds one attempt at an event's work.
const workTimeout = 30 * time.Second

// process runs job until it succeeds, fails for good, or has failed once
// more than there are retry delays, waiting each delay before a retry with
// pause (which lets other events run meanwhile). It releases the event id
// when it gives up on a failure that may pass (see above), and returns the
// last error.
func (s *Server) process(ev event, job work, log *slog.Logger, pause func(time.Duration)) error {
	for attempt := 0; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), workTimeout)
		err := job(ctx)
		cancel()
		switch {
		case err == nil:
			log.Info("webhook: event processed", "attempts", attempt+1)
			return nil
		case errors.Is(err, errBadPayload):
			log.Error("webhook: cannot process event", "err", err)
			return err
		case attempt >= len(s.cfg.RetryBackoff):
			log.Error("webhook: processing failed; giving up", "attempts", attempt+1, "err", err)
			s.events.forget(ev.ID)
			return err
		}
		delay := max(0, s.cfg.RetryBackoff[attempt])
		log.Warn("webhook: processing failed; will retry", "attempt", attempt+1, "retryIn", delay, "err", err)
		pause(delay)
	}
}

// sleep waits d; it is the pause of work that runs outside the pool.
func sleep(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	<-t.C
}

// orderingKey is what an event is about, for the work pool: its
// subscription (subscription.* events), else its order (fulfillments,
// invoices and credit memos name it orderId; order.* events are orders),
// else its object, else the event itself.
func orderingKey(ev event) string {
	var about struct {
		ID           string `json:"id"`
		OrderID      string `json:"orderId"`
		Subscription struct {
			ID string `json:"id"`
		} `json:"subscription"`
	}
	_ = json.Unmarshal(ev.Data.Object, &about) // the handler has read it already
	return cmp.Or(about.Subscription.ID, about.OrderID, about.ID, ev.ID)
}

// workPool runs queued jobs, at most `workers` at a time. Jobs with the
// same key run one after the other in the order they were submitted: the
// emails about one subscription or order go out in the order DR sent its
// events (DR promises no order, but a merchant should not add disorder of
// its own). Jobs with different keys run in parallel, and a job waiting to
// retry (pause) gives its turn to others, so one failing event never holds
// back events about anything else.
type workPool struct {
	slots   chan struct{} // one token per running job
	limit   int           // most jobs queued and not yet begun
	sleep   func(time.Duration)
	workers sync.WaitGroup

	mu     sync.Mutex
	closed bool
	keys   map[string][]func(pause func(time.Duration)) // queued jobs by key; present while the key's runner lives
	queued int                                          // jobs submitted and not yet begun
	busy   int                                          // jobs submitted or begun and not yet done
	idle   chan struct{}                                // closed whenever busy is 0
}

// startWorkPool returns a pool that runs workers jobs at once and holds at
// most queueSize jobs waiting.
func startWorkPool(workers, queueSize int) *workPool {
	p := &workPool{
		slots: make(chan struct{}, max(1, workers)),
		limit: max(1, queueSize),
		sleep: sleep,
		keys:  map[string][]func(func(time.Duration)){},
		idle:  make(chan struct{}),
	}
	close(p.idle)
	return p
}

// submit queues job behind the earlier jobs of the same key and reports
// whether it was queued: not when the queue is full or the pool is closed.
// The job is given pause, which waits while letting other jobs run.
func (p *workPool) submit(key string, job func(pause func(time.Duration))) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.queued >= p.limit {
		return false
	}
	q, running := p.keys[key]
	p.keys[key] = append(q, job)
	p.queued++
	p.beginLocked()
	if !running {
		p.workers.Go(func() { p.run(key) })
	}
	return true
}

// run runs the jobs of key in order until none is left.
func (p *workPool) run(key string) {
	for {
		p.mu.Lock()
		q := p.keys[key]
		if len(q) == 0 {
			delete(p.keys, key)
			p.mu.Unlock()
			return
		}
		job := q[0]
		p.keys[key] = q[1:]
		p.mu.Unlock()

		p.slots <- struct{}{}
		p.mu.Lock()
		p.queued-- // begun: no longer waiting
		p.mu.Unlock()
		job(p.pause)
		<-p.slots
		p.done()
	}
}

// pause waits d without holding a slot, so other jobs run meanwhile.
func (p *workPool) pause(d time.Duration) {
	<-p.slots
	p.sleep(d)
	p.slots <- struct{}{}
}

// begin counts work done outside the pool (the slow-ack defect's) as busy
// until done is called.
func (p *workPool) begin() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.beginLocked()
}

func (p *workPool) beginLocked() {
	if p.busy == 0 {
		p.idle = make(chan struct{})
	}
	p.busy++
}

func (p *workPool) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.busy--
	if p.busy == 0 {
		close(p.idle)
	}
}

// wait blocks until no job is queued or running, or ctx ends.
func (p *workPool) wait(ctx context.Context) error {
	p.mu.Lock()
	idle := p.idle
	p.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close refuses new jobs, lets every queued one finish (retries
// included), and waits for them.
func (p *workPool) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.workers.Wait()
}
