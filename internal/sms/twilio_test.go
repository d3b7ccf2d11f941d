package sms

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/invitedhq/invited"
)

const (
	testSID   = "AC0123456789abcdef0123456789abcdef"
	testToken = "s3cr/et:tok"     // needs percent-encoding in the user info
	testUser  = "s3cr%2Fet%3Atok" // testToken, as written in the URL
	testFrom  = "+15550001111"
	testMG    = "MG0123456789abcdef0123456789abcdef"
	// token is the invitation token at the end of link.
	token = "Vq3sK9xT0pLmN2bR7cYwE5hJ8uZ1aD4fG6iO-_QeXyA"
)

func testMessage() *invited.Message {
	return &invited.Message{
		ID:      "msg_01",
		Channel: invited.ChannelSMS,
		Kind:    invited.KindInvitation,
		To:      "+15550002222",
		Token:   token,
		Letter: &invited.Letter{
			Kind: invited.KindInvitation, To: "+15550002222", Organization: "Acme Corp",
			Inviter: "Ann Lee", Roles: []string{"admin"}, Message: "Hi!", Link: link,
		},
	}
}

// newTwilio returns a transport for srv, configured by query.
func newTwilio(t *testing.T, srv *httptest.Server, prefix, query string, client *http.Client) *Twilio {
	t.Helper()
	base, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	raw := fmt.Sprintf("http://%s:%s@%s%s?%s", testSID, testUser, base.Host, prefix, query)
	tw, err := NewTwilio(raw, client)
	if err != nil {
		t.Fatalf("NewTwilio: %v", err)
	}
	return tw
}

// await returns f's result, failing the test if f does not return in good
// time: a Deliver that ignores its deadline would otherwise hang the test
// until the whole run times out.
func await(t *testing.T, f func() error) error {
	t.Helper()
	errc := make(chan error, 1)
	go func() { errc <- f() }()
	select {
	case err := <-errc:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Deliver did not return")
		return nil
	}
}

// checkSecrets fails the test if err reveals the auth token or the link.
func checkSecrets(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, secret := range []string{testToken, testUser, link, token} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q reveals %q", err, secret)
		}
	}
}

func TestTwilioDeliver(t *testing.T) {
	tests := []struct {
		name        string
		prefix      string // path before /2010-04-01
		query       string
		senderField string
		sender      string
	}{
		{"from number", "", "from=%2B15550001111", "From", testFrom},
		{"messaging service", "", "messaging_service_sid=" + testMG, "MessagingServiceSid", testMG},
		{"path prefix", "/proxy/twilio/", "from=%2B15550001111&timeout=5s", "From", testFrom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := testMessage()
			calls := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls++
				if r.Method != http.MethodPost {
					t.Errorf("method = %s, want POST", r.Method)
				}
				wantPath := strings.TrimRight(tt.prefix, "/") + "/2010-04-01/Accounts/" + testSID + "/Messages.json"
				if r.URL.Path != wantPath {
					t.Errorf("path = %q, want %q", r.URL.Path, wantPath)
				}
				if user, pass, ok := r.BasicAuth(); !ok || user != testSID || pass != testToken {
					t.Errorf("basic auth = %q, %q, %v; want %q, %q", user, pass, ok, testSID, testToken)
				}
				if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
					t.Errorf("Content-Type = %q", ct)
				}
				if err := r.ParseForm(); err != nil {
					t.Fatalf("ParseForm: %v", err)
				}
				want := url.Values{
					"To":           {"+15550002222"},
					"Body":         {"Ann Lee invited you to join Acme Corp as admin: " + link},
					tt.senderField: {tt.sender},
				}
				if got := r.PostForm; fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("form =\n%v\nwant\n%v", got, want)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusCreated)
				io.WriteString(w, `{"sid":"SM0123","status":"queued","num_segments":"1","error_code":null}`)
			}))
			defer srv.Close()

			tw := newTwilio(t, srv, tt.prefix, tt.query, nil)
			if err := tw.Deliver(context.Background(), m); err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			if calls != 1 {
				t.Errorf("%d requests, want 1", calls)
			}
		})
	}
}

