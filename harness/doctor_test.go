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
	// A merchant whose endpoint also wants Basic auth, and one that wants a
	// bearer token from its token endpoint.
	basic := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, pw, ok := r.BasicAuth(); !ok || u != "dr" || pw != "pw" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		verifying("whsec_ok")(w, r)
	}))
	defer basic.Close()
	bearer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			id, secret, _ := r.BasicAuth()
			if r.FormValue("grant_type") != "client_credentials" || id != "cid" || secret != "cs" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			fmt.Fprint(w, `{"access_token":"tok","token_type":"Bearer","expires_in":60}`)
			return
		}
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		verifying("whsec_ok")(w, r)
	}))
	defer bearer.Close()
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
	// Answers in 1.5 s: slower than drsim's old 1 s, within DR's 3 s, so
	// as ready as on DR.
	unhurried := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-time.After(1500 * time.Millisecond)
		verifying("whsec_ok").ServeHTTP(w, r)
	}))
	defer unhurried.Close()
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()
	tests := []struct {
		name, hook, secret, merchant string
		want                         []string // empty: ready
		auth                         string   // extra webhook YAML
	}{
		{"ready", good.URL + "/hook", "whsec_ok", good.URL, nil, ""},
		{"Basic auth given", basic.URL + "/hook", "whsec_ok", "", nil, "authentication: {userName: dr, password: pw}"},
		{"Basic auth missing", basic.URL + "/hook", "whsec_ok", "", []string{"give webhook.authentication or webhook.oauth"}, ""},
		{"Basic auth wrong", basic.URL + "/hook", "whsec_ok", "", []string{"carrying webhook.authentication's credentials"}, "authentication: {userName: dr, password: nope}"},
		{"bearer token", bearer.URL + "/hook", "whsec_ok", "", nil, fmt.Sprintf("oauth: {tokenEndPoint: %q, clientID: cid, clientSecret: cs}", bearer.URL+"/token")},
		{"no token", bearer.URL + "/hook", "whsec_ok", "", []string{"webhook.oauth.tokenEndPoint", "gave no token"}, fmt.Sprintf("oauth: {tokenEndPoint: %q, clientID: cid, clientSecret: wrong}", bearer.URL+"/token")},
		{"wrong secret", good.URL + "/hook", "whsec_other", "", []string{"does webhook.signingSecret match"}, ""},
		{"accepts forgeries", trusting.URL + "/hook", "whsec_ok", "", []string{"accepted (200) a test event signed with another secret"}, ""},
		{"answers within DR's timeout", unhurried.URL + "/hook", "whsec_ok", "", nil, ""},
		{"slow to answer", slow.URL + "/hook", "whsec_ok", "", []string{"did not answer a test event within 3s", "acknowledge webhooks at once"}, ""},
		{"merchant down", downURL + "/hook", "whsec_ok", downURL, []string{"webhook.url " + downURL + "/hook does not answer", "merchant.url " + downURL + " does not answer"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			auth := ""
			if tc.auth != "" {
				auth = ", " + tc.auth
			}
			yaml := fmt.Sprintf("webhook: {url: %q, signingSecret: %s%s}\napi: {secretKey: sk_test_doctor00000000}\n", tc.hook, tc.secret, auth)
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
