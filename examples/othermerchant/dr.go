package othermerchant

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// drAPI is the shop's own small client of Digital River's REST API: JSON in
// and out, the secret key as a bearer token, DR's error body kept for the
// log. It knows only the calls this shop makes.
type drAPI struct {
	base string
	key  string
	http *http.Client
}

// drError is an answer of DR other than 2xx.
type drError struct {
	Method, Path string
	Status       int
	Body         string
}

func (e *drError) Error() string {
	return fmt.Sprintf("Digital River %s %s: %d %s", e.Method, e.Path, e.Status, e.Body)
}

func (c *drAPI) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read the answer: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &drError{Method: method, Path: path, Status: resp.StatusCode, Body: strings.TrimSpace(string(b))}
	}
	if out == nil || len(b) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: decode the answer: %w", method, path, err)
	}
	return nil
}

func esc(s string) string { return url.PathEscape(s) }

// --- The resources, as far as this shop reads them ---------------------

type drOrder struct {
	ID             string        `json:"id"`
	CustomerID     string        `json:"customerId"`
	Email          string        `json:"email"`
	Currency       string        `json:"currency"`
	State          string        `json:"state"`
	CreatedTime    string        `json:"createdTime"`
	Subtotal       float64       `json:"subtotal"`
	TotalTax       float64       `json:"totalTax"`
	TotalDiscount  float64       `json:"totalDiscount"`
	TotalShipping  float64       `json:"totalShipping"`
	TotalAmount    float64       `json:"totalAmount"`
	RefundedAmount float64       `json:"refundedAmount"`
	Items          []drOrderItem `json:"items"`
	Payment        struct {
		Charges []struct {
			Refunds []drRefund `json:"refunds"`
		} `json:"charges"`
	} `json:"payment"`
	InvoicePDFs    []drFileRef `json:"invoicePDFs"`
	CreditMemoPDFs []drFileRef `json:"creditMemoPDFs"`
}

type drOrderItem struct {
	ID             string  `json:"id"`
	SKUID          string  `json:"skuId"`
	Quantity       int     `json:"quantity"`
	Amount         float64 `json:"amount"`
	State          string  `json:"state"`
	ProductDetails struct {
		Name string `json:"name"`
	} `json:"productDetails"`
	SubscriptionInfo *struct {
		SubscriptionID string `json:"subscriptionId"`
		PlanID         string `json:"planId"`
		FreeTrial      bool   `json:"freeTrial"`
	} `json:"subscriptionInfo"`
	// Metadata of the shop's checkout line: paidPrice is a free trial's
	// price after the trial.
	Metadata struct {
		PaidPrice zahl `json:"paidPrice"`
	} `json:"metadata"`
}

type drRefund struct {
	ID          string  `json:"id"`
	Amount      float64 `json:"amount"`
	State       string  `json:"state"`
	CreatedTime string  `json:"createdTime"`
}

type drFileRef struct {
	ID string `json:"id"`
}

type drCustomer struct {
	ID      string     `json:"id"`
	Email   string     `json:"email"`
	Sources []drSource `json:"sources"`
}

type drSource struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	CreditCard *struct {
		Brand           string `json:"brand"`
		LastFourDigits  string `json:"lastFourDigits"`
		ExpirationMonth int    `json:"expirationMonth"`
		ExpirationYear  int    `json:"expirationYear"`
	} `json:"creditCard"`
}

type drSubscription struct {
	ID               string            `json:"id"`
	State            string            `json:"state"`
	StateTransitions map[string]string `json:"stateTransitions"`
	CustomerID       string            `json:"customerId"`
	PlanID           string            `json:"planId"`
	SourceID         string            `json:"sourceId"`
	Currency         string            `json:"currency"`
	NextInvoiceDate  string            `json:"nextInvoiceDate"`
	Items            []struct {
		SKUID    string  `json:"skuId"`
		Price    float64 `json:"price"`
		Quantity int     `json:"quantity"`
	} `json:"items"`
}

type drInvoice struct {
	ID               string            `json:"id"`
	Description      string            `json:"description"`
	CustomerID       string            `json:"customerId"`
	Email            string            `json:"email"`
	Currency         string            `json:"currency"`
	OrderID          string            `json:"orderId"`
	StateTransitions map[string]string `json:"stateTransitions"`
	Subtotal         float64           `json:"subtotal"`
	TotalTax         float64           `json:"totalTax"`
	TotalDiscount    float64           `json:"totalDiscount"`
	TotalAmount      float64           `json:"totalAmount"`
	AttemptCount     int               `json:"attemptCount"`
	Items            []drOrderItem     `json:"items"`
	Payment          struct {
		Sources []drSource `json:"sources"`
	} `json:"payment"`
}

