package mailbox

import (
	"bytes"
	"log"
	"testing"
)

func TestLogFilterDropsOnlyMailHogSessionLines(t *testing.T) {
	var out bytes.Buffer
	l := log.New(&logFilter{next: &out}, "", log.LstdFlags)
	l.Printf("[SMTP %s] Received %d bytes", sessionTag+"127.0.0.1:4242", 12)
	l.Printf("[SMTP %s] [PROTO: MAIL] Got EOF", sessionTag+"127.0.0.1:4242")
	l.Printf("[SMTP 10.0.0.1:25] someone else's SMTP server")
	l.Printf("application line")
	got := out.String()
	if bytes.Contains(out.Bytes(), []byte(sessionTag)) {
		t.Errorf("MailHog lines passed the filter:\n%s", got)
	}
	for _, want := range []string{"someone else's SMTP server", "application line"} {
		if !bytes.Contains(out.Bytes(), []byte(want)) {
			t.Errorf("line %q was dropped:\n%s", want, got)
		}
	}
}
