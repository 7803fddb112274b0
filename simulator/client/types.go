package client

import (
	"encoding/json"
	"time"
)

// The simulator's wire types: what DR's API and the control API answer, and
// the parameters they take. Field names and JSON types follow DR's API
// (docs/dr-api.md); a field the simulator does not send is not here.

// Page is one page of a list.
type Page[T any] struct {
	HasMore bool `json:"hasMore"`
	Data    []T  `json:"data"`
}

// LogPage is a page of a control log (GET /_sim/requests, GET
// /_sim/deliveries), oldest first; Dropped counts the entries the
// simulator no longer keeps (the oldest, past its limit).
type LogPage[T any] struct {
	HasMore bool `json:"hasMore"`
	Data    []T  `json:"data"`
	Dropped int  `json:"dropped"`
}

// Address is a postal address.
type Address struct {
	Line1      string `json:"line1,omitempty"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city,omitempty"`
	PostalCode string `json:"postalCode,omitempty"`
	State      string `json:"state,omitempty"`
	Country    string `json:"country,omitempty"`
}

// Contact is a name, phone, email and address (shipping, shipTo, billTo).
type Contact struct {
	Name         string   `json:"name,omitempty"`
	Phone        string   `json:"phone,omitempty"`
	Email        string   `json:"email,omitempty"`
	Organization string   `json:"organization,omitempty"`
	Address      *Address `json:"address,omitempty"`
}

// Customer is a DR customer.
type Customer struct {
	ID                   string         `json:"id"`
	Email                string         `json:"email,omitempty"`
	Shipping             *Contact       `json:"shipping,omitempty"`
	DefaultSourceID      string         `json:"defaultSourceId,omitempty"`
	Sources              []*Source      `json:"sources,omitempty"` // the saved (attached) sources
	Type                 string         `json:"type"`              // individual or business
	Locale               string         `json:"locale,omitempty"`
	Enabled              bool           `json:"enabled"`
	RequestToBeForgotten bool           `json:"requestToBeForgotten"`
	Metadata             map[string]any `json:"metadata,omitempty"`
	LiveMode             bool           `json:"liveMode"`
	CreatedTime          time.Time      `json:"createdTime"`
	UpdatedTime          time.Time      `json:"updatedTime"`
}

// CustomerParams create a customer (POST /customers) or update one (POST
// /customers/{id}); nil fields are left alone, and a field set to its zero
// value is set so ("" clears the locale). String and Bool (or Go 1.26's
// new(expr)) make the pointers: CustomerParams{Email: String("zoe@example.test")}.
type CustomerParams struct {
	ID                   *string        `json:"id,omitempty"` // 1 to 40 characters; numeric when nil; cannot change
	Email                *string        `json:"email,omitempty"`
	Shipping             *Contact       `json:"shipping,omitempty"`
	DefaultSourceID      *string        `json:"defaultSourceId,omitempty"` // an attached source; updates only
	Type                 *string        `json:"type,omitempty"`            // individual (the default) or business
	Locale               *string        `json:"locale,omitempty"`
	Enabled              *bool          `json:"enabled,omitempty"`
	RequestToBeForgotten *bool          `json:"requestToBeForgotten,omitempty"`
	Metadata             map[string]any `json:"metadata,omitempty"`
}

// CreditCard is what a source shows of its card: never the full number.
type CreditCard struct {
	Brand           string `json:"brand"`
	ExpirationMonth int    `json:"expirationMonth"`
	ExpirationYear  int    `json:"expirationYear"`
	LastFourDigits  string `json:"lastFourDigits"`
	FundingSource   string `json:"fundingSource,omitempty"`
}

// Owner is a source's owner.
type Owner struct {
	FirstName    string   `json:"firstName,omitempty"`
	LastName     string   `json:"lastName,omitempty"`
	Email        string   `json:"email,omitempty"`
	Organization string   `json:"organization,omitempty"`
	Address      *Address `json:"address,omitempty"`
}

// Source is a payment source.
type Source struct {
	ID           string      `json:"id"`
	ClientSecret string      `json:"clientSecret"`
	Type         string      `json:"type"`
	State        string      `json:"state"`
	Reusable     bool        `json:"reusable"`
	Flow         string      `json:"flow"`
	Currency     string      `json:"currency,omitempty"`
	Amount       float64     `json:"amount,omitempty"`
	Owner        *Owner      `json:"owner,omitempty"`
	CustomerID   string      `json:"customerId,omitempty"`
	CreditCard   *CreditCard `json:"creditCard,omitempty"`
	PayPal       *PayPal     `json:"payPal,omitempty"`
	// PayPalBilling is a payPalBilling source's details (DR's PayPal
	// Billing Agreement, its way to pay subscriptions with PayPal; the
	// SDK's PayPal model).
	PayPalBilling *PayPal        `json:"payPalBilling,omitempty"`
	WireTransfer  *WireTransfer  `json:"wireTransfer,omitempty"`
	Metadata      map[string]any `json:"metadata,omitempty"`
	LiveMode      bool           `json:"liveMode"`
	CreatedTime   time.Time      `json:"createdTime"`
}

// PayPal is a payPal source's details (DR's PayPal model): the redirect the
// customer approved the payment through and PayPal's token.
type PayPal struct {
	Redirect    *Redirect    `json:"redirect,omitempty"`
	DirectDebit *PayPalToken `json:"directDebit,omitempty"`
}

// PayPalToken is PayPal's token for the approved payment.
type PayPalToken struct {
	Token string `json:"token"`
}

// Redirect is where a redirect payment method sends the customer.
type Redirect struct {
	RedirectURL string `json:"redirectUrl,omitempty"`
	ReturnURL   string `json:"returnUrl,omitempty"`
	CancelURL   string `json:"cancelUrl,omitempty"`
}

// WireTransfer is where the customer pushes a wireTransfer source's funds
// (DR's WireTransfer model).
type WireTransfer struct {
	AccountHolder             string `json:"accountHolder"`
	BankName                  string `json:"bankName"`
	City                      string `json:"city"`
	Country                   string `json:"country"`
	ReferenceID               string `json:"referenceId"`
	AccountNumber             string `json:"accountNumber"`
	AdditionalBankInformation string `json:"additionalBankInformation,omitempty"`
	IBAN                      string `json:"iban"`
	SwiftCode                 string `json:"swiftCode"`
}

