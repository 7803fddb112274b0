package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"slices"
	"time"
	"unsafe"

	"github.com/drsim/drsim/simulator/client"
	"github.com/drsim/drsim/simulator/internal/problem"
)

// eventLog keeps an account's events, oldest first, in memory the garbage
// collector does not look into.
//
// Events are the most numerous objects an account stores: every create
// and update records one or more. Kept as *Event values, each was a dozen
// heap objects full of pointers (strings, slices, times with a location,
// its JSON), all of which every collection marks: at a million stored
// customers the mark phase took seconds. The log keeps them as data
// without pointers instead:
//
//   - chunks: the events' JSON (what webhooks and GET /events send,
//     eventjson.go) appended to large byte slices, which the collector
//     does not scan. An event never changes once recorded, so its bytes are
//     written once and only read after (a new event is appended after them).
//   - entries: one pointer-free logEntry per event, where its JSON is and
//     what the queries need without reading it (type, times, test clock).
//     Strings are offsets into the JSON (the id, the webhook ids, the
//     object) or small integers into per-account tables of the few distinct
//     values (types, test clocks).
//   - idx: id → position, keyed by a 64-bit hash of the id, so neither key
//     nor value is a pointer. A hit is checked against the id in the JSON;
//     an id whose hash another id already holds goes to dup, a map by id
//     (with 64-bit hashes that is about never, but it is handled).
//
// An *Event is made (materialised) from the log when one is read: GET
// /events, replay, the events a clock move returns, the publisher. Its JSON
// and data.object are views of the chunk (capacity-capped: an append
// copies); nothing is copied but the id.
//
// Positions are base plus the index in entries, in uint32 arithmetic that
// wraps, so dropping the oldest events (the retention prune) moves base
// instead of renumbering what is kept. A chunk no kept event uses any more
// is released (chunks[i] = nil), so the memory follows the retention. A
// test clock's deletion removes its events from the middle: the entries
// after them are renumbered and the chunks left without events released,
// but a chunk one kept event still uses keeps the bytes of the removed ones
// in it until it goes.
//
// The log is saved in state files as its events' JSON with their test
// clock and recording time (saved, restore; snapshot.go).
type eventLog struct {
	chunks    [][]byte   // the events' JSON, oldest first; nil once released (never the last)
	chunkBase uint32     // chunk number of chunks[0]: the chunks released from the front
	entries   []logEntry // oldest first
	base      uint32     // position of entries[0]

	idx    hashIndex         // hash of an id → its position (hashindex.go)
	dup    map[string]uint32 // id → position, for ids whose hash idx holds for another id
	seed   maphash.Seed
	seeded bool
	hash   func(string) uint64 // tests force collisions with it; nil: maphash with seed

	types    []string // interned event types, by logEntry.typ
	typeIdx  map[string]uint32
	clocks   []string // interned test clock ids, by logEntry.clock; clocks[0] is "" (none)
	clockIdx map[string]uint32
	free     []uint32 // indexes in clocks of deleted test clocks, for reuse
}

// logEntry is one event in the log. Offsets are from the start of the
// event's JSON. It holds no pointer.
type logEntry struct {
	created, recorded     int64  // createdTime and the account's clock when recorded: Unix seconds
	createdNs, recordedNs int32  // and nanoseconds
	chunk                 uint32 // chunk number (chunkBase + its index in chunks)
	off, n                uint32 // the JSON: chunk[off:off+n]
	idLen                 uint32 // the id, at idOffset, written as it is (no escapes)
	hooks                 uint32 // webhookIds' array (or null); it ends where `,"data":{"object":` starts
	obj, objLen           uint32 // data.object
	prevLen               uint32 // data.previousAttributes, after data.object and `,"previousAttributes":`; 0: none
	typ                   uint32 // index in types
	clock                 uint32 // index in clocks
}

// Chunk sizes: an account's first chunk is small (most accounts keep few
// events), each next one twice its predecessor up to maxChunk. An event
// longer than a chunk gets a chunk of its own size.
const (
	minChunk = 4 << 10
	maxChunk = 256 << 10
)

