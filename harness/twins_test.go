package harness_test

import (
	"context"
	"fmt"
	"net/smtp"
	"strings"
	"testing"

	"github.com/drsim/drsim/harness"
	"github.com/drsim/drsim/internal/testrig"
)

// A shop whose order confirmation and acquisition notice both show
// everything of both passes both checks, but neither email's subject is
// listed as recognised (ready to pin): the two are matched either way
// round, and pinning the confirmation's subject to the acquisition notice
// would then fail a correct shop.
func TestTwinSubjectsAreNotOfferedToPin(t *testing.T) {
	ctx := context.Background()
	r := testrig.New(t)
	r.Shop.Set(func(s *testrig.Shop) {
		s.OnEvent = func(ctx context.Context, body []byte) {
			o, ok := readAccepted(body)
			if !ok {
				return
			}
			for _, subject := range []string{"Welcome A", "Welcome B"} {
				var b strings.Builder
				fmt.Fprintf(&b, "To: %s\r\nFrom: shop@example.test\r\nSubject: %s\r\n\r\nOrder %s.\r\n", o.Email, subject, o.ID)
				for _, it := range o.Items {
					fmt.Fprintf(&b, "%s x %d $%.2f\r\n", it.ProductDetails.Name, it.Quantity, it.Amount)
				}
				fmt.Fprintf(&b, "Tax: $%.2f\r\nDiscount: $%.2f\r\nShipping: $%.2f\r\nTotal: $%.2f\r\n", o.TotalTax, o.TotalDiscount, o.TotalShipping, o.TotalAmount)
				_ = smtp.SendMail(r.SMTP, nil, "shop@example.test", []string{o.Email}, []byte(b.String()))
			}
		}
	})
	h := r.Harness(t, "")
	sc := h.NewScenario(t.Name())
	if _, err := sc.CreateCustomer(ctx, "Alice"); err != nil {
		t.Fatal(err)
	}
	testrig.WantErr(t, "plan", sc.CreatePlan(ctx, harness.PlanSpec{Name: "Gold", Interval: "month", ReminderOffsetDays: 7, CollectionPeriodDays: 7}))
	if _, err := sc.PlaceSubscriptionOrder(ctx, "Alice", "USD", "Gold", false, []harness.Line{{Product: "Music box", Quantity: 1, Price: 9.99}}); err != nil {
		t.Fatal(err)
	}
	testrig.WantErr(t, "accept", sc.AcceptOrder(ctx, ""))
	testrig.WantErr(t, "acquisition", sc.ExpectNotification(ctx, "Alice", "subscription-acquisition"))
	testrig.WantErr(t, "confirmation", sc.ExpectNotification(ctx, "Alice", "order-confirmation"))
	for _, c := range sc.Checks() {
		if len(c.Subjects) > 0 {
			t.Errorf("%s: subjects %q offered to pin; the email fits its twin as well", c.Notification, c.Subjects)
		}
	}
}
