package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/drsim/drsim/internal/editdist"
	"github.com/drsim/drsim/simulator/client"
)

// listen uses or creates an account, registers a webhook to the given URL,
// prints the keys and the signing secret, and tails deliveries, like
// `stripe listen --forward-to`.
func listen(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("listen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cn conn
	cn.flags(fs)
	defer func() { err = cn.explain(err) }()
	forward := fs.String("forward-to", "", "the merchant's webhook URL (required)")
	events := fs.String("events", "", "comma-separated event types (default: every type the simulator emits)")
	secret := fs.String("secret", "", "set this signing secret on the webhook (default: keep or generate one)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *forward == "" {
		return errors.New("-forward-to URL is required (the merchant's webhook endpoint)")
	}
	if u, err := url.Parse(*forward); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("-forward-to %q: want an http(s) URL", *forward)
	}
	types := allEventTypes
	if *events != "" {
		if types, err = eventTypes(*events); err != nil {
			return err
		}
	}
	c, err := cn.client(false)
	if err != nil {
		return err
	}
	var keys *client.Keys
	if cn.key == "" {
		keys, err = c.CreateAccount(ctx, "")
	} else if keys, err = c.Account(ctx); client.StatusOf(err) == http.StatusUnauthorized {
		keys, err = c.WithKey("").CreateAccount(ctx, cn.key) // a key the merchant is configured with
	}
	if err != nil {
		return fmt.Errorf("account: %w", err)
	}
	c = c.WithKey(keys.SecretKey)
	hook, err := ensureWebhook(ctx, c, *forward, types)
	if err != nil {
		return err
	}
	if *secret != "" {
		if err := c.SetWebhookSecret(ctx, hook.ID, *secret); err != nil {
			return err
		}
	}
	secrets, err := c.WebhookSecrets(ctx, hook.ID)
	if err != nil {
		return err
	}
	sec := secrets.Secret
	// The tail starts after the attempts made before "Ready.": those made
	// after it (a trigger run the moment it shows) are all tailed.
	seen := latestDelivery(ctx, c)
	// One write, so that a reader who sees "Ready." sees the keys with it.
	fmt.Fprintf(stdout, "Ready. Forwarding %d event types to %s (webhook %s)\n"+
		"  account         %s\n  secret key      %s\n  public key      %s\n  signing secret  %s\n"+
		"Trigger events: DRSIM_SECRET_KEY=%s drsim trigger order.accepted\n",
		len(hook.Types), hook.Address, hook.ID, keys.AccountID, keys.SecretKey, keys.PublicKey, sec, keys.SecretKey)
	return tailDeliveries(ctx, c, hook.ID, seen, stdout)
}

// eventTypes reads -events: each an event type the simulator emits, or a
// pattern with * that matches one ("order.*"). A misspelt type would
// subscribe the webhook to nothing it names, silently.
func eventTypes(list string) ([]string, error) {
	var types []string
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		known := slices.Contains(allEventTypes, t)
		if strings.Contains(t, "*") {
			known = slices.ContainsFunc(allEventTypes, func(e string) bool { ok, _ := path.Match(t, e); return ok })
		}
		if !known {
			if dym := editdist.DidYouMean(t, allEventTypes); dym != "" {
				return nil, fmt.Errorf("-events: %q is not an event type the simulator emits;%s", t, dym)
			}
			return nil, fmt.Errorf("-events: %q is not an event type the simulator emits; the types are %s (or a pattern such as order.*)",
				t, strings.Join(allEventTypes, ", "))
		}
		types = append(types, t)
	}
	if len(types) == 0 {
		return nil, fmt.Errorf("-events %q names no event type", list)
	}
	return types, nil
}

// ensureWebhook reuses the account's webhook to address (enabling it with
// types) or creates one.
func ensureWebhook(ctx context.Context, c *client.Client, address string, types []string) (*client.Webhook, error) {
	hooks, err := c.Webhooks(ctx, client.ListParams{Limit: 100})
	if err != nil {
		return nil, err
	}
	for _, h := range hooks.Data {
		if h.Address == address {
			return c.UpdateWebhook(ctx, h.ID, client.WebhookParams{Types: &types, Enabled: client.Bool(true)})
		}
	}
	return c.CreateWebhook(ctx, client.WebhookParams{Address: client.String(address), Types: &types, Enabled: client.Bool(true)})
}

