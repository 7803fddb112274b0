package harness

import (
	"strings"
	"testing"

	"github.com/drsim/drsim/simulator/client"
)

// An event not delivered yet is explained by the webhook: disabled, or a
// queue behind a merchant whose answers come after the delivery timeout
// (a merchant acknowledging in 1.5 s against certify's 1 s was told "a
// held or slow delivery?").
func TestUndeliveredCause(t *testing.T) {
	timeout := client.Attempt{Error: `Post "http://127.0.0.1:8093/hook": no answer within 3s (DR's delivery timeout): context deadline exceeded`}
	ok := client.Attempt{Status: 200, Delivered: true}
	for _, tc := range []struct {
		name   string
		wd     client.WebhookDelivery
		recent []client.Attempt
		want   string
	}{
		{"disabled", client.WebhookDelivery{DisabledReason: "failed 5 in a row for 24h"}, nil, "the webhook is disabled (failed 5 in a row for 24h)"},
		{"slow merchant", client.WebhookDelivery{Enabled: true, Queued: 40, WaitingRetry: 3}, []client.Attempt{ok, timeout, timeout, timeout},
			"43 events wait for the webhook (3 of them for a retry), and 3 of its last 4 deliveries got no answer within the delivery timeout: the merchant answers too slowly"},
		{"queue", client.WebhookDelivery{Enabled: true, Queued: 2}, []client.Attempt{ok, ok}, "2 events wait for the webhook before it"},
		{"nothing waits", client.WebhookDelivery{Enabled: true}, []client.Attempt{timeout}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := undeliveredCause("order.accepted", &tc.wd, tc.recent)
			if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
				t.Errorf("undeliveredCause = %q, want it to say %q", got, tc.want)
			}
		})
	}
}
