package state

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"testing"
	"time"
)

// collection.page walks only as far as a page needs; it must cut exactly
// the page that paginating the whole filtered newest-first list cuts, for
// every filter, cursor and limit, across removals (one id, a filter, the
// oldest run: the retention prune) and re-insertions; and every id's
// position must stay its index in creation order. The rounds take turns
// with the id hashes of collectionHashes, so ids collide in some.
func TestCollectionPageMatchesPaginate(t *testing.T) {
	type item struct {
		id string
		n  int
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 400 {
		h := collectionHashes[round%len(collectionHashes)]
		c := collection[*item]{hash: h.hash}
		var model []string // ids, oldest first, as the collection should keep them
		for i := range rng.IntN(80) {
			id := fmt.Sprintf("i%d", rng.IntN(40))
			switch rng.IntN(8) {
			case 0:
				c.remove(id)
				model = slices.DeleteFunc(model, func(m string) bool { return m == id })
			case 1: // drop every third-ish value
				k := rng.IntN(3)
				dropped := c.removeWhere(func(it *item) bool { return it.n%3 == k })
				before := len(model)
				model = slices.DeleteFunc(model, func(m string) bool { _, ok := c.get(m); return !ok })
				if dropped != before-len(model) {
					t.Fatalf("round %d (%s): removeWhere said %d went, %d did", round, h.name, dropped, before-len(model))
				}
			case 2: // the oldest values made before i-k, as the prune drops retired events
				cut := i - rng.IntN(10)
				n := 0
				for n < len(model) && c.items[n].v.n < cut {
					n++
				}
				if got := c.dropOldest(func(it *item) bool { return it.n < cut }); got != n {
					t.Fatalf("round %d: dropOldest removed %d, want the %d oldest", round, got, n)
				}
				model = model[n:]
			default:
				if _, ok := c.get(id); !ok {
					model = append(model, id)
				}
				c.put(id, &item{id: id, n: i})
			}
			if !slices.Equal(c.ids(), model) || c.indexed() != len(model) {
				t.Fatalf("round %d step %d: ids %v (indexed %d), want %v", round, i, c.ids(), c.indexed(), model)
			}
			for j, m := range model {
				if got, ok := c.index(m); !ok || got != j {
					t.Fatalf("round %d step %d: index(%s) = %d, %v; want %d", round, i, m, got, ok, j)
				}
			}
		}
		mod := 1 + rng.IntN(3)
		keep := func(it *item) bool { return it.n%mod == 0 }
		all := func() []*item { // the newest-first filtered list
			var out []*item
			for i := len(c.items) - 1; i >= 0; i-- {
				if v := c.items[i].v; keep(v) {
					out = append(out, v)
				}
			}
			return out
		}()
		var ids []string
		for id := range c.all() {
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
// request log entry. It stores storedBytesN customers and events whatever
// b.N is (a handful would measure the collector's noise, not the objects),
// and MaxRequestLog request log entries (the log keeps no more); b.N only
// repeats the measurement, each time on a fresh account.
func BenchmarkStoredBytes(b *testing.B) {
	const n = storedBytesN
	var customer, event, logentry int64
	for range b.N {
		s := NewStore(nil, time.Now)
		a, _, _ := s.Lookup(s.CreateAccount().SecretKey)
		h0 := heapAfterGC()
		for i := range n {
			email := fmt.Sprintf("c%d@example.test", i)
			if _, err := a.CreateCustomer(CustomerParams{Email: &email}); err != nil {
				b.Fatal(err)
			}
		}
		h1 := heapAfterGC()
		a.mu.Lock()
		for i := range n {
			a.record("order.accepted", map[string]any{"id": fmt.Sprint(260000000336 + i), "state": "accepted", "totalAmount": 27.01}, nil)
		}
		a.mu.Unlock()
		h2 := heapAfterGC()
		for range MaxRequestLog {
			a.LogRequest(RequestLog{Method: "GET", Path: "/customers/3f6d2f4e-8a7b-4c1e-9b5a-2d8c7e6f1a0b", Status: 200, Time: time.Now()})
		}
		h3 := heapAfterGC()
		// Signed: the heap may shrink between two readings (a pool emptied,
		// a cache dropped), which an unsigned difference turned into 2^64-ish.
		customer += int64(h1) - int64(h0)
		event += int64(h2) - int64(h1)
		logentry += int64(h3) - int64(h2)
		runtime.KeepAlive(a)
	}
	b.ReportMetric(float64(customer)/float64(b.N*n), "B/customer")
	b.ReportMetric(float64(event)/float64(b.N*n), "B/event")
	b.ReportMetric(float64(logentry)/float64(b.N*MaxRequestLog), "B/logentry")
}

// storedBytesN is how many customers and events BenchmarkStoredBytes stores.
const storedBytesN = 100_000

// Deleting a test clock removes its customers from the middle of the
// account's list; a cursor after them still pages from the right place (the
// positions of the customers after them move down).
func TestListAfterTestClockDeletion(t *testing.T) {
	s := NewStore(nil, nil)
	a, _, _ := s.Lookup(s.CreateAccount().SecretKey)
	email := func(i int) *string { e := fmt.Sprintf("c%d@example.test", i); return &e }
	tc, err := a.CreateTestClock(TestClockParams{})
	if err != nil {
		t.Fatal(err)
	}
	var want []string // newest first
	for i := range 6 {
		if i == 1 || i == 2 {
			if _, err := a.TestClockCustomer(tc.ID, CustomerParams{Email: email(i)}); err != nil {
				t.Fatal(err)
			}
			continue
		}
		c, err := a.CreateCustomer(CustomerParams{Email: email(i)})
		if err != nil {
			t.Fatal(err)
		}
		want = append([]string{c.ID}, want...)
	}
	if err := a.DeleteTestClock(tc.ID); err != nil {
		t.Fatal(err)
	}
	for i, after := range want {
		p, err := a.Customers(CustomerFilter{ListParams: ListParams{Limit: 10, StartingAfter: after}})
		if err != nil {
			t.Fatalf("startingAfter %s: %v", after, err)
		}
		var got []string
		for _, c := range p.Data {
			got = append(got, c.ID)
		}
		if !slices.Equal(got, want[i+1:]) {
			t.Fatalf("startingAfter %s: %v, want %v", after, got, want[i+1:])
		}
	}
}

// BenchmarkCreateCustomerStored is CreateCustomer (the state's part of
// POST /customers, its customer.created event included) in an account that
// already stores 0, 100,000 or 1,000,000 customers with their events: what
// grows with the store (map growth, collection, the event prune) shows
// here without HTTP's noise.
func BenchmarkCreateCustomerStored(b *testing.B) {
	for _, stored := range []int{0, 100_000, 1_000_000} {
		b.Run(fmt.Sprint(stored), func(b *testing.B) {
			s := NewStore(nil, time.Now)
			a, _, _ := s.Lookup(s.CreateAccount().SecretKey)
			for i := range stored {
				email := fmt.Sprintf("c%d@example.test", i)
				if _, err := a.CreateCustomer(CustomerParams{Email: &email}); err != nil {
					b.Fatal(err)
				}
			}
			runtime.GC()
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				email := fmt.Sprintf("n%d@example.test", i)
				if _, err := a.CreateCustomer(CustomerParams{Email: &email}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// ids are the collection's ids, oldest first.
func (c *collection[T]) ids() []string {
	var out []string
	for id := range c.all() {
		out = append(out, id)
	}
	return out
}
