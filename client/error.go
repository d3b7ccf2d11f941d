package client

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/invitedhq/invited"
)

// Error is an error the service answered: its status, and the "error"
// member of the answer unchanged. errors.As finds it; it unwraps to the
// *invited.Error of the same code, so invited.ErrorCode works on it too.
type Error struct {
	Op         string // the operationId, e.g. "createInvitation"
	StatusCode int
	ErrorDetail
	// RetryAfter is the answer's Retry-After (rate_limited, unavailable),
	// zero when it has none.
	RetryAfter time.Duration
	// RequestID is the answer's X-Request-Id, which finds the request in
	// the service's log.
	RequestID string
}

func (e *Error) Error() string {
	return fmt.Sprintf("invited: %s: %s (%d): %s", e.Op, e.Code, e.StatusCode, e.Message)
}

// Unwrap returns the domain's error of the same code, message and fields.
func (e *Error) Unwrap() error {
	return &invited.Error{Code: e.Code, Message: e.Message, Fields: e.Fields, ExistingID: e.ExistingID, Invitee: e.Invitee,
		RetryAfterSeconds: int(e.RetryAfter / time.Second)}
}

// UnexpectedResponseError is an answer that is not the API's: an error
// status without the API's JSON error (a proxy's HTML page, a load
// balancer's 502), or a success whose body does not decode.
type UnexpectedResponseError struct {
	Op          string
	StatusCode  int
	ContentType string
	RetryAfter  time.Duration
	// Body is the answer's beginning, at most maxSnippet bytes.
	Body []byte
	// Err is why a success's body did not decode; nil for error statuses.
	Err error
}

func (e *UnexpectedResponseError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("invited: %s: undecodable %d answer (%s): %v", e.Op, e.StatusCode, e.ContentType, e.Err)
	}
	return fmt.Sprintf("invited: %s: unexpected %d answer (%s): %q", e.Op, e.StatusCode, e.ContentType, e.Body)
}

func (e *UnexpectedResponseError) Unwrap() error { return e.Err }

const maxSnippet = 512

func snippet(data []byte) []byte { return data[:min(len(data), maxSnippet)] }

// responseError is the error of an answer with an error status.
func responseError(op string, resp *http.Response, data []byte) error {
	wait := retryAfter(resp.Header.Get("Retry-After"), time.Now())
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	var body ErrorResponse
	if mt == "application/json" && json.Unmarshal(data, &body) == nil && body.Error.Code != "" {
		return &Error{Op: op, StatusCode: resp.StatusCode, ErrorDetail: body.Error, RetryAfter: wait,
			RequestID: resp.Header.Get("X-Request-Id")}
	}
	return &UnexpectedResponseError{Op: op, StatusCode: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"),
		RetryAfter: wait, Body: snippet(data)}
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
