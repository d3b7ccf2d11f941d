package invited

import (
	"context"
	"time"
)

// ConsoleSession is an admin console signed in with an API key (issue 13).
// The browser's cookie holds the session's secret, the store only its hash
// with the key it stands for, so that a copied cookie or database is no
// key. A session ends when it is idle for ConsoleSessionIdle, at the
// latest ConsoleSessionLifetime after sign-in, at sign-out, when it is
// ended from the console's list, and when its key is revoked.
type ConsoleSession struct {
	ID         string
	APIKeyID   string
	CreatedAt  time.Time
	LastSeenAt time.Time
	// ExpiresAt is the absolute end: CreatedAt + ConsoleSessionLifetime.
	ExpiresAt time.Time
}

// How long console sessions last.
const (
	// ConsoleSessionIdle ends a session unused for that long.
	ConsoleSessionIdle = 30 * time.Minute
	// ConsoleSessionLifetime ends a session that long after sign-in,
	// however much it is used.
	ConsoleSessionLifetime = 12 * time.Hour
	// ConsoleSessionTouch is how stale LastSeenAt may get: refreshing it
	// on every request would put a write on every page.
	ConsoleSessionTouch = time.Minute
)

// PrefixConsoleSession and SecretPrefixConsoleSession name sessions and
// their secrets.
const (
	PrefixConsoleSession       = "ses_"
	SecretPrefixConsoleSession = "ics_"
)

// EndsAt is when s ends unless it is used again: idle or at its absolute
// expiry, whichever comes first.
func (s *ConsoleSession) EndsAt() time.Time {
	if idle := s.LastSeenAt.Add(ConsoleSessionIdle); idle.Before(s.ExpiresAt) {
		return idle
	}
	return s.ExpiresAt
}

// NewConsoleSession returns a session for the API key apiKeyID starting
// at now, and its secret.
func NewConsoleSession(apiKeyID string, now time.Time) (*ConsoleSession, string) {
	return &ConsoleSession{
		ID:         NewID(PrefixConsoleSession, now),
		APIKeyID:   apiKeyID,
		CreatedAt:  now,
		LastSeenAt: now,
		ExpiresAt:  now.Add(ConsoleSessionLifetime),
	}, NewSecret(SecretPrefixConsoleSession)
}

// Active reports whether s has not expired at now.
func (s *ConsoleSession) Active(now time.Time) bool { return now.Before(s.EndsAt()) }

// ConsoleSessionService keeps the console's sessions. Every method but
// AuthenticateConsoleSession acts for the API key of the actor in ctx, and
// only on that key's sessions.
type ConsoleSessionService interface {
	// CreateConsoleSession starts a session for the actor's API key and
	// returns it with its secret, which is shown only here.
	CreateConsoleSession(ctx context.Context) (*ConsoleSession, string, error)
	// AuthenticateConsoleSession returns the actor of a session secret and
	// the session, refreshing its idle expiry; unauthenticated for an
	// unknown, ended or expired session or a revoked key.
	AuthenticateConsoleSession(ctx context.Context, secret string) (*Actor, *ConsoleSession, error)
	// FindConsoleSessions lists the active sessions of the actor's key,
	// newest first.
	FindConsoleSessions(ctx context.Context) ([]*ConsoleSession, error)
	// EndConsoleSession ends one session of the actor's key.
	EndConsoleSession(ctx context.Context, id string) error
}
