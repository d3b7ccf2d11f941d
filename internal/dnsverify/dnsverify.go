// Package dnsverify checks that an organization controls a domain it
// claims (issue 15): the organization publishes a DNS TXT record holding
// a token it was given, and Verify looks for it.
//
// The challenge is a TXT record named RecordName(domain) whose value is
// RecordValue(token):
//
//	_invited-challenge.acme.example. TXT "invited-domain-verification=<token>"
//
// Other TXT records at that name are allowed (another organization's
// claim, an old token), so that a domain can be verified again without
// removing anything first.
package dnsverify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// lookupTimeout bounds one Verify, whatever the context allows: a DNS
// server that does not answer must not hold an API request for long.
const lookupTimeout = 5 * time.Second

const (
	recordPrefix = "_invited-challenge."
	valuePrefix  = "invited-domain-verification="
)

// RecordName is the name of the TXT record that proves control of
// domain, without the trailing dot: what a DNS hosting provider's form
// asks for (some want only the part before the domain).
func RecordName(domain string) string {
	return recordPrefix + strings.ToLower(strings.TrimSuffix(domain, "."))
}

// RecordValue is the value that the TXT record must hold for token.
func RecordValue(token string) string { return valuePrefix + token }

// The kinds of failure of Verify, matched with errors.Is.
var (
	// ErrNotFound: there is no TXT record at the challenge name (NXDOMAIN,
	// or the name exists without TXT records). Nothing was published yet,
	// or not there.
	ErrNotFound = errors.New("verification record not found")
	// ErrMismatch: there are TXT records at the challenge name, but none
	// holds the expected value.
	ErrMismatch = errors.New("verification record does not match")
	// ErrLookup: the lookup itself failed (a timeout, SERVFAIL, the
	// context ended); trying again later may succeed.
	ErrLookup = errors.New("verification record lookup failed")
)

// Error is why Verify failed. Its message tells the record to create;
// that value holds the token, which is meant to be published in DNS, so
// the message may be shown to the organization's admins, but it is not
// for a log that others read before the record is public.
type Error struct {
	Kind   error  // ErrNotFound, ErrMismatch or ErrLookup
	Record string // RecordName(domain)
	Want   string // RecordValue(token)
	Found  int    // how many TXT records are at Record, for ErrMismatch
	Err    error  // the resolver's error, for ErrLookup and ErrNotFound
}

func (e *Error) Error() string {
	switch e.Kind {
	case ErrNotFound:
		return fmt.Sprintf("no TXT record %s: create a TXT record named %s with the value %q", e.Record, e.Record, e.Want)
	case ErrMismatch:
		return fmt.Sprintf("none of the %d TXT records at %s is %q", e.Found, e.Record, e.Want)
	default:
		return fmt.Sprintf("looking up TXT record %s: %v", e.Record, e.Err)
	}
}

// Unwrap makes errors.Is match the kind, and what the resolver's error
// matches (context.DeadlineExceeded, context.Canceled).
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// Resolver looks up challenge records.
type Resolver struct {
	r    *net.Resolver
	addr string // the server asked, or "" for the system's
}

// NewResolver returns a resolver that asks the DNS server at addr
// ("host:port") every query, over UDP with a retry over TCP when the
// answer is truncated, or the system's resolvers when addr is "".
func NewResolver(addr string) *Resolver {
	if addr == "" {
		return &Resolver{r: &net.Resolver{}}
	}
	return &Resolver{addr: addr, r: &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}}
}

// Verify returns nil when a TXT record at RecordName(domain) is
// RecordValue(token), spaces around it aside; the token is compared as
// is, case and all. A record made of several strings counts as their
// concatenation (RFC 7208 §3.3), as net.Resolver.LookupTXT joins them.
// Any other outcome is an *Error, save for an empty token, which is a
// caller's mistake and never matches.
func (r *Resolver) Verify(ctx context.Context, domain, token string) error {
	if token == "" {
		// "invited-domain-verification=" proves nothing.
		return errors.New("dnsverify: empty token")
	}
	e := &Error{Record: RecordName(domain), Want: RecordValue(token)}
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	// Rooted, so that the resolver's search domains are never tried.
	txts, err := r.r.LookupTXT(ctx, e.Record+".")
	if err != nil {
		e.Kind, e.Err = ErrLookup, err
		if dnsErr, ok := errors.AsType[*net.DNSError](err); ok {
			if dnsErr.IsNotFound {
				e.Kind = ErrNotFound
			}
			if r.addr != "" {
				// The error names the server of resolv.conf that the
				// query was meant for, not the one Dial sent it to.
				copied := *dnsErr
				copied.Server = r.addr
				e.Err = &copied
			}
		}
		return e
	}
	for _, txt := range txts {
		if strings.TrimSpace(txt) == e.Want {
			return nil
		}
	}
	// LookupTXT returns at least one record or an error.
	e.Kind, e.Found = ErrMismatch, len(txts)
	return e
}
