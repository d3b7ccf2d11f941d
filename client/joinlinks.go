package client

import (
	"context"
	"iter"
	"net/http"

	"github.com/invitedhq/invited"
)

// CreateJoinLink creates a multi-use link into an organization. The
// answer's Token and URL are the link's secret, shown only here. It
// honours WithIdempotencyKey.
func (c *Client) CreateJoinLink(ctx context.Context, orgID string, in invited.JoinLinkCreate) (*JoinLinkWithURL, error) {
	return answer[*JoinLinkWithURL](ctx, c, call{op: "createJoinLink", method: http.MethodPost, path: pathf("/v1/orgs/%s/join-links", orgID), in: in})
}

// ListJoinLinks answers a page of the join links of the organization
// f.OrgID.
func (c *Client) ListJoinLinks(ctx context.Context, f invited.JoinLinkFilter) (JoinLinkList, error) {
	return answer[JoinLinkList](ctx, c, call{op: "listJoinLinks", method: http.MethodGet, path: pathf("/v1/orgs/%s/join-links", f.OrgID),
		query: query(f.Page, "status", string(f.Status))})
}

// JoinLinks iterates over the join links of the organization f.OrgID.
func (c *Client) JoinLinks(ctx context.Context, f invited.JoinLinkFilter) iter.Seq2[*invited.JoinLink, error] {
	return pages(f.PageToken, func(token string) ([]*invited.JoinLink, string, error) {
		f.PageToken = token
		l, err := c.ListJoinLinks(ctx, f)
		return l.JoinLinks, l.NextPageToken, err
	})
}

// GetJoinLink reads a join link.
func (c *Client) GetJoinLink(ctx context.Context, id string) (*invited.JoinLink, error) {
	return answer[*invited.JoinLink](ctx, c, call{op: "getJoinLink", method: http.MethodGet, path: pathf("/v1/join-links/%s", id)})
}

// RevokeJoinLink revokes a join link: it stops working at once; those who
// joined through it stay members.
func (c *Client) RevokeJoinLink(ctx context.Context, id string) (*invited.JoinLink, error) {
	return answer[*invited.JoinLink](ctx, c, call{op: "revokeJoinLink", method: http.MethodPost, path: pathf("/v1/join-links/%s/revoke", id)})
}

// RotateJoinLink gives a join link a new secret, which the answer
// carries; the previous link stops working.
func (c *Client) RotateJoinLink(ctx context.Context, id string) (*JoinLinkWithURL, error) {
	return answer[*JoinLinkWithURL](ctx, c, call{op: "rotateJoinLink", method: http.MethodPost, path: pathf("/v1/join-links/%s/rotate", id)})
}

// PreviewJoinLink answers what the join link of token offers. It needs no
// credentials.
func (c *Client) PreviewJoinLink(ctx context.Context, token string) (*invited.JoinLinkPreview, error) {
	return answer[*invited.JoinLinkPreview](ctx, c, call{op: "previewJoinLink", method: http.MethodGet, path: pathf("/v1/join-link-tokens/%s", token)})
}

// AcceptJoinLink joins the organization through the join link of token.
// As with AcceptInvitation, user is nil with a user access token (or a key
// acting for a user), and names the person an API key vouches for
// otherwise.
func (c *Client) AcceptJoinLink(ctx context.Context, token string, user *invited.Acceptor) (*invited.JoinLinkAcceptance, error) {
	return answer[*invited.JoinLinkAcceptance](ctx, c, accept("acceptJoinLink", pathf("/v1/join-link-tokens/%s/accept", token), user))
}
