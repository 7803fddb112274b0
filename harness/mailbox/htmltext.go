package mailbox

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// htmlToText renders an HTML document as readable plain text and returns it
// with the href targets of its links in document order.
//
// Text is whitespace-collapsed as a browser would; block elements and <br>
// end lines, table cells are separated by a tab, list items start with
// "- ". A tab, not a space: a space is a thousands separator in many
// locales, and a quantity cell beside a price cell ("2", "123,00 €") would
// read as one amount, 2 123,00 €. Contents of head, script, style, noscript and template are skipped.
func htmlToText(src string) (string, []string) {
	doc, err := html.Parse(strings.NewReader(src))
	if err != nil {
		// html.Parse only fails when the reader does.
		return src, nil
	}
	var w textWriter
	var links []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			w.text(n.Data)
			return
		case html.ElementNode:
			if skipped[n.DataAtom] {
				return
			}
			if n.DataAtom == atom.A {
				for _, a := range n.Attr {
					if a.Namespace == "" && a.Key == "href" {
						if href := strings.TrimSpace(a.Val); href != "" {
							links = append(links, href)
						}
					}
				}
			}
			w.endLine(blocks[n.DataAtom])
			switch n.DataAtom {
			case atom.Br:
				w.br()
			case atom.Td, atom.Th:
				w.cell()
			case atom.Li:
				w.text("- ")
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		if n.Type == html.ElementNode {
			w.endLine(blocks[n.DataAtom])
		}
	}
	walk(doc)
	return w.String(), links
}

var skipped = map[atom.Atom]bool{
	atom.Head: true, atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
}

// blocks maps block elements to the line breaks around them: 1 ends the
// line, 2 leaves a blank line (paragraphs and headings).
var blocks = map[atom.Atom]int{
	atom.Address: 1, atom.Article: 1, atom.Aside: 1, atom.Blockquote: 2,
	atom.Caption: 1, atom.Center: 1, atom.Dd: 1, atom.Div: 1, atom.Dl: 1, atom.Dt: 1,
	atom.Fieldset: 1, atom.Figcaption: 1, atom.Figure: 1, atom.Footer: 1,
	atom.Form: 1, atom.H1: 2, atom.H2: 2, atom.H3: 2, atom.H4: 2, atom.H5: 2, atom.H6: 2,
	atom.Header: 1, atom.Hr: 1, atom.Li: 1, atom.Main: 1, atom.Nav: 1, atom.Ol: 1,
	atom.P: 2, atom.Pre: 2, atom.Section: 1, atom.Table: 1, atom.Tbody: 1,
	atom.Tfoot: 1, atom.Thead: 1, atom.Tr: 1, atom.Ul: 1,
}

// textWriter builds text with collapsed whitespace and at most one blank line.
type textWriter struct {
	b            strings.Builder
	pendingSpace bool // whitespace seen since the last word
	pendingCell  bool // a table cell began since the last word
	newlines     int  // newlines at the end of b
}

func (w *textWriter) text(s string) {
	s = strings.ReplaceAll(s, "\u00a0", " ")
	for i, word := range strings.Fields(s) {
		if i > 0 || startsWithSpace(s) {
			w.pendingSpace = true
		}
		w.word(word)
	}
	if endsWithSpace(s) {
		w.pendingSpace = true
	}
}

func (w *textWriter) word(s string) {
	if w.b.Len() > 0 && w.newlines == 0 {
		switch {
		case w.pendingCell:
			w.b.WriteByte('\t')
		case w.pendingSpace:
			w.b.WriteByte(' ')
		}
	}
	w.b.WriteString(s)
	w.pendingSpace, w.pendingCell = false, false
	w.newlines = 0
}

// cell marks the start of a table cell: a tab before its first word.
func (w *textWriter) cell() { w.pendingCell = true }

// endLine makes the text end in at least n (0–2) newlines. Nothing is
// written at the start of the text.
func (w *textWriter) endLine(n int) {
	if n == 0 {
		return
	}
	w.pendingSpace, w.pendingCell = false, false
	for w.b.Len() > 0 && w.newlines < n {
		w.b.WriteByte('\n')
		w.newlines++
	}
}

// br adds a line break; two in a row leave a blank line.
func (w *textWriter) br() { w.endLine(min(w.newlines+1, 2)) }

func (w *textWriter) String() string { return strings.TrimSpace(w.b.String()) }

func startsWithSpace(s string) bool { return s != "" && strings.TrimLeft(s, " \t\r\n\f") != s }

func endsWithSpace(s string) bool { return s != "" && strings.TrimRight(s, " \t\r\n\f") != s }
