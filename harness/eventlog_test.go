package harness

import (
	"context"
	"fmt"
	"testing"

	"github.com/drsim/drsim/simulator"
	"github.com/drsim/drsim/simulator/client"
)

// The event log reads each event once: a second read asks only for newer
// events, and sees exactly the events DR lists, oldest first, past a page
// boundary.
func TestEventLogReadsIncrementally(t *testing.T) {
	ctx := context.Background()
	sim, err := simulator.Start(simulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	keys, err := client.New(sim.URL(), "").CreateAccount(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	dr := client.New(sim.URL(), keys.SecretKey)
	create := func(from, to int) []string {
		var ids []string
		for i := from; i < to; i++ {
			c, err := dr.CreateCustomer(ctx, client.CustomerParams{Email: new(fmt.Sprintf("e%d@example.test", i))})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.ID)
		}
		return ids
	}
	objectIDs := func(evs []*event) []string {
		var out []string
		for _, e := range evs {
			out = append(out, e.Data.Object["id"].(string))
		}
		return out
	}
	var l eventLog
	var want []string
	eventCalls := func(since int) int {
		n := 0
		for _, r := range requests(t, ctx, dr)[since:] {
			if r.Method == "GET" && r.Path == "/events" {
				n++
			}
		}
		return n
	}
	for _, step := range []struct {
		create, calls int // a full read would take ⌈all/100⌉ calls
	}{
		{150, 2}, // first read: the whole list, 2 pages
		{20, 1},  // 170 stored: only the 20 newer ones
		{230, 3}, // 400 stored: 230 newer ones in pages of 100, 100, 30
		{0, 1},   // nothing new: one empty page
	} {
		want = append(want, create(len(want), len(want)+step.create)...)
		before := len(requests(t, ctx, dr))
		got, err := l.of(ctx, dr, "customer.created")
		if err != nil || fmt.Sprint(objectIDs(got)) != fmt.Sprint(want) {
			t.Fatalf("after %d customers: %d events, %v; want all %d, oldest first", len(want), len(got), err, len(want))
		}
		if n := eventCalls(before); n != step.calls {
			t.Fatalf("after %d customers: %d GET /events calls, want %d", len(want), n, step.calls)
		}
	}
}

func requests(t *testing.T, ctx context.Context, dr *client.Client) []client.RequestLog {
	t.Helper()
	r, err := dr.Requests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// The log's index finds, in log order, exactly the events Scenario.about
// accepts for an order and its subscription: by the object's id, orderId
// or subscription.id, or the previous attributes' id, whatever else the
// log holds.
func TestEventLogIndexFindsWhatAScenarioIsAbout(t *testing.T) {
	mk := func(id string, obj, prev map[string]any) *event {
		e := &event{ID: id}
		e.Data.Object, e.Data.PreviousAttributes = obj, prev
		return e
	}
	evs := []*event{
		mk("ev_order", map[string]any{"id": "ord_1"}, nil),
		mk("ev_other", map[string]any{"id": "ord_2"}, nil),
		mk("ev_charge", map[string]any{"id": "chg_1", "orderId": "ord_1"}, nil),
		mk("ev_sub", map[string]any{"id": "sub_1"}, nil),
		mk("ev_pair", map[string]any{"invoice": map[string]any{"id": "inv_1"}, "subscription": map[string]any{"id": "sub_1"}}, nil),
		mk("ev_prev", map[string]any{"id": "x"}, map[string]any{"id": "sub_1"}),
		mk("ev_both", map[string]any{"id": "ord_1", "subscription": map[string]any{"id": "sub_1"}}, nil),
		mk("ev_number", map[string]any{"id": 12.0, "orderId": nil}, nil),
		mk("ev_other_sub", map[string]any{"subscription": map[string]any{"id": "sub_2"}}, nil),
	}
	var log typeLog
	log.add(evs[:4])
	log.add(evs[4:]) // two reads, as a refresh appends
	for _, c := range []struct {
		order, sub string
	}{{"ord_1", ""}, {"ord_1", "sub_1"}, {"ord_2", "sub_2"}, {"ord_9", ""}} {
		s := &Scenario{order: &Order{ID: c.order}, subscriptionID: c.sub}
		var want []string
		for _, e := range evs {
			if s.about(e) {
				want = append(want, e.ID)
			}
		}
		ids := []string{c.order}
		if c.sub != "" {
			ids = append(ids, c.sub)
		}
		var got []string
		for _, e := range log.aboutLocked(ids) {
			got = append(got, e.ID)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("order %s subscription %q: index finds %v, about accepts %v", c.order, c.sub, got, want)
		}
	}
}
