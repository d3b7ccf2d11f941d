package invited

import (
	"context"
	"time"
)

// The service interfaces below are implemented by internal/sqlstore and
// called by the transports. Every method takes the caller from
// ActorFromContext(ctx) and enforces authorization and tenant isolation
// itself: a resource of an organization the actor cannot see is not_found.
// Lists return the page and the next page token ("" on the last page).

// OrganizationService manages organizations.
type OrganizationService interface {
	// CreateOrganization needs an admin key.
	CreateOrganization(ctx context.Context, c OrganizationCreate) (*Organization, error)
	FindOrganizationByID(ctx context.Context, id string) (*Organization, error)
	FindOrganizations(ctx context.Context, f OrganizationFilter) ([]*Organization, string, error)
	// UpdateOrganization needs org:manage.
	UpdateOrganization(ctx context.Context, id string, u OrganizationUpdate) (*Organization, error)
}

// MemberService manages memberships. Memberships are created only by
// accepting an invitation.
type MemberService interface {
	// FindMembers needs members:read.
	FindMembers(ctx context.Context, f MemberFilter) ([]*Member, string, error)
	// FindMember returns one member; needs members:read.
	FindMember(ctx context.Context, orgID, userID string) (*Member, error)
	// UpdateMember replaces roles; needs members:manage. The last owner
	// cannot lose the owner role.
	UpdateMember(ctx context.Context, orgID, userID string, u MemberUpdate) (*Member, error)
	// DeleteMember needs members:manage. The last owner cannot be removed.
	DeleteMember(ctx context.Context, orgID, userID string) error
}

// RoleService manages roles.
type RoleService interface {
	// FindRoles lists built-in and custom roles; needs the organization to
	// be visible.
	FindRoles(ctx context.Context, orgID string) ([]*Role, error)
	// CreateRole needs roles:manage; the role holds no permission its
	// creator could not grant (Actor.MayGrant).
	CreateRole(ctx context.Context, orgID string, c RoleCreate) (*Role, error)
}

// InvitationService manages invitations and their lifecycle.
type InvitationService interface {
	// CreateInvitation needs invitations:create. It returns the plaintext
	// token for a sent invitation (empty for a draft): the only time it
	// exists outside the delivery.
	CreateInvitation(ctx context.Context, orgID string, c InvitationCreate) (*Invitation, string, error)
	// CreateInvitations creates up to MaxBatchSize invitations, each on its
	// own merits: one bad item does not sink the rest.
	CreateInvitations(ctx context.Context, orgID string, cs []InvitationCreate) ([]BatchResult, error)
	FindInvitationByID(ctx context.Context, id string) (*Invitation, error)
	FindInvitations(ctx context.Context, f InvitationFilter) ([]*Invitation, string, error)
	// SendInvitation moves a draft to pending and returns its new token.
	SendInvitation(ctx context.Context, id string) (*Invitation, string, error)
	// ResendInvitation issues a fresh token, invalidating the previous one.
	// Resends are limited by ResendDelay.
	ResendInvitation(ctx context.Context, id string) (*Invitation, string, error)
	// RenewInvitation sets a new expiry and keeps the token.
	RenewInvitation(ctx context.Context, id string, r Renewal) (*Invitation, error)
	// RevokeInvitation needs invitations:revoke.
	RevokeInvitation(ctx context.Context, id string) (*Invitation, error)
	// ArchiveInvitation files away an accepted invitation.
	ArchiveInvitation(ctx context.Context, id string) (*Invitation, error)

	// The token methods are authorized by possession of the token.
	PreviewInvitation(ctx context.Context, token string) (*InvitationPreview, error)
	// AcceptInvitation is atomic and single-use. The acceptor comes from the
	// actor's user, or from a when an API key vouches for the person.
	AcceptInvitation(ctx context.Context, token string, a Acceptor) (*Acceptance, error)
	DeclineInvitation(ctx context.Context, token string) (*Invitation, error)
	// OpenInvitationLink returns the invitation a link opens, with its
	// organization, for the hosted pages; not_found for an unknown token.
	// The transport must show the token holder no more than Preview does.
	OpenInvitationLink(ctx context.Context, token string) (*Invitation, *Organization, error)
	// AcceptInvitationByLink accepts an email invitation on the hosted
	// page. Following the emailed link proves control of the address, so
	// the user with that email is found, or created with the address
	// verified and named name; the acceptance carries a new Ticket for the
	// host app. Phone and user-id invitations answer invalid_state: the
	// host app signs those people in and accepts through the API.
	AcceptInvitationByLink(ctx context.Context, token, name string) (*Acceptance, error)

	// ExpireInvitations persists the expired status of up to limit overdue
	// invitations and returns how many it changed. Background job; no actor.
	ExpireInvitations(ctx context.Context, limit int) (int, error)
}

// APIKeyService manages API keys and authenticates requests.
type APIKeyService interface {
	// CreateAPIKey returns the key and its secret, shown only here. Admin
	// keys need an admin; organization keys need org:manage there and may
	// not grant more than the creator holds.
	CreateAPIKey(ctx context.Context, c APIKeyCreate) (*APIKey, string, error)
	FindAPIKeys(ctx context.Context, f APIKeyFilter) ([]*APIKey, string, error)
	RevokeAPIKey(ctx context.Context, id string) error

	// EnsureAdminAPIKey makes secret a valid admin key (bootstrap from
	// configuration). Idempotent.
	EnsureAdminAPIKey(ctx context.Context, secret, name string) (*APIKey, error)
	// CreateFirstAdminKey creates an admin key when no key exists yet and
	// returns its secret; it returns "" when keys exist.
	CreateFirstAdminKey(ctx context.Context) (string, error)
}

// Authenticator resolves credentials into actors. It runs before there is
// an actor, so it does no authorization.
type Authenticator interface {
	// AuthenticateAPIKey returns an actor for a key secret, or
	// unauthenticated for an unknown or revoked key.
	AuthenticateAPIKey(ctx context.Context, secret string) (*Actor, error)
	// ActAsUser turns a key's actor into one acting for the user named by
	// ref (usr_… or external_id), with that user's grants.
	ActAsUser(ctx context.Context, key *Actor, ref string) (*Actor, error)
	// AuthenticateUser returns an actor for a verified identity from a user
	// access token: the user with that external id (sub) if known, with
	// their grants, else an identity with no memberships yet.
	AuthenticateUser(ctx context.Context, identity User) (*Actor, error)
}

// IdempotencyService stores the outcome of requests sent with an
// Idempotency-Key, so that a retry replays the first answer.
type IdempotencyService interface {
	// BeginIdempotent reserves (scope, key) for a request with hash. It
	// returns the stored response when the request completed before, or a
	// conflict when the key is in flight or was used for another request.
	BeginIdempotent(ctx context.Context, scope, key, hash string) (*IdempotentResponse, error)
	// FinishIdempotent records the response of a reserved key.
	FinishIdempotent(ctx context.Context, scope, key string, r IdempotentResponse) error
	// AbandonIdempotent releases a reservation whose request failed
	// without effect, so that it can be retried.
	AbandonIdempotent(ctx context.Context, scope, key string) error
}

// IdempotentResponse is a stored answer.
type IdempotentResponse struct {
	Status int
	Body   []byte
}

// IdempotencyKeyTTL is how long an Idempotency-Key is remembered.
const IdempotencyKeyTTL = 24 * time.Hour
