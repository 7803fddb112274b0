package mailbox_test

import (
	"encoding/base64"
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	"github.com/drsim/drsim/harness/mailbox"
)

// b64 encodes s as a MIME base64 body with 76-character lines.
func b64(s string) string {
	enc := base64.StdEncoding.EncodeToString([]byte(s))
	var b strings.Builder
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc)
	return b.String()
}

// crlf turns the readable test messages into wire format.
func crlf(s string) []byte { return []byte(strings.ReplaceAll(s, "\n", "\r\n")) }

const orderHTML = `<html><head><title>ignored title</title><style>p { color: red }</style></head>` +
	`<body><h1>Danke!</h1><p>Ihre Bestellung <b>A-1001</b> über 12,50&nbsp;€.</p>` +
	`<script>var tracking = "secret";</script>` +
	`<p><a href="https://shop.example.test/orders/A-1001?x=1&amp;y=2">Bestellung ansehen</a></p></body></html>`

func TestParse(t *testing.T) {
	tests := []struct {
		name     string
		raw      string
		subject  string
		from     string
		to       []string
		text     string // exact, after trimming trailing newlines
		htmlText string // exact
		html     string // substring
		links    []string
	}{
		{
			name: "multipart/alternative with quoted-printable text and base64 HTML",
			raw: `From: Shop <Shop@Example.test>
To: "Alice A." <alice@example.test>, bob@example.test
Subject: =?UTF-8?b?QmVzdGVsbGJlc3TDpHRpZ3VuZyDigqw=?=
Date: Mon, 02 Jan 2006 15:04:05 +0100
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="alt-1"

--alt-1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Ihre Bestellung A-1001 =C3=BCber 12,50 =E2=82=AC ist eingegangen. Details: h=
ttps://shop.example.test/orders/A-1001.
--alt-1
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: base64

` + b64(orderHTML) + `
--alt-1--
`,
			subject:  "Bestellbestätigung €",
			from:     "Shop@Example.test",
			to:       []string{"alice@example.test", "bob@example.test"},
			text:     "Ihre Bestellung A-1001 über 12,50 € ist eingegangen. Details: https://shop.example.test/orders/A-1001.",
			htmlText: "Danke!\n\nIhre Bestellung A-1001 über 12,50 €.\n\nBestellung ansehen",
			html:     `<a href="https://shop.example.test/orders/A-1001?x=1&amp;y=2">`,
			links:    []string{"https://shop.example.test/orders/A-1001?x=1&y=2", "https://shop.example.test/orders/A-1001"},
		},
		{
			name: "iso-8859-1 quoted-printable body and Q-encoded subject",
			raw: `From: shop@example.test
To: carol@example.test
Subject: =?ISO-8859-1?Q?Gr=FC=DFe?= aus =?iso-8859-1?q?M=FCnchen?=
Content-Type: text/plain; charset=ISO-8859-1
Content-Transfer-Encoding: quoted-printable

Gr=FC=DFe aus M=FCnchen, 10 =A3 =
und 5 =B0C.
`,
			subject: "Grüße aus München",
			from:    "shop@example.test",
			to:      []string{"carol@example.test"},
			text:    "Grüße aus München, 10 £ und 5 °C.",
		},
		{
			name: "HTML only, link only in href",
			raw: `From: shop@example.test
To: dave@example.test
Subject: Passwort
Content-Type: text/html; charset=utf-8

<p>Hallo Dave,</p><p>bitte <a href="https://shop.example.test/reset?token=abc">hier klicken</a>.<br>Danke</p>
<ul><li>eins</li><li>zwei</li></ul>
`,
			subject:  "Passwort",
			from:     "shop@example.test",
			to:       []string{"dave@example.test"},
			text:     "",
			htmlText: "Hallo Dave,\n\nbitte hier klicken.\nDanke\n\n- eins\n- zwei",
			html:     `token=abc`,
			links:    []string{"https://shop.example.test/reset?token=abc"},
		},
		{
			name: "multipart/mixed containing alternative, attachment skipped",
			raw: `From: billing@example.test
To: erin@example.test
Cc: Frank <frank@example.test>
Subject: Rechnung R-7
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=mixed

preamble
--mixed
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset=us-ascii

Your invoice R-7 is attached.
--alt
Content-Type: multipart/related; boundary="rel"

--rel
Content-Type: text/html; charset=windows-1252
Content-Transfer-Encoding: quoted-printable

<div>Invoice =93R-7=94 attached</div><div>Total <span>9=80</span></div>
--rel
Content-Type: image/png
Content-Transfer-Encoding: base64

iVBORw0KGgo=
--rel--
--alt--
--mixed
Content-Type: text/plain; charset=utf-8
Content-Disposition: attachment; filename="rechnung.txt"

not part of the text
--mixed--
`,
			subject:  "Rechnung R-7",
			from:     "billing@example.test",
			to:       []string{"erin@example.test", "frank@example.test"},
			text:     "Your invoice R-7 is attached.",
			htmlText: "Invoice “R-7” attached\nTotal 9€",
			html:     "<div>Invoice “R-7” attached</div>",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := mailbox.Parse(crlf(tt.raw))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if m.Subject != tt.subject {
				t.Errorf("Subject = %q, want %q", m.Subject, tt.subject)
			}
			if m.From != tt.from {
				t.Errorf("From = %q, want %q", m.From, tt.from)
			}
			if !slices.Equal(m.To, tt.to) {
				t.Errorf("To = %q, want %q", m.To, tt.to)
			}
			if got := strings.TrimRight(m.Text, "\r\n"); got != tt.text {
				t.Errorf("Text = %q, want %q", got, tt.text)
			}
			if m.HTMLText != tt.htmlText {
				t.Errorf("HTMLText = %q, want %q", m.HTMLText, tt.htmlText)
			}
			if !strings.Contains(m.HTML, tt.html) || (tt.html == "") != (m.HTML == "") {
				t.Errorf("HTML = %q, want it to contain %q", m.HTML, tt.html)
			}
			if strings.ContainsAny(m.HTMLText, "<>") || strings.Contains(m.HTMLText, "secret") {
				t.Errorf("HTMLText contains markup or script: %q", m.HTMLText)
			}
			if !slices.Equal(m.Links, tt.links) {
				t.Errorf("Links = %q, want %q", m.Links, tt.links)
			}
			if body := m.Body(); !strings.Contains(body, tt.text) || !strings.Contains(body, tt.htmlText) {
				t.Errorf("Body() = %q, want Text and HTMLText", body)
			}
			if m.Raw != string(crlf(tt.raw)) {
				t.Errorf("Raw is not the input")
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := map[string]string{
		"malformed header":       "this is not a header\n\nbody\n",
		"unknown charset":        "Subject: x\nContent-Type: text/plain; charset=x-drsim-unknown\n\nbody\n",
		"unknown header charset": "Subject: =?x-drsim-unknown?q?x?=\n\nbody\n",
		"multipart no boundary":  "Subject: x\nContent-Type: multipart/mixed\n\nbody\n",
	}
	for name, raw := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := mailbox.Parse(crlf(raw)); err == nil {
				t.Fatal("Parse succeeded, want error")
			}
		})
	}
}

