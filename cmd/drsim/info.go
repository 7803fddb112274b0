package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/drsim/drsim/examples/merchant"
	"github.com/drsim/drsim/harness/steps"
)

func defects(_ context.Context, _ []string, stdout, _ io.Writer) error {
	for _, d := range merchant.KnownDefects() {
		fmt.Fprintf(stdout, "%-24s %s\n", d.Name, d.Description)
	}
	return nil
}

func stepsCmd(_ context.Context, _ []string, stdout, _ io.Writer) error {
	for _, s := range steps.Vocabulary() {
		fmt.Fprintf(stdout, "%s\n    %s\n\n", s.Pattern, strings.ReplaceAll(s.Example, "\n", "\n    "))
	}
	return nil
}
