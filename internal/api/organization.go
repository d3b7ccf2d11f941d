package api

import (
	"net/http"

	"github.com/invitedhq/invited"
)

// OrganizationList is a page of organizations.
type OrganizationList struct {
	Orgs          []*invited.Organization `json:"orgs"`
	NextPageToken string                  `json:"next_page_token" doc:"empty on the last page"`
}

// MemberList is a page of an organization's members.
type MemberList struct {
	Members       []*invited.Member `json:"members"`
	NextPageToken string            `json:"next_page_token" doc:"empty on the last page"`
}

// RoleList is an organization's roles, built-in and custom. It is one page.
type RoleList struct {
	Roles         []*invited.Role `json:"roles"`
	NextPageToken string          `json:"next_page_token" doc:"always empty: every role fits in one page"`
}

func (s *server) createOrganization(r *http.Request, c invited.OrganizationCreate) (*invited.Organization, error) {
	return s.deps.Orgs.CreateOrganization(r.Context(), c)
}

func (s *server) listOrganizations(r *http.Request) (OrganizationList, error) {
	page, err := pageQuery(r)
	if err != nil {
		return OrganizationList{}, err
	}
	orgs, next, err := s.deps.Orgs.FindOrganizations(r.Context(), invited.OrganizationFilter{Page: page})
	return OrganizationList{Orgs: nonNil(orgs), NextPageToken: next}, err
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

func (s *server) listMembers(r *http.Request) (MemberList, error) {
	id, err := pathID(r, "org", invited.PrefixOrganization)
	if err != nil {
		return MemberList{}, err
	}
	page, err := pageQuery(r)
	if err != nil {
		return MemberList{}, err
	}
	members, next, err := s.deps.Members.FindMembers(r.Context(), invited.MemberFilter{OrgID: id, Page: page})
	return MemberList{Members: nonNil(members), NextPageToken: next}, err
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

func (s *server) listRoles(r *http.Request) (RoleList, error) {
	id, err := pathID(r, "org", invited.PrefixOrganization)
	if err != nil {
		return RoleList{}, err
	}
	roles, err := s.deps.Roles.FindRoles(r.Context(), id)
	return RoleList{Roles: nonNil(roles)}, err
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
