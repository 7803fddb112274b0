package state

import "testing"

// A PlaceOrder that fails (an unknown SKU) stores no default card source.
func TestFailedPlaceOrderStoresNoSource(t *testing.T) {
	a := docAccount(t)
	email := "ana@example.test"
	c, err := a.CreateCustomer(CustomerParams{Email: &email})
	if err != nil {
		t.Fatal(err)
	}
	before := len(a.sources.order)
	_, err = a.PlaceOrder(PlaceOrderParams{CustomerID: c.ID, Items: []PlaceItem{{SKUID: "nope", Quantity: 1, Price: 1}}})
	if err == nil {
		t.Fatal("PlaceOrder with an unknown SKU succeeded")
	}
	if after := len(a.sources.order); after != before {
		t.Fatalf("a failed PlaceOrder stored %d source(s)", after-before)
	}
}
