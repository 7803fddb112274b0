package harness

import (
	"context"
	"fmt"
	"net/url"
)

// GiveUp is an event the simulator stopped retrying to the merchant's
// webhook: its retry budget was spent while the merchant did not answer 2xx.
type GiveUp struct {
	EventID   string `json:"eventId"`
	EventType string `json:"eventType"`
	Attempts  int    `json:"attempts"`
}

// DeliveryGiveUps reads how many events the simulator gave up delivering to
// the merchant's webhook, with the latest of them, for the run's report.
func (h *Harness) DeliveryGiveUps(ctx context.Context) (int, []GiveUp, error) {
	var st struct {
		GaveUp  int      `json:"gaveUp"`
		GiveUps []GiveUp `json:"giveUps"`
	}
	if err := h.dr.do(ctx, "GET", "/_sim/webhooks/"+url.PathEscape(h.webhookID)+"/delivery", nil, &st); err != nil {
		return 0, nil, fmt.Errorf("read the webhook's delivery state: %w", err)
	}
	return st.GaveUp, st.GiveUps, nil
}
