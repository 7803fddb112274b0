package api

import (
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"
)

// The quick path (decode, http.go): a body that Unmarshal (encoding/json's
// behaviour, go-json-experiment's v1 package) takes whole and that quickOK
// passes is decoded once and walked once over its bytes, with no
// json.Decoder. Anything else, and anything quickOK is not sure
// of, takes the strict path (decodeStrict, checkBody), which alone writes
// errors: so every error is the strict path's, word for word, and the quick
// path only ever says yes to what the strict path says yes to (FuzzDecodeSame
// compares the two).
//
// Why the quick path's yes is the strict path's yes: Unmarshal succeeding
// means one valid JSON value, nothing but whitespace after it, every value
// of the right type, so the strict Decoder decodes the same value (the v1
// package is encoding/json's behaviour; FuzzDecodeSame checks it for the
// request forms) with no error but perhaps for unknown fields; quickOK then refuses every member name
// that is not exactly a field name the walk knows (and so the walk refuses,
// fieldsOf), of a struct whose every such name encoding/json knows too
// (jsonKnowsFields), so DisallowUnknownFields has nothing to refuse either;
// and quickOK applies checkBody's rules (times, numbers, metadata) as
// strictly or more so, giving up where it would have to unescape a string.

// quickOK reports whether body, valid JSON that decoded into a value of
// type t, passes checkBody. false means "ask checkBody", not "refused".
func quickOK(body []byte, t reflect.Type) bool {
	q := quickScan{b: body}
	return q.value(t)
}

// quickScan reads valid JSON (json.Unmarshal took it) from b at i.
type quickScan struct {
	b []byte
	i int
}

func (q *quickScan) ws() {
	for q.i < len(q.b) {
		switch q.b[q.i] {
		case ' ', '\t', '\n', '\r':
			q.i++
		default:
			return
		}
	}
}

// str reads a string at i and returns its bytes between the quotes and
// whether it holds an escape.
func (q *quickScan) str() (s []byte, escaped bool) {
	start := q.i + 1
	for j := start; j < len(q.b); j++ {
		switch q.b[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			q.i = j + 1
			return q.b[start:j], escaped
		}
	}
	q.i = len(q.b)
	return q.b[start:], escaped
}

// skip reads any value at i.
func (q *quickScan) skip() {
	q.ws()
	if q.i >= len(q.b) {
		return
	}
	switch q.b[q.i] {
	case '"':
		q.str()
	case '{', '[':
		d := 0
		for q.i < len(q.b) {
			switch q.b[q.i] {
			case '"':
				q.str()
				continue
			case '{', '[':
				d++
			case '}', ']':
				d--
				if d == 0 {
					q.i++
					return
				}
			}
			q.i++
		}
	default: // number, true, false, null
		for q.i < len(q.b) {
			switch q.b[q.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return
			}
			q.i++
		}
	}
}

// value reads one value at i that decodes into t (nil: any), as walk does.
func (q *quickScan) value(t reflect.Type) bool {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	q.ws()
	if q.i >= len(q.b) {
		return false
	}
	c := q.b[q.i]
	if t == timeType {
		if c != '"' {
			q.skip() // null: the decoder took it
			return true
		}
		s, escaped := q.str()
		return !escaped && checkTime("", string(s)) == nil
	}
	if t != nil && t.Kind() != reflect.Interface && (reflect.PointerTo(t).Implements(unmarshalerType) || reflect.PointerTo(t).Implements(textType)) {
		t = nil
	}
	switch {
	case c == '{':
		return q.object(t)
	case c == '[':
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		return q.members(']', func() bool { return q.value(elem) })
	case c == '-' || (c >= '0' && c <= '9'):
		start := q.i
		q.skip()
		return checkNumber("", json.Number(q.b[start:q.i]), t) == nil
	}
	q.skip()
	return true
}

