// Package mailbox is the harness's mail sink: MailHog running in-process,
// built from MailHog's own packages, and a client that works the same against
// it or an external MailHog, waits for mail by push and decodes MIME itself.
//
// Typical use:
//
//	srv, err := mailbox.StartEmbedded()
//	if err != nil { ... }
//	defer srv.Close()
//	// configure the system under test to send mail to srv.SMTPAddr()
//
//	mc := srv.Client() // in-process; mailbox.NewClient("http://localhost:8025") for an external MailHog
//	defer mc.Close()
//	msg, err := mc.Wait(ctx, "alice@example.test", "order confirmation",
//		func(m *mailbox.Message) bool { return strings.Contains(m.Subject, "Bestellbestätigung") })
//	// msg.Text, msg.HTMLText, msg.Links, msg.Body() ...
//
//	none, err := mc.Collect(ctx, "bob@example.test", 500*time.Millisecond, nil) // "no email" assertions
//
// A Client waits by push over MailHog's websocket, or straight from the
// storage for a client of an embedded server (Server.Client); nothing polls.
// Every embedded Server of a process shares one MailHog backend, so isolate
// tests by recipient address. How waiting, the shared backend, MailHog's logging
// and MIME decoding work: docs/mailbox.md.
package mailbox
