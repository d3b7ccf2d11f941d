package webhook_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/egress"
	"github.com/invitedhq/invited/internal/testutil"
	"github.com/invitedhq/invited/internal/webhook"
)

func TestSign(t *testing.T) {
	// The example of the Standard Webhooks specification and Svix's docs.
	const (
		id   = "msg_p5jXN8AQM9LWM0D4loKWxJek"
		body = `{"test": 2432232314}`
		want = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	)
	ts := time.Unix(1614265330, 0)
	tests := []struct {
		name   string
		secret string
		id     string
		ts     time.Time
		body   string
		want   string
	}{
		{"spec example", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", id, ts, body, want},
		{"without prefix", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", id, ts, body, want},
		{"sub-second time", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", id, ts.Add(999 * time.Millisecond), body, want},
		// Every input counts: change one and the signature changes.
		{"other secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSx", id, ts, body, ""},
		{"other id", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", id + "x", ts, body, ""},
		{"other time", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", id, ts.Add(time.Second), body, ""},
		{"other body", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", id, ts, body + " ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := webhook.Sign(tt.secret, tt.id, tt.ts, []byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.want != "" && got != tt.want {
				t.Errorf("Sign = %q, want %q", got, tt.want)
			}
			if tt.want == "" && (got == want || !strings.HasPrefix(got, "v1,")) {
				t.Errorf("Sign = %q, want a different v1 signature", got)
			}
		})
	}
}

// TestSignMatchesReference signs random inputs with Sign and with the
// reference library.
func TestSignMatchesReference(t *testing.T) {
	for i := range 50 {
		secret := invited.NewWebhookSecret()
		id := invited.NewID(invited.PrefixMessage, time.Now())
		ts := time.Unix(1_600_000_000+int64(i)*7919, 0)
		body := fmt.Appendf(nil, `{"n":%d,"s":%q}`, i, strings.Repeat("é\n", i))

		got, err := webhook.Sign(secret, id, ts, body)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			t.Fatal(err)
		}
		want, err := ref.Sign(id, ts, body)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("Sign(%q, %q, %d, %q) = %q, reference says %q", secret, id, ts.Unix(), body, got, want)
		}
	}
}

func TestSignInvalidSecret(t *testing.T) {
	for _, secret := range []string{
		"",
		"whsec_",
		"whsec_not base64!",
		invited.NewWebhookSecret() + "!",
		"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS", // truncated
	} {
		t.Run(secret, func(t *testing.T) {
			sig, err := webhook.Sign(secret, "msg_1", time.Unix(1, 0), []byte("{}"))
			if err == nil {
				t.Fatalf("Sign = %q, want an error", sig)
			}
			if key := strings.TrimPrefix(secret, "whsec_"); len(key) > 4 && strings.Contains(err.Error(), key[:len(key)-2]) {
				t.Errorf("error %q repeats the secret", err)
			}
		})
	}
}

type request struct {
	method string
	header http.Header
	body   []byte
	verify error // the reference library's verdict
}

// TestDeliverVerifiedByReference delivers to a receiver that checks each
// request with the reference library, and then checks that the library
// would have caught a wrong body, id or timestamp.
func TestDeliverVerifiedByReference(t *testing.T) {
	payloads := []string{
		`{"type":"invitation.created","timestamp":"2026-01-02T03:04:05Z","data":{"id":"inv_1"}}`,
		// Sent and signed exactly as they are, spacing and all.
		"{ \"type\" : \"membership.deleted\",\n  \"data\": {\"name\": \"Zoë 🎉\"} }",
		`{}`,
	}
	for _, payload := range payloads {
		t.Run(payload, func(t *testing.T) {
			secret := invited.NewWebhookSecret()
			ref, err := standardwebhooks.NewWebhook(secret)
			if err != nil {
				t.Fatal(err)
			}
			got := make(chan request, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, err := io.ReadAll(r.Body)
				if err != nil {
					t.Error(err)
				}
				verr := ref.Verify(body, r.Header)
				got <- request{r.Method, r.Header.Clone(), body, verr}
				if verr != nil {
					http.Error(w, verr.Error(), http.StatusUnauthorized)
					return
				}
				w.WriteHeader(http.StatusNoContent)
			}))
			defer srv.Close()

			// The reference library rejects timestamps five minutes from
			// its clock, so "now" is real, but fixed to be checked.
			now := time.Now()
			s := webhook.NewSender(local(), "invited-test/1")
			s.Now = func() time.Time { return now }
			m := &invited.Message{
				ID:      invited.NewID(invited.PrefixMessage, now),
				To:      srv.URL + "/hooks?tenant=1",
				Payload: []byte(payload),
				Secret:  secret,
			}
			if err := s.Deliver(context.Background(), m); err != nil {
				t.Fatalf("Deliver: %v", err)
			}

			r := <-got
			if r.verify != nil {
				t.Fatalf("reference Verify: %v", r.verify)
			}
			for name, want := range map[string]string{
				"content-type":      "application/json",
				"user-agent":        "invited-test/1",
				"webhook-id":        m.ID,
				"webhook-timestamp": strconv.FormatInt(now.Unix(), 10),
			} {
				if v := r.header.Get(name); v != want {
					t.Errorf("%s = %q, want %q", name, v, want)
				}
			}
			if r.method != http.MethodPost {
				t.Errorf("method = %s, want POST", r.method)
			}
			if string(r.body) != payload {
				t.Errorf("body = %q, want %q", r.body, payload)
			}

			// The verifier is live: it rejects what does not match.
			tamper := map[string]func(h http.Header, body []byte) []byte{
				"body": func(h http.Header, body []byte) []byte { return append(body, ' ') },
				"id": func(h http.Header, body []byte) []byte {
					h.Set("webhook-id", m.ID+"x")
					return body
				},
				"timestamp": func(h http.Header, body []byte) []byte {
					h.Set("webhook-timestamp", strconv.FormatInt(now.Unix()+1, 10))
					return body
				},
			}
			for name, f := range tamper {
				h := r.header.Clone()
				body := f(h, append([]byte(nil), r.body...))
				if err := ref.Verify(body, h); err == nil {
					t.Errorf("reference Verify accepted a tampered %s", name)
				}
			}
			other, err := standardwebhooks.NewWebhook(invited.NewWebhookSecret())
			if err != nil {
				t.Fatal(err)
			}
			if err := other.Verify(r.body, r.header); err == nil {
				t.Error("reference Verify accepted the signature under another secret")
			}
		})
	}
}

func TestDeliverStatus(t *testing.T) {
	tests := []struct {
		status int
		body   string
		ok     bool
	}{
		{http.StatusOK, "thanks", true},
		{http.StatusAccepted, "", true},
		{http.StatusNoContent, "", true},
		{http.StatusBadRequest, "missing field", false},
		{http.StatusUnauthorized, "bad signature", false},
		{http.StatusGone, "", false},
		{http.StatusTooManyRequests, "slow down", false},
		{http.StatusInternalServerError, "boom", false},
		{http.StatusServiceUnavailable, "", false},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()

			err := webhook.NewSender(local(), "").Deliver(context.Background(), message(srv.URL))
			if tt.ok {
				if err != nil {
					t.Fatalf("Deliver: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Deliver succeeded, want an error")
			}
			var se *egress.StatusError
			if !errors.As(err, &se) || se.StatusCode != tt.status || se.Body != tt.body {
				t.Errorf("Deliver = %#v, want a StatusError{%d, %q}", err, tt.status, tt.body)
			}
			// What is recorded is the status alone, not the body.
			if want := "http_status " + strconv.Itoa(tt.status); err.Error() != want {
				t.Errorf("error %q, want %q", err, want)
			}
			// Every status is worth retrying.
			if errors.Is(err, invited.ErrUndeliverable) {
				t.Errorf("error %q is undeliverable, want retryable", err)
			}
		})
	}
}

