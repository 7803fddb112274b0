package state

import (
	"fmt"
	"time"

	"github.com/drsim/drsim/simulator/client"
	"github.com/drsim/drsim/simulator/internal/clock"
	"github.com/drsim/drsim/simulator/internal/problem"
)

// Test clocks (as in Stripe's test clocks) hold virtual time for the
// customers attached to them. A test clock is created frozen at a start
// time and moves only when the control API advances it. A customer is
// attached to a test clock when it is created (POST
// /_sim/test-clocks/{id}/customers) and never leaves it; everything
// time-driven about that customer reads its clock: the timestamps of its
// resources (sources it saves, orders, fulfillments, refunds, returns,
// documents, file links, subscriptions, invoices) and of the events about
// them, the subscription schedule (reminders, renewals, dunning, lapses,
// card expiry), the expiry of its documents' file links and the 30-day
// retention of its events. Advancing a clock runs the due work of its
// customers only, in time order. Everything else (customers without a
// clock, SKUs, plans, webhooks, sources not yet saved) reads the account's
// clock, which follows wall time.

// TestClock is a test clock as the control API shows it.
type TestClock = client.TestClock

type testClock struct {
	id, name  string
	created   time.Time
	clock     *clock.Virtual
	advancing bool
	customers int
}

// Bounds of one advance [choice]: an advance that would go further, or
// would record more events, is refused before anything changes.
const (
	MaxAdvanceSpan   = 5 * 366 * 24 * time.Hour
	MaxAdvanceEvents = 10000
)

// TestClockParams is the body of POST /_sim/test-clocks.
type TestClockParams struct {
	FrozenTime *time.Time `json:"frozenTime"`
	Name       string     `json:"name"`
}

// MaxTestClocks bounds the test clocks one account keeps [choice]; delete
// the ones you are done with.
const MaxTestClocks = 10000

// CreateTestClock is POST /_sim/test-clocks: a clock frozen at frozenTime
// (default: wall time now).
func (a *Account) CreateTestClock(p TestClockParams) (TestClock, error) {
	start := a.wallNow()
	if p.FrozenTime != nil {
		start = p.FrozenTime.UTC().Truncate(time.Microsecond)
	}
	if start.Year() < 1970 || start.After(lastClockTime) {
		return TestClock{}, problem.Invalidf("frozenTime", "frozenTime must be between 1970 and %s, got %s.",
			lastClockTime.Format(time.RFC3339), start.Format(time.RFC3339))
	}
	if len(p.Name) > 200 {
		return TestClock{}, problem.Invalidf("name", "name must be at most 200 characters.")
	}
	c := clock.New(func() time.Time { return start })
	c.Freeze()
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.testClocks.len() >= MaxTestClocks {
		return TestClock{}, problem.Conflictf("too_many_test_clocks", "The account has %d test clocks, the most it keeps; delete some.", MaxTestClocks)
	}
	tc := &testClock{id: "clock_" + randomHex(12), name: p.Name, created: a.wallNow(), clock: c}
	a.testClocks.put(tc.id, tc)
	return tc.view(), nil
}

func (tc *testClock) view() TestClock {
	st := "ready"
	if tc.advancing {
		st = "advancing"
	}
	return TestClock{ID: tc.id, Name: tc.name, FrozenTime: tc.clock.Now(), Status: st, CreatedTime: tc.created, Customers: tc.customers}
}

// TestClock is GET /_sim/test-clocks/{id}.
func (a *Account) TestClock(id string) (TestClock, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	tc, ok := a.testClocks.get(id)
	if !ok {
		return TestClock{}, problem.NotFoundID("TestClock", id)
	}
	return tc.view(), nil
}

// TestClocks is GET /_sim/test-clocks, newest first.
func (a *Account) TestClocks(lp ListParams) (Page[TestClock], error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	items := a.testClocks.newestFirst(nil)
	views := make([]TestClock, len(items))
	for i, tc := range items {
		views[i] = tc.view()
	}
	return paginate(views, func(v TestClock) string { return v.ID }, lp)
}

