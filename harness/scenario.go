package harness

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/drsim/drsim/harness/catalogue"
	"github.com/drsim/drsim/harness/mailbox"
	"github.com/drsim/drsim/internal/editdist"
	"github.com/drsim/drsim/simulator/client"
)

// Scenario is one scenario's state: its customers, the order it works on and
// the checks it made. Scenarios are independent and may run in parallel.
// A scenario's steps run one at a time and own its state; only its results
// (Checks, Emails, NotApplicable, HarnessDid) may be read meanwhile from
// another goroutine.
type Scenario struct {
	h         *Harness
	name      string
	seq       int64
	customers map[string]*Customer
	order     *Order
	// clock is the scenario's test clock: its customers are attached to
	// it, so moving time moves this scenario only (subscriptions.go).
	clock string

	// res are the scenario's results, the only part read from outside
	// its steps (reports); everything else here is owned by the steps,
	// which run one at a time, and needs no lock.
	res results

	// consumed are the emails already matched, with the notification each
	// was matched as, so a second "receives a shipment email" checks the
	// next one and an email is never counted as two notifications.
	consumed map[string]string
	// views are the emails as the matcher reads them, decoded once.
	views map[string]*seenEmail
	// usedEvents are the trigger events already matched to an email, by
	// notification (usedKey).
	usedEvents map[string]bool
	// lastRequest is what the last merchant action asked for; merchant-side
	// notifications read it as "request".
	lastRequest map[string]any
	// sessions are the customers' portal sessions, by email.
	sessions map[string]*session
	// admin is the merchant-side session.
	admin *session
	// page is the last portal page opened.
	page *portalPage
	// lastLink is the last document file link checked (for expiry steps).
	lastLink *client.FileLink
	// savedSource is the source saved in the portal.
	savedSource string
	// hold is the fault holding the order's webhooks.
	hold *client.Fault
	// lastAttempts are the attempts of the last manual delivery.
	lastAttempts []client.Attempt
	// subscriptionID is the subscription the scenario's order started.
	subscriptionID string
	// activated is set once the merchant has activated that subscription.
	activated bool
	// trialPrice is the price after the free trial the checkout recorded
	// (0: none; the trial stays free); priced is set once the merchant has
	// put a price on the subscription.
	trialPrice float64
	priced     bool
	// plans are the scenario's plans by name.
	plans map[string]string
	// kept are events fetched as the clock moved, oldest first.
	kept []*event
	// card is the card the next order pays with (nil: the simulator's default).
	card *client.CardParams
	// method is another payment method the next order pays with
	// ("payPal", "wireTransfer"; payments.go), and fundsSource the wire
	// transfer source whose funds the customer has yet to push.
	method      string
	fundsSource string
	// lookups caches SKUs and plans by path.
	lookups map[string]map[string]any
	// delivered is when DR first delivered each event to the merchant, by
	// event id, once known (causality.go).
	delivered map[string]time.Time
}

// Customer is a customer the scenario created.
type Customer struct {
	Name  string
	ID    string `json:"id"`
	Email string `json:"email"`
}

// Order is the order the scenario placed, as the simulator returned it.
type Order struct {
	ID       string      `json:"id"`
	Currency string      `json:"currency"`
	Email    string      `json:"email"`
	Items    []OrderItem `json:"items"`
	Customer *Customer   `json:"-"`
}

// OrderItem is one line of the scenario's order, with what happened to it.
type OrderItem struct {
	ID             string `json:"id"`
	SKUID          string `json:"skuId"`
	Quantity       int    `json:"quantity"`
	ProductDetails struct {
		Name string `json:"name"`
	} `json:"productDetails"`
	shipped, cancelled int
}

// remaining is how many units are neither shipped nor cancelled.
func (it *OrderItem) remaining() int { return it.Quantity - it.shipped - it.cancelled }

