// Package webhook delivers outbox messages to webhook endpoints, signed as
// the Standard Webhooks specification (https://www.standardwebhooks.com/)
// has it.
//
// Each delivery is a POST of the message's payload, byte for byte, with
// these headers:
//
//	content-type:      application/json
//	webhook-id:        the message id (msg_…)
//	webhook-timestamp: when this attempt was made, in Unix seconds
//	webhook-signature: v1,<base64 signature>
//
// The signature is HMAC-SHA256, keyed with the base64-decoded part of the
// endpoint's whsec_… secret, over "{webhook-id}.{webhook-timestamp}.{body}",
// in standard base64. Receivers check it with any Standard Webhooks library,
// and reject timestamps far from their clock to stop replays of captured
// requests.
//
// The message id is the outbox message's: it stays the same across retries
// and replays, while the timestamp and so the signature change with each
// attempt. Delivery is at least once, so receivers de-duplicate on
// webhook-id.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/egress"
)

// DefaultTimeout bounds a delivery when NewSender is given no client: an
// endpoint that does not answer within it has failed this attempt.
const DefaultTimeout = 10 * time.Second

const (
	// maxBody is how much of a response Deliver reads. A receiver's answer
	// matters only for its status and the start of an error body; reading
	// more would let an endpoint keep a dispatcher busy for as long as it
	// liked. A body that fits is read to its end, so the connection can be
	// reused.
	maxBody = 64 << 10
	// maxSnippet is how much of an error body is logged.
	maxSnippet = 200
)

// Sign returns the webhook-signature header for a delivery of body with id
// msgID at ts: "v1," and the base64 HMAC-SHA256 of "{msgID}.{unix ts}.{body}"
// under secret. The secret is base64 with an optional whsec_ prefix; one
// that does not decode, or decodes to nothing, is an error. Errors never
// repeat the secret.
func Sign(secret, msgID string, ts time.Time, body []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, invited.WebhookSecretPrefix))
	if err != nil {
		// The decoder's error gives only a byte offset, never the input.
		return "", fmt.Errorf("webhook signing secret is not valid base64: %w", err)
	}
	if len(key) == 0 {
		// An empty key would still produce a signature, one anybody can
		// forge; most likely the secret was never loaded.
		return "", errors.New("webhook signing secret is empty")
	}
	mac := hmac.New(sha256.New, key)
	// hash.Hash's Write never fails.
	mac.Write([]byte(msgID))
	mac.Write([]byte{'.'})
	mac.Write(strconv.AppendInt(nil, ts.Unix(), 10))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}

// Sender delivers webhook messages; it is the invited.Transport of the
// webhook channel. It is safe for concurrent use.
type Sender struct {
	client    *http.Client
	userAgent string
	// Now tells the time for the webhook-timestamp header; tests replace
	// it.
	Now func() time.Time
	// Logger receives what a failed delivery's error leaves out: the
	// network detail and the start of the endpoint's answer. nil discards
	// it.
	Logger *slog.Logger
}

var _ invited.Transport = (*Sender)(nil)

// NewSender returns a Sender that posts with client, or, when client is
// nil, with an egress client that refuses the service's own network
// (invited.OutboundPolicy's zero value) and gives up after DefaultTimeout.
// userAgent names the sender in the user-agent header; empty means
// "invited/" and the version.
//
// Whatever the client, the Sender never follows redirects: a 3xx answer is
// a failed delivery. The signed request must reach the URL that was
// registered, not wherever that URL points next, and following redirects
// would let an endpoint steer deliveries to addresses it could not have
// registered, such as internal services.
func NewSender(client *http.Client, userAgent string) *Sender {
	if client == nil {
		client = egress.Client(invited.OutboundPolicy{}, DefaultTimeout)
	}
	c := *client // a shallow copy: it shares the caller's transport and its connections
	c.CheckRedirect = func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}
	if userAgent == "" {
		userAgent = "invited/" + invited.Version
	}
	return &Sender{client: &c, userAgent: userAgent, Now: time.Now}
}

