package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wneessen/go-mail"

	"github.com/invitedhq/invited"
)

// DefaultTimeout bounds one delivery, connecting included, when the URL
// sets no timeout.
const DefaultTimeout = 10 * time.Second

// How the connection to the SMTP server is secured.
const (
	securityStartTLS = "starttls" // smtp://, the default: STARTTLS or fail
	securityImplicit = "implicit" // smtps://: TLS from the first byte
	securityNone     = "none"     // smtp://...?tls=none: plaintext
)

// Sender delivers email messages over SMTP. It is safe for concurrent use:
// every delivery opens its own connection.
type Sender struct {
	templates *Templates
	host      string
	port      int
	security  string
	username  string
	password  string
	from      *netmail.Address
	// fromDomain completes Message-IDs, which must be unique worldwide:
	// the sender's own domain makes them so.
	fromDomain string
	timeout    time.Duration
	tlsConfig  *tls.Config
}

var _ invited.Transport = (*Sender)(nil)

// Option adjusts a Sender.
type Option func(*Sender)

// WithTLSConfig sets the TLS configuration for STARTTLS and smtps, such as
// RootCAs for a server with a private certificate. ServerName defaults to
// the URL's host and MinVersion to TLS 1.2. Without this option the
// system's roots are used.
func WithTLSConfig(c *tls.Config) Option {
	return func(s *Sender) {
		if c != nil {
			s.tlsConfig = c.Clone()
		}
	}
}

// NewSender returns a Sender for an SMTP URL:
//
//	smtp://user:pass@host:587?from=...              STARTTLS, required (default port 587)
//	smtps://user:pass@host:465?from=...             TLS from the start (default port 465)
//	smtp://host:25?from=...&tls=none                no TLS, for local relays and mail catchers (default port 25)
//
// The user name and password are percent-decoded; when present, the Sender
// authenticates with PLAIN or LOGIN (whichever the server offers first in
// that order), and only ever over TLS: tls=none with credentials is
// refused. Query parameters:
//
//	from     required: the From address, optionally with a display name,
//	         URL-encoded ("Acme <no-reply@acme.test>" is
//	         Acme%20%3Cno-reply%40acme.test%3E; a literal + must be %2B)
//	timeout  a Go duration bounding a whole delivery (default 10s)
//	tls      starttls (the default for smtp://) or none
//
// Errors never repeat the URL, which holds the password.
func NewSender(rawURL string, t *Templates, opts ...Option) (*Sender, error) {
	if t == nil {
		return nil, errors.New("email: NewSender needs templates")
	}
	s, err := parseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("email: SMTP URL: %w", err)
	}
	s.templates = t
	for _, opt := range opts {
		opt(s)
	}
	if s.tlsConfig == nil {
		s.tlsConfig = &tls.Config{}
	}
	if s.tlsConfig.ServerName == "" {
		s.tlsConfig.ServerName = s.host
	}
	if s.tlsConfig.MinVersion == 0 {
		s.tlsConfig.MinVersion = tls.VersionTLS12
	}
	return s, nil
}

