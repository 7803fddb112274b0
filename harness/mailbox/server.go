package mailbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	stdlog "log"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/pat"
	"github.com/ian-kent/go-log/levels"
	golog "github.com/ian-kent/go-log/log"
	"github.com/mailhog/MailHog-Server/api"
	"github.com/mailhog/MailHog-Server/config"
	mhsmtp "github.com/mailhog/MailHog-Server/smtp"
	uiassets "github.com/mailhog/MailHog-UI/assets"
	uiconfig "github.com/mailhog/MailHog-UI/config"
	webui "github.com/mailhog/MailHog-UI/web"
	"github.com/mailhog/data"
)

// closeGrace is how long Close lets in-flight SMTP sessions and API requests
// finish on their own before it cuts their connections.
const closeGrace = 5 * time.Second

// sessionTag is put in front of the remote address handed to MailHog's SMTP
// session. MailHog only uses that address in its std-log lines
// ("[SMTP <addr>] ..."), so the tag marks exactly the lines the log filter drops.
const sessionTag = "drsim-mailbox "

var mailhogLinePrefix = []byte("[SMTP " + sessionTag)

// MailHog's web UI logs where it thinks it serves ("Serving under
// http://0.0.0.0:8025/", which is not where it is) and "[UI] …" lines.
var (
	mailhogUILine   = []byte("Serving under http")
	mailhogUIPrefix = []byte("[UI] ")
)

// backend is the single MailHog instance of the process: configuration,
// storage and the API router that every embedded server serves.
type backend struct {
	conf   *config.Config
	router *pat.Router
	// received takes each stored message from the SMTP sessions. MailHog's
	// API turns every message it is handed into JSON twice, for its v1
	// event stream and its v2 websocket; that is only worth doing once a
	// client has asked for either (pushWanted), so until then the messages
	// stop here. Clients of Server.Client are told by the storage itself.
	received   chan *data.Message
	pushWanted atomic.Bool
}

// pushPaths are MailHog's push endpoints: the v1 event stream and the v2
// websocket (MailHog's UI and NewClient's waits use the latter).
var pushPaths = []string{"/api/v1/events", "/api/v2/websocket"}

// forward hands MailHog's API the messages received once a push client
// has appeared.
func (b *backend) forward() {
	for m := range b.received {
		if b.pushWanted.Load() {
			b.conf.MessageChan <- m
		}
	}
}

// ServeHTTP notes the first request for pushes, then serves MailHog's API.
func (b *backend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !b.pushWanted.Load() && slices.Contains(pushPaths, r.URL.Path) {
		b.pushWanted.Store(true)
	}
	b.router.ServeHTTP(w, r)
}

var (
	backendOnce   sync.Once
	sharedBackend *backend
)

// theBackend creates MailHog's API exactly once per process; see the package
// documentation for why.
func theBackend() *backend {
	backendOnce.Do(func() {
		silenceMailHog()
		conf := config.DefaultConfig()
		conf.Hostname = "mailbox.drsim.test"
		conf.Storage = newLockedStorage()
		router := pat.New()
		api.CreateAPI(conf, router)
		// MailHog's own web UI (embedded assets, no network) at "/": the
		// list, and each message as HTML, plain text, source and MIME parts.
		// Its download links use v1 endpoints that answer 500 with
		// lockedStorage (storage.go); everything else works.
		webui.CreateWeb(uiconfig.DefaultConfig(), router, uiassets.Asset)
		sharedBackend = &backend{conf: conf, router: router, received: make(chan *data.Message, 256)}
		go sharedBackend.forward()
	})
	return sharedBackend
}

// silenceMailHog stops MailHog from logging (about 170 lines per mail).
//
//   - go-log, used by the API and websocket hub, is set to level ERROR.
//   - data.LogHandler, used while parsing MIME, becomes a no-op.
//   - The SMTP session logs with the standard library logger and has no hook.
//     The standard logger's output is wrapped in a filter that drops only the
//     lines of sessions started by this package (they carry sessionTag) and
//     passes everything else to the previous output unchanged. Code that later
//     calls log.SetOutput replaces the filter and will see MailHog's lines.
func silenceMailHog() {
	golog.Logger().SetLevel(levels.ERROR)
	data.LogHandler = func(string, ...any) {}
	stdlog.SetOutput(&logFilter{next: stdlog.Writer()})
}

// logFilter drops MailHog SMTP session lines. The standard logger calls Write
// once per complete entry.
type logFilter struct {
	next io.Writer
}

func (f *logFilter) Write(p []byte) (int, error) {
	if bytes.Contains(p, mailhogLinePrefix) || bytes.Contains(p, mailhogUILine) || bytes.Contains(p, mailhogUIPrefix) {
		return len(p), nil
	}
	return f.next.Write(p)
}

// Server is one embedded MailHog: its own SMTP and HTTP listeners on
// 127.0.0.1 in front of the process-wide MailHog backend.
type Server struct {
	smtpLn  net.Listener
	httpLn  net.Listener
	httpSrv *http.Server
	backend *backend

	acceptDone chan struct{}
	httpDone   chan struct{}
	sessions   sync.WaitGroup

	closeOnce sync.Once
	closeErr  error
	done      chan struct{} // closed when Close starts

	mu       sync.Mutex
	closed   bool
	conns    map[net.Conn]struct{} // open SMTP connections
	hijacked map[net.Conn]struct{} // websocket connections taken over by MailHog; kept until Close (MailHog reports no end)
}

