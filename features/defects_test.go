package features_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/drsim/drsim/examples/merchant"
	"github.com/drsim/drsim/features"
	"github.com/drsim/drsim/harness/profile"
	"github.com/drsim/drsim/internal/stack"
	"github.com/drsim/drsim/internal/suite"
)

// defectCases are the reference merchant's defects and the scenario each
// must fail, with what the failure must say. Adding a defect to the merchant
// means adding its row here: the suite proves its own sensitivity.
var defectCases = []struct {
	defect   string
	scenario string
	mention  []string
}{
	{"skip-signature-check", "A webhook signed with the wrong secret produces no email", []string{"webhook_security.feature:", "merchant accepted order.accepted"}},
	{"omit-total-tax", "Order confirmation arrives with every required attribute", []string{"order_confirmation.feature:", "totalTax", "not found"}},
	{"assumes-card", "An order paid with PayPal gets its confirmation and shipment emails", []string{"payment_methods.feature:", "order confirmation email"}},
	{"no-idempotency", "The same order.accepted delivered twice produces one email", []string{"order_confirmation.feature:", "want exactly 1 email(s)", "got 2"}},
	{"accept-stale-signature", "A replayed webhook with a stale signature produces no email", []string{"webhook_security.feature:", "forged: \"stale\"", "want a non-2xx answer"}},
	{"omit-tracking-url", "Shipment of every item", []string{"order_notifications.feature:", "trackingUrl", "not found"}},
	{"no-partial-cancel-email", "Partial cancellation", []string{"order_notifications.feature:", "no \"partial cancellation email"}},
	{"double-cancel-email", "Full cancellation sends one email", []string{"order_notifications.feature:", "want exactly 1 email(s)", "got 2"}},
	{"refund-shows-order-total", "Partial refund", []string{"order_notifications.feature:", "refundedAmount", "not found"}},
	{"no-second-delay-notice", "First and second delayed shipment notices", []string{"order_notifications.feature:", "second delay notice email"}},
	{"no-failed-cancel-email", "A cancellation asked for after shipment fails, and the customer is told", []string{"order_notifications.feature:", "failed cancellation email"}},
	{"return-without-instructions", "Return instructions after a return request", []string{"order_notifications.feature:", "returnedItem", "not found"}},
	{"email-invoice-url", "The invoice arrives by email and is on the order page", []string{"customer_portal.feature:", "secretInvoiceURL"}},
	{"no-credit-memo-link", "A credit memo follows a refund, by email and on the order page", []string{"customer_portal.feature:", "credit memo email"}},
	{"portal-missing-invoice", "The invoice arrives by email and is on the order page", []string{"customer_portal.feature:", "is a file link of file"}},
	{"portal-shows-any-order", "Another customer's session does not show the order's documents", []string{"customer_portal.feature:", "Bob, signed in to the portal, opened the page of Alice's order", "a file link of that order's document"}},
	{"no-attach", "Saving a payment method in the portal, outside checkout", []string{"customer_portal.feature:", "never called POST /customers/"}},
	{"never-activates-subscriptions", "Renewal reminder and renewal confirmation", []string{"subscription_notifications.feature:", "never activated", `POST /subscriptions/{id} {"state":"active"}`}},
	{"no-acquisition-email", "Acquisition confirmation", []string{"subscription_notifications.feature:", "subscription acquisition email"}},
	{"no-trial-conversion", "Trial conversion", []string{"subscription_notifications.feature:", "trial conversion email"}},
	{"reminder-without-date", "Renewal reminder and renewal confirmation", []string{"subscription_notifications.feature:", "renewal reminder email"}},
	{"renewal-without-order", "Renewal reminder and renewal confirmation", []string{"subscription_notifications.feature:", "renewal confirmation"}},
	{"cancelled-without-products", "Subscription cancelled", []string{"subscription_notifications.feature:", "productName", "not found"}},
	{"terms-without-cancel", "Updated terms offer cancellation", []string{"subscription_notifications.feature:", "cancelOption", "not found"}},
	{"terms-only-on-plan-change", "A price change is announced as updated terms", []string{"subscription_notifications.feature:", "updated terms email"}},
	{"billing-failed-without-link", "Dunning that ends in failure", []string{"subscription_notifications.feature:", "updatePaymentLink"}},
	{"failed-without-reactivation", "Dunning that ends in failure", []string{"subscription_notifications.feature:", "reactivate", "not found"}},
	{"no-expiry-check", "Payment method expiration", []string{"subscription_notifications.feature:", "payment method expiration email"}},
	{"no-expiry-check", "A free trial converts, then the card expires", []string{"subscription_notifications.feature:", "payment method expiration email"}},
	{"slow-ack", "The merchant acknowledges a webhook within Digital River's timeout", []string{"delivery_reliability.feature:", "not acknowledged in time"}},
	{"confirm-on-pending-payment", "An order paid by wire transfer is confirmed once the funds arrive, and refunded", []string{"payment_methods.feature:", "order confirmation"}},
	{"shipment-email-on-accept", "Order confirmation arrives with every required attribute", []string{"order_confirmation.feature:", "receives no shipment email", "want exactly 0 email(s)", "got 1"}},
	{"refund-email-on-both", "Full refund", []string{"order_notifications.feature:", "receives exactly 1 refund confirmation email", "want exactly 1 email(s)", "got 2", "on refund.complete and again on order.refunded?"}},
	{"refund-email-on-cancel", "Full cancellation sends one email", []string{"order_notifications.feature:", "receives no refund confirmation email", "want exactly 0 email(s)", "got 1"}},
	{"cancelled-email-on-activation", "Acquisition confirmation", []string{"subscription_notifications.feature:", "receives no subscription cancelled email", "want exactly 0 email(s)", "got 1"}},
	{"renewal-confirmation-on-reminder", "Renewal reminder and renewal confirmation", []string{"subscription_notifications.feature:", "receives no renewal confirmation email", "want exactly 0 email(s)", "got 1"}},
	{"process-before-verify", "A webhook signed with the wrong secret produces no email", []string{"webhook_security.feature:", "want exactly 0 email(s)", "got 1"}},
}

