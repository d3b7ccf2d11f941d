package api

import (
	"net/http"
	"strings"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/httpkit"
	"github.com/invitedhq/invited/internal/openapi"
)

// authPublic is the Auth of routes that need no credentials. Any other
// Auth value documents what a route needs and makes it authenticated; what
// the caller may then do is the services' decision.
const authPublic = openapi.AuthPublic

// authenticate resolves the caller into an actor and puts it in the
// context, or answers 401.
func (s *server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret, ok := bearer(r.Header.Get("Authorization"))
		if !ok {
			s.writeError(w, r, invited.Errorf(invited.EUNAUTHENTICATED, "send Authorization: Bearer with an API key or a user access token"))
			return
		}
		actor, err := s.creds.Actor(r.Context(), secret, r.Header.Get(httpkit.ActingUserHeader))
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

// bearer extracts the credential of an "Authorization: Bearer …" header.
func bearer(header string) (string, bool) {
	scheme, cred, ok := strings.Cut(header, " ")
	cred = strings.TrimSpace(cred)
	return cred, ok && strings.EqualFold(scheme, "Bearer") && cred != ""
}
