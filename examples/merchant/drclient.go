package merchant

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// drClient calls the Digital River API with the merchant's secret key. It
// makes only the calls this merchant needs.
type drClient struct {
	base string // e.g. "https://api.digitalriver.com", no trailing slash
	key  string
	http *http.Client
}

// drTimeout bounds one DR call, whatever the caller's context allows.
const drTimeout = 15 * time.Second

// maxDRAnswer bounds the size of a DR answer we are willing to read.
const maxDRAnswer = 4 << 20

func newDRClient(base, key string) *drClient {
	return &drClient{
		base: strings.TrimRight(base, "/"),
		key:  key,
		http: &http.Client{Timeout: drTimeout},
	}
}

// drError is a non-2xx answer from DR. Body is the answer as received, so it
// can be passed on unchanged; Type and Errors are decoded from it when it is
// DR's error shape: {"type":…,"errors":[{"code","parameter","message"}]}.
type drError struct {
	Method, Path string
	Status       int
	Body         []byte
	Type         string
	Errors       []drErrorItem
}

// drErrorBody is DR's error shape.
type drErrorBody struct {
	Type   string        `json:"type"`
	Errors []drErrorItem `json:"errors"`
}

type drErrorItem struct {
	Code      string `json:"code,omitempty"`
	Parameter string `json:"parameter,omitempty"`
	Message   string `json:"message,omitempty"`
}

func (e *drError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "DR %s %s: %d", e.Method, e.Path, e.Status)
	if e.Type != "" {
		fmt.Fprintf(&b, " %s", e.Type)
	}
	for _, it := range e.Errors {
		fmt.Fprintf(&b, "; %s", strings.Join(nonEmpty(it.Code, it.Parameter, it.Message), " "))
	}
	if e.Type == "" && len(e.Errors) == 0 && len(e.Body) > 0 {
		fmt.Fprintf(&b, " %.200s", bytes.TrimSpace(e.Body))
	}
	return b.String()
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// asDRError returns err's *drError, if it is one.
func asDRError(err error) (*drError, bool) { return errors.AsType[*drError](err) }

