package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/drsim/drsim/internal/stack"
	"github.com/drsim/drsim/simulator"
	"github.com/drsim/drsim/simulator/client"
)

// The API figures of drsim bench are measured against a simulator in a
// child process: this binary run again as "drsim bench-server", a command
// for bench only. In one process the load generator's garbage went through
// the same heap as a million stored customers, and its work through the
// same collector, so the figures at a million were the pair's, not the
// simulator's (docs/performance.md, "A million stored objects"). The
// child is what a user runs (drsim serve, on half the CPUs), and its
// memory is the simulator's alone.
//
// bench talks to the child over its standard input and output, one JSON
// object per line (benchRequest one way, benchMessage the other): the
// child first says where it serves and the account's key, then answers
// each request in turn, and says whenever a collection has completed, so
// that bench measures over whole collection cycles of the simulator's
// heap (loadCycles).

// benchServerCmd is the child's command; benchServerEnv marks the child
// for a test binary, which has no commands of its own (TestMain).
const (
	benchServerCmd = "bench-server"
	benchServerEnv = "DRSIM_BENCH_SERVER"
)

// benchRequest is bench asking the child: Op "fill" stores N more
// customers, "trim" removes the customers and events made since the fills
// (by a create figure), "memory" measures the memory.
type benchRequest struct {
	Op string `json:"op"`
	N  int    `json:"n,omitempty"`
}

// benchMessage is the child speaking: where it serves (first), a
// collection completed (GC, the count so far), a fill done (IDs: a uniform
// sample of every customer stored; Stored: how many were filled in all),
// a trim done (Trimmed and TrimmedEvents: how many customers and events it
// removed), its memory (Live, RSS), or what went wrong (Error).
type benchMessage struct {
	URL           string   `json:"url,omitempty"`
	Key           string   `json:"key,omitempty"`
	GC            uint64   `json:"gc,omitempty"`
	IDs           []string `json:"ids,omitempty"`
	Stored        int      `json:"stored,omitempty"`
	Trimmed       int      `json:"trimmed,omitempty"`
	TrimmedEvents int      `json:"trimmedEvents,omitempty"`
	Live          uint64   `json:"live,omitempty"`
	RSS           uint64   `json:"rss,omitempty"`
	Error         string   `json:"error,omitempty"`
}

// benchServer is the child: it serves a simulator with one account until
// its standard input ends.
func benchServer(ctx context.Context, args []string, in io.Reader, out io.Writer) error {
	fs := flag.NewFlagSet(benchServerCmd, flag.ContinueOnError)
	cpuprofile := fs.String("cpuprofile", "", "write the simulator's CPU profile to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	stopProfile, err := startCPUProfile(*cpuprofile)
	if err != nil {
		return err
	}
	defer stopProfile()
	sim, err := simulator.Start(simulator.Options{RetryScale: stack.RetryScale})
	if err != nil {
		return err
	}
	defer sim.Close()
	keys, err := client.New(sim.URL(), "").CreateAccount(ctx, "")
	if err != nil {
		return fmt.Errorf("create the bench account: %w", err)
	}
	var mu sync.Mutex
	enc := json.NewEncoder(out)
	send := func(m benchMessage) error {
		mu.Lock()
		defer mu.Unlock()
		return enc.Encode(m)
	}
	if err := send(benchMessage{URL: sim.URL(), Key: keys.SecretKey}); err != nil {
		return err
	}

	// The collector's count is polled, as loadCycles did in one process:
	// a millisecond late at worst, on a figure of seconds.
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		last := readGC().cycles
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			if n := readGC().cycles; n != last {
				last = n
				if send(benchMessage{GC: n}) != nil {
					return
				}
			}
		}
	}()

	dec := json.NewDecoder(in)
	var sample idSample
	filled := 0
	for {
		var req benchRequest
		if err := dec.Decode(&req); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("read bench's request: %w", err)
		}
		var m benchMessage
		switch req.Op {
		case "fill":
			ids, err := sim.FillCustomers(keys.SecretKey, req.N, func(i int) string { return fmt.Sprintf("fill%d@example.test", filled+i) })
			if err != nil {
				m.Error = err.Error()
				break
			}
			filled += len(ids)
			for _, id := range ids {
				sample.offer(id)
			}
			m.IDs, m.Stored = sample.ids, filled
		case "trim":
			// The account holds a customer.created event per customer
			// filled, and nothing else records events in it.
			n, err := sim.TrimCustomers(keys.SecretKey, filled)
			if err != nil {
				m.Error = err.Error()
				break
			}
			ne, err := sim.TrimEvents(keys.SecretKey, filled)
			if err != nil {
				m.Error = err.Error()
				break
			}
			m.Trimmed, m.TrimmedEvents = n, ne
		case "memory":
			mem := measureMemory()
			m.Live, m.RSS = mem.live, mem.rss
		default:
			m.Error = fmt.Sprintf("unknown request %q", req.Op)
		}
		if err := send(m); err != nil {
			return err
		}
	}
}