// Deliver posts m.Payload to m.To, signed with m.Secret. It returns nil when
// the endpoint answers 2xx. An invalid secret or URL cannot be cured by
// retrying, so it yields an error wrapping invited.ErrUndeliverable.
//
// Every other failure is retryable: network errors, timeouts, addresses
// the outbound policy refuses (the operator may allow them later), and
// every status outside 2xx, an *egress.StatusError. That includes 410 Gone
// and the other 4xx, as Standard Webhooks' guidance and Svix have it: a
// misrouted proxy or a half-deployed receiver answers those too, and the
// delivery horizon already bounds how long a message is retried. Endpoints
// that no longer want deliveries are deleted through the API, which
// cancels what is pending for them.
//
// The error of such a failure reads as its category alone
// (egress.Category: refused_by_policy, timeout, http_status 503, …),
// because it becomes the attempt's error and the message's last_error,
// which the API shows: told apart, a refused connection, a timeout and a
// status would make the endpoints a port scanner of whatever network they
// reach. The detail goes to the Logger; errors.As still finds the cause.
func (s *Sender) Deliver(ctx context.Context, m *invited.Message) error {
	u, err := url.Parse(m.To)
	if err != nil {
		// url.Parse's error quotes the URL, which is no secret.
		return fmt.Errorf("%w: %w", invited.ErrUndeliverable, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: webhook URL %q is not an absolute http or https URL", invited.ErrUndeliverable, m.To)
	}
	ts := s.Now()
	sig, err := Sign(m.Secret, m.ID, ts, m.Payload)
	if err != nil {
		return fmt.Errorf("%w: %w", invited.ErrUndeliverable, err)
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.To, bytes.NewReader(m.Payload))
	if err != nil {
		return fmt.Errorf("%w: %w", invited.ErrUndeliverable, err)
	}
	req.Header.Set("content-type", "application/json")
	req.Header.Set("user-agent", s.userAgent)
	req.Header.Set("webhook-id", m.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set("webhook-signature", sig)

	resp, err := s.client.Do(req)
	if err != nil {
		// A *url.Error naming the URL and the cause; retryable.
		return s.failed(ctx, m, err)
	}
	// A read error here is no reason to doubt the status: the endpoint has
	// answered, and the body is only for the log.
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	return s.failed(ctx, m, &egress.StatusError{StatusCode: resp.StatusCode, Body: snippet(body)})
}

// failed logs the detail of a failed delivery of m and returns its error
// as recorded: the category.
func (s *Sender) failed(ctx context.Context, m *invited.Message, err error) error {
	f := &failure{category: egress.Category(err), err: err}
	if s.Logger != nil {
		s.Logger.WarnContext(ctx, "webhook delivery failed", "message_id", m.ID, "webhook_id", m.WebhookID,
			"category", f.category, "err", err)
	}
	return f
}

// failure is a failed delivery told by its category alone.
type failure struct {
	category string
	err      error
}

func (f *failure) Error() string { return f.category }
func (f *failure) Unwrap() error { return f.err }

// snippet returns the start of an error body fit to log: at most
// maxSnippet bytes of it, with whitespace runs collapsed to one space and
// other unprintable characters dropped, so an endpoint cannot write control
// sequences into logs.
func snippet(b []byte) string {
	cut := len(b) > maxSnippet
	if cut {
		b = b[:maxSnippet]
	}
	var sb strings.Builder
	space := false
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		b = b[n:]
		switch {
		case unicode.IsSpace(r):
			space = true
		case r != utf8.RuneError && unicode.IsPrint(r):
			if space && sb.Len() > 0 {
				sb.WriteByte(' ')
			}
			space = false
			sb.WriteRune(r)
		}
	}
	if cut && sb.Len() > 0 {
		sb.WriteString("…")
	}
	return sb.String()
}
