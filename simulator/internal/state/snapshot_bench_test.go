package state

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"
)

// snapshotBench is a saved store of one account with benchStored customers
// (each with its customer.created event), made once for both benchmarks.
var snapshotBench = sync.OnceValues(func() (*Store, []byte) {
	const benchStored = 100_000
	s := NewStore(nil, time.Now)
	a, _, _ := s.Lookup(s.CreateAccount().SecretKey)
	for i := range benchStored {
		email := fmt.Sprintf("c%d@example.test", i)
		if _, err := a.CreateCustomer(CustomerParams{Email: &email}); err != nil {
			panic(err)
		}
	}
	var b bytes.Buffer
	if err := s.Save(&b); err != nil {
		panic(err)
	}
	return s, b.Bytes()
})

// BenchmarkSave writes a state file of 100,000 customers and their events
// (b.SetBytes: the file's size, so MB/s is the rate it is written at).
func BenchmarkSave(b *testing.B) {
	s, file := snapshotBench()
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	var out bytes.Buffer
	out.Grow(len(file))
	for b.Loop() {
		out.Reset()
		if err := s.Save(&out); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoad reads the state file BenchmarkSave writes into a new store.
func BenchmarkLoad(b *testing.B) {
	_, file := snapshotBench()
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	for b.Loop() {
		s := NewStore(nil, time.Now)
		if err := s.Load(bytes.NewReader(file)); err != nil {
			b.Fatal(err)
		}
	}
}
