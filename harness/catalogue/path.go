package catalogue

import (
	"fmt"
	"strconv"
	"strings"
)

// Lookup evaluates a path over decoded JSON and returns every value it reaches.
//
//	id                                   a field
//	orderDetails.email                   a nested field
//	items[].productDetails.name          every element of an array
//	items[quantity>0].itemId             the elements whose field compares true (> >= < <= = !=)
//	items[state=complete].amount         string comparison with = and !=
//	items[subscriptionInfo].amount       the elements that have the field
//	orderDetails.items[id=$items[quantity>0].itemId].productDetails.name
//	                                     = and != against $path: in / not in the values of
//	                                     another path, read from the root (a join)
//
// Missing fields yield no values.
func Lookup(obj any, path string) []any {
	return lookup(obj, obj, path)
}

func lookup(root, obj any, path string) []any {
	vals := []any{obj}
	for _, seg := range splitPath(path) {
		key, filter, each := seg, "", false
		if i := strings.IndexByte(seg, '['); i >= 0 && strings.HasSuffix(seg, "]") {
			key, filter, each = seg[:i], seg[i+1:len(seg)-1], true
		}
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
			if !each {
				next = append(next, child)
				continue
			}
			arr, ok := child.([]any)
			if !ok {
				continue
			}
			for _, el := range arr {
				if filter == "" || keep(root, el, filter) {
					next = append(next, el)
				}
			}
		}
		vals = next
	}
	return vals
}

// splitPath splits on dots outside brackets.
func splitPath(p string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '[':
			depth++
		case ']':
			depth--
		case '.':
			if depth == 0 {
				out = append(out, p[start:i])
				start = i + 1
			}
		}
	}
	return append(out, p[start:])
}

var filterOps = []string{">=", "<=", "!=", ">", "<", "="}

// keep evaluates a filter like "quantity>0" or "id=$items[].itemId" on el.
func keep(root, el any, filter string) bool {
	for _, op := range filterOps {
		i := indexOutsideBrackets(filter, op)
		if i < 0 {
			continue
		}
		field, want := filter[:i], filter[i+len(op):]
		got := Lookup(el, field)
		if len(got) != 1 {
			return false
		}
		if strings.HasPrefix(want, "$") {
			set := lookup(root, root, want[1:])
			in := false
			for _, v := range set {
				if stringify(v) == stringify(got[0]) {
					in = true
				}
			}
			return (op == "=" && in) || (op == "!=" && !in)
		}
		return compare(got[0], op, want)
	}
	// A bare field keeps the elements that have it: items[subscriptionInfo].
	return len(Lookup(el, filter)) > 0
}

func indexOutsideBrackets(s, op string) int {
	depth := 0
	for i := 0; i+len(op) <= len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			depth--
		}
		if depth == 0 && s[i:i+len(op)] == op {
			return i
		}
	}
	return -1
}

func compare(v any, op, want string) bool {
	if f, ok := v.(float64); ok {
		w, err := strconv.ParseFloat(want, 64)
		if err != nil {
			return false
		}
		switch op {
		case ">":
			return f > w
		case ">=":
			return f >= w
		case "<":
			return f < w
		case "<=":
			return f <= w
		case "=":
			return f == w
		case "!=":
			return f != w
		}
		return false
	}
	s := stringify(v)
	switch op {
	case "=":
		return s == want
	case "!=":
		return s != want
	}
	return false
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
