package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/drsim/drsim/harness/profile"
)

// fakePortal is a merchant unlike the reference one: its portal keeps
// sessions in a cookie or hands out bearer tokens, and it can forget them.
type fakePortal struct {
	mu       sync.Mutex
	sessions map[string]string // session id → email
	logins   map[string]int    // email → logins
	actions  []string          // "email action" as served
	admin    []http.Header     // headers of admin requests
	seq      int
}

func newFakePortal() *fakePortal {
	return &fakePortal{sessions: map[string]string{}, logins: map[string]int{}}
}

func (f *fakePortal) forgetAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sessions = map[string]string{}
}

// handler: POST /login (form email) sets cookie sid and redirects to /account,
// or with ?bearer=1 answers {"data":{"token":…}} and a X-Session header.
// POST /returns needs a session (cookie → 303 /login; bearer → 401).
// POST /admin/ship needs X-Admin: secret.
func (f *fakePortal) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<form>sign in</form>") })
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		email := r.FormValue("email")
		if email == "" {
			var b struct{ Email string }
			_ = json.NewDecoder(r.Body).Decode(&b)
			email = b.Email
		}
		f.mu.Lock()
		f.seq++
		sid := fmt.Sprintf("s%d", f.seq)
		f.sessions[sid] = email
		f.logins[email]++
		f.mu.Unlock()
		if r.URL.Query().Get("bearer") != "" {
			w.Header().Set("X-Session", sid)
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"data":{"token":%q}}`, sid)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: sid, Path: "/"})
		http.Redirect(w, r, "/account", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /account", func(w http.ResponseWriter, r *http.Request) {
		if f.who(r) == "" {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		fmt.Fprint(w, "<p>your orders</p>")
	})
	mux.HandleFunc("POST /returns", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Admin") != "" {
			http.Error(w, "admin token sent to the portal", http.StatusBadRequest)
			return
		}
		who := f.who(r)
		if who == "" {
			if strings.HasPrefix(r.Header.Get("Authorization"), "Bearer") || r.URL.Query().Get("bearer") != "" {
				http.Error(w, "no session", http.StatusUnauthorized)
				return
			}
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		f.mu.Lock()
		f.actions = append(f.actions, who+" return")
		f.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
	})
	mux.HandleFunc("POST /admin/ship", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.admin = append(f.admin, r.Header.Clone())
		f.mu.Unlock()
		if r.Header.Get("X-Admin") != "secret" {
			http.Error(w, "admin only", http.StatusForbidden)
			return
		}
		w.WriteHeader(http.StatusCreated)
	})
	return mux
}

func (f *fakePortal) who(r *http.Request) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, err := r.Cookie("sid"); err == nil {
		return f.sessions[c.Value]
	}
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return f.sessions[tok]
	}
	return f.sessions[r.Header.Get("X-Session")]
}

func testScenario(t *testing.T, yaml string) *Scenario {
	t.Helper()
	p, err := profile.Parse("p.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	h := &Harness{cfg: Config{Profile: p}}
	return h.NewScenario(t.Name())
}

func profileFor(url, extra string) string {
	return fmt.Sprintf(`
webhook: {url: "%[1]s/hook", signingSecret: s}
api: {secretKey: sk_test_12345678}
merchant: {url: "%[1]s", headers: {X-Admin: secret}}
%[2]s`, url, extra)
}

func customerData(name string) profile.ActionData {
	return profile.ActionData{Customer: profile.ActionCustomer{Name: name, Email: strings.ToLower(name) + "@example.test"}}
}

func TestCookieSessionPerCustomer(t *testing.T) {
	f := newFakePortal()
	srv := httptest.NewServer(f.handler())
	defer srv.Close()
	s := testScenario(t, profileFor(srv.URL, `
actions:
  login: {path: /login, form: {email: '{{.Customer.Email}}'}}
  requestReturn: {path: /returns, accept: [201]}
  ship: {path: /admin/ship, accept: [201]}
