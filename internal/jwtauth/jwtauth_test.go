package jwtauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"github.com/invitedhq/invited/internal/testutil"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

const (
	testIssuer   = "https://idp.example.com/"
	testAudience = "invited-api"
)

type testKeys struct {
	rsa1, rsa2, rsaPinned *rsa.PrivateKey
	ec                    *ecdsa.PrivateKey
	ed                    ed25519.PrivateKey
}

// RSA generation is slow under -race, so keys are shared across tests.
var keys = sync.OnceValue(func() testKeys {
	gen := func() *rsa.PrivateKey {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		return k
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return testKeys{rsa1: gen(), rsa2: gen(), rsaPinned: gen(), ec: ec, ed: ed}
})

func pubJWK(kid string, priv any, alg string) jose.JSONWebKey {
	k := jose.JSONWebKey{Key: priv, KeyID: kid, Algorithm: alg, Use: "sig"}
	return k.Public()
}

// defaultJWKS deliberately includes a symmetric and an encryption key, which
// the verifier must ignore.
func defaultJWKS() []jose.JSONWebKey {
	k := keys()
	return []jose.JSONWebKey{
		pubJWK("rsa1", k.rsa1, ""),
		pubJWK("rsa-pinned", k.rsaPinned, "RS256"),
		pubJWK("ec1", k.ec, "ES256"),
		pubJWK("ed1", k.ed, ""),
		{Key: []byte("0123456789abcdef0123456789abcdef"), KeyID: "hmac", Algorithm: "HS256"},
		{Key: &k.rsa2.PublicKey, KeyID: "enc", Use: "enc"},
	}
}

// jwksServer serves a mutable JWKS and counts requests.
type jwksServer struct {
	*httptest.Server
	hits atomic.Int32

	mu   sync.Mutex
	keys []jose.JSONWebKey
	down bool
	gate chan struct{} // when non-nil, requests block until it is closed
	body []byte        // when non-nil, served verbatim
}

func newJWKSServer(t testing.TB, keys ...jose.JSONWebKey) *jwksServer {
	t.Helper()
	s := &jwksServer{keys: keys}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		s.mu.Lock()
		gate, down, body := s.gate, s.down, s.body
		set := jose.JSONWebKeySet{Keys: s.keys}
		s.mu.Unlock()
		if gate != nil {
			<-gate
		}
		if down {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		if body == nil {
			var err error
			if body, err = json.Marshal(set); err != nil {
				panic(err)
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) set(f func(s *jwksServer)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

// warmVerifier starts the cache tests: a verifier on a JWKS server serving
// jwks, whose key cache one successful verify with rsa1 has already
// filled (one fetch).
func warmVerifier(t *testing.T, k testKeys, jwks ...jose.JSONWebKey) (*testutil.Clock, *jwksServer, *Verifier) {
	t.Helper()
	clock := testutil.NewClock(time.Now())
	srv := newJWKSServer(t, jwks...)
	v := newTestVerifier(t, srv, clock)
	if _, err := v.Verify(context.Background(), sign(t, jose.RS256, k.rsa1, "rsa1", baseClaims(clock.Now()))); err != nil {
		t.Fatalf("warm-up verify: %v", err)
	}
	return clock, srv, v
}

func newTestVerifier(t testing.TB, srv *jwksServer, clock *testutil.Clock) *Verifier {
	t.Helper()
	v, err := NewVerifier(Config{
		Issuer:     testIssuer,
		JWKSURL:    srv.URL,
		Audience:   testAudience,
		HTTPClient: srv.Client(),
		Now:        clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func baseClaims(now time.Time) map[string]any {
	return map[string]any{
		"iss":            testIssuer,
		"aud":            testAudience,
		"sub":            "user-123",
		"iat":            now.Unix(),
		"exp":            now.Add(time.Hour).Unix(),
		"email":          "ada@example.com",
		"email_verified": true,
		"phone_number":   "+15551234567",
		"name":           "Ada Lovelace",
	}
}

func sign(t *testing.T, alg jose.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func b64(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestVerify(t *testing.T) {
	k := keys()
	start := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

	pubDER, err := x509.MarshalPKIXPublicKey(&k.rsa1.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})

	wantDefault := Claims{
		Subject:       "user-123",
		Email:         "ada@example.com",
		EmailVerified: true,
		Phone:         "+15551234567",
		Name:          "Ada Lovelace",
		Expiry:        start.Add(time.Hour),
	}

	type tc struct {
		name  string
		token func(t *testing.T, c map[string]any) string // c is baseClaims(start), free to mutate
		want  Claims
		err   error // nil means success; always also checked against ErrInvalidToken
	}
	rs256 := func(t *testing.T, c map[string]any) string { return sign(t, jose.RS256, k.rsa1, "rsa1", c) }
	with := func(mut func(c map[string]any)) func(*testing.T, map[string]any) string {
		return func(t *testing.T, c map[string]any) string { mut(c); return rs256(t, c) }
	}

	tests := []tc{
		{name: "valid RS256", token: rs256, want: wantDefault},
		{name: "valid PS256", want: wantDefault, token: func(t *testing.T, c map[string]any) string {
			return sign(t, jose.PS256, k.rsa1, "rsa1", c)
		}},
		{name: "valid ES256", want: wantDefault, token: func(t *testing.T, c map[string]any) string {
			return sign(t, jose.ES256, k.ec, "ec1", c)
		}},
		{name: "valid EdDSA", want: wantDefault, token: func(t *testing.T, c map[string]any) string {
			return sign(t, jose.EdDSA, k.ed, "ed1", c)
		}},
		{name: "audience in list", want: wantDefault, token: with(func(c map[string]any) {
			c["aud"] = []string{"other", testAudience}
		})},
		{name: "expired within leeway", want: func() Claims {
			c := wantDefault
			c.Expiry = start.Add(-30 * time.Second)
			return c
		}(), token: with(func(c map[string]any) {
			c["exp"] = start.Add(-30 * time.Second).Unix()
		})},
		{name: "given and family name fallback", token: with(func(c map[string]any) {
			delete(c, "name")
			c["given_name"], c["family_name"] = "Grace", "Hopper"
			c["email_verified"] = "true" // Cognito style
		}), want: Claims{Subject: "user-123", Email: "ada@example.com", EmailVerified: true, Phone: "+15551234567", Name: "Grace Hopper",
			Expiry: start.Add(time.Hour)}},
		{name: "given name only, minimal claims", token: with(func(c map[string]any) {
			for _, f := range []string{"name", "email", "email_verified", "phone_number"} {
				delete(c, f)
			}
			c["given_name"] = "Grace"
		}), want: Claims{Subject: "user-123", Name: "Grace", Expiry: start.Add(time.Hour)}},

		{name: "expired", err: jwt.ErrExpired, token: with(func(c map[string]any) {
			c["exp"] = start.Add(-2 * time.Minute).Unix()
		})},
		{name: "missing exp", err: ErrInvalidToken, token: with(func(c map[string]any) { delete(c, "exp") })},
		{name: "not yet valid", err: jwt.ErrNotValidYet, token: with(func(c map[string]any) {
			c["nbf"] = start.Add(2 * time.Minute).Unix()
		})},
		{name: "issued in the future", err: jwt.ErrIssuedInTheFuture, token: with(func(c map[string]any) {
			c["iat"] = start.Add(2 * time.Minute).Unix()
		})},
		{name: "wrong issuer", err: jwt.ErrInvalidIssuer, token: with(func(c map[string]any) {
			c["iss"] = "https://evil.example.com/"
		})},
		{name: "missing issuer", err: jwt.ErrInvalidIssuer, token: with(func(c map[string]any) { delete(c, "iss") })},
		{name: "wrong audience", err: jwt.ErrInvalidAudience, token: with(func(c map[string]any) { c["aud"] = "other" })},
		{name: "missing audience", err: jwt.ErrInvalidAudience, token: with(func(c map[string]any) { delete(c, "aud") })},
		{name: "missing sub", err: ErrInvalidToken, token: with(func(c map[string]any) { delete(c, "sub") })},
		{name: "malformed claim type", err: ErrInvalidToken, token: with(func(c map[string]any) { c["exp"] = "soon" })},
		{name: "HS256 signed with public key bytes", err: ErrInvalidToken, token: func(t *testing.T, c map[string]any) string {
			return sign(t, jose.HS256, pubPEM, "rsa1", c)
		}},
		{name: "HS256 with kid of symmetric JWKS entry", err: ErrInvalidToken, token: func(t *testing.T, c map[string]any) string {
			return sign(t, jose.HS256, []byte("0123456789abcdef0123456789abcdef"), "hmac", c)
		}},
		{name: "alg none", err: ErrInvalidToken, token: func(t *testing.T, c map[string]any) string {
			return b64(map[string]string{"alg": "none", "kid": "rsa1", "typ": "JWT"}) + "." + b64(c) + "."
		}},
		{name: "alg none with signature", err: ErrInvalidToken, token: func(t *testing.T, c map[string]any) string {
			valid := rs256(t, c)
			sig := valid[strings.LastIndex(valid, ".")+1:]
			return b64(map[string]string{"alg": "none", "kid": "rsa1"}) + "." + b64(c) + "." + sig
		}},
		{name: "tampered payload", err: ErrInvalidToken, token: func(t *testing.T, c map[string]any) string {
			parts := strings.Split(rs256(t, c), ".")
			c["sub"] = "admin"
			parts[1] = b64(c)
			return strings.Join(parts, ".")
		}},
		{name: "signed by foreign key under known kid", err: ErrInvalidToken, token: func(t *testing.T, c map[string]any) string {
			return sign(t, jose.RS256, k.rsa2, "rsa1", c)
		}},
		{name: "algorithm not allowed by pinned JWK", err: ErrInvalidToken, token: func(t *testing.T, c map[string]any) string {
			return sign(t, jose.PS256, k.rsaPinned, "rsa-pinned", c)
		}},
		{name: "encryption-only key ignored", err: ErrInvalidToken, token: func(t *testing.T, c map[string]any) string {
			return sign(t, jose.RS256, k.rsa2, "enc", c)
		}},
		{name: "no kid with multi-key JWKS", err: ErrInvalidToken, token: func(t *testing.T, c map[string]any) string {
			return sign(t, jose.RS256, k.rsa1, "", c)
		}},
		{name: "garbage", err: ErrInvalidToken, token: func(*testing.T, map[string]any) string { return "not.a.jwt" }},
		{name: "api key", err: ErrInvalidToken, token: func(*testing.T, map[string]any) string { return "ik_live_abc123" }},
	}

	srv := newJWKSServer(t, defaultJWKS()...)
	clock := testutil.NewClock(start)
	v := newTestVerifier(t, srv, clock)

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := tt.token(t, baseClaims(start))
			got, err := v.Verify(context.Background(), raw)
			if tt.err == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if got != tt.want {
					t.Fatalf("claims = %+v, want %+v", got, tt.want)
				}
				return
			}
			if !errors.Is(err, ErrInvalidToken) || !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v wrapped in ErrInvalidToken", err, tt.err)
			}
			for _, part := range strings.Split(raw, ".") {
				if len(part) > 8 && strings.Contains(err.Error(), part) {
					t.Fatalf("error message leaks token text: %v", err)
				}
			}
		})
	}
	if n := srv.hits.Load(); n != 1 {
		t.Errorf("JWKS fetched %d times, want 1 (unknown kids are rate-limited)", n)
	}
}

func TestNoKidSingleKeyJWKS(t *testing.T) {
	k := keys()
	start := time.Now()
	srv := newJWKSServer(t, pubJWK("", k.ec, ""))
	v := newTestVerifier(t, srv, testutil.NewClock(start))
	if _, err := v.Verify(context.Background(), sign(t, jose.ES256, k.ec, "", baseClaims(start))); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

func TestKeyRotation(t *testing.T) {
	k := keys()
	clock, srv, v := warmVerifier(t, k, pubJWK("rsa1", k.rsa1, ""))
	start, ctx := clock.Now(), context.Background()
	srv.set(func(s *jwksServer) { s.keys = append(s.keys, pubJWK("rsa2", k.rsa2, "")) })

	// Within the rate-limit window an unknown kid must not trigger a fetch.
	if _, err := v.Verify(ctx, sign(t, jose.RS256, k.rsa2, "rsa2", baseClaims(start))); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("unknown kid within rate limit: err = %v, want ErrInvalidToken", err)
	}
	if n := srv.hits.Load(); n != 1 {
		t.Fatalf("hits = %d, want 1", n)
	}

	clock.Advance(minRefetchInterval + time.Second)
	now := clock.Now()
	if _, err := v.Verify(ctx, sign(t, jose.RS256, k.rsa2, "rsa2", baseClaims(now))); err != nil {
		t.Fatalf("rotated key: %v", err)
	}
	if _, err := v.Verify(ctx, sign(t, jose.RS256, k.rsa1, "rsa1", baseClaims(now))); err != nil {
		t.Fatalf("old key after rotation: %v", err)
	}
	if n := srv.hits.Load(); n != 2 {
		t.Fatalf("hits = %d, want 2", n)
	}
}

func TestStaleKeysRefreshedInBackground(t *testing.T) {
	k := keys()
	clock, srv, v := warmVerifier(t, k, pubJWK("rsa1", k.rsa1, ""))
	ctx := context.Background()
	// The key is revoked upstream; once the cache is stale, the cached key
	// is still served while a refresh runs, after which it is rejected.
	srv.set(func(s *jwksServer) { s.keys = []jose.JSONWebKey{pubJWK("rsa2", k.rsa2, "")} })
	clock.Advance(maxKeyAge + time.Second)
	now := clock.Now()
	old := sign(t, jose.RS256, k.rsa1, "rsa1", baseClaims(now))
	if _, err := v.Verify(ctx, old); err != nil {
		t.Fatalf("stale key should still be served: %v", err)
	}
	waitFor(t, func() bool {
		v.keys.mu.Lock()
		defer v.keys.mu.Unlock()
		return v.keys.inflight == nil && srv.hits.Load() == 2
	})
	if _, err := v.Verify(ctx, old); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("revoked key: err = %v, want ErrInvalidToken", err)
	}
}

func TestJWKSDownServesCachedKeys(t *testing.T) {
	k := keys()
	clock, srv, v := warmVerifier(t, k, pubJWK("rsa1", k.rsa1, ""), pubJWK("ec1", k.ec, ""))
	ctx := context.Background()
	srv.set(func(s *jwksServer) { s.down = true })
	clock.Advance(maxKeyAge + time.Second) // stale, so a refresh is attempted and fails
	now := clock.Now()

	for i := range 3 {
		if _, err := v.Verify(ctx, sign(t, jose.ES256, k.ec, "ec1", baseClaims(now))); err != nil {
			t.Fatalf("verify %d with cached key while JWKS down: %v", i, err)
		}
	}
	// An unknown kid cannot be resolved; that is an outage, not a bad token.
	_, err := v.Verify(ctx, sign(t, jose.RS256, k.rsa2, "rsa2", baseClaims(now)))
	if !errors.Is(err, ErrKeysUnavailable) || errors.Is(err, ErrInvalidToken) {
		t.Fatalf("unknown kid while down: err = %v, want ErrKeysUnavailable", err)
	}
	if n := srv.hits.Load(); n != 2 {
		t.Fatalf("hits = %d, want 2 (failed refresh is rate-limited too)", n)
	}
}

func TestInitialFetchFailure(t *testing.T) {
	k := keys()
	start := time.Now()
	clock := testutil.NewClock(start)
	srv := newJWKSServer(t, pubJWK("rsa1", k.rsa1, ""))
	srv.set(func(s *jwksServer) { s.down = true })
	v := newTestVerifier(t, srv, clock)
	ctx := context.Background()

	for range 2 {
		_, err := v.Verify(ctx, sign(t, jose.RS256, k.rsa1, "rsa1", baseClaims(start)))
		if !errors.Is(err, ErrKeysUnavailable) {
			t.Fatalf("err = %v, want ErrKeysUnavailable", err)
		}
	}
	if n := srv.hits.Load(); n != 1 {
		t.Fatalf("hits = %d, want 1", n)
	}

	srv.set(func(s *jwksServer) { s.down = false })
	clock.Advance(minRefetchInterval)
	if _, err := v.Verify(ctx, sign(t, jose.RS256, k.rsa1, "rsa1", baseClaims(clock.Now()))); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
}

func TestJWKSTooLarge(t *testing.T) {
	k := keys()
	start := time.Now()
	srv := newJWKSServer(t)
	srv.set(func(s *jwksServer) {
		s.body = append([]byte(`{"keys":[],"pad":"`), strings.Repeat("x", maxJWKSBytes)...)
		s.body = append(s.body, `"}`...)
	})
	v := newTestVerifier(t, srv, testutil.NewClock(start))
	_, err := v.Verify(context.Background(), sign(t, jose.RS256, k.rsa1, "rsa1", baseClaims(start)))
	if !errors.Is(err, ErrKeysUnavailable) || !strings.Contains(err.Error(), "1 MiB") {
		t.Fatalf("err = %v, want size-limit ErrKeysUnavailable", err)
	}
}

func TestConcurrentUnknownKidSingleFetch(t *testing.T) {
	k := keys()
	clock, srv, v := warmVerifier(t, k, pubJWK("rsa1", k.rsa1, ""))
	ctx := context.Background()
	clock.Advance(minRefetchInterval + time.Second)
	gate := make(chan struct{})
	srv.set(func(s *jwksServer) {
		s.keys = append(s.keys, pubJWK("ec1", k.ec, ""))
		s.gate = gate
	})

	token := sign(t, jose.ES256, k.ec, "ec1", baseClaims(clock.Now()))
	const n = 50
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			_, err := v.Verify(ctx, token)
			errs <- err
		})
	}
	// Hold the single fetch open until every goroutine is waiting on it (or,
	// if the scheduler is slow, until it is clearly stuck).
	waitFor(t, func() bool { return srv.hits.Load() == 2 })
	time.Sleep(20 * time.Millisecond)
	close(gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
	}
	if got := srv.hits.Load(); got != 2 {
		t.Fatalf("hits = %d, want 2 (one initial fetch, one shared refetch)", got)
	}
}

