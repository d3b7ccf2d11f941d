// Package notify holds the log transport: where email and SMS go when no
// SMTP server or SMS provider is configured. DESIGN.md §6 says that then
// deliveries are written to the log (recipient, subject, link).
package notify

import (
	"context"
	"log/slog"

	"github.com/invitedhq/invited"
)

// Log writes each letter to a structured log. The link it logs is the
// secret itself: that is the point of a log transport, so it is used only
// when no real transport is configured, and its records say so.
type Log struct {
	Logger *slog.Logger
	// Subject titles a letter as its email would; nil logs the kind alone.
	Subject func(*invited.Letter) string
	// Also, if set, is handed every message logged: the development
	// mailbox behind GET /dev/outbox.
	Also invited.Transport
}

var _ invited.Transport = (*Log)(nil)

// Deliver logs m, and hands it to Also.
func (l *Log) Deliver(ctx context.Context, m *invited.Message) error {
	if l.Also != nil {
		if err := l.Also.Deliver(ctx, m); err != nil {
			return err
		}
	}
	// Rendering the subject costs a template run: not for a record that
	// would be dropped.
	if !l.Logger.Enabled(ctx, slog.LevelInfo) {
		return nil
	}
	attrs := []slog.Attr{
		slog.String("message_id", m.ID),
		slog.String("channel", m.Channel),
		slog.String("kind", m.Kind),
		slog.String("to", m.To),
	}
	if m.Letter != nil {
		if l.Subject != nil {
			attrs = append(attrs, slog.String("subject", l.Subject(m.Letter)))
		}
		if m.Letter.Link != "" {
			attrs = append(attrs, slog.String("link", m.Letter.Link))
		}
	}
	l.Logger.LogAttrs(ctx, slog.LevelInfo, "delivery (log transport: no "+m.Channel+" transport configured)", attrs...)
	return nil
}
