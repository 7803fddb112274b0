// Package clock is the simulator's virtual clock. Every business timestamp the
// simulator writes (createdTime, stateTransitions, nextInvoiceDate, …) reads
// it. By default it follows wall time; tests and the control API move it
// forward. Signature timestamps are transport facts and never read it.
package clock

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// Clock tells the current virtual time.
type Clock interface {
	Now() time.Time
}

// Virtual is a clock that runs with wall time, shifted by an offset that only
// grows. The zero value is not usable; call New.
type Virtual struct {
	mu     sync.Mutex
	wall   func() time.Time
	offset time.Duration
	frozen *time.Time
}

// New returns a virtual clock that reads wall time through wall (time.Now when nil).
func New(wall func() time.Time) *Virtual {
	if wall == nil {
		wall = time.Now
	}
	return &Virtual{wall: wall}
}

// Precision is the resolution of business time: whole seconds, as DR's
// objects write their timestamps ("2021-11-01T18:23:02Z"), so that what a
// client reads back and filters on is exactly what the simulator compares.
const Precision = time.Second

// Now returns the virtual time in UTC, truncated to Precision.
func (c *Virtual) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nowLocked()
}

func (c *Virtual) nowLocked() time.Time {
	if c.frozen != nil {
		return c.frozen.Truncate(Precision)
	}
	return c.wall().Add(c.offset).UTC().Truncate(Precision)
}

// Advance moves the clock forward by d. A negative d is refused: the virtual
// clock never runs backwards, so nothing already recorded can be in its future.
func (c *Virtual) Advance(d time.Duration) (time.Time, error) {
	if d < 0 {
		return time.Time{}, fmt.Errorf("clock: cannot move back by %s", -d)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.nowLocked()
	if now.Add(d).After(maxTime) || (c.frozen == nil && c.offset > math.MaxInt64-d) {
		return time.Time{}, fmt.Errorf("clock: cannot advance %s by %s (at most about 290 years ahead of wall time, and never past %s)",
			now.Format(time.RFC3339), d, maxTime.Format(time.RFC3339))
	}
	if c.frozen != nil {
		t := c.frozen.Add(d)
		c.frozen = &t
	} else {
		c.offset += d
	}
	return c.nowLocked(), nil
}

// maxTime is the latest time the clock may show: every timestamp is written
// as RFC 3339, whose years have four digits.
var maxTime = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)

// Set moves the clock forward to t. Setting a time before Now is refused.
func (c *Virtual) Set(t time.Time) (time.Time, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.nowLocked()
	if t.Before(now) {
		return time.Time{}, fmt.Errorf("clock: cannot move back from %s to %s", now.Format(time.RFC3339), t.UTC().Format(time.RFC3339))
	}
	diff := t.Sub(now) // saturates at the largest Duration
	if t.After(maxTime) || (c.frozen == nil && (diff == math.MaxInt64 || c.offset > math.MaxInt64-diff)) {
		return time.Time{}, fmt.Errorf("clock: cannot move from %s to %s (at most about 290 years ahead of wall time, and never past %s)",
			now.Format(time.RFC3339), t.UTC().Format(time.RFC3339), maxTime.Format(time.RFC3339))
	}
	if c.frozen != nil {
		ft := t.UTC().Truncate(Precision)
		c.frozen = &ft
	} else {
		c.offset += diff
	}
	return c.nowLocked(), nil
}

// Freeze stops the clock at its current reading; Advance and Set still move it.
// Tests that compare exact timestamps freeze the clock first.
func (c *Virtual) Freeze() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.nowLocked()
	c.frozen = &t
	return t
}

// Snapshot is what rebuilds a clock (drsim serve -state): frozen clocks keep
// their reading, running ones their offset from wall time.
type Snapshot struct {
	Frozen *time.Time    `json:"frozen,omitempty"`
	Offset time.Duration `json:"offset"`
}

// Snapshot returns the clock's state.
func (c *Virtual) Snapshot() Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := Snapshot{Offset: c.offset}
	if c.frozen != nil {
		t := *c.frozen
		s.Frozen = &t
	}
	return s
}

// Restore rebuilds a clock from a Snapshot, reading wall time through wall.
func Restore(wall func() time.Time, s Snapshot) *Virtual {
	c := New(wall)
	c.offset = s.Offset
	if s.Frozen != nil {
		t := s.Frozen.UTC()
		c.frozen = &t
	}
	return c
}
