package mailbox

import (
	"bytes"
	"encoding/base64"
	"mime/quotedprintable"
	"strings"
	"testing"
	"unicode/utf8"
)

// Parse never panics on any bytes, and what it returns holds together:
// links without duplicates, Body the text and HTML text joined.
func FuzzParse(f *testing.F) {
	f.Add([]byte("Subject: =?utf-8?q?Order_confirmation_=E2=9C=93?=\r\nFrom: shop@example.test\r\nTo: a@example.test\r\n\r\nHello https://shop.example.test/o/1.\r\n"))
	f.Add([]byte("Subject: x\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nM=FCller\r\n--b\r\nContent-Type: text/html; charset=windows-1252\r\nContent-Transfer-Encoding: base64\r\n\r\nPGEgaHJlZj0iaHR0cDovL3guZXhhbXBsZS50ZXN0LyI+gDwvYT4=\r\n--b--\r\n"))
	f.Add([]byte("Subject: =?iso-8859-1?b?TfxsbGVy?= =?utf-8?q?_=C3=BC?=\r\n\r\n"))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n"))
	f.Add([]byte("Subject: =?x-unknown?q?a?=\r\n\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := Parse(raw)
		if err != nil {
			return
		}
		if m.Body() != m.Text+"\n"+m.HTMLText {
			t.Fatalf("Body() is not Text + newline + HTMLText")
		}
		seen := map[string]bool{}
		for _, l := range m.Links {
			if seen[l] {
				t.Fatalf("link %q listed twice in %q", l, m.Links)
			}
			seen[l] = true
		}
	})
}

// latin1 writes s (every rune below 256) in ISO-8859-1; ok is false when
// s has a rune beyond it.
func latin1(s string) ([]byte, bool) {
	var b []byte
	for _, r := range s {
		if r > 0xFF || r >= 0x80 && r <= 0x9F { // C1 controls: an ISO-8859-1 label reads as windows-1252 (charsetReader)
			return nil, false
		}
		b = append(b, byte(r))
	}
	return b, true
}

// A subject written as an RFC 2047 encoded word (UTF-8 in Q or B, or
// ISO-8859-1 in B) and a text body written quoted-printable (UTF-8) or
// base64 (ISO-8859-1) decode back to what was written.
func FuzzEncodedRoundTrip(f *testing.F) {
	f.Add("Order confirmation ✓", "Hallo Müller,\nyour order 1234 ships today.\n")
	f.Add("Bestätigung", "=?utf-8?q?x?= stays as written\n")
	f.Add("", "")
	f.Add(" leading and trailing ", "trailing spaces   \nand tabs\t\n")
	f.Add("ÿþ", "€ ‚ ƒ")
	f.Fuzz(func(t *testing.T, subject, body string) {
		if !utf8.ValidString(subject) || !utf8.ValidString(body) || strings.ContainsAny(subject+body, "\r\x00") {
			return
		}
		type variant struct {
			name, header, cte, charset string
			encoded                    []byte
		}
		var vs []variant
		var qp bytes.Buffer
		w := quotedprintable.NewWriter(&qp)
		_, _ = w.Write([]byte(body))
		_ = w.Close()
		vs = append(vs, variant{"utf-8 Q, quoted-printable", "=?utf-8?q?" + qEncode([]byte(subject)) + "?=", "quoted-printable", "utf-8", qp.Bytes()})
		vs = append(vs, variant{"utf-8 B, base64", "=?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte(subject)) + "?=", "base64", "utf-8", []byte(base64.StdEncoding.EncodeToString([]byte(body)))})
		ls, okS := latin1(subject)
		lb, okB := latin1(body)
		if okS && okB {
			vs = append(vs, variant{"iso-8859-1 B, base64", "=?iso-8859-1?b?" + base64.StdEncoding.EncodeToString(ls) + "?=", "base64", "iso-8859-1", []byte(base64.StdEncoding.EncodeToString(lb))})
		}
		for _, v := range vs {
			raw := "From: shop@example.test\r\nTo: a@example.test\r\nSubject: " + v.header + "\r\nMIME-Version: 1.0\r\n" +
				"Content-Type: text/plain; charset=" + v.charset + "\r\nContent-Transfer-Encoding: " + v.cte + "\r\n\r\n" + string(v.encoded)
			m, err := Parse([]byte(raw))
			if err != nil {
				t.Fatalf("%s: Parse: %v\n%s", v.name, err, raw)
			}
			if m.Subject != subject {
				t.Fatalf("%s: subject %q, want %q (header %q)", v.name, m.Subject, subject, v.header)
			}
			if got := strings.ReplaceAll(m.Text, "\r\n", "\n"); got != body {
				t.Fatalf("%s: text %q, want %q", v.name, got, body)
			}
		}
	})
}

// qEncode is RFC 2047's Q encoding of b: every byte but letters and digits
// as =XX (so the word never holds '?', '_', '=' or space as itself).
func qEncode(b []byte) string {
	const hex = "0123456789ABCDEF"
	var s strings.Builder
	for _, c := range b {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			s.WriteByte(c)
			continue
		}
		s.WriteByte('=')
		s.WriteByte(hex[c>>4])
		s.WriteByte(hex[c&15])
	}
	return s.String()
}
