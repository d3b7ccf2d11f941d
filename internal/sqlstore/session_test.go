package sqlstore

import (
	"context"
	"testing"
	"time"

	"github.com/invitedhq/invited"
)

// startSession starts a console session for the credential of ctx, for
// its whole lifetime.
func (e *env) startSession(ctx context.Context) (*invited.ConsoleSession, string) {
	e.t.Helper()
	s, secret, err := e.db.CreateConsoleSession(ctx, time.Time{})
	if err != nil {
		e.t.Fatalf("create console session: %v", err)
	}
	return s, secret
}

// sessionWorks reports whether secret authenticates a console session.
func (e *env) sessionWorks(secret string) bool {
	e.t.Helper()
	_, _, err := e.db.AuthenticateConsoleSession(context.Background(), secret)
	if err != nil && invited.ErrorCode(err) != invited.EUNAUTHENTICATED {
		e.t.Fatalf("authenticate console session: %v", err)
	}
	return err == nil
}

// sessionIDs lists the ids of the console sessions of the key of ctx.
func (e *env) sessionIDs(ctx context.Context) []string {
	e.t.Helper()
	sessions, err := e.db.FindConsoleSessions(ctx)
	must(e.t, err)
	ids := make([]string, len(sessions))
	for i, s := range sessions {
		ids[i] = s.ID
	}
	return ids
}

func testConsoleSessions(t *testing.T, e *env) {
	org := e.org(nil)
	key, keySecret, err := e.db.CreateAPIKey(e.admin, invited.APIKeyCreate{Name: "console", OrgID: org.ID, Permissions: []invited.Permission{invited.PermInvitationsRead}})
	must(t, err)
	keyCtx := e.keyContext(keySecret)

	s1, secret := e.startSession(keyCtx)
	if s1.APIKeyID != key.ID || !s1.ExpiresAt.Equal(e.clock.Now().Add(invited.ConsoleSessionLifetime)) {
		t.Fatalf("session %+v", s1)
	}
	a, s, err := e.db.AuthenticateConsoleSession(context.Background(), secret)
	must(t, err)
	if s.ID != s1.ID || a.APIKeyID != key.ID || a.KeyOrgID != org.ID || !a.Can(org.ID, invited.PermInvitationsRead) || a.Admin {
		t.Fatalf("session %+v, actor %+v", s, a)
	}
	// Only the hash is stored: the secret and the key's are nowhere.
	if n := e.count(`SELECT COUNT(*) FROM console_sessions WHERE secret_hash = ?`, invited.HashSecret(secret)); n != 1 {
		t.Fatalf("%d sessions by the secret's hash", n)
	}
	for _, plain := range []string{secret, keySecret} {
		if n := e.count(`SELECT COUNT(*) FROM console_sessions WHERE id = ? OR api_key_id = ? OR secret_hash = ?`, plain, plain, []byte(plain)); n != 0 {
			t.Fatalf("a session row holds a secret in clear")
		}
	}
	for _, bad := range []string{"", keySecret, invited.NewSecret(invited.SecretPrefixConsoleSession), secret + "x"} {
		if e.sessionWorks(bad) {
			t.Fatalf("%q works as a session", bad)
		}
	}

	// Listing and ending: a key sees and ends its own sessions only.
	e.clock.Advance(time.Second)
	s2, secret2 := e.startSession(keyCtx)
	adminSession, adminSecret := e.startSession(e.admin)
	if got := e.sessionIDs(keyCtx); len(got) != 2 || got[0] != s2.ID || got[1] != s1.ID {
		t.Fatalf("key lists %v, want [%s %s]", got, s2.ID, s1.ID)
	}
	if got := e.sessionIDs(e.admin); len(got) != 1 || got[0] != adminSession.ID {
		t.Fatalf("admin lists %v", got)
	}
	wantCode(t, e.db.EndConsoleSession(keyCtx, adminSession.ID), invited.ENOTFOUND)
	wantCode(t, e.db.EndConsoleSession(e.admin, s1.ID), invited.ENOTFOUND)
	must(t, e.db.EndConsoleSession(keyCtx, s1.ID))
	wantCode(t, e.db.EndConsoleSession(keyCtx, s1.ID), invited.ENOTFOUND)
	if e.sessionWorks(secret) || !e.sessionWorks(secret2) || !e.sessionWorks(adminSecret) {
		t.Fatal("ending one session did not end exactly that one")
	}
	_, _, err = e.db.CreateConsoleSession(context.Background(), time.Time{})
	wantCode(t, err, invited.EUNAUTHENTICATED)

	// Revoking the key ends its sessions, for good: a restored key does
	// not bring them back.
	must(t, e.db.RevokeAPIKey(e.admin, key.ID))
	if e.sessionWorks(secret2) || !e.sessionWorks(adminSecret) {
		t.Fatal("revoking a key did not end exactly its sessions")
	}
	if n := e.count(`SELECT COUNT(*) FROM console_sessions WHERE api_key_id = ?`, key.ID); n != 0 {
		t.Fatalf("%d sessions of a revoked key kept", n)
	}
}