// CardParams are a card's number and expiry (test card numbers choose the
// card's behaviour: docs/lifecycles.md#test-mode-triggers-doc).
type CardParams struct {
	Number          string `json:"number"`
	ExpirationMonth int    `json:"expirationMonth"`
	ExpirationYear  int    `json:"expirationYear"`
	CVV             string `json:"cvv,omitempty"`
}

// SourceParams create a source with the simulator's test-only POST
// /sources (DR tokenises real payment details in the browser): type
// creditCard with CreditCard, payPal with PayPal (optional), payPalBilling
// with PayPalBilling or PayPal (optional), or wireTransfer with
// WireTransfer (optional).
type SourceParams struct {
	Type       string        `json:"type"`
	Owner      *Owner        `json:"owner,omitempty"`
	CreditCard *CardParams   `json:"creditCard,omitempty"`
	PayPal     *PayPalParams `json:"payPal,omitempty"`
	// PayPalBilling goes with type payPalBilling (DR's example request
	// sends it as payPal; either is taken).
	PayPalBilling *PayPalParams       `json:"payPalBilling,omitempty"`
	WireTransfer  *WireTransferParams `json:"wireTransfer,omitempty"`
	Currency      string              `json:"currency,omitempty"`
	Amount        float64             `json:"amount,omitempty"`
	Metadata      map[string]any      `json:"metadata,omitempty"`
}

// PayPalParams are a payPal source's request: where DR.js would send the
// customer back (optional in the simulator).
type PayPalParams struct {
	Redirect *RedirectParams `json:"redirect,omitempty"`
}

// RedirectParams are the URLs a redirect payment method sends the customer
// back to.
type RedirectParams struct {
	ReturnURL string `json:"returnUrl,omitempty"`
	CancelURL string `json:"cancelUrl,omitempty"`
}

// WireTransferParams is a wireTransfer source's request (empty, as DR's).
type WireTransferParams struct{}

// SKU is a product.
type SKU struct {
	ID              string         `json:"id"`
	Name            string         `json:"name"`
	Description     string         `json:"description,omitempty"`
	Image           string         `json:"image,omitempty"`
	URL             string         `json:"url,omitempty"`
	Physical        bool           `json:"physical"`
	TaxCode         string         `json:"taxCode,omitempty"`
	CountryOfOrigin string         `json:"countryOfOrigin,omitempty"`
	ECCN            string         `json:"eccn,omitempty"`
	HSCode          string         `json:"hsCode,omitempty"`
	PartNumber      string         `json:"partNumber,omitempty"`
	Weight          float64        `json:"weight,omitempty"`
	WeightUnit      string         `json:"weightUnit,omitempty"`
	ManufacturerID  string         `json:"manufacturerId,omitempty"`
	SkuGroupID      string         `json:"skuGroupId,omitempty"`
	Metadata        map[string]any `json:"metadata,omitempty"`
	LiveMode        bool           `json:"liveMode"`
	CreatedTime     time.Time      `json:"createdTime"`
	UpdatedTime     time.Time      `json:"updatedTime"`
}

// SKUParams create (POST /skus), replace (PUT /skus/{id}) or update (POST
// /skus/{id}) a SKU; nil fields are left alone on update.
type SKUParams struct {
	ID              *string        `json:"id,omitempty"`
	Name            *string        `json:"name,omitempty"`
	Description     *string        `json:"description,omitempty"`
	Image           *string        `json:"image,omitempty"`
	URL             *string        `json:"url,omitempty"`
	Physical        *bool          `json:"physical,omitempty"`
	TaxCode         *string        `json:"taxCode,omitempty"`
	CountryOfOrigin *string        `json:"countryOfOrigin,omitempty"`
	ECCN            *string        `json:"eccn,omitempty"`
	HSCode          *string        `json:"hsCode,omitempty"`
	PartNumber      *string        `json:"partNumber,omitempty"`
	Weight          *float64       `json:"weight,omitempty"`
	WeightUnit      *string        `json:"weightUnit,omitempty"` // oz, lb, g or kg
	ManufacturerID  *string        `json:"manufacturerId,omitempty"`
	SkuGroupID      *string        `json:"skuGroupId,omitempty"`
	Metadata        map[string]any `json:"metadata,omitempty"`
}

// ProductDetails are an order line's product as it was sold.
type ProductDetails struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Image       string `json:"image,omitempty"`
	URL         string `json:"url,omitempty"`
	// Physical and Metadata are the SKU's, shown only by GET
	// /orders/{id}?expand=true (DR's "Expanding events").
	Physical *bool          `json:"physical,omitempty"`
	Metadata map[string]any `json:"metadata,omitempty"`
}

// Tax is a line's tax.
type Tax struct {
	Rate   float64 `json:"rate"`
	Amount float64 `json:"amount"`
}

// Discount is a line's discount as DR writes it: amountOff per unit, on quantity units.
type Discount struct {
	AmountOff  float64 `json:"amountOff"`
	PercentOff float64 `json:"percentOff,omitempty"`
	Quantity   int     `json:"quantity"`
}

// ItemShipping is a line's share of shipping.
type ItemShipping struct {
	Amount    float64 `json:"amount"`
	TaxAmount float64 `json:"taxAmount"`
}

// SubscriptionInfo makes an order line (or invoice line) a subscription's.
type SubscriptionInfo struct {
	SubscriptionID string `json:"subscriptionId,omitempty"`
	PlanID         string `json:"planId"`
	Terms          string `json:"terms,omitempty"`
	AutoRenewal    *bool  `json:"autoRenewal,omitempty"`
	FreeTrial      bool   `json:"freeTrial"`
}

// OrderItem is one line of an order.
type OrderItem struct {
	ID                      string               `json:"id"`
	SKUID                   string               `json:"skuId"`
	ProductDetails          ProductDetails       `json:"productDetails"`
	Quantity                int                  `json:"quantity"`
	Amount                  float64              `json:"amount"`
	State                   string               `json:"state"`
	StateTransitions        map[string]time.Time `json:"stateTransitions"`
	Tax                     Tax                  `json:"tax"`
	Discount                *Discount            `json:"discount,omitempty"`
	Shipping                ItemShipping         `json:"shipping"`
	AvailableToRefundAmount float64              `json:"availableToRefundAmount"`
	Metadata                map[string]any       `json:"metadata,omitempty"`
	SubscriptionInfo        *SubscriptionInfo    `json:"subscriptionInfo,omitempty"`
}

