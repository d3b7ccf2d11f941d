// Package config reads invited's configuration from flags and INVITED_*
// environment variables. There is no global: callers get a Config value and
// pass it on, which is what lets tests run many servers side by side.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/ratelimit"
	"github.com/invitedhq/invited/internal/secretbox"
)

// Config is everything `invited serve` needs.
type Config struct {
	Addr        string // INVITED_ADDR
	DatabaseURL string // INVITED_DATABASE_URL: sqlite:PATH
	PublicURL   string // INVITED_PUBLIC_URL: base of the links in invitations; empty: serve's bound address
	AdminAPIKey string // INVITED_ADMIN_API_KEY (or _FILE): ensured to exist as an admin key

	JWTIssuer   string // INVITED_JWT_ISSUER: user access tokens are accepted when set
	JWKSURL     string // INVITED_JWKS_URL
	JWTAudience string // INVITED_JWT_AUDIENCE: optional

	LogFormat string // INVITED_LOG_FORMAT: json or text
	LogLevel  string // INVITED_LOG_LEVEL: debug, info, warn, error

	SweepInterval time.Duration // INVITED_SWEEP_INTERVAL: how often overdue invitations are marked expired

	// Retention is the system-wide retention (docs/retention.md), which
	// organizations' settings may override: INVITED_RETAIN_MESSAGES,
	// INVITED_RETAIN_AUDIT_EVENTS and INVITED_RETAIN_ENDED_INVITATIONS, each
	// a duration ("30d", "720h") or off (keep forever). RetentionInterval
	// (INVITED_RETENTION_INTERVAL) is how often it is applied.
	Retention         invited.Retention
	RetentionInterval time.Duration

	SMTPURL         string        // INVITED_SMTP_URL (or _FILE): email transport; unset logs emails instead
	EmailTemplates  string        // INVITED_EMAIL_TEMPLATES: directory of templates overriding the embedded ones
	SMSURL          string        // INVITED_SMS_URL (or _FILE): Twilio-compatible SMS transport; unset logs texts instead
	ReminderBefore  time.Duration // INVITED_REMINDER_BEFORE: remind invitees this long before expiry; 0 disables
	DeliveryHorizon time.Duration // INVITED_DELIVERY_HORIZON: retry a message this long before it goes dead

	RateLimitCreate ratelimit.Rate // INVITED_RATE_LIMIT_CREATE: invitations created per organization
	RateLimitPublic ratelimit.Rate // INVITED_RATE_LIMIT_PUBLIC: invitation-link requests per client address
	RateLimitJoin   ratelimit.Rate // INVITED_RATE_LIMIT_JOIN_LINK: uses of each join link
	TrustedProxies  []netip.Prefix // INVITED_TRUSTED_PROXIES: proxies whose X-Forwarded-For is believed

	// DNSResolver (INVITED_DNS_RESOLVER) is the DNS server, host:port,
	// that verified domains' TXT records are looked up at; "" asks the
	// system's resolvers.
	DNSResolver string

	// APIKeyCache (INVITED_API_KEY_CACHE) is how long an instance trusts
	// an API key it has verified without reading it again, and so how
	// long a key revoked on one instance may still work on another; 0
	// reads the key on every request. At most MaxAPIKeyCache.
	APIKeyCache time.Duration

	// OutboundAllow (INVITED_OUTBOUND_ALLOW) lets webhook deliveries and
	// calls to apps' OAuth platforms reach these prefixes of the
	// service's own network, which are refused otherwise.
	OutboundAllow []netip.Prefix

	// Secrets are the keys that encrypt what the service must read back
	// (apps' OAuth client secrets): INVITED_ENCRYPTION_KEYS (or _FILE),
	// comma-separated id:base64key, the first one encrypting. Only from
	// the environment or a file, never a flag: flags end up in shell
	// history and process listings.
	Secrets *secretbox.Keyring

	Dev bool // INVITED_DEV: serve GET /dev/outbox, the mailbox of what would have been sent
}

