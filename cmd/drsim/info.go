package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/drsim/drsim/examples/merchant"
	"github.com/drsim/drsim/internal/steps"
)

func defects(_ context.Context, _ []string, stdout, _ io.Writer) error {
	tw := tabwriter.NewWriter(stdout, 0, 8, 2, ' ', 0)
	for _, d := range merchant.KnownDefects() {
		fmt.Fprintf(tw, "%s\t%s\n", d.Name, d.Description)
	}
	return tw.Flush()
}

func stepsCmd(_ context.Context, _ []string, stdout, _ io.Writer) error {
	for _, s := range steps.Vocabulary() {
		fmt.Fprintf(stdout, "%s\n    %s\n\n", s.Pattern, strings.ReplaceAll(s.Example, "\n", "\n    "))
	}
	return nil
}
