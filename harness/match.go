package harness

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/drsim/drsim/harness/catalogue"
	"github.com/drsim/drsim/harness/mailbox"
)

// How emails are matched to notifications.
//
// A notification's emails are recognised by what they show, not by their
// subject: an email is an X when it shows every required attribute of X for
// a trigger event the scenario has (ids, amounts, tracking numbers, dates…).
// A subject pattern in the profile pins X's subject (only emails whose
// subject matches are considered, and a wrong one fails at once); the
// catalogue's own patterns are mere hints that order the candidates.
//
// Several emails of one kind are matched to their trigger events as an
// assignment (a bipartite matching): each email to exactly one event whose
// attributes it shows. DR promises no delivery order and merchants send from
// worker pools, so arrival order is at most a warning.

// seenEmail is a message as the matcher reads it, decoded once per scenario.
type seenEmail struct {
	msg   *mailbox.Message
	email catalogue.Email
}

// view returns the scenario's decoded view of m (made once per message).
func (s *Scenario) view(m *mailbox.Message) *seenEmail {
	if s.views == nil {
		s.views = map[string]*seenEmail{}
	}
	key := m.ID
	if key == "" {
		key = m.Raw
	}
	if v, ok := s.views[key]; ok {
		return v
	}
	pages := s.actionPages()
	v := &seenEmail{msg: m, email: catalogue.Email{Subject: m.Subject, Body: m.Body(), Links: m.Links, Pages: pages, Zone: s.h.cfg.Profile.Zone()}}
	if m.TextIsAlternative {
		v.email.Shown, v.email.ShownLinks = m.Shown(), m.ShownLinks()
	}
	s.views[key] = v
	return v
}

// pinned is the profile's subject pattern for id, or nil.
func (s *Scenario) pinned(id string) (*regexp.Regexp, error) {
	pat := s.h.cfg.Profile.SubjectPattern(id, "")
	if pat == "" {
		return nil, nil
	}
	re, err := compiled(pat)
	if err != nil {
		return nil, fmt.Errorf("subject pattern %q for %s: %w", pat, id, err)
	}
	return re, nil
}

// hint is the catalogue's subject pattern for n, or nil.
func hint(n *catalogue.Notification) *regexp.Regexp {
	if n.Subject == "" {
		return nil
	}
	re, _ := compiled(n.Subject) // checked when the catalogue was parsed
	return re
}

// patterns are the subject patterns compiled so far (profiles' and
// catalogues', a few dozen): every email check uses them.
var patterns sync.Map // string → *regexp.Regexp

// compiled is regexp.Compile(pat), compiled once per process. A Regexp is
// safe for concurrent use.
func compiled(pat string) (*regexp.Regexp, error) {
	if re, ok := patterns.Load(pat); ok {
		return re.(*regexp.Regexp), nil
	}
	re, err := regexp.Compile(pat)
	if err != nil {
		return nil, err
	}
	patterns.Store(pat, re)
	return re, nil
}

// matching is one attempt to assign emails to subjects.
type matching struct {
	n      *catalogue.Notification
	emails []*seenEmail
	subs   []subject
	// memo keeps each email × subject check: emails arrive one at a time
	// and are inserted anywhere, so checks are kept by message and event,
	// not by position, and each pair is checked once per wait.
	memo map[pairKey]catalogue.Report
	// excluded are the message ids of emails another notification claims
	// (see rival).
	excluded map[string]bool
	// twinless are the message ids of emails that could as well be a twin
	// notification of the same event (catalogue distinctFrom) while no
	// other email can: why, by message id (see excludeTwinless).
	twinless map[string]string
	// others are the message ids of emails that show every required
	// attribute of another notification about one of the scenario's
	// events no email has been matched to yet: what they are (see
	// markOthers). A failure shows them as the closest email last.
	others map[string]string
	// pairs[i] is the subject assigned to email i, or -1.
	pairs []int
	size  int
}

// pairKey names an email × subject check: the message id, and the
// subject's event id with the document links known for it (a link the
// merchant makes later is a new subject), or its position for a
// merchant-side subject, which has no event (those are forgotten whenever
// the subjects are read again).
type pairKey struct{ msg, sub string }

