// Package profile reads a merchant profile: the YAML file that tells the
// harness how to reach a merchant under test and how to recognise its
// emails. A merchant is certified without changes to its code.
//
//	name: Acme Shop
//	webhook:
//	  url: http://localhost:8080/webhooks/digitalriver   # where DR posts events
//	  signingSecret: whsec_…                              # the secret the merchant verifies with
//	  authentication: {userName: dr, password: …}         # optional: Basic auth DR sends with callbacks
//	api:
//	  secretKey: sk_test_…                                # the key the merchant calls DR with
//	simulator:
//	  url: http://localhost:9090                          # optional: a running simulator
//	mailbox:
//	  url: http://localhost:8025                          # optional: a running MailHog's HTTP API
//	notifications:
//	  order-confirmation:
//	    subject: '^Your order'                            # overrides the catalogue's pattern
//	timeouts:
//	  email: 10s                                          # how long to wait for an email
//	  quiet: 500ms                                        # how long "no email" / "exactly one" watch
package profile

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // timezone: names resolve where the system has no zoneinfo (the container image)

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Default timeouts.
const (
	DefaultEmailTimeout = 10 * time.Second
	DefaultQuietWindow  = 500 * time.Millisecond
	// DefaultActionTimeout bounds one merchant action or one call to the
	// simulator (plus the wait a long-polling call asks for).
	DefaultActionTimeout = 30 * time.Second
)

// Profile describes one merchant under test.
type Profile struct {
	Name          string                        `yaml:"name"`
	Webhook       Webhook                       `yaml:"webhook"`
	API           API                           `yaml:"api"`
	Simulator     Endpoint                      `yaml:"simulator"`
	Mailbox       Endpoint                      `yaml:"mailbox"`
	Notifications map[string]NotificationConfig `yaml:"notifications"`
	Timeouts      Timeouts                      `yaml:"timeouts"`
	// Merchant is where the merchant's own admin and portal live.
	Merchant Merchant `yaml:"merchant"`
	// Actions are the merchant's admin and portal operations as HTTP
	// request templates (see KnownActions).
	Actions map[string]*Action `yaml:"actions"`
	// Session says how a customer's portal session is kept besides cookies.
	Session Session `yaml:"session"`
	// TimeZone is the IANA time zone the merchant writes dates in (Asia/Tokyo);
	// UTC when empty. Digital River's times are instants: a shop in Tokyo
	// rightly writes 2026-12-02T16:00:00Z as 2026年12月3日.
	TimeZone string `yaml:"timezone"`
	zone     *time.Location

	name string    // the file name, for messages
	file *ast.File // the parsed YAML, for positions
}

// Session is how the harness keeps a customer signed in to the portal.
// Cookies are always kept, per customer, and redirects followed. A portal
// that answers the login with a token (bearer-token portals) names where:
//
//	session:
//	  token: {json: data.token}          # a field of the login answer's JSON (dotted path)
//	  # token: {header: X-Session-Token} # or a header of the login answer
//	  header: Authorization              # the request header that carries it (default)
//	  prefix: "Bearer "                  # written before the token (default for Authorization)
//	  loginPage: /account/login          # a redirect here means "signed out" (default: the login action's path)
type Session struct {
	Token     TokenSource `yaml:"token"`
	Header    string      `yaml:"header"`
	Prefix    *string     `yaml:"prefix"`
	LoginPage string      `yaml:"loginPage"`
}

// TokenSource is where the login answer carries the session token.
type TokenSource struct {
	JSON   string `yaml:"json"`
	Header string `yaml:"header"`
}

// TokenHeader is the request header carrying the session token and what
// precedes the token in it; empty when the portal keeps sessions in cookies only.
func (s Session) TokenHeader() (header, prefix string) {
	if s.Token.JSON == "" && s.Token.Header == "" {
		return "", ""
	}
	header = s.Header
	if header == "" {
		header = "Authorization"
	}
	switch {
	case s.Prefix != nil:
		prefix = *s.Prefix
	case strings.EqualFold(header, "Authorization"):
		prefix = "Bearer "
	}
	return header, prefix
}

