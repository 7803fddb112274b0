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
