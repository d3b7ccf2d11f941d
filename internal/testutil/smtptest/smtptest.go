// Package smtptest runs a real SMTP server (github.com/emersion/go-smtp) in
// the test process, which records what it is sent: the tests of the email
// transport and of the whole program deliver through it.
package smtptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Cert makes a self-signed certificate for 127.0.0.1 and a pool that
// trusts it.
func Cert(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "invited test SMTP server"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}

// Config says how a test SMTP server behaves.
type Config struct {
	// TLS: "" plaintext without STARTTLS, "starttls" offers STARTTLS,
	// "implicit" is TLS from the first byte.
	TLS string
	// Username and Password, when set, are required (AUTH PLAIN) before
	// MAIL FROM.
	Username, Password string
	// Replies to refuse a command with; nil accepts.
	MailErr, RcptErr, DataErr *smtp.SMTPError
	// OnMail, if set, runs when MAIL FROM arrives, before the reply.
	OnMail func()
}

// Mail is one message the server took.
type Mail struct {
	TLS  bool // whether the message came over TLS
	From string
	To   []string
	Data []byte
}

// Server is a real SMTP server on 127.0.0.1 that records what it is sent.
type Server struct {
	Addr string         // host:port
	Pool *x509.CertPool // trusts the server's certificate, when it has one
	cfg  Config

	mu   sync.Mutex
	mail []Mail
}

// Start starts a server that lives until the test ends.
func Start(t testing.TB, cfg Config) *Server {
	t.Helper()
	ts := &Server{cfg: cfg}
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		// STARTTLS starts a new session, so this is known for good here.
		_, isTLS := c.TLSConnectionState()
		return &session{srv: ts, tls: isTLS}, nil
	}))
	s.Domain = "localhost"
	s.ErrorLog = log.New(io.Discard, "", 0)
	s.ReadTimeout = 10 * time.Second
	s.WriteTimeout = 10 * time.Second

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.Addr = l.Addr().String()
	if cfg.TLS != "" {
		cert, pool := Cert(t)
		ts.Pool = pool
		tlsConfig := &tls.Config{Certificates: []tls.Certificate{cert}}
		switch cfg.TLS {
		case "starttls":
			s.TLSConfig = tlsConfig
		case "implicit":
			l = tls.NewListener(l, tlsConfig)
		default:
			t.Fatalf("unknown tls mode %q", cfg.TLS)
		}
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	t.Cleanup(func() {
		s.Close()
		// Close may run before Serve has registered the listener, which
		// it then would not close: Serve would wait in Accept forever.
		l.Close()
		if err := <-done; err != nil && !errors.Is(err, smtp.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			t.Errorf("SMTP server: %v", err)
		}
	})
	return ts
}

// Received returns what the server took so far.
func (ts *Server) Received() []Mail {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]Mail(nil), ts.mail...)
}

type session struct {
	srv    *Server
	tls    bool
	authed bool
	cur    Mail
}

func (s *session) AuthMechanisms() []string {
	if s.srv.cfg.Password == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != s.srv.cfg.Username || password != s.srv.cfg.Password {
			return smtp.ErrAuthFailed
		}
		s.authed = true
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.srv.cfg.Password != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	if s.srv.cfg.OnMail != nil {
		s.srv.cfg.OnMail()
	}
	if s.srv.cfg.MailErr != nil {
		return s.srv.cfg.MailErr
	}
	s.cur = Mail{TLS: s.tls, From: from}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.srv.cfg.RcptErr != nil {
		return s.srv.cfg.RcptErr
	}
	s.cur.To = append(s.cur.To, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.srv.cfg.DataErr != nil {
		return s.srv.cfg.DataErr
	}
	s.cur.Data = b
	s.srv.mu.Lock()
	s.srv.mail = append(s.srv.mail, s.cur)
	s.srv.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.cur = Mail{} }
func (s *session) Logout() error { return nil }
