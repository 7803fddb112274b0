package othermerchant_test

import (
	"context"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drsim/drsim/examples/othermerchant"
	"github.com/drsim/drsim/features"
	"github.com/drsim/drsim/harness/profile"
	"github.com/drsim/drsim/internal/stack"
	"github.com/drsim/drsim/internal/suite"
)

// knownFailing are the scenarios that fail against this shop, with its
// profile, because of what the harness cannot do yet (issue 15). They are
// not run by default; DRSIM_OTHERMERCHANT_ALL=1 runs them too and says which
// now pass, so the list shrinks as the harness improves. The goal is an
// empty list.
//
// Reasons (issue 15's points):
//
//	subjects  emails are recognised by the catalogue's English subject
//	          patterns only; this profile has none (point 4)
//	session   customer actions other than "opens the order page" and "saves a
//	          card" run without logging in: the account redirects them to
//	          /konto/anmelden (point 1)
//	order     several emails of one kind must arrive in event order; this
//	          shop's worker pool sends them in any order (point 3)
//	wording   a notice must contain an English word or a link containing
//	          an English word ("cancel", "payment", "reactivate", "shipped")
//	          (point 7)
//
// With DRSIM_OTHERMERCHANT_HINTS=1 (the shop's subjects as patterns) only
// the reasons after "subjects" remain.
var knownFailing = map[string]string{
	"The invoice arrives by email and is on the order page":                   "subjects",
	"A credit memo follows a refund, by email and on the order page":          "subjects",
	"An expired invoice link is refused":                                      "subjects",
	"The merchant acknowledges a webhook within Digital River's timeout":      "subjects",
	"Two copies delivered at once produce one email":                          "subjects",
	"Events delivered in reverse order still produce correct emails":          "subjects",
	"A merchant down for three attempts gets the event once it is back":       "subjects",
	"A merchant slower than the timeout sees the retry, and sends one email":  "subjects",
	"Order confirmation arrives with every required attribute":                "subjects",
	"Order confirmation in euros":                                             "subjects",
	"The same order.accepted delivered twice produces one email":              "subjects",
	"Shipment of every item":                                                  "subjects",
	"A split shipment sends one email per parcel, each with only its items":   "subjects, order",
	"Partial cancellation":                                                    "subjects, session",
	"Full cancellation sends one email":                                       "subjects, session",
	"A cancellation asked for after shipment fails, and the customer is told": "subjects, session, wording (shipped)",
	"First and second delayed shipment notices":                               "subjects, wording (cancel)",
	"Full refund":    "subjects",
	"Partial refund": "subjects",
	"Return instructions after a return request":             "subjects, session",
	"Acquisition confirmation":                               "subjects",
	"Renewal reminder and renewal confirmation":              "subjects",
	"Trial conversion":                                       "subjects",
	"A year of monthly renewals":                             "subjects, order",
	"Subscription cancelled":                                 "subjects",
	"Updated terms offer cancellation":                       "subjects, wording (cancel)",
	"Dunning that ends in failure":                           "subjects, order, wording (payment, reactivate)",
	"Dunning rescued by a new card saved in the portal":      "subjects, wording (payment)",
	"Payment method expiration":                              "subjects, wording (payment)",
	"During a secret rotation the old secret still verifies": "subjects",
}

// defectCases are the shop's named defects and the scenario each must fail.
var defectCases = []struct {
	defect, scenario string
	mention          []string
}{
	{othermerchant.DefectRefundHeadlineTotal, "Partial refund", nil},
	{othermerchant.DefectCancelWholeLine, "Partial cancellation", nil},
	{othermerchant.DefectSubscriptionCancelNoop, "Subscription cancelled", nil},
	{othermerchant.DefectPlanChangeNoop, "Updated terms offer cancellation", nil},
	{othermerchant.DefectCardNotOnSubscription, "Dunning rescued by a new card saved in the portal", nil},
	{othermerchant.DefectDelayLinksHome, "First and second delayed shipment notices", nil},
	{othermerchant.DefectUnsignedWebhooks, "A webhook without a signature produces no email", []string{"merchant accepted order.accepted"}},
}

// startShop starts the simulator, MailHog and this shop (with defects) in
// process, certified with the shop's own profile.
func startShop(t *testing.T, emailTimeout time.Duration, defects ...string) *stack.Stack {
	t.Helper()
	prof := othermerchant.Profile
	if os.Getenv("DRSIM_OTHERMERCHANT_HINTS") != "" {
		prof = append(slices.Clip(prof), subjectHints...)
	}
	s, err := stack.Start(context.Background(), stack.Options{
		Profile: prof,
		Merchant: func(env stack.MerchantEnv) (stack.RunningMerchant, error) {
			return othermerchant.Start(othermerchant.Config{
				SigningSecret: env.Profile.Webhook.SigningSecret,
				DRBaseURL:     env.SimulatorURL,
				DRSecretKey:   env.Profile.API.SecretKey,
				SMTPAddr:      env.SMTPAddr,
				Defects:       defects,
				Logger:        env.Logger,
			})
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close stack: %v", err)
		}
	})
	// The shop emails within milliseconds of an event.
	s.Profile.Timeouts.Email = profile.Duration(emailTimeout)
	return s
}

