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
	if code := run(context.Background(), []string{"health", sim.URL() + "/_sim/nothing-here"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "answered 404") {
		t.Errorf("drsim health on a missing path: exit %d, stderr %q; want 2 and the status", code, errOut.String())
	}
}
