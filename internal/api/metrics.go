package api

import (
	"context"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/metrics"
)

// countingInvitations counts invitation transitions for
// invited_invitation_transitions_total: each successful call of a
// transition method counts once, so a replayed Idempotency-Key (answered
// from storage, without a call) does not. Expirations happen in the
// sweeper, which counts them itself (jobs.Sweeper.Expired).
type countingInvitations struct {
	invited.InvitationService
	m *metrics.Metrics
}

// countCreated counts a creation, and a first send when it was sent at
// once (a draft has no token).
func (c countingInvitations) countCreated(token string) {
	c.m.Transition(metrics.Created, 1)
	if token != "" {
		c.m.Transition(metrics.Sent, 1)
	}
}

// count counts one action if the call that made it succeeded.
func (c countingInvitations) count(action string, err error) {
	if err == nil {
		c.m.Transition(action, 1)
	}
}

func (c countingInvitations) CreateInvitation(ctx context.Context, orgID string, ic invited.InvitationCreate) (*invited.Invitation, string, error) {
	inv, token, err := c.InvitationService.CreateInvitation(ctx, orgID, ic)
	if err == nil {
		c.countCreated(token)
	}
	return inv, token, err
}

func (c countingInvitations) CreateInvitations(ctx context.Context, orgID string, cs []invited.InvitationCreate) ([]invited.BatchResult, error) {
	results, err := c.InvitationService.CreateInvitations(ctx, orgID, cs)
	if err == nil {
		for _, r := range results {
			if r.Err == nil {
				c.countCreated(r.Token)
			}
		}
	}
	return results, err
}

func (c countingInvitations) SendInvitation(ctx context.Context, id string) (*invited.Invitation, string, error) {
	inv, token, err := c.InvitationService.SendInvitation(ctx, id)
	c.count(metrics.Sent, err)
	return inv, token, err
}

func (c countingInvitations) ResendInvitation(ctx context.Context, id string) (*invited.Invitation, string, error) {
	inv, token, err := c.InvitationService.ResendInvitation(ctx, id)
	c.count(metrics.Resent, err)
	return inv, token, err
}

func (c countingInvitations) RenewInvitation(ctx context.Context, id string, r invited.Renewal) (*invited.Invitation, error) {
	inv, err := c.InvitationService.RenewInvitation(ctx, id, r)
	c.count(metrics.Renewed, err)
	return inv, err
}

func (c countingInvitations) RevokeInvitation(ctx context.Context, id string) (*invited.Invitation, error) {
	inv, err := c.InvitationService.RevokeInvitation(ctx, id)
	c.count(metrics.Revoked, err)
	return inv, err
}

func (c countingInvitations) ArchiveInvitation(ctx context.Context, id string) (*invited.Invitation, error) {
	inv, err := c.InvitationService.ArchiveInvitation(ctx, id)
	c.count(metrics.Archived, err)
	return inv, err
}

func (c countingInvitations) AcceptInvitation(ctx context.Context, token string, a invited.Acceptor) (*invited.Acceptance, error) {
	acc, err := c.InvitationService.AcceptInvitation(ctx, token, a)
	c.count(metrics.Accepted, err)
	return acc, err
}

func (c countingInvitations) DeclineInvitation(ctx context.Context, token string) (*invited.Invitation, error) {
	inv, err := c.InvitationService.DeclineInvitation(ctx, token)
	c.count(metrics.Declined, err)
	return inv, err
}
