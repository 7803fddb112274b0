package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/drsim/drsim/examples/merchant"
	"github.com/drsim/drsim/harness"
	"github.com/drsim/drsim/internal/stack"
	"github.com/drsim/drsim/simulator"
	"github.com/drsim/drsim/simulator/client"
)

// The figures below are what capacity planners ask for: API throughput and
// tail latency as the store grows, notification latency end to end, and
// webhook delivery against the floor of plain loopback POSTs measured in
// the same run. The load generator runs in this process, on the same cores
// as the simulator: compare ratios, not absolute numbers, across machines.

// latencies summarises request times.
type latencies []time.Duration

func (l latencies) pct(p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := slices.Clone(l)
	slices.Sort(s)
	i := int(float64(len(s)-1) * p)
	return s[i]
}

func (l latencies) String() string {
	return fmt.Sprintf("p50 %s p90 %s p99 %s max %s", round(l.pct(0.5)), round(l.pct(0.9)), round(l.pct(0.99)), round(l.pct(1)))
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	default:
		return d.Round(time.Microsecond)
	}
}

// loadResult is one load run: requests done, their wall time and latencies.
type loadResult struct {
	n    int
	wall time.Duration
	lat  latencies
	gc   gcCounters    // collections during the run
	cpu  time.Duration // the server's CPU time over the run; 0 when unknown
}

func (r loadResult) rate() float64 { return float64(r.n) / r.wall.Seconds() }

// add is two runs as one: their requests, times and collections summed.
func (r loadResult) add(o loadResult) loadResult {
	sum := loadResult{n: r.n + o.n, wall: r.wall + o.wall, lat: append(slices.Clip(r.lat), o.lat...), gc: gcCounters{cycles: r.gc.cycles + o.gc.cycles}}
	if (r.n == 0 || r.cpu > 0) && o.cpu > 0 {
		sum.cpu = r.cpu + o.cpu
	}
	return sum
}

// cpuPer is the server's CPU time per request; 0 when unknown.
func (r loadResult) cpuPer() time.Duration {
	if r.n == 0 {
		return 0
	}
	return r.cpu / time.Duration(r.n)
}

// serverProbe is what a load run reads of the server it loads.
type serverProbe interface {
	gcCycles() uint64       // collections of its heap completed so far
	cpuTime() time.Duration // CPU time it has used, user and system; 0 when unknown
}

// processCPU is the CPU time process pid has used, user and system, from
// /proc/PID/stat (Linux); 0 where there is none. The kernel counts it in
// clock ticks of 1/100 s (USER_HZ, fixed at 100 in Linux's ABI).
func processCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	return statCPU(b)
}

// statCPU is the user and system CPU time in a /proc/PID/stat line; 0
// when the line is not one.
func statCPU(b []byte) time.Duration {
	// pid (comm) state ppid …: comm may hold spaces and parentheses, so
	// the fields are counted after its last ')'; utime and stime are the
	// 14th and 15th fields.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, err1 := strconv.ParseUint(f[11], 10, 64)
	stime, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(utime+stime) * (time.Second / 100)
}

// load runs conc workers, each calling req until total requests are done,
// and records every latency. req returns an error for any non-2xx answer.
func load(ctx context.Context, conc, total int, req func(ctx context.Context, i int) error) (loadResult, error) {
	return loadCycles(ctx, nil, conc, total, 0, total, req)
}

