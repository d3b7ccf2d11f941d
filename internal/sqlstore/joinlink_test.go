package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/invitedhq/invited"
)

// joinLink creates a join link that must succeed.
func (e *env) joinLink(ctx context.Context, orgID string, c invited.JoinLinkCreate) (*invited.JoinLink, string) {
	e.t.Helper()
	l, token, err := e.db.CreateJoinLink(ctx, orgID, c)
	if err != nil {
		e.t.Fatalf("create join link: %v", err)
	}
	return l, token
}

// person is the acceptor an API key vouches for, the n-th of a test.
func person(n int) invited.Acceptor {
	return invited.Acceptor{ExternalID: fmt.Sprintf("jl-%d", n), Email: fmt.Sprintf("p%d@acme.example", n)}
}

// testJoinLinkCreate checks the create's defaults, its refusals and who may
// hand out which roles through a link.
func testJoinLinkCreate(t *testing.T, e *env) {
	org, _ := e.orgWithOwner(nil)
	plain, _ := e.member(org.ID, invited.RoleMember)
	l, token := e.joinLink(e.admin, org.ID, invited.JoinLinkCreate{})
	if l.Status != invited.JoinLinkActive || len(l.Roles) != 1 || l.Roles[0] != invited.RoleMember || l.MaxUses != nil ||
		!l.ExpiresAt.Equal(e.clock.Now().Add(invited.DefaultInvitationTTL)) || token == "" {
		t.Fatalf("link %+v, token %q", l, token)
	}
	if n := e.count(`SELECT COUNT(*) FROM audit_events WHERE action = 'join_link.created' AND resource_id = ?`, l.ID); n != 1 {
		t.Fatalf("%d created events", n)
	}
	got, err := e.db.FindJoinLinkByID(plain, l.ID)
	if err == nil {
		t.Fatalf("a plain member read the link: %+v", got)
	}
	wantCode(t, err, invited.ENOTFOUND)

	inviter, _ := e.member(org.ID, e.role(org.ID, invited.PermInvitationsCreate, invited.PermInvitationsRead))
	tests := []struct {
		name string
		ctx  context.Context
		c    invited.JoinLinkCreate
		code string
	}{
		{"owner never", e.admin, invited.JoinLinkCreate{Roles: []string{invited.RoleOwner}, AllowPrivileged: true}, invited.EINVALID},
		{"admin needs consent", e.admin, invited.JoinLinkCreate{Roles: []string{invited.RoleAdmin}}, invited.EINVALID},
		{"admin with consent", e.admin, invited.JoinLinkCreate{Roles: []string{invited.RoleAdmin}, AllowPrivileged: true}, ""},
		{"members may not create", plain, invited.JoinLinkCreate{}, invited.EFORBIDDEN},
		{"an inviter brings in members", inviter, invited.JoinLinkCreate{}, ""},
		{"an inviter hands out no more than they hold", inviter, invited.JoinLinkCreate{Roles: []string{invited.RoleAdmin}, AllowPrivileged: true}, invited.EFORBIDDEN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := e.db.CreateJoinLink(tt.ctx, org.ID, tt.c)
			if tt.code == "" {
				must(t, err)
				return
			}
			wantCode(t, err, tt.code)
		})
	}
}

// role creates a custom role of orgID holding perms and returns its name.
func (e *env) role(orgID string, perms ...invited.Permission) string {
	e.t.Helper()
	r, err := e.db.CreateRole(e.admin, orgID, invited.RoleCreate{Name: fmt.Sprintf("role-%d", e.next()), Permissions: perms})
	if err != nil {
		e.t.Fatalf("create role: %v", err)
	}
	return r.Name
}

