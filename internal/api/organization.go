package api

import (
	"net/http"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
)

func (s *server) createOrganization(r *http.Request, c invited.OrganizationCreate) (*invited.Organization, error) {
	return s.deps.Orgs.CreateOrganization(r.Context(), c)
}

func (s *server) listOrganizations(r *http.Request) (client.OrganizationList, error) {
	page, err := pageQuery(r)
	if err != nil {
		return client.OrganizationList{}, err
	}
	orgs, next, err := s.deps.Orgs.FindOrganizations(r.Context(), invited.OrganizationFilter{Page: page})
	return client.OrganizationList{Orgs: nonNil(orgs), NextPageToken: next}, err
}

func (s *server) getOrganization(r *http.Request) (*invited.Organization, error) {
	id, err := pathID(r, "org", invited.PrefixOrganization)
	if err != nil {
		return nil, err
	}
	return s.deps.Orgs.FindOrganizationByID(r.Context(), id)
}

func (s *server) updateOrganization(r *http.Request, u invited.OrganizationUpdate) (*invited.Organization, error) {
	id, err := pathID(r, "org", invited.PrefixOrganization)
	if err != nil {
		return nil, err
	}
	return s.deps.Orgs.UpdateOrganization(r.Context(), id, u)
}

func (s *server) listMembers(r *http.Request) (client.MemberList, error) {
	id, err := pathID(r, "org", invited.PrefixOrganization)
	if err != nil {
		return client.MemberList{}, err
	}
	page, err := pageQuery(r)
	if err != nil {
		return client.MemberList{}, err
	}
	members, next, err := s.deps.Members.FindMembers(r.Context(), invited.MemberFilter{OrgID: id, Page: page})
	return client.MemberList{Members: nonNil(members), NextPageToken: next}, err
}

// memberPath reads the organization and user ids of a member's path.
func memberPath(r *http.Request) (orgID, userID string, err error) {
	if orgID, err = pathID(r, "org", invited.PrefixOrganization); err != nil {
		return "", "", err
	}
	userID, err = pathID(r, "user", invited.PrefixUser)
	return orgID, userID, err
}

func (s *server) getMember(r *http.Request) (*invited.Member, error) {
	orgID, userID, err := memberPath(r)
	if err != nil {
		return nil, err
	}
	return s.deps.Members.FindMember(r.Context(), orgID, userID)
}

func (s *server) updateMember(r *http.Request, u invited.MemberUpdate) (*invited.Member, error) {
	orgID, userID, err := memberPath(r)
	if err != nil {
		return nil, err
	}
	return s.deps.Members.UpdateMember(r.Context(), orgID, userID, u)
}

func (s *server) deleteMember(r *http.Request) (noContent, error) {
	orgID, userID, err := memberPath(r)
	if err != nil {
		return noContent{}, err
	}
	return noContent{}, s.deps.Members.DeleteMember(r.Context(), orgID, userID)
}

func (s *server) listRoles(r *http.Request) (client.RoleList, error) {
	id, err := pathID(r, "org", invited.PrefixOrganization)
	if err != nil {
		return client.RoleList{}, err
	}
	roles, err := s.deps.Roles.FindRoles(r.Context(), id)
	return client.RoleList{Roles: nonNil(roles)}, err
}

func (s *server) createRole(r *http.Request, c invited.RoleCreate) (*invited.Role, error) {
	id, err := pathID(r, "org", invited.PrefixOrganization)
	if err != nil {
		return nil, err
	}
	return s.deps.Roles.CreateRole(r.Context(), id, c)
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil[T any](items []T) []T {
	if items == nil {
		return []T{}
	}
	return items
}
