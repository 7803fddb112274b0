package harness

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// csrfPortal signs customers in through a form guarded by a CSRF token:
// GET /signin sets a pre-session cookie and puts the token in a hidden
// input (after a search form with a hidden input of its own); POST /session
// wants both, and the form's "remember" value as posted.
type csrfPortal struct {
	mu       sync.Mutex
	tokens   map[string]string // pre-session → token
	sessions map[string]string // sid → email
	posted   []string          // what each login posted, sorted form
	returns  int
	seq      int
}

func (c *csrfPortal) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /signin", func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.seq++
		pre, tok := fmt.Sprintf("p%d", c.seq), fmt.Sprintf("t%d", c.seq)
		c.tokens[pre] = tok
		c.mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: "pre", Value: pre, Path: "/"})
		fmt.Fprintf(w, `<form action="/search"><input type="hidden" name="scope" value="all"><input name="q"></form>
<form method="post" action="/session?next=/account"><input type=HIDDEN name="_csrf" value="%s"><input type="hidden" name="remember" value="0">
<input name="email"><input type="password" name="password"></form>`, tok)
	})
	mux.HandleFunc("POST /session", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		c.mu.Lock()
		defer c.mu.Unlock()
		c.posted = append(c.posted, r.PostForm.Encode())
		pre, err := r.Cookie("pre")
		if err != nil || r.PostForm.Get("_csrf") == "" || c.tokens[pre.Value] != r.PostForm.Get("_csrf") {
			http.Error(w, "CSRF token missing or wrong", http.StatusForbidden)
			return
		}
		c.seq++
		sid := fmt.Sprintf("s%d", c.seq)
		c.sessions[sid] = r.PostForm.Get("email")
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: sid, Path: "/"})
		http.Redirect(w, r, "/account", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /account", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<p>orders</p>") })
	mux.HandleFunc("POST /returns", func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		defer c.mu.Unlock()
		if sid, err := r.Cookie("sid"); err != nil || c.sessions[sid.Value] == "" {
			http.Redirect(w, r, "/signin", http.StatusSeeOther)
			return
		}
		c.returns++
		w.WriteHeader(http.StatusCreated)
	})
	return mux
}

func TestSignInFormWithCSRFToken(t *testing.T) {
	c := &csrfPortal{tokens: map[string]string{}, sessions: map[string]string{}}
	srv := httptest.NewServer(c.handler())
	defer srv.Close()
	ctx := context.Background()

	// Without page: the login is refused, and the error says what to set.
	s := testScenario(t, profileFor(srv.URL, `
actions:
  login: {path: /session, form: {email: '{{.Customer.Email}}', password: pw}}
  requestReturn: {path: /returns, accept: [201]}
`))
	_, err := s.perform(ctx, "requestReturn", customerData("Alice"))
	if err == nil || !strings.Contains(err.Error(), "answered 403") || !strings.Contains(err.Error(), "set actions.login.page to the sign-in page") {
		t.Errorf("a CSRF-guarded login without page: err = %v, want the 403 and the page: hint", err)
	}
	if err != nil && strings.Contains(err.Error(), "side: customer") {
		t.Errorf("the hint for a refused login is about side:, which the login action does not need: %v", err)
	}

	// With the sign-in page: it is opened first, its cookie kept, and the
	// sign-in form's hidden inputs posted (not the search form's), the
	// profile's own values winning.
	s = testScenario(t, profileFor(srv.URL, `
actions:
  login: {path: /session, page: /signin, form: {email: '{{.Customer.Email}}', password: pw, remember: "1"}}
  requestReturn: {path: /returns, accept: [201]}
`))
	if _, err := s.perform(ctx, "requestReturn", customerData("Alice")); err != nil {
		t.Fatalf("a CSRF-guarded login with its page: %v", err)
	}
	last := c.posted[len(c.posted)-1]
	if !strings.Contains(last, "_csrf=t") || !strings.Contains(last, "remember=1") || strings.Contains(last, "scope") {
		t.Errorf("the login posted %q, want the sign-in form's _csrf, the profile's remember=1 and not the search form's scope", last)
	}

	// The portal forgets the session and sends the customer to the sign-in
	// page (not the login's path): the harness takes it as signed out and
	// signs in again, with a fresh token.
	c.mu.Lock()
	c.sessions = map[string]string{}
	c.mu.Unlock()
	if _, err := s.perform(ctx, "requestReturn", customerData("Alice")); err != nil {
		t.Fatalf("after the portal forgot the session: %v", err)
	}
	if c.returns != 2 {
		t.Errorf("returns served = %d, want 2", c.returns)
	}
}
