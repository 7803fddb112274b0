// Package signature is the one place that knows the byte layout of the
// DigitalRiver-Signature webhook header.
//
// Digital River publishes no layout. The only official verifier known (DR's
// Salesforce B2C connector) splits the header on ", ", computes
// base64(HMAC-SHA256(secret, part0 + "." + rawBody)) and compares the result
// with part1. drsim therefore emits
//
//	DigitalRiver-Signature: t=<unix seconds>, <base64 digest>[, <base64 digest>...]
//
// where each digest is the standard, padded base64 of
// HMAC-SHA256(secret, "t=<unix seconds>." + rawBody). The first digest is made
// with the webhook's current secret; during a secret rotation the digests made
// with the still-valid old secrets follow as extra ", "-separated parts.
//
// Merchants written in Go can import this package in their own tests.
package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Header is the HTTP header that carries the signature.
const Header = "DigitalRiver-Signature"

// DefaultTolerance is how far a signature timestamp may be from the
// verifier's clock before Verify calls it stale.
const DefaultTolerance = 5 * time.Minute

// Errors returned by Verify; test with errors.Is.
var (
	ErrMissing   = errors.New("signature header missing")
	ErrMalformed = errors.New("signature header malformed")
	ErrStale     = errors.New("signature timestamp outside tolerance")
	ErrMismatch  = errors.New("no signature matches the body and secret")
)

// Sign returns the header value for body signed at t with each of secrets
// (the current secret first, then any old secrets still valid during a
// rotation). It panics if secrets is empty, which is a programming error.
func Sign(body []byte, t time.Time, secrets ...string) string {
	if len(secrets) == 0 {
		panic("signature.Sign: no secret")
	}
	ts := "t=" + strconv.FormatInt(t.Unix(), 10)
	parts := make([]string, 0, len(secrets)+1)
	parts = append(parts, ts)
	for _, s := range secrets {
		parts = append(parts, digest(s, ts, body))
	}
	return strings.Join(parts, ", ")
}

// Verify checks header against body and secret. It accepts the header when
// its timestamp is within tolerance of now (either direction) and any of its
// digests matches. A tolerance <= 0 means DefaultTolerance.
func Verify(header string, body []byte, secret string, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if strings.TrimSpace(header) == "" {
		return ErrMissing
	}
	parts := strings.Split(header, ", ")
	if len(parts) < 2 {
		return fmt.Errorf("%w: want \"t=<unix>, <digest>\", got %d part(s)", ErrMalformed, len(parts))
	}
	ts := parts[0]
	unix, err := strconv.ParseInt(strings.TrimPrefix(ts, "t="), 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp %q: %v", ErrMalformed, ts, err)
	}
	signed := time.Unix(unix, 0)
	if d := now.Sub(signed); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: signed at %s, now %s, tolerance %s", ErrStale,
			signed.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), tolerance)
	}
	want := digest(secret, ts, body)
	for _, got := range parts[1:] {
		if hmac.Equal([]byte(got), []byte(want)) {
			return nil
		}
	}
	return ErrMismatch
}

// Signer signs as Sign does with fixed secrets, keeping one keyed hash per
// secret instead of keying a new one for every body. It is not safe for
// concurrent use: keep one per goroutine, or a free list.
type Signer struct {
	secrets []string
	macs    []hash.Hash
	buf     []byte
	sum     []byte
}

// NewSigner returns a Signer for secrets (the current secret first, then
// any old secrets still valid). It panics if secrets is empty, as Sign does.
func NewSigner(secrets ...string) *Signer {
	if len(secrets) == 0 {
		panic("signature.NewSigner: no secret")
	}
	s := &Signer{secrets: slices.Clone(secrets), macs: make([]hash.Hash, len(secrets))}
	for i, sec := range secrets {
		s.macs[i] = hmac.New(sha256.New, []byte(sec))
	}
	return s
}

// Secrets are the secrets s signs with; callers must not modify them.
func (s *Signer) Secrets() []string { return s.secrets }

// Sign returns the header value for body signed at t: Sign(body, t, s.Secrets()...).
func (s *Signer) Sign(body []byte, t time.Time) string {
	b := append(s.buf[:0], "t="...)
	b = strconv.AppendInt(b, t.Unix(), 10)
	tsLen := len(b)
	for _, m := range s.macs {
		m.Reset()
		m.Write(b[:tsLen])
		m.Write(dot)
		m.Write(body)
		s.sum = m.Sum(s.sum[:0])
		b = append(b, ", "...)
		b = base64.StdEncoding.AppendEncode(b, s.sum)
	}
	s.buf = b
	return string(b)
}

var dot = []byte{'.'}

func digest(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
