package harness

import (
	"context"

	"github.com/drsim/drsim/harness/catalogue"
)

// diagnose explains a missing email: what happened to the deliveries of
// the notification's trigger events, and what the merchant asked DR.
func (s *Scenario) diagnose(ctx context.Context, n *catalogue.Notification) string {
	return ""
}
