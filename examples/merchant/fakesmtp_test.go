package merchant_test

import (
	"bufio"
	"context"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// received is one message accepted by fakeSMTP.
type received struct {
	From string
	To   []string
	Data []byte // the message as sent, dot-unstuffed, CRLF line endings
}

// fakeSMTP is the smallest SMTP server net/smtp will talk to. Every accepted
// message is pushed to Messages before the 250 reply to DATA, so once the
// sender has its reply the message is already in the channel.
type fakeSMTP struct {
	Addr     string
	Messages chan received
	// RejectNext makes the next N messages fail with 554 after DATA.
	RejectNext atomic.Int32
	// Sessions counts the connections accepted.
	Sessions atomic.Int32
	// Pipelining makes EHLO offer PIPELINING (RFC 2920); commands are
	// read and answered one by one either way, as a server may.
	Pipelining atomic.Bool

	ln net.Listener
	wg sync.WaitGroup

	mu         sync.Mutex
	rejectText string // rejectN more messages containing it fail with 554
	rejectN    int
	gate       chan struct{} // while set, DATA is not answered until it is closed
	waiting    chan struct{} // signalled when a message waits at the gate
	senders    []func(context.Context) error
	open       map[net.Conn]struct{} // connections being served
}

// dropConnections closes every open connection, as a mail server does
// with sessions idle too long.
func (f *fakeSMTP) dropConnections() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for c := range f.open {
		c.Close()
	}
}

// hold makes the server keep every message it receives waiting, without a
// reply to DATA, until release is called (which is safe to call twice).
// waiting receives a value each time a message starts to wait.
func (f *fakeSMTP) hold() (waiting <-chan struct{}, release func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	gate, w := make(chan struct{}), make(chan struct{}, 100)
	f.gate, f.waiting = gate, w
	var once sync.Once
	return w, func() {
		once.Do(func() {
			f.mu.Lock()
			f.gate, f.waiting = nil, nil
			f.mu.Unlock()
			close(gate)
		})
	}
}

// rejectMatching makes the next n messages whose data contains text fail
// with 554 after DATA.
func (f *fakeSMTP) rejectMatching(text string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rejectText, f.rejectN = text, n
}

// sentBy registers a merchant sending to f: its Idle method, which
// expectNoMoreMail waits for.
func (f *fakeSMTP) sentBy(idle func(context.Context) error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.senders = append(f.senders, idle)
}

// settle waits until every merchant sending to f is idle.
func (f *fakeSMTP) settle(t *testing.T) {
	t.Helper()
	f.mu.Lock()
	senders := append([]func(context.Context) error(nil), f.senders...)
	f.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, idle := range senders {
		if err := idle(ctx); err != nil {
			t.Fatalf("merchant still busy after 10s: %v", err)
		}
	}
}

func startFakeSMTP(t *testing.T) *fakeSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("fake SMTP: listen: %v", err)
	}
	f := &fakeSMTP{Addr: ln.Addr().String(), Messages: make(chan received, 100), ln: ln}
	f.wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			f.wg.Go(func() { f.serve(conn) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		f.wg.Wait()
	})
	return f
}

func (f *fakeSMTP) serve(conn net.Conn) {
	f.Sessions.Add(1)
	f.mu.Lock()
	if f.open == nil {
		f.open = map[net.Conn]struct{}{}
	}
	f.open[conn] = struct{}{}
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.open, conn)
		f.mu.Unlock()
	}()
	defer conn.Close()
	c := textproto.NewConn(conn)
	reply := func(line string) bool { return c.PrintfLine("%s", line) == nil }
	if !reply("220 fake.test ESMTP") {
		return
	}
	var msg received
	for {
		line, err := c.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			if strings.EqualFold(verb, "EHLO") && f.Pipelining.Load() {
				reply("250-fake.test")
				reply("250 PIPELINING")
				continue
			}
			reply("250 fake.test")
		case "MAIL":
			msg = received{From: path(arg)}
			reply("250 ok")
		case "RCPT":
			msg.To = append(msg.To, path(arg))
			reply("250 ok")
		case "DATA":
			if !reply("354 end with <CRLF>.<CRLF>") {
				return
			}
			data, err := readDot(c.Reader.R)
			if err != nil {
				return
			}
			f.mu.Lock()
			gate, waiting := f.gate, f.waiting
			f.mu.Unlock()
			if gate != nil {
				waiting <- struct{}{}
				<-gate
			}
			f.mu.Lock()
			reject := f.rejectN > 0 && strings.Contains(string(data), f.rejectText)
			if reject {
				f.rejectN--
			}
			f.mu.Unlock()
			if reject || f.RejectNext.Add(-1) >= 0 {
				reply("554 rejected by test")
				continue
			}
			msg.Data = data
			f.Messages <- msg
			reply("250 queued")
		case "RSET", "NOOP":
			reply("250 ok")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 not implemented")
		}
	}
}

// path extracts the address from "FROM:<a@b>" or "TO:<a@b> SIZE=…".
func path(arg string) string {
	_, p, _ := strings.Cut(arg, "<")
	p, _, _ = strings.Cut(p, ">")
	return p
}

// readDot reads DATA up to the lone "." line, keeping CRLF line endings
// (textproto's DotReader would turn them into LF) and undoing dot-stuffing.
func readDot(r *bufio.Reader) ([]byte, error) {
	var data []byte
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		if line == ".\r\n" {
			return data, nil
		}
		data = append(data, strings.TrimPrefix(line, ".")...)
	}
}