func testConsoleSessionExpiry(t *testing.T, e *env) {
	lastSeen := func(id string) time.Time {
		var ms int64
		if err := e.db.read.QueryRow(e.db.dialect.rebind(`SELECT last_seen_at FROM console_sessions WHERE id = ?`), id).Scan(&ms); err != nil {
			t.Fatal(err)
		}
		return time.UnixMilli(ms).UTC()
	}

	// Idle: each use within ConsoleSessionIdle keeps the session; the
	// last use is written at most once a ConsoleSessionTouch.
	s, secret := e.startSession(e.admin)
	e.clock.Advance(invited.ConsoleSessionTouch / 2)
	if !e.sessionWorks(secret) || !lastSeen(s.ID).Equal(s.CreatedAt) {
		t.Fatalf("last seen %v within a touch of %v", lastSeen(s.ID), s.CreatedAt)
	}
	e.clock.Advance(invited.ConsoleSessionIdle - invited.ConsoleSessionTouch/2 - time.Millisecond)
	if !e.sessionWorks(secret) || !lastSeen(s.ID).Equal(e.clock.Now()) {
		t.Fatalf("last seen %v, want %v", lastSeen(s.ID), e.clock.Now())
	}
	e.clock.Advance(invited.ConsoleSessionIdle)
	if e.sessionWorks(secret) {
		t.Fatal("an idle session works")
	}
	if n := e.count(`SELECT COUNT(*) FROM console_sessions WHERE id = ?`, s.ID); n != 0 {
		t.Fatal("an expired session found is kept")
	}

	// Absolute: used all the time, a session still ends at ExpiresAt.
	s, secret = e.startSession(e.admin)
	for e.clock.Now().Before(s.ExpiresAt) {
		if !e.sessionWorks(secret) {
			t.Fatalf("a session in use ended at %v, before %v", e.clock.Now(), s.ExpiresAt)
		}
		e.clock.Advance(invited.ConsoleSessionIdle - time.Minute)
	}
	if e.sessionWorks(secret) || len(e.sessionIDs(e.admin)) != 0 {
		t.Fatal("a session works after its absolute expiry")
	}

	// Sessions that end unseen, idle or at their absolute expiry, are not
	// listed, and the sweeper's purge deletes them and nothing else.
	idle, _ := e.startSession(e.admin)
	e.clock.Advance(invited.ConsoleSessionLifetime - invited.ConsoleSessionIdle)
	used, usedSecret := e.startSession(e.admin)
	for e.clock.Now().Before(used.CreatedAt.Add(invited.ConsoleSessionIdle)) {
		e.clock.Advance(invited.ConsoleSessionIdle - time.Minute)
		if !e.sessionWorks(usedSecret) {
			t.Fatal("a session in use ended")
		}
	}
	live, _ := e.startSession(e.admin)
	e.clock.Advance(time.Minute)
	if got := e.sessionIDs(e.admin); len(got) != 2 || got[0] != live.ID || got[1] != used.ID {
		t.Fatalf("listed %v, want [%s %s]", got, live.ID, used.ID)
	}
	n, err := e.db.PurgeConsoleSessions(context.Background())
	must(t, err)
	if n != 1 || e.count(`SELECT COUNT(*) FROM console_sessions WHERE id = ?`, idle.ID) != 0 {
		t.Fatalf("purged %d, want the idle session alone", n)
	}
	e.clock.Advance(invited.ConsoleSessionLifetime)
	if n, err := e.db.PurgeConsoleSessions(context.Background()); err != nil || n != 2 ||
		e.count(`SELECT COUNT(*) FROM console_sessions`) != 0 {
		t.Fatalf("purged %d (%v), want the last two", n, err)
	}
}

