package api

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/drsim/drsim/simulator/internal/apierror"
	"github.com/drsim/drsim/simulator/internal/delivery"
	"github.com/drsim/drsim/simulator/internal/state"
	"github.com/drsim/drsim/simulator/internal/wire"
)

// decodeTypes are request forms the routes decode (each method's
// parameter, so that a renamed type breaks the build, not the test).
var decodeTypes = []reflect.Type{
	reflect.TypeFor[state.CustomerParams](),
	reflect.TypeFor[state.SKUParams](),
	reflect.TypeOf((*state.Account).PlaceOrder).In(1),
	reflect.TypeOf((*state.Account).UpdateOrder).In(2),
	reflect.TypeOf((*state.Account).CreateFulfillment).In(1),
	reflect.TypeOf((*state.Account).CreateRefund).In(1),
	reflect.TypeOf((*state.Account).CreateReturn).In(1),
	reflect.TypeOf((*state.Account).CreateWebhook).In(1),
	reflect.TypeOf((*state.Account).CreateFileLink).In(1),
	reflect.TypeOf((*state.Account).CreateTestClock).In(1),
	reflect.TypeOf((*state.Account).CreatePlan).In(1),
	reflect.TypeOf((*state.Account).UpdateSubscription).In(2),
	reflect.TypeOf((*state.Account).CreateInvoice).In(1),
	reflect.TypeOf((*state.Account).UpdateInvoice).In(2),
	reflect.TypeOf((*state.Account).CreateSource).In(1),
	reflect.TypeFor[delivery.Fault](),
	reflect.TypeFor[struct{}](),
}

// strictOnly is decode as it is without the quick path: precheck, then the
// strict decoder and walk.
func strictOnly(body []byte, v any) error {
	if len(strings.TrimSpace(string(body))) == 0 {
		body = []byte("{}")
	}
	if err := precheck(body); err != nil {
		return err
	}
	return decodeStrict(body, v)
}

// sameDecode fails t when decodeBody and strictOnly disagree on body into a
// value of type typ: one refuses and the other not, different values, or
// different errors (status, code, parameter, message). The strict path may
// name a different fault from run to run (metadata with several: map order
// picks one), so decode's error must be one of its answers.
func sameDecode(t *testing.T, typ reflect.Type, body []byte) {
	t.Helper()
	quick, strict := reflect.New(typ), reflect.New(typ)
	qerr := decodeBody(append([]byte(nil), body...), quick.Interface())
	serr := strictOnly(append([]byte(nil), body...), strict.Interface())
	if (qerr == nil) != (serr == nil) {
		t.Fatalf("%v %q: decode says %v, the strict path %v", typ, body, qerr, serr)
	}
	if qerr == nil {
		if !reflect.DeepEqual(quick.Interface(), strict.Interface()) {
			t.Fatalf("%v %q: decode gives %+v, the strict path %+v", typ, body, quick.Elem(), strict.Elem())
		}
		return
	}
	q := apierror.As(qerr)
	for range 64 {
		if reflect.DeepEqual(q, apierror.As(serr)) {
			return
		}
		serr = strictOnly(append([]byte(nil), body...), reflect.New(typ).Interface())
	}
	t.Fatalf("%v %q: decode refuses with %v, the strict path (64 times) with others, such as %v", typ, body, q, serr)
}

