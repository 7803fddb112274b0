package signature_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drsim/drsim/simulator/signature"
)

// TestSignMatchesIndependentComputation recomputes the digest the way DR's
// SFCC connector does (split on ", ", HMAC over part0 + "." + body, base64)
// without using the package's own helpers.
func TestSignMatchesIndependentComputation(t *testing.T) {
	body := []byte(`{"id":"e1","type":"order.accepted"}`)
	at := time.Unix(1700000000, 0)
	h := signature.Sign(body, at, "whsec_one")

	parts := strings.Split(h, ", ")
	if len(parts) != 2 {
		t.Fatalf("header %q: want 2 parts, got %d", h, len(parts))
	}
	if parts[0] != "t=1700000000" {
		t.Fatalf("timestamp part = %q, want t=1700000000", parts[0])
	}
	m := hmac.New(sha256.New, []byte("whsec_one"))
	m.Write([]byte(parts[0] + "." + string(body)))
	want := base64.StdEncoding.EncodeToString(m.Sum(nil))
	if parts[1] != want {
		t.Fatalf("digest = %q, want %q", parts[1], want)
	}
}

func TestSignDuringRotationCarriesEveryDigest(t *testing.T) {
	body := []byte(`{}`)
	at := time.Unix(1700000000, 0)
	h := signature.Sign(body, at, "new", "old")
	if n := len(strings.Split(h, ", ")); n != 3 {
		t.Fatalf("header %q: want timestamp + 2 digests, got %d parts", h, n)
	}
	for _, secret := range []string{"new", "old"} {
		if err := signature.Verify(h, body, secret, at, 0); err != nil {
			t.Errorf("Verify with %q: %v", secret, err)
		}
	}
	if err := signature.Verify(h, body, "other", at, 0); !errors.Is(err, signature.ErrMismatch) {
		t.Errorf("Verify with an unrelated secret: got %v, want ErrMismatch", err)
	}
}

func TestVerify(t *testing.T) {
	body := []byte(`{"id":"e1"}`)
	at := time.Unix(1700000000, 0)
	good := signature.Sign(body, at, "s3cret")
	tests := []struct {
		name    string
		header  string
		body    []byte
		secret  string
		now     time.Time
		wantErr error
	}{
		{"valid", good, body, "s3cret", at, nil},
		{"valid at edge of tolerance", good, body, "s3cret", at.Add(signature.DefaultTolerance), nil},
		{"tampered body", good, []byte(`{"id":"e2"}`), "s3cret", at, signature.ErrMismatch},
		{"wrong secret", good, body, "other", at, signature.ErrMismatch},
		{"stale", good, body, "s3cret", at.Add(signature.DefaultTolerance + time.Second), signature.ErrStale},
		{"from the future", good, body, "s3cret", at.Add(-signature.DefaultTolerance - time.Second), signature.ErrStale},
		{"missing", "", body, "s3cret", at, signature.ErrMissing},
		{"one part", "t=1700000000", body, "s3cret", at, signature.ErrMalformed},
		{"bad timestamp", "t=soon, abc", body, "s3cret", at, signature.ErrMalformed},
		{"digest with prefix", strings.Replace(good, ", ", ", v0=", 1), body, "s3cret", at, signature.ErrMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := signature.Verify(tc.header, tc.body, tc.secret, tc.now, 0)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Verify = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

// A Signer writes the header Sign writes, body after body: its keyed
// hashes are reset between bodies, not carried over.
func TestSignerMatchesSign(t *testing.T) {
	at := time.Date(2026, 12, 2, 3, 4, 5, 0, time.UTC)
	for _, secrets := range [][]string{{"whsec_one"}, {"whsec_current", "whsec_old", "whsec_older"}} {
		s := signature.NewSigner(secrets...)
		for i, body := range [][]byte{[]byte(`{"id":"ev_1"}`), nil, []byte(`{"id":"ev_2","data":{"object":{}}}`), []byte(`{"id":"ev_1"}`)} {
			now := at.Add(time.Duration(i) * time.Second)
			if got, want := s.Sign(body, now), signature.Sign(body, now, secrets...); got != want {
				t.Fatalf("%d secrets, body %d: Signer.Sign = %q, Sign = %q", len(secrets), i, got, want)
			}
		}
		if got := s.Secrets(); !slices.Equal(got, secrets) {
			t.Fatalf("Secrets() = %v, want %v", got, secrets)
		}
	}
}

func BenchmarkSign(b *testing.B) {
	body := []byte(strings.Repeat(`{"id":"ev_1","type":"order.accepted"}`, 30))
	now := time.Now()
	b.Run("Sign", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			signature.Sign(body, now, "whsec_one")
		}
	})
	b.Run("Signer", func(b *testing.B) {
		s := signature.NewSigner("whsec_one")
		b.ReportAllocs()
		for b.Loop() {
			s.Sign(body, now)
		}
	})
}
