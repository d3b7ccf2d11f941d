package email

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	netmail "net/mail"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/testutil/smtptest"
)

const (
	testFrom     = "Acme <no-reply@acme.test>"
	testUser     = "mailer"
	testPassword = "s3cret:p@ss/word"
	testLink     = "https://invited.test/i/tok_secret123"
)

// smtpURL builds a URL for the test server; extra is appended to the query.
func smtpURL(scheme, userinfo, addr, extra string) string {
	u := scheme + "://"
	if userinfo != "" {
		u += userinfo + "@"
	}
	u += addr + "?from=" + url.QueryEscape(testFrom)
	if extra != "" {
		u += "&" + extra
	}
	return u
}

// testUserinfo is testUser:testPassword, percent-encoded.
var testUserinfo = url.UserPassword(testUser, testPassword).String()

func testMessage(l *invited.Letter) *invited.Message {
	return &invited.Message{ID: "msg_01TESTMESSAGE", Channel: invited.ChannelEmail, Kind: l.Kind, To: l.To, Letter: l}
}

func newTestSender(t *testing.T, rawURL string, opts ...Option) *Sender {
	t.Helper()
	s, err := NewSender(rawURL, mustTemplates(t, ""), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// parsedMail is a received message taken apart.
type parsedMail struct {
	header  netmail.Header
	subject string
	text    string
	html    string
}

func parseMail(t *testing.T, data []byte) parsedMail {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("message does not parse: %v\n%s", err, data)
	}
	p := parsedMail{header: msg.Header}
	if p.subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		t.Fatalf("Subject: %v", err)
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("Content-Type = %q (%v), want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart() // decodes quoted-printable by itself
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var body io.Reader = part
		if strings.EqualFold(part.Header.Get("Content-Transfer-Encoding"), "base64") {
			body = base64.NewDecoder(base64.StdEncoding, part)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		partType, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		switch partType {
		case "text/plain":
			p.text = string(b)
		case "text/html":
			p.html = string(b)
		default:
			t.Errorf("unexpected part %s", partType)
		}
	}
	if p.text == "" || p.html == "" {
		t.Fatalf("want a text/plain and a text/html part:\n%s", data)
	}
	return p
}

func TestSenderDelivers(t *testing.T) {
	tests := []struct {
		name   string
		server smtptest.Config
		scheme string
		user   bool
		query  string
	}{
		{name: "plaintext", server: smtptest.Config{}, scheme: "smtp", query: "tls=none"},
		{name: "starttls", server: smtptest.Config{TLS: "starttls"}, scheme: "smtp"},
		{name: "implicit tls", server: smtptest.Config{TLS: "implicit"}, scheme: "smtps"},
		{name: "starttls with auth", server: smtptest.Config{TLS: "starttls", Username: testUser, Password: testPassword}, scheme: "smtp", user: true},
		{name: "implicit tls with auth", server: smtptest.Config{TLS: "implicit", Username: testUser, Password: testPassword}, scheme: "smtps", user: true, query: "timeout=5s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := smtptest.Start(t, tc.server)
			userinfo := ""
			if tc.user {
				userinfo = testUserinfo
			}
			s := newTestSender(t, smtpURL(tc.scheme, userinfo, ts.Addr, tc.query), WithTLSConfig(&tls.Config{RootCAs: ts.Pool}))

			l := fullLetter(invited.KindInvitation)
			if err := s.Deliver(context.Background(), testMessage(l)); err != nil {
				t.Fatal(err)
			}
			got := ts.Received()
			if len(got) != 1 {
				t.Fatalf("server received %d messages, want 1", len(got))
			}
			if got[0].TLS != (tc.server.TLS != "") {
				t.Errorf("message came over TLS: %v, want %v", got[0].TLS, tc.server.TLS != "")
			}
			if got[0].From != "no-reply@acme.test" || len(got[0].To) != 1 || got[0].To[0] != "ada@example.com" {
				t.Errorf("envelope = MAIL FROM %q RCPT TO %q, want no-reply@acme.test and [ada@example.com]", got[0].From, got[0].To)
			}

			m := parseMail(t, got[0].Data)
			if want := "Grace Hopper invited you to join Acme"; m.subject != want {
				t.Errorf("Subject = %q, want %q", m.subject, want)
			}
			if want := "<msg_01TESTMESSAGE@acme.test>"; m.header.Get("Message-ID") != want {
				t.Errorf("Message-ID = %q, want %q", m.header.Get("Message-ID"), want)
			}
			if from, err := m.header.AddressList("From"); err != nil || len(from) != 1 || from[0].Name != "Acme" || from[0].Address != "no-reply@acme.test" {
				t.Errorf("From = %v (%v), want Acme <no-reply@acme.test>", from, err)
			}
			if to, err := m.header.AddressList("To"); err != nil || len(to) != 1 || to[0].Name != "Ada Lovelace" || to[0].Address != "ada@example.com" {
				t.Errorf("To = %v (%v), want Ada Lovelace <ada@example.com>", to, err)
			}
			if d, err := m.header.Date(); err != nil || time.Since(d).Abs() > time.Hour {
				t.Errorf("Date = %q (%v), want about now", m.header.Get("Date"), err)
			}
			for _, part := range []string{m.text, m.html} {
				if !strings.Contains(part, testLink) || !strings.Contains(part, "Grace Hopper") {
					t.Errorf("part lacks the link or the inviter:\n%s", part)
				}
			}
			if !strings.Contains(m.html, `href="`+testLink+`"`) {
				t.Errorf("HTML part has no anchor to the link:\n%s", m.html)
			}
		})
	}
}

func TestSenderNonASCII(t *testing.T) {
	ts := smtptest.Start(t, smtptest.Config{})
	s := newTestSender(t, smtpURL("smtp", "", ts.Addr, "tls=none"))
	l := fullLetter(invited.KindInvitation)
	l.ToName, l.Inviter, l.Organization = "Zoë Ångström", "José", "Café Crème"
	if err := s.Deliver(context.Background(), testMessage(l)); err != nil {
		t.Fatal(err)
	}
	m := parseMail(t, ts.Received()[0].Data)
	if want := "José invited you to join Café Crème"; m.subject != want {
		t.Errorf("Subject = %q, want %q", m.subject, want)
	}
	to, err := m.header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Name != "Zoë Ångström" {
		t.Errorf("To = %v (%v), want Zoë Ångström", to, err)
	}
	if !strings.Contains(m.text, "Café Crème") || !strings.Contains(m.html, "Café Crème") {
		t.Errorf("bodies lack the organization:\n%s\n%s", m.text, m.html)
	}
}

func TestSenderHeaderInjection(t *testing.T) {
	ts := smtptest.Start(t, smtptest.Config{})
	s := newTestSender(t, smtpURL("smtp", "", ts.Addr, "tls=none"))
	evil := "\r\nBcc: evil@x.test\r\nX-Evil: 1"
	l := fullLetter(invited.KindInvitation)
	l.ToName = `Bob "the <builder>"` + evil
	l.Organization = "Acme" + evil
	l.Inviter = "Eve" + evil
	l.Message = "<script>alert(1)</script>" + evil
	if err := s.Deliver(context.Background(), testMessage(l)); err != nil {
		t.Fatal(err)
	}
	got := ts.Received()[0]
	if len(got.To) != 1 || got.To[0] != "ada@example.com" {
		t.Errorf("RCPT TO = %q, want only ada@example.com", got.To)
	}
	m := parseMail(t, got.Data)
	for _, h := range []string{"Bcc", "X-Evil"} {
		if v, ok := m.header[h]; ok {
			t.Errorf("header %s: %q was injected", h, v)
		}
	}
	if want := "Eve Bcc: evil@x.test X-Evil: 1 invited you to join Acme Bcc: evil@x.test X-Evil: 1"; m.subject != want {
		t.Errorf("Subject = %q, want %q", m.subject, want)
	}
	to, err := m.header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Address != "ada@example.com" || to[0].Name != `Bob "the <builder>" Bcc: evil@x.test X-Evil: 1` {
		t.Errorf("To = %q (%v), want the one recipient with the name on one line", to, err)
	}
	if strings.Contains(m.html, "<script>") || !strings.Contains(m.html, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("HTML part does not escape the message:\n%s", m.html)
	}
	if !strings.Contains(m.html, "Bob &#34;the &lt;builder&gt;&#34;") {
		t.Errorf("HTML part does not escape the name:\n%s", m.html)
	}
}

func TestSenderFailures(t *testing.T) {
	rejected := &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user here"}
	greylisted := &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "greylisted, try later"}
	spam := &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "looks like spam"}
	badSender := &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "sender not allowed"}
	authRequired := &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "authentication required"}

	tests := []struct {
		name              string
		server            smtptest.Config
		scheme, user      string
		query             string
		trust             bool
		wantUndeliverable bool
		want              string // in the error
	}{
		{name: "550 on RCPT", server: smtptest.Config{RcptErr: rejected}, scheme: "smtp", query: "tls=none", wantUndeliverable: true, want: "no such user here"},
		{name: "451 on RCPT", server: smtptest.Config{RcptErr: greylisted}, scheme: "smtp", query: "tls=none", want: "greylisted"},
		{name: "554 on DATA", server: smtptest.Config{DataErr: spam}, scheme: "smtp", query: "tls=none", wantUndeliverable: true, want: "looks like spam"},
		{name: "530 on RCPT", server: smtptest.Config{RcptErr: authRequired}, scheme: "smtp", query: "tls=none", want: "authentication required"},
		{name: "553 on MAIL FROM", server: smtptest.Config{MailErr: badSender}, scheme: "smtp", query: "tls=none", want: "sender not allowed"},
		{name: "wrong password", server: smtptest.Config{TLS: "starttls", Username: testUser, Password: "other"}, scheme: "smtp", user: testUserinfo, trust: true, want: "AUTH"},
		{name: "no STARTTLS offered", server: smtptest.Config{}, scheme: "smtp", want: "STARTTLS"},
		{name: "untrusted certificate", server: smtptest.Config{TLS: "starttls"}, scheme: "smtp", want: "certificate"},
		{name: "untrusted certificate smtps", server: smtptest.Config{TLS: "implicit"}, scheme: "smtps", want: "certificate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := smtptest.Start(t, tc.server)
			var opts []Option
			if tc.trust {
				opts = append(opts, WithTLSConfig(&tls.Config{RootCAs: ts.Pool}))
			}
			s := newTestSender(t, smtpURL(tc.scheme, tc.user, ts.Addr, tc.query), opts...)
			err := s.Deliver(context.Background(), testMessage(fullLetter(invited.KindInvitation)))
			if err == nil {
				t.Fatal("Deliver succeeded, want an error")
			}
			if got := errors.Is(err, invited.ErrUndeliverable); got != tc.wantUndeliverable {
				t.Errorf("errors.Is(err, ErrUndeliverable) = %v, want %v; err: %v", got, tc.wantUndeliverable, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to mention %q", err, tc.want)
			}
			for _, secret := range []string{testPassword, "tok_secret123"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("err = %v, reveals %q", err, secret)
				}
			}
			if n := len(ts.Received()); n != 0 {
				t.Errorf("server received %d messages, want 0", n)
			}
		})
	}
}

