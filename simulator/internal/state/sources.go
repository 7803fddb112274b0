package state

import (
	"strings"

	"github.com/drsim/drsim/simulator/client"
	"github.com/drsim/drsim/simulator/internal/problem"
)

// The source types are package client's: DR's wire form.
type (
	CreditCard         = client.CreditCard
	Owner              = client.Owner
	Source             = client.Source // what its test card does is the account's behaviours note
	PayPal             = client.PayPal
	PayPalToken        = client.PayPalToken
	Redirect           = client.Redirect
	WireTransfer       = client.WireTransfer
	CardParams         = client.CardParams
	PayPalParams       = client.PayPalParams
	WireTransferParams = client.WireTransferParams
	// SourceParams is the body of the simulator's test-only POST /sources
	// (DR tokenises real payment details client-side) [choice].
	SourceParams = client.SourceParams
)

// cardBehaviour is what DR's test cards do (docs/lifecycles.md#test-mode-triggers-doc).
type cardBehaviour struct {
	sourceFails, chargeFails, captureFails, cancelFails, refundFails bool
}

// ownerBehaviour is what DR's test owner last names do to sources of other
// methods than cards (docs/lifecycles.md#test-mode-triggers-doc).
var ownerBehaviour = map[string]cardBehaviour{
	"ChargeFail": {chargeFails: true},
	"RefundFail": {refundFails: true},
}

// Source types the simulator creates, and how each pays
// (docs/dr-api.md#source).
const (
	sourceCard          = "creditCard"
	sourcePayPal        = "payPal"
	sourcePayPalBilling = "payPalBilling"
	sourceWireTransfer  = "wireTransfer"
)

// reusableTypes are the source types a customer can save (attach) for later
// payments: cards, and PayPal Billing Agreements, which DR's "Configuring
// PayPal" makes the PayPal method for subscriptions (docs/dr-api.md#source).
var reusableTypes = []string{sourceCard, sourcePayPalBilling}

// delayed reports whether the source is a delayed ("receiver") method:
// the customer pushes the funds after the order is placed.
func delayed(s *Source) bool { return s.Flow == "receiver" }

// testCards maps DR's documented failure card numbers to their behaviour.
var testCards = map[string]cardBehaviour{
	"4000000000003295": {sourceFails: true},
	"4000000000003600": {chargeFails: true},
	"4000000000004103": {captureFails: true},
	"4000000000004442": {cancelFails: true},
	"4000000000004111": {refundFails: true},
	"4556602564240839": {refundFails: true},
}

func brandOf(number string) string {
	switch {
	case strings.HasPrefix(number, "4"):
		return "Visa"
	case strings.HasPrefix(number, "5"), strings.HasPrefix(number, "2"):
		return "MasterCard"
	case strings.HasPrefix(number, "34"), strings.HasPrefix(number, "37"):
		return "American Express"
	case strings.HasPrefix(number, "6"):
		return "Discover"
	}
	return "Unknown"
}

func validateSource(p *SourceParams) error {
	if p.Type == "" {
		return problem.Missing("type")
	}
	for _, g := range []struct {
		typ string
		set bool
	}{{sourceCard, p.CreditCard != nil}, {sourcePayPal, p.PayPal != nil}, {sourcePayPalBilling, p.PayPalBilling != nil}, {sourceWireTransfer, p.WireTransfer != nil}} {
		// DR's example request for a payPalBilling source sends its
		// details as payPal.
		if g.set && g.typ != p.Type && (g.typ != sourcePayPal || p.Type != sourcePayPalBilling) {
			return problem.Invalidf(g.typ, "'%s' does not go with a source of type '%s'.", g.typ, p.Type)
		}
	}
	switch p.Type {
	case sourceCard:
	case sourcePayPal, sourcePayPalBilling, sourceWireTransfer:
		if p.Amount < 0 || p.Amount > maxAmount {
			return problem.Invalidf("amount", "amount must be between 0 and %.0f.", maxAmount)
		}
		return nil
	default:
		return problem.Invalidf("type", "The simulator creates 'creditCard', 'payPal', 'payPalBilling' and 'wireTransfer' sources, got '%s'.", p.Type)
	}
	if p.CreditCard == nil {
		return problem.Missing("creditCard")
	}
	n := strings.ReplaceAll(strings.ReplaceAll(p.CreditCard.Number, " ", ""), "-", "")
	if n == "" {
		return problem.Missing("creditCard.number")
	}
	if len(n) < 12 || len(n) > 19 || strings.Trim(n, "0123456789") != "" {
		return problem.Invalidf("creditCard.number", "Card number must be 12 to 19 digits.")
	}
	p.CreditCard.Number = n
	if p.CreditCard.ExpirationMonth < 1 || p.CreditCard.ExpirationMonth > 12 {
		return problem.Invalidf("creditCard.expirationMonth", "expirationMonth must be 1 to 12, got %d.", p.CreditCard.ExpirationMonth)
	}
	if p.CreditCard.ExpirationYear < 2000 || p.CreditCard.ExpirationYear > 2100 {
		return problem.Invalidf("creditCard.expirationYear", "expirationYear must be a four-digit year, got %d.", p.CreditCard.ExpirationYear)
	}
	return nil
}