// loadCycles is load measured over whole collection cycles: requests run
// unmeasured until a collection completes, then are measured until total
// are done and cycles more collections have completed, up to most
// requests in all. At a large live heap a collection comes once per live
// heap's worth of allocation (GOGC=100), so a run of a fixed size may hold
// none, and look faster than the server is over time, or one that earlier
// runs' allocation brought on, and look slower. A run from the end of one
// collection to the end of another holds the collector's work and the
// allocation that brought it on, as a server running for long sees them.
// srv is the server loaded, whose collections are counted and whose CPU
// time over the measured run is taken; with cycles 0 it is not asked, and
// loadCycles is load.
func loadCycles(ctx context.Context, srv serverProbe, conc, total, cycles, most int, req func(ctx context.Context, i int) error) (loadResult, error) {
	const (
		preRoll = iota
		measuring
		done
	)
	var (
		next     atomic.Int64
		phase    atomic.Int32
		measured atomic.Int64
		wg       sync.WaitGroup
		start    time.Time
		end      time.Time
		gcStart  uint64
		cpuStart time.Duration
		cpuEnd   time.Duration
	)
	lats := make([]latencies, conc)
	errs := make(chan error, conc)
	stop := make(chan struct{})
	watched := make(chan struct{})
	if cycles <= 0 {
		phase.Store(measuring)
		start = time.Now()
		close(watched)
	} else {
		// The watcher polls the collector's count and moves the phases;
		// the workers read one atomic.
		go func() {
			defer close(watched)
			t := time.NewTicker(time.Millisecond)
			defer t.Stop()
			gc0 := srv.gcCycles()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
				}
				n := srv.gcCycles()
				switch phase.Load() {
				case preRoll:
					if n > gc0 {
						start, gcStart, cpuStart = time.Now(), n, srv.cpuTime()
						phase.Store(measuring)
					}
				case measuring:
					if n >= gcStart+uint64(cycles) && measured.Load() >= int64(total) {
						end, cpuEnd = time.Now(), srv.cpuTime()
						phase.Store(done)
						return
					}
				}
			}
		}()
	}
	for w := range conc {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				p := phase.Load()
				if i >= most || p == done || cycles <= 0 && i >= total || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				if err := req(ctx, i); err != nil {
					errs <- err
					return
				}
				if p == measuring && phase.Load() == measuring {
					lats[w] = append(lats[w], time.Since(t0))
					measured.Add(1)
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	<-watched
	if end.IsZero() { // no watcher, or it gave up at most requests
		end = time.Now()
		if cycles > 0 {
			cpuEnd = srv.cpuTime()
		}
	}
	close(errs)
	if err := <-errs; err != nil {
		return loadResult{}, err
	}
	if start.IsZero() {
		return loadResult{}, fmt.Errorf("no collection completed in %d requests", most)
	}
	var all latencies
	for _, l := range lats {
		all = append(all, l...)
	}
	res := loadResult{n: len(all), wall: end.Sub(start), lat: all}
	if cycles > 0 {
		res.gc.cycles = srv.gcCycles() - gcStart
		if cpuStart > 0 {
			res.cpu = cpuEnd - cpuStart
		}
	}
	return res, nil
}

// loadWarm runs req until cycles collections have completed (or most
// requests), unmeasured but for its count.
func loadWarm(ctx context.Context, srv serverProbe, conc, cycles, most int, req func(ctx context.Context, i int) error) (loadResult, error) {
	gc0 := srv.gcCycles()
	var next, n atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, conc)
	for range conc {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= most || srv.gcCycles() >= gc0+uint64(cycles) || ctx.Err() != nil {
					return
				}
				if err := req(ctx, i); err != nil {
					errs <- err
					return
				}
				n.Add(1)
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return loadResult{}, err
	}
	return loadResult{n: int(n.Load()), gc: gcCounters{cycles: srv.gcCycles() - gc0}}, nil
}

// rawAPI sends requests with a keep-alive client and no decoding, so the
// figures are the simulator's, not a client library's. It is deliberately
// not simulator/client, which every other caller of the simulator uses:
// that client encodes and decodes JSON into its types and reads whole
// answers, work the load generator would add to the latencies it measures
// (and take from the simulator's CPU on the same machine). It only sends
// fixed bodies and checks the status; it needs nothing more.
type rawAPI struct {
	base, key string
	hc        *http.Client
}

func newRawAPI(base, key string, conc int) *rawAPI {
	tr := &http.Transport{MaxIdleConns: conc * 2, MaxIdleConnsPerHost: conc * 2}
	return &rawAPI{base: base, key: key, hc: &http.Client{Transport: tr}}
}

func (a *rawAPI) do(ctx context.Context, method, path, body string) error {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+a.key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode > 299 {
		return fmt.Errorf("%s %s: status %d", method, path, resp.StatusCode)
	}
	return nil
}

// apiFigures is one stored-object level of the API benchmark.
type apiFigures struct {
	stored             int           // customers stored (each with its customer.created event) when measured
	fill               time.Duration // time to fill up to stored (straight into the state, no HTTP)
	memFilled          memFigures    // after the fill, before the figures: stored customers and their events exactly
	mem                memFigures    // after the level's figures
	memEvents          int           // events stored then (the level's customers' events: creates are trimmed with theirs)
	warm               loadResult    // the GETs before the figures (benchAPI)
	create, get, lists loadResult
}