const (
	idOffset   = len(`{"id":"`)
	dataMarker = `,"data":{"object":`
	prevMarker = `,"previousAttributes":`
)

// eventSpans are where appendEventSpans wrote an event's parts, from the
// start of its JSON.
type eventSpans struct {
	hooks, obj, objLen, prev, prevLen int
}

// len is how many events the log keeps.
func (l *eventLog) len() int { return len(l.entries) }

func (l *eventLog) hashOf(id string) uint64 {
	if l.hash != nil {
		return l.hash(id)
	}
	if !l.seeded {
		l.seed, l.seeded = maphash.MakeSeed(), true
	}
	return maphash.String(l.seed, id)
}

// json is entry i's JSON, capacity-capped.
func (l *eventLog) json(i int) []byte {
	en := &l.entries[i]
	c := l.chunks[en.chunk-l.chunkBase]
	return c[en.off : en.off+en.n : en.off+en.n]
}

// idBytes is entry i's id as it is in its JSON. The result must not outlive
// the call that asked (it is read as a string without a copy).
func (l *eventLog) idBytes(i int) []byte {
	return l.json(i)[idOffset : idOffset+int(l.entries[i].idLen)]
}

// id is entry i's id.
func (l *eventLog) id(i int) string { return string(l.idBytes(i)) }

// index is id's index in entries.
func (l *eventLog) index(id string) (int, bool) {
	if p, ok := l.idx.get(l.hashOf(id)); ok {
		if i := int(uint32(p) - l.base); i < len(l.entries) && string(l.idBytes(i)) == id {
			return i, true
		}
	}
	if p, ok := l.dup[id]; ok {
		return int(p - l.base), true
	}
	return 0, false
}

// intern returns s's index in *table, adding it.
func intern(table *[]string, idx *map[string]uint32, s string) uint32 {
	if i, ok := (*idx)[s]; ok {
		return i
	}
	if *idx == nil {
		*idx = map[string]uint32{}
	}
	i := uint32(len(*table))
	*table = append(*table, s)
	(*idx)[s] = i
	return i
}

// clockIndex is test clock id's index in clocks ("" is 0), adding it.
func (l *eventLog) clockIndex(id string) uint32 {
	if len(l.clocks) == 0 {
		l.clocks = []string{""}
	}
	if id == "" {
		return 0
	}
	if i, ok := l.clockIdx[id]; ok {
		return i
	}
	if l.clockIdx == nil {
		l.clockIdx = map[string]uint32{}
	}
	var i uint32
	if n := len(l.free); n > 0 {
		i, l.free = l.free[n-1], l.free[:n-1]
		l.clocks[i] = id
	} else {
		i = uint32(len(l.clocks))
		l.clocks = append(l.clocks, id)
	}
	l.clockIdx[id] = i
	return i
}