// DeleteTestClock is DELETE /_sim/test-clocks/{id}: the clock goes, and so
// do its customers and everything that belongs to them (saved sources,
// orders with their fulfillments, refunds, returns, files and file links,
// subscriptions and invoices) and the events about them. A clock that
// is advancing cannot be deleted (409).
func (a *Account) DeleteTestClock(id string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	tc, ok := a.testClocks.get(id)
	if !ok {
		return problem.NotFoundID("TestClock", id)
	}
	if tc.advancing {
		return problem.Conflictf("test_clock_advancing", "Test clock '%s' is advancing; delete it once its status is ready.", id)
	}
	a.dropClockResources(id)
	a.testClocks.remove(id)
	return nil
}

// dropClockResources removes every resource of the customers on clock id.
// Caller holds a.mu.
func (a *Account) dropClockResources(id string) {
	custs := map[string]bool{}
	for cid, clk := range a.customerClock {
		if clk == id {
			custs[cid] = true
		}
	}
	orders := map[string]bool{}
	for _, o := range a.orders.all() {
		if custs[o.CustomerID] {
			orders[o.ID] = true
		}
	}
	subs := map[string]bool{}
	for _, s := range a.subs.all() {
		if custs[s.CustomerID] {
			subs[s.ID] = true
		}
	}
	a.subs.removeWhere(func(s *Subscription) bool { return subs[s.ID] })
	for id := range subs {
		delete(a.subNotes, id)
	}
	a.invoices.removeWhere(func(i *Invoice) bool {
		if subs[a.invoiceSub[i.ID]] || custs[i.CustomerID] {
			delete(a.invoiceSub, i.ID)
			return true
		}
		return false
	})
	a.fulfils.removeWhere(func(f *Fulfillment) bool { return orders[f.OrderID] })
	a.refunds.removeWhere(func(r *Refund) bool {
		if orders[r.OrderID] {
			delete(a.refundNotes, r.ID)
			return true
		}
		return false
	})
	a.returns.removeWhere(func(r *Return) bool { return orders[r.OrderID] })
	a.linksOfFile = nil // rebuilt without the links removed here
	a.links.removeWhere(func(l *FileLink) bool {
		if a.linkClock[l.ID] == id {
			a.unindexLink(l.ID)
			delete(a.linkClock, l.ID)
			return true
		}
		return false
	})
	a.files.removeWhere(func(f *File) bool {
		if a.fileNote(f).testClock == id {
			delete(a.fileNotes, f.ID)
			return true
		}
		return false
	})
	a.orders.removeWhere(func(o *Order) bool {
		if !orders[o.ID] {
			return false
		}
		for _, it := range o.Items {
			delete(a.progress, it.ID)
		}
		return true
	})
	a.sources.removeWhere(func(s *Source) bool {
		if custs[s.CustomerID] {
			delete(a.behaviours, s.ID)
			return true
		}
		return false
	})
	a.customers.removeWhere(func(c *Customer) bool { return custs[c.ID] })
	for cid := range custs {
		delete(a.customerClock, cid)
	}
	a.events.removeClock(id)
}

// TestClockCustomer is POST /_sim/test-clocks/{id}/customers: POST
// /customers, with the new customer attached to the clock. Its
// createdTime and customer.created event carry the clock's time.
func (a *Account) TestClockCustomer(clockID string, p CustomerParams) (*Customer, error) {
	if err := validateCustomer(&p); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	tc, ok := a.testClocks.get(clockID)
	if !ok {
		return nil, problem.NotFoundID("TestClock", clockID)
	}
	defer a.use(clockID)()
	c, _, err := a.createCustomer(p)
	if err != nil {
		return nil, err
	}
	tc.customers++
	return clone(c), nil
}

