package harness

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/drsim/drsim/harness/catalogue"
	"github.com/drsim/drsim/harness/mailbox"

	"github.com/drsim/drsim/simulator/client"
)

// An email answers an event only if it was sent after DR delivered that
// event: a merchant cannot react to what it has not received. An email
// that shows every attribute of a notification but reached the mailbox
// before its trigger event was first delivered was sent on an earlier
// event (the order confirmation on order.pending_payment, before DR
// accepted the order), so it is never matched to that event.
//
// Both times are wall-clock times on the machine running the simulator and
// the mailbox (the delivery attempt's, MailHog's reception): they must
// read the same clock, as they do embedded, under docker-compose and on
// one host.

// firstDelivery is when DR first sent event id to the merchant's webhook,
// or the zero time when no attempt is known (not sent yet, or dropped from
// the simulator's log): then nothing is assumed.
func (s *Scenario) firstDelivery(ctx context.Context, id string) time.Time {
	return s.firstDeliveryTo(ctx, id, s.h.webhookID)
}

// firstDeliveryTo is firstDelivery to webhook hook.
func (s *Scenario) firstDeliveryTo(ctx context.Context, id, hook string) time.Time {
	if t, ok := s.delivered[id]; ok {
		return t
	}
	atts, err := s.h.dr.Deliveries(ctx, client.AttemptFilter{EventID: id, WebhookID: hook})
	if err != nil || len(atts) == 0 {
		return time.Time{}
	}
	first := atts[0].Time
	for _, a := range atts[1:] {
		if a.Time.Before(first) {
			first = a.Time
		}
	}
	if s.delivered == nil {
		s.delivered = map[string]time.Time{}
	}
	s.delivered[id] = first
	return first
}

// deliveredFor is when the merchant could first act on sub's event for
// notification n: the event's first delivery, or earlier, the first
// delivery of an event of n's alsoOn types about the scenario's order
// recorded with it (refund.complete, recorded with order.refunded, may
// reach the merchant first). Zero when the event's delivery is not known.
func (s *Scenario) deliveredFor(ctx context.Context, n *catalogue.Notification, sub subject) time.Time {
	first := s.firstDelivery(ctx, sub.eventID)
	if first.IsZero() {
		return first
	}
	for _, typ := range n.AlsoOn {
		events, err := s.orderEvents(ctx, typ)
		if err != nil {
			continue // no order: nothing recorded with it
		}
		for _, e := range events {
			if !e.CreatedTime.Equal(sub.at) {
				continue
			}
			if t := s.firstDeliveryTo(ctx, e.ID, s.h.observerID); !t.IsZero() && t.Before(first) {
				first = t
			}
		}
	}
	return first
}

// matchDelivered is match, made sure of causality: an email matched to an
// event whose first delivery is not known yet (the simulator records an
// attempt once the merchant has answered, and the email may already be
// here when it was sent on an earlier event) waits for that delivery, and
// the emails found to have arrived before it are matched again.
func (s *Scenario) matchDelivered(ctx context.Context, mt *matching, n int, rivals map[string][]subject, all []*mailbox.Message) bool {
	for {
		if !s.match(ctx, mt, n, rivals, all) {
			return false
		}
		if !s.learnDeliveries(ctx, mt) {
			return true
		}
	}
}

// learnDeliveries learns the first delivery of each matched event whose
// delivery is not known, and reports whether one of them makes its email
// premature.
func (s *Scenario) learnDeliveries(ctx context.Context, mt *matching) bool {
	changed := false
	for i, j := range mt.pairs {
		if j < 0 || mt.subs[j].eventID == "" || !mt.subs[j].delivered.IsZero() {
			continue
		}
		sub := &mt.subs[j]
		atts, err := s.h.dr.WaitDeliveries(ctx, client.AttemptFilter{EventID: sub.eventID, WebhookID: s.h.webhookID}, 1, drDeliveryTimeout)
		if err != nil || len(atts) == 0 {
			continue // never delivered (held back), or not known: nothing assumed
		}
		sub.delivered = s.deliveredFor(ctx, mt.n, *sub)
		if sub.premature(mt.emails[i].msg.Created) {
			changed = true
		}
	}
	return changed
}

// awaitDeliveries learns the first delivery of each subject whose delivery
// is not known yet, waiting for it as DR's delivery timeout allows; it
// returns true, for use in a condition.
func (s *Scenario) awaitDeliveries(ctx context.Context, mt *matching) bool {
	for j := range mt.subs {
		sub := &mt.subs[j]
		if sub.eventID == "" || !sub.delivered.IsZero() {
			continue
		}
		if atts, err := s.h.dr.WaitDeliveries(ctx, client.AttemptFilter{EventID: sub.eventID, WebhookID: s.h.webhookID}, 1, drDeliveryTimeout); err == nil && len(atts) > 0 {
			sub.delivered = s.deliveredFor(ctx, mt.n, *sub)
		}
	}
	return true
}

// timely counts the emails that arrived after the first delivery of at
// least one of the subjects (all of them when there is no subject).
func (mt *matching) timely() int {
	if len(mt.subs) == 0 {
		return len(mt.emails)
	}
	k := 0
	for _, v := range mt.emails {
		if slices.ContainsFunc(mt.subs, func(sub subject) bool { return !sub.premature(v.msg.Created) }) {
			k++
		}
	}
	return k
}

// premature reports whether an email that arrived at got cannot answer
// sub's event: it arrived before DR first delivered the event.
func (sub subject) premature(got time.Time) bool {
	return !sub.delivered.IsZero() && got.Before(sub.delivered)
}

// prematureCause says, for a failure, why an email arrived before its
// trigger event: the event the merchant had last received about the
// scenario's order or subscription, the likely cause.
func (s *Scenario) prematureCause(ctx context.Context, nt *catalogue.Notification, got time.Time) string {
	cause := fmt.Sprintf("; the email arrived before Digital River sent %s, so the merchant sent the %s on another event", nt.Trigger, strings.ToLower(nt.Name))
	if last := s.lastDeliveredBefore(ctx, got); last != "" {
		cause += ", likely " + last + ", the last event(s) about it delivered before the email arrived"
	}
	return cause + "; send it on " + nt.SentOn()
}

// lastDeliveredBefore names the latest events (up to three, newest first)
// about the scenario's order or subscription that DR delivered to the
// merchant (on any of its webhooks) before t, other than the except ones,
// as "X" or "one of X, Y", or "".
func (s *Scenario) lastDeliveredBefore(ctx context.Context, t time.Time, except ...string) string {
	atts, err := s.h.dr.Deliveries(ctx, client.AttemptFilter{})
	if err != nil {
		return ""
	}
	slices.SortStableFunc(atts, func(a, b client.Attempt) int { return b.Time.Compare(a.Time) })
	checked := map[string]bool{}
	var named []string
	for _, a := range atts {
		if len(named) == 3 {
			break
		}
		if !a.Time.Before(t) || checked[a.EventID] || a.Address != s.h.cfg.Profile.Webhook.URL || slices.Contains(except, a.EventID) {
			continue
		}
		checked[a.EventID] = true
		evs, err := s.orderEvents(ctx, a.EventType)
		if err != nil {
			break
		}
		if slices.ContainsFunc(evs, func(e *event) bool { return e.ID == a.EventID }) {
			named = append(named, fmt.Sprintf("%s %s (delivered at %s)", a.EventType, a.EventID, a.Time.UTC().Format(time.RFC3339Nano)))
		}
	}
	switch len(named) {
	case 0:
		return ""
	case 1:
		return named[0]
	}
	return "one of " + strings.Join(named, ", ")
}
