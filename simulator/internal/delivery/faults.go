package delivery

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/drsim/drsim/simulator/client"
	"github.com/drsim/drsim/simulator/internal/problem"
	"github.com/drsim/drsim/simulator/signature"
)

// Forgery is a way of spoiling a delivery's signature.
type Forgery string

// The forgeries a fault or a redelivery can apply.
const (
	ForgeNone         Forgery = ""
	ForgeMissing      Forgery = client.ForgeMissing      // no DigitalRiver-Signature header
	ForgeWrongSecret  Forgery = client.ForgeWrongSecret  // signed with a secret the merchant does not know
	ForgeTamperedBody Forgery = client.ForgeTamperedBody // signed, then the body changed
	ForgeStale        Forgery = client.ForgeStale        // correctly signed 24 hours ago
	// ForgeRotating signs as DR does during a secret rotation the merchant
	// has not caught up with: first a digest with a new secret it does not
	// know, then the digests of the webhook's current secrets. A merchant
	// that checks every digest accepts it. Unlike a real rotation it
	// changes nothing the webhook's other deliveries use, so a scenario
	// can check rotation handling without disturbing the others [choice].
	ForgeRotating Forgery = client.ForgeRotating
)

// StaleAge is how old a stale signature's timestamp is.
const StaleAge = 24 * time.Hour

// Forgeries lists the valid non-empty forgeries.
func Forgeries() []Forgery {
	return []Forgery{ForgeMissing, ForgeWrongSecret, ForgeTamperedBody, ForgeStale, ForgeRotating}
}

// Validate reports an unknown forgery as a DR 400.
func (f Forgery) Validate() error {
	if f == ForgeNone {
		return nil
	}
	for _, k := range Forgeries() {
		if f == k {
			return nil
		}
	}
	return problem.Invalidf("forge", "forge must be one of %v, got '%s'.", Forgeries(), string(f))
}

// apply returns the body to send and the header value (empty = no header).
func (f Forgery) apply(body []byte, now time.Time, secrets []string, sg *signature.Signer) ([]byte, string) {
	switch f {
	case ForgeMissing:
		return body, ""
	case ForgeWrongSecret:
		return body, signature.Sign(body, now, "whsec_not_the_merchants_secret")
	case ForgeTamperedBody:
		sig := signature.Sign(body, now, secrets...)
		return tamper(body), sig
	case ForgeStale:
		return body, signature.Sign(body, now.Add(-StaleAge), secrets...)
	case ForgeRotating:
		return body, signature.Sign(body, now, append([]string{"whsec_rotated_" + newSecretSuffix()}, secrets...)...)
	}
	if sg != nil {
		return body, sg.Sign(body, now)
	}
	return body, signature.Sign(body, now, secrets...)
}

// tamper changes the event's object in a way a careless merchant would act
// on: it rewrites data.object.email and bumps totalAmount when present.
func tamper(body []byte) []byte {
	var ev map[string]any
	if err := json.Unmarshal(body, &ev); err != nil {
		return append(append([]byte(nil), body...), ' ')
	}
	if data, ok := ev["data"].(map[string]any); ok {
		if obj, ok := data["object"].(map[string]any); ok {
			if _, ok := obj["totalAmount"].(float64); ok {
				obj["totalAmount"] = obj["totalAmount"].(float64) + 1000
			}
			obj["tampered"] = true
		}
	}
	out, err := json.Marshal(ev)
	if err != nil {
		return append(append([]byte(nil), body...), ' ')
	}
	return out
}

// Fault is a rule applied to the automatic attempts it matches (first
// deliveries and retries alike), at most Count times. It matches by account,
// and optionally by webhook (empty: every webhook of the account), event
// type and object id (data.object.id or data.object.orderId); matching on the
// object id keeps parallel scenarios that share one webhook out of each
// other's way. The first unused matching fault, in creation order, applies.
//
// What it does [choice]:
//
//	forge      spoil the signature (Forgery); the merchant is called
//	status     record that status as a failure without calling the merchant
//	timeout    call the merchant, then count its answer as never arriving
//	           (a failure, retried: the merchant sees the event again)
//	redirect   record a 302 failure without calling the merchant
//	duplicate  send the event twice at the same moment; it counts as
//	           delivered when either copy is
//	latency    wait this long ("200ms") before sending; not counted
//	           against the timeout
//	hold       keep the matching deliveries until POST
//	           /_sim/faults/{id}/release sends them in the order asked
//	           (fifo, reverse, shuffle); Count 0 holds every match until then
//
// status, timeout and redirect exclude each other; hold excludes every other
// effect; forge, duplicate and latency combine with the rest.
type Fault = client.Fault

