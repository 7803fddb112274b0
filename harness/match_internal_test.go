package harness

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/drsim/drsim/fixtures"
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
	i, _, _, ok := mt.closest(nil)
	if !ok || mt.emails[i].msg.ID != "b" {
		t.Fatalf("closest = %v %v, want email b", i, ok)
	}
	if err := mt.report(i, 0).Err(); err == nil || err.Error() != "tracking Z1 not found" {
		t.Errorf("report = %v, want the missing tracking number", err)
	}
}

// The closest email of a failure is shown against an event that no email
// matched (not one that has its email already), leaves out emails another
// notification claims, prefers a subject that fits the hint, and says why
// it was chosen.
func TestClosestEmailIsRelated(t *testing.T) {
	n := &catalogue.Notification{ID: "renewal-confirmation", Name: "Renewal confirmation", Trigger: "subscription.extended", Attributes: []catalogue.Attribute{
		{Name: "plan", Path: "plan", Match: catalogue.MatchText},
		{Name: "next", Path: "next", Match: catalogue.MatchText},
	}}
	t0 := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	email := func(id, subject, body string, at int) *seenEmail {
		return &seenEmail{msg: &mailbox.Message{ID: id, Subject: subject, Created: t0.Add(time.Duration(at) * time.Second)}, email: catalogue.Email{Subject: subject, Body: body}}
	}
	mt := &matching{n: n, memo: map[pairKey]catalogue.Report{}, excluded: map[string]bool{"rival": true},
		subs: []subject{
			{eventID: "feb", object: map[string]any{"plan": "Gold", "next": "2 February"}},
			{eventID: "jul", object: map[string]any{"plan": "Gold", "next": "2 July"}},
		},
		emails: []*seenEmail{
			email("m-feb", "Your subscription has renewed", "Gold, next payment 2 February", 1),
			// A second February email: it shows all of the February event,
			// which has its email; against July it lacks the date.
			email("dup", "Your subscription has renewed", "Gold, next payment 2 February", 2),
			// Shows as much, but its subject is not a renewal's.
			email("other", "Your order", "Gold, next payment 2 February", 3),
			// Claimed by another notification: never shown.
			email("rival", "Your subscription has renewed", "Gold, next payment 2 July (reminder)", 4),
		}}
	mt.assign()
	mt.pairs[3] = -1 // the rival's exclusion, as excludeRivals leaves it
	i, j, why, ok := mt.closest(regexp.MustCompile(`(?i)renewed`))
	if !ok {
		t.Fatal("no closest email")
	}
	if got := mt.emails[i].msg.ID + " for " + mt.subs[j].eventID; got != "dup for jul" {
		t.Errorf("closest = %s, want dup for jul (%s)", got, why)
	}
	if err := mt.report(i, j).Err(); err == nil || err.Error() != "next 2 July not found" {
		t.Errorf("report = %v, want the missing date", err)
	}
	for _, want := range []string{"chosen among 2 unmatched email(s)", "(1 of 2)", "an event that no email matched, subscription.extended jul", `its subject fits "(?i)renewed"`} {
		if !strings.Contains(why, want) {
			t.Errorf("why = %q, want it to say %q", why, want)
		}
	}
}

