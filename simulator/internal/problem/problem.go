// Package problem says what went wrong with a request in Digital River's
// terms, without HTTP: a kind (invalid, not found, conflict, …), DR's error
// code, the parameter at fault and a message. The simulator's rules (state,
// delivery) return *Error values; the HTTP layer (apierror) maps each kind to
// DR's status and error shape.
package problem

import (
	"errors"
	"fmt"
)

// Kind is what sort of mistake a request made.
type Kind uint8

// The kinds of problem. The zero Kind is none (KindOf of a nil or foreign error).
const (
	Invalid  Kind = iota + 1 // a parameter is missing, malformed or refused
	NotFound                 // no such resource for the account
	Conflict                 // the resource's state refuses the change; Code says why
	Timeout                  // a wait ended before what it awaited happened
	Expired                  // the resource existed but has expired (a file link)
)

var kindNames = [...]string{"none", "invalid", "not found", "conflict", "timeout", "expired"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Error is one problem with a request. Code and Parameter are optional.
type Error struct {
	Kind      Kind
	Code      string // DR's code: invalid_parameter, order_fulfilled, …
	Parameter string // the request parameter at fault, if any
	Message   string
}

func (e *Error) Error() string {
	s := e.Kind.String()
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Parameter != "" {
		s += " (" + e.Parameter + ")"
	}
	return s + ": " + e.Message
}

// KindOf is the kind of the *Error in err's chain, or 0 when there is none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

// Bad is an invalid request with a DR code of its own (missing_parameter
// without a single parameter, say).
func Bad(code, parameter, format string, args ...any) *Error {
	return &Error{Kind: Invalid, Code: code, Parameter: parameter, Message: fmt.Sprintf(format, args...)}
}

// Invalidf is an invalid_parameter problem with parameter.
func Invalidf(parameter, format string, args ...any) *Error {
	return Bad("invalid_parameter", parameter, format, args...)
}

// Missing is a missing_parameter problem for parameter.
func Missing(parameter string) *Error {
	return Bad("missing_parameter", parameter, "'%s' is required.", parameter)
}

// NotFoundID says the account has no resource (Order, SKU, …) with id.
func NotFoundID(resource, id string) *Error {
	return &Error{Kind: NotFound, Code: "not_found", Parameter: "id", Message: fmt.Sprintf("%s '%s' not found.", resource, id)}
}

// Conflictf is a conflict with DR's code (order_fulfilled, source_in_use, …).
func Conflictf(code, format string, args ...any) *Error {
	return &Error{Kind: Conflict, Code: code, Message: fmt.Sprintf(format, args...)}
}

// TimedOut says a wait on parameter ended before what it awaited happened.
func TimedOut(parameter, format string, args ...any) *Error {
	return &Error{Kind: Timeout, Code: "request_timeout", Parameter: parameter, Message: fmt.Sprintf(format, args...)}
}

// Gone says a resource has expired; code is DR's (link_expired).
func Gone(code, format string, args ...any) *Error {
	return &Error{Kind: Expired, Code: code, Message: fmt.Sprintf(format, args...)}
}
