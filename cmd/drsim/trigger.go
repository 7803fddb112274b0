package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/drsim/drsim/simulator/client"
)

// A flow drives the simulator through one of DR's business events, the way
// DR and a merchant would, against a running simulator.
type flow struct {
	about string
	run   func(ctx context.Context, t *tripper) error
}

// flows are the trigger names, each with what it does.
var flows = map[string]flow{
	"order.accepted":            {"a customer's order of 2 Widgets is accepted (also order.invoice.created)", acceptedOrder},
	"order.shipped":             {"an accepted order is shipped in full (fulfillment.created, order.fulfilled, order.complete)", func(ctx context.Context, t *tripper) error { return t.then(ctx, acceptedOrder, shipAll) }},
	"order.partly-shipped":      {"1 of 2 Widgets is shipped (fulfillment.created, order.charge.capture.complete)", func(ctx context.Context, t *tripper) error { return t.then(ctx, acceptedOrder, shipOne) }},
	"order.partly-cancelled":    {"1 of 2 Widgets is cancelled (fulfillment.created with cancelQuantity, order.charge.cancel.complete; no order.cancelled)", func(ctx context.Context, t *tripper) error { return t.then(ctx, acceptedOrder, cancelOne) }},
	"order.cancelled":           {"an accepted order is cancelled in full", func(ctx context.Context, t *tripper) error { return t.then(ctx, acceptedOrder, cancelAll) }},
	"order.refunded":            {"a shipped order is refunded in full (refund.complete, order.refunded, order.credit_memo.created)", func(ctx context.Context, t *tripper) error { return t.then(ctx, acceptedOrder, shipAll, refundAll) }},
	"order.partly-refunded":     {"a shipped order is refunded 5.00 (refund.complete, order.refunded: DR sends order.refunded for a partial refund too; order.credit_memo.created)", func(ctx context.Context, t *tripper) error { return t.then(ctx, acceptedOrder, shipAll, refundSome) }},
	"order.invoice.created":     {"the invoice PDF of an accepted order (same as order.accepted)", acceptedOrder},
	"order.credit_memo.created": {"the credit memo of a refunded order (same as order.refunded)", func(ctx context.Context, t *tripper) error { return t.then(ctx, acceptedOrder, shipAll, refundAll) }},
	"order.blocked":             {"DR blocks a placed order", blockedOrder},
	"order.paypal":              {"an order paid with PayPal (no creditCard) is accepted", func(ctx context.Context, t *tripper) error { return t.then(ctx, payWith("payPal"), placed, accept) }},
	"order.wire-transfer":       {"an order paid by wire transfer waits in pending_payment, then the funds arrive (source.chargeable, order.accepted)", func(ctx context.Context, t *tripper) error { return t.then(ctx, payWith("wireTransfer"), placed, fund) }},
	"order.wire-transfer-expired": {"an order paid by wire transfer whose funds never come is cancelled (order.cancelled)", func(ctx context.Context, t *tripper) error {
		return t.then(ctx, payWith("wireTransfer"), placed, expire)
	}},
	"refund.pending_information": {"a shipped wire transfer order is refunded 5.00: the refund waits for the customer's bank details", func(ctx context.Context, t *tripper) error {
		return t.then(ctx, payWith("wireTransfer"), placed, fund, shipAll, refundPending)
	}},
	"order.charge.cancel.failed": {"cancelling 1 of 2 Widgets paid with the cancel-failing test card 4000000000004442", func(ctx context.Context, t *tripper) error {
		return t.then(ctx, payWithCard("4000000000004442"), placed, accept, cancelOne)
	}},
	"return.created":               {"the customer returns 1 Widget of a shipped order", func(ctx context.Context, t *tripper) error { return t.then(ctx, acceptedOrder, shipAll, returnOne) }},
	"subscription.created":         {"a monthly subscription is bought and accepted (subscription acquired)", func(ctx context.Context, t *tripper) error { return t.subscribe(ctx, false) }},
	"subscription.reminder":        {"a subscription reaches its renewal reminder (clock advanced)", func(ctx context.Context, t *tripper) error { return t.then(ctx, subscribed, until("nextReminderDate")) }},
	"subscription.extended":        {"a subscription renews (clock advanced to the next invoice date)", func(ctx context.Context, t *tripper) error { return t.then(ctx, subscribed, until("nextInvoiceDate")) }},
	"subscription.trial-converted": {"a free trial converts to paid (clock advanced past the trial)", func(ctx context.Context, t *tripper) error { return t.then(ctx, trial, until("nextInvoiceDate")) }},
	"subscription.payment_failed": {"a renewal's charge fails (declining card, clock advanced to the invoice date)", func(ctx context.Context, t *tripper) error {
		return t.then(ctx, subscribed, declines, until("nextInvoiceDate"))
	}},
	"subscription.failed": {"every dunning attempt fails and the subscription fails (clock advanced past the collection period)", func(ctx context.Context, t *tripper) error {
		return t.then(ctx, subscribed, declines, until("nextInvoiceDate"), days(9))
	}},
	"subscription.cancelled": {"the merchant cancels a subscription (subscription.updated, state cancelled)", func(ctx context.Context, t *tripper) error { return t.then(ctx, subscribed, cancelSub) }},
}

