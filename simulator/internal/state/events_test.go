package state_test

import (
	"net/http"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/drsim/drsim/simulator/internal/apierror"
	"github.com/drsim/drsim/simulator/internal/state"
)

func TestMatchType(t *testing.T) {
	cases := []struct {
		pattern, typ string
		want         bool
	}{
		{"order.accepted", "order.accepted", true},
		{"order.accepted", "order.accepted.extra", false},
		{"order", "order.accepted", false},
		{"order.*", "order.accepted", true},
		{"order.*", "order.charge.refund.complete", true},
		{"order.*", "orders.accepted", false},
		{"order.*", "fulfillment.created", false},
		{"*", "anything.at.all", true},
		{"*.created", "fulfillment.created", true},
		{"*.created", "fulfillment.created.late", false},
		{"order.*.complete", "order.charge.capture.complete", true},
		{"order.*.complete", "order.complete", false},
		{"subscription.*", "subscription.payment_failed", true},
	}
	for _, tc := range cases {
		if got := state.MatchType(tc.pattern, tc.typ); got != tc.want {
			t.Errorf("MatchType(%q, %q) = %v, want %v", tc.pattern, tc.typ, got, tc.want)
		}
	}
}

// recorder is a Publisher that keeps what it is given.
type recorder struct {
	mu  sync.Mutex
	got []published
}

type published struct {
	eventType string
	webhooks  []string
}

func (r *recorder) Publish(_ string, ev *state.Event, targets []state.Target) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ids []string
	for _, t := range targets {
		ids = append(ids, t.WebhookID)
	}
	r.got = append(r.got, published{ev.Type, ids})
}

