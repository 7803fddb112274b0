package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"testing/fstest"
	"time"

	"github.com/drsim/drsim/examples/merchant"
	"github.com/drsim/drsim/features"
	"github.com/drsim/drsim/internal/stack"
	"github.com/drsim/drsim/internal/suite"
	"github.com/drsim/drsim/simulator"
	"github.com/drsim/drsim/simulator/client"
)

// bench measures what users wait for: the whole suite, webhook delivery
// throughput and a year of subscription renewals, and prints figures and
// ratios. Timings belong here and in Go benchmarks, never in tests.
func bench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	runs := fs.Int("runs", 3, "suite runs (the median is reported)")
	events := fs.Int("events", 20000, "webhook events for the delivery figure")
	tags := fs.String("tags", "", "run only the suite's scenarios matching a tag expression")
	copies := fs.Int("copies", 1, "run the feature files this many times over in one suite (how suite time grows with features)")
	concurrency := fs.Int("concurrency", 0, "scenarios at once (the suite's default when 0)")
	slowest := fs.Int("slowest", 8, "list this many of the slowest scenarios of the median run")
	stored := fs.String("stored", "0,10000,100000", "stored customers at which to measure the API, each with its customer.created event (comma-separated, ascending; empty skips)")
	conc := fs.Int("conc", 32, "concurrent clients for the API figures")
	requests := fs.Int("requests", 20000, "requests per API figure and round")
	rounds := fs.Int("rounds", 3, "rounds of the API figures, each stored level in turn in each")
	notify := fs.Int("notify", 300, "orders for the notification latency figure (0 skips)")
	only := fs.String("only", "", "measure only these parts (comma-separated: "+strings.Join(benchPartNames, ",")+"; all when empty)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the bench to this file (simulator, MailHog, merchant and load generator share the process), and each API level's simulator's (a process of its own) to this file plus .api.LEVEL")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *runs < 1 || *events < 1 || *copies < 1 || *rounds < 1 {
		return fmt.Errorf("-runs, -events, -copies and -rounds must be at least 1")
	}
	parts, err := benchParts(*only)
	if err != nil {
		return err
	}
	stopProfile, err := startCPUProfile(*cpuprofile)
	if err != nil {
		return err
	}
	defer stopProfile()

	// Progress goes to stderr, figures to stdout: a level of a million
	// stored customers takes minutes.
	say := func(format string, a ...any) { fmt.Fprintf(stderr, "bench: "+format+"\n", a...) }
	if parts["suite"] {
		say("suite: %d runs", *runs)
		if err := benchSuite(ctx, stdout, *runs, *copies, *tags, *concurrency, *slowest); err != nil {
			return err
		}
	}

	if parts["delivery"] {
		say("delivery: %d webhooks, engine and floor in turns", *events)
		// The suite's garbage is collected first, not in the middle of
		// the first rounds (which are short: a few thousand deliveries).
		runtime.GC()
		d, err := benchDeliveryFloor(ctx, *events)
		if err != nil {
			return err
		}
		engine, floor := float64(d.n)/d.engine.Seconds(), float64(d.n)/d.load.Seconds()
		fmt.Fprintf(stdout, "delivery:   %d signed webhooks to one webhook, each round released at once, %.0f deliveries/s; floor %.0f/s; ratio %.2f (target ≥ %.2f)\n",
			d.n, engine, floor, engine/floor, deliveryTarget)
		fmt.Fprintf(stdout, "            (floor: the same bodies and headers POSTed to the same receiver one at a time over one keep-alive connection, as the engine sends to one webhook, the receiver keeping each request for both; %d rounds, engine and floor in turns)\n", deliveryRounds)
	}

	if parts["notify"] && *notify > 0 {
		say("notify: %d orders", *notify)
		lat, err := benchNotification(ctx, *notify)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "notify:     order accepted → confirmation email matched, %d orders: %s\n", len(lat), lat)
		p50, p99 := lat.pct(0.5), lat.pct(0.99)
		fmt.Fprintf(stdout, "            targets: p50 %s of %s (ratio %.2f), p99 %s of %s (ratio %.2f); a ratio ≤ 1.00 meets its target\n",
			round(p50), notifyP50Target, p50.Seconds()/notifyP50Target.Seconds(), round(p99), notifyP99Target, p99.Seconds()/notifyP99Target.Seconds())
	}

	if levels, err := parseLevels(*stored); err != nil {
		return err
	} else if parts["api"] && len(levels) > 0 {
		apiProfile := ""
		if *cpuprofile != "" {
			apiProfile = *cpuprofile + ".api"
		}
		figs, err := benchAPI(ctx, levels, *conc, *requests, *rounds, apiProfile, say)
		if err != nil {
			return err
		}
		printAPI(stdout, figs, *conc, *rounds)
	}

	if parts["year"] {
		say("year: 366 virtual days")
		year, n, err := benchYear(ctx)
		if err != nil {
			return err
		}
		virtual := 366 * 24 * time.Hour
		fmt.Fprintf(stdout, "year:       366 virtual days of a monthly subscription (%d events) in %s of wall time, %.0f× faster than real time\n",
			n, year.Round(time.Microsecond), virtual.Seconds()/year.Seconds())
	}
	return nil
}

