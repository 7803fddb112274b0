package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"iter"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drsim/drsim/simulator/client"
)

// all yields the log's events, oldest first, materialised.
func (l *eventLog) all() iter.Seq2[int, *Event] {
	return func(yield func(int, *Event) bool) {
		for i := range l.entries {
			if !yield(i, l.event(i)) {
				return
			}
		}
	}
}

// ids are the log's event ids, oldest first.
func (l *eventLog) ids() []string {
	out := []string{}
	for i := range l.entries {
		out = append(out, l.id(i))
	}
	return out
}

// logged is what a test appended to a log, to check what it reads back.
type logged struct {
	ev       *Event // as appended (no kept bytes)
	clock    string
	recorded time.Time
}

var logT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// logEvent is an event as record builds it: data as wire.Marshal writes it.
func logEvent(id, typ string, i int, hooks []string, obj, prev string) *Event {
	e := &Event{Event: client.Event{ID: id, Type: typ, CreatedTime: logT0.Add(time.Duration(i) * time.Second),
		DigitalriverVersion: APIVersion, WebhookIDs: hooks, Data: EventData{Object: json.RawMessage(obj)}}}
	if prev != "" {
		e.Data.PreviousAttributes = json.RawMessage(prev)
	}
	return e
}

// checkEvent fails unless got is want as the log should give it back: the
// same fields, its JSON what appendEvent writes, data views of it.
func checkEvent(t *testing.T, got *Event, want logged) {
	t.Helper()
	w := *want.ev
	w.testClock, w.recorded = want.clock, want.recorded
	w.body = appendEvent(nil, want.ev)
	if !bytes.Equal(got.body, w.body) {
		t.Fatalf("event %s: JSON\n%s\nwant\n%s", want.ev.ID, got.body, w.body)
	}
	if cap(got.body) != len(got.body) || cap(got.Data.Object) != len(got.Data.Object) || cap(got.Data.PreviousAttributes) != len(got.Data.PreviousAttributes) {
		t.Fatalf("event %s: views not capacity-capped (an append would write into the log)", want.ev.ID)
	}
	g := *got
	g.body = w.body
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("event %s read back as\n%+v\nwant\n%+v", want.ev.ID, g, w)
	}
}

// hashes the log is tested with: the real one, and injected ones that make
// ids collide, so the fallback by id (dup) does the work.
var logHashes = []struct {
	name string
	hash func(string) uint64
}{
	{"maphash", nil},
	{"all collide", func(string) uint64 { return 42 }},
	{"three buckets", func(s string) uint64 { return uint64(len(s) % 3) }},
}

