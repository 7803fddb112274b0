package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/drsim/drsim/internal/report"
)

// reportCmd is `drsim report merge -out DIR SHARD_DIR...`: one JUnit, one
// Cucumber JSON and one HTML report from the run.json of shard runs.
func reportCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "merge" {
		if len(args) > 0 && isHelp(args[0]) {
			fmt.Fprintln(stderr, "Usage: drsim report merge -out DIR SHARD_REPORT_DIR…")
			return flag.ErrHelp
		}
		return errors.New("usage: drsim report merge -out DIR SHARD_REPORT_DIR…")
	}
	fs := flag.NewFlagSet("report merge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "directory for the merged junit.xml, cucumber.json, report.html, run.json and emails/ (required: a report already there is replaced)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	// No default: a merge run without -out would replace the reports in
	// ./drsim-report, which certify writes by default.
	if *out == "" {
		return errors.New("merge: -out DIR is required (usage: drsim report merge -out DIR SHARD_REPORT_DIR…): the directory for the merged reports, whose junit.xml, cucumber.json, report.html, run.json and emails/ are replaced")
	}
	if fs.NArg() == 0 {
		return errors.New("merge: name the shards' report directories (each with a run.json)")
	}
	for _, dir := range fs.Args() {
		if samePath(dir, *out) {
			return fmt.Errorf("merge: -out %s is one of the shards' report directories: the merged reports would replace that shard's; choose another directory", *out)
		}
	}
	var runs []*report.Run
	for _, dir := range fs.Args() {
		r, err := report.Load(filepath.Join(dir, report.RunFile))
		if err != nil {
			return fmt.Errorf("merge: %w", err)
		}
		runs = append(runs, r)
	}
	merged, err := report.Merge(runs...)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	if err := report.WriteAll(*out, merged); err != nil {
		return err
	}
	c := merged.Counts()
	fmt.Fprintf(stdout, "merged %d run(s): %d scenarios, %d passed, %d failed, %d errors; reports in %s\n", len(runs), c.Scenarios, c.Passed, c.Failed, c.Errors, *out)
	if c.Passed != c.Scenarios {
		return failure{failed: c.Scenarios - c.Passed}
	}
	return nil
}

// samePath reports whether two paths name the same directory as written
// (cleaned and made absolute).
func samePath(a, b string) bool {
	aa, errA := filepath.Abs(a)
	bb, errB := filepath.Abs(b)
	return errA == nil && errB == nil && aa == bb
}