// subjectHints are the shop's subjects as profile patterns. The shop's
// profile has none; DRSIM_OTHERMERCHANT_HINTS=1 adds these, to tell the
// scenarios that fail only on recognising the emails from the rest.
var subjectHints = []byte(`
notifications:
  order-confirmation: {subject: '^Danke für Ihren Einkauf'}
  shipment: {subject: '^Ihr Paket ist unterwegs'}
  partial-cancellation: {subject: '^Änderung an Ihrer Bestellung'}
  cancellation: {subject: '^Bestellung \d+ storniert'}
  failed-cancellation: {subject: '^Ihre Stornierungsanfrage'}
  delayed-shipment: {subject: '^Verzögerung bei'}
  second-delay-notice: {subject: '^Erneute Verzögerung'}
  refund-confirmation: {subject: '^Rückzahlung'}
  return-instructions: {subject: '^Ihr Rücksendeschein'}
  invoice: {subject: '^Ihre Rechnung'}
  credit-memo: {subject: '^Ihre Gutschrift'}
  subscription-acquisition: {subject: '^Willkommen im Waldläufer-Abo'}
  trial-conversion: {subject: '^Ihre Testphase'}
  renewal-reminder: {subject: 'verlängert sich Ihr Abo'}
  renewal-confirmation: {subject: '^Abo .* verlängert'}
  subscription-cancelled: {subject: '^Kündigungsbestätigung'}
  updated-terms: {subject: '^Neue Konditionen'}
  billing-failed: {subject: '^Problem mit Ihrer Zahlung'}
  subscription-failed: {subject: 'ist beendet'}
  payment-method-expiration: {subject: '^Ihre Karte läuft'}
`)

var scenarioLine = regexp.MustCompile(`(?m)^\s*Scenario:\s*(.+?)\s*$`)

// scenarios lists every scenario name of the features.
func scenarios(t *testing.T) []string {
	t.Helper()
	var names []string
	err := fs.WalkDir(features.Files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".feature") {
			return err
		}
		b, err := fs.ReadFile(features.Files, path)
		if err != nil {
			return err
		}
		for _, m := range scenarioLine.FindAllStringSubmatch(string(b), -1) {
			names = append(names, m[1])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// TestCertification runs every scenario that applies against the shop and
// requires each to pass, but for knownFailing.
func TestCertification(t *testing.T) {
	all := os.Getenv("DRSIM_OTHERMERCHANT_ALL") != ""
	var paths []string
	for _, name := range scenarios(t) {
		if _, known := knownFailing[name]; known && !all {
			continue
		}
		p, err := suite.ScenarioPath(features.Files, name)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	if len(paths) == 0 {
		t.Skip("every scenario is known to fail against this shop; set DRSIM_OTHERMERCHANT_ALL=1 to run them")
	}
	s := startShop(t, 5*time.Second)
	res, err := suite.Run(suite.Options{Harness: s.Harness, Features: features.Files, Paths: paths})
	if err != nil {
		t.Fatal(err)
	}
	passed := 0
	for _, sc := range res.Scenarios {
		why, known := knownFailing[sc.Name]
		switch {
		case sc.Err == nil && known:
			t.Logf("NOW PASSES (remove it from knownFailing): %s", sc.Name)
			passed++
		case sc.Err == nil:
			passed++
		case known:
			t.Logf("known failure %s:%d %s (%s): %v", sc.Feature, sc.Line, sc.Name, why, sc.Err)
		default:
			t.Errorf("FAIL %s:%d %s: %v", sc.Feature, sc.Line, sc.Name, sc.Err)
		}
	}
	t.Logf("%d of %d scenarios passed (%d known to fail not run: %v)", passed, len(res.Scenarios), len(knownFailing)*boolInt(!all), !all)
	if len(res.Scenarios) != len(paths) {
		t.Errorf("ran %d scenarios, want %d", len(res.Scenarios), len(paths))
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestEachDefectFailsItsScenario proves the suite catches each of the
// shop's defects: the scenario named must fail with it switched on. A
// scenario that fails even without the defect proves nothing yet, and is
// skipped with the reason.
func TestEachDefectFailsItsScenario(t *testing.T) {
	names := scenarios(t)
	for _, tc := range defectCases {
		t.Run(tc.defect, func(t *testing.T) {
			if !slices.Contains(names, tc.scenario) {
				t.Fatalf("no scenario %q in the features", tc.scenario)
			}
			if why, known := knownFailing[tc.scenario]; known {
				t.Skipf("%q fails without the defect too: %s", tc.scenario, why)
			}
			t.Parallel()
			s := startShop(t, 2*time.Second, tc.defect)
			path, err := suite.ScenarioPath(features.Files, tc.scenario)
			if err != nil {
				t.Fatal(err)
			}
			res, err := suite.Run(suite.Options{Harness: s.Harness, Features: features.Files, Paths: []string{path}})
			if err != nil {
				t.Fatal(err)
			}
			for _, sc := range res.Scenarios {
				if sc.Name != tc.scenario {
					continue
				}
				if sc.Err == nil {
					t.Fatalf("with defect %s, scenario %q passed; want it to fail", tc.defect, tc.scenario)
				}
				for _, m := range tc.mention {
					if !strings.Contains(sc.Err.Error(), m) {
						t.Errorf("the failure does not mention %q:\n%v", m, sc.Err)
					}
				}
				t.Logf("caught: %v", sc.Err)
				return
			}
			t.Fatalf("scenario %q did not run", tc.scenario)
		})
	}
}
