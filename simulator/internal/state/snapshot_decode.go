package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"time"
	"unsafe"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/drsim/drsim/simulator/internal/clock"
)

// restorer is a struct whose fields tagged snapshot:"-" are derived from
// its other fields: the decoder calls restored once those are read.
type restorer interface {
	restored() error
}

// decoder reads JSON written by encoder from a token stream: each value
// is decoded into the state where it goes as it is read, a collection
// element by element, so the file is scanned once and nothing of it is
// kept but the strings the state holds (copies: none aliases the decoder's
// buffer).
type decoder struct {
	dec     *jsontext.Decoder
	wall    func() time.Time
	ptrs    []reflect.Value // pointers in the order they were first written
	path    pathStack
	structs map[reflect.Type]*structInfo
	json    map[reflect.Type]bool // hasJSONMethods, looked up once per type
	last    string                // the last string decoded: an equal one next shares it (a collection entry's id and its value's ID)
	unq     []byte                // scratch for unquoting
	event   []byte                // scratch for an event's JSON
}

// structInfo is what the decoder knows of a struct type: its saved fields
// by name, and per field the last string read into it, which an equal
// string next shares (a field with a few values over many resources, such
// as a customer's type, is then one string, not one per resource).
type structInfo struct {
	names  map[string]int // saved field name → index in fields
	fields []int          // saved fields' indexes in the struct
	plain  []bool         // the field is a string without JSON methods
	last   []string
	restor bool // *T is a restorer
}

func (d *decoder) methods(t reflect.Type) bool {
	m, ok := d.json[t]
	if !ok {
		m = hasJSONMethods(t)
		d.json[t] = m
	}
	return m
}

func (d *decoder) info(t reflect.Type) *structInfo {
	if si, ok := d.structs[t]; ok {
		return si
	}
	si := &structInfo{names: map[string]int{}, restor: reflect.PointerTo(t).Implements(reflect.TypeFor[restorer]())}
	for i := range t.NumField() {
		if skipped(t, t.Field(i)) {
			continue
		}
		f := t.Field(i)
		si.names[f.Name] = len(si.fields)
		si.fields = append(si.fields, i)
		si.plain = append(si.plain, f.Type.Kind() == reflect.String && !d.methods(f.Type))
	}
	si.last = make([]string, len(si.fields))
	d.structs[t] = si
	return si
}

// decodeError is a state file that cannot be read: where in the file (the
// byte offset) and where in the state.
type decodeError struct {
	at   int64
	path string
	err  error
}

func (e *decodeError) Error() string {
	return fmt.Sprintf("at byte %d (%s): %v", e.at, e.path, e.err)
}

func (e *decodeError) Unwrap() error { return e.err }

func (d *decoder) errorf(format string, args ...any) error {
	return &decodeError{at: d.dec.InputOffset(), path: d.path.String(), err: fmt.Errorf(format, args...)}
}

// syntax is an error of the JSON itself: cut short or not JSON.
func (d *decoder) syntax(err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	var se *jsontext.SyntacticError
	at := d.dec.InputOffset()
	if errors.As(err, &se) {
		at = se.ByteOffset
		if se.Err != nil {
			err = se.Err
		}
	}
	return &decodeError{at: at, path: d.path.String(), err: fmt.Errorf("the file is cut short or is not valid JSON: %w", err)}
}

