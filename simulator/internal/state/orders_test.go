package state_test

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/drsim/drsim/simulator/internal/apierror"
	"github.com/drsim/drsim/simulator/internal/state"
)

// wall is the fixed wall time every test account starts at.
var wall = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

// newAccount returns a fresh account whose clock reads wall until moved.
func newAccount(t *testing.T) *state.Account {
	t.Helper()
	s := state.NewStore(nil, func() time.Time { return wall })
	keys := s.CreateAccount()
	a, public, ok := s.Lookup(keys.SecretKey)
	if !ok || public {
		t.Fatalf("Lookup(secret key) = %v, public %v", ok, public)
	}
	return a
}

func ptr[T any](v T) *T { return &v }

func mustSKU(t *testing.T, a *state.Account, name string) string {
	t.Helper()
	s, _, err := a.CreateSKU(state.SKUParams{Name: ptr(name), Description: ptr(name + " description")}, false)
	if err != nil {
		t.Fatalf("CreateSKU(%s): %v", name, err)
	}
	return s.ID
}

func mustCustomer(t *testing.T, a *state.Account) string {
	t.Helper()
	c, err := a.CreateCustomer(state.CustomerParams{Email: ptr("pat@example.test")})
	if err != nil {
		t.Fatalf("CreateCustomer: %v", err)
	}
	return c.ID
}

// minor converts an amount to whole minor units for exact comparison.
func minor(v float64, currency string) int64 {
	if currency == "JPY" {
		return int64(math.Round(v))
	}
	return int64(math.Round(v * 100))
}

type line struct {
	qty             int
	price, rate     float64
	discount        float64
	amount, tax     float64 // expected
	discountAmount  float64 // expected items[].discount.amount (0 = absent)
	shipping, shTax float64 // expected share of the shipping; checked when wantShare
}

