package state

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime"
	"testing"
	"time"
)

// collection.page walks only as far as a page needs; it must cut exactly
// the page that paginating the whole filtered newest-first list cuts, for
// every filter, cursor and limit, across removals and re-insertions.
func TestCollectionPageMatchesPaginate(t *testing.T) {
	type item struct {
		id string
		n  int
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		var c collection[*item]
		for i := range rng.IntN(60) {
			id := fmt.Sprintf("i%d", rng.IntN(40))
			switch rng.IntN(5) {
			case 0:
				c.remove(id)
			default:
				c.put(id, &item{id: id, n: i})
			}
		}
		mod := 1 + rng.IntN(3)
		keep := func(it *item) bool { return it.n%mod == 0 }
		all := func() []*item { // the newest-first filtered list
			var out []*item
			for i := len(c.order) - 1; i >= 0; i-- {
				if v := c.byID[c.order[i]]; keep(v) {
					out = append(out, v)
				}
			}
			return out
		}()
		var ids []string
		for id := range c.byID {
			ids = append(ids, id)
		}
		ids = append(ids, "missing")
		for range 10 {
			p := ListParams{Limit: rng.IntN(6)}
			switch rng.IntN(3) {
			case 1:
				p.StartingAfter = ids[rng.IntN(len(ids))]
			case 2:
				p.EndingBefore = ids[rng.IntN(len(ids))]
			}
			want, wantErr := paginate(all, func(it *item) string { return it.id }, p)
			got, gotErr := c.page(keep, p)
			if (wantErr == nil) != (gotErr == nil) || !reflect.DeepEqual(got, want) {
				t.Fatalf("round %d, params %+v: page = %+v, %v; paginate = %+v, %v", round, p, got, gotErr, want, wantErr)
			}
		}
	}
}

// BenchmarkEventsPage lists one page of one event type among 100,000
// stored events of several types.
func BenchmarkEventsPage(b *testing.B) {
	s := NewStore(nil, time.Now)
	a, _, _ := s.Lookup(s.CreateAccount().SecretKey)
	types := []string{"order.accepted", "fulfillment.created", "order.charge.capture.complete", "order.complete", "customer.created", "refund.pending"}
	a.mu.Lock()
	for i := range 100_000 {
		a.record(types[i%len(types)], map[string]any{"id": fmt.Sprint(i)}, nil)
	}
	a.mu.Unlock()
	b.ResetTimer()
	for range b.N {
		p, err := a.Events(EventFilter{ListParams: ListParams{Limit: 100}, Type: "order.accepted"})
		if err != nil || len(p.Data) != 100 {
			b.Fatalf("page of %d, %v", len(p.Data), err)
		}
	}
}

// heapAfterGC is the live heap after a collection.
func heapAfterGC() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkStoredBytes reports the live heap each stored object costs: a
// customer (with the customer.created event it records), an event, and a
// request log entry. It stores b.N of each.
func BenchmarkStoredBytes(b *testing.B) {
	s := NewStore(nil, time.Now)
	a, _, _ := s.Lookup(s.CreateAccount().SecretKey)
	h0 := heapAfterGC()
	for i := range b.N {
		email := fmt.Sprintf("c%d@example.test", i)
		if _, err := a.CreateCustomer(CustomerParams{Email: &email}); err != nil {
			b.Fatal(err)
		}
	}
	h1 := heapAfterGC()
	a.mu.Lock()
	for i := range b.N {
		a.record("order.accepted", map[string]any{"id": fmt.Sprint(260000000336 + i), "state": "accepted", "totalAmount": 27.01}, nil)
	}
	a.mu.Unlock()
	h2 := heapAfterGC()
	for range b.N {
		a.LogRequest(RequestLog{Method: "GET", Path: "/customers/3f6d2f4e-8a7b-4c1e-9b5a-2d8c7e6f1a0b", Status: 200, Time: time.Now()})
	}
	h3 := heapAfterGC()
	b.ReportMetric(float64(h1-h0)/float64(b.N), "B/customer")
	b.ReportMetric(float64(h2-h1)/float64(b.N), "B/event")
	b.ReportMetric(float64(h3-h2)/float64(b.N), "B/logentry")
	runtime.KeepAlive(a)
}
