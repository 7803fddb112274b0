package api

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/drsim/drsim/simulator/internal/apierror"
)

// Request bodies are checked before they are decoded, so that whatever the
// decoder accepts can be copied, stored and written back (README, "Limits"):
//
//   - valid UTF-8, one JSON object, nothing after it, not null;
//   - field names exactly as DR spells them (encoding/json alone matches
//     them case-insensitively, so "EMAIL" would set email);
//   - nesting at most maxDepth levels;
//   - metadata as DR bounds it (docs/… "Working with metadata"): at most
//     metadataKeys keys, key names at most metadataKeyLen characters (at any
//     depth), each key's value at most metadataValueLen characters written
//     as compact JSON [choice: a nested value counts by its JSON text];
//   - times DR can represent: years 1970 to 9999 in UTC;
//   - numbers within bounds arithmetic cannot overflow: whole numbers
//     within ±maxInt, other numbers within ±maxNumber.
const (
	maxDepth         = 32
	metadataKeys     = 20
	metadataKeyLen   = 40
	metadataValueLen = 500
	maxInt           = 1_000_000_000
	maxNumber        = 1e12
)

// precheck refuses what must not reach any decoder: invalid UTF-8, deep
// nesting, a null body.
func precheck(body []byte) error {
	if !utf8.Valid(body) {
		return apierror.BadRequest("invalid_parameter", "", "The request body is not valid UTF-8.")
	}
	if d := depth(body); d > maxDepth {
		return apierror.BadRequest("invalid_parameter", "", "The request body is nested %d levels deep; at most %d are allowed.", d, maxDepth)
	}
	if bytes.Equal(bytes.TrimSpace(body), []byte("null")) {
		return apierror.BadRequest("invalid_parameter", "", "The request body must be a JSON object, got null.")
	}
	return nil
}

// checkBody applies the rest of the rules above to a body that decoded
// into a value of type t.
func checkBody(body []byte, t reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := walk(dec, t, ""); err != nil {
		return err
	}
	if rest := bytes.TrimSpace(body[dec.InputOffset():]); len(rest) > 0 {
		return apierror.BadRequest("invalid_parameter", "", "The request body holds more than one JSON value (%q follows the object).", firstRunes(string(rest), 20))
	}
	return nil
}

// depth is the deepest nesting of objects and arrays in a JSON text (it
// need not be valid: strings are skipped, brackets counted).
func depth(b []byte) int {
	d, deepest, inString, escaped := 0, 0, false, false
	for _, c := range b {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			d++
			deepest = max(deepest, d)
		case c == '}' || c == ']':
			d--
		}
	}
	return deepest
}

var (
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textType        = reflect.TypeFor[encoding.TextUnmarshaler]()
	timeType        = reflect.TypeFor[time.Time]()
)

// walk reads one JSON value from dec, checking it against t (nil: any).
// Syntax and type errors are left to the decoder that runs afterwards,
// except where walking cannot go on.
func walk(dec *json.Decoder, t reflect.Type, path string) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	tok, err := dec.Token()
	if err != nil {
		return jsonError(err)
	}
	if t == timeType {
		if s, ok := tok.(string); ok {
			return checkTime(path, s)
		}
		return nil
	}
	if t != nil && t.Kind() != reflect.Interface && (reflect.PointerTo(t).Implements(unmarshalerType) || reflect.PointerTo(t).Implements(textType)) {
		t = nil // decodes itself (e.g. Quantity); still walked for depth and UTF-8
	}
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{':
			return walkObject(dec, t, path)
		case '[':
			var elem reflect.Type
			if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
				elem = t.Elem()
			}
			for i := 0; dec.More(); i++ {
				if err := walk(dec, elem, fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
			_, err := dec.Token()
			return jsonErrorOrNil(err)
		}
	case json.Number:
		return checkNumber(path, v, t)
	}
	return nil
}