func (mt *matching) key(i, j int) pairKey {
	sub := mt.subs[j]
	k := "#" + strconv.Itoa(j)
	if sub.eventID != "" {
		// The first delivery, once known, may make the email premature.
		k = sub.eventID + " " + strconv.FormatBool(sub.delivered.IsZero()) + " " + strings.Join(sub.docLinks, " ")
	}
	return pairKey{mt.emails[i].msg.ID, k}
}

// setSubjects replaces the subjects, keeping the checks of event subjects.
func (mt *matching) setSubjects(subs []subject) {
	mt.subs = subs
	for k := range mt.memo {
		if strings.HasPrefix(k.sub, "#") {
			delete(mt.memo, k)
		}
	}
}

func (mt *matching) report(i, j int) catalogue.Report {
	k := mt.key(i, j)
	if r, ok := mt.memo[k]; ok {
		return r
	}
	sub, e := mt.subs[j], mt.emails[i].email
	r := mt.n.Check(sub.object, e)
	if mt.n.Document != nil {
		f := catalogue.Finding{Attribute: "documentLink", Want: "a file link of file " + sub.docFile}
		_, links := e.Read()
		for _, l := range links {
			if slices.Contains(sub.docLinks, l) {
				f.Found = l
			}
		}
		r.Findings = append(r.Findings, f)
	}
	if got := mt.emails[i].msg.Created; sub.premature(got) {
		r.Findings = append(r.Findings, catalogue.Finding{Attribute: "sentAfterEvent",
			Want: fmt.Sprintf("an email that arrived after Digital River first delivered %s %s to the merchant at %s (this one arrived at %s, %s before: it answers an earlier event)",
				mt.n.Trigger, sub.eventID, sub.delivered.UTC().Format(time.RFC3339Nano), got.UTC().Format(time.RFC3339Nano), sub.delivered.Sub(got).Round(time.Millisecond))})
	}
	mt.memo[k] = r
	return r
}

func (mt *matching) fits(i, j int) bool {
	id := mt.emails[i].msg.ID
	return !mt.excluded[id] && mt.twinless[id] == "" && mt.report(i, j).Err() == nil
}

// assign finds a largest assignment of emails to subjects (Kuhn's augmenting
// paths). Emails are tried in the order given, subjects in event order, so
// the natural assignment wins when there are several. A merchant-side
// subject (no event) may take any number of emails.
func (mt *matching) assign() {
	owner := make([]int, len(mt.subs)) // subject → email, -1 free
	for j := range owner {
		owner[j] = -1
	}
	mt.pairs = make([]int, len(mt.emails))
	mt.size = 0
	var try func(i int, seen []bool) bool
	try = func(i int, seen []bool) bool {
		for j := range mt.subs {
			if seen[j] || !mt.fits(i, j) {
				continue
			}
			if mt.subs[j].eventID == "" {
				mt.pairs[i] = j
				return true
			}
			seen[j] = true
			if owner[j] < 0 || try(owner[j], seen) {
				owner[j] = i
				mt.pairs[i] = j
				return true
			}
		}
		return false
	}
	for i := range mt.emails {
		mt.pairs[i] = -1
		if try(i, make([]bool, len(mt.subs))) {
			mt.size++
		}
	}
}

// duplicates says, when an unmatched email shows every required attribute
// of an event another email was matched to, that the merchant sent the
// email twice for that event: with the subject pinned, the copies arrive
// in place of the other events' emails, and the closest email is a copy.
func (mt *matching) duplicates() string {
	for a, pa := range mt.pairs {
		if pa >= 0 || mt.excluded[mt.emails[a].msg.ID] {
			continue
		}
		for b, pb := range mt.pairs {
			if pb < 0 || mt.subs[pb].eventID == "" || mt.report(a, pb).Err() != nil {
				continue
			}
			first, copy := mt.emails[b].msg, mt.emails[a].msg
			return fmt.Sprintf("; likely cause: %q at %s answers %s %s, which %q at %s already answers: the merchant sent this email more than once for one event (a handler that is not idempotent, or a mailer that sends twice)",
				copy.Subject, copy.Created.Format(time.RFC3339Nano), mt.n.Trigger, mt.subs[pb].eventID, first.Subject, first.Created.Format(time.RFC3339Nano))
		}
	}
	return ""
}

