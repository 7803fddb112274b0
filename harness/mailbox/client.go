package mailbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/mailhog/data"
)

// searchPageSize is the largest page MailHog's v2 search returns.
const searchPageSize = 250

var (
	errClosed     = errors.New("client closed")
	errWindowOver = errors.New("mailbox: collect window over")
)

// Client reads a MailHog, embedded or external, through its HTTP API and
// learns about new mail by push over one websocket shared by all waiters.
// It is safe for concurrent use.
type Client struct {
	base      *url.URL
	wsURL     string
	urlErr    error
	http      *http.Client
	dialer    *websocket.Dialer
	afterSync func() // test hook, called after each search in Wait and Collect
	// local, when set, is the in-process storage of an embedded MailHog
	// (Server.Client): searches and pushes come from it directly.
	local *lockedStorage

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	started bool // websocket goroutine running
	subs    map[*subscription]struct{}
	ready   chan struct{}   // closed while a registered websocket is up
	conn    *websocket.Conn // current websocket, if any
	connErr error           // why the last websocket failed
}

// Option configures a Client.
type Option func(*Client)

// NewClient returns a client for the MailHog API rooted at apiURL, such as
// Server.URL() or "http://localhost:8025". It connects lazily; an invalid URL
// is reported by the first call that needs it.
func NewClient(apiURL string, opts ...Option) *Client {
	ctx, cancel := context.WithCancel(context.Background())
	c := &Client{
		http: &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()},
		dialer: &websocket.Dialer{
			Proxy:            http.ProxyFromEnvironment,
			HandshakeTimeout: 10 * time.Second,
		},
		ctx:    ctx,
		cancel: cancel,
		subs:   make(map[*subscription]struct{}),
		ready:  make(chan struct{}),
	}
	c.base, c.urlErr = url.Parse(strings.TrimRight(apiURL, "/"))
	if c.urlErr == nil && c.base.Scheme != "http" && c.base.Scheme != "https" {
		c.urlErr = fmt.Errorf("scheme %q is not http or https", c.base.Scheme)
	}
	if c.urlErr != nil {
		c.urlErr = fmt.Errorf("mailbox: MailHog API URL %q: %w", apiURL, c.urlErr)
	} else {
		ws := c.base.JoinPath("api/v2/websocket")
		ws.Scheme = strings.Replace(ws.Scheme, "http", "ws", 1)
		c.wsURL = ws.String()
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Close stops the websocket and makes running and later waits fail.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	conn := c.conn
	c.mu.Unlock()

	c.cancel()
	if conn != nil {
		conn.Close() // unblocks the reader
	}
	c.wg.Wait()
	c.http.CloseIdleConnections()
	return nil
}

