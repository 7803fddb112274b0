package signature_test

import (
	"testing"
	"time"

	"github.com/drsim/drsim/simulator/signature"
)

// Verify never panics on any header, and a header Sign made verifies.
func FuzzVerify(f *testing.F) {
	now := time.Unix(1700000000, 0)
	f.Add(signature.Sign([]byte(`{"id":"e1"}`), now, "whsec_a"), []byte(`{"id":"e1"}`), "whsec_a")
	f.Add("t=1700000000, ", []byte("{}"), "s")
	f.Add("t=abc,=,,", []byte(""), "")
	f.Fuzz(func(t *testing.T, header string, body []byte, secret string) {
		_ = signature.Verify(header, body, secret, now, 5*time.Minute)
		if secret == "" {
			return
		}
		h := signature.Sign(body, now, secret)
		if err := signature.Verify(h, body, secret, now, 5*time.Minute); err != nil {
			t.Fatalf("Sign then Verify: %v (header %q)", err, h)
		}
	})
}
