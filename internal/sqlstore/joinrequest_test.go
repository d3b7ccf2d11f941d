package sqlstore

import (
	"context"
	"slices"
	"testing"

	"github.com/invitedhq/invited"
)

// requester is a signed-in person who is nobody's member yet.
func (e *env) requester(sub, email string) context.Context {
	e.t.Helper()
	a, err := e.db.AuthenticateUser(context.Background(), invited.User{ExternalID: sub, Email: email, EmailVerified: true, Name: sub})
	must(e.t, err)
	return invited.NewContextWithActor(context.Background(), a)
}

// testJoinRequests files requests and decides them: approval makes the
// membership with roles the approver may grant, denial none, and the
// requester hears of each.
func testJoinRequests(t *testing.T, e *env) {
	org, _ := e.orgWithOwner(nil)
	manager, _ := e.member(org.ID, e.role(org.ID, invited.PermMembersManage, invited.PermMembersRead))
	ada := e.requester("ada", "ada@example.com")

	r, err := e.db.CreateJoinRequest(ada, org.ID, invited.JoinRequestCreate{Message: "I'm on the team"})
	must(t, err)
	if r.Status != invited.JoinRequestPending || r.Via != invited.JoinViaUser || !slices.Equal(r.Roles, []string{"member"}) ||
		r.Requester.Email != "ada@example.com" || !r.ExpiresAt.Equal(e.clock.Now().Add(invited.JoinRequestTTL)) {
		t.Fatalf("request %+v", r)
	}
	again, err := e.db.CreateJoinRequest(ada, org.ID, invited.JoinRequestCreate{})
	if err != nil || again.ID != r.ID {
		t.Fatalf("asking again: %+v, %v; want the pending request", again, err)
	}
	_, err = e.db.CreateJoinRequest(e.admin, org.ID, invited.JoinRequestCreate{})
	wantCode(t, err, invited.EFORBIDDEN)

	for name, tt := range map[string]struct {
		ctx    context.Context
		action invited.Action
		d      invited.JoinDecision
		code   string
	}{
		"the requester":            {ada, invited.ActionApprove, invited.JoinDecision{}, invited.ENOTFOUND},
		"beyond the approver":      {manager, invited.ActionApprove, invited.JoinDecision{Roles: []string{invited.RoleAdmin}}, invited.EFORBIDDEN},
		"an unknown role":          {manager, invited.ActionApprove, invited.JoinDecision{Roles: []string{"boss"}}, invited.EINVALID},
		"roles on a denial":        {manager, invited.ActionDeny, invited.JoinDecision{Roles: []string{"member"}}, invited.EINVALID},
		"neither approve nor deny": {manager, invited.ActionRevoke, invited.JoinDecision{}, invited.EINVALID},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := e.db.DecideJoinRequest(tt.ctx, r.ID, tt.action, tt.d)
			wantCode(t, err, tt.code)
		})
	}
	got, err := e.db.FindJoinRequestByID(manager, r.ID)
	if err != nil || got.Status != invited.JoinRequestPending {
		t.Fatalf("refusals changed the request: %+v, %v", got, err)
	}

	approved, m, err := e.db.DecideJoinRequest(manager, r.ID, invited.ActionApprove, invited.JoinDecision{Note: "Welcome!"})
	must(t, err)
	if approved.Status != invited.JoinRequestApproved || approved.ApprovedAt == nil || approved.DecidedBy.UserID == "" ||
		m == nil || m.UserID != r.UserID || !slices.Equal(m.Roles, []string{"member"}) {
		t.Fatalf("approved %+v, membership %+v", approved, m)
	}
	_, _, err = e.db.DecideJoinRequest(manager, r.ID, invited.ActionDeny, invited.JoinDecision{})
	wantCode(t, err, invited.EINVALIDSTATE)
	_, err = e.db.CreateJoinRequest(ada, org.ID, invited.JoinRequestCreate{})
	wantCode(t, err, invited.EALREADYMEMBER)

	bob := e.requester("bob", "bob@example.com")
	denied, err := e.db.CreateJoinRequest(bob, org.ID, invited.JoinRequestCreate{})
	must(t, err)
	if _, m, err = e.db.DecideJoinRequest(manager, denied.ID, invited.ActionDeny, invited.JoinDecision{Note: "Not now"}); err != nil || m != nil {
		t.Fatalf("deny: %+v, %v", m, err)
	}
	if n := e.count(`SELECT COUNT(*) FROM memberships WHERE org_id = ?`, org.ID); n != 3 {
		t.Fatalf("%d members, want the owner, the manager and ada", n)
	}
	for _, want := range []letter{{invited.KindJoinApproved, "ada@example.com", invited.MessagePending}, {invited.KindJoinDenied, "bob@example.com", invited.MessagePending}} {
		if got := e.lettersOf(want.kind); len(got) != 1 || got[0] != want {
			t.Errorf("%s letters %+v, want %+v", want.kind, got, want)
		}
	}
	for action, n := range map[string]int{"join_request.created": 2, "join_request.approved": 1, "join_request.denied": 1} {
		if got := e.count(`SELECT COUNT(*) FROM audit_events WHERE action = ? AND org_id = ?`, action, org.ID); got != n {
			t.Errorf("%d %s events, want %d", got, action, n)
		}
	}
	pending, _, err := e.db.FindJoinRequests(manager, invited.JoinRequestFilter{OrgID: org.ID, Status: invited.JoinRequestDenied})
	if err != nil || len(pending) != 1 || pending[0].ID != denied.ID {
		t.Fatalf("denied filter: %+v, %v", pending, err)
	}
}

