// Package readdeadline gives a listener's connections read deadlines that
// one sweeper per listener enforces every tick, instead of a runtime timer
// armed for each deadline.
//
// With ReadHeaderTimeout, ReadTimeout and IdleTimeout set, net/http's server
// sets a connection's read deadline three times per request. Each future
// deadline arms a runtime timer, and a timer earlier than the one the network
// poller sleeps until wakes the poller: an eventfd write and read, an extra
// epoll return, often another thread woken. Measured with `strace -c` on the
// simulator at one connection (docs/performance.md), that is about 1.2 of
// its 7.6 system calls per request. The simulator's timeouts guard against
// slow clients over seconds and minutes; a quarter of a second more before a
// stalled client is cut off changes nothing a client can see, so this
// package records a future deadline in the connection and lets the sweeper
// apply it once it has passed. Deadlines in the past (net/http's way to
// interrupt a pending read) and clearing a deadline still take effect at
// once.
package readdeadline

import (
	"errors"
	"net"
	"sync"
	"time"
)

// Listener wraps a net.Listener; its connections' SetReadDeadline is coarse
// (enforced within one tick after it passes). Write deadlines are untouched.
type Listener struct {
	net.Listener
	tick time.Duration

	mu      sync.Mutex
	conns   map[*conn]struct{}
	closed  bool          // the listener is closed
	stop    chan struct{} // closed once closed and no connection is left
	stopped bool
}

// Listen wraps ln. Its sweeper runs every tick until the listener is closed
// and every connection it accepted is closed too.
func Listen(ln net.Listener, tick time.Duration) *Listener {
	l := &Listener{Listener: ln, tick: tick, conns: map[*conn]struct{}{}, stop: make(chan struct{})}
	go l.sweep()
	return l
}

// Accept wraps the next connection.
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	w := &conn{Conn: c, l: l}
	l.mu.Lock()
	l.conns[w] = struct{}{}
	l.mu.Unlock()
	return w, nil
}

// Close closes the listener; connections already accepted keep their
// deadlines until they are closed.
func (l *Listener) Close() error {
	err := l.Listener.Close()
	l.mu.Lock()
	l.closed = true
	l.stopIfDone()
	l.mu.Unlock()
	return err
}

// stopIfDone ends the sweeper when nothing is left to sweep. Caller holds l.mu.
func (l *Listener) stopIfDone() {
	if l.closed && len(l.conns) == 0 && !l.stopped {
		l.stopped = true
		close(l.stop)
	}
}

func (l *Listener) sweep() {
	t := time.NewTicker(l.tick)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case now := <-t.C:
			l.mu.Lock()
			for c := range l.conns {
				c.expire(now)
			}
			l.mu.Unlock()
		}
	}
}

// aLongTimeAgo is what the sweeper sets as the real deadline of a
// connection whose recorded deadline has passed: any past time makes a
// pending and every later Read fail with os.ErrDeadlineExceeded.
var aLongTimeAgo = time.Unix(1, 0)

type conn struct {
	net.Conn
	l *Listener

	mu    sync.Mutex
	due   time.Time // the recorded read deadline; zero for none
	armed bool      // the real read deadline is set (in the past)
	once  sync.Once
}

// SetReadDeadline records a future t for the sweeper; a past t is set at
// once, and a zero t clears both.
func (c *conn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !t.IsZero() && !t.After(time.Now()) {
		c.due, c.armed = time.Time{}, true
		return c.Conn.SetReadDeadline(t)
	}
	c.due = t
	if c.armed {
		c.armed = false
		return c.Conn.SetReadDeadline(time.Time{})
	}
	return nil
}

// SetDeadline is SetReadDeadline and the real SetWriteDeadline.
func (c *conn) SetDeadline(t time.Time) error {
	return errors.Join(c.SetReadDeadline(t), c.Conn.SetWriteDeadline(t))
}

// expire applies a recorded deadline that has passed.
func (c *conn) expire(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.due.IsZero() || now.Before(c.due) {
		return
	}
	c.due, c.armed = time.Time{}, true
	_ = c.Conn.SetReadDeadline(aLongTimeAgo)
}

// CloseWrite half-closes a TCP connection, as net/http does before closing
// one whose request body it did not read.
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.New("readdeadline: the connection cannot half-close")
}

// Close closes the connection and stops sweeping it.
func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.l.mu.Lock()
		delete(c.l.conns, c)
		c.l.stopIfDone()
		c.l.mu.Unlock()
	})
	return err
}
