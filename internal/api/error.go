package api

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
	"github.com/invitedhq/invited/internal/httpkit"
	"github.com/invitedhq/invited/internal/openapi"
)

// errorDetail turns err into what the caller may see, and its status.
// Anything that is not an *invited.Error is internal: it is logged here, with
// the request id, and answered without detail so that no internals leak.
// Other errors are the caller's business and are not logged. A request
// its caller abandoned is recorded as such, not as a failure of ours.
func (s *server) errorDetail(r *http.Request, err error) (int, client.ErrorDetail) {
	if status, ok := httpkit.ErrorStatus(err); ok {
		e, _ := errors.AsType[*invited.Error](err)
		return status, client.ErrorDetail{Code: e.Code, Message: e.Message, Fields: e.Fields, ExistingID: e.ExistingID,
			Invitee: e.Invitee}
	}
	if httpkit.Abandoned(r, err) {
		s.logger.LogAttrs(r.Context(), slog.LevelInfo, "request abandoned by its caller",
			slog.String("request_id", httpkit.RequestID(r.Context())), slog.String("route", r.Pattern))
		return httpkit.StatusClientClosedRequest, client.ErrorDetail{Code: invited.EINTERNAL, Message: "the request was cancelled"}
	}
	s.logInternal(r, "internal error", err)
	return http.StatusInternalServerError, client.ErrorDetail{Code: invited.EINTERNAL, Message: "internal error"}
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
		w.Header().Set(openapi.WWWAuthenticateHeader, "Bearer")
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		// Retry-After is on every 429 and 503 (the spec says so); a
		// service that gave no figure still gets a sane one.
		w.Header().Set(openapi.RetryAfterHeader, strconv.Itoa(max(retryAfter(err), 1)))
	}
	body, _ := encodeJSON(client.ErrorResponse{Error: d}) // strings and a map of strings cannot fail
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

// errField is an invalid_request error about one field of the request as
// the API alone reads it (its JSON, a ticket), in English, as the API
// writes: no page shows it, so it needs no invited.Problem.
func errField(field, problem string) error {
	return &invited.Error{Code: invited.EINVALID, Message: "the request has invalid fields", Fields: map[string]string{field: problem}}
}

// errNotFound is how unknown paths and malformed path ids answer.
var errNotFound = invited.Errorf(invited.ENOTFOUND, "not found")

// logInternal logs an internal error with what identifies its request. It
// never logs the path, the body or headers: they carry tokens and secrets.
func (s *server) logInternal(r *http.Request, msg string, err error) {
	s.logger.LogAttrs(r.Context(), slog.LevelError, msg,
		slog.String("request_id", httpkit.RequestID(r.Context())),
		slog.String("route", r.Pattern),
		slog.String("error", err.Error()))
}
