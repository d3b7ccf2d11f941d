// Package egress makes the HTTP clients of the outbound requests that API
// users aim: webhook deliveries and calls to apps' OAuth platforms (issue
// 13, D4). Their connections go only where an invited.OutboundPolicy
// allows, checked on the address being dialed, after DNS resolution, for
// every connection: so a name resolving to an internal address, a DNS
// answer that changes between two lookups (rebinding) and a redirect to an
// internal address are all refused alike. Category tells the outcome of a
// request in words that do not make the service a port scanner.
package egress

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"syscall"
	"time"

	"github.com/invitedhq/invited"
)

// dialTimeout bounds one connection attempt, as http.DefaultTransport's
// dialer does.
const dialTimeout = 30 * time.Second

// Dialer returns a dialer whose connections go only to addresses p allows.
// The check runs in Control, just before each connect, on the address
// itself; a refusal is an error matching invited.ErrRefusedByPolicy.
func Dialer(p invited.OutboundPolicy) *net.Dialer {
	return &net.Dialer{
		Timeout:   dialTimeout,
		KeepAlive: 30 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				// Not an IP and port: nothing the policy could judge,
				// so nothing to connect to.
				return &invited.RefusedAddressError{Reason: "unparsable (" + strconv.Quote(address) + ")"}
			}
			return p.Check(ap.Addr())
		},
	}
}

// Transport returns an HTTP transport like http.DefaultTransport that
// dials with Dialer(p), and uses no proxy: through a proxy the connection
// would go to the proxy's address and the policy would judge that instead
// of the endpoint's, so the environment's HTTP_PROXY and HTTPS_PROXY are
// ignored.
func Transport(p invited.OutboundPolicy) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.DialContext = Dialer(p).DialContext
	return t
}

// Client returns a client with Transport(p) that gives up on a request
// after timeout. It follows redirects as http.Client does, each to an
// address the policy allows; callers that must not follow them say so in
// CheckRedirect.
func Client(p invited.OutboundPolicy, timeout time.Duration) *http.Client {
	return &http.Client{Transport: Transport(p), Timeout: timeout}
}

// StatusError is an answer with a status the caller takes for a failure.
type StatusError struct {
	StatusCode int
	// Body is the start of the answer, fit to log, when the caller kept
	// it.
	Body string
}

// Error tells the status and the body, for the operator's log; Category
// tells only the status.
func (e *StatusError) Error() string {
	msg := "HTTP " + strconv.Itoa(e.StatusCode)
	// http.StatusText rather than the response's reason phrase, which the
	// server chooses.
	if text := http.StatusText(e.StatusCode); text != "" {
		msg += " (" + text + ")"
	}
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// The categories of Category.
const (
	RefusedByPolicy = "refused_by_policy"
	Timeout         = "timeout"
	DNSError        = "dns_error"
	TLSError        = "tls_error"
	ConnectError    = "connect_error"
	Cancelled       = "cancelled"
	// HTTPStatus is followed by the status: "http_status 503".
	HTTPStatus = "http_status"
)

// Category tells what became of a request by err, in a word fit to show
// whoever aimed it: refused_by_policy (the policy refused the address),
// http_status N (the server answered N, a *StatusError), dns_error (the
// name did not resolve), timeout, tls_error (no TLS connection could be
// made), cancelled, and connect_error for any other failure to get an
// answer (connection refused or reset, an answer that is not HTTP). It
// never carries the addresses, ports or messages behind the failure: told
// apart, "connection refused", "timeout" and a status would map the
// network they were found on. A nil err is "".
func Category(err error) string {
	var (
		status *StatusError
		dns    *net.DNSError
		ne     net.Error
	)
	switch {
	case err == nil:
		return ""
	case errors.Is(err, invited.ErrRefusedByPolicy):
		return RefusedByPolicy
	case errors.As(err, &status):
		return HTTPStatus + " " + strconv.Itoa(status.StatusCode)
	case errors.As(err, &dns):
		return DNSError
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return Timeout
	case errors.Is(err, context.Canceled):
		return Cancelled
	case isTLS(err):
		return TLSError
	}
	return ConnectError
}

// isTLS reports whether err is a failure to make a TLS connection: a
// certificate that does not verify, an alert, or a server that does not
// speak TLS.
func isTLS(err error) bool {
	if errors.Is(err, http.ErrSchemeMismatch) {
		return true
	}
	var (
		verify   *tls.CertificateVerificationError
		record   tls.RecordHeaderError
		alert    tls.AlertError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
	)
	return errors.As(err, &verify) || errors.As(err, &record) || errors.As(err, &alert) ||
		errors.As(err, &unknown) || errors.As(err, &hostname) || errors.As(err, &invalid)
}

// Unreached reports whether err is a request that got no answer, as
// opposed to an answer the caller could not use: it is, or wraps, the
// *url.Error of http.Client.Do.
func Unreached(err error) bool {
	var ue *url.Error
	return errors.As(err, &ue)
}