// The log keeps what is appended, finds every id at its position, and
// reads each event back as appended, across the retention prune (the
// oldest run), test clock deletions (from the middle), the newest taken
// back (drsim bench's trim) and chunk releases;
// with colliding hashes too. A model list says what it should hold.
func TestEventLogMatchesModel(t *testing.T) {
	for _, h := range logHashes {
		t.Run(h.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 4))
			for round := range 12 {
				l := eventLog{hash: h.hash}
				var model []logged
				var held []heldEvent
				clocks := []string{"", "clock_a", "clock_b", "clock_c"}
				next := 0
				for step := range 150 {
					switch op := rng.IntN(20); {
					case op == 0: // the retention prune: events recorded before a cutoff
						cut := logT0.Add(time.Duration(next-rng.IntN(30)) * time.Minute)
						n := 0
						for n < len(model) && model[n].recorded.Before(cut) {
							n++
						}
						var gone []string
						got := l.dropOldest(func(e *logEntry) bool { return e.retired(cut) }, func(id string) { gone = append(gone, id) })
						want := make([]string, n)
						for i := range n {
							want[i] = model[i].ev.ID
						}
						if got != n || !slices.Equal(gone, want) {
							t.Fatalf("round %d step %d: dropOldest dropped %d (%v), want %d (%v)", round, step, got, gone, n, want)
						}
						model = model[n:]
					case op == 2: // the newest events taken back (drsim bench's trim)
						keep := max(len(model)-rng.IntN(8), 0)
						var dropped []*Event // read before the drop: what a delivery under way holds
						var gone, want []string
						for i := len(model) - 1; i >= keep; i-- {
							dropped = append(dropped, l.event(i))
							want = append(want, model[i].ev.ID)
						}
						if got := l.dropNewest(keep, func(id string) { gone = append(gone, id) }); got != len(want) || !slices.Equal(gone, want) {
							t.Fatalf("round %d step %d: dropNewest(%d) dropped %d (%v), want %d (%v)", round, step, keep, got, gone, len(want), want)
						}
						for j, e := range dropped {
							held = append(held, heldEvent{e, model[len(model)-1-j]})
						}
						model = model[:keep]
					case op == 1: // a test clock deleted
						c := clocks[1+rng.IntN(3)]
						before := len(model)
						model = slices.DeleteFunc(model, func(m logged) bool { return m.clock == c })
						if got := l.removeClock(c); got != before-len(model) {
							t.Fatalf("round %d step %d: removeClock(%s) removed %d, want %d", round, step, c, got, before-len(model))
						}
					default:
						id := fmt.Sprintf("ev_%d_%s", next, strings.Repeat("x", rng.IntN(4)))
						hooks := [][]string{nil, {}, {"wh_1"}, {"wh_1", "wh_2", "wh_3"}}[rng.IntN(4)]
						obj := fmt.Sprintf(`{"id":"o%d","note":%q}`, next, strings.Repeat("n", rng.IntN(1500)))
						prev := [...]string{"", `{}`, `{"state":"old"}`}[rng.IntN(3)]
						e := logEvent(id, [...]string{"order.accepted", "customer.created", "refund.pending"}[rng.IntN(3)], next, hooks, obj, prev)
						m := logged{ev: e, clock: clocks[rng.IntN(4)], recorded: logT0.Add(time.Duration(next) * time.Minute)}
						pos, err := l.append(e, m.clock, m.recorded)
						if err != nil {
							t.Fatalf("round %d step %d: append %s: %v", round, step, id, err)
						}
						model = append(model, m)
						checkEvent(t, l.at(pos), m)
						next++
					}
					checkLog(t, &l, model, step%25 == 24, fmt.Sprintf("round %d step %d", round, step))
					for _, h := range held {
						checkEvent(t, h.ev, h.was) // the log never writes over bytes it gave out
					}
				}
			}
		})
	}
}

// heldEvent is an event read from the log before it was dropped, and what
// it was when appended.
type heldEvent struct {
	ev  *Event
	was logged
}

// checkLog fails unless l holds model's events, in order, each found by its
// id at its index (and, when full, read back as appended), and keeps no
// chunk no event uses but the last.
func checkLog(t *testing.T, l *eventLog, model []logged, full bool, at string) {
	t.Helper()
	if l.len() != len(model) || l.idx.len()+len(l.dup) != len(model) {
		t.Fatalf("%s: %d entries, %d+%d indexed; want %d", at, l.len(), l.idx.len(), len(l.dup), len(model))
	}
	used := map[uint32]bool{}
	for i, m := range model {
		j, ok := l.index(m.ev.ID)
		if !ok || j != i {
			t.Fatalf("%s: index(%s) = %d, %v; want %d", at, m.ev.ID, j, ok, i)
		}
		if full {
			checkEvent(t, l.event(i), m)
		}
		used[l.entries[i].chunk] = true
	}
	for _, missing := range []string{"ev_none", "ev_-1_"} {
		if _, ok := l.index(missing); ok {
			t.Fatalf("%s: index(%s) found an event", at, missing)
		}
	}
	for i, c := range l.chunks {
		if n := l.chunkBase + uint32(i); (c != nil) != (used[n] || i == len(l.chunks)-1) {
			t.Fatalf("%s: chunk %d kept %v, used by kept events %v (first chunk %d of %d)", at, n, c != nil, used[n], l.chunkBase, len(l.chunks))
		}
	}
}