// Merchant is the merchant's own HTTP surface.
type Merchant struct {
	URL     string            `yaml:"url"`     // base URL of admin and portal requests
	Headers map[string]string `yaml:"headers"` // sent with every action (an admin token, a session cookie)
}

// Webhook is where the merchant receives DR's events.
type Webhook struct {
	URL           string `yaml:"url"`
	SigningSecret string `yaml:"signingSecret"`
	// Authentication, when the merchant's endpoint wants HTTP Basic auth:
	// the webhook is registered with DR's authentication{userName,
	// password}, so every callback carries it.
	Authentication *WebhookAuthentication `yaml:"authentication"`
	// OAuth, when the endpoint wants a bearer token: the webhook is
	// registered with transportType OAUTH and this oauth, so every callback
	// carries a token from TokenEndPoint.
	OAuth *WebhookOAuth `yaml:"oauth"`
}

// WebhookAuthentication is DR's webhook authentication (Basic auth).
type WebhookAuthentication struct {
	UserName string `yaml:"userName"`
	Password string `yaml:"password"`
}

// WebhookOAuth is DR's webhook oauth (transportType OAUTH).
type WebhookOAuth struct {
	TokenEndPoint string `yaml:"tokenEndPoint"`
	ClientID      string `yaml:"clientID"`
	ClientSecret  string `yaml:"clientSecret"`
	GrantType     string `yaml:"grantType"`
	UserName      string `yaml:"userName"`
	Password      string `yaml:"password"`
}

// API is how the merchant calls DR.
type API struct {
	SecretKey string `yaml:"secretKey"`
}

// Endpoint is an optional external service; empty means embedded.
type Endpoint struct {
	URL string `yaml:"url"`
}

// NotificationConfig overrides how one notification is recognised.
type NotificationConfig struct {
	Subject string `yaml:"subject"`
	// Words adds alternatives to the catalogue's wording attributes of the
	// notification (those it matches by a list of words or link parts: a
	// cancel option, the reason a cancellation failed), by attribute name:
	// the merchant's own words, in a language the catalogue lacks.
	Words map[string][]string `yaml:"words"`
}

// Timeouts bound the harness's waits.
type Timeouts struct {
	Email Duration `yaml:"email"`
	Quiet Duration `yaml:"quiet"`
	// Action bounds each merchant action and each call to the simulator.
	Action Duration `yaml:"action"`
}

// Duration is a time.Duration written as "10s", "500ms".
type Duration time.Duration

// UnmarshalText parses a Go duration.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("want a duration such as 10s or 500ms: %w", err)
	}
	if v <= 0 {
		return fmt.Errorf("duration must be positive, got %s", v)
	}
	*d = Duration(v)
	return nil
}

// EmailTimeout is the wait for an expected email.
func (p *Profile) EmailTimeout() time.Duration {
	if p.Timeouts.Email > 0 {
		return time.Duration(p.Timeouts.Email)
	}
	return DefaultEmailTimeout
}

// ActionTimeout bounds each merchant action and each call to the simulator.
func (p *Profile) ActionTimeout() time.Duration {
	if p.Timeouts.Action > 0 {
		return time.Duration(p.Timeouts.Action)
	}
	return DefaultActionTimeout
}

// QuietWindow is how long negative assertions watch.
func (p *Profile) QuietWindow() time.Duration {
	if p.Timeouts.Quiet > 0 {
		return time.Duration(p.Timeouts.Quiet)
	}
	return DefaultQuietWindow
}

// Zone is the time zone the merchant writes dates in (timezone:), UTC by
// default.
func (p *Profile) Zone() *time.Location {
	if p.zone == nil {
		return time.UTC
	}
	return p.zone
}

// SubjectPattern is the profile's subject pattern for a notification, or def.
func (p *Profile) SubjectPattern(id, def string) string {
	if c, ok := p.Notifications[id]; ok && c.Subject != "" {
		return c.Subject
	}
	return def
}

// Load reads a profile file.
func Load(path string) (*Profile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("merchant profile: %w", err)
	}
	return Parse(path, b)
}

