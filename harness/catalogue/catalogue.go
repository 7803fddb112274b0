// Package catalogue is the notification catalogue: each required
// notification as data (trigger event, recipient, subject, required
// attributes and how each is matched in an email), and the matching itself.
// The catalogue ships in fixtures/notifications.yaml.
package catalogue

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/drsim/drsim/internal/editdist"
)

// Match kinds.
const (
	MatchText  = "text"
	MatchMoney = "money"
	MatchDate  = "date"
	MatchLink  = "link"
	MatchLast4 = "last4"
	// MatchNumber: the value as a number standing alone (quantities).
	MatchNumber = "number"
	// MatchLinkContains: some link target contains the value.
	MatchLinkContains = "linkContains"
	// MatchLine: the values of Paths, taken index by index, appear together
	// on one line of the text (a product and its quantity).
	MatchLine = "line"
	// MatchLinkTo: some link leads to the page of one of the profile's
	// Actions (same URL path); when the profile has none of them, some link
	// contains one of Values.
	MatchLinkTo = "linkTo"
)

// Catalogue is every notification, by id.
type Catalogue struct {
	// Labels are the words that label money amounts, by label name, in
	// several languages (refund: [refund, Erstattung, remboursement, …]).
	Labels        map[string][]string `yaml:"labels"`
	Notifications []*Notification     `yaml:"notifications"`
	byID          map[string]*Notification
}

// Notification is one required notification.
type Notification struct {
	ID      string `yaml:"id"`
	Name    string `yaml:"name"`
	Trigger string `yaml:"trigger"`
	// When selects the trigger events this notification is about: the path
	// must yield at least one value (e.g. items[quantity>0] for shipments);
	// paths joined by " or " are alternatives, one of which must.
	When string `yaml:"when"`
	// AlsoOn are event types DR's docs also suggest for this notification
	// (refund.complete for the refund confirmation): the merchant receives
	// them, and an email sent on one of them, recorded with the trigger
	// event, counts as sent on the trigger event.
	AlsoOn []string `yaml:"alsoOn"`
	// Description says what the notification is for (docs and reports).
	Description string `yaml:"description"`
	Recipient   string `yaml:"recipient"` // path to the recipient's address in the trigger object
	Currency    string `yaml:"currency"`  // path to the currency code in the trigger object
	Subject     string `yaml:"subject"`   // default subject pattern (regular expression)
	// SubjectWords name the notification in a subject, in the catalogue's
	// languages ("versandt", "解約が完了"): found anywhere in the subject,
	// in any case. With the English Subject pattern they recognise an email
	// sent on the wrong event (see Named); never a hint for matching.
	SubjectWords []string `yaml:"subjectWords"`
	// NotWords say that an email is not this notification though it shows
	// its content (an order placed and awaiting its payment is not yet
	// confirmed: "awaiting payment", "入金待ち"): found anywhere in the
	// subject or text, in any case (see Disclaimed).
	NotWords   []string    `yaml:"notWords"`
	Attributes []Attribute `yaml:"attributes"`
	// Document, when set, says the email must link to a file link of a DR
	// file whose PDF text shows what it lists.
	Document *Document `yaml:"document"`
	// DistinctFrom names notifications with the same trigger that are
	// separate messages for the same event (a subscription's acquisition
	// and its order's confirmation): one email is never both, so a check
	// of either needs another email that is the other. It works both ways.
	DistinctFrom []string `yaml:"distinctFrom"`

	labels    map[string][]string // the catalogue's labels
	subjectRE *regexp.Regexp      // Subject, compiled by Parse
}

// Twins are the notifications that must be other emails than n's for the
// same event: those n's distinctFrom names and those naming n.
func (c *Catalogue) Twins(n *Notification) []*Notification {
	var out []*Notification
	for _, y := range c.Notifications {
		if y.ID != n.ID && (slices.Contains(n.DistinctFrom, y.ID) || slices.Contains(y.DistinctFrom, n.ID)) {
			out = append(out, y)
		}
	}
	return out
}

// Document describes the PDF a notification must link to. Its paths read
// {"object": the trigger object, "order": the order it is about}.
type Document struct {
	FileID   string      `yaml:"fileId"`   // path to the File id
	Currency string      `yaml:"currency"` // path to the currency, for money
	Contains []Attribute `yaml:"contains"` // what the PDF's text must show
}

