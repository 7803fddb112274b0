package mailbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gorilla/websocket"
	"github.com/mailhog/data"
)

const (
	// readTimeout drops a silent websocket. MailHog pings every 54 s.
	readTimeout = 2 * time.Minute
	// writeTimeout bounds control frames written to MailHog.
	writeTimeout = 10 * time.Second
	// subscriptionBuffer is how many pushed messages a waiter may lag behind
	// before it is told to search again instead.
	subscriptionBuffer = 64
	// maxReconnectDelay caps the back-off between failed websocket dials.
	maxReconnectDelay = time.Second
)

// subscription receives the messages pushed for one recipient while one
// Wait or Collect runs.
type subscription struct {
	to   string             // lower-case address
	msgs chan *data.Message // pushed messages to `to`
	// resync is signalled when pushes may have been lost (buffer overflow,
	// reconnect, undecodable push); the waiter then searches again.
	resync chan struct{}
	// needResync marks subscriptions that were active when the websocket
	// dropped; guarded by Client.mu.
	needResync bool
	// local is its registration with an in-process storage (Client.local).
	local *storeWatcher
}

func (s *subscription) signalResync() {
	select {
	case s.resync <- struct{}{}:
	default: // one pending signal is enough
	}
}

func (s *subscription) deliver(m *data.Message) {
	select {
	case s.msgs <- m:
	default:
		s.signalResync()
	}
}

// subscribe registers for pushes to `to` and returns once the websocket is
// registered with MailHog, so a search made afterwards plus the pushes that
// follow cover every message.
func (c *Client) subscribe(ctx context.Context, to string) (*subscription, error) {
	if c.urlErr != nil {
		return nil, c.urlErr
	}
	sub := &subscription{
		to:     to,
		msgs:   make(chan *data.Message, subscriptionBuffer),
		resync: make(chan struct{}, 1),
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, errClosed
	}
	if c.local != nil {
		c.mu.Unlock()
		// Registered at once: no websocket to wait for.
		sub.local = &storeWatcher{to: to, deliver: sub.deliver}
		c.local.watch(sub.local)
		return sub, nil
	}
	if !c.started {
		c.started = true
		c.wg.Add(1)
		go c.run()
	}
	c.subs[sub] = struct{}{}
	ready := c.ready
	c.mu.Unlock()

	select {
	case <-ready:
		return sub, nil
	case <-ctx.Done():
		c.unsubscribe(sub)
		return nil, fmt.Errorf("push channel %s not ready%s: %w", c.wsURL, c.connState(), ctx.Err())
	case <-c.ctx.Done():
		c.unsubscribe(sub)
		return nil, errClosed
	}
}

func (c *Client) unsubscribe(sub *subscription) {
	if sub.local != nil {
		c.local.unwatch(sub.local)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.subs, sub)
}

// connState describes the last websocket failure, if any, for error messages.
func (c *Client) connState() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.connErr == nil {
		return ""
	}
	return fmt.Sprintf(" (websocket: %v)", c.connErr)
}

// run keeps one websocket to MailHog open until the client is closed.
func (c *Client) run() {
	defer c.wg.Done()
	var delay time.Duration
	for {
		wasReady, err := c.session()
		if c.ctx.Err() != nil {
			return
		}
		c.disconnected(err)
		if wasReady {
			delay = 0 // it worked until now: reconnect at once
		} else {
			delay = min(max(2*delay, 20*time.Millisecond), maxReconnectDelay)
		}
		if delay > 0 {
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-c.ctx.Done():
				t.Stop()
				return
			}
		}
	}
}

// session dials the websocket, confirms MailHog registered it and fans the
// pushed messages out to subscriptions until the connection fails.
//
// MailHog's hub registers a connection only after the upgrade response has
// been sent, so a completed dial does not yet mean pushes arrive. Its read
// loop, which answers pings, starts after the registration; the first pong
// therefore proves that every message stored from now on will be pushed.
func (c *Client) session() (wasReady bool, err error) {
	conn, _, err := c.dialer.DialContext(c.ctx, c.wsURL, nil)
	if err != nil {
		return false, fmt.Errorf("dial %s: %w", c.wsURL, err)
	}
	defer conn.Close()
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return false, errClosed
	}
	c.conn = conn
	c.mu.Unlock()

	extend := func() { conn.SetReadDeadline(time.Now().Add(readTimeout)) }
	conn.SetPongHandler(func(string) error {
		extend()
		if !wasReady {
			wasReady = true
			c.markReady()
		}
		return nil
	})
	conn.SetPingHandler(func(appData string) error {
		extend()
		err := conn.WriteControl(websocket.PongMessage, []byte(appData), time.Now().Add(writeTimeout))
		if errors.Is(err, websocket.ErrCloseSent) {
			return nil
		}
		return err
	})
	extend()
	if err := conn.WriteControl(websocket.PingMessage, []byte("drsim-mailbox"), time.Now().Add(writeTimeout)); err != nil {
		return false, fmt.Errorf("ping %s: %w", c.wsURL, err)
	}
	for {
		_, r, err := conn.NextReader()
		if err != nil {
			return wasReady, fmt.Errorf("read %s: %w", c.wsURL, err)
		}
		extend()
		var m data.Message
		if err := json.NewDecoder(r).Decode(&m); err != nil {
			// The push is lost; let every waiter search instead.
			c.resyncAll()
			continue
		}
		c.dispatch(&m)
	}
}

func (c *Client) markReady() {
	c.mu.Lock()
	defer c.mu.Unlock()
	close(c.ready)
	c.connErr = nil
	for s := range c.subs {
		if s.needResync {
			s.needResync = false
			s.signalResync()
		}
	}
}

func (c *Client) disconnected(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.conn = nil
	c.connErr = err
	select {
	case <-c.ready:
		// Pushes are lost until the next connection is ready; subscriptions
		// active now search again then.
		c.ready = make(chan struct{})
		for s := range c.subs {
			s.needResync = true
		}
	default:
	}
}

func (c *Client) resyncAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for s := range c.subs {
		s.signalResync()
	}
}

func (c *Client) dispatch(m *data.Message) {
	rcpts := recipients(m)
	c.mu.Lock()
	defer c.mu.Unlock()
	for s := range c.subs {
		if rcpts[s.to] {
			s.deliver(m)
		}
	}
}
