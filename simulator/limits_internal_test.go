package simulator

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A client that sends its headers or its body too slowly is cut off: the
// server closes the connection once the read timeout passes, whatever the
// client still promises to send. Awaited: the connection's end, with a
// deadline far beyond the timeouts.
func TestSlowClientsAreCutOff(t *testing.T) {
	saved := limits
	t.Cleanup(func() { limits = saved })
	limits.readHeader, limits.read = 200*time.Millisecond, 300*time.Millisecond
	sim, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	addr := strings.TrimPrefix(sim.URL(), "http://")

	cases := map[string]string{
		"headers never finish": "POST /customers HTTP/1.1\r\nHost: x\r\n",
		"body never finishes":  "POST /_sim/accounts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"secretKey\":",
	}
	for name, sent := range cases {
		t.Run(name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := io.WriteString(conn, sent); err != nil {
				t.Fatal(err)
			}
			// Wait for the server to end the connection: read until EOF or
			// a reset, within a deadline 30 times the timeout.
			_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			var answer strings.Builder
			_, err = io.Copy(&answer, conn)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("the connection was still open 10s after sending %q (read timeouts %s/%s); read %q", sent, limits.readHeader, limits.read, answer.String())
			}
			// Whatever it answered on the way out is not a success.
			if answer.Len() > 0 {
				resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(answer.String())), nil)
				if err == nil && resp.StatusCode < 400 {
					t.Fatalf("a cut-off request was answered %d: %q", resp.StatusCode, answer.String())
				}
			}
		})
	}
	// An ordinary request still works.
	resp, err := http.Get(sim.URL() + "/_sim/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("health: %d", resp.StatusCode)
	}
}
