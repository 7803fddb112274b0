package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
)

// simClient is every HTTP call the local-development commands (listen,
// trigger, events resend, logs tail) make to a running simulator, kept in
// one file so it can move to the typed client of simulator/client.
type simClient struct {
	base string
	key  string
	http *http.Client
}

func newSimClient(base, key string) *simClient {
	return &simClient{base: strings.TrimRight(base, "/"), key: key, http: &http.Client{Timeout: 2 * time.Minute}}
}

// simError is a non-2xx answer with its body (DR's error shape).
type simError struct {
	Method, Path string
	Status       int
	Body         string
}

func (e *simError) Error() string {
	return fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, strings.TrimSpace(e.Body))
}

func (c *simClient) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s %s: encode: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w (is drsim serve running at %s?)", method, path, err, c.base)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &simError{Method: method, Path: path, Status: resp.StatusCode, Body: string(b)}
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return nil
}

// wire types: only the fields the commands read.

type simKeys struct {
	AccountID string `json:"accountId"`
	SecretKey string `json:"secretKey"`
	PublicKey string `json:"publicKey"`
}

type simEvent struct {
	ID          string    `json:"id"`
	Type        string    `json:"type"`
	CreatedTime time.Time `json:"createdTime"`
	WebhookIDs  []string  `json:"webhookIds"`
	Data        struct {
		Object json.RawMessage `json:"object"`
	} `json:"data"`
}

type simAttempt struct {
	Seq             int        `json:"seq"`
	EventID         string     `json:"eventId"`
	EventType       string     `json:"eventType"`
	WebhookID       string     `json:"webhookId"`
	Address         string     `json:"address"`
	Attempt         int        `json:"attempt"`
	Time            time.Time  `json:"time"`
	Status          int        `json:"status"`
	Delivered       bool       `json:"delivered"`
	LatencyMs       float64    `json:"latencyMs"`
	ResponseExcerpt string     `json:"responseExcerpt"`
	Error           string     `json:"error"`
	Manual          bool       `json:"manual"`
	Forged          string     `json:"forged"`
	NextRetryAt     *time.Time `json:"nextRetryAt"`
	GaveUp          bool       `json:"gaveUp"`
	Parked          bool       `json:"parked"`
}

type simRequest struct {
	Method string    `json:"method"`
	Path   string    `json:"path"`
	Query  string    `json:"query"`
	Status int       `json:"status"`
	Time   time.Time `json:"time"`
	Public bool      `json:"publicKey"`
}

type simWebhook struct {
	ID      string   `json:"id"`
	Address string   `json:"address"`
	Types   []string `json:"types"`
	Enabled bool     `json:"enabled"`
}

type page[T any] struct {
	HasMore bool `json:"hasMore"`
	Data    []T  `json:"data"`
}

func (c *simClient) createAccount(ctx context.Context, secretKey string) (simKeys, error) {
	var k simKeys
	var in any
	if secretKey != "" {
		in = map[string]string{"secretKey": secretKey}
	}
	err := c.do(ctx, "POST", "/_sim/accounts", in, &k)
	return k, err
}

func (c *simClient) account(ctx context.Context) (simKeys, error) {
	var k simKeys
	err := c.do(ctx, "GET", "/_sim/account", nil, &k)
	return k, err
}

func (c *simClient) webhooks(ctx context.Context) ([]simWebhook, error) {
	var p page[simWebhook]
	err := c.do(ctx, "GET", "/webhooks?limit=100", nil, &p)
	return p.Data, err
}

func (c *simClient) createWebhook(ctx context.Context, address string, types []string) (simWebhook, error) {
	var w simWebhook
	err := c.do(ctx, "POST", "/webhooks", map[string]any{"address": address, "types": types, "enabled": true}, &w)
	return w, err
}

func (c *simClient) enableWebhook(ctx context.Context, id string, types []string) (simWebhook, error) {
	var w simWebhook
	err := c.do(ctx, "PATCH", "/webhooks/"+url.PathEscape(id), map[string]any{"types": types, "enabled": true}, &w)
	return w, err
}

