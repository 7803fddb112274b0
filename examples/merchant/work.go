package merchant

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"
)

// An event's work (its DR calls and emails) runs after the webhook has
// answered: DR gives up on a delivery after 3 s and counts it as failed, so
// the webhook only verifies, decodes and claims the event, queues its work
// and answers 202 (contract §4: DR recommends 202 for asynchronous
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
// more than there are retry delays, waiting each delay before a retry. It
// releases the event id when it gives up on a failure that may pass (see
// above), and returns the last error.
func (s *Server) process(ev event, job work, log *slog.Logger) error {
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
		t := time.NewTimer(delay)
		<-t.C
	}
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

// workPool runs queued jobs on a fixed number of goroutines, each with its
// own bounded queue. Jobs with the same key always go to the same worker,
// so they run one after the other in the order they were submitted: the
// emails about one subscription or order go out in the order DR sent its
// events (DR promises no order, but a merchant should not add disorder of
// its own). Jobs with different keys run in parallel.
type workPool struct {
	queues  []chan func()
	workers sync.WaitGroup

	mu     sync.Mutex
	closed bool
	busy   int           // jobs submitted or begun and not yet done
	idle   chan struct{} // closed whenever busy is 0
}

// startWorkPool starts workers goroutines whose queues hold queueSize jobs
// in all.
func startWorkPool(workers, queueSize int) *workPool {
	p := &workPool{idle: make(chan struct{})}
	close(p.idle)
	perWorker := max(1, (queueSize+workers-1)/workers)
	for range workers {
		q := make(chan func(), perWorker)
		p.queues = append(p.queues, q)
		p.workers.Go(func() {
			for job := range q {
				job()
				p.done()
			}
		})
	}
	return p
}

// submit queues job behind the earlier jobs of the same key and reports
// whether it was queued: not when that queue is full or the pool is
// closed.
func (p *workPool) submit(key string, job func()) bool {
	h := fnv.New32a()
	h.Write([]byte(key))
	q := p.queues[h.Sum32()%uint32(len(p.queues))]
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	select {
	case q <- job:
		p.beginLocked() // before any worker can call done: it needs p.mu
		return true
	default:
		return false
	}
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

// close refuses new jobs, lets the workers finish every queued one, and
// waits for them.
func (p *workPool) close() {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		for _, q := range p.queues {
			close(q)
		}
	}
	p.mu.Unlock()
	p.workers.Wait()
}
