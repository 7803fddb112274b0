package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/drsim/drsim/simulator/client"
)

// clonedTypes are the resources clone copies (GET by id, lists, events).
// Every exported field of each, at any depth, is filled in the tests below,
// so a field added later is covered without touching them.
var clonedTypes = []any{
	&Customer{}, &Charge{}, &FileLink{}, &File{}, &Fulfillment{}, &Order{}, &Plan{}, &Refund{},
	&Return{}, &SKU{}, &Source{}, &Subscription{}, &Invoice{}, &Event{}, &Webhook{},
}

// jsonRoundTrip is what clone did before: copy through the JSON form
// (into v's dynamic type).
func jsonRoundTrip(v any) any {
	src := reflect.ValueOf(v)
	out := reflect.New(src.Type()).Elem()
	jsonCopy(out, src)
	return out.Interface()
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %T: %v", v, err)
	}
	return b
}

// TestCloneCopiesWhatJSONShows: the copy of a fully populated resource
// writes the same JSON as the resource and as the old JSON round trip.
func TestCloneCopiesWhatJSONShows(t *testing.T) {
	for _, proto := range clonedTypes {
		typ := reflect.TypeOf(proto).Elem()
		t.Run(typ.Name(), func(t *testing.T) {
			orig := reflect.New(typ)
			fill(orig.Elem(), 1, 0)
			v := orig.Interface()
			want := mustJSON(t, v)
			got := mustJSON(t, clone(v))
			if !bytes.Equal(got, want) {
				t.Fatalf("clone writes\n%s\nthe original writes\n%s", got, want)
			}
			if old := mustJSON(t, jsonRoundTrip(v)); !bytes.Equal(got, old) {
				t.Fatalf("clone writes\n%s\nthe JSON round trip wrote\n%s", got, old)
			}
		})
	}
}

// TestCloneSharesNothing: changing every field of the copy, through its
// pointers, slices and maps, leaves the original as it was.
func TestCloneSharesNothing(t *testing.T) {
	for _, proto := range clonedTypes {
		typ := reflect.TypeOf(proto).Elem()
		t.Run(typ.Name(), func(t *testing.T) {
			orig := reflect.New(typ)
			fill(orig.Elem(), 1, 0)
			before := mustJSON(t, orig.Interface())
			c := clone(orig.Interface())
			fill(reflect.ValueOf(c).Elem(), 2, 0)
			if after := mustJSON(t, orig.Interface()); !bytes.Equal(after, before) {
				t.Fatalf("changing the copy changed the original:\nbefore %s\nafter  %s", before, after)
			}
			if bytes.Equal(mustJSON(t, c), before) {
				t.Fatalf("the copy did not change when filled anew; the test proves nothing")
			}
		})
	}
}

// TestCloneLeavesHiddenFieldsZero: what JSON does not carry is not copied,
// as with the JSON round trip.
func TestCloneLeavesHiddenFieldsZero(t *testing.T) {
	e := &Event{Event: client.Event{ID: "e1", Type: "order.accepted", WebhookIDs: []string{"w1"}}, testClock: "clock_1"}
	c := clone(e)
	if c.testClock != "" || c.ID != "e1" || len(c.WebhookIDs) != 1 {
		t.Fatalf("clone of %+v = %+v, want the id and webhook ids copied and testClock empty", e, c)
	}
	q := Quantity{n: 3, set: true}
	if got := clone(q); got != q {
		t.Fatalf("clone(%+v) = %+v: a type with its own JSON methods keeps its fields", q, got)
	}
	if got := clone([]*Event(nil)); got != nil {
		t.Fatalf("clone(nil slice) = %#v", got)
	}
}

