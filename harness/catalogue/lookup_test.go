package catalogue_test

import (
	"slices"
	"strings"
	"testing"
)

// Notifications are found by id or by the words QA types; an unknown one
// names what QA can type and the one meant; triggers are listed once each;
// a notification is about an event when its when: path finds something.
func TestGetNamesTriggersAbout(t *testing.T) {
	c := shipped(t)
	for _, name := range []string{"partial-cancellation", "Partial  Cancellation", "partial cancellation"} {
		if n, err := c.Get(name); err != nil || n.ID != "partial-cancellation" {
			t.Errorf("Get(%q) = %v, %v; want partial-cancellation", name, n, err)
		}
	}
	_, err := c.Get("partial cancelation")
	if err == nil || !strings.Contains(err.Error(), `no notification "partial cancelation" in the catalogue`) || !strings.Contains(err.Error(), "partial cancellation") {
		t.Errorf("Get of a slip: %v; want the names and the one meant", err)
	}
	names := c.Names()
	if len(names) != len(c.Notifications) || names[0] != "order confirmation" {
		t.Errorf("Names = %q; want one lower-case name per notification, in catalogue order", names)
	}
	triggers := c.Triggers()
	if !slices.Contains(triggers, "order.accepted") || !slices.Contains(triggers, "fulfillment.created") {
		t.Errorf("Triggers = %q; want order.accepted and fulfillment.created among them", triggers)
	}
	seen := map[string]bool{}
	for _, tr := range triggers {
		if seen[tr] || tr == "" {
			t.Errorf("trigger %q listed twice or empty", tr)
		}
		seen[tr] = true
	}
	n, _ := c.Get("partial-cancellation")
	cancelled := map[string]any{"items": []any{map[string]any{"itemId": "i1", "cancelQuantity": 1.0}}}
	shipped := map[string]any{"items": []any{map[string]any{"itemId": "i1", "quantity": 1.0, "cancelQuantity": 0.0}}}
	if !n.About(cancelled) || n.About(shipped) {
		t.Errorf("About: cancelled %v, shipped %v; want a fulfillment with cancelled units only", n.About(cancelled), n.About(shipped))
	}
	if always, _ := c.Get("order-confirmation"); always.When == "" && !always.About(map[string]any{}) {
		t.Error("a notification without when: is about every event of its trigger")
	}
}

// Updated terms are about a plan change or a price change, not a free
// trial's price set during the trial, nor an update that changed nothing:
// when: alternatives joined by " or ".
func TestUpdatedTermsAboutPlanOrPriceChange(t *testing.T) {
	n := shippedNotification(t, "updated-terms")
	item := func(price float64) map[string]any {
		return map[string]any{"skuId": "sku1", "price": price, "quantity": 1.0}
	}
	for _, tc := range []struct {
		name string
		prev map[string]any
		want bool
	}{
		{"plan change", map[string]any{"planId": "plan-gold"}, true},
		{"price change", map[string]any{"items": []any{item(9.99)}}, true},
		{"free trial priced", map[string]any{"items": []any{item(0)}}, false},
		{"nothing changed", map[string]any{}, false},
		{"new card", map[string]any{"sourceId": "src-1"}, false},
	} {
		obj := map[string]any{"id": "sub-1", "previousAttributes": tc.prev}
		if got := n.About(obj); got != tc.want {
			t.Errorf("%s: About = %v; want %v", tc.name, got, tc.want)
		}
	}
}

// A notification names the events it may be sent on: the trigger and its
// alsoOn types.
func TestSentOn(t *testing.T) {
	c := shipped(t)
	for id, want := range map[string]string{"refund-confirmation": "order.refunded (or refund.complete)", "order-confirmation": "order.accepted"} {
		n, err := c.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		if got := n.SentOn(); got != want {
			t.Errorf("%s: SentOn = %q; want %q", id, got, want)
		}
	}
}
