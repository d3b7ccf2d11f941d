package invited

import (
	"context"
	"slices"
	"strings"
)

// Actor is who is calling: an API key, a user, or a key acting for a user.
// Transports resolve it once per request and put it in the context; services
// take every authorization decision from it.
type Actor struct {
	// APIKeyID is the key that authenticated the request, if any.
	APIKeyID string
	// Admin is true for a system-wide admin key not acting for a user.
	Admin bool
	// KeyOrgID and KeyPermissions describe an organization-bound key. When
	// such a key acts for a user, the user's grants are limited to KeyOrgID.
	KeyOrgID       string
	KeyPermissions PermissionSet

	// User is the person calling, when there is one: a user access token, or
	// a key acting for a user. User.ID is empty for an identity the host app
	// vouches for but who has never accepted an invitation.
	User *User
	// Grants are the user's permissions per organization id.
	Grants map[string]PermissionSet

	// RemoteAddr is the client address, for the audit trail.
	RemoteAddr string
}

// IsUser reports whether permissions come from a user's memberships.
func (a *Actor) IsUser() bool { return a.User != nil }

// UserID is the acting user's id, or "".
func (a *Actor) UserID() string {
	if a.User == nil {
		return ""
	}
	return a.User.ID
}

// Permissions returns what the actor may do in orgID.
func (a *Actor) Permissions(orgID string) PermissionSet {
	switch {
	case a.Admin:
		return NewPermissionSet(AllPermissions...)
	case a.IsUser():
		if a.KeyOrgID != "" && a.KeyOrgID != orgID {
			return 0
		}
		return a.Grants[orgID]
	case a.KeyOrgID == orgID:
		return a.KeyPermissions
	}
	return 0
}

// Can reports whether the actor holds p in orgID.
func (a *Actor) Can(orgID string, p Permission) bool { return a.Permissions(orgID).Has(p) }

// CanSee reports whether orgID exists for the actor at all. Organizations
// the actor cannot see answer not_found, never forbidden, so that tenants
// cannot probe each other's ids.
func (a *Actor) CanSee(orgID string) bool {
	switch {
	case a.Admin:
		return true
	case a.IsUser():
		_, member := a.Grants[orgID]
		return member && (a.KeyOrgID == "" || a.KeyOrgID == orgID)
	}
	return a.KeyOrgID == orgID
}

// Authorize returns nil if the actor holds p in orgID, not_found if the
// organization is invisible to the actor, and forbidden otherwise.
func (a *Actor) Authorize(orgID string, p Permission) error {
	if a.Can(orgID, p) {
		return nil
	}
	if !a.CanSee(orgID) {
		return Errorf(ENOTFOUND, "organization not found")
	}
	return Errorf(EFORBIDDEN, "this needs the %s permission in the organization", p)
}

// MayGrant returns forbidden unless the actor holds every permission in
// granted within orgID, apart from those of the built-in member role: an
// inviter with nothing but invitations:create can still bring people in as
// members, but nobody hands out more than that beyond what they hold,
// whether through an invitation's roles, a member's new roles, an API key or
// the permissions of a custom role. The message names the missing
// permissions in documentation order.
func (a *Actor) MayGrant(orgID string, granted PermissionSet) error {
	member, _ := BuiltInRole(RoleMember)
	excess := granted &^ a.Permissions(orgID) &^ NewPermissionSet(member.Permissions...)
	if excess == 0 {
		return nil
	}
	return Errorf(EFORBIDDEN, "you cannot grant permissions you do not hold: %s", strings.Join(Strings(excess.List()), ", "))
}

// VisibleOrgIDs returns the organizations the actor can see, or all=true.
func (a *Actor) VisibleOrgIDs() (ids []string, all bool) {
	switch {
	case a.Admin:
		return nil, true
	case a.IsUser():
		for id := range a.Grants {
			if a.KeyOrgID == "" || a.KeyOrgID == id {
				ids = append(ids, id)
			}
		}
		slices.Sort(ids)
		return ids, false
	case a.KeyOrgID != "":
		return []string{a.KeyOrgID}, false
	}
	return nil, false
}

// OrgIDsWith returns the visible organizations where the actor holds p, or
// all=true.
func (a *Actor) OrgIDsWith(p Permission) (ids []string, all bool) {
	visible, all := a.VisibleOrgIDs()
	if all {
		return nil, true
	}
	for _, id := range visible {
		if a.Can(id, p) {
			ids = append(ids, id)
		}
	}
	return ids, false
}

// InvitationScope is which invitations a caller may read (DESIGN.md §4): an
// admin key sees all; a user sees the invitations of organizations where a
// role grants invitations:read, plus those they created where they hold only
// invitations:create; an organization-bound key sees its organization's.
type InvitationScope struct {
	All bool
	// OrgIDs: every invitation of these organizations.
	OrgIDs []string
	// CreatorOrgIDs: in these organizations, only invitations whose inviter
	// is CreatorUserID.
	CreatorOrgIDs []string
	CreatorUserID string
}

// InvitationScope returns what the actor may list and read.
func (a *Actor) InvitationScope() InvitationScope {
	visible, all := a.VisibleOrgIDs()
	if all {
		return InvitationScope{All: true}
	}
	s := InvitationScope{CreatorUserID: a.UserID()}
	for _, id := range visible {
		switch {
		case a.Can(id, PermInvitationsRead):
			s.OrgIDs = append(s.OrgIDs, id)
		case a.Can(id, PermInvitationsCreate) && s.CreatorUserID != "":
			s.CreatorOrgIDs = append(s.CreatorOrgIDs, id)
		}
	}
	return s
}

// Allows reports whether inv is inside the scope.
func (s InvitationScope) Allows(inv *Invitation) bool {
	return s.All || slices.Contains(s.OrgIDs, inv.OrgID) ||
		(slices.Contains(s.CreatorOrgIDs, inv.OrgID) && inv.Inviter.UserID == s.CreatorUserID)
}

// Empty reports whether the scope admits nothing.
func (s InvitationScope) Empty() bool {
	return !s.All && len(s.OrgIDs) == 0 && len(s.CreatorOrgIDs) == 0
}

type actorKey struct{}

// NewContextWithActor returns ctx carrying a.
func NewContextWithActor(ctx context.Context, a *Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFromContext returns the actor of ctx. Without one it returns an actor
// with no rights at all, so a forgotten middleware fails closed.
func ActorFromContext(ctx context.Context) *Actor {
	if a, ok := ctx.Value(actorKey{}).(*Actor); ok && a != nil {
		return a
	}
	return &Actor{}
}