type drPlan struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Terms    string `json:"terms"`
	Interval string `json:"interval"`
}

type drSKU struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type drFileLink struct {
	ID          string `json:"id"`
	FileID      string `json:"fileId"`
	URL         string `json:"url"`
	ExpiresTime string `json:"expiresTime"`
}

// --- Calls ---------------------------------------------------------------

func (c *drAPI) order(ctx context.Context, id string) (drOrder, error) {
	var o drOrder
	err := c.call(ctx, "GET", "/orders/"+esc(id), nil, &o)
	return o, err
}

func (c *drAPI) customer(ctx context.Context, id string) (drCustomer, error) {
	var k drCustomer
	err := c.call(ctx, "GET", "/customers/"+esc(id), nil, &k)
	return k, err
}

// customersByEmail lists the customers DR knows with this email.
func (c *drAPI) customersByEmail(ctx context.Context, email string) ([]drCustomer, error) {
	var page struct {
		Data []drCustomer `json:"data"`
	}
	err := c.call(ctx, "GET", "/customers?"+url.Values{"email": {email}}.Encode(), nil, &page)
	return page.Data, err
}

func (c *drAPI) attachSource(ctx context.Context, customerID, sourceID string) error {
	return c.call(ctx, "POST", "/customers/"+esc(customerID)+"/sources/"+esc(sourceID), nil, nil)
}

type drFulfillmentLine struct {
	ItemID         string `json:"itemId"`
	Quantity       int    `json:"quantity,omitempty"`
	CancelQuantity int    `json:"cancelQuantity,omitempty"`
}

type drFulfillmentRequest struct {
	OrderID         string              `json:"orderId"`
	Items           []drFulfillmentLine `json:"items"`
	TrackingCompany string              `json:"trackingCompany,omitempty"`
	TrackingNumber  string              `json:"trackingNumber,omitempty"`
	TrackingURL     string              `json:"trackingUrl,omitempty"`
}

func (c *drAPI) fulfil(ctx context.Context, f drFulfillmentRequest) error {
	return c.call(ctx, "POST", "/fulfillments", f, nil)
}

type drReturnLine struct {
	ItemID   string `json:"itemId"`
	Quantity int    `json:"quantity"`
}

func (c *drAPI) createReturn(ctx context.Context, orderID, reason string, lines []drReturnLine) (string, error) {
	var r struct {
		ID string `json:"id"`
	}
	err := c.call(ctx, "POST", "/returns", map[string]any{"orderId": orderID, "reason": reason, "items": lines}, &r)
	return r.ID, err
}

func (c *drAPI) subscription(ctx context.Context, id string) (drSubscription, error) {
	var s drSubscription
	err := c.call(ctx, "GET", "/subscriptions/"+esc(id), nil, &s)
	return s, err
}

// customerSubscriptions lists a customer's subscriptions, newest first.
func (c *drAPI) customerSubscriptions(ctx context.Context, customerID string) ([]drSubscription, error) {
	var page struct {
		Data []drSubscription `json:"data"`
	}
	err := c.call(ctx, "GET", "/subscriptions?"+url.Values{"customerId": {customerID}, "limit": {"100"}}.Encode(), nil, &page)
	return page.Data, err
}

func (c *drAPI) updateSubscription(ctx context.Context, id string, body map[string]any) error {
	return c.call(ctx, "POST", "/subscriptions/"+esc(id), body, nil)
}

func (c *drAPI) plan(ctx context.Context, id string) (drPlan, error) {
	var p drPlan
	err := c.call(ctx, "GET", "/plans/"+esc(id), nil, &p)
	return p, err
}

func (c *drAPI) sku(ctx context.Context, id string) (drSKU, error) {
	var s drSKU
	err := c.call(ctx, "GET", "/skus/"+esc(id), nil, &s)
	return s, err
}

func (c *drAPI) createFileLink(ctx context.Context, fileID string, expires time.Time) (drFileLink, error) {
	var l drFileLink
	body := map[string]any{"fileId": fileID, "expiresTime": expires.UTC().Format(time.RFC3339)}
	err := c.call(ctx, "POST", "/file-links", body, &l)
	return l, err
}

// zahl is a number DR may write as a JSON number or, in metadata, as a
// string ("9.99").
type zahl float64

func (z *zahl) UnmarshalJSON(b []byte) error {
	t := strings.Trim(strings.TrimSpace(string(b)), `"`)
	if t == "" || t == "null" {
		*z = 0
		return nil
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return fmt.Errorf("number %s: %w", b, err)
	}
	*z = zahl(f)
	return nil
}
