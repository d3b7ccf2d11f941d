package http

import (
	"errors"
	"net/http"
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

// authenticate resolves the caller into an actor and puts it in the
// context, or answers 401.
func (s *server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		actor, err := s.actor(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		actor.RemoteAddr = s.clientAddr(r)
		next.ServeHTTP(w, r.WithContext(invited.NewContextWithActor(r.Context(), actor)))
	})
}

// anonymous serves a public route with an actor that has no rights but
// still records where the request came from, for the audit trail.
func (s *server) anonymous(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		actor := &invited.Actor{RemoteAddr: s.clientAddr(r)}
		next.ServeHTTP(w, r.WithContext(invited.NewContextWithActor(r.Context(), actor)))
	})
}

func (s *server) actor(r *http.Request) (*invited.Actor, error) {
	ctx := r.Context()
	secret, ok := bearer(r.Header.Get("Authorization"))
	if !ok {
		return nil, invited.Errorf(invited.EUNAUTHENTICATED, "send Authorization: Bearer with an API key or a user access token")
	}
	actingAs := r.Header.Get(actingUserHeader)
	if jwtauth.LooksLikeJWT(secret) {
		if actingAs != "" {
			return nil, invited.Errorf(invited.EINVALID, "%s is for API keys; a user access token already names its user", actingUserHeader)
		}
		return s.userActor(r, secret)
	}
	// Anything else is an API key: minted ones start with "ik_", but an
	// operator's INVITED_ADMIN_API_KEY may be any string of 16 or more
	// characters, so the store decides by hash, not by shape.
	actor, err := s.deps.Auth.AuthenticateAPIKey(ctx, secret)
	if err != nil || actingAs == "" {
		return actor, err
	}
	return s.deps.Auth.ActAsUser(ctx, actor, actingAs)
}

// userActor verifies a user access token and resolves the identity in it.
func (s *server) userActor(r *http.Request, token string) (*invited.Actor, error) {
	if s.deps.Verifier == nil {
		return nil, invited.Errorf(invited.EUNAUTHENTICATED, "user access tokens are not enabled on this server")
	}
	claims, err := s.deps.Verifier.Verify(r.Context(), token)
	switch {
	case errors.Is(err, jwtauth.ErrInvalidToken):
		return nil, invited.Errorf(invited.EUNAUTHENTICATED, "the user access token is invalid or expired")
	case errors.Is(err, jwtauth.ErrKeysUnavailable):
		// The identity provider is down: not the caller's fault, so not 401.
		return nil, invited.Errorf(invited.EUNAVAILABLE, "user access tokens cannot be checked right now")
	case err != nil:
		return nil, err
	}
	return s.deps.Auth.AuthenticateUser(r.Context(), invited.User{
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