// latestDelivery is the seq of the simulator's latest delivery attempt,
// 0 when there is none (or it cannot tell).
func latestDelivery(ctx context.Context, c *client.Client) int {
	if as, err := c.Deliveries(ctx, client.AttemptFilter{}); err == nil && len(as) > 0 {
		return as[len(as)-1].Seq
	}
	return 0
}

// tailDeliveries prints each delivery attempt after seq seen (to
// webhookID, or every webhook when empty) until ctx ends. It long-polls the
// simulator. When the simulator stops answering (a developer restarting
// serve) it says so and waits for it to come back, instead of exiting; a
// restarted simulator numbers its attempts afresh (they are not kept), so
// the tail starts over.
func tailDeliveries(ctx context.Context, c *client.Client, webhookID string, seen int, w io.Writer) error {
	for ctx.Err() == nil {
		as, err := c.WaitDeliveries(ctx, client.AttemptFilter{After: seen}, 1, 25*time.Second)
		if ctx.Err() != nil {
			return nil
		}
		if client.StatusOf(err) == http.StatusRequestTimeout {
			continue // nothing new yet
		}
		if err != nil && client.StatusOf(err) == 0 { // no answer: the simulator is down
			fmt.Fprintf(w, "%s  the simulator stopped answering (%v); waiting for it to come back (Ctrl-C to stop)\n", time.Now().Format("15:04:05"), err)
			last, err := waitBack(ctx, c)
			if err != nil || ctx.Err() != nil {
				return err
			}
			if last < seen {
				seen = 0 // restarted: its attempts are numbered afresh
			}
			fmt.Fprintf(w, "%s  the simulator is back\n", time.Now().Format("15:04:05"))
			continue
		}
		if err != nil {
			return err
		}
		for _, a := range as {
			if webhookID == "" || a.WebhookID == webhookID {
				which := fmt.Sprintf("attempt %d", a.Attempt)
				if a.Manual {
					which = "resend" // events resend, the dashboard's "Deliver again", a scenario's redelivery
				}
				fmt.Fprintf(w, "%s  --> %-36s %s [%s] %s  <-- %s\n", a.Time.Local().Format("15:04:05"), a.EventType, a.EventID, a.WebhookID, which, attemptOutcome(a))
			}
			seen = a.Seq
		}
	}
	return nil
}

// waitBack polls the simulator every reconnectEvery until it answers, and
// returns the seq of its latest delivery attempt (0 when none). An answer
// that is an error (401: restarted without the account) ends the wait.
func waitBack(ctx context.Context, c *client.Client) (int, error) {
	t := time.NewTicker(reconnectEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return 0, nil
		case <-t.C:
		}
		as, err := c.Deliveries(ctx, client.AttemptFilter{})
		if err != nil && client.StatusOf(err) == 0 {
			continue // still down
		}
		if err != nil {
			return 0, err
		}
		if len(as) == 0 {
			return 0, nil
		}
		return as[len(as)-1].Seq, nil
	}
}

// reconnectEvery is how often a tail asks whether a stopped simulator is back.
var reconnectEvery = time.Second

