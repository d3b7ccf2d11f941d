package sms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/invitedhq/invited"
)

const (
	defaultTimeout = 10 * time.Second
	// maxResponseBytes bounds what we read of a response: we only want
	// Twilio's error, and a broken or hostile server must not make us
	// buffer without end.
	maxResponseBytes = 64 << 10
	// maxDetailRunes bounds the provider's text we keep in an error, which
	// ends up in the message's attempt history.
	maxDetailRunes = 200
)

// Twilio sends letters as text messages through Twilio's REST API, or any
// provider compatible with it. Create it with NewTwilio.
type Twilio struct {
	base       string // scheme://host/prefix, for String
	endpoint   string
	accountSID string
	authToken  string
	from       string // sender number, or "" when service is set
	service    string // messaging service SID, or "" when from is set
	timeout    time.Duration
	client     *http.Client
}

var _ invited.Transport = (*Twilio)(nil)

// NewTwilio returns a transport configured by rawURL, whose format the
// package documentation describes. A nil client means a new one with the
// URL's timeout; either way each request is bounded by that timeout.
func NewTwilio(rawURL string, client *http.Client) (*Twilio, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// A *url.Error quotes the whole URL, auth token included: keep only
		// what went wrong.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("sms URL: %w", err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("sms URL: scheme must be https (or http for a local test server), not %q", u.Scheme)
	}
	if u.Host == "" {
		return nil, errors.New("sms URL: missing host, such as api.twilio.com")
	}
	if u.Fragment != "" {
		return nil, errors.New("sms URL: unexpected #fragment")
	}
	t := &Twilio{timeout: defaultTimeout}
	if u.User != nil {
		t.accountSID = u.User.Username()
		t.authToken, _ = u.User.Password()
	}
	if t.accountSID == "" || t.authToken == "" {
		return nil, errors.New("sms URL: missing credentials: write ACCOUNT_SID:AUTH_TOKEN@ before the host")
	}

	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("sms URL: query: %w", err)
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if len(q[k]) != 1 {
			return nil, fmt.Errorf("sms URL: %s given %d times", k, len(q[k]))
		}
		v := q[k][0]
		switch k {
		case "from":
			if !invited.ValidPhone(v) {
				hint := ""
				if strings.HasPrefix(v, " ") {
					hint = ` (a "+" in a URL query means a space: write it as %2B)`
				}
				return nil, fmt.Errorf("sms URL: from %q is not an E.164 number such as +15550001111%s", v, hint)
			}
			t.from = v
		case "messaging_service_sid":
			if !strings.HasPrefix(v, "MG") || len(v) < 3 {
				return nil, fmt.Errorf("sms URL: messaging_service_sid %q does not start with MG", v)
			}
			t.service = v
		case "timeout":
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return nil, fmt.Errorf("sms URL: timeout %q is not a positive duration such as 10s", v)
			}
			t.timeout = d
		default:
			return nil, fmt.Errorf("sms URL: unknown parameter %q (want from, messaging_service_sid or timeout)", k)
		}
	}
	if (t.from == "") == (t.service == "") {
		return nil, errors.New("sms URL: set exactly one of from and messaging_service_sid")
	}

	t.base = u.Scheme + "://" + u.Host + strings.TrimRight(u.EscapedPath(), "/")
	t.endpoint = t.base + "/2010-04-01/Accounts/" + url.PathEscape(t.accountSID) + "/Messages.json"
	t.client = client
	if t.client == nil {
		t.client = &http.Client{Timeout: t.timeout}
	}
	return t, nil
}

// String describes the transport for logs, without the auth token (fmt
// would print the unexported fields otherwise).
func (t *Twilio) String() string {
	sender := "from " + t.from
	if t.service != "" {
		sender = "via messaging service " + t.service
	}
	return "twilio " + t.base + " account " + t.accountSID + " " + sender
}

