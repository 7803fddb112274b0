package state

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
	"time"
	"unsafe"

	"github.com/drsim/drsim/simulator/internal/clock"
)

// Saving and restoring the store (drsim serve -state FILE).
//
// The snapshot is generic over the state: every field of every account,
// exported or not, is written by reflection, keyed by its Go name, so a
// field someone adds to a resource is saved without code here. What cannot
// be saved faithfully (funcs, channels, interfaces with methods) is an error
// at Save, and TestSnapshotRoundTrip makes that error fail the
// build's tests. The file carries a schema fingerprint of those types: a file
// written by a drsim whose state types differ is refused with a clear error,
// never read half-way or silently reset.

// snapshotFormat names the file format; bump snapshotVersion when the
// envelope changes.
const (
	snapshotFormat  = "drsim-state"
	snapshotVersion = 1
)

// skipped tells the fields rebuilt on restore instead of saved: the
// Account fields named in accountSkip, the account's runtime machinery
// (locks, channels, funcs), which starts empty, and any field tagged
// snapshot:"-", which its struct's restored method rebuilds (see
// restorer). Deeper than the account everything else must be data.
func skipped(t reflect.Type, f reflect.StructField) bool {
	if f.Tag.Get("snapshot") == "-" {
		return true
	}
	if t == eventType {
		// Events are saved from the account's event log (eventLog.saved);
		// an *Event field holds only transient ones (Account.collecting).
		return f.Name == "body"
	}
	if t != accountType {
		return false
	}
	k := f.Type.Kind()
	return accountSkip[f.Name] || k == reflect.Chan || k == reflect.Func || f.Type.PkgPath() == "sync"
}

// accountSkip are Account fields rebuilt on restore instead of saved.
var accountSkip = map[string]bool{
	"mu":        true, // a fresh lock
	"wall":      true, // the store's wall clock
	"publisher": true, // the store's delivery engine
	"linkIndex": true, // the store's link index, rebuilt from links
	"cur":       true, // the clock of the operation in progress; nil between operations
	// the delivery engine's check that a webhook is unchanged since publish;
	// a loaded account starts at 0 and publishes afresh
	"webhookVersion": true,
}

var (
	accountType = reflect.TypeFor[Account]()
	eventType   = reflect.TypeFor[Event]()
	timeType    = reflect.TypeFor[time.Time]()
	clockType   = reflect.TypeFor[*clock.Virtual]()
	rawType     = reflect.TypeFor[json.RawMessage]()
	contentPtr  = reflect.TypeFor[*content]()
	// The event log (eventlog.go) is kept as data no reflection can save
	// (offsets, hashes); it is saved as its events' JSON instead.
	eventLogType = reflect.TypeFor[eventLog]()
	savedLogType = reflect.TypeFor[[]savedEvent]()
)

// savedContent is a file's content in the state file: its bytes, made now
// if it was still rendering, or the error that rendering gave.
type savedContent struct {
	Bytes []byte `json:"bytes"`
	Err   string `json:"err,omitempty"`
}

type snapshotFile struct {
	Format   string            `json:"format"`
	Version  int               `json:"version"`
	Schema   string            `json:"schema"`
	SavedAt  time.Time         `json:"savedAt"`
	Accounts []json.RawMessage `json:"accounts"`
}

// SchemaFingerprint identifies the shape of the saved state types.
func SchemaFingerprint() string {
	var b strings.Builder
	describe(&b, accountType, map[reflect.Type]bool{})
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:8])
}