// Parse reads a profile, rejecting unknown fields and bad values with the
// line and column of the mistake. name labels errors (a file name).
func Parse(name string, data []byte) (*Profile, error) {
	var p Profile
	if len(bytes.TrimSpace(stripComments(data))) == 0 {
		return nil, fmt.Errorf("merchant profile %s is empty: it needs at least webhook.url, webhook.signingSecret and api.secretKey (see the README's profile reference)", name)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data), yaml.DisallowUnknownField())
	file, perr := parser.ParseBytes(data, 0)
	if err := dec.Decode(&p); err != nil {
		if perr == nil {
			// A value's own check (a duration) carries no position: find it.
			q := &Profile{file: file}
			for _, f := range []string{"email", "quiet"} {
				if n, err := (&yaml.PathBuilder{}).Root().Child("timeouts").Child(f).Build().FilterFile(file); err == nil && n != nil {
					var d Duration
					if derr := d.UnmarshalText([]byte(n.String())); derr != nil {
						return nil, fmt.Errorf("merchant profile %s: %stimeouts.%s %q: %w", name, q.at("timeouts", f), f, n.String(), derr)
					}
				}
			}
		}
		return nil, fmt.Errorf("merchant profile %s:\n%s", name, yaml.FormatError(err, false, true))
	}
	p.name = name
	p.file = file
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("merchant profile %s: %w", name, err)
	}
	return &p, nil
}

func (p *Profile) validate() error {
	at := p.at
	if err := checkURL(at, true, p.Webhook.URL, "webhook", "url"); err != nil {
		return err
	}
	if p.Webhook.SigningSecret == "" {
		return fmt.Errorf("%swebhook.signingSecret is required: the secret your merchant verifies DigitalRiver-Signature with", at("webhook"))
	}
	if a := p.Webhook.Authentication; a != nil && a.UserName == "" {
		return fmt.Errorf("%swebhook.authentication.userName is required: the user name DR sends as Basic auth with each callback", at("webhook", "authentication"))
	}
	if o := p.Webhook.OAuth; o != nil {
		if p.Webhook.Authentication != nil {
			return fmt.Errorf("%swebhook: give authentication (Basic auth) or oauth (a bearer token), not both: DR takes authentication only with transportType HTTP", at("webhook", "oauth"))
		}
		if err := checkURL(at, true, o.TokenEndPoint, "webhook", "oauth", "tokenEndPoint"); err != nil {
			return err
		}
		if o.ClientID == "" || o.ClientSecret == "" {
			return fmt.Errorf("%swebhook.oauth needs clientID and clientSecret, as DR does", at("webhook", "oauth"))
		}
		if o.GrantType != "" && o.GrantType != "client_credentials" && o.GrantType != "password" {
			return fmt.Errorf("%swebhook.oauth.grantType %q: want client_credentials or password", at("webhook", "oauth", "grantType"), o.GrantType)
		}
	}
	if p.TimeZone != "" {
		z, err := time.LoadLocation(p.TimeZone)
		if err != nil || p.TimeZone == "Local" {
			return fmt.Errorf("%stimezone %q: want an IANA time zone name, such as Asia/Tokyo or America/New_York", at("timezone"), p.TimeZone)
		}
		p.zone = z
	}
	if !strings.HasPrefix(p.API.SecretKey, "sk_test_") || len(p.API.SecretKey) < len("sk_test_")+8 {
		return fmt.Errorf("%sapi.secretKey %q: want the sk_test_… key your merchant calls Digital River with", at("api", "secretKey"), p.API.SecretKey)
	}
	if err := checkURL(at, false, p.Simulator.URL, "simulator", "url"); err != nil {
		return err
	}
	if err := checkURL(at, false, p.Mailbox.URL, "mailbox", "url"); err != nil {
		return err
	}
	if err := checkURL(at, len(p.Actions) > 0, p.Merchant.URL, "merchant", "url"); err != nil {
		return fmt.Errorf("%w (actions need it)", err)
	}
	for _, name := range sortedKeys(p.Actions) {
		a := p.Actions[name]
		if a == nil {
			return fmt.Errorf("%sactions.%s is empty: give at least its path", at("actions", name), name)
		}
		if err := a.compile(name, at); err != nil {
			return err
		}
	}
	if s := p.Session; s.Token.JSON != "" && s.Token.Header != "" {
		return fmt.Errorf("%ssession.token: give json or header, not both", at("session", "token"))
	}
	if (p.Session.Token.JSON != "" || p.Session.Token.Header != "") && p.Actions["login"] == nil {
		return fmt.Errorf("%ssession.token needs a login action: the token is read from its answer", at("session", "token"))
	}
	for _, id := range sortedKeys(p.Notifications) {
		n := p.Notifications[id]
		if n.Subject == "" {
			continue
		}
		if _, err := regexp.Compile(n.Subject); err != nil {
			return fmt.Errorf("%snotifications.%s.subject %q: %w", at("notifications", id, "subject"), id, n.Subject, err)
		}
	}
	return nil
}