func TestSenderConnectionRefused(t *testing.T) {
	// A port nothing listens on: one a listener had, closed again.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s := newTestSender(t, smtpURL("smtp", "", addr, "tls=none"))
	err = s.Deliver(context.Background(), testMessage(fullLetter(invited.KindInvitation)))
	if err == nil || errors.Is(err, invited.ErrUndeliverable) {
		t.Fatalf("err = %v, want a retryable error", err)
	}
}

func TestSenderTimeout(t *testing.T) {
	addr, _ := startSilentServer(t)
	s := newTestSender(t, smtpURL("smtp", "", addr, "tls=none&timeout=300ms"))
	err := s.Deliver(context.Background(), testMessage(fullLetter(invited.KindInvitation)))
	if err == nil || errors.Is(err, invited.ErrUndeliverable) {
		t.Fatalf("err = %v, want a retryable error", err)
	}
}

func TestSenderCancel(t *testing.T) {
	// The server stalls at MAIL FROM, so the client is well past dialing
	// when the delivery is cancelled.
	reached, release := make(chan struct{}, 1), make(chan struct{})
	ts := smtptest.Start(t, smtptest.Config{OnMail: func() {
		reached <- struct{}{}
		<-release
	}})
	t.Cleanup(func() { close(release) }) // runs before the server stops
	// The timeout is long: only the cancellation can end this delivery in
	// time for the test.
	s := newTestSender(t, smtpURL("smtp", "", ts.Addr, "tls=none&timeout=1m"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- s.Deliver(ctx, testMessage(fullLetter(invited.KindInvitation))) }()
	<-reached
	cancel()
	var err error
	select {
	case err = <-errc:
	case <-time.After(20 * time.Second):
		t.Fatal("Deliver did not return after its context was cancelled")
	}
	if !errors.Is(err, context.Canceled) || errors.Is(err, invited.ErrUndeliverable) {
		t.Fatalf("err = %v, want a retryable one wrapping context.Canceled", err)
	}
}

func TestSenderRejectsBadMessages(t *testing.T) {
	tests := []struct {
		name string
		msg  func(*invited.Message)
	}{
		{"no letter", func(m *invited.Message) { m.Letter = nil }},
		{"sms channel", func(m *invited.Message) { m.Channel = invited.ChannelSMS }},
		{"bad recipient", func(m *invited.Message) { m.Letter.To = "not an address" }},
		{"recipient list", func(m *invited.Message) { m.Letter.To = "a@x.test, b@x.test" }},
		{"no link", func(m *invited.Message) { m.Letter.Link = "" }},
	}
	ts := smtptest.Start(t, smtptest.Config{})
	s := newTestSender(t, smtpURL("smtp", "", ts.Addr, "tls=none"))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := testMessage(fullLetter(invited.KindInvitation))
			tc.msg(m)
			if err := s.Deliver(context.Background(), m); !errors.Is(err, invited.ErrUndeliverable) {
				t.Fatalf("err = %v, want one wrapping ErrUndeliverable", err)
			}
		})
	}
	if n := len(ts.Received()); n != 0 {
		t.Errorf("server received %d messages, want 0", n)
	}
}

