package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The control API under /_sim/: what only DR does (checkouts, acceptance,
// refund outcomes, the clock) and what a test arranges or inspects
// (accounts, webhook secrets, delivery faults and attempts). See the
// README's control API table.

// CreateAccount is POST /_sim/accounts: a fresh account, with secretKey as
// its secret key when not empty. It needs no key.
func (c *Client) CreateAccount(ctx context.Context, secretKey string) (*Keys, error) {
	var body any
	if secretKey != "" {
		body = struct {
			SecretKey string `json:"secretKey"`
		}{secretKey}
	}
	return send[Keys](ctx, c, http.MethodPost, "/_sim/accounts", body)
}

// Account is GET /_sim/account: the calling key's account and its keys.
func (c *Client) Account(ctx context.Context) (*Keys, error) {
	return get[Keys](ctx, c, "/_sim/account")
}

// PlaceOrder is POST /_sim/orders: DR turning a submitted checkout into an
// order (order.created; acceptance follows with AcceptOrder).
func (c *Client) PlaceOrder(ctx context.Context, p PlaceOrderParams) (*Order, error) {
	return send[Order](ctx, c, http.MethodPost, "/_sim/orders", p)
}

// AcceptOrder is POST /_sim/orders/{id}/accept: DR accepting the order.
func (c *Client) AcceptOrder(ctx context.Context, id string) (*Order, error) {
	return send[Order](ctx, c, http.MethodPost, "/_sim/orders/"+seg(id)+"/accept", nil)
}

// FundSource is POST /_sim/sources/{id}/funds: the customer pushed the funds
// of a delayed (wireTransfer) source; DR accepts the order it pays.
func (c *Client) FundSource(ctx context.Context, id string) (*Source, error) {
	return send[Source](ctx, c, http.MethodPost, "/_sim/sources/"+seg(id)+"/funds", nil)
}

// ExpireSource is POST /_sim/sources/{id}/expire: the funds of a delayed
// (wireTransfer) source never came; DR cancels the order it pays.
func (c *Client) ExpireSource(ctx context.Context, id string) (*Source, error) {
	return send[Source](ctx, c, http.MethodPost, "/_sim/sources/"+seg(id)+"/expire", nil)
}

// BlockOrder is POST /_sim/orders/{id}/block: DR's fraud review blocking it.
func (c *Client) BlockOrder(ctx context.Context, id string) (*Order, error) {
	return send[Order](ctx, c, http.MethodPost, "/_sim/orders/"+seg(id)+"/block", nil)
}

// CompleteRefund is POST /_sim/refunds/{id}/complete.
func (c *Client) CompleteRefund(ctx context.Context, id string) (*Refund, error) {
	return send[Refund](ctx, c, http.MethodPost, "/_sim/refunds/"+seg(id)+"/complete", nil)
}

// FailRefund is POST /_sim/refunds/{id}/fail with DR's failure reason.
func (c *Client) FailRefund(ctx context.Context, id, failureReason string) (*Refund, error) {
	body := struct {
		FailureReason string `json:"failureReason,omitempty"`
	}{failureReason}
	return send[Refund](ctx, c, http.MethodPost, "/_sim/refunds/"+seg(id)+"/fail", body)
}

// WebhookSecrets is GET /_sim/webhooks/{id}/secret.
func (c *Client) WebhookSecrets(ctx context.Context, webhookID string) (*WebhookSecrets, error) {
	return get[WebhookSecrets](ctx, c, "/_sim/webhooks/"+seg(webhookID)+"/secret")
}

// SetWebhookSecret is POST /_sim/webhooks/{id}/secret: the webhook signs
// with secret from now on (old secrets end).
func (c *Client) SetWebhookSecret(ctx context.Context, webhookID, secret string) error {
	body := struct {
		Secret string `json:"secret"`
	}{secret}
	return c.Do(ctx, http.MethodPost, "/_sim/webhooks/"+seg(webhookID)+"/secret", body, nil)
}

// RotateWebhookSecret is POST /_sim/webhooks/{id}/secret/rotate.
func (c *Client) RotateWebhookSecret(ctx context.Context, webhookID string, p RotateParams) (*WebhookSecrets, error) {
	return send[WebhookSecrets](ctx, c, http.MethodPost, "/_sim/webhooks/"+seg(webhookID)+"/secret/rotate", p)
}

// WebhookDelivery is GET /_sim/webhooks/{id}/delivery.
func (c *Client) WebhookDelivery(ctx context.Context, webhookID string) (*WebhookDelivery, error) {
	return get[WebhookDelivery](ctx, c, "/_sim/webhooks/"+seg(webhookID)+"/delivery")
}

// RetryDeliveries is POST /_sim/deliveries/retry: every event waiting for
// its backoff (to webhookID, or to any webhook when empty) is retried now.
// It returns how many were.
func (c *Client) RetryDeliveries(ctx context.Context, webhookID string) (int, error) {
	body := struct {
		WebhookID string `json:"webhookId,omitempty"`
	}{webhookID}
	var out struct {
		Retried int `json:"retried"`
	}
	err := c.Do(ctx, http.MethodPost, "/_sim/deliveries/retry", body, &out)
	return out.Retried, err
}

// AddFault is POST /_sim/faults.
func (c *Client) AddFault(ctx context.Context, f Fault) (*Fault, error) {
	return send[Fault](ctx, c, http.MethodPost, "/_sim/faults", f)
}

// Fault is GET /_sim/faults/{id}.
func (c *Client) Fault(ctx context.Context, id string) (*Fault, error) {
	return get[Fault](ctx, c, "/_sim/faults/"+seg(id))
}

// WaitFaultHeld is GET /_sim/faults/{id}?held=n&wait=…: it answers once the
// hold fault holds at least n deliveries, or fails with 408 after wait.
func (c *Client) WaitFaultHeld(ctx context.Context, id string, n int, wait time.Duration) (*Fault, error) {
	q := url.Values{"held": {strconv.Itoa(n)}, "wait": {wait.String()}}
	return get[Fault](ctx, c, "/_sim/faults/"+seg(id)+"?"+q.Encode())
}

// ReleaseFault is POST /_sim/faults/{id}/release: the held deliveries go,
// in order "fifo", "reverse" or "shuffle".
func (c *Client) ReleaseFault(ctx context.Context, id, order string) (*Fault, error) {
	body := struct {
		Order string `json:"order,omitempty"`
	}{order}
	return send[Fault](ctx, c, http.MethodPost, "/_sim/faults/"+seg(id)+"/release", body)
}

// AddAPIFault is POST /_sim/api-faults.
func (c *Client) AddAPIFault(ctx context.Context, f APIFault) (*APIFault, error) {
	return send[APIFault](ctx, c, http.MethodPost, "/_sim/api-faults", f)
}

// RateLimitNext makes the account's next count DR API calls (any method and
// path; the control API is never faulted) answer as DR does over its rate
// limit: 429 too_many_requests with a Retry-After of retryAfter, in whole
// seconds rounded up (above 0, at most an hour). It is POST /_sim/api-faults
// {path:"*", status:429, retryAfter, count}: the fault is the account's, so
// calls made by anything else on the account take their share.
func (c *Client) RateLimitNext(ctx context.Context, count int, retryAfter time.Duration) (*APIFault, error) {
	if count < 1 {
		return nil, fmt.Errorf("RateLimitNext: count must be at least 1, got %d", count)
	}
	return c.AddAPIFault(ctx, APIFault{Path: AnyPath, Status: http.StatusTooManyRequests, RetryAfter: retryAfter.String(), Count: count})
}

// APIFault is GET /_sim/api-faults/{id}.
func (c *Client) APIFault(ctx context.Context, id string) (*APIFault, error) {
	return get[APIFault](ctx, c, "/_sim/api-faults/"+seg(id))
}

// Redeliver is POST /_sim/events/{id}/deliveries: the event is delivered
// again now; the answer is the attempts, once the merchant answered.
func (c *Client) Redeliver(ctx context.Context, eventID string, p RedeliverParams) ([]Attempt, error) {
	page, err := send[Page[Attempt]](ctx, c, http.MethodPost, "/_sim/events/"+seg(eventID)+"/deliveries", p)
	if err != nil {
		return nil, err
	}
	return page.Data, nil
}

// AttemptFilter selects delivery attempts; empty fields match every one.
// After keeps the attempts numbered (Seq) above it.
type AttemptFilter struct {
	EventID   string
	WebhookID string
	After     int
}

func (f AttemptFilter) values() url.Values {
	q := url.Values{}
	if f.EventID != "" {
		q.Set("eventId", f.EventID)
	}
	if f.WebhookID != "" {
		q.Set("webhookId", f.WebhookID)
	}
	if f.After > 0 {
		q.Set("startingAfter", strconv.Itoa(f.After))
	}
	return q
}

// logPageMax is the largest page of a control log.
const logPageMax = 1000

// Deliveries is GET /_sim/deliveries: the recorded attempts the simulator
// still keeps, oldest first, every page of them.
func (c *Client) Deliveries(ctx context.Context, f AttemptFilter) ([]Attempt, error) {
	var all []Attempt
	for {
		q := f.values()
		q.Set("limit", strconv.Itoa(logPageMax))
		page, err := get[LogPage[Attempt]](ctx, c, "/_sim/deliveries?"+q.Encode())
		if err != nil {
			return nil, err
		}
		all = append(all, page.Data...)
		if !page.HasMore || len(page.Data) == 0 {
			return all, nil
		}
		f.After = page.Data[len(page.Data)-1].Seq
	}
}

// WaitDeliveries is GET /_sim/deliveries?min=…&wait=…: it answers once at
// least min attempts match, or fails with 408 after wait; it returns the
// first 1000 that match.
func (c *Client) WaitDeliveries(ctx context.Context, f AttemptFilter, min int, wait time.Duration) ([]Attempt, error) {
	q := f.values()
	q.Set("min", strconv.Itoa(min))
	q.Set("wait", wait.String())
	q.Set("limit", strconv.Itoa(logPageMax))
	page, err := get[LogPage[Attempt]](ctx, c, "/_sim/deliveries?"+q.Encode())
	if err != nil {
		return nil, err
	}
	return page.Data, nil
}

// Clock is GET /_sim/clock: the account's clock, which follows wall time
// (virtual time lives in test clocks).
func (c *Client) Clock(ctx context.Context) (time.Time, error) {
	var out struct {
		Now time.Time `json:"now"`
	}
	err := c.Do(ctx, http.MethodGet, "/_sim/clock", nil, &out)
	return out.Now, err
}

// CreateTestClock is POST /_sim/test-clocks: a clock frozen at frozenTime
// (wall time now when zero).
func (c *Client) CreateTestClock(ctx context.Context, name string, frozenTime time.Time) (*TestClock, error) {
	body := struct {
		Name       string     `json:"name,omitempty"`
		FrozenTime *time.Time `json:"frozenTime,omitempty"`
	}{Name: name}
	if !frozenTime.IsZero() {
		body.FrozenTime = &frozenTime
	}
	return send[TestClock](ctx, c, http.MethodPost, "/_sim/test-clocks", body)
}

// TestClock is GET /_sim/test-clocks/{id}.
func (c *Client) TestClock(ctx context.Context, id string) (*TestClock, error) {
	return get[TestClock](ctx, c, "/_sim/test-clocks/"+seg(id))
}

// TestClocks is GET /_sim/test-clocks, newest first.
func (c *Client) TestClocks(ctx context.Context, lp ListParams) (*Page[TestClock], error) {
	return get[Page[TestClock]](ctx, c, "/_sim/test-clocks"+lp.query())
}

// DeleteTestClock is DELETE /_sim/test-clocks/{id}: the clock, its
// customers and everything that belongs to them.
func (c *Client) DeleteTestClock(ctx context.Context, id string) error {
	return del(ctx, c, "/_sim/test-clocks/"+seg(id))
}

// CreateClockCustomer is POST /_sim/test-clocks/{id}/customers: a customer
// attached to the test clock; everything time-driven about it reads the clock.
func (c *Client) CreateClockCustomer(ctx context.Context, clockID string, p CustomerParams) (*Customer, error) {
	return send[Customer](ctx, c, http.MethodPost, "/_sim/test-clocks/"+seg(clockID)+"/customers", p)
}

// AdvanceTestClock is POST /_sim/test-clocks/{id}/advance {"advance"}: the
// clock moves forward by d and everything of its customers that falls due
// on the way happens at its due time.
func (c *Client) AdvanceTestClock(ctx context.Context, id string, d time.Duration) (*ClockMove, error) {
	body := struct {
		Advance string `json:"advance"`
	}{d.String()}
	return send[ClockMove](ctx, c, http.MethodPost, "/_sim/test-clocks/"+seg(id)+"/advance", body)
}

// AdvanceTestClockTo is POST /_sim/test-clocks/{id}/advance {"frozenTime"}:
// the clock moves forward to t.
func (c *Client) AdvanceTestClockTo(ctx context.Context, id string, t time.Time) (*ClockMove, error) {
	body := struct {
		FrozenTime time.Time `json:"frozenTime"`
	}{t}
	return send[ClockMove](ctx, c, http.MethodPost, "/_sim/test-clocks/"+seg(id)+"/advance", body)
}

// DeleteAccount is DELETE /_sim/account: the account of the client's key
// and everything in it.
func (c *Client) DeleteAccount(ctx context.Context) error {
	return del(ctx, c, "/_sim/account")
}

// Requests is GET /_sim/requests: the DR API calls the account received
// that the simulator still keeps, oldest first, every page of them.
func (c *Client) Requests(ctx context.Context) ([]RequestLog, error) {
	return c.RequestsAfter(ctx, 0)
}

// RequestsAfter is Requests from the call numbered after on (Seq > after).
func (c *Client) RequestsAfter(ctx context.Context, after int) ([]RequestLog, error) {
	var all []RequestLog
	for {
		q := url.Values{"limit": {strconv.Itoa(logPageMax)}, "startingAfter": {strconv.Itoa(after)}}
		page, err := get[LogPage[RequestLog]](ctx, c, "/_sim/requests?"+q.Encode())
		if err != nil {
			return nil, err
		}
		all = append(all, page.Data...)
		if !page.HasMore || len(page.Data) == 0 {
			return all, nil
		}
		after = page.Data[len(page.Data)-1].Seq
	}
}

// WaitSubscriptionState is GET /_sim/subscriptions/{id}?state=…&wait=…: the
// subscription once its state is one of states (e.g. "active", "activeFree"
// after the merchant activated it), or an *Error with status 408 naming the
// state it is still in when wait passes.
func (c *Client) WaitSubscriptionState(ctx context.Context, id string, wait time.Duration, states ...string) (*Subscription, error) {
	q := url.Values{"state": {strings.Join(states, ",")}, "wait": {wait.String()}}
	return get[Subscription](ctx, c, "/_sim/subscriptions/"+seg(id)+"?"+q.Encode())
}
