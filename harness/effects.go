package harness

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"github.com/drsim/drsim/harness/profile"
	"github.com/drsim/drsim/simulator/client"
)

// NotApplicableError says a scenario needs something the merchant's profile
// declares it cannot do (actions.<name>.cannot). The scenario is reported as
// not applicable, with the reason, never as passed. It matches godog.ErrSkip,
// so the Gherkin steps after it are skipped.
type NotApplicableError struct{ Reason string }

func (e *NotApplicableError) Error() string { return "not applicable: " + e.Reason }

// Is makes a not-applicable step a skipped one for godog.
func (e *NotApplicableError) Is(target error) bool { return target == godog.ErrSkip }

// notApplicable records the reason on the scenario and returns the error.
func (s *Scenario) notApplicable(format string, args ...any) error {
	e := &NotApplicableError{Reason: fmt.Sprintf(format, args...)}
	r := &s.res
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.na == "" {
		r.na = e.Reason
	}
	return e
}

// NotApplicable is why the scenario does not apply to the merchant, or "".
func (s *Scenario) NotApplicable() string {
	r := &s.res
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.na
}

// IsNotApplicable reports whether err says a scenario does not apply.
func IsNotApplicable(err error) bool {
	var na *NotApplicableError
	return errors.As(err, &na)
}

// HarnessDid lists the steps the harness performed itself through DR's API
// because the profile has no action for them (reported plainly).
func (s *Scenario) HarnessDid() []string {
	r := &s.res
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.did)
}

func (s *Scenario) harnessDid(what string) {
	r := &s.res
	r.mu.Lock()
	defer r.mu.Unlock()
	r.did = append(r.did, what)
}

// checkLimits refuses, as not applicable, a request the action cannot make.
func (s *Scenario) checkLimits(name string, items []profile.ActionItem, lines []*OrderItem) error {
	a := s.h.cfg.Profile.Actions[name]
	if a == nil {
		return nil
	}
	if !a.Can(profile.CannotPartialQuantity) {
		for i, it := range items {
			if it.Quantity < lines[i].remaining() {
				return s.notApplicable("%s of %d of the %d remaining %q: actions.%s cannot act on part of an item (cannot: [partialQuantity])",
					name, it.Quantity, lines[i].remaining(), it.Product, name)
			}
		}
	}
	return nil
}

// units are shipped and cancelled quantities per order item, as DR's
// fulfillments show them.
type units struct {
	shipped, cancelled map[string]int
	tracking           map[string]bool // tracking numbers of shipping fulfillments
	ids                map[string]bool
}

// fulfilled reads what DR's fulfillments of the order show.
func (s *Scenario) fulfilled(ctx context.Context, orderID string) (units, error) {
	u := units{shipped: map[string]int{}, cancelled: map[string]int{}, tracking: map[string]bool{}, ids: map[string]bool{}}
	after := ""
	for {
		page, err := s.h.dr.Fulfillments(ctx, client.ListParams{Limit: 100, StartingAfter: after, Filters: url.Values{"orderId": {orderID}}})
		if err != nil {
			return u, fmt.Errorf("read the fulfillments of order %s: %w", orderID, err)
		}
		for _, f := range page.Data {
			u.ids[f.ID] = true
			shipped := false
			for _, it := range f.Items {
				u.shipped[it.ItemID] += it.Quantity
				u.cancelled[it.ItemID] += it.CancelQuantity
				shipped = shipped || it.Quantity > 0
			}
			if shipped && f.TrackingNumber != "" {
				u.tracking[f.TrackingNumber] = true
			}
		}
		if !page.HasMore || len(page.Data) == 0 {
			return u, nil
		}
		after = page.Data[len(page.Data)-1].ID
	}
}

// effectPoll is how often DR's state is read while waiting for an action's
// effect (a merchant may call DR after answering, from a queue).
const effectPoll = 20 * time.Millisecond

// expectUnits waits (up to the email timeout) until DR shows, against
// before, exactly the asked units shipped (kind "shipped") or cancelled
// ("cancelled") and nothing else, and for a shipment the tracking number.
// It fails with the request and what DR shows.
func (s *Scenario) expectUnits(ctx context.Context, name, kind string, before units, items []profile.ActionItem, tracking string) error {
	o := s.order
	asked := map[string]int{}
	product := map[string]string{}
	for _, it := range items {
		asked[it.ItemID] += it.Quantity
	}
	for _, it := range o.Items {
		product[it.ID] = it.ProductDetails.Name
	}
	pick := func(u units) map[string]int {
		if kind == "shipped" {
			return u.shipped
		}
		return u.cancelled
	}
	deadline := time.Now().Add(s.h.cfg.Profile.EmailTimeout())
	tick := time.NewTicker(effectPoll)
	defer tick.Stop()
	for {
		now, err := s.fulfilled(ctx, o.ID)
		if err != nil {
			return err
		}
		var short, over []string
		for _, it := range o.Items {
			d := pick(now)[it.ID] - pick(before)[it.ID]
			switch {
			case d > asked[it.ID]:
				over = append(over, fmt.Sprintf("%d %q (asked %d)", d, product[it.ID], asked[it.ID]))
			case d < asked[it.ID]:
				short = append(short, fmt.Sprintf("%d of %d %q", d, asked[it.ID], product[it.ID]))
			}
		}
		trackOK := tracking == "" || now.tracking[tracking]
		if len(over) > 0 {
			sort.Strings(over)
			return fmt.Errorf("action %s: Digital River shows %s %s: the merchant did more than asked (request: %s)", name, strings.Join(over, ", "), kind, describeItems(items, product))
		}
		if len(short) == 0 && trackOK {
			return nil
		}
		if time.Now().After(deadline) {
			var what []string
			hint := "did the merchant call POST /fulfillments?"
			if len(short) > 0 {
				what = append(what, fmt.Sprintf("only %s %s", kind, strings.Join(short, ", ")))
			}
			if !trackOK {
				nums := make([]string, 0, len(now.tracking))
				for n := range now.tracking {
					nums = append(nums, strconv.Quote(n))
				}
				sort.Strings(nums)
				carry := "none"
				if len(nums) > 0 {
					carry = strings.Join(nums, ", ")
				}
				what = append(what, fmt.Sprintf("tracking number %q on no shipment (its shipments carry %s)", tracking, carry))
				if len(short) == 0 {
					// The units were shipped: the tracking number
					// did not reach DR.
					hint = "the units are shipped: did the merchant pass the tracking number as trackingNumber in POST /fulfillments?"
				}
			}
			return fmt.Errorf("action %s: after %s Digital River shows %s (request: %s); %s",
				name, s.h.cfg.Profile.EmailTimeout(), strings.Join(what, "; "), describeItems(items, product), hint)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

func describeItems(items []profile.ActionItem, product map[string]string) string {
	parts := make([]string, len(items))
	for i, it := range items {
		parts[i] = fmt.Sprintf("%d %q", it.Quantity, product[it.ItemID])
	}
	return strings.Join(parts, ", ")
}
