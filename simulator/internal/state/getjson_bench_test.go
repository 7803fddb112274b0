package state

import (
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

// BenchmarkWriteJSONStored is WriteJSON (the state's part of GET
// /customers/{id}) in an account that stores 10 or 1,000,000 customers
// with their events, reaching ids in a random order: among 10,000 of them,
// as drsim bench's GET figure does, or among all of them. What finding and
// reading one object among a million costs over one among ten (cache and
// TLB misses) shows here without HTTP's noise; among all a million, each
// GET misses as it does in a server whose allocation has evicted the
// objects it read before.
func BenchmarkWriteJSONStored(b *testing.B) {
	for _, c := range []struct{ stored, sample int }{{10, 10_000}, {1_000_000, 10_000}, {1_000_000, 1_000_000}} {
		stored := c.stored
		b.Run(fmt.Sprintf("stored=%d/sample=%d", stored, c.sample), func(b *testing.B) {
			s := NewStore(nil, time.Now)
			a, _, _ := s.Lookup(s.CreateAccount().SecretKey)
			ids := make([]string, 0, stored)
			for i := range stored {
				email := fmt.Sprintf("c%d@example.test", i)
				c, err := a.CreateCustomer(CustomerParams{Email: &email})
				if err != nil {
					b.Fatal(err)
				}
				ids = append(ids, c.ID)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			sample := make([]string, c.sample)
			for i := range sample {
				sample[i] = ids[rng.IntN(len(ids))]
			}
			runtime.GC()
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if err := a.WriteJSON(io.Discard, KindCustomer, sample[i%len(sample)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