// Check is one notification check and its outcome, for reports.
type Check struct {
	Notification string
	Recipient    string
	Err          error
	// Subjects are the subjects of the emails recognised as the
	// notification (a profile can pin them under notifications:).
	Subjects []string
	// Warnings are remarks that do not fail the check (emails in another
	// order than their events).
	Warnings []string
}

// Checks returns the notification checks made so far.
func (s *Scenario) Checks() []Check {
	r := &s.res
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.checks)
}

func (s *Scenario) addCheck(c Check) {
	r := &s.res
	r.mu.Lock()
	defer r.mu.Unlock()
	r.checks = append(r.checks, c)
}

// results are what a scenario found so far: its checks, the emails it
// read, why it does not apply and what the harness did itself. Reports
// read them while the scenario runs, so they sit behind one small lock;
// each method locks and defers the unlock, and nothing else touches mu.
type results struct {
	mu     sync.Mutex
	checks []Check
	emails []EmailEvidence
	na     string   // why the scenario does not apply to the merchant
	did    []string // steps the harness performed itself through DR's API
}

// CreateCustomer creates a DR customer with an address of its own,
// <name>+<run>-<scenario>@<domain>.
func (s *Scenario) CreateCustomer(ctx context.Context, name string) (*Customer, error) {
	if _, dup := s.customers[name]; dup {
		return nil, fmt.Errorf("customer %q already exists in this scenario", name)
	}
	local := strings.ToLower(regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(name, "-"))
	email := fmt.Sprintf("%s+%s-%d@%s", local, s.h.cfg.RunID, s.seq, s.h.cfg.EmailDomain)
	clk, err := s.testClock(ctx)
	if err != nil {
		return nil, err
	}
	dc, err := s.h.dr.CreateClockCustomer(ctx, clk, client.CustomerParams{Email: new(email)})
	if err != nil {
		return nil, fmt.Errorf("create customer %s: %w", name, err)
	}
	c := &Customer{Name: name, ID: dc.ID, Email: dc.Email}
	s.customers[name] = c
	return c, nil
}

func (s *Scenario) customer(name string) (*Customer, error) {
	c, ok := s.customers[name]
	if !ok {
		known := slices.Sorted(maps.Keys(s.customers))
		return nil, fmt.Errorf("no customer %q in this scenario;%s the customers here are: %s (add a step like `Given a customer %q` to introduce one)",
			name, editdist.DidYouMean(name, known), quoteAll(known), name)
	}
	return c, nil
}

// Line is one product of an order.
type Line struct {
	Product  string
	Quantity int
	Price    float64 // unit price
	TaxRate  float64
	Discount float64 // line discount
}

// OrderSpec describes an order to place.
type OrderSpec struct {
	Currency    string
	Shipping    float64
	ShippingTax float64
	Lines       []Line
}

var skuSlug = regexp.MustCompile(`[^a-z0-9]+`)

// skuID is the SKU id of a product name: its lower-case ASCII slug and,
// when the slug does not spell the name exactly (spaces, capitals, letters
// outside a-z: "Trail lantern", "抹茶セット", "Café"), a hash of the name,
// so that two names never share a SKU and so its name: every name written
// without Latin letters slugs to nothing, and "Wool socks" and "wool-socks"
// to the same slug.
func skuID(product string) string {
	slug := strings.Trim(skuSlug.ReplaceAllString(strings.ToLower(product), "-"), "-")
	if slug == product {
		return "sku_" + slug
	}
	sum := sha256.Sum256([]byte(product))
	if slug == "" {
		return "sku_" + hex.EncodeToString(sum[:6])
	}
	return "sku_" + slug + "-" + hex.EncodeToString(sum[:4])
}

