package client

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
)

// DR's API. Each method is one call; an answer that is not 2xx is an *Error.

// CreateCustomer is POST /customers.
func (c *Client) CreateCustomer(ctx context.Context, p CustomerParams) (*Customer, error) {
	return send[Customer](ctx, c, http.MethodPost, "/customers", p)
}

// Customer is GET /customers/{id}.
func (c *Client) Customer(ctx context.Context, id string) (*Customer, error) {
	return get[Customer](ctx, c, "/customers/"+seg(id))
}

// UpdateCustomer is POST /customers/{id}.
func (c *Client) UpdateCustomer(ctx context.Context, id string, p CustomerParams) (*Customer, error) {
	return send[Customer](ctx, c, http.MethodPost, "/customers/"+seg(id), p)
}

// DeleteCustomer is DELETE /customers/{id}.
func (c *Client) DeleteCustomer(ctx context.Context, id string) error {
	return del(ctx, c, "/customers/"+seg(id))
}

// Customers is GET /customers (filters: email, ids).
func (c *Client) Customers(ctx context.Context, p ListParams) (*Page[Customer], error) {
	return list[Customer](ctx, c, "/customers", p)
}

// AttachSource is POST /customers/{id}/sources/{sourceId}.
func (c *Client) AttachSource(ctx context.Context, customerID, sourceID string) (*Source, error) {
	return send[Source](ctx, c, http.MethodPost, "/customers/"+seg(customerID)+"/sources/"+seg(sourceID), nil)
}

// DetachSource is DELETE /customers/{id}/sources/{sourceId}.
func (c *Client) DetachSource(ctx context.Context, customerID, sourceID string) error {
	return del(ctx, c, "/customers/"+seg(customerID)+"/sources/"+seg(sourceID))
}

// CreateSource is POST /sources (the public key may call it).
func (c *Client) CreateSource(ctx context.Context, p SourceParams) (*Source, error) {
	return send[Source](ctx, c, http.MethodPost, "/sources", p)
}

// Source is GET /sources/{id} (the public key may call it).
func (c *Client) Source(ctx context.Context, id string) (*Source, error) {
	return get[Source](ctx, c, "/sources/"+seg(id))
}

// CreateSKU is POST /skus.
func (c *Client) CreateSKU(ctx context.Context, p SKUParams) (*SKU, error) {
	return send[SKU](ctx, c, http.MethodPost, "/skus", p)
}

// PutSKU is PUT /skus/{id}: it creates the SKU or replaces it.
func (c *Client) PutSKU(ctx context.Context, id string, p SKUParams) (*SKU, error) {
	return send[SKU](ctx, c, http.MethodPut, "/skus/"+seg(id), p)
}

// UpdateSKU is POST /skus/{id}.
func (c *Client) UpdateSKU(ctx context.Context, id string, p SKUParams) (*SKU, error) {
	return send[SKU](ctx, c, http.MethodPost, "/skus/"+seg(id), p)
}

// SKU is GET /skus/{id}.
func (c *Client) SKU(ctx context.Context, id string) (*SKU, error) {
	return get[SKU](ctx, c, "/skus/"+seg(id))
}

// SKUs is GET /skus.
func (c *Client) SKUs(ctx context.Context, p ListParams) (*Page[SKU], error) {
	return list[SKU](ctx, c, "/skus", p)
}

// DeleteSKU is DELETE /skus/{id}.
func (c *Client) DeleteSKU(ctx context.Context, id string) error {
	return del(ctx, c, "/skus/"+seg(id))
}

// Order is GET /orders/{id}.
func (c *Client) Order(ctx context.Context, id string) (*Order, error) {
	return get[Order](ctx, c, "/orders/"+seg(id))
}

// Orders is GET /orders (filters: ids, state, customerId, email, createdTime[gt|gte|lt|lte]).
func (c *Client) Orders(ctx context.Context, p ListParams) (*Page[Order], error) {
	return list[Order](ctx, c, "/orders", p)
}

// UpdateOrder is POST /orders/{id}.
func (c *Client) UpdateOrder(ctx context.Context, id string, p OrderUpdateParams) (*Order, error) {
	return send[Order](ctx, c, http.MethodPost, "/orders/"+seg(id), p)
}

// Charge is GET /charges/{id}: one of an order's charges.
func (c *Client) Charge(ctx context.Context, id string) (*Charge, error) {
	return get[Charge](ctx, c, "/charges/"+seg(id))
}

// CreateFulfillment is POST /fulfillments: ship or cancel units.
func (c *Client) CreateFulfillment(ctx context.Context, p FulfillmentParams) (*Fulfillment, error) {
	return send[Fulfillment](ctx, c, http.MethodPost, "/fulfillments", p)
}

// Fulfillment is GET /fulfillments/{id}.
func (c *Client) Fulfillment(ctx context.Context, id string) (*Fulfillment, error) {
	return get[Fulfillment](ctx, c, "/fulfillments/"+seg(id))
}

// Fulfillments is GET /fulfillments (filters: ids, orderId, skuId, trackingNumber, trackingCompany).
func (c *Client) Fulfillments(ctx context.Context, p ListParams) (*Page[Fulfillment], error) {
	return list[Fulfillment](ctx, c, "/fulfillments", p)
}

