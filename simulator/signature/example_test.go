package signature_test

import (
	"fmt"
	"time"

	"github.com/drsim/drsim/simulator/signature"
)

// Sign makes the DigitalRiver-Signature header a webhook delivery carries.
func ExampleSign() {
	body := []byte(`{"id":"evt_1","type":"order.accepted"}`)
	t := time.Unix(1700000000, 0)
	fmt.Println(signature.Sign(body, t, "whsec_test"))
	// Output: t=1700000000, GsCOmzQzM9HQuLp0lBYrcYc+MtReZf8EJN5vBNaRbrE=
}

// A merchant's webhook handler checks the header against the raw body and
// its signing secret before trusting the event.
func ExampleVerify() {
	body := []byte(`{"id":"evt_1","type":"order.accepted"}`)
	now := time.Now()
	header := signature.Sign(body, now, "whsec_test")

	fmt.Println(signature.Verify(header, body, "whsec_test", now, 0))
	fmt.Println(signature.Verify(header, body, "whsec_other", now, 0) != nil)
	fmt.Println(signature.Verify(header, []byte(`{"tampered":true}`), "whsec_test", now, 0) != nil)
	// Output:
	// <nil>
	// true
	// true
}
