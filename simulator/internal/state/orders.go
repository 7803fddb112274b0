package state

import (
	"net/mail"
	"strconv"
	"time"

	"github.com/drsim/drsim/simulator/client"
	"github.com/drsim/drsim/simulator/internal/problem"
)

// ProductDetails is the product as an order line shows it (copied from the SKU).
type ProductDetails = client.ProductDetails

// Tax is a line's tax.
type Tax = client.Tax

// Discount is a line's discount as DR writes it (SkuDiscount): amountOff
// per unit, on quantity units.
type Discount = client.Discount

// lineDiscount writes a line discount total as DR's per-unit discount: the
// most units whose equal share is exact in the currency and no more than the
// unit price; else the whole discount on one unit [choice].
func lineDiscount(total, price float64, quantity int, cur string) *Discount {
	if total <= 0 {
		return nil
	}
	for q := quantity; q >= 1; q-- {
		per := round(total/float64(q), cur)
		if round(per*float64(q), cur) == total && per <= price {
			return &Discount{AmountOff: per, Quantity: q}
		}
	}
	return &Discount{AmountOff: total, Quantity: 1}
}

// ItemShipping is a line's share of the order's shipping.
type ItemShipping = client.ItemShipping

// The order types are package client's: DR's wire form. What has happened
// to a line's units is the account's progress note (charges.go).
type (
	OrderItem = client.OrderItem
	Charge    = client.Charge
	Payment   = client.Payment
)

// SellingEntity is the DR entity that sells.
type SellingEntity = client.SellingEntity

// defaultSellingEntity is the seller of every simulated order unless told otherwise.
var defaultSellingEntity = SellingEntity{ID: "C5_INC-ENTITY", Name: "DR globalTech Inc."}

// ShippingChoice is the shipping option the customer chose.
type ShippingChoice = client.ShippingChoice

// Order is DR's Order.
type Order = client.Order

// The checkout of the control API's POST /_sim/orders: what DR does when a
// checkout is submitted.
type (
	PlaceItem        = client.PlaceItem
	PlaceShipping    = client.PlaceShipping
	PlaceOrderParams = client.PlaceOrderParams
)

func validatePlaceOrder(p *PlaceOrderParams) error {
	if p.CustomerID == "" {
		return problem.Missing("customerId")
	}
	if p.Currency == "" {
		p.Currency = "USD"
	}
	if len(p.Currency) != 3 {
		return problem.Invalidf("currency", "currency must be a three-letter ISO code, got '%s'.", p.Currency)
	}
	if p.Email != "" {
		if _, err := mail.ParseAddress(p.Email); err != nil {
			return problem.Invalidf("email", "'%s' is not a valid email address.", p.Email)
		}
	}
	if len(p.Items) == 0 {
		return problem.Missing("items")
	}
	for i, it := range p.Items {
		switch {
		case it.SKUID == "":
			return problem.Missing(itemParam(i, "skuId"))
		case it.Quantity < 1:
			return problem.Invalidf(itemParam(i, "quantity"), "quantity must be at least 1, got %d.", it.Quantity)
		case it.Price < 0:
			return problem.Invalidf(itemParam(i, "price"), "price cannot be negative.")
		case it.TaxRate < 0 || it.TaxRate > 1:
			return problem.Invalidf(itemParam(i, "taxRate"), "taxRate must be between 0 and 1, got %g.", it.TaxRate)
		case it.Price*float64(it.Quantity) > maxAmount:
			return problem.Invalidf(itemParam(i, "price"), "price × quantity cannot exceed %.0f.", maxAmount)
		case it.Discount < 0 || it.Discount > it.Price*float64(it.Quantity):
			return problem.Invalidf(itemParam(i, "discount"), "discount must be between 0 and the line price.")
		}
	}
	if s := p.Shipping; s != nil && (s.Amount < 0 || s.TaxAmount < 0) {
		return problem.Invalidf("shipping", "shipping amounts cannot be negative.")
	}
	if s := p.Shipping; s != nil && (s.Amount > maxAmount || s.TaxAmount > maxAmount) {
		return problem.Invalidf("shipping", "shipping amounts cannot exceed %.0f.", maxAmount)
	}
	return nil
}

// maxAmount bounds a line's price × quantity and the shipping, so that no
// total can overflow to +Inf (which JSON cannot carry).
const maxAmount = 1e12