// CreateRefund is POST /refunds.
func (c *Client) CreateRefund(ctx context.Context, p RefundParams) (*Refund, error) {
	return send[Refund](ctx, c, http.MethodPost, "/refunds", p)
}

// Refund is GET /refunds/{id}.
func (c *Client) Refund(ctx context.Context, id string) (*Refund, error) {
	return get[Refund](ctx, c, "/refunds/"+seg(id))
}

// Refunds is GET /refunds (filters: ids, orderId, state).
func (c *Client) Refunds(ctx context.Context, p ListParams) (*Page[Refund], error) {
	return list[Refund](ctx, c, "/refunds", p)
}

// UpdateRefund is POST /refunds/{id} (metadata only).
func (c *Client) UpdateRefund(ctx context.Context, id string, p MetadataParams) (*Refund, error) {
	return send[Refund](ctx, c, http.MethodPost, "/refunds/"+seg(id), p)
}

// CreateReturn is POST /returns.
func (c *Client) CreateReturn(ctx context.Context, p ReturnParams) (*Return, error) {
	return send[Return](ctx, c, http.MethodPost, "/returns", p)
}

// Return is GET /returns/{id}.
func (c *Client) Return(ctx context.Context, id string) (*Return, error) {
	return get[Return](ctx, c, "/returns/"+seg(id))
}

// Returns is GET /returns (filters: ids, orderId, state).
func (c *Client) Returns(ctx context.Context, p ListParams) (*Page[Return], error) {
	return list[Return](ctx, c, "/returns", p)
}

// UpdateReturn is POST /returns/{id}.
func (c *Client) UpdateReturn(ctx context.Context, id string, p ReturnUpdateParams) (*Return, error) {
	return send[Return](ctx, c, http.MethodPost, "/returns/"+seg(id), p)
}

// Event is GET /events/{id}.
func (c *Client) Event(ctx context.Context, id string) (*Event, error) {
	return get[Event](ctx, c, "/events/"+seg(id))
}

// Events is GET /events, newest first (filters: type, types, createdTime[gt|gte|lt|lte]).
func (c *Client) Events(ctx context.Context, p ListParams) (*Page[Event], error) {
	return list[Event](ctx, c, "/events", p)
}

// CreateWebhook is POST /webhooks.
func (c *Client) CreateWebhook(ctx context.Context, p WebhookParams) (*Webhook, error) {
	return send[Webhook](ctx, c, http.MethodPost, "/webhooks", p)
}

// Webhook is GET /webhooks/{id}.
func (c *Client) Webhook(ctx context.Context, id string) (*Webhook, error) {
	return get[Webhook](ctx, c, "/webhooks/"+seg(id))
}

// Webhooks is GET /webhooks (filters: type, types).
func (c *Client) Webhooks(ctx context.Context, p ListParams) (*Page[Webhook], error) {
	return list[Webhook](ctx, c, "/webhooks", p)
}

// UpdateWebhook is PATCH /webhooks/{id}.
func (c *Client) UpdateWebhook(ctx context.Context, id string, p WebhookParams) (*Webhook, error) {
	return send[Webhook](ctx, c, http.MethodPatch, "/webhooks/"+seg(id), p)
}

// DeleteWebhook is DELETE /webhooks/{id}.
func (c *Client) DeleteWebhook(ctx context.Context, id string) error {
	return del(ctx, c, "/webhooks/"+seg(id))
}