// AdvanceTestClock is POST /_sim/test-clocks/{id}/advance: it moves the
// clock forward to t and runs, in time order, every transition of its
// customers' subscriptions due at or before t (see AdvanceTo), each at its
// due time. It returns the clock and the events recorded, oldest first.
//
// The span (at most MaxAdvanceSpan) and an upper bound of the events the
// advance records (at most MaxAdvanceEvents) are checked before anything
// changes: a refused advance changes nothing. A target before the clock's
// time is refused; the clock's own time is a no-op. While the advance runs
// the clock's status is advancing and a second advance is refused (409);
// the account is locked one transition at a time, so its other customers,
// and other accounts, are never kept waiting for a whole advance.
func (a *Account) AdvanceTestClock(id string, t time.Time) (TestClock, []*Event, error) {
	return a.advanceTestClock(id, func(time.Time) time.Time { return t.UTC() })
}

// AdvanceTestClockBy is AdvanceTestClock to the clock's time plus d, read
// when the advance starts. A d too small to show (under a microsecond) is
// a no-op, never an error.
func (a *Account) AdvanceTestClockBy(id string, d time.Duration) (TestClock, []*Event, error) {
	if d < 0 {
		return TestClock{}, nil, problem.Invalidf("advance", "A test clock never moves back; advance must be positive, got %s.", d)
	}
	if d > MaxAdvanceSpan {
		return TestClock{}, nil, problem.Invalidf("advance", "One advance moves a test clock at most %s (%d days), asked for %s. Advance in several steps.",
			MaxAdvanceSpan, MaxAdvanceSpan/(24*time.Hour), d)
	}
	return a.advanceTestClock(id, func(now time.Time) time.Time { return now.Add(d) })
}

func (a *Account) advanceTestClock(id string, target func(now time.Time) time.Time) (TestClock, []*Event, error) {
	a.mu.Lock()
	tc, ok := a.testClocks.get(id)
	if !ok {
		a.mu.Unlock()
		return TestClock{}, nil, problem.NotFoundID("TestClock", id)
	}
	t := target(tc.clock.Now())
	if err := a.checkAdvance(tc, t); err != nil {
		a.mu.Unlock()
		return TestClock{}, nil, err
	}
	tc.advancing = true
	a.mu.Unlock()

	var evs []*Event
	for a.advanceStep(tc, t, &evs) {
	}

	a.mu.Lock()
	defer a.mu.Unlock()
	tc.advancing = false
	return tc.view(), evs, nil
}

