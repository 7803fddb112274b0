package state

import (
	"fmt"
	"io"

	"github.com/drsim/drsim/simulator/internal/wire"
)

// Kind names a resource that GET /{resources}/{id} answers with the stored
// object as it is (WriteJSON).
type Kind string

// The kinds WriteJSON serves: DR's names for them, as its 404s say.
const (
	KindCustomer     Kind = "Customer"
	KindFulfillment  Kind = "Fulfillment"
	KindInvoice      Kind = "Invoice"
	KindOrder        Kind = "Order"
	KindPlan         Kind = "Plan"
	KindRefund       Kind = "Refund"
	KindReturn       Kind = "Return"
	KindSKU          Kind = "SKU"
	KindSource       Kind = "Source"
	KindSubscription Kind = "Subscription"
)

// WriteJSON writes the JSON of the kind's resource id to w, as GET by id
// answers it, or returns DR's 404 naming the kind. It writes the stored
// object under the account's lock, where the getters (Customer, Order, …)
// return a copy for the caller to keep: a copy made only to be written and
// dropped would cost a GET several allocations, each landing, in a store of
// a million objects, on memory the processor has not seen for a while.
// What it writes is what writing the getter's copy would (clone copies
// every field JSON carries); TestWriteJSONMatchesTheCopy checks it for
// every kind.
func (a *Account) WriteJSON(w io.Writer, kind Kind, id string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch kind {
	case KindCustomer:
		return writeFound(w, &a.customers, kind, id)
	case KindFulfillment:
		return writeFound(w, &a.fulfils, kind, id)
	case KindInvoice:
		return writeFound(w, &a.invoices, kind, id)
	case KindOrder:
		return writeFound(w, &a.orders, kind, id)
	case KindPlan:
		return writeFound(w, &a.plans, kind, id)
	case KindRefund:
		return writeFound(w, &a.refunds, kind, id)
	case KindReturn:
		return writeFound(w, &a.returns, kind, id)
	case KindSKU:
		return writeFound(w, &a.skus, kind, id)
	case KindSource:
		return writeFound(w, &a.sources, kind, id)
	case KindSubscription:
		return writeFound(w, &a.subs, kind, id)
	}
	return fmt.Errorf("WriteJSON: no resource kind %q", kind)
}

// writeFound writes c's value id as JSON. Caller holds a.mu.
func writeFound[T any](w io.Writer, c *collection[T], kind Kind, id string) error {
	v, err := lookup(c, kind, id)
	if err != nil {
		return err
	}
	if err := wire.MarshalWrite(w, v); err != nil {
		return fmt.Errorf("write %s %s: %w", kind, id, err)
	}
	return nil
}
