package api

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/drsim/drsim/simulator/client"
	"github.com/drsim/drsim/simulator/internal/apierror"
	"github.com/drsim/drsim/simulator/internal/wire"
)

func TestAPIFaultRegistry(t *testing.T) {
	var r apiFaults
	f, err := r.Add("acct_1", apiFault{APIFault: client.APIFault{Method: "post", Path: "/skus/*", Status: 429, RetryAfter: "2s", Count: 2}})
	if err != nil || f.Method != "POST" || f.RetryAfterSeconds() != 2 {
		t.Fatalf("Add: %+v, %v", f, err)
	}
	const wantJSON = `{"id":"apf_1","method":"POST","path":"/skus/*","status":429,"retryAfter":"2s","count":2,"used":0}`
	if b, err := wire.Marshal(f); err != nil || string(b) != wantJSON {
		t.Fatalf("the control API writes %s (%v), want %s", b, err, wantJSON)
	}
	for _, miss := range [][3]string{{"acct_2", "POST", "/skus/a"}, {"acct_1", "GET", "/skus/a"}, {"acct_1", "POST", "/skus"}, {"acct_1", "POST", "/skus/a/b"}} {
		if _, ok := r.Take(miss[0], miss[1], miss[2]); ok {
			t.Fatalf("Take%v matched", miss)
		}
	}
	for i := range 2 {
		got, ok := r.Take("acct_1", "POST", "/skus/abc")
		if !ok || got.ID != f.ID || got.Used != i+1 {
			t.Fatalf("take %d: %+v %v", i+1, got, ok)
		}
		if e := got.APIError(); e.Status != 429 || e.Type != "too_many_requests" || e.Errors[0].Code != "too_many_requests" || !strings.Contains(e.Errors[0].Message, "2 second") {
			t.Fatalf("429 error %+v", e)
		}
	}
	if _, ok := r.Take("acct_1", "POST", "/skus/abc"); ok {
		t.Fatal("the fault outlived its count")
	}
	d, err := r.Add("acct_1", apiFault{APIFault: client.APIFault{Path: "/orders", Delay: "150ms"}})
	if err != nil || d.DelayDuration() != 150*time.Millisecond || d.APIError() != nil || d.Count != 1 {
		t.Fatalf("delay-only fault %+v, %v", d, err)
	}
	if _, err := r.Get("acct_2", d.ID); apierror.As(err).Status != http.StatusNotFound {
		t.Fatalf("another account read the fault: %v", err)
	}
}
