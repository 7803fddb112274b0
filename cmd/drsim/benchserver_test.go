package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// TestMain lets this test binary be bench's API simulator: bench runs its
// own binary again as the child (startAPIServer), which here is the test
// binary, with benchServerEnv set.
func TestMain(m *testing.M) {
	if os.Getenv(benchServerEnv) != "" {
		os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func TestAPIServerIsAChildProcessThatFillsAndMeasures(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := startAPIServer(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if s.cmd.Process.Pid == os.Getpid() {
		t.Fatal("the API's simulator runs in bench's process")
	}
	ids, err := s.fill(ctx, 30)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 30 {
		t.Fatalf("filled 30 customers, got a sample of %d ids", len(ids))
	}
	api := newRawAPI(s.url, s.key, 1)
	for _, id := range ids[:3] {
		if err := api.do(ctx, "GET", "/customers/"+id, ""); err != nil {
			t.Fatalf("a filled customer is not served by the child: %v", err)
		}
	}
	// A create figure's customers and their events go again at a trim;
	// the filled stay.
	for i := range 4 {
		if err := api.do(ctx, "POST", "/customers", fmt.Sprintf(`{"id":"made%d"}`, i)); err != nil {
			t.Fatal(err)
		}
	}
	if n, ne, err := s.trim(ctx); err != nil || n != 4 || ne != 4 {
		t.Fatalf("trim after 4 creates: %d customers and %d events, %v; want 4 and 4 removed", n, ne, err)
	}
	if err := api.do(ctx, "GET", "/customers/made0", ""); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("GET of a trimmed customer: %v, want a 404", err)
	}
	if err := api.do(ctx, "GET", "/customers/"+ids[0], ""); err != nil {
		t.Fatalf("a filled customer is gone after the trim: %v", err)
	}
	mem, err := s.memory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if mem.live == 0 || mem.rss == 0 {
		t.Fatalf("the child measured no memory: %+v", mem)
	}
	// The collector's count comes from the child's heap: GETs make the
	// child allocate until it collects; bench's own heap stays out of it.
	gc0 := s.gcCycles()
	res, err := loadWarm(ctx, s, 2, 1, 200_000, func(ctx context.Context, i int) error {
		return api.do(ctx, "GET", "/customers/"+ids[i%len(ids)], "")
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.gc.cycles < 1 || s.gcCycles() <= gc0 {
		t.Fatalf("no collection of the child's heap counted over %d GETs (count %d → %d)", res.n, gc0, s.gcCycles())
	}
	if _, err := s.ask(ctx, benchRequest{Op: "nonsense"}); err == nil || !strings.Contains(err.Error(), `unknown request "nonsense"`) {
		t.Fatalf("an unknown request: %v, want it named", err)
	}
	if err := s.close(); err != nil {
		t.Fatalf("the child did not end cleanly when its input ended: %v", err)
	}
}

func TestAPIServerThatDiesIsReported(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := startAPIServer(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_, err = s.fill(ctx, 1)
	if err == nil || !strings.Contains(err.Error(), "ended while bench awaited its answer to fill") {
		t.Fatalf("fill from a dead child: %v, want the child's end named", err)
	}
	_ = s.close()
}

func TestStatCPU(t *testing.T) {
	for _, tc := range []struct {
		line string
		want time.Duration
	}{
		// utime 250 and stime 130 ticks of 1/100 s.
		{"4242 (drsim) S 1 4242 4242 0 -1 4194560 5000 0 0 0 250 130 0 0 20 0 3 0 100 0 0", 3800 * time.Millisecond},
		// A command name with spaces and parentheses moves no field.
		{"4242 (a) b (c) S 1 4242 4242 0 -1 4194560 5000 0 0 0 7 3 0 0 20 0 3 0 100 0 0", 100 * time.Millisecond},
		{"4242 (drsim) S 1 4242", 0},
		{"no stat line", 0},
		{"4242 (drsim) S 1 4242 4242 0 -1 4194560 5000 0 0 0 x 130 0 0 20 0 3 0 100 0 0", 0},
	} {
		if got := statCPU([]byte(tc.line)); got != tc.want {
			t.Errorf("statCPU(%q) = %s, want %s", tc.line, got, tc.want)
		}
	}
}

// The memory target is read at the first level of 100,000 to 199,999
// stored events, from the memory measured straight after its fill.
func TestPrintAPIMemoryTarget(t *testing.T) {
	run := loadResult{n: 10, wall: time.Second}
	level := func(stored int, rss uint64) apiFigures {
		return apiFigures{stored: stored, memEvents: stored, memFilled: memFigures{live: rss / 2, rss: rss}, mem: memFigures{live: rss, rss: 2 * rss}, create: run, get: run, lists: run}
	}
	var out strings.Builder
	printAPI(&out, []apiFigures{level(1, 10e6), level(50_000, 60e6), level(120_000, 140e6), level(1_000_000, 900e6)}, 32, 1)
	got := out.String()
	if want := "target at 120000 stored events (and as many customers): RSS ≤ 150 MB: 140.0 MB, ratio 0.93"; !strings.Contains(got, want) {
		t.Errorf("printAPI lacks %q:\n%s", want, got)
	}
	if n := strings.Count(got, "RSS ≤ 150 MB"); n != 1 {
		t.Errorf("printAPI prints the memory target %d times, want once:\n%s", n, got)
	}
	var none strings.Builder
	printAPI(&none, []apiFigures{level(1, 10e6), level(50_000, 60e6), level(1_000_000, 900e6)}, 32, 1)
	if strings.Contains(none.String(), "RSS ≤") {
		t.Errorf("printAPI prints a memory target without a level of 100,000 to 199,999 stored events:\n%s", none.String())
	}
}
