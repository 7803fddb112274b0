package harness_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/smtp"
	"strings"
	"testing"

	"github.com/drsim/drsim/harness"
	"github.com/drsim/drsim/harness/catalogue"
	"github.com/drsim/drsim/harness/mailbox"
	"github.com/drsim/drsim/harness/profile"
	"github.com/drsim/drsim/internal/testrig"
	"github.com/drsim/drsim/simulator"
	"github.com/drsim/drsim/simulator/client"
)

// bobAt is a scenario with customer Bob, for a merchant whose webhook is
// hook and whose key is key, waiting 1 s for an email.
func bobAt(ctx context.Context, t *testing.T, sim *simulator.Server, mb *mailbox.Client, cat *catalogue.Catalogue, hook, key string) *harness.Scenario {
	t.Helper()
	p, err := profile.Parse("p.yaml", []byte(fmt.Sprintf("webhook: {url: %q, signingSecret: whsec_x}\napi: {secretKey: %s}\ntimeouts: {email: 1s}\n", hook, key)))
	if err != nil {
		t.Fatal(err)
	}
	h, err := harness.New(ctx, harness.Config{Profile: p, Catalogue: cat, SimulatorURL: sim.URL(), Mailbox: mb})
	if err != nil {
		t.Fatal(err)
	}
	sc := h.NewScenario(t.Name())
	if _, err := sc.CreateCustomer(ctx, "Bob"); err != nil {
		t.Fatal(err)
	}
	return sc
}

// A missing email is explained by what happened to its trigger's deliveries.
func TestMissingEmailNamesTheLikelyCause(t *testing.T) {
	ctx := context.Background()
	sim, mb, cat := testrig.Services(t, simulator.Options{})
	// A merchant whose secret differs from the profile's: it refuses every delivery.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad signature", http.StatusUnauthorized)
	}))
	defer srv.Close()
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()
	for _, tc := range []struct{ name, hook, key, want string }{
		{"wrong secret", srv.URL + "/hook", "sk_test_diagnose0000000000", "answered 401/403 to all"},
		{"merchant down", downURL + "/hook", "sk_test_diagnose1111111111", "is the merchant running, and is webhook.url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := bobAt(ctx, t, sim, mb, cat, tc.hook, tc.key)
			if _, err := sc.PlaceOrder(ctx, "Bob", harness.OrderSpec{Currency: "USD", Lines: []harness.Line{{Product: "Widget", Quantity: 1, Price: 10}}}); err != nil {
				t.Fatal(err)
			}
			if err := sc.AcceptOrder(ctx, ""); err != nil {
				t.Fatal(err)
			}
			err := sc.ExpectNotification(ctx, "Bob", "order-confirmation")
			if err == nil {
				t.Fatal("no error for an email that never came")
			}
			for _, want := range []string{"likely cause: ", tc.want, "deliveries of order.accepted", "attempt 1 to " + tc.hook} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not mention %q:\n%v", want, err)
				}
			}
		})
	}
}

// The diagnosis of a missing email lists the merchant's API calls about
// the trigger event's objects only: scenarios run at once on one account,
// and another scenario's calls are no evidence about this one.
func TestMissingEmailListsOnlyTheEventsCalls(t *testing.T) {
	ctx := context.Background()
	sim, mb, cat := testrig.Services(t, simulator.Options{})
	const key = "sk_test_diagnose2222222222"
	dr := client.New(sim.URL(), key)
	// A merchant that reads the accepted order, and something else, and
	// sends no email.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			Type string
			Data struct{ Object struct{ ID string } }
		}
		_ = json.NewDecoder(r.Body).Decode(&ev)
		if ev.Type == "order.accepted" {
			_, _ = dr.Order(r.Context(), ev.Data.Object.ID)
			_, _ = dr.Customer(r.Context(), "999999990336")
		}
	}))
	defer srv.Close()
	sc := bobAt(ctx, t, sim, mb, cat, srv.URL, key)
	o, err := sc.PlaceOrder(ctx, "Bob", harness.OrderSpec{Currency: "USD", Lines: []harness.Line{{Product: "Widget", Quantity: 1, Price: 10}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.AcceptOrder(ctx, ""); err != nil {
		t.Fatal(err)
	}
	err = sc.ExpectNotification(ctx, "Bob", "order-confirmation")
	if err == nil {
		t.Fatal("no error for an email that never came")
	}
	if want := "the merchant's Digital River API calls about the event's objects since the event:\n    GET /orders/" + o.ID + " → 200"; !strings.Contains(err.Error(), want) {
		t.Errorf("error does not list the order's call (%q):\n%v", want, err)
	}
	if strings.Contains(err.Error(), "999999990336") {
		t.Errorf("error lists a call about another customer:\n%v", err)
	}
}

// A merchant that mails the order confirmation to another address is told
// where it went, not only that none arrived.
func TestMissingEmailSentElsewhereSaysWhere(t *testing.T) {
	ctx := context.Background()
	r := testrig.New(t)
	r.Shop.Set(func(s *testrig.Shop) {
		s.OnEvent = func(ctx context.Context, body []byte) {
			var ev struct {
				Type string
				Data struct{ Object struct{ ID string } }
			}
			if json.Unmarshal(body, &ev) != nil || ev.Type != "order.accepted" {
				return
			}
			msg := fmt.Sprintf("To: orders-archive@shop.example\r\nFrom: shop@example.test\r\nSubject: Thank you\r\n\r\nYour order %s is confirmed.\r\n", ev.Data.Object.ID)
			_ = smtp.SendMail(r.SMTP, nil, "shop@example.test", []string{"orders-archive@shop.example"}, []byte(msg))
		}
	})
	sc := testrig.Ordered(t, r.Harness(t, ""))
	testrig.WantErr(t, "accept", sc.AcceptOrder(ctx, ""))
	testrig.WantErr(t, "confirmation", sc.ExpectNotification(ctx, "Alice", "order-confirmation"),
		"likely cause: emails about order", "went to another address than the customer's", `"Thank you" to orders-archive@shop.example`)
}
