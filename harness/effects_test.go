package harness_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/drsim/drsim/harness"
	"github.com/drsim/drsim/harness/profile"
	"github.com/drsim/drsim/internal/testrig"
	"github.com/drsim/drsim/simulator"
)

// fulfilMerchant is a merchant unlike the reference one: its admin posts
// fulfillments to DR as it is told, or (mode) cancels whole lines, ships
// under another tracking number, or does nothing at all.
type fulfilMerchant struct {
	dr, key string
	mode    string
}

func (m *fulfilMerchant) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Order    string `json:"order"`
		Tracking string `json:"tracking"`
		Items    []struct {
			ID       string `json:"id"`
			Quantity int    `json:"quantity"`
			Ordered  int    `json:"ordered"`
		} `json:"items"`
	}
	if r.URL.Path == "/hook" {
		return
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if m.mode == "nothing" {
		w.WriteHeader(http.StatusAccepted)
		return
	}
	var items []map[string]any
	for _, it := range req.Items {
		q := it.Quantity
		if m.mode == "whole-line" {
			q = it.Ordered
		}
		key := "quantity"
		if r.URL.Path == "/cancel" {
			key = "cancelQuantity"
		}
		items = append(items, map[string]any{"itemId": it.ID, key: q})
	}
	tracking := req.Tracking
	switch m.mode {
	case "other-tracking":
		tracking = "WRONG1"
	case "no-tracking":
		tracking = ""
	}
	body, _ := json.Marshal(map[string]any{"orderId": req.Order, "items": items, "trackingNumber": tracking, "trackingCompany": "UPS"})
	dr, _ := http.NewRequestWithContext(r.Context(), "POST", m.dr+"/fulfillments", bytes.NewReader(body))
	dr.Header.Set("Authorization", "Bearer "+m.key)
	dr.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(dr)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	resp.Body.Close()
	w.WriteHeader(resp.StatusCode)
}

func TestEffectsCheckedInDR(t *testing.T) {
	ctx := context.Background()
	sim, mb, cat := testrig.Services(t, simulator.Options{})
	const key = "sk_test_effects000000000000"
	m := &fulfilMerchant{dr: sim.URL(), key: key}
	srv := httptest.NewServer(m)
	defer srv.Close()
	items := `"items":[{{range $i, $it := .Items}}{{if $i}},{{end}}{"id":{{json $it.ItemID}},"quantity":{{$it.Quantity}},"ordered":{{range $.Order.Items}}{{if eq .ItemID $it.ItemID}}{{.Quantity}}{{end}}{{end}}}{{end}}]`
	newHarness := func(t *testing.T, cannot string) *harness.Harness {
		p, err := profile.Parse("p.yaml", []byte(fmt.Sprintf(`
webhook: {url: "%[1]s/hook", signingSecret: whsec_effects}
api: {secretKey: %[2]s}
merchant: {url: "%[1]s"}
timeouts: {email: 1s}
actions:
  ship: {path: /ship, json: '{"order":{{json .Order.ID}},"tracking":{{json .TrackingNumber}},%[3]s}'}
  cancel: {path: /cancel, json: '{"order":{{json .Order.ID}},%[3]s}'%[4]s}
`, srv.URL, key, items, cannot)))
		if err != nil {
			t.Fatal(err)
		}
		h, err := harness.New(ctx, harness.Config{Profile: p, Catalogue: cat, SimulatorURL: sim.URL(), Mailbox: mb})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	start := func(t *testing.T, h *harness.Harness) *harness.Scenario {
		sc := testrig.Ordered(t, h)
		if err := sc.AcceptOrder(ctx, ""); err != nil {
			t.Fatal(err)
		}
		return sc
	}
	h := newHarness(t, "")
	tests := []struct {
		mode, action, want string
	}{
		{"", "cancel", ""},
		{"", "ship", ""},
		{"whole-line", "cancel", `Digital River shows 2 "Trail lantern" (asked 1) cancelled: the merchant did more than asked (request: 1 "Trail lantern")`},
		{"other-tracking", "ship", `Digital River shows tracking number "1Z1" on no shipment (its shipments carry "WRONG1") (request: 1 "Trail lantern"); the units are shipped: did the merchant pass the tracking number as trackingNumber`},
		{"no-tracking", "ship", `Digital River shows tracking number "1Z1" on no shipment (its shipments carry none) (request: 1 "Trail lantern"); the units are shipped: did the merchant pass the tracking number as trackingNumber in POST /fulfillments?`},
		{"nothing", "cancel", `Digital River shows only cancelled 0 of 1 "Trail lantern" (request: 1 "Trail lantern"); did the merchant call POST /fulfillments?`},
	}
	for _, tc := range tests {
		t.Run(tc.mode+" "+tc.action, func(t *testing.T) {
			m.mode = tc.mode
			sc := start(t, h)
			sel := harness.Selection{Product: "Trail lantern", Quantity: 1}
			var err error
			if tc.action == "ship" {
				err = sc.Ship(ctx, sel, "UPS", "1Z1")
			} else {
				err = sc.Cancel(ctx, sel)
			}
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("err = %v, want none", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("err = %v\nwant it to contain %s", err, tc.want)
			}
		})
	}

	t.Run("whole items only: part of an item is not applicable, the rest is", func(t *testing.T) {
		m.mode = "whole-line"
		h := newHarness(t, ", cannot: [partialQuantity]")
		sc := start(t, h)
		err := sc.Cancel(ctx, harness.Selection{Product: "Trail lantern", Quantity: 1})
		if !harness.IsNotApplicable(err) || !strings.Contains(sc.NotApplicable(), "cannot act on part of an item") {
			t.Fatalf("err = %v, NotApplicable = %q; want not applicable with the reason", err, sc.NotApplicable())
		}
		sc = start(t, h)
		if err := sc.Cancel(ctx, harness.Selection{}); err != nil {
			t.Fatalf("cancelling every remaining unit: %v", err)
		}
		if sc.NotApplicable() != "" {
			t.Errorf("NotApplicable = %q after a whole-order cancel", sc.NotApplicable())
		}
	})
}