// do sends in as JSON (nothing when nil) and returns the answer's body. A
// non-2xx answer is a *drError; a network failure is any other error.
func (c *drClient) do(ctx context.Context, method, path string, in any) ([]byte, error) {
	if c.base == "" {
		return nil, fmt.Errorf("DR %s %s: Config.DRBaseURL is not set", method, path)
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("DR %s %s: encode request: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, fmt.Errorf("DR %s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("DR %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxDRAnswer))
	if err != nil {
		return nil, fmt.Errorf("DR %s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		var eb drErrorBody
		_ = json.Unmarshal(b, &eb) // best effort: the raw body is kept either way
		return nil, &drError{Method: method, Path: path, Status: resp.StatusCode, Body: b, Type: eb.Type, Errors: eb.Errors}
	}
	return b, nil
}

// getOrder is GET /orders/{id}.
func (c *drClient) getOrder(ctx context.Context, id string) (order, error) {
	path := "/orders/" + url.PathEscape(id)
	b, err := c.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return order{}, err
	}
	var o order
	if err := json.Unmarshal(b, &o); err != nil {
		return order{}, fmt.Errorf("DR GET %s: decode answer: %w", path, err)
	}
	return o, nil
}

// fulfillmentRequest is the body of POST /fulfillments. Each item ships
// (quantity) or cancels (cancelQuantity) units of one order line.
type fulfillmentRequest struct {
	OrderID         string                   `json:"orderId"`
	Items           []fulfillmentRequestItem `json:"items"`
	TrackingCompany string                   `json:"trackingCompany,omitempty"`
	TrackingNumber  string                   `json:"trackingNumber,omitempty"`
	TrackingURL     string                   `json:"trackingUrl,omitempty"`
}

type fulfillmentRequestItem struct {
	ItemID         string `json:"itemId"`
	Quantity       int    `json:"quantity,omitempty"`
	CancelQuantity int    `json:"cancelQuantity,omitempty"`
}

// createFulfillment is POST /fulfillments. It returns DR's Fulfillment as
// received.
func (c *drClient) createFulfillment(ctx context.Context, req fulfillmentRequest) (json.RawMessage, error) {
	b, err := c.do(ctx, http.MethodPost, "/fulfillments", req)
	if err != nil {
		return nil, err
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("DR POST /fulfillments: answer is not JSON: %.200q", b)
	}
	return b, nil
}

// returnRequest is the body of POST /returns.
type returnRequest struct {
	OrderID string              `json:"orderId"`
	Reason  string              `json:"reason,omitempty"`
	Items   []returnRequestItem `json:"items"`
}

type returnRequestItem struct {
	ItemID   string `json:"itemId"`
	Quantity int    `json:"quantity"`
}

// drReturn is the part of DR's Return that this merchant reads.
type drReturn struct {
	ID    string `json:"id"`
	State string `json:"state"`
}

// createReturn is POST /returns.
func (c *drClient) createReturn(ctx context.Context, req returnRequest) (drReturn, error) {
	b, err := c.do(ctx, http.MethodPost, "/returns", req)
	if err != nil {
		return drReturn{}, err
	}
	var r drReturn
	if err := json.Unmarshal(b, &r); err != nil {
		return drReturn{}, fmt.Errorf("DR POST /returns: decode answer: %w", err)
	}
	if r.ID == "" {
		return drReturn{}, fmt.Errorf("DR POST /returns: answer has no id: %.200q", b)
	}
	return r, nil
}

// drList is DR's list envelope: {"hasMore": …, "data": […]}.
type drList[T any] struct {
	HasMore bool `json:"hasMore"`
	Data    []T  `json:"data"`
}

// getJSON is a GET whose answer is decoded into out.
func getJSON[T any](ctx context.Context, c *drClient, path string) (T, error) {
	var out T
	b, err := c.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return out, err
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return out, fmt.Errorf("DR GET %s: decode answer: %w", path, err)
	}
	return out, nil
}

// maxListLimit is the largest page DR's lists give (docs/dr-api.md#lists-and-pagination).
const maxListLimit = "100"

// listOrders is GET /orders?customerId=…: the customer's orders, at most
// 100 (hasMore tells whether there are more).
func (c *drClient) listOrders(ctx context.Context, customerID string) (drList[order], error) {
	q := url.Values{"customerId": {customerID}, "limit": {maxListLimit}}
	return getJSON[drList[order]](ctx, c, "/orders?"+q.Encode())
}

// fileLink is a DR FileLink: a public, expiring URL of a File (an invoice
// or credit memo PDF), which customers may be given.
type fileLink struct {
	ID          string `json:"id"`
	FileID      string `json:"fileId"`
	ExpiresTime string `json:"expiresTime"` // kept as text: see parseDRTime
	Expired     bool   `json:"expired"`
	URL         string `json:"url"`
}

// createFileLink is POST /file-links: a link to the file that works until
// expires.
func (c *drClient) createFileLink(ctx context.Context, fileID string, expires time.Time) (fileLink, error) {
	req := struct {
		FileID      string `json:"fileId"`
		ExpiresTime string `json:"expiresTime"`
	}{fileID, expires.UTC().Format(time.RFC3339)}
	b, err := c.do(ctx, http.MethodPost, "/file-links", req)
	if err != nil {
		return fileLink{}, err
	}
	var fl fileLink
	if err := json.Unmarshal(b, &fl); err != nil {
		return fileLink{}, fmt.Errorf("DR POST /file-links: decode answer: %w", err)
	}
	if fl.URL == "" {
		return fileLink{}, fmt.Errorf("DR POST /file-links: answer has no url: %.200q", b)
	}
	return fl, nil
}

// listFileLinks is GET /file-links?fileId=…: the links DR has for the file.
func (c *drClient) listFileLinks(ctx context.Context, fileID string) ([]fileLink, error) {
	q := url.Values{"fileId": {fileID}, "limit": {maxListLimit}}
	l, err := getJSON[drList[fileLink]](ctx, c, "/file-links?"+q.Encode())
	return l.Data, err
}

// customer is the part of a DR Customer that this merchant reads.
type customer struct {
	ID              string   `json:"id"`
	Email           string   `json:"email"`
	DefaultSourceID string   `json:"defaultSourceId"`
	Sources         []source `json:"sources"`
}

// source is the part of a DR Source that this merchant reads. Full card
// numbers never leave DR.
type source struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	State      string `json:"state"`
	Reusable   bool   `json:"reusable"`
	CustomerID string `json:"customerId"`
	CreditCard *struct {
		Brand           string `json:"brand"`
		ExpirationMonth int    `json:"expirationMonth"`
		ExpirationYear  int    `json:"expirationYear"`
		LastFourDigits  string `json:"lastFourDigits"`
	} `json:"creditCard"`
}

// getCustomer is GET /customers/{id}.
func (c *drClient) getCustomer(ctx context.Context, id string) (customer, error) {
	return getJSON[customer](ctx, c, "/customers/"+url.PathEscape(id))
}

// findCustomers is GET /customers?email=…. DR allows several customers
// with one email.
func (c *drClient) findCustomers(ctx context.Context, email string) ([]customer, error) {
	q := url.Values{"email": {email}, "limit": {maxListLimit}}
	l, err := getJSON[drList[customer]](ctx, c, "/customers?"+q.Encode())
	return l.Data, err
}

// attachSource is POST /customers/{id}/sources/{sourceId} (empty body): the
// source becomes reusable and is saved on the customer. DR answers 409 with
// source_not_chargeable, nonreusable_source or source_in_use when it cannot
// be.
func (c *drClient) attachSource(ctx context.Context, customerID, sourceID string) (source, error) {
	path := "/customers/" + url.PathEscape(customerID) + "/sources/" + url.PathEscape(sourceID)
	b, err := c.do(ctx, http.MethodPost, path, nil)
	if err != nil {
		return source{}, err
	}
	var s source
	if err := json.Unmarshal(b, &s); err != nil {
		return source{}, fmt.Errorf("DR POST %s: decode answer: %w", path, err)
	}
	return s, nil
}

// sku is the part of a DR SKU that this merchant reads: what customers
// call the product.
type sku struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

// getSKU is GET /skus/{id}.
func (c *drClient) getSKU(ctx context.Context, id string) (sku, error) {
	return getJSON[sku](ctx, c, "/skus/"+url.PathEscape(id))
}

// plan is the part of a DR subscription Plan that this merchant reads.
type plan struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	Terms         string `json:"terms"`
	Interval      string `json:"interval"` // day, week, month or year
	IntervalCount int    `json:"intervalCount"`
	State         string `json:"state"`
}