// append writes e (its Data as wire.Marshal wrote it) to the log with the
// test clock it is about and the account's time now, and returns its
// position. It refuses an id that is taken or that JSON would escape
// (record's ids are UUIDs; a state file's could be anything).
func (l *eventLog) append(e *Event, testClock string, recorded time.Time) (uint32, error) {
	id := e.ID
	if id == "" || len(id) > 1<<16 {
		return 0, fmt.Errorf("event id %q: want 1 to 65536 bytes", id)
	}
	if _, taken := l.index(id); taken {
		return 0, fmt.Errorf("event id %s: taken", id)
	}
	need := eventLen(e)
	last := len(l.chunks) - 1
	if last < 0 || cap(l.chunks[last])-len(l.chunks[last]) < need {
		last = l.addChunk(need)
	}
	c := l.chunks[last]
	start := len(c)
	out, sp := appendEventSpans(c, e)
	if cap(out) != cap(c) {
		// Escapes made it longer than eventLen counted and the chunk
		// overflowed: move the event to a new chunk, leaving this one as it
		// was (append copied it).
		body := out[start:]
		last = l.addChunk(len(body))
		c, start = l.chunks[last], 0
		out = append(c, body...)
	}
	body := out[start:]
	if body[idOffset-1] != '"' || string(body[idOffset:idOffset+len(id)]) != id || body[idOffset+len(id)] != '"' {
		return 0, fmt.Errorf("event id %q: JSON escapes it", id)
	}
	l.chunks[last] = out
	if uint64(len(l.entries)) >= 1<<31 {
		panic("state: more than 2^31 events kept in one account")
	}
	ct, rt := e.CreatedTime, recorded
	l.entries = append(l.entries, logEntry{
		created: ct.Unix(), createdNs: int32(ct.Nanosecond()),
		recorded: rt.Unix(), recordedNs: int32(rt.Nanosecond()),
		chunk: l.chunkBase + uint32(last), off: uint32(start), n: uint32(len(body)),
		idLen: uint32(len(id)), hooks: uint32(sp.hooks), obj: uint32(sp.obj), objLen: uint32(sp.objLen), prevLen: uint32(sp.prevLen),
		typ:   intern(&l.types, &l.typeIdx, e.Type),
		clock: l.clockIndex(testClock),
	})
	pos := l.base + uint32(len(l.entries)-1)
	h := l.hashOf(id)
	if _, held := l.idx.get(h); held {
		if l.dup == nil {
			l.dup = map[string]uint32{}
		}
		l.dup[id] = pos
	} else {
		l.idx.add(h, int(pos))
	}
	return pos, nil
}

// addChunk starts a new chunk with room for need bytes and returns its
// index in chunks. The chunk it follows is released if no kept event is
// in it (they were all removed while it was the last).
func (l *eventLog) addChunk(need int) int {
	size := minChunk
	if n := len(l.chunks); n > 0 {
		// At least minChunk: dropNewest may have closed the last chunk
		// at any length.
		size = max(min(2*cap(l.chunks[n-1]), maxChunk), minChunk)
		if k := len(l.entries); k == 0 || l.entries[k-1].chunk != l.chunkBase+uint32(n-1) {
			l.chunks[n-1] = nil
		}
	}
	l.chunks = append(l.chunks, make([]byte, 0, max(size, need)))
	if len(l.entries) == 0 {
		l.releaseChunks()
	}
	return len(l.chunks) - 1
}

// unindex forgets entry i's id (at position pos).
func (l *eventLog) unindex(i int, pos uint32) {
	idb := l.idBytes(i)
	h := l.hashOf(unsafe.String(unsafe.SliceData(idb), len(idb)))
	if p, ok := l.idx.get(h); ok && uint32(p) == pos {
		l.idx.del(h)
		return
	}
	delete(l.dup, string(idb))
}

// reindex moves entry i's id from position from to position to.
func (l *eventLog) reindex(i int, from, to uint32) {
	idb := l.idBytes(i)
	h := l.hashOf(unsafe.String(unsafe.SliceData(idb), len(idb)))
	if p, ok := l.idx.get(h); ok && uint32(p) == from {
		l.idx.set(h, int(to))
		return
	}
	l.dup[string(idb)] = to
}

// dropOldest forgets the oldest events while drop accepts them, stopping at
// the first it refuses, calls gone (when not nil) with each one's id, and
// says how many went. It looks at one event past those it removes, and
// releases the chunks only the dropped events used.
func (l *eventLog) dropOldest(drop func(*logEntry) bool, gone func(id string)) int {
	n := 0
	for n < len(l.entries) && drop(&l.entries[n]) {
		if gone != nil {
			gone(l.id(n))
		}
		l.unindex(n, l.base+uint32(n))
		n++
	}
	l.entries = l.entries[n:]
	l.base += uint32(n)
	l.releaseChunks()
	return n
}

