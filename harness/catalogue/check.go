package catalogue

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Email is what the matcher reads of a message: its decoded text (every
// text part and the HTML rendered as text) and its link targets.
type Email struct {
	Subject string
	Body    string
	Links   []string
	// Pages are the URL paths of the merchant's pages by action name (the
	// profile's actions rendered for the scenario), for match: linkTo.
	Pages map[string]string
	// Shown, when set, is what a customer reads of the email: the HTML
	// part (as text) of an email whose text part is only its alternative
	// (multipart/alternative: clients that can show HTML show only it).
	// Required attributes must be in Shown, and links in ShownLinks; what
	// must be absent, and labelled amounts, are checked in every part.
	Shown      string
	ShownLinks []string
	// Zone is the time zone the merchant writes dates in (the profile's
	// timezone); nil is UTC. A timestamp's date is looked for in it.
	Zone *time.Location
}

// Read is the text and links a customer reads: Shown and ShownLinks when
// Shown is set, else Body and Links.
func (e Email) Read() (string, []string) {
	if e.Shown == "" {
		return e.Body, e.Links
	}
	return e.Shown, e.ShownLinks
}

// Finding is the outcome for one value of one attribute.
type Finding struct {
	Attribute string
	Optional  bool
	Want      string // the value looked for, as the catalogue states it
	Found     string // the rendering found; empty when missing
	// Unknown is set when the object has no value to look for (the path
	// is absent from the event).
	Unknown bool
	// Labelled is set on the check of a line that carries one of the
	// notification's money labels (a refund line showing another amount):
	// the email is about this notification even though the line is wrong.
	Labelled bool
}

// Missing reports whether the value was not found.
func (f Finding) Missing() bool { return f.Found == "" }

// Report is the result of checking one email against one notification.
type Report struct {
	Notification *Notification
	Findings     []Finding
}

// Failed lists the required findings that are missing.
func (r Report) Failed() []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Missing() && !f.Optional {
			out = append(out, f)
		}
	}
	return out
}

// Err is nil when every required attribute was found, else an error naming
// each missing attribute and the value looked for.
func (r Report) Err() error {
	failed := r.Failed()
	if len(failed) == 0 {
		return nil
	}
	parts := make([]string, len(failed))
	for i, f := range failed {
		parts[i] = fmt.Sprintf("%s %s not found", f.Attribute, f.Want)
	}
	return fmt.Errorf("%s", strings.Join(parts, "; "))
}

// About reports whether a trigger event's object is one this notification is about.
func (n *Notification) About(obj map[string]any) bool {
	if n.When == "" {
		return true
	}
	for _, path := range whenPaths(n.When) {
		if len(Lookup(obj, path)) > 0 {
			return true
		}
	}
	return false
}

// whenPaths are the alternatives of a when: paths joined by " or ".
func whenPaths(when string) []string {
	paths := strings.Split(when, " or ")
	for i := range paths {
		paths[i] = strings.TrimSpace(paths[i])
	}
	return paths
}

