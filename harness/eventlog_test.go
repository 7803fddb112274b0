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
