package catalogue

import "testing"

// A wording alternative is a whole word or phrase: "sent" is not in
// "sentimos", but is in "was sent." and "SENT".
func TestFindWord(t *testing.T) {
	for _, tc := range []struct {
		text, w string
		want    bool
	}{
		{"Lo sentimos: no podemos anular el pedido", "sent", false},
		{"Your order was sent.", "sent", true},
		{"ALREADY SENT", "sent", true},
		{"déjà expédié", "expédié", true},
		{"expédiées", "expédié", false},
		{"(shipped)", "shipped", true},
		{"reshipped", "shipped", false},
		{"already shipped", "already shipped", true},
		{"", "sent", false},
		{"sent", "", false},
	} {
		if _, got := findWord(tc.text, tc.w); got != tc.want {
			t.Errorf("findWord(%q, %q) = %v, want %v", tc.text, tc.w, got, tc.want)
		}
	}
}