// decodeBodies are bodies that pass, fail, or make the quick path give up.
var decodeBodies = []string{
	``, ` `, `{}`, ` {} `, "{}\f", `{}]`, `{} {}`, `{} x`, `null`, `[]`, `1`, `"x"`, `true`,
	`{"email":"a@example.test"}`, `{"email":"a@example.test"}}`, `{"email":`, `{"email":5}`,
	`{"EMAIL":"a@example.test"}`, `{"em\u0061il":"a@example.test"}`, `{"Email":"x","email":"y"}`,
	`{"email":"a@example.test","email":"b@example.test"}`, `{"colour":"red"}`,
	`{"shipping":{"name":"x","address":{"line1":"1 Main St","city":"X","country":"US"}}}`,
	`{"shipping":{"Name":"x"}}`, `{"shipping":null}`, `{"enabled":"yes"}`, `{"enabled":true,"requestToBeForgotten":false}`,
	`{"metadata":{"a":"b","c":1,"d":{"e":[1,{"f":null}]},"g":[[{"` + strings.Repeat("k", 41) + `":1}]]}}`,
	`{"metadata":{"a":"` + strings.Repeat("v", 498) + `"}}`, `{"metadata":{"a":"` + strings.Repeat("v", 499) + `"}}`,
	`{"metadata":{"a":"` + strings.Repeat("é", 498) + `"}}`, `{"metadata":{"a":"` + strings.Repeat("é", 499) + `"}}`,
	`{"metadata":{"a":[ "` + strings.Repeat("v", 495) + `" , 1 ]}}`, `{"metadata":{"a":["` + strings.Repeat("v", 495) + `",1,2]}}`,
	`{"metadata":{"a":"\n` + strings.Repeat("v", 496) + `"}}`,
	`{"metadata":{` + metadataKeys20 + `}}`, `{"metadata":{` + metadataKeys20 + `,"k0":2}}`, `{"metadata":{` + metadataKeys20 + `,"z":2}}`,
	`{"metadata":{"` + strings.Repeat("k", 40) + `":1}}`, `{"metadata":{"` + strings.Repeat("k", 41) + `":1}}`,
	`{"metadata":{"` + strings.Repeat("ü", 40) + `":1}}`, `{"metadata":{"` + strings.Repeat("k", 39) + `\u006b":1}}`,
	`{"metadata":{"a":{"` + strings.Repeat("k", 41) + `":1}}}`, `{"metadata":{"a":[{"` + strings.Repeat("k", 41) + `":1}]}}`,
	`{"metadata":{"a":"` + strings.Repeat("v", 501) + `","b":"` + strings.Repeat("v", 501) + `"}}`,
	`{"metadata":{"a":1,"a":"` + strings.Repeat("v", 501) + `"}}`, `{"metadata":{"a":"` + strings.Repeat("v", 501) + `","a":1}}`,
	`{"metadata":null}`, `{"metadata":[]}`, `{"metadata":"x"}`, `{"metadata":{"a":1e400}}`,
	`{"quantity":1}`, `{"amount":1e12}`, `{"amount":1e13}`, `{"amount":-1e13}`, `{"amount":1e400}`, `{"amount":0.5}`,
	`{"items":[{"skuId":"s","quantity":1000000000,"price":1}]}`, `{"items":[{"skuId":"s","quantity":1000000001,"price":1}]}`,
	`{"items":[{"skuId":"s","quantity":9223372036854775807}]}`, `{"items":[{"skuId":"s","quantity":-1}]}`,
	`{"items":[{"skuId":"s","Quantity":1}]}`, `{"items":[]}`, `{"items":null}`, `{"items":[null]}`,
	`{"frozenTime":"2026-01-01T00:00:00Z"}`, `{"frozenTime":"9999-12-31T23:59:59-23:59"}`, `{"frozenTime":"1969-12-31T23:59:59Z"}`,
	`{"frozenTime":"yesterday"}`, `{"frozenTime":"2026-01-01T00:00:00\u005a"}`, `{"frozenTime":null}`, `{"frozenTime":5}`,
	`{"expiresTime":"2030-01-01T00:00:00+01:00"}`, `{"fileId":"f","expiresTime":"10000-01-01T00:00:00Z"}`,
	`{"address":"http://127.0.0.1:1/x","types":["order.accepted"],"enabled":true}`, `{"Address":"http://x"}`,
	`{"seed":18446744073709551615}`, `{"seed":18446744073709551616}`, `{"delay":"1s"}`,
	`{"a":` + strings.Repeat("[", 31) + strings.Repeat("]", 31) + `}`, strings.Repeat("[", 40) + strings.Repeat("]", 40),
	`{"quantity":1.0}`, `{"quantity":1e2}`, `{"quantity":-0}`, `{"items":[{"skuId":"s","quantity":1.5,"price":1}]}`,
	`{"items":[{"skuId":"s","quantity":"1","price":"1"}]}`, `{"items":[{"skuId":"s","quantity":1,"price":1e-400}]}`,
	`{"email":"\ud800"}`, `{"email":"\ud83d\ude00@example.test"}`, `{"email":"a\u0000@example.test"}`, `{"email":"\/a@example.test"}`,
	`{"enabled":1}`, `{"enabled":null}`, `{"locale":["en_US"]}`, `{"shipping":[]}`, `{"shipping":"x"}`, `{"id":{"a":1}}`,
	`{"metadata":{"a":true,"b":null,"c":-1.5e3,"d":"\u00e9"}}`, `{"frozenTime":"2026-01-01T00:00:00.5Z"}`, `{"frozenTime":"2026-01-01T00:00:00,5Z"}`,
	`{"frozenTime":"2026-01-01T24:00:00Z"}`, `{"frozenTime":"2026-01-01t00:00:00z"}`, `{"frozenTime":"2026-01-01T00:00:00+24:00"}`,
	`{"since":"2026-01-01T00:00:00Z","undelivered":true}`, `{"types":["a",1]}`, `{"types":"a"}`,
	"{\"\xff\":1}", "{\"email\":\"a\xff\"}", `{"email":"a@example.test"` + "\n}\n", "\t{ \"email\" : \"a@example.test\" , \"locale\" : \"en_US\" }\r\n",
}