func TestTwilioDeliverErrors(t *testing.T) {
	twilioError := func(status, code int, msg string) string {
		return fmt.Sprintf(`{"code":%d,"message":%q,"more_info":"https://www.twilio.com/docs/errors/%d","status":%d}`,
			code, msg, code, status)
	}
	tests := []struct {
		name            string
		status          int
		body            string
		wantUndelivered bool
		wantInError     []string
	}{
		{
			name: "invalid number", status: 400, body: twilioError(400, 21211, "Invalid 'To' Phone Number"),
			wantUndelivered: true, wantInError: []string{"400 Bad Request", "Invalid 'To' Phone Number", "code 21211"},
		},
		{
			name: "unsubscribed recipient", status: 400, body: twilioError(400, 21610, "Attempt to send to unsubscribed recipient"),
			wantUndelivered: true, wantInError: []string{"code 21610"},
		},
		{
			name: "other 4xx without JSON", status: 422, body: "<html>\nnope\n</html>",
			wantUndelivered: true, wantInError: []string{"422 Unprocessable Entity", "<html> nope </html>"},
		},
		{
			name: "sender queue full", status: 400, body: twilioError(400, 21611, "This 'From' number has exceeded the maximum number of queued messages"),
			wantInError: []string{"code 21611"},
		},
		{
			name: "rate limited", status: 429, body: twilioError(429, 20429, "Too Many Requests"),
			wantInError: []string{"429 Too Many Requests", "code 20429"},
		},
		{name: "unavailable", status: 503, wantInError: []string{"503 Service Unavailable"}},
		{name: "server error", status: 500, body: "oops", wantInError: []string{"500 Internal Server Error: oops"}},
		{
			name: "bad credentials", status: 401, body: twilioError(401, 20003, "Authenticate"),
			wantInError: []string{"401 Unauthorized", "code 20003"},
		},
		{name: "forbidden", status: 403, wantInError: []string{"403 Forbidden"}},
		{
			name: "wrong account", status: 404, body: twilioError(404, 20404, "The requested resource was not found"),
			wantInError: []string{"404 Not Found"},
		},
		{
			name: "provider echoes the request", status: 400,
			body:            twilioError(400, 21617, "Body too long: Ann Lee invited you: "+link+" "+url.QueryEscape(link)+" auth "+testToken),
			wantUndelivered: true, wantInError: []string{"[redacted]", "code 21617"},
		},
		{
			name: "huge body", status: 400, body: strings.Repeat("x", 1<<20),
			wantUndelivered: true, wantInError: []string{"400 Bad Request: xxx"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()

			err := newTwilio(t, srv, "", "from=%2B15550001111", nil).Deliver(context.Background(), testMessage())
			if err == nil {
				t.Fatal("Deliver succeeded, want an error")
			}
			if got := errors.Is(err, invited.ErrUndeliverable); got != tt.wantUndelivered {
				t.Errorf("errors.Is(%q, ErrUndeliverable) = %v, want %v", err, got, tt.wantUndelivered)
			}
			for _, s := range tt.wantInError {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
			if len(err.Error()) > 1000 {
				t.Errorf("error is %d bytes long", len(err.Error()))
			}
			checkSecrets(t, err)
		})
	}
}

// TestTwilioDeliverEndlessBody checks that Deliver reads only the start of
// an error response that never ends.
func TestTwilioDeliverEndlessBody(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, strings.Repeat("x", maxResponseBytes+1))
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)

	tw := newTwilio(t, srv, "", "from=%2B15550001111", nil)
	err := await(t, func() error { return tw.Deliver(context.Background(), testMessage()) })
	if !errors.Is(err, invited.ErrUndeliverable) || !strings.Contains(err.Error(), "400 Bad Request: xxx") {
		t.Errorf("Deliver = %v, want the start of the 400 response", err)
	}
}

