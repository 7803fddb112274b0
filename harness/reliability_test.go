package harness_test

import (
	"context"
	"testing"
)

// The webhook reliability steps arrange DR's faults and read its delivery
// attempts; each check passes on a merchant that behaves and says what it
// saw when it does not.
func TestReliabilityChecks(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	h := r.harness(t, "")

	t.Run("retried until delivered", func(t *testing.T) {
		sc := ordered(t, h)
		wantErr(t, "merchant down for 2", sc.AcceptOrderWhileMerchantDown(ctx, 2, 503))
		wantErr(t, "2 failures then a delivery", sc.ExpectRetriedUntilDelivered(ctx, "order.accepted", 2))
		wantErr(t, "4 attempts wanted", sc.ExpectRetriedUntilDelivered(ctx, "order.accepted", 3), "wait for 4 delivery attempt(s) of event")
	})

	t.Run("first delivery acknowledged, or too late", func(t *testing.T) {
		sc := ordered(t, h)
		wantErr(t, "accept", sc.AcceptOrder(ctx, ""))
		wantErr(t, "acknowledged", sc.ExpectAcknowledgedFirstTime(ctx, "order.accepted"))
		late := ordered(t, h)
		wantErr(t, "accept with a timeout", late.AcceptOrderWithTimeout(ctx))
		wantErr(t, "acknowledged late", late.ExpectAcknowledgedFirstTime(ctx, "order.accepted"), "was not acknowledged in time")
	})

	t.Run("delivered twice at once", func(t *testing.T) {
		sc := ordered(t, h)
		wantErr(t, "accept twice", sc.AcceptOrderDeliveredTwice(ctx))
		wantErr(t, "acknowledged", sc.ExpectAcknowledgedFirstTime(ctx, "order.accepted"))
	})

	t.Run("forged signatures rejected, unless the shop trusts anything", func(t *testing.T) {
		sc := ordered(t, h)
		wantErr(t, "forged accept", sc.AcceptOrder(ctx, "wrong-secret"))
		wantErr(t, "rejected", sc.ExpectRejected(ctx, "order.accepted"))
		r.shop.set(func(s *shop) { s.trusting = true })
		defer r.shop.set(func(s *shop) { s.trusting = false })
		gullible := ordered(t, h)
		wantErr(t, "forged accept", gullible.AcceptOrder(ctx, "tampered-body"))
		wantErr(t, "accepted a forgery", gullible.ExpectRejected(ctx, "order.accepted"), "the merchant accepted order.accepted", `"tampered-body"`)
	})

	t.Run("secret rotation", func(t *testing.T) {
		sc := ordered(t, h)
		wantErr(t, "nothing delivered by hand yet", sc.ExpectLastDeliveryAccepted(), "no manual delivery was made")
		wantErr(t, "accept", sc.AcceptOrder(ctx, ""))
		wantErr(t, "redeliver", sc.RedeliverDuringRotation(ctx, "order.accepted"))
		wantErr(t, "accepted with the old secret among the digests", sc.ExpectLastDeliveryAccepted())
	})

	t.Run("held and released", func(t *testing.T) {
		sc := ordered(t, h)
		wantErr(t, "release without a hold", sc.ReleaseOrderWebhooks(ctx, "reverse"), "no webhooks are held")
		wantErr(t, "hold", sc.HoldOrderWebhooks(ctx))
		wantErr(t, "accept", sc.AcceptOrder(ctx, ""))
		wantErr(t, "release", sc.ReleaseOrderWebhooks(ctx, "reverse"))
		wantErr(t, "acknowledged after the release", sc.ExpectAcknowledgedFirstTime(ctx, "order.accepted"))
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
			wantErr(t, name, err, "no order in this scenario yet")
		}
	})
}

// The harness's own evidence readers: the merchant's deliveries and API
// calls, the catalogue and the profile's name.
func TestEvidenceReaders(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	h := r.harness(t, "")
	sc := ordered(t, h)
	wantErr(t, "accept", sc.AcceptOrder(ctx, ""))
	wantErr(t, "acknowledged", sc.ExpectAcknowledgedFirstTime(ctx, "order.accepted"))
	calls, err := h.APICalls(ctx)
	if err != nil || len(calls) == 0 {
		t.Fatalf("APICalls = %d calls, %v; want the harness's own", len(calls), err)
	}
	for _, c := range calls {
		if c.Agent != "drsim-harness" {
			t.Errorf("call %s %s by %q, want the harness's agent", c.Method, c.Path, c.Agent)
		}
	}
	if h.MerchantName() != "Rig shop" || len(h.CatalogueEntries()) != len(r.cat.Notifications) {
		t.Errorf("MerchantName %q, %d catalogue entries; want the profile's name and the whole catalogue", h.MerchantName(), len(h.CatalogueEntries()))
	}
	if _, err := h.Deliveries(ctx, "evt_unknown"); err != nil {
		t.Errorf("deliveries of an unknown event: %v, want none listed", err)
	}
}