// Each API figure is measured from the end of one collection over at
// least its requests until apiCycles more collections have completed
// (loadCycles), within apiMost times its requests and apiMostExtra more in
// all; before a level's figures, GETs run until apiWarm collections have
// completed, within as many.
const (
	apiCycles    = 1
	apiWarm      = 2
	apiMost      = 20
	apiMostExtra = 100_000
)

// memFigures is the process's memory at one point.
type memFigures struct {
	live uint64 // live heap after a collection (runtime/metrics /gc/heap/live:bytes)
	rss  uint64 // VmRSS from /proc/self/status after debug.FreeOSMemory; 0 where there is no /proc
}

// measureMemory collects garbage, returns freed memory to the OS and reads
// the live heap and the resident set of this process (simulator and load
// generator).
func measureMemory() memFigures {
	debug.FreeOSMemory() // a collection first, then the scavenger
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	var m memFigures
	if s[0].Value.Kind() == metrics.KindUint64 {
		m.live = s[0].Value.Uint64()
	}
	m.rss = vmRSS()
	return m
}

// vmRSS is this process's resident set size, from /proc/self/status (Linux).
func vmRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v) // "123456 kB"
			if len(f) == 2 && f[1] == "kB" {
				n, _ := strconv.ParseUint(f[0], 10, 64)
				return n << 10
			}
		}
	}
	return 0
}

// gcCounters are the collector's cycles so far.
type gcCounters struct {
	cycles uint64
}

func readGC() gcCounters {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	var g gcCounters
	if s[0].Value.Kind() == metrics.KindUint64 {
		g.cycles = s[0].Value.Uint64()
	}
	return g
}

// listPage is the page the list figure asks for, and the fewest customers
// a level holds: every level's lists answer a full page (level 0 holds a
// page, not one customer, whose list would be a tenth of the work).
const listPage = 10

// sampleSize bounds the ids kept for GET by id: a uniform sample of every
// customer stored, so the GETs reach across the whole store.
const sampleSize = 10000

// idSample keeps a uniform sample of the ids offered (reservoir sampling).
type idSample struct {
	ids  []string
	seen int
}

func (s *idSample) offer(id string) {
	s.seen++
	if len(s.ids) < sampleSize {
		s.ids = append(s.ids, id)
		return
	}
	if j := rand.IntN(s.seen); j < sampleSize {
		s.ids[j] = id
	}
}

