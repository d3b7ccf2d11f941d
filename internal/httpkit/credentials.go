package httpkit

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/jwtauth"
)

// ActingUserHeader lets an API key act for a user (DESIGN.md §4).
const ActingUserHeader = "Invited-Acting-User"

// Credentials turns what a caller presents into an actor. The API and the
// hosted console share it, so that a console session, which keeps the same
// API key or user access token, means exactly what it means to the API.
type Credentials struct {
	Auth invited.Authenticator
	// Verifier checks user access tokens; nil disables them, and a JWT
	// then is refused like any unknown credential.
	Verifier *jwtauth.Verifier
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client; from anyone else the header is ignored.
	TrustedProxies []netip.Prefix
}

// Actor resolves secret, an API key or a user access token, into an actor;
// actingAs, when not empty, names the user an API key acts for. The
// actor's RemoteAddr is left for the caller to fill in.
func (c *Credentials) Actor(ctx context.Context, secret, actingAs string) (*invited.Actor, error) {
	if jwtauth.LooksLikeJWT(secret) {
		if actingAs != "" {
			return nil, invited.Errorf(invited.EINVALID, "%s is for API keys; a user access token already names its user", ActingUserHeader)
		}
		actor, _, err := c.userActor(ctx, secret)
		return actor, err
	}
	// Anything else is an API key: minted ones start with "ik_", but an
	// operator's INVITED_ADMIN_API_KEY may be any string of 16 or more
	// characters, so the store decides by hash, not by shape.
	actor, err := c.Auth.AuthenticateAPIKey(ctx, secret)
	if err != nil || actingAs == "" {
		return actor, err
	}
	return c.Auth.ActAsUser(ctx, actor, actingAs)
}

// SignIn resolves secret, an API key or a user access token, as Actor does
// without acting for anyone, and says until when it works: a token's
// expiry, or zero for a key, which works until it is revoked. The console
// bounds its sessions by it.
func (c *Credentials) SignIn(ctx context.Context, secret string) (*invited.Actor, time.Time, error) {
	if jwtauth.LooksLikeJWT(secret) {
		return c.userActor(ctx, secret)
	}
	actor, err := c.Actor(ctx, secret, "")
	return actor, time.Time{}, err
}

// userActor verifies a user access token and resolves the identity in it;
// it also returns the token's expiry.
func (c *Credentials) userActor(ctx context.Context, token string) (*invited.Actor, time.Time, error) {
	if c.Verifier == nil {
		return nil, time.Time{}, invited.Errorf(invited.EUNAUTHENTICATED, "user access tokens are not enabled on this server")
	}
	claims, err := c.Verifier.Verify(ctx, token)
	switch {
	case errors.Is(err, jwtauth.ErrInvalidToken):
		return nil, time.Time{}, invited.Errorf(invited.EUNAUTHENTICATED, "the user access token is invalid or expired")
	case errors.Is(err, jwtauth.ErrKeysUnavailable):
		// The identity provider is down: not the caller's fault, so not 401.
		return nil, time.Time{}, invited.Errorf(invited.EUNAVAILABLE, "user access tokens cannot be checked right now")
	case err != nil:
		return nil, time.Time{}, err
	}
	actor, err := c.Auth.AuthenticateUser(ctx, invited.User{
		ExternalID:    claims.Subject,
		Email:         strings.ToLower(strings.TrimSpace(claims.Email)),
		EmailVerified: claims.EmailVerified,
		Phone:         claims.Phone,
		Name:          claims.Name,
	})
	return actor, claims.Expiry, err
}

// ClientAddr is the address of the client: the peer's, or, when the peer
// is a trusted proxy, the address the proxies say they forwarded for. The
// X-Forwarded-For list is read from the right, skipping trusted proxies,
// because only its trusted end is not the client's own invention.
func (c *Credentials) ClientAddr(r *http.Request) string {
	peer := r.RemoteAddr
	if host, _, err := net.SplitHostPort(peer); err == nil {
		peer = host
	}
	if !c.trusted(peer) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		if _, err := netip.ParseAddr(hop); err != nil {
			break // garbage: stop at the last address we could vouch for
		}
		peer = hop
		if !c.trusted(hop) {
			break
		}
	}
	return peer
}

// trusted reports whether addr is one of the trusted proxies.
func (c *Credentials) trusted(addr string) bool {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	for _, p := range c.TrustedProxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