// testJoinLinkUse uses a link of two uses: two people join, the second
// exhausts it, a third is refused without becoming a user, and the first
// using it again changes nothing.
func testJoinLinkUse(t *testing.T, e *env) {
	org := e.org(nil)
	l, token := e.joinLink(e.admin, org.ID, invited.JoinLinkCreate{MaxUses: ptr(2), Roles: []string{"member"}})
	users := e.count(`SELECT COUNT(*) FROM users`)

	first, err := e.db.AcceptJoinLink(e.admin, token, person(1))
	must(t, err)
	if !first.Joined || first.Membership.UserID != first.User.ID || first.JoinLink.Uses != 1 {
		t.Fatalf("first use: %+v", first)
	}
	if !slices.Contains(first.Membership.Roles, invited.RoleOwner) {
		t.Fatalf("the first member of an organization owns it: %v", first.Membership.Roles)
	}
	second, err := e.db.AcceptJoinLink(e.admin, token, person(2))
	must(t, err)
	if second.JoinLink.Status != invited.JoinLinkExhausted || second.JoinLink.ExhaustedAt == nil || slices.Contains(second.Membership.Roles, invited.RoleOwner) {
		t.Fatalf("second use: %+v %+v", second.JoinLink, second.Membership)
	}
	_, err = e.db.AcceptJoinLink(e.admin, token, person(3))
	wantCode(t, err, invited.EJOINLINKEXHAUSTED)

	again, err := e.db.AcceptJoinLink(e.admin, token, person(1))
	must(t, err)
	if again.Joined || again.Membership.UserID != first.User.ID {
		t.Fatalf("second use by the same person: %+v", again)
	}
	if n := e.count(`SELECT COUNT(*) FROM users`); n != users+2 {
		t.Fatalf("%d users, want %d: the refused person must not become one", n, users+2)
	}
	for action, want := range map[string]int{"join_link.used": 2, "join_link.exhausted": 1} {
		if n := e.count(`SELECT COUNT(*) FROM audit_events WHERE action = ? AND resource_id = ?`, action, l.ID); n != want {
			t.Errorf("%d %s events, want %d", n, action, want)
		}
	}
	// Each use is audited with the person: the membership event names
	// them, at the use's instant.
	if n := e.count(`SELECT COUNT(*) FROM audit_events WHERE action = 'membership.created' AND resource_id = ?`, first.User.ID); n != 1 {
		t.Errorf("the use is not audited with its user: %d", n)
	}
	stored, err := e.db.FindJoinLinkByID(e.admin, l.ID)
	must(t, err)
	if stored.Uses != 2 || stored.Status != invited.JoinLinkExhausted {
		t.Fatalf("stored %+v", stored)
	}
}

// testJoinLinkDomains admits only verified addresses at the link's
// domains.
func testJoinLinkDomains(t *testing.T, e *env) {
	org, _ := e.orgWithOwner(nil)
	_, token := e.joinLink(e.admin, org.ID, invited.JoinLinkCreate{AllowedEmailDomains: []string{"acme.example"}})
	_, err := e.db.AcceptJoinLink(e.admin, token, invited.Acceptor{ExternalID: "x", Email: "x@other.example"})
	wantCode(t, err, invited.EDOMAINNOTALLOWED)
	// A user token whose email is not verified proves no address.
	unverified := invited.User{ExternalID: "unverified", Email: "u@acme.example"}
	a, err := e.db.AuthenticateUser(context.Background(), unverified)
	must(t, err)
	_, err = e.db.AcceptJoinLink(invited.NewContextWithActor(context.Background(), a), token, invited.Acceptor{})
	wantCode(t, err, invited.EDOMAINNOTALLOWED)
	acc, err := e.db.AcceptJoinLink(e.admin, token, person(1))
	must(t, err)
	if !acc.Joined {
		t.Fatalf("%+v", acc)
	}
}

