package readdeadline

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"
)

const tick = 10 * time.Millisecond

// pair is a connection accepted through a Listener and the client's end.
func pair(t *testing.T) (*Listener, net.Conn, net.Conn) {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := Listen(inner, tick)
	t.Cleanup(func() { l.Close() })
	client, err := net.Dial("tcp", inner.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	server, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	return l, server, client
}

// readResult reads one byte in the background.
func readResult(c net.Conn) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 1))
		done <- err
	}()
	return done
}

// awaitRead waits for a background read's end, or fails after d saying so.
func awaitRead(t *testing.T, done <-chan error, d time.Duration, what string) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatalf("%s: the read was still blocked %s later", what, d)
		return nil
	}
}

func TestAFutureDeadlineCutsOffAPendingRead(t *testing.T) {
	_, server, _ := pair(t)
	due := time.Now().Add(50 * time.Millisecond)
	if err := server.SetReadDeadline(due); err != nil {
		t.Fatal(err)
	}
	err := awaitRead(t, readResult(server), 5*time.Second, "a deadline 50ms ahead")
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the read ended with %v, want os.ErrDeadlineExceeded", err)
	}
	if now := time.Now(); now.Before(due) {
		t.Fatalf("the read was cut off %s before its deadline", due.Sub(now))
	}
}

func TestAMovedDeadlineIsTheOneThatCounts(t *testing.T) {
	_, server, client := pair(t)
	_ = server.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	later := time.Now().Add(time.Hour)
	_ = server.SetReadDeadline(later)
	done := readResult(server)
	// Past the first deadline by many ticks, the read still waits; then
	// data ends it without error.
	select {
	case err := <-done:
		t.Fatalf("the read ended (%v) at a deadline that had been moved an hour ahead", err)
	case <-time.After(30 * tick):
	}
	if _, err := client.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := awaitRead(t, done, 5*time.Second, "data after a moved deadline"); err != nil {
		t.Fatalf("the read failed: %v", err)
	}
}

// net/http interrupts a pending read with a deadline in the past and then
// clears it; reads after that must work, also after the sweeper fired.
func TestAPastDeadlineInterruptsAtOnceAndAZeroOneClears(t *testing.T) {
	for name, arm := range map[string]func(c net.Conn){
		"past deadline": func(c net.Conn) { _ = c.SetReadDeadline(time.Unix(1, 0)) },
		"swept":         func(c net.Conn) { _ = c.SetReadDeadline(time.Now().Add(tick)) },
	} {
		t.Run(name, func(t *testing.T) {
			_, server, client := pair(t)
			done := readResult(server)
			arm(server)
			if err := awaitRead(t, done, 5*time.Second, name); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("the read ended with %v, want os.ErrDeadlineExceeded", err)
			}
			if err := server.SetReadDeadline(time.Time{}); err != nil {
				t.Fatal(err)
			}
			if _, err := client.Write([]byte("y")); err != nil {
				t.Fatal(err)
			}
			if err := awaitRead(t, readResult(server), 5*time.Second, "a read after the deadline was cleared"); err != nil {
				t.Fatalf("a read after the deadline was cleared failed: %v", err)
			}
		})
	}
}

func TestCloseWriteHalfCloses(t *testing.T) {
	_, server, client := pair(t)
	cw, ok := server.(interface{ CloseWrite() error })
	if !ok {
		t.Fatal("the connection has no CloseWrite; net/http's server would skip its half-close")
	}
	if err := cw.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	_ = client.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := client.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("the peer read %v after CloseWrite, want io.EOF", err)
	}
}

func TestTheSweeperEndsWithTheLastConnection(t *testing.T) {
	l, server, _ := pair(t)
	l.Close()
	select {
	case <-l.stop:
		t.Fatal("the sweeper stopped while a connection was still open")
	default:
	}
	server.Close()
	select {
	case <-l.stop:
	case <-time.After(5 * time.Second):
		t.Fatal("the sweeper did not stop after the listener and its last connection closed")
	}
}

// Under net/http with tight timeouts: a keep-alive connection that sends
// its requests promptly is never cut off, one that sends half a request
// is, and one left idle is closed.
func TestWithNetHTTP(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := Listen(inner, tick)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) }),
		ReadHeaderTimeout: 100 * time.Millisecond, ReadTimeout: 150 * time.Millisecond, IdleTimeout: 300 * time.Millisecond}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	addr := inner.Addr().String()

	t.Run("prompt keep-alive requests", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 4096)
		// 40 requests spaced by a tick: four times the header timeout in
		// all, on one connection.
		for i := range 40 {
			if _, err := io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"); err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
			n, err := c.Read(buf)
			if err != nil || n < 12 || string(buf[:12]) != "HTTP/1.1 200" {
				t.Fatalf("request %d on a kept-alive connection: read %q, %v", i, buf[:n], err)
			}
			<-time.After(tick)
		}
	})
	for name, sent := range map[string]string{
		"headers never finish": "GET / HTTP/1.1\r\nHost: x\r\n",
		"body never finishes":  "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{",
		"idle":                 "",
	} {
		t.Run(name, func(t *testing.T) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := io.WriteString(c, sent); err != nil {
				t.Fatal(err)
			}
			_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, err = io.Copy(io.Discard, c)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("the server kept the connection open 10s after %q", sent)
			}
		})
	}
}
