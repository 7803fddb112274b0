package othermerchant

import (
	"bytes"
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"strings"
	"time"
)

//go:embed vorlagen
var vorlagen embed.FS

// Emails are HTML only (no text part): links live in href attributes, and
// the text a customer reads is what the HTML shows. Every email template
// defines "inhalt" and is rendered inside vorlagen/mail_rahmen.html.
var mailVorlagen = template.Must(template.New("").Funcs(vorlagenFunktionen).ParseFS(vorlagen, "vorlagen/mail_*.html"))

var vorlagenFunktionen = template.FuncMap{
	"geld":  geld,
	"datum": datum,
}

// mailer sends HTML emails over SMTP, one connection per email.
type mailer struct {
	addr string // host:port of the SMTP server
	from mail.Address
}

// send renders the email template name (which defines "betreff" and
// "inhalt") with view and sends it to to.
func (m *mailer) send(ctx context.Context, to, name string, view any) error {
	var subj, body bytes.Buffer
	if err := mailVorlagen.ExecuteTemplate(&subj, name+"_betreff", view); err != nil {
		return fmt.Errorf("email %s: subject: %w", name, err)
	}
	if err := mailVorlagen.ExecuteTemplate(&body, name, view); err != nil {
		return fmt.Errorf("email %s: body: %w", name, err)
	}
	rcpt, err := mail.ParseAddress(to)
	if err != nil {
		return fmt.Errorf("email %s: recipient %q: %w", name, to, err)
	}
	msg, err := m.message(rcpt, strings.Join(strings.Fields(subj.String()), " "), body.Bytes())
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := smtp.SendMail(m.addr, nil, m.from.Address, []string{rcpt.Address}, msg); err != nil {
		return fmt.Errorf("email %s to %s: %w", name, rcpt.Address, err)
	}
	return nil
}

func (m *mailer) message(to *mail.Address, subject string, html []byte) ([]byte, error) {
	id := make([]byte, 12)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	host, _, _ := net.SplitHostPort(m.addr)
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\n", m.from.String())
	fmt.Fprintf(&b, "To: %s\r\n", to.String())
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", subject))
	fmt.Fprintf(&b, "Date: %s\r\n", time.Now().Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%s@%s>\r\n", hex.EncodeToString(id), cmpOr(host, "waldlaeufer.example"))
	b.WriteString("MIME-Version: 1.0\r\n")
	b.WriteString("Content-Type: text/html; charset=utf-8\r\n")
	b.WriteString("Content-Transfer-Encoding: quoted-printable\r\n\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write(html); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