// fill sets every settable field of v, at any depth (up to a few levels of
// pointers), to values derived from seed; existing pointers, slices and
// maps are filled in place, so filling a copy reaches anything it shares.
func fill(v reflect.Value, seed, depth int) {
	if depth > 6 {
		return
	}
	t := v.Type()
	switch {
	case t == reflect.TypeFor[time.Time]():
		v.Set(reflect.ValueOf(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC).Add(time.Duration(seed) * time.Hour)))
		return
	case t == reflect.TypeFor[json.RawMessage]():
		v.Set(reflect.ValueOf(json.RawMessage(fmt.Sprintf(`{"seed":%d}`, seed))))
		return
	}
	switch t.Kind() {
	case reflect.Bool:
		v.SetBool(seed%2 == 1)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(seed + 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(seed + 10))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(seed) + 0.5)
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d", seed))
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		fill(v.Elem(), seed, depth+1)
	case reflect.Slice:
		if v.IsNil() {
			v.Set(reflect.MakeSlice(t, 2, 2))
		}
		for i := range v.Len() {
			fill(v.Index(i), seed+i, depth+1)
		}
	case reflect.Array:
		for i := range v.Len() {
			fill(v.Index(i), seed+i, depth+1)
		}
	case reflect.Map:
		if v.IsNil() {
			v.Set(reflect.MakeMap(t))
			for i := range 2 {
				k := reflect.New(t.Key()).Elem()
				fill(k, i, depth+1)
				v.SetMapIndex(k, reflect.New(t.Elem()).Elem())
			}
		}
		for _, k := range v.MapKeys() {
			e := reflect.New(t.Elem()).Elem()
			if cur := v.MapIndex(k); t.Elem().Kind() == reflect.Interface && !cur.IsNil() {
				e.Set(cur)
			}
			fill(e, seed, depth+1)
			v.SetMapIndex(k, e)
		}
	case reflect.Interface:
		if v.IsNil() {
			v.Set(reflect.ValueOf(map[string]any{"nested": []any{"x", 1.5}}))
		}
		// Fill what the interface holds in place when it is a reference.
		if inner := v.Elem(); inner.Kind() == reflect.Map {
			for _, k := range inner.MapKeys() {
				inner.SetMapIndex(k, reflect.ValueOf([]any{fmt.Sprintf("s%d", seed), float64(seed)}))
			}
		}
	case reflect.Struct:
		for i := range t.NumField() {
			if f := v.Field(i); f.CanSet() {
				fill(f, seed, depth+1)
			}
		}
	}
}

// BenchmarkClone copies a populated order, as the getters do for callers
// in the process (GET /orders/{id} writes the stored order instead:
// Account.WriteJSON), with the typed copy and with the JSON round trip it
// replaced.
func BenchmarkClone(b *testing.B) {
	o := &Order{}
	fill(reflect.ValueOf(o).Elem(), 1, 0)
	b.Run("typed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = clone(o)
		}
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var out *Order
			jsonCopy(reflect.ValueOf(&out).Elem(), reflect.ValueOf(&o).Elem())
		}
	})
}

// TestCloneAllCopiesEachValue: a page's copies (one array for the values
// its pointers point to) write what the originals write, nil stays nil,
// and changing a copy changes neither the originals nor the other copies.
func TestCloneAllCopiesEachValue(t *testing.T) {
	t.Run("Customer", func(t *testing.T) { checkCloneAll[*Customer](t) })
	t.Run("Order", func(t *testing.T) { checkCloneAll[*Order](t) })
	t.Run("Subscription", func(t *testing.T) { checkCloneAll[*Subscription](t) })
	t.Run("Event", func(t *testing.T) { checkCloneAll[*Event](t) })
}

func checkCloneAll[T any](t *testing.T) {
	t.Helper()
	var vs []T
	for seed := range 3 {
		p := reflect.New(reflect.TypeFor[T]().Elem())
		fill(p.Elem(), seed+1, 0)
		vs = append(vs, p.Interface().(T))
	}
	var zero T
	vs = append(vs, zero) // a nil pointer
	before := mustJSON(t, vs)
	copies := cloneAll(vs)
	if got := mustJSON(t, copies); !bytes.Equal(got, before) {
		t.Fatalf("cloneAll writes\n%s\nthe originals write\n%s", got, before)
	}
	if !reflect.ValueOf(copies[3]).IsNil() {
		t.Fatalf("the copy of a nil pointer is %v", copies[3])
	}
	for i := range 3 {
		if reflect.ValueOf(copies[i]).Pointer() == reflect.ValueOf(vs[i]).Pointer() {
			t.Fatalf("copy %d is the original", i)
		}
	}
	want1 := mustJSON(t, copies[1])
	fill(reflect.ValueOf(copies[0]).Elem(), 9, 0)
	if after := mustJSON(t, vs); !bytes.Equal(after, before) {
		t.Fatalf("changing a copy changed the originals:\nbefore %s\nafter  %s", before, after)
	}
	if got := mustJSON(t, copies[1]); !bytes.Equal(got, want1) {
		t.Fatalf("changing copy 0 changed copy 1:\nbefore %s\nafter  %s", want1, got)
	}
	if bytes.Equal(mustJSON(t, copies[0]), mustJSON(t, vs[0])) {
		t.Fatal("copy 0 did not change when filled anew; the test proves nothing")
	}
}
