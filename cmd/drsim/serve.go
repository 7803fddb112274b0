package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"time"

	"github.com/drsim/drsim/harness/mailbox"
	"github.com/drsim/drsim/harness/profile"
	"github.com/drsim/drsim/simulator"
	"github.com/drsim/drsim/simulator/client"
)

// serve runs the simulator and an embedded MailHog until interrupted, for
// developing a merchant against them.
func serve(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	simAddr := fs.String("sim-addr", "127.0.0.1:9090", "simulator listen address")
	smtpAddr := fs.String("smtp-addr", "127.0.0.1:1025", "MailHog SMTP listen address")
	mailAddr := fs.String("mail-addr", "127.0.0.1:8025", "MailHog HTTP API listen address")
	retryScale := fs.Float64("retry-scale", 1, "speed of DR's webhook retry schedule (1m, 5m, 30m, 2h…): wall delay = virtual delay × scale; 0.001 makes the first retry come after 60 ms")
	timeout := fs.Duration("delivery-timeout", 3*time.Second, "how long a webhook delivery waits for the merchant's answer (DR: 3s)")
	withMail := fs.Bool("mail", true, "also run an embedded MailHog (false when a MailHog runs beside, as in docker-compose)")
	verbose := fs.Bool("v", true, "log webhook deliveries")
	publicURL := fs.String("public-url", "", "base of the file link URLs handed out (what merchants and customers reach the simulator at); the listen address when empty, never a request's Host header")
	stateFile := fs.String("state", "", "keep accounts, keys, resources, events, test clocks and secrets in this file across restarts (read at start, written every -save-every and at exit)")
	saveEvery := fs.Duration("save-every", 30*time.Second, "how often to write the -state file")
	adminToken := fs.String("admin-token", "", "token the control API (/_sim/…, account creation) and the dashboard need (env DRSIM_ADMIN_TOKEN); generated and printed when -sim-addr is beyond loopback and none is given")
	profilePath := fs.String("profile", "", "a merchant profile (YAML): its account (api.secretKey), webhook (webhook.url) and signing secret are provisioned at start")
	rateLimit := fs.Int("rate-limit", 0, "DR API calls a second each account may make, as DR limits its keys (25 test, 250 live), then 429 too_many_requests with Retry-After; 0: no limit (certification compresses time, so leave it off for certify runs)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *rateLimit < 0 {
		return fmt.Errorf("-rate-limit must be 0 (no limit) or more requests a second, got %d", *rateLimit)
	}
	if *adminToken == "" { // from the environment after parsing, so that -h does not print it
		*adminToken = os.Getenv("DRSIM_ADMIN_TOKEN")
	}
	if *retryScale <= 0 {
		return fmt.Errorf("-retry-scale must be positive, got %g", *retryScale)
	}
	var prof *profile.Profile
	if *profilePath != "" { // a mistake in it is said before anything starts
		if prof, err = profile.Load(*profilePath); err != nil {
			return err
		}
	}
	_, statErr := os.Stat(*stateFile)
	stateExisted := *stateFile != "" && statErr == nil
	token, generated, err := adminTokenFor(*simAddr, *adminToken)
	if err != nil {
		return err
	}
	var mb *mailbox.Server
	mailURL := ""
	if *withMail {
		var err error
		if mb, err = mailbox.StartEmbedded(mailbox.Addrs{SMTP: *smtpAddr, HTTP: *mailAddr}); err != nil {
			return err
		}
		defer mb.Close()
		mailURL = mb.URL() + "/"
	}
	sim, err := simulator.Start(simulator.Options{
		Addr: *simAddr, Logger: newLogger(stderr, *verbose), DeliveryTimeout: *timeout,
		RetryScale: *retryScale, MailURL: mailURL, StateFile: *stateFile, SaveEvery: *saveEvery, PublicURL: *publicURL,
		AdminToken: token, RateLimit: *rateLimit,
	})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := sim.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("stop the simulator: %w", cerr)) // e.g. the -state file could not be written
		} else if *stateFile != "" {
			fmt.Fprintf(stdout, "state       saved to %s\n", *stateFile)
		}
	}()
	if token == "" {
		fmt.Fprintf(stdout, "simulator   %s   (create an account: curl -X POST %s/_sim/accounts)\n", sim.URL(), sim.URL())
		fmt.Fprintf(stdout, "dashboard   %s\n", sim.DashboardURL())
	} else {
		fmt.Fprintf(stdout, "simulator   %s   (create an account: curl -X POST -H '%s: %s' %s/_sim/accounts)\n", sim.URL(), simulator.AdminHeader, token, sim.URL())
		fmt.Fprintf(stdout, "dashboard   %s?token=%s\n", sim.DashboardURL(), token)
		how := "from -admin-token or DRSIM_ADMIN_TOKEN"
		if generated {
			how = "generated: the simulator listens beyond loopback; set DRSIM_ADMIN_TOKEN for drsim's commands"
		}
		fmt.Fprintf(stdout, "admin token %s   (%s header of every /_sim/ call; %s)\n", token, simulator.AdminHeader, how)
	}
	fmt.Fprintf(stdout, "cpus        %d of %d (GOMAXPROCS)\n", runtime.GOMAXPROCS(0), runtime.NumCPU())
	if *rateLimit > 0 {
		fmt.Fprintf(stdout, "rate limit  %d DR API calls a second per account, then 429 with Retry-After (-rate-limit)\n", *rateLimit)
	}
	if mb != nil {
		fmt.Fprintf(stdout, "MailHog     SMTP %s, web UI and API %s\n", mb.SMTPAddr(), mb.URL())
	}
	if *stateFile != "" {
		how := "restored"
		if !stateExisted {
			how = "new: no such file yet, starting empty"
		}
		fmt.Fprintf(stdout, "state       %s (%s; saved every %s and at exit)\n", *stateFile, how, *saveEvery)
	}
	if prof != nil {
		if err := provision(ctx, sim.Client(""), prof, stdout); err != nil {
			return fmt.Errorf("provision %s: %w", *profilePath, err)
		}
	}
	fmt.Fprintln(stdout, "Ctrl-C to stop.")
	<-ctx.Done()
	return nil
}

// provision gives the simulator the merchant's configuration: an account
// with its secret key, its webhook for every event type and its signing secret.
func provision(ctx context.Context, sim *client.Client, p *profile.Profile, w io.Writer) error {
	c := sim.WithKey(p.API.SecretKey)
	keys, err := c.Account(ctx)
	if client.StatusOf(err) == http.StatusUnauthorized {
		keys, err = c.WithKey("").CreateAccount(ctx, p.API.SecretKey)
	}
	if err != nil {
		return err
	}
	hook, err := ensureWebhook(ctx, c, p.Webhook.URL, allEventTypes)
	if err != nil {
		return err
	}
	if err := c.SetWebhookSecret(ctx, hook.ID, p.Webhook.SigningSecret); err != nil {
		return err
	}
	fmt.Fprintf(w, "merchant    %s: account %s, secret key %s, public key %s\n            webhook %s → %s, signing secret %s\n",
		p.Name, keys.AccountID, keys.SecretKey, keys.PublicKey, hook.ID, hook.Address, p.Webhook.SigningSecret)
	return nil
}