func (c *simClient) webhookSecret(ctx context.Context, id string) (string, error) {
	var s struct {
		Secret string `json:"secret"`
	}
	err := c.do(ctx, "GET", "/_sim/webhooks/"+url.PathEscape(id)+"/secret", nil, &s)
	return s.Secret, err
}

func (c *simClient) setWebhookSecret(ctx context.Context, id, secret string) error {
	return c.do(ctx, "POST", "/_sim/webhooks/"+url.PathEscape(id)+"/secret", map[string]string{"secret": secret}, nil)
}

// eventsAfter lists the events recorded after the event marker (all when
// marker is empty), oldest first.
func (c *simClient) eventsAfter(ctx context.Context, marker string) ([]simEvent, error) {
	var all []simEvent
	cursor := ""
	for range 50 {
		q := url.Values{"limit": {"100"}}
		if cursor != "" {
			q.Set("startingAfter", cursor)
		}
		var p page[simEvent]
		if err := c.do(ctx, "GET", "/events?"+q.Encode(), nil, &p); err != nil {
			return nil, err
		}
		done := false
		for _, e := range p.Data {
			if e.ID == marker {
				done = true
				break
			}
			all = append(all, e)
		}
		if done || !p.HasMore || len(p.Data) == 0 {
			break
		}
		cursor = p.Data[len(p.Data)-1].ID
	}
	for i, j := 0, len(all)-1; i < j; i, j = i+1, j-1 {
		all[i], all[j] = all[j], all[i]
	}
	return all, nil
}

// newestEvent is the id of the account's newest event ("" when none).
func (c *simClient) newestEvent(ctx context.Context) (string, error) {
	var p page[simEvent]
	if err := c.do(ctx, "GET", "/events?limit=1", nil, &p); err != nil {
		return "", err
	}
	if len(p.Data) == 0 {
		return "", nil
	}
	return p.Data[0].ID, nil
}

// attempts lists delivery attempts; with min > 0 it waits up to wait for
// at least min of them.
func (c *simClient) attempts(ctx context.Context, eventID string, min int, wait time.Duration) ([]simAttempt, error) {
	q := url.Values{}
	if eventID != "" {
		q.Set("eventId", eventID)
	}
	if min > 0 {
		q.Set("min", fmt.Sprint(min))
		q.Set("wait", wait.String())
	}
	var p page[simAttempt]
	err := c.do(ctx, "GET", "/_sim/deliveries?"+q.Encode(), nil, &p)
	return p.Data, err
}

func (c *simClient) redeliver(ctx context.Context, eventID, webhookID string) ([]simAttempt, error) {
	in := map[string]string{} // not a nil map: the simulator refuses a null body
	if webhookID != "" {
		in["webhookId"] = webhookID
	}
	var p page[simAttempt]
	err := c.do(ctx, "POST", "/_sim/events/"+url.PathEscape(eventID)+"/deliveries", in, &p)
	return p.Data, err
}

func (c *simClient) requests(ctx context.Context) ([]simRequest, error) {
	var p page[simRequest]
	err := c.do(ctx, "GET", "/_sim/requests", nil, &p)
	return p.Data, err
}

// connection flags shared by the local-development commands.
type conn struct {
	sim, key string
}

func (c *conn) flags(fs interface {
	StringVar(*string, string, string, string)
}) {
	fs.StringVar(&c.sim, "sim", envOr("DRSIM_URL", "http://127.0.0.1:9090"), "the running simulator (env DRSIM_URL)")
	fs.StringVar(&c.key, "key", os.Getenv("DRSIM_SECRET_KEY"), "the account's secret key (env DRSIM_SECRET_KEY)")
}

func (c *conn) client(needKey bool) (*simClient, error) {
	if needKey && c.key == "" {
		return nil, fmt.Errorf("no secret key: pass -key sk_test_… or set DRSIM_SECRET_KEY (drsim listen prints one)")
	}
	return newSimClient(c.sim, c.key), nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// lockedWriter serialises lines from several tails.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