// Default returns the configuration of a fresh install.
func Default() Config {
	noKeys, _ := secretbox.Parse("") // cannot fail
	return Config{
		Secrets:       noKeys,
		Addr:          ":8080",
		DatabaseURL:   "sqlite:invited.db",
		LogFormat:     "json",
		LogLevel:      "info",
		SweepInterval: time.Minute,

		Retention: invited.Retention{
			Messages:         invited.Duration(30 * 24 * time.Hour),
			AuditEvents:      invited.Duration(365 * 24 * time.Hour),
			EndedInvitations: invited.Duration(invited.MaxInvitationTTL),
		},
		RetentionInterval: time.Hour,

		ReminderBefore:  72 * time.Hour,
		DeliveryHorizon: 72 * time.Hour,
		RateLimitCreate: ratelimit.Rate{N: 600, Per: time.Minute},
		RateLimitPublic: ratelimit.Rate{N: 60, Per: time.Minute},
		RateLimitJoin:   ratelimit.Rate{N: 600, Per: time.Minute},
		APIKeyCache:     2 * time.Second,
	}
}

// MaxAPIKeyCache bounds APIKeyCache: the documented promise that a
// revoked key stops working everywhere within seconds holds whatever the
// configuration.
const MaxAPIKeyCache = 10 * time.Second