// PlaceOrder makes sure each product exists as a SKU, then has the simulator
// place the order for the customer (what DR does when a checkout is submitted).
func (s *Scenario) PlaceOrder(ctx context.Context, customerName string, spec OrderSpec) (*Order, error) {
	c, err := s.customer(customerName)
	if err != nil {
		return nil, err
	}
	if len(spec.Lines) == 0 {
		return nil, fmt.Errorf("place order: no products")
	}
	items, err := s.placeItems(ctx, spec.Lines, nil)
	if err != nil {
		return nil, err
	}
	p := client.PlaceOrderParams{CustomerID: c.ID, Currency: spec.Currency, Items: items}
	if p.SourceID, err = s.cardSource(ctx); err != nil {
		return nil, err
	}
	if spec.Shipping > 0 || spec.ShippingTax > 0 {
		p.Shipping = &client.PlaceShipping{Amount: spec.Shipping, TaxAmount: spec.ShippingTax, Description: "Standard"}
	}
	placed, err := s.h.dr.PlaceOrder(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("place order for %s: %w", customerName, err)
	}
	o := newOrder(placed, c)
	s.order = o
	return o, nil
}

// placeItems makes sure each line's product exists as a SKU and returns the
// checkout's lines, subscription lines when sub is not nil.
func (s *Scenario) placeItems(ctx context.Context, lines []Line, sub *client.SubscriptionInfo) ([]client.PlaceItem, error) {
	items := make([]client.PlaceItem, 0, len(lines))
	for _, l := range lines {
		id, err := s.ensureSKU(ctx, l.Product)
		if err != nil {
			return nil, err
		}
		item := client.PlaceItem{SKUID: id, Quantity: l.Quantity, Price: l.Price, TaxRate: l.TaxRate, Discount: l.Discount, SubscriptionInfo: sub}
		if sub != nil && sub.FreeTrial {
			// DR charges a trial line 0; the merchant's checkout records the
			// price after the trial on the line, for the merchant to set it
			// at DR during the trial (README [choice] "free trials").
			item.Metadata = map[string]any{"paidPrice": l.Price}
		}
		items = append(items, item)
	}
	return items, nil
}

// newOrder is the harness's view of an order DR placed for c.
func newOrder(o *client.Order, c *Customer) *Order {
	out := &Order{ID: o.ID, Currency: o.Currency, Email: o.Email, Customer: c}
	for _, it := range o.Items {
		item := OrderItem{ID: it.ID, SKUID: it.SKUID, Quantity: it.Quantity}
		item.ProductDetails.Name = it.ProductDetails.Name
		out.Items = append(out.Items, item)
	}
	return out
}

// ensureSKU makes sure a SKU named product exists and returns its id.
func (s *Scenario) ensureSKU(ctx context.Context, product string) (string, error) {
	id := skuID(product)
	if _, err := s.h.dr.PutSKU(ctx, id, client.SKUParams{Name: client.String(product), Physical: client.Bool(true)}); err != nil {
		return "", fmt.Errorf("create SKU for %q: %w", product, err)
	}
	return id, nil
}

func (s *Scenario) currentOrder() (*Order, error) {
	if s.order == nil {
		return nil, fmt.Errorf("no order in this scenario yet; place one first")
	}
	return s.order, nil
}

// AcceptOrder has DR accept the current order (order.accepted). A non-empty
// forge ("missing", "wrong-secret", "tampered-body", "stale") makes it an
// attack instead: DR's genuine delivery of the event is held back, and the
// merchant receives one delivery with the spoiled signature, which DR does
// not retry.
func (s *Scenario) AcceptOrder(ctx context.Context, forge string) error {
	o, err := s.currentOrder()
	if err != nil {
		return err
	}
	if forge == "" {
		return s.accept(ctx, o)
	}
	if _, err := s.addFault(ctx, client.Fault{EventType: "order.accepted", ObjectID: o.ID, Hold: true}); err != nil {
		return err
	}
	if err := s.accept(ctx, o); err != nil {
		return err
	}
	return s.Redeliver(ctx, "order.accepted", forge)
}

