package catalogue

import (
	"fmt"
	"strconv"
	"strings"
)

// Lookup evaluates a dotted path over decoded JSON. A segment ending in "[]"
// walks every element of an array, so "items[].productDetails.name" yields
// one value per item. Missing keys yield no values.
func Lookup(obj any, path string) []any {
	vals := []any{obj}
	for _, seg := range strings.Split(path, ".") {
		each := strings.HasSuffix(seg, "[]")
		key := strings.TrimSuffix(seg, "[]")
		var next []any
		for _, v := range vals {
			m, ok := v.(map[string]any)
			if !ok {
				continue
			}
			child, ok := m[key]
			if !ok || child == nil {
				continue
			}
			if each {
				if arr, ok := child.([]any); ok {
					next = append(next, arr...)
				}
				continue
			}
			next = append(next, child)
		}
		vals = next
	}
	return vals
}

// LookupString is Lookup for a single string value.
func LookupString(obj any, path string) (string, error) {
	vals := Lookup(obj, path)
	if len(vals) != 1 {
		return "", fmt.Errorf("path %q: want one value, found %d", path, len(vals))
	}
	return stringify(vals[0]), nil
}

func stringify(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}