// dropNewest forgets the newest events until keep are left, calls gone
// (when not nil) with each one's id, newest first, and says how many went.
// It costs what it removes. The chunks after the last kept event's are
// released, and that chunk is closed after its last kept event (its
// capacity cut there), so the next event starts a new chunk: the bytes of
// the events dropped are never written over, as an *Event read before may
// still be a view of them (a delivery under way).
func (l *eventLog) dropNewest(keep int, gone func(id string)) int {
	keep = max(keep, 0)
	if keep >= len(l.entries) {
		return 0
	}
	for i := len(l.entries) - 1; i >= keep; i-- {
		if gone != nil {
			gone(l.id(i))
		}
		l.unindex(i, l.base+uint32(i))
	}
	first := l.entries[keep] // the oldest dropped: the kept events' bytes end where its bytes start
	n := len(l.entries) - keep
	clear(l.entries[keep:])
	l.entries = l.entries[:keep]
	k := int(first.chunk - l.chunkBase)
	l.chunks[k] = l.chunks[k][:first.off:first.off]
	clear(l.chunks[k+1:])
	l.chunks = l.chunks[:k+1]
	return n
}

// releaseChunks releases the chunks no kept event uses: those before the
// first kept event's from the front, and, between kept events, those none
// of them is in. The last chunk stays: the next event goes there.
func (l *eventLog) releaseChunks() {
	if len(l.chunks) == 0 {
		return
	}
	first := l.chunkBase + uint32(len(l.chunks)) - 1 // the last chunk
	if len(l.entries) > 0 {
		first = l.entries[0].chunk
	}
	if d := int(first - l.chunkBase); d > 0 {
		clear(l.chunks[:d])
		l.chunks = l.chunks[d:]
		l.chunkBase = first
	}
}

// releaseUnused releases every chunk but the last that no kept event uses
// (after a removal from the middle).
func (l *eventLog) releaseUnused() {
	l.releaseChunks()
	used := make([]bool, len(l.chunks))
	for i := range l.entries {
		used[l.entries[i].chunk-l.chunkBase] = true
	}
	for i := range len(l.chunks) - 1 {
		if !used[i] {
			l.chunks[i] = nil
		}
	}
}

// removeClock forgets the events about the customers of test clock id
// (deleted) and says how many went.
func (l *eventLog) removeClock(id string) int {
	ci, ok := l.clockIdx[id]
	if !ok {
		return 0
	}
	kept := 0
	for i := range l.entries {
		pos := l.base + uint32(i)
		if l.entries[i].clock == ci {
			l.unindex(i, pos)
			continue
		}
		if kept != i {
			l.reindex(i, pos, l.base+uint32(kept))
			l.entries[kept] = l.entries[i]
		}
		kept++
	}
	n := len(l.entries) - kept
	l.entries = l.entries[:kept]
	delete(l.clockIdx, id)
	l.clocks[ci] = ""
	l.free = append(l.free, ci)
	if n > 0 {
		l.releaseUnused()
	}
	return n
}

// event materialises entry i as an *Event of its own: its JSON and
// data's messages are views of the log's bytes (which never change), its
// webhook ids a new slice.
func (l *eventLog) event(i int) *Event {
	en := &l.entries[i]
	body := l.json(i)
	obj := body[en.obj : en.obj+en.objLen : en.obj+en.objLen]
	var prev json.RawMessage
	if en.prevLen > 0 {
		p := en.obj + en.objLen + uint32(len(prevMarker))
		prev = body[p : p+en.prevLen : p+en.prevLen]
	}
	return &Event{
		Event: client.Event{
			ID:                  l.id(i),
			Type:                l.types[en.typ],
			CreatedTime:         time.Unix(en.created, int64(en.createdNs)).UTC(),
			DigitalriverVersion: APIVersion,
			WebhookIDs:          webhookIDs(body[en.hooks : en.obj-uint32(len(dataMarker))]),
			Data:                EventData{Object: obj, PreviousAttributes: prev},
		},
		testClock: l.clocks[en.clock],
		recorded:  en.recordedTime(),
		body:      body,
	}
}