// CreateFile is POST /files, multipart/form-data.
func (c *Client) CreateFile(ctx context.Context, f FileUpload) (*File, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, kv := range [][2]string{{"purpose", f.Purpose}, {"fileName", f.FileName}, {"title", f.Title}} {
		if kv[1] == "" {
			continue
		}
		if err := mw.WriteField(kv[0], kv[1]); err != nil {
			return nil, fmt.Errorf("POST /files: %w", err)
		}
	}
	name := f.FileName
	if name == "" {
		name = "upload"
	}
	part, err := mw.CreateFormFile("file", name)
	if err == nil {
		_, err = part.Write(f.Content)
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("POST /files: %w", err)
	}
	b, _, err := c.send(ctx, http.MethodPost, "/files", &buf, mw.FormDataContentType())
	if err != nil {
		return nil, err
	}
	var out File
	if err := c.decode(http.MethodPost, "/files", b, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// File is GET /files/{id}.
func (c *Client) File(ctx context.Context, id string) (*File, error) {
	return get[File](ctx, c, "/files/"+seg(id))
}

// Files is GET /files (filters: ids, purpose).
func (c *Client) Files(ctx context.Context, p ListParams) (*Page[File], error) {
	return list[File](ctx, c, "/files", p)
}

// DeleteFile is DELETE /files/{id}.
func (c *Client) DeleteFile(ctx context.Context, id string) error {
	return del(ctx, c, "/files/"+seg(id))
}

// FileContent is GET /files/{id}/content: the bytes and their content type.
func (c *Client) FileContent(ctx context.Context, id string) ([]byte, string, error) {
	return c.send(ctx, http.MethodGet, "/files/"+seg(id)+"/content", nil, "")
}

// CreateFileLink is POST /file-links.
func (c *Client) CreateFileLink(ctx context.Context, p FileLinkParams) (*FileLink, error) {
	return send[FileLink](ctx, c, http.MethodPost, "/file-links", p)
}

// FileLink is GET /file-links/{id}.
func (c *Client) FileLink(ctx context.Context, id string) (*FileLink, error) {
	return get[FileLink](ctx, c, "/file-links/"+seg(id))
}

// FileLinks is GET /file-links (filters: ids, fileId, expired).
func (c *Client) FileLinks(ctx context.Context, p ListParams) (*Page[FileLink], error) {
	return list[FileLink](ctx, c, "/file-links", p)
}

// UpdateFileLink is POST /file-links/{id}.
func (c *Client) UpdateFileLink(ctx context.Context, id string, p FileLinkUpdateParams) (*FileLink, error) {
	return send[FileLink](ctx, c, http.MethodPost, "/file-links/"+seg(id), p)
}

// DeleteFileLink is DELETE /file-links/{id}.
func (c *Client) DeleteFileLink(ctx context.Context, id string) error {
	return del(ctx, c, "/file-links/"+seg(id))
}

// CreatePlan is POST /plans.
func (c *Client) CreatePlan(ctx context.Context, p PlanParams) (*Plan, error) {
	return send[Plan](ctx, c, http.MethodPost, "/plans", p)
}

// Plan is GET /plans/{id}.
func (c *Client) Plan(ctx context.Context, id string) (*Plan, error) {
	return get[Plan](ctx, c, "/plans/"+seg(id))
}

// Plans is GET /plans (filters: state, interval).
func (c *Client) Plans(ctx context.Context, p ListParams) (*Page[Plan], error) {
	return list[Plan](ctx, c, "/plans", p)
}

// UpdatePlan is POST /plans/{id}.
func (c *Client) UpdatePlan(ctx context.Context, id string, p PlanParams) (*Plan, error) {
	return send[Plan](ctx, c, http.MethodPost, "/plans/"+seg(id), p)
}

// DeletePlan is DELETE /plans/{id}.
func (c *Client) DeletePlan(ctx context.Context, id string) error {
	return del(ctx, c, "/plans/"+seg(id))
}

// Subscription is GET /subscriptions/{id}.
func (c *Client) Subscription(ctx context.Context, id string) (*Subscription, error) {
	return get[Subscription](ctx, c, "/subscriptions/"+seg(id))
}

// Subscriptions is GET /subscriptions (filters: planId, state, customerId).
func (c *Client) Subscriptions(ctx context.Context, p ListParams) (*Page[Subscription], error) {
	return list[Subscription](ctx, c, "/subscriptions", p)
}

// UpdateSubscription is POST /subscriptions/{id}.
func (c *Client) UpdateSubscription(ctx context.Context, id string, p SubscriptionUpdateParams) (*Subscription, error) {
	return send[Subscription](ctx, c, http.MethodPost, "/subscriptions/"+seg(id), p)
}

// DeleteSubscription is DELETE /subscriptions/{id}.
func (c *Client) DeleteSubscription(ctx context.Context, id string) error {
	return del(ctx, c, "/subscriptions/"+seg(id))
}

// Invoice is GET /invoices/{id} (a billing invoice).
func (c *Client) Invoice(ctx context.Context, id string) (*Invoice, error) {
	return get[Invoice](ctx, c, "/invoices/"+seg(id))
}

// CreateInvoice is POST /invoices: a draft billing invoice.
func (c *Client) CreateInvoice(ctx context.Context, p InvoiceParams) (*Invoice, error) {
	return send[Invoice](ctx, c, http.MethodPost, "/invoices", p)
}

// UpdateInvoice is POST /invoices/{id} (metadata).
func (c *Client) UpdateInvoice(ctx context.Context, id string, p InvoiceUpdateParams) (*Invoice, error) {
	return send[Invoice](ctx, c, http.MethodPost, "/invoices/"+seg(id), p)
}

// DeleteInvoice is DELETE /invoices/{id} (a draft).
func (c *Client) DeleteInvoice(ctx context.Context, id string) error {
	return del(ctx, c, "/invoices/"+seg(id))
}

// OpenInvoice is POST /invoices/{id}/open (a draft).
func (c *Client) OpenInvoice(ctx context.Context, id string) (*Invoice, error) {
	return send[Invoice](ctx, c, http.MethodPost, "/invoices/"+seg(id)+"/open", nil)
}

// VoidInvoice is POST /invoices/{id}/void (an open invoice; else 409
// invalid_state).
func (c *Client) VoidInvoice(ctx context.Context, id string) (*Invoice, error) {
	return send[Invoice](ctx, c, http.MethodPost, "/invoices/"+seg(id)+"/void", nil)
}

// Invoices is GET /invoices (filters: state, customerId, subscriptionId).
func (c *Client) Invoices(ctx context.Context, p ListParams) (*Page[Invoice], error) {
	return list[Invoice](ctx, c, "/invoices", p)
}