// Messages returns every stored message that has `to` among its recipients
// (envelope recipients and To/Cc addresses, compared case-insensitively),
// oldest first, decoded.
func (c *Client) Messages(ctx context.Context, to string) ([]*Message, error) {
	to = normalize(to)
	found, err := c.search(ctx, to)
	if err != nil {
		return nil, err
	}
	out := make([]*Message, 0, len(found))
	for _, dm := range found {
		m, err := decode(dm)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// Recent returns the newest n stored messages, whoever they were sent to,
// oldest first, decoded (messages that do not decode are left out). A
// failed check reads them to find an email sent to the wrong address.
func (c *Client) Recent(ctx context.Context, n int) ([]*Message, error) {
	var found []*data.Message
	if c.local != nil {
		msgs, err := c.local.List(0, n) // MailHog counts start from the newest
		if err != nil {
			return nil, fmt.Errorf("mailbox: list messages: %w", err)
		}
		for i := range *msgs {
			found = append(found, &(*msgs)[i])
		}
	} else {
		if c.urlErr != nil {
			return nil, c.urlErr
		}
		u := c.base.JoinPath("api/v2/messages")
		u.RawQuery = url.Values{"start": {"0"}, "limit": {strconv.Itoa(n)}}.Encode()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return nil, fmt.Errorf("mailbox: list messages: %w", err)
		}
		resp, err := c.http.Do(req)
		if err != nil {
			return nil, fmt.Errorf("mailbox: list messages: %w", err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("mailbox: GET %s: %s", u, resp.Status)
		}
		var page searchResult
		if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
			return nil, fmt.Errorf("mailbox: GET %s: decode answer: %w", u, err)
		}
		for i := range page.Items {
			found = append(found, &page.Items[i])
		}
	}
	slices.SortStableFunc(found, func(a, b *data.Message) int { return a.Created.Compare(b.Created) })
	out := make([]*Message, 0, len(found))
	for _, dm := range found {
		if m, err := decode(dm); err == nil {
			out = append(out, m)
		}
	}
	return out, nil
}

// Wait returns the first message to `to` for which match returns true (nil
// matches any), whether already stored or arriving later. describe says in
// words what is awaited; it is only used in the error returned when ctx ends
// first, which also lists the subjects of the messages to `to` that did
// arrive. That error wraps ctx.Err().
func (c *Client) Wait(ctx context.Context, to, describe string, match func(*Message) bool) (*Message, error) {
	to = normalize(to)
	started := time.Now()
	w, err := c.watch(ctx, to)
	if err != nil {
		return nil, fmt.Errorf("mailbox: no %s to %s after %s: %w",
			describeOrAny(describe), to, time.Since(started).Round(time.Millisecond), err)
	}
	defer w.close()
	fresh, err := w.sync(ctx)
	for {
		if err != nil {
			if ctx.Err() != nil {
				return nil, w.timeout(describe, started, ctx.Err())
			}
			return nil, fmt.Errorf("mailbox: waiting for %s to %s: %w", describeOrAny(describe), to, err)
		}
		for _, m := range fresh {
			if match == nil || match(m) {
				return m, nil
			}
		}
		fresh, err = w.next(ctx, nil)
	}
}

// Collect watches `to` for window and returns every message to it that
// matches (nil matches any), including those already stored, oldest first.
// It serves negative assertions ("no email", "exactly one"). The window
// starts once the push channel is ready and the stored mail is searched. If
// ctx ends first, Collect returns what it has with an error wrapping ctx.Err().
func (c *Client) Collect(ctx context.Context, to string, window time.Duration, match func(*Message) bool) ([]*Message, error) {
	to = normalize(to)
	w, err := c.watch(ctx, to)
	if err != nil {
		return nil, fmt.Errorf("mailbox: collecting mail to %s: %w", to, err)
	}
	defer w.close()
	var out []*Message
	keep := func(ms []*Message) {
		for _, m := range ms {
			if match == nil || match(m) {
				out = append(out, m)
			}
		}
	}
	fresh, err := w.sync(ctx)
	if err != nil {
		return nil, fmt.Errorf("mailbox: collecting mail to %s: %w", to, err)
	}
	keep(fresh)

	timer := time.NewTimer(window)
	defer timer.Stop()
	for {
		fresh, err := w.next(ctx, timer.C)
		switch {
		case errors.Is(err, errWindowOver):
			sortByCreated(out)
			return out, nil
		case err != nil:
			sortByCreated(out)
			return out, fmt.Errorf("mailbox: collecting mail to %s: %w", to, err)
		}
		keep(fresh)
	}
}

// DeleteAll deletes every message stored in the MailHog (DELETE /api/v1/messages).
// An embedded MailHog shares its storage with all embedded servers of the process.
func (c *Client) DeleteAll(ctx context.Context) error {
	if c.urlErr != nil {
		return c.urlErr
	}
	u := c.base.JoinPath("api/v1/messages").String()
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, u, nil)
	if err != nil {
		return fmt.Errorf("mailbox: delete all: %w", err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("mailbox: delete all: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("mailbox: DELETE %s: %s %s", u, resp.Status, bytes.TrimSpace(body))
	}
	return nil
}

// searchResult is MailHog's v2 search answer.
type searchResult struct {
	Total int            `json:"total"`
	Count int            `json:"count"`
	Start int            `json:"start"`
	Items []data.Message `json:"items"`
}

// search returns the stored messages to `to` (lower case), oldest first.
//
// MailHog's kind=to search matches substrings of envelope recipients and the
// To header, newest first; the results are filtered to exact recipients here.
func (c *Client) search(ctx context.Context, to string) ([]*data.Message, error) {
	if c.local != nil {
		found := c.local.to(to)
		slices.SortStableFunc(found, func(a, b *data.Message) int { return a.Created.Compare(b.Created) })
		return found, nil
	}
	if c.urlErr != nil {
		return nil, c.urlErr
	}
	seen := make(map[data.MessageID]bool)
	var found []*data.Message
	for start := 0; ; {
		page, err := c.searchPage(ctx, to, start)
		if err != nil {
			return nil, err
		}
		for i := range page.Items {
			dm := &page.Items[i]
			if !seen[dm.ID] && recipients(dm)[to] {
				seen[dm.ID] = true
				found = append(found, dm)
			}
		}
		start += len(page.Items)
		if len(page.Items) == 0 || start >= page.Total {
			break
		}
	}
	// Pages run newest first; reverse, then order by receipt time.
	slices.Reverse(found)
	slices.SortStableFunc(found, func(a, b *data.Message) int { return a.Created.Compare(b.Created) })
	return found, nil
}

func (c *Client) searchPage(ctx context.Context, to string, start int) (*searchResult, error) {
	u := c.base.JoinPath("api/v2/search")
	u.RawQuery = url.Values{
		"kind":  {"to"},
		"query": {to},
		"start": {strconv.Itoa(start)},
		"limit": {strconv.Itoa(searchPageSize)},
	}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("mailbox: search mail to %s: %w", to, err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("mailbox: search mail to %s: %w", to, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("mailbox: GET %s: %s %s", u, resp.Status, bytes.TrimSpace(body))
	}
	var page searchResult
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		return nil, fmt.Errorf("mailbox: GET %s: decode answer: %w", u, err)
	}
	return &page, nil
}

// watcher follows the messages to one recipient: the stored ones, then the
// pushed ones, each decoded and reported once.
type watcher struct {
	c    *Client
	to   string
	sub  *subscription
	seen map[data.MessageID]bool
	all  []*Message // every message to `to` seen, for error messages
}

func (c *Client) watch(ctx context.Context, to string) (*watcher, error) {
	sub, err := c.subscribe(ctx, to)
	if err != nil {
		return nil, err
	}
	return &watcher{c: c, to: to, sub: sub, seen: make(map[data.MessageID]bool)}, nil
}

func (w *watcher) close() { w.c.unsubscribe(w.sub) }

// sync searches the stored messages and returns those not seen before.
func (w *watcher) sync(ctx context.Context) ([]*Message, error) {
	found, err := w.c.search(ctx, w.to)
	if err != nil {
		return nil, err
	}
	if w.c.afterSync != nil {
		w.c.afterSync()
	}
	var fresh []*Message
	for _, dm := range found {
		m, err := w.add(dm)
		if err != nil {
			return nil, err
		}
		if m != nil {
			fresh = append(fresh, m)
		}
	}
	return fresh, nil
}

// add decodes dm unless it was seen before (then it returns nil).
func (w *watcher) add(dm *data.Message) (*Message, error) {
	if w.seen[dm.ID] {
		return nil, nil
	}
	m, err := decode(dm)
	if err != nil {
		return nil, err
	}
	w.seen[dm.ID] = true
	w.all = append(w.all, m)
	return m, nil
}

// next blocks until new messages arrive by push or a search after a lost
// push finds some, and returns them. It fails when ctx ends, the client is
// closed or stop (if not nil) fires, the latter with errWindowOver.
func (w *watcher) next(ctx context.Context, stop <-chan time.Time) ([]*Message, error) {
	for {
		select {
		case dm := <-w.sub.msgs:
			m, err := w.add(dm)
			if err != nil || m != nil {
				return []*Message{m}, err
			}
		case <-w.sub.resync:
			fresh, err := w.sync(ctx)
			if err != nil || len(fresh) > 0 {
				return fresh, err
			}
		case <-stop:
			return nil, errWindowOver
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-w.c.ctx.Done():
			return nil, errClosed
		}
	}
}

// timeout explains what Wait awaited and what arrived instead.
func (w *watcher) timeout(describe string, started time.Time, cause error) error {
	var saw string
	if len(w.all) == 0 {
		saw = "no message at all"
	} else {
		sortByCreated(w.all)
		subjects := make([]string, len(w.all))
		for i, m := range w.all {
			subjects[i] = strconv.Quote(m.Subject)
		}
		noun := "messages"
		if len(w.all) == 1 {
			noun = "message"
		}
		saw = fmt.Sprintf("%d other %s to %s, subjects: %s", len(w.all), noun, w.to, strings.Join(subjects, ", "))
	}
	return fmt.Errorf("mailbox: no %s to %s after %s; saw %s%s: %w",
		describeOrAny(describe), w.to, time.Since(started).Round(time.Millisecond), saw, w.c.connState(), cause)
}

func describeOrAny(describe string) string {
	if describe == "" {
		return "message"
	}
	return strconv.Quote(describe)
}

// decode parses a MailHog message and adds what only MailHog knows.
func decode(dm *data.Message) (*Message, error) {
	if dm.Raw == nil {
		return nil, fmt.Errorf("mailbox: message %s has no raw data", dm.ID)
	}
	m, err := Parse([]byte(dm.Raw.Data))
	if err != nil {
		return nil, fmt.Errorf("mailbox: message %s: %w", dm.ID, err)
	}
	m.ID = string(dm.ID)
	m.Created = dm.Created
	if m.From == "" {
		m.From = dm.Raw.From
	}
	for _, p := range envelopeRecipients(dm) {
		if !m.sentTo(p) {
			m.To = append(m.To, p)
		}
	}
	return m, nil
}

func envelopeRecipients(dm *data.Message) []string {
	var out []string
	for _, p := range dm.To {
		if p != nil {
			out = append(out, p.Mailbox+"@"+p.Domain)
		}
	}
	return out
}

// recipients returns the lower-case envelope recipients and To/Cc addresses
// of dm. Headers are read from the raw message: MailHog's parsed headers
// keep only the last of repeated fields.
func recipients(dm *data.Message) map[string]bool {
	set := make(map[string]bool)
	for _, a := range envelopeRecipients(dm) {
		set[normalize(a)] = true
	}
	if dm.Raw != nil {
		if msg, err := mail.ReadMessage(strings.NewReader(dm.Raw.Data)); err == nil {
			for _, a := range headerAddresses(msg.Header, "To", "Cc") {
				set[normalize(a)] = true
			}
		}
	}
	return set
}

func normalize(addr string) string { return strings.ToLower(strings.TrimSpace(addr)) }

func sortByCreated(ms []*Message) {
	slices.SortStableFunc(ms, func(a, b *Message) int { return a.Created.Compare(b.Created) })
}
