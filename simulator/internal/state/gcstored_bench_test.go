//go:build unix

package state

import (
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// BenchmarkGCStored reports what a collection costs with 1,000,000
// customers (each with its customer.created event) stored: the time one
// runtime.GC takes (its mark phase is most of it, and it grows with the
// heap objects and pointers the store keeps) and the live heap objects per
// stored customer. b.N collections are timed; cpu-ms/GC, the process's
// CPU time per collection, is the figure that other work on the machine
// changes least.
func BenchmarkGCStored(b *testing.B) {
	const stored = 1_000_000
	s := NewStore(nil, time.Now)
	a, _, _ := s.Lookup(s.CreateAccount().SecretKey)
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	for i := range stored {
		email := fmt.Sprintf("c%d@example.test", i)
		if _, err := a.CreateCustomer(CustomerParams{Email: &email}); err != nil {
			b.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&m1)
	cpu0 := cpuTime(b)
	b.ResetTimer()
	for range b.N {
		runtime.GC()
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime(b)-cpu0).Milliseconds())/float64(b.N), "cpu-ms/GC")
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/GC")
	b.ReportMetric(float64(m1.HeapObjects-m0.HeapObjects)/stored, "objects/customer")
	runtime.KeepAlive(a)
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
