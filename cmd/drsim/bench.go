package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing/fstest"
	"time"

	"github.com/drsim/drsim/features"
	"github.com/drsim/drsim/internal/stack"
	"github.com/drsim/drsim/internal/suite"
	"github.com/drsim/drsim/simulator"
)

// bench measures what users wait for: the whole suite, webhook delivery
// throughput and a year of subscription renewals, and prints figures and
// ratios. Timings belong here and in Go benchmarks, never in tests.
func bench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	runs := fs.Int("runs", 3, "suite runs (the median is reported)")
	events := fs.Int("events", 5000, "webhook events for the delivery figure")
	tags := fs.String("tags", "", "run only the suite's scenarios matching a tag expression")
	copies := fs.Int("copies", 1, "run the feature files this many times over in one suite (how suite time grows with features)")
	concurrency := fs.Int("concurrency", 0, "scenarios at once (the suite's default when 0)")
	slowest := fs.Int("slowest", 8, "list this many of the slowest scenarios of the median run")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *runs < 1 || *events < 1 || *copies < 1 {
		return fmt.Errorf("-runs, -events and -copies must be at least 1")
	}
	files, err := copiedFeatures(*copies)
	if err != nil {
		return err
	}

	var results []suite.Result
	for i := 0; i < *runs; i++ {
		s, err := stack.Start(ctx, stack.Options{})
		if err != nil {
			return err
		}
		res, err := suite.Run(suite.Options{Harness: s.Harness, Features: files, Tags: *tags, Concurrency: *concurrency})
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
		scenarios, med.Duration.Round(time.Millisecond), *runs, results[0].Duration.Round(time.Millisecond),
		results[len(results)-1].Duration.Round(time.Millisecond), float64(scenarios)/med.Duration.Seconds())
	var busy time.Duration
	byTime := slices.Clone(med.Scenarios)
	for _, sc := range byTime {
		busy += sc.Duration
	}
	slices.SortFunc(byTime, func(a, b suite.ScenarioResult) int { return cmp.Compare(b.Duration, a.Duration) })
	fmt.Fprintf(stdout, "            median run: scenarios took %s in all (%.1f at a time on average); slowest:\n",
		busy.Round(time.Millisecond), busy.Seconds()/med.Duration.Seconds())
	for _, sc := range byTime[:min(*slowest, len(byTime))] {
		fmt.Fprintf(stdout, "            %7s  %s:%d %s\n", sc.Duration.Round(time.Millisecond), sc.Feature, sc.Line, sc.Name)
	}

	rate, err := benchDelivery(ctx, *events)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "delivery:   %d signed webhooks in %s, %.0f deliveries/s\n", *events, rate.wall.Round(time.Millisecond), float64(*events)/rate.wall.Seconds())

	year, n, err := benchYear(ctx)
	if err != nil {
		return err
	}
	virtual := 366 * 24 * time.Hour
	fmt.Fprintf(stdout, "year:       366 virtual days of a monthly subscription (%d events) in %s of wall time, %.0f× faster than real time\n",
		n, year.Round(time.Microsecond), virtual.Seconds()/year.Seconds())
	return nil
}

type deliveryRate struct{ wall time.Duration }

// benchDelivery records n events (customer.created) and waits until a
// receiver has acknowledged all of them.
func benchDelivery(ctx context.Context, n int) (deliveryRate, error) {
	var got atomic.Int64
	done := make(chan struct{})
	var once sync.Once
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if got.Add(1) == int64(n) {
			once.Do(func() { close(done) })
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer rcv.Close()
	sim, err := simulator.Start(simulator.Options{RetryScale: stack.RetryScale})
	if err != nil {
		return deliveryRate{}, err
	}
	defer sim.Close()
	c := &benchClient{base: sim.URL()}
	var keys struct {
		SecretKey string `json:"secretKey"`
	}
	if err := c.do(ctx, "POST", "/_sim/accounts", nil, &keys); err != nil {
		return deliveryRate{}, err
	}
	c.key = keys.SecretKey
	if err := c.do(ctx, "POST", "/webhooks", map[string]any{"address": rcv.URL, "types": []string{"customer.created"}}, nil); err != nil {
		return deliveryRate{}, err
	}
	start := time.Now()
	for i := 0; i < n; i++ {
		if err := c.do(ctx, "POST", "/customers", map[string]any{"email": fmt.Sprintf("c%d@example.test", i)}, nil); err != nil {
			return deliveryRate{}, err
		}
	}
	select {
	case <-done:
	case <-time.After(time.Minute):
		return deliveryRate{}, fmt.Errorf("delivery bench: %d of %d webhooks acknowledged after a minute", got.Load(), n)
	case <-ctx.Done():
		return deliveryRate{}, ctx.Err()
	}
	return deliveryRate{wall: time.Since(start)}, nil
}

// benchYear subscribes a customer monthly and moves the clock 366 days.
func benchYear(ctx context.Context) (time.Duration, int, error) {
	sim, err := simulator.Start(simulator.Options{})
	if err != nil {
		return 0, 0, err
	}
	defer sim.Close()
	c := &benchClient{base: sim.URL()}
	var keys struct {
		SecretKey string `json:"secretKey"`
	}
	if err := c.do(ctx, "POST", "/_sim/accounts", nil, &keys); err != nil {
		return 0, 0, err
	}
	c.key = keys.SecretKey
	var plan, clk, cust, order struct {
		ID string `json:"id"`
	}
	steps := []struct {
		method, path string
		body         any
		out          any
	}{
		{"POST", "/plans", map[string]any{"name": "Monthly", "interval": "month", "reminderOffsetDays": 7}, &plan},
		{"PUT", "/skus/sku_bench", map[string]any{"name": "Bench box"}, nil},
		{"POST", "/_sim/test-clocks", map[string]any{"name": "year of renewals"}, &clk},
	}
	for _, st := range steps {
		if err := c.do(ctx, st.method, st.path, st.body, st.out); err != nil {
			return 0, 0, err
		}
	}
	if err := c.do(ctx, "POST", "/_sim/test-clocks/"+clk.ID+"/customers", map[string]any{"email": "year@example.test"}, &cust); err != nil {
		return 0, 0, err
	}
	if err := c.do(ctx, "POST", "/_sim/orders", map[string]any{"customerId": cust.ID, "currency": "USD", "items": []any{
		map[string]any{"skuId": "sku_bench", "quantity": 1, "price": 9.99, "taxRate": 0.08, "subscriptionInfo": map[string]any{"planId": plan.ID}},
	}}, &order); err != nil {
		return 0, 0, err
	}
	if err := c.do(ctx, "POST", "/_sim/orders/"+order.ID+"/accept", nil, nil); err != nil {
		return 0, 0, err
	}
	var moved struct {
		Events []any `json:"events"`
	}
	start := time.Now()
	if err := c.do(ctx, "POST", "/_sim/test-clocks/"+clk.ID+"/advance", map[string]any{"advance": "8784h"}, &moved); err != nil {
		return 0, 0, err
	}
	return time.Since(start), len(moved.Events), nil
}

type benchClient struct{ base, key string }

func (c *benchClient) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode > 299 {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
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