// Colliding ids, step by step: the second id of a hash goes to dup, each
// lookup finds its own event (never the other id's), and either can go
// first with the other still found.
func TestEventLogCollisions(t *testing.T) {
	cases := []struct {
		name string
		drop func(l *eventLog) // removes ev_a (held in idx) or ev_b (in dup)
		gone string            // the id dropped
		left []string          // the ids kept
		dupN int               // ids in dup after
	}{
		{"drop the one idx holds", func(l *eventLog) {
			l.dropOldest(func(e *logEntry) bool { return e.created == logT0.Unix() }, nil)
		}, "ev_a", []string{"ev_b", "ev_c"}, 2},
		{"delete the one dup holds", func(l *eventLog) { l.removeClock("clock_b") }, "ev_b", []string{"ev_a", "ev_c"}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := eventLog{hash: func(string) uint64 { return 7 }}
			for i, id := range []string{"ev_a", "ev_b", "ev_c"} {
				if _, err := l.append(logEvent(id, "customer.created", i, []string{}, `{"id":"`+id+`"}`, ""), "clock_"+id[3:], logT0); err != nil {
					t.Fatal(err)
				}
			}
			if l.idx.len() != 1 || len(l.dup) != 2 {
				t.Fatalf("three ids of one hash: idx %d, dup %d; want 1 and 2", l.idx.len(), len(l.dup))
			}
			for i, id := range []string{"ev_a", "ev_b", "ev_c"} {
				if j, ok := l.index(id); !ok || j != i || l.event(j).ID != id {
					t.Fatalf("index(%s) = %d, %v; want %d", id, j, ok, i)
				}
			}
			c.drop(&l)
			if _, ok := l.index(c.gone); ok {
				t.Fatalf("%s is still found", c.gone)
			}
			if !slices.Equal(l.ids(), c.left) || len(l.dup) != c.dupN {
				t.Fatalf("ids %v (dup %d), want %v (dup %d)", l.ids(), len(l.dup), c.left, c.dupN)
			}
			for i, id := range c.left {
				if j, ok := l.index(id); !ok || j != i || l.event(j).ID != id {
					t.Fatalf("after dropping %s: index(%s) = %d, %v; want %d", c.gone, id, j, ok, i)
				}
			}
			// A new id of the same hash is found too, and a taken one refused.
			if _, err := l.append(logEvent("ev_d", "customer.created", 9, nil, `{}`, ""), "", logT0); err != nil {
				t.Fatal(err)
			}
			if j, ok := l.index("ev_d"); !ok || l.event(j).ID != "ev_d" {
				t.Fatalf("ev_d after %s went: %d, %v", c.gone, j, ok)
			}
			for _, id := range c.left {
				if _, err := l.append(logEvent(id, "customer.created", 9, nil, `{}`, ""), "", logT0); err == nil {
					t.Fatalf("appending %s again was accepted", id)
				}
			}
		})
	}
}

// Ids are kept as they are in the JSON: one JSON would escape, or none, is
// refused (record's are UUIDs; a state file's could be anything).
func TestEventLogRefusesIDs(t *testing.T) {
	for _, id := range []string{"", `a"b`, "a<b", "a\\b", "é"} {
		var l eventLog
		_, err := l.append(logEvent(id, "customer.created", 0, nil, `{}`, ""), "", logT0)
		if ok := id == "é"; (err == nil) != ok { // é is written as it is
			t.Errorf("append id %q: %v; want accepted %v", id, err, ok)
		}
		if err != nil && (l.len() != 0 || l.idx.len() != 0) {
			t.Errorf("a refused id %q left %d entries", id, l.len())
		}
	}
}

