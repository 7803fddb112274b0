package mailbox_test

import (
	"context"
	"fmt"
	"log"
	"net/smtp"
	"time"

	"github.com/drsim/drsim/harness/mailbox"
)

// StartEmbedded runs MailHog in process; a merchant sends to its SMTP
// address, and a Client waits for the message to a recipient.
func ExampleStartEmbedded() {
	srv, err := mailbox.StartEmbedded()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	mb := mailbox.NewClient(srv.URL())
	defer mb.Close()

	to := fmt.Sprintf("zoe+%d@example.test", time.Now().UnixNano())
	msg := "From: shop@example.test\r\nTo: " + to + "\r\nSubject: Your order\r\n\r\nThank you.\r\n"
	if err := smtp.SendMail(srv.SMTPAddr(), nil, "shop@example.test", []string{to}, []byte(msg)); err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := mb.Wait(ctx, to, "order email", func(m *mailbox.Message) bool { return m.Subject == "Your order" })
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Subject)
	// Output: Your order
}