func itemParam(i int, field string) string {
	return "items[" + strconv.Itoa(i) + "]." + field
}

// PlaceOrder creates an order the way DR does when a checkout is submitted:
// state pending_payment, one capturable charge for totalAmount.
//
// Arithmetic (docs/dr-api.md#order): item amount = price × quantity − discount;
// item tax = round(amount × taxRate); subtotal = Σ amount + shipping;
// totalTax = Σ item tax + shipping tax; totalAmount = subtotal + totalTax.
// Shipping is shared between lines in proportion to their amounts.
func (a *Account) PlaceOrder(p PlaceOrderParams) (*Order, error) {
	if err := validatePlaceOrder(&p); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	c, ok := a.customers.get(p.CustomerID)
	if !ok {
		return nil, problem.NotFoundID("Customer", p.CustomerID)
	}
	defer a.use(a.customerClock[c.ID])()
	if !c.Enabled {
		return nil, problem.Conflictf("failed-request", "Customer '%s' is disabled.", c.ID)
	}
	sc, err := a.prepareSubscriptions(p.Items) // subscriptions.go
	if err != nil {
		return nil, err
	}
	p.Items = sc.lines // a free-trial line is charged 0
	email := p.Email
	if email == "" {
		email = c.Email
	}
	if email == "" {
		return nil, problem.Missing("email")
	}
	// Every check that can fail comes before orderSource, which may store
	// a new card: a failing request changes nothing.
	for _, pi := range p.Items {
		if _, ok := a.skus.get(pi.SKUID); !ok {
			return nil, problem.NotFoundID("SKU", pi.SKUID)
		}
	}
	src, err := a.orderSource(c, p)
	if err != nil {
		return nil, err
	}
	now := a.now()
	cur := p.Currency
	o := &Order{
		ID:               a.ids.numeric(),
		CustomerID:       c.ID,
		UpstreamID:       p.UpstreamID,
		Email:            email,
		Locale:           firstNonEmpty(p.Locale, c.Locale, "en_US"),
		Currency:         cur,
		FraudState:       "passed",
		ShipTo:           p.ShipTo,
		BillTo:           billTo(p.BillTo, p.ShipTo, c, email),
		SellingEntity:    defaultSellingEntity,
		Metadata:         p.Metadata,
		StateTransitions: map[string]time.Time{},
		CreatedTime:      now,
		UpdatedTime:      now,
	}
	var itemsTotal float64
	for _, pi := range p.Items {
		sku, ok := a.skus.get(pi.SKUID)
		if !ok {
			return nil, problem.NotFoundID("SKU", pi.SKUID)
		}
		// The discount is rounded to the currency first, so that
		// amount + the discount is always price × quantity.
		discount := round(pi.Discount, cur)
		amount := round(pi.Price*float64(pi.Quantity)-discount, cur)
		it := &OrderItem{
			ID:    a.ids.numeric(),
			SKUID: sku.ID,
			ProductDetails: ProductDetails{
				ID: sku.ID, Name: sku.Name, Description: sku.Description, Image: sku.Image, URL: sku.URL,
			},
			Quantity:         pi.Quantity,
			Amount:           amount,
			State:            "created",
			StateTransitions: map[string]time.Time{"created": now},
			Metadata:         pi.Metadata,
			Tax:              Tax{Rate: pi.TaxRate, Amount: round(amount*pi.TaxRate, cur)},
		}
		it.Discount = lineDiscount(discount, pi.Price, pi.Quantity, cur)
		o.Items = append(o.Items, it)
		a.progress.set(it.ID, &itemProgress{})
		itemsTotal += amount
		o.TotalDiscount += discount
		o.TotalTax += it.Tax.Amount
	}
	if s := p.Shipping; s != nil {
		o.ShippingChoice = ShippingChoice{Amount: round(s.Amount, cur), TaxAmount: round(s.TaxAmount, cur), Description: s.Description}
		shareShipping(o.Items, o.ShippingChoice, itemsTotal, cur)
	}
	o.TotalShipping = o.ShippingChoice.Amount
	o.TotalTax = round(o.TotalTax+o.ShippingChoice.TaxAmount, cur)
	o.TotalDiscount = round(o.TotalDiscount, cur)
	o.Subtotal = round(itemsTotal+o.TotalShipping, cur)
	o.TotalAmount = round(o.Subtotal+o.TotalTax+o.TotalFees+o.TotalDuty, cur)
	o.Payment = Payment{
		Sources: []*Source{src},
		Charges: []*Charge{{
			ID: newUUID(), CreatedTime: now, Currency: cur, Amount: o.TotalAmount, State: "capturable",
			SourceID: src.ID, OrderID: o.ID, Type: "customer_initiated",
		}},
	}
	switch {
	case src.State == "pending_funds":
		// A delayed method's charge waits for the customer's funds
		// (FundSource); the source stays pending_funds until then.
		o.Payment.Charges[0].State = "pending"
	case !src.Reusable:
		src.State = "consumed"
	}
	a.startSubscriptions(sc, o, c, src, now) // subscriptions.go: subscription.created
	a.setOrderState(o, "pending_payment", now)
	a.orders.put(o.ID, o)
	a.record("order.pending_payment", o, nil)
	return clone(o), nil
}

