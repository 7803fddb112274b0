package api_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"testing"
)

// DR's billing-invoice writes (docs/dr-api.md#invoice-billing-invoice-not-a-pdf):
// POST /invoices makes a draft, POST /invoices/{id} changes metadata,
// /open takes a draft to open, /void an open invoice to void (else 409
// invalid_state), DELETE removes a draft. Each state change emits
// invoice.<state> and invoice.updated.
func TestInvoiceWritesOverHTTP(t *testing.T) {
	e := newEnv(t, 0)
	c := e.newAccount().secret
	sku := c.createSKU("Athena Womens Running Shoes")
	cust := c.createCustomer("invoiced@example.test")
	card := c.createCard("5466160000000008")
	c.must("POST", "/customers/"+cust+"/sources/"+card.ID, nil, http.StatusOK, nil)

	var inv invoice
	c.must("POST", "/invoices", map[string]any{
		"customerId": cust, "currency": "USD", "description": "Support plan",
		"items":    []map[string]any{{"skuId": sku, "price": 5.01, "quantity": 5}},
		"metadata": map[string]any{"ref": "A-1"},
	}, http.StatusCreated, &inv)
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(inv.ID) || inv.State != "draft" || inv.Description != "Support plan" ||
		len(inv.Items) != 1 || inv.Items[0].Amount != 25.05 || inv.Items[0].Quantity != 5 || inv.Items[0].ProductDetails.Name != "Athena Womens Running Shoes" ||
		inv.Subtotal != 25.05 || inv.TotalAmount != 25.05 || inv.AttemptCount != 0 ||
		len(inv.Payment.Sources) != 1 || inv.Payment.Sources[0].CreditCard.LastFourDigits != "0008" || len(inv.Payment.Charges) != 0 {
		t.Fatalf("created invoice %+v", inv)
	}
	if _, ok := inv.StateTransitions["draft"]; !ok {
		t.Fatalf("stateTransitions %v, want draft", inv.StateTransitions)
	}

	// Void needs an open invoice: a draft is 409 invalid_state, and stays draft.
	c.mustError("POST", "/invoices/"+inv.ID+"/void", nil, 409, "invalid_state", "")
	var got invoice
	c.must("GET", "/invoices/"+inv.ID, nil, http.StatusOK, &got)
	if got.State != "draft" {
		t.Fatalf("after a refused void: %s, want draft", got.State)
	}

	// Metadata: invoice.updated with the old value.
	var updated struct {
		Metadata map[string]any `json:"metadata"`
	}
	c.must("POST", "/invoices/"+inv.ID, map[string]any{"metadata": map[string]any{"ref": "A-2"}}, http.StatusOK, &updated)
	if !reflect.DeepEqual(updated.Metadata, map[string]any{"ref": "A-2"}) {
		t.Fatalf("metadata %v", updated.Metadata)
	}
	c.mustError("POST", "/invoices/"+inv.ID, `{}`, 400, "missing_parameter", "metadata")

	c.must("POST", "/invoices/"+inv.ID+"/open", nil, http.StatusOK, &got)
	if got.State != "open" {
		t.Fatalf("opened: %s", got.State)
	}
	c.mustError("POST", "/invoices/"+inv.ID+"/open", nil, 409, "invalid_state", "")
	c.mustError("DELETE", "/invoices/"+inv.ID, nil, 409, "invalid_state", "")
	c.must("POST", "/invoices/"+inv.ID+"/void", `{}`, http.StatusOK, &got)
	if got.State != "void" || len(got.StateTransitions) != 3 {
		t.Fatalf("voided: %s %v", got.State, got.StateTransitions)
	}
	c.mustError("POST", "/invoices/"+inv.ID+"/void", nil, 409, "invalid_state", "")

	var evs []string
	var prevs []string
	for _, ev := range c.events("?type=invoice.*&limit=100").Data {
		evs = append([]string{ev.Type}, evs...) // oldest first
		var d struct {
			PreviousAttributes json.RawMessage `json:"previousAttributes"`
		}
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			t.Fatal(err)
		}
		if ev.Type == "invoice.updated" {
			prevs = append([]string{string(d.PreviousAttributes)}, prevs...)
		}
	}
	want := []string{"invoice.created", "invoice.updated", "invoice.open", "invoice.updated", "invoice.void", "invoice.updated"}
	if !reflect.DeepEqual(evs, want) {
		t.Fatalf("events %v, want %v", evs, want)
	}
	if wantPrev := []string{`{"metadata":{"ref":"A-1"}}`, `{"state":"draft"}`, `{"state":"open"}`}; !reflect.DeepEqual(prevs, wantPrev) {
		t.Fatalf("invoice.updated previousAttributes %v, want %v", prevs, wantPrev)
	}

	// A draft can be deleted: 204, then 404.
	var draft invoice
	c.must("POST", "/invoices", map[string]any{"customerId": cust, "currency": "EUR", "items": []map[string]any{{"skuId": sku, "price": 1}}}, http.StatusCreated, &draft)
	status, body := c.do("DELETE", "/invoices/"+draft.ID, nil)
	if status != http.StatusNoContent || len(body) != 0 {
		t.Fatalf("DELETE draft: %d %q", status, body)
	}
	c.mustError("GET", "/invoices/"+draft.ID, nil, 404, "not_found", "id")
}

// A subscription's invoice is its schedule's: the invoice API does not open,
// void or delete it (409 invalid_state), and changes nothing trying.
func TestSubscriptionInvoiceIsNotWritable(t *testing.T) {
	e := newEnv(t, 0)
	c := e.newAccount().secret
	s, _, _, clk := subscribeOverHTTP(c, map[string]any{"name": "Monthly", "interval": "month", "reminderOffsetDays": 7}, 10, 1)
	c.must("POST", "/_sim/test-clocks/"+clk+"/advance", map[string]any{"advance": "600h"}, http.StatusOK, nil) // past the reminder
	var invs page[invoice]
	c.must("GET", "/invoices?subscriptionId="+s.ID, nil, http.StatusOK, &invs)
	if len(invs.Data) != 1 || invs.Data[0].State != "draft" {
		t.Fatalf("invoices %+v, want the reminder's draft", invs.Data)
	}
	id := invs.Data[0].ID
	c.mustError("POST", "/invoices/"+id+"/open", nil, 409, "invalid_state", "")
	c.mustError("DELETE", "/invoices/"+id, nil, 409, "invalid_state", "")
	c.mustError("POST", "/invoices/"+id+"/void", nil, 409, "invalid_state", "")
	var got invoice
	c.must("GET", "/invoices/"+id, nil, http.StatusOK, &got)
	if got.State != "draft" {
		t.Fatalf("after refused writes: %s, want draft", got.State)
	}
	c.must("POST", "/invoices/"+id, map[string]any{"metadata": map[string]any{"note": "ok"}}, http.StatusOK, nil)
}
