package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/drsim/drsim/simulator"
)

func TestHealthEndpointAndCommand(t *testing.T) {
	sim, err := simulator.Start(simulator.Options{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"health", sim.URL() + "/_sim/health"}, &out, &errOut); code != 0 || !strings.Contains(out.String(), `"status":"ok"`) {
		t.Errorf("drsim health: exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
	out.Reset()
	errOut.Reset()
	// Not healthy is exit 1, Docker's "unhealthy" (its HEALTHCHECK reserves 2).
	if code := run(context.Background(), []string{"health", sim.URL() + "/_sim/nothing-here"}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "answered 404") || strings.Contains(errOut.String(), "health: health") {
		t.Errorf("drsim health on a missing path: exit %d, stderr %q; want 1 and the status", code, errOut.String())
	}
	errOut.Reset()
	if code := run(context.Background(), []string{"health", "http://127.0.0.1:1/_sim/health"}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "connection refused") {
		t.Errorf("drsim health with nothing listening: exit %d, stderr %q; want 1", code, errOut.String())
	}
	errOut.Reset()
	if code := run(context.Background(), []string{"health", "a", "b"}, &out, &errOut); code != 2 {
		t.Errorf("drsim health a b: exit %d, stderr %q; want 2 (usage)", code, errOut.String())
	}
	errOut.Reset()
	if code := run(context.Background(), []string{"health", "-h"}, &out, &errOut); code != 0 || !strings.Contains(errOut.String(), "Usage: drsim health [URL]") {
		t.Errorf("drsim health -h: exit %d, stderr %q; want the usage", code, errOut.String())
	}
}
