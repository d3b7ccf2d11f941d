package client

import (
	"context"
	"iter"
	"net/http"

	"github.com/invitedhq/invited"
)

// answer sends cl and decodes its answer into a T.
func answer[T any](ctx context.Context, c *Client, cl call) (T, error) {
	var out T
	cl.out = &out
	if err := c.do(ctx, cl); err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}

// CreateOrganization creates an organization (an admin key).
func (c *Client) CreateOrganization(ctx context.Context, in invited.OrganizationCreate) (*invited.Organization, error) {
	return answer[*invited.Organization](ctx, c, call{op: "createOrganization", method: http.MethodPost, path: "/v1/orgs", in: in})
}

// ListOrganizations answers a page of the organizations the caller can see.
func (c *Client) ListOrganizations(ctx context.Context, f invited.OrganizationFilter) (OrganizationList, error) {
	return answer[OrganizationList](ctx, c, call{op: "listOrganizations", method: http.MethodGet, path: "/v1/orgs", query: query(f.Page)})
}

// Organizations iterates over the organizations the caller can see.
func (c *Client) Organizations(ctx context.Context, f invited.OrganizationFilter) iter.Seq2[*invited.Organization, error] {
	return pages(f.PageToken, func(token string) ([]*invited.Organization, string, error) {
		f.PageToken = token
		l, err := c.ListOrganizations(ctx, f)
		return l.Orgs, l.NextPageToken, err
	})
}

// GetOrganization reads an organization.
func (c *Client) GetOrganization(ctx context.Context, orgID string) (*invited.Organization, error) {
	return answer[*invited.Organization](ctx, c, call{op: "getOrganization", method: http.MethodGet, path: pathf("/v1/orgs/%s", orgID)})
}

// UpdateOrganization renames an organization or changes its settings.
func (c *Client) UpdateOrganization(ctx context.Context, orgID string, in invited.OrganizationUpdate) (*invited.Organization, error) {
	return answer[*invited.Organization](ctx, c, call{op: "updateOrganization", method: http.MethodPatch, path: pathf("/v1/orgs/%s", orgID), in: in})
}

// ListMembers answers a page of the members of the organization f.OrgID.
func (c *Client) ListMembers(ctx context.Context, f invited.MemberFilter) (MemberList, error) {
	return answer[MemberList](ctx, c, call{op: "listMembers", method: http.MethodGet, path: pathf("/v1/orgs/%s/members", f.OrgID), query: query(f.Page)})
}

// Members iterates over the members of the organization f.OrgID.
func (c *Client) Members(ctx context.Context, f invited.MemberFilter) iter.Seq2[*invited.Member, error] {
	return pages(f.PageToken, func(token string) ([]*invited.Member, string, error) {
		f.PageToken = token
		l, err := c.ListMembers(ctx, f)
		return l.Members, l.NextPageToken, err
	})
}

// GetMember reads a member of an organization.
func (c *Client) GetMember(ctx context.Context, orgID, userID string) (*invited.Member, error) {
	return answer[*invited.Member](ctx, c, call{op: "getMember", method: http.MethodGet, path: pathf("/v1/orgs/%s/members/%s", orgID, userID)})
}

// UpdateMember replaces a member's roles.
func (c *Client) UpdateMember(ctx context.Context, orgID, userID string, in invited.MemberUpdate) (*invited.Member, error) {
	return answer[*invited.Member](ctx, c, call{op: "updateMember", method: http.MethodPatch, path: pathf("/v1/orgs/%s/members/%s", orgID, userID), in: in})
}

// DeleteMember removes a member from an organization.
func (c *Client) DeleteMember(ctx context.Context, orgID, userID string) error {
	return c.do(ctx, call{op: "deleteMember", method: http.MethodDelete, path: pathf("/v1/orgs/%s/members/%s", orgID, userID)})
}

// ListRoles answers an organization's roles, built-in and custom, all in
// one page.
func (c *Client) ListRoles(ctx context.Context, orgID string) (RoleList, error) {
	return answer[RoleList](ctx, c, call{op: "listRoles", method: http.MethodGet, path: pathf("/v1/orgs/%s/roles", orgID)})
}

// CreateRole creates a custom role in an organization.
func (c *Client) CreateRole(ctx context.Context, orgID string, in invited.RoleCreate) (*invited.Role, error) {
	return answer[*invited.Role](ctx, c, call{op: "createRole", method: http.MethodPost, path: pathf("/v1/orgs/%s/roles", orgID), in: in})
}
