package state

import (
	"bufio"
	"bytes"
	"testing"
)

// A PlaceOrder that fails (an unknown SKU) stores no default card source.
func TestFailedPlaceOrderStoresNoSource(t *testing.T) {
	a := docAccount(t)
	email := "ana@example.test"
	c, err := a.CreateCustomer(CustomerParams{Email: &email})
	if err != nil {
		t.Fatal(err)
	}
	before := a.sources.len()
	_, err = a.PlaceOrder(PlaceOrderParams{CustomerID: c.ID, Items: []PlaceItem{{SKUID: "nope", Quantity: 1, Price: 1}}})
	if err == nil {
		t.Fatal("PlaceOrder with an unknown SKU succeeded")
	}
	if after := a.sources.len(); after != before {
		t.Fatalf("a failed PlaceOrder stored %d source(s)", after-before)
	}
}

// Every way PlaceOrder can fail leaves the whole account as it was: the
// account's snapshot (every field, private ones included, as the -state
// file writes it) is byte for byte the same before and after.
func TestFailedPlaceOrderChangesNothing(t *testing.T) {
	a := docAccount(t)
	email, name := "ana@example.test", "Desk lamp"
	withEmail, err := a.CreateCustomer(CustomerParams{Email: &email})
	if err != nil {
		t.Fatal(err)
	}
	noEmail, err := a.CreateCustomer(CustomerParams{})
	if err != nil {
		t.Fatal(err)
	}
	off := false
	disabled, err := a.CreateCustomer(CustomerParams{Email: &email, Enabled: &off})
	if err != nil {
		t.Fatal(err)
	}
	sku, _, err := a.CreateSKU(SKUParams{Name: &name}, false)
	if err != nil {
		t.Fatal(err)
	}
	declining, err := a.CreateSource(SourceParams{Type: "creditCard", CreditCard: &CardParams{Number: "4000000000003600", ExpirationMonth: 12, ExpirationYear: docWall.Year() + 2}})
	if err != nil {
		t.Fatal(err)
	}
	line := []PlaceItem{{SKUID: sku.ID, Quantity: 1, Price: 10}}
	cases := []struct {
		name string
		p    PlaceOrderParams
	}{
		{"no customer id", PlaceOrderParams{Items: line}},
		{"unknown customer", PlaceOrderParams{CustomerID: "nobody", Items: line}},
		{"bad currency", PlaceOrderParams{CustomerID: withEmail.ID, Currency: "DOLLARS", Items: line}},
		{"disabled customer", PlaceOrderParams{CustomerID: disabled.ID, Items: line}},
		{"no email anywhere", PlaceOrderParams{CustomerID: noEmail.ID, Items: line}},
		{"unknown SKU after a good line", PlaceOrderParams{CustomerID: withEmail.ID, Items: append(line[:1:1], PlaceItem{SKUID: "nope", Quantity: 1, Price: 1})}},
		{"unknown source", PlaceOrderParams{CustomerID: withEmail.ID, SourceID: "src_nope", Items: line}},
		{"declining card", PlaceOrderParams{CustomerID: withEmail.ID, SourceID: declining.ID, Items: line}},
		{"unknown plan", PlaceOrderParams{CustomerID: withEmail.ID, Items: []PlaceItem{{SKUID: sku.ID, Quantity: 1, Price: 10, SubscriptionInfo: &SubscriptionInfo{PlanID: "plan_nope"}}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before, err := a.snapshotJSON()
			if err != nil {
				t.Fatal(err)
			}
			o, placeErr := a.PlaceOrder(c.p)
			if placeErr == nil {
				t.Fatalf("PlaceOrder succeeded with order %s; want a refusal", o.ID)
			}
			after, err := a.snapshotJSON()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, after) {
				i := 0
				for i < len(before) && i < len(after) && before[i] == after[i] {
					i++
				}
				from := max(0, i-80)
				t.Fatalf("PlaceOrder failed (%v) but changed the account; snapshots differ at byte %d:\nbefore …%s\nafter  …%s",
					placeErr, i, before[from:min(len(before), i+160)], after[from:min(len(after), i+160)])
			}
		})
	}
}

// snapshotJSON is the account as a state file keeps it.
func (a *Account) snapshotJSON() ([]byte, error) {
	var b bytes.Buffer
	e := &encoder{w: bufio.NewWriter(&b)}
	if err := a.snapshot(e); err != nil {
		return nil, err
	}
	e.flush()
	if err := e.w.Flush(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