func TestNewSender(t *testing.T) {
	tests := []struct {
		name     string
		url      string
		security string
		host     string
		port     int
		user     string
		password string
		timeout  time.Duration
	}{
		{"starttls default port", "smtp://mail.acme.test?from=a%40acme.test", securityStartTLS, "mail.acme.test", 587, "", "", DefaultTimeout},
		{"starttls explicit", "smtp://mail.acme.test:2525?from=a%40acme.test&tls=starttls", securityStartTLS, "mail.acme.test", 2525, "", "", DefaultTimeout},
		{"smtps default port", "smtps://mail.acme.test?from=a%40acme.test", securityImplicit, "mail.acme.test", 465, "", "", DefaultTimeout},
		{"plaintext default port", "smtp://localhost?from=a%40acme.test&tls=none", securityNone, "localhost", 25, "", "", DefaultTimeout},
		{"plaintext port", "smtp://localhost:1025/?from=a%40acme.test&tls=none", securityNone, "localhost", 1025, "", "", DefaultTimeout},
		{"ipv6", "smtp://[::1]:587?from=a%40acme.test", securityStartTLS, "::1", 587, "", "", DefaultTimeout},
		{"credentials percent-decoded", "smtps://us%40er:p%40ss%3Aw%2Fd%25@mail.acme.test?from=a%40acme.test&timeout=3s", securityImplicit, "mail.acme.test", 465, "us@er", "p@ss:w/d%", 3 * time.Second},
		{"display name", "smtp://mail.acme.test?from=Acme+%3Cno-reply%40acme.test%3E", securityStartTLS, "mail.acme.test", 587, "", "", DefaultTimeout},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewSender(tc.url, mustTemplates(t, ""))
			if err != nil {
				t.Fatal(err)
			}
			if s.security != tc.security || s.host != tc.host || s.port != tc.port || s.username != tc.user || s.password != tc.password || s.timeout != tc.timeout {
				t.Errorf("got security %s host %s port %d user %q password %q timeout %s, want %s %s %d %q %q %s",
					s.security, s.host, s.port, s.username, s.password, s.timeout,
					tc.security, tc.host, tc.port, tc.user, tc.password, tc.timeout)
			}
			if s.tlsConfig.ServerName != tc.host {
				t.Errorf("TLS ServerName = %q, want %q", s.tlsConfig.ServerName, tc.host)
			}
			if strings.Contains(s.String(), "p@ss") {
				t.Errorf("String() = %q reveals the password", s.String())
			}
		})
	}

	t.Run("from", func(t *testing.T) {
		s, err := NewSender("smtp://mail.acme.test?from=Acme+%3Cno-reply%40acme.test%3E", mustTemplates(t, ""))
		if err != nil {
			t.Fatal(err)
		}
		if s.from.Name != "Acme" || s.from.Address != "no-reply@acme.test" || s.fromDomain != "acme.test" {
			t.Errorf("from = %v, domain %q", s.from, s.fromDomain)
		}
	})
}

