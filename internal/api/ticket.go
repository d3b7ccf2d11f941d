package api

import (
	"context"
	"net/http"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
)

// TicketKeys verifies acceptance tickets and publishes the keys that sign
// them: internal/ticket's Keys.
type TicketKeys interface {
	// Verify returns the id of a ticket signed by one of the published
	// keys; ticket_expired when it expired, invalid_request on the field
	// "ticket" when it is anything but a valid ticket.
	Verify(ctx context.Context, compact string) (ticketID string, err error)
	JWKS(ctx context.Context) (client.JWKSet, error)
}

// redeemTicket checks the ticket's signature here, because the service
// trusts the transport for that, and redeems it.
func (s *server) redeemTicket(r *http.Request, in client.RedeemRequest) (*invited.AcceptanceTicket, error) {
	if in.Ticket == "" {
		return nil, errField("ticket", "is required")
	}
	id, err := s.deps.TicketKeys.Verify(r.Context(), in.Ticket)
	if err != nil {
		return nil, err
	}
	return s.deps.Tickets.RedeemAcceptanceTicket(r.Context(), id)
}

// jwksCacheControl lets host apps and proxies keep the key set a minute. A
// new key is published ticket.CacheAge before it signs, which a cache this
// long can miss, so verifiers fetch again when they meet an unknown kid.
const jwksCacheControl = "public, max-age=60"

// serveJWKS answers the public keys. Unlike the API's answers it may be
// cached: it is the same for everyone and changes only with a rotation.
func (s *server) serveJWKS(w http.ResponseWriter, r *http.Request) {
	set, err := s.deps.TicketKeys.JWKS(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	body, err := encodeJSON(set)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", jwksCacheControl)
	w.Write(body)
}
