package state

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// fuzzStateFile is a small state file with something of several kinds: a
// customer with metadata and its events, a test clock with a customer, a
// webhook with a secret, a second, empty account.
func fuzzStateFile(f *testing.F) []byte {
	f.Helper()
	s := NewStore(nil, func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) })
	a, _, _ := s.Lookup(s.CreateAccount().SecretKey)
	s.CreateAccount()
	email := "fuzz+&x@example.test"
	c, err := a.CreateCustomer(CustomerParams{Email: &email, Metadata: map[string]any{"k": "v\u2028", "n": 1.5}})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := a.UpdateCustomer(c.ID, CustomerParams{Metadata: map[string]any{"k": "w"}}); err != nil {
		f.Fatal(err)
	}
	tc, err := a.CreateTestClock(TestClockParams{Name: "fuzz"})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := a.TestClockCustomer(tc.ID, CustomerParams{}); err != nil {
		f.Fatal(err)
	}
	addr, types := "http://127.0.0.1:1/hook", []string{"customer.created"}
	wh, err := a.CreateWebhook(WebhookParams{Address: &addr, Types: &types})
	if err != nil {
		f.Fatal(err)
	}
	if err := a.SetWebhookSecret(wh.ID, "whsec_fuzz"); err != nil {
		f.Fatal(err)
	}
	var b bytes.Buffer
	if err := s.Save(&b); err != nil {
		f.Fatal(err)
	}
	return b.Bytes()
}

// Any file loads or is refused with an error, never a panic; a refused
// file leaves no account behind, and a loaded one saves and loads again
// to the same state.
func FuzzLoad(f *testing.F) {
	good := fuzzStateFile(f)
	f.Add(good)
	for _, cut := range []int{1, len(good) / 3, len(good) / 2, len(good) - 2} {
		f.Add(good[:cut])
	}
	f.Add([]byte(strings.Replace(string(good), `"base":0`, `"base":-1`, 1)))
	f.Add([]byte(strings.Replace(string(good), `"events":[`, `"events":[{"JSON":null,"TestClock":"","Recorded":null},`, 1)))
	f.Add([]byte(`{"format":"drsim-state","version":1,"schema":"` + SchemaFingerprint() + `","savedAt":"2026-01-01T00:00:00Z","accounts":[{}]}`))
	f.Fuzz(func(t *testing.T, file []byte) {
		s := NewStore(nil, time.Now)
		if err := s.Load(bytes.NewReader(file)); err != nil {
			if n := len(s.Accounts()); n != 0 {
				t.Fatalf("a refused file (%v) left %d accounts", err, n)
			}
			return
		}
		var first, second bytes.Buffer
		if err := s.Save(&first); err != nil {
			t.Fatalf("a loaded file does not save: %v", err)
		}
		again := NewStore(nil, time.Now)
		if err := again.Load(bytes.NewReader(first.Bytes())); err != nil {
			t.Fatalf("a saved file does not load: %v\n%s", err, first.Bytes())
		}
		if err := again.Save(&second); err != nil {
			t.Fatal(err)
		}
		// savedAt is the time of the save.
		strip := func(b []byte) []byte { return b[bytes.Index(b, []byte(`,"accounts":`)):] }
		if !bytes.Equal(strip(first.Bytes()), strip(second.Bytes())) {
			t.Fatalf("the state changed in a load/save round trip:\nfirst  %s\nsecond %s", first.Bytes(), second.Bytes())
		}
	})
}