// An email that is plainly another notification (it shows every required
// attribute of one about an event no email has been matched to) is shown
// as the closest email only when no other email is left: a renewal
// reminder missing its prices is shown, not the order confirmation that
// happens to show more of the reminder's attributes. When it is the only
// one, the failure says what it is.
func TestClosestEmailIsNotAnotherNotification(t *testing.T) {
	n := &catalogue.Notification{ID: "renewal-reminder", Name: "Renewal reminder", Trigger: "subscription.reminder", Attributes: []catalogue.Attribute{
		{Name: "plan", Path: "plan", Match: catalogue.MatchText},
		{Name: "product", Path: "product", Match: catalogue.MatchText},
		{Name: "total", Path: "total", Match: catalogue.MatchText},
	}}
	email := func(id, subject, body string) *seenEmail {
		return &seenEmail{msg: &mailbox.Message{ID: id, Subject: subject}, email: catalogue.Email{Subject: subject, Body: body}}
	}
	subs := []subject{{eventID: "rem", object: map[string]any{"plan": "Gold", "product": "Music box", "total": "10.79"}}}
	confirmation := email("conf", "Thank you for your order", "Music box 10.79")
	reminder := email("rem-mail", "Heads up", "Gold renews: Music box")
	mt := &matching{n: n, memo: map[pairKey]catalogue.Report{}, excluded: map[string]bool{}, subs: subs,
		emails: []*seenEmail{confirmation, reminder},
		others: map[string]string{"conf": "the order confirmation about order.accepted acc"}}
	mt.assign()
	i, _, why, ok := mt.closest(nil)
	if !ok || mt.emails[i].msg.ID != "rem-mail" {
		t.Fatalf("closest = %v (%s), want the reminder without its total", mt.emails[i].msg.ID, why)
	}
	if strings.Contains(why, "order confirmation") || !strings.Contains(why, "(2 of 3) of those that are no other notification") {
		t.Errorf("why = %q, want the reminder's count among emails that are no other notification", why)
	}
	mt = &matching{n: n, memo: map[pairKey]catalogue.Report{}, excluded: map[string]bool{}, subs: subs,
		emails: []*seenEmail{confirmation},
		others: map[string]string{"conf": "the order confirmation about order.accepted acc"}}
	mt.assign()
	i, _, why, ok = mt.closest(nil)
	if !ok || mt.emails[i].msg.ID != "conf" {
		t.Fatalf("closest = %v, want the only email", ok)
	}
	if want := "it shows every required attribute of the order confirmation about order.accepted acc, so the renewal reminder itself may never have been sent"; !strings.Contains(why, want) {
		t.Errorf("why = %q, want %q", why, want)
	}
}

// An email that shows nothing of the notification is shown as the closest
// only when nothing else is left: another notification's email that shows
// some of it comes first (a reminder with no expiry warning, rather than
// an invoice email that shows none of the warning's attributes). For a
// merchant-side notice (no event), of emails that show as much the latest
// is shown: it answers the scenario's latest request.
func TestClosestEmailShowsSomething(t *testing.T) {
	n := &catalogue.Notification{ID: "payment-method-expiration", Name: "Payment method expiration", Trigger: "subscription.reminder", Attributes: []catalogue.Attribute{
		{Name: "card", Path: "card", Match: catalogue.MatchText},
		{Name: "date", Path: "date", Match: catalogue.MatchText},
	}}
	email := func(id, body string) *seenEmail {
		return &seenEmail{msg: &mailbox.Message{ID: id, Subject: id}, email: catalogue.Email{Subject: id, Body: body}}
	}
	mt := &matching{n: n, memo: map[pairKey]catalogue.Report{}, excluded: map[string]bool{},
		subs:   []subject{{eventID: "rem", object: map[string]any{"card": "1111", "date": "2 January"}}},
		emails: []*seenEmail{email("invoice", "Your invoice"), email("reminder", "Card 1111 renews 2 Janu")},
		others: map[string]string{"reminder": "the renewal reminder about subscription.reminder rem"}}
	mt.assign()
	if i, _, why, ok := mt.closest(nil); !ok || mt.emails[i].msg.ID != "reminder" {
		t.Errorf("closest = %v (%s), want the reminder, which shows the card", mt.emails[i].msg.ID, why)
	}

	side := &catalogue.Notification{ID: "return-instructions", Name: "Return instructions", Attributes: []catalogue.Attribute{
		{Name: "orderId", Path: "order.id", Match: catalogue.MatchText},
		{Name: "item", Path: "item", Match: catalogue.MatchText},
	}}
	mt = &matching{n: side, memo: map[pairKey]catalogue.Report{}, excluded: map[string]bool{},
		subs:   []subject{{object: map[string]any{"order": map[string]any{"id": "1001"}, "item": "Lantern x 1"}}},
		emails: []*seenEmail{email("invoice", "Invoice for order 1001"), email("return", "Return order 1001: Lantern x 2")}}
	mt.assign()
	if i, _, why, ok := mt.closest(nil); !ok || mt.emails[i].msg.ID != "return" {
		t.Errorf("closest = %v (%s), want the latest email, the return's", mt.emails[i].msg.ID, why)
	}
}

