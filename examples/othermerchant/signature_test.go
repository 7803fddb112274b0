package othermerchant

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"testing"
	"time"
)

// sign writes a header the way the README's "Webhook signature" section
// describes, independently of drsim's signature package.
func sign(secret string, t time.Time, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "t=%d.%s", t.Unix(), body)
	return fmt.Sprintf("t=%d, %s", t.Unix(), base64.StdEncoding.EncodeToString(mac.Sum(nil)))
}

func TestCheckSignature(t *testing.T) {
	now := time.Unix(1_780_000_000, 0)
	body := []byte(`{"id":"evt_1","type":"order.accepted"}`)
	good := sign("geheim", now, body)
	old := sign("alt", now, body)
	for _, tc := range []struct {
		name, header string
		body         []byte
		want         error
	}{
		{"valid", good, body, nil},
		{"rotation: old digest first, current after", old + ", " + good[len(fmt.Sprintf("t=%d, ", now.Unix())):], body, nil},
		{"missing", "", body, errNoSignature},
		{"no timestamp", "v1=abc, def", body, errBadSignature},
		{"one part only", fmt.Sprintf("t=%d", now.Unix()), body, errBadSignature},
		{"wrong secret", sign("falsch", now, body), body, errWrongSignature},
		{"tampered body", good, []byte(`{"id":"evt_2","type":"order.accepted"}`), errWrongSignature},
		{"stale", sign("geheim", now.Add(-10*time.Minute), body), body, errStaleSignature},
		{"from the future", sign("geheim", now.Add(10*time.Minute), body), body, errStaleSignature},
		{"digest not base64", fmt.Sprintf("t=%d, !!!", now.Unix()), body, errWrongSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkSignature(tc.header, tc.body, "geheim", now)
			if !errors.Is(err, tc.want) {
				t.Fatalf("checkSignature(%q) = %v, want %v", tc.header, err, tc.want)
			}
		})
	}
}
