// Package stack starts everything drsim needs in-process on loopback ports
// chosen by the OS: the simulator, an embedded MailHog, a merchant and a
// harness connected to all three. The merchant is the caller's: a library
// package does not import the examples, so the features tests and drsim's
// commands pass the reference merchant's starter (merchant.Starter in
// examples/merchant), and a shop's own tests pass theirs. The features
// test, `drsim demo` and the defect tests compose it the same way: Start,
// use, Close.
package stack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/drsim/drsim/fixtures"
	"github.com/drsim/drsim/harness"
	"github.com/drsim/drsim/harness/catalogue"
	"github.com/drsim/drsim/harness/mailbox"
	"github.com/drsim/drsim/harness/profile"
	"github.com/drsim/drsim/simulator"
)

// The stack's webhook timing: DR's retry schedule (1m, 5m, 30m, …) runs
// 10,000 times faster (the first retry after 6 ms), so reliability scenarios
// take milliseconds; a delivery times out after DR's 3 s, not sooner: a
// merchant that answers in 2 s is correct on DR and must pass here.
const (
	RetryScale      = 1e-4
	DeliveryTimeout = 3 * time.Second
)

// Options configure a stack.
type Options struct {
	// Merchant starts the merchant under test (required); for the
	// reference merchant, merchant.Starter(defects...).
	Merchant MerchantStarter
	// Profile is the merchant's profile (YAML); empty means the reference
	// merchant's (fixtures/reference-merchant.yaml). The stack fills in its
	// URLs.
	Profile []byte
	Logger  *slog.Logger // nil discards
}

// MerchantEnv is what a merchant started by a MerchantStarter is given.
type MerchantEnv struct {
	SimulatorURL string
	SMTPAddr     string
	Profile      *profile.Profile // its signing secret and API key
	Logger       *slog.Logger
}

// RunningMerchant is a merchant a MerchantStarter started.
type RunningMerchant interface {
	URL() string        // base of its admin and portal
	WebhookURL() string // where DR posts events
	Close() error
}

// MerchantStarter starts the merchant of a stack.
type MerchantStarter func(MerchantEnv) (RunningMerchant, error)

// Stack is a running set of in-process services.
type Stack struct {
	Simulator *simulator.Server
	Mail      *mailbox.Server
	Mailbox   *mailbox.Client
	Merchant  RunningMerchant // the merchant Options.Merchant started
	Profile   *profile.Profile
	Catalogue *catalogue.Catalogue
	Harness   *harness.Harness

	closers []func() error
}

// Start brings the stack up; on error everything already started is closed.
func Start(ctx context.Context, o Options) (_ *Stack, err error) {
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Stack{}
	defer func() {
		if err != nil {
			err = errors.Join(err, s.Close())
		}
	}()
	if s.Catalogue, err = catalogue.Parse("fixtures/notifications.yaml", fixtures.Notifications()); err != nil {
		return nil, err
	}
	if o.Merchant == nil {
		return nil, errors.New("stack: no merchant to start (Options.Merchant; the reference merchant's is merchant.Starter)")
	}
	profileName, profileYAML := "fixtures/reference-merchant.yaml", fixtures.ReferenceProfile()
	if len(o.Profile) > 0 {
		// Errors read "merchant profile (stack.Options.Profile): …".
		profileName, profileYAML = "(stack.Options.Profile)", o.Profile
	}
	if s.Profile, err = profile.Parse(profileName, profileYAML); err != nil {
		return nil, err
	}
	if s.Simulator, err = simulator.Start(simulator.Options{
		Logger:          logger.With("component", "simulator"),
		DeliveryTimeout: DeliveryTimeout,
		RetryScale:      RetryScale,
	}); err != nil {
		return nil, err
	}
	s.closers = append(s.closers, named("simulator", s.Simulator.Close))
	if s.Mail, err = mailbox.StartEmbedded(); err != nil {
		return nil, fmt.Errorf("stack: mailbox: %w", err)
	}
	s.closers = append(s.closers, named("mail server", s.Mail.Close))
	s.Mailbox = s.Mail.Client() // in-process: no HTTP search, no websocket

	s.closers = append(s.closers, named("mailbox client", s.Mailbox.Close))
	s.Merchant, err = o.Merchant(MerchantEnv{
		SimulatorURL: s.Simulator.URL(), SMTPAddr: s.Mail.SMTPAddr(), Profile: s.Profile,
		Logger: logger.With("component", "merchant"),
	})
	if err != nil {
		return nil, fmt.Errorf("stack: merchant: %w", err)
	}
	if s.Merchant == nil {
		return nil, errors.New("stack: merchant: its MerchantStarter returned neither a merchant nor an error")
	}
	m := s.Merchant
	s.closers = append(s.closers, named("merchant", m.Close))
	s.Profile.Webhook.URL = m.WebhookURL()
	s.Profile.Merchant.URL = m.URL()
	s.Profile.Simulator.URL = s.Simulator.URL()
	s.Profile.Mailbox.URL = s.Mail.URL()
	s.Harness, err = harness.New(ctx, harness.Config{
		Profile: s.Profile, Catalogue: s.Catalogue, SimulatorURL: s.Simulator.URL(), Mailbox: s.Mailbox,
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Close stops everything, last started first.
func (s *Stack) Close() error {
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i]())
	}
	s.closers = nil
	return errors.Join(errs...)
}

// named wraps a closer's error with what it closes, so that a failed
// Close says which part did not stop.
func named(what string, close func() error) func() error {
	return func() error {
		if err := close(); err != nil {
			return fmt.Errorf("stack: close %s: %w", what, err)
		}
		return nil
	}
}