// ChargeOperation is one capture, cancel or refund of a charge (DR's
// Capture, Cancel and Refund models); State is pending, complete or failed.
type ChargeOperation struct {
	ID          string    `json:"id"`
	CreatedTime time.Time `json:"createdTime"`
	Amount      float64   `json:"amount"`
	State       string    `json:"state"`
	FailureCode string    `json:"failureCode,omitempty"`
	// FulfillmentID is, on a capture, the fulfillment that asked for it
	// (DR's "Capturing and cancelling charges").
	FulfillmentID string `json:"fulfillmentId,omitempty"`
}

// Charge is an order's charge to a source (an order has one).
type Charge struct {
	ID          string             `json:"id"`
	CreatedTime time.Time          `json:"createdTime"`
	Currency    string             `json:"currency"`
	Amount      float64            `json:"amount"`
	State       string             `json:"state"`
	Captured    bool               `json:"captured"`
	Refunded    bool               `json:"refunded"`
	SourceID    string             `json:"sourceId"`
	OrderID     string             `json:"orderId"`
	Type        string             `json:"type"`
	Captures    []*ChargeOperation `json:"captures,omitempty"` // one per fulfillment that ships units
	Cancels     []*ChargeOperation `json:"cancels,omitempty"`  // one per fulfillment that cancels units
	Refunds     []*ChargeOperation `json:"refunds,omitempty"`  // one per refund
}

// Payment is an order's sources and charges.
type Payment struct {
	Sources []*Source `json:"sources"`
	Charges []*Charge `json:"charges"`
}

// SellingEntity is who sold the order.
type SellingEntity struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// ShippingChoice is the order's shipping.
type ShippingChoice struct {
	Amount      float64 `json:"amount"`
	TaxAmount   float64 `json:"taxAmount"`
	Description string  `json:"description,omitempty"`
}

// FileRef points at a File from an order (invoicePDFs, creditMemoPDFs).
type FileRef struct {
	ID       string `json:"id"`
	URL      string `json:"url"`
	LiveMode bool   `json:"liveMode"`
}

// Order is a DR order.
type Order struct {
	ID                      string               `json:"id"`
	CustomerID              string               `json:"customerId"`
	UpstreamID              string               `json:"upstreamId,omitempty"`
	Email                   string               `json:"email"`
	Locale                  string               `json:"locale"`
	Currency                string               `json:"currency"`
	State                   string               `json:"state"`
	StateTransitions        map[string]time.Time `json:"stateTransitions"`
	FraudState              string               `json:"fraudState"`
	ShipTo                  *Contact             `json:"shipTo,omitempty"`
	BillTo                  *Contact             `json:"billTo,omitempty"`
	Subtotal                float64              `json:"subtotal"`
	TotalTax                float64              `json:"totalTax"`
	TotalDiscount           float64              `json:"totalDiscount"`
	TotalShipping           float64              `json:"totalShipping"`
	TotalFees               float64              `json:"totalFees"`
	TotalDuty               float64              `json:"totalDuty"`
	TotalImporterTax        float64              `json:"totalImporterTax"`
	TotalAmount             float64              `json:"totalAmount"`
	CapturedAmount          float64              `json:"capturedAmount"`
	CancelledAmount         float64              `json:"cancelledAmount"`
	RefundedAmount          float64              `json:"refundedAmount"`
	AvailableToRefundAmount float64              `json:"availableToRefundAmount"`
	ShippingChoice          ShippingChoice       `json:"shippingChoice"`
	Items                   []*OrderItem         `json:"items"`
	Payment                 Payment              `json:"payment"`
	SellingEntity           SellingEntity        `json:"sellingEntity"`
	InvoicePDFs             []FileRef            `json:"invoicePDFs,omitempty"`
	CreditMemoPDFs          []FileRef            `json:"creditMemoPDFs,omitempty"`
	RequestToBeForgotten    bool                 `json:"requestToBeForgotten"`
	Metadata                map[string]any       `json:"metadata,omitempty"`
	LiveMode                bool                 `json:"liveMode"`
	CreatedTime             time.Time            `json:"createdTime"`
	UpdatedTime             time.Time            `json:"updatedTime"`
}

// OrderUpdateParams update an order (POST /orders/{id}: DR allows only
// these fields); nil fields are left alone, "" clears the upstream id.
type OrderUpdateParams struct {
	RequestToBeForgotten *bool          `json:"requestToBeForgotten,omitempty"`
	UpstreamID           *string        `json:"upstreamId,omitempty"`
	Metadata             map[string]any `json:"metadata,omitempty"`
}

// PlaceItem is one line of a checkout the simulator places.
type PlaceItem struct {
	SKUID    string  `json:"skuId"`
	Quantity int     `json:"quantity"`
	Price    float64 `json:"price"`              // unit price before discount
	TaxRate  float64 `json:"taxRate,omitempty"`  // tax = round(amount × taxRate)
	Discount float64 `json:"discount,omitempty"` // line discount
	// SubscriptionInfo makes the line a subscription.
	SubscriptionInfo *SubscriptionInfo `json:"subscriptionInfo,omitempty"`
	// Metadata is the line's checkout metadata, kept on the order's item.
	Metadata map[string]any `json:"metadata,omitempty"`
}

// PlaceShipping is a checkout's shipping.
type PlaceShipping struct {
	Amount      float64 `json:"amount"`
	TaxAmount   float64 `json:"taxAmount"`
	Description string  `json:"description,omitempty"`
}

// PlaceOrderParams are a checkout for POST /_sim/orders: what DR turns into
// an order when a shopper submits it. The order is paid with SourceID, else
// the customer's default source, else a new test Visa; Currency is USD when
// empty, Email the customer's.
type PlaceOrderParams struct {
	CustomerID string         `json:"customerId,omitempty"`
	Email      string         `json:"email,omitempty"`
	Currency   string         `json:"currency,omitempty"`
	Locale     string         `json:"locale,omitempty"`
	SourceID   string         `json:"sourceId,omitempty"`
	UpstreamID string         `json:"upstreamId,omitempty"`
	Items      []PlaceItem    `json:"items"`
	Shipping   *PlaceShipping `json:"shipping,omitempty"`
	ShipTo     *Contact       `json:"shipTo,omitempty"`
	BillTo     *Contact       `json:"billTo,omitempty"`
	Metadata   map[string]any `json:"metadata,omitempty"`
}

