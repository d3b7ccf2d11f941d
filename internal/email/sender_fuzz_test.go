package email

import (
	"strings"
	"testing"

	"github.com/invitedhq/invited/internal/testutil"
)

// FuzzSMTPURL reads any text as INVITED_SMTP_URL: either it is refused, or
// it names a host, a port in range, a From address, a positive timeout and
// a known security, never credentials in plaintext; and with a password of
// the test's own in it, neither the error nor the description shows it.
func FuzzSMTPURL(f *testing.F) {
	tt := mustTemplates(f, "")
	f.Fuzz(func(t *testing.T, raw string) {
		if marked, password, ok := testutil.WithPassword(raw); ok {
			if s, err := NewSender(marked, tt); err != nil && strings.Contains(err.Error(), password) {
				t.Fatalf("%q: the error shows the password: %v", marked, err)
			} else if err == nil && strings.Contains(s.String(), password) {
				t.Fatalf("%q: the description shows the password: %s", marked, s)
			}
		}
		s, err := NewSender(raw, tt)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("%q: an empty error", raw)
			}
			return
		}
		switch {
		case s.host == "", s.port < 1, s.port > 65535:
			t.Fatalf("%q: host %q, port %d", raw, s.host, s.port)
		case s.from == nil || !strings.Contains(s.from.Address, "@") || s.fromDomain == "":
			t.Fatalf("%q: from %v, domain %q", raw, s.from, s.fromDomain)
		case s.timeout <= 0:
			t.Fatalf("%q: timeout %v", raw, s.timeout)
		case s.security != securityStartTLS && s.security != securityImplicit && s.security != securityNone:
			t.Fatalf("%q: security %q", raw, s.security)
		case s.security == securityNone && s.username != "":
			t.Fatalf("%q: credentials over plaintext", raw)
		case s.tlsConfig == nil || s.tlsConfig.ServerName != s.host:
			t.Fatalf("%q: TLS server name %q for host %q", raw, s.tlsConfig.ServerName, s.host)
		}
	})
}
