package profile_test

import (
	"strings"
	"testing"
	"time"

	"github.com/drsim/drsim/fixtures"
	"github.com/drsim/drsim/harness/profile"
)

func TestReferenceProfileParses(t *testing.T) {
	p, err := profile.Parse("reference-merchant.yaml", fixtures.ReferenceProfile())
	if err != nil {
		t.Fatal(err)
	}
	if got := p.SubjectPattern("order-confirmation", "default"); got != "^Order confirmation" {
		t.Errorf("subject pattern = %q, want the profile's", got)
	}
	if got := p.SubjectPattern("no-such-notification", "default"); got != "default" {
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
		{"authentication without userName", "webhook: {url: \"http://x/h\", signingSecret: s, authentication: {password: p}}\napi: {secretKey: sk_test_12345678}\n", "webhook.authentication.userName is required"},
		{"authentication and oauth", "webhook: {url: \"http://x/h\", signingSecret: s, authentication: {userName: u}, oauth: {tokenEndPoint: \"http://x/t\", clientID: c, clientSecret: s}}\napi: {secretKey: sk_test_12345678}\n", "not both"},
		{"oauth tokenEndPoint relative", "webhook: {url: \"http://x/h\", signingSecret: s, oauth: {tokenEndPoint: /t, clientID: c, clientSecret: s}}\napi: {secretKey: sk_test_12345678}\n", "webhook.oauth.tokenEndPoint"},
		{"oauth without clientSecret", "webhook: {url: \"http://x/h\", signingSecret: s, oauth: {tokenEndPoint: \"http://x/t\", clientID: c}}\napi: {secretKey: sk_test_12345678}\n", "clientID and clientSecret"},
		{"unknown time zone", base + "timezone: Asia/Tokio\n", "[3:1] timezone \"Asia/Tokio\": want an IANA time zone name"},
		{"oauth grant unknown", "webhook: {url: \"http://x/h\", signingSecret: s, oauth: {tokenEndPoint: \"http://x/t\", clientID: c, clientSecret: s, grantType: implicit}}\napi: {secretKey: sk_test_12345678}\n", "grantType"},
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

func TestActionsRender(t *testing.T) {
	p, err := profile.Parse("reference-merchant.yaml", fixtures.ReferenceProfile())
	if err != nil {
		t.Fatal(err)
	}
	req, err := p.Actions["ship"].Render(profile.ActionData{
		Order:   profile.ActionOrder{ID: "1230336"},
		Items:   []profile.ActionItem{{ItemID: "A1", Quantity: 2}, {ItemID: "B\"2", Quantity: 1}},
		Carrier: "FedEx", TrackingNumber: "Z1", TrackingURL: "https://t.example/Z1",
	})
	if err != nil {
		t.Fatal(err)
	}
	if req.Method != "POST" || req.Path != "/admin/orders/1230336/shipments" || req.ContentType != "application/json" {
		t.Errorf("request = %s %s (%s)", req.Method, req.Path, req.ContentType)
	}
	want := `{"items":[{"itemId":"A1","quantity":2},{"itemId":"B\"2","quantity":1}],"carrier":"FedEx","trackingNumber":"Z1","trackingUrl":"https://t.example/Z1"}`
	if string(req.Body) != want {
		t.Errorf("body = %s\nwant   %s", req.Body, want)
	}
	if !p.Actions["requestCancellation"].Accepts(409) || p.Actions["ship"].Accepts(409) {
		t.Error("accept lists not honoured")
	}
}

func TestActionMistakes(t *testing.T) {
	base := "webhook: {url: \"http://localhost:8080/hook\", signingSecret: s}\napi: {secretKey: sk_test_12345678}\n"
	tests := []struct{ name, yaml, want string }{
		{"unknown action", base + "merchant: {url: \"http://m\"}\nactions: {shipp: {path: /x}}\n", "actions.shipp: unknown action"},
		{"no merchant url", base + "actions: {ship: {path: /x}}\n", "merchant.url is required"},
		{"bad template", base + "merchant: {url: \"http://m\"}\nactions: {ship: {path: '/x/{{.Order.ID'}}\n", "actions.ship.path"},
		{"json and form", base + "merchant: {url: \"http://m\"}\nactions: {ship: {path: /x, json: '{}', form: {a: b}}}\n", "not both"},
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

func TestLoadChecks(t *testing.T) {
	base := "webhook: {url: \"http://localhost:8080/hook\", signingSecret: s}\napi: {secretKey: sk_test_12345678}\nmerchant: {url: \"http://m\"}\n"
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"empty file", "# just a comment\n\n", []string{"p.yaml is empty"}},
		{"action name typo", base + "actions:\n  shipp:\n    path: /x\n", []string{"[5:3] actions.shipp", `did you mean "ship"?`}},
		{"template fails on sample data", base + "actions:\n  ship:\n    path: '/x/{{.Order.Number}}'\n", []string{"[5:3] actions.ship", ".Order has no field Number (it has ID, Currency, Items)"}},
		{"template gives invalid JSON", base + "actions:\n  ship:\n    path: /x\n    json: '{\"id\": {{.Order.ID}}'\n", []string{"actions.ship", "invalid JSON"}},
		{"bad duration has a position", base + "timeouts: {email: 5}\n", []string{"[4:12] timeouts.email"}},
		{"bad side", base + "actions:\n  ship:\n    path: /x\n    side: admin\n", []string{"[7:5] actions.ship.side", "customer or merchant"}},
		{"bad limit", base + "actions:\n  cancel:\n    path: /x\n    cannot: [partialQuantities]\n", []string{"actions.cancel.cannot", `did you mean "partialQuantity"?`}},
		{"token without login", base + "session: {token: {json: token}}\n", []string{"session.token needs a login action"}},
		{"type error without Go types", base + "actions:\n  ship:\n    path: /x\n    accept: \"201\"\n", []string{"[7:13]", "sequence"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := profile.Parse("p.yaml", []byte(tc.yaml))
			if err == nil {
				t.Fatalf("no error; want one mentioning %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v\nwant it to contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "profile.Action") {
				t.Errorf("err names a Go type: %v", err)
			}
		})
	}
}

func TestUnknownNotificationID(t *testing.T) {
	p, err := profile.Parse("p.yaml", []byte("webhook: {url: \"http://localhost:8080/hook\", signingSecret: s}\napi: {secretKey: sk_test_12345678}\nnotifications:\n  order-confirmaton: {subject: x}\n"))
	if err != nil {
		t.Fatal(err)
	}
	err = p.CheckNotificationIDs([]string{"order-confirmation", "shipment"})
	if err == nil || !strings.Contains(err.Error(), `[4:3] notifications.order-confirmaton`) || !strings.Contains(err.Error(), `did you mean "order-confirmation"?`) {
		t.Fatalf("err = %v, want the position and a suggestion", err)
	}
	if err := p.CheckNotificationIDs([]string{"order-confirmaton"}); err != nil {
		t.Fatalf("a known id: %v", err)
	}
}

func TestSidesAndSession(t *testing.T) {
	p, err := profile.Parse("p.yaml", []byte(`
webhook: {url: "http://localhost:8080/hook", signingSecret: s}
api: {secretKey: sk_test_12345678}
merchant: {url: "http://m"}
session: {token: {json: data.token}}
actions:
  login: {path: /login, json: '{"email":{{json .Customer.Email}}}'}
  ship: {path: /ship}
  cancel: {path: /cancel, side: customer, cannot: [partialQuantity]}
  requestReturn: {path: /return}
`))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"login": "customer", "ship": "merchant", "cancel": "customer", "requestReturn": "customer"} {
		if got := p.Actions[name].Side; got != want {
			t.Errorf("%s side = %q, want %q", name, got, want)
		}
	}
	if p.Actions["cancel"].Can(profile.CannotPartialQuantity) || !p.Actions["ship"].Can(profile.CannotPartialQuantity) {
		t.Error("cannot: not honoured")
	}
	if h, pre := p.Session.TokenHeader(); h != "Authorization" || pre != "Bearer " {
		t.Errorf("token header = %q %q, want Authorization and Bearer", h, pre)
	}
}

// timezone: is the zone the merchant writes dates in; UTC without it.
func TestTimeZone(t *testing.T) {
	base := "webhook: {url: \"http://localhost:8080/hook\", signingSecret: s}\napi: {secretKey: sk_test_12345678}\n"
	p, err := profile.Parse("p.yaml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if p.Zone() != time.UTC {
		t.Errorf("no timezone: Zone() = %v, want UTC", p.Zone())
	}
	p, err = profile.Parse("p.yaml", []byte(base+"timezone: Asia/Tokyo\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := time.Date(2026, 12, 2, 16, 0, 0, 0, time.UTC).In(p.Zone()).Day(); got != 3 {
		t.Errorf("16:00 UTC on 2 December in %v is day %d, want 3", p.Zone(), got)
	}
}
