package mailbox_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drsim/drsim/harness/mailbox"
)

// clientKinds are the two ways to read an embedded server: through
// MailHog's HTTP API and websocket, and in-process (Server.Client). Both
// must see the same mail the same way.
var clientKinds = []struct {
	name string
	make func(t *testing.T, srv *mailbox.Server, opts ...mailbox.Option) *mailbox.Client
}{
	{"http", func(t *testing.T, srv *mailbox.Server, opts ...mailbox.Option) *mailbox.Client {
		return newClient(t, srv.URL(), opts...)
	}},
	{"in-process", func(t *testing.T, srv *mailbox.Server, opts ...mailbox.Option) *mailbox.Client {
		c := srv.Client(opts...)
		t.Cleanup(func() {
			if err := c.Close(); err != nil {
				t.Errorf("client Close: %v", err)
			}
		})
		return c
	}},
}

// TestClientKindsSeeTheSameMail: stored mail is found (recipient compared
// exactly and case-insensitively, a longer address containing it is not
// the same recipient), mail sent after the search arrives by push without
// another search, and Collect returns exactly what was sent, oldest first.
func TestClientKindsSeeTheSameMail(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	for _, kind := range clientKinds {
		t.Run(kind.name, func(t *testing.T) {
			to := newAddr(t, "ines")
			mustSend(t, srv.SMTPAddr(), "x"+to, "for someone else")
			mustSend(t, srv.SMTPAddr(), strings.ToUpper(to), "stored")

			var searches atomic.Int32
			searched := make(chan struct{}, 1)
			c := kind.make(t, srv, mailbox.WithSyncHook(func() {
				searches.Add(1)
				signal(searched)
			}))
			m, err := c.Wait(withTimeout(t, 10*time.Second), to, "stored mail", func(m *mailbox.Message) bool { return m.Subject == "stored" })
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(m.Text, "body of stored") || m.ID == "" || m.Created.IsZero() {
				t.Errorf("stored mail decoded as %+v", m)
			}
			<-searched

			done := make(chan error, 1)
			go func() {
				m, err := c.Wait(withTimeout(t, 10*time.Second), to, "pushed mail", func(m *mailbox.Message) bool { return m.Subject == "pushed" })
				if err == nil && !strings.Contains(m.Text, "body of pushed") {
					err = fmt.Errorf("pushed mail decoded as %+v", m)
				}
				done <- err
			}()
			<-searched // the second wait has searched: only a push can deliver now
			mustSend(t, srv.SMTPAddr(), to, "pushed")
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if n := searches.Load(); n != 2 {
				t.Errorf("searched %d times for two waits, want 2 (the second mail came by push)", n)
			}

			got, err := c.Collect(withTimeout(t, 10*time.Second), to, 50*time.Millisecond, nil)
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"stored", "pushed"}; !slices.Equal(subjects(got), want) {
				t.Errorf("Collect = %q, want %q", subjects(got), want)
			}
		})
	}
}