// FulfillmentItem is one line of a fulfillment: units shipped or
// cancelled; both quantities are always present.
type FulfillmentItem struct {
	ItemID         string `json:"itemId"`
	SKUID          string `json:"skuId"`
	Quantity       int    `json:"quantity"`
	CancelQuantity int    `json:"cancelQuantity"`
}

// Fulfillment ships or cancels units of an order (DR's Fulfillment).
// OrderDetails is the order without its payment as it was just before the
// fulfillment took effect (DR's sample shows pre-fulfilment states).
type Fulfillment struct {
	ID              string            `json:"id"`
	CreatedTime     time.Time         `json:"createdTime"`
	OrderID         string            `json:"orderId"`
	Items           []FulfillmentItem `json:"items"`
	TrackingCompany string            `json:"trackingCompany,omitempty"`
	TrackingNumber  string            `json:"trackingNumber,omitempty"`
	TrackingURL     string            `json:"trackingUrl,omitempty"`
	ShipmentID      string            `json:"shipmentId,omitempty"`
	Metadata        map[string]any    `json:"metadata,omitempty"`
	LiveMode        bool              `json:"liveMode"`
	OrderDetails    json.RawMessage   `json:"orderDetails,omitempty"`
}

// FulfillmentItemParams ship (Quantity) or cancel (CancelQuantity) units of
// one order line, named by ItemID or SKUID. Both quantities are optional in
// DR's request (docs/dr-api.md#fulfillment) and a 0 is left out: a line that
// only cancels sends no quantity, one that only ships no cancelQuantity. The
// answer's FulfillmentItem has both, 0 when unused.
type FulfillmentItemParams struct {
	ItemID         string `json:"itemId,omitempty"`
	SKUID          string `json:"skuId,omitempty"`
	Quantity       int    `json:"quantity,omitempty"`
	CancelQuantity int    `json:"cancelQuantity,omitempty"`
}

// FulfillmentParams create a fulfillment (POST /fulfillments,
// docs/dr-api.md#fulfillment).
type FulfillmentParams struct {
	OrderID         string                  `json:"orderId"`
	Items           []FulfillmentItemParams `json:"items"`
	TrackingCompany string                  `json:"trackingCompany,omitempty"`
	TrackingNumber  string                  `json:"trackingNumber,omitempty"`
	TrackingURL     string                  `json:"trackingUrl,omitempty"`
	ShipmentID      string                  `json:"shipmentId,omitempty"`
	Metadata        map[string]any          `json:"metadata,omitempty"`
}

// RefundItem is one line of an item-level refund.
type RefundItem struct {
	ItemID         string  `json:"itemId"`
	SKUID          string  `json:"skuId"`
	Quantity       int     `json:"quantity"`
	Amount         float64 `json:"amount"`
	RefundedAmount float64 `json:"refundedAmount"`
}

// RefundCharge is a charge as a completed or failed refund shows it (DR's
// Charges model), with this refund's entry in Refunds.
type RefundCharge struct {
	ID       string              `json:"id"`
	Captured bool                `json:"captured"`
	Refunded bool                `json:"refunded"`
	Refunds  []RefundChargeEntry `json:"refunds"`
	SourceID string              `json:"sourceId"`
}

// RefundChargeEntry is the refund's entry on its charge, as the refund
// shows it (DR's RefundCharges).
type RefundChargeEntry struct {
	CreatedTime time.Time `json:"createdTime"`
	Amount      float64   `json:"amount"`
	State       string    `json:"state"`
}

// Refund is a DR refund (docs/dr-api.md#refund). State: pending (or
// pending_information) → succeeded | failed.
type Refund struct {
	ID      string `json:"id"`
	OrderID string `json:"orderId"`
	// InvoiceID is the billing invoice the refund was asked for by
	// (POST /refunds {invoiceId}); OrderID is then that invoice's order.
	InvoiceID      string         `json:"invoiceId,omitempty"`
	Currency       string         `json:"currency"`
	Type           string         `json:"type,omitempty"`
	Amount         float64        `json:"amount"`
	RefundedAmount float64        `json:"refundedAmount"`
	Items          []RefundItem   `json:"items"`
	Reason         string         `json:"reason,omitempty"`
	FailureReason  string         `json:"failureReason,omitempty"`
	State          string         `json:"state"`
	Charges        []RefundCharge `json:"charges,omitempty"`
	// TokenInformation is set while the refund of a delayed method
	// (wire transfer) waits for the customer's bank details.
	TokenInformation *TokenInformation `json:"tokenInformation,omitempty"`
	Metadata         map[string]any    `json:"metadata,omitempty"`
	LiveMode         bool              `json:"liveMode"`
	CreatedTime      time.Time         `json:"createdTime"`
}

// TokenInformation is a refund's token for collecting bank details.
type TokenInformation struct {
	Token       string    `json:"token"`
	ExpiresTime time.Time `json:"expiresTime"`
}

// RefundItemParams refund one line: units, an amount or a percentage.
type RefundItemParams struct {
	ItemID   string   `json:"itemId,omitempty"`
	SKUID    string   `json:"skuId,omitempty"`
	Quantity int      `json:"quantity,omitempty"`
	Amount   *float64 `json:"amount,omitempty"`
	Percent  *float64 `json:"percent,omitempty"`
}

// RefundParams create a refund of an order (POST /refunds): exactly one of
// Amount, Percent and Items; Type refunds one component (shipping, tax,
// duty, importer_tax, fees) instead of products.
type RefundParams struct {
	OrderID   string             `json:"orderId,omitempty"`
	InvoiceID string             `json:"invoiceId,omitempty"`
	Currency  string             `json:"currency,omitempty"`
	Amount    *float64           `json:"amount,omitempty"`
	Percent   *float64           `json:"percent,omitempty"`
	Items     []RefundItemParams `json:"items,omitempty"`
	Type      string             `json:"type,omitempty"`
	Reason    string             `json:"reason,omitempty"`
	Metadata  map[string]any     `json:"metadata,omitempty"`
}

// MetadataParams update only a resource's metadata (POST /refunds/{id}:
// DR allows only metadata).
type MetadataParams struct {
	Metadata map[string]any `json:"metadata"`
}

