package config

import (
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/ratelimit"
	"github.com/invitedhq/invited/internal/secretbox"
)

func TestParse(t *testing.T) {
	secretFile := filepath.Join(t.TempDir(), "admin")
	if err := os.WriteFile(secretFile, []byte("from-a-file-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	encryptionKeys := secretbox.NewKey("new") + "," + secretbox.NewKey("old")
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantErr bool
		check   func(t *testing.T, c Config)
	}{
		{name: "defaults", check: func(t *testing.T, c Config) {
			if !reflect.DeepEqual(c, Default()) {
				t.Fatalf("%+v", c)
			}
		}},
		{name: "environment", env: map[string]string{"INVITED_ADDR": ":9000", "INVITED_DATABASE_URL": "sqlite:x.db", "INVITED_SWEEP_INTERVAL": "5s"},
			check: func(t *testing.T, c Config) {
				if c.Addr != ":9000" || c.DatabaseURL != "sqlite:x.db" || c.SweepInterval != 5*time.Second {
					t.Fatalf("%+v", c)
				}
			}},
		{name: "flags win over environment", env: map[string]string{"INVITED_ADDR": ":9000"}, args: []string{"--addr", ":9001"},
			check: func(t *testing.T, c Config) {
				if c.Addr != ":9001" {
					t.Fatalf("%+v", c)
				}
			}},
		{name: "secret from file", env: map[string]string{"INVITED_ADMIN_API_KEY_FILE": secretFile},
			check: func(t *testing.T, c Config) {
				if c.AdminAPIKey != "from-a-file-0123456789" {
					t.Fatalf("%q", c.AdminAPIKey)
				}
			}},
		{name: "encryption keys", env: map[string]string{"INVITED_ENCRYPTION_KEYS": encryptionKeys},
			check: func(t *testing.T, c Config) {
				if c.Secrets.SealingKey() != "new" {
					t.Fatalf("sealing key %q, want new", c.Secrets.SealingKey())
				}
			}},
		{name: "bad encryption key", env: map[string]string{"INVITED_ENCRYPTION_KEYS": "k1:c2hvcnQ="}, wantErr: true},
		{name: "missing secret file", env: map[string]string{"INVITED_ADMIN_API_KEY_FILE": "/nonexistent"}, wantErr: true},
		{name: "short admin key", env: map[string]string{"INVITED_ADMIN_API_KEY": "short"}, wantErr: true},
		{name: "bad public url", args: []string{"--public-url", "example.com"}, wantErr: true},
		{name: "issuer without jwks", env: map[string]string{"INVITED_JWT_ISSUER": "https://id.example.com"}, wantErr: true},
		{name: "bad log format", args: []string{"--log-format", "xml"}, wantErr: true},
		{name: "bad sweep interval", env: map[string]string{"INVITED_SWEEP_INTERVAL": "soon"}, wantErr: true},
		{name: "delivery settings", env: map[string]string{"INVITED_SMTP_URL": "smtp://mail:25?from=a@b.co&tls=none",
			"INVITED_REMINDER_BEFORE": "0s", "INVITED_DELIVERY_HORIZON": "24h", "INVITED_RATE_LIMIT_CREATE": "off",
			"INVITED_RATE_LIMIT_PUBLIC": "10/1s", "INVITED_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.7", "INVITED_DEV": "true"},
			check: func(t *testing.T, c Config) {
				want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.7/32")}
				if c.SMTPURL == "" || c.ReminderBefore != 0 || c.DeliveryHorizon != 24*time.Hour || c.RateLimitCreate != (ratelimit.Rate{}) ||
					c.RateLimitPublic != (ratelimit.Rate{N: 10, Per: time.Second}) || !reflect.DeepEqual(c.TrustedProxies, want) || !c.Dev {
					t.Fatalf("%+v", c)
				}
			}},
		{name: "flags for delivery settings", args: []string{"--dev", "--rate-limit-public", "5/m", "--reminder-before", "48h"},
			check: func(t *testing.T, c Config) {
				if !c.Dev || c.RateLimitPublic != (ratelimit.Rate{N: 5, Per: time.Minute}) || c.ReminderBefore != 48*time.Hour {
					t.Fatalf("%+v", c)
				}
			}},
		{name: "outbound allow-list", env: map[string]string{"INVITED_OUTBOUND_ALLOW": "10.20.0.0/16, fd00::/8,127.0.0.1"},
			check: func(t *testing.T, c Config) {
				want := []netip.Prefix{netip.MustParsePrefix("10.20.0.0/16"), netip.MustParsePrefix("fd00::/8"), netip.MustParsePrefix("127.0.0.1/32")}
				if !reflect.DeepEqual(c.OutboundAllow, want) || !reflect.DeepEqual(c.Outbound().Allow, want) {
					t.Fatalf("OutboundAllow %v, want %v", c.OutboundAllow, want)
				}
			}},
		{name: "outbound allow-list flag", args: []string{"--outbound-allow", "::1"},
			check: func(t *testing.T, c Config) {
				if want := []netip.Prefix{netip.MustParsePrefix("::1/128")}; !reflect.DeepEqual(c.OutboundAllow, want) {
					t.Fatalf("OutboundAllow %v, want %v", c.OutboundAllow, want)
				}
			}},
		{name: "DNS resolver", env: map[string]string{"INVITED_DNS_RESOLVER": "127.0.0.1:5353"},
			check: func(t *testing.T, c Config) {
				if c.DNSResolver != "127.0.0.1:5353" {
					t.Fatalf("DNSResolver %q", c.DNSResolver)
				}
			}},
		{name: "bad DNS resolver", env: map[string]string{"INVITED_DNS_RESOLVER": "127.0.0.1"}, wantErr: true},
		{name: "bad outbound allow-list", env: map[string]string{"INVITED_OUTBOUND_ALLOW": "internal.example"}, wantErr: true},
		{name: "bad rate", env: map[string]string{"INVITED_RATE_LIMIT_CREATE": "lots"}, wantErr: true},
		{name: "bad proxy", env: map[string]string{"INVITED_TRUSTED_PROXIES": "proxy.local"}, wantErr: true},
		{name: "bad dev", env: map[string]string{"INVITED_DEV": "maybe"}, wantErr: true},
		{name: "negative reminder", env: map[string]string{"INVITED_REMINDER_BEFORE": "-1h"}, wantErr: true},
		{name: "API key cache off", env: map[string]string{"INVITED_API_KEY_CACHE": "0s"},
			check: func(t *testing.T, c Config) {
				if c.APIKeyCache != 0 {
					t.Fatalf("APIKeyCache %v, want 0", c.APIKeyCache)
				}
			}},
		{name: "API key cache too long", args: []string{"--api-key-cache", "1m"}, wantErr: true},
		{name: "negative API key cache", env: map[string]string{"INVITED_API_KEY_CACHE": "-1s"}, wantErr: true},
		{name: "short horizon", args: []string{"--delivery-horizon", "1s"}, wantErr: true},
		{name: "stray argument", args: []string{"extra"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("serve", tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
}

func TestPublicLink(t *testing.T) {
	c := Config{PublicURL: "https://invited.example.com/"}
	for _, tc := range []struct{ kind, want string }{
		{invited.KindInvitation, "https://invited.example.com/i/tok"},
		{invited.KindJoinConfirmation, "https://invited.example.com/j/confirm/tok"},
	} {
		if got := c.PublicLink(&invited.Message{Kind: tc.kind, Token: "tok"}); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.kind, got, tc.want)
		}
	}
}

// TestRetention reads the retention settings and refuses, in one line
// naming the variable, what is out of bounds.
func TestRetention(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want invited.Retention
		err  string
	}{
		{name: "defaults", want: Default().Retention},
		{name: "days, hours and off", env: map[string]string{"INVITED_RETAIN_MESSAGES": "14d", "INVITED_RETAIN_AUDIT_EVENTS": "off",
			"INVITED_RETAIN_ENDED_INVITATIONS": "4320h"},
			want: invited.Retention{Messages: invited.Duration(14 * 24 * time.Hour), EndedInvitations: invited.Duration(180 * 24 * time.Hour)}},
		{name: "zero is off", env: map[string]string{"INVITED_RETAIN_MESSAGES": "0", "INVITED_RETAIN_AUDIT_EVENTS": "0s",
			"INVITED_RETAIN_ENDED_INVITATIONS": "0d"}},
		{name: "not a duration", env: map[string]string{"INVITED_RETAIN_MESSAGES": "a month"},
			err: `INVITED_RETAIN_MESSAGES: invalid duration "a month"`},
		{name: "negative", env: map[string]string{"INVITED_RETAIN_AUDIT_EVENTS": "-5d"},
			err: `INVITED_RETAIN_AUDIT_EVENTS: invalid duration "-5d"`},
		{name: "negative hours", env: map[string]string{"INVITED_RETAIN_AUDIT_EVENTS": "-5h"},
			err: "INVITED_RETAIN_AUDIT_EVENTS=-5h0m0s: must be between 7d and 3650d, or off"},
		{name: "absurdly long", env: map[string]string{"INVITED_RETAIN_MESSAGES": "36500d"},
			err: "INVITED_RETAIN_MESSAGES=36500d: must be between 7d and 3650d, or off"},
		{name: "shorter than the longest invitation", env: map[string]string{"INVITED_RETAIN_ENDED_INVITATIONS": "30d"},
			err: "INVITED_RETAIN_ENDED_INVITATIONS=30d: must be between 90d and 3650d, or off"},
		{name: "shorter than the outbox retries", env: map[string]string{"INVITED_RETAIN_MESSAGES": "8d", "INVITED_DELIVERY_HORIZON": "240h"},
			err: "INVITED_RETAIN_MESSAGES 8d is shorter than INVITED_DELIVERY_HORIZON 240h0m0s: a finished message must be kept at least as long as the outbox retries one"},
		{name: "interval too short", env: map[string]string{"INVITED_RETENTION_INTERVAL": "1s"},
			err: "retention interval must be at least 1m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("serve", nil, func(k string) string { return tt.env[k] }, io.Discard)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("err = %v, want the one line %q", err, tt.err)
				}
				return
			}
			if err != nil || c.Retention != tt.want {
				t.Fatalf("retention %+v, %v; want %+v", c.Retention, err, tt.want)
			}
		})
	}
}