// TestConcurrentWaitsAllArrive: many waits at once, each for its own
// recipient, all get their mail, through either kind of client.
func TestConcurrentWaitsAllArrive(t *testing.T) {
	t.Parallel()
	for _, kind := range clientKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t)
			c := kind.make(t, srv)
			ctx := withTimeout(t, 30*time.Second)
			const n = 50
			var wg sync.WaitGroup
			errs := make(chan error, 2*n)
			for i := range n {
				to := newAddr(t, fmt.Sprint("user", i))
				subject := fmt.Sprint("mail ", i)
				wg.Go(func() {
					m, err := c.Wait(ctx, to, subject, func(m *mailbox.Message) bool { return m.Subject == subject })
					if err == nil && !strings.Contains(m.Text, "body of "+subject) {
						err = fmt.Errorf("%s: Text = %q", to, m.Text)
					}
					errs <- err
				})
				wg.Go(func() { errs <- sendPlain(srv.SMTPAddr(), to, subject, "body of "+subject) })
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// TestInProcessClientSeesDeletes: a message deleted through MailHog's API
// (one, or all) is gone for the in-process client too.
func TestInProcessClientSeesDeletes(t *testing.T) { // not parallel: DeleteAll empties the shared storage
	srv := startServer(t)
	c := clientKinds[1].make(t, srv)
	to := newAddr(t, "jules")
	mustSend(t, srv.SMTPAddr(), to, "first")
	mustSend(t, srv.SMTPAddr(), to, "second")
	ms, err := c.Messages(t.Context(), to)
	if err != nil || len(ms) != 2 {
		t.Fatalf("Messages = %q, %v; want two", subjects(ms), err)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodDelete, srv.URL()+"/api/v1/messages/"+ms[0].ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE one message: %s", resp.Status)
	}
	if ms, err := c.Messages(t.Context(), to); err != nil || !slices.Equal(subjects(ms), []string{"second"}) {
		t.Errorf("after deleting the first: %q, %v; want only the second", subjects(ms), err)
	}
	if err := c.DeleteAll(t.Context()); err != nil {
		t.Fatal(err)
	}
	if ms, err := c.Messages(t.Context(), to); err != nil || len(ms) != 0 {
		t.Errorf("after DeleteAll: %q, %v; want none", subjects(ms), err)
	}
}

// BenchmarkSendAndWait sends a message over SMTP and waits for it, with
// each kind of client: what a harness check of one email costs.
func BenchmarkSendAndWait(b *testing.B) {
	srv, err := mailbox.StartEmbedded()
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	for _, kind := range []struct {
		name string
		c    *mailbox.Client
	}{{"in-process", srv.Client()}, {"http", mailbox.NewClient(srv.URL())}} { // in-process first: the http one turns MailHog's JSON pushes on for good
		b.Run(kind.name, func(b *testing.B) {
			defer kind.c.Close()
			n := 0
			for b.Loop() {
				n++
				to := fmt.Sprintf("bench-%s-%d-%d@example.test", kind.name, n, addrSeq.Add(1))
				if err := sendPlain(srv.SMTPAddr(), to, "hello", "body"); err != nil {
					b.Fatal(err)
				}
				if _, err := kind.c.Wait(b.Context(), to, "hello", nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// Recent lists the newest messages whoever they went to, oldest first,
// from the in-process storage and over MailHog's HTTP API alike.
func TestRecent(t *testing.T) {
	srv, err := mailbox.StartEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	run := addrSeq.Add(1)
	for i := range 3 {
		mustSend(t, srv.SMTPAddr(), fmt.Sprintf("recent-%d-%d@example.test", run, i), fmt.Sprintf("recent %d %d", run, i))
	}
	for _, kind := range []struct {
		name string
		c    *mailbox.Client
	}{{"in-process", srv.Client()}, {"http", mailbox.NewClient(srv.URL())}} {
		t.Run(kind.name, func(t *testing.T) {
			defer kind.c.Close()
			ms, err := kind.c.Recent(t.Context(), 50)
			if err != nil {
				t.Fatal(err)
			}
			var ours []string
			for _, m := range ms {
				if strings.HasPrefix(m.Subject, fmt.Sprintf("recent %d ", run)) {
					ours = append(ours, m.Subject)
				}
			}
			want := []string{fmt.Sprintf("recent %d 0", run), fmt.Sprintf("recent %d 1", run), fmt.Sprintf("recent %d 2", run)}
			if !slices.Equal(ours, want) {
				t.Errorf("Recent: our messages %q, want %q oldest first", ours, want)
			}
			// The newest two (no test sends meanwhile: parallel tests wait
			// for this one).
			ms, err = kind.c.Recent(t.Context(), 2)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range ms {
				got = append(got, m.Subject)
			}
			if !slices.Equal(got, want[1:]) {
				t.Errorf("Recent(2) = %q, want the newest two, %q", got, want[1:])
			}
		})
	}
}
