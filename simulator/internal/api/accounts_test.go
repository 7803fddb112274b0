package api_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestAccountsAreIsolated(t *testing.T) {
	e := newEnv(t, 0)
	a := e.newAccount().secret
	b := e.newAccount()
	rc := newReceiver(t, nil)

	sku := a.createSKU("Widget")
	cust := a.createCustomer("jan@example.test")
	src := a.createCard("4444222233331111")
	hook := a.createWebhook(rc.url, "order.accepted")
	o := a.placeOrder(cust, sku)
	ev := a.events("?limit=1").Data[0]

	for _, p := range []string{
		"/skus/" + sku, "/customers/" + cust, "/sources/" + src.ID, "/webhooks/" + hook,
		"/orders/" + o.ID, "/events/" + ev.ID, "/_sim/webhooks/" + hook + "/secret",
	} {
		a.must("GET", p, nil, http.StatusOK, nil)
		b.secret.mustError("GET", p, nil, http.StatusNotFound, "not_found", "id")
	}
	b.public.mustError("GET", "/sources/"+src.ID, nil, http.StatusNotFound, "not_found", "id")
	// Writes with B's key cannot reach A's resources either.
	b.secret.mustError("POST", "/customers/"+cust, `{"email":"stolen@example.test"}`, http.StatusNotFound, "not_found", "id")
	b.secret.mustError("DELETE", "/skus/"+sku, nil, http.StatusNotFound, "not_found", "id")
	b.secret.mustError("PATCH", "/webhooks/"+hook, `{"enabled":false}`, http.StatusNotFound, "not_found", "id")
	b.secret.mustError("POST", "/customers/"+cust+"/sources/"+src.ID, nil, http.StatusNotFound, "not_found", "id")
	b.secret.mustError("POST", "/_sim/orders/"+o.ID+"/accept", nil, http.StatusNotFound, "not_found", "id")
	b.secret.mustError("POST", "/_sim/orders", map[string]any{"customerId": cust, "items": []map[string]any{{"skuId": sku, "quantity": 1, "price": 1}}},
		http.StatusNotFound, "not_found", "id")
	b.secret.mustError("POST", "/_sim/events/"+ev.ID+"/deliveries", `{}`, http.StatusNotFound, "not_found", "id")

	// B's lists are empty; A's are untouched.
	for _, p := range []string{"/skus", "/customers", "/orders", "/events", "/webhooks", "/_sim/deliveries"} {
		var pg page[idOnly]
		b.secret.must("GET", p, nil, http.StatusOK, &pg)
		if len(pg.Data) != 0 {
			t.Fatalf("account B's GET %s lists %d of A's objects", p, len(pg.Data))
		}
	}
	var c customer
	a.must("GET", "/customers/"+cust, nil, http.StatusOK, &c)
	if c.Email != "jan@example.test" {
		t.Fatalf("A's customer email %q after B's attempts, want jan@example.test", c.Email)
	}
	if _, err := e.store.CreateAccountWithKey(b.keys.SecretKey); err == nil {
		t.Fatal("a second account with B's secret key was created")
	}
}

func TestAccountWithAChosenKey(t *testing.T) {
	e := newEnv(t, 0)
	const key = "sk_test_merchant_configured_0001"
	cl := client{e: e}
	var keys struct {
		SecretKey string `json:"secretKey"`
		PublicKey string `json:"publicKey"`
	}
	cl.must("POST", "/_sim/accounts", map[string]string{"secretKey": key}, http.StatusCreated, &keys)
	if keys.SecretKey != key || !strings.HasPrefix(keys.PublicKey, "pk_test_") {
		t.Fatalf("keys %+v, want secret %s and a pk_test_ key", keys, key)
	}
	e.as(key).createSKU("Widget")
	cl.mustError("POST", "/_sim/accounts", map[string]string{"secretKey": key}, http.StatusBadRequest, "invalid_parameter", "secretKey")
}

