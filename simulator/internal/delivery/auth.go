package delivery

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/drsim/drsim/simulator/internal/state"
)

// How DR authenticates its callbacks (docs/webhooks.md#webhook-delivery,
// "Receiver auth"; DR's "Creating a webhook"): an HTTP webhook with
// authentication gets HTTP Basic auth, an OAUTH webhook "is always
// accompanied by a valid bearer token" from its tokenEndPoint.
//
// DR does not say how it asks for the token. The simulator [choice] does
// what OAuth 2.0 (RFC 6749, which DR's page links for clientID) defines:
// POST tokenEndPoint with grant_type (client_credentials unless grantType
// says password, which adds username and password), the client
// authenticated with HTTP Basic auth of clientID and clientSecret
// (form-encoded, RFC 6749 §2.3.1); the answer's access_token is sent as
// "Authorization: Bearer <token>". A token is kept until a tenth of its
// expires_in before it expires (not kept when the answer has no
// expires_in), and dropped when the webhook answers 401. A token that
// cannot be had fails the attempt without calling the webhook; it is
// retried like any failed attempt.

// tokenKey is one token request: a token is reused only for the same one.
type tokenKey struct {
	endpoint, clientID, clientSecret, grant, user, password string
}

func keyOf(oa *state.WebhookOAuth) tokenKey {
	return tokenKey{oa.TokenEndPoint, oa.ClientID, oa.ClientSecret, grantOf(oa), oa.UserName, oa.Password}
}

func grantOf(oa *state.WebhookOAuth) string {
	if oa.GrantType == "" {
		return "client_credentials"
	}
	return oa.GrantType
}

type cachedToken struct {
	token   string
	expires time.Time // wall time
}

// tokens caches OAuth access tokens.
type tokens struct {
	mu sync.Mutex
	m  map[tokenKey]cachedToken
}

// authorize sets the Authorization header t's webhook asks for. An error
// means no token could be had; the attempt fails with it.
func (e *Engine) authorize(ctx context.Context, req *http.Request, t state.Target) error {
	switch {
	case t.OAuth != nil:
		tok, err := e.bearer(ctx, t.OAuth)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	case t.Authentication != nil:
		req.SetBasicAuth(t.Authentication.UserName, t.Authentication.Password)
	}
	return nil
}

// bearer is a token for oa: the cached one while it is valid, else a new
// one from oa.TokenEndPoint.
func (e *Engine) bearer(ctx context.Context, oa *state.WebhookOAuth) (string, error) {
	k := keyOf(oa)
	now := e.wall()
	e.tokens.mu.Lock()
	c, ok := e.tokens.m[k]
	e.tokens.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.token, nil
	}
	tok, life, err := e.fetchToken(ctx, oa)
	if err != nil {
		return "", fmt.Errorf("oauth: get a token from tokenEndPoint %s: %w", oa.TokenEndPoint, err)
	}
	if life > 0 {
		e.tokens.mu.Lock()
		if e.tokens.m == nil {
			e.tokens.m = map[tokenKey]cachedToken{}
		}
		e.tokens.m[k] = cachedToken{token: tok, expires: now.Add(life - life/10)}
		e.tokens.mu.Unlock()
	}
	return tok, nil
}

// dropToken forgets oa's cached token (its webhook refused it).
func (e *Engine) dropToken(oa *state.WebhookOAuth) {
	e.tokens.mu.Lock()
	delete(e.tokens.m, keyOf(oa))
	e.tokens.mu.Unlock()
}

// fetchToken asks oa.TokenEndPoint for a token; it returns the token and
// its lifetime (0 when the answer gives none).
func (e *Engine) fetchToken(ctx context.Context, oa *state.WebhookOAuth) (string, time.Duration, error) {
	form := url.Values{"grant_type": {grantOf(oa)}}
	if grantOf(oa) == "password" {
		form.Set("username", oa.UserName)
		form.Set("password", oa.Password)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, oa.TokenEndPoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, fmt.Errorf("build the token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(url.QueryEscape(oa.ClientID), url.QueryEscape(oa.ClientSecret))
	resp, err := e.client.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", 0, fmt.Errorf("read the answer: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", 0, fmt.Errorf("answered %d: %.200s", resp.StatusCode, body)
	}
	var tr struct {
		AccessToken string          `json:"access_token"`
		ExpiresIn   json.RawMessage `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tr); err != nil {
		return "", 0, fmt.Errorf("answer is not OAuth 2.0's JSON token response: %w", err)
	}
	if tr.AccessToken == "" {
		return "", 0, fmt.Errorf("answer has no access_token: %.200s", body)
	}
	return tr.AccessToken, expiresIn(tr.ExpiresIn), nil
}

// expiresIn reads expires_in (seconds, a number or a numeric string, as
// token servers write it); 0 when absent or unreadable.
func expiresIn(raw json.RawMessage) time.Duration {
	secs, err := strconv.ParseInt(strings.Trim(string(raw), `"`), 10, 64)
	if err != nil || secs <= 0 {
		return 0
	}
	return time.Duration(secs) * time.Second
}
