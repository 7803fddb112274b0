package state

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"
)

// clone deep-copies a resource as a client sees it: every field its JSON
// form carries is copied, nothing is shared with v, and what JSON leaves
// out (unexported fields, fields tagged json:"-") is left zero in the copy.
//
// It copies field by field with a plan made once per type (copyPlanFor),
// not through a JSON round trip: a GET by id costs a few allocations, not
// an encode and a decode. A type the plan cannot copy faithfully (one with
// its own UnmarshalJSON and hidden fields, channels, functions) is copied
// through its JSON form, as before.
func clone[T any](v T) T {
	var out T
	copyValue(reflect.ValueOf(&out).Elem(), reflect.ValueOf(&v).Elem())
	return out
}

// cloneAll clones each of vs. When T is a pointer (a page of resources),
// the copies it points to share one array: a page of ten customers is one
// allocation for them, not ten, and none for boxing each value.
func cloneAll[T any](vs []T) []T {
	out := make([]T, len(vs))
	t := reflect.TypeFor[T]()
	if t.Kind() != reflect.Pointer || len(vs) < 2 {
		for i, v := range vs {
			out[i] = clone(v)
		}
		return out
	}
	plan := copyPlanFor(t.Elem()) // what clone's plan for T does to the value pointed to
	copies := reflect.MakeSlice(reflect.SliceOf(t.Elem()), len(vs), len(vs))
	for i, v := range vs {
		src := reflect.ValueOf(v)
		if src.IsNil() {
			continue
		}
		dst := copies.Index(i)
		plan(dst, src.Elem())
		out[i] = dst.Addr().Interface().(T)
	}
	return out
}

// copyValue deep-copies src into dst (settable, same type).
func copyValue(dst, src reflect.Value) {
	copyPlanFor(src.Type())(dst, src)
}

// copyFunc copies src into the settable, zero dst of the same type.
type copyFunc func(dst, src reflect.Value)

var (
	copyPlans sync.Map   // reflect.Type → copyFunc, complete plans
	planMu    sync.Mutex // making plans
	building  = map[reflect.Type]*copyFunc{}

	timeValueType   = reflect.TypeFor[time.Time]()
	marshalerType   = reflect.TypeFor[json.Marshaler]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	anyMapType      = reflect.TypeFor[map[string]any]()
)

// copyPlanFor returns the copier of t, making it (and those of the types
// inside it) on first use.
func copyPlanFor(t reflect.Type) copyFunc {
	if f, ok := copyPlans.Load(t); ok {
		return f.(copyFunc)
	}
	planMu.Lock()
	defer planMu.Unlock()
	return planLocked(t)
}

func planLocked(t reflect.Type) copyFunc {
	if f, ok := copyPlans.Load(t); ok {
		return f.(copyFunc)
	}
	if p, ok := building[t]; ok {
		// A recursive type (a pointer to t inside t): call the plan once
		// it is made.
		return func(dst, src reflect.Value) { (*p)(dst, src) }
	}
	p := new(copyFunc)
	building[t] = p
	*p = makeCopyPlan(t)
	delete(building, t)
	copyPlans.Store(t, *p)
	return *p
}

// makeCopyPlan decides how values of t are copied. The caller holds planMu.
func makeCopyPlan(t reflect.Type) copyFunc {
	if shallow(t, false, map[reflect.Type]bool{}) || (ownsJSON(t) && shallow(t, true, map[reflect.Type]bool{})) {
		// A type with its own JSON methods keeps its hidden fields: they
		// are part of what it writes.
		return func(dst, src reflect.Value) { dst.Set(src) }
	}
	switch t.Kind() {
	case reflect.Pointer:
		elem := t.Elem()
		ef := planLocked(elem)
		return func(dst, src reflect.Value) {
			if src.IsNil() {
				return
			}
			p := reflect.New(elem)
			ef(p.Elem(), src.Elem())
			dst.Set(p)
		}
	case reflect.Slice:
		elem := t.Elem()
		if shallow(elem, false, map[reflect.Type]bool{}) {
			return func(dst, src reflect.Value) {
				if src.IsNil() {
					return
				}
				s := reflect.MakeSlice(t, src.Len(), src.Len())
				reflect.Copy(s, src)
				dst.Set(s)
			}
		}
		ef := planLocked(elem)
		return func(dst, src reflect.Value) {
			if src.IsNil() {
				return
			}
			n := src.Len()
			s := reflect.MakeSlice(t, n, n)
			for i := range n {
				ef(s.Index(i), src.Index(i))
			}
			dst.Set(s)
		}
	case reflect.Array:
		ef := planLocked(t.Elem())
		return func(dst, src reflect.Value) {
			for i := range src.Len() {
				ef(dst.Index(i), src.Index(i))
			}
		}
	case reflect.Map:
		if t == anyMapType {
			return func(dst, src reflect.Value) {
				if !src.IsNil() {
					dst.Set(reflect.ValueOf(copyAnyMap(src.Interface().(map[string]any))))
				}
			}
		}
		key, elem := t.Key(), t.Elem()
		kf, ef := planLocked(key), planLocked(elem)
		return func(dst, src reflect.Value) {
			if src.IsNil() {
				return
			}
			m := reflect.MakeMapWithSize(t, src.Len())
			k, v := reflect.New(key).Elem(), reflect.New(elem).Elem()
			it := src.MapRange()
			for it.Next() {
				k.SetZero()
				v.SetZero()
				kf(k, it.Key())
				ef(v, it.Value())
				m.SetMapIndex(k, v)
			}
			dst.Set(m)
		}
	case reflect.Interface:
		return func(dst, src reflect.Value) {
			if src.IsNil() {
				return
			}
			inner := src.Elem()
			if j, ok := copyJSONValue(inner.Interface()); ok {
				dst.Set(reflect.ValueOf(j))
				return
			}
			v := reflect.New(inner.Type()).Elem()
			copyPlanFor(inner.Type())(v, inner)
			dst.Set(v)
		}
	case reflect.Struct:
		if f, ok := structPlan(t); ok {
			return f
		}
	}
	return jsonCopy
}

