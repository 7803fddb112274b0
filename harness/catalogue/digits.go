package catalogue

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// asciiDigits is text with every decimal digit of another script written
// as its ASCII digit (Arabic-Indic ٢٠٢٦, Persian ۲۰۲۶, Devanagari २०२६,
// Bengali, Thai, full-width ２０２６ …: what Intl.NumberFormat and
// Intl.DateTimeFormat write in ar-EG, ar-SA, fa-IR, hi-IN-u-nu-deva,
// bn-BD, ja-JP-u-nu-fullwide) and the Arabic decimal and group marks
// (٫ ٬) as "." and ",", so the finders match them with the renderings
// they know. off[k] is the byte offset in text of s[k] (off[len(s)] is
// len(text)), to quote the text as it is. When text has none of these,
// s is text and off is nil.
type asciiDigits struct {
	s   string
	off []int
}

func toASCIIDigits(text string) asciiDigits { return toASCII(text, needsASCII) }

// toASCIIDigitsAndSpaces is toASCIIDigits that also writes no-break
// spaces (U+00A0, U+202F) as spaces: dates are written with either.
func toASCIIDigitsAndSpaces(text string) asciiDigits {
	return toASCII(text, func(r rune) bool { return r == '\u00a0' || r == '\u202f' || needsASCII(r) })
}

func toASCII(text string, needsASCII func(rune) bool) asciiDigits {
	if !strings.ContainsFunc(text, needsASCII) {
		return asciiDigits{s: text}
	}
	var b strings.Builder
	b.Grow(len(text))
	off := make([]int, 0, len(text)+1)
	for i, r := range text {
		if needsASCII(r) {
			b.WriteByte(asciiOf(r))
			off = append(off, i)
			continue
		}
		n := utf8.RuneLen(r)
		if r == utf8.RuneError {
			_, n = utf8.DecodeRuneInString(text[i:])
		}
		b.WriteString(text[i : i+n])
		for k := range n {
			off = append(off, i+k)
		}
	}
	off = append(off, len(text))
	return asciiDigits{s: b.String(), off: off}
}

// orig is the original text's byte offset of s[k].
func (a asciiDigits) orig(k int) int {
	if a.off == nil {
		return k
	}
	return a.off[k]
}

func needsASCII(r rune) bool {
	return r == '\u066b' || r == '\u066c' || (r > 0x7f && unicode.IsDigit(r))
}

// asciiOf is r's ASCII digit, mark or space (r is a digit, ٫, ٬ or a
// no-break space). Unicode
// encodes each script's decimal digits as runs of ten code points, zero
// first, so a digit's value is its distance from the start of its run
// modulo ten.
func asciiOf(r rune) byte {
	switch r {
	case '\u00a0', '\u202f':
		return ' '
	case '\u066b':
		return '.'
	case '\u066c':
		return ','
	}
	start := r
	for unicode.IsDigit(start - 1) {
		start--
	}
	return byte('0' + (r-start)%10)
}
