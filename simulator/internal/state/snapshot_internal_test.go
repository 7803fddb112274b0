package state

import (
	"bytes"
	"fmt"
	"testing"
	"time"
	"unsafe"
)

// A loaded customer is laid out as a created one: its id and email one
// string, which its collection entry's id shares.
func TestLoadedCustomersShareStrings(t *testing.T) {
	s := NewStore(nil, time.Now)
	a, _, _ := s.Lookup(s.CreateAccount().SecretKey)
	for i := range 3 {
		email := fmt.Sprintf("c%d@example.test", i)
		if _, err := a.CreateCustomer(CustomerParams{Email: &email}); err != nil {
			t.Fatal(err)
		}
	}
	var file bytes.Buffer
	if err := s.Save(&file); err != nil {
		t.Fatal(err)
	}
	loaded := NewStore(nil, time.Now)
	if err := loaded.Load(&file); err != nil {
		t.Fatal(err)
	}
	b := loaded.Accounts()[0]
	for _, en := range b.customers.items {
		c := en.v
		if unsafe.StringData(en.id) != unsafe.StringData(c.ID) || unsafe.StringData(c.Email) != (*byte)(unsafe.Add(unsafe.Pointer(unsafe.StringData(c.ID)), len(c.ID))) {
			t.Errorf("customer %s (%s): the entry's id, the id and the email are not one string", c.ID, c.Email)
		}
	}
}
