package harness_test

import (
	"context"
	"github.com/drsim/drsim/internal/testrig"
	"testing"
)

// The webhook reliability steps arrange DR's faults and read its delivery
// attempts; each check passes on a merchant that behaves and says what it
// saw when it does not.
func TestReliabilityChecks(t *testing.T) {
	ctx := context.Background()
	r := testrig.New(t)
	h := r.Harness(t, "")

	t.Run("retried until delivered", func(t *testing.T) {
		sc := testrig.Ordered(t, h)
		testrig.WantErr(t, "merchant down for 2", sc.AcceptOrderWhileMerchantDown(ctx, 2, 503))
		testrig.WantErr(t, "2 failures then a delivery", sc.ExpectRetriedUntilDelivered(ctx, "order.accepted", 2))
		testrig.WantErr(t, "4 attempts wanted", sc.ExpectRetriedUntilDelivered(ctx, "order.accepted", 3), "wait for 4 delivery attempt(s) of event")
	})

	t.Run("first delivery acknowledged, or too late", func(t *testing.T) {
		sc := testrig.Ordered(t, h)
		testrig.WantErr(t, "accept", sc.AcceptOrder(ctx, ""))
		testrig.WantErr(t, "acknowledged", sc.ExpectAcknowledgedFirstTime(ctx, "order.accepted"))
		late := testrig.Ordered(t, h)
		testrig.WantErr(t, "accept with a timeout", late.AcceptOrderWithTimeout(ctx))
		testrig.WantErr(t, "acknowledged late", late.ExpectAcknowledgedFirstTime(ctx, "order.accepted"), "was not acknowledged in time")
	})

	t.Run("delivered twice at once", func(t *testing.T) {
		sc := testrig.Ordered(t, h)
		testrig.WantErr(t, "accept twice", sc.AcceptOrderDeliveredTwice(ctx))
		testrig.WantErr(t, "acknowledged", sc.ExpectAcknowledgedFirstTime(ctx, "order.accepted"))
	})

	t.Run("forged signatures rejected, unless the shop trusts anything", func(t *testing.T) {
		sc := testrig.Ordered(t, h)
		testrig.WantErr(t, "forged accept", sc.AcceptOrder(ctx, "wrong-secret"))
		testrig.WantErr(t, "rejected", sc.ExpectRejected(ctx, "order.accepted"))
		r.Shop.Set(func(s *testrig.Shop) { s.Trusting = true })
		defer r.Shop.Set(func(s *testrig.Shop) { s.Trusting = false })
		gullible := testrig.Ordered(t, h)
		testrig.WantErr(t, "forged accept", gullible.AcceptOrder(ctx, "tampered-body"))
		testrig.WantErr(t, "accepted a forgery", gullible.ExpectRejected(ctx, "order.accepted"), "the merchant accepted order.accepted", `"tampered-body"`)
	})

	t.Run("secret rotation", func(t *testing.T) {
		sc := testrig.Ordered(t, h)
		testrig.WantErr(t, "nothing delivered by hand yet", sc.ExpectLastDeliveryAccepted(), "no manual delivery was made")
		testrig.WantErr(t, "accept", sc.AcceptOrder(ctx, ""))
		testrig.WantErr(t, "redeliver", sc.RedeliverDuringRotation(ctx, "order.accepted"))
		testrig.WantErr(t, "accepted with the old secret among the digests", sc.ExpectLastDeliveryAccepted())
	})

	t.Run("held and released", func(t *testing.T) {
		sc := testrig.Ordered(t, h)
		testrig.WantErr(t, "release without a hold", sc.ReleaseOrderWebhooks(ctx, "reverse"), "no webhooks are held")
		testrig.WantErr(t, "hold", sc.HoldOrderWebhooks(ctx))
		testrig.WantErr(t, "accept", sc.AcceptOrder(ctx, ""))
		testrig.WantErr(t, "release", sc.ReleaseOrderWebhooks(ctx, "reverse"))
		testrig.WantErr(t, "acknowledged after the release", sc.ExpectAcknowledgedFirstTime(ctx, "order.accepted"))
	})

	t.Run("no order yet", func(t *testing.T) {
		sc := h.NewScenario(t.Name())
		for name, err := range map[string]error{
			"down":      sc.AcceptOrderWhileMerchantDown(ctx, 1, 500),
			"timeout":   sc.AcceptOrderWithTimeout(ctx),
			"twice":     sc.AcceptOrderDeliveredTwice(ctx),
			"hold":      sc.HoldOrderWebhooks(ctx),
			"rotation":  sc.RedeliverDuringRotation(ctx, "order.accepted"),
			"first":     sc.ExpectAcknowledgedFirstTime(ctx, "order.accepted"),
			"retried":   sc.ExpectRetriedUntilDelivered(ctx, "order.accepted", 1),
			"rejected":  sc.ExpectRejected(ctx, "order.accepted"),
			"accept":    sc.AcceptOrder(ctx, ""),
			"state":     sc.ExpectOrderState(ctx, "accepted"),
			"refund":    sc.Refund(ctx, 0),
			"redeliver": sc.Redeliver(ctx, "order.accepted", ""),
		} {
			testrig.WantErr(t, name, err, "no order in this scenario yet")
		}
	})
}

// The harness's own evidence readers: the merchant's deliveries and API
// calls, the catalogue and the profile's name.
func TestEvidenceReaders(t *testing.T) {
	ctx := context.Background()
	r := testrig.New(t)
	h := r.Harness(t, "")
	sc := testrig.Ordered(t, h)
	testrig.WantErr(t, "accept", sc.AcceptOrder(ctx, ""))
	testrig.WantErr(t, "acknowledged", sc.ExpectAcknowledgedFirstTime(ctx, "order.accepted"))
	calls, err := h.APICalls(ctx)
	if err != nil || len(calls) == 0 {
		t.Fatalf("APICalls = %d calls, %v; want the harness's own", len(calls), err)
	}
	for _, c := range calls {
		if c.Agent != "drsim-harness" {
			t.Errorf("call %s %s by %q, want the harness's agent", c.Method, c.Path, c.Agent)
		}
	}
	if h.MerchantName() != "Rig shop" || len(h.CatalogueEntries()) != len(r.Catalogue.Notifications) {
		t.Errorf("MerchantName %q, %d catalogue entries; want the profile's name and the whole catalogue", h.MerchantName(), len(h.CatalogueEntries()))
	}
	if _, err := h.Deliveries(ctx, "evt_unknown"); err != nil {
		t.Errorf("deliveries of an unknown event: %v, want none listed", err)
	}
}