// Check matches every attribute of n, read from obj (the trigger event's
// data.object, or for merchant-side notifications {"order", "request"}),
// against the email.
func (n *Notification) Check(obj map[string]any, e Email) Report {
	r := Report{Notification: n}
	currency := ""
	if n.Currency != "" {
		currency, _ = LookupString(obj, n.Currency)
	}
	text := e.Subject + "\n" + e.Body
	read, links := e.Read()
	read = e.Subject + "\n" + read
	shown := Email{Subject: e.Subject, Body: read, Links: links, Pages: e.Pages}
	// onlyInAlternative says where a missing attribute is when the text
	// part, which customers who can read HTML never see, shows it.
	onlyInAlternative := func(f, all Finding) Finding {
		if e.Shown != "" && f.Missing() && !all.Missing() {
			f.Want += fmt.Sprintf(" in the HTML part (only the text part, its alternative, shows it: %q; mail clients that can show HTML show only the HTML part)", all.Found)
		}
		return f
	}
	for _, a := range n.Attributes {
		switch a.Match {
		case MatchLine:
			fs, all := matchLines(obj, a, read), matchLines(obj, a, text)
			for i := range fs {
				fs[i] = onlyInAlternative(fs[i], all[i])
			}
			r.Findings = append(r.Findings, fs...)
			continue
		case MatchLinkTo:
			r.Findings = append(r.Findings, onlyInAlternative(n.matchLinkTo(a, shown), n.matchLinkTo(a, e)))
			continue
		}
		if a.Path == "" && len(a.Values) > 0 {
			r.Findings = append(r.Findings, onlyInAlternative(n.matchAny(a, currency, read, links), n.matchAny(a, currency, text, e.Links)))
			continue
		}
		vals := []any{a.Value}
		if a.Path != "" {
			vals = Lookup(obj, a.Path)
		}
		if a.Pick == "last" && len(vals) > 1 {
			vals = vals[len(vals)-1:]
		}
		if len(vals) == 0 {
			if !a.Absent {
				r.Findings = append(r.Findings, Finding{Attribute: a.Name, Optional: a.Optional, Want: "(absent from the event: " + a.Path + ")", Unknown: true})
			}
			continue
		}
		for _, v := range vals {
			if a.Absent {
				r.Findings = append(r.Findings, invert(n.matchOne(a, v, currency, text, e.Links)))
				continue
			}
			var f Finding
			if a.Match == MatchDate {
				f = matchDateIn(a, v, read, e.Zone)
			} else {
				f = n.matchOne(a, v, currency, read, links)
			}
			if e.Shown != "" && f.Missing() {
				f = onlyInAlternative(f, n.matchOne(a, v, currency, text, e.Links))
			}
			r.Findings = append(r.Findings, f)
		}
	}
	r.Findings = append(r.Findings, n.checkLabels(obj, currency, text)...)
	return r
}

// matchAny finds any one of a's literal alternatives. A wording
// alternative counts as a whole word or phrase only: "sent" is not found in
// "sentimos".
func (n *Notification) matchAny(a Attribute, currency, text string, links []string) Finding {
	for _, v := range a.Values {
		if a.Match == MatchText {
			if found, ok := findWord(text, v); ok {
				return Finding{Attribute: a.Name, Optional: a.Optional, Want: v, Found: found}
			}
			continue
		}
		if f := n.matchOne(a, v, currency, text, links); f.Found != "" {
			return f
		}
	}
	want := strings.Join(a.Values, " / ")
	if a.Match == MatchLinkContains {
		want = "a link containing " + want
	}
	return Finding{Attribute: a.Name, Optional: a.Optional, Want: want}
}

// matchLinkTo finds a link that leads to the page of one of a.Actions, or,
// when the profile has none of them, one that contains one of a.Values.
func (n *Notification) matchLinkTo(a Attribute, e Email) Finding {
	f := Finding{Attribute: a.Name, Optional: a.Optional}
	var pages []string
	for _, name := range a.Actions {
		if p, ok := e.Pages[name]; ok {
			pages = append(pages, p)
		}
	}
	if len(pages) == 0 {
		if len(a.Values) == 0 {
			f.Want = "a link to the page of the profile's " + strings.Join(a.Actions, " or ") + " action (the profile has none)"
			f.Optional = true
			return f
		}
		alt := a
		alt.Match = MatchLinkContains
		return n.matchAny(alt, "", "", e.Links)
	}
	f.Want = "a link to " + strings.Join(pages, " or ") + " (the page of the profile's " + strings.Join(a.Actions, " or ") + " action)"
	for _, l := range e.Links {
		u, err := url.Parse(l)
		if err != nil {
			continue
		}
		for _, p := range pages {
			if strings.TrimRight(u.Path, "/") == strings.TrimRight(p, "/") {
				f.Found = l
				return f
			}
		}
	}
	return f
}

// matchDateIn finds the date of v, a timestamp or a date, in text: a
// timestamp's date as a clock in zone (nil: UTC) shows it, since a shop
// writes the date its customers' day has. When the date is missing but the
// day before or after is there, the finding says so: dates written in
// another time zone than zone are a day off for part of each day.
func matchDateIn(a Attribute, v any, text string, zone *time.Location) Finding {
	f := Finding{Attribute: a.Name, Optional: a.Optional, Want: stringify(v)}
	t, err := ParseTime(stringify(v))
	if err != nil {
		f.Want = fmt.Sprintf("%v (not a date in the event)", v)
		return f
	}
	if zone == nil {
		zone = time.UTC
	}
	day := t.UTC()
	f.Want = day.Format("2006-01-02")
	if len(stringify(v)) > len("2006-01-02") { // a timestamp, not a date
		local := t.In(zone)
		day = time.Date(local.Year(), local.Month(), local.Day(), 12, 0, 0, 0, time.UTC)
		f.Want = day.Format("2006-01-02")
		if zone != time.UTC {
			f.Want = fmt.Sprintf("%s (%s in %s)", f.Want, stringify(v), zone)
		}
	}
	if found, ok := FindDate(text, day); ok {
		f.Found = found
		return f
	}
	if len(stringify(v)) > len("2006-01-02") {
		for _, d := range []int{-1, 1} {
			if found, ok := FindDate(text, day.AddDate(0, 0, d)); ok {
				f.Want += fmt.Sprintf(" (the email shows %q, a day off: are its dates written in another time zone than the profile's timezone, %s?)", found, zone)
				break
			}
		}
	}
	return f
}