func TestPlaceOrderArithmetic(t *testing.T) {
	cases := []struct {
		name           string
		currency       string
		lines          []line
		shipping       *state.PlaceShipping
		wantShare      bool
		subtotal, tax  float64
		discount, ship float64
		total          float64
	}{
		{
			name:     "DR's sample: 2 × 10.00 at 8.05%, shipping 5.00 + 0.40",
			currency: "USD",
			lines:    []line{{qty: 2, price: 10, rate: 0.0805, amount: 20, tax: 1.61}},
			shipping: &state.PlaceShipping{Amount: 5, TaxAmount: 0.40},
			subtotal: 25, tax: 2.01, ship: 5, total: 27.01,
		},
		{
			name:     "DR's sample's literal rate 0.08025: 1.605 rounds half up to 1.61",
			currency: "USD",
			lines:    []line{{qty: 2, price: 10, rate: 0.08025, amount: 20, tax: 1.61}},
			shipping: &state.PlaceShipping{Amount: 5, TaxAmount: 0.40},
			subtotal: 25, tax: 2.01, ship: 5, total: 27.01,
		},
		{
			name:     "no shipping, no tax",
			currency: "USD",
			lines:    []line{{qty: 1, price: 19.99, amount: 19.99}},
			subtotal: 19.99, total: 19.99,
		},
		{
			name:     "discount is taken off the line before tax",
			currency: "USD",
			lines:    []line{{qty: 3, price: 15, rate: 0.1, discount: 5, amount: 40, tax: 4, discountAmount: 5}},
			shipping: &state.PlaceShipping{Amount: 4.99},
			subtotal: 44.99, tax: 4, discount: 5, ship: 4.99, total: 48.99,
		},
		{
			name:     "sub-cent discounts are rounded before they are subtracted",
			currency: "USD",
			lines: []line{
				{qty: 1, price: 10, discount: 0.125, amount: 9.87, discountAmount: 0.13},
				{qty: 1, price: 10, discount: 0.125, amount: 9.87, discountAmount: 0.13},
			},
			subtotal: 19.74, discount: 0.26, total: 19.74,
		},
		{
			name:     "multi-item rounding: each line's tax rounds half away from zero",
			currency: "USD",
			lines: []line{
				{qty: 1, price: 3.30, rate: 0.15, amount: 3.30, tax: 0.50},     // 0.495
				{qty: 3, price: 9.99, rate: 0.0825, amount: 29.97, tax: 2.47},  // 2.472525
				{qty: 7, price: 0.99, rate: 0.07, amount: 6.93, tax: 0.49},     // 0.4851
				{qty: 1, price: 26.75, rate: 0.1, amount: 26.75, tax: 2.68},    // 2.675
				{qty: 2, price: 0.35, rate: 0.15, amount: 0.70, tax: 0.11},     // 0.105
				{qty: 1, price: 11.15, rate: 0.1, amount: 11.15, tax: 1.12},    // 1.115
				{qty: 4, price: 2.49, rate: 0.2, amount: 9.96, tax: 1.99},      // 1.992
				{qty: 1, price: 1.00, rate: 0.0725, amount: 1.00, tax: 0.07},   // 0.0725
				{qty: 1, price: 100.00, rate: 0.19, amount: 100.00, tax: 19.0}, // exact
			},
			shipping: &state.PlaceShipping{Amount: 4.99, TaxAmount: 0.41},
			subtotal: 194.75, tax: 28.84, ship: 4.99, total: 223.59,
		},
		{
			name:     "shipping is shared in proportion to the lines' amounts",
			currency: "USD",
			lines: []line{
				{qty: 1, price: 30, amount: 30, shipping: 3, shTax: 0.30},
				{qty: 1, price: 10, amount: 10, shipping: 1, shTax: 0.10},
				{qty: 1, price: 10, amount: 10, shipping: 1, shTax: 0.10},
			},
			shipping:  &state.PlaceShipping{Amount: 5, TaxAmount: 0.50},
			wantShare: true,
			subtotal:  55, tax: 0.50, ship: 5, total: 55.50,
		},
		{
			name:     "shipping shares that do not divide: the last line takes the remainder",
			currency: "USD",
			lines: []line{
				{qty: 1, price: 10, amount: 10, shipping: 3.33, shTax: 0.33},
				{qty: 1, price: 10, amount: 10, shipping: 3.33, shTax: 0.33},
				{qty: 1, price: 10, amount: 10, shipping: 3.34, shTax: 0.34},
			},
			shipping:  &state.PlaceShipping{Amount: 10, TaxAmount: 1},
			wantShare: true,
			subtotal:  40, tax: 1, ship: 10, total: 41,
		},
		{
			name:     "JPY has no decimals",
			currency: "JPY",
			lines: []line{
				{qty: 2, price: 1980, rate: 0.1, amount: 3960, tax: 396},
				{qty: 1, price: 333, rate: 0.08, amount: 333, tax: 27}, // 26.64
				{qty: 3, price: 165, rate: 0.1, amount: 495, tax: 50},  // 49.5, half away from zero
			},
			shipping: &state.PlaceShipping{Amount: 500, TaxAmount: 50},
			subtotal: 5288, tax: 523, ship: 500, total: 5811,
		},
		{
			name:     "JPY discount",
			currency: "JPY",
			lines:    []line{{qty: 1, price: 10000, rate: 0.1, discount: 1000, amount: 9000, tax: 900, discountAmount: 1000}},
			subtotal: 9000, tax: 900, discount: 1000, total: 9900,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newAccount(t)
			cust := mustCustomer(t, a)
			p := state.PlaceOrderParams{CustomerID: cust, Currency: tc.currency, Shipping: tc.shipping}
			for i, l := range tc.lines {
				p.Items = append(p.Items, state.PlaceItem{
					SKUID: mustSKU(t, a, fmt.Sprintf("item %d", i)), Quantity: l.qty, Price: l.price, TaxRate: l.rate, Discount: l.discount,
				})
			}
			o, err := a.PlaceOrder(p)
			if err != nil {
				t.Fatalf("PlaceOrder: %v", err)
			}
			cur := tc.currency
			scale := 100.0
			if cur == "JPY" {
				scale = 1
			}
			eq := func(what string, got, want float64) {
				t.Helper()
				if minor(got, cur) != minor(want, cur) {
					t.Errorf("%s = %v, want %v %s", what, got, want, cur)
				}
				if float64(minor(got, cur))/scale != got {
					t.Errorf("%s = %v is not rounded to %s's minor unit", what, got, cur)
				}
			}
			if len(o.Items) != len(tc.lines) {
				t.Fatalf("%d items, want %d", len(o.Items), len(tc.lines))
			}
			var sumAmount, sumTax, sumDiscount, sumShip, sumShipTax int64
			for i, l := range tc.lines {
				it := o.Items[i]
				eq(fmt.Sprintf("items[%d].amount", i), it.Amount, l.amount)
				eq(fmt.Sprintf("items[%d].tax.amount", i), it.Tax.Amount, l.tax)
				if it.Tax.Rate != l.rate || it.Quantity != l.qty || it.SKUID != p.Items[i].SKUID {
					t.Errorf("items[%d]: rate %v qty %d sku %s, want %v %d %s", i, it.Tax.Rate, it.Quantity, it.SKUID, l.rate, l.qty, p.Items[i].SKUID)
				}
				if it.ProductDetails.Name != fmt.Sprintf("item %d", i) || it.ProductDetails.ID != it.SKUID {
					t.Errorf("items[%d].productDetails %+v, want the SKU's name and id", i, it.ProductDetails)
				}
				var d float64
				if it.Discount != nil {
					// DR's form: amountOff per unit, on quantity units, no more than a unit's price.
					if it.Discount.Quantity < 1 || it.Discount.Quantity > it.Quantity || (it.Discount.Quantity > 1 && it.Discount.AmountOff > l.price) {
						t.Errorf("items[%d].discount = %+v: want amountOff per unit on 1..%d units", i, it.Discount, it.Quantity)
					}
					d = roundMinor(it.Discount.AmountOff*float64(it.Discount.Quantity), cur)
				}
				eq(fmt.Sprintf("items[%d].discount amountOff × quantity", i), d, l.discountAmount)
				if (it.Discount != nil) != (l.discountAmount != 0) {
					t.Errorf("items[%d].discount = %+v, want present only with a discount", i, it.Discount)
				}
				// amount + discount is the line's price × quantity.
				if got, want := minor(it.Amount, cur)+minor(d, cur), minor(l.price*float64(l.qty), cur); got != want {
					t.Errorf("items[%d]: amount %v + discount %v ≠ %d × %v", i, it.Amount, d, l.qty, l.price)
				}
				if tc.wantShare {
					eq(fmt.Sprintf("items[%d].shipping.amount", i), it.Shipping.Amount, l.shipping)
					eq(fmt.Sprintf("items[%d].shipping.taxAmount", i), it.Shipping.TaxAmount, l.shTax)
				}
				sumAmount += minor(it.Amount, cur)
				sumTax += minor(it.Tax.Amount, cur)
				sumDiscount += minor(d, cur)
				sumShip += minor(it.Shipping.Amount, cur)
				sumShipTax += minor(it.Shipping.TaxAmount, cur)
			}
			eq("subtotal", o.Subtotal, tc.subtotal)
			eq("totalTax", o.TotalTax, tc.tax)
			eq("totalDiscount", o.TotalDiscount, tc.discount)
			eq("totalShipping", o.TotalShipping, tc.ship)
			eq("totalAmount", o.TotalAmount, tc.total)

			// The invariants DR's samples show, in minor units.
			ship, shipTax := int64(0), int64(0)
			if tc.shipping != nil {
				ship, shipTax = minor(tc.shipping.Amount, cur), minor(tc.shipping.TaxAmount, cur)
			}
			if got := minor(o.Subtotal, cur); got != sumAmount+ship {
				t.Errorf("subtotal %v ≠ Σ items[].amount + shipping", o.Subtotal)
			}
			if got := minor(o.TotalTax, cur); got != sumTax+shipTax {
				t.Errorf("totalTax %v ≠ Σ items[].tax.amount + shipping tax", o.TotalTax)
			}
			if got := minor(o.TotalDiscount, cur); got != sumDiscount {
				t.Errorf("totalDiscount %v ≠ Σ items[].discount.amount", o.TotalDiscount)
			}
			if got := minor(o.TotalAmount, cur); got != minor(o.Subtotal, cur)+minor(o.TotalTax, cur) {
				t.Errorf("totalAmount %v ≠ subtotal + totalTax", o.TotalAmount)
			}
			if tc.shipping != nil && (sumShip != ship || sumShipTax != shipTax) {
				t.Errorf("items' shipping shares add up to %d + %d, want %d + %d", sumShip, sumShipTax, ship, shipTax)
			}
			if len(o.Payment.Charges) != 1 || o.Payment.Charges[0].Amount != o.TotalAmount || o.Payment.Charges[0].State != "capturable" {
				t.Errorf("charges %+v, want one capturable charge of totalAmount", o.Payment.Charges)
			}
			if o.Currency != cur || o.State != "pending_payment" {
				t.Errorf("currency %s state %s, want %s pending_payment", o.Currency, o.State, cur)
			}
		})
	}
}

