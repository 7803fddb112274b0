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

// countCause explains a wrong count of notification n's emails (got, where
// want were expected), as diagnose explains a missing one: which trigger
// event each email answers and the likely cause. Too many: several emails
// answering one event, and how often Digital River delivered that event
// (a merchant must send each email once per event id: DR redelivers).
// Too few: the events no email answers and what happened to their
// deliveries. Each email is recorded as evidence for the report. It
// returns "" when there is nothing to say (no trigger, no order, or the
// simulator cannot be read).
func (s *Scenario) countCause(ctx context.Context, n *catalogue.Notification, recipient string, got []*mailbox.Message, want int) string {
	if s.order == nil {
		return ""
	}
	if n.Trigger == "" {
		return s.merchantSideCause(n, recipient, got, want)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	subs, err := s.subjects(ctx, n, true)
	if err != nil {
		return ""
	}
	// answers[i] is the event email i shows every required attribute of;
	// early[i], the event it shows them of but arrived before DR first
	// delivered (so it was sent on another event).
	answers, early := make([]string, len(got)), make([]string, len(got))
	byEvent := map[string][]int{}
	for i, m := range got {
		v := s.view(m)
		ev := EmailEvidence{Notification: n.ID, Recipient: recipient, Message: m,
			Err: fmt.Errorf("%d %s email(s) arrived where the step expects exactly %d (see the step's error)", len(got), strings.ToLower(n.Name), want)}
		for _, sub := range subs {
			if r := n.Check(sub.object, v.email); sub.eventID != "" && r.Err() == nil {
				if sub.premature(m.Created) {
					if early[i] == "" {
						early[i] = sub.eventID
					}
					continue
				}
				answers[i] = sub.eventID
				byEvent[sub.eventID] = append(byEvent[sub.eventID], i)
				ev.EventID, ev.EventType, ev.Object, ev.Findings = sub.eventID, n.Trigger, sub.object, r.Findings
				break
			}
		}
		// The report keeps every email of a wrong count (its .eml among them).
		s.RecordEmail(ev)
	}
	var b strings.Builder
	for i, m := range got {
		fmt.Fprintf(&b, "\n  %q at %s ", m.Subject, m.Created.Format(time.RFC3339Nano))
		switch {
		case answers[i] != "":
			fmt.Fprintf(&b, "answers %s %s", n.Trigger, answers[i])
		case early[i] != "":
			fmt.Fprintf(&b, "shows %s %s's attributes but arrived before Digital River sent it", n.Trigger, early[i])
		default:
			fmt.Fprintf(&b, "shows no %s event's required attributes (counted by the profile's subject pattern)", n.Trigger)
		}
	}
	if len(got) < want {
		return s.tooFew(ctx, n, recipient, subs, byEvent) + b.String()
	}
	// An email for an event the merchant refused every delivery of: it
	// acted on a webhook before (or without) verifying it.
	for _, sub := range subs {
		if len(byEvent[sub.eventID]) == 0 {
			continue
		}
		var d strings.Builder
		atts := s.deliveries(ctx, &d, n.Trigger, sub.eventID)
		if len(atts) > 0 && !slices.ContainsFunc(atts, func(a client.Attempt) bool { return a.Delivered }) {
			return fmt.Sprintf("\nlikely cause: the merchant refused every delivery of %s %s (%d), yet emailed for it: it acts on a webhook before, or without, verifying it. Verify DigitalRiver-Signature first and do nothing with a webhook it refuses", n.Trigger, sub.eventID, len(atts)) + b.String() + d.String()
		}
	}
	// An email that arrived before DR sent the event it shows: the
	// merchant sent it on an earlier event (an order confirmation on
	// order.pending_payment), not twice for one.
	for i, m := range got {
		if answers[i] == "" && early[i] != "" {
			return "\nlikely cause: " + strings.TrimPrefix(s.prematureCause(ctx, n, m.Created), "; ") + b.String()
		}
	}
	// Too many: the event the most emails answer.
	dup := ""
	for _, sub := range subs {
		if len(byEvent[sub.eventID]) > len(byEvent[dup]) {
			dup = sub.eventID
		}
	}
	switch {
	case dup != "" && len(byEvent[dup]) > 1:
		var d strings.Builder
		// An attempt that got no answer (a timeout) may still have
		// reached the merchant: every attempt counts.
		atts := s.deliveries(ctx, &d, n.Trigger, dup)
		cause := fmt.Sprintf("%d emails answer one %s event, %s, which the merchant received once: it sends this email more than once per event (two handlers for the event, or a mailer that retries a send that succeeded?)", len(byEvent[dup]), n.Trigger, dup)
		if len(n.AlsoOn) > 0 {
			// An email sent on an alsoOn event counts as sent on the
			// trigger recorded with it: a merchant that sends on both
			// sends two.
			cause = fmt.Sprintf("%d emails answer one %s event, %s, which the merchant received once: it sends this email more than once per event (on %s and again on %s? Digital River's docs suggest either, so send it on one of them; or two handlers for the event, or a mailer that retries a send that succeeded?)", len(byEvent[dup]), n.Trigger, dup, strings.Join(n.AlsoOn, " or "), n.Trigger)
		}
		if len(atts) > 1 {
			cause = fmt.Sprintf("%d emails answer one %s event, %s, which Digital River delivered %d times: the merchant does not deduplicate by event id (DR redelivers events, after a failed or slow answer or at will, so a webhook handler must be idempotent: one email per event id)", len(byEvent[dup]), n.Trigger, dup, len(atts))
			// A merchant that does deduplicate may have sent one of them on
			// another event about the order that its worker pool got to
			// only after this one (an order confirmation on
			// order.pending_payment): arrival after the event cannot tell.
			var last time.Time
			for _, i := range byEvent[dup] {
				if got[i].Created.After(last) {
					last = got[i].Created
				}
			}
			if other := s.lastDeliveredBefore(ctx, last, dup); other != "" {
				cause += fmt.Sprintf("; or, if it does deduplicate, it sent one of them on another event about the order, %s, delivered before the later email: send the %s on %s only", other, strings.ToLower(n.Name), n.SentOn())
			}
		}
		return "\nlikely cause: " + cause + b.String() + d.String()
	case want == 0 && len(byEvent) == len(got):
		// The step expects none: the event happened, but this
		// notification's condition does not hold for it.
		cond := "the scenario's steps make no event that calls for one"
		if n.Description != "" {
			cond = fmt.Sprintf("%s is for when %s, and the scenario's steps make that not so", strings.ToLower(n.Name), n.Description)
		}
		return fmt.Sprintf("\nlikely cause: the merchant sent %s for %d %s event(s) about order %s where the step expects none: %s; does the merchant check that condition before sending it?", strings.ToLower(n.Name), len(byEvent), n.Trigger, s.order.ID, cond) + b.String()
	case len(byEvent) == len(got):
		return fmt.Sprintf("\nlikely cause: each email answers its own %s event about order %s (%d in all): the merchant emailed for every one, where the step expects %d email(s); did the scenario's steps make more %s events than meant?", n.Trigger, s.order.ID, len(byEvent), want, n.Trigger) + b.String()
	default:
		return fmt.Sprintf("\nlikely cause: %d of the %d emails show no %s event's required attributes: the profile's subject pattern for %s counts emails that are not this notification", len(got)-countAnswered(answers), len(got), n.Trigger, n.ID) + b.String()
	}
}

// merchantSideCause explains a wrong count of a notification the merchant
// sends on its own (no Digital River event triggers it, so there are no
// deliveries to compare with): the emails counted, each recorded as
// evidence, and what to look at.
func (s *Scenario) merchantSideCause(n *catalogue.Notification, recipient string, got []*mailbox.Message, want int) string {
	var b strings.Builder
	for _, m := range got {
		fmt.Fprintf(&b, "\n  %q at %s", m.Subject, m.Created.Format(time.RFC3339Nano))
		s.RecordEmail(EmailEvidence{Notification: n.ID, Recipient: recipient, Message: m,
			Err: fmt.Errorf("%d %s email(s) arrived where the step expects exactly %d (see the step's error)", len(got), strings.ToLower(n.Name), want)})
	}
	what := fmt.Sprintf("the merchant sends %s itself (no Digital River event triggers it)", strings.ToLower(n.Name))
	switch {
	case len(got) > want:
		return fmt.Sprintf("\nlikely cause: %s, and sent %d for order %s where the scenario's steps ask for %d: does its action send the email more than once (a retried request handled twice, a job that runs again), or answer an earlier request again?", what, len(got), s.order.ID, want) + b.String()
	case len(got) > 0:
		return fmt.Sprintf("\nlikely cause: %s, and sent %d of the %d the scenario's steps ask for, for order %s: does its action send one email for each time it is asked?", what, len(got), want, s.order.ID) + b.String()
	default:
		return fmt.Sprintf("\nlikely cause: %s, and sent none for order %s: if the scenario's action for it was answered, look at the merchant's mailer (its SMTP address, an error it logged) and at the recipient it chose (it should be the order's email, %s)", what, s.order.ID, recipient)
	}
}

// tooFew explains missing emails by the trigger events no email answers:
// what happened to their deliveries (see diagnoseEvents).
func (s *Scenario) tooFew(ctx context.Context, n *catalogue.Notification, recipient string, subs []subject, byEvent map[string][]int) string {
	missing := map[string]bool{}
	for _, sub := range subs {
		if sub.eventID != "" && len(byEvent[sub.eventID]) == 0 {
			missing[sub.eventID] = true
		}
	}
	events, err := s.orderEvents(ctx, n.Trigger)
	if err != nil {
		return ""
	}
	var without []*event
	var ids []string
	for _, e := range events {
		if missing[e.ID] {
			without = append(without, e)
			ids = append(ids, e.ID)
		}
	}
	if len(without) == 0 {
		if len(byEvent) > 0 {
			return fmt.Sprintf("\nlikely cause: every %s event about order %s (%d) has its email: the scenario's steps made fewer %s events than the step expects emails", n.Trigger, s.order.ID, len(byEvent), n.Trigger)
		}
		return s.diagnose(ctx, n, recipient)
	}
	return s.diagnoseEvents(ctx, n, without, recipient) + fmt.Sprintf("\n  %s events about order %s that no email answers: %s", n.Trigger, s.order.ID, strings.Join(ids, ", "))
}

func countAnswered(answers []string) int {
	k := 0
	for _, a := range answers {
		if a != "" {
			k++
		}
	}
	return k
}
