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
//	mc := mailbox.NewClient(srv.URL()) // or "http://localhost:8025" for an external MailHog
//	defer mc.Close()
//	msg, err := mc.Wait(ctx, "alice@example.test", "order confirmation",
//		func(m *mailbox.Message) bool { return strings.Contains(m.Subject, "Bestellbestätigung") })
//	// msg.Text, msg.HTMLText, msg.Links, msg.Body() ...
//
//	none, err := mc.Collect(ctx, "bob@example.test", 500*time.Millisecond, nil) // "no email" assertions
//
// # Waiting
//
// A Client keeps one websocket to MailHog's /api/v2/websocket, shared by all
// concurrent Wait and Collect calls and reopened when it drops. Each call
// subscribes to pushes for its recipient first, then searches the stored
// mail (/api/v2/search), so a message is found whether it arrived before or
// after the call. When pushes may have been lost (reconnect, a waiter too
// slow to keep up) the affected calls search again. Nothing polls or sleeps.
// Recipients are matched exactly and case-insensitively against envelope
// recipients and To/Cc addresses.
//
// # Embedded servers share one MailHog
//
// MailHog's api.CreateAPI may run only once per process: it assigns a
// package-level event stream that a goroutine of every earlier API keeps
// using, so a second call is a data race. StartEmbedded therefore creates one
// MailHog backend per process (configuration, storage, API router) on first
// use, and each Server adds its own SMTP and HTTP listeners on 127.0.0.1 in
// front of it. All embedded servers of a process see the same messages:
// isolate tests by recipient address, not by server. Client.DeleteAll clears
// the mail of all of them.
//
// The storage is MailHog's in-memory storage behind a read-write lock
// (MailHog's own reads without its lock). MailHog's v1 endpoints GET
// /api/v1/messages and /api/v1/messages/{id}/download answer 500 with it;
// this package only uses the v2 API and DELETE /api/v1/messages.
//
// # Logging
//
// MailHog logs every SMTP line. The first StartEmbedded silences it for the
// whole process: go-log's level becomes ERROR, data.LogHandler a no-op, and
// the standard library logger's output is wrapped in a filter that drops the
// lines of SMTP sessions started by this package and passes every other line
// on to the previous output. A later log.SetOutput removes that filter.
//
// # Decoding
//
// Parse, not MailHog, decodes messages: RFC 2047 subjects, nested multipart
// bodies, quoted-printable and base64, and the charsets utf-8, us-ascii,
// iso-8859-1 and windows-1252. HTML parts are also rendered as text and
// their links collected.
package mailbox
