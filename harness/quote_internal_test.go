package harness

import (
	"strings"
	"testing"
)

// A quoted text is cut only past quoteLimit characters, never inside a
// character, and the cut says how much is left out and where it is.
func TestIndentSaysWhatItCuts(t *testing.T) {
	short := "Thank you for your order\nTotal: 10,00 €"
	if got := indent(short, "elsewhere"); got != "    Thank you for your order\n    Total: 10,00 €" {
		t.Errorf("a short text was changed: %q", got)
	}
	long := strings.Repeat("é", quoteLimit+250)
	got := indent(long, "in the report's emails/ directory")
	if !strings.Contains(got, "… (250 more characters not shown here; the whole text is in the report's emails/ directory)") {
		t.Errorf("the cut does not say how much and where: %q", got[len(got)-120:])
	}
	if n := strings.Count(got, "é"); n != quoteLimit {
		t.Errorf("kept %d characters, want %d", n, quoteLimit)
	}
	if strings.ContainsRune(got, '\uFFFD') {
		t.Error("the cut split a character")
	}
	if got := firstBytes([]byte(strings.Repeat("x", 510)), 500); !strings.HasSuffix(got, "… (10 more characters of the answer not shown)") {
		t.Errorf("firstBytes cut silently: %q", got[490:])
	}
}
