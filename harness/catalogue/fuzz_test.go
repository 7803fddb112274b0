package catalogue

import (
	"encoding/json"
	"testing"
)

// The path language never panics on any path over any JSON object.
func FuzzLookup(f *testing.F) {
	obj := `{"id":"o1","items":[{"quantity":2,"productDetails":{"name":"Kettle"},"amount":28.0},{"quantity":0}],"totalAmount":31.5}`
	for _, p := range []string{"id", "items[quantity>0].productDetails.name", "items[*].amount", "items[0]", "a..b", "items[", "items[quantity>]", "]"} {
		f.Add(obj, p)
	}
	f.Fuzz(func(t *testing.T, raw, path string) {
		var v any
		if json.Unmarshal([]byte(raw), &v) != nil {
			return
		}
		got := Lookup(v, path)
		for _, x := range got {
			if _, err := json.Marshal(x); err != nil {
				t.Fatalf("Lookup(%s, %q) yielded %v, not JSON: %v", raw, path, x, err)
			}
		}
	})
}
