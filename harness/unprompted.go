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
// counts each email that
//   - is not matched as another notification,
//   - names X in its subject: it fits the catalogue's English pattern for X
//     or holds one of X's subjectWords, in the catalogue's 18 languages
//     ("versandt", "解約が完了"),
//   - does not say it is not X (X's notWords: an order confirmation
//     "awaiting your payment" is the wire transfer's awaiting-payment
//     email, not a confirmation),
//   - is not another notification of one of the scenario's events that no
//     email answers yet (an order confirmation "to be shipped within 2
//     days", not yet checked, is the order confirmation, not a shipment),
//   - and shows every required attribute of X that the scenario's own
//     objects, read through DR's API, have a value for (the order's id and
//     products, the subscription's products…; at least one).
// A merchant whose subjects name none of them (a thank-you for an order) is
// checked so only with pinned subjects, and is never failed by these checks
// otherwise.

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
	if pin, _ := s.pinned(n.ID); pin != nil || (n.Subject == "" && len(n.SubjectWords) == 0) || n.Trigger == "" || n.Document != nil {
		return nil, nil, nil
	}
	if subs, err := s.subjects(ctx, n, true); err != nil || len(subs) > 0 {
		return nil, nil, err
	}
	obj, err := s.stand(ctx, n)
	if err != nil || obj == nil {
		return nil, nil, err
	}
	others := map[string][]subject{}
	// shown is what of n email m shows, with the words that name n in its
	// subject; nil when m is not counted.
	shown := func(m *mailbox.Message) []string {
		if _, done := s.consumed[m.ID]; done {
			return nil
		}
		named, ok := n.Named(m.Subject)
		if !ok {
			return nil
		}
		v := s.view(m)
		if _, no := n.Disclaimed(v.email); no {
			return nil
		}
		found := []string{fmt.Sprintf("its subject names it (%q)", named)}
		for _, f := range n.Check(obj, v.email).Findings {
			switch {
			case f.Unknown || f.Optional:
			case f.Missing():
				return nil
			default:
				found = append(found, f.Attribute+" "+f.Want)
			}
		}
		if len(found) == 1 || s.takenFor(ctx, n, v, others) != "" {
			return nil
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
		w := fmt.Sprintf("%q counts as a %s email though Digital River sent no %s about the scenario's %s: %s and it shows %s",
			m.Subject, strings.ToLower(n.Name), trigger, s.objectName(n), found[0], strings.Join(found[1:], ", "))
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

// takenFor names the other notification y email v is, or "": v shows every
// required attribute of y for one of the scenario's trigger events of y
// that no email was matched to as y yet, and that DR had delivered when v
// arrived. A correct merchant's email that names x in passing ("cancel
// anytime" is not it, but "it will be shipped within 2 days" in an order
// confirmation is) is that other notification. others caches each y's
// events.
func (s *Scenario) takenFor(ctx context.Context, x *catalogue.Notification, v *seenEmail, others map[string][]subject) string {
	for _, y := range s.h.cfg.Catalogue.Notifications {
		if y.ID == x.ID || y.Trigger == "" || y.Document != nil {
			continue // merchant-side notices and documents: no event to be of
		}
		if pin, _ := s.pinned(y.ID); pin != nil && !pin.MatchString(v.msg.Subject) {
			continue
		}
		subs, ok := others[y.ID]
		if !ok {
			var err error
			if subs, err = s.subjects(ctx, y, false); err != nil {
				subs = nil // no order yet, or DR unreachable: nothing it could be
			}
			others[y.ID] = subs
		}
		for _, sub := range subs {
			if !sub.premature(v.msg.Created) && y.Check(sub.object, v.email).Err() == nil {
				return y.ID
			}
		}
	}
	return ""
}
