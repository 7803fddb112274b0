package harness

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/net/html"

	"github.com/drsim/drsim/harness/profile"
)

const formContentType = "application/x-www-form-urlencoded"

// openSignInPage opens the login action's page in the customer's browser
// before the login is posted, as a customer opens a sign-in form before
// submitting it: the cookies the page sets are kept, and the hidden inputs
// of its sign-in form (a CSRF token) are added to the login's form values,
// those the profile gives winning.
func (s *Scenario) openSignInPage(ctx context.Context, a *profile.Action, req *profile.Request, data profile.ActionData, sess *session) error {
	p := s.h.cfg.Profile
	page, err := a.PagePath(data)
	if err != nil {
		return fmt.Errorf("action login: page: %w", err)
	}
	u := strings.TrimRight(p.Merchant.URL, "/") + page
	limit := p.ActionTimeout()
	ctx, cancel := context.WithTimeoutCause(ctx, limit, errActionTimeout)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("action login: open its page: %w", err)
	}
	resp, err := sess.client.Do(hr)
	if err != nil {
		return fmt.Errorf("action login: open its page GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("action login: read its page GET %s: %w", u, err)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("action login: its page GET %s answered %d, want a 2xx (actions.login.page is the sign-in page the customer opens before the login is posted): %s", u, resp.StatusCode, firstBytes(body, 300))
	}
	target, _, _ := strings.Cut(req.Path, "?")
	hidden, err := signInFields(body, resp.Request.URL, target)
	if err != nil {
		return fmt.Errorf("action login: its page GET %s: %w", u, err)
	}
	if len(hidden) == 0 {
		return nil
	}
	if req.ContentType != formContentType {
		return fmt.Errorf("action login: the sign-in form on %s has hidden inputs (%s) to send with the login, but actions.login sends JSON (json:); give it form: values instead", u, strings.Join(hiddenNames(hidden), ", "))
	}
	vals, err := url.ParseQuery(string(req.Body))
	if err != nil {
		return fmt.Errorf("action login: its form: %w", err)
	}
	for _, f := range hidden {
		if !vals.Has(f.name) {
			vals.Set(f.name, f.value)
		}
	}
	req.Body = []byte(vals.Encode())
	return nil
}

type formField struct{ name, value string }

func hiddenNames(fs []formField) []string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.name
	}
	return names
}

// signInFields are the hidden inputs of the page's form that posts to
// target (a URL path); of the page's first form when none does. A form
// without an action posts to the page itself.
func signInFields(body []byte, page *url.URL, target string) ([]formField, error) {
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("parse the sign-in page: %w", err)
	}
	var forms []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "form" {
			forms = append(forms, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if len(forms) == 0 {
		return nil, nil
	}
	form := forms[0]
	for _, f := range forms {
		action := page.Path
		if a, ok := attr(f, "action"); ok && strings.TrimSpace(a) != "" {
			u, err := page.Parse(strings.TrimSpace(a))
			if err != nil {
				continue
			}
			action = u.Path
		}
		if action == target {
			form = f
			break
		}
	}
	var fields []formField
	var inputs func(*html.Node)
	inputs = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "input" {
			t, _ := attr(n, "type")
			name, _ := attr(n, "name")
			if strings.EqualFold(strings.TrimSpace(t), "hidden") && name != "" {
				v, _ := attr(n, "value")
				fields = append(fields, formField{name, v})
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			inputs(c)
		}
	}
	inputs(form)
	return fields, nil
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// loginRefusedHint says, for a refused form login without a page, that a
// sign-in form carrying a hidden token is opened first when the login has
// a page: a CSRF check answers 400, 403, 419 or 422.
func loginRefusedHint(a *profile.Action, req *profile.Request, status int) string {
	if a.Page != "" || req.ContentType != formContentType {
		return ""
	}
	switch status {
	case http.StatusBadRequest, http.StatusForbidden, 419, http.StatusUnprocessableEntity:
		return " (if the sign-in form carries a hidden token, such as a CSRF token, set actions.login.page to the sign-in page: the harness then opens it first, keeping its cookies, and posts its hidden inputs with the login)"
	}
	return ""
}
