package state

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/drsim/drsim/simulator/client"
)

// reflectJSON is the event as encoding/json wrote it before recorded
// events kept their bytes: through Event.MarshalJSON's reflective path.
func reflectJSON(t testing.TB, e *Event) []byte {
	t.Helper()
	c := *e
	c.body = nil
	b, err := json.Marshal(&c)
	if err != nil {
		t.Fatalf("marshal event %s: %v", e.ID, err)
	}
	return b
}

// recordFor records one event of typ with obj and previous on a fresh
// account with webhooks subscribed to it, and returns it.
func recordFor(t testing.TB, hooks int, typ string, obj, previous any) *Event {
	t.Helper()
	s := NewStore(nil, func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 272054000, time.UTC) })
	a, _, _ := s.Lookup(s.CreateAccount().SecretKey)
	for range hooks {
		addr, types := "https://merchant.example/hooks", []string{typ}
		if _, err := a.CreateWebhook(WebhookParams{Address: &addr, Types: &types}); err != nil {
			t.Fatal(err)
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.events.at(a.record(typ, obj, previous))
}

// A recorded event's kept bytes are exactly what encoding/json writes for
// it (what webhooks carried before the bytes were kept, and what GET
// /events wrote): HTML characters, U+2028, non-ASCII, amounts, times,
// previous attributes, no webhooks and several.
func TestRecordedEventBytes(t *testing.T) {
	type address struct {
		Line1 string  `json:"line1"`
		City  string  `json:"city,omitempty"`
		Total float64 `json:"total"`
	}
	cases := []struct {
		name     string
		hooks    int
		typ      string
		obj      any
		previous any
	}{
		{"plain customer", 1, "customer.created", map[string]any{"id": "cus_1", "email": "alice@example.test", "createdTime": time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)}, nil},
		{"html and separators", 2, "order.accepted", map[string]any{"id": "o<1>", "note": "Tom & Jerry <b>\u2028\u2029", "totalAmount": 28.0}, nil},
		{"non-ASCII and escapes", 1, "customer.updated", address{Line1: "Königstraße 5 \"Hinterhaus\"\\\t", City: "Zürich é 日本", Total: 0.1 + 0.2}, map[string]any{"email": "old@example.test"}},
		{"no webhooks", 0, "order.complete", map[string]any{"id": "o2", "items": []any{1.5, "x", nil, true}}, nil},
		{"empty previous", 3, "subscription.updated", struct{}{}, struct{}{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev := recordFor(t, c.hooks, c.typ, c.obj, c.previous)
			want := reflectJSON(t, ev)
			got, err := ev.JSON()
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("kept bytes (err %v):\n%s\nencoding/json writes:\n%s", err, got, want)
			}
			if mj, _ := ev.MarshalJSON(); !bytes.Equal(mj, want) {
				t.Fatalf("MarshalJSON:\n%s\nwant:\n%s", mj, want)
			}
			if cp, _ := ev.copy().JSON(); !bytes.Equal(cp, want) {
				t.Fatalf("a copy's bytes:\n%s\nwant:\n%s", cp, want)
			}
		})
	}
}

// An event built by hand (no kept bytes) marshals as before.
func TestUnrecordedEventJSON(t *testing.T) {
	ev := &Event{Event: client.Event{ID: "ev_1", Type: "customer.created", CreatedTime: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Data: EventData{Object: json.RawMessage(`{"a": "<"}`)}}}
	got, err := ev.JSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"ev_1","type":"customer.created","liveMode":false,"digitalriverVersion":"","webhookIds":null,"data":{"object":{"a":"\u003c"}},"createdTime":"2026-01-02T03:04:05Z"}`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// Any strings in an event's object and envelope keep the two writings equal.
func FuzzRecordedEventBytes(f *testing.F) {
	for _, s := range []string{"plain", "<&>", "\u2028\u2029", "é\x00\x1f\"\\", "\xff\xfe invalid", "日本"} {
		f.Add(s, s, 1.5)
	}
	f.Fuzz(func(t *testing.T, typ, value string, amount float64) {
		if typ == "" {
			typ = "customer.created"
		}
		ev := recordFor(t, 1, typ, map[string]any{"id": value, "note": value, "totalAmount": amount}, map[string]any{"note": value})
		want := reflectJSON(t, ev)
		if got, _ := ev.JSON(); !bytes.Equal(got, want) {
			t.Fatalf("kept bytes:\n%q\nencoding/json writes:\n%q", got, want)
		}
	})
}
