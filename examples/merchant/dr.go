package merchant

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/drsim/drsim/simulator/client"
)

// The merchant calls Digital River's API through simulator/client, drsim's
// typed client. That client speaks DR's API, the one the simulator serves,
// so the same calls reach api.digitalriver.com when Config.DRBaseURL points
// there; a merchant of one's own may equally use DR's SDK or plain
// net/http. A refused call is a *client.Error: DR's status and error body.
//
// The calls made at more than one place, or with something of the
// merchant's own around them, are here; the others stand where they are
// used (s.dr.Customer, s.dr.Plan, …).

// drTimeout bounds one DR call, whatever the caller's context allows.
const drTimeout = 15 * time.Second

// maxListLimit is the largest page DR's lists give (docs/dr-api.md#lists-and-pagination).
const maxListLimit = 100

// newDRClient returns a client of DR's API at base calling with the secret
// key. Without a base every call fails, saying so.
func newDRClient(base, key string) *client.Client {
	hc := &http.Client{Timeout: drTimeout}
	if base == "" {
		hc.Transport = failingTransport{errors.New("Config.DRBaseURL is not set")}
	}
	return client.New(base, key, client.WithHTTPClient(hc))
}

// failingTransport fails every request with err.
type failingTransport struct{ err error }

func (t failingTransport) RoundTrip(*http.Request) (*http.Response, error) { return nil, t.err }

// getOrder is GET /orders/{id}. The answer is read into order, the model
// order.* events are read into: one Order, read as leniently whichever way
// it comes (dates kept as text, docs/dr-api.md#dates).
func (s *Server) getOrder(ctx context.Context, id string) (order, error) {
	var o order
	err := s.dr.Do(ctx, http.MethodGet, "/orders/"+url.PathEscape(id), nil, &o)
	return o, err
}

// listOrders is GET /orders?customerId=…: the customer's orders, at most
// 100 (HasMore tells whether there are more), read as getOrder reads one.
func (s *Server) listOrders(ctx context.Context, customerID string) (client.Page[order], error) {
	var l client.Page[order]
	q := url.Values{"customerId": {customerID}, "limit": {strconv.Itoa(maxListLimit)}}
	err := s.dr.Do(ctx, http.MethodGet, "/orders?"+q.Encode(), nil, &l)
	return l, err
}

// createFulfillment is POST /fulfillments. It returns DR's Fulfillment as
// received, which the admin endpoints pass on unchanged.
func (s *Server) createFulfillment(ctx context.Context, f client.FulfillmentParams) (json.RawMessage, error) {
	var answer json.RawMessage
	if err := s.dr.Do(ctx, http.MethodPost, "/fulfillments", f, &answer); err != nil {
		return nil, err
	}
	if len(answer) == 0 {
		return nil, errors.New("POST /fulfillments: the answer is empty")
	}
	return answer, nil
}

// activateSubscription is POST /subscriptions/{id} with exactly
// {"state":"active"}: DR creates a subscription as a draft from the checkout
// and the merchant activates it once the order is accepted. A subscription
// that is already active (a retry after a lost answer) counts as done.
func (s *Server) activateSubscription(ctx context.Context, id string) error {
	_, err := s.dr.UpdateSubscription(ctx, id, client.SubscriptionUpdateParams{State: client.String("active")})
	if client.StatusOf(err) == http.StatusConflict {
		if sub, gerr := s.dr.Subscription(ctx, id); gerr == nil && sub.State != "draft" {
			return nil
		}
	}
	return err
}
