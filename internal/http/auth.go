package http

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"strings"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/jwtauth"
)

// authPublic is the Auth of routes that need no credentials. Any other
// Auth value documents what a route needs and makes it authenticated; what
// the caller may then do is the services' decision.
const authPublic = "public"

// actingUserHeader lets an API key act for a user (DESIGN.md §4).
const actingUserHeader = "Invited-Acting-User"

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

// authenticate resolves the caller into an actor and puts it in the
// context, or answers 401.
func (s *server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret, ok := bearer(r.Header.Get("Authorization"))
		if !ok {
			s.writeError(w, r, invited.Errorf(invited.EUNAUTHENTICATED, "send Authorization: Bearer with an API key or a user access token"))
			return
		}
		actor, err := s.creds.Actor(r.Context(), secret, r.Header.Get(actingUserHeader))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		actor.RemoteAddr = s.creds.ClientAddr(r)
		next.ServeHTTP(w, r.WithContext(invited.NewContextWithActor(r.Context(), actor)))
	})
}

// anonymous serves a public route with an actor that has no rights but
// still records where the request came from, for the audit trail.
func (s *server) anonymous(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		actor := &invited.Actor{RemoteAddr: s.creds.ClientAddr(r)}
		next.ServeHTTP(w, r.WithContext(invited.NewContextWithActor(r.Context(), actor)))
	})
}

// Actor resolves secret, an API key or a user access token, into an actor;
// actingAs, when not empty, names the user an API key acts for. The
// actor's RemoteAddr is left for the caller to fill in.
func (c *Credentials) Actor(ctx context.Context, secret, actingAs string) (*invited.Actor, error) {
	if jwtauth.LooksLikeJWT(secret) {
		if actingAs != "" {
			return nil, invited.Errorf(invited.EINVALID, "%s is for API keys; a user access token already names its user", actingUserHeader)
		}
		return c.userActor(ctx, secret)
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

// userActor verifies a user access token and resolves the identity in it.
func (c *Credentials) userActor(ctx context.Context, token string) (*invited.Actor, error) {
	if c.Verifier == nil {
		return nil, invited.Errorf(invited.EUNAUTHENTICATED, "user access tokens are not enabled on this server")
	}
	claims, err := c.Verifier.Verify(ctx, token)
	switch {
	case errors.Is(err, jwtauth.ErrInvalidToken):
		return nil, invited.Errorf(invited.EUNAUTHENTICATED, "the user access token is invalid or expired")
	case errors.Is(err, jwtauth.ErrKeysUnavailable):
		// The identity provider is down: not the caller's fault, so not 401.
		return nil, invited.Errorf(invited.EUNAVAILABLE, "user access tokens cannot be checked right now")
	case err != nil:
		return nil, err
	}
	return c.Auth.AuthenticateUser(ctx, invited.User{
		ExternalID:    claims.Subject,
		Email:         strings.ToLower(strings.TrimSpace(claims.Email)),
		EmailVerified: claims.EmailVerified,
		Phone:         claims.Phone,
		Name:          claims.Name,
	})
}

// bearer extracts the credential of an "Authorization: Bearer …" header.
func bearer(header string) (string, bool) {
	scheme, cred, ok := strings.Cut(header, " ")
	cred = strings.TrimSpace(cred)
	return cred, ok && strings.EqualFold(scheme, "Bearer") && cred != ""
}