// apiServer is bench's side of the child: a simulator in its own process.
type apiServer struct {
	url, key string
	cmd      *exec.Cmd
	in       io.WriteCloser
	enc      *json.Encoder
	gc       atomic.Uint64     // the child's collections so far
	replies  chan benchMessage // answers to requests, in turn
	exited   chan struct{}     // closed when the child's output ends
	stderr   *lockedBuffer
}

// startAPIServer runs this binary as the child and waits for it to serve.
// cpuprofile, when not empty, is where the child writes its CPU profile.
func startAPIServer(ctx context.Context, cpuprofile string) (*apiServer, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find this binary to run the API's simulator: %w", err)
	}
	args := []string{benchServerCmd}
	if cpuprofile != "" {
		args = append(args, "-cpuprofile", cpuprofile)
	}
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = append(os.Environ(), benchServerEnv+"=1")
	cmd.WaitDelay = 10 * time.Second
	s := &apiServer{cmd: cmd, replies: make(chan benchMessage, 1), exited: make(chan struct{}), stderr: &lockedBuffer{}}
	cmd.Stderr = s.stderr
	if s.in, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the API's simulator (%s %s): %w", exe, benchServerCmd, err)
	}
	s.enc = json.NewEncoder(s.in)
	go s.read(out)
	first, err := s.reply(ctx, "start")
	if err != nil {
		_ = s.close()
		return nil, err
	}
	if first.URL == "" || first.Key == "" {
		_ = s.close()
		return nil, fmt.Errorf("the API's simulator said %+v, want its address and key first", first)
	}
	s.url, s.key = first.URL, first.Key
	return s, nil
}

// read sorts the child's messages: collections counted, the rest answers.
func (s *apiServer) read(out io.Reader) {
	defer close(s.exited)
	dec := json.NewDecoder(out)
	for {
		var m benchMessage
		if err := dec.Decode(&m); err != nil {
			return
		}
		if m.GC != 0 {
			s.gc.Store(m.GC)
			continue
		}
		s.replies <- m
	}
}

// reply waits for the child's next answer.
func (s *apiServer) reply(ctx context.Context, what string) (benchMessage, error) {
	select {
	case m := <-s.replies:
		if m.Error != "" {
			return m, fmt.Errorf("the API's simulator: %s: %s", what, m.Error)
		}
		return m, nil
	case <-s.exited:
		return benchMessage{}, fmt.Errorf("the API's simulator ended while bench awaited its answer to %s; its errors: %q", what, strings.TrimSpace(s.stderr.String()))
	case <-ctx.Done():
		return benchMessage{}, fmt.Errorf("awaiting the API's simulator's answer to %s: %w", what, ctx.Err())
	}
}

func (s *apiServer) ask(ctx context.Context, req benchRequest) (benchMessage, error) {
	if err := s.enc.Encode(req); err != nil {
		return benchMessage{}, fmt.Errorf("ask the API's simulator to %s: %w", req.Op, err)
	}
	return s.reply(ctx, req.Op)
}

// fill stores n more customers (each with its customer.created event)
// and returns a uniform sample of the ids of every customer stored.
func (s *apiServer) fill(ctx context.Context, n int) ([]string, error) {
	m, err := s.ask(ctx, benchRequest{Op: "fill", N: n})
	if err != nil {
		return nil, err
	}
	return m.IDs, nil
}

// trim removes the customers and events made since the fills (by a
// create figure) and says how many of each it removed.
func (s *apiServer) trim(ctx context.Context) (customers, events int, err error) {
	m, err := s.ask(ctx, benchRequest{Op: "trim"})
	if err != nil {
		return 0, 0, err
	}
	return m.Trimmed, m.TrimmedEvents, nil
}

// memory is the child's live heap and resident set (measureMemory there).
func (s *apiServer) memory(ctx context.Context) (memFigures, error) {
	m, err := s.ask(ctx, benchRequest{Op: "memory"})
	if err != nil {
		return memFigures{}, err
	}
	return memFigures{live: m.Live, rss: m.RSS}, nil
}

// gcCycles is the child's count of completed collections, as last said.
func (s *apiServer) gcCycles() uint64 { return s.gc.Load() }

// cpuTime is the CPU time the child has used.
func (s *apiServer) cpuTime() time.Duration { return processCPU(s.cmd.Process.Pid) }

// close ends the child's input, and so the child, and waits for it.
func (s *apiServer) close() error {
	_ = s.in.Close()
	if err := s.cmd.Wait(); err != nil {
		return fmt.Errorf("the API's simulator: %w; its errors: %q", err, strings.TrimSpace(s.stderr.String()))
	}
	return nil
}

// lockedBuffer keeps the last lockedBufferMax bytes written, safe for the
// writer and a reader at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

const lockedBufferMax = 64 << 10

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Write(p)
	if over := l.b.Len() - lockedBufferMax; over > 0 {
		l.b.Next(over)
	}
	return len(p), nil
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
