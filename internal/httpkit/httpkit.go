// Package httpkit is what invited's two HTTP transports share: the JSON API
// (internal/api) and the hosted pages (internal/web). It turns credentials
// into actors, names the client's address, maps error codes to statuses and
// carries the request id, so that neither transport imports the other.
package httpkit

import (
	"context"
	"errors"
	"net/http"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/ratelimit"
)

// CodeMethodNotAllowed answers a known path with a method it does not
// serve. The contract has no code for this; it is the transport's own.
const CodeMethodNotAllowed = "method_not_allowed"

// StatusClientClosedRequest is what a request is recorded as (in the
// request log and the metrics; nginx's 499) when its caller went away
// before the answer: nobody reads the answer, and what failed for want of
// the caller is not the service's fault, so it must not count as a 5xx.
const StatusClientClosedRequest = 499

// Abandoned reports whether err is the request's own cancellation: its
// caller went away (or gave up) while the request was being served.
func Abandoned(r *http.Request, err error) bool {
	return r.Context().Err() != nil && errors.Is(err, context.Canceled)
}

// PublicLimitMessage is what a client address over its allowance of
// public link requests is told, by the API and the hosted pages alike.
const PublicLimitMessage = "too many invitation link requests from this address; slow down"

// SpendCreates spends n of orgID's allowance of created links (limit):
// invitations, join links and app invites, through the API or the
// console alike. Only an actor who holds perm there, the permission the
// create needs, spends it: anyone else is refused by the service, and must
// not be able to use up another tenant's allowance.
func SpendCreates(ctx context.Context, limit ratelimit.Limiter, orgID string, perm invited.Permission, n int) error {
	if !invited.ActorFromContext(ctx).Can(orgID, perm) {
		return nil
	}
	return ratelimit.Take(ctx, limit, orgID, n, "this organization is creating invitations too fast; slow down")
}

// Statuses maps every error code of the contract (DESIGN.md §4) to its HTTP
// status. It is the only place that knows this; a code missing here is a
// bug and answers 500.
var Statuses = map[string]int{
	invited.EINVALID:                 http.StatusBadRequest,
	invited.EUNAUTHENTICATED:         http.StatusUnauthorized,
	invited.EFORBIDDEN:               http.StatusForbidden,
	invited.EEMAILMISMATCH:           http.StatusForbidden,
	invited.EDOMAINNOTALLOWED:        http.StatusForbidden,
	invited.ENOTFOUND:                http.StatusNotFound,
	invited.EINVITATIONEXISTS:        http.StatusConflict,
	invited.EALREADYMEMBER:           http.StatusConflict,
	invited.EALREADYACCEPTED:         http.StatusConflict,
	invited.EINVALIDSTATE:            http.StatusConflict,
	invited.ECONFLICT:                http.StatusConflict,
	invited.ETICKETREDEEMED:          http.StatusConflict,
	invited.ETICKETEXPIRED:           http.StatusGone,
	invited.EEXPIRED:                 http.StatusGone,
	invited.EREVOKED:                 http.StatusGone,
	invited.EDECLINED:                http.StatusGone,
	invited.EJOINLINKEXHAUSTED:       http.StatusGone,
	invited.EJOINCONFIRMED:           http.StatusConflict,
	invited.EJOINCONFIRMATIONEXPIRED: http.StatusGone,
	invited.EDOMAINNOTVERIFIED:       http.StatusConflict,
	invited.ERATELIMITED:             http.StatusTooManyRequests,
	invited.EUNAVAILABLE:             http.StatusServiceUnavailable,
	invited.EUPSTREAM:                http.StatusBadGateway,
	invited.EINTERNAL:                http.StatusInternalServerError,
	CodeMethodNotAllowed:             http.StatusMethodNotAllowed,
}

// ErrorStatus returns the HTTP status of err's code, and false when err is
// internal: not an *invited.Error, or one whose code answers 500.
func ErrorStatus(err error) (int, bool) {
	if e, ok := errors.AsType[*invited.Error](err); ok {
		if status, known := Statuses[e.Code]; known && status != http.StatusInternalServerError {
			return status, true
		}
	}
	return http.StatusInternalServerError, false
}

type requestIDKey struct{}

// WithRequestID returns ctx carrying the request id id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id of ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
