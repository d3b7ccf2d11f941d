package client

import (
	"context"
	"iter"
	"net/http"

	"github.com/invitedhq/invited"
)

// CreateJoinRequest asks to join the organization orgID as the person the
// client acts for: a user access token, or an API key with
// WithActingUser. Asking again while a request waits answers that request.
func (c *Client) CreateJoinRequest(ctx context.Context, orgID string, in invited.JoinRequestCreate) (*invited.JoinRequest, error) {
	return answer[*invited.JoinRequest](ctx, c, call{op: "createJoinRequest", method: http.MethodPost, path: pathf("/v1/orgs/%s/join-requests", orgID), in: in})
}

// ListJoinRequests answers a page of the join requests of the
// organization f.OrgID.
func (c *Client) ListJoinRequests(ctx context.Context, f invited.JoinRequestFilter) (JoinRequestList, error) {
	return answer[JoinRequestList](ctx, c, call{op: "listJoinRequests", method: http.MethodGet, path: pathf("/v1/orgs/%s/join-requests", f.OrgID),
		query: query(f.Page, "status", string(f.Status))})
}

// JoinRequests iterates over the join requests of the organization
// f.OrgID.
func (c *Client) JoinRequests(ctx context.Context, f invited.JoinRequestFilter) iter.Seq2[*invited.JoinRequest, error] {
	return pages(f.PageToken, func(token string) ([]*invited.JoinRequest, string, error) {
		f.PageToken = token
		l, err := c.ListJoinRequests(ctx, f)
		return l.JoinRequests, l.NextPageToken, err
	})
}

// GetJoinRequest reads a join request.
func (c *Client) GetJoinRequest(ctx context.Context, id string) (*invited.JoinRequest, error) {
	return answer[*invited.JoinRequest](ctx, c, call{op: "getJoinRequest", method: http.MethodGet, path: pathf("/v1/join-requests/%s", id)})
}

// ApproveJoinRequest lets the requester in, with d.Roles when given; the
// answer carries the membership made.
func (c *Client) ApproveJoinRequest(ctx context.Context, id string, d invited.JoinDecision) (*JoinDecisionResult, error) {
	return answer[*JoinDecisionResult](ctx, c, call{op: "approveJoinRequest", method: http.MethodPost, path: pathf("/v1/join-requests/%s/approve", id), in: d})
}

// DenyJoinRequest turns the request down; the requester is told, with
// d.Note.
func (c *Client) DenyJoinRequest(ctx context.Context, id string, d invited.JoinDecision) (*JoinDecisionResult, error) {
	return answer[*JoinDecisionResult](ctx, c, call{op: "denyJoinRequest", method: http.MethodPost, path: pathf("/v1/join-requests/%s/deny", id), in: d})
}