// testJoinRequestExpiry: an overdue request reads as expired, cannot be
// decided, lets the person ask again, and is swept.
func testJoinRequestExpiry(t *testing.T, e *env) {
	org, _ := e.orgWithOwner(nil)
	cy := e.requester("cy", "cy@example.com")
	r, err := e.db.CreateJoinRequest(cy, org.ID, invited.JoinRequestCreate{})
	must(t, err)
	e.clock.Advance(invited.JoinRequestTTL)
	got, err := e.db.FindJoinRequestByID(e.admin, r.ID)
	if err != nil || got.Status != invited.JoinRequestExpired {
		t.Fatalf("overdue: %+v, %v", got, err)
	}
	_, _, err = e.db.DecideJoinRequest(e.admin, r.ID, invited.ActionApprove, invited.JoinDecision{})
	wantCode(t, err, invited.EINVALIDSTATE)
	other := e.requester("dee", "dee@example.com")
	_, err = e.db.CreateJoinRequest(other, org.ID, invited.JoinRequestCreate{})
	must(t, err)
	if n, err := e.db.ExpireJoinRequests(context.Background(), 10); err != nil || n != 1 {
		t.Fatalf("sweep: %d, %v", n, err)
	}
	fresh, err := e.db.CreateJoinRequest(cy, org.ID, invited.JoinRequestCreate{})
	if err != nil || fresh.ID == r.ID || fresh.Status != invited.JoinRequestPending {
		t.Fatalf("asking again after expiry: %+v, %v", fresh, err)
	}
}

// testJoinLinkApproval: a link that requires approval files a request per
// person, counts the use, and a second use answers the same request.
func testJoinLinkApproval(t *testing.T, e *env) {
	org, _ := e.orgWithOwner(nil)
	l, token := e.joinLink(e.admin, org.ID, invited.JoinLinkCreate{RequireApproval: true, MaxUses: ptr(5), Roles: []string{"member"}})
	acc, err := e.db.AcceptJoinLink(e.admin, token, person(1))
	must(t, err)
	if acc.Joined || acc.Membership != nil || acc.Request == nil || acc.Request.Via != invited.JoinViaJoinLink || acc.Request.JoinLinkID != l.ID {
		t.Fatalf("use of an approval link: %+v", acc)
	}
	again, err := e.db.AcceptJoinLink(e.admin, token, person(1))
	if err != nil || again.Request == nil || again.Request.ID != acc.Request.ID {
		t.Fatalf("second use: %+v, %v", again, err)
	}
	stored, err := e.db.FindJoinLinkByID(e.admin, l.ID)
	if err != nil || stored.Uses != 1 {
		t.Fatalf("uses %+v, %v", stored, err)
	}
	if _, m, err := e.db.DecideJoinRequest(e.admin, acc.Request.ID, invited.ActionApprove, invited.JoinDecision{}); err != nil || m == nil {
		t.Fatalf("approve: %+v, %v", m, err)
	}
	done, err := e.db.AcceptJoinLink(e.admin, token, person(1))
	if err != nil || done.Membership == nil || done.Joined {
		t.Fatalf("use after approval: %+v, %v", done, err)
	}
}
