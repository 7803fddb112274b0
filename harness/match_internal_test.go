package harness

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/drsim/drsim/harness/catalogue"
	"github.com/drsim/drsim/harness/mailbox"
)

// Emails sent by a worker pool arrive in any order; each is matched to the
// event whose attributes it shows, and an email that fits two events leaves
// the other to the email that fits only one (an augmenting path).
func TestAssignmentIgnoresArrivalOrder(t *testing.T) {
	n := &catalogue.Notification{ID: "billing-failed", Name: "Billing failed", Attributes: []catalogue.Attribute{
		{Name: "attemptCount", Path: "attempt", Match: catalogue.MatchNumber},
		{Name: "description", Path: "description", Match: catalogue.MatchText},
	}}
	subs := []subject{
		{eventID: "e1", object: map[string]any{"attempt": 1.0, "description": "Gold"}},
		{eventID: "e2", object: map[string]any{"attempt": 2.0, "description": "Gold"}},
		{eventID: "e3", object: map[string]any{"attempt": 3.0, "description": "Gold"}},
	}
	email := func(id, body string) *seenEmail {
		return &seenEmail{msg: &mailbox.Message{ID: id, Subject: id}, email: catalogue.Email{Subject: id, Body: body}}
	}
	for seed := range uint64(20) {
		emails := []*seenEmail{
			email("m1", "Gold: attempt 1 failed"),
			email("m2", "Gold: attempt 2 failed"),
			email("m3", "Gold: attempt 3 failed"),
			// Fits events 1 and 2: must not take the event m2 or m1 needs.
			email("m12", "Gold: attempts 1 and 2 failed"),
		}
		r := rand.New(rand.NewPCG(seed, seed))
		r.Shuffle(len(emails), func(i, j int) { emails[i], emails[j] = emails[j], emails[i] })
		mt := &matching{n: n, emails: emails, subs: subs, memo: map[pairKey]catalogue.Report{}, excluded: map[string]bool{}}
		mt.assign()
		if mt.size != 3 {
			t.Fatalf("seed %d: matched %d of 3", seed, mt.size)
		}
		got := map[string]string{}
		for i, j := range mt.pairs {
			if j >= 0 {
				got[mt.subs[j].eventID] = mt.emails[i].msg.ID
			}
		}
		if got["e3"] != "m3" {
			t.Errorf("seed %d: e3 matched %q, want m3 (assignment %v)", seed, got["e3"], got)
		}
		for e, m := range got {
			if m != "m12" && fmt.Sprint("e", m[1:]) != e {
				t.Errorf("seed %d: %s matched %s", seed, e, m)
			}
		}
	}
}

// An email showing another event's attributes only is never matched, and the
// failure names what the closest email lacks.
func TestAssignmentReportsTheClosestEmail(t *testing.T) {
	n := &catalogue.Notification{ID: "x", Attributes: []catalogue.Attribute{
		{Name: "id", Path: "id", Match: catalogue.MatchText},
		{Name: "tracking", Path: "tracking", Match: catalogue.MatchText},
	}}
	mt := &matching{n: n, memo: map[pairKey]catalogue.Report{}, excluded: map[string]bool{},
		subs: []subject{{eventID: "e1", object: map[string]any{"id": "1001", "tracking": "Z1"}}},
		emails: []*seenEmail{
			{msg: &mailbox.Message{ID: "a"}, email: catalogue.Email{Body: "hello"}},
			{msg: &mailbox.Message{ID: "b"}, email: catalogue.Email{Body: "order 1001 shipped"}},
		}}
	mt.assign()
	if mt.size != 0 {
		t.Fatalf("matched %d, want 0", mt.size)
	}
	i, _, ok := mt.closest()
	if !ok || mt.emails[i].msg.ID != "b" {
		t.Fatalf("closest = %v %v, want email b", i, ok)
	}
	if err := mt.report(i, 0).Err(); err == nil || err.Error() != "tracking Z1 not found" {
		t.Errorf("report = %v, want the missing tracking number", err)
	}
}
