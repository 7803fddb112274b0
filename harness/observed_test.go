package harness_test

import (
	"context"
	"slices"
	"testing"

	"github.com/drsim/drsim/examples/merchant"
	"github.com/drsim/drsim/harness"
	"github.com/drsim/drsim/internal/stack"
	"github.com/drsim/drsim/simulator/client"
)

// The merchant also receives the events no notification is due on
// (ObservedTypes) and the catalogue's alsoOn types, through a webhook of
// their own: a merchant that refuses them gets that webhook disabled, never
// the one of the triggers. A second harness against the same simulator
// reuses both, and so does one after an earlier drsim whose observer had
// fewer types.
func TestObservedTypesHaveTheirOwnWebhook(t *testing.T) {
	ctx := context.Background()
	s, err := stack.Start(ctx, stack.Options{Merchant: merchant.Starter()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dr := s.Simulator.Client(s.Profile.API.SecretKey)
	observed := slices.Concat(harness.ObservedTypes, s.Catalogue.AlsoOn())
	if !slices.Contains(observed, "refund.complete") {
		t.Fatalf("observed types %v lack the refund confirmation's alsoOn refund.complete", observed)
	}
	check := func(h *harness.Harness) {
		t.Helper()
		page, err := dr.Webhooks(ctx, client.ListParams{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var main, observer int
		for _, w := range page.Data {
			if w.Address != s.Profile.Webhook.URL {
				continue
			}
			switch {
			case slices.Equal(w.Types, observed):
				observer++
			case w.ID == h.WebhookID() && slices.Equal(w.Types, s.Catalogue.Triggers()):
				main++
			default:
				t.Errorf("unexpected webhook at the merchant's address: %+v", w)
			}
			if !w.Enabled {
				t.Errorf("webhook %s (%v) is disabled", w.ID, w.Types)
			}
		}
		if main != 1 || observer != 1 {
			t.Errorf("%d webhooks for the triggers and %d for %v, want one each", main, observer, observed)
		}
	}
	check(s.Harness)
	again, err := harness.New(ctx, harness.Config{Profile: s.Profile, Catalogue: s.Catalogue, SimulatorURL: s.Simulator.URL(), Mailbox: s.Mailbox})
	if err != nil {
		t.Fatal(err)
	}
	if again.WebhookID() != s.Harness.WebhookID() {
		t.Errorf("a second harness made webhook %s, want the first's %s", again.WebhookID(), s.Harness.WebhookID())
	}
	check(again)

	// An earlier drsim's observer, with only ObservedTypes, is updated, not
	// taken for the triggers' webhook.
	if _, err := dr.UpdateWebhook(ctx, observerID(t, dr, s.Profile.Webhook.URL, observed), client.WebhookParams{Types: &harness.ObservedTypes}); err != nil {
		t.Fatal(err)
	}
	older, err := harness.New(ctx, harness.Config{Profile: s.Profile, Catalogue: s.Catalogue, SimulatorURL: s.Simulator.URL(), Mailbox: s.Mailbox})
	if err != nil {
		t.Fatal(err)
	}
	check(older)
}

// observerID is the id of the webhook at url with exactly types.
func observerID(t *testing.T, dr *client.Client, url string, types []string) string {
	t.Helper()
	page, err := dr.Webhooks(context.Background(), client.ListParams{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range page.Data {
		if w.Address == url && slices.Equal(w.Types, types) {
			return w.ID
		}
	}
	t.Fatalf("no webhook at %s for %v", url, types)
	return ""
}