func describe(b *strings.Builder, t reflect.Type, seen map[reflect.Type]bool) {
	switch {
	case t == timeType || t == clockType || t == rawType || t == contentPtr:
		b.WriteString(t.String())
		return
	case t == eventLogType:
		describe(b, savedLogType, seen)
		return
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array:
		b.WriteString(t.Kind().String() + "(")
		describe(b, t.Elem(), seen)
		b.WriteString(")")
	case reflect.Map:
		b.WriteString("map(" + t.Key().String() + ",")
		describe(b, t.Elem(), seen)
		b.WriteString(")")
	case reflect.Struct:
		b.WriteString(t.String())
		if seen[t] {
			return
		}
		seen[t] = true
		b.WriteString("{")
		for i := range t.NumField() {
			f := t.Field(i)
			if skipped(t, f) {
				continue
			}
			b.WriteString(f.Name + ":")
			describe(b, f.Type, seen)
			b.WriteString(";")
		}
		b.WriteString("}")
	default:
		b.WriteString(t.String())
	}
}

// Save writes every account to w.
func (s *Store) Save(w io.Writer) error {
	f := snapshotFile{Format: snapshotFormat, Version: snapshotVersion, Schema: SchemaFingerprint(), SavedAt: s.wall().UTC()}
	for _, a := range s.Accounts() {
		raw, err := a.snapshot()
		if err != nil {
			return fmt.Errorf("save account %s: %w", a.id, err)
		}
		f.Accounts = append(f.Accounts, raw)
	}
	enc := json.NewEncoder(w)
	return enc.Encode(f)
}

func (a *Account) snapshot() (json.RawMessage, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.reqMu.Lock() // the request log has its own lock
	defer a.reqMu.Unlock()
	e := &encoder{seen: map[uintptr]int{}}
	if err := e.value(reflect.ValueOf(a).Elem(), "account"); err != nil {
		return nil, err
	}
	return e.buf.Bytes(), nil
}

// Load reads accounts written by Save into the store, which must be empty.
func (s *Store) Load(r io.Reader) error {
	var f snapshotFile
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return fmt.Errorf("not a drsim state file (%w)", err)
	}
	if f.Format != snapshotFormat {
		return fmt.Errorf("not a drsim state file (format %q, want %q)", f.Format, snapshotFormat)
	}
	if f.Version != snapshotVersion || f.Schema != SchemaFingerprint() {
		return fmt.Errorf("the state file was written by another drsim version (file: version %d, schema %s; this drsim: version %d, schema %s); "+
			"start with another -state file or remove this one", f.Version, f.Schema, snapshotVersion, SchemaFingerprint())
	}
	accounts := make([]*Account, 0, len(f.Accounts))
	for i, raw := range f.Accounts {
		a := &Account{}
		d := &decoder{wall: s.wall}
		if err := d.value(raw, reflect.ValueOf(a).Elem(), "account"); err != nil {
			return fmt.Errorf("account %d of the state file: %w", i+1, err)
		}
		a.wall, a.publisher, a.linkIndex = s.wall, s.publisher, &s.links
		accounts = append(accounts, a)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.accounts) > 0 {
		return errors.New("load state: the simulator already has accounts")
	}
	for _, a := range accounts {
		if _, dup := s.byKey[a.keys.SecretKey]; dup {
			return fmt.Errorf("load state: secret key %s appears twice", a.keys.SecretKey)
		}
		s.accounts[a.id] = a
		s.byKey[a.keys.SecretKey] = keyRef{account: a}
		s.byKey[a.keys.PublicKey] = keyRef{account: a, public: true}
		for id := range a.links.all() {
			s.links.put(id, a)
		}
	}
	return nil
}

// encoder writes a value as JSON, structs as objects keyed by Go field name.
// A pointer met again (a customer's source is also in the account's
// sources) is written {"$ptr": n}, n numbering the pointers in the order
// they were first written; the decoder numbers them in the same order, so
// restored state shares what the saved state shared.
type encoder struct {
	buf  bytes.Buffer
	seen map[uintptr]int // pointers already written, with their number
}

