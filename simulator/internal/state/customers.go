package state

import (
	"net/mail"

	"github.com/drsim/drsim/simulator/client"
	"github.com/drsim/drsim/simulator/internal/problem"
)

// Address is DR's postal address.
type Address = client.Address

// Contact is DR's shipping/billing block.
type Contact = client.Contact

// Customer is DR's Customer. The test clock a customer is attached to is
// the account's customerClock note.
type Customer = client.Customer

// CustomerParams is the body of POST /customers and POST /customers/{id}.
type CustomerParams = client.CustomerParams

func validateCustomer(p *CustomerParams) error {
	if p.Email != nil && *p.Email != "" {
		if _, err := mail.ParseAddress(*p.Email); err != nil {
			return problem.Invalidf("email", "'%s' is not a valid email address.", *p.Email)
		}
	}
	if p.Type != nil && *p.Type != "individual" && *p.Type != "business" {
		return problem.Invalidf("type", "type must be 'individual' or 'business', got '%s'.", *p.Type)
	}
	if p.ID != nil && (len(*p.ID) == 0 || len(*p.ID) > 40) {
		return problem.Invalidf("id", "id must be 1 to 40 characters.")
	}
	return nil
}

// CreateCustomer is POST /customers.
func (a *Account) CreateCustomer(p CustomerParams) (*Customer, error) {
	if err := validateCustomer(&p); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	c, _, err := a.createCustomer(p)
	if err != nil {
		return nil, err
	}
	return clone(c), nil
}

// CreateCustomerJSON is CreateCustomer for POST /customers: it returns the
// new customer as JSON, the bytes its customer.created event carries (the
// object as wire.Marshal writes it, which a copy would write again).
// Callers must not modify them.
func (a *Account) CreateCustomerJSON(p CustomerParams) ([]byte, error) {
	if err := validateCustomer(&p); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	_, pos, err := a.createCustomer(p)
	if err != nil {
		return nil, err
	}
	return a.events.object(pos), nil
}

// createCustomer makes a customer on the clock in use (see use) and
// returns it (the stored one) with its customer.created event's position
// in the event log. Caller
// holds a.mu; p is valid.
func (a *Account) createCustomer(p CustomerParams) (*Customer, uint32, error) {
	now := a.now()
	c := &Customer{Type: "individual", Enabled: true, CreatedTime: now}
	if p.ID != nil {
		if _, taken := a.customers.get(*p.ID); taken {
			return nil, 0, problem.Conflictf("conflict", "Customer '%s' already exists.", *p.ID)
		}
	}
	if p.DefaultSourceID != nil {
		return nil, 0, problem.Invalidf("defaultSourceId", "Attach a source before making it the default.")
	}
	a.applyCustomer(c, p)
	// The id and the email share one allocation: a stored customer is
	// one heap object fewer for every garbage collection to mark.
	var buf [64]byte
	b := buf[:0]
	if p.ID != nil {
		b = append(b, *p.ID...)
	} else {
		b = a.ids.appendNumeric(b)
	}
	n := len(b)
	s := string(append(b, c.Email...))
	c.ID, c.Email = s[:n], s[n:]
	a.customers.put(c.ID, c)
	a.customerClock.set(c.ID, a.curID)
	return c, a.record("customer.created", c, nil), nil
}

func (a *Account) applyCustomer(c *Customer, p CustomerParams) {
	if p.Email != nil {
		c.Email = *p.Email
	}
	if p.Shipping != nil {
		c.Shipping = p.Shipping
	}
	if p.Type != nil {
		c.Type = *p.Type
	}
	if p.Locale != nil {
		c.Locale = *p.Locale
	}
	if p.Enabled != nil {
		c.Enabled = *p.Enabled
	}
	if p.RequestToBeForgotten != nil {
		c.RequestToBeForgotten = *p.RequestToBeForgotten
	}
	if p.Metadata != nil {
		c.Metadata = p.Metadata
	}
	c.UpdatedTime = a.now()
}

// UpdateCustomer is POST /customers/{id}.
func (a *Account) UpdateCustomer(id string, p CustomerParams) (*Customer, error) {
	if err := validateCustomer(&p); err != nil {
		return nil, err
	}
	if p.ID != nil && *p.ID != id {
		return nil, problem.Invalidf("id", "A customer's id cannot change.")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	c, ok := a.customers.get(id)
	if !ok {
		return nil, problem.NotFoundID("Customer", id)
	}
	defer a.use(a.customerClock[c.ID])()
	if p.DefaultSourceID != nil {
		if !hasSource(c, *p.DefaultSourceID) {
			return nil, problem.Invalidf("defaultSourceId", "Source '%s' is not attached to customer '%s'.", *p.DefaultSourceID, id)
		}
		c.DefaultSourceID = *p.DefaultSourceID
	}
	a.applyCustomer(c, p)
	a.record("customer.updated", c, nil)
	return clone(c), nil
}

// Customer is GET /customers/{id}.
func (a *Account) Customer(id string) (*Customer, error) {
	return find(a, &a.customers, KindCustomer, id)
}

// CustomerFilter is GET /customers' query.
type CustomerFilter struct {
	ListParams
	Email   string
	IDs     []string
	Created TimeRange
	Updated TimeRange
	// RequestToBeForgotten, when set, keeps the customers whose flag is
	// that value.
	RequestToBeForgotten *bool
}

// Customers is GET /customers.
func (a *Account) Customers(f CustomerFilter) (Page[*Customer], error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return pageOf(&a.customers, func(c *Customer) bool {
		return (f.Email == "" || c.Email == f.Email) && (len(f.IDs) == 0 || contains(f.IDs, c.ID)) &&
			f.Created.contains(c.CreatedTime) && f.Updated.contains(c.UpdatedTime) &&
			(f.RequestToBeForgotten == nil || c.RequestToBeForgotten == *f.RequestToBeForgotten)
	}, f.ListParams)
}

// DeleteCustomer is DELETE /customers/{id}.
func (a *Account) DeleteCustomer(id string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	c, ok := a.customers.get(id)
	if !ok {
		return problem.NotFoundID("Customer", id)
	}
	defer a.use(a.customerClock[c.ID])()
	a.customers.remove(id)
	a.leaveClock(id)
	a.record("customer.deleted", c, nil)
	return nil
}

// DropNewestCustomers removes the newest customers until keep are left, as
// if they had never been made, and says how many went; their events stay
// in the log. It is for load tests that measure creates at a fixed number
// of stored customers (drsim bench), not an API: DELETE /customers/{id}
// records customer.deleted.
func (a *Account) DropNewestCustomers(keep int) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	ids := a.customers.dropNewest(keep)
	for _, id := range ids {
		a.leaveClock(id)
	}
	return len(ids)
}

// leaveClock forgets which clock the removed customer id was on, and
// counts it off its test clock's customers. Caller holds a.mu.
func (a *Account) leaveClock(id string) {
	if tc, ok := a.testClocks.get(a.customerClock[id]); ok {
		tc.customers--
	}
	delete(a.customerClock, id)
}

func hasSource(c *Customer, id string) bool {
	for _, s := range c.Sources {
		if s.ID == id {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
