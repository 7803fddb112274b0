package features_test

import (
	"context"
	"testing"

	"github.com/drsim/drsim/examples/merchant"
	"github.com/drsim/drsim/features"
	"github.com/drsim/drsim/internal/stack"
	"github.com/drsim/drsim/internal/suite"
)

// A merchant that sends the refund confirmation on refund.complete, as DR's
// refund docs also suggest, rather than on order.refunded (DR's
// notification table) is certified: the harness delivers refund.complete
// to it (catalogue alsoOn), and its email, sent before order.refunded may
// have reached it, counts as sent on the order.refunded recorded with it.
// With and without pinned subjects.
func TestRefundConfirmationOnRefundComplete(t *testing.T) {
	for _, pinned := range []bool{true, false} {
		name := "pinned"
		if !pinned {
			name = "unpinned"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, err := stack.Start(context.Background(), stack.Options{Merchant: merchant.StarterWith(func(c *merchant.Config) { c.RefundOn = "refund.complete" })})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if !pinned {
				s.Profile.Notifications = nil
			}
			res, err := suite.Run(suite.Options{Harness: s.Harness, Features: features.Files, Name: "(?i)refund"})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Scenarios) < 3 {
				t.Fatalf("%d scenarios ran, want the refund scenarios (3 or more)", len(res.Scenarios))
			}
			for _, sc := range res.Failed() {
				t.Errorf("FAIL %s:%d %s: %v", sc.Feature, sc.Line, sc.Name, sc.Err)
			}
		})
	}
}
