package harness_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/drsim/drsim/harness"
	"github.com/drsim/drsim/harness/profile"
	"github.com/drsim/drsim/simulator/signature"
)

func TestDoctor(t *testing.T) {
	verifying := func(secret string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			if err := signature.Verify(r.Header.Get("DigitalRiver-Signature"), body, secret, time.Now(), 0); err != nil {
				http.Error(w, err.Error(), http.StatusUnauthorized)
				return
			}
			w.WriteHeader(http.StatusOK)
		}
	}
	good := httptest.NewServer(verifying("whsec_ok"))
	defer good.Close()
	trusting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer trusting.Close()
	// Answers after the doctor's timeout: running, but too slow.
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(harness.DoctorTimeout + time.Second):
		}
	}))
	defer slow.Close()
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()
	tests := []struct {
		name, hook, secret, merchant string
		want                         []string // empty: ready
	}{
		{"ready", good.URL + "/hook", "whsec_ok", good.URL, nil},
		{"wrong secret", good.URL + "/hook", "whsec_other", "", []string{"does webhook.signingSecret match"}},
		{"accepts forgeries", trusting.URL + "/hook", "whsec_ok", "", []string{"accepted (200) a test event signed with another secret"}},
		{"slow to answer", slow.URL + "/hook", "whsec_ok", "", []string{"did not answer a test event within 1s", "acknowledge webhooks at once"}},
		{"merchant down", downURL + "/hook", "whsec_ok", downURL, []string{"webhook.url " + downURL + "/hook does not answer", "merchant.url " + downURL + " does not answer"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			yaml := fmt.Sprintf("webhook: {url: %q, signingSecret: %s}\napi: {secretKey: sk_test_doctor00000000}\n", tc.hook, tc.secret)
			if tc.merchant != "" {
				yaml += fmt.Sprintf("merchant: {url: %q}\n", tc.merchant)
			}
			p, err := profile.Parse("p.yaml", []byte(yaml))
			if err != nil {
				t.Fatal(err)
			}
			err = harness.Doctor(context.Background(), p)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("Doctor: %v, want ready", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Doctor found nothing; want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Doctor: %v\nwant it to say %q", err, w)
				}
			}
		})
	}
}
