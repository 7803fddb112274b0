package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/drsim/drsim/examples/merchant"
	"github.com/drsim/drsim/internal/stack"
	"github.com/drsim/drsim/internal/suite"
)

// demo starts the simulator, an embedded MailHog and the reference merchant
// in-process, runs every scenario and prints a summary.
func demo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	defects := fs.String("defects", "", "comma-separated reference merchant defects to switch on (see drsim defects)")
	verbose := fs.Bool("v", false, "log what the simulator and merchant do")
	rf := addRunFlags(fs, "")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := rf.check(); err != nil {
		return err
	}
	var list []string
	for _, d := range strings.Split(*defects, ",") {
		if d = strings.TrimSpace(d); d != "" {
			list = append(list, d)
		}
	}
	s, err := stack.Start(ctx, stack.Options{Merchant: merchant.Starter(list...), Logger: newLogger(stderr, *verbose)})
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Fprintf(stdout, "drsim demo: simulator %s, MailHog %s (SMTP %s), reference merchant %s",
		s.Simulator.URL(), s.Mail.URL(), s.Mail.SMTPAddr(), s.Merchant.URL())
	if len(list) > 0 {
		fmt.Fprintf(stdout, " with defects %s", strings.Join(list, ", "))
	}
	fmt.Fprint(stdout, "\n\n")
	res, err := suite.Run(rf.options(ctx, s.Harness, stdout))
	if err != nil {
		return err
	}
	return rf.finish(res, "drsim demo against the reference merchant", stdout)
}
