package simulator_test

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/drsim/drsim/simulator"
)

// Link URLs come from the configured public URL, never from a request's
// Host header.
func TestLinkURLsIgnoreTheHostHeader(t *testing.T) {
	sim, err := simulator.Start(simulator.Options{PublicURL: "https://drsim.example.test/"})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	call := func(method, path, key, ctype string, body []byte, out any) {
		t.Helper()
		req, err := http.NewRequest(method, sim.URL()+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Host = "evil.example.test"
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		req.Header.Set("Content-Type", ctype)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Fatalf("%s %s: %d", method, path, resp.StatusCode)
		}
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
	var keys struct {
		SecretKey string `json:"secretKey"`
	}
	call("POST", "/_sim/accounts", "", "application/json", nil, &keys)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("purpose", "tax_document_customer_upload")
	fw, _ := mw.CreateFormFile("file", "a.pdf")
	_, _ = fw.Write([]byte("%PDF-1.4\n%%EOF\n"))
	_ = mw.Close()
	var f struct {
		ID string `json:"id"`
	}
	call("POST", "/files", keys.SecretKey, mw.FormDataContentType(), buf.Bytes(), &f)
	var link struct {
		URL string `json:"url"`
	}
	call("POST", "/file-links", keys.SecretKey, "application/json", []byte(`{"fileId":"`+f.ID+`","expiresTime":"2099-01-01T00:00:00Z"}`), &link)
	if !strings.HasPrefix(link.URL, "https://drsim.example.test/links/") {
		t.Fatalf("link url %q, want it under the public URL https://drsim.example.test/", link.URL)
	}
}