// labelledLines counts the lines of an email that carry one of the
// notification's money labels but show another amount: of two emails that
// show as much of a notification, the one with its labels (a refund email
// showing the order total on its refund line) is about it, not the other
// (an invoice email showing only the order id).
func labelledLines(r catalogue.Report) int {
	n := 0
	for _, f := range r.Findings {
		if f.Labelled {
			n++
		}
	}
	return n
}

// closest is the unassigned email and subject to show in a failure, and
// why they were chosen; ok is false when there is none. Emails another
// notification claims (rivals, twins) are left out, and so are events that
// already have their email, when others are left. Among the rest it prefers,
// in order: the most required attributes shown, a subject that matches the
// catalogue's hint for the notification, and an email whose place among
// the unmatched emails (by arrival) is the event's place among the
// unmatched events (the n-th email left for the n-th event left).
func (mt *matching) closest(hintRE *regexp.Regexp) (i, j int, why string, ok bool) {
	taken := map[int]bool{}
	for _, b := range mt.pairs {
		if b >= 0 && mt.subs[b].eventID != "" {
			taken[b] = true
		}
	}
	var emails, subs []int
	for a := range mt.emails {
		id := mt.emails[a].msg.ID
		if mt.pairs[a] < 0 && !mt.excluded[id] && mt.twinless[id] == "" {
			emails = append(emails, a)
		}
	}
	for b := range mt.subs {
		if !taken[b] {
			subs = append(subs, b)
		}
	}
	freeEvents := len(subs) > 0
	if len(emails) == 0 {
		for a := range mt.emails {
			if mt.pairs[a] < 0 {
				emails = append(emails, a)
			}
		}
	}
	if len(subs) == 0 {
		for b := range mt.subs {
			subs = append(subs, b)
		}
	}
	// The unmatched emails by arrival, the events by time.
	slices.SortStableFunc(emails, func(x, y int) int { return mt.emails[x].msg.Created.Compare(mt.emails[y].msg.Created) })
	type score struct{ other, found, labelled, hinted, place int }
	better := func(x, y score) bool {
		if x.other != y.other {
			return x.other < y.other
		}
		if x.found != y.found {
			return x.found > y.found
		}
		if x.labelled != y.labelled {
			return x.labelled > y.labelled
		}
		if x.hinted != y.hinted {
			return x.hinted > y.hinted
		}
		return x.place < y.place
	}
	var best score
	for ra, a := range emails {
		hinted, other := 0, 0
		if hintRE != nil && hintRE.MatchString(mt.emails[a].msg.Subject) {
			hinted = 1
		}
		if mt.others[mt.emails[a].msg.ID] != "" {
			other = 1
		}
		for rb, b := range subs {
			r := mt.report(a, b)
			sc := score{other: other, found: len(r.Findings) - len(r.Failed()), labelled: labelledLines(r), hinted: hinted, place: abs(ra - rb)}
			if other == 0 && sc.found == 0 {
				sc.other = 2 // shows nothing of it: after another notification's email that shows some
			}
			if mt.subs[b].eventID == "" {
				// A merchant-side notice answers the scenario's latest
				// request: of emails that show as much, the latest.
				sc.place = len(emails) - 1 - ra
			}
			if !ok || better(sc, best) {
				best, i, j, ok = sc, a, b, true
			}
		}
	}
	if !ok {
		return 0, 0, "", false
	}
	r := mt.report(i, j)
	why = fmt.Sprintf("chosen among %d unmatched email(s) as the one that shows the most required attributes (%d of %d)", len(emails), len(r.Findings)-len(r.Failed()), len(r.Findings))
	if best.other != 1 {
		for _, a := range emails {
			if mt.others[mt.emails[a].msg.ID] != "" {
				why += " of those that are no other notification"
				break
			}
		}
	}
	if ev := mt.subs[j].eventID; ev != "" {
		if freeEvents {
			why += fmt.Sprintf(" of an event that no email matched, %s %s", mt.n.Trigger, ev)
		} else {
			why += fmt.Sprintf(" of any event, %s %s: every %s event about the order already has its email, so this email's own event may be missing", mt.n.Trigger, ev, mt.n.Trigger)
		}
	}
	if best.hinted > 0 {
		why += fmt.Sprintf("; its subject fits %q", hintRE.String())
	}
	if o := mt.others[mt.emails[i].msg.ID]; o != "" {
		why += fmt.Sprintf("; it shows every required attribute of %s, so the %s itself may never have been sent", o, strings.ToLower(mt.n.Name))
	}
	return i, j, why, true
}

