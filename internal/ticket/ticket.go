// Package ticket signs acceptance tickets (issue 5): the short-lived JWTs
// the hosted page hands the host application after someone accepted an
// invitation, and publishes the public keys that verify them as a JSON Web
// Key Set. The keys themselves live in an invited.SigningKeyService, so
// every instance sharing a database signs with the same keys.
package ticket

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
)

// Algorithm is the one signature algorithm of tickets: ECDSA on P-256 with
// SHA-256. Verifiers should accept nothing else.
const Algorithm = "ES256"

const (
	// CacheAge bounds how old an instance's copy of the keys may be. It
	// is also how long a new key waits before it signs anything: by then
	// every instance has reloaded its keys and publishes the new one, so
	// a host app never meets a ticket whose key the JWKS lacks.
	CacheAge = 30 * time.Second

	// Leeway is the clock skew tolerated on exp and nbf, here and, as
	// go-jose's default, in most host apps.
	Leeway = time.Minute

	// PublicationWindow is how long a retired key stays in the JWKS after
	// it was retired at R. Until R+CacheAge, an instance whose copy of the
	// keys predates the rotation may still sign with it (and a new key
	// itself waits that long before signing); the last such ticket expires
	// TicketTTL later, and a verifier accepts it for Leeway beyond that:
	//
	//	R + CacheAge + TicketTTL + Leeway = R + 30s + 5m + 1m = R + 6m30s
	PublicationWindow = CacheAge + invited.TicketTTL + Leeway
)

// maxTicketBytes bounds the work done on what a caller sends; a real
// ticket is well under 2 KiB.
const maxTicketBytes = 16 << 10

// Keys signs and verifies acceptance tickets with the stored signing keys.
// It is safe for concurrent use.
type Keys struct {
	store  invited.SigningKeyService
	issuer string
	now    func() time.Time

	mu  sync.Mutex
	set *keySet // nil until loaded, and after a rotation
}

// keySet is the keys as loaded from the store at one moment.
type keySet struct {
	loaded time.Time
	keys   []*key // newest first: the active key, then retired ones
}

// key is a stored signing key, parsed.
type key struct {
	*invited.SigningKey
	private *ecdsa.PrivateKey
	signer  jose.Signer
}

// New returns the keys of store. issuer is the service's public URL, the
// tickets' iss; now is the clock, time.Now when nil.
func New(store invited.SigningKeyService, issuer string, now func() time.Time) *Keys {
	if now == nil {
		now = time.Now
	}
	return &Keys{store: store, issuer: strings.TrimRight(issuer, "/"), now: now}
}

// Ensure creates the first signing key when there is no active one. Several
// instances starting together on an empty database agree on one key,
// because the store keeps an active key it already has.
func (k *Keys) Ensure(ctx context.Context) error {
	now := k.now()
	stored, err := k.store.SigningKeys(ctx, now)
	if err != nil {
		return fmt.Errorf("signing keys: %w", err)
	}
	if len(stored) > 0 && stored[0].RetiredAt == nil {
		return nil
	}
	sk, err := generate(now)
	if err != nil {
		return err
	}
	if _, err := k.store.AddSigningKey(ctx, sk, false); err != nil {
		return fmt.Errorf("first signing key: %w", err)
	}
	return nil
}

// Rotate makes a new key the active one and retires the previous one,
// which stays published until PublishedUntil. The new key starts signing
// CacheAge later (SignsFrom). It returns the new key.
func (k *Keys) Rotate(ctx context.Context) (*invited.SigningKey, error) {
	sk, err := generate(k.now())
	if err != nil {
		return nil, err
	}
	active, err := k.store.AddSigningKey(ctx, sk, true)
	if err != nil {
		return nil, fmt.Errorf("rotate signing key: %w", err)
	}
	// Publish the new key here at once rather than when the cache ages.
	k.mu.Lock()
	k.set = nil
	k.mu.Unlock()
	return active, nil
}

// SignsFrom is when k starts signing tickets: CacheAge after it was made,
// once every instance publishes it.
func SignsFrom(k *invited.SigningKey) time.Time { return k.CreatedAt.Add(CacheAge) }