// fault is a registered Fault and what the engine keeps beside its wire
// form: the account it belongs to, its parsed latency and the deliveries
// it holds (Fault.Held counts them in a view).
type fault struct {
	Fault
	accountID string
	latency   time.Duration
	held      []*job
}

// MaxLatency bounds a latency fault.
const MaxLatency = 10 * time.Minute

// checkFault validates a fault asked for through the control API and
// returns its latency, parsed; it reports what is wrong as a DR 400.
func checkFault(f Fault) (time.Duration, error) {
	if err := Forgery(f.Forge).Validate(); err != nil {
		return 0, err
	}
	if f.ID != "" || f.Used != 0 || f.Held != 0 || f.Released != 0 || f.Done {
		return 0, problem.Invalidf("id", "id, used, held, released and done are set by the simulator.")
	}
	if f.Status != 0 && (f.Status < 100 || f.Status > 599 || (f.Status >= 200 && f.Status < 300)) {
		return 0, problem.Invalidf("status", "status must be a non-2xx HTTP status, got %d.", f.Status)
	}
	outcomes := 0
	for _, on := range []bool{f.Status != 0, f.Timeout, f.Redirect} {
		if on {
			outcomes++
		}
	}
	if outcomes > 1 {
		return 0, problem.Invalidf("status", "Give at most one of status, timeout and redirect.")
	}
	var latency time.Duration
	if f.Latency != "" {
		d, err := time.ParseDuration(f.Latency)
		if err != nil || d <= 0 || d > MaxLatency {
			return 0, problem.Invalidf("latency", "latency must be a duration between 1ns and %s such as 200ms, got '%s'.", MaxLatency, f.Latency)
		}
		latency = d
	}
	if f.Hold && (outcomes > 0 || f.Forge != "" || f.Duplicate || latency > 0) {
		return 0, problem.Invalidf("hold", "hold cannot be combined with forge, status, timeout, redirect, duplicate or latency.")
	}
	if f.Forge == "" && outcomes == 0 && !f.Duplicate && latency == 0 && !f.Hold {
		return 0, problem.Bad("missing_parameter", "forge",
			"A fault needs one of forge, status, timeout, redirect, duplicate, latency or hold.")
	}
	if f.Count < 0 {
		return 0, problem.Invalidf("count", "count cannot be negative.")
	}
	return latency, nil
}

