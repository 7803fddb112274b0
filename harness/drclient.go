package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// HarnessAgent is the User-Agent of the harness's calls to the simulator.
const HarnessAgent = "drsim-harness"

// drClient calls the simulator: DR's API and the control API, with the
// merchant's secret key.
type drClient struct {
	base string
	key  string
	http *http.Client
	// timeout bounds one call (0: none); a call asking the simulator to
	// wait (a "wait" query parameter) gets that wait on top.
	timeout time.Duration
}

// drError is a non-2xx answer, with DR's error body when there is one.
type drError struct {
	Method, Path string
	Status       int
	Body         string
}

func (e *drError) Error() string {
	return fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, strings.TrimSpace(e.Body))
}

// do sends in (JSON, or nothing when nil) and decodes the answer into out (when not nil).
func (c *drClient) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s %s: encode request: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	if c.timeout > 0 {
		limit := c.timeout
		if u, err := url.Parse(path); err == nil {
			if w, err := time.ParseDuration(u.Query().Get("wait")); err == nil && w > 0 {
				limit += w
			}
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, limit, fmt.Errorf("the simulator did not answer within %s (profile timeouts.action)", limit))
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("User-Agent", HarnessAgent)
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
			return fmt.Errorf("%s %s: %w", method, path, cause)
		}
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &drError{Method: method, Path: path, Status: resp.StatusCode, Body: string(b)}
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return nil
}