// Attribute is one fact the email must show.
type Attribute struct {
	Name     string   `yaml:"name"`
	Path     string   `yaml:"path"`
	Paths    []string `yaml:"paths"` // for match: line
	Value    string   `yaml:"value"` // a literal instead of a path
	Match    string   `yaml:"match"`
	Optional bool     `yaml:"optional"`
	// Absent inverts the check: the value must NOT appear (e.g. the items
	// of another shipment).
	Absent bool `yaml:"absent"`
	// Values are alternatives for a literal (any one will do): the same
	// word in several languages, or for linkTo what a link may contain when
	// the profile has none of Actions.
	Values []string `yaml:"values"`
	// Actions name the profile actions whose page a linkTo link leads to.
	Actions []string `yaml:"actions"`
	// Label names the catalogue label of a money attribute: a line of the
	// email that carries the label and shows an amount must show this value
	// (or another attribute's with the same label).
	Label string `yaml:"label"`
	// Pick "last" keeps only the last value of the path (the newest refund).
	Pick string `yaml:"pick"`
	// Near anchors a number to its context: it must stand alone on a line
	// that contains one of these words (anywhere in a word, in any case:
	// "versuch" in "Abbuchungsversuch"), so an attempt count is not found
	// in a quantity. Only for match: number.
	Near []string `yaml:"near"`
}

// Parse reads a catalogue, rejecting unknown fields and bad values with the
// line and column of the mistake. name labels errors (a file name).
func Parse(name string, data []byte) (*Catalogue, error) {
	var c Catalogue
	dec := yaml.NewDecoder(bytes.NewReader(data), yaml.DisallowUnknownField())
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("catalogue %s:\n%s", name, yaml.FormatError(err, false, true))
	}
	c.byID = map[string]*Notification{}
	for i, n := range c.Notifications {
		where := fmt.Sprintf("catalogue %s: notifications[%d] (%s)", name, i, n.ID)
		switch {
		case n.ID == "":
			return nil, fmt.Errorf("%s: id is required", where)
		case c.byID[n.ID] != nil:
			return nil, fmt.Errorf("%s: id %q appears twice", where, n.ID)
		case n.Recipient == "":
			return nil, fmt.Errorf("%s: recipient is required", where)
		}
		if n.Subject != "" {
			re, err := regexp.Compile(n.Subject)
			if err != nil {
				return nil, fmt.Errorf("%s: subject %q: %w", where, n.Subject, err)
			}
			n.subjectRE = re
		}
		for _, w := range append(slices.Clone(n.SubjectWords), n.NotWords...) {
			if strings.TrimSpace(w) == "" {
				return nil, fmt.Errorf("%s: subjectWords and notWords take no empty word", where)
			}
		}
		n.labels = c.Labels
		for j, a := range n.Attributes {
			if a.Label != "" && c.Labels[a.Label] == nil {
				return nil, fmt.Errorf("%s: attributes[%d] (%s): label %q is not under \"labels\"", where, j, a.Name, a.Label)
			}
			if len(a.Near) > 0 && a.Match != MatchNumber {
				return nil, fmt.Errorf("%s: attributes[%d] (%s): near is for match number, not %q", where, j, a.Name, a.Match)
			}
			if a.Pick != "" && a.Pick != "last" {
				return nil, fmt.Errorf("%s: attributes[%d] (%s): pick %q: want last", where, j, a.Name, a.Pick)
			}
			switch a.Match {
			case MatchLinkTo:
				if a.Name == "" || len(a.Actions) == 0 {
					return nil, fmt.Errorf("%s: attributes[%d] (%s): match linkTo needs a name and actions", where, j, a.Name)
				}
			case MatchText, MatchMoney, MatchDate, MatchLink, MatchLast4, MatchNumber, MatchLinkContains:
				literal := a.Value != "" || len(a.Values) > 0
				if a.Name == "" || (a.Path == "") == !literal {
					return nil, fmt.Errorf("%s: attributes[%d] (%s): a name and exactly one of path or value(s) are required", where, j, a.Name)
				}
			case MatchLine:
				if a.Name == "" || len(a.Paths) < 2 {
					return nil, fmt.Errorf("%s: attributes[%d] (%s): match line needs a name and at least two paths", where, j, a.Name)
				}
			default:
				return nil, fmt.Errorf("%s: attributes[%d] (%s): match %q: want text, money, date, link, linkContains, linkTo, number, line or last4", where, j, a.Name, a.Match)
			}
			if a.Match == MatchMoney && n.Currency == "" {
				return nil, fmt.Errorf("%s: attributes[%d] (%s) matches money but the notification has no currency path", where, j, a.Name)
			}
		}
		if d := n.Document; d != nil && (d.FileID == "" || len(d.Contains) == 0) {
			return nil, fmt.Errorf("%s: document needs fileId and contains", where)
		}
		c.byID[n.ID] = n
	}
	for i, n := range c.Notifications {
		for _, id := range n.DistinctFrom {
			y, ok := c.byID[id]
			switch {
			case !ok:
				return nil, fmt.Errorf("notifications[%d] (%s): distinctFrom %q is not a notification of the catalogue", i, n.ID, id)
			case y.Trigger != n.Trigger || n.Trigger == "":
				return nil, fmt.Errorf("notifications[%d] (%s): distinctFrom %q has another trigger (%q, not %q): only notifications of one event can be confused", i, n.ID, id, y.Trigger, n.Trigger)
			}
		}
	}
	return &c, nil
}

