package simulator

import (
	"net"
	"testing"
	"time"
)

// A connection that has sent nothing (Go's HTTP clients dial spare ones)
// does not hold Close: without it being closed, Shutdown waits for it to
// age 5 s and Close fails with "context deadline exceeded".
func TestCloseDoesNotWaitForSilentConnections(t *testing.T) {
	s, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", s.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	select {
	case <-s.freshed:
	case <-time.After(10 * time.Second):
		t.Fatal("awaited: the server accepting the silent connection; saw nothing in 10 s")
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close with a connection that sent nothing: %v; want the connection closed and the server stopped", err)
	}
}