func TestEventsGoToEnabledSubscribedWebhooks(t *testing.T) {
	rec := &recorder{}
	s := state.NewStore(rec, func() time.Time { return wall })
	a, _, _ := s.Lookup(s.CreateAccount().SecretKey)
	hook := func(types ...string) string {
		w, err := a.CreateWebhook(state.WebhookParams{Address: ptr("http://127.0.0.1:9/hook"), Types: &types})
		if err != nil {
			t.Fatal(err)
		}
		return w.ID
	}
	exact := hook("sku.created")
	wild := hook("sku.*")
	other := hook("order.accepted")
	if _, err := a.UpdateWebhook(wild, state.WebhookParams{Enabled: ptr(false)}); err != nil {
		t.Fatal(err)
	}
	mustSKU(t, a, "one")
	if _, err := a.UpdateWebhook(wild, state.WebhookParams{Enabled: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	mustSKU(t, a, "two")
	mustCustomer(t, a) // nobody subscribes

	want := []published{{"sku.created", []string{exact}}, {"sku.created", []string{exact, wild}}}
	if !reflect.DeepEqual(rec.got, want) {
		t.Fatalf("published %+v, want %+v (webhook %s is for order.accepted only)", rec.got, want, other)
	}
	page, err := a.Events(state.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var ids [][]string
	for _, ev := range page.Data {
		ids = append(ids, ev.WebhookIDs)
	}
	if !reflect.DeepEqual(ids, [][]string{{}, {exact, wild}, {exact}}) {
		t.Fatalf("events' webhookIds newest first %v", ids)
	}
}

func TestEventsFilterErrors(t *testing.T) {
	a := newAccount(t)
	mustSKU(t, a, "one")
	twenty := make([]string, 20)
	for i := range twenty {
		twenty[i] = "sku.created"
	}
	cases := []struct {
		name  string
		f     state.EventFilter
		param string
	}{
		{"type and types", state.EventFilter{Type: "sku.created", Types: []string{"sku.created"}}, "types"},
		{"20 types", state.EventFilter{Types: twenty}, "types"},
		{"limit 101", state.EventFilter{ListParams: state.ListParams{Limit: 101}}, "limit"},
		{"limit -1", state.EventFilter{ListParams: state.ListParams{Limit: -1}}, "limit"},
		{"unknown cursor", state.EventFilter{ListParams: state.ListParams{StartingAfter: "nope"}}, "startingAfter"},
		{"unknown endingBefore", state.EventFilter{ListParams: state.ListParams{EndingBefore: "nope"}}, "endingBefore"},
	}
	for _, tc := range cases {
		_, err := a.Events(tc.f)
		if e := apierror.As(err); err == nil || e.Status != http.StatusBadRequest || e.Errors[0].Parameter != tc.param {
			t.Errorf("%s: %v, want 400 on %s", tc.name, err, tc.param)
		}
	}
	if page, err := a.Events(state.EventFilter{Types: twenty[:19]}); err != nil || len(page.Data) != 1 {
		t.Fatalf("19 types: %v, %d events; want the 1 sku.created", err, len(page.Data))
	}
}

func TestEventRetentionFollowsTheAccountClock(t *testing.T) {
	a := newAccount(t)
	mustSKU(t, a, "old")
	page, _ := a.Events(state.EventFilter{})
	old := page.Data[0]
	if _, _, err := a.AdvanceClock(state.EventRetention); err != nil {
		t.Fatal(err)
	}
	// Exactly 30 days old: still kept.
	if _, err := a.Event(old.ID); err != nil {
		t.Fatalf("event exactly 30 days old: %v, want kept", err)
	}
	if _, _, err := a.AdvanceClock(time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Event(old.ID); apierror.As(err).Status != http.StatusNotFound {
		t.Fatalf("event 30 days + 1s old: %v, want 404", err)
	}
	if page, _ := a.Events(state.EventFilter{}); len(page.Data) != 0 {
		t.Fatalf("GET /events lists %d expired events", len(page.Data))
	}
}

func TestListsPaginateNewestFirst(t *testing.T) {
	a := newAccount(t)
	var ids []string
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		ids = append([]string{mustSKU(t, a, n)}, ids...) // newest first
	}
	cases := []struct {
		lp      state.ListParams
		want    []string
		hasMore bool
	}{
		{state.ListParams{}, ids, false},
		{state.ListParams{Limit: 2}, ids[:2], true},
		{state.ListParams{Limit: 5}, ids, false},
		{state.ListParams{Limit: 2, StartingAfter: ids[1]}, ids[2:4], true},
		{state.ListParams{Limit: 2, StartingAfter: ids[2]}, ids[3:], false},
		{state.ListParams{StartingAfter: ids[4]}, []string{}, false},
		{state.ListParams{Limit: 2, EndingBefore: ids[4]}, ids[2:4], true},
		{state.ListParams{Limit: 2, EndingBefore: ids[2]}, ids[:2], false},
		{state.ListParams{EndingBefore: ids[0]}, []string{}, false},
	}
	for _, tc := range cases {
		page, err := a.SKUs(tc.lp)
		if err != nil {
			t.Fatalf("%+v: %v", tc.lp, err)
		}
		got := []string{}
		for _, s := range page.Data {
			got = append(got, s.ID)
		}
		if !reflect.DeepEqual(got, tc.want) || page.HasMore != tc.hasMore {
			t.Errorf("%+v: %v hasMore %v, want %v hasMore %v", tc.lp, got, page.HasMore, tc.want, tc.hasMore)
		}
	}
	_, err := a.SKUs(state.ListParams{StartingAfter: ids[0], EndingBefore: ids[1]})
	if apierror.As(err).Status != http.StatusBadRequest {
		t.Fatalf("both cursors: %v, want 400", err)
	}
}

// Methods return copies: changing what a caller got never changes the store.
func TestResultsAreCopies(t *testing.T) {
	a := newAccount(t)
	cust := mustCustomer(t, a)
	o, err := a.PlaceOrder(state.PlaceOrderParams{CustomerID: cust, Items: []state.PlaceItem{{SKUID: mustSKU(t, a, "Widget"), Quantity: 1, Price: 10}}})
	if err != nil {
		t.Fatal(err)
	}
	o.Items[0].Amount = 0
	o.StateTransitions["accepted"] = wall
	o.Payment.Sources[0].State = "cancelled"
	again, err := a.Order(o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if again.Items[0].Amount != 10 || !again.StateTransitions["accepted"].IsZero() || again.Payment.Sources[0].State == "cancelled" {
		t.Fatalf("the stored order changed with the caller's copy: %+v", again)
	}
}
