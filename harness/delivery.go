package harness

import (
	"context"
	"fmt"
)

// GiveUp is an event the simulator stopped retrying to the merchant's
// webhook: its retry budget was spent while the merchant did not answer 2xx.
type GiveUp struct {
	EventID   string
	EventType string
	Attempts  int
}

// DeliveryGiveUps reads how many events the simulator gave up delivering to
// the merchant's webhook, with the latest of them, for the run's report.
func (h *Harness) DeliveryGiveUps(ctx context.Context) (int, []GiveUp, error) {
	st, err := h.dr.WebhookDelivery(ctx, h.webhookID)
	if err != nil {
		return 0, nil, fmt.Errorf("read the webhook's delivery state: %w", err)
	}
	out := make([]GiveUp, len(st.GiveUps))
	for i, g := range st.GiveUps {
		out[i] = GiveUp{EventID: g.EventID, EventType: g.EventType, Attempts: g.Attempts}
	}
	return st.GaveUp, out, nil
}
