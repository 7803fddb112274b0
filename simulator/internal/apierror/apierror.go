// Package apierror is Digital River's error shape:
//
//	{"type":"bad_request","errors":[{"code":"missing_parameter","parameter":"email","message":"…"}]}
//
// The simulator's rules (state, delivery) return problem.Error values, which
// know nothing of HTTP; As maps each problem kind to DR's status here, in the
// HTTP layer, which also makes *Error values of its own (401, 405, …). A
// client mistake is never a 500.
package apierror

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/drsim/drsim/simulator/internal/problem"
)

// Detail is one entry of the errors array. Code and Parameter are optional.
type Detail struct {
	Code      string `json:"code,omitempty"`
	Parameter string `json:"parameter,omitempty"`
	Message   string `json:"message"`
}

// Error is a DR API error with its HTTP status.
type Error struct {
	Status int      `json:"-"`
	Type   string   `json:"type"`
	Errors []Detail `json:"errors"`
}

func (e *Error) Error() string {
	if len(e.Errors) == 0 {
		return fmt.Sprintf("%d %s", e.Status, e.Type)
	}
	d := e.Errors[0]
	s := fmt.Sprintf("%d %s", e.Status, e.Type)
	if d.Code != "" {
		s += " " + d.Code
	}
	if d.Parameter != "" {
		s += " (" + d.Parameter + ")"
	}
	return s + ": " + d.Message
}

// typeFor maps a status to DR's error type.
var typeFor = map[int]string{
	http.StatusBadRequest:            "bad_request",
	http.StatusUnauthorized:          "unauthorized",
	http.StatusForbidden:             "forbidden",
	http.StatusNotFound:              "not_found",
	http.StatusMethodNotAllowed:      "method_not_allowed",
	http.StatusNotAcceptable:         "not_acceptable",
	http.StatusRequestTimeout:        "request_timeout",
	http.StatusConflict:              "conflict",
	http.StatusGone:                  "gone",
	http.StatusRequestEntityTooLarge: "request_entity_too_large",
	http.StatusTooManyRequests:       "too_many_requests",
	http.StatusInternalServerError:   "internal_server_error",
	http.StatusBadGateway:            "bad_gateway",
	http.StatusServiceUnavailable:    "service_unavailable",
	http.StatusGatewayTimeout:        "gateway_timeout",
}

// New builds an error with one detail.
func New(status int, code, parameter, message string) *Error {
	t, ok := typeFor[status]
	if !ok {
		t = "error"
	}
	return &Error{Status: status, Type: t, Errors: []Detail{{Code: code, Parameter: parameter, Message: message}}}
}

// BadRequest is a 400 with the given code (invalid_parameter, missing_parameter, …).
func BadRequest(code, parameter, format string, args ...any) *Error {
	return New(http.StatusBadRequest, code, parameter, fmt.Sprintf(format, args...))
}

// Missing is a 400 missing_parameter for parameter.
func Missing(parameter string) *Error {
	return BadRequest("missing_parameter", parameter, "'%s' is required.", parameter)
}

// Invalid is a 400 invalid_parameter for parameter.
func Invalid(parameter, format string, args ...any) *Error {
	return BadRequest("invalid_parameter", parameter, format, args...)
}

// NotFound is a 404 for a resource id.
func NotFound(resource, id string) *Error {
	return New(http.StatusNotFound, "not_found", "id", fmt.Sprintf("%s '%s' not found.", resource, id))
}

// Conflict is a 409 with a DR code (order_fulfilled, source_in_use, …).
func Conflict(code, format string, args ...any) *Error {
	return New(http.StatusConflict, code, "", fmt.Sprintf(format, args...))
}

// Unauthorized is DR's 401, which carries no code.
func Unauthorized() *Error {
	return New(http.StatusUnauthorized, "", "", "An authorization error has occurred.")
}

// statusFor maps a problem's kind to DR's status.
var statusFor = [...]int{
	problem.Invalid:  http.StatusBadRequest,
	problem.NotFound: http.StatusNotFound,
	problem.Conflict: http.StatusConflict,
	problem.Timeout:  http.StatusRequestTimeout,
	problem.Expired:  http.StatusGone,
}

// As returns err as an *Error: itself, or a rule's problem with its kind's
// status, or else a 500 internal_server_error wrapping it (which marks a
// simulator bug, never a client mistake).
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var p *problem.Error
	if errors.As(err, &p) && int(p.Kind) < len(statusFor) && statusFor[p.Kind] != 0 {
		return New(statusFor[p.Kind], p.Code, p.Parameter, p.Message)
	}
	return New(http.StatusInternalServerError, "internal_error", "", err.Error())
}
