package profile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"text/template"

	"github.com/drsim/drsim/internal/editdist"
)

// Sides of an action: who performs it.
const (
	// SideCustomer actions run in the customer's signed-in portal session
	// (cookies and the session token kept per customer, login on demand).
	SideCustomer = "customer"
	// SideMerchant actions carry merchant.headers (an admin token).
	SideMerchant = "merchant"
)

// ActionSpec describes a known action: what it is for and its default side.
type ActionSpec struct {
	Doc  string
	Side string
}

// knownActions are the merchant operations scenarios perform.
var knownActions = map[string]ActionSpec{
	"ship":                {"admin ships items with a carrier and tracking number (calls DR POST /fulfillments)", SideMerchant},
	"cancel":              {"admin cancels items (calls DR POST /fulfillments with cancelQuantity)", SideMerchant},
	"reportDelay":         {"admin reports a shipment delay with a new date", SideMerchant},
	"requestCancellation": {"the customer asks to cancel items in the portal", SideCustomer},
	"requestReturn":       {"the customer asks to return items in the portal", SideCustomer},
	"login":               {"the customer signs in to the portal (run once per customer and scenario, and again when the portal asks)", SideCustomer},
	"orderPage":           {"the customer opens the order's page in the portal (HTML)", SideCustomer},
	"savePaymentMethod":   {"the customer saves a payment method (.SourceID, made client-side) in the portal", SideCustomer},
	"cancelSubscription":  {"the subscription is cancelled through the merchant (calls DR POST /subscriptions/{id} with state cancelled)", SideCustomer},
	"changePlan":          {"the subscription moves to another plan through the merchant (calls DR POST /subscriptions/{id} with planId)", SideCustomer},
	"changePrice":         {"admin sets a new unit price (.Price) on the subscription's items (calls DR POST /subscriptions/{id} with items)", SideMerchant},
	"updatePaymentMethod": {"the customer puts a new card (.SourceID) on the subscription (attach it, then DR POST /subscriptions/{id} with sourceId)", SideCustomer},
}

// KnownActions returns the merchant operations scenarios perform (a copy).
func KnownActions() map[string]ActionSpec { return maps.Clone(knownActions) }

// ActionDoc says what the known action name is for ("" when it is not one).
func ActionDoc(name string) string { return knownActions[name].Doc }

// Limits an action may declare (`cannot:`): what the merchant's endpoint
// cannot do. A scenario that needs it is reported as not applicable.
const (
	// CannotPartialQuantity: the action acts on whole items only (every
	// remaining unit of an item), never on some units of one.
	CannotPartialQuantity = "partialQuantity"
	// CannotSeveralItems: the action takes one item per request.
	CannotSeveralItems = "severalItems"
)

var knownLimits = []string{CannotPartialQuantity, CannotSeveralItems}

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
	// Side is customer (the customer's portal session) or merchant
	// (merchant.headers); each action has a default (see Actions).
	Side string `yaml:"side"`
	// Cannot lists what the merchant's endpoint cannot do: partialQuantity
	// (whole items only), severalItems (one item per request).
	Cannot []string `yaml:"cannot"`
	// Page is the path of the page a customer opens for this action (emails
	// link to it), a template like path; the action's path when empty.
	Page string `yaml:"page"`

	path    *template.Template
	page    *template.Template
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
	Subscription   ActionSubscription
	Plan           ActionPlan // the plan a changePlan moves to
	Price          float64    // the unit price a changePrice sets
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

// ActionSubscription is the scenario's subscription.
type ActionSubscription struct {
	ID     string
	PlanID string
}

// ActionPlan is a plan.
type ActionPlan struct {
	ID, Name string
}

// sampleData is what templates are tried with when a profile is loaded.
var sampleData = ActionData{
	Customer: ActionCustomer{Name: "Alice", Email: "alice+run-1@example.test", ID: "cus_sample"},
	Order: ActionOrder{ID: "1000001", Currency: "USD", Items: []ActionItem{
		{ItemID: "item_1", SKUID: "sku_widget", Product: "Widget", Quantity: 2},
		{ItemID: "item_2", SKUID: "sku_cable", Product: "Cable", Quantity: 1}}},
	Items:   []ActionItem{{ItemID: "item_1", SKUID: "sku_widget", Product: "Widget", Quantity: 1}},
	Carrier: "FedEx", TrackingNumber: "Z100", TrackingURL: "https://track.example.test/FedEx/Z100",
	NewDate: "2026-12-22", Reason: "too small", SourceID: "src_sample",
	Subscription: ActionSubscription{ID: "sub_sample", PlanID: "plan_gold"},
	Plan:         ActionPlan{ID: "plan_platinum", Name: "Platinum"},
	Price:        12.99,
}

var funcs = template.FuncMap{
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
}

