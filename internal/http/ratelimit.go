package http

import (
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/invitedhq/invited"
)

// PublicLimitMessage is what a client address over its allowance of
// public link requests is told, by the API and the hosted pages alike.
const PublicLimitMessage = "too many invitation link requests from this address; slow down"

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
	return s.deps.PublicLimit.Take(addr, 1, PublicLimitMessage)
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
