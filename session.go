package invited

import (
	"context"
	"time"
)

// ConsoleSession is an admin console signed in (issue 13), with an API key
// or a user access token. The browser's cookie holds the session's secret,
// the store only its hash with what it stands for, so that a copied cookie
// or database is no credential. A session ends when it is idle for
// ConsoleSessionIdle, at the latest ConsoleSessionLifetime after sign-in
// (sooner when the token signed in with expires sooner), at sign-out, when
// it is ended from the console's list, and when its key is revoked.
type ConsoleSession struct {
	ID string
	// APIKeyID is the key signed in with, or "" for a user access token.
	APIKeyID string
	// User is the identity of the user access token signed in with (its
	// subject as ExternalID, and its claims), or nil for an API key. The
	// user's grants are read again on every request, as for the token.
	User       *User
	CreatedAt  time.Time
	LastSeenAt time.Time
	// ExpiresAt is the absolute end: CreatedAt + ConsoleSessionLifetime,
	// or the expiry of the token signed in with if that comes first.
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

// NewConsoleSession returns a session for the credential of a, starting at
// now and ending by notAfter (zero: no earlier than the lifetime), and its
// secret. The actor is an API key, or a user signed in with a user access
// token; a key acting for a user is neither.
func NewConsoleSession(a *Actor, now, notAfter time.Time) (*ConsoleSession, string, error) {
	s := &ConsoleSession{
		ID:         NewID(PrefixConsoleSession, now),
		CreatedAt:  now,
		LastSeenAt: now,
		ExpiresAt:  now.Add(ConsoleSessionLifetime),
	}
	if err := CheckConsoleActor(a); err != nil {
		return nil, "", err
	}
	if a.User != nil {
		u := *a.User
		s.User = &u
	} else {
		s.APIKeyID = a.APIKeyID
	}
	if !notAfter.IsZero() && notAfter.Before(s.ExpiresAt) {
		s.ExpiresAt = notAfter
	}
	return s, NewSecret(SecretPrefixConsoleSession), nil
}

// CheckConsoleActor refuses an actor that cannot have console sessions:
// they are an API key's, or a user's signed in with a user access token;
// a key acting for a user is neither.
func CheckConsoleActor(a *Actor) error {
	if a == nil || (a.APIKeyID == "") == (a.User == nil) {
		return Errorf(EUNAUTHENTICATED, "console sessions are for an API key or a user access token")
	}
	return nil
}

// Active reports whether s has not expired at now.
func (s *ConsoleSession) Active(now time.Time) bool { return now.Before(s.EndsAt()) }

// ConsoleSessionService keeps the console's sessions. Every method but
// AuthenticateConsoleSession and PurgeConsoleSessions acts for the
// credential of the actor in ctx (its API key, or the user of its access
// token), and only on that credential's sessions.
type ConsoleSessionService interface {
	// CreateConsoleSession starts a session for the actor's credential,
	// ending by notAfter (zero: the lifetime), and returns it with its
	// secret, which is shown only here.
	CreateConsoleSession(ctx context.Context, notAfter time.Time) (*ConsoleSession, string, error)
	// AuthenticateConsoleSession returns the actor of a session secret and
	// the session, refreshing its idle expiry; unauthenticated for an
	// unknown, ended or expired session or a revoked key.
	AuthenticateConsoleSession(ctx context.Context, secret string) (*Actor, *ConsoleSession, error)
	// FindConsoleSessions lists the active sessions of the actor's
	// credential, newest first.
	FindConsoleSessions(ctx context.Context) ([]*ConsoleSession, error)
	// EndConsoleSession ends one session of the actor's credential.
	EndConsoleSession(ctx context.Context, id string) error
	// PurgeConsoleSessions deletes the sessions that have ended, and says
	// how many; the sweeper calls it.
	PurgeConsoleSessions(ctx context.Context) (int, error)
}
