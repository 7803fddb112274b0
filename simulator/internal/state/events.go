package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/drsim/drsim/simulator/client"
	"github.com/drsim/drsim/simulator/internal/problem"
	"github.com/drsim/drsim/simulator/internal/wire"
)

// APIVersion is the digitalriverVersion the simulator's events carry.
const APIVersion = "2021-12-13"

// EventRetention is how long GET /events keeps events (DR: 30 days),
// counted on the account's clock (wall time) from when an event was
// recorded. A test clock's advance does not age its events out: the
// webhooks of an advance reach the merchant after it, and a merchant may
// fetch each event then, as it could seconds after it on DR.
const EventRetention = 30 * 24 * time.Hour

// Event is DR's Event as the account shows it: package client's Event
// (Data.Object is a snapshot of the object at the time) with what the
// simulator keeps beside it. The account does not keep Event values: its
// event log (eventlog.go) keeps each event's JSON and a pointer-free entry,
// and makes an Event of them each time one is read (GET /events, replay,
// a clock move's events, the publisher). Unlike the other resources it is
// not an alias of the wire type with its extras in account notes: webhook
// delivery and GET /events send the JSON written when it was recorded
// (body), and MarshalJSON, which must be a method of the type marshalled,
// returns it without a lookup (eventjson.go).
type Event struct {
	client.Event

	testClock string    // the test clock of the customer it is about (testclocks.go); not on the wire
	recorded  time.Time // the account's clock when it was recorded: retention counts from it
	body      []byte    // the event as JSON, written when recorded (eventjson.go): a view of the log's bytes, never written
}

// MarshalJSON writes the event as DR does: createdTime with microseconds
// (DR's samples: "2021-11-01T18:23:06.272054Z"), the rest as package wire
// writes every object.
func (e Event) MarshalJSON() ([]byte, error) {
	if e.body != nil {
		return e.body[:len(e.body):len(e.body)], nil // an append by the caller copies
	}
	type plain Event
	return wire.Marshal(struct {
		plain
		CreatedTime string `json:"createdTime"`
	}{plain(e), wire.EventTime(e.CreatedTime)})
}

// EventData holds the object and, for updates, the changed attributes' old values.
type EventData = client.EventData

// record snapshots obj into a new event, appends it to the account's
// event log and hands a copy to the publisher with the webhooks subscribed
// to typ. It returns the event's position in the log (a.events.at makes
// the event). The caller holds a.mu.
func (a *Account) record(typ string, obj any, previous any) uint32 {
	// The object is written to a pooled buffer and copied into the log's
	// bytes: a copy of its own would be garbage at once.
	scratch := scratchPool.Get().(*bytes.Buffer)
	defer func() {
		if scratch.Cap() <= maxScratch {
			scratch.Reset()
			scratchPool.Put(scratch)
		}
	}()
	if err := wire.MarshalWrite(scratch, obj); err != nil {
		panic(fmt.Sprintf("state: event %s: cannot marshal %T: %v", typ, obj, err))
	}
	ev := Event{
		Event: client.Event{
			ID:                  newUUID(),
			Type:                typ,
			CreatedTime:         a.now(),
			DigitalriverVersion: APIVersion,
			Data:                EventData{Object: scratch.Bytes()},
		},
	}
	if previous != nil {
		var err error
		if ev.Data.PreviousAttributes, err = wire.Marshal(previous); err != nil {
			panic(fmt.Sprintf("state: event %s: cannot marshal previous attributes: %v", typ, err))
		}
	}
	targets := a.subscribedTargets(typ)
	ev.WebhookIDs = make([]string, 0, len(targets))
	for _, t := range targets {
		ev.WebhookIDs = append(ev.WebhookIDs, t.WebhookID)
	}
	pos, err := a.events.append(&ev, a.curID, a.clock.Now())
	if err != nil {
		panic(fmt.Sprintf("state: event %s: %v", typ, err)) // a UUID is never taken nor escaped
	}
	for _, c := range a.collecting {
		*c = append(*c, a.events.at(pos))
	}
	if a.recorded++; a.recorded >= pruneEvery {
		a.pruneEvents()
	}
	a.signalChange()
	if a.publisher != nil && len(targets) > 0 {
		a.publisher.Publish(a.id, a.events.at(pos), targets)
	}
	return pos
}

// scratchPool holds the buffers record writes an event's object to before
// copying it into the event's kept bytes; one that grew past maxScratch (a
// large order) is not kept.
var scratchPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxScratch = 64 << 10

// eventLen is the length appendEvent writes for e when its strings need no
// escaping (an escape grows the buffer), its time written at its longest:
// the kept bytes are allocated once, at their size or a few bytes over.
func eventLen(e *Event) int {
	n := len(`{"id":""`) + len(e.ID) + len(`,"type":""`) + len(e.Type) + len(`,"liveMode":false`) +
		len(`,"digitalriverVersion":""`) + len(e.DigitalriverVersion) + len(`,"webhookIds":[]`) +
		len(`,"data":{"object":`) + max(len(e.Data.Object), len("null")) + len(`},"createdTime":""}`) + len("2006-01-02T15:04:05.000000Z") // wire.EventTime's longest
	for i, id := range e.WebhookIDs {
		n += len(id) + len(`""`)
		if i > 0 {
			n += len(`,`)
		}
	}
	if len(e.Data.PreviousAttributes) > 0 {
		n += len(`,"previousAttributes":`) + len(e.Data.PreviousAttributes)
	}
	return n
}

// EventFilter is GET /events' query: type (one name, '*' wildcard) or types.
type EventFilter struct {
	ListParams
	Type    string
	Types   []string
	Created TimeRange
}

