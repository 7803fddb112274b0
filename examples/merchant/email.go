package merchant

import (
	"bytes"
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"slices"
	"strings"
	"sync"
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
// forever, and with the connection kept for the next email (smtpConns):
// a new connection costs a dial, the greeting, HELO and QUIT, four round
// trips of the seven an email takes. No authentication and no TLS: the
// mail server is local.
func (s *Server) send(ctx context.Context, msg email) error {
	data, err := s.compose(msg)
	if err != nil {
		return fmt.Errorf("compose: %w", err)
	}
	for {
		c, reused, err := s.smtp.get(ctx, s.cfg.SMTPAddr, domainOf(s.from.Address))
		if err != nil {
			return err
		}
		err = s.transact(ctx, c, msg, data)
		switch {
		case err == nil:
			s.smtp.put(c)
			return nil
		case reused && errors.Is(err, errStaleSMTP):
			// The server closed the idle connection before anything of
			// this email was accepted: send it on a new one.
			c.close()
			continue
		}
		c.close()
		return err
	}
}

// errStaleSMTP marks a kept connection that failed at MAIL FROM without an
// SMTP reply: the server closed it while it was idle.
var errStaleSMTP = errors.New("kept SMTP connection closed by the server")

// transact sends one email on c: MAIL FROM, RCPT TO, DATA.
func (s *Server) transact(ctx context.Context, c *smtpConn, msg email, data []byte) error {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(workTimeout)
	}
	c.conn.SetDeadline(deadline)
	if c.pipelining {
		return s.transactPipelined(c, msg, data)
	}
	if err := c.c.Mail(s.from.Address); err != nil {
		if _, isReply := errors.AsType[*textproto.Error](err); !isReply {
			return fmt.Errorf("smtp MAIL FROM: %w: %w", errStaleSMTP, err)
		}
		return fmt.Errorf("smtp MAIL FROM: %w", err)
	}
	if err := c.c.Rcpt(msg.To.Address); err != nil {
		return fmt.Errorf("smtp RCPT TO %s: %w", msg.To.Address, err)
	}
	w, err := c.c.Data()
	if err != nil {
		return fmt.Errorf("smtp DATA: %w", err)
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("smtp DATA: %w", err)
	}
	if err := w.Close(); err != nil { // the server accepts or refuses the message here
		return fmt.Errorf("smtp DATA: %w", err)
	}
	c.conn.SetDeadline(time.Time{})
	return nil
}

// transactPipelined is transact for a server that offers PIPELINING
// (RFC 2920; MailHog does): MAIL FROM, RCPT TO and DATA go in one write and
// their three replies are read after it, one round trip instead of three.
func (s *Server) transactPipelined(c *smtpConn, msg email, data []byte) error {
	from, to := s.from.Address, msg.To.Address
	if strings.ContainsAny(from+to, "\r\n") {
		return fmt.Errorf("smtp: address %q or %q has a line break", from, to)
	}
	text := c.c.Text
	fmt.Fprintf(text.W, "MAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nDATA\r\n", from, to)
	if err := text.W.Flush(); err != nil {
		return fmt.Errorf("smtp MAIL FROM: %w: %w", errStaleSMTP, err)
	}
	if _, _, err := text.ReadResponse(250); err != nil {
		if _, isReply := errors.AsType[*textproto.Error](err); !isReply {
			return fmt.Errorf("smtp MAIL FROM: %w: %w", errStaleSMTP, err)
		}
		return fmt.Errorf("smtp MAIL FROM: %w", err)
	}
	if _, _, err := text.ReadResponse(25); err != nil {
		return fmt.Errorf("smtp RCPT TO %s: %w", to, err)
	}
	if _, _, err := text.ReadResponse(354); err != nil {
		return fmt.Errorf("smtp DATA: %w", err)
	}
	w := text.DotWriter()
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("smtp DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp DATA: %w", err)
	}
	if _, _, err := text.ReadResponse(250); err != nil { // the server accepts or refuses the message here
		return fmt.Errorf("smtp DATA: %w", err)
	}
	c.conn.SetDeadline(time.Time{})
	return nil
}

// maxIdleSMTP is how many SMTP connections are kept for reuse, and
// idleSMTP how long each is kept unused before QUIT (a mail server that
// waits for its sessions to end when it stops is not held up long).
const (
	maxIdleSMTP = 8
	idleSMTP    = time.Second
)

// smtpConns keeps open SMTP connections between emails. A connection is
// kept only after an email went through on it; one that failed in any way
// is closed.
type smtpConns struct {
	mu     sync.Mutex
	idle   []*smtpConn
	closed bool
}

type smtpConn struct {
	conn       net.Conn
	c          *smtp.Client
	pipelining bool        // the server offers PIPELINING
	timer      *time.Timer // QUIT after idleSMTP unused (guarded by smtpConns.mu)
}

// get returns a kept connection (reused true) or a new one that has said
// HELO.
func (p *smtpConns) get(ctx context.Context, addr, helo string) (*smtpConn, bool, error) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		c := p.idle[n-1]
		p.idle = p.idle[:n-1]
		c.timer.Stop()
		p.mu.Unlock()
		return c, true, nil
	}
	p.mu.Unlock()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, false, fmt.Errorf("smtp: %w", err)
	}
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}
	host, _, _ := net.SplitHostPort(addr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return nil, false, fmt.Errorf("smtp: %w", err)
	}
	if err := c.Hello(helo); err != nil {
		c.Close()
		return nil, false, fmt.Errorf("smtp HELO: %w", err)
	}
	pipelining, _ := c.Extension("PIPELINING")
	return &smtpConn{conn: conn, c: c, pipelining: pipelining}, false, nil
}

// put keeps c for the next email, or says QUIT when enough are kept or
// the merchant is stopping.
func (p *smtpConns) put(c *smtpConn) {
	p.mu.Lock()
	if !p.closed && len(p.idle) < maxIdleSMTP {
		p.idle = append(p.idle, c)
		c.timer = time.AfterFunc(idleSMTP, func() { p.expire(c) })
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	c.quit()
}

// expire says QUIT on c unless it was taken for an email meanwhile.
func (p *smtpConns) expire(c *smtpConn) {
	p.mu.Lock()
	i := slices.Index(p.idle, c)
	if i < 0 {
		p.mu.Unlock()
		return
	}
	p.idle = slices.Delete(p.idle, i, i+1)
	p.mu.Unlock()
	c.quit()
}

// close says QUIT on every kept connection; later ones are not kept.
func (p *smtpConns) close() {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	for _, c := range idle {
		c.timer.Stop()
		c.quit()
	}
}

// quit ends the session politely. The emails sent on it are accepted
// already: a failed QUIT changes nothing.
func (c *smtpConn) quit() {
	c.conn.SetDeadline(time.Now().Add(time.Second))
	_ = c.c.Quit()
	c.c.Close()
}

func (c *smtpConn) close() { c.c.Close() }