// markOthers notes in mt.others each email that shows every required
// attribute of another notification about one of the scenario's events
// that no email has been matched to yet (the order confirmation, when a
// renewal reminder is missing a price): such an email is most likely
// that notification, so a failure shows an email that is nothing else as
// the closest first. Notifications with a document (they need their file
// link) and merchant-side ones (no event) are left out.
func (s *Scenario) markOthers(ctx context.Context, mt *matching) {
	mt.others = map[string]string{}
	cache := map[string][]subject{}
	for _, v := range mt.emails {
		for _, y := range s.h.cfg.Catalogue.Notifications {
			if y.ID == mt.n.ID || y.Trigger == "" || y.Document != nil || y.Recipient == "" {
				continue
			}
			if pin, _ := s.pinned(y.ID); pin != nil && !pin.MatchString(v.msg.Subject) {
				continue
			}
			subs, ok := cache[y.ID]
			if !ok {
				subs, _ = s.subjects(ctx, y, false) // no order yet, or DR unreachable: none
				cache[y.ID] = subs
			}
			for _, sub := range subs {
				if y.Check(sub.object, v.email).Err() == nil {
					mt.others[v.msg.ID] = fmt.Sprintf("the %s about %s %s", strings.ToLower(y.Name), y.Trigger, sub.eventID)
					break
				}
			}
			if mt.others[v.msg.ID] != "" {
				break
			}
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// ExpectNotifications waits until n emails of notification id have reached
// the customer, each matched to its own trigger event about the scenario's
// order or subscription (or, for a merchant-side notification, to what the
// scenario asked the merchant), and checks every required attribute.
func (s *Scenario) ExpectNotifications(ctx context.Context, customerName, id string, n int) (err error) {
	c, err := s.customer(customerName)
	if err != nil {
		return err
	}
	nt, err := s.h.cfg.Catalogue.Get(id)
	if err != nil {
		return err
	}
	pin, err := s.pinned(id)
	if err != nil {
		return err
	}
	check := Check{Notification: id, Recipient: c.Email}
	defer func() { check.Err = err; s.addCheck(check) }()

	// The email timeout counts the time spent waiting for mail, not the
	// harness's work on each email that arrives (reading the trigger
	// events, matching): that work grows with the emails and events
	// expected (a year of renewals) and with the machine's load.
	budget := newWaitBudget(ctx, s.h.cfg.Profile.EmailTimeout())
	defer budget.stop()
	wctx := budget.ctx
	what := strings.ToLower(nt.Name) + " email"
	if n > 1 {
		what = fmt.Sprintf("%d %s emails", n, strings.ToLower(nt.Name))
	}
	desc := what + " (recognised by content)"
	if pin != nil {
		desc = fmt.Sprintf("%s (subject matching %q)", what, pin.String())
	}
	consumed := s.consumedIDs()
	hintRE := hint(nt)
	mt := &matching{n: nt, memo: map[pairKey]catalogue.Report{}, excluded: map[string]bool{}}
	// all is every email to the customer, for the twins' check.
	var all []*mailbox.Message
	rivals := map[string][]subject{}
	var subsErr error
	stale := true
	matched := func() bool { return s.matchDelivered(wctx, mt, n, rivals, all) }
	started := time.Now()
	_, werr := s.h.cfg.Mailbox.Wait(wctx, c.Email, desc, func(m *mailbox.Message) bool {
		budget.pause()
		defer budget.resume()
		all = append(all, m)
		if consumed[m.ID] || (pin != nil && !pin.MatchString(m.Subject)) {
			return false
		}
		v := s.view(m)
		// Emails whose subject matches the catalogue's hint are tried first.
		at := len(mt.emails)
		if hintRE != nil && hintRE.MatchString(m.Subject) {
			at = 0
			for at < len(mt.emails) && hintRE.MatchString(mt.emails[at].msg.Subject) {
				at++
			}
		}
		mt.emails = slices.Insert(mt.emails, at, v)
		if len(mt.emails) < n {
			return false
		}
		if stale || len(mt.subs) < n {
			subs, err := s.subjects(wctx, nt, false)
			if err != nil {
				subsErr = err
				return true
			}
			mt.setSubjects(subs)
			stale = false
		}
		if matched() {
			return true
		}
		stale = true
		// A pinned subject names the emails: with n of them here, fail now
		// (not counting those that arrived before every event they could
		// answer: they may be another notification's, which shares the pin).
		return pin != nil && mt.timely() >= n && s.awaitDeliveries(wctx, mt) && mt.timely() >= n
	})
	if subsErr != nil {
		return fmt.Errorf("%s: %w", nt.Name, subsErr)
	}
	if mt.size >= n {
		return s.settle(ctx, c, nt, mt, n, &check)
	}
	// Not enough emails could be matched: look at the events once more (one
	// may have come late), then say what came closest, or what happened to
	// the trigger events.
	if len(mt.emails) > 0 {
		if subs, err := s.subjects(ctx, nt, false); err == nil {
			mt.setSubjects(subs)
			if s.matchDelivered(ctx, mt, n, rivals, all) {
				return s.settle(ctx, c, nt, mt, n, &check)
			}
		}
	}
	if why := mt.twinReason(); why != "" {
		return fmt.Errorf("%s to %s: %s", strings.ToLower(nt.Name), c.Email, why)
	}
	s.markOthers(ctx, mt)
	if i, j, why, ok := mt.closest(hintRE); ok {
		v, sub := mt.emails[i], mt.subs[j]
		r := mt.report(i, j)
		s.RecordEmail(EmailEvidence{Notification: id, Recipient: c.Email, Message: v.msg, EventID: sub.eventID, EventType: eventType(nt, sub), Object: sub.object, Findings: r.Findings, Err: r.Err()})
		got := ""
		if n > 1 {
			got = fmt.Sprintf(" (%d of %d matched)", mt.size, n)
		}
		lead := ""
		if nt.Document != nil && sub.docFile != "" {
			lead = s.linkedFiles(ctx, v.msg.Links, sub.docFile)
		}
		if sub.premature(v.msg.Created) {
			lead += s.prematureCause(ctx, nt, v.msg.Created)
		}
		return fmt.Errorf("%s to %s%s: the closest email, %q (%s), %w%s%s; text was:\n%s", strings.ToLower(nt.Name), c.Email, got, v.msg.Subject, why, r.Err(), lead, mt.duplicates(), indent(v.msg.Body(), "in the report's emails/ directory as .eml and in report.html"))
	}
	if len(mt.emails) > 0 && len(mt.subs) == 0 {
		return fmt.Errorf("%s to %s: an email arrived (%q) but no %s event about order %s is left to match it", strings.ToLower(nt.Name), c.Email, mt.emails[0].msg.Subject, nt.Trigger, s.orderIDOrNone())
	}
	if werr == nil {
		werr = fmt.Errorf("no %s after %s", desc, time.Since(started).Round(time.Millisecond))
	}
	return fmt.Errorf("%s: %w%s", nt.Name, werr, s.diagnose(ctx, nt, c.Email))
}

// match assigns emails to subjects, dropping those another notification
// claims (rivals) and those that could as well be a twin of the same event
// when no other email can, and reports whether n were matched.
func (s *Scenario) match(ctx context.Context, mt *matching, n int, rivals map[string][]subject, all []*mailbox.Message) bool {
	mt.twinless = map[string]string{} // a new email may be the twin now
	for {
		mt.assign()
		if mt.size < n {
			return false
		}
		if s.excludeRivals(ctx, mt, rivals) || s.excludeTwinless(mt, all) {
			continue
		}
		return true
	}
}

// excludeTwinless drops from the assignment each email that could as well
// be a twin notification of its event (the catalogue's distinctFrom: a
// subscription order's confirmation shows all a subscription acquisition
// does) when no other email to the customer can be that twin: the two are
// separate messages, so one email never counts as both. It reports
// whether it dropped any.
func (s *Scenario) excludeTwinless(mt *matching, all []*mailbox.Message) bool {
	twins := s.h.cfg.Catalogue.Twins(mt.n)
	if len(twins) == 0 {
		return false
	}
	consumed := s.consumedAs()
	changed := false
	for i, j := range mt.pairs {
		if j < 0 {
			continue
		}
		v, sub := mt.emails[i], mt.subs[j]
		for _, y := range twins {
			if !y.About(sub.object) || !s.couldBe(y, sub, v, consumed) {
				continue
			}
			other := false
			for _, m := range all {
				if m.ID != v.msg.ID && s.couldBe(y, sub, s.view(m), consumed) {
					other = true
					break
				}
			}
			if !other {
				mt.twinless[v.msg.ID] = fmt.Sprintf("the only email that shows what a %s does, %q, is just as well the %s about the same %s event %s, and no other email is: the two are separate messages, so the merchant sent one where Digital River requires both",
					strings.ToLower(mt.n.Name), v.msg.Subject, strings.ToLower(y.Name), y.Trigger, sub.eventID)
				changed = true
				break
			}
		}
	}
	return changed
}

// usedKey names a trigger event matched to an email of notification id:
// notifications that share a trigger (an order's confirmation and its
// subscription acquisition, a reminder and the card-expiry warning) each
// need their own email of the same event.
func usedKey(id, eventID string) string { return id + " " + eventID }

// fitsTwin reports whether email v shows every required attribute of a
// twin of nt (catalogue distinctFrom) about the same event as well: its
// subject is not listed among those recognised, ready to pin, since it
// would pin either notification (two emails that both show everything of
// both are matched either way round).
func (s *Scenario) fitsTwin(nt *catalogue.Notification, sub subject, v *seenEmail) bool {
	for _, y := range s.h.cfg.Catalogue.Twins(nt) {
		if y.About(sub.object) && y.Check(sub.object, v.email).Err() == nil {
			return true
		}
	}
	return false
}

// couldBe reports whether email v could be notification y about subject
// sub: it was matched as y, or it is not matched yet and its subject fits
// y's pinned pattern (when the profile pins one) or it shows every
// required attribute of y.
func (s *Scenario) couldBe(y *catalogue.Notification, sub subject, v *seenEmail, consumed map[string]string) bool {
	if as, done := consumed[v.msg.ID]; done {
		return as == y.ID
	}
	if pin, _ := s.pinned(y.ID); pin != nil {
		return pin.MatchString(v.msg.Subject)
	}
	return y.Check(sub.object, v.email).Err() == nil
}

// consumedAs copies the consumed emails and what each was matched as.
func (s *Scenario) consumedAs() map[string]string {
	return maps.Clone(s.consumed)
}

// twinReason is why an email was left out as twinless, or "".
func (mt *matching) twinReason() string {
	for _, v := range mt.emails {
		if why := mt.twinless[v.msg.ID]; why != "" {
			return why
		}
	}
	return ""
}

func eventType(n *catalogue.Notification, sub subject) string {
	if sub.eventID == "" {
		return ""
	}
	return n.Trigger
}

// settle records the n matched emails, checks their documents, consumes
// them and their events, and warns when they arrived out of event order.
func (s *Scenario) settle(ctx context.Context, c *Customer, nt *catalogue.Notification, mt *matching, n int, check *Check) error {
	type pair struct {
		v   *seenEmail
		sub subject
		r   catalogue.Report
	}
	var pairs []pair
	for i, j := range mt.pairs {
		if j >= 0 && len(pairs) < n {
			pairs = append(pairs, pair{mt.emails[i], mt.subs[j], mt.report(i, j)})
		}
	}
	for _, p := range pairs {
		s.RecordEmail(EmailEvidence{Notification: nt.ID, Recipient: c.Email, Message: p.v.msg, EventID: p.sub.eventID, EventType: eventType(nt, p.sub), Object: p.sub.object, Findings: p.r.Findings})
		if !s.fitsTwin(nt, p.sub, p.v) {
			check.Subjects = append(check.Subjects, p.v.msg.Subject)
		}
		if nt.Document != nil {
			fl, err := s.checkDocument(ctx, nt.Document, p.sub.object, p.v.msg.ShownLinks())
			if err != nil {
				return fmt.Errorf("%s to %s: %w", strings.ToLower(nt.Name), c.Email, err)
			}
			s.lastLink = fl
		}
	}
	if s.consumed == nil {
		s.consumed = map[string]string{}
	}
	if s.usedEvents == nil {
		s.usedEvents = map[string]bool{}
	}
	for _, p := range pairs {
		s.consumed[p.v.msg.ID] = nt.ID
		if p.sub.eventID != "" {
			s.usedEvents[usedKey(nt.ID, p.sub.eventID)] = true
		}
	}
	// Arrival order against event order: a warning only.
	byArrival := slices.Clone(pairs)
	slices.SortStableFunc(byArrival, func(a, b pair) int { return a.v.msg.Created.Compare(b.v.msg.Created) })
	for i := 1; i < len(byArrival); i++ {
		if byArrival[i].sub.at.Before(byArrival[i-1].sub.at) {
			check.Warnings = append(check.Warnings, fmt.Sprintf("%s emails arrived in another order than their events (DR promises no order; each was matched by content)", strings.ToLower(nt.Name)))
			break
		}
	}
	return nil
}

// consumedIDs copies the set of consumed message ids.
func (s *Scenario) consumedIDs() map[string]bool {
	out := make(map[string]bool, len(s.consumed))
	for id := range s.consumed {
		out[id] = true
	}
	return out
}

// recogniser tells whether an email is one of notification nt: its subject
// matches the pinned pattern, or (without one) it was matched as nt earlier
// in the scenario, or it is not yet matched and shows every required
// attribute of nt for one of the trigger events (used ones included: a
// duplicate is about an event already matched).
func (s *Scenario) recogniser(ctx context.Context, nt *catalogue.Notification) (func(*mailbox.Message) bool, error) {
	pin, err := s.pinned(nt.ID)
	if err != nil {
		return nil, err
	}
	if pin != nil {
		return func(m *mailbox.Message) bool { return pin.MatchString(m.Subject) }, nil
	}
	subs, err := s.subjects(ctx, nt, true)
	if err != nil {
		return nil, err
	}
	rivals := map[string][]subject{}
	return func(m *mailbox.Message) bool {
		as, done := s.consumed[m.ID]
		if done {
			return as == nt.ID
		}
		v := s.view(m)
		for _, sub := range subs {
			if nt.Check(sub.object, v.email).Err() == nil {
				return s.rival(ctx, nt, v, rivals) == ""
			}
		}
		return false
	}, nil
}

// required counts a notification's required attributes.
func required(n *catalogue.Notification) int {
	k := 0
	for _, a := range n.Attributes {
		if !a.Optional && !a.Absent {
			k++
		}
	}
	if n.Document != nil {
		k++
	}
	return k
}

// excludeRivals drops from the assignment each email that is more
// specifically another notification: it shows every required attribute of
// a notification that requires more than mt's does, for one of that
// notification's trigger events (a renewal confirmation shows everything a
// renewal reminder does, and the renewal's order id besides). It reports
// whether it excluded any. rivals caches the other notifications' subjects.
func (s *Scenario) excludeRivals(ctx context.Context, mt *matching, rivals map[string][]subject) bool {
	changed := false
	for i, j := range mt.pairs {
		if j < 0 || mt.excluded[mt.emails[i].msg.ID] {
			continue
		}
		if y := s.rival(ctx, mt.n, mt.emails[i], rivals); y != "" {
			mt.excluded[mt.emails[i].msg.ID] = true
			changed = true
		}
	}
	return changed
}

// rival names the more specific notification email v is, or "".
func (s *Scenario) rival(ctx context.Context, x *catalogue.Notification, v *seenEmail, rivals map[string][]subject) string {
	rx := required(x)
	for _, y := range s.h.cfg.Catalogue.Notifications {
		if y.ID == x.ID || required(y) <= rx || y.Recipient == "" {
			continue
		}
		if pin, _ := s.pinned(y.ID); pin != nil && !pin.MatchString(v.msg.Subject) {
			continue
		}
		subs, ok := rivals[y.ID]
		if !ok {
			var err error
			if subs, err = s.subjects(ctx, y, true); err != nil {
				subs = nil // no order yet, or DR unreachable: no rival
			}
			rivals[y.ID] = subs
		}
		for _, sub := range subs {
			if y.Document != nil {
				continue // documents need their file link: never confused
			}
			if y.Check(sub.object, v.email).Err() == nil {
				return y.ID
			}
		}
	}
	return ""
}