func TestVerifyContextCanceledWhileWaiting(t *testing.T) {
	k := keys()
	start := time.Now()
	gate := make(chan struct{})
	srv := newJWKSServer(t, pubJWK("rsa1", k.rsa1, ""))
	srv.set(func(s *jwksServer) { s.gate = gate })
	defer close(gate)
	v := newTestVerifier(t, srv, testutil.NewClock(start))

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := v.Verify(ctx, sign(t, jose.RS256, k.rsa1, "rsa1", baseClaims(start)))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
}

func TestNewVerifierConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"valid", Config{Issuer: testIssuer, JWKSURL: "https://idp.example.com/jwks"}, true},
		{"missing issuer", Config{JWKSURL: "https://idp.example.com/jwks"}, false},
		{"missing url", Config{Issuer: testIssuer}, false},
		{"relative url", Config{Issuer: testIssuer, JWKSURL: "/jwks"}, false},
		{"bad scheme", Config{Issuer: testIssuer, JWKSURL: "file:///etc/jwks"}, false},
		{"negative leeway", Config{Issuer: testIssuer, JWKSURL: "https://idp.example.com/jwks", Leeway: -time.Second}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewVerifier(tt.cfg)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestLooksLikeJWT(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl", true},
		{"a-b_c.d.e", true},
		{"ik_live_0123456789abcdef", false},
		{"", false},
		{"a.b", false},
		{"a.b.c.d", false},
		{"a..c", false},
		{"a.b.", false},
		{"a+b.c.d", false},
		{"a.b.c=", false},
		{"a b.c.d", false},
	}
	for _, tt := range tests {
		if got := LooksLikeJWT(tt.in); got != tt.want {
			t.Errorf("LooksLikeJWT(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(time.Millisecond)
	}
}