func TestSourcesAndCustomers(t *testing.T) {
	e := newEnv(t, 0)
	acct := e.newAccount()
	c, pub := acct.secret, acct.public

	// The public key creates and reads sources, and nothing else.
	s1 := pub.createCard("4444 2222 3333 1111")
	if s1.State != "chargeable" || s1.Reusable || s1.Type != "creditCard" || s1.CustomerID != "" {
		t.Fatalf("new source %+v, want a chargeable, non-reusable creditCard with no customer", s1)
	}
	if s1.CreditCard.Brand != "Visa" || s1.CreditCard.LastFourDigits != "1111" || s1.CreditCard.ExpirationMonth != 7 || s1.CreditCard.ExpirationYear != 2031 {
		t.Fatalf("card %+v, want Visa 1111 07/2031", s1.CreditCard)
	}
	if !strings.HasPrefix(s1.ClientSecret, s1.ID+"_") {
		t.Fatalf("clientSecret %q, want %s_<uuid>", s1.ClientSecret, s1.ID)
	}
	raw := pub.must("GET", "/sources/"+s1.ID, nil, http.StatusOK, nil)
	if strings.Contains(string(raw), "4444222233331111") || strings.Contains(string(raw), `"cvv"`) {
		t.Fatalf("GET /sources/{id} leaks the card number or CVV: %s", raw)
	}
	for _, p := range []string{"/customers", "/events", "/orders"} {
		if status, body := pub.do("GET", p, nil); status != http.StatusUnauthorized || string(body) != unauthorizedBody {
			t.Fatalf("public key GET %s: %d %s, want DR's 401", p, status, body)
		}
	}
	if status, _ := pub.do("POST", "/customers", `{}`); status != http.StatusUnauthorized {
		t.Fatalf("public key POST /customers: %d, want 401", status)
	}
	s2 := c.createCard("5466160000000008")
	if s2.CreditCard.Brand != "MasterCard" || s2.CreditCard.LastFourDigits != "0008" {
		t.Fatalf("card %+v, want MasterCard 0008", s2.CreditCard)
	}

	alice := c.createCustomer("alice@example.test")
	bob := c.createCustomer("bob@example.test")

	// The first attached source becomes the default.
	var att source
	c.must("POST", "/customers/"+alice+"/sources/"+s1.ID, nil, http.StatusOK, &att)
	if att.ID != s1.ID || !att.Reusable || att.CustomerID != alice || att.State != "chargeable" {
		t.Fatalf("attach returned %+v, want the source, reusable, customerId %s", att, alice)
	}
	c.must("POST", "/customers/"+alice+"/sources/"+s2.ID, nil, http.StatusOK, nil)
	cu := c.getCustomer(alice)
	if cu.DefaultSourceID != s1.ID || len(cu.Sources) != 2 || cu.Sources[0].ID != s1.ID || cu.Sources[1].ID != s2.ID {
		t.Fatalf("customer after two attaches: default %q, sources %v; want default %s and [%s %s]", cu.DefaultSourceID, sourceIDs(cu.Sources), s1.ID, s1.ID, s2.ID)
	}
	// Attaching again to the same customer changes nothing.
	c.must("POST", "/customers/"+alice+"/sources/"+s1.ID, nil, http.StatusOK, nil)
	if cu := c.getCustomer(alice); len(cu.Sources) != 2 {
		t.Fatalf("re-attaching duplicated the source: %v", sourceIDs(cu.Sources))
	}
	// Another customer's source is in use.
	c.mustError("POST", "/customers/"+bob+"/sources/"+s1.ID, nil, http.StatusConflict, "source_in_use", "")

	// Detach cancels the source; it cannot be attached again.
	if status, body := c.do("DELETE", "/customers/"+alice+"/sources/"+s1.ID, nil); status != http.StatusNoContent || len(body) != 0 {
		t.Fatalf("detach: %d %q, want 204 and no body", status, body)
	}
	var detached source
	c.must("GET", "/sources/"+s1.ID, nil, http.StatusOK, &detached)
	if detached.State != "cancelled" {
		t.Fatalf("detached source is %s, want cancelled", detached.State)
	}
	cu = c.getCustomer(alice)
	if len(cu.Sources) != 1 || cu.Sources[0].ID != s2.ID || cu.DefaultSourceID == s1.ID {
		t.Fatalf("after detach: sources %v default %q; want only %s and not the detached default", sourceIDs(cu.Sources), cu.DefaultSourceID, s2.ID)
	}
	c.mustError("POST", "/customers/"+alice+"/sources/"+s1.ID, nil, http.StatusConflict, "source_not_chargeable", "")
	c.mustError("DELETE", "/customers/"+alice+"/sources/"+s1.ID, nil, http.StatusNotFound, "not_found", "id")

	// A source that failed, or was consumed by a one-off order, is not chargeable.
	failed := c.createCard("4000000000003295")
	if failed.State != "failed" {
		t.Fatalf("test card 4000000000003295 gave a %s source, want failed", failed.State)
	}
	c.mustError("POST", "/customers/"+bob+"/sources/"+failed.ID, nil, http.StatusConflict, "source_not_chargeable", "")
	once := c.createCard("4444222233331111")
	c.must("POST", "/_sim/orders", map[string]any{
		"customerId": bob, "sourceId": once.ID,
		"items": []map[string]any{{"skuId": c.createSKU("Widget"), "quantity": 1, "price": 5}},
	}, http.StatusCreated, nil)
	c.mustError("POST", "/customers/"+bob+"/sources/"+once.ID, nil, http.StatusConflict, "source_not_chargeable", "")

	// Attach and detach are events.
	created := c.events("?type=customer.source.created").Data
	deleted := c.events("?type=customer.source.deleted").Data
	if len(created) != 2 || len(deleted) != 1 {
		t.Fatalf("%d customer.source.created and %d .deleted events, want 2 and 1", len(created), len(deleted))
	}
	var obj source
	deleted[0].object(t, &obj)
	if obj.ID != s1.ID || obj.State != "cancelled" {
		t.Fatalf("customer.source.deleted carries %s in state %s, want %s cancelled", obj.ID, obj.State, s1.ID)
	}
}

func (c client) getCustomer(id string) customer {
	c.e.t.Helper()
	var cu customer
	c.must("GET", "/customers/"+id, nil, http.StatusOK, &cu)
	return cu
}

func sourceIDs(ss []source) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.ID
	}
	return out
}

func TestOrderAcceptOverHTTP(t *testing.T) {
	e := newEnv(t, 0)
	c := e.newAccount().secret
	o := c.placeOrder(c.createCustomer("kim@example.test"), c.createSKU("Widget"))
	if o.State != "pending_payment" || o.TotalAmount != 27.01 {
		t.Fatalf("placed order state %s total %v, want pending_payment 27.01", o.State, o.TotalAmount)
	}
	got := c.accept(o.ID)
	if got.State != "accepted" || got.StateTransitions["accepted"].IsZero() || got.StateTransitions["pending_payment"].IsZero() {
		t.Fatalf("accepted order state %s transitions %v, want accepted with pending_payment and accepted times", got.State, got.StateTransitions)
	}
	c.mustError("POST", "/_sim/orders/"+o.ID+"/accept", nil, http.StatusConflict, "invalid_state", "")
	var listed page[order]
	c.must("GET", "/orders?state=accepted", nil, http.StatusOK, &listed)
	if len(listed.Data) != 1 || listed.Data[0].ID != o.ID {
		t.Fatalf("GET /orders?state=accepted: %+v, want the order", listed.Data)
	}
}
