package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/drsim/drsim/fixtures"
	"github.com/drsim/drsim/harness"
	"github.com/drsim/drsim/harness/catalogue"
	"github.com/drsim/drsim/harness/mailbox"
	"github.com/drsim/drsim/harness/profile"
	"github.com/drsim/drsim/internal/stack"
	"github.com/drsim/drsim/internal/suite"
	"github.com/drsim/drsim/simulator"
)

// certify runs the suite against a merchant described by a profile and
// writes the reports (JUnit, Cucumber JSON, HTML evidence, emails, text).
func certify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("certify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	profilePath := fs.String("profile", "", "merchant profile (YAML); required")
	cataloguePath := fs.String("catalogue", "", "notification catalogue (YAML); the embedded one when empty")
	simAddr := fs.String("sim-addr", "127.0.0.1:9090", "where to run the simulator when the profile names none")
	smtpAddr := fs.String("smtp-addr", "127.0.0.1:1025", "where to run embedded MailHog's SMTP when the profile names no mailbox")
	mailAddr := fs.String("mail-addr", "127.0.0.1:8025", "where to run embedded MailHog's HTTP API when the profile names no mailbox")
	retryScale := fs.Float64("retry-scale", stack.RetryScale, "speed of the embedded simulator's webhook retry schedule (wall delay = virtual delay × scale)")
	timeout := fs.Duration("delivery-timeout", stack.DeliveryTimeout, "the embedded simulator's webhook delivery timeout")
	adminToken := fs.String("admin-token", "", "the simulator's admin token (env DRSIM_ADMIN_TOKEN): sent to a simulator the profile names, or given to the one started here (generated when -sim-addr is beyond loopback)")
	rf := addRunFlags(fs, "drsim-report")
	verbose := fs.Bool("v", false, "log what the simulator does")
	noPreflight := fs.Bool("no-preflight", false, "skip the check that the merchant's webhook and merchant.url answer and verify signatures")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *adminToken == "" { // from the environment after parsing, so that -h does not print it
		*adminToken = os.Getenv("DRSIM_ADMIN_TOKEN")
	}
	if *profilePath == "" {
		return fmt.Errorf("-profile is required (see README, \"Merchant profile\")")
	}
	p, err := profile.Load(*profilePath)
	if err != nil {
		return err
	}
	if err := rf.check(); err != nil {
		return err
	}
	cat, err := loadCatalogue(*cataloguePath)
	if err != nil {
		return err
	}
	// Preflight: a merchant that is down or verifies with another secret
	// would fail every scenario slowly; say what to fix at once (exit 2).
	if !*noPreflight {
		if err := harness.Doctor(ctx, p); err != nil {
			return fmt.Errorf("preflight (skip with -no-preflight): %w", err)
		}
	}
	simURL, token := p.Simulator.URL, *adminToken
	if simURL == "" {
		var generated bool
		if token, generated, err = adminTokenFor(*simAddr, token); err != nil {
			return err
		}
		sim, err := simulator.Start(simulator.Options{
			Addr: *simAddr, Logger: newLogger(stderr, *verbose), DeliveryTimeout: *timeout,
			RetryScale: *retryScale, AdminToken: token,
		})
		if err != nil {
			return err
		}
		defer sim.Close()
		simURL = sim.URL()
		fmt.Fprintf(stdout, "simulator: %s (point your merchant's Digital River base URL here)\n", simURL)
		if generated {
			fmt.Fprintf(stdout, "admin token: %s (generated: -sim-addr is beyond loopback; the control API and dashboard need it in %s)\n", token, simulator.AdminHeader)
		}
	}
	mailURL := p.Mailbox.URL
	var client *mailbox.Client
	if mailURL == "" {
		mb, err := mailbox.StartEmbedded(mailbox.Addrs{SMTP: *smtpAddr, HTTP: *mailAddr})
		if err != nil {
			return err
		}
		defer mb.Close()
		mailURL = mb.URL()
		fmt.Fprintf(stdout, "MailHog: SMTP %s, API %s (point your merchant's SMTP here)\n", mb.SMTPAddr(), mailURL)
		client = mb.Client() // reads the embedded MailHog in-process
	} else {
		client = mailbox.NewClient(mailURL)
	}
	defer client.Close()
	h, err := harness.New(ctx, harness.Config{Profile: p, Catalogue: cat, SimulatorURL: simURL, AdminToken: token, Mailbox: client})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\ncertifying %s\n\n", p.Name)
	res, err := suite.Run(rf.options(ctx, h, stdout))
	if err != nil {
		return err
	}
	// Events the simulator gave up delivering are never silent.
	rf.footer = giveUpReport(context.WithoutCancel(ctx), h)
	return rf.finish(res, fmt.Sprintf("drsim certification of %s (webhook %s)", p.Name, p.Webhook.URL), stdout)
}

func loadCatalogue(path string) (*catalogue.Catalogue, error) {
	if path == "" {
		return catalogue.Parse("fixtures/notifications.yaml", fixtures.Notifications())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("catalogue: %w", err)
	}
	return catalogue.Parse(path, b)
}

// giveUpReport says how many events the simulator gave up delivering to the
// merchant's webhook, and which.
func giveUpReport(ctx context.Context, h *harness.Harness) string {
	n, list, err := h.DeliveryGiveUps(ctx)
	if err != nil {
		return fmt.Sprintf("\nwebhook deliveries: %v\n", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nwebhook deliveries given up (retry budget spent): %d\n", n)
	for _, g := range list {
		fmt.Fprintf(&b, "  %s %s after %d attempts (replay: POST /_sim/webhooks/%s/replay)\n", g.EventType, g.EventID, g.Attempts, h.WebhookID())
	}
	return b.String()
}
