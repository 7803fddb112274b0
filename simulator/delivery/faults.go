package delivery

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/drsim/drsim/simulator/apierror"
	"github.com/drsim/drsim/simulator/signature"
)

// Forgery is a way of spoiling a delivery's signature.
type Forgery string

// The forgeries a fault or a redelivery can apply.
const (
	ForgeNone         Forgery = ""
	ForgeMissing      Forgery = "missing"       // no DigitalRiver-Signature header
	ForgeWrongSecret  Forgery = "wrong-secret"  // signed with a secret the merchant does not know
	ForgeTamperedBody Forgery = "tampered-body" // signed, then the body changed
	ForgeStale        Forgery = "stale"         // correctly signed 24 hours ago
)

// StaleAge is how old a stale signature's timestamp is.
const StaleAge = 24 * time.Hour

// Forgeries lists the valid non-empty forgeries.
var Forgeries = []Forgery{ForgeMissing, ForgeWrongSecret, ForgeTamperedBody, ForgeStale}

// Validate reports an unknown forgery as a DR 400.
func (f Forgery) Validate() error {
	if f == ForgeNone {
		return nil
	}
	for _, k := range Forgeries {
		if f == k {
			return nil
		}
	}
	return apierror.Invalid("forge", "forge must be one of %v, got '%s'.", Forgeries, string(f))
}

// apply returns the body to send and the header value (empty = no header).
func (f Forgery) apply(body []byte, now time.Time, secrets []string) ([]byte, string) {
	switch f {
	case ForgeMissing:
		return body, ""
	case ForgeWrongSecret:
		return body, signature.Sign(body, now, "whsec_not_the_merchants_secret")
	case ForgeTamperedBody:
		sig := signature.Sign(body, now, secrets...)
		return tamper(body), sig
	case ForgeStale:
		return body, signature.Sign(body, now.Add(-StaleAge), secrets...)
	}
	return body, signature.Sign(body, now, secrets...)
}

// tamper changes the event's object in a way a careless merchant would act
// on: it rewrites data.object.email and bumps totalAmount when present.
func tamper(body []byte) []byte {
	var ev map[string]any
	if err := json.Unmarshal(body, &ev); err != nil {
		return append(append([]byte(nil), body...), ' ')
	}
	if data, ok := ev["data"].(map[string]any); ok {
		if obj, ok := data["object"].(map[string]any); ok {
			if _, ok := obj["totalAmount"].(float64); ok {
				obj["totalAmount"] = obj["totalAmount"].(float64) + 1000
			}
			obj["tampered"] = true
		}
	}
	out, err := json.Marshal(ev)
	if err != nil {
		return append(append([]byte(nil), body...), ' ')
	}
	return out
}

// Fault is a rule applied to the automatic deliveries it matches, at most
// Count times. Matching on the object id keeps parallel scenarios that share
// one webhook out of each other's way.
type Fault struct {
	ID        string  `json:"id"`
	WebhookID string  `json:"webhookId,omitempty"`
	EventType string  `json:"eventType,omitempty"`
	ObjectID  string  `json:"objectId,omitempty"` // data.object.id or data.object.orderId
	Count     int     `json:"count"`
	Forge     Forgery `json:"forge,omitempty"`
	Status    int     `json:"status,omitempty"` // answer this status instead of calling the merchant
	Used      int     `json:"used"`
	accountID string
}

// AddFault registers a fault for an account's deliveries.
func (e *Engine) AddFault(accountID string, f Fault) (Fault, error) {
	if err := f.Forge.Validate(); err != nil {
		return Fault{}, err
	}
	if f.Status != 0 && (f.Status < 100 || f.Status > 599 || (f.Status >= 200 && f.Status < 300)) {
		return Fault{}, apierror.Invalid("status", "status must be a non-2xx HTTP status, got %d.", f.Status)
	}
	if f.Forge == ForgeNone && f.Status == 0 {
		return Fault{}, apierror.Missing("forge")
	}
	if f.Count < 0 {
		return Fault{}, apierror.Invalid("count", "count cannot be negative.")
	}
	if f.Count == 0 {
		f.Count = 1
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	f.ID = fmt.Sprintf("flt_%d", len(e.faults)+1)
	f.accountID = accountID
	e.faults = append(e.faults, &f)
	return f, nil
}

// takeFault returns the first unused fault matching j and counts its use.
func (e *Engine) takeFault(j job) *Fault {
	var obj struct {
		ID      string `json:"id"`
		OrderID string `json:"orderId"`
	}
	_ = json.Unmarshal(j.event.Data.Object, &obj) // an object without ids matches only id-less faults
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, f := range e.faults {
		if f.accountID != j.accountID || f.Used >= f.Count {
			continue
		}
		if (f.WebhookID != "" && f.WebhookID != j.target.WebhookID) || (f.EventType != "" && f.EventType != j.event.Type) {
			continue
		}
		if f.ObjectID != "" && f.ObjectID != obj.ID && f.ObjectID != obj.OrderID {
			continue
		}
		f.Used++
		c := *f
		return &c
	}
	return nil
}
