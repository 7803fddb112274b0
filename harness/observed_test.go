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
// (ObservedTypes), through a webhook of their own: a merchant that refuses
// them gets that webhook disabled, never the one of the triggers. A second
// harness against the same simulator reuses both.
func TestObservedTypesHaveTheirOwnWebhook(t *testing.T) {
	ctx := context.Background()
	s, err := stack.Start(ctx, stack.Options{Merchant: merchant.Starter()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dr := s.Simulator.Client(s.Profile.API.SecretKey)
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
			case slices.Equal(w.Types, harness.ObservedTypes):
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
			t.Errorf("%d webhooks for the triggers and %d for %v, want one each", main, observer, harness.ObservedTypes)
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
}