// loadAccounts reads a state file written by Save.
func loadAccounts(r io.Reader, wall func() time.Time) ([]*Account, error) {
	// Duplicate names are checked where they matter (struct fields);
	// jsontext's own check would keep every name of a large map.
	d := &decoder{dec: jsontext.NewDecoder(r, jsontext.AllowDuplicateNames(true)), wall: wall, structs: map[reflect.Type]*structInfo{}, json: map[reflect.Type]bool{}}
	notState := func(err error) error { return fmt.Errorf("not a drsim state file (%w)", err) }
	if tok, err := d.dec.ReadToken(); err != nil {
		return nil, notState(err)
	} else if tok.Kind() != '{' {
		return nil, notState(fmt.Errorf("a JSON %s, want an object", tok.Kind()))
	}
	var (
		format, schema string
		version        int64
		accounts       []*Account
		seen           = map[string]bool{}
	)
	checked := false
	check := func() error {
		checked = true
		if format != snapshotFormat {
			return fmt.Errorf("not a drsim state file (format %q, want %q)", format, snapshotFormat)
		}
		if version != snapshotVersion || schema != SchemaFingerprint() {
			return fmt.Errorf("the state file was written by another drsim version (file: version %d, schema %s; this drsim: version %d, schema %s); "+
				"start with another -state file or remove this one", version, schema, snapshotVersion, SchemaFingerprint())
		}
		return nil
	}
	for d.dec.PeekKind() != '}' {
		tok, err := d.dec.ReadToken()
		if err != nil {
			return nil, notState(err)
		}
		name := tok.String()
		if seen[name] {
			return nil, notState(fmt.Errorf("field %q twice", name))
		}
		seen[name] = true
		switch name {
		case "format", "schema":
			v, err := d.dec.ReadToken()
			if err != nil || v.Kind() != '"' {
				return nil, notState(fmt.Errorf("%s: want a string (%v)", name, err))
			}
			if name == "format" {
				format = v.String()
			} else {
				schema = v.String()
			}
		case "version":
			v, err := d.dec.ReadToken()
			if err != nil || v.Kind() != '0' {
				return nil, notState(fmt.Errorf("version: want a number (%v)", err))
			}
			if version, err = v.Int(); err != nil {
				return nil, notState(fmt.Errorf("version: %w", err))
			}
		case "savedAt":
			v, err := d.dec.ReadValue()
			var t time.Time
			if err == nil {
				err = json.Unmarshal(v, &t)
			}
			if err != nil {
				return nil, notState(fmt.Errorf("savedAt: %w", err))
			}
		case "accounts":
			// Save writes the envelope first: the accounts are read only
			// once the file is known to be this drsim's.
			if err := check(); err != nil {
				return nil, err
			}
			if accounts, err = d.accounts(); err != nil {
				return nil, err
			}
		default:
			return nil, notState(fmt.Errorf("unknown field %q", name))
		}
	}
	if _, err := d.dec.ReadToken(); err != nil { // '}'
		return nil, notState(err)
	}
	if !checked {
		if err := check(); err != nil {
			return nil, err
		}
	}
	if _, err := d.dec.ReadToken(); err != io.EOF {
		return nil, fmt.Errorf("the state file goes on after its end at byte %d", d.dec.InputOffset())
	}
	return accounts, nil
}

// accounts reads the envelope's accounts array (or null).
func (d *decoder) accounts() ([]*Account, error) {
	if d.dec.PeekKind() == 'n' {
		_, err := d.dec.ReadToken()
		return nil, err
	}
	if err := d.delim('['); err != nil {
		return nil, err
	}
	var out []*Account
	for d.dec.PeekKind() != ']' {
		a := &Account{}
		d.ptrs, d.path = d.ptrs[:0], d.path[:0]
		if err := d.value(reflect.ValueOf(a).Elem()); err != nil {
			return nil, fmt.Errorf("account %d of the state file: %w", len(out)+1, err)
		}
		a.shareCustomerStrings()
		out = append(out, a)
	}
	return out, d.delim(']')
}

// delim reads the delimiter want ('[', ']', '{' or '}').
func (d *decoder) delim(want byte) error {
	tok, err := d.dec.ReadToken()
	if err != nil {
		return d.syntax(err)
	}
	if tok.Kind() != jsontext.Kind(want) {
		return d.errorf("a JSON %s, want %q", tok.Kind(), want)
	}
	return nil
}

// read reads the next value, a view of the decoder's buffer valid until
// the next read.
func (d *decoder) read() (jsontext.Value, error) {
	v, err := d.dec.ReadValue()
	if err != nil {
		return nil, d.syntax(err)
	}
	return v, nil
}

