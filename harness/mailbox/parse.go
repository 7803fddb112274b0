package mailbox

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"golang.org/x/text/encoding/htmlindex"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Message is a decoded email.
type Message struct {
	ID       string   // MailHog's message ID; empty for Parse results
	From     string   // address of the From header (the envelope sender if there is none)
	To       []string // addresses in To and Cc, then envelope recipients not already listed
	Subject  string   // RFC 2047 decoded
	Text     string   // decoded text/plain parts, joined by newlines
	HTML     string   // decoded text/html parts, joined by newlines (raw HTML)
	HTMLText string   // HTML as readable text: block elements end lines, no tags, scripts or styles
	Links    []string // href targets in the HTML in document order, then bare URLs in Text; no duplicates
	// TextIsAlternative is true when the text/plain part is an alternative
	// to the HTML part (both in one multipart/alternative): mail clients
	// that can show HTML show only the HTML part (RFC 2046, 5.1.4).
	TextIsAlternative bool
	htmlLinks         []string
	Raw               string    // the message as received (RFC 5322)
	Created           time.Time // when MailHog received it; for Parse results the Date header, if valid
}

// Body is what attribute matchers search: Text, a newline, then HTMLText.
func (m *Message) Body() string { return m.Text + "\n" + m.HTMLText }

// Shown is what a customer reads: the HTML part alone when the text part is
// only its alternative (TextIsAlternative), else Body.
func (m *Message) Shown() string {
	if m.TextIsAlternative {
		return m.HTMLText
	}
	return m.Body()
}

// ShownLinks are the links of Shown: the HTML's alone when the text part is
// only its alternative, else Links.
func (m *Message) ShownLinks() []string {
	if m.TextIsAlternative {
		return m.htmlLinks
	}
	return m.Links
}

// sentTo reports whether addr (compared case-insensitively) is a recipient.
func (m *Message) sentTo(addr string) bool {
	return slices.ContainsFunc(m.To, func(a string) bool { return strings.EqualFold(a, addr) })
}

var wordDecoder = &mime.WordDecoder{CharsetReader: charsetReader}

var addressParser = &mail.AddressParser{WordDecoder: wordDecoder}

// Parse decodes a raw RFC 5322 message: headers, RFC 2047 subject, nested
// multipart bodies, quoted-printable and base64 transfer encodings, and
// every charset the WHATWG Encoding Standard names (see charsetReader).
// Parts marked as attachments and non-text parts are skipped.
func Parse(raw []byte) (*Message, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("mailbox: read message header: %w", err)
	}
	m := &Message{Raw: string(raw)}

	subject := msg.Header.Get("Subject")
	if m.Subject, err = wordDecoder.DecodeHeader(subject); err != nil {
		return nil, fmt.Errorf("mailbox: decode subject %q: %w", subject, err)
	}
	if from := headerAddresses(msg.Header, "From"); len(from) > 0 {
		m.From = from[0]
	}
	m.To = headerAddresses(msg.Header, "To", "Cc")
	if date, err := msg.Header.Date(); err == nil {
		m.Created = date
	}

	var b bodies
	if err := b.walk(msg.Header, msg.Body, 0); err != nil {
		return nil, err
	}
	m.Text = strings.Join(b.text, "\n")
	m.HTML = strings.Join(b.html, "\n")
	if m.HTML != "" {
		var links []string
		m.HTMLText, links = htmlToText(m.HTML)
		m.Links = links
		m.htmlLinks = dedupe(slices.Clone(links))
	}
	m.TextIsAlternative = b.alternative
	for _, u := range urlPattern.FindAllString(m.Text, -1) {
		m.Links = append(m.Links, strings.TrimRight(u, ".,;:!?)]}'\""))
	}
	m.Links = dedupe(m.Links)
	return m, nil
}

// headerAddresses returns the bare addresses in the named headers. A header
// that is not a valid address list is returned as written, trimmed.
func headerAddresses(h mail.Header, keys ...string) []string {
	var out []string
	for _, k := range keys {
		for _, v := range h[k] {
			list, err := addressParser.ParseList(v)
			if err != nil {
				if v = strings.TrimSpace(v); v != "" {
					out = append(out, v)
				}
				continue
			}
			for _, a := range list {
				out = append(out, a.Address)
			}
		}
	}
	return out
}