func TestAcceptOrder(t *testing.T) {
	a := newAccount(t)
	cust := mustCustomer(t, a)
	placed, err := a.PlaceOrder(state.PlaceOrderParams{
		CustomerID: cust,
		Items:      []state.PlaceItem{{SKUID: mustSKU(t, a, "Widget"), Quantity: 2, Price: 10, TaxRate: 0.0805}},
		Shipping:   &state.PlaceShipping{Amount: 5, TaxAmount: 0.40},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.AdvanceClock(90 * time.Second); err != nil {
		t.Fatal(err)
	}
	acceptedAt := wall.Add(90 * time.Second)

	o, err := a.AcceptOrder(placed.ID)
	if err != nil {
		t.Fatalf("AcceptOrder: %v", err)
	}
	if o.State != "accepted" || o.FraudState != "passed" {
		t.Fatalf("state %s fraudState %s, want accepted passed", o.State, o.FraudState)
	}
	if got := o.StateTransitions["accepted"]; !got.Equal(acceptedAt) {
		t.Fatalf("stateTransitions.accepted = %s, want %s", got, acceptedAt)
	}
	if got := o.StateTransitions["pending_payment"]; !got.Equal(wall) {
		t.Fatalf("stateTransitions.pending_payment = %s, want %s (kept)", got, wall)
	}
	if !o.UpdatedTime.Equal(acceptedAt) || !o.CreatedTime.Equal(wall) {
		t.Fatalf("createdTime %s updatedTime %s, want %s and %s", o.CreatedTime, o.UpdatedTime, wall, acceptedAt)
	}

	// order.accepted carries the full order as accepted.
	page, err := a.Events(state.EventFilter{Type: "order.accepted"})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Data) != 1 {
		t.Fatalf("%d order.accepted events, want 1", len(page.Data))
	}
	ev := page.Data[0]
	if !ev.CreatedTime.Equal(acceptedAt) || ev.DigitalriverVersion == "" || ev.LiveMode {
		t.Fatalf("event createdTime %s version %q liveMode %v", ev.CreatedTime, ev.DigitalriverVersion, ev.LiveMode)
	}
	var inEvent, fromGet any
	if err := json.Unmarshal(ev.Data.Object, &inEvent); err != nil {
		t.Fatal(err)
	}
	got, err := a.Order(o.ID)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(got)
	if err := json.Unmarshal(b, &fromGet); err != nil {
		t.Fatal(err)
	}
	delete(fromGet.(map[string]any), "invoicePDFs") // made right after order.accepted (documents.go)
	if !reflect.DeepEqual(inEvent, fromGet) {
		t.Fatalf("order.accepted's data.object differs from the order\nevent: %s\n order: %s", ev.Data.Object, b)
	}
	var obj state.Order
	if err := json.Unmarshal(ev.Data.Object, &obj); err != nil {
		t.Fatal(err)
	}
	if obj.TotalAmount != 27.01 || obj.TotalTax != 2.01 || obj.Subtotal != 25 || len(obj.Items) != 1 || obj.Items[0].ProductDetails.Name != "Widget" {
		t.Fatalf("event order: totals %v/%v/%v items %+v", obj.Subtotal, obj.TotalTax, obj.TotalAmount, obj.Items)
	}

	// A second accept, or a block after accept, is a 409.
	for name, fn := range map[string]func(string) (*state.Order, error){"AcceptOrder": a.AcceptOrder, "BlockOrder": a.BlockOrder} {
		_, err := fn(o.ID)
		if e := apierror.As(err); err == nil || e.Status != http.StatusConflict || e.Errors[0].Code != "invalid_state" {
			t.Fatalf("%s on an accepted order: %v, want 409 invalid_state", name, err)
		}
	}
	if page, _ := a.Events(state.EventFilter{Type: "order.*"}); len(page.Data) != 3 {
		t.Fatalf("%d order events after the refused calls, want 3 (pending_payment, accepted, invoice.created)", len(page.Data))
	}
	if _, err := a.AcceptOrder("nope"); apierror.As(err).Status != http.StatusNotFound {
		t.Fatalf("AcceptOrder(unknown) = %v, want 404", err)
	}
}

func TestBlockOrder(t *testing.T) {
	a := newAccount(t)
	placed, err := a.PlaceOrder(state.PlaceOrderParams{
		CustomerID: mustCustomer(t, a),
		Items:      []state.PlaceItem{{SKUID: mustSKU(t, a, "Widget"), Quantity: 1, Price: 10}},
	})
	if err != nil {
		t.Fatal(err)
	}
	o, err := a.BlockOrder(placed.ID)
	if err != nil {
		t.Fatal(err)
	}
	if o.State != "blocked" || o.FraudState != "blocked" || o.StateTransitions["blocked"].IsZero() {
		t.Fatalf("blocked order: state %s fraudState %s transitions %v", o.State, o.FraudState, o.StateTransitions)
	}
	if _, err := a.AcceptOrder(o.ID); apierror.As(err).Status != http.StatusConflict {
		t.Fatalf("accepting a blocked order: %v, want 409", err)
	}
}

func TestPlaceOrderRefusals(t *testing.T) {
	a := newAccount(t)
	cust := mustCustomer(t, a)
	sku := mustSKU(t, a, "Widget")
	disabled, err := a.CreateCustomer(state.CustomerParams{Email: ptr("off@example.test"), Enabled: ptr(false)})
	if err != nil {
		t.Fatal(err)
	}
	noEmail, err := a.CreateCustomer(state.CustomerParams{})
	if err != nil {
		t.Fatal(err)
	}
	declined, err := a.CreateSource(state.SourceParams{Type: "creditCard", CreditCard: &state.CardParams{Number: "4000000000003600", ExpirationMonth: 1, ExpirationYear: 2030}})
	if err != nil {
		t.Fatal(err)
	}
	item := func(mod func(*state.PlaceItem)) []state.PlaceItem {
		it := state.PlaceItem{SKUID: sku, Quantity: 1, Price: 10}
		if mod != nil {
			mod(&it)
		}
		return []state.PlaceItem{it}
	}
	cases := []struct {
		name        string
		p           state.PlaceOrderParams
		status      int
		code, param string
	}{
		{"no customer", state.PlaceOrderParams{Items: item(nil)}, 400, "missing_parameter", "customerId"},
		{"no items", state.PlaceOrderParams{CustomerID: cust}, 400, "missing_parameter", "items"},
		{"quantity 0", state.PlaceOrderParams{CustomerID: cust, Items: item(func(i *state.PlaceItem) { i.Quantity = 0 })}, 400, "invalid_parameter", "items[0].quantity"},
		{"negative price", state.PlaceOrderParams{CustomerID: cust, Items: item(func(i *state.PlaceItem) { i.Price = -1 })}, 400, "invalid_parameter", "items[0].price"},
		{"huge price", state.PlaceOrderParams{CustomerID: cust, Items: item(func(i *state.PlaceItem) { i.Price = math.MaxFloat64 })}, 400, "invalid_parameter", "items[0].price"},
		{"huge quantity", state.PlaceOrderParams{CustomerID: cust, Items: item(func(i *state.PlaceItem) { i.Quantity = math.MaxInt })}, 400, "invalid_parameter", "items[0].price"},
		{"huge shipping", state.PlaceOrderParams{CustomerID: cust, Items: item(nil), Shipping: &state.PlaceShipping{Amount: math.MaxFloat64}}, 400, "invalid_parameter", "shipping"},
		{"negative shipping", state.PlaceOrderParams{CustomerID: cust, Items: item(nil), Shipping: &state.PlaceShipping{TaxAmount: -1}}, 400, "invalid_parameter", "shipping"},
		{"tax rate above 1", state.PlaceOrderParams{CustomerID: cust, Items: item(func(i *state.PlaceItem) { i.TaxRate = 1.5 })}, 400, "invalid_parameter", "items[0].taxRate"},
		{"discount above the line", state.PlaceOrderParams{CustomerID: cust, Items: item(func(i *state.PlaceItem) { i.Discount = 10.01 })}, 400, "invalid_parameter", "items[0].discount"},
		{"bad email", state.PlaceOrderParams{CustomerID: cust, Email: "nope", Items: item(nil)}, 400, "invalid_parameter", "email"},
		{"customer without email", state.PlaceOrderParams{CustomerID: noEmail.ID, Items: item(nil)}, 400, "missing_parameter", "email"},
		{"unknown customer", state.PlaceOrderParams{CustomerID: "nope", Items: item(nil)}, 404, "not_found", "id"},
		{"unknown SKU", state.PlaceOrderParams{CustomerID: cust, Items: item(func(i *state.PlaceItem) { i.SKUID = "nope" })}, 404, "not_found", "id"},
		{"unknown source", state.PlaceOrderParams{CustomerID: cust, SourceID: "nope", Items: item(nil)}, 404, "not_found", "id"},
		{"disabled customer", state.PlaceOrderParams{CustomerID: disabled.ID, Items: item(nil)}, 409, "failed-request", ""},
		{"declining card", state.PlaceOrderParams{CustomerID: cust, SourceID: declined.ID, Items: item(nil)}, 409, "failed-request", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.PlaceOrder(tc.p)
			if err == nil {
				t.Fatal("PlaceOrder succeeded")
			}
			e := apierror.As(err)
			if e.Status != tc.status || e.Errors[0].Code != tc.code || e.Errors[0].Parameter != tc.param {
				t.Fatalf("PlaceOrder: %v; want %d %s (%s)", err, tc.status, tc.code, tc.param)
			}
		})
	}
	if page, _ := a.Orders(state.OrderFilter{}); len(page.Data) != 0 {
		t.Fatalf("%d orders stored by refused calls", len(page.Data))
	}
}

// roundMinor rounds to the currency's minor unit.
func roundMinor(v float64, cur string) float64 {
	if cur == "JPY" {
		return math.Round(v)
	}
	return math.Round(v*100) / 100
}
