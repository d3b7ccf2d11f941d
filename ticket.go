package invited

import (
	"context"
	"time"
)

// TicketTTL is how long an acceptance ticket may be redeemed. It is short
// because the ticket travels in a URL through the invitee's browser.
const TicketTTL = 5 * time.Minute

// AcceptanceTicket is the hosted page's word to the host application that
// a person accepted an invitation, or joined through a join link with an
// address they confirmed (DESIGN.md §5): the invitee's browser
// carries it, as a JWT signed with one of the service's SigningKeys, to the
// redirect URL, and the host app verifies it against the published JWKS and
// redeems it once. The JWT's jti is ID; the rest of its claims are the
// fields below.
type AcceptanceTicket struct {
	ID           string     `json:"id"`
	InvitationID string     `json:"invitation_id,omitempty" doc:"the invitation accepted; absent for a join through a join link"`
	JoinLinkID   string     `json:"join_link_id,omitempty" doc:"the join link used; absent for an accepted invitation"`
	OrgID        string     `json:"org_id"`
	UserID       string     `json:"user_id"`
	Email        string     `json:"email"`
	Name         string     `json:"name,omitempty"`
	Roles        []string   `json:"roles" doc:"the user's roles in the organization once accepted: the invitation's (or join link's), merged into those of an existing membership, plus owner for the first member"`
	Audience     string     `json:"audience,omitempty" doc:"the invitation's (or join link's) audience, the JWT's aud"`
	IssuedAt     time.Time  `json:"issued_at"`
	ExpiresAt    time.Time  `json:"expires_at"`
	RedeemedAt   *time.Time `json:"redeemed_at"`
}

// TicketService redeems acceptance tickets. Tickets are issued by
// InvitationService.AcceptInvitationByLink and by a confirmed join on the
// hosted join page.
type TicketService interface {
	// RedeemAcceptanceTicket marks the ticket redeemed and returns it. The
	// transport has checked the JWT's signature; the caller must see the
	// ticket's organization (an admin key, or a key or member of that
	// organization), else not_found. A second redemption answers
	// ticket_already_redeemed, an expired ticket ticket_expired; of two
	// concurrent redemptions exactly one wins.
	RedeemAcceptanceTicket(ctx context.Context, id string) (*AcceptanceTicket, error)
}

// SigningKey is a private key the service signs acceptance tickets with.
// One key is active; a rotated-out key is retired but stays published in
// the JWKS until the tickets it signed have expired.
type SigningKey struct {
	ID         string // sig_…, the JWT's kid
	Algorithm  string // "ES256"
	PrivateKey []byte // PKCS #8, DER
	CreatedAt  time.Time
	RetiredAt  *time.Time
}

// SigningKeyService keeps the signing keys. It is used by the server itself
// and by `invited keys rotate`, not on behalf of a caller: it takes no
// actor.
type SigningKeyService interface {
	// SigningKeys returns the active key first, then the keys retired at or
	// after since, newest first.
	SigningKeys(ctx context.Context, since time.Time) ([]*SigningKey, error)
	// AddSigningKey makes k the active key and returns the active key.
	// Without rotate it keeps an existing active key and returns that one
	// instead, so that instances starting together on an empty database
	// agree on one key; with rotate it retires the active key at
	// k.CreatedAt.
	AddSigningKey(ctx context.Context, k *SigningKey, rotate bool) (*SigningKey, error)
}
