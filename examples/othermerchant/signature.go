package othermerchant

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Webhook signatures, verified as drsim's README ("Webhook signature")
// describes them, without drsim's own code:
//
//	DigitalRiver-Signature: t=<unix seconds>, <base64 digest>[, <base64 digest>…]
//
// Each digest is base64(HMAC-SHA256(secret, "t=<unix seconds>." + raw body));
// during a secret rotation digests made with old secrets follow the first.
// The shop accepts a delivery when any digest matches and the timestamp is
// within maxSignatureAge of its own clock.

const maxSignatureAge = 5 * time.Minute

var (
	errNoSignature    = errors.New("no DigitalRiver-Signature header")
	errBadSignature   = errors.New("malformed DigitalRiver-Signature header")
	errStaleSignature = errors.New("signature timestamp too old or in the future")
	errWrongSignature = errors.New("no digest matches")
)

func checkSignature(header string, body []byte, secret string, now time.Time) error {
	header = strings.TrimSpace(header)
	if header == "" {
		return errNoSignature
	}
	parts := strings.Split(header, ", ")
	if len(parts) < 2 || !strings.HasPrefix(parts[0], "t=") {
		return errBadSignature
	}
	sec, err := strconv.ParseInt(strings.TrimPrefix(parts[0], "t="), 10, 64)
	if err != nil {
		return errBadSignature
	}
	age := now.Sub(time.Unix(sec, 0))
	if age > maxSignatureAge || age < -maxSignatureAge {
		return errStaleSignature
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(parts[0]))
	mac.Write([]byte("."))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, p := range parts[1:] {
		got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(p))
		if err != nil {
			continue
		}
		if hmac.Equal(got, want) {
			return nil
		}
	}
	return errWrongSignature
}
