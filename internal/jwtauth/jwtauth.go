// Package jwtauth verifies user access tokens (JWTs) issued by the host
// application's identity provider, using the provider's published JWKS.
package jwtauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

var (
	// ErrInvalidToken wraps every problem attributable to the token itself
	// (malformed, bad signature, expired, wrong issuer, ...). Callers should
	// answer 401.
	ErrInvalidToken = errors.New("jwtauth: invalid token")

	// ErrKeysUnavailable means the token could not be checked because the
	// JWKS could not be fetched. It is kept apart from ErrInvalidToken so an
	// identity-provider outage surfaces as a server error (503), not as users
	// being told their credentials are wrong.
	ErrKeysUnavailable = errors.New("jwtauth: signing keys unavailable")
)

// allowedAlgs lists only asymmetric algorithms. Excluding "none" and HS*
// prevents algorithm-confusion attacks where a public key is used as an
// HMAC secret.
var allowedAlgs = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256,
	jose.ES256, jose.ES384, jose.EdDSA,
}

const (
	defaultLeeway  = time.Minute
	defaultTimeout = 10 * time.Second
	// maxTokenBytes bounds work done on unauthenticated input; real access
	// tokens are a few KiB at most.
	maxTokenBytes = 64 << 10
)

// Config configures a Verifier.
type Config struct {
	Issuer     string        // required: must equal the token's "iss"
	JWKSURL    string        // required: http(s) URL of the issuer's JWKS
	Audience   string        // optional: when set, must be in the token's "aud"
	HTTPClient *http.Client  // optional; defaults to a client with a 10s timeout
	Leeway     time.Duration // allowed clock skew; zero means 1 minute
	Now        func() time.Time
}

// Claims are the identity claims the service uses from a verified token.
type Claims struct {
	Subject       string    // "sub", always non-empty
	Email         string    // "email"
	EmailVerified bool      // "email_verified"
	Phone         string    // "phone_number"
	Name          string    // "name", or "given_name family_name" when absent
	Expiry        time.Time // "exp", always set
}

// Verifier checks tokens against one issuer. It is safe for concurrent use.
type Verifier struct {
	issuer   string
	audience string
	leeway   time.Duration
	now      func() time.Time
	keys     *keyCache
}

// NewVerifier validates cfg and returns a Verifier. It does not contact the
// JWKS endpoint; keys are fetched on first use so startup does not depend on
// the identity provider being reachable.
func NewVerifier(cfg Config) (*Verifier, error) {
	if cfg.Issuer == "" {
		return nil, errors.New("jwtauth: Issuer is required")
	}
	u, err := url.Parse(cfg.JWKSURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("jwtauth: JWKSURL must be an absolute http(s) URL")
	}
	if cfg.Leeway < 0 {
		return nil, errors.New("jwtauth: Leeway must not be negative")
	}
	if cfg.Leeway == 0 {
		cfg.Leeway = defaultLeeway
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: defaultTimeout}
	}
	return &Verifier{
		issuer:   cfg.Issuer,
		audience: cfg.Audience,
		leeway:   cfg.Leeway,
		now:      cfg.Now,
		keys:     newKeyCache(cfg.JWKSURL, cfg.HTTPClient, cfg.Now),
	}, nil
}

// tokenClaims is the wire form of the payload.
type tokenClaims struct {
	jwt.Claims
	Email         string   `json:"email"`
	EmailVerified flexBool `json:"email_verified"`
	Phone         string   `json:"phone_number"`
	Name          string   `json:"name"`
	GivenName     string   `json:"given_name"`
	FamilyName    string   `json:"family_name"`
}

// Verify checks the token's signature and registered claims and returns its
// identity claims. Token problems are wrapped in ErrInvalidToken; error
// messages never contain the token or values taken from it.
func (v *Verifier) Verify(ctx context.Context, raw string) (Claims, error) {
	if len(raw) > maxTokenBytes {
		return Claims{}, invalid("token too large")
	}
	tok, err := jwt.ParseSigned(raw, allowedAlgs)
	if err != nil {
		if _, ok := errors.AsType[*jose.ErrUnexpectedSignatureAlgorithm](err); ok {
			return Claims{}, invalid("signature algorithm not allowed")
		}
		return Claims{}, invalid("malformed token")
	}
	// Compact serialization always carries exactly one signature.
	hdr := tok.Headers[0]

	keys, err := v.keys.get(ctx, hdr.KeyID)
	if err != nil {
		return Claims{}, err
	}
	verified := false
	for _, k := range keys {
		// A key the JWKS pins to one algorithm must not verify another.
		if k.Algorithm != "" && k.Algorithm != hdr.Algorithm {
			continue
		}
		if tok.Claims(k.Key) == nil {
			verified = true
			break
		}
	}
	if !verified {
		return Claims{}, invalid("signature verification failed")
	}

	// The signature over this exact payload was verified above; decoding it
	// separately lets a malformed-claims error be reported as such.
	var tc tokenClaims
	if err := tok.UnsafeClaimsWithoutVerification(&tc); err != nil {
		return Claims{}, invalid("malformed claims")
	}
	// go-jose treats exp as optional; a token that never expires is not an
	// acceptable access token.
	if tc.Expiry == nil {
		return Claims{}, invalid("missing exp")
	}
	want := jwt.Expected{Issuer: v.issuer, Time: v.now()}
	if v.audience != "" {
		want.AnyAudience = jwt.Audience{v.audience}
	}
	if err := tc.ValidateWithLeeway(want, v.leeway); err != nil {
		// go-jose's validation errors are fixed strings; wrapping them lets
		// callers distinguish e.g. jwt.ErrExpired.
		return Claims{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if tc.Subject == "" {
		return Claims{}, invalid("missing sub")
	}

	name := tc.Name
	if name == "" {
		name = strings.TrimSpace(tc.GivenName + " " + tc.FamilyName)
	}
	return Claims{
		Subject:       tc.Subject,
		Email:         tc.Email,
		EmailVerified: bool(tc.EmailVerified),
		Phone:         tc.Phone,
		Name:          name,
		Expiry:        tc.Expiry.Time().UTC(),
	}, nil
}

func invalid(reason string) error {
	return fmt.Errorf("%w: %s", ErrInvalidToken, reason)
}

// flexBool accepts both JSON booleans and the strings "true"/"false",
// because some providers (e.g. AWS Cognito) encode email_verified as a
// string.
type flexBool bool

func (b *flexBool) UnmarshalJSON(data []byte) error {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case nil:
		*b = false
	case bool:
		*b = flexBool(x)
	case string:
		*b = x == "true"
	default:
		return errors.New("email_verified: not a boolean")
	}
	return nil
}

// LooksLikeJWT reports whether s has the shape of a compact JWS: three
// non-empty, dot-separated base64url segments. It only routes credentials
// (JWT vs. "ik_..." API key); it does not validate anything.
func LooksLikeJWT(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts {
		if p == "" || strings.IndexFunc(p, notBase64URL) >= 0 {
			return false
		}
	}
	return true
}

func notBase64URL(r rune) bool {
	return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_')
}
