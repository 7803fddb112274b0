// Package steps is the Gherkin vocabulary: each step is one sentence that
// translates into one call on the harness's Go API. Scenario state lives in
// a *harness.Scenario carried by the context, never in globals.
//
// The vocabulary, with an example of each step, is documented for QA in the
// README ("Step vocabulary"); Vocabulary lists it for the CLI.
package steps

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog"

	"github.com/drsim/drsim/harness"
)

type scenarioKey struct{}

// ScenarioFrom returns the scenario carried by ctx.
func ScenarioFrom(ctx context.Context) *harness.Scenario {
	s, _ := ctx.Value(scenarioKey{}).(*harness.Scenario)
	return s
}

// Step is one sentence of the vocabulary.
type Step struct {
	Pattern string
	Example string
	fn      any
}

// Vocabulary returns every step with an example.
func Vocabulary() []Step {
	return (&steps{}).all()
}

// Register adds the vocabulary to a scenario context and starts each
// scenario on h. onDone, when not nil, is called after each scenario with
// its harness scenario and error.
func Register(sc *godog.ScenarioContext, h *harness.Harness, onDone func(*godog.Scenario, *harness.Scenario, error)) {
	sc.Before(func(ctx context.Context, gs *godog.Scenario) (context.Context, error) {
		return context.WithValue(ctx, scenarioKey{}, h.NewScenario(gs.Name)), nil
	})
	if onDone != nil {
		sc.After(func(ctx context.Context, gs *godog.Scenario, err error) (context.Context, error) {
			onDone(gs, ScenarioFrom(ctx), err)
			return ctx, nil
		})
	}
	for i, st := range (&steps{}).all() {
		sc.Step(patterns()[i], st.fn)
	}
}

// patterns are the step patterns compiled once per process, not once per
// scenario (compiling them was a measurable part of a scenario's setup).
var patterns = sync.OnceValue(func() []*regexp.Regexp {
	all := (&steps{}).all()
	out := make([]*regexp.Regexp, len(all))
	for i, st := range all {
		out[i] = regexp.MustCompile(st.Pattern)
	}
	return out
})

type steps struct{}

