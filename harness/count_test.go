package harness_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/smtp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drsim/drsim/harness"
	"github.com/drsim/drsim/harness/profile"
	"github.com/drsim/drsim/internal/testrig"
	"github.com/drsim/drsim/simulator/client"
)

// acceptedOrder is an order.accepted event's order, as the test shops read it.
type acceptedOrder struct {
	ID, Email                                           string
	TotalTax, TotalDiscount, TotalShipping, TotalAmount float64
	Items                                               []struct {
		Quantity       int
		Amount         float64
		ProductDetails struct{ Name string }
	}
}

// readAccepted reads body's order when it is an order.accepted event.
func readAccepted(body []byte) (acceptedOrder, bool) {
	var ev struct {
		Type string
		Data struct{ Object acceptedOrder }
	}
	if json.Unmarshal(body, &ev) != nil || ev.Type != "order.accepted" {
		return acceptedOrder{}, false
	}
	return ev.Data.Object, true
}

// confirmer is a shop's OnEvent that emails copies order confirmations
// for each order.accepted it receives, each showing everything the
// catalogue requires of one.
func confirmer(r *testrig.Rig, copies int) func(context.Context, []byte) {
	return func(ctx context.Context, body []byte) {
		o, ok := readAccepted(body)
		if !ok {
			return
		}
		var b strings.Builder
		fmt.Fprintf(&b, "To: %s\r\nFrom: shop@example.test\r\nSubject: Order confirmation %s\r\n\r\nThank you for order %s.\r\n", o.Email, o.ID, o.ID)
		for _, it := range o.Items {
			fmt.Fprintf(&b, "%d x %s $%.2f\r\n", it.Quantity, it.ProductDetails.Name, it.Amount)
		}
		fmt.Fprintf(&b, "Tax: $%.2f\r\nDiscount: $%.2f\r\nShipping: $%.2f\r\nTotal: $%.2f\r\n", o.TotalTax, o.TotalDiscount, o.TotalShipping, o.TotalAmount)
		for range copies {
			_ = smtp.SendMail(r.SMTP, nil, "shop@example.test", []string{o.Email}, []byte(b.String()))
		}
	}
}

// A wrong count names its likely cause: several emails for one event (sent
// twice, or not deduplicated when DR delivered the event again), an email
// for each of more events than expected, or an event acknowledged with no
// email.
func TestWrongCountNamesTheLikelyCause(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		copies    int
		redeliver bool
		want      int
		says      []string
	}{
		{"two emails for one delivery", 2, false, 1, []string{
			"got 2", "likely cause: 2 emails answer one order.accepted event, ", "which the merchant received once: it sends this email more than once per event",
			"answers order.accepted ", "deliveries of order.accepted ", "attempt 1 to "}},
		{"an email for each delivery of one event", 1, true, 1, []string{
			"got 2", "which Digital River delivered 2 times: the merchant does not deduplicate by event id", "must be idempotent", "(a manual redelivery)"}},
		{"an email where none is expected", 1, false, 0, []string{
			"got 1", "likely cause: the merchant sent order confirmation for 1 order.accepted event(s) about order", "where the step expects none", "does the merchant check that condition before sending it?"}},
		{"no email for an acknowledged event", 0, false, 1, []string{
			"likely cause: the merchant acknowledged order.accepted (1 of 1 deliveries) but sent no matching email",
			"order.accepted events about order", "that no email answers: ", "attempt 1 to "}},
		{"fewer events than emails expected", 1, false, 2, []string{
			"got 1", "likely cause: every order.accepted event about order", "(1) has its email: the scenario's steps made fewer order.accepted events"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := testrig.New(t)
			r.Shop.Set(func(s *testrig.Shop) { s.OnEvent = confirmer(r, tc.copies) })
			h := r.Harness(t, "")
			sc := testrig.Ordered(t, h)
			testrig.WantErr(t, "accept", sc.AcceptOrder(ctx, ""))
			if tc.redeliver {
				testrig.WantErr(t, "redeliver", sc.Redeliver(ctx, "order.accepted", ""))
			}
			testrig.WantErr(t, "count", sc.ExpectCount(ctx, "Alice", "order-confirmation", tc.want), tc.says...)
			// The report keeps every email of the wrong count, with its event.
			sent := tc.copies
			if tc.redeliver {
				sent *= 2
			}
			ev := sc.Emails()
			if len(ev) != sent {
				t.Fatalf("%d emails recorded as evidence, want the %d sent", len(ev), sent)
			}
			for _, e := range ev {
				if e.EventType != "order.accepted" || e.EventID == "" || e.Err == nil || e.Message == nil {
					t.Errorf("evidence %+v: want the email, its order.accepted event and the count's error", e)
				}
			}
		})
	}
}