// invert turns "found" into a failure and "missing" into a pass.
func invert(f Finding) Finding {
	if f.Found != "" {
		return Finding{Attribute: f.Attribute, Optional: f.Optional, Want: "no " + f.Want + " (it belongs elsewhere) but it is there"}
	}
	f.Found = "(absent, as required)"
	return f
}

// matchLines checks that the i-th values of every path share a line.
func matchLines(obj map[string]any, a Attribute, text string) []Finding {
	cols := make([][]any, len(a.Paths))
	for i, p := range a.Paths {
		cols[i] = Lookup(obj, p)
	}
	var out []Finding
	for row := 0; row < len(cols[0]); row++ {
		want := make([]string, 0, len(cols))
		for _, c := range cols {
			if row < len(c) {
				want = append(want, stringify(c[row]))
			}
		}
		f := Finding{Attribute: a.Name, Optional: a.Optional, Want: "\"" + strings.Join(want, "\" with \"") + "\" on one line"}
		if len(want) == len(cols) {
			for _, line := range strings.Split(text, "\n") {
				if lineHas(line, want) {
					f.Found = strings.TrimSpace(line)
					break
				}
			}
		}
		out = append(out, f)
	}
	return out
}

func lineHas(line string, want []string) bool {
	lower := strings.ToLower(line)
	for i, w := range want {
		if i == 0 {
			if !strings.Contains(lower, strings.ToLower(w)) {
				return false
			}
			continue
		}
		if _, ok := findNumberOrText(line, w); !ok {
			return false
		}
	}
	return true
}

// findNumberOrText finds w as a standalone number when it is one (digits
// of other scripts counting as their ASCII digits: a Japanese "数量：２"
// shows 2), else as text.
func findNumberOrText(text, w string) (string, bool) {
	if _, err := strconv.ParseFloat(w, 64); err == nil {
		text = toASCIIDigits(text).s
		for from := 0; ; {
			i := strings.Index(text[from:], w)
			if i < 0 {
				return "", false
			}
			i += from
			if standsAlone(text, i, i+len(w)) {
				return w, true
			}
			from = i + 1
		}
	}
	if strings.Contains(strings.ToLower(text), strings.ToLower(w)) {
		return w, true
	}
	return "", false
}

// findNumberNear finds w standing alone on a line of text that contains
// one of words (case-insensitive, anywhere in a word), and returns that
// line.
func findNumberNear(text, w string, words []string) (string, bool) {
	for _, line := range strings.Split(text, "\n") {
		lower := strings.ToLower(line)
		near := false
		for _, word := range words {
			if strings.Contains(lower, strings.ToLower(word)) {
				near = true
				break
			}
		}
		if !near {
			continue
		}
		if _, ok := findNumberOrText(line, w); ok {
			return strings.TrimSpace(line), true
		}
	}
	return "", false
}