// startCPUProfile writes a CPU profile to path until stop; none when path
// is empty.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// printAPI prints the API figures of each stored level, each with its
// ratio to the first level, and the memory the stored objects take.
func printAPI(w io.Writer, figs []apiFigures, conc, rounds int) {
	base := figs[0]
	gc := func(r loadResult) string {
		if c := r.cpuPer(); c > 0 {
			return fmt.Sprintf("gc %d, server cpu %s/req", r.gc.cycles, round(c))
		}
		return fmt.Sprintf("gc %d", r.gc.cycles)
	}
	for _, f := range figs {
		fmt.Fprintf(w, "api:        %7d stored, c%d: create %6.0f req/s (%.2f× of first) %s %s\n", f.stored, conc, f.create.rate(), f.create.rate()/base.create.rate(), f.create.lat, gc(f.create))
		fmt.Fprintf(w, "            %7s         GET id %6.0f req/s (%.2f× of first) %s %s\n", "", f.get.rate(), f.get.rate()/base.get.rate(), f.get.lat, gc(f.get))
		fmt.Fprintf(w, "            %7s         list   %6.0f req/s (%.2f× of first) %s %s\n", "", f.lists.rate(), f.lists.rate()/base.lists.rate(), f.lists.lat, gc(f.lists))
		per := ""
		if n := f.stored - base.stored; n > 0 && f.memFilled.live > base.memFilled.live {
			per = fmt.Sprintf(", %d B per stored customer with its event (live heap after the fill over the first level's)", (f.memFilled.live-base.memFilled.live)/uint64(n))
		}
		fill := ""
		if f.fill > 0 {
			fill = fmt.Sprintf("; filled in %s", f.fill.Round(time.Millisecond))
		}
		fmt.Fprintf(w, "            %7s         memory at %d stored: live heap %s, RSS %s; after these: %d customers and %d events stored, live heap %s, RSS %s%s%s; warmed with %d GETs (%d collections)\n", "", f.stored, mib(f.memFilled.live), mib(f.memFilled.rss), f.stored, f.memEvents, mib(f.mem.live), mib(f.mem.rss), per, fill, f.warm.n, f.warm.gc.cycles)
	}
	for _, f := range figs {
		if f.stored >= rssTargetAt && f.stored < 2*rssTargetAt && f.memFilled.rss > 0 {
			fmt.Fprintf(w, "            target at %d stored events (and as many customers): RSS ≤ %.0f MB: %.1f MB, ratio %.2f\n",
				f.stored, rssTarget/1e6, float64(f.memFilled.rss)/1e6, float64(f.memFilled.rss)/rssTarget)
			break
		}
	}
	if last := figs[len(figs)-1]; len(figs) > 1 && last.stored >= storedTargetAt {
		r := func(x, y loadResult) float64 { return x.rate() / y.rate() }
		fmt.Fprintf(w, "            target at %d stored: each ≥ %.2f× of the first level's: create %.2f, GET id %.2f, list %.2f\n",
			last.stored, storedTarget, r(last.create, base.create), r(last.get, base.get), r(last.lists, base.lists))
		if c := func(x, y loadResult) float64 { return x.cpuPer().Seconds() / y.cpuPer().Seconds() }; base.create.cpu > 0 && last.create.cpu > 0 {
			fmt.Fprintf(w, "            server CPU per request at %d stored over the first level's (less swayed by other load on the machine; ≤ %.2f goes with the target): create %.2f, GET id %.2f, list %.2f\n",
				last.stored, 1/storedTarget, c(last.create, base.create), c(last.get, base.get), c(last.lists, base.lists))
		}
	}
	fmt.Fprintf(w, "            (each level is a simulator in a process of its own, on half the CPUs as drsim serve does, the load generator in this one; stored customers are filled straight into the state, as POST /customers makes them; before the figures, GETs run at each level until %d collections have completed at its heap; then %d rounds, each level in turn in each, and each level's rounds summed; each run is measured from the end of a collection, over -requests (list a quarter) and until %d more has completed; the customers a create figure makes are removed again after it, and their events, so that every figure is measured at its level's count of customers and events; memory is the simulator's process's, measured after each level's fill and after its figures: RSS is VmRSS from /proc/PID/status after debug.FreeOSMemory; gc: collections during each figure's run; server cpu: the simulator's process's user and system CPU time over the run, per request)\n", apiWarm, rounds, apiCycles)
}

