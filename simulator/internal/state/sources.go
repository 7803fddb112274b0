package state

import (
	"strings"
	"time"

	"github.com/drsim/drsim/simulator/internal/problem"
)

// CreditCard is what DR returns of a card: never the full number.
type CreditCard struct {
	Brand           string `json:"brand"`
	ExpirationMonth int    `json:"expirationMonth"`
	ExpirationYear  int    `json:"expirationYear"`
	LastFourDigits  string `json:"lastFourDigits"`
	FundingSource   string `json:"fundingSource,omitempty"`
}

// Owner is a source's owner.
type Owner struct {
	FirstName    string   `json:"firstName,omitempty"`
	LastName     string   `json:"lastName,omitempty"`
	Email        string   `json:"email,omitempty"`
	Organization string   `json:"organization,omitempty"`
	Address      *Address `json:"address,omitempty"`
}

// Source is DR's payment Source.
type Source struct {
	ID           string         `json:"id"`
	ClientSecret string         `json:"clientSecret"`
	Type         string         `json:"type"`
	State        string         `json:"state"`
	Reusable     bool           `json:"reusable"`
	Flow         string         `json:"flow"`
	Currency     string         `json:"currency,omitempty"`
	Amount       float64        `json:"amount,omitempty"`
	Owner        *Owner         `json:"owner,omitempty"`
	CustomerID   string         `json:"customerId,omitempty"`
	CreditCard   *CreditCard    `json:"creditCard,omitempty"`
	Metadata     map[string]any `json:"metadata,omitempty"`
	LiveMode     bool           `json:"liveMode"`
	CreatedTime  time.Time      `json:"createdTime"`

	// behaviour is what the test card number makes the source do; not on the wire.
	behaviour cardBehaviour
}

// CardParams is the test-only card data of POST /sources.
type CardParams struct {
	Number          string `json:"number"`
	ExpirationMonth int    `json:"expirationMonth"`
	ExpirationYear  int    `json:"expirationYear"`
	CVV             string `json:"cvv"`
}

// SourceParams is the body of the simulator's test-only POST /sources
// (DR tokenises real cards client-side) [choice].
type SourceParams struct {
	Type       string         `json:"type"`
	Owner      *Owner         `json:"owner"`
	CreditCard *CardParams    `json:"creditCard"`
	Currency   string         `json:"currency"`
	Amount     float64        `json:"amount"`
	Metadata   map[string]any `json:"metadata"`
}

// cardBehaviour is what DR's test cards do (docs/lifecycles.md#test-mode-triggers-doc).
type cardBehaviour struct {
	sourceFails, chargeFails, captureFails, cancelFails, refundFails bool
}

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

func (p *SourceParams) validate() error {
	if p.Type == "" {
		return problem.Missing("type")
	}
	if p.Type != "creditCard" {
		return problem.Invalidf("type", "The simulator creates 'creditCard' sources only, got '%s'.", p.Type)
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
	if err := p.validate(); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
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
		behaviour:   testCards[cc.Number],
	}
	if s.behaviour.sourceFails {
		s.State = "failed"
	}
	a.sources.put(s.ID, s)
	return s
}

// Source is GET /sources/{id}.
func (a *Account) Source(id string) (*Source, error) {
	return find(a, &a.sources, "Source", id)
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
	defer a.use(c.testClock)()
	s, ok := a.sources.get(sourceID)
	if !ok {
		return nil, problem.NotFoundID("Source", sourceID)
	}
	if s.CustomerID != "" && s.CustomerID != customerID {
		return nil, problem.Conflictf("source_in_use", "Source '%s' belongs to another customer.", sourceID)
	}
	if s.CustomerID == customerID && c.hasSource(sourceID) {
		return clone(s), nil
	}
	if s.State != "chargeable" {
		return nil, problem.Conflictf("source_not_chargeable", "Source '%s' is %s, not chargeable.", sourceID, s.State)
	}
	if s.Type != "creditCard" {
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
	defer a.use(c.testClock)()
	if !c.hasSource(sourceID) {
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
