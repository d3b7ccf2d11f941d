package jwtauth

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/invitedhq/invited/internal/testutil"
)

// fuzzNow is the verifier's clock in the fuzz targets, fixed so that the
// committed seeds' exp, nbf and iat keep their meaning: 2030-01-01.
var fuzzNow = time.Unix(1893456000, 0).UTC()

// fuzzVerifier is a verifier whose JWKS holds one Ed25519 key, "ed1", the
// key it returns: Ed25519 signs fast enough for every fuzzed token to carry
// a valid signature.
func fuzzVerifier(f *testing.F) (*Verifier, ed25519.PrivateKey) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	v := newTestVerifier(f, newJWKSServer(f, pubJWK("ed1", key, "")), testutil.NewClock(fuzzNow))
	return v, key
}

// tokenReasons are the messages of Verify's own refusals.
var tokenReasons = []string{
	"token too large", "signature algorithm not allowed", "malformed token", "unknown signing key",
	"signature verification failed", "malformed claims", "missing exp", "missing sub",
}

// claimErrors are go-jose's refusals of the registered claims, which Verify
// wraps.
var claimErrors = []error{
	jwt.ErrInvalidIssuer, jwt.ErrInvalidSubject, jwt.ErrInvalidAudience, jwt.ErrInvalidID,
	jwt.ErrNotValidYet, jwt.ErrExpired, jwt.ErrIssuedInTheFuture,
}

// checkRefusal fails unless err is a refusal of the token as such, whose
// message is one of a closed set of fixed texts: so it holds nothing of the
// token.
func checkRefusal(t *testing.T, raw string, err error) {
	t.Helper()
	if !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("%q: %v, want a wrapped ErrInvalidToken", raw, err)
	}
	msg, _ := strings.CutPrefix(err.Error(), ErrInvalidToken.Error()+": ")
	if slices.Contains(tokenReasons, msg) || slices.ContainsFunc(claimErrors, func(e error) bool { return msg == e.Error() }) {
		return
	}
	t.Fatalf("%q: refused with %q, not one of the fixed messages", raw, err)
}

// FuzzVerifyToken verifies any text as a bearer token: it is refused as an
// invalid token with a fixed message, or, since nothing the fuzzer writes
// is signed, never accepted.
func FuzzVerifyToken(f *testing.F) {
	v, _ := fuzzVerifier(f)
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := v.Verify(context.Background(), raw)
		if err == nil {
			t.Fatalf("%q: an unsigned token accepted as %+v", raw, c)
		}
		checkRefusal(t, raw, err)
	})
}

// FuzzVerifyClaims verifies tokens whose header and claims are any bytes,
// signed with the JWKS's Ed25519 key, so that they reach the checks of the
// header and the claims: a token is refused with a fixed message, or it is
// accepted only with the EdDSA algorithm, this issuer and audience, a
// subject, and an exp that has not passed, and the claims returned are
// those the payload holds.
func FuzzVerifyClaims(f *testing.F) {
	v, key := fuzzVerifier(f)
	enc := base64.RawURLEncoding.EncodeToString
	f.Fuzz(func(t *testing.T, header, claims []byte) {
		input := enc(header) + "." + enc(claims)
		raw := input + "." + enc(ed25519.Sign(key, []byte(input)))
		c, err := v.Verify(context.Background(), raw)
		if err != nil {
			checkRefusal(t, raw, err)
			return
		}
		var h struct {
			Alg string `json:"alg"`
		}
		var tc tokenClaims
		if json.Unmarshal(header, &h) != nil || h.Alg != string(jose.EdDSA) || json.Unmarshal(claims, &tc) != nil {
			t.Fatalf("accepted with header %q, claims %q", header, claims)
		}
		switch {
		case tc.Issuer != testIssuer, !tc.Audience.Contains(testAudience):
			t.Fatalf("accepted from %q for %q", tc.Issuer, tc.Audience)
		case tc.Expiry == nil, tc.Expiry.Time().Add(defaultLeeway).Before(fuzzNow):
			t.Fatalf("accepted with exp %v at %v", tc.Expiry, fuzzNow)
		case c.Subject == "" || c.Subject != tc.Subject, c.Email != tc.Email, c.Phone != tc.Phone:
			t.Fatalf("accepted as %+v from claims %q", c, claims)
		}
	})
}
