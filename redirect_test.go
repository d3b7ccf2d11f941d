package invited_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/invitedhq/invited"
)

// TestAllowedRedirectOrigins: an allowed origin is exactly scheme://host[:port]
// of one host, kept in lower case; wildcards and everything else are refused,
// naming the value.
func TestAllowedRedirectOrigins(t *testing.T) {
	tests := []struct {
		in   string
		want string // the stored origin; "" when refused
		msg  string // the start of the refusal
	}{
		{in: "https://app.example.com", want: "https://app.example.com"},
		{in: " HTTPS://App.Example.COM/ ", want: "https://app.example.com"},
		{in: "https://example.com:8443", want: "https://example.com:8443"},
		{in: "http://localhost:3000", want: "http://localhost:3000"},
		{in: "http://127.0.0.1:8080", want: "http://127.0.0.1:8080"},
		{in: "http://[::1]:8080", want: "http://[::1]:8080"},
		{in: "https://xn--bcher-kva.example", want: "https://xn--bcher-kva.example"},
		{in: "https://example.com.evil.test", want: "https://example.com.evil.test"}, // a host of its own

		{in: "https://*.example.com", msg: "wildcards are not supported"},
		{in: "https://*", msg: "wildcards are not supported"},
		{in: "*", msg: "wildcards are not supported"},
		{in: "https://ex*ample.com", msg: "wildcards are not supported"},
		{in: "https://a@b.com", msg: "not an origin"},
		{in: "https://example.com/path", msg: "not an origin"},
		{in: "https://example.com?q=1", msg: "not an origin"},
		{in: "https://example.com#top", msg: "not an origin"},
		{in: "https://example.com:", msg: "not an origin"},
		{in: "https://example.com:0", msg: "not an origin"},
		{in: "https://example.com:65536", msg: "not an origin"},
		{in: "https://example.com.", msg: "not an origin"},
		{in: "https://example..com", msg: "not an origin"},
		{in: "https://bücher.example", msg: "not an origin"}, // IDNs in their xn-- form
		{in: "https://ex_ample.com", msg: "not an origin"},
		{in: "https://-example.com", msg: "not an origin"},
		{in: "https://01.2.3.4", msg: "not an origin"},
		{in: "https://0x7f.1", msg: "not an origin"},
		{in: "http://[fe80::1%25eth0]", msg: "not an origin"},
		{in: "ftp://example.com", msg: "not an origin"},
		{in: "javascript:alert(1)", msg: "not an origin"},
		{in: "//example.com", msg: "not an origin"},
		{in: "https:example.com", msg: "not an origin"},
		{in: "example.com", msg: "not an origin"},
		{in: "", msg: "not an origin"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			org, err := invited.NewOrganization(invited.OrganizationCreate{Name: "Acme",
				Settings: &invited.OrgSettingsPatch{AllowedRedirectOrigins: &[]string{tt.in}}}, time.Now())
			if tt.want != "" {
				if err != nil || len(org.Settings.AllowedRedirectOrigins) != 1 || org.Settings.AllowedRedirectOrigins[0] != tt.want {
					t.Fatalf("got %v, %v; want [%s]", org.Settings.AllowedRedirectOrigins, err, tt.want)
				}
				return
			}
			var e *invited.Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v, %v; want a field error", org.Settings.AllowedRedirectOrigins, err)
			}
			msg := e.Fields["settings.allowed_redirect_origins"]
			if !strings.HasPrefix(msg, tt.msg) || !strings.Contains(msg, tt.in) {
				t.Fatalf("field error %q (%v), want %q… naming %q", msg, err, tt.msg, tt.in)
			}
		})
	}
}

// TestRedirectAllowed: a redirect goes only to a URL whose origin is one
// of the allowlist's, compared exactly.
func TestRedirectAllowed(t *testing.T) {
	org, err := invited.NewOrganization(invited.OrganizationCreate{Name: "Acme", Settings: &invited.OrgSettingsPatch{
		AllowedRedirectOrigins: &[]string{"https://Example.com", "http://localhost:3000"}}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		url  string
		want bool
	}{
		{"https://example.com", true},
		{"https://example.com/welcome?next=/x#top", true},
		{"HTTPS://EXAMPLE.COM/welcome", true},
		{"http://localhost:3000/callback", true},
		{"https://example.com.evil.test/", false},
		{"https://evil-example.com/", false},
		{"https://evilexample.com/", false},
		{"https://sub.example.com/", false},
		{"https://example.com@evil.test/", false},
		{"https://evil.test#@example.com", false},
		{"https://evil.test?https://example.com", false},
		{"https://evil.test/https://example.com", false},
		{`https://example.com\@evil.test`, false},
		{"http://example.com/", false},
		{"https://example.com:8443/", false},
		{"https://example.com:443/", false}, // ports are compared as written
		{"https://example.com./", false},
		{"//example.com/welcome", false},
		{"/welcome", false},
		{"javascript:alert(1)//https://example.com", false},
		{"http://localhost:3001/callback", false},
	}
	for _, tt := range tests {
		if got := org.Settings.RedirectAllowed(tt.url); got != tt.want {
			t.Errorf("RedirectAllowed(%q) = %v, want %v", tt.url, got, tt.want)
		}
	}
	if invited.DefaultOrgSettings().RedirectAllowed("https://example.com/") {
		t.Error("an empty allowlist admits a redirect")
	}
}