// header is what the body walk needs of mail.Header and textproto.MIMEHeader.
type header interface {
	Get(key string) string
}

// bodies collects the decoded text parts of a message.
type bodies struct {
	text []string
	html []string
	// alternative: a multipart/alternative held both a text and an HTML part.
	alternative bool
}

// maxDepth bounds multipart nesting; real mail nests three or four levels.
const maxDepth = 16

// walk collects the text parts of body, whose header is h, recursively.
func (b *bodies) walk(h header, body io.Reader, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("mailbox: multipart nested deeper than %d levels", maxDepth)
	}
	mediaType, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		// RFC 2045: a missing or unparsable Content-Type means plain ASCII text.
		mediaType, params = "text/plain", map[string]string{"charset": "us-ascii"}
	}
	if disposition, _, _ := mime.ParseMediaType(h.Get("Content-Disposition")); disposition == "attachment" {
		return nil
	}

	switch {
	case strings.HasPrefix(mediaType, "multipart/"):
		boundary := params["boundary"]
		if boundary == "" {
			return fmt.Errorf("mailbox: %s without boundary", mediaType)
		}
		mr := multipart.NewReader(body, boundary)
		texts, htmls := len(b.text), len(b.html)
		for {
			// NextRawPart keeps Content-Transfer-Encoding so that decode
			// handles every part the same way.
			part, err := mr.NextRawPart()
			if err == io.EOF {
				if mediaType == "multipart/alternative" && len(b.text) > texts && len(b.html) > htmls {
					b.alternative = true
				}
				return nil
			}
			if err != nil {
				return fmt.Errorf("mailbox: read %s part: %w", mediaType, err)
			}
			if err := b.walk(part.Header, part, depth+1); err != nil {
				return err
			}
		}
	case mediaType == "text/plain" || mediaType == "text/html":
		s, err := decodeText(h.Get("Content-Transfer-Encoding"), params["charset"], body)
		if err != nil {
			return fmt.Errorf("mailbox: decode %s part: %w", mediaType, err)
		}
		if mediaType == "text/plain" {
			b.text = append(b.text, s)
		} else {
			b.html = append(b.html, s)
		}
	}
	return nil
}

// decodeText undoes the transfer encoding and converts the charset to UTF-8.
func decodeText(transferEncoding, charset string, body io.Reader) (string, error) {
	switch strings.ToLower(strings.TrimSpace(transferEncoding)) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	case "", "7bit", "8bit", "binary":
	default:
		return "", fmt.Errorf("unsupported Content-Transfer-Encoding %q", transferEncoding)
	}
	if charset == "" {
		charset = "us-ascii"
	}
	r, err := charsetReader(charset, body)
	if err != nil {
		return "", err
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return "", fmt.Errorf("read body: %w", err)
	}
	return string(b), nil
}

// charsetReader converts a charset to UTF-8. It also serves
// mime.WordDecoder for headers. UTF-8 and US-ASCII pass as they are; any
// other charset is looked up by its IANA name or alias as the WHATWG
// Encoding Standard (which mail clients and browsers follow) lists them
// (golang.org/x/text/encoding/htmlindex): the ISO-8859 and Windows code
// pages, KOI8, Shift_JIS, EUC-JP, ISO-2022-JP, GBK, GB18030, Big5,
// EUC-KR and more. As in that standard, ISO-8859-1 and US-ASCII labels
// read as windows-1252, a superset.
func charsetReader(charset string, r io.Reader) (io.Reader, error) {
	name := strings.ToLower(strings.TrimSpace(charset))
	switch name {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return r, nil
	}
	enc, err := htmlindex.Get(name)
	if err != nil {
		return nil, fmt.Errorf("unsupported charset %q", charset)
	}
	return enc.NewDecoder().Reader(r), nil
}

// urlPattern finds bare http(s) URLs in plain text.
var urlPattern = regexp.MustCompile(`https?://[^\s<>"]+`)

func dedupe(s []string) []string {
	seen := make(map[string]bool, len(s))
	out := s[:0]
	for _, v := range s {
		if v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