// compile parses the action's templates and tries them on sampleData. at
// gives the position of a field for messages.
func (a *Action) compile(name string, at func(...string) string) error {
	spec, ok := knownActions[name]
	if !ok {
		known := make([]string, 0, len(knownActions))
		for n := range knownActions {
			known = append(known, n)
		}
		slices.Sort(known)
		return fmt.Errorf("%sactions.%s: unknown action%s (known: %s)", at("actions", name), name, didYouMean(name, known), strings.Join(known, ", "))
	}
	if a.Method == "" {
		a.Method = "POST"
	}
	switch a.Side {
	case "":
		a.Side = spec.Side
	case SideCustomer, SideMerchant:
	default:
		return fmt.Errorf("%sactions.%s.side %q: want customer or merchant", at("actions", name, "side"), name, a.Side)
	}
	for _, c := range a.Cannot {
		if !slices.Contains(knownLimits, c) {
			return fmt.Errorf("%sactions.%s.cannot %q: want %s%s", at("actions", name, "cannot"), name, c, strings.Join(knownLimits, " or "), didYouMean(c, knownLimits))
		}
	}
	if a.Path == "" {
		return fmt.Errorf("%sactions.%s.path is required", at("actions", name), name)
	}
	if a.JSON != "" && len(a.Form) > 0 {
		return fmt.Errorf("%sactions.%s: give json or form, not both", at("actions", name), name)
	}
	parse := func(text string, field ...string) (*template.Template, error) {
		t, err := template.New(name + "." + strings.Join(field, ".")).Funcs(funcs).Option("missingkey=error").Parse(text)
		if err != nil {
			return nil, fmt.Errorf("%sactions.%s.%s: %w", at(append([]string{"actions", name}, field...)...), name, strings.Join(field, "."), err)
		}
		return t, nil
	}
	var err error
	if a.path, err = parse(a.Path, "path"); err != nil {
		return err
	}
	if a.Page != "" {
		if a.page, err = parse(a.Page, "page"); err != nil {
			return err
		}
	}
	if a.JSON != "" {
		if a.json, err = parse(a.JSON, "json"); err != nil {
			return err
		}
	}
	a.form = map[string]*template.Template{}
	for k, v := range a.Form {
		if a.form[k], err = parse(v, "form", k); err != nil {
			return err
		}
	}
	a.headers = map[string]*template.Template{}
	for k, v := range a.Headers {
		if a.headers[k], err = parse(v, "headers", k); err != nil {
			return err
		}
	}
	if _, err := a.PagePath(sampleData); err != nil {
		return fmt.Errorf("%sactions.%s.page: the template fails on sample data: %s", at("actions", name, "page"), name, explainTemplateError(err))
	}
	if _, err := a.Render(sampleData); err != nil {
		return fmt.Errorf("%sactions.%s: the templates fail on sample data: %s", at("actions", name), name, explainTemplateError(err))
	}
	return nil
}

var noField = regexp.MustCompile(`can't evaluate field (\w+) in type (?:\[\])?profile\.(\w+)`)

// explainTemplateError says which fields exist instead of naming Go types.
func explainTemplateError(err error) string {
	msg := err.Error()
	m := noField.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	types := map[string]any{"ActionData": ActionData{}, "ActionCustomer": ActionCustomer{}, "ActionOrder": ActionOrder{},
		"ActionItem": ActionItem{}, "ActionSubscription": ActionSubscription{}, "ActionPlan": ActionPlan{}}
	v, ok := types[m[2]]
	if !ok {
		return msg
	}
	t := reflect.TypeOf(v)
	fields := make([]string, t.NumField())
	for i := range fields {
		fields[i] = t.Field(i).Name
	}
	where := "." + strings.TrimPrefix(m[2], "Action")
	if m[2] == "ActionData" {
		where = "the template data"
	}
	return fmt.Sprintf("%s: %s has no field %s (it has %s)", strings.TrimSuffix(msg[:strings.Index(msg, "can't")], ": "), where, m[1], strings.Join(fields, ", "))
}

// PagePath is the URL path (no query) of the action's page for d: its page
// template, or its path.
func (a *Action) PagePath(d ActionData) (string, error) {
	t := a.page
	if t == nil {
		t = a.path
	}
	if t == nil {
		return "", nil
	}
	var b bytes.Buffer
	if err := t.Execute(&b, d); err != nil {
		return "", err
	}
	p, _, _ := strings.Cut(b.String(), "?")
	return p, nil
}

// Can reports whether the action can do what limit names (see Cannot).
func (a *Action) Can(limit string) bool { return !slices.Contains(a.Cannot, limit) }

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

// didYouMean suggests the known name closest to s, or "".
func didYouMean(s string, known []string) string {
	best, bestD := "", 1<<30
	for _, k := range known {
		if d := editDistance(strings.ToLower(s), strings.ToLower(k)); d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" || bestD > max(2, len(s)/3) {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// DidYouMean is didYouMean for other packages' names.
func DidYouMean(s string, known []string) string { return didYouMean(s, known) }

func editDistance(a, b string) int { return editdist.Distance([]byte(a), []byte(b)) }
