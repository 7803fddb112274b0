package delivery_test

import (
	"testing"
	"time"

	"github.com/drsim/drsim/simulator/internal/delivery"
	"github.com/drsim/drsim/simulator/internal/wire"
)

// The control API writes attempts and faults through wire.Marshal, which
// writes DR's objects with whole-second times and amounts with ".0"; an
// attempt keeps encoding/json's forms (nextRetryAt − time is a scaled
// backoff of milliseconds) and its field order.
func TestControlJSONForms(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	next := at.Add(6 * time.Millisecond)
	cases := []struct {
		name string
		v    any
		want string
	}{
		{"failed attempt", delivery.Attempt{
			Seq: 4, EventID: "ev_1", EventType: "order.accepted", WebhookID: "wh_1", Address: "http://m/hook",
			Attempt: 1, Time: at, Signature: "t=1, x", Forged: "stale", Fault: "flt_4", Duplicate: true,
			Error: "fault flt_4 injected", NextRetryAt: &next, LatencyMS: 2, RetryDelay: "1m0s",
		}, `{"seq":4,"eventId":"ev_1","eventType":"order.accepted","webhookId":"wh_1","address":"http://m/hook","attempt":1,"time":"2026-01-02T03:04:05Z","signature":"t=1, x","forged":"stale","fault":"flt_4","duplicate":true,"status":0,"delivered":false,"error":"fault flt_4 injected","nextRetryAt":"2026-01-02T03:04:05.006Z","latencyMs":2,"retryDelay":"1m0s"}`},
		{"delivered attempt", delivery.Attempt{
			Seq: 8, EventID: "ev_m", EventType: "order.accepted", WebhookID: "wh_1", Address: "http://m/hook",
			Attempt: 1, Time: at.Add(250 * time.Millisecond), Manual: true, Status: 200, Delivered: true,
			ResponseExcerpt: "ok", LatencyMS: 0.125,
		}, `{"seq":8,"eventId":"ev_m","eventType":"order.accepted","webhookId":"wh_1","address":"http://m/hook","attempt":1,"time":"2026-01-02T03:04:05.25Z","signature":"","manual":true,"status":200,"delivered":true,"responseExcerpt":"ok","latencyMs":0.125}`},
		{"page", delivery.AttemptPage{Data: []delivery.Attempt{{Seq: 1, Time: at, GaveUp: true, Parked: true, DisabledWebhook: true}}, Dropped: 3},
			`{"hasMore":false,"data":[{"seq":1,"eventId":"","eventType":"","webhookId":"","address":"","attempt":0,"time":"2026-01-02T03:04:05Z","signature":"","status":0,"delivered":false,"gaveUp":true,"parked":true,"disabledWebhook":true,"latencyMs":0}],"dropped":3}`},
		{"fault", delivery.Fault{ID: "flt_3", ObjectID: "o3", Hold: true, Released: 1, Done: true},
			`{"id":"flt_3","objectId":"o3","count":0,"hold":true,"used":0,"released":1,"done":true}`},
	}
	for _, tc := range cases {
		got, err := wire.Marshal(tc.v)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if string(got) != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}