`))
	ctx := context.Background()
	for _, who := range []string{"Alice", "Alice", "Bob", "Alice"} {
		if _, err := s.perform(ctx, "requestReturn", customerData(who)); err != nil {
			t.Fatalf("%s's return: %v", who, err)
		}
	}
	if f.logins["alice@example.test"] != 1 || f.logins["bob@example.test"] != 1 {
		t.Errorf("logins = %v, want one per customer", f.logins)
	}
	want := []string{"alice@example.test return", "alice@example.test return", "bob@example.test return", "alice@example.test return"}
	if fmt.Sprint(f.actions) != fmt.Sprint(want) {
		t.Errorf("the portal served %v, want %v (each in its customer's session)", f.actions, want)
	}

	// The portal forgets every session: the next action is sent to the login
	// page, and the harness signs in again and repeats it.
	f.forgetAll()
	if _, err := s.perform(ctx, "requestReturn", customerData("Alice")); err != nil {
		t.Fatalf("after the portal forgot the session: %v", err)
	}
	if f.logins["alice@example.test"] != 2 {
		t.Errorf("alice logged in %d times, want 2 (again after being sent to /login)", f.logins["alice@example.test"])
	}

	// Merchant-side actions carry merchant.headers; customer-side ones do not.
	if _, err := s.perform(ctx, "ship", customerData("Alice")); err != nil {
		t.Fatalf("ship: %v", err)
	}
	if len(f.admin) != 1 || f.admin[0].Get("X-Admin") != "secret" {
		t.Errorf("admin requests = %v, want one with X-Admin", f.admin)
	}
}

func TestBearerTokenSession(t *testing.T) {
	for _, tc := range []struct{ name, session string }{
		{"token in a JSON field", "session: {token: {json: data.token}}"},
		{"token in a header, sent as X-Session", "session: {token: {header: X-Session}, header: X-Session}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakePortal()
			srv := httptest.NewServer(f.handler())
			defer srv.Close()
			s := testScenario(t, profileFor(srv.URL, tc.session+`
actions:
  login: {path: '/login?bearer=1', json: '{"email":{{json .Customer.Email}}}'}
  requestReturn: {path: '/returns?bearer=1', accept: [201]}
`))
			ctx := context.Background()
			if _, err := s.perform(ctx, "requestReturn", customerData("Alice")); err != nil {
				t.Fatal(err)
			}
			f.forgetAll() // the token is now refused with 401
			if _, err := s.perform(ctx, "requestReturn", customerData("Alice")); err != nil {
				t.Fatalf("after a 401: %v", err)
			}
			if f.logins["alice@example.test"] != 2 || len(f.actions) != 2 {
				t.Errorf("logins %v, actions %v: want 2 logins (again after the 401) and 2 returns", f.logins, f.actions)
			}
		})
	}
}

func TestSessionFailuresSayWhy(t *testing.T) {
	f := newFakePortal()
	srv := httptest.NewServer(f.handler())
	defer srv.Close()
	ctx := context.Background()

	s := testScenario(t, profileFor(srv.URL, `
session: {token: {json: token}}
actions:
  login: {path: '/login?bearer=1', json: '{"email":{{json .Customer.Email}}}'}
  requestReturn: {path: '/returns?bearer=1', accept: [201]}
`))
	_, err := s.perform(ctx, "requestReturn", customerData("Alice"))
	if err == nil || !strings.Contains(err.Error(), "no session token in its JSON field token") {
		t.Errorf("wrong token path: err = %v", err)
	}

	// A login that does not sign in: the retry is refused too, and the error says so.
	s = testScenario(t, profileFor(srv.URL, `
actions:
  login: {method: GET, path: /login}
  requestReturn: {path: /returns, accept: [201]}
`))
	_, err = s.perform(ctx, "requestReturn", customerData("Alice"))
	if err == nil || !strings.Contains(err.Error(), "led to the login page") || !strings.Contains(err.Error(), "even right after signing in again") {
		t.Errorf("a login that does not sign in: err = %v", err)
	}
}

// A staff operation left on the customer's side (changePlan is a customer
// action unless told) is refused for want of merchant.headers: the error
// says side: merchant may be what is missing.
func TestStaffActionOnTheCustomerSideSaysSide(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/login":
			http.SetCookie(w, &http.Cookie{Name: "sid", Value: "1", Path: "/"})
		case r.Header.Get("X-Admin") != "secret":
			http.Error(w, "staff only", http.StatusForbidden)
		}
	}))
	defer srv.Close()
	s := testScenario(t, profileFor(srv.URL, `
actions:
  login: {path: /login, form: {email: '{{.Customer.Email}}'}}
  changePlan: {method: PUT, path: /admin/plan}
`))
	_, err := s.perform(context.Background(), "changePlan", customerData("Alice"))
	if err == nil || !strings.Contains(err.Error(), "answered 403") || !strings.Contains(err.Error(), "say side: merchant") {
		t.Errorf("err = %v, want the 403 and side: merchant named", err)
	}
}
