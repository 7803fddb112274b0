package state

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"sort"
	"strconv"
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

// Save writes every account to w: the envelope (format, version, schema,
// time), then each account as it is encoded, straight to w through a
// buffer, so a large account is never held in memory as JSON. Each account
// is locked while it is written (see snapshot).
func (s *Store) Save(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	e := &encoder{w: bw}
	e.buf = append(e.buf[:0], `{"format":`...)
	e.buf = strconv.AppendQuote(e.buf, snapshotFormat)
	e.buf = append(e.buf, `,"version":`...)
	e.buf = strconv.AppendInt(e.buf, snapshotVersion, 10)
	e.buf = append(e.buf, `,"schema":`...)
	e.buf = strconv.AppendQuote(e.buf, SchemaFingerprint())
	e.buf = append(e.buf, `,"savedAt":`...)
	if err := e.time(s.wall().UTC()); err != nil {
		return fmt.Errorf("save: savedAt: %w", err)
	}
	e.buf = append(e.buf, `,"accounts":`...)
	accounts := s.Accounts()
	if len(accounts) == 0 {
		e.buf = append(e.buf, "null"...)
	}
	for i, a := range accounts {
		if i == 0 {
			e.buf = append(e.buf, '[')
		} else {
			e.buf = append(e.buf, ',')
		}
		if err := a.snapshot(e); err != nil {
			return fmt.Errorf("save account %s: %w", a.id, err)
		}
	}
	if len(accounts) > 0 {
		e.buf = append(e.buf, ']')
	}
	e.buf = append(e.buf, "}\n"...)
	e.flush()
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	return nil
}

// snapshot writes the account through e, holding its locks while it does:
// requests to the account wait for the save.
func (a *Account) snapshot(e *encoder) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.reqMu.Lock() // the request log has its own lock
	defer a.reqMu.Unlock()
	e.seen = map[uintptr]int{}
	return e.value(reflect.ValueOf(a).Elem())
}

