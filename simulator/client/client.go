// Package client is a typed Go client of the simulator: Digital River's API
// as the simulator serves it (customers, sources, SKUs, orders,
// fulfillments, refunds, returns, files, file links, plans, subscriptions,
// invoices, events, webhooks) and the control API under /_sim/ (accounts,
// checkouts, the virtual clock, webhook secrets, delivery faults, delivery
// attempts). The request and response types in this package are the
// simulator's wire format; a non-2xx answer is an *Error in DR's shape.
//
// A simulator.Server hands out a ready client (Server.Client); New connects
// to any simulator by URL:
//
//	c := client.New("http://127.0.0.1:8080", "sk_test_…")
//	cust, err := c.CreateCustomer(ctx, client.CustomerParams{Email: new("zoe@example.test")})
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client calls one simulator with one API key. It is safe for concurrent use.
type Client struct {
	base    string
	key     string
	http    *http.Client
	strict  bool
	timeout time.Duration // per call, 0: none
	setting string        // where timeout comes from, for messages
	agent   string        // User-Agent; Go's default when empty
	admin   string        // the simulator's admin token, sent in AdminHeader when set
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sends requests through hc instead of a new http.Client.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.http = hc } }

// Strict makes the client refuse answers with fields its types do not know,
// so a test notices when the simulator's wire format and these types part.
func Strict() Option { return func(c *Client) { c.strict = true } }

// WithCallTimeout bounds each call to d; a call asking the simulator to
// wait (a "wait" query parameter, as WaitDeliveries and WaitFaultHeld send)
// gets that wait on top. setting names where d comes from in the error
// (e.g. "profile timeouts.action"); it may be empty.
func WithCallTimeout(d time.Duration, setting string) Option {
	return func(c *Client) { c.timeout, c.setting = d, setting }
}

// WithUserAgent sends ua as the User-Agent of every call; the simulator's
// request log (Requests) shows it, so a report can tell callers apart.
func WithUserAgent(ua string) Option { return func(c *Client) { c.agent = ua } }

// AdminHeader carries a simulator's admin token (simulator.Options.AdminToken).
const AdminHeader = "X-Drsim-Admin-Token"

// WithAdminToken sends tok in AdminHeader with every call: a simulator that
// listens beyond loopback needs it for the control API (CreateAccount and
// everything under /_sim/). WithKey keeps it.
func WithAdminToken(tok string) Option { return func(c *Client) { c.admin = tok } }

// New returns a client of the simulator at baseURL (e.g.
// http://127.0.0.1:8080) calling with key (a secret or public key; "" for
// none, as POST /_sim/accounts needs).
func New(baseURL, key string, opts ...Option) *Client {
	c := &Client{base: strings.TrimRight(baseURL, "/"), key: key, http: &http.Client{}}
	for _, o := range opts {
		o(c)
	}
	return c
}

// WithKey returns a client of the same simulator calling with another key.
func (c *Client) WithKey(key string) *Client {
	cp := *c
	cp.key = key
	return &cp
}

// BaseURL is the simulator's URL, without a trailing slash.
func (c *Client) BaseURL() string { return c.base }

// Error is a non-2xx answer: DR's error shape with the request it answered.
// Status is the HTTP status; Type is DR's error type (e.g. "not_found",
// "bad_request", "unauthorized"); Errors carry code, parameter and message.
// An answer that is not DR's shape keeps its text in Body. RetryAfter is
// the answer's Retry-After header in seconds (DR may send one with a 429
// over its rate limit; 0 when absent or not a number of seconds).
type Error struct {
	Method     string        `json:"-"`
	Path       string        `json:"-"`
	Status     int           `json:"-"`
	RetryAfter time.Duration `json:"-"`
	Type       string        `json:"type"`
	Errors     []ErrorDetail `json:"errors"`
	Body       string        `json:"-"`
}

// ErrorDetail is one of DR's error entries.
type ErrorDetail struct {
	Code      string `json:"code,omitempty"`
	Parameter string `json:"parameter,omitempty"`
	Message   string `json:"message"`
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %d", e.Method, e.Path, e.Status)
	if e.Type != "" {
		b.WriteString(" " + e.Type)
	}
	for _, d := range e.Errors {
		b.WriteString(": ")
		if d.Code != "" {
			b.WriteString(d.Code + " ")
		}
		if d.Parameter != "" {
			b.WriteString("(" + d.Parameter + ") ")
		}
		b.WriteString(d.Message)
	}
	if len(e.Errors) == 0 && e.Body != "" {
		b.WriteString(" " + e.Body)
	}
	return b.String()
}