// CreateSource is the test-only POST /sources (public or secret key).
func (a *Account) CreateSource(p SourceParams) (*Source, error) {
	if err := validateSource(&p); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if p.Type != sourceCard {
		s := a.newOtherSource(p)
		a.record("source.created", s, nil)
		if s.State == "chargeable" {
			a.record("source.chargeable", s, nil)
		}
		return clone(s), nil
	}
	// DR refuses to tokenise a card past its expiry (the end of its
	// expiration month), on the account's clock.
	if exp := cardExpiry(&CreditCard{ExpirationMonth: p.CreditCard.ExpirationMonth, ExpirationYear: p.CreditCard.ExpirationYear}); !a.now().Before(exp) {
		return nil, problem.Invalidf("creditCard.expirationYear", "The card expired at the end of %02d/%d.", p.CreditCard.ExpirationMonth, p.CreditCard.ExpirationYear)
	}
	s := a.newCardSource(p)
	a.record("source.created", s, nil)
	if s.State == "chargeable" {
		a.record("source.chargeable", s, nil)
	}
	return clone(s), nil
}

func (a *Account) newCardSource(p SourceParams) *Source {
	now := a.now()
	id := newUUID()
	cc := p.CreditCard
	s := &Source{
		ID:           id,
		ClientSecret: id + "_" + newUUID(),
		Type:         "creditCard",
		State:        "chargeable",
		Flow:         "standard",
		Currency:     p.Currency,
		Amount:       p.Amount,
		Owner:        p.Owner,
		Metadata:     p.Metadata,
		CreditCard: &CreditCard{
			Brand:           brandOf(cc.Number),
			ExpirationMonth: cc.ExpirationMonth,
			ExpirationYear:  cc.ExpirationYear,
			LastFourDigits:  cc.Number[len(cc.Number)-4:],
		},
		CreatedTime: now,
	}
	if testCards[cc.Number].sourceFails {
		s.State = "failed"
	}
	a.sources.put(s.ID, s)
	a.behaviours.set(s.ID, testCards[cc.Number])
	return s
}