// flowSends names the DR events a flow is about when its name is not one of
// DR's event types (DR has no "order.partly-refunded": a partial refund is
// an order.refunded, as a full one is). trigger prints it beside the name.
var flowSends = map[string]string{
	"order.shipped":                "fulfillment.created, order.fulfilled, order.complete",
	"order.partly-shipped":         "fulfillment.created",
	"order.partly-cancelled":       "fulfillment.created",
	"order.partly-refunded":        "order.refunded",
	"order.paypal":                 "order.accepted",
	"order.wire-transfer":          "source.chargeable, order.accepted",
	"order.wire-transfer-expired":  "order.cancelled",
	"subscription.trial-converted": "subscription.extended",
	"subscription.cancelled":       "subscription.updated",
}

// flowAliases are the names people reach for first.
var flowAliases = map[string]string{
	"order.complete": "order.shipped", "order.fulfilled": "order.shipped", "refund": "order.refunded",
	"invoice": "order.invoice.created", "credit-memo": "order.credit_memo.created", "order.cancelled.partial": "order.partly-cancelled",
	"subscription.acquired": "subscription.created", "renewal": "subscription.extended", "reminder": "subscription.reminder",
	"trial-conversion": "subscription.trial-converted", "payment-failed": "subscription.payment_failed",
}

