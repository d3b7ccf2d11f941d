// Package idp is an identity provider for tests: a real JWKS endpoint on
// a local listener, and user access tokens signed with its key, so that
// tests go through the service's JWT verifier as a host app's users do.
package idp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Issuer is the iss of the provider's tokens.
const Issuer = "https://idp.test"

// Provider serves a JWKS at URL and signs tokens with its key.
type Provider struct {
	URL    string
	signer jose.Signer
}

// Start starts a provider until the test ends.
func Start(t testing.TB) *Provider {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwks, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: key.Public(), KeyID: "k1", Algorithm: string(jose.ES256), Use: "sig"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(jwks)
	}))
	t.Cleanup(srv.Close)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	return &Provider{URL: srv.URL, signer: signer}
}

// Token returns a user access token for sub with a verified email, valid
// for an hour from now.
func (p *Provider) Token(t testing.TB, sub, email string) string {
	t.Helper()
	return p.TokenUntil(t, sub, email, time.Now().Add(time.Hour))
}

// TokenUntil is Token expiring at exp.
func (p *Provider) TokenUntil(t testing.TB, sub, email string, exp time.Time) string {
	t.Helper()
	return p.token(t, sub, email, true, exp)
}

// UnverifiedToken is Token with an email address the provider has not
// verified.
func (p *Provider) UnverifiedToken(t testing.TB, sub, email string) string {
	t.Helper()
	return p.token(t, sub, email, false, time.Now().Add(time.Hour))
}

func (p *Provider) token(t testing.TB, sub, email string, verified bool, exp time.Time) string {
	t.Helper()
	claims := map[string]any{
		"iss": Issuer, "sub": sub, "email": email, "email_verified": verified, "name": sub,
		"iat": time.Now().Unix(), "exp": exp.Unix(),
	}
	raw, err := jwt.Signed(p.signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