func TestDeliverDoesNotFollowRedirects(t *testing.T) {
	clients := map[string]*http.Client{
		// Clients that would follow redirects on their own.
		"egress client":   local(),
		"caller's client": {Timeout: 5 * time.Second},
	}
	for name, client := range clients {
		t.Run(name, func(t *testing.T) {
			var hits atomic.Int32
			target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
			}))
			defer target.Close()
			srv := httptest.NewServer(http.RedirectHandler(target.URL+"/internal", http.StatusMovedPermanently))
			defer srv.Close()

			err := webhook.NewSender(client, "").Deliver(context.Background(), message(srv.URL))
			var se *egress.StatusError
			if !errors.As(err, &se) || se.StatusCode != http.StatusMovedPermanently || err.Error() != "http_status 301" {
				t.Errorf("Deliver = %v, want a 301 StatusError recorded as http_status 301", err)
			}
			if n := hits.Load(); n != 0 {
				t.Errorf("the redirect target received %d requests, want none", n)
			}
		})
	}
}

func TestDeliverErrorBody(t *testing.T) {
	long := strings.Repeat("x", 10_000)
	tests := []struct {
		name string
		body string
		want string
	}{
		{"empty", "", ""},
		{"plain", "invalid payload", "invalid payload"},
		{"long", long, long[:200] + "…"},
		{"whitespace", "  line one\r\n\tline two\n", "line one line two"},
		{"control characters", "a\x1b[31mb\x00c\x7fd", "a[31mbcd"},
		{"invalid UTF-8", "\xff\xfeok", "ok"},
		// 300 bytes of two-byte runes: the cut falls between runes.
		{"multi-byte", strings.Repeat("é", 150), strings.Repeat("é", 100) + "…"},
		// 200 bytes end inside the last rune, which is dropped.
		{"rune across the cut", "x" + strings.Repeat("é", 150), "x" + strings.Repeat("é", 99) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusInternalServerError)
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()

			var log testutil.SyncBuffer
			s := webhook.NewSender(local(), "")
			s.Logger = slog.New(slog.NewTextHandler(&log, nil))
			err := s.Deliver(context.Background(), message(srv.URL))
			var se *egress.StatusError
			if !errors.As(err, &se) {
				t.Fatalf("Deliver = %v, want a StatusError", err)
			}
			if se.Body != tt.want {
				t.Errorf("Body = %q, want %q", se.Body, tt.want)
			}
			// The body is for the operator's log, not the recorded error.
			want := "HTTP 500 (Internal Server Error)"
			if tt.want != "" {
				want += ": " + tt.want
			}
			if se.Error() != want {
				t.Errorf("StatusError = %q, want %q", se, want)
			}
			if !utf8.ValidString(se.Error()) {
				t.Errorf("error %q is not valid UTF-8", se)
			}
			if err.Error() != "http_status 500" {
				t.Errorf("error = %q, want http_status 500", err)
			}
			if !strings.Contains(log.String(), `category="http_status 500"`) || !strings.Contains(log.String(), "HTTP 500 (Internal Server Error)") {
				t.Errorf("log %q lacks the category or the status", log.String())
			}
			if tt.name == "plain" && !strings.Contains(log.String(), "invalid payload") {
				t.Errorf("log %q lacks the body", log.String())
			}
		})
	}
}