// at materialises the event at position pos.
func (l *eventLog) at(pos uint32) *Event { return l.event(int(pos - l.base)) }

// object is the data.object of the event at position pos, a view of the
// log's bytes.
func (l *eventLog) object(pos uint32) json.RawMessage {
	i := int(pos - l.base)
	en := &l.entries[i]
	return l.json(i)[en.obj : en.obj+en.objLen : en.obj+en.objLen]
}

func (en *logEntry) createdTime() time.Time {
	return time.Unix(en.created, int64(en.createdNs)).UTC()
}

func (en *logEntry) recordedTime() time.Time {
	return time.Unix(en.recorded, int64(en.recordedNs)).UTC()
}

// webhookIDs reads the webhookIds array appendEvent wrote: null, or JSON
// strings, which the ids record writes need no escapes for (one that does
// is read by encoding/json).
func webhookIDs(b []byte) []string {
	switch {
	case string(b) == "null":
		return nil
	case string(b) == "[]":
		return []string{}
	case bytes.IndexByte(b, '\\') >= 0:
		var ids []string
		_ = json.Unmarshal(b, &ids) // appendEvent wrote it: valid
		return ids
	}
	inner := b[2 : len(b)-2] // within `["` and `"]`
	ids := make([]string, 0, bytes.Count(inner, []byte(`","`))+1)
	for part := range bytes.SplitSeq(inner, []byte(`","`)) {
		ids = append(ids, string(part))
	}
	return ids
}

// page is one page of the events keep accepts, newest first, cut as DR
// cuts lists (see paginate), materialised. Like collection.page, it looks
// at no more events than it takes to fill the page: a cursor is found by
// its id, and the walk stops one event past the page, which says whether
// there are more.
func (l *eventLog) page(keep func(*logEntry) bool, p ListParams) (Page[*Event], error) {
	limit, err := checkPage(p)
	if err != nil {
		return Page[*Event]{}, err
	}
	kept := func(i int) bool { return keep == nil || keep(&l.entries[i]) }
	cursor := func(param, id string) (int, error) {
		if i, ok := l.index(id); ok && kept(i) {
			return i, nil
		}
		return 0, problem.Invalidf(param, "No object with id '%s' in this list.", id)
	}
	var out []int
	if p.EndingBefore != "" { // the limit events just newer than the cursor
		i, err := cursor("endingBefore", p.EndingBefore)
		if err != nil {
			return Page[*Event]{}, err
		}
		for j := i + 1; j < len(l.entries) && len(out) <= limit; j++ {
			if kept(j) {
				out = append(out, j)
			}
		}
		more := len(out) > limit
		out = out[:min(len(out), limit)]
		slices.Reverse(out)
		return Page[*Event]{HasMore: more, Data: l.events(out)}, nil
	}
	from := len(l.entries) - 1
	if p.StartingAfter != "" {
		i, err := cursor("startingAfter", p.StartingAfter)
		if err != nil {
			return Page[*Event]{}, err
		}
		from = i - 1
	}
	for j := from; j >= 0 && len(out) <= limit; j-- {
		if kept(j) {
			out = append(out, j)
		}
	}
	more := len(out) > limit
	return Page[*Event]{HasMore: more, Data: l.events(out[:min(len(out), limit)])}, nil
}

// events materialises the entries at indexes is, in that order.
func (l *eventLog) events(is []int) []*Event {
	out := make([]*Event, len(is))
	for k, i := range is {
		out[k] = l.event(i)
	}
	return out
}

// savedEvent is one event of the log in a state file: its JSON, with what
// the simulator keeps beside it.
type savedEvent struct {
	JSON      json.RawMessage
	TestClock string
	Recorded  time.Time
}

// saved is the log as state files keep it, oldest first.
func (l *eventLog) saved() []savedEvent {
	out := make([]savedEvent, len(l.entries))
	for i := range l.entries {
		en := &l.entries[i]
		out[i] = savedEvent{JSON: l.json(i), TestClock: l.clocks[en.clock], Recorded: en.recordedTime()}
	}
	return out
}

