package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/drsim/drsim/internal/lint"
)

// lintCmd is `drsim lint DIR`: QA's feature files checked against the step
// vocabulary and the catalogue, without running anything.
func lintCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("lint", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cataloguePath := fs.String("catalogue", "", "notification catalogue (YAML); the embedded one when empty")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: drsim lint [-catalogue file] DIR\n\nChecks the .feature files under DIR without running them; exit 1 when it finds a problem.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: drsim lint [-catalogue file] DIR")
	}
	fsys, err := featureDir(fs.Arg(0), fs.Arg(0))
	if err != nil {
		return err
	}
	cat, err := loadCatalogue(*cataloguePath)
	if err != nil {
		return err
	}
	problems, n, err := lint.Lint(fsys, cat)
	if err != nil {
		return err
	}
	for _, p := range problems {
		fmt.Fprintln(stdout, p)
	}
	fmt.Fprintf(stdout, "%d scenario(s) in %s: %d problem(s)\n", n, fs.Arg(0), len(problems))
	if len(problems) > 0 {
		return failure{failed: len(problems)}
	}
	return nil
}