// benchAPI measures create, GET by id and list of customers with conc
// concurrent clients at each of the stored counts: a simulator of its own
// for each count (apiServer, a child process, so its heap and collector
// are its own), filled straight into its state
// (simulator.Server.FillCustomers: the customers and events POST
// /customers makes), so a million customers take seconds, not minutes.
// The figures are measured in rounds, each level in turn in each round, and
// each level's rounds summed: the machine's other work, which changes over
// minutes, then weighs on every level alike. The customers a create
// figure makes are trimmed after it, with their events, so each figure is
// measured at its level's count. cpuprofile, when not empty, is where each
// child writes its CPU profile (with its level appended); say reports
// progress.
func benchAPI(ctx context.Context, stored []int, conc, requests, rounds int, cpuprofile string, say func(format string, a ...any)) (out []apiFigures, err error) {
	type level struct {
		sim    *apiServer
		api    *rawAPI
		ids    []string
		events int // customer.created events stored: one per fill and per create not trimmed
		f      apiFigures
		get    func(ctx context.Context, i int) error // GET of a stored customer's id, picked at random
	}
	levels := make([]*level, len(stored))
	defer func() {
		for _, l := range levels {
			if l == nil {
				continue
			}
			if cerr := l.sim.close(); err == nil {
				err = cerr
			}
		}
	}()
	most := apiMost*requests + apiMostExtra
	for k, n := range stored {
		profile := ""
		if cpuprofile != "" {
			profile = fmt.Sprintf("%s.%d", cpuprofile, n)
		}
		sim, err := startAPIServer(ctx, profile)
		if err != nil {
			return nil, err
		}
		l := &level{sim: sim, api: newRawAPI(sim.url, sim.key, conc), f: apiFigures{stored: max(n, listPage)}}
		l.get = func(ctx context.Context, i int) error {
			return l.api.do(ctx, "GET", "/customers/"+l.ids[rand.IntN(len(l.ids))], "")
		}
		levels[k] = l
		say("api: filling a simulator to %d stored customers", l.f.stored)
		t0 := time.Now()
		if l.ids, err = sim.fill(ctx, l.f.stored); err != nil { // GET by id needs one
			return nil, fmt.Errorf("fill to %d customers: %w", l.f.stored, err)
		}
		l.f.fill, l.events = time.Since(t0), l.f.stored
		// The memory at exactly this level's objects: the warm-up below
		// faults in again what measuring returned to the OS.
		if l.f.memFilled, err = sim.memory(ctx); err != nil {
			return nil, err
		}
		// Before the figures, GETs until apiWarm collections have
		// completed at this level's heap: the state a server that grew
		// this large through its API is in. Straight after a fill its
		// last collection was at a smaller heap, and the first figure
		// would pay for faulting in the memory the grown heap allocates
		// into (about a second at a million customers), once.
		if l.f.warm, err = loadWarm(ctx, sim, conc, apiWarm, most, l.get); err != nil {
			return nil, err
		}
	}
	for r := range rounds {
		say("api: round %d of %d: create, GET id and list at each level in turn, each over whole collections", r+1, rounds)
		for _, l := range levels {
			create, err := loadCycles(ctx, l.sim, conc, requests, apiCycles, most, func(ctx context.Context, i int) error {
				return l.api.do(ctx, "POST", "/customers", fmt.Sprintf(`{"email":"load%d-%d-%d@example.test"}`, l.f.stored, r, i))
			})
			if err != nil {
				return nil, err
			}
			// The customers the creates made go again, and their
			// events, so that every figure is measured at the level's
			// count of both.
			customers, events, err := l.sim.trim(ctx)
			if err != nil {
				return nil, err
			}
			l.events += customers - events
			get, err := loadCycles(ctx, l.sim, conc, requests, apiCycles, most, l.get)
			if err != nil {
				return nil, err
			}
			lists, err := loadCycles(ctx, l.sim, conc, requests/4, apiCycles, most, func(ctx context.Context, i int) error {
				return l.api.do(ctx, "GET", fmt.Sprintf("/customers?limit=%d", listPage), "")
			})
			if err != nil {
				return nil, err
			}
			l.f.create, l.f.get, l.f.lists = l.f.create.add(create), l.f.get.add(get), l.f.lists.add(lists)
		}
	}
	for _, l := range levels {
		// And after the figures, with the objects the creates stored.
		if l.f.mem, err = l.sim.memory(ctx); err != nil {
			return nil, err
		}
		l.f.memEvents = l.events
		out = append(out, l.f)
	}
	return out, nil
}

// benchNotification measures, n times, an order's acceptance until its
// confirmation email has arrived in MailHog and matched the catalogue: what
// a merchant's customer waits for, as the harness sees it.
func benchNotification(ctx context.Context, n int) (latencies, error) {
	s, err := stack.Start(ctx, stack.Options{Merchant: merchant.Starter()})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	var lat latencies
	for i := range n {
		sc := s.Harness.NewScenario(fmt.Sprintf("bench notification %d", i))
		if _, err := sc.CreateCustomer(ctx, "Alice"); err != nil {
			return nil, err
		}
		if _, err := sc.PlaceOrder(ctx, "Alice", harness.OrderSpec{Currency: "USD", Lines: []harness.Line{{Product: "Widget", Quantity: 2, Price: 10, TaxRate: 0.08}}}); err != nil {
			return nil, err
		}
		t0 := time.Now()
		if err := sc.AcceptOrder(ctx, ""); err != nil {
			return nil, err
		}
		if err := sc.ExpectNotification(ctx, "Alice", "order-confirmation"); err != nil {
			return nil, err
		}
		lat = append(lat, time.Since(t0))
	}
	return lat, nil
}

// deliveryFigures compares the engine's webhook deliveries with plain
// POSTs of the same bodies and headers to the same receiver.
type deliveryFigures struct {
	n            int
	engine, load time.Duration
}