func (s *Scenario) accept(ctx context.Context, o *Order) error {
	if _, err := s.h.dr.AcceptOrder(ctx, o.ID); err != nil {
		return fmt.Errorf("accept order %s: %w", o.ID, err)
	}
	return nil
}

// event is a DR event with its object decoded for checks by path.
type event struct {
	ID          string
	Type        string
	CreatedTime time.Time
	Data        struct {
		Object             map[string]any
		PreviousAttributes map[string]any
	}
}

// decodeEvent decodes an event's object and previous attributes.
func decodeEvent(e *client.Event) (*event, error) {
	out := &event{ID: e.ID, Type: e.Type, CreatedTime: e.CreatedTime}
	if err := json.Unmarshal(e.Data.Object, &out.Data.Object); err != nil {
		return nil, fmt.Errorf("event %s: decode data.object: %w", e.ID, err)
	}
	if len(e.Data.PreviousAttributes) > 0 {
		if err := json.Unmarshal(e.Data.PreviousAttributes, &out.Data.PreviousAttributes); err != nil {
			return nil, fmt.Errorf("event %s: decode data.previousAttributes: %w", e.ID, err)
		}
	}
	return out, nil
}

// about reports whether an event concerns the scenario's order or subscription.
func (s *Scenario) about(e *event) bool {
	obj := e.Data.Object
	if o := s.order; o != nil && (obj["id"] == o.ID || obj["orderId"] == o.ID) {
		return true
	}
	if s.subscriptionID == "" {
		return false
	}
	if obj["id"] == s.subscriptionID {
		return true
	}
	if sub, ok := obj["subscription"].(map[string]any); ok && sub["id"] == s.subscriptionID {
		return true
	}
	if prev := e.Data.PreviousAttributes; prev != nil && prev["id"] == s.subscriptionID {
		return true
	}
	return false
}