// Chunks grow from minChunk to maxChunk; an event larger than a chunk gets
// its own; the prune releases the chunks of the events it forgets.
func TestEventLogChunks(t *testing.T) {
	var l eventLog
	small := `{"note":"` + strings.Repeat("s", 1000) + `"}`
	large := `{"note":"` + strings.Repeat("L", maxChunk+1000) + `"}`
	n := 0
	add := func(obj string) {
		if _, err := l.append(logEvent(fmt.Sprintf("ev_%d", n), "customer.created", n, nil, obj, ""), "", logT0.Add(time.Duration(n)*time.Minute)); err != nil {
			t.Fatal(err)
		}
		n++
	}
	for range 2000 {
		add(small)
	}
	caps := []int{}
	for _, c := range l.chunks {
		caps = append(caps, cap(c))
	}
	if caps[0] != minChunk || slices.Max(caps) != maxChunk || !slices.IsSorted(caps) {
		t.Fatalf("chunk sizes %v: want %d doubling up to %d", caps, minChunk, maxChunk)
	}
	add(large)
	if c := l.chunks[len(l.chunks)-1]; len(c) != int(l.entries[n-1].n) || cap(c) < len(large) {
		t.Fatalf("a %d-byte event shares its chunk (len %d cap %d)", len(large), len(c), cap(c))
	}
	add(small)
	if c := l.chunks[len(l.chunks)-1]; cap(c) != maxChunk {
		t.Fatalf("the event after a large one went to a chunk of %d, want %d", cap(c), maxChunk)
	}
	// Take back the newest event (the chunk it starts is closed empty),
	// then the two newest (the large one in its own chunk, and the one
	// added after it): each time the next event starts a chunk of at
	// least minChunk, and the bytes of one taken back stay as they were.
	for _, keep := range []int{n - 1, n - 2} {
		kept := l.chunks[len(l.chunks)-1]
		held := l.event(keep)
		body := slices.Clone(held.body)
		if got := l.dropNewest(keep, nil); got != n-keep {
			t.Fatalf("dropNewest(%d) of %d dropped %d", keep, n, got)
		}
		n = keep
		add(small)
		if c := l.chunks[len(l.chunks)-1]; cap(c) < minChunk || &c[0] == &kept[0] {
			t.Fatalf("after dropNewest(%d) the next event went to a chunk of %d (new: %v), want a new one of at least %d", keep, cap(c), &c[0] != &kept[0], minChunk)
		}
		if !bytes.Equal(held.body, body) {
			t.Fatalf("an event taken back was written over: %.60s", held.body)
		}
	}
	chunks, before := len(l.chunks), l.chunks
	// Forget all but the last 10 events: only the chunks they use stay.
	cut := logT0.Add(time.Duration(n-10) * time.Minute)
	if got := l.dropOldest(func(e *logEntry) bool { return e.retired(cut) }, nil); got != n-10 {
		t.Fatalf("dropped %d, want %d", got, n-10)
	}
	if len(l.chunks) >= chunks || l.chunkBase != l.entries[0].chunk || l.chunks[0] == nil {
		t.Fatalf("after the prune: %d chunks of %d, from %d; the first kept event is in %d", len(l.chunks), chunks, l.chunkBase, l.entries[0].chunk)
	}
	// The slice's front that held the released chunks holds them no more.
	if released := before[:chunks-len(l.chunks)]; slices.ContainsFunc(released, func(c []byte) bool { return c != nil }) {
		t.Fatal("released chunks are still referenced by the slice's array")
	}
}

// An event's JSON longer than eventLen counted (escapes) that overflows its
// chunk moves to a new chunk whole.
func TestEventLogEscapesOverflowAChunk(t *testing.T) {
	var l eventLog
	filler := `{"f":"` + strings.Repeat("f", minChunk-400) + `"}`
	if _, err := l.append(logEvent("ev_0", "customer.created", 0, nil, filler, ""), "", logT0); err != nil {
		t.Fatal(err)
	}
	room := cap(l.chunks[0]) - len(l.chunks[0])
	// A type of 30 "<" is counted 30 bytes and written 180 ("\u003c" each).
	typ := strings.Repeat("<", 30)
	obj := `{"p":"` + strings.Repeat("p", room-eventLen(logEvent("ev_1", typ, 1, nil, `{"p":""}`, ""))) + `"}`
	e := logEvent("ev_1", typ, 1, nil, obj, "")
	if need := eventLen(e); need > room {
		t.Fatalf("test setup: event counted %d bytes, %d free", need, room)
	}
	pos, err := l.append(e, "", logT0)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.chunks) != 2 || l.entries[1].chunk != 1 {
		t.Fatalf("%d chunks, event in chunk %d; want it moved to a second one", len(l.chunks), l.entries[1].chunk)
	}
	checkEvent(t, l.at(pos), logged{ev: e, recorded: logT0})
	checkEvent(t, l.event(0), logged{ev: logEvent("ev_0", "customer.created", 0, nil, filler, ""), recorded: logT0})
}

