package client

import (
	"context"
	"iter"
	"net/http"

	"github.com/invitedhq/invited"
)

// CreateDomain claims an email domain for the organization orgID. The
// domain is pending until verified; the answer's Challenge is the TXT
// record that verifies it. It honours WithIdempotencyKey.
func (c *Client) CreateDomain(ctx context.Context, orgID string, in invited.DomainCreate) (*DomainWithChallenge, error) {
	return answer[*DomainWithChallenge](ctx, c, call{op: "createDomain", method: http.MethodPost, path: pathf("/v1/orgs/%s/domains", orgID), in: in})
}

// ListDomains answers a page of the domains of the organization f.OrgID.
func (c *Client) ListDomains(ctx context.Context, f invited.DomainFilter) (DomainList, error) {
	return answer[DomainList](ctx, c, call{op: "listDomains", method: http.MethodGet, path: pathf("/v1/orgs/%s/domains", f.OrgID),
		query: query(f.Page, "status", string(f.Status))})
}

// Domains iterates over the domains of the organization f.OrgID.
func (c *Client) Domains(ctx context.Context, f invited.DomainFilter) iter.Seq2[DomainWithChallenge, error] {
	return pages(f.PageToken, func(token string) ([]DomainWithChallenge, string, error) {
		f.PageToken = token
		l, err := c.ListDomains(ctx, f)
		return l.Domains, l.NextPageToken, err
	})
}

// GetDomain reads a domain, with its challenge.
func (c *Client) GetDomain(ctx context.Context, id string) (*DomainWithChallenge, error) {
	return answer[*DomainWithChallenge](ctx, c, call{op: "getDomain", method: http.MethodGet, path: pathf("/v1/domains/%s", id)})
}

// UpdateDomain changes a domain's policy or roles; the fields u leaves
// nil stay.
func (c *Client) UpdateDomain(ctx context.Context, id string, u invited.DomainUpdate) (*DomainWithChallenge, error) {
	return answer[*DomainWithChallenge](ctx, c, call{op: "updateDomain", method: http.MethodPatch, path: pathf("/v1/domains/%s", id), in: u})
}

// DeleteDomain withdraws a domain claim, pending or verified; who joined
// through it stays a member.
func (c *Client) DeleteDomain(ctx context.Context, id string) error {
	return c.do(ctx, call{op: "deleteDomain", method: http.MethodDelete, path: pathf("/v1/domains/%s", id)})
}

// VerifyDomain verifies a pending domain by v.Method: invited.VerifyDNS
// (the default) has the service look up the challenge record, and
// answers an error of code invited.EDOMAINNOTVERIFIED, saying what to
// publish, while it is missing; invited.VerifyAdmin, with an admin key,
// marks the domain verified without DNS.
func (c *Client) VerifyDomain(ctx context.Context, id string, v invited.DomainVerify) (*DomainWithChallenge, error) {
	return answer[*DomainWithChallenge](ctx, c, call{op: "verifyDomain", method: http.MethodPost, path: pathf("/v1/domains/%s/verify", id), in: v})
}

// ListJoinableOrgs answers the organizations the person the client acts
// for (a user access token, or an API key with WithActingUser) may join,
// or ask to, through the verified domain of their verified address.
func (c *Client) ListJoinableOrgs(ctx context.Context) (JoinableOrgList, error) {
	return answer[JoinableOrgList](ctx, c, call{op: "listJoinableOrgs", method: http.MethodGet, path: "/v1/me/joinable-orgs"})
}

// JoinOrganization joins the organization orgID as the person the client
// acts for, through the verified domain of their address, by its policy:
// auto makes a membership, request files a join request with in.Message.
func (c *Client) JoinOrganization(ctx context.Context, orgID string, in invited.JoinRequestCreate) (*invited.DomainJoin, error) {
	return answer[*invited.DomainJoin](ctx, c, call{op: "joinOrganization", method: http.MethodPost, path: pathf("/v1/orgs/%s/join", orgID), in: in})
}