// Deliver sends m's letter to m.Letter.To, its body written by Text; the
// caller sets m.Letter.Link first.
//
// Errors are retried unless they wrap invited.ErrUndeliverable, which
// Deliver returns for a letter it cannot send and for a 4xx response about
// the message, such as Twilio's 21211 for an invalid number. Responses
// about our side are retried instead, since they fail every message alike
// and go away once the operator fixes them: 401 and 403 (wrong credentials
// or permissions) and 404 (wrong account SID or URL). So are 408, 429,
// 5xx, network errors and timeouts, and Twilio's 21611 (the sender's
// queue is full), which come and go.
func (t *Twilio) Deliver(ctx context.Context, m *invited.Message) error {
	l := m.Letter
	switch {
	case l == nil:
		return fmt.Errorf("twilio: message %s has no letter: %w", m.ID, invited.ErrUndeliverable)
	case !slices.Contains(invited.LetterKinds, l.Kind):
		return fmt.Errorf("twilio: message %s: unknown letter kind %q: %w", m.ID, l.Kind, invited.ErrUndeliverable)
	case l.To == "":
		return fmt.Errorf("twilio: message %s has no recipient: %w", m.ID, invited.ErrUndeliverable)
	case l.Link == "" && invited.KindHasLink(l.Kind):
		// Without its link an invitation is useless, and the link cannot
		// come back: it is only ever set from the token before delivery.
		return fmt.Errorf("twilio: message %s has no link: %w", m.ID, invited.ErrUndeliverable)
	}

	form := url.Values{"To": {l.To}, "Body": {Text(l)}}
	if t.from != "" {
		form.Set("From", t.from)
	} else {
		form.Set("MessagingServiceSid", t.service)
	}
	// Bound the request even when the caller's client has no timeout.
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("twilio: %w", err)
	}
	req.SetBasicAuth(t.accountSID, t.authToken)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")

	// The request's URL carries no credentials and its body is not part of
	// the error, so a transport error cannot reveal the token or the link.
	resp, err := t.client.Do(req)
	if err != nil {
		return fmt.Errorf("twilio: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		// Twilio has taken the message. Failing now over the rest of the
		// body would only send it twice.
		return nil
	}
	if err != nil {
		return fmt.Errorf("twilio: %d %s, reading the response: %w", resp.StatusCode, http.StatusText(resp.StatusCode), err)
	}

	var apiErr struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(body, &apiErr) // not JSON: we quote the body instead
	detail := fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	// A compatible provider could echo the request back; the link and
	// token must not end up in the error, which is stored and shown.
	secrets := []string{t.authToken, l.Link, url.QueryEscape(l.Link), m.Token}
	switch {
	case apiErr.Message != "" || apiErr.Code != 0:
		detail += ": " + redact(apiErr.Message, secrets)
		if apiErr.Code != 0 {
			detail += fmt.Sprintf(" (code %d)", apiErr.Code)
		}
	case len(body) > 0:
		detail += ": " + redact(string(body), secrets)
	}
	if retryable(resp.StatusCode, apiErr.Code) {
		return fmt.Errorf("twilio: %s", detail)
	}
	return fmt.Errorf("twilio: %s: %w", detail, invited.ErrUndeliverable)
}

// retryable reports whether a request that failed with status and Twilio
// error code might succeed later unchanged; see Deliver.
func retryable(status, code int) bool {
	switch {
	case status < 400 || status >= 500:
		return true
	case status == http.StatusUnauthorized, status == http.StatusForbidden, status == http.StatusNotFound:
		return true
	case status == http.StatusRequestTimeout, status == http.StatusTooManyRequests:
		return true
	case code == 21611:
		return true
	}
	return false
}

// redact returns the provider's text cleaned to one short line, with every
// secret replaced.
func redact(s string, secrets []string) string {
	s = clean(s)
	for _, secret := range secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	if utf8.RuneCountInString(s) > maxDetailRunes {
		s = string([]rune(s)[:maxDetailRunes]) + "…"
	}
	return s
}