func TestTwilioDeliverTimeout(t *testing.T) {
	tests := []struct {
		name   string
		client *http.Client
	}{
		{"own client", nil},
		// The URL's timeout holds even when the caller's client has none.
		{"client without timeout", &http.Client{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
				case <-release:
				}
			}))
			defer srv.Close()
			defer close(release) // before Close, which waits for the handler

			tw := newTwilio(t, srv, "", "from=%2B15550001111&timeout=200ms", tt.client)
			err := await(t, func() error { return tw.Deliver(context.Background(), testMessage()) })
			if err == nil {
				t.Fatal("Deliver succeeded against a hung server")
			}
			if errors.Is(err, invited.ErrUndeliverable) {
				t.Errorf("timeout %q is undeliverable, want it retried", err)
			}
			checkSecrets(t, err)
		})
	}
}

func TestTwilioDeliverCancel(t *testing.T) {
	arrived, release := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-release
	}))
	defer srv.Close()
	defer close(release) // before Close, which waits for the handler
	tw := newTwilio(t, srv, "", "from=%2B15550001111", nil)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-arrived
		cancel()
	}()
	err := await(t, func() error { return tw.Deliver(ctx, testMessage()) })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Deliver = %v, want context.Canceled", err)
	}
	if errors.Is(err, invited.ErrUndeliverable) {
		t.Errorf("cancelled delivery %q is undeliverable", err)
	}
}

func TestTwilioDeliverUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	tw := newTwilio(t, srv, "", "from=%2B15550001111", nil)
	srv.Close()

	err := tw.Deliver(context.Background(), testMessage())
	if err == nil || errors.Is(err, invited.ErrUndeliverable) {
		t.Errorf("Deliver to a closed server = %v, want an error to retry", err)
	}
	checkSecrets(t, err)
}

func TestTwilioDeliverBadLetter(t *testing.T) {
	tests := []struct {
		name   string
		change func(m *invited.Message)
	}{
		{"no letter", func(m *invited.Message) { m.Letter = nil }},
		{"no recipient", func(m *invited.Message) { m.Letter.To = "" }},
		{"no link", func(m *invited.Message) { m.Letter.Link = "" }},
		{"unknown kind", func(m *invited.Message) { m.Letter.Kind = "invitation.created" }},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("a bad letter reached the API")
	}))
	defer srv.Close()
	tw := newTwilio(t, srv, "", "from=%2B15550001111", nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := testMessage()
			tt.change(m)
			err := tw.Deliver(context.Background(), m)
			if !errors.Is(err, invited.ErrUndeliverable) {
				t.Errorf("Deliver = %v, want ErrUndeliverable", err)
			}
			checkSecrets(t, err)
		})
	}
}

func TestNewTwilio(t *testing.T) {
	tw, err := NewTwilio("https://"+testSID+":"+testUser+"@api.twilio.com?from=%2B15550001111", nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://api.twilio.com/2010-04-01/Accounts/" + testSID + "/Messages.json"; tw.endpoint != want {
		t.Errorf("endpoint = %q, want %q", tw.endpoint, want)
	}
	if tw.accountSID != testSID || tw.authToken != testToken || tw.from != testFrom || tw.service != "" {
		t.Errorf("credentials and sender = %q, %q, %q, %q", tw.accountSID, tw.authToken, tw.from, tw.service)
	}
	if tw.timeout != defaultTimeout || tw.client.Timeout != defaultTimeout {
		t.Errorf("timeout = %v, client's %v; want %v", tw.timeout, tw.client.Timeout, defaultTimeout)
	}
	if s := tw.String(); strings.Contains(s, testToken) || !strings.Contains(s, testFrom) {
		t.Errorf("String() = %q", s)
	}
	if s := fmt.Sprint(tw); strings.Contains(s, testToken) {
		t.Errorf("fmt.Sprint reveals the token: %q", s)
	}

	own := &http.Client{}
	tw, err = NewTwilio("http://"+testSID+":"+testUser+"@localhost:8080/base/?messaging_service_sid="+testMG+"&timeout=3s", own)
	if err != nil {
		t.Fatal(err)
	}
	if want := "http://localhost:8080/base/2010-04-01/Accounts/" + testSID + "/Messages.json"; tw.endpoint != want {
		t.Errorf("endpoint = %q, want %q", tw.endpoint, want)
	}
	if tw.service != testMG || tw.from != "" || tw.timeout != 3*time.Second || tw.client != own {
		t.Errorf("service %q, from %q, timeout %v, own client %v", tw.service, tw.from, tw.timeout, tw.client == own)
	}
}

