package client

import (
	"context"
	"iter"
	"net/http"

	"github.com/invitedhq/invited"
)

// CreateInvitation invites someone to an organization and, unless in.Send
// is false, sends the invitation. The answer's URL is the secret link,
// shown only here. It honours WithIdempotencyKey.
func (c *Client) CreateInvitation(ctx context.Context, orgID string, in invited.InvitationCreate) (*InvitationWithURL, error) {
	return answer[*InvitationWithURL](ctx, c, call{op: "createInvitation", method: http.MethodPost, path: pathf("/v1/orgs/%s/invitations", orgID), in: in})
}

// CreateInvitations invites up to 1000 people at once: each item is
// answered in Results[index] with its invitation or its error. It honours
// WithIdempotencyKey.
func (c *Client) CreateInvitations(ctx context.Context, orgID string, in BatchRequest) (*BatchResponse, error) {
	return answer[*BatchResponse](ctx, c, call{op: "createInvitations", method: http.MethodPost, path: pathf("/v1/orgs/%s/invitations/batch", orgID), in: in})
}

// ListInvitations answers a page of the invitations the caller may read.
func (c *Client) ListInvitations(ctx context.Context, f invited.InvitationFilter) (InvitationList, error) {
	return answer[InvitationList](ctx, c, call{op: "listInvitations", method: http.MethodGet, path: "/v1/invitations",
		query: query(f.Page, "org_id", f.OrgID, "status", string(f.Status), "email", f.Email)})
}

// Invitations iterates over the invitations the caller may read.
func (c *Client) Invitations(ctx context.Context, f invited.InvitationFilter) iter.Seq2[*invited.Invitation, error] {
	return pages(f.PageToken, func(token string) ([]*invited.Invitation, string, error) {
		f.PageToken = token
		l, err := c.ListInvitations(ctx, f)
		return l.Invitations, l.NextPageToken, err
	})
}

// GetInvitation reads an invitation.
func (c *Client) GetInvitation(ctx context.Context, id string) (*invited.Invitation, error) {
	return answer[*invited.Invitation](ctx, c, call{op: "getInvitation", method: http.MethodGet, path: pathf("/v1/invitations/%s", id)})
}

// SendInvitation sends a draft; the answer carries the secret link.
func (c *Client) SendInvitation(ctx context.Context, id string) (*InvitationWithURL, error) {
	return answer[*InvitationWithURL](ctx, c, call{op: "sendInvitation", method: http.MethodPost, path: pathf("/v1/invitations/%s/send", id)})
}

// ResendInvitation sends an invitation again with a new link, which the
// answer carries; the previous link stops working.
func (c *Client) ResendInvitation(ctx context.Context, id string) (*InvitationWithURL, error) {
	return answer[*InvitationWithURL](ctx, c, call{op: "resendInvitation", method: http.MethodPost, path: pathf("/v1/invitations/%s/resend", id)})
}

// RenewInvitation extends a pending or expired invitation, keeping its
// link; a zero Renewal gives it the organization's invitation_ttl.
func (c *Client) RenewInvitation(ctx context.Context, id string, in invited.Renewal) (*invited.Invitation, error) {
	return answer[*invited.Invitation](ctx, c, call{op: "renewInvitation", method: http.MethodPost, path: pathf("/v1/invitations/%s/renew", id), in: in})
}

// RevokeInvitation revokes an invitation.
func (c *Client) RevokeInvitation(ctx context.Context, id string) (*invited.Invitation, error) {
	return answer[*invited.Invitation](ctx, c, call{op: "revokeInvitation", method: http.MethodPost, path: pathf("/v1/invitations/%s/revoke", id)})
}

// DeleteInvitation revokes an invitation, like RevokeInvitation, through
// DELETE /v1/invitations/{id}.
func (c *Client) DeleteInvitation(ctx context.Context, id string) (*invited.Invitation, error) {
	return answer[*invited.Invitation](ctx, c, call{op: "deleteInvitation", method: http.MethodDelete, path: pathf("/v1/invitations/%s", id)})
}

// ArchiveInvitation files away an accepted invitation.
func (c *Client) ArchiveInvitation(ctx context.Context, id string) (*invited.Invitation, error) {
	return answer[*invited.Invitation](ctx, c, call{op: "archiveInvitation", method: http.MethodPost, path: pathf("/v1/invitations/%s/archive", id)})
}

// PreviewInvitation answers what the invitation link of token offers. It
// needs no credentials.
func (c *Client) PreviewInvitation(ctx context.Context, token string) (*invited.InvitationPreview, error) {
	return answer[*invited.InvitationPreview](ctx, c, call{op: "previewInvitation", method: http.MethodGet, path: pathf("/v1/invitation-tokens/%s", token)})
}

// AcceptInvitation accepts the invitation of token. With a user access
// token (or a key acting for a user) user is nil and the caller accepts;
// with an API key, user names the person the host application vouches for.
func (c *Client) AcceptInvitation(ctx context.Context, token string, user *invited.Acceptor) (*invited.Acceptance, error) {
	return answer[*invited.Acceptance](ctx, c, accept("acceptInvitation", pathf("/v1/invitation-tokens/%s/accept", token), user))
}

// accept is the POST of an accept (of an invitation, of a join link): with
// the body naming user, or without a body when user is nil.
func accept(op, path string, user *invited.Acceptor) call {
	cl := call{op: op, method: http.MethodPost, path: path}
	if user != nil {
		cl.in = AcceptRequest{User: user}
	}
	return cl
}

// DeclineInvitation declines the invitation of token, answering its public
// view, now declined. It needs no credentials.
func (c *Client) DeclineInvitation(ctx context.Context, token string) (*invited.InvitationPreview, error) {
	return answer[*invited.InvitationPreview](ctx, c, call{op: "declineInvitation", method: http.MethodPost, path: pathf("/v1/invitation-tokens/%s/decline", token)})
}

// RedeemAcceptanceTicket spends the acceptance ticket the invitee's browser
// brought back from the hosted page (?ticket=…), answering what it says.
func (c *Client) RedeemAcceptanceTicket(ctx context.Context, ticket string) (*invited.AcceptanceTicket, error) {
	return answer[*invited.AcceptanceTicket](ctx, c, call{op: "redeemAcceptanceTicket", method: http.MethodPost, path: "/v1/acceptance-tickets/redeem",
		in: RedeemRequest{Ticket: ticket}})
}

// GetJWKS answers the keys that verify acceptance tickets. It needs no
// credentials.
func (c *Client) GetJWKS(ctx context.Context) (*JWKSet, error) {
	return answer[*JWKSet](ctx, c, call{op: "getJWKS", method: http.MethodGet, path: "/.well-known/jwks.json"})
}
