package state

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"unsafe"

	"github.com/drsim/drsim/simulator/internal/wire"
)

// A recorded event keeps its object's JSON once: data.object and
// data.previousAttributes are views of the event's kept bytes, equal to
// what wire.Marshal wrote, ending where they end (an append copies), also
// when a string before them holds the text that precedes data.object.
func TestRecordedEventDataViewsItsBytes(t *testing.T) {
	cases := []struct {
		name          string
		typ           string
		obj, previous any
	}{
		{"object only", "customer.created", map[string]any{"id": "c1", "email": "a@example.test"}, nil},
		{"object and previous", "customer.updated", map[string]any{"id": "c2", "email": "new@example.test"}, map[string]any{"email": "old@example.test"}},
		{"marker inside a string", `x,"data":{"object":`, map[string]any{"id": `,"data":{"object":{"id":"c3"}`}, map[string]any{"note": `,"previousAttributes":{}`}},
	}
	within := func(view, body []byte) bool {
		if len(view) == 0 {
			return false
		}
		start, end := uintptr(unsafe.Pointer(unsafe.SliceData(body))), uintptr(unsafe.Pointer(unsafe.SliceData(body)))+uintptr(len(body))
		p := uintptr(unsafe.Pointer(unsafe.SliceData(view)))
		return p >= start && p+uintptr(len(view)) <= end
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev := recordFor(t, 1, c.typ, c.obj, c.previous)
			want, _ := wire.Marshal(c.obj)
			if !bytes.Equal(ev.Data.Object, want) || !within(ev.Data.Object, ev.body) || cap(ev.Data.Object) != len(ev.Data.Object) {
				t.Fatalf("data.object %s (a view of the kept bytes: %v, cap %d); want %s, a view ending with it", ev.Data.Object, within(ev.Data.Object, ev.body), cap(ev.Data.Object), want)
			}
			if c.previous != nil {
				wantPrev, _ := wire.Marshal(c.previous)
				if !bytes.Equal(ev.Data.PreviousAttributes, wantPrev) || !within(ev.Data.PreviousAttributes, ev.body) || cap(ev.Data.PreviousAttributes) != len(ev.Data.PreviousAttributes) {
					t.Fatalf("previousAttributes %s (a view: %v); want %s, a view ending with it", ev.Data.PreviousAttributes, within(ev.Data.PreviousAttributes, ev.body), wantPrev)
				}
			}
			if got, want := ev.body, appendEvent(nil, ev); !bytes.Equal(got, want) {
				t.Fatalf("kept bytes\n%s\ndiffer from the event written again\n%s", got, want)
			}
			// Allocated at their size: eventLen counts what appendEvent writes,
			// the time at its longest (an escaped string is longer than
			// counted, as in the last case).
			if n := eventLen(ev); n < len(ev.body) && c.name != "marker inside a string" || n > len(ev.body)+len(".000000") {
				t.Fatalf("eventLen %d for %d kept bytes", n, len(ev.body))
			}
		})
	}
}

// record writes each object to a pooled buffer it reuses: events recorded
// one after another each keep their own object, unchanged by the next
// (short and long objects, so a later one overwrites an earlier one's
// place in the buffer).
func TestRecordedEventsKeepTheirObjects(t *testing.T) {
	s := NewStore(nil, nil)
	a, _, _ := s.Lookup(s.CreateAccount().SecretKey)
	a.mu.Lock()
	defer a.mu.Unlock()
	var evs []*Event
	var want [][]byte
	for i := range 50 {
		obj := map[string]any{"id": fmt.Sprint(i), "note": strings.Repeat("x", (i*37)%300)}
		evs = append(evs, a.events.at(a.record("customer.created", obj, map[string]any{"i": i})))
		w, _ := wire.Marshal(obj)
		want = append(want, w)
	}
	for i, ev := range evs {
		if !bytes.Equal(ev.Data.Object, want[i]) || !bytes.Equal(ev.body, appendEvent(nil, ev)) {
			t.Fatalf("event %d: object %s, want %s (kept bytes %s)", i, ev.Data.Object, want[i], ev.body)
		}
	}
}
