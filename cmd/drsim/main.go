// Command drsim is the Digital River simulator and notification
// certification suite in one binary.
//
//	drsim demo      run every scenario against the reference merchant, in-process
//	drsim certify   run every scenario against your merchant (a merchant profile)
//	drsim doctor    check that a merchant is ready to be certified
//	drsim lint      check QA's feature files against the vocabulary and catalogue
//	drsim report    merge shard reports into one
//	drsim serve     run the simulator and an embedded MailHog for local development
//	drsim bench     measure the suite, webhook throughput and a year of renewals
//	drsim listen    register a webhook, print keys and secret, tail deliveries
//	drsim trigger   drive a business flow against a running simulator
//	drsim events    resend an event
//	drsim logs      tail API calls and deliveries
//	drsim defects   list the reference merchant's named defects
//	drsim steps     print the Gherkin step vocabulary with examples
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/drsim/drsim/internal/editdist"
)

const usage = `drsim: a Digital River simulator and notification certification suite.

Usage:
  drsim demo    [-defects a,b] [-v] [run flags] run the suite against the reference merchant in-process
  drsim certify -profile merchant.yaml [-sim-addr addr] [-smtp-addr addr] [-mail-addr addr] [run flags]
                                              run the suite against your merchant (after a ~1 s preflight;
                                              -no-preflight skips it)
  drsim doctor  -profile merchant.yaml         is the merchant ready? its webhook answers, accepts a genuinely
                                              signed event, refuses a forged one; merchant.url answers (exit 2 if not)
      run flags: [-features DIR] [-tags EXPR] [-name REGEX] [-shard i/n] [-concurrency N]
                 [-format progress|pretty|quiet] [-out DIR]
  drsim lint    [-catalogue file] DIR          check feature files: undefined steps, notifications, customers, products
  drsim report merge -out DIR SHARD_DIR...     merge shard reports into one JUnit, Cucumber JSON and HTML report
  drsim health  [URL]                          exit 0 when the simulator (or URL) is healthy
  drsim serve   [-sim-addr addr] [-smtp-addr addr] [-mail-addr addr] [-retry-scale f] [-delivery-timeout d]
                                              run the simulator and an embedded MailHog; beyond loopback
                                              the control API needs -admin-token (generated when not given)
  drsim bench   [-runs 3] [-only parts]         measure the suite, webhook delivery, notification latency, the API and a year of renewals
  drsim listen  -forward-to URL [-events types] [-key sk_test_…]
                                              register your webhook, print keys and secret, tail deliveries
  drsim trigger [-key sk_test_…] FLOW          drive a business flow (order.accepted, order.refunded, …); prints its events
  drsim events resend [-webhook id] EVENT_ID   deliver an event again
  drsim logs tail                             the account's API calls and webhook deliveries as they happen
  drsim defects                               list the reference merchant's defects
  drsim steps                                 print the step vocabulary

Run "drsim <command> -h" for a command's flags.
`

func main() {
	if n := procs(os.Getenv("GOMAXPROCS"), runtime.GOMAXPROCS(0)); n != runtime.GOMAXPROCS(0) {
		runtime.GOMAXPROCS(n)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C kills at once
	}()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// procs is how many CPUs drsim runs Go code on at once (GOMAXPROCS): the
// GOMAXPROCS environment variable when set (the runtime has applied it:
// avail is already that), else half of avail (the CPUs the runtime found),
// at least 1.
//
// Half, because drsim shares its machine with the merchant under test, and
// its own goroutines (simulator, MailHog, harness) hand work to each other
// in microseconds: with an idle CPU beside, each hand-off woke a runtime
// thread that spun looking for work before sleeping again. On a 2-CPU
// machine one CPU halved the simulator's CPU per request and cut the
// notification latency (docs/performance.md, "CPUs").
func procs(env string, avail int) int {
	if env != "" {
		return avail
	}
	return max(1, avail/2)
}

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	if args[0] == benchServerCmd { // bench's child, not for users
		if err := benchServer(ctx, args[1:], os.Stdin, stdout); err != nil {
			fmt.Fprintf(stderr, "drsim %s: %v\n", benchServerCmd, err)
			return 2
		}
		return 0
	}
	cmds := map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"demo":    demo,
		"certify": certify,
		"doctor":  doctor,
		"serve":   serve,
		"defects": defects,
		"steps":   stepsCmd,
		"bench":   bench,
		"report":  reportCmd,
		"lint":    lintCmd,
		"health":  health,
		"listen":  listen,
		"trigger": trigger,
		"events":  events,
		"logs":    logs,
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		if isHelp(args[0]) {
			fmt.Fprint(stdout, usage)
			return 0
		}
		names := make([]string, 0, len(cmds))
		for n := range cmds {
			names = append(names, n)
		}
		dym := editdist.DidYouMean(args[0], names)
		if dym != "" {
			dym = ";" + dym
		}
		fmt.Fprintf(stderr, "drsim: unknown command %q%s\n\n%s", args[0], dym, usage)
		return 2
	}
	err := cmd(ctx, args[1:], stdout, stderr)
	var fail failure
	var one exit1
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &fail) && fail.interrupted:
		fmt.Fprintln(stderr, "drsim: interrupted; partial reports written")
		return 130
	case errors.As(err, &fail):
		return 1
	case errors.As(err, &one):
		fmt.Fprintf(stderr, "drsim %s: %v\n", args[0], one.error)
		return 1
	default:
		fmt.Fprintf(stderr, "drsim %s: %v\n", args[0], err)
		return 2
	}
}

// isHelp tells whether an argument asks for help.
func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help" || arg == "help"
}

// failure means the suite ran and some scenario failed (exit 1, already reported).
// When interrupted, the run was cancelled (Ctrl-C, exit 130) and the reports are partial.
type failure struct {
	failed      int
	interrupted bool
}

// exit1 is a check that ran and said no (drsim health: not healthy): exit
// 1, as Docker's HEALTHCHECK wants ("unhealthy"; 2 is reserved there), with
// the reason on stderr. Usage errors stay exit 2.
type exit1 struct{ error }

func (f failure) Error() string { return fmt.Sprintf("%d scenario(s) failed", f.failed) }

func newLogger(w io.Writer, verbose bool) *slog.Logger {
	if !verbose {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