// Parse reads configuration for a subcommand: defaults, then the
// environment, then flags, each overriding the one before. Secrets may come
// from files (INVITED_ADMIN_API_KEY_FILE), so that they stay out of the
// process environment and shell history.
func Parse(name string, args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	c := Default()
	env := func(key string, dst *string) error {
		if v := getenv("INVITED_" + key); v != "" {
			*dst = v
		}
		if path := getenv("INVITED_" + key + "_FILE"); path != "" {
			b, err := os.ReadFile(path)
			if err != nil {
				return fmt.Errorf("INVITED_%s_FILE: %w", key, err)
			}
			*dst = strings.TrimSpace(string(b))
		}
		return nil
	}
	var dev, encryptionKeys string
	for key, dst := range map[string]*string{
		"ADDR": &c.Addr, "DATABASE_URL": &c.DatabaseURL, "PUBLIC_URL": &c.PublicURL,
		"ADMIN_API_KEY": &c.AdminAPIKey, "JWT_ISSUER": &c.JWTIssuer, "JWKS_URL": &c.JWKSURL,
		"JWT_AUDIENCE": &c.JWTAudience, "LOG_FORMAT": &c.LogFormat, "LOG_LEVEL": &c.LogLevel,
		"SMTP_URL": &c.SMTPURL, "EMAIL_TEMPLATES": &c.EmailTemplates, "SMS_URL": &c.SMSURL, "DEV": &dev,
		"ENCRYPTION_KEYS": &encryptionKeys, "DNS_RESOLVER": &c.DNSResolver,
	} {
		if err := env(key, dst); err != nil {
			return c, err
		}
	}
	var err error
	if c.Secrets, err = secretbox.Parse(encryptionKeys); err != nil {
		return c, fmt.Errorf("INVITED_ENCRYPTION_KEYS: %w", err)
	}
	if dev != "" {
		if c.Dev, err = strconv.ParseBool(dev); err != nil {
			return c, fmt.Errorf("INVITED_DEV: %w", err)
		}
	}
	// Values that parse are flag.Values, so that the environment and the
	// flags read them alike.
	values := []struct {
		key, flag, usage string
		v                flag.Value
	}{
		{"SWEEP_INTERVAL", "sweep-interval", "how often overdue invitations are marked expired", (*durationValue)(&c.SweepInterval)},
		{"REMINDER_BEFORE", "reminder-before", "remind invitees this long before their invitation expires; 0 disables", (*durationValue)(&c.ReminderBefore)},
		{"DELIVERY_HORIZON", "delivery-horizon", "how long a message is retried before it goes dead", (*durationValue)(&c.DeliveryHorizon)},
		{"RATE_LIMIT_CREATE", "rate-limit-create", "invitations created per organization, as N/PERIOD or off", (*rateValue)(&c.RateLimitCreate)},
		{"RATE_LIMIT_PUBLIC", "rate-limit-public", "invitation-link lookups, accepts and declines per client address, as N/PERIOD or off", (*rateValue)(&c.RateLimitPublic)},
		{"RATE_LIMIT_JOIN_LINK", "rate-limit-join-link", "attempts to join through one join link, as N/PERIOD or off", (*rateValue)(&c.RateLimitJoin)},
		{"API_KEY_CACHE", "api-key-cache", "how long a verified API key is trusted without reading it again, and so how long a key revoked on another instance may still work here; 0 disables, at most 10s", (*durationValue)(&c.APIKeyCache)},
		{"TRUSTED_PROXIES", "trusted-proxies", "comma-separated addresses or CIDR prefixes of proxies whose X-Forwarded-For is believed", (*prefixesValue)(&c.TrustedProxies)},
		{"RETAIN_MESSAGES", "retain-messages", "how long a delivered, dead or cancelled message and its delivery attempts are kept, as a duration (30d, 720h) or off", (*retentionValue)(&c.Retention.Messages)},
		{"RETAIN_AUDIT_EVENTS", "retain-audit-events", "how long audit events are kept, as a duration (365d) or off", (*retentionValue)(&c.Retention.AuditEvents)},
		{"RETAIN_ENDED_INVITATIONS", "retain-ended-invitations", "how long after an invitation, app invite or join request ended unaccepted its personal data is cleared, as a duration (90d) or off", (*retentionValue)(&c.Retention.EndedInvitations)},
		{"RETENTION_INTERVAL", "retention-interval", "how often the retention is applied", (*durationValue)(&c.RetentionInterval)},
		{"OUTBOUND_ALLOW", "outbound-allow", "comma-separated addresses or CIDR prefixes of the internal network that webhooks and OAuth platforms may reach; loopback, private and link-local are refused otherwise", (*prefixesValue)(&c.OutboundAllow)},
	}
	for _, v := range values {
		if s := getenv("INVITED_" + v.key); s != "" {
			if err := v.v.Set(s); err != nil {
				return c, fmt.Errorf("INVITED_%s: %w", v.key, err)
			}
		}
	}

	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address (INVITED_ADDR)")
	fs.StringVar(&c.DatabaseURL, "database", c.DatabaseURL, "database URL: sqlite:PATH (INVITED_DATABASE_URL)")
	fs.StringVar(&c.PublicURL, "public-url", c.PublicURL, "base URL of links in invitations (INVITED_PUBLIC_URL); default http://localhost:PORT of the listen address")
	fs.StringVar(&c.JWTIssuer, "jwt-issuer", c.JWTIssuer, "issuer of user access tokens (INVITED_JWT_ISSUER)")
	fs.StringVar(&c.JWKSURL, "jwks-url", c.JWKSURL, "JWKS URL of the token issuer (INVITED_JWKS_URL)")
	fs.StringVar(&c.JWTAudience, "jwt-audience", c.JWTAudience, "required audience of user access tokens (INVITED_JWT_AUDIENCE)")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "json or text (INVITED_LOG_FORMAT)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error (INVITED_LOG_LEVEL)")
	fs.StringVar(&c.SMTPURL, "smtp-url", c.SMTPURL, "SMTP server: smtp://user:pass@host:587?from=... (INVITED_SMTP_URL)")
	fs.StringVar(&c.EmailTemplates, "email-templates", c.EmailTemplates, "directory of email templates overriding the embedded ones (INVITED_EMAIL_TEMPLATES)")
	fs.StringVar(&c.SMSURL, "sms-url", c.SMSURL, "Twilio-compatible SMS API: https://SID:TOKEN@api.twilio.com?from=+1... (INVITED_SMS_URL)")
	fs.StringVar(&c.DNSResolver, "dns-resolver", c.DNSResolver, "DNS server, host:port, that domain verification records are looked up at; default the system's (INVITED_DNS_RESOLVER)")
	fs.BoolVar(&c.Dev, "dev", c.Dev, "development mode: serve GET /dev/outbox with what would have been sent (INVITED_DEV)")
	for _, v := range values {
		fs.Var(v.v, v.flag, v.usage+" (INVITED_"+v.key+")")
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	return c, c.validate()
}