// newOtherSource makes a payPal, payPalBilling or wireTransfer source
// (docs/dr-api.md#source). payPalBilling is PayPal's billing agreement:
// chargeable once the customer approved it, like payPal, but reusable once
// attached, so it can pay a subscription's renewals.
// PayPal is a redirect method: the simulator's source is the one DR.js
// hands back once the customer approved the payment at PayPal, chargeable
// at once. A wire transfer is a delayed ("receiver") method: pending_funds,
// with the bank details the customer pushes the funds to, until the control
// call FundSource says the funds arrived. Neither is reusable. Caller holds a.mu.
func (a *Account) newOtherSource(p SourceParams) *Source {
	id := newUUID()
	s := &Source{
		ID: id, ClientSecret: id + "_" + newUUID(), Type: p.Type,
		Currency: p.Currency, Amount: p.Amount, Owner: p.Owner, Metadata: p.Metadata,
		CreatedTime: a.now(),
	}
	switch p.Type {
	case sourcePayPal:
		s.State, s.Flow = "chargeable", "redirect"
		s.PayPal = &PayPal{DirectDebit: &PayPalToken{Token: "EC-" + strings.ToUpper(strings.ReplaceAll(newUUID(), "-", "")[:17])}}
		if r := p.PayPal; r != nil && r.Redirect != nil {
			s.PayPal.Redirect = &Redirect{ReturnURL: r.Redirect.ReturnURL, CancelURL: r.Redirect.CancelURL}
		}
	case sourcePayPalBilling:
		// The customer approved the billing agreement at PayPal: the
		// source is chargeable, and reusable once attached.
		s.State, s.Flow = "chargeable", "redirect"
		s.PayPalBilling = &PayPal{DirectDebit: &PayPalToken{Token: "BA-" + strings.ToUpper(strings.ReplaceAll(newUUID(), "-", "")[:17])}}
		r := p.PayPalBilling
		if r == nil {
			r = p.PayPal
		}
		if r != nil && r.Redirect != nil {
			s.PayPalBilling.Redirect = &Redirect{ReturnURL: r.Redirect.ReturnURL, CancelURL: r.Redirect.CancelURL}
		}
	case sourceWireTransfer:
		s.State, s.Flow = "pending_funds", "receiver"
		s.WireTransfer = &WireTransfer{
			AccountHolder: "Digital River Ireland Ltd.", BankName: "Simulated Bank", City: "Dublin", Country: "IE",
			ReferenceID: strings.ToUpper(strings.ReplaceAll(id, "-", "")[:12]), AccountNumber: "12345678",
			IBAN: "IE29AIBK93115212345678", SwiftCode: "AIBKIE2D",
		}
	}
	a.sources.put(s.ID, s)
	if p.Owner != nil {
		a.behaviours.set(s.ID, ownerBehaviour[p.Owner.LastName])
	}
	return s
}

// Source is GET /sources/{id}.
func (a *Account) Source(id string) (*Source, error) {
	return find(a, &a.sources, KindSource, id)
}

// AttachSource is POST /customers/{id}/sources/{sourceId}: it saves the
// source for reuse (docs/dr-api.md#customer).
func (a *Account) AttachSource(customerID, sourceID string) (*Source, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	c, ok := a.customers.get(customerID)
	if !ok {
		return nil, problem.NotFoundID("Customer", customerID)
	}
	defer a.use(a.customerClock[c.ID])()
	s, ok := a.sources.get(sourceID)
	if !ok {
		return nil, problem.NotFoundID("Source", sourceID)
	}
	if s.CustomerID != "" && s.CustomerID != customerID {
		return nil, problem.Conflictf("source_in_use", "Source '%s' belongs to another customer.", sourceID)
	}
	if s.CustomerID == customerID && hasSource(c, sourceID) {
		return clone(s), nil
	}
	if s.State != "chargeable" {
		return nil, problem.Conflictf("source_not_chargeable", "Source '%s' is %s, not chargeable.", sourceID, s.State)
	}
	if !contains(reusableTypes, s.Type) {
		return nil, problem.Conflictf("nonreusable_source", "Source type '%s' cannot be reused.", s.Type)
	}
	s.Reusable = true
	s.CustomerID = customerID
	c.Sources = append(c.Sources, s)
	if c.DefaultSourceID == "" {
		c.DefaultSourceID = s.ID
	}
	c.UpdatedTime = a.now()
	a.record("customer.source.created", s, nil)
	return clone(s), nil
}

// DetachSource is DELETE /customers/{id}/sources/{sourceId}.
func (a *Account) DetachSource(customerID, sourceID string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	c, ok := a.customers.get(customerID)
	if !ok {
		return problem.NotFoundID("Customer", customerID)
	}
	defer a.use(a.customerClock[c.ID])()
	if !hasSource(c, sourceID) {
		return problem.NotFoundID("Source", sourceID)
	}
	s, _ := a.sources.get(sourceID)
	kept := c.Sources[:0]
	for _, x := range c.Sources {
		if x.ID != sourceID {
			kept = append(kept, x)
		}
	}
	c.Sources = kept
	if c.DefaultSourceID == sourceID {
		c.DefaultSourceID = ""
	}
	s.State = "cancelled"
	c.UpdatedTime = a.now()
	a.record("customer.source.deleted", s, nil)
	return nil
}
