package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/drsim/drsim/harness/mailbox"
	"github.com/drsim/drsim/simulator"
)

// serve runs the simulator and an embedded MailHog until interrupted, for
// developing a merchant against them.
func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
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
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *retryScale <= 0 {
		return fmt.Errorf("-retry-scale must be positive, got %g", *retryScale)
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
		RetryScale: *retryScale, MailURL: mailURL, PublicURL: *publicURL,
	})
	if err != nil {
		return err
	}
	defer sim.Close()
	fmt.Fprintf(stdout, "simulator   %s   (create an account: curl -X POST %s/_sim/accounts)\n", sim.URL(), sim.URL())
	fmt.Fprintf(stdout, "dashboard   %s\n", sim.DashboardURL())
	if mb != nil {
		fmt.Fprintf(stdout, "MailHog     SMTP %s, web UI and API %s\n", mb.SMTPAddr(), mb.URL())
	}
	fmt.Fprintln(stdout, "Ctrl-C to stop.")
	<-ctx.Done()
	return nil
}
