package invited

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Error codes. They are part of the API contract (DESIGN.md §4); the HTTP
// layer maps each to a status in one place.
const (
	EINVALID          = "invalid_request"
	EUNAUTHENTICATED  = "unauthenticated"
	EFORBIDDEN        = "forbidden"
	ENOTFOUND         = "not_found"
	EINVITATIONEXISTS = "invitation_exists"
	EALREADYMEMBER    = "already_member"
	EALREADYACCEPTED  = "invitation_already_accepted"
	EINVALIDSTATE     = "invalid_state"
	EEXPIRED          = "invitation_expired"
	EREVOKED          = "invitation_revoked"
	EDECLINED         = "invitation_declined"
	EEMAILMISMATCH    = "email_mismatch"
	EDOMAINNOTALLOWED = "email_domain_not_allowed"
	ECONFLICT         = "conflict"
	ETICKETREDEEMED   = "ticket_already_redeemed"
	ETICKETEXPIRED    = "ticket_expired"
	ERATELIMITED      = "rate_limited"
	EUNAVAILABLE      = "unavailable"
	// EUPSTREAM: an external platform failed or refused a request made
	// on the caller's behalf (a token renewal).
	EUPSTREAM = "upstream_error"
	EINTERNAL = "internal"
)

// Error is an error the service means to show its caller. Anything else that
// reaches a transport is internal and is reported without detail.
type Error struct {
	Code    string
	Message string
	// Fields names invalid input fields and what is wrong with each, in
	// English: the API's "fields".
	Fields map[string]string
	// Problems are Fields as codes and arguments, for a transport that
	// writes them in its reader's language; set by FieldErrors, nil in an
	// error that came over the API.
	Problems map[string]Problem
	// ExistingID names the resource that caused a conflict, such as the open
	// invitation behind invitation_exists.
	ExistingID string
	// Invitee accompanies email_mismatch: the address the invitation was
	// sent to, masked (MaskEmail, MaskPhone), so that the host app can
	// offer to switch accounts.
	Invitee string
	// RetryAfterSeconds accompanies rate_limited.
	RetryAfterSeconds int
}

func (e *Error) Error() string { return fmt.Sprintf("invited: %s: %s", e.Code, e.Message) }

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// RateLimited returns the rate_limited error of message, to be retried
// after wait: rounded up to whole seconds, at least 1, for Retry-After.
func RateLimited(message string, wait time.Duration) *Error {
	return &Error{Code: ERATELIMITED, Message: message, RetryAfterSeconds: max(1, int(math.Ceil(wait.Seconds())))}
}

// ErrorCode returns the code of err if it is (or wraps) an *Error, else
// EINTERNAL.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// FieldErrors collects per-field validation problems; Err returns nil when
// there are none, so validation reads top to bottom without early returns.
type FieldErrors map[string]Problem

// Add records p for field unless the field already has a problem: the
// first problem found is the one worth fixing first.
func (f FieldErrors) Add(field string, p Problem) {
	if _, ok := f[field]; !ok {
		f[field] = p
	}
}

// Err returns an invalid_request *Error naming every field, or nil.
func (f FieldErrors) Err() error {
	if len(f) == 0 {
		return nil
	}
	return f.Errorf(EINVALID, "the request has invalid fields")
}

// Errorf returns an *Error of code and a formatted message naming f's
// fields: Fields in English, Problems as they are.
func (f FieldErrors) Errorf(code, format string, args ...any) *Error {
	e := Errorf(code, format, args...)
	e.Fields = make(map[string]string, len(f))
	e.Problems = make(map[string]Problem, len(f))
	for field, p := range f {
		e.Fields[field], e.Problems[field] = p.Text(), p
	}
	return e
}