// shareShipping splits shipping between lines in proportion to their
// amounts; the last line takes the rounding remainder.
func shareShipping(items []*OrderItem, s ShippingChoice, itemsTotal float64, cur string) {
	var givenAmt, givenTax float64
	for i, it := range items {
		if i == len(items)-1 {
			it.Shipping = ItemShipping{Amount: round(s.Amount-givenAmt, cur), TaxAmount: round(s.TaxAmount-givenTax, cur)}
			return
		}
		share := 1 / float64(len(items))
		if itemsTotal > 0 {
			share = it.Amount / itemsTotal
		}
		it.Shipping = ItemShipping{Amount: round(s.Amount*share, cur), TaxAmount: round(s.TaxAmount*share, cur)}
		givenAmt += it.Shipping.Amount
		givenTax += it.Shipping.TaxAmount
	}
}

// orderSource picks the source that pays: the one named, else the
// customer's default, else a fresh test Visa. Caller holds a.mu.
func (a *Account) orderSource(c *Customer, p PlaceOrderParams) (*Source, error) {
	id := firstNonEmpty(p.SourceID, c.DefaultSourceID)
	if id == "" {
		return a.newCardSource(SourceParams{Type: "creditCard", CreditCard: &CardParams{
			Number: "4444222233331111", ExpirationMonth: 12, ExpirationYear: a.now().Year() + 3,
		}}), nil
	}
	s, ok := a.sources.get(id)
	if !ok {
		return nil, problem.NotFoundID("Source", id)
	}
	if s.State != "chargeable" && (s.State != "pending_funds" || a.sourceInUse(s.ID)) {
		return nil, problem.Conflictf("failed-request", "Source '%s' is %s, not chargeable.", id, s.State)
	}
	if a.behaviours[s.ID].chargeFails {
		return nil, problem.Conflictf("failed-request", "The charge on source '%s' was declined.", id)
	}
	return s, nil
}

func (a *Account) setOrderState(o *Order, state string, at time.Time) {
	o.State = state
	o.StateTransitions[state] = at
	o.UpdatedTime = at
}

// AcceptOrder is what DR does when payment is authorized and fraud review
// passes: the order becomes accepted and order.accepted is recorded.
func (a *Account) AcceptOrder(id string) (*Order, error) {
	return a.decideOrder(id, "accepted", "order.accepted")
}

// ReviewOrder is DR opening a secondary fraud review of a pending_payment
// order: state in_review, fraudState review_opened, order.review_opened
// (DR's "Processing orders": in_review then accepted or blocked). Only DR
// decides this, so it is a control call.
func (a *Account) ReviewOrder(id string) (*Order, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	o, ok := a.orders.get(id)
	if !ok {
		return nil, problem.NotFoundID("Order", id)
	}
	defer a.useCustomer(o.CustomerID)()
	if o.State != "pending_payment" {
		return nil, problem.Conflictf("invalid_state", "Order '%s' is %s; only a pending_payment order can go into review.", id, o.State)
	}
	o.FraudState = "review_opened"
	a.setOrderState(o, "in_review", a.now())
	a.record("order.review_opened", o, nil)
	return clone(o), nil
}

// BlockOrder is DR's fraud block: state blocked, order.blocked.
func (a *Account) BlockOrder(id string) (*Order, error) {
	return a.decideOrder(id, "blocked", "order.blocked")
}