// PublishedUntil is when a retired key leaves the JWKS; zero for the
// active key, which stays.
func PublishedUntil(k *invited.SigningKey) time.Time {
	if k.RetiredAt == nil {
		return time.Time{}
	}
	return k.RetiredAt.Add(PublicationWindow)
}

// generate makes a new P-256 key, stored as PKCS #8.
func generate(now time.Time) (*invited.SigningKey, error) {
	private, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(private)
	if err != nil {
		return nil, fmt.Errorf("encode signing key: %w", err)
	}
	return &invited.SigningKey{
		ID:         invited.NewID(invited.PrefixSigningKey, now),
		Algorithm:  Algorithm,
		PrivateKey: der,
		CreatedAt:  now,
	}, nil
}

// Claims are a ticket's JWT claims. The registered ones: iss is the
// service's public URL, sub the user id, aud the invitation's audience
// (only when it has one), jti the ticket id; exp is at most TicketTTL after
// iat.
type Claims struct {
	jwt.Claims
	Email         string   `json:"email"`
	EmailVerified bool     `json:"email_verified"`
	Name          string   `json:"name,omitempty"`
	OrgID         string   `json:"org_id"`
	Roles         []string `json:"roles"`
	InvitationID  string   `json:"invitation_id,omitempty"`
	JoinLinkID    string   `json:"join_link_id,omitempty"`
}

// Sign returns t as a compact JWS signed with the current signing key.
func (k *Keys) Sign(ctx context.Context, t *invited.AcceptanceTicket) (string, error) {
	now := k.now()
	// The publication window assumes no ticket outlives TicketTTL.
	if t.ExpiresAt.Sub(t.IssuedAt) > invited.TicketTTL || !t.ExpiresAt.After(now) {
		return "", fmt.Errorf("ticket %s: expiry %s is not within %s of %s and after now", t.ID, t.ExpiresAt, invited.TicketTTL, t.IssuedAt)
	}
	set, err := k.keys(ctx)
	if err != nil {
		return "", err
	}
	c := Claims{
		Claims: jwt.Claims{
			Issuer:    k.issuer,
			Subject:   t.UserID,
			IssuedAt:  jwt.NewNumericDate(t.IssuedAt),
			NotBefore: jwt.NewNumericDate(t.IssuedAt),
			Expiry:    jwt.NewNumericDate(t.ExpiresAt),
			ID:        t.ID,
		},
		// Following the emailed link (an invitation's, or a join
		// confirmation's) proved control of the address.
		Email:         t.Email,
		EmailVerified: true,
		Name:          t.Name,
		OrgID:         t.OrgID,
		Roles:         t.Roles,
		InvitationID:  t.InvitationID,
		JoinLinkID:    t.JoinLinkID,
	}
	if t.Audience != "" {
		c.Audience = jwt.Audience{t.Audience}
	}
	return jwt.Signed(set.signing(now).signer).Claims(c).Serialize()
}

// signing is the key that signs at now: the newest one published for at
// least CacheAge, or, on a fresh install where no key is that old, the
// active one. A retired key thus signs until CacheAge after its successor
// was made, which PublicationWindow accounts for.
func (s *keySet) signing(now time.Time) *key {
	for _, k := range s.keys {
		if !k.CreatedAt.After(now.Add(-CacheAge)) {
			return k
		}
	}
	return s.keys[0]
}

// published reports whether k is in the JWKS at now.
func (k *key) published(now time.Time) bool {
	return k.RetiredAt == nil || now.Before(PublishedUntil(k.SigningKey))
}

// JWKS returns the public keys: the active one and the retired ones still
// within their PublicationWindow.
func (k *Keys) JWKS(ctx context.Context) (client.JWKSet, error) {
	set, err := k.keys(ctx)
	if err != nil {
		return client.JWKSet{}, err
	}
	now := k.now()
	out := client.JWKSet{Keys: []client.JWK{}}
	for _, key := range set.keys {
		if !key.published(now) {
			continue
		}
		point, err := key.private.PublicKey.Bytes()
		if err != nil {
			return client.JWKSet{}, fmt.Errorf("signing key %s: %w", key.ID, err)
		}
		// An uncompressed P-256 point: 0x04, then X and Y of 32 bytes each.
		out.Keys = append(out.Keys, client.JWK{
			Kty: "EC",
			Crv: "P-256",
			X:   base64.RawURLEncoding.EncodeToString(point[1:33]),
			Y:   base64.RawURLEncoding.EncodeToString(point[33:65]),
			Kid: key.ID,
			Use: "sig",
			Alg: Algorithm,
		})
	}
	return out, nil
}