// TimeRange is DR's createdTime[gt|gte|lt|lte] filter.
type TimeRange struct {
	GT, GTE, LT, LTE *time.Time
}

func (r TimeRange) contains(t time.Time) bool {
	return (r.GT == nil || t.After(*r.GT)) && (r.GTE == nil || !t.Before(*r.GTE)) &&
		(r.LT == nil || t.Before(*r.LT)) && (r.LTE == nil || !t.After(*r.LTE))
}

// MatchType reports whether an event type matches a filter pattern, where
// '*' matches any run of characters ("order.*" matches "order.charge.refund.complete").
func MatchType(pattern, typ string) bool {
	if !strings.Contains(pattern, "*") {
		return pattern == typ
	}
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(typ, parts[0]) {
		return false
	}
	rest := typ[len(parts[0]):]
	for i, p := range parts[1:] {
		last := i == len(parts)-2
		if last {
			return strings.HasSuffix(rest, p)
		}
		j := strings.Index(rest, p)
		if j < 0 {
			return false
		}
		rest = rest[j+len(p):]
	}
	return true
}

// Events is GET /events.
func (a *Account) Events(f EventFilter) (Page[*Event], error) {
	if f.Type != "" && len(f.Types) > 0 {
		return Page[*Event]{}, problem.Invalidf("types", "Use either 'type' or 'types', not both.")
	}
	if len(f.Types) >= 20 {
		return Page[*Event]{}, problem.Invalidf("types", "'types' takes fewer than 20 names, got %d.", len(f.Types))
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	// Whether each of the account's few event types matches, worked out
	// once, not at each event.
	match := make([]bool, len(a.events.types))
	for i, typ := range a.events.types {
		switch {
		case f.Type != "":
			match[i] = MatchType(f.Type, typ)
		case len(f.Types) > 0:
			match[i] = contains(f.Types, typ)
		default:
			match[i] = true
		}
	}
	cutoff := a.retentionCutoff()
	return a.events.page(func(e *logEntry) bool {
		return match[e.typ] && !e.retired(cutoff) && f.Created.contains(e.createdTime())
	}, f.ListParams)
}

// copy is a copy of a recorded event. Events never change once recorded,
// so the copy shares the recorded JSON of its object (which nobody writes)
// instead of copying it.
func (e *Event) copy() *Event {
	c := *e
	c.WebhookIDs = slices.Clone(e.WebhookIDs)
	return &c
}

// Event is GET /events/{id}.
func (a *Account) Event(id string) (*Event, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	i, ok := a.events.index(id)
	if !ok || a.events.entries[i].retired(a.retentionCutoff()) {
		return nil, problem.NotFoundID("Event", id)
	}
	return a.events.event(i), nil
}

// MarshalJSON writes the subscription's dates in DR's pair form
// ("2022-08-25T21:09:39.061+0000", as in DR's subscription.extended sample)
// and the invoice like every other object.
func (p subscriptionPair) MarshalJSON() ([]byte, error) {
	sub, err := wire.PairMarshal(p.Subscription)
	if err != nil {
		return nil, err
	}
	inv, err := wire.Marshal(p.Invoice)
	if err != nil {
		return nil, err
	}
	return wire.Marshal(struct {
		Subscription json.RawMessage `json:"subscription"`
		Invoice      json.RawMessage `json:"invoice"`
	}{sub, inv})
}

// pruneEvery is how many events an account records between two prunes.
const pruneEvery = 1000

// pruneEvents forgets the events past DR's retention (retired), which no
// list, GET or replay shows any more, so memory follows the last 30 days.
// It runs every pruneEvery recorded events. Events are kept in the order
// they were recorded, on the account's clock, which never runs back: the
// retired ones are the oldest, so the prune looks at those and at the
// first event kept, not at every stored event (a create at 100,000 stored
// events spent 70 % of its time here). The log releases the bytes only
// retired events used. Caller holds a.mu.
func (a *Account) pruneEvents() int {
	a.recorded = 0
	cutoff := a.retentionCutoff()
	return a.dropEvents(func(gone func(string)) int {
		return a.events.dropOldest(func(e *logEntry) bool { return e.retired(cutoff) }, gone)
	})
}

// DropNewestEvents forgets the newest events until keep are left, as if
// they had never been recorded (the delivery engine forgets them too), and
// says how many went. It costs what it removes. With DropNewestCustomers it
// keeps a load test's account at the size it measures.
func (a *Account) DropNewestEvents(keep int) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.dropEvents(func(gone func(string)) int { return a.events.dropNewest(keep, gone) })
}

// dropEvents runs drop, which removes events from the log and calls gone
// (when not nil) with each one's id, and tells the publisher which went
// when it keeps anything by event (the delivery engine). Caller holds a.mu.
func (a *Account) dropEvents(drop func(gone func(id string)) int) int {
	forget, _ := a.publisher.(EventForgetter)
	if forget == nil {
		return drop(nil)
	}
	var gone []string
	n := drop(func(id string) { gone = append(gone, id) })
	if len(gone) > 0 {
		forget.ForgetEvents(a.id, gone)
	}
	return n
}

// retentionCutoff is the recording time before which events are retired:
// recorded more than EventRetention ago on the account's clock. Caller
// holds a.mu.
func (a *Account) retentionCutoff() time.Time {
	return a.clock.Now().Add(-EventRetention)
}

// retired reports whether e was recorded before cutoff (retentionCutoff).
func (e *logEntry) retired(cutoff time.Time) bool {
	return e.recordedTime().Before(cutoff)
}
