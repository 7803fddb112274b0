package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

func eventTypes(evs []event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.Type
	}
	return out
}

func eventIDs(evs []event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.ID
	}
	return out
}

// advance moves the account's own clock (wall time, which the control API
// cannot move) as if d of wall time had passed, and returns the new time.
func (c client) advance(d string) time.Time {
	c.e.t.Helper()
	dur, err := time.ParseDuration(d)
	if err != nil {
		c.e.t.Fatal(err)
	}
	a, _, ok := c.e.store.Lookup(strings.TrimPrefix(c.auth, "Bearer "))
	if !ok {
		c.e.t.Fatalf("no account for %q", c.auth)
	}
	now, _, err := a.AdvanceClock(dur)
	if err != nil {
		c.e.t.Fatal(err)
	}
	return now
}

func timeParam(name string, t time.Time) string {
	return url.QueryEscape(name) + "=" + url.QueryEscape(t.Format(time.RFC3339Nano))
}

func TestEventsFilterByTypeAndCreatedTime(t *testing.T) {
	e := newEnv(t, 0)
	c := e.newAccount().secret

	// One hour of virtual time between each step, so createdTime filters
	// have clear boundaries (timestamps are whole seconds, as DR's).
	sku := c.createSKU("Widget")
	c.advance("1h")
	cust := c.createCustomer("bob@example.test")
	c.advance("1h")
	o := c.placeOrder(cust, sku)
	c.advance("1s")
	c.accept(o.ID)
	c.advance("1h")
	c.createCard("4444222233331111")

	all := c.events("")
	wantAll := []string{"source.chargeable", "source.created", "order.invoice.created", "order.accepted", "order.pending_payment", "customer.created", "sku.created"}
	if got := eventTypes(all.Data); !reflect.DeepEqual(got, wantAll) {
		t.Fatalf("GET /events: types %v, want newest first %v", got, wantAll)
	}
	if all.HasMore {
		t.Fatal("GET /events: hasMore with 7 events and the default limit 10")
	}
	at := map[string]time.Time{}
	for _, ev := range all.Data {
		at[ev.Type] = ev.CreatedTime
	}

	cases := []struct {
		name, query string
		want        []string
	}{
		{"type exact", "type=order.accepted", []string{"order.accepted"}},
		{"type wildcard", "type=order.*", []string{"order.invoice.created", "order.accepted", "order.pending_payment"}},
		{"type wildcard prefix", "type=*.created", []string{"source.created", "order.invoice.created", "customer.created", "sku.created"}},
		{"type without wildcard is exact", "type=order", []string{}},
		{"type unknown", "type=order.refunded", []string{}},
		{"types repeated", "types=sku.created&types=customer.created", []string{"customer.created", "sku.created"}},
		{"types comma", "types=sku.created,customer.created", []string{"customer.created", "sku.created"}},
		{"types mixed forms", "types=sku.created,order.accepted&types=source.created", []string{"source.created", "order.accepted", "sku.created"}},
		{"types with an unknown name", "types=order.accepted,order.refunded", []string{"order.accepted"}},
		{"createdTime gte", timeParam("createdTime[gte]", at["order.pending_payment"]), []string{"source.chargeable", "source.created", "order.invoice.created", "order.accepted", "order.pending_payment"}},
		{"createdTime gt", timeParam("createdTime[gt]", at["order.invoice.created"]), []string{"source.chargeable", "source.created"}},
		{"createdTime lt", timeParam("createdTime[lt]", at["customer.created"]), []string{"sku.created"}},
		{"createdTime lte", timeParam("createdTime[lte]", at["customer.created"]), []string{"customer.created", "sku.created"}},
		{"createdTime range", timeParam("createdTime[gte]", at["customer.created"]) + "&" + timeParam("createdTime[lt]", at["source.created"]),
			[]string{"order.invoice.created", "order.accepted", "order.pending_payment", "customer.created"}},
		{"type and createdTime", "type=order.*&" + timeParam("createdTime[gt]", at["order.pending_payment"]), []string{"order.invoice.created", "order.accepted"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := c.on(t).events("?" + tc.query)
			if types := eventTypes(got.Data); !reflect.DeepEqual(types, tc.want) {
				t.Fatalf("GET /events?%s: types %v, want %v", tc.query, types, tc.want)
			}
			if got.HasMore {
				t.Fatalf("GET /events?%s: hasMore on a short list", tc.query)
			}
		})
	}
}

