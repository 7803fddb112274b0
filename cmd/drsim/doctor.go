package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/drsim/drsim/harness"
	"github.com/drsim/drsim/harness/profile"
)

// doctor checks, in about a second, that a merchant is ready to be
// certified: its webhook answers, accepts a genuinely signed test event and
// refuses a forged one, and merchant.url answers. Exit 2 says what to fix.
func doctor(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	profilePath := fs.String("profile", "", "merchant profile (YAML); required")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *profilePath == "" {
		return fmt.Errorf("-profile is required")
	}
	p, err := profile.Load(*profilePath)
	if err != nil {
		return err
	}
	if err := harness.Doctor(ctx, p); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ok: the webhook %s answers, accepts a genuinely signed event and refuses a forged one", p.Webhook.URL)
	if p.Merchant.URL != "" {
		fmt.Fprintf(stdout, "; %s answers", p.Merchant.URL)
	}
	fmt.Fprintln(stdout)
	return nil
}