// events is `drsim events resend ID [-webhook id]`.
func events(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	if len(args) == 0 || args[0] != "resend" {
		fmt.Fprintln(stderr, "Usage: drsim events resend [-sim URL] [-key sk_test_…] [-webhook ID] EVENT_ID")
		if len(args) > 0 && isHelp(args[0]) {
			return flag.ErrHelp
		}
		return errors.New("want the subcommand resend")
	}
	fs := flag.NewFlagSet("events resend", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cn conn
	cn.flags(fs)
	defer func() { err = cn.explain(err) }()
	webhook := fs.String("webhook", "", "deliver only to this webhook (default: every webhook the event went to)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("want one event id, got %d arguments", fs.NArg())
	}
	c, err := cn.client(true)
	if err != nil {
		return err
	}
	as, err := c.Redeliver(ctx, fs.Arg(0), client.RedeliverParams{WebhookID: *webhook})
	if err != nil {
		return err
	}
	for _, a := range as {
		fmt.Fprintf(stdout, "%s %s → %s %s\n", a.EventType, a.EventID, a.Address, attemptOutcome(a))
	}
	return nil
}

// logs is `drsim logs tail`: the account's API calls and webhook deliveries as they happen.
func logs(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	if len(args) == 0 || args[0] != "tail" {
		fmt.Fprintln(stderr, "Usage: drsim logs tail [-sim URL] [-key sk_test_…] [-deliveries=true] [-requests=true]")
		if len(args) > 0 && isHelp(args[0]) {
			return flag.ErrHelp
		}
		return errors.New("want the subcommand tail")
	}
	fs := flag.NewFlagSet("logs tail", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cn conn
	cn.flags(fs)
	defer func() { err = cn.explain(err) }()
	withDeliveries := fs.Bool("deliveries", true, "print webhook deliveries")
	withRequests := fs.Bool("requests", true, "print the merchant's API calls")
	poll := fs.Duration("poll", 500*time.Millisecond, "how often to read the API call log")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	c, err := cn.client(true)
	if err != nil {
		return err
	}
	if _, err := c.Account(ctx); err != nil {
		return err
	}
	seen := latestDelivery(ctx, c)
	seenCall, err := latestRequest(ctx, c)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Tailing %s (Ctrl-C to stop)\n", cn.sim)
	out := &lockedWriter{w: stdout}
	errc := make(chan error, 2)
	n := 0
	if *withDeliveries {
		n++
		go func() { errc <- tailDeliveries(ctx, c, "", seen, out) }()
	}
	if *withRequests {
		n++
		go func() { errc <- tailRequests(ctx, c, seenCall, *poll, out) }()
	}
	for range n {
		if err := <-errc; err != nil {
			return err
		}
	}
	return nil
}

// latestRequest is the seq of the account's latest logged API call (0 when
// none): the tail shows the calls after it, so a call made the moment
// "Tailing" is printed is shown.
func latestRequest(ctx context.Context, c *client.Client) (int, error) {
	rs, err := c.RequestsAfter(ctx, 0)
	if err != nil || len(rs) == 0 {
		return 0, err
	}
	return rs[len(rs)-1].Seq, nil
}

// tailRequests prints each API call the shop makes after seq seen. Calls
// made by drsim itself (trigger, listen, the certification harness: a
// User-Agent starting with drsimAgentPrefix) are not the shop's, and are
// left out.
func tailRequests(ctx context.Context, c *client.Client, seen int, poll time.Duration, w io.Writer) error {
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		rs, err := c.RequestsAfter(ctx, seen)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		for _, r := range rs {
			if strings.HasPrefix(r.Agent, drsimAgentPrefix) {
				continue
			}
			q := ""
			if r.Query != "" {
				q = "?" + r.Query
			}
			fmt.Fprintf(w, "%s  %s %s%s  <-- %d\n", r.Time.Local().Format("15:04:05"), r.Method, r.Path, q, r.Status)
		}
		if len(rs) > 0 {
			seen = rs[len(rs)-1].Seq
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// allEventTypes are the event types the simulator records; listen
// subscribes to all of them unless -events names some.
var allEventTypes = []string{
	"customer.created", "customer.updated", "customer.deleted", "customer.source.created", "customer.source.deleted",
	"source.created", "source.chargeable", "sku.created", "sku.updated", "sku.deleted",
	"order.pending_payment", "order.review_opened", "order.accepted", "order.blocked", "order.invoice.created", "order.fulfilled",
	"order.complete", "order.cancelled", "order.refunded", "order.credit_memo.created",
	"order.charge.capture.complete", "order.charge.capture.failed", "order.charge.cancel.complete", "order.charge.cancel.failed",
	"order.charge.refund.complete", "order.charge.refund.failed", "fulfillment.created",
	"refund.pending", "refund.pending_information", "refund.complete", "refund.failed", "return.created", "return.accepted",
	"subscription.created", "subscription.updated", "subscription.deleted", "subscription.reminder",
	"subscription.extended", "subscription.payment_failed", "subscription.failed", "subscription.lapsed",
	"subscription.source_invalid", "invoice.created", "invoice.updated", "invoice.open", "invoice.paid", "invoice.payment_failed",
	"invoice.uncollectible", "invoice.void",
}