func TestEventsPaginate(t *testing.T) {
	e := newEnv(t, 0)
	c := e.newAccount().secret
	for i := range 12 {
		c.createSKU("sku " + string(rune('A'+i)))
	}
	full := c.events("?types=sku.created&limit=100")
	if len(full.Data) != 12 || full.HasMore {
		t.Fatalf("limit=100: %d events, hasMore %v; want 12, false", len(full.Data), full.HasMore)
	}
	if def := c.events("?types=sku.created"); len(def.Data) != 10 || !def.HasMore {
		t.Fatalf("default limit: %d events, hasMore %v; want 10, true", len(def.Data), def.HasMore)
	}

	// Walk forward with startingAfter.
	var pages [][]event
	query := "?types=sku.created&limit=5"
	for {
		p := c.events(query)
		pages = append(pages, p.Data)
		if !p.HasMore {
			break
		}
		if len(pages) > 5 {
			t.Fatal("startingAfter walk does not end")
		}
		query = "?types=sku.created&limit=5&startingAfter=" + p.Data[len(p.Data)-1].ID
	}
	var sizes []int
	var walked []string
	for _, p := range pages {
		sizes = append(sizes, len(p))
		walked = append(walked, eventIDs(p)...)
	}
	if !reflect.DeepEqual(sizes, []int{5, 5, 2}) {
		t.Fatalf("page sizes %v, want [5 5 2]", sizes)
	}
	if !reflect.DeepEqual(walked, eventIDs(full.Data)) {
		t.Fatalf("pages joined give %v, want the full list %v", walked, eventIDs(full.Data))
	}

	// Walk back with endingBefore: the page just before the cursor.
	back := c.events("?types=sku.created&limit=5&endingBefore=" + pages[2][0].ID)
	if !reflect.DeepEqual(eventIDs(back.Data), eventIDs(pages[1])) || !back.HasMore {
		t.Fatalf("endingBefore page 3's first: %v hasMore %v; want page 2 %v and hasMore", eventIDs(back.Data), back.HasMore, eventIDs(pages[1]))
	}
	first := c.events("?types=sku.created&limit=5&endingBefore=" + pages[1][0].ID)
	if !reflect.DeepEqual(eventIDs(first.Data), eventIDs(pages[0])) || first.HasMore {
		t.Fatalf("endingBefore page 2's first: %v hasMore %v; want page 1 %v and no more", eventIDs(first.Data), first.HasMore, eventIDs(pages[0]))
	}
	if none := c.events("?types=sku.created&endingBefore=" + full.Data[0].ID); len(none.Data) != 0 || none.HasMore {
		t.Fatalf("endingBefore the newest: %d events, hasMore %v; want none", len(none.Data), none.HasMore)
	}
	if none := c.events("?types=sku.created&startingAfter=" + full.Data[11].ID); len(none.Data) != 0 || none.HasMore {
		t.Fatalf("startingAfter the oldest: %d events, hasMore %v; want none", len(none.Data), none.HasMore)
	}
	// An empty list is [] on the wire, not null.
	raw := c.must("GET", "/events?type=order.accepted", nil, http.StatusOK, nil)
	if !strings.Contains(string(raw), `"data":[]`) {
		t.Fatalf("empty list body %s, want \"data\":[]", raw)
	}
}

func TestEventsAreKeptThirtyDaysOnTheAccountClock(t *testing.T) {
	e := newEnv(t, 0)
	a := e.newAccount().secret
	other := e.newAccount().secret

	a.createSKU("old")
	other.createSKU("other account's")
	old := a.events("").Data[0]
	a.advance("719h")
	a.createSKU("mid")
	mid := a.events("?limit=1").Data[0]
	if got := eventIDs(a.events("").Data); !reflect.DeepEqual(got, []string{mid.ID, old.ID}) {
		t.Fatalf("after 719h: events %v, want [mid old]", got)
	}
	a.must("GET", "/events/"+old.ID, nil, http.StatusOK, nil)

	a.advance("2h") // old is now 721h old, mid 2h
	if got := eventIDs(a.events("").Data); !reflect.DeepEqual(got, []string{mid.ID}) {
		t.Fatalf("after 721h: events %v, want only [mid %s]", got, mid.ID)
	}
	if got := a.events("?type=sku.*&" + timeParam("createdTime[gte]", old.CreatedTime)); len(got.Data) != 1 {
		t.Fatalf("a createdTime filter brings back expired events: %v", eventTypes(got.Data))
	}
	a.mustError("GET", "/events/"+old.ID, nil, http.StatusNotFound, "not_found", "id")
	a.must("GET", "/events/"+mid.ID, nil, http.StatusOK, nil)

	// The other account's clock did not move: its event is still there,
	// until its own clock moves 721h.
	if got := other.events(""); len(got.Data) != 1 {
		t.Fatalf("other account: %d events, want its 1 (its clock never moved)", len(got.Data))
	}
	otherOld := other.events("").Data[0]
	other.advance("721h")
	other.createSKU("other account's new")
	if got := other.events(""); len(got.Data) != 1 || got.Data[0].ID == otherOld.ID {
		t.Fatalf("other account after 721h: %v, want only its new event", eventTypes(got.Data))
	}
	other.mustError("GET", "/events/"+otherOld.ID, nil, http.StatusNotFound, "not_found", "id")
}