// WordAttributes are the names of n's attributes matched by alternatives
// (Values): those a profile may add words to (WithWords).
func (n *Notification) WordAttributes() []string {
	var out []string
	for _, a := range n.Attributes {
		if len(a.Values) > 0 {
			out = append(out, a.Name)
		}
	}
	return out
}

// WithWords returns a copy of c in which the attributes named in words
// (by notification id, then attribute name) take the given words as
// alternatives besides their own; c is unchanged. An id or attribute that
// takes no words is an error.
func (c *Catalogue) WithWords(words map[string]map[string][]string) (*Catalogue, error) {
	out := &Catalogue{Labels: c.Labels, byID: map[string]*Notification{}}
	for _, n := range c.Notifications {
		cp := *n
		if add, ok := words[n.ID]; ok {
			cp.Attributes = slices.Clone(n.Attributes)
			for name, ws := range add {
				i := slices.IndexFunc(cp.Attributes, func(a Attribute) bool { return a.Name == name && len(a.Values) > 0 })
				if i < 0 {
					return nil, fmt.Errorf("%s has no attribute %q matched by words (those it has: %s)", n.ID, name, orNone(n.WordAttributes()))
				}
				cp.Attributes[i].Values = append(slices.Clip(cp.Attributes[i].Values), ws...)
			}
		}
		out.Notifications = append(out.Notifications, &cp)
		out.byID[cp.ID] = &cp
	}
	for id := range words {
		if _, ok := out.byID[id]; !ok {
			return nil, fmt.Errorf("no notification %q in the catalogue", id)
		}
	}
	return out, nil
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// Get returns a notification by its id ("order-confirmation") or by the
// words QA types in a step ("order confirmation", in any case and spacing).
// An unknown one fails with the names QA can type and, when one is a slip
// away, the one meant.
func (c *Catalogue) Get(name string) (*Notification, error) {
	if n, ok := c.byID[ID(name)]; ok {
		return n, nil
	}
	names := c.Names()
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = strconv.Quote(n)
	}
	typed := strings.Join(strings.Fields(strings.ReplaceAll(name, "-", " ")), " ")
	return nil, fmt.Errorf("no notification %q in the catalogue;%s the notifications are: %s",
		typed, editdist.DidYouMean(strings.ToLower(typed), names), strings.Join(quoted, ", "))
}

// ID is the catalogue id of a notification named in words: "Order
// confirmation" is "order-confirmation".
func ID(name string) string {
	return strings.Join(strings.Fields(strings.ToLower(name)), "-")
}

// Names are the notifications as QA names them in steps ("order
// confirmation"), in catalogue order.
func (c *Catalogue) Names() []string {
	out := make([]string, len(c.Notifications))
	for i, n := range c.Notifications {
		out[i] = strings.ToLower(n.Name)
	}
	return out
}

// Named reports whether subject names n: it fits n's subject pattern or
// holds one of its subject words (case-insensitive, anywhere in the
// subject); what it found, for messages.
func (n *Notification) Named(subject string) (string, bool) {
	re := n.subjectRE
	if re == nil && n.Subject != "" {
		re, _ = regexp.Compile(n.Subject) // a catalogue not made by Parse
	}
	if re != nil {
		if loc := re.FindStringIndex(subject); loc != nil {
			return subject[loc[0]:loc[1]], true
		}
	}
	return containsAny(subject, n.SubjectWords)
}

// Disclaimed reports whether email e says it is not n (one of n's
// NotWords in its subject or text), and the word found.
func (n *Notification) Disclaimed(e Email) (string, bool) {
	if len(n.NotWords) == 0 {
		return "", false
	}
	read, _ := e.Read()
	return containsAny(e.Subject+"\n"+read+"\n"+e.Body, n.NotWords)
}

// containsAny finds the first of words in text, case-insensitive,
// anywhere in a word; it returns the word as the text has it.
func containsAny(text string, words []string) (string, bool) {
	t := newWordText(text)
	for _, w := range words {
		lw := w
		if !t.asIs {
			lw = strings.ToLower(w)
		}
		if i := strings.Index(t.lower, lw); i >= 0 && lw != "" {
			return text[i : i+len(lw)], true
		}
	}
	return "", false
}

// SentOn names the events the notification may be sent on: its trigger, and
// its alsoOn types ("order.refunded (or refund.complete)").
func (n *Notification) SentOn() string {
	if len(n.AlsoOn) == 0 {
		return n.Trigger
	}
	return n.Trigger + " (or " + strings.Join(n.AlsoOn, ", ") + ")"
}

// AlsoOn lists the notifications' alsoOn event types once each.
func (c *Catalogue) AlsoOn() []string {
	var out []string
	for _, n := range c.Notifications {
		for _, t := range n.AlsoOn {
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}

// Triggers lists the distinct trigger event types, for webhook subscriptions.
func (c *Catalogue) Triggers() []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range c.Notifications {
		if n.Trigger != "" && !seen[n.Trigger] {
			seen[n.Trigger] = true
			out = append(out, n.Trigger)
		}
	}
	return out
}