// The right count passes against the same shop.
func TestRightCountPasses(t *testing.T) {
	ctx := context.Background()
	r := testrig.New(t)
	r.Shop.Set(func(s *testrig.Shop) { s.OnEvent = confirmer(r, 1) })
	sc := testrig.Ordered(t, r.Harness(t, ""))
	testrig.WantErr(t, "accept", sc.AcceptOrder(ctx, ""))
	testrig.WantErr(t, "count", sc.ExpectCount(ctx, "Alice", "order-confirmation", 1))
}

// With a pinned subject, an email counted by its subject alone that
// answers no event is named as such.
func TestCountBySubjectNamesEmailsOfNoEvent(t *testing.T) {
	ctx := context.Background()
	r := testrig.New(t)
	confirm := confirmer(r, 1)
	r.Shop.Set(func(s *testrig.Shop) {
		s.OnEvent = func(ctx context.Context, body []byte) {
			confirm(ctx, body)
			var ev struct {
				Type string
				Data struct{ Object struct{ Email string } }
			}
			if json.Unmarshal(body, &ev) == nil && ev.Type == "order.accepted" && ev.Data.Object.Email != "" {
				msg := "To: " + ev.Data.Object.Email + "\r\nFrom: shop@example.test\r\nSubject: Order confirmation survey\r\n\r\nHow did we do?\r\n"
				_ = smtp.SendMail(r.SMTP, nil, "shop@example.test", []string{ev.Data.Object.Email}, []byte(msg))
			}
		}
	})
	sc := testrig.Ordered(t, r.Harness(t, "notifications: {order-confirmation: {subject: '^Order confirmation'}}\n"))
	testrig.WantErr(t, "accept", sc.AcceptOrder(ctx, ""))
	testrig.WantErr(t, "count", sc.ExpectCount(ctx, "Alice", "order-confirmation", 1),
		"got 2", "likely cause: 1 of the 2 emails show no order.accepted event's required attributes: the profile's subject pattern for order-confirmation counts emails",
		`"Order confirmation survey" at `, "shows no order.accepted event's required attributes (counted by the profile's subject pattern)")
}

// A notification the merchant sends on its own (a delay notice: no DR
// event) counted wrong names that, and the emails counted are evidence.
func TestWrongCountOfAMerchantSideNotification(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name         string
		copies, want int
		says         []string
	}{
		{"sent twice", 2, 1, []string{"got 2", "likely cause: the merchant sends delayed shipment itself (no Digital River event triggers it), and sent 2 for order ", "where the scenario's steps ask for 1", `"Shipment delayed: order `}},
		{"sent once of two", 1, 2, []string{"got 1", "and sent 1 of the 2 the scenario's steps ask for"}},
		{"not sent", 0, 1, []string{"likely cause: the merchant sends delayed shipment itself", "and sent none for order ", "it should be the order's email, "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := testrig.New(t)
			r.Shop.Set(func(s *testrig.Shop) {
				s.Portal = func(w http.ResponseWriter, req *http.Request) {
					var a struct{ Order, Date string }
					_ = json.NewDecoder(req.Body).Decode(&a)
					o, err := client.New(r.Sim.URL(), r.Key).Order(req.Context(), a.Order)
					if err != nil {
						http.Error(w, err.Error(), http.StatusBadGateway)
						return
					}
					msg := fmt.Sprintf("To: %s\r\nFrom: shop@example.test\r\nSubject: Shipment delayed: order %s\r\n\r\nOrder %s now ships on %s.\r\nYou may cancel: https://shop.example.test/cancel/%s\r\n", o.Email, o.ID, o.ID, a.Date, o.ID)
					for range tc.copies {
						_ = smtp.SendMail(r.SMTP, nil, "shop@example.test", []string{o.Email}, []byte(msg))
					}
					w.WriteHeader(http.StatusNoContent)
				}
			})
			h := r.Harness(t, "actions:\n  reportDelay: {path: /portal/delay, json: '{\"order\":{{json .Order.ID}},\"date\":{{json .NewDate}}}'}\n")
			sc := testrig.Ordered(t, h)
			testrig.WantErr(t, "accept", sc.AcceptOrder(ctx, ""))
			testrig.WantErr(t, "delay", sc.ReportDelay(ctx, "2026-12-24"))
			testrig.WantErr(t, "count", sc.ExpectCount(ctx, "Alice", "delayed-shipment", tc.want), tc.says...)
			if ev := sc.Emails(); len(ev) != tc.copies {
				t.Errorf("%d emails recorded as evidence, want the %d sent", len(ev), tc.copies)
			}
		})
	}
}

