package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	jsonv1 "github.com/go-json-experiment/json/v1"
	"github.com/gorilla/mux"

	"github.com/drsim/drsim/simulator/internal/apierror"
	"github.com/drsim/drsim/simulator/internal/state"
	"github.com/drsim/drsim/simulator/internal/wire"
)

// maxBody bounds request bodies.
const maxBody = 1 << 20

func writeJSON(w http.ResponseWriter, status int, v any) {
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	var body []byte
	switch b := v.(type) {
	case rawBody: // a file's bytes (files.go)
		b.write(w, status)
		return
	case pooledJSON: // written already, into a buffer of respBufs
		defer putRespBuf(b.Buffer)
		body = b.Bytes()
	case jsonBody: // written already
		body = b
	default:
		buf := respBufs.Get().(*bytes.Buffer)
		defer putRespBuf(buf)
		if err := wire.MarshalWrite(buf, v); err != nil {
			writeError(w, apierror.New(http.StatusInternalServerError, "internal_error", "", "cannot encode response: "+err.Error()))
			return
		}
		body = buf.Bytes()
	}
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// respBufs are buffers for writeJSON's answers, written to the client and
// reused (wire.Marshal would allocate each answer's bytes).
var respBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// putRespBuf gives buf back for reuse, unless an unusually large answer
// grew it (kept, it would hold that memory for good).
func putRespBuf(buf *bytes.Buffer) {
	if buf.Cap() > 64<<10 {
		return
	}
	buf.Reset()
	respBufs.Put(buf)
}

// jsonContentType is the Content-Type header of JSON answers, one slice for
// all where Header.Set makes one per call: nothing writes into a header's
// values, and Header.Add, appending to a slice of capacity 1, copies it.
var jsonContentType = []string{"application/json"}

// jsonBody is a response the state wrote as JSON already (as wire.Marshal
// writes it), sent as it is.
type jsonBody []byte

// pooledJSON is an answer's JSON written already into a buffer of
// respBufs, which writeJSON gives back once it has sent it.
type pooledJSON struct{ *bytes.Buffer }

// byID answers GET by id of a resource of kind: the stored object written
// as JSON under the account's lock (state.Account.WriteJSON), with no copy
// of it made to be written and dropped.
func byID(a *state.Account, kind state.Kind, id string) (int, any, error) {
	buf := respBufs.Get().(*bytes.Buffer)
	if err := a.WriteJSON(buf, kind, id); err != nil {
		putRespBuf(buf)
		return 0, nil, err
	}
	return http.StatusOK, pooledJSON{buf}, nil
}

func writeError(w http.ResponseWriter, e *apierror.Error) {
	b, _ := json.Marshal(e) // plain strings; cannot fail
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(e.Status)
	_, _ = w.Write(b)
}

// decode reads a JSON body into v, rejecting unknown fields, wrong types,
// malformed JSON and what checkBody refuses (strict.go) with DR's 400. An
// empty body decodes as {}.
func decode(r *http.Request, v any) error {
	body, err := readBody(r)
	if err != nil {
		return apierror.BadRequest("invalid_parameter", "", "Cannot read the request body: %v", err)
	}
	if len(body) > maxBody {
		return apierror.BadRequest("invalid_parameter", "", "The request body is larger than %d bytes.", maxBody)
	}
	return decodeBody(body, v)
}

// decodeBody is decode of a body read already.
func decodeBody(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	if err := precheck(body); err != nil {
		return err
	}
	// The quick path (quick.go): one decode, one walk over the bytes. The
	// decoder is encoding/json's behaviour (options and all) on
	// go-json-experiment's engine, a third of the time and allocations.
	t := reflect.TypeOf(v).Elem()
	if jsonv1.Unmarshal(body, v) == nil && quickOK(body, t) {
		return nil
	}
	reflect.ValueOf(v).Elem().SetZero() // Unmarshal may have filled some of it
	return decodeStrict(body, v)
}

// decodeStrict decodes body (precheck passed it) into v and checks it, with
// the errors DR's 400s carry.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syntaxErr *json.SyntaxError
		if !errors.As(err, &syntaxErr) && !errors.Is(err, io.ErrUnexpectedEOF) {
			// A value's own decoder failed (a time, say): the walk names it.
			if werr := checkBody(body, reflect.TypeOf(v).Elem()); werr != nil {
				return werr
			}
		}
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			typeErr.Field = wirePath(reflect.TypeOf(v).Elem(), typeErr.Field)
		}
		return jsonError(err)
	}
	return checkBody(body, reflect.TypeOf(v).Elem())
}

// readBody reads at most maxBody+1 bytes of r's body: into a buffer of the
// announced length when there is one (the server ends the body there), as
// it comes otherwise.
func readBody(r *http.Request) ([]byte, error) {
	if n := r.ContentLength; n >= 0 && n <= maxBody {
		body := make([]byte, n)
		if _, err := io.ReadFull(r.Body, body); err != nil {
			return nil, err
		}
		return body, nil
	}
	return io.ReadAll(io.LimitReader(r.Body, maxBody+1))
}

