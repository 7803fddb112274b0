package harness

import (
	"context"
	"fmt"
	"strings"

	"github.com/drsim/drsim/harness/catalogue"
	"github.com/drsim/drsim/harness/mailbox"
)

// A notification sent on the wrong event (the subscription cancelled email
// on an activation, a refund confirmation on a cancellation, a renewal
// confirmation with the reminder) has no trigger event to be recognised
// against: "Alice receives no X email" could never fail without a pinned
// subject. When the scenario has no trigger event of X, such a check also
// counts each email not matched as another notification whose subject fits
// the catalogue's subject pattern for X and that shows every required
// attribute of X that the scenario's own objects, read through DR's API,
// have a value for (the order's id and products, the subscription's
// products…; at least one). The catalogue's patterns are English: a
// merchant writing in another language pins its subjects in the profile to
// have these checks, and is never failed by them otherwise.

// stand is what an email of n would show if the scenario's order or
// subscription were its trigger event's object, read through DR's API; nil
// when the scenario has none of them (or n needs a document).
func (s *Scenario) stand(ctx context.Context, n *catalogue.Notification) (map[string]any, error) {
	var obj map[string]any
	switch n.Trigger {
	case "order.accepted", "order.cancelled", "order.refunded", "fulfillment.created":
		if s.order == nil {
			return nil, nil
		}
		o, err := s.orderObject(ctx, s.order.ID)
		if err != nil {
			return nil, err
		}
		obj = o
		if n.Trigger == "fulfillment.created" {
			var items []any
			for _, it := range s.order.Items {
				items = append(items, map[string]any{"itemId": it.ID, "skuId": it.SKUID, "quantity": float64(it.Quantity), "cancelQuantity": float64(0)})
			}
			obj = map[string]any{"orderId": s.order.ID, "orderDetails": o, "items": items}
		}
	case "subscription.updated", "subscription.failed", "subscription.extended", "subscription.reminder", "subscription.payment_failed":
		if s.subscriptionID == "" {
			return nil, nil
		}
		sub, err := s.h.dr.Subscription(ctx, s.subscriptionID)
		if err != nil {
			return nil, fmt.Errorf("read subscription %s: %w", s.subscriptionID, err)
		}
		if obj, err = asMap(sub); err != nil {
			return nil, err
		}
		if strings.Contains("subscription.extended subscription.reminder subscription.payment_failed", n.Trigger) {
			// A pair: the latest pair event about the subscription has
			// its invoice, else the subscription alone.
			pair := map[string]any{"subscription": obj}
			for _, typ := range []string{"subscription.reminder", "subscription.payment_failed", "subscription.extended"} {
				if e, err := s.orderEvent(ctx, typ); err == nil {
					pair = deepCopy(e.Data.Object)
				}
			}
			obj = pair
		}
	default:
		return nil, nil
	}
	if err := s.augment(ctx, obj); err != nil {
		return nil, err
	}
	return obj, nil
}

// unprompted returns a recogniser of emails that are n though the scenario
// has no trigger event of n (see above), and why an email was counted; nil
// when the profile pins n's subject (the pin decides), the catalogue has no
// pattern for n, or the scenario has a trigger event of n.
func (s *Scenario) unprompted(ctx context.Context, n *catalogue.Notification) (func(*mailbox.Message) bool, func(*mailbox.Message) string, error) {
	hintRE := hint(n)
	if pin, _ := s.pinned(n.ID); pin != nil || hintRE == nil || n.Trigger == "" || n.Document != nil {
		return nil, nil, nil
	}
	if subs, err := s.subjects(ctx, n, true); err != nil || len(subs) > 0 {
		return nil, nil, err
	}
	obj, err := s.stand(ctx, n)
	if err != nil || obj == nil {
		return nil, nil, err
	}
	shown := func(m *mailbox.Message) []string {
		if _, done := s.consumed[m.ID]; done || !hintRE.MatchString(m.Subject) {
			return nil
		}
		var found []string
		for _, f := range n.Check(obj, s.view(m).email).Findings {
			switch {
			case f.Unknown || f.Optional:
			case f.Missing():
				return nil
			default:
				found = append(found, f.Attribute+" "+f.Want)
			}
		}
		return found
	}
	match := func(m *mailbox.Message) bool { return len(shown(m)) > 0 }
	why := func(m *mailbox.Message) string {
		found := shown(m)
		if len(found) == 0 {
			return ""
		}
		trigger := n.Trigger
		if n.When != "" {
			trigger += " with " + n.When
		}
		w := fmt.Sprintf("%q is a %s though Digital River sent no %s about the scenario's %s: its subject fits the catalogue's pattern %q and it shows %s",
			m.Subject, strings.ToLower(n.Name), trigger, s.objectName(n), hintRE.String(), strings.Join(found, ", "))
		if last := s.lastDeliveredBefore(ctx, m.Created); last != "" {
			w += "; the merchant sent it on another event, likely " + last
		}
		return w + fmt.Sprintf(" (send it only on a %s; if it is another email, pin the %s's subject in the profile's notifications:)", trigger, strings.ToLower(n.Name))
	}
	return match, why, nil
}

// objectName names what a notification's trigger event is about.
func (s *Scenario) objectName(n *catalogue.Notification) string {
	if strings.HasPrefix(n.Trigger, "subscription.") {
		return "subscription " + s.subscriptionID
	}
	return "order " + s.orderIDOrNone()
}