func TestGetEventByID(t *testing.T) {
	e := newEnv(t, 0)
	c := e.newAccount().secret
	sku := c.createSKU("Widget")
	o := c.placeOrder(c.createCustomer("carol@example.test"), sku)
	c.accept(o.ID)

	for _, listed := range c.events("").Data {
		var fromList, byID map[string]any
		raw := c.must("GET", "/events/"+listed.ID, nil, http.StatusOK, &byID)
		listedRaw, _ := json.Marshal(listed)
		if err := json.Unmarshal(listedRaw, &fromList); err != nil {
			t.Fatal(err)
		}
		if byID["id"] != listed.ID || byID["type"] != listed.Type {
			t.Fatalf("GET /events/%s gave %s", listed.ID, raw)
		}
		for _, k := range []string{"id", "type", "createdTime", "liveMode", "digitalriverVersion", "webhookIds", "data"} {
			if _, ok := byID[k]; !ok {
				t.Fatalf("GET /events/%s: no %q in %s", listed.ID, k, raw)
			}
		}
		if !reflect.DeepEqual(byID["data"], fromList["data"]) {
			t.Fatalf("GET /events/%s data differs from the list's", listed.ID)
		}
	}
	accepted := c.events("?type=order.accepted").Data[0]
	var obj order
	accepted.object(t, &obj)
	if obj.ID != o.ID || obj.State != "accepted" {
		t.Fatalf("order.accepted carries order %s in state %s, want %s accepted", obj.ID, obj.State, o.ID)
	}
}

// A test clock never runs backwards nor past year 9999, a refused advance
// leaves it where it was, and an advance too small to show never fails.
func TestTestClockRefusesBadAdvances(t *testing.T) {
	e := newEnv(t, 0)
	c := e.newAccount().secret
	type view struct {
		ID         string    `json:"id"`
		FrozenTime time.Time `json:"frozenTime"`
		Status     string    `json:"status"`
	}
	start := time.Date(9999, 12, 1, 0, 0, 0, 0, time.UTC)
	var tc view
	c.must("POST", "/_sim/test-clocks", map[string]any{"frozenTime": start}, http.StatusCreated, &tc)
	if !tc.FrozenTime.Equal(start) || tc.Status != "ready" {
		t.Fatalf("created %+v, want frozen at %s and ready", tc, start)
	}
	path := "/_sim/test-clocks/" + tc.ID + "/advance"
	for name, body := range map[string]map[string]any{
		"back":                    {"frozenTime": start.Add(-time.Second)},
		"past 9999":               {"advance": "744h"},
		"further than a Duration": {"advance": "2562048h"},
		"longer than allowed":     {"advance": "87600h"},
		"negative":                {"advance": "-1h"},
	} {
		t.Run(name, func(t *testing.T) {
			status, raw := c.on(t).do("POST", path, body)
			if status != http.StatusBadRequest {
				t.Fatalf("%v: %d %s, want 400", body, status, raw)
			}
		})
	}
	var after view
	c.must("GET", "/_sim/test-clocks/"+tc.ID, nil, http.StatusOK, &after)
	if !after.FrozenTime.Equal(start) || after.Status != "ready" {
		t.Fatalf("after refused advances %+v, want %s and ready", after, start)
	}
	for i := 0; i < 10; i++ {
		c.must("POST", path, map[string]any{"advance": "1ns"}, http.StatusOK, &after)
	}
	if after.FrozenTime.Before(start) || after.FrozenTime.After(start.Add(time.Microsecond)) {
		t.Fatalf("after ten 1ns advances the clock is at %s, want %s", after.FrozenTime, start)
	}
	// Business still works at the far time, on the clock.
	var cu struct {
		ID          string    `json:"id"`
		CreatedTime time.Time `json:"createdTime"`
	}
	c.must("POST", "/_sim/test-clocks/"+tc.ID+"/customers", map[string]any{"email": "far@example.test"}, http.StatusCreated, &cu)
	if !cu.CreatedTime.Equal(after.FrozenTime) {
		t.Fatalf("customer created at %s, want the clock's %s", cu.CreatedTime, after.FrozenTime)
	}
}