// wirePath drops from a decoder's field path the Go names of embedded
// structs (state's request forms embed package client's params, and
// encoding/json names them in UnmarshalTypeError.Field): DR names a
// parameter by its JSON path only.
func wirePath(t reflect.Type, path string) string {
	if path == "" {
		return ""
	}
	var out []string
	for _, seg := range strings.Split(path, ".") {
		for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map) {
			t = t.Elem()
		}
		if t != nil && t.Kind() == reflect.Struct {
			if f, ok := t.FieldByName(seg); ok && f.Anonymous {
				t = f.Type
				continue
			}
			t = fieldsOf(t)[seg] // nil when unknown: the rest is kept as it is
		} else {
			t = nil
		}
		out = append(out, seg)
	}
	return strings.Join(out, ".")
}

func jsonError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return apierror.BadRequest("invalid_parameter", "", "The request body must be a JSON object, got %s.", typeErr.Value)
		}
		return apierror.Invalid(field, "'%s' must be %s, got %s.", field, jsonKind(typeErr.Type.String()), typeErr.Value)
	case errors.As(err, &syntaxErr):
		return apierror.BadRequest("invalid_parameter", "", "The request body is not valid JSON: %v (at byte %d).", syntaxErr, syntaxErr.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apierror.BadRequest("invalid_parameter", "", "The request body is not valid JSON: it ends too early.")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return apierror.Invalid(name, "'%s' is not a parameter of this endpoint.", name)
	}
	return apierror.BadRequest("invalid_parameter", "", "The request body is not valid: %v", err)
}

func jsonKind(goType string) string {
	switch {
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "float"), strings.HasPrefix(goType, "uint"):
		return "a number"
	case goType == "string":
		return "a string"
	case goType == "bool":
		return "a boolean"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	}
	return "an object"
}

func pathID(r *http.Request, name string) string { return mux.Vars(r)[name] }

// listParams reads DR's pagination query parameters.
func listParams(q url.Values) (state.ListParams, error) {
	p := state.ListParams{StartingAfter: q.Get("startingAfter"), EndingBefore: q.Get("endingBefore")}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return p, apierror.Invalid("limit", "limit must be a whole number, got '%s'.", s)
		}
		if n == 0 {
			return p, apierror.Invalid("limit", "limit must be between 1 and 100, got 0.")
		}
		p.Limit = n
	}
	return p, nil
}

// multi reads a parameter given as repeated keys or comma-separated values.
func multi(q url.Values, name string) []string {
	var out []string
	for _, v := range q[name] {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// boolParam reads a true/false query parameter; nil when absent.
func boolParam(q url.Values, name string) (*bool, error) {
	s := q.Get(name)
	if s == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return nil, apierror.Invalid(name, "'%s' must be true or false, got '%s'.", name, s)
	}
	return &b, nil
}

// timeOps are the operators of DR's time range parameters, in the order
// timeRange reads them (so that of two bad ones the first is named).
var timeOps = [...]string{"gt", "gte", "lt", "lte"}

// timeRange reads name[gt|gte|lt|lte] (and a bare name as equality is not DR's; ignored).
func timeRange(q url.Values, name string) (state.TimeRange, error) {
	var tr state.TimeRange
	if !hasBracketed(q, name) {
		return tr, nil // most lists have none: no keys are made to look them up
	}
	dsts := [...]**time.Time{&tr.GT, &tr.GTE, &tr.LT, &tr.LTE}
	for i, op := range timeOps {
		key := name + "[" + op + "]"
		s := q.Get(key)
		if s == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return tr, apierror.Invalid(key, "%s must be an ISO-8601 date-time such as 2021-11-01T18:23:02Z, got '%s'.", key, s)
		}
		*dsts[i] = &t
	}
	return tr, nil
}

// hasBracketed reports whether q has a key name[…].
func hasBracketed(q url.Values, name string) bool {
	for k := range q {
		if len(k) > len(name) && k[len(name)] == '[' && k[:len(name)] == name {
			return true
		}
	}
	return false
}

// listed answers a list request: DR's list parameters (listParams) from
// the query, or their 400, then list's page.
func listed[V any](q url.Values, list func(state.ListParams) (V, error)) (int, any, error) {
	lp, err := listParams(q)
	if err != nil {
		return 0, nil, err
	}
	page, err := list(lp)
	return http.StatusOK, page, err
}

// withBody decodes the request into P and hands it to fn: the shape of every
// create and update handler. The status is the one answered on success.
func withBody[P, V any](r *http.Request, status int, fn func(P) (V, error)) (int, any, error) {
	var p P
	if err := decode(r, &p); err != nil {
		return 0, nil, err
	}
	v, err := fn(p)
	return status, v, err
}
