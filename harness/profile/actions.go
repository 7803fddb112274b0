package profile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"text/template"
)

// ActionNames are the merchant operations scenarios perform, and what each is for.
var ActionNames = map[string]string{
	"ship":                "admin ships items with a carrier and tracking number (calls DR POST /fulfillments)",
	"cancel":              "admin cancels items (calls DR POST /fulfillments with cancelQuantity)",
	"requestCancellation": "the customer asks to cancel items in the portal",
	"reportDelay":         "admin reports a shipment delay with a new date",
	"requestReturn":       "the customer asks to return items in the portal",
	"login":               "the customer logs in to the portal (cookies are kept for the scenario)",
	"orderPage":           "the customer opens the order's page in the portal (HTML)",
	"savePaymentMethod":   "the customer saves a payment method (.SourceID, made client-side) in the portal",
}

// Action is one merchant operation as an HTTP request template. Path, JSON,
// Form values and Headers are Go text/templates over ActionData, with a
// `json` function that writes a value as JSON:
//
//	ship:
//	  method: POST
//	  path: /admin/orders/{{.Order.ID}}/shipments
//	  json: '{"items":[{{range $i, $it := .Items}}{{if $i}},{{end}}{"itemId":{{json $it.ItemID}},"quantity":{{$it.Quantity}}}{{end}}],"carrier":{{json .Carrier}}}'
//	  accept: [201]
type Action struct {
	Method  string            `yaml:"method"` // POST when empty
	Path    string            `yaml:"path"`
	JSON    string            `yaml:"json"`
	Form    map[string]string `yaml:"form"`
	Headers map[string]string `yaml:"headers"`
	// Accept lists the statuses that mean the merchant took the request;
	// any 2xx when empty. (A portal may answer 409 to a refused cancellation.)
	Accept []int `yaml:"accept"`

	path    *template.Template
	json    *template.Template
	form    map[string]*template.Template
	headers map[string]*template.Template
}

// ActionData is what action templates can read.
type ActionData struct {
	Customer       ActionCustomer
	Order          ActionOrder
	Items          []ActionItem // the items this action is about
	Carrier        string
	TrackingNumber string
	TrackingURL    string
	NewDate        string // YYYY-MM-DD
	Reason         string
	SourceID       string // a chargeable source created with the public key, as DigitalRiver.js would
}

// ActionCustomer is the scenario's customer.
type ActionCustomer struct {
	Name, Email, ID string
}

// ActionOrder is the scenario's order.
type ActionOrder struct {
	ID       string
	Currency string
	Items    []ActionItem
}

// ActionItem is an order line and a quantity.
type ActionItem struct {
	ItemID   string `json:"itemId"`
	SKUID    string `json:"skuId"`
	Product  string `json:"product"`
	Quantity int    `json:"quantity"`
}

var funcs = template.FuncMap{
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
}

func (a *Action) compile(name string) error {
	if _, ok := ActionNames[name]; !ok {
		known := make([]string, 0, len(ActionNames))
		for n := range ActionNames {
			known = append(known, n)
		}
		slices.Sort(known)
		return fmt.Errorf("actions.%s: unknown action (known: %s)", name, strings.Join(known, ", "))
	}
	if a.Method == "" {
		a.Method = "POST"
	}
	if a.Path == "" {
		return fmt.Errorf("actions.%s.path is required", name)
	}
	if a.JSON != "" && len(a.Form) > 0 {
		return fmt.Errorf("actions.%s: give json or form, not both", name)
	}
	parse := func(field, text string) (*template.Template, error) {
		t, err := template.New(name + "." + field).Funcs(funcs).Option("missingkey=error").Parse(text)
		if err != nil {
			return nil, fmt.Errorf("actions.%s.%s: %w", name, field, err)
		}
		return t, nil
	}
	var err error
	if a.path, err = parse("path", a.Path); err != nil {
		return err
	}
	if a.JSON != "" {
		if a.json, err = parse("json", a.JSON); err != nil {
			return err
		}
	}
	a.form = map[string]*template.Template{}
	for k, v := range a.Form {
		if a.form[k], err = parse("form."+k, v); err != nil {
			return err
		}
	}
	a.headers = map[string]*template.Template{}
	for k, v := range a.Headers {
		if a.headers[k], err = parse("headers."+k, v); err != nil {
			return err
		}
	}
	return nil
}

// Request is an action rendered for one scenario.
type Request struct {
	Method      string
	Path        string
	Body        []byte
	ContentType string
	Headers     map[string]string
}

// Render fills the action's templates with d.
func (a *Action) Render(d ActionData) (*Request, error) {
	exec := func(t *template.Template) (string, error) {
		var b bytes.Buffer
		if err := t.Execute(&b, d); err != nil {
			return "", err
		}
		return b.String(), nil
	}
	r := &Request{Method: a.Method, Headers: map[string]string{}}
	var err error
	if r.Path, err = exec(a.path); err != nil {
		return nil, err
	}
	if a.json != nil {
		body, err := exec(a.json)
		if err != nil {
			return nil, err
		}
		if !json.Valid([]byte(body)) {
			return nil, fmt.Errorf("%s: the json template gave invalid JSON: %s", a.json.Name(), body)
		}
		r.Body, r.ContentType = []byte(body), "application/json"
	} else if len(a.form) > 0 {
		vals := url.Values{}
		for k, t := range a.form {
			v, err := exec(t)
			if err != nil {
				return nil, err
			}
			vals.Set(k, v)
		}
		r.Body, r.ContentType = []byte(vals.Encode()), "application/x-www-form-urlencoded"
	}
	for k, t := range a.headers {
		if r.Headers[k], err = exec(t); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Accepts reports whether status means the merchant took the request.
func (a *Action) Accepts(status int) bool {
	if len(a.Accept) == 0 {
		return status >= 200 && status < 300
	}
	return slices.Contains(a.Accept, status)
}
