package api

import (
	"net/http"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/httpkit"
	"github.com/invitedhq/invited/internal/ratelimit"
)

// throttleCreates spends n of orgID's allowance of created links
// (httpkit.SpendCreates), for a create that needs perm.
func (s *server) throttleCreates(r *http.Request, orgID string, perm invited.Permission, n int) error {
	return httpkit.SpendCreates(r.Context(), s.deps.CreateLimit, orgID, perm, n)
}

// throttlePublic limits the public token requests of one client address:
// tokens are unguessable, but lookups should not be free to hammer.
func (s *server) throttlePublic(r *http.Request) error {
	addr := invited.ActorFromContext(r.Context()).RemoteAddr
	return ratelimit.Take(r.Context(), s.deps.PublicLimit, addr, 1, httpkit.PublicLimitMessage)
}
