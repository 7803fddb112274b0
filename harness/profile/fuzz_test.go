package profile

import "testing"

// A profile either parses or is refused with an error; it never panics, and
// a parsed profile's timeouts are usable.
func FuzzParse(f *testing.F) {
	f.Add([]byte("name: m\nwebhook: {url: http://127.0.0.1:8080/w, signingSecret: s}\napi: {secretKey: sk_test_0123456789}\n"))
	f.Add([]byte("name: m\nwebhook: {url: http://x/w, signingSecret: s}\napi: {secretKey: sk_test_0123456789}\ntimeouts: {email: 1s, action: 2s}\nmerchant: {url: http://x}\nactions:\n  ship: {path: \"/o/{{.Order.ID}}\", json: \"{}\"}\n"))
	f.Add([]byte("timeouts: {email: -1s}"))
	f.Add([]byte("actions: {ship: {path: \"{{\"}}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse("fuzz.yaml", b)
		if err != nil {
			return
		}
		if p.EmailTimeout() <= 0 || p.ActionTimeout() <= 0 || p.QuietWindow() <= 0 {
			t.Fatalf("parsed profile with non-positive timeouts: %+v", p.Timeouts)
		}
	})
}
