package catalogue

import (
	"fmt"
	"strings"
)

// Email is what the matcher reads of a message: its decoded text (every
// text part and the HTML rendered as text) and its link targets.
type Email struct {
	Subject string
	Body    string
	Links   []string
}

// Finding is the outcome for one value of one attribute.
type Finding struct {
	Attribute string
	Optional  bool
	Want      string // the value looked for, as the catalogue states it
	Found     string // the rendering found; empty when missing
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

// Check matches every attribute of n, read from obj (the trigger event's
// data.object), against the email.
func (n *Notification) Check(obj map[string]any, e Email) Report {
	r := Report{Notification: n}
	currency := ""
	if n.Currency != "" {
		currency, _ = LookupString(obj, n.Currency)
	}
	text := e.Subject + "\n" + e.Body
	for _, a := range n.Attributes {
		vals := Lookup(obj, a.Path)
		if len(vals) == 0 {
			r.Findings = append(r.Findings, Finding{Attribute: a.Name, Optional: a.Optional, Want: "(absent from the event: " + a.Path + ")"})
			continue
		}
		for _, v := range vals {
			r.Findings = append(r.Findings, matchOne(a, v, currency, text, e.Links))
		}
	}
	return r
}

func matchOne(a Attribute, v any, currency, text string, links []string) Finding {
	f := Finding{Attribute: a.Name, Optional: a.Optional, Want: stringify(v)}
	switch a.Match {
	case MatchText:
		s := stringify(v)
		if s != "" && strings.Contains(strings.ToLower(text), strings.ToLower(s)) {
			f.Found = s
		}
	case MatchMoney:
		amount, ok := v.(float64)
		if !ok {
			f.Want = fmt.Sprintf("%v (not a number in the event)", v)
			return f
		}
		f.Want = fmt.Sprintf("%.*f %s", MinorUnits(currency), amount, currency)
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
