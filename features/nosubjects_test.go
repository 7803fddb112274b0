package features_test

import (
	"context"
	"strings"
	"testing"

	"github.com/drsim/drsim/examples/merchant"
	"github.com/drsim/drsim/features"
	"github.com/drsim/drsim/harness"
	"github.com/drsim/drsim/internal/stack"
	"github.com/drsim/drsim/internal/suite"
)

// TestFeaturesWithoutSubjects certifies the reference merchant with a
// profile that pins no subject: every email is recognised by what it shows.
func TestFeaturesWithoutSubjects(t *testing.T) {
	s, err := stack.Start(context.Background(), stack.Options{Merchant: merchant.Starter()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Profile.Notifications = nil
	res, err := suite.Run(suite.Options{Harness: s.Harness, Features: features.Files})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Scenarios) == 0 {
		t.Fatal("no scenario ran")
	}
	for _, sc := range res.Failed() {
		t.Errorf("FAIL %s:%d %s: %v", sc.Feature, sc.Line, sc.Name, sc.Err)
	}
	recognised := 0
	for _, sc := range res.Scenarios {
		for _, c := range sc.Checks {
			recognised += len(c.Subjects)
		}
	}
	if recognised == 0 {
		t.Error("no check lists the subjects it recognised")
	}
	var b strings.Builder
	res.WriteSummary(&b)
	if !strings.Contains(b.String(), "Subjects recognised") || !strings.Contains(b.String(), "Order confirmation") {
		t.Errorf("the summary does not list the subjects recognised:\n%s", b.String())
	}
}

// The reference merchant passes the doctor (certify's preflight).
func TestDoctorOnReferenceMerchant(t *testing.T) {
	s, err := stack.Start(context.Background(), stack.Options{Merchant: merchant.Starter()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := harness.Doctor(context.Background(), s.Profile); err != nil {
		t.Fatal(err)
	}
}

// A merchant that sends only the order confirmation for a subscription
// order has not sent the subscription acquisition notice, though the
// confirmation shows everything the notice must: without pinned subjects
// the check needs its own email (catalogue distinctFrom), and says why.
func TestConfirmationIsNotAlsoTheAcquisition(t *testing.T) {
	res := runScenario(t, "Acquisition confirmation", false, "no-acquisition-email")
	failed := res.Failed()
	if len(failed) != 1 {
		t.Fatalf("%d of %d scenarios failed, want the acquisition to fail", len(failed), len(res.Scenarios))
	}
	msg := failed[0].Err.Error()
	for _, want := range []string{"subscription acquisition to ", `"Order confirmation`, "is just as well the order confirmation about the same order.accepted event", "separate messages"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the failure does not say %q:\n%s", want, msg)
		}
	}
}

// Without pinned subjects, a notification sent on the wrong event has no
// trigger event to be recognised against: "receives no X" counts an email
// whose subject fits the catalogue's pattern for X and that shows what the
// scenario's objects have of X, and says which event it likely answered.
func TestNotificationOnTheWrongEventWithoutSubjects(t *testing.T) {
	for _, tc := range []struct{ defect, scenario, says string }{
		{merchant.DefectConfirmOnPendingPayment, "An order paid by wire transfer is confirmed once the funds arrive, and refunded", "order.pending_payment"},
		{merchant.DefectCancelledOnActivation, "Acquisition confirmation", "though Digital River sent no subscription.updated with stateTransitions.cancelled about the scenario's subscription"},
		{merchant.DefectRefundOnCancel, "Full cancellation sends one email", "though Digital River sent no order.refunded about the scenario's order"},
		{merchant.DefectShipmentOnAccept, "Order confirmation arrives with every required attribute", "order.accepted "},
		{merchant.DefectRenewalConfirmOnReminder, "Renewal reminder and renewal confirmation", "subscription.reminder "},
	} {
		t.Run(tc.defect, func(t *testing.T) {
			t.Parallel()
			res := runScenario(t, tc.scenario, false, tc.defect)
			failed := res.Failed()
			if len(failed) != 1 {
				t.Fatalf("%d of %d scenarios failed, want %q to fail", len(failed), len(res.Scenarios), tc.scenario)
			}
			msg := failed[0].Err.Error()
			for _, want := range []string{"want exactly 0 email(s)", tc.says, "pin the "} {
				if !strings.Contains(msg, want) {
					t.Errorf("the failure does not say %q:\n%s", want, msg)
				}
			}
		})
	}
}