// checkAdvance refuses an advance of tc to t that goes back, too far, or
// would record too many events. Caller holds a.mu.
func (a *Account) checkAdvance(tc *testClock, t time.Time) error {
	if tc.advancing {
		return problem.Conflictf("test_clock_advancing", "Test clock '%s' is already advancing; wait until its status is ready.", tc.id)
	}
	now := tc.clock.Now()
	switch {
	case t.Before(now):
		return problem.Invalidf("frozenTime", "A test clock never moves back: it is at %s, asked for %s.",
			now.Format(time.RFC3339Nano), t.Format(time.RFC3339Nano))
	case t.After(lastClockTime):
		return problem.Invalidf("frozenTime", "A test clock never goes past %s, asked for %s.",
			lastClockTime.Format(time.RFC3339), t.Format(time.RFC3339))
	case t.Sub(now) > MaxAdvanceSpan:
		return problem.Invalidf("frozenTime", "One advance moves a test clock at most %s (%d days); asked for %s from %s. Advance in several steps.",
			MaxAdvanceSpan, MaxAdvanceSpan/(24*time.Hour), t.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	if n := a.eventBound(tc.id, t.Sub(now)); n > MaxAdvanceEvents {
		return problem.Invalidf("frozenTime", "Advancing test clock '%s' by %s could record up to %d events, more than the %d one advance may; advance in shorter steps.",
			tc.id, t.Sub(now), n, MaxAdvanceEvents)
	}
	return nil
}

// eventsPerPeriod bounds the events one billing period records without
// dunning (reminder, invoice.open, subscription.extended, invoice.paid);
// eventsPerEnding bounds the events that end a subscription's schedule
// (four failed attempts with two events each, failed, uncollectible, and
// their voids).
const (
	eventsPerPeriod = 4
	eventsPerEnding = 12
)

// eventBound is an upper bound of the events advancing clock id by span
// records: each scheduled subscription of its customers renews at most once
// per shortest period of its plan in span. Caller holds a.mu.
func (a *Account) eventBound(id string, span time.Duration) int {
	n := 0
	for _, s := range a.subs.all() {
		if _, _, due := a.nextDue(s); !due || a.clockOf(s.CustomerID) != id {
			continue
		}
		period := 28 * 24 * time.Hour
		if p, ok := a.plans.get(s.PlanID); ok {
			count := max(p.IntervalCount, 1)
			switch p.Interval {
			case "day":
				period = time.Duration(count) * 24 * time.Hour
			case "week":
				period = time.Duration(count) * 7 * 24 * time.Hour
			case "year":
				period = time.Duration(count) * 365 * 24 * time.Hour
			default:
				period = time.Duration(count) * 28 * 24 * time.Hour
			}
		}
		periods := int(span/period) + 1
		if periods > MaxAdvanceEvents { // no need to count further
			return MaxAdvanceEvents + 1
		}
		n += periods*eventsPerPeriod + eventsPerEnding
		if n > MaxAdvanceEvents {
			return n
		}
	}
	return n
}

// advanceStep runs the earliest transition of tc's customers due at or
// before t, with the account locked for that one transition, appends the
// events it recorded to evs, and reports whether there may be more. With
// none left it moves the clock to t.
func (a *Account) advanceStep(tc *testClock, t time.Time, evs *[]*Event) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	s, due, kind, ok := a.earliestDue(tc.id)
	if !ok || due.After(t) {
		if t.After(tc.clock.Now()) {
			if _, err := tc.clock.Set(t); err != nil {
				panic(fmt.Sprintf("state: test clock %s: %v (checked before the advance)", tc.id, err))
			}
		}
		return false
	}
	if due.After(tc.clock.Now()) {
		if _, err := tc.clock.Set(due); err != nil {
			panic(fmt.Sprintf("state: test clock %s: %v (checked before the advance)", tc.id, err))
		}
	}
	defer a.use(tc.id)()
	var recorded []*Event
	stop := a.collect(&recorded)
	a.runDue(s, due, kind)
	stop()
	*evs = append(*evs, recorded...)
	return true
}

// use makes the account's time read test clock id (the account's own clock
// when id is empty or unknown) until the returned func runs: every
// timestamp written and every event recorded meanwhile carries that clock.
// Caller holds a.mu.
func (a *Account) use(id string) func() {
	prevClock, prevID := a.cur, a.curID
	if tc, ok := a.testClocks.get(id); ok {
		a.cur, a.curID = tc.clock, id
	} else {
		a.cur, a.curID = nil, ""
	}
	return func() { a.cur, a.curID = prevClock, prevID }
}

// useCustomer is use with the clock of customer id. Caller holds a.mu.
func (a *Account) useCustomer(id string) func() { return a.use(a.clockOf(id)) }

// useOrder is use with the clock of order id's customer. Caller holds a.mu.
func (a *Account) useOrder(id string) func() {
	if o, ok := a.orders.get(id); ok {
		return a.useCustomer(o.CustomerID)
	}
	return a.use("")
}

// clockOf is the test clock of customer id, "" for none. Caller holds a.mu.
func (a *Account) clockOf(customerID string) string {
	return a.customerClock[customerID]
}

// now is the current time of the clock in use (see use). Caller holds a.mu.
func (a *Account) now() time.Time {
	if a.cur != nil {
		return a.cur.Now()
	}
	return a.clock.Now()
}

// nowOn is the time on test clock id, or on the account's clock when id is
// empty or the clock is gone. Caller holds a.mu.
func (a *Account) nowOn(id string) time.Time {
	if tc, ok := a.testClocks.get(id); ok && id != "" {
		return tc.clock.Now()
	}
	return a.clock.Now()
}

// wallNow is wall time as the account's timestamps carry it.
func (a *Account) wallNow() time.Time { return a.wall().UTC().Truncate(time.Microsecond) }