func (n *Notification) matchOne(a Attribute, v any, currency, text string, links []string) Finding {
	f := Finding{Attribute: a.Name, Optional: a.Optional, Want: stringify(v)}
	switch a.Match {
	case MatchText:
		s := stringify(v)
		if s != "" && strings.Contains(strings.ToLower(text), strings.ToLower(s)) {
			f.Found = s
		}
	case MatchNumber:
		if len(a.Near) > 0 {
			f.Want = fmt.Sprintf("%s on a line with %s", stringify(v), strings.Join(a.Near, "/"))
			if found, ok := findNumberNear(text, stringify(v), a.Near); ok {
				f.Found = found
			}
			return f
		}
		if found, ok := findNumberOrText(text, stringify(v)); ok {
			f.Found = found
		}
	case MatchLinkContains:
		s := strings.ToLower(stringify(v))
		for _, l := range links {
			if strings.Contains(strings.ToLower(l), s) {
				f.Found = l
				return f
			}
		}
		f.Want = "a link containing " + stringify(v)
	case MatchMoney:
		amount, ok := v.(float64)
		if !ok {
			f.Want = fmt.Sprintf("%v (not a number in the event)", v)
			return f
		}
		f.Want = fmt.Sprintf("%.*f %s", MinorUnits(currency), amount, currency)
		if a.Label != "" && !a.Absent {
			if found, ok := n.findLabelledMoney(text, amount, currency, a.Label); ok {
				f.Found = found
			} else if elsewhere, ok := FindMoney(text, amount, currency); ok {
				f.Want += fmt.Sprintf(" on a line labelled %s (it is only on a line labelled otherwise: %q)", a.Label, elsewhere)
			}
			return f
		}
		if found, ok := FindMoney(text, amount, currency); ok {
			f.Found = found
		}
	case MatchDate:
		t, err := ParseTime(stringify(v))
		if err != nil {
			f.Want = fmt.Sprintf("%v (not a date in the event)", v)
			return f
		}
		f.Want = t.UTC().Format("2006-01-02")
		if found, ok := FindDate(text, t); ok {
			f.Found = found
		}
	case MatchLink:
		s := stringify(v)
		for _, l := range links {
			if l == s {
				f.Found = s
				return f
			}
		}
		if strings.Contains(text, s) {
			f.Found = s
		}
	case MatchLast4:
		s := stringify(v)
		if len(s) > 4 {
			s = s[len(s)-4:]
		}
		f.Want = "card ending " + s
		if strings.Contains(text, s) {
			f.Found = s
		}
	}
	return f
}

// findWord finds w in text, ignoring case, as a word or phrase of its own,
// and returns it as the text has it. A digit at its edge must not touch
// another digit, and a letter another letter — except where the edge is
// in a script written without spaces between words (unspaced: Chinese,
// Japanese, Korean, Thai …: "キャンセルできます", "2026年12月2日です",
// "สามารถยกเลิกได้").
func findWord(text, w string) (string, bool) {
	i, j, ok := findWordAt(text, w)
	if !ok {
		return "", false
	}
	return text[i:j], true
}

// findWordAt is findWord, with where in text the word is.
func findWordAt(text, w string) (int, int, bool) { return newWordText(text).find(w) }

// wordText is a text findWord looks in, lower-cased once for the many
// words a caller looks for (FindDate tries some 500 renderings).
type wordText struct {
	lower string // text lower-cased, or as is when that changes its byte length
	asIs  bool
}

func newWordText(text string) wordText {
	if lt := strings.ToLower(text); len(lt) == len(text) {
		return wordText{lower: lt}
	}
	return wordText{lower: text, asIs: true} // lower-casing changed byte lengths: compare as is
}

// find is findWordAt in t.
func (t wordText) find(w string) (int, int, bool) {
	if w == "" {
		return 0, 0, false
	}
	lt, lw := t.lower, w
	if !t.asIs {
		lw = strings.ToLower(w)
	}
	first, _ := utf8.DecodeRuneInString(lw)
	last, _ := utf8.DecodeLastRuneInString(lw)
	for from := 0; ; {
		i := strings.Index(lt[from:], lw)
		if i < 0 {
			return 0, 0, false
		}
		i += from
		end := i + len(lw)
		before, _ := utf8.DecodeLastRuneInString(lt[:i])
		after, _ := utf8.DecodeRuneInString(lt[end:])
		if !joins(before, first) && !joins(after, last) {
			return i, end, true
		}
		from = i + 1
	}
}

// unspaced are the scripts written without spaces between words: Chinese,
// Japanese, Korean (between a word and its particles), Thai, Lao, Khmer,
// Burmese.
var unspaced = []*unicode.RangeTable{unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul, unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar}

// joins reports whether neighbour continues the word that edge begins or
// ends: digits join digits, letters join letters unless edge is in an
// unspaced script.
func joins(neighbour, edge rune) bool {
	switch {
	case neighbour == utf8.RuneError:
		return false
	case unicode.IsDigit(edge):
		return unicode.IsDigit(neighbour)
	case unicode.IsLetter(edge):
		return unicode.IsLetter(neighbour) && !unicode.In(edge, unspaced...)
	}
	return false
}
