// Package tagexpr parses Cucumber tag expressions ("@order and not @slow",
// "(@a or @b) and not @c") and evaluates them against a scenario's tags.
//
// The grammar is Cucumber's: operators not, and, or (that precedence,
// and and or associate left), parentheses, tags starting with @; a
// backslash escapes a space, a parenthesis or a backslash inside a tag.
// For godog users, && and || are accepted for and and or, and ~@tag for
// not @tag. The empty expression matches every scenario.
package tagexpr

import (
	"fmt"
	"strings"
)

// Expr is a parsed tag expression.
type Expr interface {
	// Match reports whether a scenario with these tags (each with its @) is selected.
	Match(tags []string) bool
	String() string
}

// Parse parses a tag expression.
func Parse(s string) (Expr, error) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return always{}, nil
	}
	p := &parser{toks: toks, src: s}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.i < len(p.toks) {
		return nil, p.errorf("unexpected %q", p.toks[p.i].text)
	}
	return e, nil
}

type kind int

const (
	tTag kind = iota
	tAnd
	tOr
	tNot
	tOpen
	tClose
)

type token struct {
	kind kind
	text string
	pos  int
}

func tokenize(s string) ([]token, error) {
	var out []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			out = append(out, token{tOpen, "(", i})
			i++
		case c == ')':
			out = append(out, token{tClose, ")", i})
			i++
		case strings.HasPrefix(s[i:], "&&"):
			out = append(out, token{tAnd, "&&", i})
			i += 2
		case strings.HasPrefix(s[i:], "||"):
			out = append(out, token{tOr, "||", i})
			i += 2
		case c == '~':
			out = append(out, token{tNot, "~", i})
			i++
		default:
			start := i
			var b strings.Builder
			for i < len(s) {
				c := s[i]
				if c == '\\' {
					if i+1 >= len(s) {
						return nil, fmt.Errorf("tag expression %q: a backslash at the end escapes nothing", s)
					}
					n := s[i+1]
					if n != ' ' && n != '(' && n != ')' && n != '\\' {
						return nil, fmt.Errorf("tag expression %q: \\%c at %d is not an escape (escape a space, a parenthesis or a backslash)", s, n, i)
					}
					b.WriteByte(n)
					i += 2
					continue
				}
				if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(' || c == ')' {
					break
				}
				b.WriteByte(c)
				i++
			}
			w := b.String()
			switch w {
			case "and":
				out = append(out, token{tAnd, w, start})
			case "or":
				out = append(out, token{tOr, w, start})
			case "not":
				out = append(out, token{tNot, w, start})
			default:
				if !strings.HasPrefix(w, "@") || len(w) == 1 || strings.Contains(w, ",") {
					hint := ""
					if strings.Contains(w, ",") {
						hint = ` (write "@a or @b" instead of "@a,@b")`
					}
					return nil, fmt.Errorf("tag expression %q: %q at %d is not a tag (tags start with @) nor and, or, not%s", s, w, start, hint)
				}
				out = append(out, token{tTag, w, start})
			}
		}
	}
	return out, nil
}

type parser struct {
	toks []token
	i    int
	src  string
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("tag expression %q: %s", p.src, fmt.Sprintf(format, args...))
}

func (p *parser) peek(k kind) bool { return p.i < len(p.toks) && p.toks[p.i].kind == k }

func (p *parser) or() (Expr, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.peek(tOr) {
		p.i++
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = or{l, r}
	}
	return l, nil
}

func (p *parser) and() (Expr, error) {
	l, err := p.not()
	if err != nil {
		return nil, err
	}
	for p.peek(tAnd) {
		p.i++
		r, err := p.not()
		if err != nil {
			return nil, err
		}
		l = and{l, r}
	}
	return l, nil
}

func (p *parser) not() (Expr, error) {
	if p.peek(tNot) {
		p.i++
		e, err := p.not()
		if err != nil {
			return nil, err
		}
		return not{e}, nil
	}
	return p.primary()
}

func (p *parser) primary() (Expr, error) {
	if p.i >= len(p.toks) {
		return nil, p.errorf("ends where a tag or ( was expected")
	}
	t := p.toks[p.i]
	switch t.kind {
	case tTag:
		p.i++
		return tag(t.text), nil
	case tOpen:
		p.i++
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if !p.peek(tClose) {
			return nil, p.errorf("the ( at %d is never closed", t.pos)
		}
		p.i++
		return e, nil
	}
	return nil, p.errorf("%q at %d where a tag or ( was expected", t.text, t.pos)
}

type always struct{}

func (always) Match([]string) bool { return true }
func (always) String() string      { return "" }

type tag string

func (t tag) Match(tags []string) bool {
	for _, x := range tags {
		if x == string(t) {
			return true
		}
	}
	return false
}

func (t tag) String() string {
	r := strings.NewReplacer(`\`, `\\`, " ", `\ `, "(", `\(`, ")", `\)`)
	return r.Replace(string(t))
}

type not struct{ e Expr }

func (n not) Match(tags []string) bool { return !n.e.Match(tags) }
func (n not) String() string           { return "not ( " + n.e.String() + " )" }

type and struct{ l, r Expr }

func (a and) Match(tags []string) bool { return a.l.Match(tags) && a.r.Match(tags) }
func (a and) String() string           { return "( " + a.l.String() + " and " + a.r.String() + " )" }

type or struct{ l, r Expr }

func (o or) Match(tags []string) bool { return o.l.Match(tags) || o.r.Match(tags) }
func (o or) String() string           { return "( " + o.l.String() + " or " + o.r.String() + " )" }
