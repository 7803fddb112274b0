package api

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/drsim/drsim/simulator/internal/apierror"
)

// rateLimits is DR's request rate limit, per account, when switched on
// (SetRateLimit): DR allows 250 requests per second with a live key and 25
// with a test key, then answers 429 too_many_requests with an optional
// Retry-After (docs/dr-api.md, "Rate limits"). Each account has a token
// bucket of perSecond tokens a second holding at most one second's worth,
// so a burst of perSecond calls passes at once and the calls beyond it wait
// their turn. The control API (/_sim/), the health check and file link
// downloads (/links/) are never limited, nor are calls without a known key
// or made by drsim's own tools (drsimCaller).
//
// It is off by default: certification compresses time (a suite of
// scenarios in about a second), so a merchant that keeps to DR's limit in
// real traffic would exceed it there through no fault of its own.
type rateLimits struct {
	perSecond int
	now       func() time.Time // the bucket's clock: wall time (tests set their own)

	mu       sync.Mutex
	accounts map[string]*rate.Limiter // by account id
}

// SetRateLimit limits every account to perSecond DR API calls a second (0,
// the default, or less: no limit). Call it before serving.
func (h *Handler) SetRateLimit(perSecond int) {
	h.rateLimit = rateLimits{perSecond: perSecond, now: time.Now, accounts: map[string]*rate.Limiter{}}
}

// take counts one call of the account against its bucket; when the bucket
// is empty it reports how long until a call would pass.
func (l *rateLimits) take(accountID string) (wait time.Duration, ok bool) {
	if l.perSecond <= 0 {
		return 0, true
	}
	now := l.now()
	l.mu.Lock()
	lim := l.accounts[accountID]
	if lim == nil {
		lim = rate.NewLimiter(rate.Limit(l.perSecond), l.perSecond)
		l.accounts[accountID] = lim
	}
	l.mu.Unlock()
	r := lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now) // a refused call takes no token
		return d, false
	}
	return 0, true
}

// forget drops a deleted account's bucket.
func (l *rateLimits) forget(accountID string) {
	if l.perSecond <= 0 {
		return
	}
	l.mu.Lock()
	delete(l.accounts, accountID)
	l.mu.Unlock()
}

// rateLimited answers a DR API call over its account's rate limit with
// DR's 429 and a Retry-After in whole seconds (at least 1), logs the call,
// and reports whether it did.
func (h *Handler) rateLimited(w http.ResponseWriter, r *http.Request, c caller) bool {
	if h.rateLimit.perSecond <= 0 || strings.HasPrefix(r.URL.Path, "/_sim/") || drsimCaller(r) {
		return false
	}
	wait, ok := h.rateLimit.take(c.account.ID())
	if ok {
		return false
	}
	secs := max(1, int(math.Ceil(wait.Seconds())))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	e := apierror.New(http.StatusTooManyRequests, "too_many_requests", "",
		fmt.Sprintf("Too many requests: this account may make %d requests per second; retry after %d second(s).", h.rateLimit.perSecond, secs))
	writeError(w, e)
	logCall(c, r, e.Status)
	return true
}

// drsimAgentPrefix starts the User-Agent of drsim's own calls to the DR
// API: the certification harness ("drsim-harness"), drsim trigger
// ("drsim-trigger") and the other CLI commands ("drsim-cli").
const drsimAgentPrefix = "drsim-"

// drsimCaller reports whether a call is drsim's own rather than the
// merchant's. The rate limit and API faults are for the merchant's calls:
// a fault "the merchant's next 3 calls get 429" must reach the merchant,
// not the harness checking DR's state or trigger playing a flow, and the
// harness's checks must not fail on a limit the merchant is being tested
// against.
func drsimCaller(r *http.Request) bool {
	return strings.HasPrefix(r.UserAgent(), drsimAgentPrefix)
}