func (e *encoder) value(v reflect.Value, path string) error {
	t := v.Type()
	if v.CanAddr() {
		v = readable(v)
	} else { // a map's value: copy it where its fields can be read
		c := reflect.New(t).Elem()
		c.Set(v)
		v = c
	}
	switch {
	case t == timeType:
		return e.json(readable(v).Interface(), path)
	case t == clockType:
		if v.IsNil() {
			e.buf.WriteString("null")
			return nil
		}
		return e.json(readable(v).Interface().(*clock.Virtual).Snapshot(), path)
	case t == rawType:
		return e.json(readable(v).Interface(), path)
	case t == contentPtr:
		if v.IsNil() {
			e.buf.WriteString("null")
			return nil
		}
		b, err := v.Interface().(*content).get()
		sc := savedContent{Bytes: b}
		if err != nil {
			sc.Err = err.Error()
		}
		return e.json(sc, path)
	case t == eventLogType:
		saved := v.Addr().Interface().(*eventLog).saved()
		return e.value(reflect.ValueOf(&saved).Elem(), path)
	}
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64, reflect.String:
		return e.json(readable(v).Interface(), path)
	case reflect.Pointer:
		if v.IsNil() {
			e.buf.WriteString("null")
			return nil
		}
		if n, ok := e.seen[v.Pointer()]; ok {
			fmt.Fprintf(&e.buf, `{"$ptr":%d}`, n)
			return nil
		}
		e.seen[v.Pointer()] = len(e.seen)
		return e.value(v.Elem(), path)
	case reflect.Interface:
		if v.IsNil() {
			e.buf.WriteString("null")
			return nil
		}
		if t.NumMethod() > 0 {
			return fmt.Errorf("%s: cannot save an interface value of type %s", path, t)
		}
		return e.json(readable(v).Interface(), path) // JSON values (metadata)
	case reflect.Slice:
		if v.IsNil() {
			e.buf.WriteString("null")
			return nil
		}
		if t.Elem().Kind() == reflect.Uint8 {
			return e.json(readable(v).Bytes(), path)
		}
		fallthrough
	case reflect.Array:
		e.buf.WriteByte('[')
		for i := range v.Len() {
			if i > 0 {
				e.buf.WriteByte(',')
			}
			if err := e.value(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		e.buf.WriteByte(']')
		return nil
	case reflect.Map:
		if v.IsNil() {
			e.buf.WriteString("null")
			return nil
		}
		if t.Key().Kind() != reflect.String {
			return fmt.Errorf("%s: cannot save a map keyed by %s", path, t.Key())
		}
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		e.buf.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				e.buf.WriteByte(',')
			}
			kb, _ := json.Marshal(k.String())
			e.buf.Write(kb)
			e.buf.WriteByte(':')
			if err := e.value(v.MapIndex(k), path+"["+k.String()+"]"); err != nil {
				return err
			}
		}
		e.buf.WriteByte('}')
		return nil
	case reflect.Struct:
		e.buf.WriteByte('{')
		n := 0
		for i := range t.NumField() {
			f := t.Field(i)
			if skipped(t, f) {
				continue
			}
			if n > 0 {
				e.buf.WriteByte(',')
			}
			n++
			e.buf.WriteString(`"` + f.Name + `":`)
			if err := e.value(v.Field(i), path+"."+f.Name); err != nil {
				return err
			}
		}
		e.buf.WriteByte('}')
		return nil
	}
	return fmt.Errorf("%s: cannot save a %s (%s); skip it in snapshot.go or make it data", path, t.Kind(), t)
}

func (e *encoder) json(v any, path string) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	e.buf.Write(b)
	return nil
}

// readable makes an unexported field's value usable through reflection.
func readable(v reflect.Value) reflect.Value {
	if v.CanInterface() {
		return v
	}
	return reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem()
}

// restorer is a struct whose fields tagged snapshot:"-" are derived from
// its other fields: the decoder calls restored once those are read.
type restorer interface {
	restored() error
}

// decoder reads JSON written by encoder.
type decoder struct {
	wall func() time.Time
	ptrs []reflect.Value // pointers in the order they were first written
}

var ptrRef = []byte(`{"$ptr":`)

