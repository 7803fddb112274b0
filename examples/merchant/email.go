package merchant

import (
	"bytes"
	"context"
	"crypto/rand"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"text/tabwriter"
	texttemplate "text/template"
	"time"
)

//go:embed templates
var templates embed.FS

// emailTemplate is one notification's pair of templates,
// templates/<name>.txt.tmpl and templates/<name>.html.tmpl, executed with
// the same view. The HTML one escapes what it shows; the text one is run
// through a tabwriter, so tab-separated cells line up in columns.
type emailTemplate struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

func parseEmailTemplate(name string) emailTemplate {
	return emailTemplate{
		text: texttemplate.Must(texttemplate.ParseFS(templates, "templates/"+name+".txt.tmpl")),
		html: htmltemplate.Must(htmltemplate.ParseFS(templates, "templates/"+name+".html.tmpl")),
	}
}

// render executes both templates with view.
func (t emailTemplate) render(view any) (text, html string, err error) {
	var tb, hb strings.Builder
	tw := tabwriter.NewWriter(&tb, 0, 8, 2, ' ', 0)
	if err := t.text.Execute(tw, view); err != nil {
		return "", "", fmt.Errorf("render text: %w", err)
	}
	if err := tw.Flush(); err != nil {
		return "", "", fmt.Errorf("render text: %w", err)
	}
	if err := t.html.Execute(&hb, view); err != nil {
		return "", "", fmt.Errorf("render html: %w", err)
	}
	return tb.String(), hb.String(), nil
}

// notify renders view with tmpl and emails it to to.
func (s *Server) notify(ctx context.Context, to *mail.Address, subject string, tmpl emailTemplate, view any) error {
	text, html, err := tmpl.render(view)
	if err != nil {
		return err
	}
	if err := s.send(ctx, email{To: to, Subject: subject, Text: text, HTML: html}); err != nil {
		return fmt.Errorf("to %s: %w", to.Address, err)
	}
	s.log.Info("email sent", "subject", subject, "to", to.Address)
	return nil
}

// email is one customer notification with a plain-text and an HTML body.
type email struct {
	To      *mail.Address
	Subject string
	Text    string
	HTML    string
}

// compose renders msg as an RFC 5322 message: a multipart/alternative with
// the text part first and the HTML part last (the one mail clients prefer),
// both UTF-8 and quoted-printable. Lines end in CRLF, as SMTP requires.
func (s *Server) compose(msg email) ([]byte, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, part := range []struct{ contentType, content string }{
		{"text/plain; charset=utf-8", msg.Text},
		{"text/html; charset=utf-8", msg.HTML},
	} {
		pw, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.contentType},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		qp := quotedprintable.NewWriter(pw)
		if _, err := qp.Write([]byte(part.content)); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}

	var out bytes.Buffer
	header := func(name, value string) { fmt.Fprintf(&out, "%s: %s\r\n", name, value) }
	header("From", s.from.String()) // mail.Address encodes a non-ASCII name (RFC 2047)
	header("To", msg.To.String())
	header("Subject", mime.QEncoding.Encode("utf-8", msg.Subject)) // unchanged when ASCII
	header("Date", s.cfg.Now().Format(time.RFC1123Z))
	header("Message-ID", "<"+rand.Text()+"@"+domainOf(s.from.Address)+">")
	header("MIME-Version", "1.0")
	header("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": mw.Boundary()}))
	out.WriteString("\r\n")
	out.Write(body.Bytes())
	return out.Bytes(), nil
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 && i < len(addr)-1 {
		return addr[i+1:]
	}
	return "merchant.example"
}

// send composes msg and hands it to the SMTP server. It is smtp.SendMail
// with deadlines, so a stuck mail server cannot hold a webhook (or Close)
// forever. No authentication and no TLS: the mail server is local.
func (s *Server) send(ctx context.Context, msg email) error {
	data, err := s.compose(msg)
	if err != nil {
		return fmt.Errorf("compose: %w", err)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.cfg.SMTPAddr)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}
	host, _, _ := net.SplitHostPort(s.cfg.SMTPAddr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp: %w", err)
	}
	defer c.Close()
	if err := c.Hello(domainOf(s.from.Address)); err != nil {
		return fmt.Errorf("smtp HELO: %w", err)
	}
	if err := c.Mail(s.from.Address); err != nil {
		return fmt.Errorf("smtp MAIL FROM: %w", err)
	}
	if err := c.Rcpt(msg.To.Address); err != nil {
		return fmt.Errorf("smtp RCPT TO %s: %w", msg.To.Address, err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp DATA: %w", err)
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("smtp DATA: %w", err)
	}
	if err := w.Close(); err != nil { // the server accepts or refuses the message here
		return fmt.Errorf("smtp DATA: %w", err)
	}
	// The message is accepted; a failed QUIT must not make DR retry (and the
	// customer get a second email).
	if err := c.Quit(); err != nil {
		s.log.Debug("smtp QUIT", "err", err)
	}
	return nil
}