// Load reads accounts written by Save into the store, which must be empty.
// The file is read as a stream of tokens, each value decoded straight into
// the state it restores: no part of the file is held in memory but the
// decoder's buffer. Nothing is added to the store unless the whole file is
// read.
func (s *Store) Load(r io.Reader) error {
	accounts, err := loadAccounts(r, s.wall)
	if err != nil {
		return err
	}
	for _, a := range accounts {
		a.wall, a.publisher, a.linkIndex = s.wall, s.publisher, &s.links
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

// shareCustomerStrings lays restored customers out as createCustomer does:
// the id and the email in one allocation, which the customers'
// collection's entry shares, so a loaded customer is as many heap objects
// as one created in this process.
func (a *Account) shareCustomerStrings() {
	for i := range a.customers.items {
		en := &a.customers.items[i]
		c := en.v
		if c == nil || c.ID != en.id {
			continue
		}
		n := len(c.ID)
		s := c.ID + c.Email
		c.ID, c.Email = s[:n], s[n:]
		en.id = c.ID
	}
}

// encoder writes a value as JSON, structs as objects keyed by Go field name.
// A pointer met again (a customer's source is also in the account's
// sources) is written {"$ptr": n}, n numbering the pointers in the order
// they were first written; the decoder numbers them in the same order, so
// restored state shares what the saved state shared. Values are appended
// to buf, which is written to w whenever it grows past a few kilobytes.
// The path of the value being written is kept as a stack and spelled out
// only in an error.
type encoder struct {
	w     *bufio.Writer
	buf   []byte
	seen  map[uintptr]int // pointers already written, with their number
	path  pathStack
	types map[reflect.Type]*encType
}

// encType is what the encoder looks up once per type.
type encType struct {
	methods bool     // encoding/json writes it through its own methods
	fields  []int    // a struct's saved fields
	names   []string // and their names as written: "Name":
}

func (e *encoder) typeOf(t reflect.Type) *encType {
	if et, ok := e.types[t]; ok {
		return et
	}
	if e.types == nil {
		e.types = map[reflect.Type]*encType{}
	}
	et := &encType{methods: hasJSONMethods(t)}
	if t.Kind() == reflect.Struct {
		for i := range t.NumField() {
			if f := t.Field(i); !skipped(t, f) {
				et.fields = append(et.fields, i)
				et.names = append(et.names, `"`+f.Name+`":`)
			}
		}
	}
	e.types[t] = et
	return et
}

// flush writes buf out (bufio keeps a write's error for Flush).
func (e *encoder) flush() {
	_, _ = e.w.Write(e.buf)
	e.buf = e.buf[:0]
}

func (e *encoder) errorf(format string, args ...any) error {
	return fmt.Errorf("%s: %w", e.path.String(), fmt.Errorf(format, args...))
}

func (e *encoder) value(v reflect.Value) error {
	if len(e.buf) > 32<<10 {
		e.flush()
	}
	t := v.Type()
	if v.CanAddr() {
		v = readable(v)
	} else { // a map's value: copy it where its fields can be read
		c := reflect.New(t).Elem()
		c.Set(v)
		v = c
	}
	switch t {
	case timeType:
		if err := e.time(v.Interface().(time.Time)); err != nil {
			return e.errorf("%w", err)
		}
		return nil
	case clockType:
		if v.IsNil() {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		return e.json(v.Interface().(*clock.Virtual).Snapshot())
	case rawType:
		return e.json(v.Interface())
	case contentPtr:
		if v.IsNil() {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		b, err := v.Interface().(*content).get()
		sc := savedContent{Bytes: b}
		if err != nil {
			sc.Err = err.Error()
		}
		return e.json(sc)
	case eventLogType:
		return e.events(v.Addr().Interface().(*eventLog))
	}
	switch k := t.Kind(); k {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64, reflect.String:
		if e.typeOf(t).methods {
			return e.json(v.Interface())
		}
		switch k {
		case reflect.Bool:
			e.buf = strconv.AppendBool(e.buf, v.Bool())
		case reflect.String:
			e.buf = appendString(e.buf, v.String())
		case reflect.Float32, reflect.Float64:
			b, ok := appendFloat(e.buf, v.Float(), t.Bits())
			if !ok {
				return e.json(v.Interface()) // the error json gives
			}
			e.buf = b
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			e.buf = strconv.AppendUint(e.buf, v.Uint(), 10)
		default:
			e.buf = strconv.AppendInt(e.buf, v.Int(), 10)
		}
		return nil
	case reflect.Pointer:
		if v.IsNil() {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		if n, ok := e.seen[v.Pointer()]; ok {
			e.buf = append(e.buf, `{"$ptr":`...)
			e.buf = strconv.AppendInt(e.buf, int64(n), 10)
			e.buf = append(e.buf, '}')
			return nil
		}
		e.seen[v.Pointer()] = len(e.seen)
		return e.value(v.Elem())
	case reflect.Interface:
		if v.IsNil() {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		if t.NumMethod() > 0 {
			return e.errorf("cannot save an interface value of type %s", t)
		}
		return e.json(v.Interface()) // JSON values (metadata)
	case reflect.Slice:
		if v.IsNil() {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		if t.Elem().Kind() == reflect.Uint8 {
			return e.json(v.Bytes())
		}
		fallthrough
	case reflect.Array:
		e.buf = append(e.buf, '[')
		for i := range v.Len() {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			e.path.index(i)
			if err := e.value(v.Index(i)); err != nil {
				return err
			}
			e.path.pop()
		}
		e.buf = append(e.buf, ']')
		return nil
	case reflect.Map:
		if v.IsNil() {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		if t.Key().Kind() != reflect.String {
			return e.errorf("cannot save a map keyed by %s", t.Key())
		}
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		e.buf = append(e.buf, '{')
		for i, k := range keys {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			e.buf = appendString(e.buf, k.String())
			e.buf = append(e.buf, ':')
			e.path.key(k.String())
			if err := e.value(v.MapIndex(k)); err != nil {
				return err
			}
			e.path.pop()
		}
		e.buf = append(e.buf, '}')
		return nil
	case reflect.Struct:
		e.buf = append(e.buf, '{')
		et := e.typeOf(t)
		for n, i := range et.fields {
			if n > 0 {
				e.buf = append(e.buf, ',')
			}
			e.buf = append(e.buf, et.names[n]...)
			e.path.field(et.names[n])
			if err := e.value(v.Field(i)); err != nil {
				return err
			}
			e.path.pop()
		}
		e.buf = append(e.buf, '}')
		return nil
	}
	return e.errorf("cannot save a %s (%s); skip it in snapshot.go or make it data", t.Kind(), t)
}

// events writes the event log as savedEvents: each event's JSON as the log
// keeps it (the bytes record wrote, which restore writes again alike).
func (e *encoder) events(l *eventLog) error {
	e.buf = append(e.buf, '[')
	for i := range l.entries {
		if len(e.buf) > 32<<10 {
			e.flush()
		}
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		en := &l.entries[i]
		e.buf = append(e.buf, `{"JSON":`...)
		e.buf = append(e.buf, l.json(i)...)
		e.buf = append(e.buf, `,"TestClock":`...)
		e.buf = appendString(e.buf, l.clocks[en.clock])
		e.buf = append(e.buf, `,"Recorded":`...)
		if err := e.time(en.recordedTime()); err != nil {
			e.path.index(i)
			return e.errorf("%w", err)
		}
		e.buf = append(e.buf, '}')
	}
	e.buf = append(e.buf, ']')
	return nil
}

// time appends t as encoding/json writes a time.Time.
func (e *encoder) time(t time.Time) error {
	e.buf = append(e.buf, '"')
	b, err := t.AppendText(e.buf)
	if err != nil {
		e.buf = e.buf[:len(e.buf)-1]
		return fmt.Errorf("time %v: %w", t, err)
	}
	e.buf = append(b, '"')
	return nil
}

// json appends v as encoding/json writes it: the values the encoder has no
// quick way for (interfaces, raw JSON, bytes, types with JSON methods).
func (e *encoder) json(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return e.errorf("%w", err)
	}
	e.buf = append(e.buf, b...)
	return nil
}

var (
	jsonMarshaler   = reflect.TypeFor[json.Marshaler]()
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textMarshaler   = reflect.TypeFor[interface{ MarshalText() ([]byte, error) }]()
	textUnmarshaler = reflect.TypeFor[interface{ UnmarshalText([]byte) error }]()
)

// hasJSONMethods says whether encoding/json writes or reads t through its
// own methods: such a value is saved and loaded by encoding/json.
func hasJSONMethods(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return t.Implements(jsonMarshaler) || t.Implements(textMarshaler) || p.Implements(jsonMarshaler) || p.Implements(textMarshaler) ||
		p.Implements(jsonUnmarshaler) || p.Implements(textUnmarshaler)
}

// appendFloat appends f as encoding/json writes a float of that many bits;
// false for NaN and infinities, which JSON cannot hold.
func appendFloat(b []byte, f float64, bits int) ([]byte, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, false
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	b = strconv.AppendFloat(b, f, format, -1, bits)
	if format == 'e' { // clean up e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, true
}

// readable makes an unexported field's value usable through reflection.
func readable(v reflect.Value) reflect.Value {
	if v.CanInterface() {
		return v
	}
	return reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem()
}

// pathStack is where in the state a value is (account.customers.items[3].v),
// kept as a stack of fields, indexes and map keys while the encoder or
// decoder walks, and spelled out only for an error.
type pathStack []pathSeg

type pathSeg struct {
	name  string // a field (as the encoder writes it, "Name":, or bare), or a map key when index is -2
	index int    // an index, or -1 for a field, -2 for a map key
}

func (p *pathStack) field(name string) { *p = append(*p, pathSeg{name, -1}) }
func (p *pathStack) key(k string)      { *p = append(*p, pathSeg{k, -2}) }
func (p *pathStack) index(i int)       { *p = append(*p, pathSeg{"", i}) }
func (p *pathStack) pop()              { *p = (*p)[:len(*p)-1] }

func (p pathStack) String() string {
	b := []byte("account")
	for _, s := range p {
		switch s.index {
		case -1:
			b = append(b, '.')
			b = append(b, strings.TrimSuffix(strings.TrimPrefix(s.name, `"`), `":`)...)
		case -2:
			b = append(b, '[')
			b = append(b, s.name...)
			b = append(b, ']')
		default:
			b = append(b, '[')
			b = strconv.AppendInt(b, int64(s.index), 10)
			b = append(b, ']')
		}
	}
	return string(b)
}
