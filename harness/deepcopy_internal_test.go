package harness

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// deepCopy gives what a JSON round trip gives, shares nothing with its
// input, and falls back to the round trip for values JSON does not decode to.
func TestDeepCopyIsAJSONRoundTrip(t *testing.T) {
	roundTrip := func(m map[string]any) map[string]any {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var out map[string]any
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	var decoded map[string]any
	if err := json.Unmarshal([]byte(`{"id":"ord_1","totalAmount":28.5,"live":false,"none":null,
		"items":[{"skuId":"sku_1","quantity":2,"tags":["a","b"]},null,3],"billTo":{"address":{"city":"Zürich"}},"empty":{},"list":[]}`), &decoded); err != nil {
		t.Fatal(err)
	}
	for name, m := range map[string]map[string]any{
		"decoded JSON": decoded,
		"nil":          nil,
		"typed values": {"at": time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), "n": 3, "nested": map[string]any{"s": []string{"x"}}},
		"json.Number":  {"n": json.Number("12")},
	} {
		got, want := deepCopy(m), roundTrip(m)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: deepCopy = %#v, round trip = %#v", name, got, want)
		}
	}
	c := deepCopy(decoded)
	c["items"].([]any)[0].(map[string]any)["quantity"] = 99.0
	c["billTo"].(map[string]any)["address"].(map[string]any)["city"] = "Bern"
	c["items"].([]any)[0].(map[string]any)["tags"].([]any)[0] = "z"
	if it := decoded["items"].([]any)[0].(map[string]any); it["quantity"] != 2.0 || it["tags"].([]any)[0] != "a" ||
		decoded["billTo"].(map[string]any)["address"].(map[string]any)["city"] != "Zürich" {
		t.Fatalf("changing the copy changed the original: %v", decoded)
	}
}