// located is how every failure starts: file:line, scenario, step.
var located = regexp.MustCompile(`^\w+\.feature:[1-9]\d*: scenario ".+", step ".+": `)

func TestEachDefectFailsItsScenario(t *testing.T) {
	for _, tc := range defectCases {
		t.Run(tc.defect, func(t *testing.T) {
			t.Parallel()
			res := runScenario(t, tc.scenario, true, tc.defect)
			var found bool
			for _, sc := range res.Failed() {
				if sc.Name != tc.scenario {
					continue
				}
				found = true
				msg := sc.Err.Error()
				if !located.MatchString(msg) {
					t.Errorf("failure of %q does not give file:line, scenario and step:\n%s", tc.scenario, msg)
				}
				for _, m := range tc.mention {
					if !strings.Contains(msg, m) {
						t.Errorf("failure of %q does not mention %q:\n%s", tc.scenario, m, msg)
					}
				}
			}
			if !found {
				var b strings.Builder
				res.WriteSummary(&b)
				t.Fatalf("with defect %s, scenario %q passed; want it to fail. Run:\n%s", tc.defect, tc.scenario, b.String())
			}
		})
	}
}

// runScenario runs the built-in scenario named scenario against the
// reference merchant with defects switched on, with the reference
// profile's pinned subjects or (pinned false) none. The reference merchant
// emails within milliseconds; a defect that sends nothing need not be
// awaited for the default 10 s, so emails are awaited 2 s.
func runScenario(t *testing.T, scenario string, pinned bool, defects ...string) suite.Result {
	t.Helper()
	s, err := stack.Start(context.Background(), stack.Options{Merchant: merchant.Starter(defects...)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if !pinned {
		s.Profile.Notifications = nil
	}
	s.Profile.Timeouts.Email = profile.Duration(2 * time.Second)
	path, err := suite.ScenarioPath(features.Files, scenario)
	if err != nil {
		t.Fatal(err)
	}
	res, err := suite.Run(suite.Options{Harness: s.Harness, Features: features.Files, Paths: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}
