package delivery

import (
	"fmt"
	"math"
	"time"
)

// DefaultSchedule returns the virtual delay before each retry of a failed
// automatic delivery [choice]. DR publishes no schedule, only "retries over
// 72 hours" in production (docs/webhooks.md#webhook-delivery): this one makes 9 attempts, the
// last about 68½ hours after the first.
//
//	attempt:        1    2    3    4     5      6      7       8       9
//	delay before:   -   1m   5m  30m    2h     6h    12h     24h     24h
//	since first:    0   1m   6m  36m  2h36m  8h36m 20h36m  44h36m  68h36m
func DefaultSchedule() []time.Duration {
	return []time.Duration{
		time.Minute, 5 * time.Minute, 30 * time.Minute,
		2 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour, 24 * time.Hour,
	}
}

// RetryPolicy says when a failed automatic delivery is tried again. Delays
// are virtual (DR's time); the engine waits delay × Scale of wall time, so a
// suite can run DR's three days of retries in a fraction of a second.
type RetryPolicy struct {
	// Schedule is the virtual delay before each retry: Schedule[0] after the
	// first failed attempt, Schedule[1] after the second, and so on; when it
	// runs out the event is given up (it stays readable and redeliverable).
	// nil means DefaultSchedule; an empty, non-nil slice means no retries.
	Schedule []time.Duration
	// Scale converts virtual delays to wall time: wall = virtual × Scale.
	// 0 means 1 (real time); 1e-4 turns 5 minutes into 30 ms.
	Scale float64
}

// normalized fills the defaults: nil schedule → DefaultSchedule, Scale <= 0
// or not finite → 1. (Negative delays count as 0 where they are read.)
func (p RetryPolicy) normalized() RetryPolicy {
	if p.Schedule == nil {
		p.Schedule = DefaultSchedule()
	}
	if p.Scale <= 0 || math.IsNaN(p.Scale) || math.IsInf(p.Scale, 0) {
		p.Scale = 1
	}
	return p
}

// Delay is the virtual delay before the retry that follows the failed-th
// failed attempt (failed counts from 1), and false when the schedule has no
// more retries.
func (p RetryPolicy) Delay(failed int) (time.Duration, bool) {
	p = p.normalized()
	if failed < 1 || failed > len(p.Schedule) {
		return 0, false
	}
	return max(p.Schedule[failed-1], 0), true
}

// Wall is how long the engine waits, in wall time, for a virtual delay d.
func (p RetryPolicy) Wall(d time.Duration) time.Duration {
	p = p.normalized()
	w := math.Round(float64(d) * p.Scale)
	if w >= math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(w)
}

// Age is how long, in virtual time, an event has been failing when its
// failed-th attempt fails: the sum of the delays before the attempts made
// so far.
func (p RetryPolicy) Age(failed int) time.Duration {
	p = p.normalized()
	var age time.Duration
	for i := 0; i < failed-1 && i < len(p.Schedule); i++ {
		age += max(p.Schedule[i], 0)
	}
	return age
}

// Budget is the number of attempts an event gets: the first and every retry.
func (p RetryPolicy) Budget() int { return 1 + len(p.normalized().Schedule) }

// Defaults of DisablePolicy [choice].
const (
	DefaultDisableFailures = 5
	DefaultDisableFor      = 24 * time.Hour
)

// DisablePolicy says when the engine disables a webhook whose deliveries
// keep failing (DR: "fails to acknowledge events over several days"; no
// threshold is published, docs/webhooks.md#webhook-delivery). Both conditions must hold when an
// automatic attempt fails:
//
//   - the webhook's last Failures automatic attempts all failed (no 2xx in
//     between), and
//   - the event of this attempt has been failing for at least For of virtual
//     time by its retry schedule (RetryPolicy.Age).
//
// With the defaults (5 attempts, 24 h) a webhook that is down is disabled at
// the 8th attempt of its oldest event, about 44½ virtual hours after that
// event's first attempt, while failures a test injects on a shared webhook
// (a few attempts, minutes apart) never disable it. When it trips, the
// webhook's enabled becomes false and its pending retries are parked, not
// dropped; PATCH /webhooks/{id} {"enabled":true} delivers them at once, each
// with a fresh retry schedule.
type DisablePolicy struct {
	// Failures is the number of consecutive failed attempts needed. 0 means
	// DefaultDisableFailures; negative never disables.
	Failures int
	// For is the virtual time the failing event must have been failing. 0
	// means DefaultDisableFor; negative means no time condition (disable on
	// the count alone).
	For time.Duration
}

func (p DisablePolicy) normalized() DisablePolicy {
	if p.Failures == 0 {
		p.Failures = DefaultDisableFailures
	}
	if p.For == 0 {
		p.For = DefaultDisableFor
	}
	return p
}

// Trips reports whether a webhook with failures consecutive failed attempts,
// whose latest failing event has been failing for age, is disabled.
func (p DisablePolicy) Trips(failures int, age time.Duration) bool {
	p = p.normalized()
	return p.Failures > 0 && failures >= p.Failures && age >= max(p.For, 0)
}

// String describes the policy for logs and reasons.
func (p DisablePolicy) String() string {
	p = p.normalized()
	switch {
	case p.Failures < 0:
		return "never disable"
	case p.For < 0:
		return fmt.Sprintf("disable after %d consecutive failed attempts", p.Failures)
	}
	return fmt.Sprintf("disable after %d consecutive failed attempts once an event has failed for %s", p.Failures, p.For)
}