func (s *steps) all() []Step {
	return []Step{
		{`^a customer "([^"]+)"$`, `Given a customer "Alice"`, s.customer},
		{`^([A-Z][\w-]*) has placed an order in ([A-Z]{3}) for:$`,
			"Given Alice has placed an order in USD for:\n  | product | quantity | price | tax rate | discount |\n  | Widget  | 2        | 10.00 | 0.0805   | 0.00     |", s.placeOrder},
		{`^([A-Z][\w-]*) has placed an order in ([A-Z]{3}) with shipping (\d+(?:\.\d+)?) \(tax (\d+(?:\.\d+)?)\) for:$`,
			"Given Alice has placed an order in USD with shipping 5.00 (tax 0.40) for:\n  | product | quantity | price | tax rate |\n  | Widget  | 2        | 10.00 | 0.0805   |", s.placeOrderWithShipping},
		{`^Digital River accepts the order$`, `When Digital River accepts the order`, s.accept},
		{`^Digital River accepts the order with a "([^"]+)" signature$`, `When Digital River accepts the order with a "wrong-secret" signature`, call1((*harness.Scenario).AcceptOrder)},
		{`^Digital River delivers the "([^"]+)" event again$`, `When Digital River delivers the "order.accepted" event again`, s.redeliver},
		{`^Digital River delivers the "([^"]+)" event again with a "([^"]+)" signature$`, `When Digital River delivers the "order.accepted" event again with a "stale" signature`, call2((*harness.Scenario).Redeliver)},
		{`^([A-Z][\w-]*) receives an? (.+?) email with every required attribute$`, `Then Alice receives an order confirmation email with every required attribute`, s.receives},
		{`^([A-Z][\w-]*) receives no (.+?) email$`, `Then Alice receives no order confirmation email`, s.receivesNone},
		{`^([A-Z][\w-]*) receives exactly (\d+) (.+?) emails?$`, `Then Alice receives exactly 1 order confirmation email`, s.receivesExactly},
		{`^the merchant rejects the "([^"]+)" webhook$`, `Then the merchant rejects the "order.accepted" webhook`, call1((*harness.Scenario).ExpectRejected)},
		{`^([A-Z][\w-]*) receives (\d+) (.+?) emails with every required attribute$`, `Then Alice receives 2 shipment emails with every required attribute`, s.receivesN},
		{`^the merchant ships the order with "([^"]+)" tracking number "([^"]+)"$`, `When the merchant ships the order with "FedEx" tracking number "Z10100002632653"`, s.shipAll},
		{`^the merchant ships (\d+) "([^"]+)" with "([^"]+)" tracking number "([^"]+)"$`, `When the merchant ships 1 "Widget" with "UPS" tracking number "1Z999AA10123456784"`, s.ship},
		{`^the merchant cancels (\d+) "([^"]+)"$`, `When the merchant cancels 1 "Widget"`, s.cancel},
		{`^the merchant cancels the rest of the order$`, `When the merchant cancels the rest of the order`, s.cancelRest},
		{`^([A-Z][\w-]*) asks to cancel the order$`, `When Alice asks to cancel the order`, call1((*harness.Scenario).RequestCancellation)},
		{`^the merchant reports the shipment delayed until "(\d{4}-\d{2}-\d{2})"$`, `When the merchant reports the shipment delayed until "2026-12-22"`, call1((*harness.Scenario).ReportDelay)},
		{`^Digital River refunds (\d+(?:\.\d+)?) of the order$`, `When Digital River refunds 5.00 of the order`, call1((*harness.Scenario).Refund)},
		{`^Digital River refunds the rest of the order$`, `When Digital River refunds the rest of the order`, s.refundRest},
		{`^([A-Z][\w-]*) asks to return (\d+) "([^"]+)"$`, `When Alice asks to return 1 "Widget"`, s.requestReturn},
		{`^the order is (pending_payment|accepted|cancelled|fulfilled|complete)$`, `Then the order is complete`, call1((*harness.Scenario).ExpectOrderState)},
		{`^([A-Z][\w-]*) opens the order page in the portal$`, `When Alice opens the order page in the portal`, call1((*harness.Scenario).OpenOrderPage)},
		{`^the order page links to the (invoice|credit memo)$`, `Then the order page links to the invoice`, call1((*harness.Scenario).ExpectPageDocument)},
		{`^no email to ([A-Z][\w-]*) and no portal page shows a secret-key file URL$`, `Then no email to Alice and no portal page shows a secret-key file URL`, call1((*harness.Scenario).ExpectNoSecretURL)},
		{`^([A-Z][\w-]*) cannot open ([A-Z][\w-]*)'s order page in the portal$`, `Then Bob cannot open Alice's order page in the portal`, call2((*harness.Scenario).ExpectOrderPageRefused)},
		{`^the document link expires$`, `When the document link expires`, call((*harness.Scenario).ExpireLastLink)},
		{`^the document link is refused$`, `Then the document link is refused`, call((*harness.Scenario).ExpectLastLinkRefused)},
		{`^([A-Z][\w-]*) saves a card in the portal$`, `When Alice saves a card in the portal`, s.saveCard},
		{`^the card is saved to ([A-Z][\w-]*)'s account$`, `Then the card is saved to Alice's account`, call1((*harness.Scenario).ExpectSourceSaved)},
		{`^Digital River accepts the order and delivers the webhook twice at once$`, `When Digital River accepts the order and delivers the webhook twice at once`, call((*harness.Scenario).AcceptOrderDeliveredTwice)},
		{`^Digital River accepts the order while the merchant answers (\d{3}) to the first (\d+) deliveries$`, `When Digital River accepts the order while the merchant answers 503 to the first 3 deliveries`, s.acceptWhileDown},
		{`^Digital River accepts the order and gets no answer in time to the first delivery$`, `When Digital River accepts the order and gets no answer in time to the first delivery`, call((*harness.Scenario).AcceptOrderWithTimeout)},
		{`^Digital River answers the merchant's next (\d+) API calls? with 429, retry after (\d+) seconds?$`, `Given Digital River answers the merchant's next 3 API calls with 429, retry after 1 second`, call2((*harness.Scenario).RateLimitMerchant)},
		{`^Digital River holds the webhooks about the order$`, `Given Digital River holds the webhooks about the order`, call((*harness.Scenario).HoldOrderWebhooks)},
		{`^Digital River releases the held webhooks in (reverse|shuffled|original) order$`, `When Digital River releases the held webhooks in reverse order`, s.release},
		{`^Digital River delivers the "([^"]+)" event again while rotating the webhook secret$`, `When Digital River delivers the "order.accepted" event again while rotating the webhook secret`, call1((*harness.Scenario).RedeliverDuringRotation)},
		{`^the merchant accepts that delivery$`, `Then the merchant accepts that delivery`, s.acceptsDelivery},
		{`^the merchant acknowledges the "([^"]+)" webhook the first time$`, `Then the merchant acknowledges the "order.accepted" webhook the first time`, call1((*harness.Scenario).ExpectAcknowledgedFirstTime)},
		{`^Digital River retried the "([^"]+)" webhook after (\d+) failures? until it was delivered$`, `Then Digital River retried the "order.accepted" webhook after 3 failures until it was delivered`, call2((*harness.Scenario).ExpectRetriedUntilDelivered)},
		{`^a (weekly|monthly|yearly) plan "([^"]+)" with reminders (\d+) days before billing$`, `Given a monthly plan "Gold" with reminders 7 days before billing`, s.plan},
		{`^a (weekly|monthly|yearly) plan "([^"]+)" with reminders (\d+) days before billing and (\d+) days to collect$`, `Given a monthly plan "Gold" with reminders 7 days before billing and 8 days to collect`, s.planCollect},
		{`^([A-Z][\w-]*) pays with a card that expires this month$`, `Given Alice pays with a card that expires this month`, forCustomer((*harness.Scenario).PayWithCardExpiringThisMonth)},
		{`^([A-Z][\w-]*) pays with a card that expires in ((?:January|February|March|April|May|June|July|August|September|October|November|December) \d{4})$`, `Given Alice pays with a card that expires in March 2027`, s.cardExpiringIn},
		{`^([A-Z][\w-]*)'s card expires before the next invoice$`, `Given Alice's card expires before the next invoice`, forCustomer((*harness.Scenario).CardExpiresBeforeNextInvoice)},
		{`^([A-Z][\w-]*) pays with PayPal$`, `Given Alice pays with PayPal`, call1((*harness.Scenario).PayWithPayPal)},
		{`^([A-Z][\w-]*) pays by wire transfer$`, `Given Alice pays by wire transfer`, call1((*harness.Scenario).PayByWireTransfer)},
		{`^([A-Z][\w-]*)'s wire transfer arrives$`, `When Alice's wire transfer arrives`, call1((*harness.Scenario).WireTransferArrives)},
		{`^([A-Z][\w-]*)'s wire transfer never arrives$`, `When Alice's wire transfer never arrives`, call1((*harness.Scenario).WireTransferNeverArrives)},
		{`^([A-Z][\w-]*) has subscribed in ([A-Z]{3}) to the "([^"]+)" plan with:$`,
			"Given Alice has subscribed in USD to the \"Gold\" plan with:\n  | product   | quantity | price | tax rate |\n  | Music box | 1        | 9.99  | 0.08     |", s.subscribe},
		{`^([A-Z][\w-]*) has started a free trial in ([A-Z]{3}) of the "([^"]+)" plan with:$`,
			"Given Alice has started a free trial in USD of the \"Gold\" plan with:\n  | product   | quantity | price | tax rate |\n  | Music box | 1        | 9.99  | 0.08     |", s.trial},
		{`^the subscription's next (reminder|invoice) date arrives$`, `When the subscription's next invoice date arrives`, s.nextDate},
		{`^(\d+) renewals pass$`, `When 12 renewals pass`, s.renewals},
		{`^(\d+) days pass$`, `When 8 days pass`, call1((*harness.Scenario).PassDays)},
		{`^([A-Z][\w-]*)'s card declines from now on$`, `Given Alice's card declines from now on`, forCustomer((*harness.Scenario).CardDeclines)},
		{`^([A-Z][\w-]*) saves a new card in the portal for the subscription$`, `When Alice saves a new card in the portal for the subscription`, call1((*harness.Scenario).RescueWithNewCard)},
		{`^the merchant cancels the subscription$`, `When the merchant cancels the subscription`, call((*harness.Scenario).CancelSubscription)},
		{`^the merchant moves the subscription to the "([^"]+)" plan$`, `When the merchant moves the subscription to the "Platinum" plan`, call1((*harness.Scenario).ChangePlan)},
		{`^the subscription's price changes to (\d+(?:\.\d+)?)$`, `When the subscription's price changes to 12.99`, call1((*harness.Scenario).ChangePrice)},
		{`^the subscription is now (active|activeFree|activePendingInvoice|cancelled|failed|lapsed)$`, `Then the subscription is now active`, call1((*harness.Scenario).ExpectSubscriptionState)},
	}
}