// benchDeliveryFloor measures the delivery engine alone, against a floor
// measured in turns with it: in each of deliveryRounds rounds, events
// (customer.created) are recorded while a hold fault keeps every delivery
// to the webhook, so recording them costs nothing measured; then the hold
// is released and the time runs until the receiver has acknowledged the
// round's last delivery (each is queued, signed, sent, answered and
// recorded as any delivery is); then the floor: the bodies and headers the
// receiver got (signature included) POSTed to the same receiver one at a
// time over one keep-alive connection, the engine's concurrency for one
// webhook. Taking turns keeps a shared machine's changing load from
// favouring either side.
func benchDeliveryFloor(ctx context.Context, n int) (deliveryFigures, error) {
	type request struct {
		body   []byte
		header http.Header
	}
	var (
		mu       sync.Mutex
		received []request
		want     int
		done     chan struct{}
		last     time.Time
	)
	// The receiver does the same work for the engine and for the floor: it
	// keeps each request's body and headers (the floor's in a scratch list),
	// so neither side is measured against a lighter receiver.
	record := atomic.Bool{}
	var scratch []request
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		req := request{b, r.Header.Clone()}
		mu.Lock()
		if record.Load() {
			received = append(received, req)
			if len(received) == want {
				last = time.Now()
				close(done)
			}
		} else {
			scratch = append(scratch, req)
		}
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer rcv.Close()
	sim, err := simulator.Start(simulator.Options{RetryScale: stack.RetryScale})
	if err != nil {
		return deliveryFigures{}, err
	}
	defer sim.Close()
	keys, err := client.New(sim.URL(), "").CreateAccount(ctx, "")
	if err != nil {
		return deliveryFigures{}, err
	}
	c := client.New(sim.URL(), keys.SecretKey)
	wh, err := c.CreateWebhook(ctx, client.WebhookParams{Address: client.String(rcv.URL), Types: &[]string{"customer.created"}})
	if err != nil {
		return deliveryFigures{}, err
	}
	api := newRawAPI(sim.URL(), keys.SecretKey, 8)
	tr := &http.Transport{MaxIdleConnsPerHost: 1}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	f := deliveryFigures{n: n}
	for round := range deliveryRounds {
		size := n/deliveryRounds + boolInt(round < n%deliveryRounds)
		if size == 0 {
			continue
		}
		hold, err := c.AddFault(ctx, client.Fault{WebhookID: wh.ID, Hold: true})
		if err != nil {
			return f, err
		}
		if _, err := load(ctx, 8, size, func(ctx context.Context, i int) error {
			return api.do(ctx, "POST", "/customers", fmt.Sprintf(`{"email":"d%d-%d@example.test"}`, round, i))
		}); err != nil {
			return f, err
		}
		if _, err := c.WaitFaultHeld(ctx, hold.ID, size, time.Minute); err != nil {
			return f, fmt.Errorf("delivery bench: awaited %d held deliveries: %w", size, err)
		}
		mu.Lock()
		received, want, done = nil, size, make(chan struct{})
		finished := done
		mu.Unlock()
		record.Store(true)
		start := time.Now()
		if _, err := c.ReleaseFault(ctx, hold.ID, ""); err != nil {
			return f, err
		}
		select {
		case <-finished:
		case <-time.After(time.Minute):
			mu.Lock()
			got := len(received)
			mu.Unlock()
			return f, fmt.Errorf("delivery bench: awaited %d acknowledged webhooks; %d after a minute", size, got)
		case <-ctx.Done():
			return f, ctx.Err()
		}
		record.Store(false)
		mu.Lock()
		f.engine += last.Sub(start)
		reqs := received
		mu.Unlock()

		t0 := time.Now()
		for _, r := range reqs {
			req, err := http.NewRequestWithContext(ctx, "POST", rcv.URL, bytes.NewReader(r.body))
			if err != nil {
				return f, err
			}
			for _, k := range []string{"Content-Type", "User-Agent", "Digitalriver-Signature"} {
				req.Header[k] = r.header[k]
			}
			resp, err := hc.Do(req)
			if err != nil {
				return f, fmt.Errorf("delivery floor: %w", err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		f.load += time.Since(t0)
		mu.Lock()
		scratch = nil
		mu.Unlock()
	}
	return f, nil
}

// deliveryRounds is how many turns the delivery figure and its floor take.
const deliveryRounds = 5

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