// big is a 1 MiB response body that counts what is read of it.
type big struct {
	read   int
	closed bool
}

func (b *big) Read(p []byte) (int, error) {
	n := min(len(p), 1<<20-b.read)
	if n == 0 {
		return 0, io.EOF
	}
	for i := range n {
		p[i] = 'x'
	}
	b.read += n
	return n, nil
}

func (b *big) Close() error {
	b.closed = true
	return nil
}

// short is a response body that counts whether it was read to its end.
type short struct {
	r      io.Reader
	eof    bool
	closed bool
}

func (b *short) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		b.eof = true
	}
	return n, err
}

func (b *short) Close() error {
	b.closed = true
	return nil
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func respond(status int, body io.ReadCloser) *http.Client {
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: status, Header: http.Header{}, Body: body, Request: r}, nil
	})}
}

// TestDeliverBoundsResponseBody checks that Deliver reads no more than
// 64 KiB of an answer, reads a short one to its end so the connection can
// be reused, and closes both.
func TestDeliverBoundsResponseBody(t *testing.T) {
	for _, status := range []int{http.StatusOK, http.StatusBadGateway} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			body := &big{}
			err := webhook.NewSender(respond(status, body), "").Deliver(context.Background(), message("http://receiver.test/"))
			if (err == nil) != (status == http.StatusOK) {
				t.Errorf("Deliver = %v", err)
			}
			if body.read > 64<<10 {
				t.Errorf("read %d bytes of the body, want at most %d", body.read, 64<<10)
			}
			if !body.closed {
				t.Error("body not closed")
			}

			sb := &short{r: strings.NewReader("done")}
			err = webhook.NewSender(respond(status, sb), "").Deliver(context.Background(), message("http://receiver.test/"))
			if (err == nil) != (status == http.StatusOK) {
				t.Errorf("Deliver = %v", err)
			}
			if !sb.eof || !sb.closed {
				t.Errorf("short body: read to the end %v, closed %v; want both", sb.eof, sb.closed)
			}
		})
	}
}

