package state_test

import (
	"testing"

	"github.com/drsim/drsim/simulator/internal/state"
)

// BenchmarkLogRequest logs API calls from parallel requests while another
// goroutine keeps taking the account's lock (creating customers): the log
// has its own lock, so logging does not queue behind the account.
func BenchmarkLogRequest(b *testing.B) {
	s := state.NewStore(nil, nil)
	a, _, _ := s.Lookup(s.CreateAccount().SecretKey)
	email := "busy@example.test"
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
				if _, err := a.CreateCustomer(state.CustomerParams{Email: &email}); err != nil {
					b.Error(err)
					return
				}
			}
		}
	}()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			a.LogRequest(state.RequestLog{Method: "GET", Path: "/customers/c1", Status: 200})
		}
	})
	b.StopTimer()
	close(stop)
	<-done
}