// TestParseCharsets: mail in the charsets shops in Japan, China, Russia and
// Europe send reads as the UTF-8 text it stands for, in bodies and in RFC
// 2047 subjects. The encoded bytes come from Python's codecs, not from the
// library that decodes them.
func TestParseCharsets(t *testing.T) {
	tests := []struct {
		charset, hex, want string
	}{
		{"ISO-2022-JP", "1b24422434436d4a382422246a242c24482426243424362424245e24391b2842", "ご注文ありがとうございます"},
		{"Shift_JIS", "928d95b68a6d9446", "注文確認"},
		{"iso-8859-15", "546f74616c3a2031322c303020a4", "Total: 12,00 €"},
		{"KOI8-R", "fac1cbc1da20d0cfc4d4d7c5d2d6c4a3ce", "Заказ подтверждён"},
		{"GBK", "b6a9b5a5c8b7c8cf", "订单确认"},
		{"windows-1252", "80", "€"},
		{"ISO-8859-1", "e9", "é"},
	}
	for _, tt := range tests {
		t.Run(tt.charset, func(t *testing.T) {
			body, err := hex.DecodeString(tt.hex)
			if err != nil {
				t.Fatal(err)
			}
			raw := "Subject: =?" + tt.charset + "?B?" + base64.StdEncoding.EncodeToString(body) + "?=\r\n" +
				"Content-Type: text/plain; charset=\"" + tt.charset + "\"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + string(body) + "\r\n"
			m, err := mailbox.Parse([]byte(raw))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if m.Subject != tt.want || strings.TrimRight(m.Text, "\r\n") != tt.want {
				t.Errorf("subject %q, text %q; want %q in both", m.Subject, m.Text, tt.want)
			}
		})
	}
}
