package profile_test

import (
	"strings"
	"testing"
	"time"

	"github.com/drsim/drsim/fixtures"
	"github.com/drsim/drsim/harness/profile"
)

func TestReferenceProfileParses(t *testing.T) {
	p, err := profile.Parse("reference-merchant.yaml", fixtures.ReferenceProfile)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.SubjectPattern("order-confirmation", "default"); got != "^Order confirmation" {
		t.Errorf("subject pattern = %q, want the profile's", got)
	}
	if got := p.SubjectPattern("shipment", "default"); got != "default" {
		t.Errorf("subject pattern for an unlisted notification = %q, want the default", got)
	}
	if p.EmailTimeout() != profile.DefaultEmailTimeout || p.QuietWindow() != profile.DefaultQuietWindow {
		t.Errorf("timeouts = %s/%s, want defaults", p.EmailTimeout(), p.QuietWindow())
	}
}

func TestTimeouts(t *testing.T) {
	p, err := profile.Parse("p.yaml", []byte(`
webhook: {url: "http://localhost:8080/hook", signingSecret: s}
api: {secretKey: sk_test_12345678}
timeouts: {email: 3s, quiet: 250ms}
`))
	if err != nil {
		t.Fatal(err)
	}
	if p.EmailTimeout() != 3*time.Second || p.QuietWindow() != 250*time.Millisecond {
		t.Errorf("timeouts = %s/%s, want 3s/250ms", p.EmailTimeout(), p.QuietWindow())
	}
}

func TestParseErrorsNameTheField(t *testing.T) {
	base := "webhook: {url: \"http://localhost:8080/hook\", signingSecret: s}\napi: {secretKey: sk_test_12345678}\n"
	tests := []struct{ name, yaml, want string }{
		{"unknown field with line", base + "webhok: {}\n", "[3:1] unknown field \"webhok\""},
		{"missing url", "webhook: {signingSecret: s}\napi: {secretKey: sk_test_12345678}\n", "webhook.url is required"},
		{"relative url", "webhook: {url: /hook, signingSecret: s}\napi: {secretKey: sk_test_12345678}\n", "webhook.url"},
		{"missing secret", "webhook: {url: \"http://x/h\"}\napi: {secretKey: sk_test_12345678}\n", "signingSecret is required"},
		{"live key", "webhook: {url: \"http://x/h\", signingSecret: s}\napi: {secretKey: sk_live_12345678}\n", "api.secretKey"},
		{"bad duration", base + "timeouts: {email: soon}\n", "duration"},
		{"bad subject", base + "notifications: {order-confirmation: {subject: '('}}\n", "notifications.order-confirmation.subject"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := profile.Parse("p.yaml", []byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestComposeProfileParses(t *testing.T) {
	p, err := profile.Load("../../fixtures/compose-merchant.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if p.Simulator.URL != "http://simulator:9090" || p.Mailbox.URL != "http://mailhog:8025" {
		t.Errorf("compose profile points at %s and %s, want the compose services", p.Simulator.URL, p.Mailbox.URL)
	}
}
