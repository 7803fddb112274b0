package api

import (
	"time"

	"github.com/gorilla/mux"
)

// Routes lists every route the handler serves as "METHOD /path/{template}",
// so that tests can prove they cover each one.
func Routes(h *Handler) ([]string, error) {
	var out []string
	err := h.router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tpl, err := route.GetPathTemplate()
		if err != nil {
			return err
		}
		methods, err := route.GetMethods()
		if err != nil {
			return err
		}
		for _, m := range methods {
			out = append(out, m+" "+tpl)
		}
		return nil
	})
	return out, err
}

// SetRateLimitClock makes the rate limit's buckets read now instead of wall
// time (after SetRateLimit).
func SetRateLimitClock(h *Handler, now func() time.Time) { h.rateLimit.now = now }