func flowNames() []string {
	names := make([]string, 0, len(flows))
	for n := range flows {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func flowList() string {
	var b strings.Builder
	for _, n := range flowNames() {
		fmt.Fprintf(&b, "  %-30s %s\n", n, flows[n].about)
	}
	return b.String()
}

// tripper is one trigger's own customer, order and subscription.
type tripper struct {
	c                    *client.Client
	email                string
	customer, order, sub string
	clock                string   // the customer's test clock: time-moving flows move it only
	items                []string // the order's item ids
	plan                 string
	ids                  []string // everything made, to pick out its events
	method, card         string   // how the next order pays ("": the simulator's default card)
	source               string   // the order's source when the flow made one
}

// payWith and payWithCard choose how the next order pays.
func payWith(method string) func(context.Context, *tripper) error {
	return func(_ context.Context, t *tripper) error { t.method = method; return nil }
}

func payWithCard(number string) func(context.Context, *tripper) error {
	return func(_ context.Context, t *tripper) error { t.card = number; return nil }
}

// placed places the flow's order, paid as chosen.
func placed(ctx context.Context, t *tripper) error { return t.place(ctx, nil, t.card) }

func accept(ctx context.Context, t *tripper) error {
	_, err := t.c.AcceptOrder(ctx, t.order)
	return err
}

func fund(ctx context.Context, t *tripper) error {
	_, err := t.c.FundSource(ctx, t.source)
	return err
}

func expire(ctx context.Context, t *tripper) error {
	_, err := t.c.ExpireSource(ctx, t.source)
	return err
}

func refundPending(ctx context.Context, t *tripper) error {
	r, err := t.c.CreateRefund(ctx, client.RefundParams{OrderID: t.order, Amount: client.Float(5.00), Currency: "USD", Reason: "requested by customer"})
	if err != nil {
		return fmt.Errorf("refund order %s: %w", t.order, err)
	}
	t.made(r.ID)
	return nil
}

func (t *tripper) then(ctx context.Context, steps ...func(context.Context, *tripper) error) error {
	for _, s := range steps {
		if err := s(ctx, t); err != nil {
			return err
		}
	}
	return nil
}

func (t *tripper) made(id string) { t.ids = append(t.ids, id) }

func (t *tripper) newCustomer(ctx context.Context) error {
	clk, err := t.c.CreateTestClock(ctx, "drsim trigger "+t.email, time.Time{})
	if err != nil {
		return fmt.Errorf("create the customer's test clock: %w", err)
	}
	t.clock = clk.ID
	c, err := t.c.CreateClockCustomer(ctx, clk.ID, client.CustomerParams{Email: new(t.email), Shipping: &client.Contact{Name: "Trigger Customer"}})
	if err != nil {
		return fmt.Errorf("create the customer: %w", err)
	}
	t.customer = c.ID
	t.made(c.ID)
	return nil
}

func (t *tripper) place(ctx context.Context, sub *client.SubscriptionInfo, card string) error {
	if err := t.newCustomer(ctx); err != nil {
		return err
	}
	if _, err := t.c.PutSKU(ctx, "sku_drsim_widget", client.SKUParams{Name: client.String("Widget"), Physical: client.Bool(true)}); err != nil {
		return fmt.Errorf("create the SKU: %w", err)
	}
	item := client.PlaceItem{SKUID: "sku_drsim_widget", Quantity: 2, Price: 10.00, TaxRate: 0.08}
	if sub != nil {
		item.Quantity = 1
		item.SubscriptionInfo = sub
		if sub.FreeTrial {
			item.Metadata = map[string]any{"paidPrice": item.Price} // the price after the trial
		}
	}
	p := client.PlaceOrderParams{CustomerID: t.customer, Email: t.email, Currency: "USD", Items: []client.PlaceItem{item},
		Shipping: &client.PlaceShipping{Amount: 5.00, TaxAmount: 0.40, Description: "Standard"}}
	if card != "" {
		src, err := t.c.CreateSource(ctx, client.SourceParams{Type: "creditCard", CreditCard: &client.CardParams{
			Number: card, ExpirationMonth: 12, ExpirationYear: time.Now().Year() + 3}})
		if err != nil {
			return fmt.Errorf("create the card: %w", err)
		}
		p.SourceID = src.ID
	}
	if t.method != "" {
		sp := client.SourceParams{Type: t.method, Owner: &client.Owner{FirstName: "Trigger", LastName: "Customer", Email: t.email}}
		switch t.method {
		case "payPal":
			sp.PayPal = &client.PayPalParams{}
		case "wireTransfer":
			sp.WireTransfer = &client.WireTransferParams{}
		}
		src, err := t.c.CreateSource(ctx, sp)
		if err != nil {
			return fmt.Errorf("create the %s source: %w", t.method, err)
		}
		p.SourceID = src.ID
	}
	if p.SourceID != "" {
		t.source = p.SourceID
		t.made(p.SourceID)
	}
	o, err := t.c.PlaceOrder(ctx, p)
	if err != nil {
		return fmt.Errorf("place the order: %w", err)
	}
	t.order = o.ID
	t.made(o.ID)
	for _, it := range o.Items {
		t.items = append(t.items, it.ID)
		if it.SubscriptionInfo != nil && it.SubscriptionInfo.SubscriptionID != "" {
			t.sub = it.SubscriptionInfo.SubscriptionID
			t.made(t.sub)
		}
	}
	return nil
}

func acceptedOrder(ctx context.Context, t *tripper) error {
	if err := t.place(ctx, nil, ""); err != nil {
		return err
	}
	_, err := t.c.AcceptOrder(ctx, t.order)
	return err
}

func blockedOrder(ctx context.Context, t *tripper) error {
	if err := t.place(ctx, nil, ""); err != nil {
		return err
	}
	_, err := t.c.BlockOrder(ctx, t.order)
	return err
}

func (t *tripper) fulfil(ctx context.Context, ship, cancel int) error {
	p := client.FulfillmentParams{OrderID: t.order, Items: []client.FulfillmentItemParams{{ItemID: t.items[0], Quantity: ship, CancelQuantity: cancel}}}
	if ship > 0 {
		p.TrackingCompany = "UPS"
		p.TrackingNumber = "1Z999AA10123456784"
		p.TrackingURL = "https://www.ups.com/track?tracknum=1Z999AA10123456784"
	}
	f, err := t.c.CreateFulfillment(ctx, p)
	if err != nil {
		return fmt.Errorf("fulfil order %s: %w", t.order, err)
	}
	t.made(f.ID)
	return nil
}

func shipAll(ctx context.Context, t *tripper) error   { return t.fulfil(ctx, 2, 0) }
func shipOne(ctx context.Context, t *tripper) error   { return t.fulfil(ctx, 1, 0) }
func cancelOne(ctx context.Context, t *tripper) error { return t.fulfil(ctx, 0, 1) }
func cancelAll(ctx context.Context, t *tripper) error { return t.fulfil(ctx, 0, 2) }

func (t *tripper) refund(ctx context.Context, p client.RefundParams) error {
	p.OrderID = t.order
	p.Reason = "requested by customer"
	r, err := t.c.CreateRefund(ctx, p)
	if err != nil {
		return fmt.Errorf("refund order %s: %w", t.order, err)
	}
	t.made(r.ID)
	_, err = t.c.CompleteRefund(ctx, r.ID)
	return err
}

func refundAll(ctx context.Context, t *tripper) error {
	return t.refund(ctx, client.RefundParams{Percent: client.Float(100), Currency: "USD"})
}

func refundSome(ctx context.Context, t *tripper) error {
	return t.refund(ctx, client.RefundParams{Amount: client.Float(5.00), Currency: "USD"})
}

func returnOne(ctx context.Context, t *tripper) error {
	r, err := t.c.CreateReturn(ctx, client.ReturnParams{OrderID: t.order, Reason: "too small",
		Items: []client.ReturnItemParams{{ItemID: t.items[0], Quantity: 1}}})
	if err != nil {
		return fmt.Errorf("return from order %s: %w", t.order, err)
	}
	t.made(r.ID)
	return nil
}

func (t *tripper) subscribe(ctx context.Context, trial bool) error {
	p, err := t.c.CreatePlan(ctx, client.PlanParams{Name: client.String("Gold"), Terms: client.String("Gold terms: renews every month."),
		Interval: client.String("month"), IntervalCount: client.Int(1), ReminderOffsetDays: client.Int(7), BillingOffsetDays: client.Int(0),
		CollectionPeriodDays: client.Int(8), State: client.String("active")})
	if err != nil {
		return fmt.Errorf("create the plan: %w", err)
	}
	t.plan = p.ID
	if err := t.place(ctx, &client.SubscriptionInfo{PlanID: p.ID, Terms: "Gold terms", AutoRenewal: client.Bool(true), FreeTrial: trial}, "4444222233331111"); err != nil {
		return err
	}
	if t.sub == "" {
		return fmt.Errorf("order %s started no subscription", t.order)
	}
	if _, err = t.c.AcceptOrder(ctx, t.order); err != nil {
		return err
	}
	// DR leaves the subscription draft until the merchant activates it after
	// order.accepted (and, for a free trial, sets the price after the trial).
	// Give a listening merchant the time to do so; do it here when none did,
	// so that the time-moving steps that follow mean something.
	if _, err := t.c.WaitSubscriptionState(ctx, t.sub, activationWait, "active", "activeFree"); err == nil {
		return nil
	} else if client.StatusOf(err) != http.StatusRequestTimeout {
		return fmt.Errorf("wait for the activation of subscription %s: %w", t.sub, err)
	}
	if _, err = t.c.UpdateSubscription(ctx, t.sub, client.SubscriptionUpdateParams{State: client.String("active")}); err != nil || !trial {
		return err
	}
	_, err = t.c.UpdateSubscription(ctx, t.sub, client.SubscriptionUpdateParams{Items: []client.SubscriptionItemParams{{SKUID: "sku_drsim_widget", Quantity: client.Int(1), Price: client.Float(10.00)}}})
	return err
}

// activationWait is how long a trigger leaves a listening merchant to
// activate the subscription of an accepted order.
const activationWait = 500 * time.Millisecond

func subscribed(ctx context.Context, t *tripper) error { return t.subscribe(ctx, false) }
func trial(ctx context.Context, t *tripper) error      { return t.subscribe(ctx, true) }

func declines(ctx context.Context, t *tripper) error {
	src, err := t.c.CreateSource(ctx, client.SourceParams{Type: "creditCard", CreditCard: &client.CardParams{
		Number: "4000000000003600", ExpirationMonth: 12, ExpirationYear: time.Now().Year() + 3}})
	if err != nil {
		return fmt.Errorf("create the declining card: %w", err)
	}
	if _, err := t.c.AttachSource(ctx, t.customer, src.ID); err != nil {
		return fmt.Errorf("save the declining card: %w", err)
	}
	_, err = t.c.UpdateSubscription(ctx, t.sub, client.SubscriptionUpdateParams{SourceID: client.String(src.ID)})
	return err
}

func cancelSub(ctx context.Context, t *tripper) error {
	_, err := t.c.UpdateSubscription(ctx, t.sub, client.SubscriptionUpdateParams{State: client.String("cancelled")})
	return err
}

// until advances the customer's test clock to the subscription's date field.
func until(field string) func(context.Context, *tripper) error {
	return func(ctx context.Context, t *tripper) error {
		sub, err := t.c.Subscription(ctx, t.sub)
		if err != nil {
			return err
		}
		due := map[string]*time.Time{"nextReminderDate": sub.NextReminderDate, "nextInvoiceDate": sub.NextInvoiceDate}[field]
		if due == nil {
			return fmt.Errorf("subscription %s has no %s", t.sub, field)
		}
		_, err = t.c.AdvanceTestClockTo(ctx, t.clock, *due)
		return err
	}
}

func days(n int) func(context.Context, *tripper) error {
	return func(ctx context.Context, t *tripper) error {
		_, err := t.c.AdvanceTestClock(ctx, t.clock, time.Duration(n)*24*time.Hour)
		return err
	}
}

// trigger runs a flow and prints the events it caused, with their first
// delivery to each webhook.
func trigger(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("trigger", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cn := conn{agent: triggerAgent} // logs tail tells its calls from the shop's
	cn.flags(fs)
	defer func() { err = cn.explain(err) }()
	email := fs.String("email", "customer@example.test", "the customer's email address (where the merchant's notifications go)")
	wait := fs.Duration("wait", 10*time.Second, "how long to wait for each event's first delivery (0: do not wait)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: drsim trigger [-sim URL] [-key sk_test_…] [-email addr] FLOW\n\nFlows:\n%s\nFlags:\n", flowList())
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("want one flow, got %d arguments", fs.NArg())
	}
	name := fs.Arg(0)
	if a, ok := flowAliases[name]; ok {
		name = a
	}
	f, ok := flows[name]
	if !ok {
		return fmt.Errorf("unknown flow %q; flows:\n%s", fs.Arg(0), flowList())
	}
	c, err := cn.client(true)
	if err != nil {
		return err
	}
	marker, err := newestEvent(ctx, c)
	if err != nil {
		return err
	}
	t := &tripper{c: c, email: *email}
	if err := f.run(ctx, t); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	evs, err := eventsAfter(ctx, c, marker)
	if err != nil {
		return err
	}
	evs = slices.DeleteFunc(evs, func(e client.Event) bool { return !t.mentions(e) })
	fmt.Fprintf(stdout, "Triggered %s", name)
	if sends, ok := flowSends[name]; ok {
		fmt.Fprintf(stdout, " (drsim's name for the flow, not a DR event type; DR sends %s)", sends)
	}
	fmt.Fprintf(stdout, ": customer %s (%s)", t.customer, t.email)
	if t.order != "" {
		fmt.Fprintf(stdout, ", order %s", t.order)
	}
	if t.sub != "" {
		fmt.Fprintf(stdout, ", subscription %s", t.sub)
	}
	fmt.Fprintf(stdout, "\n%d events:\n", len(evs))
	for _, e := range evs {
		fmt.Fprintf(stdout, "  %s  %-40s %s\n", e.CreatedTime.Format(time.RFC3339), e.Type, e.ID)
		if *wait <= 0 {
			continue
		}
		if len(e.WebhookIDs) == 0 {
			fmt.Fprintf(stdout, "      (no webhook subscribed)\n")
			continue
		}
		as, err := c.WaitDeliveries(ctx, client.AttemptFilter{EventID: e.ID}, len(e.WebhookIDs), *wait)
		if client.StatusOf(err) == http.StatusRequestTimeout {
			fmt.Fprintf(stdout, "      no delivery within %s (held by a fault, the webhook disabled, or its queue behind a slow answer: drsim logs tail shows it when it comes)\n", *wait)
			continue
		}
		if err != nil {
			fmt.Fprintf(stdout, "      no delivery within %s: %v\n", *wait, err)
			continue
		}
		for _, a := range firstAttempts(as) {
			fmt.Fprintf(stdout, "      → %s %s\n", a.Address, attemptOutcome(a))
		}
	}
	return nil
}

// mentions tells whether an event is about something this trigger made.
func (t *tripper) mentions(e client.Event) bool {
	for _, id := range t.ids {
		if bytes.Contains(e.Data.Object, []byte(`"`+id+`"`)) {
			return true
		}
	}
	return false
}

// firstAttempts keeps the first automatic attempt per webhook.
func firstAttempts(as []client.Attempt) []client.Attempt {
	seen := map[string]bool{}
	var out []client.Attempt
	for _, a := range as {
		if a.Attempt == 1 && !a.Manual && !seen[a.WebhookID] {
			seen[a.WebhookID] = true
			out = append(out, a)
		}
	}
	return out
}

func attemptOutcome(a client.Attempt) string {
	var b strings.Builder
	if a.Status != 0 {
		fmt.Fprintf(&b, "%d", a.Status)
	} else {
		b.WriteString("no answer")
	}
	if a.Delivered {
		b.WriteString(" delivered")
	} else {
		b.WriteString(" FAILED")
	}
	fmt.Fprintf(&b, " in %.1f ms", a.LatencyMS)
	if a.Error != "" {
		fmt.Fprintf(&b, " (%s)", a.Error)
	}
	if a.NextRetryAt != nil {
		fmt.Fprintf(&b, ", retry at %s", a.NextRetryAt.Format(time.TimeOnly))
	}
	if a.GaveUp {
		b.WriteString(", gave up")
	}
	if a.ResponseExcerpt != "" && !a.Delivered {
		fmt.Fprintf(&b, ": %q", a.ResponseExcerpt)
	}
	return b.String()
}
