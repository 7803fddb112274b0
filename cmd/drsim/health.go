package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"
)

// health is `drsim health [URL]`: exit 0 when URL answers 200 within 5 s.
// The image has no shell or curl, so compose healthchecks call this.
func health(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("health", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: drsim health [URL]\n\nExit 0 when GET URL (default http://127.0.0.1:9090/_sim/health, the simulator's) answers 200 within 5 s,\n1 when it does not (Docker's \"unhealthy\"), 2 on a usage error.")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	url := "http://127.0.0.1:9090/_sim/health"
	switch fs.NArg() {
	case 0:
	case 1:
		url = fs.Arg(0)
	default:
		return errors.New("usage: drsim health [URL]")
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return fmt.Errorf("URL %q: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return exit1{err}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return exit1{fmt.Errorf("%s answered %d %s", url, resp.StatusCode, body)}
	}
	fmt.Fprintf(stdout, "%s: %s", url, body)
	return nil
}