// An email for an event whose every delivery the merchant refused (a
// forged signature) says the merchant acts before verifying, not that the
// scenario made more events than meant.
func TestEmailForARefusedWebhookSaysItActsBeforeVerifying(t *testing.T) {
	ctx := context.Background()
	r := testrig.New(t)
	confirm := confirmer(r, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		confirm(req.Context(), body)                            // acts first…
		http.Error(w, "bad signature", http.StatusUnauthorized) // …then refuses
	}))
	defer srv.Close()
	key := fmt.Sprintf("sk_test_refused%d", time.Now().UnixNano())
	p, err := profile.Parse("p.yaml", []byte(fmt.Sprintf("webhook: {url: %q, signingSecret: %s}\napi: {secretKey: %s}\ntimeouts: {email: 1s, quiet: 200ms}\n", srv.URL, testrig.Secret, key)))
	if err != nil {
		t.Fatal(err)
	}
	h, err := harness.New(ctx, harness.Config{Profile: p, Catalogue: r.Catalogue, SimulatorURL: r.Sim.URL(), Mailbox: r.Mailbox})
	if err != nil {
		t.Fatal(err)
	}
	sc := testrig.Ordered(t, h)
	testrig.WantErr(t, "forged accept", sc.AcceptOrder(ctx, "wrong-secret"))
	testrig.WantErr(t, "no email", sc.ExpectCount(ctx, "Alice", "order-confirmation", 0),
		"got 1", "likely cause: the merchant refused every delivery of order.accepted ", "yet emailed for it: it acts on a webhook before, or without, verifying it", "(signature forged: wrong-secret)")
}

// A merchant that confirms the order when it is placed (order.pending_payment)
// and again when DR accepts it sends two confirmations; counted, the
// failure says the first arrived before Digital River sent order.accepted
// (sent on another event), not that the merchant does not deduplicate.
func TestCountNamesAnEmailSentBeforeItsEvent(t *testing.T) {
	ctx := context.Background()
	r := testrig.New(t)
	confirm := confirmer(r, 1)
	early := make(chan struct{}, 1)
	r.Shop.Set(func(s *testrig.Shop) {
		s.OnEvent = func(ctx context.Context, body []byte) {
			var ev map[string]any
			if json.Unmarshal(body, &ev) != nil || ev["type"] != "order.pending_payment" {
				confirm(ctx, body)
				return
			}
			ev["type"] = "order.accepted" // the same order, confirmed before DR accepted it
			body, _ = json.Marshal(ev)
			confirm(ctx, body)
			early <- struct{}{}
		}
	})
	sc := testrig.Ordered(t, r.Harness(t, ""))
	select { // the early confirmation is sent before DR accepts the order
	case <-early:
	case <-time.After(10 * time.Second):
		t.Fatal("no order.pending_payment reached the shop in 10s")
	}
	testrig.WantErr(t, "accept", sc.AcceptOrder(ctx, ""))
	testrig.WantErr(t, "count", sc.ExpectCount(ctx, "Alice", "order-confirmation", 1),
		"got 2", "likely cause: the email arrived before Digital River sent order.accepted, so the merchant sent the order confirmation on another event",
		"arrived before Digital River sent it", "answers order.accepted ")
}

// A merchant that deduplicates by event id, but whose worker pool sends the
// confirmation it wrongly sends on order.pending_payment only after DR
// delivered order.accepted (twice): both emails arrive after order.accepted,
// so arrival cannot tell them apart, and the failure names the other event
// about the order beside the missing deduplication.
func TestCountNamesAnotherEventBesideDeduplication(t *testing.T) {
	ctx := context.Background()
	r := testrig.New(t)
	confirm := confirmer(r, 1)
	var mu sync.Mutex
	var pending []byte
	seen := map[string]bool{}
	held := make(chan struct{}, 1)
	r.Shop.Set(func(s *testrig.Shop) {
		s.OnEvent = func(ctx context.Context, body []byte) {
			var ev map[string]any
			if json.Unmarshal(body, &ev) != nil {
				return
			}
			id, _ := ev["id"].(string)
			mu.Lock()
			dup := seen[id]
			seen[id] = true
			if ev["type"] == "order.pending_payment" {
				ev["type"] = "order.accepted" // the same order, confirmed on the wrong event
				pending, _ = json.Marshal(ev)
				mu.Unlock()
				held <- struct{}{}
				return
			}
			late := pending
			pending = nil
			mu.Unlock()
			if dup {
				return
			}
			confirm(ctx, body)
			if late != nil {
				confirm(ctx, late)
			}
		}
	})
	sc := testrig.Ordered(t, r.Harness(t, ""))
	select {
	case <-held:
	case <-time.After(10 * time.Second):
		t.Fatal("no order.pending_payment reached the shop in 10s")
	}
	testrig.WantErr(t, "accept", sc.AcceptOrderDeliveredTwice(ctx))
	testrig.WantErr(t, "count", sc.ExpectCount(ctx, "Alice", "order-confirmation", 1),
		"got 2", "which Digital River delivered 2 times: the merchant does not deduplicate by event id",
		"or, if it does deduplicate, it sent one of them on another event about the order, order.pending_payment ", "send the order confirmation on order.accepted only")
}
