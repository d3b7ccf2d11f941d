package client

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// RetryPolicy says which failed requests are sent again. Only answers 429
// (rate_limited) and 503 (unavailable) are retried, after their
// Retry-After, and only safe requests: GET and HEAD, and POSTs carrying an
// Idempotency-Key (WithIdempotencyKey), which the service answers once.
type RetryPolicy struct {
	// MaxAttempts bounds the attempts, the first included; 1 or less
	// never retries.
	MaxAttempts int
	// MaxWait is the longest Retry-After worth waiting for: an answer
	// asking for more is returned at once, as is one whose wait would
	// outlast the context's deadline.
	MaxWait time.Duration
	// DefaultWait is the wait when the answer names none.
	DefaultWait time.Duration
}

// DefaultRetryPolicy is the policy of New: three attempts, waits up to
// 30 seconds.
var DefaultRetryPolicy = RetryPolicy{MaxAttempts: 3, MaxWait: 30 * time.Second, DefaultWait: time.Second}

// next says whether the attempt that failed with err is retried, and
// after how long.
func (p RetryPolicy) next(ctx context.Context, method string, attempt int, err error) (time.Duration, bool) {
	if err == nil || attempt >= p.MaxAttempts {
		return 0, false
	}
	if method != http.MethodGet && method != http.MethodHead && idempotencyKeyOf(ctx) == "" {
		return 0, false
	}
	var status int
	var wait time.Duration
	if e, ok := errors.AsType[*Error](err); ok {
		status, wait = e.StatusCode, e.RetryAfter
	} else if e, ok := errors.AsType[*UnexpectedResponseError](err); ok && e.Err == nil {
		status, wait = e.StatusCode, e.RetryAfter
	}
	if status != http.StatusTooManyRequests && status != http.StatusServiceUnavailable {
		return 0, false
	}
	if wait == 0 {
		wait = p.DefaultWait
	}
	if wait > p.MaxWait {
		return 0, false
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
		return 0, false
	}
	return wait, true
}
