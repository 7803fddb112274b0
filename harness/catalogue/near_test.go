package catalogue

import (
	"strings"
	"testing"
)

// An attempt count is found only next to a word that says it is one: a
// quantity or a price with the same digits does not satisfy it.
func TestNumberNearItsLabel(t *testing.T) {
	c, err := Parse("near.yaml", []byte(`notifications:
  - id: billing-failed
    name: Billing failed
    trigger: subscription.payment_failed
    recipient: email
    attributes:
      - {name: attemptCount, path: attemptCount, match: number, near: [attempt, versuch, tentative]}
`))
	if err != nil {
		t.Fatal(err)
	}
	n, err := c.Get("billing failed")
	if err != nil {
		t.Fatal(err)
	}
	obj := map[string]any{"attemptCount": float64(2)}
	for _, tc := range []struct {
		body  string
		found bool
	}{
		{"We could not charge your card.\nMusic box × 2\nQuantity: 2", false}, // the quantity is not the attempt
		{"Attempt 12 failed\nQuantity: 2", false},                             // 12 is not 2
		{"We could not charge your card.\nAttempt 2 of 4\nQuantity: 1", true}, // on the attempt's line
		{"Abbuchungsversuch Nr. 2 wurde abgelehnt", true},                     // inside a German compound
		{"Tentative de paiement n° 2 refusée", true},                          // French
		{"Attempt\n2", false}, // another line
	} {
		r := n.Check(obj, Email{Body: tc.body})
		if got := r.Err() == nil; got != tc.found {
			t.Errorf("body %q: found = %v, want %v (%v)", tc.body, got, tc.found, r.Err())
		}
		if !tc.found && r.Err() != nil && !strings.Contains(r.Err().Error(), "2 on a line with attempt/versuch/tentative") {
			t.Errorf("the failure does not say what was looked for: %v", r.Err())
		}
	}
	if _, err := Parse("bad.yaml", []byte(`notifications:
  - id: x
    name: X
    trigger: order.accepted
    recipient: email
    attributes:
      - {name: id, path: id, match: text, near: [order]}
`)); err == nil || !strings.Contains(err.Error(), "near is for match number") {
		t.Errorf("near on a text attribute: err = %v", err)
	}
}

// distinctFrom works both ways and names only notifications of the same
// trigger.
func TestDistinctFrom(t *testing.T) {
	c, err := Parse("twins.yaml", []byte(`notifications:
  - {id: a, name: A, trigger: order.accepted, recipient: email, distinctFrom: [b]}
  - {id: b, name: B, trigger: order.accepted, recipient: email}
  - {id: c, name: C, trigger: order.accepted, recipient: email}
`))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := c.Get("a")
	b, _ := c.Get("b")
	cc, _ := c.Get("c")
	if tw := c.Twins(a); len(tw) != 1 || tw[0].ID != "b" {
		t.Errorf("Twins(a) = %v, want [b]", tw)
	}
	if tw := c.Twins(b); len(tw) != 1 || tw[0].ID != "a" {
		t.Errorf("Twins(b) = %v, want [a] (distinctFrom works both ways)", tw)
	}
	if tw := c.Twins(cc); len(tw) != 0 {
		t.Errorf("Twins(c) = %v, want none", tw)
	}
	for yaml, want := range map[string]string{
		`notifications:
  - {id: a, name: A, trigger: order.accepted, recipient: email, distinctFrom: [nope]}
`: `distinctFrom "nope" is not a notification`,
		`notifications:
  - {id: a, name: A, trigger: order.accepted, recipient: email, distinctFrom: [b]}
  - {id: b, name: B, trigger: order.refunded, recipient: email}
`: `has another trigger`,
	} {
		if _, err := Parse("bad.yaml", []byte(yaml)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want %q", err, want)
		}
	}
}
