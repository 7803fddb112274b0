package state

import (
	"bytes"
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
