package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
)

// POST /customers answers with the bytes its customer.created event
// carries: the same JSON GET /customers/{id} writes for the new customer,
// and the event's data.object, byte for byte (shipping, metadata and
// non-ASCII included).
func TestCreateCustomerAnswersItsEventsObject(t *testing.T) {
	e := newEnv(t, 0)
	acct := e.newAccount()
	body := `{"email":"zoë@example.test","locale":"de_DE","type":"business","metadata":{"k":"v <&>","n":[1,2.5,null]},"shipping":{"name":"Zoë Ünal","address":{"line1":"Königstraße 5","city":"Zürich","postalCode":"8001","country":"CH"}}}`
	created := acct.secret.must("POST", "/customers", body, http.StatusCreated, nil)
	var c struct{ ID string }
	if err := json.Unmarshal(created, &c); err != nil || c.ID == "" {
		t.Fatalf("created %s: %v", created, err)
	}
	got := acct.secret.must("GET", "/customers/"+c.ID, nil, http.StatusOK, nil)
	if !bytes.Equal(created, got) {
		t.Fatalf("POST answered\n%s\nGET writes\n%s", created, got)
	}
	evs := acct.secret.events("?type=customer.created")
	if len(evs.Data) != 1 {
		t.Fatalf("%d customer.created events, want 1", len(evs.Data))
	}
	var d struct {
		Object json.RawMessage `json:"object"`
	}
	if err := json.Unmarshal(evs.Data[0].Data, &d); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(created, d.Object) {
		t.Fatalf("POST answered\n%s\nthe event carries\n%s", created, d.Object)
	}
}
