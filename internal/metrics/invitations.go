package metrics

import (
	"context"

	"github.com/invitedhq/invited"
)

// CountInvitations wraps s so that every transition it makes is counted
// in invited_invitation_transitions_total, whichever transport asked for
// it: the API and the hosted pages are given the wrapped service where the
// program is wired (cmd/invited). Each successful call of a transition
// method counts once, so a replayed Idempotency-Key (answered from
// storage, without a call) does not. Expirations happen in the sweeper,
// which counts them itself (jobs.Sweeper.Expired). A nil m counts nothing.
func CountInvitations(s invited.InvitationService, m *Metrics) invited.InvitationService {
	if m == nil {
		return s
	}
	return countingInvitations{InvitationService: s, m: m}
}

type countingInvitations struct {
	invited.InvitationService
	m *Metrics
}

// countCreated counts a creation, and a first send when it was sent at
// once (a draft has no token).
func (c countingInvitations) countCreated(token string) {
	c.m.Transition(Created, 1)
	if token != "" {
		c.m.Transition(Sent, 1)
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
	c.count(Sent, err)
	return inv, token, err
}

func (c countingInvitations) ResendInvitation(ctx context.Context, id string) (*invited.Invitation, string, error) {
	inv, token, err := c.InvitationService.ResendInvitation(ctx, id)
	c.count(Resent, err)
	return inv, token, err
}

func (c countingInvitations) RenewInvitation(ctx context.Context, id string, r invited.Renewal) (*invited.Invitation, error) {
	inv, err := c.InvitationService.RenewInvitation(ctx, id, r)
	c.count(Renewed, err)
	return inv, err
}

func (c countingInvitations) RevokeInvitation(ctx context.Context, id string) (*invited.Invitation, error) {
	inv, err := c.InvitationService.RevokeInvitation(ctx, id)
	c.count(Revoked, err)
	return inv, err
}

func (c countingInvitations) ArchiveInvitation(ctx context.Context, id string) (*invited.Invitation, error) {
	inv, err := c.InvitationService.ArchiveInvitation(ctx, id)
	c.count(Archived, err)
	return inv, err
}

func (c countingInvitations) AcceptInvitation(ctx context.Context, token string, a invited.Acceptor) (*invited.Acceptance, error) {
	acc, err := c.InvitationService.AcceptInvitation(ctx, token, a)
	c.count(Accepted, err)
	return acc, err
}

func (c countingInvitations) AcceptInvitationByLink(ctx context.Context, token, name string) (*invited.Acceptance, error) {
	acc, err := c.InvitationService.AcceptInvitationByLink(ctx, token, name)
	c.count(Accepted, err)
	return acc, err
}

func (c countingInvitations) DeclineInvitation(ctx context.Context, token string) (*invited.Invitation, error) {
	inv, err := c.InvitationService.DeclineInvitation(ctx, token)
	c.count(Declined, err)
	return inv, err
}
