package harness

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/drsim/drsim/simulator/client"
)

// addFault registers a delivery fault for the merchant's webhook.
func (s *Scenario) addFault(ctx context.Context, f client.Fault) (*client.Fault, error) {
	f.WebhookID = s.h.webhookID
	out, err := s.h.dr.AddFault(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("arrange a delivery fault %+v: %w", f, err)
	}
	return out, nil
}

// drDeliveryTimeout is how long DR waits for a webhook's answer
// (docs/webhooks.md); an attempt is recorded only when it ends.
const drDeliveryTimeout = 3 * time.Second

// attempts lists the delivery attempts of one event to the merchant's webhook,
// waiting until there are at least min: up to the email timeout, plus DR's
// delivery timeout, since a merchant that answers late makes an attempt
// that is recorded only when that timeout ends.
func (s *Scenario) attempts(ctx context.Context, eventID string, min int) ([]client.Attempt, error) {
	atts, err := s.h.dr.WaitDeliveries(ctx, client.AttemptFilter{EventID: eventID, WebhookID: s.h.webhookID}, min, s.h.cfg.Profile.EmailTimeout()+drDeliveryTimeout)
	if err != nil {
		return nil, fmt.Errorf("wait for %d delivery attempt(s) of event %s: %w", min, eventID, err)
	}
	return atts, nil
}

// AcceptOrderDeliveredTwice has DR accept the order and deliver
// order.accepted twice at the same moment (concurrent duplicates).
func (s *Scenario) AcceptOrderDeliveredTwice(ctx context.Context) error {
	o, err := s.currentOrder()
	if err != nil {
		return err
	}
	if _, err := s.addFault(ctx, client.Fault{EventType: "order.accepted", ObjectID: o.ID, Duplicate: true}); err != nil {
		return err
	}
	return s.accept(ctx, o)
}

// AcceptOrderWhileMerchantDown has DR accept the order while the merchant's
// endpoint answers status to the first n deliveries of order.accepted; DR
// retries on its schedule.
func (s *Scenario) AcceptOrderWhileMerchantDown(ctx context.Context, n, status int) error {
	o, err := s.currentOrder()
	if err != nil {
		return err
	}
	if _, err := s.addFault(ctx, client.Fault{EventType: "order.accepted", ObjectID: o.ID, Status: status, Count: n}); err != nil {
		return err
	}
	return s.accept(ctx, o)
}

// AcceptOrderWithTimeout has DR accept the order and treat the merchant's
// answer to the first delivery as too late (as if slower than DR's timeout).
func (s *Scenario) AcceptOrderWithTimeout(ctx context.Context) error {
	o, err := s.currentOrder()
	if err != nil {
		return err
	}
	if _, err := s.addFault(ctx, client.Fault{EventType: "order.accepted", ObjectID: o.ID, Timeout: true}); err != nil {
		return err
	}
	return s.accept(ctx, o)
}

// HoldOrderWebhooks has DR hold every webhook about the current order until
// ReleaseOrderWebhooks.
func (s *Scenario) HoldOrderWebhooks(ctx context.Context) error {
	o, err := s.currentOrder()
	if err != nil {
		return err
	}
	f, err := s.addFault(ctx, client.Fault{ObjectID: o.ID, Hold: true})
	if err != nil {
		return err
	}
	s.hold = f
	return nil
}

// ReleaseOrderWebhooks releases the held webhooks in order ("fifo",
// "reverse" or "shuffle") once every event about the order that the webhook
// subscribes to is held.
func (s *Scenario) ReleaseOrderWebhooks(ctx context.Context, order string) error {
	f := s.hold
	if f == nil {
		return fmt.Errorf("no webhooks are held; add a step like `Given Digital River holds the webhooks about the order`")
	}
	n := 0
	for _, typ := range s.h.cfg.Catalogue.Triggers() {
		evs, err := s.orderEvents(ctx, typ)
		if err != nil {
			return err
		}
		n += len(evs)
	}
	if n == 0 {
		return fmt.Errorf("no webhook about order %s to release", s.order.ID)
	}
	if _, err := s.h.dr.WaitFaultHeld(ctx, f.ID, n, s.h.cfg.Profile.EmailTimeout()); err != nil {
		return fmt.Errorf("wait for the %d webhooks about order %s to be held: %w", n, s.order.ID, err)
	}
	if _, err := s.h.dr.ReleaseFault(ctx, f.ID, order); err != nil {
		return fmt.Errorf("release the held webhooks: %w", err)
	}
	return nil
}

// RedeliverDuringRotation delivers the current order's event of type typ
// again signed as during a secret rotation (forge "rotating": first a
// digest with a new secret the merchant does not know yet, then one with
// the secret it knows). It changes nothing other scenarios' deliveries use,
// so it runs in parallel with them. It returns once the merchant answered.
func (s *Scenario) RedeliverDuringRotation(ctx context.Context, typ string) error {
	ev, err := s.orderEvent(ctx, typ)
	if err != nil {
		return err
	}
	atts, err := s.h.dr.Redeliver(ctx, ev.ID, client.RedeliverParams{WebhookID: s.h.webhookID, Forge: client.ForgeRotating})
	if err != nil {
		return fmt.Errorf("deliver %s during the rotation: %w", typ, err)
	}
	s.lastAttempts = atts
	return nil
}

// ExpectLastDeliveryAccepted checks that the merchant answered 2xx to the
// last manual delivery.
func (s *Scenario) ExpectLastDeliveryAccepted() error {
	atts := s.lastAttempts
	if len(atts) == 0 {
		return fmt.Errorf("no manual delivery was made in this scenario")
	}
	for _, a := range atts {
		if !a.Delivered {
			return fmt.Errorf("the merchant answered %d to a delivery signed with the new and the old secret (%s); want 2xx while the old secret is valid", a.Status, a.Error)
		}
	}
	return nil
}

// ExpectAcknowledgedFirstTime checks that the merchant acknowledged the
// first delivery of the current order's event of type typ within DR's timeout.
func (s *Scenario) ExpectAcknowledgedFirstTime(ctx context.Context, typ string) error {
	ev, err := s.orderEvent(ctx, typ)
	if err != nil {
		return err
	}
	atts, err := s.attempts(ctx, ev.ID, 1)
	if err != nil {
		return err
	}
	first := atts[0]
	if !first.Delivered {
		why := fmt.Sprintf("answered %d", first.Status)
		if first.Error != "" {
			why = first.Error
		}
		return fmt.Errorf("the first delivery of %s %s was not acknowledged in time: %s", typ, ev.ID, why)
	}
	return nil
}

// ExpectRetriedUntilDelivered checks that the current order's event of type
// typ failed at least failures times and then was delivered.
func (s *Scenario) ExpectRetriedUntilDelivered(ctx context.Context, typ string, failures int) error {
	ev, err := s.orderEvent(ctx, typ)
	if err != nil {
		return err
	}
	atts, err := s.attempts(ctx, ev.ID, failures+1)
	if err != nil {
		return err
	}
	var seen []string
	failed := 0
	for _, a := range atts {
		seen = append(seen, fmt.Sprintf("#%d %d %v", a.Attempt, a.Status, a.Delivered))
		if a.Delivered {
			if failed >= failures {
				return nil
			}
			break
		}
		failed++
	}
	return fmt.Errorf("%s %s: want %d failed attempt(s) then a delivery, saw %s", typ, ev.ID, failures, strings.Join(seen, ", "))
}