// ReturnItem is one line of a return (DR's ReturnsItem): its state follows
// the return's, and QuantityAccepted is how many units were accepted back
// (0 until the return is accepted).
type ReturnItem struct {
	ItemID           string `json:"itemId"`
	SKUID            string `json:"skuId"`
	Quantity         int    `json:"quantity"`
	QuantityAccepted int    `json:"quantityAccepted"`
	State            string `json:"state"`
}

// Return is a DR return (DR's ReturnsResponse): created → accepted;
// RefundIDs lists the refunds DR made for it.
type Return struct {
	ID          string         `json:"id"`
	OrderID     string         `json:"orderId"`
	Currency    string         `json:"currency"`
	Reason      string         `json:"reason,omitempty"`
	Items       []ReturnItem   `json:"items"`
	State       string         `json:"state"`
	RefundIDs   []string       `json:"refundIds"`
	Metadata    map[string]any `json:"metadata,omitempty"`
	LiveMode    bool           `json:"liveMode"`
	CreatedTime time.Time      `json:"createdTime"`
	UpdatedTime time.Time      `json:"updatedTime"`
}

// ReturnItemParams return units of one order line, named by ItemID or SKUID.
type ReturnItemParams struct {
	ItemID   string `json:"itemId,omitempty"`
	SKUID    string `json:"skuId,omitempty"`
	Quantity int    `json:"quantity"`
}

// ReturnParams create a return (POST /returns): the customer sends shipped
// units back.
type ReturnParams struct {
	OrderID  string             `json:"orderId"`
	Reason   string             `json:"reason,omitempty"`
	Items    []ReturnItemParams `json:"items"`
	Metadata map[string]any     `json:"metadata,omitempty"`
}

// ReturnUpdateParams move a return (e.g. state "accepted") or set metadata.
type ReturnUpdateParams struct {
	State    string         `json:"state,omitempty"`
	Metadata map[string]any `json:"metadata,omitempty"`
}

// Event is a DR event. Data.Object is the object as it was when the event
// was recorded; decode it into the type the event is about.
type Event struct {
	ID                  string    `json:"id"`
	Type                string    `json:"type"`
	CreatedTime         time.Time `json:"createdTime"`
	LiveMode            bool      `json:"liveMode"`
	DigitalriverVersion string    `json:"digitalriverVersion"`
	WebhookIDs          []string  `json:"webhookIds"`
	Data                EventData `json:"data"`
}

// EventData is an event's object and, for updates, the attributes before.
type EventData struct {
	Object             json.RawMessage `json:"object"`
	PreviousAttributes json.RawMessage `json:"previousAttributes,omitempty"`
}

// Webhook is a registered webhook endpoint (DR's Webhook). Authentication
// (transportType HTTP) is the Basic auth DR sends with each callback; OAuth
// (transportType OAUTH) is where DR gets the bearer token it sends with each
// callback. DR's answers show both, secrets included (DR's "Creating a
// webhook").
type Webhook struct {
	ID             string                 `json:"id"`
	Address        string                 `json:"address"`
	Types          []string               `json:"types"`
	Enabled        bool                   `json:"enabled"`
	APIVersion     string                 `json:"apiVersion"`
	TransportType  string                 `json:"transportType"`
	Authentication *WebhookAuthentication `json:"authentication,omitempty"`
	OAuth          *WebhookOAuth          `json:"oauth,omitempty"`
	CreatedTime    time.Time              `json:"createdTime"`
	UpdatedTime    time.Time              `json:"updatedTime"`
}

// WebhookAuthentication is the user name and password DR sends as HTTP
// Basic auth with each callback of an HTTP webhook.
type WebhookAuthentication struct {
	UserName string `json:"userName"`
	Password string `json:"password"`
}

// WebhookOAuth configures an OAUTH webhook: DR gets a token from
// TokenEndPoint (OAuth 2.0, grantType client_credentials unless given; the
// client authenticated with ClientID and ClientSecret) and sends it as
// "Authorization: Bearer <token>" with each callback. UserName and Password
// are for grantType password.
type WebhookOAuth struct {
	TokenEndPoint string `json:"tokenEndPoint"`
	ClientID      string `json:"clientID"`
	ClientSecret  string `json:"clientSecret"`
	GrantType     string `json:"grantType,omitempty"`
	UserName      string `json:"userName,omitempty"`
	Password      string `json:"password,omitempty"`
}

// WebhookParams create (POST /webhooks: Address and Types required) or
// update (PATCH /webhooks/{id}) a webhook; nil fields are left alone.
type WebhookParams struct {
	Address        *string                      `json:"address,omitempty"` // an absolute http or https URL
	Types          *[]string                    `json:"types,omitempty"`   // event types; '*' matches any run of characters
	Enabled        *bool                        `json:"enabled,omitempty"`
	APIVersion     *string                      `json:"apiVersion,omitempty"`
	TransportType  *string                      `json:"transportType,omitempty"` // HTTP (the default) or OAUTH
	Authentication *WebhookAuthenticationParams `json:"authentication,omitempty"`
	OAuth          *WebhookOAuth                `json:"oauth,omitempty"`
}

// WebhookAuthenticationParams is authentication as a request gives it: DR's
// example request and answer spell the user name userName, its SDK and one
// passage of its prose username; either is taken.
type WebhookAuthenticationParams struct {
	UserName string `json:"userName,omitempty"`
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
}

// FileLink is a time-limited public URL of a file (DR's FileLink): it
// serves the file without a key until ExpiresTime; Expired is computed when
// the link is read.
type FileLink struct {
	ID          string         `json:"id"`
	FileID      string         `json:"fileId"`
	ExpiresTime time.Time      `json:"expiresTime"`
	Expired     bool           `json:"expired"`
	URL         string         `json:"url"`
	Metadata    map[string]any `json:"metadata,omitempty"`
	LiveMode    bool           `json:"liveMode"`
	CreatedTime time.Time      `json:"createdTime"`
}

// FileLinkParams create a file link (POST /file-links); ExpiresTime is an
// ISO-8601 time.
type FileLinkParams struct {
	FileID      string         `json:"fileId"`
	ExpiresTime string         `json:"expiresTime,omitempty"`
	Metadata    map[string]any `json:"metadata,omitempty"`
}