// getPlan is GET /plans/{id}.
func (c *drClient) getPlan(ctx context.Context, id string) (plan, error) {
	return getJSON[plan](ctx, c, "/plans/"+url.PathEscape(id))
}

// getSubscription is GET /subscriptions/{id}.
func (c *drClient) getSubscription(ctx context.Context, id string) (subscription, error) {
	return getJSON[subscription](ctx, c, "/subscriptions/"+url.PathEscape(id))
}

// activateSubscription is POST /subscriptions/{id} with exactly
// {"state":"active"}: DR creates a subscription as a draft from the checkout
// and the merchant activates it once the order is accepted. A subscription
// that is already active (a retry after a lost answer) counts as done.
func (c *drClient) activateSubscription(ctx context.Context, id string) error {
	_, err := c.do(ctx, http.MethodPost, "/subscriptions/"+url.PathEscape(id), map[string]string{"state": "active"})
	if e, ok := asDRError(err); ok && e.Status == http.StatusConflict {
		if sub, gerr := c.getSubscription(ctx, id); gerr == nil && sub.State != "draft" {
			return nil
		}
	}
	return err
}

// setSubscriptionPrice is POST /subscriptions/{id} {items}: the unit price
// of one SKU's line (how a merchant sets the paid terms during a free trial).
func (c *drClient) setSubscriptionPrice(ctx context.Context, id, skuID string, quantity int, price float64) error {
	body := map[string]any{"items": []map[string]any{{"skuId": skuID, "quantity": quantity, "price": price}}}
	_, err := c.do(ctx, http.MethodPost, "/subscriptions/"+url.PathEscape(id), body)
	return err
}

// cancelSubscription is POST /subscriptions/{id} with exactly
// {"state":"cancelled"}: DR refuses (409 restricted_update) a cancellation
// that changes anything else.
func (c *drClient) cancelSubscription(ctx context.Context, id string) error {
	_, err := c.do(ctx, http.MethodPost, "/subscriptions/"+url.PathEscape(id), map[string]string{"state": "cancelled"})
	return err
}
