package state_test

import (
	"slices"
	"testing"

	"github.com/drsim/drsim/simulator/internal/state"
)

// Past MaxRequestLog the oldest calls are dropped and counted; seqs keep
// counting and pages follow them.
func TestRequestLogIsCapped(t *testing.T) {
	s := state.NewStore(nil, nil)
	a, _, _ := s.Lookup(s.CreateAccount().SecretKey)
	for i := range state.MaxRequestLog + 5 {
		a.LogRequest(state.RequestLog{Method: "GET", Path: "/customers", Status: 200 + i%2})
	}
	all := a.Requests()
	if len(all) != state.MaxRequestLog || all[0].Seq != 6 || all[len(all)-1].Seq != state.MaxRequestLog+5 {
		t.Fatalf("kept %d calls, seqs %d…%d; want %d, 6…%d", len(all), all[0].Seq, all[len(all)-1].Seq, state.MaxRequestLog, state.MaxRequestLog+5)
	}
	seqs := func(p state.RequestPage) []int {
		out := []int{}
		for _, r := range p.Data {
			out = append(out, r.Seq)
		}
		return out
	}
	last := state.MaxRequestLog + 5
	for _, c := range []struct {
		after, limit int
		want         []int
		more         bool
	}{
		{0, 3, []int{6, 7, 8}, true},      // from the oldest kept
		{2, 2, []int{6, 7}, true},         // a dropped seq: from the oldest kept
		{7, 2, []int{8, 9}, true},         // after a kept one
		{last - 1, 5, []int{last}, false}, // the newest
		{last, 5, []int{}, false},         // nothing newer
		{last + 100, 5, []int{}, false},   // a seq not reached yet
	} {
		p := a.RequestsPage(c.after, c.limit)
		if got := seqs(p); !slices.Equal(got, c.want) || p.HasMore != c.more || p.Dropped != 5 {
			t.Errorf("after %d limit %d: seqs %v hasMore %v dropped %d; want %v %v 5", c.after, c.limit, got, p.HasMore, p.Dropped, c.want, c.more)
		}
	}
}

// However many calls come, the log shows exactly the latest MaxRequestLog,
// with consecutive seqs, and counts every call before them as dropped
// (the log compacts itself now and then: before, at and after that).
func TestRequestLogShowsTheLatestAcrossCompactions(t *testing.T) {
	s := state.NewStore(nil, nil)
	a, _, _ := s.Lookup(s.CreateAccount().SecretKey)
	logged := 0
	for _, upto := range []int{1, state.MaxRequestLog, state.MaxRequestLog + 1, state.MaxRequestLog * 5 / 4, state.MaxRequestLog*5/4 + 1, state.MaxRequestLog*5/4 + 2, 3*state.MaxRequestLog + 17} {
		for ; logged < upto; logged++ {
			a.LogRequest(state.RequestLog{Method: "GET", Path: "/customers"})
		}
		all := a.Requests()
		want := min(logged, state.MaxRequestLog)
		if len(all) != want || all[0].Seq != logged-want+1 || all[len(all)-1].Seq != logged {
			t.Fatalf("after %d calls: %d shown, seqs %d…%d; want %d, %d…%d", logged, len(all), all[0].Seq, all[len(all)-1].Seq, want, logged-want+1, logged)
		}
		for i := 1; i < len(all); i++ {
			if all[i].Seq != all[i-1].Seq+1 {
				t.Fatalf("after %d calls: seq %d follows %d", logged, all[i].Seq, all[i-1].Seq)
			}
		}
		p := a.RequestsPage(0, 2)
		if p.Dropped != logged-want || len(p.Data) != min(2, want) || p.Data[0].Seq != logged-want+1 {
			t.Fatalf("after %d calls: page from the start %+v dropped %d; want seqs from %d, dropped %d", logged, p.Data, p.Dropped, logged-want+1, logged-want)
		}
	}
}