// With two copies of the first event's email and none of the second's (a
// merchant that sends twice, its subject pinned), a failure says the
// unmatched email is a second copy for an event already answered, not
// only which attributes of the other event it lacks.
func TestFailureNamesACopyOfAMatchedEmail(t *testing.T) {
	n := &catalogue.Notification{ID: "shipment", Name: "Shipment", Trigger: "fulfillment.created", Attributes: []catalogue.Attribute{
		{Name: "trackingNumber", Path: "trackingNumber", Match: catalogue.MatchText},
	}}
	subs := []subject{
		{eventID: "f1", object: map[string]any{"trackingNumber": "1Z1"}},
		{eventID: "f2", object: map[string]any{"trackingNumber": "JD2"}},
	}
	at := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	email := func(id string, sec int) *seenEmail {
		return &seenEmail{msg: &mailbox.Message{ID: id, Subject: "Shipped", Created: at.Add(time.Duration(sec) * time.Second)},
			email: catalogue.Email{Subject: "Shipped", Body: "Tracking 1Z1"}}
	}
	mt := &matching{n: n, emails: []*seenEmail{email("a", 0), email("b", 1)}, subs: subs, memo: map[pairKey]catalogue.Report{}, excluded: map[string]bool{}}
	mt.assign()
	if mt.size != 1 {
		t.Fatalf("matched %d, want 1", mt.size)
	}
	got := mt.duplicates()
	for _, want := range []string{"likely cause: ", "answers fulfillment.created f1, which \"Shipped\" at 2026-12-02T12:00:00Z already answers", "more than once for one event"} {
		if !strings.Contains(got, want) {
			t.Errorf("duplicates() = %q, want it to contain %q", got, want)
		}
	}
	// Two emails, each for its own event: no copy.
	mt = &matching{n: n, emails: []*seenEmail{email("a", 0)}, subs: subs, memo: map[pairKey]catalogue.Report{}, excluded: map[string]bool{}}
	mt.assign()
	if got := mt.duplicates(); got != "" {
		t.Errorf("one email: duplicates() = %q, want none", got)
	}
}

// Of two unmatched emails that each show only the order id of a refund, the
// closest is the one whose refund lines show the wrong amount (the refund
// email showing the order total), not an invoice email that arrived nearer
// in time (first): the failure shows the email that is about the refund.
func TestClosestPrefersTheEmailWithTheNotificationsLabels(t *testing.T) {
	c, err := catalogue.Parse("notifications.yaml", fixtures.Notifications())
	if err != nil {
		t.Fatal(err)
	}
	n, err := c.Get("refund-confirmation")
	if err != nil {
		t.Fatal(err)
	}
	order := map[string]any{"id": "1011", "currency": "USD", "refundedAmount": 5.0, "totalAmount": 27.01,
		"payment": map[string]any{"charges": []any{map[string]any{"refunds": []any{map[string]any{"state": "complete", "amount": 5.0}}}}}}
	at := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	email := func(id, subject, body string, sec int) *seenEmail {
		return &seenEmail{msg: &mailbox.Message{ID: id, Subject: subject, Created: at.Add(time.Duration(sec) * time.Second)},
			email: catalogue.Email{Subject: subject, Body: body}}
	}
	mt := &matching{n: n, subs: []subject{{eventID: "r1", object: order}}, memo: map[pairKey]catalogue.Report{}, excluded: map[string]bool{}, emails: []*seenEmail{
		email("invoice", "請求書のご案内", "注文番号 1011 の請求書: https://files.example/1", 0),
		email("refund", "返金手続きが完了しました", "注文番号 1011\n今回の返金額 US$27.01\n返金額の累計 US$27.01", 1),
	}}
	mt.assign()
	if mt.size != 0 {
		t.Fatalf("matched %d, want none", mt.size)
	}
	i, _, _, ok := mt.closest(nil)
	if !ok || mt.emails[i].msg.ID != "refund" {
		t.Errorf("closest = %q, want the refund email", mt.emails[i].msg.ID)
	}
}
