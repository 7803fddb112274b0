package api

import (
	"fmt"
	"math"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/drsim/drsim/simulator/client"
	"github.com/drsim/drsim/simulator/internal/apierror"
	"github.com/drsim/drsim/simulator/internal/problem"
)

// apiFault makes the merchant's own calls to the DR API fail or slow down:
// the next Count calls made with the account's keys whose method (any when
// empty) and path match answer Status in DR's error shape (with Retry-After
// when RetryAfter is set), after waiting Delay when set; a fault with a
// Delay and no Status only slows the call, which then runs normally.
//
// Path is a path.Match glob over the request path: "/skus/*" matches
// "/skus/abc" but neither "/skus" nor "/skus/abc/x"; "*" alone matches every
// DR API call (AnyPath: "the account's next 3 calls get 429"). The control
// API (/_sim/) is never faulted. API faults are the HTTP layer's alone: the handler keeps
// their registry and its middleware (applyAPIFaults) consults it before
// routing a DR call.
type apiFault struct {
	client.APIFault // what the control API reads and writes

	accountID  string
	retryAfter time.Duration // RetryAfter, parsed; sent as whole seconds, rounded up
	delay      time.Duration // Delay, parsed
}

// Bounds of API fault durations.
const (
	maxAPIFaultDelay      = 2 * time.Minute
	maxAPIFaultRetryAfter = time.Hour
)

// apiFaults is the handler's registry of API faults. It is safe for concurrent use.
type apiFaults struct {
	mu     sync.Mutex
	faults []*apiFault
}

var apiMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// Add registers an API fault for an account, or explains in DR's 400 shape
// what is wrong with it.
func (r *apiFaults) Add(accountID string, f apiFault) (apiFault, error) {
	if f.ID != "" || f.Used != 0 {
		return apiFault{}, problem.Invalidf("id", "id and used are set by the simulator.")
	}
	if f.Path == "" {
		return apiFault{}, problem.Missing("path")
	}
	if _, err := path.Match(f.Path, "/"); f.Path != client.AnyPath && (err != nil || !strings.HasPrefix(f.Path, "/")) {
		return apiFault{}, problem.Invalidf("path", "path must be a glob over a request path such as /skus/*, or * for every call, got '%s'.", f.Path)
	}
	if strings.HasPrefix(f.Path, "/_sim/") {
		return apiFault{}, problem.Invalidf("path", "API faults apply to the DR API, not the control API (%s).", f.Path)
	}
	if f.Method != "" {
		f.Method = strings.ToUpper(f.Method)
		ok := false
		for _, m := range apiMethods {
			ok = ok || m == f.Method
		}
		if !ok {
			return apiFault{}, problem.Invalidf("method", "method must be one of %v, got '%s'.", apiMethods, f.Method)
		}
	}
	if f.Status != 0 && (f.Status < 400 || f.Status > 599) {
		return apiFault{}, problem.Invalidf("status", "status must be an HTTP error status (400-599), got %d.", f.Status)
	}
	if f.RetryAfter != "" {
		d, err := time.ParseDuration(f.RetryAfter)
		if err != nil || d <= 0 || d > maxAPIFaultRetryAfter {
			return apiFault{}, problem.Invalidf("retryAfter", "retryAfter must be a duration between 1s and %s such as 2s, got '%s'.", maxAPIFaultRetryAfter, f.RetryAfter)
		}
		if f.Status == 0 {
			return apiFault{}, problem.Invalidf("retryAfter", "retryAfter needs a status (429 or 503).")
		}
		f.retryAfter = d
	}
	if f.Delay != "" {
		d, err := time.ParseDuration(f.Delay)
		if err != nil || d <= 0 || d > maxAPIFaultDelay {
			return apiFault{}, problem.Invalidf("delay", "delay must be a duration between 1ns and %s such as 100ms, got '%s'.", maxAPIFaultDelay, f.Delay)
		}
		f.delay = d
	}
	if f.Status == 0 && f.delay == 0 {
		return apiFault{}, problem.Bad("missing_parameter", "status", "An API fault needs a status, a delay, or both.")
	}
	if f.Count < 0 {
		return apiFault{}, problem.Invalidf("count", "count cannot be negative.")
	}
	if f.Count == 0 {
		f.Count = 1
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	f.ID = fmt.Sprintf("apf_%d", len(r.faults)+1)
	f.accountID = accountID
	r.faults = append(r.faults, &f)
	return f, nil
}

// Take finds the first unused fault of the account matching method and
// urlPath, counts its use and returns it.
func (r *apiFaults) Take(accountID, method, urlPath string) (apiFault, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, f := range r.faults {
		if f.accountID != accountID || f.Used >= f.Count || (f.Method != "" && f.Method != method) {
			continue
		}
		if ok, _ := path.Match(f.Path, urlPath); !ok && f.Path != client.AnyPath {
			continue
		}
		f.Used++
		return *f, true
	}
	return apiFault{}, false
}

// Get returns one of an account's API faults.
func (r *apiFaults) Get(accountID, id string) (apiFault, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, f := range r.faults {
		if f.ID == id && f.accountID == accountID {
			return *f, nil
		}
	}
	return apiFault{}, problem.NotFoundID("apiFault", id)
}

// DelayDuration is how long to wait before answering (0: no delay).
func (f apiFault) DelayDuration() time.Duration { return f.delay }

// RetryAfterSeconds is the Retry-After header value (0: no header).
func (f apiFault) RetryAfterSeconds() int {
	if f.retryAfter <= 0 {
		return 0
	}
	return int(math.Ceil(f.retryAfter.Seconds()))
}

// APIError is the DR error the faulted call answers (nil when the fault
// only delays): DR's shape, with the status's type as the code.
func (f apiFault) APIError() *apierror.Error {
	if f.Status == 0 {
		return nil
	}
	msg := http.StatusText(f.Status) + "."
	switch {
	case f.Status == http.StatusTooManyRequests && f.RetryAfterSeconds() > 0:
		msg = fmt.Sprintf("Too many requests; retry after %d second(s).", f.RetryAfterSeconds())
	case f.Status == http.StatusTooManyRequests:
		msg = "Too many requests."
	case f.Status >= 500:
		msg = "An internal error has occurred. Please try again."
	}
	e := apierror.New(f.Status, "", "", msg)
	e.Errors[0].Code = e.Type
	return e
}