func TestDeliverNetworkFailures(t *testing.T) {
	tests := []struct {
		name string
		// category is the error recorded.
		category string
		// setup returns the client, the URL and the context to deliver
		// with, and checks the error.
		setup func(t *testing.T) (*http.Client, string, context.Context, func(t *testing.T, err error))
	}{
		{"connection refused", "connect_error", func(t *testing.T) (*http.Client, string, context.Context, func(*testing.T, error)) {
			srv := httptest.NewServer(http.NotFoundHandler())
			srv.Close()
			return local(), srv.URL, context.Background(), func(t *testing.T, err error) {
				var oe *net.OpError
				if !errors.As(err, &oe) {
					t.Errorf("Deliver = %v, want a *net.OpError", err)
				}
			}
		}},
		{"context cancelled", "cancelled", func(t *testing.T) (*http.Client, string, context.Context, func(*testing.T, error)) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				t.Error("the endpoint received a request after the context was cancelled")
			}))
			t.Cleanup(srv.Close)
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return local(), srv.URL, ctx, func(t *testing.T, err error) {
				if !errors.Is(err, context.Canceled) {
					t.Errorf("Deliver = %v, want context.Canceled", err)
				}
			}
		}},
		{"endpoint hangs past the client timeout", "timeout", func(t *testing.T) (*http.Client, string, context.Context, func(*testing.T, error)) {
			release := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
				case <-release:
				}
			}))
			t.Cleanup(srv.Close)
			t.Cleanup(func() { close(release) }) // runs first: Close waits for the handler
			return egress.Client(testutil.AllowLoopback, 50*time.Millisecond), srv.URL, context.Background(), func(t *testing.T, err error) {
				var ne net.Error
				if !errors.As(err, &ne) || !ne.Timeout() {
					t.Errorf("Deliver = %v, want a timeout", err)
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, url, ctx, check := tt.setup(t)
			err := webhook.NewSender(client, "").Deliver(ctx, message(url))
			if err == nil {
				t.Fatal("Deliver succeeded, want an error")
			}
			check(t, err)
			if err.Error() != tt.category {
				t.Errorf("error %q, want the category %q alone", err, tt.category)
			}
			if errors.Is(err, invited.ErrUndeliverable) {
				t.Errorf("error %q is undeliverable, want retryable", err)
			}
		})
	}
}