// FileLinkUpdateParams update a file link (POST /file-links/{id}); nil
// fields are left alone.
type FileLinkUpdateParams struct {
	ExpiresTime *string        `json:"expiresTime,omitempty"` // an ISO-8601 time
	Metadata    map[string]any `json:"metadata,omitempty"`
}

// File is a stored file (an invoice or credit memo PDF, or an upload).
type File struct {
	ID          string      `json:"id"`
	FileName    string      `json:"fileName"`
	Title       string      `json:"title,omitempty"`
	Purpose     string      `json:"purpose"`
	Size        int         `json:"size"`
	Type        string      `json:"type"`
	URL         string      `json:"url"`
	Links       []*FileLink `json:"links,omitempty"`
	LiveMode    bool        `json:"liveMode"`
	CreatedTime time.Time   `json:"createdTime"`
}

// FileUpload is a file to store with POST /files.
type FileUpload struct {
	Purpose  string
	FileName string
	Title    string
	Content  []byte
}

// Plan is a subscription plan.
type Plan struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	Terms                string         `json:"terms,omitempty"`
	Interval             string         `json:"interval"`
	IntervalCount        int            `json:"intervalCount"`
	ContractBindingDays  int            `json:"contractBindingDays"`
	ReminderOffsetDays   int            `json:"reminderOffsetDays"`
	BillingOffsetDays    int            `json:"billingOffsetDays"`
	CollectionPeriodDays int            `json:"collectionPeriodDays"`
	State                string         `json:"state"`
	Metadata             map[string]any `json:"metadata,omitempty"`
	LiveMode             bool           `json:"liveMode"`
	CreatedTime          time.Time      `json:"createdTime"`
	UpdatedTime          time.Time      `json:"updatedTime"`
}

// PlanParams create (POST /plans: Name and Interval required) or update
// (POST /plans/{id}) a plan; nil fields are left alone. Defaults on create
// [choice]: IntervalCount 1, ContractBindingDays 365, ReminderOffsetDays -1
// (no reminders), BillingOffsetDays 0, CollectionPeriodDays 0 (a single
// charge attempt), State active.
type PlanParams struct {
	ID                   *string        `json:"id,omitempty"`
	Name                 *string        `json:"name,omitempty"`
	Terms                *string        `json:"terms,omitempty"`
	Interval             *string        `json:"interval,omitempty"` // day, week, month or year
	IntervalCount        *int           `json:"intervalCount,omitempty"`
	ContractBindingDays  *int           `json:"contractBindingDays,omitempty"`
	ReminderOffsetDays   *int           `json:"reminderOffsetDays,omitempty"`
	BillingOffsetDays    *int           `json:"billingOffsetDays,omitempty"`
	CollectionPeriodDays *int           `json:"collectionPeriodDays,omitempty"`
	State                *string        `json:"state,omitempty"` // draft, active, discontinued or deactivated
	Metadata             map[string]any `json:"metadata,omitempty"`
}

// SubscriptionItem is one product of a subscription.
type SubscriptionItem struct {
	SKUID    string  `json:"skuId"`
	Price    float64 `json:"price"`
	Quantity int     `json:"quantity"`
}

// Subscription is a DR subscription.
type Subscription struct {
	ID                     string               `json:"id"`
	State                  string               `json:"state"`
	StateTransitions       map[string]time.Time `json:"stateTransitions"`
	CustomerID             string               `json:"customerId,omitempty"`
	SourceID               string               `json:"sourceId,omitempty"`
	PlanID                 string               `json:"planId"`
	Items                  []*SubscriptionItem  `json:"items"`
	Currency               string               `json:"currency"`
	TaxInclusive           bool                 `json:"taxInclusive"`
	Locale                 string               `json:"locale,omitempty"`
	ContractBindingUntil   *time.Time           `json:"contractBindingUntil,omitempty"`
	CurrentPeriodStartDate *time.Time           `json:"currentPeriodStartDate,omitempty"`
	CurrentPeriodEndDate   *time.Time           `json:"currentPeriodEndDate,omitempty"`
	NextInvoiceDate        *time.Time           `json:"nextInvoiceDate,omitempty"`
	NextReminderDate       *time.Time           `json:"nextReminderDate,omitempty"`
	Metadata               map[string]any       `json:"metadata,omitempty"`
	LiveMode               bool                 `json:"liveMode"`
	CreatedTime            time.Time            `json:"createdTime"`
	UpdatedTime            time.Time            `json:"updatedTime"`
}

// SubscriptionItemParams are one line of a subscription's new items:
// Price is required, Quantity is 1 when nil.
type SubscriptionItemParams struct {
	SKUID    string   `json:"skuId"`
	Price    *float64 `json:"price,omitempty"`
	Quantity *int     `json:"quantity,omitempty"`
}

// SubscriptionUpdateParams update a subscription (POST
// /subscriptions/{id}): either State alone ("active" or "cancelled"), or
// any of the other fields; nil fields are left alone.
type SubscriptionUpdateParams struct {
	State    *string                  `json:"state,omitempty"`
	PlanID   *string                  `json:"planId,omitempty"`
	SourceID *string                  `json:"sourceId,omitempty"`
	Items    []SubscriptionItemParams `json:"items,omitempty"`
	Locale   *string                  `json:"locale,omitempty"`
	Metadata map[string]any           `json:"metadata,omitempty"`
}

// InvoiceItemParams is one line of POST /invoices (DR's InvoiceItemRequest,
// the fields drsim models): SKUID and Price are required, Quantity is 1
// when nil, ProductDetails is the SKU's when nil.
type InvoiceItemParams struct {
	SKUID            string            `json:"skuId"`
	Price            *float64          `json:"price,omitempty"`
	Quantity         *int              `json:"quantity,omitempty"`
	ProductDetails   *ProductDetails   `json:"productDetails,omitempty"`
	SubscriptionInfo *SubscriptionInfo `json:"subscriptionInfo,omitempty"`
}