// Verify checks a ticket a host app wants to redeem and returns its id (the
// jti). It accepts only ES256 signatures by published keys of ours, with
// our issuer, within exp and nbf give or take Leeway. An expired ticket
// answers ticket_expired; anything else wrong invalid_request naming the
// field "ticket".
func (k *Keys) Verify(ctx context.Context, compact string) (string, error) {
	if len(compact) > maxTicketBytes {
		return "", invalid("is too long to be an acceptance ticket")
	}
	// Only ES256: this rules out "none" and HMAC with a public key.
	tok, err := jwt.ParseSigned(compact, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return "", invalid("is not an ES256-signed JWT")
	}
	set, err := k.keys(ctx)
	if err != nil {
		return "", err
	}
	now := k.now()
	signer := set.find(tok.Headers[0].KeyID, now)
	if signer == nil {
		return "", invalid("is not signed by a current key of this service")
	}
	var c Claims
	if err := tok.Claims(&signer.private.PublicKey, &c); err != nil {
		return "", invalid("has a bad signature")
	}
	if c.Expiry == nil || c.ID == "" {
		return "", invalid("lacks exp or jti")
	}
	err = c.ValidateWithLeeway(jwt.Expected{Issuer: k.issuer, Time: now}, Leeway)
	switch {
	case errors.Is(err, jwt.ErrExpired):
		return "", invited.Errorf(invited.ETICKETEXPIRED, "the acceptance ticket expired at %s", c.Expiry.Time().UTC().Format(time.RFC3339))
	case errors.Is(err, jwt.ErrInvalidIssuer):
		return "", invalid("was issued by another service")
	case err != nil: // nbf or iat in the future: nothing else is checked
		return "", invalid("is not valid yet")
	}
	return c.ID, nil
}

// find returns the published key with id kid, or nil.
func (s *keySet) find(kid string, now time.Time) *key {
	for _, k := range s.keys {
		if k.ID == kid && k.published(now) {
			return k
		}
	}
	return nil
}

// invalid is the invalid_request error of a ticket the API was given, in
// English, as the API writes: no page shows it, so it needs no
// invited.Problem.
func invalid(problem string) error {
	return &invited.Error{Code: invited.EINVALID, Message: "the request has invalid fields", Fields: map[string]string{"ticket": problem}}
}

// Ready reports whether the keys can be loaded and one of them signs.
func (k *Keys) Ready(ctx context.Context) error {
	_, err := k.keys(ctx)
	return err
}

// keys returns the keys, loading them when the copy at hand is older than
// CacheAge. Loads are serialized: they are rare, and one at a time keeps
// a burst of signatures from becoming a burst of database reads.
func (k *Keys) keys(ctx context.Context) (*keySet, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	if k.set != nil && now.Sub(k.set.loaded) < CacheAge {
		return k.set, nil
	}
	stored, err := k.store.SigningKeys(ctx, now.Add(-PublicationWindow))
	if err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	set := &keySet{loaded: now}
	for _, sk := range stored {
		parsed, err := parse(sk)
		if err != nil {
			return nil, err
		}
		set.keys = append(set.keys, parsed)
	}
	if len(set.keys) == 0 || set.keys[0].RetiredAt != nil {
		return nil, errors.New("no active signing key: Ensure was not called")
	}
	k.set = set
	return set, nil
}

// parse decodes a stored key and prepares its signer.
func parse(sk *invited.SigningKey) (*key, error) {
	if sk.Algorithm != Algorithm {
		return nil, fmt.Errorf("signing key %s: algorithm %q, want %s", sk.ID, sk.Algorithm, Algorithm)
	}
	der, err := x509.ParsePKCS8PrivateKey(sk.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", sk.ID, err)
	}
	private, ok := der.(*ecdsa.PrivateKey)
	if !ok || private.Curve != elliptic.P256() {
		return nil, fmt.Errorf("signing key %s is not a P-256 key", sk.ID)
	}
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: private, KeyID: sk.ID}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", sk.ID, err)
	}
	return &key{SigningKey: sk, private: private, signer: signer}, nil
}
