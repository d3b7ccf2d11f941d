// Package client is the Go client of the invited API, and the Go
// definition of its wire contract: the bodies that are not domain types
// (answers carrying a secret once, pages of lists, request wrappers) are
// defined here, and the server (internal/api) encodes these very types.
//
// Every operation of the API has a method named after its operationId
// (createInvitation → CreateInvitation), taking a context first and
// answering the domain's types of package invited. Every paged list also
// has an iterator that follows next_page_token (Invitations, Members, …).
//
//	c := client.New("https://invited.example.com", client.WithAPIKey(secret))
//	inv, err := c.CreateInvitation(ctx, orgID, invited.InvitationCreate{Email: "ada@example.com", Roles: []string{"member"}})
//
// Errors the server answers are *Error, with its code, message and fields;
// answers that are not the API's JSON (a proxy's HTML page) are
// *UnexpectedResponseError; failures to reach the server are the
// transport's errors, wrapped.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/invitedhq/invited"
)

// Headers the client sends.
const (
	actingUserHeader     = "Invited-Acting-User"
	idempotencyKeyHeader = "Idempotency-Key"
)

// Client calls one invited service. It is safe for concurrent use.
type Client struct {
	baseURL    string
	httpClient *http.Client
	apiKey     string
	actingUser string
	userAgent  string
	retry      RetryPolicy
}

// Option configures a Client.
type Option func(*Client)

// WithAPIKey authenticates every request with the credential: an API key's
// secret (ik_…) or a user access token.
func WithAPIKey(secret string) Option { return func(c *Client) { c.apiKey = secret } }

// WithHTTPClient sends requests through hc instead of http.DefaultClient.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.httpClient = hc } }

// WithTransport sends requests through rt: an http.Client with rt as its
// transport and no other change.
func WithTransport(rt http.RoundTripper) Option {
	return func(c *Client) { c.httpClient = &http.Client{Transport: rt} }
}

// WithUserAgent adds product (e.g. "my-app/1.2") to the User-Agent, after
// the client's own invited-go/<version>.
func WithUserAgent(product string) Option {
	return func(c *Client) { c.userAgent = defaultUserAgent() + " " + product }
}

// WithActingUser makes an API key act for a user (usr_… or the user's
// external_id), with that user's permissions: the Invited-Acting-User
// header. An empty user acts for no one.
func WithActingUser(user string) Option { return func(c *Client) { c.actingUser = user } }

// WithRetry sets the retry policy; RetryPolicy{} never retries.
func WithRetry(p RetryPolicy) Option { return func(c *Client) { c.retry = p } }

// New returns a client of the service at baseURL (scheme and host, and a
// path prefix if the service is served under one).
func New(baseURL string, opts ...Option) *Client {
	c := &Client{
		baseURL:    strings.TrimRight(baseURL, "/"),
		httpClient: http.DefaultClient,
		userAgent:  defaultUserAgent(),
		retry:      DefaultRetryPolicy,
	}
	for _, opt := range opts {
		opt(c)
	}
	return c
}

// With returns a copy of c with opts applied: another credential, another
// acting user, on the same service and connections.
func (c *Client) With(opts ...Option) *Client {
	d := *c
	for _, opt := range opts {
		opt(&d)
	}
	return &d
}

func defaultUserAgent() string { return "invited-go/" + invited.Version }

type idempotencyKey struct{}

// WithIdempotencyKey returns a context whose requests carry the
// Idempotency-Key key: the creates honour it, answering a retry with the
// same key and body with the first answer (without its secrets). A POST
// with a key may be retried (RetryPolicy) like a GET.
func WithIdempotencyKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, idempotencyKey{}, key)
}

func idempotencyKeyOf(ctx context.Context) string {
	key, _ := ctx.Value(idempotencyKey{}).(string)
	return key
}

// call is one request of an operation. op is its operationId, which
// errors name rather than the path, as paths may carry secret tokens. path
// is already escaped (see pathf); in, when not nil, is sent as the JSON
// body; out, when not nil, receives the JSON answer, or the raw answer when
// it is a *[]byte.
type call struct {
	op     string
	method string
	path   string
	query  url.Values
	in     any
	out    any
}

// do sends the call, retrying as the policy allows, and decodes the answer
// or the error.
func (c *Client) do(ctx context.Context, cl call) error {
	var body []byte
	if cl.in != nil {
		var err error
		if body, err = json.Marshal(cl.in); err != nil {
			return fmt.Errorf("invited: %s: encoding the body: %w", cl.op, err)
		}
	}
	for attempt := 1; ; attempt++ {
		err := c.send(ctx, cl, body)
		wait, retry := c.retry.next(ctx, cl.method, attempt, err)
		if !retry {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			// Both: the caller asks why it stopped (context.Canceled), and
			// what the service had answered (*Error).
			return fmt.Errorf("%w, while waiting to retry after: %w", ctx.Err(), err)
		case <-t.C:
		}
	}
}

// send makes one attempt of cl.
func (c *Client) send(ctx context.Context, cl call, body []byte) error {
	u := c.baseURL + cl.path
	if len(cl.query) > 0 {
		u += "?" + cl.query.Encode()
	}
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, u, r)
	if err != nil {
		return fmt.Errorf("invited: %s: %w", cl.op, err)
	}
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.apiKey)
	}
	if c.actingUser != "" {
		req.Header.Set(actingUserHeader, c.actingUser)
	}
	if key := idempotencyKeyOf(ctx); key != "" {
		req.Header.Set(idempotencyKeyHeader, key)
	}
	resp, err := c.httpClient.Do(req)
	if err != nil {
		// The URL may carry a secret token: the error names the service.
		if ue, ok := errors.AsType[*url.Error](err); ok {
			ue.URL = c.baseURL
		}
		return fmt.Errorf("invited: %s: %w", cl.op, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("invited: %s: reading the answer: %w", cl.op, err)
	}
	if resp.StatusCode >= 300 {
		return responseError(cl.op, resp, data)
	}
	switch out := cl.out.(type) {
	case nil:
		return nil
	case *[]byte:
		*out = data
		return nil
	}
	if err := json.Unmarshal(data, cl.out); err != nil {
		return &UnexpectedResponseError{Op: cl.op, StatusCode: resp.StatusCode,
			ContentType: resp.Header.Get("Content-Type"), Body: snippet(data), Err: err}
	}
	return nil
}

// pathf formats a path, escaping each argument as one path segment.
func pathf(format string, segments ...string) string {
	args := make([]any, len(segments))
	for i, s := range segments {
		args[i] = url.PathEscape(s)
	}
	return fmt.Sprintf(format, args...)
}
