package state_test

import (
	"bytes"
	"testing"

	"github.com/drsim/drsim/simulator/internal/problem"
	"github.com/drsim/drsim/simulator/internal/state"
	"github.com/drsim/drsim/simulator/internal/wire"
)

// WriteJSON writes, for every kind and every object of richStore, exactly
// what writing the getter's copy writes, and DR's 404 naming the kind for
// an unknown id, writing nothing.
func TestWriteJSONMatchesTheCopy(t *testing.T) {
	_, a, f := richStore(t)
	advanceDays(31)(f) // a renewal: invoices
	lp := state.ListParams{Limit: 100}
	ids := func(kind state.Kind, list func() ([]string, error)) []string {
		got, err := list()
		if err != nil || len(got) == 0 {
			t.Fatalf("%s: %d listed, err %v; richStore should hold some", kind, len(got), err)
		}
		return got
	}
	customers, err := a.Customers(state.CustomerFilter{ListParams: lp})
	if err != nil {
		t.Fatal(err)
	}
	kinds := []struct {
		kind state.Kind
		ids  []string
		get  func(id string) (any, error)
	}{
		{state.KindCustomer, idsOf(customers.Data, func(c *state.Customer) string { return c.ID }), func(id string) (any, error) { return a.Customer(id) }},
		{state.KindSource, ids(state.KindSource, func() ([]string, error) {
			var out []string
			for _, c := range customers.Data {
				for _, s := range c.Sources {
					out = append(out, s.ID)
				}
			}
			return out, nil
		}), func(id string) (any, error) { return a.Source(id) }},
		{state.KindOrder, ids(state.KindOrder, func() ([]string, error) {
			p, err := a.Orders(state.OrderFilter{ListParams: lp})
			return idsOf(p.Data, func(o *state.Order) string { return o.ID }), err
		}), func(id string) (any, error) { return a.Order(id) }},
		{state.KindFulfillment, ids(state.KindFulfillment, func() ([]string, error) {
			p, err := a.Fulfillments(state.FulfillmentFilter{ListParams: lp})
			return idsOf(p.Data, func(f *state.Fulfillment) string { return f.ID }), err
		}), func(id string) (any, error) { return a.Fulfillment(id) }},
		{state.KindRefund, ids(state.KindRefund, func() ([]string, error) {
			p, err := a.Refunds(state.RefundFilter{ListParams: lp})
			return idsOf(p.Data, func(r *state.Refund) string { return r.ID }), err
		}), func(id string) (any, error) { return a.Refund(id) }},
		{state.KindReturn, ids(state.KindReturn, func() ([]string, error) {
			p, err := a.Returns(state.ReturnFilter{ListParams: lp})
			return idsOf(p.Data, func(r *state.Return) string { return r.ID }), err
		}), func(id string) (any, error) { return a.Return(id) }},
		{state.KindSKU, ids(state.KindSKU, func() ([]string, error) {
			p, err := a.SKUs(lp)
			return idsOf(p.Data, func(s *state.SKU) string { return s.ID }), err
		}), func(id string) (any, error) { return a.SKU(id) }},
		{state.KindPlan, ids(state.KindPlan, func() ([]string, error) {
			p, err := a.Plans(state.PlanFilter{ListParams: lp})
			return idsOf(p.Data, func(p *state.Plan) string { return p.ID }), err
		}), func(id string) (any, error) { return a.Plan(id) }},
		{state.KindSubscription, ids(state.KindSubscription, func() ([]string, error) {
			p, err := a.Subscriptions(state.SubscriptionFilter{ListParams: lp})
			return idsOf(p.Data, func(s *state.Subscription) string { return s.ID }), err
		}), func(id string) (any, error) { return a.Subscription(id) }},
		{state.KindInvoice, ids(state.KindInvoice, func() ([]string, error) {
			p, err := a.Invoices(state.InvoiceFilter{ListParams: lp})
			return idsOf(p.Data, func(i *state.Invoice) string { return i.ID }), err
		}), func(id string) (any, error) { return a.Invoice(id) }},
	}
	for _, k := range kinds {
		for _, id := range k.ids {
			v, err := k.get(id)
			if err != nil {
				t.Fatalf("%s %s: %v", k.kind, id, err)
			}
			want, err := wire.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := a.WriteJSON(&got, k.kind, id); err != nil {
				t.Fatalf("WriteJSON(%s, %s): %v", k.kind, id, err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("WriteJSON(%s, %s) wrote\n%s\nwant what the getter's copy writes\n%s", k.kind, id, got.Bytes(), want)
			}
		}
		var got bytes.Buffer
		err := a.WriteJSON(&got, k.kind, "nope")
		if problem.KindOf(err) != problem.NotFound || got.Len() != 0 {
			t.Errorf("WriteJSON(%s, unknown id): err %v, wrote %q; want DR's 404 and nothing written", k.kind, err, got.Bytes())
		} else if _, want := k.get("nope"); err.Error() != want.Error() {
			t.Errorf("WriteJSON(%s, unknown id): %v; the getter says %v", k.kind, err, want)
		}
	}
}

func idsOf[T any](vs []T, id func(T) string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = id(v)
	}
	return out
}
