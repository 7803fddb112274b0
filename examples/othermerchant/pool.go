package othermerchant

import (
	"context"
	"math/rand/v2"
	"sync"
)

// pool runs webhook jobs on a fixed number of workers. DR promises no
// order, and neither does this shop: a free worker takes a random waiting
// job, not the oldest, so a burst of events (a year of renewals delivered
// within milliseconds) is handled, and emailed, in any order.
type pool struct {
	mu      sync.Mutex
	cond    *sync.Cond
	waiting []func()
	running int
	closed  bool
	wg      sync.WaitGroup
}

func newPool(workers int) *pool {
	p := &pool{}
	p.cond = sync.NewCond(&p.mu)
	for range workers {
		p.wg.Add(1)
		go p.work()
	}
	return p
}

// add queues a job; it reports false once the pool is closed.
func (p *pool) add(job func()) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.waiting = append(p.waiting, job)
	p.cond.Broadcast()
	return true
}

func (p *pool) work() {
	defer p.wg.Done()
	for {
		p.mu.Lock()
		for len(p.waiting) == 0 && !p.closed {
			p.cond.Wait()
		}
		if len(p.waiting) == 0 {
			p.mu.Unlock()
			return
		}
		i := rand.IntN(len(p.waiting))
		job := p.waiting[i]
		last := len(p.waiting) - 1
		p.waiting[i] = p.waiting[last]
		p.waiting[last] = nil
		p.waiting = p.waiting[:last]
		p.running++
		p.mu.Unlock()

		job()

		p.mu.Lock()
		p.running--
		p.cond.Broadcast()
		p.mu.Unlock()
	}
}

// idle waits until no job is waiting or running, or ctx ends.
func (p *pool) idle(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		p.mu.Lock()
		for len(p.waiting) > 0 || p.running > 0 {
			p.cond.Wait()
		}
		p.mu.Unlock()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		p.mu.Lock()
		p.cond.Broadcast()
		p.mu.Unlock()
		return ctx.Err()
	}
}

// close lets the workers finish what is queued, then stops them.
func (p *pool) close() {
	p.mu.Lock()
	p.closed = true
	p.cond.Broadcast()
	p.mu.Unlock()
	p.wg.Wait()
}