// InvoiceParams create a billing invoice (POST /invoices; DR's
// InvoiceRequest, the fields drsim models: docs/dr-api.md#invoice-billing-invoice-not-a-pdf).
// CustomerID, Currency and Items are required; State may only be "draft".
type InvoiceParams struct {
	CustomerID           string              `json:"customerId,omitempty"`
	Currency             string              `json:"currency,omitempty"`
	Items                []InvoiceItemParams `json:"items,omitempty"`
	Description          string              `json:"description,omitempty"`
	Email                string              `json:"email,omitempty"`
	Locale               string              `json:"locale,omitempty"`
	SourceID             string              `json:"sourceId,omitempty"`
	CollectionPeriodDays *int                `json:"collectionPeriodDays,omitempty"`
	ChargeType           string              `json:"chargeType,omitempty"`
	State                string              `json:"state,omitempty"`
	BillTo               *Contact            `json:"billTo,omitempty"`
	ShipTo               *Contact            `json:"shipTo,omitempty"`
	Metadata             map[string]any      `json:"metadata,omitempty"`
}

// InvoiceUpdateParams update a billing invoice (POST /invoices/{id}; DR's
// UpdateInvoiceRequest has metadata only).
type InvoiceUpdateParams struct {
	Metadata map[string]any `json:"metadata,omitempty"`
}

// InvoiceItem is one line of a billing invoice.
type InvoiceItem struct {
	SKUID          string         `json:"skuId"`
	ProductDetails ProductDetails `json:"productDetails"`
	Amount         float64        `json:"amount"`
	Quantity       int            `json:"quantity"`
	Tax            Tax            `json:"tax"`
	// SubscriptionInfo is set on a subscription's invoice lines (and on
	// a line of POST /invoices that gives one).
	SubscriptionInfo *SubscriptionInfo `json:"subscriptionInfo,omitempty"`
}

// InvoiceSource is a billing invoice's payment source.
type InvoiceSource struct {
	ID         string      `json:"id"`
	Type       string      `json:"type"`
	CustomerID string      `json:"customerId,omitempty"`
	CreditCard *CreditCard `json:"creditCard,omitempty"`
}

// InvoiceCharge is a billing invoice's charge.
type InvoiceCharge struct {
	ID          string    `json:"id"`
	CreatedTime time.Time `json:"createdTime"`
	Currency    string    `json:"currency"`
	Amount      float64   `json:"amount"`
	State       string    `json:"state"`
	Captured    bool      `json:"captured"`
	SourceID    string    `json:"sourceId"`
	FailureCode string    `json:"failureCode,omitempty"`
	Type        string    `json:"type"`
}

// InvoicePayment is a billing invoice's sources and charges.
type InvoicePayment struct {
	Sources []*InvoiceSource `json:"sources"`
	Charges []*InvoiceCharge `json:"charges,omitempty"`
}

// Invoice is a subscription's billing invoice.
type Invoice struct {
	ID                   string               `json:"id"`
	State                string               `json:"state"`
	StateTransitions     map[string]time.Time `json:"stateTransitions"`
	Description          string               `json:"description"`
	CustomerID           string               `json:"customerId"`
	Email                string               `json:"email"`
	Currency             string               `json:"currency"`
	Locale               string               `json:"locale,omitempty"`
	Items                []*InvoiceItem       `json:"items"`
	Subtotal             float64              `json:"subtotal"`
	TotalTax             float64              `json:"totalTax"`
	TotalDiscount        float64              `json:"totalDiscount"`
	TotalFees            float64              `json:"totalFees"`
	TotalShipping        float64              `json:"totalShipping"`
	TotalAmount          float64              `json:"totalAmount"`
	Payment              InvoicePayment       `json:"payment"`
	AttemptCount         int                  `json:"attemptCount"`
	CollectionPeriodDays int                  `json:"collectionPeriodDays"`
	ChargeType           string               `json:"chargeType"`
	OrderID              string               `json:"orderId,omitempty"`
	SellingEntity        *SellingEntity       `json:"sellingEntity,omitempty"`
	BillTo               *Contact             `json:"billTo,omitempty"`
	ShipTo               *Contact             `json:"shipTo,omitempty"`
	Metadata             map[string]any       `json:"metadata,omitempty"`
	LiveMode             bool                 `json:"liveMode"`
	CreatedTime          time.Time            `json:"createdTime"`
	UpdatedTime          time.Time            `json:"updatedTime"`
}

// Control API types.

// Keys are an account's id and API keys (POST /_sim/accounts, GET /_sim/account).
type Keys struct {
	AccountID string `json:"accountId"`
	SecretKey string `json:"secretKey"`
	PublicKey string `json:"publicKey"`
}

// OldSecret is a webhook secret still valid after a rotation.
type OldSecret struct {
	Secret  string    `json:"secret"`
	Expires time.Time `json:"expiresTime"`
}

// WebhookSecrets are a webhook's current secret and the old ones still valid.
type WebhookSecrets struct {
	Secret string      `json:"secret"`
	Old    []OldSecret `json:"old"`
}

// RotateParams rotate a webhook's secret: Secret (random when empty) signs
// at once; the old one keeps signing for OldValidFor of virtual time (a Go
// duration such as "12h"; the simulator's default when empty, "0s" ends it
// at once).
type RotateParams struct {
	Secret      string `json:"secret,omitempty"`
	OldValidFor string `json:"oldValidFor,omitempty"`
}

// GiveUp is an event whose retry budget was spent.
type GiveUp struct {
	EventID   string    `json:"eventId"`
	EventType string    `json:"eventType"`
	Attempts  int       `json:"attempts"`
	Time      time.Time `json:"time"` // of the last attempt
}

// WebhookDelivery is the state of a webhook's delivery.
type WebhookDelivery struct {
	WebhookID           string   `json:"webhookId"`
	Enabled             bool     `json:"enabled"`
	DisabledReason      string   `json:"disabledReason,omitempty"`
	Queued              int      `json:"queued"`
	WaitingRetry        int      `json:"waitingRetry"`
	Parked              int      `json:"parked"`
	Held                int      `json:"held"`
	ConsecutiveFailures int      `json:"consecutiveFailures"`
	DisabledByPolicy    bool     `json:"disabledByPolicy"`
	GaveUp              int      `json:"gaveUp"`
	GiveUps             []GiveUp `json:"giveUps"`
	RetrySchedule       []string `json:"retrySchedule"`
	RetryScale          float64  `json:"retryScale"`
	DisablePolicy       string   `json:"disablePolicy"`
}