// Code is the first error's code ("" when there is none).
func (e *Error) Code() string {
	if len(e.Errors) == 0 {
		return ""
	}
	return e.Errors[0].Code
}

// Parameter is the first error's parameter ("" when there is none).
func (e *Error) Parameter() string {
	if len(e.Errors) == 0 {
		return ""
	}
	return e.Errors[0].Parameter
}

// StatusOf is the HTTP status of err when it is (or wraps) an *Error, else 0.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// maxAnswer bounds an answer the client reads.
const maxAnswer = 64 << 20

// Do sends in as JSON (nothing when nil) and decodes a JSON answer into out
// (when not nil). path is relative to the base URL and may carry a query.
// The typed methods are built on it; it serves routes they do not cover,
// and callers' own answer types: out may be a *json.RawMessage (the answer
// as received) or a type of the caller's (e.g. a Page of it).
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	ctype := ""
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s %s: encode request: %w", method, path, err)
		}
		body, ctype = bytes.NewReader(b), "application/json"
	}
	b, _, err := c.send(ctx, method, path, body, ctype)
	if err != nil {
		return err
	}
	if out == nil || len(b) == 0 {
		return nil
	}
	return c.decode(method, path, b, out)
}

// decode reads a JSON answer into out, refusing unknown fields when strict.
func (c *Client) decode(method, path string, b []byte, out any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if c.strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
	}
	return nil
}

// send makes one request and returns the answer's body and content type, or
// an *Error for a non-2xx answer.
func (c *Client) send(ctx context.Context, method, path string, body io.Reader, ctype string) ([]byte, string, error) {
	if c.timeout > 0 {
		limit := c.timeout
		if u, err := url.Parse(path); err == nil {
			if w, err := time.ParseDuration(u.Query().Get("wait")); err == nil && w > 0 {
				limit += w
			}
		}
		cause := fmt.Errorf("the simulator did not answer within %s", limit)
		if c.setting != "" {
			cause = fmt.Errorf("the simulator did not answer within %s (%s)", limit, c.setting)
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, limit, cause)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, "", fmt.Errorf("%s %s: %w", method, path, err)
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	if c.agent != "" {
		req.Header.Set("User-Agent", c.agent)
	}
	if c.admin != "" {
		req.Header.Set(AdminHeader, c.admin)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) && !errors.Is(cause, context.DeadlineExceeded) {
			return nil, "", fmt.Errorf("%s %s: %w", method, path, cause)
		}
		return nil, "", fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, "", fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &Error{Method: method, Path: path, Status: resp.StatusCode, Body: strings.TrimSpace(string(b))}
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
			e.RetryAfter = time.Duration(secs) * time.Second
		}
		if json.Unmarshal(b, e) != nil {
			e.Type, e.Errors = "", nil
		}
		return nil, "", e
	}
	return b, resp.Header.Get("Content-Type"), nil
}

// ListParams page through a list: at most Limit items (DR's default 10,
// at most 100) after StartingAfter or before EndingBefore. Filters are the
// list's own query parameters (e.g. "type" for events, "orderId" for
// refunds, "fileId" for file links).
type ListParams struct {
	Limit         int
	StartingAfter string
	EndingBefore  string
	Filters       url.Values
}

func (p ListParams) query() string {
	q := url.Values{}
	for k, vs := range p.Filters {
		q[k] = append([]string(nil), vs...)
	}
	if p.Limit != 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
	if p.StartingAfter != "" {
		q.Set("startingAfter", p.StartingAfter)
	}
	if p.EndingBefore != "" {
		q.Set("endingBefore", p.EndingBefore)
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// get, post and friends name the verbs the typed methods use.
func get[T any](ctx context.Context, c *Client, path string) (*T, error) {
	var out T
	if err := c.Do(ctx, http.MethodGet, path, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func send[T any](ctx context.Context, c *Client, method, path string, in any) (*T, error) {
	var out T
	if err := c.Do(ctx, method, path, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func list[T any](ctx context.Context, c *Client, path string, p ListParams) (*Page[T], error) {
	return get[Page[T]](ctx, c, path+p.query())
}

func del(ctx context.Context, c *Client, path string) error {
	return c.Do(ctx, http.MethodDelete, path, nil, nil)
}

// seg escapes one path segment.
func seg(id string) string { return url.PathEscape(id) }

// Bool, Int, Float and String return a pointer to v, for the optional
// fields of update parameters.
func Bool(v bool) *bool { return &v }

// Int returns a pointer to v.
func Int(v int) *int { return &v }

// Float returns a pointer to v.
func Float(v float64) *float64 { return &v }

// String returns a pointer to v.
func String(v string) *string { return &v }
