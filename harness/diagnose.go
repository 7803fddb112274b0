package harness

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/drsim/drsim/harness/catalogue"
	"github.com/drsim/drsim/simulator/client"
)

// diagnose explains a missing email: what happened to the deliveries of
// the notification's trigger events about the scenario's order (status,
// error, latency), the merchant's DR API calls since the first of them, and
// the likely cause; emails about the order sent to another address than to
// (the customer's) are the likely cause when there are any. It returns ""
// when there is nothing to say.
func (s *Scenario) diagnose(ctx context.Context, n *catalogue.Notification, to string) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if n.Trigger == "" || s.order == nil {
		if stray := s.strayEmails(ctx, to); stray != "" {
			return "\nlikely cause: " + stray
		}
		return ""
	}
	events, err := s.orderEvents(ctx, n.Trigger)
	if err != nil || len(events) == 0 {
		return fmt.Sprintf("\nno %s event about order %s exists in Digital River: the scenario's steps did not produce one", n.Trigger, s.order.ID)
	}
	return s.diagnoseEvents(ctx, n, events, to)
}

// diagnoseEvents is diagnose for the given trigger events (at least one):
// the last five of them.
func (s *Scenario) diagnoseEvents(ctx context.Context, n *catalogue.Notification, events []*event, to string) string {
	if len(events) > 5 {
		events = events[len(events)-5:]
	}
	var b strings.Builder
	var all []client.Attempt
	for _, e := range events {
		all = append(all, s.deliveries(ctx, &b, n.Trigger, e.ID)...)
	}
	since := events[0].CreatedTime
	// Scenarios run at once on one account: only the calls that name one
	// of the events' objects (in the path or query) are this scenario's.
	var about []string
	for _, e := range events {
		about = objectIDs(e.Data.Object, about)
	}
	if logs, err := s.h.dr.Requests(ctx); err == nil {
		var calls []string
		for _, r := range logs {
			if r.Agent == HarnessAgent || r.Time.Before(since) || !slices.ContainsFunc(about, func(id string) bool {
				return strings.Contains(r.Path, id) || strings.Contains(r.Query, id)
			}) {
				continue
			}
			calls = append(calls, fmt.Sprintf("%s %s → %d", r.Method, r.Path, r.Status))
		}
		if len(calls) > 10 {
			calls = append(calls[:10], fmt.Sprintf("… (%d in all)", len(calls)))
		}
		if len(calls) == 0 {
			b.WriteString("\n  the merchant made no Digital River API call about the event's objects since the event")
		} else {
			b.WriteString("\n  the merchant's Digital River API calls about the event's objects since the event:\n    " + strings.Join(calls, "\n    "))
		}
	}
	cause := likelyCause(n.Trigger, all, s.h.cfg.Profile.Webhook.URL)
	if len(all) == 0 {
		if wd, err := s.h.dr.WebhookDelivery(ctx, s.h.webhookID); err == nil {
			recent, _ := s.h.dr.Deliveries(ctx, client.AttemptFilter{WebhookID: s.h.webhookID})
			if c := undeliveredCause(n.Trigger, wd, recent); c != "" {
				cause = c
			}
		}
	}
	if stray := s.strayEmails(ctx, to); stray != "" {
		cause = stray
	}
	return "\nlikely cause: " + cause + b.String()
}

// deliveries writes to b, one line each, the attempts to deliver event id
// (of type typ) to the run's webhook, and returns them; it writes nothing
// when the simulator cannot be read.
func (s *Scenario) deliveries(ctx context.Context, b *strings.Builder, typ, id string) []client.Attempt {
	atts, err := s.h.dr.Deliveries(ctx, client.AttemptFilter{EventID: id, WebhookID: s.h.webhookID})
	if err != nil {
		return nil
	}
	fmt.Fprintf(b, "\n  deliveries of %s %s:", typ, id)
	if len(atts) == 0 {
		b.WriteString(" none yet")
	}
	for _, a := range atts {
		fmt.Fprintf(b, "\n    attempt %d to %s: ", a.Attempt, a.Address)
		switch {
		case a.Status != 0:
			fmt.Fprintf(b, "answered %d in %.0f ms", a.Status, a.LatencyMS)
		default:
			fmt.Fprintf(b, "no answer (%s)", a.Error)
		}
		switch {
		case a.Manual:
			b.WriteString(" (a manual redelivery)")
		case a.Duplicate:
			b.WriteString(" (a duplicate delivery, as DR may make)")
		}
		if a.Forged != "" {
			fmt.Fprintf(b, " (signature forged: %s)", a.Forged)
		}
		if a.ResponseExcerpt != "" {
			fmt.Fprintf(b, ": %q", firstBytes([]byte(a.ResponseExcerpt), 120))
		}
	}
	return atts
}