// mib writes a byte count in MiB.
func mib(b uint64) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

// The targets the bench reports against (issue 14, docs/performance.md).
const (
	deliveryTarget  = 0.8                   // deliveries/s as a share of the loopback floor, at least
	notifyP50Target = 2 * time.Millisecond  // notification latency, median, at most
	notifyP99Target = 10 * time.Millisecond // and 99th percentile, at most
	storedTarget    = 0.8                   // API req/s at storedTargetAt stored customers as a share of the first level's, at least
	storedTargetAt  = 1_000_000
	rssTarget       = 150_000_000 // bytes the simulator's process holds at rssTargetAt stored events, at most
	rssTargetAt     = 100_000
)

// benchPartNames are the parts of the bench, in the order they run.
var benchPartNames = []string{"suite", "delivery", "notify", "api", "year"}

// benchParts reads -only: the parts to measure, all when empty.
func benchParts(only string) (map[string]bool, error) {
	out := map[string]bool{}
	if strings.TrimSpace(only) == "" {
		for _, p := range benchPartNames {
			out[p] = true
		}
		return out, nil
	}
	for _, p := range strings.Split(only, ",") {
		p = strings.TrimSpace(p)
		if !slices.Contains(benchPartNames, p) {
			return nil, fmt.Errorf("-only: %q is not a part of the bench (%s)", p, strings.Join(benchPartNames, ", "))
		}
		out[p] = true
	}
	return out, nil
}

// benchSuite runs the suite runs times and prints the median run and its
// slowest scenarios.
func benchSuite(ctx context.Context, stdout io.Writer, runs, copies int, tags string, concurrency, slowest int) error {
	files, err := copiedFeatures(copies)
	if err != nil {
		return err
	}
	var results []suite.Result
	for i := 0; i < runs; i++ {
		s, err := stack.Start(ctx, stack.Options{Merchant: merchant.Starter()})
		if err != nil {
			return err
		}
		res, err := suite.Run(suite.Options{Harness: s.Harness, Features: files, Tags: tags, Concurrency: concurrency})
		s.Close()
		if err != nil {
			return err
		}
		if n := len(res.Failed()); n > 0 {
			return fmt.Errorf("suite run %d: %d scenario(s) failed; run drsim demo to see which", i+1, n)
		}
		results = append(results, res)
	}
	slices.SortFunc(results, func(a, b suite.Result) int { return cmp.Compare(a.Duration, b.Duration) })
	med := results[len(results)/2]
	scenarios := len(med.Scenarios)
	fmt.Fprintf(stdout, "suite:      %d scenarios, median %s over %d runs (min %s, max %s), %.1f scenarios/s\n",
		scenarios, med.Duration.Round(time.Millisecond), runs, results[0].Duration.Round(time.Millisecond),
		results[len(results)-1].Duration.Round(time.Millisecond), float64(scenarios)/med.Duration.Seconds())
	var busy time.Duration
	byTime := slices.Clone(med.Scenarios)
	for _, sc := range byTime {
		busy += sc.Duration
	}
	slices.SortFunc(byTime, func(a, b suite.ScenarioResult) int { return cmp.Compare(b.Duration, a.Duration) })
	fmt.Fprintf(stdout, "            median run: scenarios took %s in all (%.1f at a time on average); slowest:\n",
		busy.Round(time.Millisecond), busy.Seconds()/med.Duration.Seconds())
	for _, sc := range byTime[:min(slowest, len(byTime))] {
		fmt.Fprintf(stdout, "            %7s  %s:%d %s\n", sc.Duration.Round(time.Millisecond), sc.Feature, sc.Line, sc.Name)
	}
	return nil
}

