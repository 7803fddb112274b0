package suite

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
)

// progress prints a line per scenario as it finishes ("progress"), or the
// scenario with its steps ("pretty"), and a heartbeat naming the steps
// still running when nothing finished for a while.
type progress struct {
	w         io.Writer
	pretty    bool
	reportDir string
	heartbeat time.Duration
	total     int

	mu       sync.Mutex
	done     int
	failed   int
	lastDone time.Time
	running  map[*record]runningStep
}

type runningStep struct {
	text  string
	since time.Time
}

func newProgress(o Options) *progress {
	p := &progress{w: o.Output, heartbeat: o.Heartbeat, running: map[*record]runningStep{}, pretty: o.Format == "pretty", reportDir: o.ReportDir}
	if p.w == nil || o.Format == "quiet" {
		p.w = nil
	}
	if p.heartbeat == 0 {
		p.heartbeat = 5 * time.Second
	}
	return p
}

// start begins the heartbeat; the returned func stops it.
func (p *progress) start() func() {
	p.mu.Lock()
	p.lastDone = time.Now()
	p.mu.Unlock()
	if p.w == nil || p.heartbeat < 0 {
		return func() {}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(p.heartbeat)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case now := <-t.C:
				p.beat(now)
			}
		}
	}()
	return func() { close(stop); wg.Wait() }
}

func (p *progress) beat(now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if now.Sub(p.lastDone) < p.heartbeat || len(p.running) == 0 {
		return
	}
	type item struct {
		loc, name, step string
		for_            time.Duration
	}
	var items []item
	for rec, st := range p.running {
		items = append(items, item{rec.pickle.Location(), rec.pickle.Name, st.text, now.Sub(st.since)})
	}
	sort.Slice(items, func(i, j int) bool { return items[i].for_ > items[j].for_ })
	fmt.Fprintf(p.w, "… %d of %d done; nothing finished for %s; awaiting:\n", p.done, p.total, now.Sub(p.lastDone).Round(time.Second))
	for _, it := range items {
		fmt.Fprintf(p.w, "    %s %s — step %q for %s\n", it.loc, it.name, it.step, it.for_.Round(100*time.Millisecond))
	}
}

func (p *progress) begin(rec *record) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running[rec] = runningStep{text: "(starting)", since: time.Now()}
}

func (p *progress) step(rec *record, text string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running[rec] = runningStep{text: text, since: time.Now()}
}

func (p *progress) end(rec *record) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.running, rec)
	p.done++
	p.lastDone = time.Now()
	s := rec.result
	if s.Failed() {
		p.failed++
	}
	if p.w == nil {
		return
	}
	mark := "✓"
	if s.Failed() {
		mark = "✗"
	}
	fmt.Fprintf(p.w, "%s %s %s (%s) [%d/%d]\n", mark, s.File+fmt.Sprintf(":%d", s.Line), s.Name, s.Duration, p.done, p.total)
	if p.pretty {
		for _, st := range s.Steps {
			fmt.Fprintf(p.w, "    %-9s %s%s (%s)\n", st.Status, st.Keyword, st.Text, st.Duration)
		}
	}
	if s.Failed() {
		fmt.Fprintf(p.w, "    %s\n", strings.ReplaceAll(firstLines(s.Error, 3, p.reportDir), "\n", "\n    "))
	}
}