// readString reads a string (or an object name), unquoted; a view valid
// until the next read.
func (d *decoder) readString() ([]byte, error) {
	v, err := d.read()
	if err != nil {
		return nil, err
	}
	if v.Kind() != '"' {
		return nil, d.errorf("a JSON %s, want a string", v.Kind())
	}
	if bytes.IndexByte(v, '\\') < 0 {
		return v[1 : len(v)-1], nil
	}
	if d.unq, err = jsontext.AppendUnquote(d.unq[:0], v); err != nil {
		return nil, d.errorf("%w", err)
	}
	return d.unq, nil
}

// str is b as a string, sharing *last when it is equal (no copy), else a
// copy that becomes *last.
func (d *decoder) str(b []byte, last *string) string {
	if string(b) == d.last {
		return d.last
	}
	if last != nil && string(b) == *last {
		d.last = *last
		return *last
	}
	s := string(b)
	d.last = s
	if last != nil {
		*last = s
	}
	return s
}

// into decodes the next value into p (a pointer) with encoding/json.
func (d *decoder) into(p any, strict bool) error {
	raw, err := d.read()
	if err != nil {
		return err
	}
	if strict {
		err = strictJSON(raw, p)
	} else {
		err = json.Unmarshal(raw, p)
	}
	if err != nil {
		return d.errorf("%w", err)
	}
	return nil
}

// value reads the next value into v (addressable).
func (d *decoder) value(v reflect.Value) error {
	v = readable(v)
	t := v.Type()
	kind := d.dec.PeekKind()
	if kind == 0 { // the error, from a read
		_, err := d.dec.ReadValue()
		return d.syntax(err)
	}
	null := kind == 'n'
	if null && t != timeType && t.Kind() != reflect.Struct && t.Kind() != reflect.Array {
		_, err := d.read() // null is the zero value, as encoding/json reads it
		return err
	}
	switch t {
	case clockType:
		var s clock.Snapshot
		if err := d.into(&s, true); err != nil {
			return err
		}
		v.Set(reflect.ValueOf(clock.Restore(d.wall, s)))
		return nil
	case rawType:
		raw, err := d.read()
		if err != nil {
			return err
		}
		v.SetBytes(bytes.Clone(raw))
		return nil
	case timeType:
		raw, err := d.read()
		if err != nil {
			return err
		}
		var tm time.Time
		if err := tm.UnmarshalJSON(raw); err != nil {
			return d.errorf("%w", err)
		}
		v.Set(reflect.ValueOf(tm))
		return nil
	case contentPtr:
		var sc savedContent
		if err := d.into(&sc, true); err != nil {
			return err
		}
		c := made(sc.Bytes)
		if sc.Err != "" {
			c.err = errors.New(sc.Err)
		}
		v.Set(reflect.ValueOf(c))
		return nil
	case eventLogType:
		return d.events(v.Addr().Interface().(*eventLog))
	}
	switch k := t.Kind(); k {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64, reflect.String:
		if d.methods(t) {
			return d.into(v.Addr().Interface(), false)
		}
		return d.scalar(v, nil)
	case reflect.Pointer:
		p := reflect.New(t.Elem())
		if kind == '{' {
			if err := d.delim('{'); err != nil {
				return err
			}
			var first []byte
			if d.dec.PeekKind() == '"' {
				name, err := d.readString()
				if err != nil {
					return err
				}
				if string(name) == "$ptr" {
					return d.ptrRef(v)
				}
				first = name
			}
			d.ptrs = append(d.ptrs, p)
			switch t.Elem().Kind() {
			case reflect.Struct:
				if err := d.structBody(p.Elem(), first); err != nil {
					return err
				}
			case reflect.Map:
				if err := d.mapBody(p.Elem(), first); err != nil {
					return err
				}
			default:
				return d.errorf("an object, want a %s", t.Elem())
			}
			v.Set(p)
			return nil
		}
		d.ptrs = append(d.ptrs, p)
		if err := d.value(p.Elem()); err != nil {
			return err
		}
		v.Set(p)
		return nil
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return d.into(v.Addr().Interface(), false)
		}
		if err := d.delim('['); err != nil {
			return err
		}
		v.Set(reflect.MakeSlice(t, 0, 4))
		for d.dec.PeekKind() != ']' {
			n := v.Len()
			if n == v.Cap() {
				v.Grow(1)
			}
			v.SetLen(n + 1)
			d.path.index(n)
			if err := d.value(v.Index(n)); err != nil {
				return err
			}
			d.path.pop()
		}
		if v.Cap() > v.Len() { // the slice as long as it is, as it was saved
			s := reflect.MakeSlice(t, v.Len(), v.Len())
			reflect.Copy(s, v)
			v.Set(s)
		}
		return d.delim(']')
	case reflect.Array:
		if err := d.delim('['); err != nil {
			return err
		}
		for i := range v.Len() {
			if d.dec.PeekKind() == ']' {
				return d.errorf("an array of %d, want %d", i, v.Len())
			}
			d.path.index(i)
			if err := d.value(v.Index(i)); err != nil {
				return err
			}
			d.path.pop()
		}
		if d.dec.PeekKind() != ']' {
			return d.errorf("an array longer than %d", v.Len())
		}
		return d.delim(']')
	case reflect.Map:
		if err := d.delim('{'); err != nil {
			return err
		}
		return d.mapBody(v, nil)
	case reflect.Struct:
		if err := d.delim('{'); err != nil {
			return err
		}
		return d.structBody(v, nil)
	}
	return d.into(v.Addr().Interface(), false)
}