func walkObject(dec *json.Decoder, t reflect.Type, path string) error {
	var fields map[string]reflect.Type
	var elem reflect.Type
	if t != nil {
		switch t.Kind() {
		case reflect.Struct:
			fields = fieldsOf(t)
		case reflect.Map:
			elem = t.Elem()
		}
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return jsonError(err)
		}
		key, _ := tok.(string)
		sub := join(path, key)
		ft := elem
		if fields != nil {
			var ok bool
			if ft, ok = fields[key]; !ok {
				return apierror.Invalid(sub, "'%s' is not a parameter of this endpoint.", sub)
			}
		}
		if key == "metadata" && fields != nil {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return jsonError(err)
			}
			if err := checkMetadata(sub, raw); err != nil {
				return err
			}
			continue
		}
		if err := walk(dec, ft, sub); err != nil {
			return err
		}
	}
	_, err := dec.Token()
	return jsonErrorOrNil(err)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

var fieldCache sync.Map // reflect.Type → map[string]reflect.Type

// fieldsOf maps the exact JSON names of t's fields (embedded structs
// flattened) to their types.
func fieldsOf(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range fieldsOf(ft) {
					if _, ok := m[k]; !ok {
						m[k] = v
					}
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[name] = f.Type
	}
	fieldCache.Store(t, m)
	return m
}

// checkMetadata bounds metadata as DR does.
func checkMetadata(param string, raw json.RawMessage) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil // null, or not an object: the decoder reports the type
	}
	if len(m) > metadataKeys {
		return apierror.Invalid(param, "'%s' may hold at most %d keys, got %d.", param, metadataKeys, len(m))
	}
	for k, v := range m {
		if err := checkMetadataKeys(param, k, v); err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, v); err == nil && utf8.RuneCount(buf.Bytes()) > metadataValueLen {
			return apierror.Invalid(param+"."+k, "The value of '%s.%s' may be at most %d characters long (as JSON), got %d.", param, k, metadataValueLen, utf8.RuneCount(buf.Bytes()))
		}
	}
	return nil
}

// checkMetadataKeys checks key and, within objects and arrays of v, every
// nested key.
func checkMetadataKeys(param, key string, v json.RawMessage) error {
	if n := utf8.RuneCountInString(key); n > metadataKeyLen {
		return apierror.Invalid(param, "Metadata key '%s' is %d characters long; at most %d are allowed.", firstRunes(key, 50), n, metadataKeyLen)
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(v, &obj) == nil {
		for k, sub := range obj {
			if err := checkMetadataKeys(param, k, sub); err != nil {
				return err
			}
		}
		return nil
	}
	var arr []json.RawMessage
	if json.Unmarshal(v, &arr) == nil {
		for _, sub := range arr {
			var o map[string]json.RawMessage
			if json.Unmarshal(sub, &o) == nil {
				for k, s := range o {
					if err := checkMetadataKeys(param, k, s); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// checkTime refuses times Go cannot write back and DR does not represent.
func checkTime(param, s string) error {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return apierror.Invalid(param, "'%s' must be an ISO-8601 date-time such as 2026-01-01T00:00:00Z, got '%s'.", param, firstRunes(s, 40))
	}
	return checkYear(param, t)
}

// checkYear refuses a time outside the years 1970–9999 in UTC.
func checkYear(param string, t time.Time) error {
	if y := t.UTC().Year(); y < 1970 || y > 9999 {
		return apierror.Invalid(param, "'%s' must be between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z, got year %d in UTC.", param, y)
	}
	return nil
}

func checkNumber(param string, n json.Number, t reflect.Type) error {
	f, _ := n.Float64() // out of range: ±Inf, refused below
	limit := float64(maxNumber)
	if t != nil {
		switch t.Kind() {
		case reflect.Uint64:
			return nil // seeds: the decoder checks the range
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32:
			limit = maxInt
		}
	}
	if math.IsInf(f, 0) || math.Abs(f) > limit {
		return apierror.Invalid(param, "'%s' must be between %g and %g, got %s.", param, -limit, limit, firstRunes(n.String(), 40))
	}
	return nil
}

func jsonErrorOrNil(err error) error {
	if err != nil {
		return jsonError(err)
	}
	return nil
}

func firstRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
