package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/drsim/drsim/features"
	"github.com/drsim/drsim/harness"
	"github.com/drsim/drsim/internal/report"
	"github.com/drsim/drsim/internal/suite"
)

// runFlags are the flags certify and demo share: which scenarios, how many
// at once, how progress shows and where reports go.
type runFlags struct {
	features, tags, name, shard, format, out *string
	concurrency                              *int
	// set by check
	fsys     fs.FS
	shardSel suite.Shard
	// footer follows the summary on stdout and in report.txt (certify: the
	// deliveries the simulator gave up).
	footer string
}

func addRunFlags(fs *flag.FlagSet, defaultOut string) *runFlags {
	return &runFlags{
		features:    fs.String("features", "", "directory of .feature files to run instead of the built-in ones"),
		tags:        fs.String("tags", "", `run only scenarios matching a Cucumber tag expression, e.g. "@order and not @slow"`),
		name:        fs.String("name", "", "run only scenarios whose name matches this regular expression"),
		shard:       fs.String("shard", "", "run only shard i of n (i/n), a stable split: shards 1/n…n/n together are the whole suite"),
		format:      fs.String("format", "progress", "progress (a line per scenario), pretty (each scenario with its steps) or quiet"),
		out:         fs.String("out", defaultOut, "directory for junit.xml, cucumber.json, report.html, run.json and emails/ (none when empty)"),
		concurrency: fs.Int("concurrency", 4, "scenarios run at once"),
	}
}

// check validates the run flags and selects the scenarios, before anything
// starts: a misspelt flag or a filter that selects nothing says so at once,
// not after the simulator, MailHog and the preflight.
func (f *runFlags) check() error {
	switch *f.format {
	case "progress", "pretty", "quiet":
	default:
		return fmt.Errorf("-format %q: want progress, pretty or quiet", *f.format)
	}
	if *f.concurrency < 1 {
		return fmt.Errorf("-concurrency %d: want at least 1", *f.concurrency)
	}
	shard, err := suite.ParseShard(*f.shard)
	if err != nil {
		return err
	}
	f.shardSel, f.fsys = shard, features.Files
	if *f.features != "" {
		if f.fsys, err = featureDir("-features "+*f.features, *f.features); err != nil {
			return err
		}
	}
	if _, err = suite.Select(f.fsys, suite.Filter{Tags: *f.tags, Name: *f.name, Shard: shard}); err != nil && *f.features != "" {
		return fmt.Errorf("-features %s: %w", *f.features, err)
	}
	return err
}

// options are the suite's options for a checked runFlags.
func (f *runFlags) options(ctx context.Context, h *harness.Harness, stdout io.Writer) suite.Options {
	return suite.Options{Context: ctx, Harness: h, Features: f.fsys, Tags: *f.tags, Name: *f.name, Shard: f.shardSel,
		Concurrency: *f.concurrency, Format: *f.format, Output: stdout, ReportDir: *f.out}
}

// featureDir opens a directory of feature files; label names it in errors
// ("-features DIR", or the DIR of lint). A directory without a .feature file
// is refused: it is the wrong directory, not a suite that passes.
func featureDir(label, dir string) (fs.FS, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s: not a directory: give the directory that holds the .feature files", label)
	}
	fsys := os.DirFS(dir)
	found := false
	err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".feature") {
			found = true
			return fs.SkipAll
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	if !found {
		return nil, fmt.Errorf("%s: no .feature file in it", label)
	}
	return fsys, nil
}

// finish writes the reports and the summary, and turns failures into exit 1.
func (f *runFlags) finish(res suite.Result, header string, stdout io.Writer) error {
	fmt.Fprintln(stdout)
	res.WriteSummary(stdout)
	fmt.Fprint(stdout, f.footer)
	if *f.out != "" {
		if err := report.WriteAll(*f.out, res.Report); err != nil {
			return err
		}
		rep, err := os.Create(filepath.Join(*f.out, "report.txt"))
		if err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		fmt.Fprintf(rep, "%s\n\n", header)
		res.WriteFullSummary(rep)
		fmt.Fprint(rep, f.footer)
		if err := rep.Close(); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		fmt.Fprintf(stdout, "reports in %s: %s (open in a browser), report.txt, %s, %s, %s, emails/\n", *f.out, report.HTMLFile, report.JUnitFile, report.CucumberFile, report.RunFile)
	}
	if n := len(res.Failed()); n > 0 || res.Status != 0 || res.Interrupted {
		return failure{failed: n, interrupted: res.Interrupted}
	}
	return nil
}
