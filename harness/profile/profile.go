// Package profile reads a merchant profile: the YAML file that tells the
// harness how to reach a merchant under test and how to recognise its
// emails. A merchant is certified without changes to its code.
//
//	name: Acme Shop
//	webhook:
//	  url: http://localhost:8080/webhooks/digitalriver   # where DR posts events
//	  signingSecret: whsec_…                              # the secret the merchant verifies with
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
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
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
	// request templates (see ActionNames).
	Actions map[string]*Action `yaml:"actions"`
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
	dec := yaml.NewDecoder(bytes.NewReader(data), yaml.DisallowUnknownField())
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("merchant profile %s:\n%s", name, yaml.FormatError(err, false, true))
	}
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("merchant profile %s: %w", name, err)
	}
	return &p, nil
}

func (p *Profile) validate() error {
	if err := checkURL("webhook.url", p.Webhook.URL, true); err != nil {
		return err
	}
	if p.Webhook.SigningSecret == "" {
		return fmt.Errorf("webhook.signingSecret is required: the secret your merchant verifies DigitalRiver-Signature with")
	}
	if !strings.HasPrefix(p.API.SecretKey, "sk_test_") || len(p.API.SecretKey) < len("sk_test_")+8 {
		return fmt.Errorf("api.secretKey %q: want the sk_test_… key your merchant calls Digital River with", p.API.SecretKey)
	}
	if err := checkURL("simulator.url", p.Simulator.URL, false); err != nil {
		return err
	}
	if err := checkURL("mailbox.url", p.Mailbox.URL, false); err != nil {
		return err
	}
	if err := checkURL("merchant.url", p.Merchant.URL, len(p.Actions) > 0); err != nil {
		return fmt.Errorf("%w (actions need it)", err)
	}
	for name, a := range p.Actions {
		if err := a.compile(name); err != nil {
			return err
		}
	}
	for id, n := range p.Notifications {
		if n.Subject == "" {
			continue
		}
		if _, err := regexp.Compile(n.Subject); err != nil {
			return fmt.Errorf("notifications.%s.subject %q: %w", id, n.Subject, err)
		}
	}
	return nil
}

func checkURL(field, s string, required bool) error {
	if s == "" {
		if required {
			return fmt.Errorf("%s is required", field)
		}
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s %q: want an absolute http(s) URL", field, s)
	}
	return nil
}