func parseURL(rawURL string) (*Sender, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// A *url.Error quotes the whole URL, password and all; its inner
		// error says what is wrong without it.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, err
	}
	s := &Sender{timeout: DefaultTimeout}
	switch u.Scheme {
	case "smtp":
		s.security, s.port = securityStartTLS, 587
	case "smtps":
		s.security, s.port = securityImplicit, 465
	default:
		return nil, fmt.Errorf("unknown scheme %q: want smtp or smtps", u.Scheme)
	}
	s.host = u.Hostname()
	if s.host == "" {
		return nil, errors.New("missing host")
	}
	if u.Path != "" && u.Path != "/" {
		return nil, fmt.Errorf("unexpected path %q: the form is smtp://[user:pass@]host[:port]?from=ADDRESS", u.Path)
	}

	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	for key, values := range q {
		switch key {
		case "from", "timeout", "tls":
		default:
			return nil, fmt.Errorf("unknown query parameter %q: want from, timeout or tls", key)
		}
		if len(values) > 1 {
			return nil, fmt.Errorf("query parameter %q given more than once", key)
		}
	}
	switch v := q.Get("tls"); {
	case v == "":
	case u.Scheme == "smtps":
		return nil, errors.New("tls= applies to smtp:// only; smtps:// is always TLS")
	case v == securityStartTLS || v == securityNone:
		s.security = v
	default:
		return nil, fmt.Errorf("tls=%q: want starttls or none", v)
	}
	// Port 25 is where plaintext relays listen; 587 is submission, where
	// STARTTLS is expected.
	if s.security == securityNone {
		s.port = 25
	}
	if p := u.Port(); p != "" {
		if s.port, err = strconv.Atoi(p); err != nil || s.port < 1 || s.port > 65535 {
			return nil, fmt.Errorf("invalid port %q", p)
		}
	}

	from := q.Get("from")
	if from == "" {
		return nil, errors.New("missing from= (the From address)")
	}
	if s.from, err = netmail.ParseAddress(from); err != nil {
		return nil, fmt.Errorf("from=%q: %w", from, err)
	}
	s.fromDomain = s.from.Address[strings.LastIndexByte(s.from.Address, '@')+1:]

	if v := q.Get("timeout"); v != "" {
		if s.timeout, err = time.ParseDuration(v); err != nil || s.timeout <= 0 {
			return nil, fmt.Errorf("timeout=%q: want a positive Go duration such as 10s", v)
		}
	}

	if u.User != nil {
		s.username = u.User.Username()
		var ok bool
		s.password, ok = u.User.Password()
		if s.username == "" || !ok {
			return nil, errors.New("credentials need both a user name and a password (user:pass@host)")
		}
		if s.security == securityNone {
			return nil, errors.New("credentials are sent only over TLS: drop tls=none, or the credentials")
		}
	}
	return s, nil
}

// String describes the Sender for logs, without the credentials.
func (s *Sender) String() string {
	auth := ""
	if s.username != "" {
		auth = ", authenticated"
	}
	return fmt.Sprintf("smtp %s (tls: %s%s)", net.JoinHostPort(s.host, strconv.Itoa(s.port)), s.security, auth)
}

// Deliver renders the message's letter and sends it. A permanent rejection
// of the recipient or the message (a 5xx reply to RCPT TO or DATA) is an
// error wrapping invited.ErrUndeliverable, as is a letter that cannot be
// written; anything else (4xx replies, connection failures, timeouts) is an
// error to retry. A 5xx reply to MAIL FROM or to authentication is
// retried too: it says something about our sender address or credentials,
// which the operator can fix, and not about this message.
func (s *Sender) Deliver(ctx context.Context, m *invited.Message) error {
	if m.Channel != invited.ChannelEmail {
		return fmt.Errorf("email: message %s is for the %s channel: %w", m.ID, m.Channel, invited.ErrUndeliverable)
	}
	r, err := s.templates.Render(m.Letter)
	if err != nil {
		return err
	}
	msg, err := s.compose(m, r)
	if err != nil {
		return err
	}

	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	// A client per delivery: go-mail's Client keeps per-connection state
	// (the chosen auth mechanism among it) that concurrent deliveries
	// would race on.
	c, err := mail.NewClient(s.host, s.clientOptions(ctx)...)
	if err != nil {
		return fmt.Errorf("email: %w", err)
	}
	err = c.DialAndSendWithContext(ctx, msg)
	if err == nil || msg.IsDelivered() {
		// The server took the message; a failure after that, such as on
		// QUIT, must not make the caller send it again.
		return nil
	}
	return classify(ctx, err)
}

