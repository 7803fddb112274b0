package harness

import (
	"context"
	"fmt"

	"github.com/drsim/drsim/simulator/client"
)

// Payment methods other than cards (docs/dr-api.md#source): an order paid
// with PayPal carries a payPal source and no creditCard; one paid by wire
// transfer stays pending_payment until the customer's funds arrive, and DR
// accepts it then.

// PayWithPayPal makes the next order pay with PayPal.
func (s *Scenario) PayWithPayPal(ctx context.Context, who string) error {
	return s.payWith(who, "payPal")
}

// PayByWireTransfer makes the next order pay by wire transfer, a delayed
// method: the order waits for the funds (WireTransferArrives).
func (s *Scenario) PayByWireTransfer(ctx context.Context, who string) error {
	return s.payWith(who, "wireTransfer")
}

func (s *Scenario) payWith(who, method string) error {
	if _, err := s.customer(who); err != nil {
		return err
	}
	s.card, s.method = nil, method
	return nil
}

// methodSource creates the source of the chosen method for the next order,
// as DigitalRiver.js would with the public key's checkout.
func (s *Scenario) methodSource(ctx context.Context) (string, error) {
	p := client.SourceParams{Type: s.method, Owner: &client.Owner{FirstName: "Test", LastName: "Customer"}}
	switch s.method {
	case "payPal":
		p.PayPal = &client.PayPalParams{}
	case "wireTransfer":
		p.WireTransfer = &client.WireTransferParams{}
	}
	src, err := s.h.dr.CreateSource(ctx, p)
	if err != nil {
		return "", fmt.Errorf("create a %s source: %w", s.method, err)
	}
	if src.State == "pending_funds" {
		s.fundsSource = src.ID
	}
	return src.ID, nil
}

// WireTransferArrives is the customer's funds reaching DR for the order paid
// by wire transfer: DR accepts the order (order.accepted), as it does when a
// delayed payment is authorized.
func (s *Scenario) WireTransferArrives(ctx context.Context, who string) error {
	return s.settleWireTransfer(ctx, who, "is not paid by wire transfer", "the funds of wire transfer source", s.h.dr.FundSource)
}

// WireTransferNeverArrives is the time to pay running out with no funds: DR
// cancels the order paid by wire transfer (order.cancelled).
func (s *Scenario) WireTransferNeverArrives(ctx context.Context, who string) error {
	return s.settleWireTransfer(ctx, who, "does not wait for a wire transfer", "expire wire transfer source", s.h.dr.ExpireSource)
}

// settleWireTransfer makes DR decide the current order's wire transfer
// with call (fund or expire its source); notPaid and doing word the errors.
func (s *Scenario) settleWireTransfer(ctx context.Context, who, notPaid, doing string, call func(context.Context, string) (*client.Source, error)) error {
	if _, err := s.customer(who); err != nil {
		return err
	}
	o, err := s.currentOrder()
	if err != nil {
		return err
	}
	if s.fundsSource == "" {
		return fmt.Errorf("order %s %s; add `Given %s pays by wire transfer` before the order", o.ID, notPaid, who)
	}
	if _, err := call(ctx, s.fundsSource); err != nil {
		return fmt.Errorf("%s %s of order %s: %w", doing, s.fundsSource, o.ID, err)
	}
	s.fundsSource = ""
	return nil
}