// The forgeries a fault or a redelivery can apply to a delivery's signature.
const (
	ForgeMissing      = "missing"       // no DigitalRiver-Signature header
	ForgeWrongSecret  = "wrong-secret"  // signed with a secret the merchant does not know
	ForgeTamperedBody = "tampered-body" // signed, then the body changed
	ForgeStale        = "stale"         // correctly signed 24 hours ago
	// ForgeRotating signs as DR does during a secret rotation the merchant
	// has not caught up with: a digest with a new secret, then the digests
	// of the webhook's current secrets (redeliveries).
	ForgeRotating = "rotating"
)

// Fault changes how matching webhook deliveries go (docs/webhooks.md).
type Fault struct {
	ID        string `json:"id,omitempty"`
	WebhookID string `json:"webhookId,omitempty"`
	EventType string `json:"eventType,omitempty"`
	ObjectID  string `json:"objectId,omitempty"` // data.object.id or data.object.orderId
	Count     int    `json:"count"`              // deliveries it applies to; 0 is every one (hold) or 1
	Forge     string `json:"forge,omitempty"`
	Status    int    `json:"status,omitempty"` // answer this status instead of calling the merchant
	Timeout   bool   `json:"timeout,omitempty"`
	Redirect  bool   `json:"redirect,omitempty"`
	Duplicate bool   `json:"duplicate,omitempty"`
	Latency   string `json:"latency,omitempty"` // a Go duration, e.g. "200ms"
	Hold      bool   `json:"hold,omitempty"`
	Used      int    `json:"used"`
	Held      int    `json:"held,omitempty"`     // deliveries held now
	Released  int    `json:"released,omitempty"` // deliveries sent by the release
	Done      bool   `json:"done,omitempty"`     // a hold fault after its release
}

// APIFault makes the simulator answer the merchant's own DR calls badly.
type APIFault struct {
	ID         string `json:"id,omitempty"`
	Method     string `json:"method,omitempty"`     // any when empty
	Path       string `json:"path"`                 // a path.Match glob over the request path, e.g. "/skus/*", or AnyPath
	Status     int    `json:"status,omitempty"`     // 400-599; DR's 429 and 500 are the usual ones
	RetryAfter string `json:"retryAfter,omitempty"` // e.g. "2s"; sent as whole seconds, rounded up
	Delay      string `json:"delay,omitempty"`      // e.g. "100ms"
	Count      int    `json:"count"`                // 1 when 0
	Used       int    `json:"used"`
}

// AnyPath is the APIFault path that matches every DR API call of the account.
const AnyPath = "*"

// Attempt is one delivery of one event to one webhook, as the control API
// records it (GET /_sim/deliveries).
type Attempt struct {
	Seq       int    `json:"seq"`
	EventID   string `json:"eventId"`
	EventType string `json:"eventType"`
	WebhookID string `json:"webhookId"`
	Address   string `json:"address"`
	// Attempt numbers the automatic attempts of one event to one webhook:
	// 1 is the first delivery, 2 the first retry… A duplicate copy shares
	// its original's number; a manual redelivery is 1.
	Attempt         int       `json:"attempt"`
	Time            time.Time `json:"time"` // wall clock: when it was signed and sent
	Signature       string    `json:"signature"`
	Forged          string    `json:"forged,omitempty"`
	Fault           string    `json:"fault,omitempty"`     // id of the fault applied
	Duplicate       bool      `json:"duplicate,omitempty"` // the extra copy of a duplicate fault
	Manual          bool      `json:"manual,omitempty"`    // a redelivery asked for through the control API
	Status          int       `json:"status"`
	Delivered       bool      `json:"delivered"`
	ResponseExcerpt string    `json:"responseExcerpt,omitempty"`
	Error           string    `json:"error,omitempty"`
	// After a failure, exactly one of NextRetryAt, GaveUp and Parked says
	// what happens next.
	NextRetryAt *time.Time `json:"nextRetryAt,omitempty"` // wall time of the retry: Time + RetryDelay × scale
	GaveUp      bool       `json:"gaveUp,omitempty"`      // the retry budget is spent
	Parked      bool       `json:"parked,omitempty"`      // the webhook is disabled; re-enabling it resumes the event
	// DisabledWebhook marks the failure that disabled the webhook.
	DisabledWebhook bool    `json:"disabledWebhook,omitempty"`
	LatencyMS       float64 `json:"latencyMs"` // how long the merchant took to answer
	// RetryDelay is the virtual backoff before the retry at NextRetryAt
	// (a Go duration, e.g. "5m0s").
	RetryDelay string `json:"retryDelay,omitempty"`
}

// MarshalJSON writes an attempt in encoding/json's own forms, times with
// their fractions of a second (nextRetryAt − time is the scaled backoff,
// often milliseconds), where the simulator writes DR's objects with whole
// seconds and amounts with a decimal point.
func (a Attempt) MarshalJSON() ([]byte, error) {
	type plain Attempt
	return json.Marshal(plain(a))
}

// RedeliverParams deliver an event again: to WebhookID (every webhook it
// went to when empty), with an optional forged signature.
type RedeliverParams struct {
	WebhookID string `json:"webhookId,omitempty"`
	Forge     string `json:"forge,omitempty"`
}

// EventRef names an event a clock move recorded.
type EventRef struct {
	ID          string    `json:"id"`
	Type        string    `json:"type"`
	CreatedTime time.Time `json:"createdTime"`
}

// TestClock is a test clock: virtual time for the customers attached to it.
type TestClock struct {
	ID          string    `json:"id"`
	Name        string    `json:"name,omitempty"`
	FrozenTime  time.Time `json:"frozenTime"`
	Status      string    `json:"status"` // ready or advancing
	CreatedTime time.Time `json:"createdTime"`
	Customers   int       `json:"customers"`
}

// ClockMove is the answer to advancing a test clock: the clock and the
// events recorded on the way, oldest first.
type ClockMove struct {
	TestClock
	Events []EventRef `json:"events"`
}

// RequestLog is one DR API call the account received.
type RequestLog struct {
	Seq    int       `json:"seq"` // numbers the account's calls from 1
	Method string    `json:"method"`
	Path   string    `json:"path"`
	Query  string    `json:"query,omitempty"`
	Status int       `json:"status"`
	Time   time.Time `json:"time"`
	Public bool      `json:"publicKey"`
	// Agent is the caller's User-Agent ("drsim-harness" for the harness's calls).
	Agent string `json:"agent,omitempty"`
}
