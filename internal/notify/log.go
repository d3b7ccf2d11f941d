// Package notify delivers invitation messages. Until the delivery issue
// brings SMTP, SMS and the outbox, the only transport is the log: DESIGN.md
// §6 says that with no SMTP configured, deliveries are written to the log
// (recipient, subject, link).
package notify

import (
	"context"
	"log/slog"

	"github.com/invitedhq/invited"
)

// Log writes each delivery to a structured log. The link it logs is the
// secret itself: that is the point of a log transport, so it is used only
// when no real transport is configured, and its records are marked.
type Log struct {
	Logger *slog.Logger
	// Link turns a token into the URL the invitee opens.
	Link func(token string) string
}

var _ invited.Notifier = (*Log)(nil)

// InvitationSent logs the message an invitee would receive.
func (l *Log) InvitationSent(ctx context.Context, n invited.InvitationNotice) {
	inv := n.Invitation
	subject := "You are invited to join " + n.Organization.Name
	if n.Resend {
		subject = "Reminder: you are invited to join " + n.Organization.Name
	}
	l.Logger.LogAttrs(ctx, slog.LevelInfo, "delivery (log transport)",
		slog.String("kind", "invitation"),
		slog.String("channel", inv.Channel),
		slog.String("to", recipient(inv)),
		slog.String("subject", subject),
		slog.String("link", l.Link(n.Token)),
		slog.String("invitation_id", inv.ID),
	)
}

// InvitationAccepted logs the note to the inviter.
func (l *Log) InvitationAccepted(ctx context.Context, n invited.InvitationNotice) {
	to := n.InviterEmail
	if to == "" {
		to = "inviter " + n.Invitation.Inviter.UserID + n.Invitation.Inviter.APIKeyID
	}
	who := n.Acceptor.Name
	if who == "" {
		who = n.Acceptor.Email
	}
	l.Logger.LogAttrs(ctx, slog.LevelInfo, "delivery (log transport)",
		slog.String("kind", "invitation_accepted"),
		slog.String("to", to),
		slog.String("subject", who+" joined "+n.Organization.Name),
		slog.String("invitation_id", n.Invitation.ID),
	)
}

func recipient(inv *invited.Invitation) string {
	switch {
	case inv.Email != "":
		return inv.Email
	case inv.Phone != "":
		return inv.Phone
	}
	return inv.UserID
}