// benchYear subscribes a customer monthly and moves the clock 366 days.
func benchYear(ctx context.Context) (time.Duration, int, error) {
	sim, err := simulator.Start(simulator.Options{})
	if err != nil {
		return 0, 0, err
	}
	defer sim.Close()
	keys, err := sim.Client("").CreateAccount(ctx, "")
	if err != nil {
		return 0, 0, err
	}
	c := sim.Client(keys.SecretKey)
	plan, err := c.CreatePlan(ctx, client.PlanParams{Name: client.String("Monthly"), Interval: client.String("month"), ReminderOffsetDays: client.Int(7)})
	if err != nil {
		return 0, 0, err
	}
	if _, err := c.PutSKU(ctx, "sku_bench", client.SKUParams{Name: client.String("Bench box")}); err != nil {
		return 0, 0, err
	}
	clk, err := c.CreateTestClock(ctx, "year of renewals", time.Time{})
	if err != nil {
		return 0, 0, err
	}
	cust, err := c.CreateClockCustomer(ctx, clk.ID, client.CustomerParams{Email: new("year@example.test")})
	if err != nil {
		return 0, 0, err
	}
	order, err := c.PlaceOrder(ctx, client.PlaceOrderParams{CustomerID: cust.ID, Currency: "USD", Items: []client.PlaceItem{
		{SKUID: "sku_bench", Quantity: 1, Price: 9.99, TaxRate: 0.08, SubscriptionInfo: &client.SubscriptionInfo{PlanID: plan.ID}},
	}})
	if err != nil {
		return 0, 0, err
	}
	if _, err := c.AcceptOrder(ctx, order.ID); err != nil {
		return 0, 0, err
	}
	// As the merchant does after order.accepted.
	if _, err := c.UpdateSubscription(ctx, order.Items[0].SubscriptionInfo.SubscriptionID, client.SubscriptionUpdateParams{State: client.String("active")}); err != nil {
		return 0, 0, err
	}
	start := time.Now()
	moved, err := c.AdvanceTestClock(ctx, clk.ID, 366*24*time.Hour)
	if err != nil {
		return 0, 0, err
	}
	return time.Since(start), len(moved.Events), nil
}

// copiedFeatures is the suite's feature files n times over (copy k of
// orders.feature is copyk/orders.feature), for measuring how suite time
// grows with the number of scenarios.
func copiedFeatures(n int) (fs.FS, error) {
	if n == 1 {
		return features.Files, nil
	}
	out := fstest.MapFS{}
	names, err := fs.Glob(features.Files, "*.feature")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		b, err := fs.ReadFile(features.Files, name)
		if err != nil {
			return nil, err
		}
		for k := 1; k <= n; k++ {
			out[fmt.Sprintf("copy%d/%s", k, name)] = &fstest.MapFile{Data: b}
		}
	}
	return out, nil
}

// parseLevels reads "0,10000,100000".
func parseLevels(s string) ([]int, error) {
	var out []int
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("-stored: %q is not a count of objects", f)
		}
		out = append(out, n)
	}
	return out, nil
}
