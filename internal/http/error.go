package http

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/invitedhq/invited"
)

// codeMethodNotAllowed answers a known path with a method it does not
// serve. The contract has no code for this; it is the transport's own.
const codeMethodNotAllowed = "method_not_allowed"

// statuses maps every error code of the contract (DESIGN.md §4) to its HTTP
// status. It is the only place that knows this; a code missing here is a
// bug and answers 500.
var statuses = map[string]int{
	invited.EINVALID:          http.StatusBadRequest,
	invited.EUNAUTHENTICATED:  http.StatusUnauthorized,
	invited.EFORBIDDEN:        http.StatusForbidden,
	invited.EEMAILMISMATCH:    http.StatusForbidden,
	invited.EDOMAINNOTALLOWED: http.StatusForbidden,
	invited.ENOTFOUND:         http.StatusNotFound,
	invited.EINVITATIONEXISTS: http.StatusConflict,
	invited.EALREADYMEMBER:    http.StatusConflict,
	invited.EALREADYACCEPTED:  http.StatusConflict,
	invited.EINVALIDSTATE:     http.StatusConflict,
	invited.ECONFLICT:         http.StatusConflict,
	invited.ETICKETREDEEMED:   http.StatusConflict,
	invited.ETICKETEXPIRED:    http.StatusGone,
	invited.EEXPIRED:          http.StatusGone,
	invited.EREVOKED:          http.StatusGone,
	invited.EDECLINED:         http.StatusGone,
	invited.ERATELIMITED:      http.StatusTooManyRequests,
	invited.EUNAVAILABLE:      http.StatusServiceUnavailable,
	invited.EUPSTREAM:         http.StatusBadGateway,
	invited.EINTERNAL:         http.StatusInternalServerError,
	codeMethodNotAllowed:      http.StatusMethodNotAllowed,
}

// ErrorDetail is the "error" member of every error answer, and the error of
// a failed batch item.
type ErrorDetail struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty" doc:"invalid request fields, each with what is wrong with it"`
	// ExistingID accompanies invitation_exists: the open invitation that
	// blocks the new one.
	ExistingID string `json:"existing_id,omitempty"`
}

// errorBody is the whole answer: {"error":{…}}.
type errorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorStatus returns the HTTP status of err's code, and false when err is
// internal: not an *invited.Error, or one whose code answers 500. The
// hosted pages use it to answer as the API would.
func ErrorStatus(err error) (int, bool) {
	if e, ok := errors.AsType[*invited.Error](err); ok {
		if status, known := statuses[e.Code]; known && status != http.StatusInternalServerError {
			return status, true
		}
	}
	return http.StatusInternalServerError, false
}

// errorDetail turns err into what the caller may see, and its status.
// Anything that is not an *invited.Error is internal: it is logged here, with
// the request id, and answered without detail so that no internals leak.
// Other errors are the caller's business and are not logged.
func (s *server) errorDetail(r *http.Request, err error) (int, ErrorDetail) {
	if status, ok := ErrorStatus(err); ok {
		e, _ := errors.AsType[*invited.Error](err)
		return status, ErrorDetail{Code: e.Code, Message: e.Message, Fields: e.Fields, ExistingID: e.ExistingID}
	}
	s.logInternal(r, "internal error", err)
	return http.StatusInternalServerError, ErrorDetail{Code: invited.EINTERNAL, Message: "internal error"}
}

// writeError answers err as {"error":{…}} with the status of its code.
func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, body := s.errorAnswer(w, r, err)
	writeRaw(w, status, body)
}

// errorAnswer encodes err and sets the headers its status calls for.
func (s *server) errorAnswer(w http.ResponseWriter, r *http.Request, err error) (int, []byte) {
	status, d := s.errorDetail(r, err)
	switch status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", "Bearer")
	case http.StatusTooManyRequests:
		// Retry-After is mandatory for rate_limited; a service that forgot
		// the figure still gets a sane one.
		w.Header().Set("Retry-After", strconv.Itoa(max(retryAfter(err), 1)))
	}
	body, _ := encodeJSON(errorBody{d}) // strings and a map of strings cannot fail
	return status, body
}

func retryAfter(err error) int {
	if e, ok := errors.AsType[*invited.Error](err); ok {
		return e.RetryAfterSeconds
	}
	return 0
}

// errInvalid is an invalid_request error about the request as a whole.
func errInvalid(msg string) error { return invited.Errorf(invited.EINVALID, "%s", msg) }

// errField is an invalid_request error about one field.
func errField(field, problem string) error { return invited.FieldErrors{field: problem}.Err() }

// errNotFound is how unknown paths and malformed path ids answer.
var errNotFound = invited.Errorf(invited.ENOTFOUND, "not found")

// logInternal logs an internal error with what identifies its request. It
// never logs the path, the body or headers: they carry tokens and secrets.
func (s *server) logInternal(r *http.Request, msg string, err error) {
	s.logger.LogAttrs(r.Context(), slog.LevelError, msg,
		slog.String("request_id", requestID(r.Context())),
		slog.String("route", r.Pattern),
		slog.String("error", err.Error()))
}