// value reads raw into v (addressable).
func (d *decoder) value(raw json.RawMessage, v reflect.Value, path string) error {
	v = readable(v)
	t := v.Type()
	isNull := bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
	switch {
	case t == clockType:
		if isNull {
			return nil
		}
		var s clock.Snapshot
		if err := strictJSON(raw, &s); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		v.Set(reflect.ValueOf(clock.Restore(d.wall, s)))
		return nil
	case t == rawType && isNull:
		return nil // a nil RawMessage, as saved: "null" bytes would show under omitempty
	case t == timeType || t == rawType:
		return jsonInto(raw, v, path)
	case t == contentPtr:
		if isNull {
			return nil
		}
		var sc savedContent
		if err := strictJSON(raw, &sc); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		c := made(sc.Bytes)
		if sc.Err != "" {
			c.err = errors.New(sc.Err)
		}
		v.Set(reflect.ValueOf(c))
		return nil
	case t == eventLogType:
		var saved []savedEvent
		if err := d.value(raw, reflect.ValueOf(&saved).Elem(), path); err != nil {
			return err
		}
		if err := v.Addr().Interface().(*eventLog).restore(saved); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		if isNull {
			return nil
		}
		if bytes.HasPrefix(raw, ptrRef) {
			var ref struct {
				N int `json:"$ptr"`
			}
			if err := strictJSON(raw, &ref); err != nil || ref.N < 0 || ref.N >= len(d.ptrs) || d.ptrs[ref.N].Type() != t {
				return fmt.Errorf("%s: a bad shared pointer %s", path, raw)
			}
			v.Set(d.ptrs[ref.N])
			return nil
		}
		p := reflect.New(t.Elem())
		d.ptrs = append(d.ptrs, p)
		if err := d.value(raw, p.Elem(), path); err != nil {
			return err
		}
		v.Set(p)
		return nil
	case reflect.Slice:
		if isNull {
			return nil
		}
		if t.Elem().Kind() == reflect.Uint8 {
			return jsonInto(raw, v, path)
		}
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		s := reflect.MakeSlice(t, len(items), len(items))
		for i, it := range items {
			if err := d.value(it, s.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	case reflect.Array:
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil || len(items) != v.Len() {
			return fmt.Errorf("%s: want an array of %d: %v", path, v.Len(), err)
		}
		for i, it := range items {
			if err := d.value(it, v.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	case reflect.Map:
		if isNull {
			return nil
		}
		var items map[string]json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		m := reflect.MakeMapWithSize(t, len(items))
		keys := make([]string, 0, len(items))
		for k := range items {
			keys = append(keys, k)
		}
		sort.Strings(keys) // the encoder's order, so shared pointers number alike
		for _, k := range keys {
			it := items[k]
			ev := reflect.New(t.Elem()).Elem()
			if err := d.value(it, ev, path+"["+k+"]"); err != nil {
				return err
			}
			m.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), ev)
		}
		v.Set(m)
		return nil
	case reflect.Struct:
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(raw, &fields); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		for i := range t.NumField() {
			f := t.Field(i)
			if skipped(t, f) {
				continue
			}
			fr, ok := fields[f.Name]
			if !ok {
				return fmt.Errorf("%s.%s is missing from the state file", path, f.Name)
			}
			delete(fields, f.Name)
			if err := d.value(fr, v.Field(i), path+"."+f.Name); err != nil {
				return err
			}
		}
		for name := range fields {
			return fmt.Errorf("%s.%s in the state file is unknown to this drsim", path, name)
		}
		if r, ok := v.Addr().Interface().(restorer); ok {
			if err := r.restored(); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
		}
		return nil
	}
	return jsonInto(raw, v, path)
}

func jsonInto(raw json.RawMessage, v reflect.Value, path string) error {
	p := reflect.New(v.Type())
	if err := json.Unmarshal(raw, p.Interface()); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	v.Set(p.Elem())
	return nil
}

func strictJSON(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
