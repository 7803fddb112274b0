package simulator_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/drsim/drsim/simulator"
	"github.com/drsim/drsim/simulator/client"
)

// benchAPI starts a simulator with stored customers and returns a request
// sender with a keep-alive client.
func benchAPI(b *testing.B, stored int) (do func(method, path, body string), ids []string) {
	b.Helper()
	sim, err := simulator.Start(simulator.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sim.Close() })
	ctx := context.Background()
	keys, err := client.New(sim.URL(), "").CreateAccount(ctx, "")
	if err != nil {
		b.Fatal(err)
	}
	c := client.New(sim.URL(), keys.SecretKey)
	for i := range max(stored, 1) {
		cu, err := c.CreateCustomer(ctx, client.CustomerParams{Email: new(fmt.Sprintf("c%d@example.test", i))})
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, cu.ID)
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	do = func(method, path, body string) {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, _ := http.NewRequest(method, sim.URL()+path, rd)
		req.Header.Set("Authorization", "Bearer "+keys.SecretKey)
		resp, err := hc.Do(req)
		if err != nil {
			b.Error(err)
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode > 299 {
			b.Errorf("%s %s: %d", method, path, resp.StatusCode)
		}
	}
	return do, ids
}

// BenchmarkGetCustomer is GET /customers/{id} from parallel clients.
func BenchmarkGetCustomer(b *testing.B) {
	do, ids := benchAPI(b, 1000)
	var n atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			do("GET", "/customers/"+ids[int(n.Add(1))%len(ids)], "")
		}
	})
}

// BenchmarkCreateCustomer is POST /customers from parallel clients.
func BenchmarkCreateCustomer(b *testing.B) {
	do, _ := benchAPI(b, 0)
	var n atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			do("POST", "/customers", fmt.Sprintf(`{"email":"b%d@example.test"}`, n.Add(1)))
		}
	})
}
