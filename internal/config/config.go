// Package config reads invited's configuration from flags and INVITED_*
// environment variables. There is no global: callers get a Config value and
// pass it on, which is what lets tests run many servers side by side.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"
)

// Config is everything `invited serve` needs.
type Config struct {
	Addr        string // INVITED_ADDR
	DatabaseURL string // INVITED_DATABASE_URL: sqlite:PATH
	PublicURL   string // INVITED_PUBLIC_URL: base of the links in invitations
	AdminAPIKey string // INVITED_ADMIN_API_KEY (or _FILE): ensured to exist as an admin key

	JWTIssuer   string // INVITED_JWT_ISSUER: user access tokens are accepted when set
	JWKSURL     string // INVITED_JWKS_URL
	JWTAudience string // INVITED_JWT_AUDIENCE: optional

	LogFormat string // INVITED_LOG_FORMAT: json or text
	LogLevel  string // INVITED_LOG_LEVEL: debug, info, warn, error

	SweepInterval time.Duration // INVITED_SWEEP_INTERVAL: how often overdue invitations are marked expired
}

// Default returns the configuration of a fresh install.
func Default() Config {
	return Config{
		Addr:          ":8080",
		DatabaseURL:   "sqlite:invited.db",
		PublicURL:     "http://localhost:8080",
		LogFormat:     "json",
		LogLevel:      "info",
		SweepInterval: time.Minute,
	}
}

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
	var sweep string
	for key, dst := range map[string]*string{
		"ADDR": &c.Addr, "DATABASE_URL": &c.DatabaseURL, "PUBLIC_URL": &c.PublicURL,
		"ADMIN_API_KEY": &c.AdminAPIKey, "JWT_ISSUER": &c.JWTIssuer, "JWKS_URL": &c.JWKSURL,
		"JWT_AUDIENCE": &c.JWTAudience, "LOG_FORMAT": &c.LogFormat, "LOG_LEVEL": &c.LogLevel,
		"SWEEP_INTERVAL": &sweep,
	} {
		if err := env(key, dst); err != nil {
			return c, err
		}
	}
	if sweep != "" {
		d, err := time.ParseDuration(sweep)
		if err != nil {
			return c, fmt.Errorf("INVITED_SWEEP_INTERVAL: %w", err)
		}
		c.SweepInterval = d
	}

	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address (INVITED_ADDR)")
	fs.StringVar(&c.DatabaseURL, "database", c.DatabaseURL, "database URL: sqlite:PATH (INVITED_DATABASE_URL)")
	fs.StringVar(&c.PublicURL, "public-url", c.PublicURL, "base URL of links in invitations (INVITED_PUBLIC_URL)")
	fs.StringVar(&c.JWTIssuer, "jwt-issuer", c.JWTIssuer, "issuer of user access tokens (INVITED_JWT_ISSUER)")
	fs.StringVar(&c.JWKSURL, "jwks-url", c.JWKSURL, "JWKS URL of the token issuer (INVITED_JWKS_URL)")
	fs.StringVar(&c.JWTAudience, "jwt-audience", c.JWTAudience, "required audience of user access tokens (INVITED_JWT_AUDIENCE)")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "json or text (INVITED_LOG_FORMAT)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error (INVITED_LOG_LEVEL)")
	fs.DurationVar(&c.SweepInterval, "sweep-interval", c.SweepInterval, "how often overdue invitations are marked expired (INVITED_SWEEP_INTERVAL)")
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
	u, err := url.Parse(c.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("public URL %q must be an absolute http(s) URL", c.PublicURL))
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
	return errors.Join(errs...)
}

// PublicLink is the secret link of an invitation token.
func (c Config) PublicLink(token string) string {
	return strings.TrimRight(c.PublicURL, "/") + "/i/" + token
}