func (q *quickScan) object(t reflect.Type) bool {
	var fields map[string]reflect.Type
	var elem reflect.Type
	if t != nil {
		switch t.Kind() {
		case reflect.Struct:
			if !jsonKnowsFields(t) {
				return false
			}
			fields = fieldsOf(t)
		case reflect.Map:
			elem = t.Elem()
		}
	}
	return q.members('}', func() bool {
		key, escaped := q.str()
		q.ws()
		q.i++ // ':'
		ft := elem
		if fields != nil {
			if escaped {
				return false
			}
			var ok bool
			if ft, ok = fields[string(key)]; !ok {
				return false
			}
			if string(key) == "metadata" {
				return q.metadata(ft)
			}
		}
		return q.value(ft)
	})
}

// members reads the members of the object or array whose opening bracket
// is at i, up to and past close, calling each at the start of every member
// (at its key, for an object); false at the end of the input or when each
// says false.
func (q *quickScan) members(close byte, each func() bool) bool {
	q.i++
	for {
		q.ws()
		if q.i >= len(q.b) {
			return false
		}
		switch q.b[q.i] {
		case close:
			q.i++
			return true
		case ',':
			q.i++
			continue
		}
		if !each() {
			return false
		}
	}
}

// metadata is checkMetadata's rules, as strictly or more so: it counts
// repeated keys and checks every repeat's value, where checkMetadata sees
// the last only. Its field must not be a struct nor hold one (the walk does
// not look inside metadata; the decoder would, for unknown fields).
func (q *quickScan) metadata(t reflect.Type) bool {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || (t.Kind() != reflect.Interface && (t.Kind() != reflect.Map || t.Elem().Kind() != reflect.Interface)) {
		return false
	}
	q.ws()
	if q.i >= len(q.b) {
		return false
	}
	if q.b[q.i] != '{' {
		q.skip() // null (or, for an interface, not an object): not checked
		return true
	}
	n := 0
	return q.members('}', func() bool {
		if n++; n > metadataKeys {
			return false
		}
		key, escaped := q.str()
		if escaped || utf8.RuneCount(key) > metadataKeyLen {
			return false
		}
		q.ws()
		q.i++ // ':'
		q.ws()
		start := q.i
		q.skip()
		v := q.b[start:q.i]
		return compactRunes(v) <= metadataValueLen && metadataKeysOK(v)
	})
}

// compactRunes is utf8.RuneCount of v (valid JSON) as json.Compact writes it.
func compactRunes(v []byte) int {
	n, inString, escaped := 0, false, false
	for _, c := range v {
		if c&0xC0 == 0x80 {
			continue // inside a rune
		}
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
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			continue
		}
		n++
	}
	return n
}

// metadataKeysOK is checkMetadataKeys' rule for the keys within v: those of
// objects, of objects within them, and of objects directly in arrays.
func metadataKeysOK(v []byte) bool {
	q := quickScan{b: v}
	return q.metaKeys()
}

func (q *quickScan) metaKeys() bool {
	q.ws()
	if q.i >= len(q.b) {
		return true
	}
	switch q.b[q.i] {
	case '{':
		return q.members('}', func() bool {
			key, escaped := q.str()
			if escaped || utf8.RuneCount(key) > metadataKeyLen {
				return false
			}
			q.ws()
			q.i++ // ':'
			return q.metaKeys()
		})
	case '[':
		return q.members(']', func() bool {
			if q.b[q.i] == '{' {
				return q.metaKeys()
			}
			q.skip()
			return true
		})
	}
	q.skip()
	return true
}

var knownCache sync.Map // reflect.Type → bool

// jsonKnowsFields reports whether encoding/json, refusing unknown fields,
// knows every name fieldsOf gives t (it would not, say, for a name two
// embedded structs both have: encoding/json drops it, fieldsOf keeps one).
func jsonKnowsFields(t reflect.Type) bool {
	if v, ok := knownCache.Load(t); ok {
		return v.(bool)
	}
	known := true
	for name := range fieldsOf(t) {
		quoted, err := json.Marshal(name)
		if err != nil {
			known = false
			break
		}
		dec := json.NewDecoder(strings.NewReader("{" + string(quoted) + ":null}"))
		dec.DisallowUnknownFields()
		if err := dec.Decode(reflect.New(t).Interface()); err != nil && strings.HasPrefix(err.Error(), "json: unknown field ") {
			known = false
			break
		}
	}
	knownCache.Store(t, known)
	return known
}
