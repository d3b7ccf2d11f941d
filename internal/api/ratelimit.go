package api

import (
	"net/http"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/httpkit"
)

// throttleCreates limits the links created in orgID: invitations, and
// app invites, which share the allowance because both send links to people
// on the organization's behalf. Only a caller who holds perm there, the
// permission the create needs, spends its allowance: anyone else is
// refused by the service, and must not be able to use up another tenant's.
func (s *server) throttleCreates(r *http.Request, orgID string, perm invited.Permission, n int) error {
	if !invited.ActorFromContext(r.Context()).Can(orgID, perm) {
		return nil
	}
	return s.deps.CreateLimit.Take(orgID, n, "this organization is creating invitations too fast; slow down")
}

// throttlePublic limits the public token requests of one client address:
// tokens are unguessable, but lookups should not be free to hammer.
func (s *server) throttlePublic(r *http.Request) error {
	addr := invited.ActorFromContext(r.Context()).RemoteAddr
	return s.deps.PublicLimit.Take(addr, 1, httpkit.PublicLimitMessage)
}
