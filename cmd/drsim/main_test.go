package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestDemoPassesAgainstTheReferenceMerchant(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"demo"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("drsim demo exited %d; stdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), " 0 failed") || !strings.Contains(out.String(), "order-confirmation") {
		t.Fatalf("summary lacks the totals or the notification:\n%s", out.String())
	}
}

func TestDemoWithADefectFailsAndNamesTheAttribute(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"demo", "-defects", "omit-total-tax", "-tags", "@order"}, &out, &errOut)
	if code != 1 {
		t.Fatalf("drsim demo -defects omit-total-tax exited %d, want 1; stdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	for _, want := range []string{"FAIL  order_confirmation.feature:", "totalTax", "not found", "order-confirmation"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary does not contain %q:\n%s", want, out.String())
		}
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "Usage:"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"demo", "-defects", "no-such-defect"}, 2, "no-such-defect"},
		{[]string{"certify"}, 2, "-profile is required"},
		{[]string{"certify", "-profile", "/nonexistent.yaml"}, 2, "nonexistent.yaml"},
	}
	for _, tc := range tests {
		var out, errOut bytes.Buffer
		code := run(context.Background(), tc.args, &out, &errOut)
		if code != tc.code || !strings.Contains(errOut.String()+out.String(), tc.want) {
			t.Errorf("drsim %v: exit %d, output %q; want exit %d mentioning %q", tc.args, code, errOut.String()+out.String(), tc.code, tc.want)
		}
	}
}

func TestDefectsAndStepsList(t *testing.T) {
	var out bytes.Buffer
	if code := run(context.Background(), []string{"defects"}, &out, &out); code != 0 || !strings.Contains(out.String(), "omit-total-tax") {
		t.Errorf("drsim defects: exit %d, output %q", code, out.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"steps"}, &out, &out); code != 0 || !strings.Contains(out.String(), "Digital River accepts the order") {
		t.Errorf("drsim steps: exit %d, output %q", code, out.String())
	}
}

func TestBenchMeasuresRealWork(t *testing.T) {
	ctx := context.Background()
	d, err := benchDeliveryFloor(ctx, 50)
	if err != nil {
		t.Fatalf("delivery bench: %v", err)
	}
	if d.n != 50 || d.engine <= 0 || d.load <= 0 {
		t.Fatalf("delivery bench: %+v, want 50 deliveries timed by the engine and by plain POSTs", d)
	}
	lat, err := benchNotification(ctx, 2)
	if err != nil {
		t.Fatalf("notification bench: %v", err)
	}
	if len(lat) != 2 {
		t.Fatalf("notification bench: %d latencies, want 2", len(lat))
	}
	figs, err := benchAPI(ctx, []int{0, 50}, 2, 20)
	if err != nil {
		t.Fatalf("API bench: %v", err)
	}
	// Level 0 stores a seed customer and 20 creates; level 50 fills up to 50.
	if len(figs) != 2 || figs[0].stored != 1 || figs[1].stored != 50 || figs[1].fill <= 0 || figs[1].create.n != 20 || figs[1].get.n != 20 || figs[1].lists.n != 5 {
		t.Fatalf("API bench: %+v, want levels of 1 and 50 stored customers, each with 20 creates, 20 GETs and 5 lists", figs)
	}
	if figs[1].mem.live == 0 {
		t.Fatalf("API bench: no live heap measured: %+v", figs[1].mem)
	}
	var printed bytes.Buffer
	printAPI(&printed, figs, 2)
	if out := printed.String(); !strings.Contains(out, "70 customers and 70 events stored, live heap") {
		t.Fatalf("API bench output lacks the memory figures:\n%s", out)
	}
	_, n, err := benchYear(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n < 24 {
		t.Fatalf("a year of monthly renewals produced %d events, want at least 12 reminders and 12 renewals", n)
	}
}

// cancelOnWrite cancels a context at its first write: demo writes its banner
// after the stack started and before the suite runs, so the run is
// interrupted as Ctrl-C would interrupt it.
type cancelOnWrite struct {
	bytes.Buffer
	cancel context.CancelFunc
}

func (w *cancelOnWrite) Write(p []byte) (int, error) {
	w.cancel()
	return w.Buffer.Write(p)
}

func TestInterruptedRunExits130WithPartialSummary(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &cancelOnWrite{cancel: cancel}
	var errOut bytes.Buffer
	code := run(ctx, []string{"demo", "-tags", "@order"}, out, &errOut)
	if code != 130 {
		t.Fatalf("interrupted demo exited %d, want 130; stdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	for _, want := range []string{"INTERRUPTED", "FAIL  order_confirmation.feature:", "run interrupted before this scenario started"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary does not contain %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(errOut.String(), "interrupted; partial reports written") {
		t.Errorf("stderr = %q, want the interruption named", errOut.String())
	}
}