// restoreOne writes the k-th (from 0) event of a state file into the log
// from its JSON as record writes it, with its test clock and recording
// time; JSON that does not read back the same (written by no drsim) is
// refused. raw is not kept.
func (l *eventLog) restoreOne(k int, raw []byte, testClock string, recorded time.Time) error {
	ce, ok := readEvent(raw)
	if !ok { // not as record writes it: read it as JSON to say why
		ce = client.Event{}
		if err := json.Unmarshal(raw, &ce); err != nil {
			return fmt.Errorf("event %d: %w", k+1, err)
		}
	}
	if ce.LiveMode || ce.DigitalriverVersion != APIVersion {
		return fmt.Errorf("event %s: liveMode %v, digitalriverVersion %q: not what this drsim records", ce.ID, ce.LiveMode, ce.DigitalriverVersion)
	}
	pos, err := l.append(&Event{Event: ce}, testClock, recorded)
	if err != nil {
		return fmt.Errorf("event %d: %w", k+1, err)
	}
	if got := l.json(int(pos - l.base)); !bytes.Equal(got, raw) {
		return fmt.Errorf("event %s: its JSON does not read back as written:\n%s\nreads back as\n%s", ce.ID, raw, got)
	}
	return nil
}

// readEvent reads an event's JSON laid out as appendEventSpans writes it
// (valid JSON: the state file's decoder has read it), its data's messages
// views of raw; false when it is not laid out so. Whatever it reads is
// checked by writing it again (restoreOne): this only spares the general
// JSON decoder.
func readEvent(raw []byte) (client.Event, bool) {
	var e client.Event
	rest, ok := bytes.CutPrefix(raw, []byte(`{"id":"`))
	if !ok {
		return e, false
	}
	var id, typ []byte
	if id, rest, ok = bytes.Cut(rest, []byte(`","type":"`)); !ok || bytes.IndexByte(id, '"') >= 0 {
		return e, false
	}
	if typ, rest, ok = bytes.Cut(rest, []byte(`","liveMode":false,"digitalriverVersion":"`+APIVersion+`","webhookIds":`)); !ok || bytes.IndexByte(typ, '"') >= 0 {
		return e, false
	}
	var hooks []byte
	if hooks, rest, ok = bytes.Cut(rest, []byte(dataMarker)); !ok || (string(hooks) != "null" && (len(hooks) < 2 || hooks[0] != '[')) {
		return e, false
	}
	tail := bytes.LastIndex(rest, []byte(`},"createdTime":"`))
	if tail < 0 || !bytes.HasSuffix(rest, []byte(`"}`)) {
		return e, false
	}
	created, err := time.Parse(time.RFC3339Nano, string(rest[tail+len(`},"createdTime":"`):len(rest)-2]))
	if err != nil {
		return e, false
	}
	data := rest[:tail]
	n := valueLen(data)
	if n <= 0 {
		return e, false
	}
	obj := data[:n:n]
	var prev []byte
	if len(data) > n {
		if prev, ok = bytes.CutPrefix(data[n:], []byte(prevMarker)); !ok || valueLen(prev) != len(prev) {
			return e, false
		}
	}
	if string(obj) == "null" {
		obj = nil
	}
	e.ID, e.Type, e.DigitalriverVersion, e.CreatedTime = string(id), string(typ), APIVersion, created
	e.WebhookIDs = webhookIDs(hooks)
	e.Data = EventData{Object: obj, PreviousAttributes: prev}
	return e, true
}

// valueLen is the length of the JSON value b starts with (b is valid
// JSON from there on: an object, an array or a literal), or 0.
func valueLen(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	if b[0] != '{' && b[0] != '[' {
		for i, c := range b {
			if c == ',' || c == '}' || c == ']' {
				return i
			}
		}
		return len(b)
	}
	depth, inString := 0, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case inString:
			if c == '\\' {
				i++
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return 0
}
