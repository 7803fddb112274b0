package state

import (
	"math/rand/v2"
	"testing"
)

// The index answers as a map would, through growth, removals (tombstones
// and the rebuilds they bring) and hashes that share their low bits (long
// probe chains), and never holds more tombstones than it can probe past.
func TestHashIndexMatchesAMap(t *testing.T) {
	for _, tc := range []struct {
		name string
		hash func(r *rand.Rand) uint64
	}{
		{"random", func(r *rand.Rand) uint64 { return r.Uint64() }},
		{"few low bits", func(r *rand.Rand) uint64 { return r.Uint64() &^ 0xffff }}, // every hash starts at slot 0
		{"small keys", func(r *rand.Rand) uint64 { return r.Uint64N(300) }},         // 0 among them
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			var x hashIndex
			model := map[uint64]int{}
			var held []uint64
			for step := range 20_000 {
				switch op := r.IntN(10); {
				case op < 5 || len(held) == 0: // add a hash not held
					h := tc.hash(r)
					if _, ok := model[h]; ok {
						continue
					}
					p := r.IntN(1 << 40)
					x.add(h, p)
					model[h] = p
					held = append(held, h)
				case op < 7: // move
					h := held[r.IntN(len(held))]
					p := r.IntN(1 << 40)
					if !x.set(h, p) {
						t.Fatalf("step %d: set(%x) found nothing", step, h)
					}
					model[h] = p
				default: // remove
					i := r.IntN(len(held))
					h := held[i]
					if !x.del(h) {
						t.Fatalf("step %d: del(%x) found nothing", step, h)
					}
					delete(model, h)
					held[i] = held[len(held)-1]
					held = held[:len(held)-1]
				}
				if step%97 == 0 || step < 50 {
					if x.len() != len(model) {
						t.Fatalf("step %d: len %d, want %d", step, x.len(), len(model))
					}
					for h, p := range model {
						if got, ok := x.get(h); !ok || got != p {
							t.Fatalf("step %d: get(%x) = %d, %v; want %d", step, h, got, ok, p)
						}
					}
					for range 20 {
						h := tc.hash(r)
						if _, in := model[h]; in {
							continue
						}
						if got, ok := x.get(h); ok {
							t.Fatalf("step %d: get(%x) = %d for a hash not held", step, h, got)
						}
						if x.set(h, 1) || x.del(h) {
							t.Fatalf("step %d: set or del of %x, not held, said it was", step, h)
						}
					}
					if len(x.slots) > 0 && (x.n+x.dead)*4 > len(x.slots)*3 {
						t.Fatalf("step %d: %d hashes and %d tombstones in %d slots", step, x.n, x.dead, len(x.slots))
					}
				}
			}
		})
	}
}

// BenchmarkHashIndexGet looks up random hashes among a million held: the
// lookup every GET by id makes in an account of a million customers.
func BenchmarkHashIndexGet(b *testing.B) {
	var x hashIndex
	hs := make([]uint64, 1_000_000)
	for i := range hs {
		hs[i] = rand.Uint64()
		x.add(hs[i], i)
	}
	b.ResetTimer()
	for i := range b.N {
		if _, ok := x.get(hs[(i*7919)%len(hs)]); !ok {
			b.Fatal("a held hash was not found")
		}
	}
}
