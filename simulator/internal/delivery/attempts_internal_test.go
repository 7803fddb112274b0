package delivery

import (
	"fmt"
	"slices"
	"testing"
)

// The attempt ring keeps what a plain list cut to its newest keep would:
// the same attempts in the same order for every After, across several
// wraps, with the dropped ones counted; and an event's attempts, found by
// its index, are the list's attempts of that event.
func TestAttemptRingMatchesAList(t *testing.T) {
	const keep = 5
	for _, n := range []int{0, 1, 4, 5, 6, 9, 10, 11, 23} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			l := &attemptLog{delivered: map[string][]string{}, byEvent: map[string][]int{}}
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
				got := l.after(nil, after, "", func(*Attempt) bool { return true })
				var want []Attempt
				for _, a := range kept {
					if a.Seq > after {
						want = append(want, a)
					}
				}
				if !slices.Equal(seqsOf(got), seqsOf(want)) {
					t.Fatalf("after %d: seqs %v, want %v", after, seqsOf(got), seqsOf(want))
				}
				for _, ev := range []string{"ev_0", "ev_1", "ev_2", "ev_9"} {
					got := l.after(nil, after, ev, func(*Attempt) bool { return true })
					var want []Attempt
					for _, a := range kept {
						if a.Seq > after && a.EventID == ev {
							want = append(want, a)
						}
					}
					if !slices.Equal(seqsOf(got), seqsOf(want)) || slices.ContainsFunc(got, func(a Attempt) bool { return a.EventID != ev }) {
						t.Fatalf("after %d, event %s: seqs %v, want %v", after, ev, seqsOf(got), seqsOf(want))
					}
				}
			}
			if len(l.byEvent) > min(n, 3) || (n > 0 && len(l.byEvent["ev_0"]) > (keep+2)/3) {
				t.Fatalf("the event index holds more than the ring: %v", l.byEvent)
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