// likelyCause names the most probable reason for a missing email from the
// deliveries of its trigger events.
func likelyCause(trigger string, atts []client.Attempt, hook string) string {
	if len(atts) == 0 {
		return fmt.Sprintf("Digital River has not delivered %s to the merchant yet (a held or slow delivery?)", trigger)
	}
	var auth, refused, server, ok, other int
	for _, a := range atts {
		switch {
		case a.Delivered:
			ok++
		case a.Status == 401 || a.Status == 403:
			auth++
		case a.Status == 0:
			refused++
		case a.Status >= 500:
			server++
		default:
			other++
		}
	}
	total := len(atts)
	switch {
	case ok > 0:
		return fmt.Sprintf("the merchant acknowledged %s (%d of %d deliveries) but sent no matching email: does it send this notification, to the order's address, through the SMTP server the run uses?", trigger, ok, total)
	case auth == total:
		return fmt.Sprintf("the merchant answered 401/403 to all %d deliveries of %s: does webhook.signingSecret match the merchant's secret?", total, trigger)
	case refused == total:
		return fmt.Sprintf("no delivery of %s got an answer (%s): is the merchant running, and is webhook.url (%s) its webhook endpoint?", trigger, atts[0].Error, hook)
	case server > 0:
		return fmt.Sprintf("the merchant answered 5xx to %d of %d deliveries of %s: see its log", server, total, trigger)
	default:
		return fmt.Sprintf("the merchant refused all %d deliveries of %s (status %d): is webhook.url (%s) its webhook endpoint?", total, trigger, atts[0].Status, hook)
	}
}

// strayEmails says which recent emails about the scenario's order went to
// another address than to (the customer's), or "": a merchant that mails
// the wrong recipient is told where its emails went, not only that none
// arrived.
func (s *Scenario) strayEmails(ctx context.Context, to string) string {
	if s.order == nil {
		return ""
	}
	recent, err := s.h.cfg.Mailbox.Recent(ctx, strayLookBack)
	if err != nil {
		return ""
	}
	var stray []string
	for _, m := range recent {
		if slices.ContainsFunc(m.To, func(a string) bool { return strings.EqualFold(a, to) }) {
			continue
		}
		if strings.Contains(m.Subject, s.order.ID) || strings.Contains(m.Body(), s.order.ID) {
			stray = append(stray, fmt.Sprintf("%q to %s", m.Subject, strings.Join(m.To, ", ")))
		}
	}
	if len(stray) == 0 {
		return ""
	}
	if len(stray) > 3 {
		stray = append(stray[:3], fmt.Sprintf("… (%d in all)", len(stray)))
	}
	return fmt.Sprintf("emails about order %s went to another address than the customer's (%s): %s. Does the merchant send to the order's email?", s.order.ID, to, strings.Join(stray, "; "))
}

// strayLookBack is how many of the newest emails strayEmails reads.
const strayLookBack = 500

// undeliveredCause says why Digital River has not delivered a trigger
// event yet, from the state of the run's webhook and its latest attempts
// (oldest first): it is disabled, or events wait in its queue behind a
// merchant whose answers come too late (DR delivers one event at a time
// to a webhook). It returns "" when neither explains it.
func undeliveredCause(trigger string, wd *client.WebhookDelivery, recent []client.Attempt) string {
	if !wd.Enabled {
		return fmt.Sprintf("Digital River has not delivered %s: the webhook is disabled (%s), and its events are parked until it is enabled again", trigger, wd.DisabledReason)
	}
	waiting := wd.Queued + wd.WaitingRetry
	if waiting == 0 {
		return ""
	}
	if len(recent) > 20 {
		recent = recent[len(recent)-20:]
	}
	late := 0
	for _, a := range recent {
		if !a.Delivered && a.Status == 0 && a.Fault == "" && strings.Contains(strings.ToLower(a.Error), "timeout") {
			late++
		}
	}
	if late > 0 && 2*late >= len(recent) {
		return fmt.Sprintf("Digital River has not delivered %s yet: %d events wait for the webhook (%d of them for a retry), and %d of its last %d deliveries got no answer within the delivery timeout: the merchant answers too slowly, and Digital River delivers one event at a time to a webhook, so events wait behind each other; acknowledge webhooks at once and do the slow work (DR calls, emails) afterwards",
			trigger, waiting, wd.WaitingRetry, late, len(recent))
	}
	return fmt.Sprintf("Digital River has not delivered %s yet: %d events wait for the webhook before it (%d of them for a retry): a slow merchant, or a retry waiting its backoff?", trigger, waiting, wd.WaitingRetry)
}

// objectIDs appends the id-like strings of an event's object (values of
// keys named id or ending in Id, at any depth: the order, its customer,
// items, subscriptions, files) to out.
func objectIDs(v any, out []string) []string {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if id, ok := x.(string); ok && (k == "id" || strings.HasSuffix(k, "Id")) && len(id) >= 4 && !slices.Contains(out, id) {
				out = append(out, id)
			}
			out = objectIDs(x, out)
		}
	case []any:
		for _, x := range v {
			out = objectIDs(x, out)
		}
	}
	return out
}