// AddFault registers a fault for an account's deliveries.
func (e *Engine) AddFault(accountID string, f Fault) (Fault, error) {
	latency, err := checkFault(f)
	if err != nil {
		return Fault{}, err
	}
	if f.Count == 0 && !f.Hold {
		f.Count = 1
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.roomForFaultLocked(accountID) {
		return Fault{}, problem.Conflictf("too_many_faults", "The account has %d faults that can still apply; at most %d are kept. Let some be used up or released.", MaxFaults, MaxFaults)
	}
	e.faultSeq++
	f.ID = fmt.Sprintf("flt_%d", e.faultSeq)
	rf := &fault{Fault: f, accountID: accountID, latency: latency}
	e.faults = append(e.faults, rf)
	return rf.view(), nil
}

// MaxFaults bounds the faults kept per account. A new fault beyond it
// drops the account's oldest spent fault (used up or released, holding
// nothing), whose id then answers 404; when every kept fault can still
// apply, the new one is refused (409 too_many_faults) rather than silently
// dropping one a test relies on.
const MaxFaults = 1000

// roomForFaultLocked makes room for one more fault of the account, if it
// can. Caller holds e.mu.
func (e *Engine) roomForFaultLocked(accountID string) bool {
	n, oldestSpent := 0, -1
	for i, f := range e.faults {
		if f.accountID != accountID {
			continue
		}
		n++
		if oldestSpent < 0 && len(f.held) == 0 && (f.Done || (f.Count > 0 && f.Used >= f.Count)) {
			oldestSpent = i
		}
	}
	switch {
	case n < MaxFaults:
		return true
	case oldestSpent < 0:
		return false
	}
	e.faults = slices.Delete(e.faults, oldestSpent, oldestSpent+1)
	return true
}

// view is the wire form, a copy safe to hand out. Caller holds e.mu (or
// owns f).
func (f *fault) view() Fault {
	c := f.Fault
	c.Held = len(f.held)
	return c
}

// applied is a copy of f to apply outside e.mu, without the held jobs.
// Caller holds e.mu.
func (f *fault) applied() *fault {
	return &fault{Fault: f.view(), accountID: f.accountID, latency: f.latency}
}

// takeFaultLocked returns the first usable fault matching j and counts its
// use; a hold fault keeps j. Caller holds e.mu.
func (e *Engine) takeFaultLocked(h *hook, j *job) *fault {
	for _, f := range e.faults {
		if f.accountID != j.accountID || f.Done || (f.Count > 0 && f.Used >= f.Count) {
			continue
		}
		if (f.WebhookID != "" && f.WebhookID != h.key.webhook) || (f.EventType != "" && f.EventType != j.event.Type) {
			continue
		}
		if f.ObjectID != "" {
			if objectID, orderID := j.ids(); f.ObjectID != objectID && f.ObjectID != orderID {
				continue
			}
		}
		f.Used++
		if f.Hold {
			f.held = append(f.held, j)
			e.signalLocked()
		}
		return f.applied()
	}
	return nil
}

// Release orders.
const (
	ReleaseFIFO    = "fifo"    // in the order they were held
	ReleaseReverse = "reverse" // newest first
	ReleaseShuffle = "shuffle" // a random permutation (seeded when asked)
)

// Release sends the deliveries a hold fault kept, in order ("fifo" when
// empty, "reverse" or "shuffle"; seed, when not nil, makes the shuffle
// repeatable). They go ahead of their webhooks' queued first deliveries, one
// after the other per webhook, so a merchant sees exactly that order. The
// fault then matches nothing more.
func (e *Engine) Release(accountID, id, order string, seed *uint64) (Fault, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	f := e.faultLocked(accountID, id)
	if f == nil {
		return Fault{}, problem.NotFoundID("Fault", id)
	}
	if !f.Hold {
		return Fault{}, problem.Invalidf("id", "Fault '%s' holds nothing: it is not a hold fault.", id)
	}
	jobs := f.held
	switch order {
	case "", ReleaseFIFO:
	case ReleaseReverse:
		slices.Reverse(jobs)
	case ReleaseShuffle:
		r := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
		if seed != nil {
			r = rand.New(rand.NewPCG(*seed, *seed))
		}
		r.Shuffle(len(jobs), func(a, b int) { jobs[a], jobs[b] = jobs[b], jobs[a] })
	default:
		return Fault{}, problem.Invalidf("order", "order must be fifo, reverse or shuffle, got '%s'.", order)
	}
	f.held = nil
	f.Done = true
	f.Released += len(jobs)
	for _, j := range jobs {
		h := e.hookLocked(j.accountID, j.target.WebhookID)
		h.due = append(h.due, j)
		e.kickLocked(h)
	}
	e.signalLocked()
	return f.view(), nil
}

func (e *Engine) faultLocked(accountID, id string) *fault {
	for _, f := range e.faults {
		if f.ID == id && f.accountID == accountID {
			return f
		}
	}
	return nil
}

// Fault returns one of an account's faults.
func (e *Engine) Fault(accountID, id string) (Fault, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	f := e.faultLocked(accountID, id)
	if f == nil {
		return Fault{}, problem.NotFoundID("Fault", id)
	}
	return f.view(), nil
}

// WaitHeld waits until a hold fault holds at least min deliveries, or ctx
// ends; it returns the fault either way, with an error saying what was awaited.
func (e *Engine) WaitHeld(ctx context.Context, accountID, id string, min int) (Fault, error) {
	for {
		e.mu.Lock()
		f := e.faultLocked(accountID, id)
		if f == nil {
			e.mu.Unlock()
			return Fault{}, problem.NotFoundID("Fault", id)
		}
		v := f.view()
		changed := e.watchLocked()
		e.mu.Unlock()
		if v.Held >= min {
			return v, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return v, fmt.Errorf("waited for fault %s to hold %d deliveries, it holds %d: %w", id, min, v.Held, ctx.Err())
		}
	}
}

// newSecretSuffix is 32 random hex digits for a secret nobody knows.
func newSecretSuffix() string { return fmt.Sprintf("%016x%016x", rand.Uint64(), rand.Uint64()) }