// TestDeliverOutboundPolicy delivers to a real receiver on 127.0.0.1:
// refused by default, under its address and under a name, before any
// connection, with the category alone as the error; delivered once the
// allow-list lets loopback through.
func TestDeliverOutboundPolicy(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	byName := "http://localhost:" + port + "/hook"

	for name, client := range map[string]*http.Client{
		"default client":         nil,
		"egress client, no list": egress.Client(invited.OutboundPolicy{}, 5*time.Second),
	} {
		for _, url := range []string{srv.URL + "/hook", byName} {
			t.Run(name+" "+url, func(t *testing.T) {
				var log testutil.SyncBuffer
				s := webhook.NewSender(client, "")
				s.Logger = slog.New(slog.NewTextHandler(&log, nil))
				err := s.Deliver(context.Background(), message(url))
				if err == nil || err.Error() != "refused_by_policy" {
					t.Fatalf("Deliver = %v, want refused_by_policy alone", err)
				}
				if !errors.Is(err, invited.ErrRefusedByPolicy) || errors.Is(err, invited.ErrUndeliverable) {
					t.Errorf("Deliver = %v, want a retryable refusal", err)
				}
				// The operator's log says what was refused.
				if !strings.Contains(log.String(), "loopback") {
					t.Errorf("log %q does not say what was refused", log.String())
				}
			})
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the receiver got %d requests, want none", n)
	}

	for _, url := range []string{srv.URL + "/hook", byName} {
		if err := webhook.NewSender(local(), "").Deliver(context.Background(), message(url)); err != nil {
			t.Errorf("with loopback allowed, Deliver to %s: %v", url, err)
		}
	}
	if n := hits.Load(); n != 2 {
		t.Errorf("with loopback allowed, the receiver got %d requests, want 2", n)
	}
}

// TestDeliverRedirectToOwnNetwork has an allowed receiver redirect to one
// the policy refuses: the redirect is not followed, and is recorded as its
// status.
func TestDeliverRedirectToOwnNetwork(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.2: %v", err)
	}
	var hits atomic.Int32
	target := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	target.Listener.Close()
	target.Listener = ln
	target.Start()
	defer target.Close()
	srv := httptest.NewServer(http.RedirectHandler(target.URL+"/internal", http.StatusTemporaryRedirect))
	defer srv.Close()

	client := egress.Client(invited.OutboundPolicy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}, 5*time.Second)
	err = webhook.NewSender(client, "").Deliver(context.Background(), message(srv.URL))
	if err == nil || err.Error() != "http_status 307" {
		t.Errorf("Deliver = %v, want http_status 307", err)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the redirect target got %d requests, want none", n)
	}
}

func TestDeliverUndeliverable(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
	}))
	defer srv.Close()
	good := invited.NewWebhookSecret()

	tests := []struct {
		name   string
		url    string
		secret string
	}{
		{"secret not base64", srv.URL, good + "!"},
		{"secret URL-safe base64", srv.URL, strings.NewReplacer("+", "-", "/", "_").Replace(good) + "-_"},
		{"no secret", srv.URL, ""},
		{"empty secret", srv.URL, "whsec_"},
		{"URL unparsable", "http://exa mple.com/\n", good},
		{"URL without scheme", "://receiver.test/hook", good},
		{"URL relative", "/hook", good},
		{"URL without host", "http:///hook", good},
		{"URL not http", "ftp://receiver.test/hook", good},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := message(tt.url)
			m.Secret = tt.secret
			err := webhook.NewSender(nil, "").Deliver(context.Background(), m)
			if !errors.Is(err, invited.ErrUndeliverable) {
				t.Errorf("Deliver = %v, want ErrUndeliverable", err)
			}
			if err != nil && strings.Contains(err.Error(), good[len("whsec_"):len("whsec_")+20]) {
				t.Errorf("error %q repeats the secret", err)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the endpoint received %d requests, want none", n)
	}
}

// local is the client of deliveries to the tests' local receivers.
func local() *http.Client { return egress.Client(testutil.AllowLoopback, 5*time.Second) }

func message(url string) *invited.Message {
	return &invited.Message{
		ID:      invited.NewID(invited.PrefixMessage, time.Now()),
		Channel: invited.ChannelWebhook,
		Kind:    invited.EventInvitationCreated,
		To:      url,
		Payload: []byte(`{"type":"invitation.created"}`),
		Secret:  invited.NewWebhookSecret(),
	}
}