// ptrRef reads the rest of {"$ptr": n} (its name read) into v: the n-th
// pointer read, which must be of v's type.
func (d *decoder) ptrRef(v reflect.Value) error {
	raw, err := d.read()
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(string(raw))
	if err != nil || n < 0 || n >= len(d.ptrs) || d.ptrs[n].Type() != v.Type() || d.dec.PeekKind() != '}' {
		return d.errorf("a bad shared pointer %s", raw)
	}
	v.Set(d.ptrs[n])
	return d.delim('}')
}

// scalar reads a bool, number or string into v; last is the struct
// field's last string, when v is one.
func (d *decoder) scalar(v reflect.Value, last *string) error {
	if v.Kind() == reflect.String {
		b, err := d.readString()
		if err != nil {
			return err
		}
		v.SetString(d.str(b, last))
		return nil
	}
	raw, err := d.read()
	if err != nil {
		return err
	}
	text := unsafe.String(unsafe.SliceData(raw), len(raw)) // not kept
	switch k := v.Kind(); k {
	case reflect.Bool:
		switch text {
		case "true", "false":
			v.SetBool(text == "true")
			return nil
		}
		return d.errorf("%s, want a boolean", text)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil || v.OverflowInt(n) {
			return d.errorf("%s, want a %s", text, v.Type())
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(text, 10, 64)
		if err != nil || v.OverflowUint(n) {
			return d.errorf("%s, want a %s", text, v.Type())
		}
		v.SetUint(n)
	default: // floats
		if raw.Kind() != '0' {
			return d.errorf("%s, want a %s", text, v.Type())
		}
		f, err := strconv.ParseFloat(text, v.Type().Bits())
		if err != nil {
			return d.errorf("%s, want a %s", text, v.Type())
		}
		v.SetFloat(f)
	}
	return nil
}

// structBody reads an object's members (its '{' read, and its first name
// when first is not nil) into the struct v: every saved field, no other.
func (d *decoder) structBody(v reflect.Value, first []byte) error {
	t := v.Type()
	si := d.info(t)
	var seenBits [4]uint64
	seen := seenBits[:]
	if n := (len(si.fields) + 63) / 64; n > len(seen) {
		seen = make([]uint64, n)
	}
	var unknown string
	for {
		name := first
		first = nil
		if name == nil {
			if d.dec.PeekKind() == '}' {
				break
			}
			var err error
			if name, err = d.readString(); err != nil {
				return err
			}
		}
		j, ok := si.names[string(name)]
		if !ok {
			if unknown == "" {
				unknown = string(name)
			}
			if err := d.dec.SkipValue(); err != nil {
				return d.syntax(err)
			}
			continue
		}
		if seen[j/64]&(1<<(j%64)) != 0 {
			return d.errorf("%s twice", t.Field(si.fields[j]).Name)
		}
		seen[j/64] |= 1 << (j % 64)
		f := t.Field(si.fields[j])
		d.path.field(f.Name)
		fv := v.Field(si.fields[j])
		var err error
		if si.plain[j] && d.dec.PeekKind() == '"' {
			err = d.scalar(readable(fv), &si.last[j])
		} else {
			err = d.value(fv)
		}
		if err != nil {
			return err
		}
		d.path.pop()
	}
	for j, i := range si.fields {
		if seen[j/64]&(1<<(j%64)) == 0 {
			return d.errorf("%s is missing from the state file", t.Field(i).Name)
		}
	}
	if unknown != "" {
		return d.errorf("%s in the state file is unknown to this drsim", unknown)
	}
	if err := d.delim('}'); err != nil {
		return err
	}
	if si.restor {
		if err := v.Addr().Interface().(restorer).restored(); err != nil {
			return d.errorf("%w", err)
		}
	}
	return nil
}

// mapBody reads an object's members (its '{' read, and its first name
// when first is not nil) into a new map set to v.
func (d *decoder) mapBody(v reflect.Value, first []byte) error {
	t := v.Type()
	if t.Key().Kind() != reflect.String {
		return d.errorf("a map keyed by %s", t.Key())
	}
	m := reflect.MakeMap(t)
	for {
		var k string
		if first != nil {
			k, first = string(first), nil
		} else {
			if d.dec.PeekKind() == '}' {
				break
			}
			name, err := d.readString()
			if err != nil {
				return err
			}
			k = string(name)
		}
		key := reflect.New(t.Key()).Elem()
		key.SetString(k)
		if m.MapIndex(key).IsValid() {
			return d.errorf("key %q twice", k)
		}
		ev := reflect.New(t.Elem()).Elem()
		d.path.key(k)
		if err := d.value(ev); err != nil {
			return err
		}
		d.path.pop()
		m.SetMapIndex(key, ev)
	}
	v.Set(m)
	return d.delim('}')
}

// events reads the event log's savedEvents (or null) into l, event by
// event, each written into the log as it is read.
func (d *decoder) events(l *eventLog) error {
	if d.dec.PeekKind() == 'n' {
		_, err := d.read()
		return err
	}
	if err := d.delim('['); err != nil {
		return err
	}
	for k := 0; d.dec.PeekKind() != ']'; k++ {
		d.path.index(k)
		if err := d.delim('{'); err != nil {
			return err
		}
		var (
			have      int
			testClock string
			recorded  time.Time
		)
		for d.dec.PeekKind() != '}' {
			name, err := d.readString()
			if err != nil {
				return err
			}
			switch string(name) {
			case "JSON":
				raw, err := d.read()
				if err != nil {
					return err
				}
				d.event = append(d.event[:0], raw...)
				have |= 1
			case "TestClock":
				b, err := d.readString()
				if err != nil {
					return err
				}
				testClock = d.str(b, nil)
				have |= 2
			case "Recorded":
				raw, err := d.read()
				if err != nil {
					return err
				}
				if err := recorded.UnmarshalJSON(raw); err != nil {
					return d.errorf("%w", err)
				}
				have |= 4
			default:
				return d.errorf("%s in the state file is unknown to this drsim", name)
			}
		}
		if have != 7 {
			return d.errorf("an event without its JSON, TestClock or Recorded")
		}
		if err := l.restoreOne(k, d.event, testClock, recorded); err != nil {
			return d.errorf("%w", err)
		}
		if err := d.delim('}'); err != nil {
			return err
		}
		d.path.pop()
	}
	return d.delim(']')
}

func strictJSON(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