func (c Config) validate() error {
	var errs []error
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("public URL %q must be an absolute http(s) URL", c.PublicURL))
		}
	}
	if (c.JWTIssuer == "") != (c.JWKSURL == "") {
		errs = append(errs, errors.New("set both INVITED_JWT_ISSUER and INVITED_JWKS_URL, or neither"))
	}
	if c.AdminAPIKey != "" && len(c.AdminAPIKey) < 16 {
		errs = append(errs, errors.New("INVITED_ADMIN_API_KEY must be at least 16 characters"))
	}
	switch c.LogFormat {
	case "json", "text":
	default:
		errs = append(errs, fmt.Errorf("log format %q: want json or text", c.LogFormat))
	}
	if c.SweepInterval < time.Second {
		errs = append(errs, errors.New("sweep interval must be at least 1s"))
	}
	if c.ReminderBefore < 0 {
		errs = append(errs, errors.New("reminder-before must not be negative"))
	}
	if c.APIKeyCache < 0 || c.APIKeyCache > MaxAPIKeyCache {
		errs = append(errs, fmt.Errorf("api-key-cache must be between 0s and %v", MaxAPIKeyCache))
	}
	if c.DNSResolver != "" {
		if _, _, err := net.SplitHostPort(c.DNSResolver); err != nil {
			errs = append(errs, fmt.Errorf("INVITED_DNS_RESOLVER %q: want host:port", c.DNSResolver))
		}
	}
	if c.DeliveryHorizon < time.Minute {
		errs = append(errs, errors.New("delivery horizon must be at least 1m"))
	}
	if err := invited.CheckSystemRetention(c.Retention, func(part string) string {
		return "INVITED_RETAIN_" + strings.ToUpper(part)
	}); err != nil {
		errs = append(errs, err)
	}
	if m := time.Duration(c.Retention.Messages); m > 0 && m < c.DeliveryHorizon {
		errs = append(errs, fmt.Errorf("INVITED_RETAIN_MESSAGES %s is shorter than INVITED_DELIVERY_HORIZON %s: a finished message must be kept at least as long as the outbox retries one",
			invited.FormatRetention(m), c.DeliveryHorizon))
	}
	if c.RetentionInterval < time.Minute {
		errs = append(errs, errors.New("retention interval must be at least 1m"))
	}
	return errors.Join(errs...)
}

// Outbound is the policy of the outbound requests that API users aim.
func (c Config) Outbound() invited.OutboundPolicy {
	return invited.OutboundPolicy{Allow: c.OutboundAllow}
}

// PublicLink is the secret link a claimed letter carries: an invitation's,
// or a join confirmation's (invited.LetterLink).
func (c Config) PublicLink(m *invited.Message) string { return invited.LetterLink(c.PublicURL, m) }

type durationValue time.Duration

func (d *durationValue) String() string { return time.Duration(*d).String() }

func (d *durationValue) Set(s string) error {
	v, err := time.ParseDuration(s)
	*d = durationValue(v)
	return err
}

// retentionValue reads a retention period: a duration in the API's
// syntax (invited.ParseDuration: "30d", "720h") or off, which keeps
// forever, as 0 does.
type retentionValue invited.Duration

func (r *retentionValue) String() string {
	if *r == 0 {
		return "off"
	}
	return invited.FormatRetention(time.Duration(*r))
}

func (r *retentionValue) Set(s string) error {
	if s == "off" {
		*r = 0
		return nil
	}
	v, err := invited.ParseDuration(s)
	*r = retentionValue(v)
	return err
}

type rateValue ratelimit.Rate

func (r *rateValue) String() string { return ratelimit.Rate(*r).String() }

func (r *rateValue) Set(s string) error {
	v, err := ratelimit.ParseRate(s)
	*r = rateValue(v)
	return err
}

type prefixesValue []netip.Prefix

func (p *prefixesValue) String() string {
	var out []string
	for _, prefix := range *p {
		out = append(out, prefix.String())
	}
	return strings.Join(out, ",")
}

// Set reads addresses ("10.0.0.1", a single host) and CIDR prefixes
// ("10.0.0.0/8").
func (p *prefixesValue) Set(s string) error {
	*p = nil
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		prefix, err := netip.ParsePrefix(item)
		if err != nil {
			addr, aerr := netip.ParseAddr(item)
			if aerr != nil {
				return fmt.Errorf("%q is neither an address nor a CIDR prefix", item)
			}
			prefix = netip.PrefixFrom(addr, addr.BitLen())
		}
		*p = append(*p, prefix.Masked())
	}
	return nil
}