// testJoinLinkLifecycle rotates, revokes and expires links, and keeps each
// organization's links to itself.
func testJoinLinkLifecycle(t *testing.T, e *env) {
	acme, _ := e.orgWithOwner(nil)
	plain, _ := e.member(acme.ID, invited.RoleMember)
	other, _ := e.orgWithOwner(nil)
	otherAdmin, _ := e.member(other.ID, invited.RoleAdmin)
	l, old := e.joinLink(e.admin, acme.ID, invited.JoinLinkCreate{ExpiresIn: dur(time.Hour)})

	for name, err := range map[string]error{
		"get":    second(e.db.FindJoinLinkByID(otherAdmin, l.ID)),
		"revoke": second(e.db.RevokeJoinLink(otherAdmin, l.ID)),
		"list":   third(e.db.FindJoinLinks(otherAdmin, invited.JoinLinkFilter{OrgID: acme.ID})),
	} {
		if c := invited.ErrorCode(err); c != invited.ENOTFOUND && c != invited.EFORBIDDEN {
			t.Errorf("%s from another organization: %v", name, err)
		}
	}
	_, err := e.db.RevokeJoinLink(plain, l.ID)
	wantCode(t, err, invited.ENOTFOUND) // a plain member does not see links

	rotated, token, err := e.db.RotateJoinLink(e.admin, l.ID)
	must(t, err)
	if token == "" || token == old || rotated.RotatedAt == nil {
		t.Fatalf("rotate: %q %+v", token, rotated)
	}
	_, err = e.db.PreviewJoinLink(context.Background(), old)
	wantCode(t, err, invited.ENOTFOUND)
	p, err := e.db.PreviewJoinLink(context.Background(), token)
	must(t, err)
	if !p.Usable || p.Organization.ID != acme.ID {
		t.Fatalf("preview %+v", p)
	}

	e.clock.Advance(time.Hour)
	if p, err = e.db.PreviewJoinLink(context.Background(), token); err != nil || p.Usable || p.Status != invited.JoinLinkExpired {
		t.Fatalf("overdue preview: %+v, %v", p, err)
	}
	_, err = e.db.AcceptJoinLink(e.admin, token, person(1))
	wantCode(t, err, invited.EEXPIRED)
	expired, _, err := e.db.FindJoinLinks(e.admin, invited.JoinLinkFilter{OrgID: acme.ID, Status: invited.JoinLinkExpired})
	must(t, err)
	if len(expired) != 1 || expired[0].ID != l.ID {
		t.Fatalf("expired filter: %+v", expired)
	}
	n, err := e.db.ExpireJoinLinks(context.Background(), 10)
	if err != nil || n != 1 || e.count(`SELECT COUNT(*) FROM join_links WHERE status = 'expired'`) != 1 {
		t.Fatalf("sweep: %d, %v", n, err)
	}
	if n, err = e.db.ExpireJoinLinks(context.Background(), 10); err != nil || n != 0 {
		t.Fatalf("second sweep: %d, %v", n, err)
	}

	live, token := e.joinLink(e.admin, acme.ID, invited.JoinLinkCreate{})
	revoked, err := e.db.RevokeJoinLink(e.admin, live.ID)
	if err != nil || revoked.Status != invited.JoinLinkRevoked || revoked.RevokedAt == nil {
		t.Fatalf("revoke: %+v, %v", revoked, err)
	}
	_, err = e.db.AcceptJoinLink(e.admin, token, person(2))
	wantCode(t, err, invited.EREVOKED)
	_, err = e.db.RevokeJoinLink(e.admin, live.ID)
	wantCode(t, err, invited.EINVALIDSTATE)
	_, _, err = e.db.RotateJoinLink(e.admin, live.ID)
	wantCode(t, err, invited.EINVALIDSTATE)
	if n := e.count(`SELECT COUNT(*) FROM audit_events WHERE resource = 'join_link' AND action IN ('join_link.rotated', 'join_link.revoked', 'join_link.expired')`); n != 3 {
		t.Fatalf("%d lifecycle events, want 3", n)
	}
}

// third is the error of a call that returns two values too.
func third[A, B any](_ A, _ B, err error) error { return err }

// testConcurrentJoinLink races many people for a link of ten uses:
// exactly ten join, every other one learns the link is used up.
func testConcurrentJoinLink(t *testing.T, e *env) {
	org := e.org(nil)
	l, token := e.joinLink(e.admin, org.ID, invited.JoinLinkCreate{MaxUses: ptr(10)})
	errs := race(100, func(i int) error {
		_, err := e.db.AcceptJoinLink(e.admin, token, person(i))
		return err
	})
	if wins := winners(t, errs, invited.EJOINLINKEXHAUSTED); wins != 10 {
		t.Fatalf("%d uses succeeded, want 10", wins)
	}
	for query, want := range map[string]int{
		`SELECT COUNT(*) FROM memberships WHERE org_id = ?`:                                                10,
		`SELECT COUNT(*) FROM join_link_uses WHERE link_id = (SELECT id FROM join_links WHERE org_id = ?)`: 10,
		`SELECT COUNT(*) FROM audit_events WHERE action = 'join_link.used' AND org_id = ?`:                 10,
		`SELECT COUNT(*) FROM memberships WHERE org_id = ? AND roles LIKE '%"owner"%'`:                     1,
	} {
		if got := e.count(query, org.ID); got != want {
			t.Errorf("%s: %d, want %d", query, got, want)
		}
	}
	stored, err := e.db.FindJoinLinkByID(e.admin, l.ID)
	if err != nil || stored.Uses != 10 || stored.Status != invited.JoinLinkExhausted {
		t.Fatalf("stored %+v, %v", stored, err)
	}
}
