package delivery

import (
	"fmt"
	"slices"
	"testing"
)

// The attempt ring keeps what a plain list cut to its newest keep would:
// the same attempts in the same order for every After, across several
// wraps, with the dropped ones counted.
func TestAttemptRingMatchesAList(t *testing.T) {
	const keep = 5
	for _, n := range []int{0, 1, 4, 5, 6, 9, 10, 11, 23} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			l := &attemptLog{delivered: map[string][]string{}}
			var list []Attempt // the model: every attempt, newest last
			for i := range n {
				a := l.add(Attempt{EventID: fmt.Sprintf("ev_%d", i%3), WebhookID: "wh_1", Delivered: i%2 == 0}, keep)
				list = append(list, a)
			}
			kept := list[max(0, len(list)-keep):]
			if l.dropped != len(list)-len(kept) || l.seq != n {
				t.Fatalf("dropped %d seq %d; want %d, %d", l.dropped, l.seq, len(list)-len(kept), n)
			}
			for after := -1; after <= n+1; after++ {
				got := l.after(nil, after, func(*Attempt) bool { return true })
				var want []Attempt
				for _, a := range kept {
					if a.Seq > after {
						want = append(want, a)
					}
				}
				if !slices.Equal(seqsOf(got), seqsOf(want)) {
					t.Fatalf("after %d: seqs %v, want %v", after, seqsOf(got), seqsOf(want))
				}
			}
			got := l.after(nil, 0, func(a *Attempt) bool { return a.EventID == "ev_1" })
			for _, a := range got {
				if a.EventID != "ev_1" {
					t.Fatalf("filter let %+v through", a)
				}
			}
		})
	}
}

func seqsOf(as []Attempt) []int {
	out := []int{}
	for _, a := range as {
		out = append(out, a.Seq)
	}
	return out
}