func (a *Account) decideOrder(id, state, eventType string) (*Order, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	o, ok := a.orders.get(id)
	if !ok {
		return nil, problem.NotFoundID("Order", id)
	}
	defer a.useCustomer(o.CustomerID)()
	if o.State != "pending_payment" && o.State != "in_review" {
		return nil, problem.Conflictf("invalid_state", "Order '%s' is %s; only a pending_payment or in_review order can become %s.", id, o.State, state)
	}
	if ch := orderCharge(o); state == "accepted" && ch != nil && ch.State == "pending" {
		return nil, problem.Conflictf("invalid_state", "Order '%s' waits for the funds of source '%s' (%s); DR accepts it when they arrive: POST /_sim/sources/%s/funds.", id, ch.SourceID, o.Payment.Sources[0].Type, ch.SourceID)
	}
	switch state {
	case "blocked":
		o.FraudState = "blocked"
	case "accepted":
		o.FraudState = "passed"
	}
	a.finishDecision(o, state, eventType)
	return clone(o), nil
}

// finishDecision moves a pending_payment or in_review order to its decided
// state with its event (and, when accepted, its invoice). Caller holds a.mu
// and the order's clock.
func (a *Account) finishDecision(o *Order, state, eventType string) {
	a.setOrderState(o, state, a.now())
	a.record(eventType, o, nil)
	if state == "accepted" {
		// documents.go: the invoice PDF and order.invoice.created, right after order.accepted.
		a.issueInvoice(o)
		// Its draft subscriptions wait for the merchant's POST
		// /subscriptions/{id} {"state":"active"} (subscriptions.go).
	}
}

// sourceInUse reports whether an order already waits for the funds of
// delayed source id (a pending_funds source pays one order). Caller holds a.mu.
func (a *Account) sourceInUse(id string) bool {
	for _, o := range a.orders.all() {
		if ch := orderCharge(o); ch != nil && ch.SourceID == id {
			return true
		}
	}
	return false
}

// FundSource is the control call POST /_sim/sources/{id}/funds: the
// customer has pushed the funds of a delayed (wireTransfer) source. The
// source becomes chargeable (source.chargeable), the order it pays has its
// charge authorized and, unless a fraud review holds it, is accepted as DR
// does ("Handling delayed payment methods": order.accepted once the
// payment is authorized); the single-use source is then consumed.
func (a *Account) FundSource(id string) (*Source, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s, err := a.pendingFunds(id, "takes funds")
	if err != nil {
		return nil, err
	}
	o := a.awaitingFunds(id)
	if o != nil {
		defer a.useCustomer(o.CustomerID)()
	}
	s.State = "chargeable"
	a.record("source.chargeable", s, nil)
	if o == nil {
		return clone(s), nil
	}
	orderCharge(o).State = "capturable"
	s.State = "consumed"
	o.Payment.Sources[0].State = "consumed"
	if o.State == "pending_payment" {
		a.finishDecision(o, "accepted", "order.accepted")
	}
	return clone(s), nil
}

// pendingFunds is delayed source id while it waits for funds; what says
// what only such a source does, for the 409. Caller holds a.mu.
func (a *Account) pendingFunds(id, what string) (*Source, error) {
	s, ok := a.sources.get(id)
	if !ok {
		return nil, problem.NotFoundID("Source", id)
	}
	if s.State != "pending_funds" {
		return nil, problem.Conflictf("invalid_state", "Source '%s' is %s; only a pending_funds source %s.", id, s.State, what)
	}
	return s, nil
}

// awaitingFunds is the pending_payment or in_review order whose charge
// waits for the funds of delayed source id, if any (a blocked order waits
// for nothing). Caller holds a.mu.
func (a *Account) awaitingFunds(id string) *Order {
	for _, x := range a.orders.all() {
		if ch := orderCharge(x); ch != nil && ch.SourceID == id && ch.State == "pending" && (x.State == "pending_payment" || x.State == "in_review") {
			return x
		}
	}
	return nil
}

