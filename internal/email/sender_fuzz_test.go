package email

import (
	"strings"
	"testing"

	"github.com/invitedhq/invited/internal/testutil"
)

// FuzzSMTPURL reads any text as INVITED_SMTP_URL: either it is refused with
// an error that does not show the password, or it names a host, a port in
// range, a From address, a positive timeout and a known security, never
// credentials in plaintext, and its description does not show the password
// either.
func FuzzSMTPURL(f *testing.F) {
	tt := mustTemplates(f, "")
	f.Fuzz(func(t *testing.T, raw string) {
		password, secret := testutil.URLPassword(raw)
		s, err := NewSender(raw, tt)
		if err != nil {
			if secret && strings.Contains(err.Error(), password) {
				t.Fatalf("%q: the error shows the password: %v", raw, err)
			}
			return
		}
		if secret && strings.Contains(s.String(), password) {
			t.Fatalf("%q: the description shows the password: %s", raw, s)
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
