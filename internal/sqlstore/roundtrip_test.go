package sqlstore

import (
	"context"
	"testing"

	"github.com/invitedhq/invited"
)

// testRoundTrips holds the hot paths to the number of round trips they
// ask of the database (statements, and each transaction's BEGIN and
// COMMIT; on SQLite a write's savepoint in its group commit too), so
// that a change that adds one shows here, and docs/benchmarks.md can
// quote them. A write's count includes the outbox and the audit log; on
// PostgreSQL those writes are held and sent together (Tx.hold).
func testRoundTrips(t *testing.T, e *env) {
	sqlite := e.db.dialect.name == "sqlite"
	org, _ := e.orgWithOwner(nil)
	_, keySecret, err := e.db.CreateAPIKey(e.admin, invited.APIKeyCreate{Name: "rt", OrgID: org.ID,
		Permissions: []invited.Permission{invited.PermInvitationsCreate, invited.PermInvitationsRead}})
	must(t, err)
	key := e.keyContext(keySecret)
	// One create first, so that the counts below are those of the steady
	// state (the organization's webhook endpoints read, say).
	e.invite(key, org.ID, invited.InvitationCreate{Email: "warm@example.com", Roles: []string{invited.RoleMember}})

	var token string
	for _, tc := range []struct {
		name             string
		run              func()
		sqlite, postgres int64
	}{
		{"authenticate an API key, not verified in the last testKeyCache", func() {
			e.clock.Advance(testKeyCache)
			_, err := e.db.AuthenticateAPIKey(context.Background(), keySecret)
			must(t, err)
		}, 1, 1},
		{"authenticate an API key again, from the cache", func() {
			_, err := e.db.AuthenticateAPIKey(context.Background(), keySecret)
			must(t, err)
		}, 0, 0},
		{"create an invitation", func() {
			_, token = e.invite(key, org.ID, invited.InvitationCreate{Email: "rt@example.com", Roles: []string{invited.RoleMember}})
		}, 11, 6},
		{"preview by token", func() {
			_, err := e.db.PreviewInvitation(context.Background(), token)
			must(t, err)
		}, 1, 1},
		{"accept by token", func() {
			_, err := e.db.AcceptInvitation(e.admin, token, invited.Acceptor{ExternalID: "rt", Email: "rt@example.com"})
			must(t, err)
		}, 12, 8},
	} {
		before := e.db.roundTrips.Load()
		tc.run()
		got := e.db.roundTrips.Load() - before
		want := tc.postgres
		if sqlite {
			want = tc.sqlite
		}
		if got != want {
			t.Errorf("%s: %d round trips, want %d", tc.name, got, want)
		}
	}
}