// orderEvents lists the events of type typ about the current order (or its
// subscription), oldest first: those GET /events still keeps, and those the
// scenario kept as the clock moved past DR's 30-day retention.
func (s *Scenario) orderEvents(ctx context.Context, typ string) ([]*event, error) {
	o, err := s.currentOrder()
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []*event
	for _, e := range s.kept {
		if e.Type == typ && s.about(e) {
			out = append(out, e)
			seen[e.ID] = true
		}
	}
	ids := []string{o.ID}
	if s.subscriptionID != "" {
		ids = append(ids, s.subscriptionID)
	}
	all, err := s.h.events.about(ctx, s.h.dr, typ, ids...)
	if err != nil {
		return nil, fmt.Errorf("order %s: %w", o.ID, err)
	}
	for _, e := range all {
		if !seen[e.ID] && s.about(e) {
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(a, b *event) int { return a.CreatedTime.Compare(b.CreatedTime) })
	return out, nil
}

// orderEvent finds the newest event of type typ about the current order.
func (s *Scenario) orderEvent(ctx context.Context, typ string) (*event, error) {
	events, err := s.orderEvents(ctx, typ)
	if err != nil {
		return nil, err
	}
	if len(events) == 0 {
		return nil, fmt.Errorf("no %s event for order %s", typ, s.order.ID)
	}
	return events[len(events)-1], nil
}

// ExpectNotification waits for the next email of notification id to reach
// the customer and checks every required attribute of the catalogue (see
// ExpectNotifications).
func (s *Scenario) ExpectNotification(ctx context.Context, customerName, id string) error {
	return s.ExpectNotifications(ctx, customerName, id, 1)
}

type subject struct {
	eventID string
	at      time.Time
	// delivered is when DR first delivered the event to the merchant
	// (zero: unknown); an email that arrived before cannot answer it.
	delivered time.Time
	object    map[string]any
	// docLinks are the file link URLs of the notification's document (for
	// notifications with one): the email must link to one of them.
	docLinks []string
	docFile  string
}

// subjects are the objects an email of n may be about: the unused trigger
// events about the order, or the merchant-side {"order","request"} view.
func (s *Scenario) subjects(ctx context.Context, n *catalogue.Notification, includeUsed bool) ([]subject, error) {
	if n.Trigger == "" {
		o, err := s.currentOrder()
		if err != nil {
			return nil, err
		}
		order, err := s.orderObject(ctx, o.ID)
		if err != nil {
			return nil, err
		}
		req := s.lastRequest
		return []subject{{object: map[string]any{"order": order, "request": req}}}, nil
	}
	events, err := s.orderEvents(ctx, n.Trigger)
	if err != nil {
		return nil, err
	}
	used := maps.Clone(s.usedEvents)
	// The lock covers only the read of usedEvents: augment calls DR and
	// may fail, so no lock is held across it (no unlock on an error path).
	var out []subject
	for _, e := range events {
		if used[usedKey(n.ID, e.ID)] && !includeUsed {
			continue
		}
		obj := deepCopy(e.Data.Object)
		if e.Data.PreviousAttributes != nil {
			obj["previousAttributes"] = e.Data.PreviousAttributes
		}
		if n.About(obj) {
			out = append(out, subject{eventID: e.ID, at: e.CreatedTime, object: obj})
		}
	}
	for i := range out {
		if err := s.augment(ctx, out[i].object); err != nil {
			return nil, err
		}
		out[i].delivered = s.deliveredFor(ctx, n, out[i])
		if n.Document != nil {
			fileID, _ := catalogue.LookupString(map[string]any{"object": out[i].object}, n.Document.FileID)
			if fileID == "" {
				continue
			}
			fls, err := s.fileLinks(ctx, fileID)
			if err != nil {
				return nil, err
			}
			out[i].docFile = fileID
			for _, fl := range fls {
				out[i].docLinks = append(out[i].docLinks, fl.URL)
			}
		}
	}
	return out, nil
}

func (s *Scenario) orderIDOrNone() string {
	if s.order == nil {
		return "(none)"
	}
	return s.order.ID
}

// ExpectCount checks that exactly want emails of notification id reach the
// customer: it waits for want of them, then watches the quiet window for more.
// An email counts when it is recognised as the notification (see recogniser).
func (s *Scenario) ExpectCount(ctx context.Context, customerName, id string, want int) (err error) {
	c, err := s.customer(customerName)
	if err != nil {
		return err
	}
	n, err := s.h.cfg.Catalogue.Get(id)
	if err != nil {
		return err
	}
	defer func() { s.addCheck(Check{Notification: id, Recipient: c.Email, Err: err}) }()
	match, err := s.recogniser(ctx, n)
	if err != nil {
		return fmt.Errorf("%s: %w", n.Name, err)
	}
	var why func(*mailbox.Message) string
	if want == 0 {
		extra, w, err := s.unprompted(ctx, n)
		if err != nil {
			return fmt.Errorf("%s: %w", n.Name, err)
		}
		if extra != nil {
			content, why2 := match, w
			match = func(m *mailbox.Message) bool { return content(m) || extra(m) }
			why = why2
		}
	}
	if want > 0 {
		// As in ExpectNotifications, recognising each arrival is the
		// harness's work and does not count against timeouts.email.
		budget := newWaitBudget(ctx, s.h.cfg.Profile.EmailTimeout())
		defer budget.stop()
		paused := func(m *mailbox.Message) bool {
			budget.pause()
			defer budget.resume()
			return match(m)
		}
		if _, err := s.h.cfg.Mailbox.Wait(budget.ctx, c.Email, strings.ToLower(n.Name)+" email", paused); err != nil {
			return fmt.Errorf("%s: %w%s", n.Name, err, s.countCause(ctx, n, c.Email, nil, want))
		}
	}
	got, err := s.h.cfg.Mailbox.Collect(ctx, c.Email, s.h.cfg.Profile.QuietWindow(), match)
	if err != nil {
		return fmt.Errorf("%s: %w", n.Name, err)
	}
	if len(got) != want {
		subjects := make([]string, len(got))
		for i, m := range got {
			subjects[i] = fmt.Sprintf("%q at %s", m.Subject, m.Created.Format(time.RFC3339Nano))
		}
		cause := ""
		if why != nil {
			for _, m := range got {
				if w := why(m); w != "" {
					cause += "\n" + w
				}
			}
		}
		if cause == "" {
			cause = s.countCause(ctx, n, c.Email, got, want)
		}
		return fmt.Errorf("%s to %s: want exactly %d email(s) within %s of the last, got %d: %s%s",
			strings.ToLower(n.Name), c.Email, want, s.h.cfg.Profile.QuietWindow(), len(got), strings.Join(subjects, ", "), cause)
	}
	return nil
}

// Redeliver has DR deliver the current order's event of type typ again, now,
// with an optional forged signature; it returns once the merchant answered.
func (s *Scenario) Redeliver(ctx context.Context, typ, forge string) error {
	ev, err := s.orderEvent(ctx, typ)
	if err != nil {
		return err
	}
	if _, err := s.h.dr.Redeliver(ctx, ev.ID, client.RedeliverParams{WebhookID: s.h.webhookID, Forge: forge}); err != nil {
		return fmt.Errorf("redeliver %s %s: %w", typ, ev.ID, err)
	}
	return nil
}

// ExpectRejected waits for the delivery of the current order's event of type
// typ and checks that the merchant answered non-2xx to every attempt.
func (s *Scenario) ExpectRejected(ctx context.Context, typ string) error {
	ev, err := s.orderEvent(ctx, typ)
	if err != nil {
		return err
	}
	atts, err := s.h.dr.WaitDeliveries(ctx, client.AttemptFilter{EventID: ev.ID, WebhookID: s.h.webhookID}, 1, s.h.cfg.Profile.EmailTimeout())
	if err != nil {
		return fmt.Errorf("wait for the delivery of %s %s: %w", typ, ev.ID, err)
	}
	for _, a := range atts {
		if a.Delivered {
			return fmt.Errorf("the merchant accepted %s %s (forged: %q) with %d; want a non-2xx answer", typ, ev.ID, a.Forged, a.Status)
		}
		if a.Status == 0 {
			return fmt.Errorf("the delivery of %s %s got no answer (%s); want a non-2xx answer", typ, ev.ID, a.Error)
		}
	}
	return nil
}

// quoteAll quotes names for a message: "Alice", "Bob"; none is "none".
func quoteAll(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// noProduct is the error for a product the order does not have: it lists
// the order's products and the one meant when a slip away.
func (o *Order) noProduct(product string) error {
	names := make([]string, 0, len(o.Items))
	for _, it := range o.Items {
		if !slices.Contains(names, it.ProductDetails.Name) {
			names = append(names, it.ProductDetails.Name)
		}
	}
	return fmt.Errorf("order %s has no product %q;%s its products are: %s", o.ID, product, editdist.DidYouMean(product, names), quoteAll(names))
}

// indent indents a text quoted in a failure. A text longer than
// quoteLimit is cut there, and the cut says how much is left out and where
// (rest) the whole text is.
func indent(s, rest string) string {
	s = strings.TrimSpace(s)
	if cut, more := cutRunes(s, quoteLimit); more > 0 {
		s = fmt.Sprintf("%s… (%d more characters not shown here; the whole text is %s)", cut, more, rest)
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

// quoteLimit is the most characters of an email or page a failure quotes.
const quoteLimit = 4000

// cutRunes is s cut to n characters (never inside one) and how many
// characters were cut off.
func cutRunes(s string, n int) (string, int) {
	i, count := 0, 0
	for i < len(s) && count < n {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		count++
	}
	return s[:i], utf8.RuneCountInString(s[i:])
}
