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
		{`^Digital River accepts the order with a "([^"]+)" signature$`, `When Digital River accepts the order with a "wrong-secret" signature`, s.acceptForged},
		{`^Digital River delivers the "([^"]+)" event again$`, `When Digital River delivers the "order.accepted" event again`, s.redeliver},
		{`^Digital River delivers the "([^"]+)" event again with a "([^"]+)" signature$`, `When Digital River delivers the "order.accepted" event again with a "stale" signature`, s.redeliverForged},
		{`^([A-Z][\w-]*) receives an? (.+?) email with every required attribute$`, `Then Alice receives an order confirmation email with every required attribute`, s.receives},
		{`^([A-Z][\w-]*) receives no (.+?) email$`, `Then Alice receives no order confirmation email`, s.receivesNone},
		{`^([A-Z][\w-]*) receives exactly (\d+) (.+?) emails?$`, `Then Alice receives exactly 1 order confirmation email`, s.receivesExactly},
		{`^the merchant rejects the "([^"]+)" webhook$`, `Then the merchant rejects the "order.accepted" webhook`, s.rejects},
		{`^([A-Z][\w-]*) receives (\d+) (.+?) emails with every required attribute$`, `Then Alice receives 2 shipment emails with every required attribute`, s.receivesN},
		{`^the merchant ships the order with "([^"]+)" tracking number "([^"]+)"$`, `When the merchant ships the order with "FedEx" tracking number "Z10100002632653"`, s.shipAll},
		{`^the merchant ships (\d+) "([^"]+)" with "([^"]+)" tracking number "([^"]+)"$`, `When the merchant ships 1 "Widget" with "UPS" tracking number "1Z999AA10123456784"`, s.ship},
		{`^the merchant cancels (\d+) "([^"]+)"$`, `When the merchant cancels 1 "Widget"`, s.cancel},
		{`^the merchant cancels the rest of the order$`, `When the merchant cancels the rest of the order`, s.cancelRest},
		{`^([A-Z][\w-]*) asks to cancel the order$`, `When Alice asks to cancel the order`, s.requestCancellation},
		{`^the merchant reports the shipment delayed until "(\d{4}-\d{2}-\d{2})"$`, `When the merchant reports the shipment delayed until "2026-12-22"`, s.reportDelay},
		{`^Digital River refunds (\d+(?:\.\d+)?) of the order$`, `When Digital River refunds 5.00 of the order`, s.refund},
		{`^Digital River refunds the rest of the order$`, `When Digital River refunds the rest of the order`, s.refundRest},
		{`^([A-Z][\w-]*) asks to return (\d+) "([^"]+)"$`, `When Alice asks to return 1 "Widget"`, s.requestReturn},
		{`^the order is (pending_payment|accepted|cancelled|fulfilled|complete)$`, `Then the order is complete`, s.orderState},
		{`^([A-Z][\w-]*) opens the order page in the portal$`, `When Alice opens the order page in the portal`, s.openOrderPage},
		{`^the order page links to the (invoice|credit memo)$`, `Then the order page links to the invoice`, s.pageLinks},
		{`^no email to ([A-Z][\w-]*) and no portal page shows a secret-key file URL$`, `Then no email to Alice and no portal page shows a secret-key file URL`, s.noSecretURL},
		{`^the document link expires$`, `When the document link expires`, s.expireLink},
		{`^the document link is refused$`, `Then the document link is refused`, s.linkRefused},
		{`^([A-Z][\w-]*) saves a card in the portal$`, `When Alice saves a card in the portal`, s.saveCard},
		{`^the card is saved to ([A-Z][\w-]*)'s account$`, `Then the card is saved to Alice's account`, s.cardSaved},
		{`^Digital River accepts the order and delivers the webhook twice at once$`, `When Digital River accepts the order and delivers the webhook twice at once`, s.acceptTwice},
		{`^Digital River accepts the order while the merchant answers (\d{3}) to the first (\d+) deliveries$`, `When Digital River accepts the order while the merchant answers 503 to the first 3 deliveries`, s.acceptWhileDown},
		{`^Digital River accepts the order and gets no answer in time to the first delivery$`, `When Digital River accepts the order and gets no answer in time to the first delivery`, s.acceptTimeout},
		{`^Digital River holds the webhooks about the order$`, `Given Digital River holds the webhooks about the order`, s.hold},
		{`^Digital River releases the held webhooks in (reverse|shuffled|original) order$`, `When Digital River releases the held webhooks in reverse order`, s.release},
		{`^Digital River delivers the "([^"]+)" event again while rotating the webhook secret$`, `When Digital River delivers the "order.accepted" event again while rotating the webhook secret`, s.redeliverRotating},
		{`^the merchant accepts that delivery$`, `Then the merchant accepts that delivery`, s.acceptsDelivery},
		{`^the merchant acknowledges the "([^"]+)" webhook the first time$`, `Then the merchant acknowledges the "order.accepted" webhook the first time`, s.ackFirstTime},
		{`^Digital River retried the "([^"]+)" webhook after (\d+) failures? until it was delivered$`, `Then Digital River retried the "order.accepted" webhook after 3 failures until it was delivered`, s.retried},
		{`^a (weekly|monthly|yearly) plan "([^"]+)" with reminders (\d+) days before billing$`, `Given a monthly plan "Gold" with reminders 7 days before billing`, s.plan},
		{`^a (weekly|monthly|yearly) plan "([^"]+)" with reminders (\d+) days before billing and (\d+) days to collect$`, `Given a monthly plan "Gold" with reminders 7 days before billing and 8 days to collect`, s.planCollect},
		{`^([A-Z][\w-]*) pays with a card that expires this month$`, `Given Alice pays with a card that expires this month`, s.expiringCard},
		{`^([A-Z][\w-]*) pays with a card that expires in ((?:January|February|March|April|May|June|July|August|September|October|November|December) \d{4})$`, `Given Alice pays with a card that expires in March 2027`, s.cardExpiringIn},
		{`^([A-Z][\w-]*)'s card expires before the next invoice$`, `Given Alice's card expires before the next invoice`, s.cardExpiresBeforeInvoice},
		{`^([A-Z][\w-]*) pays with PayPal$`, `Given Alice pays with PayPal`, s.payPal},
		{`^([A-Z][\w-]*) pays by wire transfer$`, `Given Alice pays by wire transfer`, s.wireTransfer},
		{`^([A-Z][\w-]*)'s wire transfer arrives$`, `When Alice's wire transfer arrives`, s.wireArrives},
		{`^([A-Z][\w-]*)'s wire transfer never arrives$`, `When Alice's wire transfer never arrives`, s.wireNeverArrives},
		{`^([A-Z][\w-]*) has subscribed in ([A-Z]{3}) to the "([^"]+)" plan with:$`,
			"Given Alice has subscribed in USD to the \"Gold\" plan with:\n  | product   | quantity | price | tax rate |\n  | Music box | 1        | 9.99  | 0.08     |", s.subscribe},
		{`^([A-Z][\w-]*) has started a free trial in ([A-Z]{3}) of the "([^"]+)" plan with:$`,
			"Given Alice has started a free trial in USD of the \"Gold\" plan with:\n  | product   | quantity | price | tax rate |\n  | Music box | 1        | 9.99  | 0.08     |", s.trial},
		{`^the subscription's next (reminder|invoice) date arrives$`, `When the subscription's next invoice date arrives`, s.nextDate},
		{`^(\d+) renewals pass$`, `When 12 renewals pass`, s.renewals},
		{`^(\d+) days pass$`, `When 8 days pass`, s.days},
		{`^([A-Z][\w-]*)'s card declines from now on$`, `Given Alice's card declines from now on`, s.declines},
		{`^([A-Z][\w-]*) saves a new card in the portal for the subscription$`, `When Alice saves a new card in the portal for the subscription`, s.rescue},
		{`^the merchant cancels the subscription$`, `When the merchant cancels the subscription`, s.cancelSubscription},
		{`^the merchant moves the subscription to the "([^"]+)" plan$`, `When the merchant moves the subscription to the "Platinum" plan`, s.changePlan},
		{`^the subscription is now (active|activeFree|activePendingInvoice|cancelled|failed|lapsed)$`, `Then the subscription is now active`, s.subscriptionState},
	}
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

