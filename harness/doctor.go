package harness

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/drsim/drsim/harness/profile"
	"github.com/drsim/drsim/simulator/signature"
)

// DoctorTimeout bounds each of the doctor's requests: DR's 3 s delivery
// timeout, so that a merchant DR would accept is not refused here.
const DoctorTimeout = 3 * time.Second

// Doctor checks, in about a second, that the merchant can be certified with
// p: its webhook answers, accepts a genuinely signed test event and refuses
// one signed with another secret, and merchant.url (when given) answers. It
// returns nil, or an error saying what to fix. `drsim doctor` and the
// preflight of `drsim certify` run it.
func Doctor(ctx context.Context, p *profile.Profile) error {
	var problems []string
	hc := &http.Client{Timeout: DoctorTimeout, Transport: merchantTransport}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	now := time.Now().UTC()
	body, _ := json.Marshal(map[string]any{
		"id": "doctor-" + hex.EncodeToString(b), "type": "drsim.doctor", "createdTime": now.Format(time.RFC3339),
		"liveMode": false, "data": map[string]any{"object": map[string]any{}},
	})
	// The test events carry the callback authentication DR would send
	// (webhook.authentication or webhook.oauth).
	authz, aerr := callbackAuthorization(ctx, hc, p.Webhook)
	if aerr != nil {
		problems = append(problems, aerr.Error())
	}
	post := func(sig string) (int, string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.Webhook.URL, bytes.NewReader(body))
		if err != nil {
			return 0, "", err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("DigitalRiver-Signature", sig)
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return resp.StatusCode, strings.TrimSpace(string(excerpt)), nil
	}
	status, excerpt, err := post(signature.Sign(body, now, p.Webhook.SigningSecret))
	switch {
	case err != nil && isTimeout(err):
		problems = append(problems, fmt.Sprintf("webhook.url %s did not answer a test event within %s: Digital River counts a later answer as a failed delivery (certify's simulator waits -delivery-timeout, DR's 3s by default); acknowledge webhooks at once and do the slow work (DR calls, emails) afterwards", p.Webhook.URL, DoctorTimeout))
	case err != nil:
		problems = append(problems, fmt.Sprintf("webhook.url %s does not answer (%v): start the merchant, or fix webhook.url", p.Webhook.URL, unwrapURLError(err)))
	case (status == http.StatusUnauthorized || status == http.StatusForbidden) && p.Webhook.Authentication == nil && p.Webhook.OAuth == nil:
		problems = append(problems, fmt.Sprintf("the webhook refused a test event signed with webhook.signingSecret (%d %s): does webhook.signingSecret match the secret the merchant verifies with? (If the endpoint wants Basic auth or a bearer token, give webhook.authentication or webhook.oauth.)", status, excerpt))
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		problems = append(problems, fmt.Sprintf("the webhook refused a test event signed with webhook.signingSecret and carrying webhook.%s's credentials (%d %s): do webhook.signingSecret and those credentials match the merchant's?", authName(p.Webhook), status, excerpt))
	case status == http.StatusNotFound || status == http.StatusMethodNotAllowed:
		problems = append(problems, fmt.Sprintf("webhook.url %s answered %d to a POST: is it the merchant's webhook endpoint?", p.Webhook.URL, status))
	case status >= 500:
		problems = append(problems, fmt.Sprintf("the webhook answered %d to a genuinely signed test event (%s): see the merchant's log", status, excerpt))
	}
	if err == nil && status != http.StatusUnauthorized && status != http.StatusForbidden && status < 500 && status != http.StatusNotFound {
		forged, _, ferr := post(signature.Sign(body, now, "whsec_doctor_forged_"+hex.EncodeToString(b)))
		if ferr == nil && forged >= 200 && forged < 300 {
			problems = append(problems, fmt.Sprintf("the webhook accepted (%d) a test event signed with another secret: the merchant must verify DigitalRiver-Signature and answer non-2xx when it does not match", forged))
		}
	}
	if p.Merchant.URL != "" {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.Merchant.URL, nil)
		if err == nil {
			var resp *http.Response
			if resp, err = hc.Do(req); err == nil {
				resp.Body.Close()
			}
		}
		switch {
		case err != nil && isTimeout(err):
			problems = append(problems, fmt.Sprintf("merchant.url %s did not answer a GET within %s: is the merchant busy or stuck?", p.Merchant.URL, DoctorTimeout))
		case err != nil:
			problems = append(problems, fmt.Sprintf("merchant.url %s does not answer (%v): start the merchant, or fix merchant.url", p.Merchant.URL, unwrapURLError(err)))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return errors.New("the merchant is not ready to be certified:\n  - " + strings.Join(problems, "\n  - "))
}

// isTimeout reports whether err is a request that ran out of time (the
// merchant is there, but slow), not one that could not connect.
func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

func unwrapURLError(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}

func authName(w profile.Webhook) string {
	if w.OAuth != nil {
		return "oauth"
	}
	return "authentication"
}

// callbackAuthorization is the Authorization header DR sends with the
// callbacks of w's webhook: Basic auth for authentication, a bearer token
// for oauth, got as the simulator gets it (OAuth 2.0's token request, the
// client's id and secret as Basic auth; docs/webhooks.md); "" for neither.
func callbackAuthorization(ctx context.Context, hc *http.Client, w profile.Webhook) (string, error) {
	switch {
	case w.Authentication != nil:
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(w.Authentication.UserName+":"+w.Authentication.Password)), nil
	case w.OAuth == nil:
		return "", nil
	}
	o := w.OAuth
	grant := o.GrantType
	if grant == "" {
		grant = "client_credentials"
	}
	form := url.Values{"grant_type": {grant}}
	if grant == "password" {
		form.Set("username", o.UserName)
		form.Set("password", o.Password)
	}
	fail := func(why string) (string, error) {
		return "", fmt.Errorf("webhook.oauth.tokenEndPoint %s gave no token (%s): DR sends callbacks of an OAUTH webhook with a token from it", o.TokenEndPoint, why)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.TokenEndPoint, strings.NewReader(form.Encode()))
	if err != nil {
		return fail(err.Error())
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(o.ClientID), url.QueryEscape(o.ClientSecret))
	resp, err := hc.Do(req)
	if err != nil {
		return fail(unwrapURLError(err).Error())
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fail(fmt.Sprintf("answered %d %.200s", resp.StatusCode, raw))
	}
	if json.Unmarshal(raw, &tr) != nil || tr.AccessToken == "" {
		return fail(fmt.Sprintf("no access_token in %.200s", raw))
	}
	return "Bearer " + tr.AccessToken, nil
}