// testUserConsoleSessions: a console signed in with a user access token
// has a session like a key's, bound to the token's user, ending no later
// than the token, with the user's grants as they are at each request.
func testUserConsoleSessions(t *testing.T, e *env) {
	org, _ := e.orgWithOwner(nil)
	alice := e.userContext(&invited.User{ExternalID: "alice-sub", Email: "alice@example.com"})
	bob := e.userContext(&invited.User{ExternalID: "bob-sub", Email: "bob@example.com"})

	tokenExpiry := e.clock.Now().Add(time.Hour)
	s, secret, err := e.db.CreateConsoleSession(alice, tokenExpiry)
	must(t, err)
	if s.APIKeyID != "" || s.User == nil || s.User.ExternalID != "alice-sub" || !s.ExpiresAt.Equal(tokenExpiry) {
		t.Fatalf("session %+v", s)
	}
	a, got, err := e.db.AuthenticateConsoleSession(context.Background(), secret)
	must(t, err)
	if got.ID != s.ID || a.APIKeyID != "" || a.User == nil || a.User.ExternalID != "alice-sub" || a.Can(org.ID, invited.PermInvitationsRead) {
		t.Fatalf("actor %+v of session %+v", a, got)
	}
	// Grants are the user's now, not the sign-in's: joining shows at once.
	_, token := e.invite(e.admin, org.ID, invited.InvitationCreate{Email: "alice@example.com", Roles: []string{invited.RoleAdmin}})
	_, err = e.db.AcceptInvitation(e.admin, token, invited.Acceptor{ExternalID: "alice-sub", Email: "alice@example.com"})
	must(t, err)
	a, _, err = e.db.AuthenticateConsoleSession(context.Background(), secret)
	must(t, err)
	if a.User.ID == "" || !a.Can(org.ID, invited.PermInvitationsRead) {
		t.Fatalf("actor %+v lacks the grants of the membership", a)
	}
	// A token that outlives the lifetime does not stretch the session.
	e.clock.Advance(time.Second)
	long, _, err := e.db.CreateConsoleSession(alice, e.clock.Now().Add(30*24*time.Hour))
	must(t, err)
	if !long.ExpiresAt.Equal(long.CreatedAt.Add(invited.ConsoleSessionLifetime)) {
		t.Fatalf("a long-lived token's session ends %v", long.ExpiresAt)
	}

	// Each user lists and ends their own sessions only; a key sees none.
	_, bobSecret := e.startSession(bob)
	if got := e.sessionIDs(alice); len(got) != 2 || got[0] != long.ID || got[1] != s.ID {
		t.Fatalf("alice lists %v", got)
	}
	if got := e.sessionIDs(e.admin); len(got) != 0 {
		t.Fatalf("the admin key lists %v", got)
	}
	wantCode(t, e.db.EndConsoleSession(bob, s.ID), invited.ENOTFOUND)
	wantCode(t, e.db.EndConsoleSession(e.admin, s.ID), invited.ENOTFOUND)
	must(t, e.db.EndConsoleSession(alice, s.ID))
	if e.sessionWorks(secret) || !e.sessionWorks(bobSecret) {
		t.Fatal("ending a session did not end exactly that one")
	}

	// The session ends when the token would have.
	short, shortSecret, err := e.db.CreateConsoleSession(bob, e.clock.Now().Add(10*time.Minute))
	must(t, err)
	e.clock.Advance(10 * time.Minute)
	if e.sessionWorks(shortSecret) || !e.sessionWorks(bobSecret) {
		t.Fatalf("session %s works past its token's expiry", short.ID)
	}

	// A key acting for a user is neither a key's nor a user's session.
	keyActor, err := e.db.ActAsUser(context.Background(), invited.ActorFromContext(e.admin), "alice-sub")
	must(t, err)
	_, _, err = e.db.CreateConsoleSession(invited.NewContextWithActor(context.Background(), keyActor), time.Time{})
	wantCode(t, err, invited.EUNAUTHENTICATED)
}