// clientOptions configures go-mail for one delivery bounded by ctx.
func (s *Sender) clientOptions(ctx context.Context) []mail.Option {
	dial := func(dialCtx context.Context, network, addr string) (net.Conn, error) {
		return s.dial(ctx, dialCtx, network, addr)
	}
	opts := []mail.Option{
		mail.WithPort(s.port),
		mail.WithTimeout(s.timeout),
		mail.WithTLSConfig(s.tlsConfig),
		mail.WithDialContextFunc(dial),
	}
	if s.security == securityStartTLS {
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	} else {
		// smtps does its TLS in dial, so go-mail must not try STARTTLS.
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	}
	if s.username != "" {
		opts = append(opts,
			mail.WithUsername(s.username),
			mail.WithPassword(s.password),
			// go-mail's PLAIN and LOGIN refuse to run over a connection
			// without TLS, a second guard behind parseURL's.
			mail.WithOpportunisticSMTPAuth(mail.SMTPAuthPlain, mail.SMTPAuthLogin),
		)
	}
	return opts
}

// dial connects to the server, and for smtps does the TLS handshake.
// dialCtx is go-mail's, which ends as soon as the connection is made;
// ctx is the delivery's.
func (s *Sender) dial(ctx, dialCtx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(dialCtx, network, addr)
	if err != nil {
		return nil, err
	}
	// go-mail bounds each SMTP command by the timeout but does not watch
	// ctx once connected. Closing the connection when ctx ends (cancelled,
	// or the whole delivery took longer than the timeout) makes the
	// command in progress fail at once.
	context.AfterFunc(ctx, func() { conn.Close() })
	if s.security != securityImplicit {
		return conn, nil
	}
	tc := tls.Client(conn, s.tlsConfig)
	if err := tc.HandshakeContext(dialCtx); err != nil {
		conn.Close()
		return nil, err
	}
	return tc, nil
}

// compose builds the email. Addresses and headers go through go-mail,
// which encodes display names and the subject (RFC 2047), so that no value
// can end a header line and start another.
func (s *Sender) compose(m *invited.Message, r *Rendered) (*mail.Msg, error) {
	to := m.Letter.To
	if to == "" {
		to = m.To
	}
	addr, err := netmail.ParseAddress(to)
	if err != nil {
		return nil, fmt.Errorf("email: recipient address: %w: %w", err, invited.ErrUndeliverable)
	}
	msg := mail.NewMsg(mail.WithNoDefaultUserAgent())
	msg.FromMailAddress(s.from)
	msg.ToMailAddress(&netmail.Address{Name: oneLine(m.Letter.ToName, MaxSubject), Address: addr.Address})
	msg.Subject(r.Subject)
	msg.SetDate()
	msg.SetMessageIDWithValue(m.ID + "@" + s.fromDomain)
	msg.SetBodyString(mail.TypeTextPlain, r.Text)
	msg.AddAlternativeString(mail.TypeTextHTML, r.HTML)
	return msg, nil
}

// classify tells an error retrying cannot help from one it can.
func classify(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		// err is then mostly the closed connection's complaint, which
		// says nothing useful.
		return fmt.Errorf("email: delivery did not finish: %w", ctx.Err())
	}
	var se *mail.SendError
	if errors.As(err, &se) && permanent(se) {
		return fmt.Errorf("email: %w: %w", invited.ErrUndeliverable, err)
	}
	return fmt.Errorf("email: %w", err)
}

// permanent reports whether the server refused the recipient or the message
// for good.
func permanent(se *mail.SendError) bool {
	code := se.ErrorCode()
	if code < 500 || code > 599 {
		return false
	}
	switch code {
	case 530, 534, 535, 538:
		// Authentication required or failed: our configuration, not the
		// message; some servers say so only at RCPT TO.
		return false
	}
	switch se.Reason {
	case mail.ErrSMTPRcptTo, mail.ErrSMTPData, mail.ErrSMTPDataClose:
		return true
	}
	return false
}