// ExpireSource is the control call POST /_sim/sources/{id}/expire: the
// customer never pushed the funds of a delayed (wireTransfer) source in
// the time allowed. The source is cancelled, and the order it pays is
// cancelled with every item and its charge (order.cancelled), as DR's
// "Handling delayed payment methods" tells merchants to expect.
func (a *Account) ExpireSource(id string) (*Source, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s, err := a.pendingFunds(id, "expires unfunded")
	if err != nil {
		return nil, err
	}
	s.State = "cancelled"
	o := a.awaitingFunds(id)
	if o == nil {
		return clone(s), nil
	}
	defer a.useCustomer(o.CustomerID)()
	now := a.now()
	for _, it := range o.Items {
		p := a.progressOf(it)
		p.cancelled = it.Quantity - p.fulfilled
		setItemState(it, "cancelled", now)
	}
	orderCharge(o).State = "cancelled"
	o.CancelledAmount = o.TotalAmount
	a.setOrderState(o, "cancelled", now)
	a.record("order.cancelled", o, nil)
	return clone(s), nil
}

// billTo is an order's billTo: the checkout's, else its shipTo, else the
// customer's shipping contact, always with an email (the order's when the
// contact has none) [choice: DR's orders carry the checkout's billTo].
func billTo(given, shipTo *Contact, c *Customer, email string) *Contact {
	var b Contact
	switch {
	case given != nil:
		b = *given
	case shipTo != nil:
		b = *shipTo
	case c.Shipping != nil:
		b = *c.Shipping
	}
	if b.Email == "" {
		b.Email = email
	}
	return &b
}

// Order is GET /orders/{id}.
func (a *Account) Order(id string) (*Order, error) {
	return find(a, &a.orders, KindOrder, id)
}

// OrderExpanded is GET /orders/{id}?expand=true: the order whose lines'
// productDetails also carry their SKU's physical and metadata, as DR's
// "Expanding events" says the expanded order does (docs/dr-api.md#order).
// A line whose SKU was deleted shows neither.
func (a *Account) OrderExpanded(id string) (*Order, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	o, ok := a.orders.get(id)
	if !ok {
		return nil, problem.NotFoundID("Order", id)
	}
	out := clone(o)
	for _, it := range out.Items {
		if sku, ok := a.skus.get(it.SKUID); ok {
			sku = clone(sku)
			it.ProductDetails.Physical, it.ProductDetails.Metadata = &sku.Physical, sku.Metadata
		}
	}
	return out, nil
}

// OrderFilter is GET /orders' query.
type OrderFilter struct {
	ListParams
	IDs        []string
	State      string
	CustomerID string
	Email      string
	// SubscriptionID keeps the orders with a line of that subscription
	// (its acquisition order and its renewal orders).
	SubscriptionID string
	Created        TimeRange
}

// hasSubscription reports whether one of o's lines belongs to subscription id.
func hasSubscription(o *Order, id string) bool {
	for _, it := range o.Items {
		if it.SubscriptionInfo != nil && it.SubscriptionInfo.SubscriptionID == id {
			return true
		}
	}
	return false
}

// Orders is GET /orders.
func (a *Account) Orders(f OrderFilter) (Page[*Order], error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return pageOf(&a.orders, func(o *Order) bool {
		return (len(f.IDs) == 0 || contains(f.IDs, o.ID)) && (f.State == "" || o.State == f.State) &&
			(f.CustomerID == "" || o.CustomerID == f.CustomerID) && (f.Email == "" || o.Email == f.Email) &&
			f.Created.contains(o.CreatedTime) && (f.SubscriptionID == "" || hasSubscription(o, f.SubscriptionID))
	}, f.ListParams)
}

// OrderUpdateParams is POST /orders/{id}: DR allows only these fields.
type OrderUpdateParams = client.OrderUpdateParams

// UpdateOrder is POST /orders/{id}.
func (a *Account) UpdateOrder(id string, p OrderUpdateParams) (*Order, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	o, ok := a.orders.get(id)
	if !ok {
		return nil, problem.NotFoundID("Order", id)
	}
	defer a.useCustomer(o.CustomerID)()
	if p.RequestToBeForgotten != nil {
		o.RequestToBeForgotten = *p.RequestToBeForgotten
	}
	if p.UpstreamID != nil {
		o.UpstreamID = *p.UpstreamID
	}
	if p.Metadata != nil {
		o.Metadata = p.Metadata
	}
	o.UpdatedTime = a.now()
	return clone(o), nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
