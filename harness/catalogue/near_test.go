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
