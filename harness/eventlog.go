package harness

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/drsim/drsim/simulator/client"
)

// eventLog keeps the account's events of each type that a check asked for,
// decoded once and shared by every scenario of the harness (scenarios copy
// an event's object before changing it). Each read asks DR only for the
// events newer than the newest it has (endingBefore), so a suite reads
// each event once instead of once per check.
type eventLog struct {
	mu    sync.Mutex
	types map[string]*typeLog
	// since, when set, is a time on the simulator's clock before the
	// harness made anything: every event this harness's scenarios cause is
	// at or after it (their test clocks start at the simulator's wall time),
	// so the first read of a type skips what earlier runs against the same
	// simulator left behind.
	since time.Time
}

// filters are the list filters of a read of type typ.
func (l *eventLog) filters(typ string) url.Values {
	q := url.Values{"type": {typ}}
	if !l.since.IsZero() {
		q.Set("createdTime[gte]", l.since.Format(time.RFC3339Nano))
	}
	return q
}

// typeLog is the events of one type, oldest first (DR's list order
// reversed), indexed by the ids they are about (subjectIDs), so a check
// reads its own order's events however many the suite has made.
type typeLog struct {
	mu     sync.Mutex // one refresh of the type at a time
	events []*event
	byID   map[string][]int // subject id → positions in events, ascending
}

func (t *typeLog) add(es []*event) {
	if t.byID == nil {
		t.byID = map[string][]int{}
	}
	for _, e := range es {
		for _, id := range subjectIDs(e) {
			t.byID[id] = append(t.byID[id], len(t.events))
		}
		t.events = append(t.events, e)
	}
}

// subjectIDs are the ids an event may be about, as Scenario.about reads
// them: data.object's id, orderId and subscription.id, and
// data.previousAttributes' id.
func subjectIDs(e *event) []string {
	var ids []string
	note := func(v any) {
		if id, ok := v.(string); ok && id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	obj := e.Data.Object
	note(obj["id"])
	note(obj["orderId"])
	if sub, ok := obj["subscription"].(map[string]any); ok {
		note(sub["id"])
	}
	note(e.Data.PreviousAttributes["id"])
	return ids
}

// about returns the events of type typ DR lists now that are about any of
// ids (subjectIDs), oldest first.
func (l *eventLog) about(ctx context.Context, dr *client.Client, typ string, ids ...string) ([]*event, error) {
	t, err := l.refresh(ctx, dr, typ)
	if err != nil {
		return nil, err
	}
	defer t.mu.Unlock()
	return t.aboutLocked(ids), nil
}

// aboutLocked is the events about any of ids, oldest first. Caller holds t.mu.
func (t *typeLog) aboutLocked(ids []string) []*event {
	var pos []int
	for _, id := range ids {
		pos = append(pos, t.byID[id]...)
	}
	slices.Sort(pos)
	pos = slices.Compact(pos)
	out := make([]*event, len(pos))
	for i, p := range pos {
		out[i] = t.events[p]
	}
	return out
}

// of returns every event of type typ DR lists now, oldest first. The slice
// must not be changed.
func (l *eventLog) of(ctx context.Context, dr *client.Client, typ string) ([]*event, error) {
	t, err := l.refresh(ctx, dr, typ)
	if err != nil {
		return nil, err
	}
	defer t.mu.Unlock()
	return t.events, nil
}

// refresh reads the events of typ DR added since the last read and returns
// the type's log, locked.
func (l *eventLog) refresh(ctx context.Context, dr *client.Client, typ string) (*typeLog, error) {
	l.mu.Lock()
	if l.types == nil {
		l.types = map[string]*typeLog{}
	}
	t := l.types[typ]
	if t == nil {
		t = &typeLog{}
		l.types[typ] = t
	}
	l.mu.Unlock()

	t.mu.Lock()
	if len(t.events) > 0 {
		newer, err := newerEvents(ctx, dr, l.filters(typ), t.events[len(t.events)-1].ID)
		if err == nil {
			t.add(newer)
			return t, nil
		}
		if client.StatusOf(err) != 400 {
			t.mu.Unlock()
			return nil, err
		}
		// The newest event we had is gone from the list (DR keeps events 30
		// days): read the whole list again.
	}
	all, err := allEvents(ctx, dr, l.filters(typ))
	if err != nil {
		t.mu.Unlock()
		return nil, err
	}
	t.events, t.byID = nil, nil
	t.add(all)
	return t, nil
}

// newerEvents lists the events of typ newer than the event cursor, oldest
// first.
func newerEvents(ctx context.Context, dr *client.Client, q url.Values, cursor string) ([]*event, error) {
	var out []*event
	for {
		page, err := dr.Events(ctx, client.ListParams{Limit: 100, EndingBefore: cursor, Filters: q})
		if err != nil {
			return nil, fmt.Errorf("list the %s events after %s: %w", q.Get("type"), cursor, err)
		}
		// A page is the events just newer than the cursor, newest first.
		for i := len(page.Data) - 1; i >= 0; i-- {
			e, err := decodeEvent(&page.Data[i])
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
		if !page.HasMore || len(page.Data) == 0 {
			return out, nil
		}
		cursor = page.Data[0].ID
	}
}

// allEvents lists every event of typ, oldest first.
func allEvents(ctx context.Context, dr *client.Client, q url.Values) ([]*event, error) {
	var out []*event
	after := ""
	for {
		page, err := dr.Events(ctx, client.ListParams{Limit: 100, StartingAfter: after, Filters: q})
		if err != nil {
			return nil, fmt.Errorf("list the %s events: %w", q.Get("type"), err)
		}
		for i := range page.Data {
			e, err := decodeEvent(&page.Data[i])
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
		if !page.HasMore || len(page.Data) == 0 {
			slices.Reverse(out)
			return out, nil
		}
		after = page.Data[len(page.Data)-1].ID
	}
}
