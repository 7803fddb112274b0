package catalogue

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Labelled amounts. The catalogue names the words that label money amounts
// (labels:, in English, German, French and Spanish, Japanese, Chinese and
// Korean). A money attribute with
// a label owns the lines of the email that carry one of its words and show
// an amount: such a line must show the attribute's value, or the value of
// another attribute of the notification with the same label. So "We've
// refunded $89.64" fails a $5.00 refund although "$5.00" appears elsewhere.
// A word labels a line when it starts a word there ("refund" labels
// "Refunded", never "Subtotal" labels "total"), or anywhere for a word of a
// script written without spaces ("合計" labels "ご請求金額合計").

// checkLabels returns a failing finding per labelled line that shows none of
// the values its labels allow.
func (n *Notification) checkLabels(obj map[string]any, currency, text string) []Finding {
	if currency == "" {
		return nil
	}
	allowed := map[string][]float64{} // label → values
	names := map[string][]string{}    // label → attribute names
	for _, a := range n.Attributes {
		if a.Label == "" || a.Match != MatchMoney || a.Path == "" || a.Absent {
			continue
		}
		// Every value of the path is allowed on a labelled line, even with
		// pick: last (a refund email may list the earlier refunds).
		for _, v := range Lookup(obj, a.Path) {
			if f, ok := v.(float64); ok {
				allowed[a.Label] = append(allowed[a.Label], f)
			}
		}
		names[a.Label] = append(names[a.Label], a.Name)
	}
	if len(allowed) == 0 {
		return nil
	}
	labels := make([]string, 0, len(allowed))
	for l := range allowed {
		labels = append(labels, l)
	}
	slices.Sort(labels)
	var out []Finding
	seen := map[string]bool{}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || seen[line] || !showsMoney(line, currency) {
			continue
		}
		var carried []string
		var ok bool
		var want []string
		on := n.lineLabels(line)
		for _, l := range labels {
			if !on[l] {
				continue
			}
			carried = append(carried, l)
			for _, v := range allowed[l] {
				if _, found := FindMoney(line, v, currency); found {
					ok = true
				}
				want = append(want, fmt.Sprintf("%.*f %s", MinorUnits(currency), v, currency))
			}
		}
		if len(carried) == 0 || ok {
			continue
		}
		seen[line] = true
		var attrs []string
		for _, l := range carried {
			attrs = append(attrs, names[l]...)
		}
		out = append(out, Finding{
			Labelled:  true,
			Attribute: strings.Join(attrs, "/"),
			Want:      fmt.Sprintf("%s on the line %q (labelled %s)", strings.Join(want, " or "), line, strings.Join(carried, ", ")),
		})
	}
	return out
}

// lineLabels are the labels whose words start a word of line, but for a
// word inside a longer label word ("total" in "Sous-total" is the subtotal's).
func (n *Notification) lineLabels(line string) map[string]bool {
	type hit struct {
		label      string
		start, end int
	}
	// Japanese templates space a short label out to the width of a longer
	// one with ideographic spaces ("小　計", "送　料", "合　計"): read the
	// label without them.
	lower := strings.ToLower(strings.ReplaceAll(line, "\u3000", ""))
	var hits []hit
	for label, words := range n.labels {
		for _, w := range words {
			w = strings.ToLower(w)
			for from := 0; ; {
				i := strings.Index(lower[from:], w)
				if i < 0 {
					break
				}
				i += from
				from = i + len(w)
				// A word starts a word of the line, but for a word
				// of a script written without spaces (合計 in
				// ご請求金額合計), which may stand anywhere.
				if first, _ := utf8.DecodeRuneInString(w); i > 0 && !unicode.In(first, unspaced...) {
					if r, _ := utf8.DecodeLastRuneInString(lower[:i]); unicode.IsLetter(r) {
						continue
					}
				}
				hits = append(hits, hit{label, i, i + len(w)})
			}
		}
	}
	out := map[string]bool{}
	for _, h := range hits {
		inside := slices.ContainsFunc(hits, func(o hit) bool {
			return o.label != h.label && o.start <= h.start && o.end >= h.end && o.end-o.start > h.end-h.start
		})
		if !inside {
			out[h.label] = true
		}
	}
	return out
}

// findLabelledMoney finds amount on a line that carries label, or on a
// line that carries none of the catalogue's labels (a label word the
// catalogue does not know, or the label on a line of its own), and returns
// that line. A line labelled otherwise does not show it: "Tax: $0.00" is
// not the shipping when both are $0.00 and no line shows the shipping.
func (n *Notification) findLabelledMoney(text string, amount float64, currency, label string) (string, bool) {
	for _, line := range strings.Split(text, "\n") {
		if _, ok := FindMoney(line, amount, currency); !ok {
			continue
		}
		if on := n.lineLabels(line); len(on) == 0 || on[label] {
			return strings.TrimSpace(line), true
		}
	}
	return "", false
}

var amountLike = regexp.MustCompile(`\d+(?:[.,\x{00a0}\x{202f} '\x{2019}]\d+)*`) // the group and decimal marks MoneyRenderings writes

// showsMoney reports whether line shows an amount marked with currency.
func showsMoney(line, currency string) bool {
	markers := currencyMarkers(currency)
	line = toASCIIDigits(line).s
	for _, loc := range amountLike.FindAllStringIndex(line, -1) {
		if _, ok := markedBy(line, loc[0], loc[1], markers); ok {
			return true
		}
	}
	return false
}
