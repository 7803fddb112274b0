package state_test

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/drsim/drsim/simulator/client"
	"github.com/drsim/drsim/simulator/internal/state"
)

// richStore is one account with something of every kind: customers on the
// account's clock and on an advanced test clock, cards, SKUs, orders
// accepted, partly shipped and cancelled, refunded and returned, invoice and
// credit memo files with links, plans and subscriptions past a renewal,
// webhooks with a rotated secret, and logged API calls.
func richStore(t *testing.T) (*state.Store, *state.Account, *fixture) {
	t.Helper()
	clockNow := wall
	s := state.NewStore(nil, func() time.Time { return clockNow })
	keys := s.CreateAccount()
	a, _, _ := s.Lookup(keys.SecretKey)
	s.CreateAccount() // a second, empty tenant

	f := subscribe(t, a, buy{plan: planParams("month", 1, 7, 0, 8), price: 9.99, taxRate: 0.1})
	cust := mustCustomer(t, a)
	sku := mustSKU(t, a, "Widget")
	src := mustCard(t, a, cust, goodCard2, 12, 2031)
	o, err := a.PlaceOrder(state.PlaceOrderParams{CustomerID: cust, SourceID: src, Currency: "EUR", Locale: "de_DE",
		Items:    []state.PlaceItem{{SKUID: sku, Quantity: 3, Price: 10, TaxRate: 0.19, Discount: 1}},
		Shipping: &state.PlaceShipping{Amount: 4.5, TaxAmount: 0.86, Description: "Standard"},
		Metadata: map[string]any{"cart": "c-1", "n": 2.0, "nested": map[string]any{"ok": true}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.AcceptOrder(o.ID); err != nil {
		t.Fatal(err)
	}
	item := o.Items[0].ID
	var q2, q1 state.Quantity
	if err := json.Unmarshal([]byte("2"), &q2); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte("1"), &q1); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateFulfillment(state.FulfillmentParams{FulfillmentParams: client.FulfillmentParams{OrderID: o.ID, TrackingCompany: "UPS", TrackingNumber: "1Z"},
		Items: []state.FulfillmentItemParams{{FulfillmentItemParams: client.FulfillmentItemParams{ItemID: item}, Quantity: q2, CancelQuantity: q1}}}); err != nil {
		t.Fatal(err)
	}
	amount := 5.0
	r, err := a.CreateRefund(state.RefundParams{RefundParams: client.RefundParams{OrderID: o.ID, Currency: "EUR", Amount: &amount, Reason: "late"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.CompleteRefund(r.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateReturn(state.ReturnParams{ReturnParams: client.ReturnParams{OrderID: o.ID, Reason: "small"}, Items: []state.ReturnItemParams{{ReturnItemParams: client.ReturnItemParams{ItemID: item}, Quantity: q1}}}); err != nil {
		t.Fatal(err)
	}
	files, err := a.Files(state.FileFilter{ListParams: state.ListParams{Limit: 100}})
	if err != nil || len(files.Data) == 0 {
		t.Fatalf("files: %v %d", err, len(files.Data))
	}
	if _, err := a.CreateFileLink(state.FileLinkParams{FileID: files.Data[0].ID, ExpiresTime: wall.Add(48 * time.Hour).Format(time.RFC3339)}); err != nil {
		t.Fatal(err)
	}
	tc, err := a.CreateTestClock(state.TestClockParams{Name: "renewals"})
	if err != nil {
		t.Fatal(err)
	}
	tcust, err := a.TestClockCustomer(tc.ID, state.CustomerParams{Email: ptr("tc@example.test")})
	if err != nil {
		t.Fatal(err)
	}
	tsrc := mustCard(t, a, tcust.ID, goodCard, 12, 2035)
	to, err := a.PlaceOrder(state.PlaceOrderParams{CustomerID: tcust.ID, SourceID: tsrc, Items: []state.PlaceItem{{SKUID: sku, Quantity: 1, Price: 20,
		SubscriptionInfo: &state.SubscriptionInfo{PlanID: f.plan, Terms: "terms"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.AcceptOrder(to.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.AdvanceTestClockBy(tc.ID, 40*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	wh, err := a.CreateWebhook(state.WebhookParams{Address: ptr("http://127.0.0.1:1/hook"), Types: &[]string{"order.accepted"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.SetWebhookSecret(wh.ID, "whsec_before"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.RotateWebhookSecret(wh.ID, "whsec_after", 12*time.Hour); err != nil {
		t.Fatal(err)
	}
	a.LogRequest(state.RequestLog{Method: "GET", Path: "/orders", Query: "limit=1", Status: 200, Time: wall})
	return s, a, f
}

func save(t *testing.T, s *state.Store) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := s.Save(&b); err != nil {
		t.Fatalf("Save: %v", err)
	}
	return b.Bytes()
}

// TestSnapshotRoundTrip saves a store with every kind of state, loads it into
// a new store and saves again: the two files must be identical, field for
// field (exported or not). A field that cannot be saved, or a change to the
// state types that the snapshot does not survive, fails here.
func TestSnapshotRoundTrip(t *testing.T) {
	s, a, f := richStore(t)
	first := save(t, s)
	restored := state.NewStore(nil, func() time.Time { return wall })
	if err := restored.Load(bytes.NewReader(first)); err != nil {
		t.Fatalf("Load: %v", err)
	}
	second := save(t, restored)
	if !bytes.Equal(first, second) {
		t.Fatalf("the state changed in a save/load/save round trip:\nfirst  %s\nsecond %s", first, second)
	}
	for _, want := range []string{"whsec_before", "whsec_after", `"bytes":"JVBERi`, "renewals", "cart"} {
		if !bytes.Contains(first, []byte(want)) {
			t.Errorf("the state file lacks %q", want)
		}
	}

	// The restored account works: same keys, same resources, and new ids never collide.
	b, public, ok := restored.Lookup(a.Keys().SecretKey)
	if !ok || public || b.ID() != a.ID() {
		t.Fatalf("restored account by secret key: ok %v public %v id %s", ok, public, b.ID())
	}
	// Events read back as the same JSON (their kept bytes are not saved).
	before, err := a.Events(state.EventFilter{ListParams: state.ListParams{Limit: 100}})
	if err != nil || len(before.Data) == 0 {
		t.Fatalf("events before saving: %v, %d", err, len(before.Data))
	}
	for _, e := range before.Data {
		got, err := b.Event(e.ID)
		if err != nil {
			t.Fatal(err)
		}
		gj, _ := got.JSON()
		wj, _ := e.JSON()
		if !bytes.Equal(gj, wj) {
			t.Fatalf("event %s after restore:\n%s\nbefore:\n%s", e.ID, gj, wj)
		}
	}
	if _, _, ok := restored.Lookup(a.Keys().PublicKey); !ok {
		t.Fatal("the public key was not restored")
	}
	sub, err := b.Subscription(f.sub)
	if err != nil {
		t.Fatal(err)
	}
	if sub.State != "active" {
		t.Errorf("restored subscription is %s", sub.State)
	}
	cust, err := b.CreateCustomer(state.CustomerParams{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Customer(cust.ID); err == nil {
		t.Errorf("a customer created after restore reused id %s", cust.ID)
	}
	links, err := b.FileLinks(state.FileLinkFilter{ListParams: state.ListParams{Limit: 10}})
	if err != nil || len(links.Data) != 1 {
		t.Fatalf("file links after restore: %v %d", err, len(links.Data))
	}
	id := strings.TrimPrefix(links.Data[0].URL[strings.LastIndex(links.Data[0].URL, "/"):], "/")
	if d, err := restored.DownloadLink(id); err != nil || len(d.Content) == 0 {
		t.Errorf("the file link does not download after restore: %v", err)
	}
	// The subscription schedule carries on from where it was.
	_, evs, err := b.AdvanceClock(40 * 24 * time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if types := strings.Join(describe(evs), " "); !strings.Contains(types, "subscription.extended") {
		t.Errorf("advancing the restored account's clock 40 days renewed nothing; events: %s", types)
	}
}

func TestSnapshotRefusesBadFiles(t *testing.T) {
	s, _, _ := richStore(t)
	good := save(t, s)
	tests := []struct {
		name, file, want string
	}{
		{"not JSON", "garbage", "not a drsim state file"},
		{"another format", `{"format":"x","version":1,"schema":"","savedAt":"2026-01-01T00:00:00Z","accounts":[]}`, "not a drsim state file"},
		{"another version", strings.Replace(string(good), `"version":1`, `"version":99`, 1), "another drsim version"},
		{"another schema", strings.Replace(string(good), `"schema":"`, `"schema":"0`, 1), "another drsim version"},
		{"a field renamed", strings.Replace(string(good), `"requests":`, `"requestz":`, 1), "requests is missing"},
		{"truncated", string(good[:len(good)/2]), "cut short"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fresh := state.NewStore(nil, nil)
			err := fresh.Load(strings.NewReader(tc.file))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load: %v; want an error mentioning %q", err, tc.want)
			}
			if len(fresh.Accounts()) != 0 {
				t.Errorf("a refused file left %d accounts behind", len(fresh.Accounts()))
			}
		})
	}
}

// A file cut short anywhere, or with a byte that breaks its JSON, is
// refused with where it breaks (the byte, and within the state), never a
// panic, and leaves nothing behind.
func TestSnapshotRefusesCutAndCorruptFiles(t *testing.T) {
	s, _, _ := richStore(t)
	good := save(t, s)
	accounts := bytes.Index(good, []byte(`"accounts":[`)) + len(`"accounts":[`)
	load := func(file []byte) error {
		t.Helper()
		fresh := state.NewStore(nil, nil)
		err := fresh.Load(bytes.NewReader(file))
		if err != nil && len(fresh.Accounts()) != 0 {
			t.Errorf("a refused file left %d accounts behind", len(fresh.Accounts()))
		}
		return err
	}
	step := max(1, len(good)/300)
	for cut := 0; cut < len(good)-1; cut += step {
		err := load(good[:cut])
		if err == nil {
			t.Fatalf("the file cut at byte %d of %d loaded", cut, len(good))
		}
		if cut <= accounts {
			continue
		}
		// The byte is where the value cut short starts, or the cut.
		m := regexp.MustCompile(`at byte (\d+) \(account`).FindStringSubmatch(err.Error())
		if m == nil {
			t.Fatalf("the file cut at byte %d: %v; want the byte and where in the account", cut, err)
		}
		if n, _ := strconv.Atoi(m[1]); n > cut || n < cut-4096 {
			t.Fatalf("the file cut at byte %d: %v; want the byte and where in the account", cut, err)
		}
	}
	// A customer's email with its closing quote gone: the JSON breaks
	// right after it.
	at := bytes.Index(good, []byte(`"Email":"`))
	end := at + len(`"Email":"`) + bytes.IndexByte(good[at+len(`"Email":"`):], '"')
	bad := slices.Concat(good[:end], good[end+1:])
	err := load(bad)
	if err == nil || !regexp.MustCompile(`at byte \d+ \(account\.customers\.items\[0\]\.v\): the file is cut short or is not valid JSON`).MatchString(err.Error()) {
		t.Fatalf("a broken email: %v", err)
	}
	if err := load(append(slices.Clip(good), "{}"...)); err == nil || !strings.Contains(err.Error(), "goes on after its end") {
		t.Fatalf("a file with more after it: %v", err)
	}
	ref := bytes.Index(good, []byte(`{"$ptr":`))
	if ref < 0 {
		t.Fatal("the rich store's file shares no pointer")
	}
	if err := load(slices.Concat(good[:ref], []byte(`{"$ptr":99999}`), good[ref+bytes.IndexByte(good[ref:], '}')+1:])); err == nil || !strings.Contains(err.Error(), "a bad shared pointer 99999") {
		t.Fatalf("a shared pointer to nothing: %v", err)
	}
}

// Round trips at the edges: no account at all, an account with nothing in
// it, and events whose objects hold what JSON must escape and what looks
// like the event's own layout (a previousAttributes member, braces in
// strings).
func TestSnapshotRoundTripEdges(t *testing.T) {
	roundTrip := func(t *testing.T, s *state.Store) (*state.Store, []byte) {
		t.Helper()
		first := save(t, s)
		restored := state.NewStore(nil, func() time.Time { return wall })
		if err := restored.Load(bytes.NewReader(first)); err != nil {
			t.Fatalf("Load: %v\n%s", err, first)
		}
		if second := save(t, restored); !bytes.Equal(first, second) {
			t.Fatalf("the state changed in a save/load/save round trip:\nfirst  %s\nsecond %s", first, second)
		}
		return restored, first
	}
	t.Run("no account", func(t *testing.T) {
		restored, file := roundTrip(t, state.NewStore(nil, func() time.Time { return wall }))
		if !bytes.Contains(file, []byte(`"accounts":null`)) || len(restored.Accounts()) != 0 {
			t.Fatalf("%d accounts from %s", len(restored.Accounts()), file)
		}
	})
	t.Run("an empty account", func(t *testing.T) {
		s := state.NewStore(nil, func() time.Time { return wall })
		keys := s.CreateAccount()
		restored, _ := roundTrip(t, s)
		if _, _, ok := restored.Lookup(keys.SecretKey); !ok || len(restored.Accounts()) != 1 {
			t.Fatalf("the empty account was not restored")
		}
	})
	t.Run("escapes in events", func(t *testing.T) {
		s := state.NewStore(nil, func() time.Time { return wall })
		keys := s.CreateAccount()
		a, _, _ := s.Lookup(keys.SecretKey)
		email := "o'brien+x&y@example.test"
		c, err := a.CreateCustomer(state.CustomerParams{Email: &email, Metadata: map[string]any{
			"previousAttributes": map[string]any{"a": "}]\"{"}, "line\u2028sep": "tab\there", "é": "ü\\",
		}})
		if err != nil {
			t.Fatal(err)
		}
		other := "other@example.test"
		if _, err := a.UpdateCustomer(c.ID, state.CustomerParams{Email: &other}); err != nil {
			t.Fatal(err)
		}
		restored, _ := roundTrip(t, s)
		b, _, _ := restored.Lookup(keys.SecretKey)
		before, err := a.Events(state.EventFilter{ListParams: state.ListParams{Limit: 100}})
		if err != nil || len(before.Data) != 2 {
			t.Fatalf("events: %v %d", err, len(before.Data))
		}
		for _, e := range before.Data {
			got, err := b.Event(e.ID)
			if err != nil {
				t.Fatal(err)
			}
			gj, _ := got.JSON()
			wj, _ := e.JSON()
			if !bytes.Equal(gj, wj) || !bytes.Equal(got.Data.Object, e.Data.Object) || !bytes.Equal(got.Data.PreviousAttributes, e.Data.PreviousAttributes) {
				t.Fatalf("event %s after restore:\n%s\nbefore:\n%s", e.ID, gj, wj)
			}
		}
		got, err := b.Customer(c.ID)
		if err != nil || got.Email != other || got.Metadata["previousAttributes"].(map[string]any)["a"] != "}]\"{" {
			t.Fatalf("customer after restore: %+v, %v", got, err)
		}
	})
}