// Addrs are the listen addresses of an embedded server; empty fields mean a
// fresh 127.0.0.1 port.
type Addrs struct {
	SMTP string // e.g. "127.0.0.1:1025"
	HTTP string // e.g. "127.0.0.1:8025"
}

// StartEmbedded starts MailHog in-process on two fresh 127.0.0.1 ports, one
// for SMTP and one for MailHog's HTTP API, or on the addresses given.
func StartEmbedded(addrs ...Addrs) (*Server, error) {
	b := theBackend()
	var a Addrs
	if len(addrs) > 0 {
		a = addrs[0]
	}
	if a.SMTP == "" {
		a.SMTP = "127.0.0.1:0"
	}
	if a.HTTP == "" {
		a.HTTP = "127.0.0.1:0"
	}
	smtpLn, err := net.Listen("tcp", a.SMTP)
	if err != nil {
		return nil, fmt.Errorf("mailbox: listen for SMTP on %s: %w", a.SMTP, err)
	}
	httpLn, err := net.Listen("tcp", a.HTTP)
	if err != nil {
		smtpLn.Close()
		return nil, fmt.Errorf("mailbox: listen for HTTP on %s: %w", a.HTTP, err)
	}
	s := &Server{
		smtpLn:     smtpLn,
		httpLn:     httpLn,
		backend:    b,
		acceptDone: make(chan struct{}),
		httpDone:   make(chan struct{}),
		done:       make(chan struct{}),
		conns:      make(map[net.Conn]struct{}),
		hijacked:   make(map[net.Conn]struct{}),
	}
	s.httpSrv = &http.Server{
		Handler:           b,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          stdlog.New(io.Discard, "", 0),
		ConnState:         s.trackHTTP,
	}
	go s.serveHTTP()
	go s.acceptSMTP()
	return s, nil
}

// Client returns a client of this server that reads the process's MailHog
// storage in-process: searching is a look-up in an index by recipient and a
// stored message reaches a waiting Wait or Collect straight from the
// storage, with no HTTP search, no websocket and no JSON. It behaves like
// NewClient(s.URL()) otherwise (DeleteAll goes through the HTTP API). It
// sees the mail of every embedded server of the process, as that one does.
func (s *Server) Client(opts ...Option) *Client {
	c := NewClient(s.URL(), opts...)
	c.local = s.backend.conf.Storage.(*lockedStorage)
	return c
}

// SMTPAddr is the SMTP listener's address, "127.0.0.1:port".
func (s *Server) SMTPAddr() string { return s.smtpLn.Addr().String() }

// URL is the root of MailHog's HTTP API, "http://127.0.0.1:port"; pass it to
// NewClient.
func (s *Server) URL() string { return "http://" + s.httpLn.Addr().String() }

func (s *Server) serveHTTP() {
	defer close(s.httpDone)
	// Serve returns http.ErrServerClosed after Close/Shutdown; any other error
	// also ends this server's API, which clients then report.
	_ = s.httpSrv.Serve(s.httpLn)
}

func (s *Server) trackHTTP(c net.Conn, state http.ConnState) {
	if state != http.StateHijacked {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		c.Close()
		return
	}
	s.hijacked[c] = struct{}{}
}

func (s *Server) acceptSMTP() {
	defer close(s.acceptDone)
	b := s.backend
	var delay time.Duration
	for {
		conn, err := s.smtpLn.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Transient failure such as running out of file descriptors:
			// back off like net/http does, unless the server is closing.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			if !s.pause(delay) {
				return
			}
			continue
		}
		delay = 0
		if !s.addSession(conn) {
			conn.Close()
			return
		}
		go func() {
			defer s.sessions.Done()
			defer s.removeSession(conn)
			mhsmtp.Accept(sessionTag+conn.RemoteAddr().String(), conn,
				b.conf.Storage, b.received, b.conf.Hostname, nil)
		}()
	}
}

// pause waits d unless the server is closed first; it reports whether to go on.
func (s *Server) pause(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.done:
		return false
	}
}

func (s *Server) addSession(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	s.sessions.Add(1)
	return true
}

func (s *Server) removeSession(c net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
}

// Close stops both listeners, lets in-flight SMTP sessions and API requests
// finish (cutting them after a grace period of a few seconds) and closes
// websocket connections served by this server. Mail already received stays
// in the shared storage. Close is idempotent.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

func (s *Server) close() error {
	s.mu.Lock()
	s.closed = true
	close(s.done)
	for c := range s.hijacked {
		c.Close()
	}
	s.mu.Unlock()

	var errs []error
	if err := s.smtpLn.Close(); err != nil {
		errs = append(errs, fmt.Errorf("mailbox: close SMTP listener: %w", err))
	}
	<-s.acceptDone

	ctx, cancel := context.WithTimeout(context.Background(), closeGrace)
	defer cancel()
	if err := s.httpSrv.Shutdown(ctx); err != nil {
		s.httpSrv.Close()
	}
	<-s.httpDone

	sessionsDone := make(chan struct{})
	go func() {
		s.sessions.Wait()
		close(sessionsDone)
	}()
	select {
	case <-sessionsDone:
	case <-ctx.Done():
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		<-sessionsDone
	}
	return errors.Join(errs...)
}