// call, call1 and call2 make a step of a harness call that takes the
// step's captured groups, in order, after the context: godog converts each
// group to the argument's type (the patterns admit only what converts).
func call(f func(*harness.Scenario, context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error { return f(ScenarioFrom(ctx), ctx) }
}

func call1[A any](f func(*harness.Scenario, context.Context, A) error) func(context.Context, A) error {
	return func(ctx context.Context, a A) error { return f(ScenarioFrom(ctx), ctx, a) }
}

func call2[A, B any](f func(*harness.Scenario, context.Context, A, B) error) func(context.Context, A, B) error {
	return func(ctx context.Context, a A, b B) error { return f(ScenarioFrom(ctx), ctx, a, b) }
}

// forCustomer makes a step that names the customer of a harness call that
// acts on the scenario's order or subscription: the name is for the reader.
func forCustomer(f func(*harness.Scenario, context.Context) error) func(context.Context, string) error {
	return func(ctx context.Context, _ string) error { return f(ScenarioFrom(ctx), ctx) }
}

// notificationID turns "order confirmation" into the catalogue id "order-confirmation".
func notificationID(name string) string {
	return strings.Join(strings.Fields(strings.ToLower(name)), "-")
}

func (s *steps) customer(ctx context.Context, name string) error {
	_, err := ScenarioFrom(ctx).CreateCustomer(ctx, name)
	return err
}

func (s *steps) placeOrder(ctx context.Context, who, currency string, table *godog.Table) error {
	return s.place(ctx, who, harness.OrderSpec{Currency: currency}, table)
}

func (s *steps) placeOrderWithShipping(ctx context.Context, who, currency string, shipping, tax float64, table *godog.Table) error {
	return s.place(ctx, who, harness.OrderSpec{Currency: currency, Shipping: shipping, ShippingTax: tax}, table)
}

func (s *steps) place(ctx context.Context, who string, spec harness.OrderSpec, table *godog.Table) error {
	lines, err := orderLines(table)
	if err != nil {
		return err
	}
	spec.Lines = lines
	_, err = ScenarioFrom(ctx).PlaceOrder(ctx, who, spec)
	return err
}

// orderLines reads a table with a header row: product, quantity, price and
// optionally "tax rate" and discount.
func orderLines(t *godog.Table) ([]harness.Line, error) {
	if t == nil || len(t.Rows) < 2 {
		return nil, fmt.Errorf("the order table needs a header row and at least one product")
	}
	col := map[string]int{}
	for i, c := range t.Rows[0].Cells {
		col[strings.ToLower(strings.TrimSpace(c.Value))] = i
	}
	for _, need := range []string{"product", "quantity", "price"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("the order table has no %q column (columns: product, quantity, price, tax rate, discount)", need)
		}
	}
	var out []harness.Line
	for r, row := range t.Rows[1:] {
		cell := func(name string) string {
			if i, ok := col[name]; ok && i < len(row.Cells) {
				return strings.TrimSpace(row.Cells[i].Value)
			}
			return ""
		}
		num := func(name string) (float64, error) {
			v := cell(name)
			if v == "" {
				return 0, nil
			}
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return 0, fmt.Errorf("order table row %d: %s %q is not a number", r+1, name, v)
			}
			return f, nil
		}
		l := harness.Line{Product: cell("product")}
		q, err := strconv.Atoi(cell("quantity"))
		if err != nil || q < 1 {
			return nil, fmt.Errorf("order table row %d: quantity %q is not a whole number of at least 1", r+1, cell("quantity"))
		}
		l.Quantity = q
		if l.Price, err = num("price"); err != nil {
			return nil, err
		}
		if l.TaxRate, err = num("tax rate"); err != nil {
			return nil, err
		}
		if l.Discount, err = num("discount"); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

func (s *steps) accept(ctx context.Context) error {
	return ScenarioFrom(ctx).AcceptOrder(ctx, "")
}

func (s *steps) redeliver(ctx context.Context, typ string) error {
	return ScenarioFrom(ctx).Redeliver(ctx, typ, "")
}

func (s *steps) receives(ctx context.Context, who, notification string) error {
	return ScenarioFrom(ctx).ExpectNotification(ctx, who, notificationID(notification))
}

func (s *steps) receivesNone(ctx context.Context, who, notification string) error {
	return ScenarioFrom(ctx).ExpectCount(ctx, who, notificationID(notification), 0)
}

func (s *steps) receivesExactly(ctx context.Context, who string, n int, notification string) error {
	return ScenarioFrom(ctx).ExpectCount(ctx, who, notificationID(notification), n)
}

func (s *steps) receivesN(ctx context.Context, who string, n int, notification string) error {
	return ScenarioFrom(ctx).ExpectNotifications(ctx, who, notificationID(notification), n)
}

func (s *steps) shipAll(ctx context.Context, carrier, tracking string) error {
	return ScenarioFrom(ctx).Ship(ctx, harness.Selection{}, carrier, tracking)
}

func (s *steps) ship(ctx context.Context, n int, product, carrier, tracking string) error {
	return ScenarioFrom(ctx).Ship(ctx, harness.Selection{Product: product, Quantity: n}, carrier, tracking)
}

func (s *steps) cancel(ctx context.Context, n int, product string) error {
	return ScenarioFrom(ctx).Cancel(ctx, harness.Selection{Product: product, Quantity: n})
}

func (s *steps) cancelRest(ctx context.Context) error {
	return ScenarioFrom(ctx).Cancel(ctx, harness.Selection{})
}

func (s *steps) refundRest(ctx context.Context) error {
	return ScenarioFrom(ctx).Refund(ctx, 0)
}

func (s *steps) requestReturn(ctx context.Context, who string, n int, product string) error {
	return ScenarioFrom(ctx).RequestReturn(ctx, who, harness.Selection{Product: product, Quantity: n}, "changed my mind")
}

func (s *steps) saveCard(ctx context.Context, who string) error {
	_, err := ScenarioFrom(ctx).SavePaymentMethod(ctx, who, "4444222233331111")
	return err
}

func (s *steps) acceptWhileDown(ctx context.Context, status, n int) error {
	return ScenarioFrom(ctx).AcceptOrderWhileMerchantDown(ctx, n, status)
}

// releaseOrders are the harness's names of the steps' release orders.
var releaseOrders = map[string]string{"reverse": "reverse", "shuffled": "shuffle", "original": "fifo"}

func (s *steps) release(ctx context.Context, order string) error {
	return ScenarioFrom(ctx).ReleaseOrderWebhooks(ctx, releaseOrders[order])
}

func (s *steps) acceptsDelivery(ctx context.Context) error {
	return ScenarioFrom(ctx).ExpectLastDeliveryAccepted()
}

var intervals = map[string]string{"weekly": "week", "monthly": "month", "yearly": "year"}

func (s *steps) plan(ctx context.Context, every, name string, reminder int) error {
	return s.planCollect(ctx, every, name, reminder, 0)
}

func (s *steps) planCollect(ctx context.Context, every, name string, reminder, collect int) error {
	return ScenarioFrom(ctx).CreatePlan(ctx, harness.PlanSpec{Name: name, Interval: intervals[every], ReminderOffsetDays: reminder, CollectionPeriodDays: collect})
}

func (s *steps) cardExpiringIn(ctx context.Context, who, month string) error {
	t, err := time.Parse("January 2006", month)
	if err != nil {
		return fmt.Errorf("%q is not a month and year like \"March 2027\"", month)
	}
	return ScenarioFrom(ctx).PayWithCardExpiringIn(ctx, t.Month(), t.Year())
}

func (s *steps) subscribe(ctx context.Context, who, currency, plan string, table *godog.Table) error {
	return s.startSubscription(ctx, who, currency, plan, false, table)
}

func (s *steps) trial(ctx context.Context, who, currency, plan string, table *godog.Table) error {
	return s.startSubscription(ctx, who, currency, plan, true, table)
}

func (s *steps) startSubscription(ctx context.Context, who, currency, plan string, trial bool, table *godog.Table) error {
	lines, err := orderLines(table)
	if err != nil {
		return err
	}
	_, err = ScenarioFrom(ctx).PlaceSubscriptionOrder(ctx, who, currency, plan, trial, lines)
	return err
}

// dateFields are the subscription's fields the next-date step passes to.
var dateFields = map[string]string{"reminder": "nextReminderDate", "invoice": "nextInvoiceDate"}

func (s *steps) nextDate(ctx context.Context, which string) error {
	return ScenarioFrom(ctx).PassUntil(ctx, dateFields[which])
}

func (s *steps) renewals(ctx context.Context, n int) error {
	for i := 0; i < n; i++ {
		if err := ScenarioFrom(ctx).PassUntil(ctx, "nextInvoiceDate"); err != nil {
			return fmt.Errorf("renewal %d of %d: %w", i+1, n, err)
		}
	}
	return nil
}

// stepPattern is compiled here so a broken pattern fails at start-up, in tests.
var _ = func() bool {
	for _, st := range Vocabulary() {
		regexp.MustCompile(st.Pattern)
	}
	return true
}()