func (s *steps) placeOrderWithShipping(ctx context.Context, who, currency, shipping, tax string, table *godog.Table) error {
	spec := harness.OrderSpec{Currency: currency}
	spec.Shipping, _ = strconv.ParseFloat(shipping, 64) // the step's pattern admits only numbers
	spec.ShippingTax, _ = strconv.ParseFloat(tax, 64)
	return s.place(ctx, who, spec, table)
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

func (s *steps) acceptForged(ctx context.Context, forge string) error {
	return ScenarioFrom(ctx).AcceptOrder(ctx, forge)
}

func (s *steps) redeliver(ctx context.Context, typ string) error {
	return ScenarioFrom(ctx).Redeliver(ctx, typ, "")
}

func (s *steps) redeliverForged(ctx context.Context, typ, forge string) error {
	return ScenarioFrom(ctx).Redeliver(ctx, typ, forge)
}

func (s *steps) receives(ctx context.Context, who, notification string) error {
	return ScenarioFrom(ctx).ExpectNotification(ctx, who, notificationID(notification))
}

func (s *steps) receivesNone(ctx context.Context, who, notification string) error {
	return ScenarioFrom(ctx).ExpectCount(ctx, who, notificationID(notification), 0)
}

func (s *steps) receivesExactly(ctx context.Context, who, n, notification string) error {
	want, err := strconv.Atoi(n)
	if err != nil {
		return fmt.Errorf("%q is not a whole number", n)
	}
	return ScenarioFrom(ctx).ExpectCount(ctx, who, notificationID(notification), want)
}

func (s *steps) receivesN(ctx context.Context, who, n, notification string) error {
	count, err := strconv.Atoi(n)
	if err != nil {
		return fmt.Errorf("%q is not a whole number", n)
	}
	return ScenarioFrom(ctx).ExpectNotifications(ctx, who, notificationID(notification), count)
}

func (s *steps) shipAll(ctx context.Context, carrier, tracking string) error {
	return ScenarioFrom(ctx).Ship(ctx, harness.Selection{}, carrier, tracking)
}

func (s *steps) ship(ctx context.Context, n, product, carrier, tracking string) error {
	q, _ := strconv.Atoi(n) // the pattern admits digits only
	return ScenarioFrom(ctx).Ship(ctx, harness.Selection{Product: product, Quantity: q}, carrier, tracking)
}

func (s *steps) cancel(ctx context.Context, n, product string) error {
	q, _ := strconv.Atoi(n)
	return ScenarioFrom(ctx).Cancel(ctx, harness.Selection{Product: product, Quantity: q})
}

func (s *steps) cancelRest(ctx context.Context) error {
	return ScenarioFrom(ctx).Cancel(ctx, harness.Selection{})
}

func (s *steps) requestCancellation(ctx context.Context, who string) error {
	return ScenarioFrom(ctx).RequestCancellation(ctx, who)
}

func (s *steps) reportDelay(ctx context.Context, date string) error {
	return ScenarioFrom(ctx).ReportDelay(ctx, date)
}

func (s *steps) refund(ctx context.Context, amount string) error {
	a, _ := strconv.ParseFloat(amount, 64)
	return ScenarioFrom(ctx).Refund(ctx, a)
}

func (s *steps) refundRest(ctx context.Context) error {
	return ScenarioFrom(ctx).Refund(ctx, 0)
}

func (s *steps) requestReturn(ctx context.Context, who, n, product string) error {
	q, _ := strconv.Atoi(n)
	return ScenarioFrom(ctx).RequestReturn(ctx, who, harness.Selection{Product: product, Quantity: q}, "changed my mind")
}

func (s *steps) orderState(ctx context.Context, state string) error {
	return ScenarioFrom(ctx).ExpectOrderState(ctx, state)
}

func (s *steps) openOrderPage(ctx context.Context, who string) error {
	return ScenarioFrom(ctx).OpenOrderPage(ctx, who)
}

func (s *steps) pageLinks(ctx context.Context, kind string) error {
	return ScenarioFrom(ctx).ExpectPageDocument(ctx, kind)
}

func (s *steps) noSecretURL(ctx context.Context, who string) error {
	return ScenarioFrom(ctx).ExpectNoSecretURL(ctx, who)
}

func (s *steps) expireLink(ctx context.Context) error {
	return ScenarioFrom(ctx).ExpireLastLink(ctx)
}

func (s *steps) linkRefused(ctx context.Context) error {
	return ScenarioFrom(ctx).ExpectLastLinkRefused(ctx)
}

func (s *steps) saveCard(ctx context.Context, who string) error {
	_, err := ScenarioFrom(ctx).SavePaymentMethod(ctx, who, "4444222233331111")
	return err
}

func (s *steps) cardSaved(ctx context.Context, who string) error {
	return ScenarioFrom(ctx).ExpectSourceSaved(ctx, who)
}

func (s *steps) acceptTwice(ctx context.Context) error {
	return ScenarioFrom(ctx).AcceptOrderDeliveredTwice(ctx)
}

func (s *steps) acceptWhileDown(ctx context.Context, status, n string) error {
	st, _ := strconv.Atoi(status) // the pattern admits digits only
	count, _ := strconv.Atoi(n)
	return ScenarioFrom(ctx).AcceptOrderWhileMerchantDown(ctx, count, st)
}

func (s *steps) acceptTimeout(ctx context.Context) error {
	return ScenarioFrom(ctx).AcceptOrderWithTimeout(ctx)
}

func (s *steps) hold(ctx context.Context) error {
	return ScenarioFrom(ctx).HoldOrderWebhooks(ctx)
}

func (s *steps) release(ctx context.Context, order string) error {
	return ScenarioFrom(ctx).ReleaseOrderWebhooks(ctx, map[string]string{"reverse": "reverse", "shuffled": "shuffle", "original": "fifo"}[order])
}

func (s *steps) redeliverRotating(ctx context.Context, typ string) error {
	return ScenarioFrom(ctx).RedeliverDuringRotation(ctx, typ)
}

func (s *steps) acceptsDelivery(ctx context.Context) error {
	return ScenarioFrom(ctx).ExpectLastDeliveryAccepted()
}

func (s *steps) ackFirstTime(ctx context.Context, typ string) error {
	return ScenarioFrom(ctx).ExpectAcknowledgedFirstTime(ctx, typ)
}

func (s *steps) retried(ctx context.Context, typ, n string) error {
	failures, _ := strconv.Atoi(n)
	return ScenarioFrom(ctx).ExpectRetriedUntilDelivered(ctx, typ, failures)
}

var intervals = map[string]string{"weekly": "week", "monthly": "month", "yearly": "year"}

func (s *steps) plan(ctx context.Context, every, name, reminder string) error {
	return s.planCollect(ctx, every, name, reminder, "0")
}

func (s *steps) planCollect(ctx context.Context, every, name, reminder, collect string) error {
	r, _ := strconv.Atoi(reminder) // the patterns admit digits only
	c, _ := strconv.Atoi(collect)
	return ScenarioFrom(ctx).CreatePlan(ctx, harness.PlanSpec{Name: name, Interval: intervals[every], ReminderOffsetDays: r, CollectionPeriodDays: c})
}

func (s *steps) expiringCard(ctx context.Context, who string) error {
	return ScenarioFrom(ctx).PayWithCardExpiringThisMonth(ctx)
}

func (s *steps) cardExpiringIn(ctx context.Context, who, month string) error {
	t, err := time.Parse("January 2006", month)
	if err != nil {
		return fmt.Errorf("%q is not a month and year like \"March 2027\"", month)
	}
	return ScenarioFrom(ctx).PayWithCardExpiringIn(ctx, t.Month(), t.Year())
}

func (s *steps) cardExpiresBeforeInvoice(ctx context.Context, who string) error {
	return ScenarioFrom(ctx).CardExpiresBeforeNextInvoice(ctx)
}

func (s *steps) payPal(ctx context.Context, who string) error {
	return ScenarioFrom(ctx).PayWithPayPal(ctx, who)
}

func (s *steps) wireTransfer(ctx context.Context, who string) error {
	return ScenarioFrom(ctx).PayByWireTransfer(ctx, who)
}

func (s *steps) wireArrives(ctx context.Context, who string) error {
	return ScenarioFrom(ctx).WireTransferArrives(ctx, who)
}

func (s *steps) wireNeverArrives(ctx context.Context, who string) error {
	return ScenarioFrom(ctx).WireTransferNeverArrives(ctx, who)
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

func (s *steps) nextDate(ctx context.Context, which string) error {
	return ScenarioFrom(ctx).PassUntil(ctx, map[string]string{"reminder": "nextReminderDate", "invoice": "nextInvoiceDate"}[which])
}

func (s *steps) renewals(ctx context.Context, n string) error {
	count, _ := strconv.Atoi(n)
	for i := 0; i < count; i++ {
		if err := ScenarioFrom(ctx).PassUntil(ctx, "nextInvoiceDate"); err != nil {
			return fmt.Errorf("renewal %d of %d: %w", i+1, count, err)
		}
	}
	return nil
}

func (s *steps) days(ctx context.Context, n string) error {
	d, _ := strconv.Atoi(n)
	return ScenarioFrom(ctx).PassDays(ctx, d)
}

func (s *steps) declines(ctx context.Context, who string) error {
	return ScenarioFrom(ctx).CardDeclines(ctx)
}

func (s *steps) rescue(ctx context.Context, who string) error {
	return ScenarioFrom(ctx).RescueWithNewCard(ctx, who)
}

func (s *steps) cancelSubscription(ctx context.Context) error {
	return ScenarioFrom(ctx).CancelSubscription(ctx)
}

func (s *steps) changePlan(ctx context.Context, plan string) error {
	return ScenarioFrom(ctx).ChangePlan(ctx, plan)
}

func (s *steps) subscriptionState(ctx context.Context, state string) error {
	return ScenarioFrom(ctx).ExpectSubscriptionState(ctx, state)
}

func (s *steps) rejects(ctx context.Context, typ string) error {
	return ScenarioFrom(ctx).ExpectRejected(ctx, typ)
}

// stepPattern is compiled here so a broken pattern fails at start-up, in tests.
var _ = func() bool {
	for _, st := range Vocabulary() {
		regexp.MustCompile(st.Pattern)
	}
	return true
}()