var metadataKeys20 = func() string {
	parts := make([]string, 20)
	for i := range parts {
		parts[i] = `"k` + strings.Repeat("x", i) + `":1`
	}
	return strings.Join(parts, ",")
}()

// TestDecodeSame: decode's quick path changes no answer of the strict one.
func TestDecodeSame(t *testing.T) {
	for _, typ := range decodeTypes {
		for _, b := range decodeBodies {
			sameDecode(t, typ, []byte(b))
		}
	}
}

// FuzzDecodeSame is TestDecodeSame for any body.
func FuzzDecodeSame(f *testing.F) {
	for i, b := range decodeBodies {
		f.Add(uint8(i), []byte(b))
	}
	f.Fuzz(func(t *testing.T, typ uint8, body []byte) {
		sameDecode(t, decodeTypes[int(typ)%len(decodeTypes)], body)
	})
}

// TestQuickTakesCommonBodies: the usual requests are decoded on the quick
// path (the strict one is for refusals and for what the quick one is not
// sure of), so that a change to the walk's rules cannot make every request
// slow unnoticed.
func TestQuickTakesCommonBodies(t *testing.T) {
	for _, c := range []struct {
		typ  reflect.Type
		body string
	}{
		{reflect.TypeFor[state.CustomerParams](), `{"email":"a@example.test","metadata":{"crm":"42","tags":["a","b"],"n":{"x":1}}}`},
		{reflect.TypeFor[state.CustomerParams](), `{"email":"a@example.test","shipping":{"name":"A","address":{"line1":"1 Main St","city":"X","country":"US"}},"locale":"en_US","enabled":true}`},
		{reflect.TypeFor[state.SKUParams](), `{"name":"Widget","eccn":"EAR99","taxCode":"4512.1","countryOfOrigin":"US","metadata":null}`},
		{reflect.TypeOf((*state.Account).PlaceOrder).In(1), `{"customerId":"c","items":[{"skuId":"s","quantity":3,"price":10.5}]}`},
		{reflect.TypeOf((*state.Account).CreateTestClock).In(1), `{"frozenTime":"2026-01-01T00:00:00Z"}`},
		{reflect.TypeOf((*state.Account).CreateInvoice).In(1), `{"customerId":"c","currency":"USD","items":[{"skuId":"s","price":10.5,"quantity":2}],"metadata":{"ref":"A-1"}}`},
		{reflect.TypeFor[struct{}](), ``},
	} {
		v := reflect.New(c.typ)
		body := []byte(c.body)
		if len(body) == 0 {
			body = []byte("{}")
		}
		if err := strictOnly(body, v.Interface()); err != nil {
			t.Fatalf("%v %s: the strict path refuses it: %v", c.typ, c.body, err)
		}
		if !quickOK(body, c.typ) {
			t.Errorf("%v %s: the quick path gives up on it", c.typ, c.body)
		}
	}
}

// writeJSON answers with wire.Marshal's bytes exactly, buffer reused or not.
func TestWriteJSONIsMarshal(t *testing.T) {
	email := "a@example.test"
	for range 3 {
		for _, v := range []any{
			state.CustomerParams{Email: &email, Metadata: map[string]any{"a": 1.5, "b": []any{"x"}}},
			map[string]any{"big": strings.Repeat("x", 70<<10)},
			[]int{},
		} {
			want, err := wire.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			w := httptest.NewRecorder()
			writeJSON(w, http.StatusOK, v)
			if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/json" || !bytes.Equal(w.Body.Bytes(), want) {
				t.Fatalf("writeJSON(%T): %d %q %.80q; want 200 application/json %.80q", v, w.Code, w.Header().Get("Content-Type"), w.Body.Bytes(), want)
			}
		}
	}
}

// BenchmarkDecodeCustomer is decoding a POST /customers body: decode as it
// is (quick path) and the strict path alone (what decode did before it).
func BenchmarkDecodeCustomer(b *testing.B) {
	body := []byte(`{"email":"b12345@example.test"}`)
	for _, c := range []struct {
		name   string
		decode func([]byte, any) error
	}{{"decode", decodeBody}, {"strict", strictOnly}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var p state.CustomerParams
				if err := c.decode(body, &p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