// NotificationWords are the words the profile adds, by notification id and
// attribute name (NotificationConfig.Words); nil when it adds none.
func (p *Profile) NotificationWords() map[string]map[string][]string {
	var out map[string]map[string][]string
	for id, n := range p.Notifications {
		if len(n.Words) > 0 {
			if out == nil {
				out = map[string]map[string][]string{}
			}
			out[id] = n.Words
		}
	}
	return out
}

// CheckNotificationWords asks check whether each attribute the profile
// adds words to takes them, and refuses an empty list or word; an error
// names the profile's line.
func (p *Profile) CheckNotificationWords(check func(id, attribute string) error) error {
	for _, id := range sortedKeys(p.Notifications) {
		words := p.Notifications[id].Words
		for _, attr := range sortedKeys(words) {
			err := check(id, attr)
			if err == nil && (len(words[attr]) == 0 || slices.Contains(words[attr], "")) {
				err = errors.New("give one or more words, none empty")
			}
			if err != nil {
				return fmt.Errorf("merchant profile %s: %snotifications.%s.words.%s: %w", p.name, p.at("notifications", id, "words", attr), id, attr, err)
			}
		}
	}
	return nil
}

// CheckNotificationIDs rejects notification ids the catalogue does not know,
// suggesting the closest known one.
func (p *Profile) CheckNotificationIDs(known []string) error {
	for _, id := range sortedKeys(p.Notifications) {
		if !slices.Contains(known, id) {
			return fmt.Errorf("merchant profile %s: %snotifications.%s: no such notification in the catalogue%s (known: %s)",
				p.name, p.at("notifications", id), id, didYouMean(id, known), strings.Join(known, ", "))
		}
	}
	return nil
}

// at gives "[line:column] " of the YAML node at fields (or of the nearest
// parent that exists), or "" when the profile was not parsed from YAML.
func (p *Profile) at(fields ...string) string {
	if p.file == nil {
		return ""
	}
	for n := len(fields); n > 0; n-- {
		b := (&yaml.PathBuilder{}).Root()
		for _, f := range fields[:n-1] {
			b = b.Child(f)
		}
		parent, err := b.Build().FilterFile(p.file)
		if err != nil || parent == nil {
			continue
		}
		if m, ok := parent.(*ast.MappingNode); ok {
			for _, v := range m.Values {
				if k := v.Key.GetToken(); k != nil && k.Value == fields[n-1] {
					return fmt.Sprintf("[%d:%d] ", k.Position.Line, k.Position.Column)
				}
			}
		}
		if mv, ok := parent.(*ast.MappingValueNode); ok {
			if k := mv.Key.GetToken(); k != nil && k.Value == fields[n-1] {
				return fmt.Sprintf("[%d:%d] ", k.Position.Line, k.Position.Column)
			}
		}
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// stripComments drops YAML comment lines, to tell an empty file.
func stripComments(b []byte) []byte {
	var out [][]byte
	for _, l := range bytes.Split(b, []byte("\n")) {
		if t := bytes.TrimSpace(l); len(t) > 0 && t[0] != '#' && !bytes.Equal(t, []byte("---")) {
			out = append(out, l)
		}
	}
	return bytes.Join(out, []byte("\n"))
}

func checkURL(at func(...string) string, required bool, s string, fields ...string) error {
	field := strings.Join(fields, ".")
	if s == "" {
		if required {
			return fmt.Errorf("%s%s is required", at(fields...), field)
		}
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s%s %q: want an absolute http(s) URL", at(fields...), field, s)
	}
	return nil
}
