package api

import "github.com/gorilla/mux"

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