func TestNewTwilioErrors(t *testing.T) {
	const creds = testSID + ":" + testUser + "@"
	tests := []struct {
		name, url, want string
	}{
		{"empty", "", "scheme must be https"},
		{"no scheme", "api.twilio.com", "scheme must be https"},
		{"wrong scheme", "ftp://" + creds + "api.twilio.com?from=%2B15550001111", "scheme must be https"},
		{"no host", "https://" + creds + "?from=%2B15550001111", "missing host"},
		{"no credentials", "https://api.twilio.com?from=%2B15550001111", "missing credentials"},
		{"no token", "https://" + testSID + "@api.twilio.com?from=%2B15550001111", "missing credentials"},
		{"empty token", "https://" + testSID + ":@api.twilio.com?from=%2B15550001111", "missing credentials"},
		{"empty SID", "https://:" + testUser + "@api.twilio.com?from=%2B15550001111", "missing credentials"},
		{"bad escape in token", "https://" + testSID + ":" + testUser + "%zz@api.twilio.com?from=%2B15550001111", "invalid URL escape"},
		{"fragment", "https://" + creds + "api.twilio.com?from=%2B15550001111#x", "fragment"},
		{"no sender", "https://" + creds + "api.twilio.com", "exactly one of from and messaging_service_sid"},
		{"two senders", "https://" + creds + "api.twilio.com?from=%2B15550001111&messaging_service_sid=" + testMG, "exactly one"},
		{"unencoded plus", "https://" + creds + "api.twilio.com?from=+15550001111", "write it as %2B"},
		{"not E.164", "https://" + creds + "api.twilio.com?from=5550001111", "not an E.164 number"},
		{"empty from", "https://" + creds + "api.twilio.com?from=", "not an E.164 number"},
		{"from twice", "https://" + creds + "api.twilio.com?from=%2B15550001111&from=%2B15550001112", "from given 2 times"},
		{"bad service", "https://" + creds + "api.twilio.com?messaging_service_sid=PN123", "does not start with MG"},
		{"bad timeout", "https://" + creds + "api.twilio.com?from=%2B15550001111&timeout=10", "not a positive duration"},
		{"zero timeout", "https://" + creds + "api.twilio.com?from=%2B15550001111&timeout=0s", "not a positive duration"},
		{"negative timeout", "https://" + creds + "api.twilio.com?from=%2B15550001111&timeout=-1s", "not a positive duration"},
		{"unknown parameter", "https://" + creds + "api.twilio.com?form=%2B15550001111", `unknown parameter "form"`},
		{"bad query", "https://" + creds + "api.twilio.com?from=%2B15550001111;x", "query"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tw, err := NewTwilio(tt.url, nil)
			if err == nil {
				t.Fatalf("NewTwilio(%q) = %v, want an error", tt.url, tw)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewTwilio(%q) = %q, want it to mention %q", tt.url, err, tt.want)
			}
			checkSecrets(t, err)
		})
	}
}