// copyJSONValue deep-copies the values encoding/json decodes into an any
// (metadata), without reflection; ok is false for anything else.
func copyJSONValue(v any) (any, bool) {
	switch v := v.(type) {
	case nil, string, float64, bool, json.Number:
		return v, true
	case map[string]any:
		return copyAnyMap(v), true
	case []any:
		if v == nil {
			return v, true
		}
		out := make([]any, len(v))
		for i, e := range v {
			c, ok := copyJSONValue(e)
			if !ok {
				c = clone(e)
			}
			out[i] = c
		}
		return out, true
	}
	return nil, false
}

func copyAnyMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, e := range m {
		c, ok := copyJSONValue(e)
		if !ok {
			c = clone(e)
		}
		out[k] = c
	}
	return out
}

// structPlan (caller holds planMu) copies the fields of t that JSON carries; ok is false when
// that would not be faithful: t decodes itself from JSON and has fields
// JSON does not show, or an unexported embedded struct lends it fields.
func structPlan(t reflect.Type) (copyFunc, bool) {
	selfDecoding := reflect.PointerTo(t).Implements(unmarshalerType)
	var fields []int
	for i := range t.NumField() {
		sf := t.Field(i)
		hidden := !sf.IsExported() || sf.Tag.Get("json") == "-"
		if sf.Anonymous && !sf.IsExported() && sf.Type.Kind() != reflect.Pointer {
			return nil, false // its exported fields are JSON's but not settable here
		}
		if hidden {
			if selfDecoding {
				return nil, false
			}
			continue
		}
		fields = append(fields, i)
	}
	plans := make([]copyFunc, len(fields))
	for n, i := range fields {
		plans[n] = planLocked(t.Field(i).Type)
	}
	return func(dst, src reflect.Value) {
		for n, i := range fields {
			plans[n](dst.Field(i), src.Field(i))
		}
	}, true
}

// ownsJSON reports whether t (or *t) has its own MarshalJSON or UnmarshalJSON.
func ownsJSON(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return t.Implements(marshalerType) || p.Implements(marshalerType) || p.Implements(unmarshalerType)
}

// shallow reports whether assigning a value of t is already a deep copy as
// JSON sees it: t holds no pointers, slices, maps or interfaces and (unless
// hidden) no fields JSON leaves out. Strings are immutable and time.Time is
// a value.
func shallow(t reflect.Type, hidden bool, seen map[reflect.Type]bool) bool {
	if t == timeValueType {
		return true
	}
	if seen[t] {
		return false
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128, reflect.String:
		return true
	case reflect.Array:
		return shallow(t.Elem(), hidden, seen)
	case reflect.Struct:
		for i := range t.NumField() {
			sf := t.Field(i)
			if (!hidden && (!sf.IsExported() || sf.Tag.Get("json") == "-")) || !shallow(sf.Type, hidden, seen) {
				return false
			}
		}
		return true
	}
	return false
}

// jsonCopy copies through the JSON form, for the types the plan cannot
// copy field by field.
func jsonCopy(dst, src reflect.Value) {
	b, err := json.Marshal(src.Interface())
	if err != nil {
		panic(fmt.Sprintf("state: cannot marshal %s: %v", src.Type(), err)) // resources are plain data
	}
	p := reflect.New(src.Type())
	if err := json.Unmarshal(b, p.Interface()); err != nil {
		panic(fmt.Sprintf("state: cannot unmarshal %s: %v", src.Type(), strings.TrimSpace(err.Error())))
	}
	dst.Set(p.Elem())
}
