package profile

import (
	"encoding/json"
	"regexp"
	"testing"
)

// bigRange spots templates that range over a number (e.g. {{range 1e9}}):
// a profile's author can write one, and it only costs the author memory,
// so the fuzzer skips them rather than run out of memory.
var bigRange = regexp.MustCompile(`range[^}]*[0-9]`)

// Action templates either compile or are refused with an error; a compiled
// action renders any scenario data without panicking, a JSON template
// gives valid JSON or an error, and the json function writes any string
// so that it reads back the same.
func FuzzActionTemplates(f *testing.F) {
	f.Add("/admin/orders/{{.Order.ID}}/shipments", `{"carrier":{{json .Carrier}}}`, "FedEx", "Alice", "too small")
	f.Add("/o/{{.Order.ID}", `{}`, "", "", "")
	f.Add("/o/{{.Nope}}", `{{json .Items}}`, "\"", "\\", "\u2028")
	f.Add("/o/{{range .Items}}{{.ItemID}},{{end}}", `{"n":{{len .Items}}`, "a\x00b", "\xff", "</script>")
	f.Add("/p/{{template \"x\"}}", `{{define "x"}}{{template "x"}}{{end}}`, "", "", "")
	f.Fuzz(func(t *testing.T, path, jsonTmpl, carrier, name, reason string) {
		d := sampleData
		d.Carrier, d.Customer.Name, d.Reason = carrier, name, reason

		fixed := Action{Path: "/o/{{.Order.ID}}", JSON: `{"carrier":{{json .Carrier}},"name":{{json .Customer.Name}},"reason":{{json .Reason}}}`}
		if err := fixed.compile("ship", func(...string) string { return "" }); err != nil {
			t.Fatalf("the fixed action does not compile: %v", err)
		}
		r, err := fixed.Render(d)
		if err != nil {
			t.Fatalf("rendering strings with json: %v", err)
		}
		var back struct{ Carrier, Name, Reason string }
		if err := json.Unmarshal(r.Body, &back); err != nil {
			t.Fatalf("json wrote %s: %v", r.Body, err)
		}
		for _, c := range [][2]string{{back.Carrier, carrier}, {back.Name, name}, {back.Reason, reason}} {
			// json.Marshal writes each invalid byte as U+FFFD, as []rune does.
			if want := string([]rune(c[1])); c[0] != want {
				t.Fatalf("json wrote %q, which reads back as %q", want, c[0])
			}
		}

		if len(path)+len(jsonTmpl) > 512 || bigRange.MatchString(path+jsonTmpl) {
			return
		}
		a := Action{Path: path, JSON: jsonTmpl}
		if err := a.compile("ship", func(...string) string { return "" }); err != nil {
			return
		}
		r, err = a.Render(d)
		if err != nil {
			return
		}
		if jsonTmpl != "" && !json.Valid(r.Body) {
			t.Fatalf("template %q rendered invalid JSON %q without an error", jsonTmpl, r.Body)
		}
		_, _ = a.PagePath(d)
	})
}
