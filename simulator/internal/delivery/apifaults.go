package delivery

import (
	"fmt"
	"math"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/drsim/drsim/simulator/internal/apierror"
)

// APIFault makes the merchant's own calls to the DR API fail or slow down:
// the next Count calls made with the account's keys whose method (any when
// empty) and path match answer Status in DR's error shape (with Retry-After
// when RetryAfter is set), after waiting Delay when set; a fault with a
// Delay and no Status only slows the call, which then runs normally.
//
// Path is a path.Match glob over the request path: "/skus/*" matches
// "/skus/abc" but neither "/skus" nor "/skus/abc/x". The control API (/_sim/)
// is never faulted. This registry is the one place API faults live; the api
// package's middleware consults it before routing a DR call.
type APIFault struct {
	ID         string `json:"id"`
	Method     string `json:"method,omitempty"`
	Path       string `json:"path"`
	Status     int    `json:"status,omitempty"`     // 400-599; DR's 429 and 500 are the usual ones
	RetryAfter string `json:"retryAfter,omitempty"` // e.g. "2s"; sent as whole seconds, rounded up
	Delay      string `json:"delay,omitempty"`      // e.g. "100ms"
	Count      int    `json:"count"`                // 1 when 0
	Used       int    `json:"used"`

	accountID  string
	retryAfter time.Duration
	delay      time.Duration
}

// Bounds of API fault durations.
const (
	MaxAPIFaultDelay      = 2 * time.Minute
	MaxAPIFaultRetryAfter = time.Hour
)

// APIFaults is an engine's registry of API faults. It is safe for concurrent use.
type APIFaults struct {
	mu     sync.Mutex
	faults []*APIFault
}

var apiMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// Add registers an API fault for an account, or explains in DR's 400 shape
// what is wrong with it.
func (r *APIFaults) Add(accountID string, f APIFault) (APIFault, error) {
	if f.ID != "" || f.Used != 0 {
		return APIFault{}, apierror.Invalid("id", "id and used are set by the simulator.")
	}
	if f.Path == "" {
		return APIFault{}, apierror.Missing("path")
	}
	if _, err := path.Match(f.Path, "/"); err != nil || !strings.HasPrefix(f.Path, "/") {
		return APIFault{}, apierror.Invalid("path", "path must be a glob over a request path such as /skus/*, got '%s'.", f.Path)
	}
	if strings.HasPrefix(f.Path, "/_sim/") {
		return APIFault{}, apierror.Invalid("path", "API faults apply to the DR API, not the control API (%s).", f.Path)
	}
	if f.Method != "" {
		f.Method = strings.ToUpper(f.Method)
		ok := false
		for _, m := range apiMethods {
			ok = ok || m == f.Method
		}
		if !ok {
			return APIFault{}, apierror.Invalid("method", "method must be one of %v, got '%s'.", apiMethods, f.Method)
		}
	}
	if f.Status != 0 && (f.Status < 400 || f.Status > 599) {
		return APIFault{}, apierror.Invalid("status", "status must be an HTTP error status (400-599), got %d.", f.Status)
	}
	if f.RetryAfter != "" {
		d, err := time.ParseDuration(f.RetryAfter)
		if err != nil || d <= 0 || d > MaxAPIFaultRetryAfter {
			return APIFault{}, apierror.Invalid("retryAfter", "retryAfter must be a duration between 1s and %s such as 2s, got '%s'.", MaxAPIFaultRetryAfter, f.RetryAfter)
		}
		if f.Status == 0 {
			return APIFault{}, apierror.Invalid("retryAfter", "retryAfter needs a status (429 or 503).")
		}
		f.retryAfter = d
	}
	if f.Delay != "" {
		d, err := time.ParseDuration(f.Delay)
		if err != nil || d <= 0 || d > MaxAPIFaultDelay {
			return APIFault{}, apierror.Invalid("delay", "delay must be a duration between 1ns and %s such as 100ms, got '%s'.", MaxAPIFaultDelay, f.Delay)
		}
		f.delay = d
	}
	if f.Status == 0 && f.delay == 0 {
		return APIFault{}, apierror.BadRequest("missing_parameter", "status", "An API fault needs a status, a delay, or both.")
	}
	if f.Count < 0 {
		return APIFault{}, apierror.Invalid("count", "count cannot be negative.")
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
func (r *APIFaults) Take(accountID, method, urlPath string) (APIFault, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, f := range r.faults {
		if f.accountID != accountID || f.Used >= f.Count || (f.Method != "" && f.Method != method) {
			continue
		}
		if ok, _ := path.Match(f.Path, urlPath); !ok {
			continue
		}
		f.Used++
		return *f, true
	}
	return APIFault{}, false
}

// Get returns one of an account's API faults.
func (r *APIFaults) Get(accountID, id string) (APIFault, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, f := range r.faults {
		if f.ID == id && f.accountID == accountID {
			return *f, nil
		}
	}
	return APIFault{}, apierror.NotFound("APIFault", id)
}

// DelayDuration is how long to wait before answering (0: no delay).
func (f APIFault) DelayDuration() time.Duration { return f.delay }

// RetryAfterSeconds is the Retry-After header value (0: no header).
func (f APIFault) RetryAfterSeconds() int {
	if f.retryAfter <= 0 {
		return 0
	}
	return int(math.Ceil(f.retryAfter.Seconds()))
}

// APIError is the DR error the faulted call answers (nil when the fault
// only delays): DR's shape, with the status's type as the code.
func (f APIFault) APIError() *apierror.Error {
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