func TestNewSenderErrors(t *testing.T) {
	tests := []struct {
		name string
		url  string
		want string
	}{
		{"unknown scheme", "smtpx://h?from=a%40b.test", "unknown scheme"},
		{"http", "https://h?from=a%40b.test", "unknown scheme"},
		{"missing host", "smtp://?from=a%40b.test", "missing host"},
		{"opaque", "smtp:h?from=a%40b.test", "missing host"},
		{"missing from", "smtp://h", "missing from"},
		{"invalid from", "smtp://h?from=nobody", "from="},
		{"from list", "smtp://h?from=a%40b.test,c%40d.test", "from="},
		{"bad timeout", "smtp://h?from=a%40b.test&timeout=soon", "timeout"},
		{"zero timeout", "smtp://h?from=a%40b.test&timeout=0s", "timeout"},
		{"unknown parameter", "smtp://h?from=a%40b.test&tsl=none", `unknown query parameter "tsl"`},
		{"repeated parameter", "smtp://h?from=a%40b.test&from=c%40d.test", "more than once"},
		{"bad tls", "smtp://h?from=a%40b.test&tls=maybe", "tls="},
		{"tls on smtps", "smtps://h?from=a%40b.test&tls=none", "smtp:// only"},
		{"credentials without tls", "smtp://u:hunter2@h?from=a%40b.test&tls=none", "only over TLS"},
		{"user without password", "smtp://u@h?from=a%40b.test", "password"},
		{"bad port", "smtp://h:99999?from=a%40b.test", "port"},
		{"path", "smtp://h/inbox?from=a%40b.test", "path"},
		{"unparseable with password", "smtp://u:hunter2@h:port?from=a%40b.test", "port"},
		{"bad escape in password", "smtp://u:hunter2%zz@h?from=a%40b.test", "escape"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewSender(tc.url, mustTemplates(t, ""))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("err = %v reveals the password", err)
			}
		})
	}

	if _, err := NewSender("smtp://h?from=a%40b.test", nil); err == nil {
		t.Error("NewSender without templates succeeded")
	}
}