// The log's page cuts exactly what paginating the whole filtered
// newest-first list cuts, for every filter, cursor and limit.
func TestEventLogPageMatchesPaginate(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for round := range 200 {
		l := eventLog{hash: logHashes[round%len(logHashes)].hash}
		n := rng.IntN(40)
		for i := range n {
			if _, err := l.append(logEvent(fmt.Sprintf("ev_%d", i), "customer.created", i, nil, `{}`, ""), "", logT0); err != nil {
				t.Fatal(err)
			}
		}
		mod := int64(1 + rng.IntN(3))
		keep := func(e *logEntry) bool { return e.created%mod == 0 }
		var all []*Event // newest first
		for i := n - 1; i >= 0; i-- {
			if keep(&l.entries[i]) {
				all = append(all, l.event(i))
			}
		}
		ids := append(l.ids(), "missing")
		for range 10 {
			p := ListParams{Limit: rng.IntN(6)}
			switch rng.IntN(3) {
			case 1:
				p.StartingAfter = ids[rng.IntN(len(ids))]
			case 2:
				p.EndingBefore = ids[rng.IntN(len(ids))]
			}
			want, wantErr := paginate(all, func(e *Event) string { return e.ID }, p)
			got, gotErr := l.page(keep, p)
			if (wantErr == nil) != (gotErr == nil) || !reflect.DeepEqual(got, want) {
				t.Fatalf("round %d, params %+v: page = %v, %v; paginate = %v, %v", round, p, got, gotErr, want, wantErr)
			}
		}
	}
}

// A log saved and restored holds the same events, test clocks and
// recording times; JSON no drsim writes is refused.
func TestEventLogSaveRestore(t *testing.T) {
	var l eventLog
	var model []logged
	for i, clk := range []string{"", "clock_a", "", "clock_b"} {
		e := logEvent(fmt.Sprintf("ev_%d", i), "order.accepted", i, [][]string{nil, {}, {"wh_1", "wh_2"}, {"wh_3"}}[i], `{"id":"o<1>","n":1.5,"s":"}]\\\"{["}`, [...]string{"", `{"state":"x"}`}[i%2])
		m := logged{ev: e, clock: clk, recorded: logT0.Add(time.Duration(i) * time.Hour)}
		if _, err := l.append(e, m.clock, m.recorded); err != nil {
			t.Fatal(err)
		}
		model = append(model, m)
	}
	for _, s := range l.saved() {
		// The quick reading of an event's JSON takes every event record
		// writes, and reads it as encoding/json does.
		got, ok := readEvent(s.JSON)
		var want client.Event
		if err := json.Unmarshal(s.JSON, &want); err != nil {
			t.Fatal(err)
		}
		if !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("readEvent(%s) = %+v, %v; want %+v", s.JSON, got, ok, want)
		}
	}
	var r eventLog
	if err := r.restore(l.saved()); err != nil {
		t.Fatal(err)
	}
	checkLog(t, &r, model, true, "restored")
	bad := l.saved()
	bad[1].JSON = json.RawMessage(strings.Replace(string(bad[1].JSON), `"id":"ev_1"`, `"id" : "ev_1"`, 1))
	if err := new(eventLog).restore(bad); err == nil || !strings.Contains(err.Error(), "does not read back") {
		t.Fatalf("restore of JSON spaced differently: %v", err)
	}
	live := l.saved()
	live[0].JSON = json.RawMessage(strings.Replace(string(live[0].JSON), `"liveMode":false`, `"liveMode":true`, 1))
	if err := new(eventLog).restore(live); err == nil || !strings.Contains(err.Error(), "liveMode") {
		t.Fatalf("restore of a live event: %v", err)
	}
	dup := append(l.saved(), l.saved()[0])
	if err := new(eventLog).restore(dup); err == nil || !strings.Contains(err.Error(), "taken") {
		t.Fatalf("restore of an id twice: %v", err)
	}
}

// restore rebuilds the log from saved, as a state file's events are read.
func (l *eventLog) restore(saved []savedEvent) error {
	for k, s := range saved {
		if err := l.restoreOne(k, s.JSON, s.TestClock, s.Recorded); err != nil {
			return err
		}
	}
	return nil
}
