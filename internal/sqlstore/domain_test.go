package sqlstore

import (
	"context"
	"slices"
	"testing"

	"github.com/invitedhq/invited"
)

// domain claims a domain that must succeed.
func (e *env) domain(ctx context.Context, orgID string, c invited.DomainCreate) *invited.Domain {
	e.t.Helper()
	d, err := e.db.CreateDomain(ctx, orgID, c)
	if err != nil {
		e.t.Fatalf("create domain: %v", err)
	}
	return d
}

// verifiedDomain claims a domain for orgID and marks it verified as if its
// record had been found.
func (e *env) verifiedDomain(orgID string, c invited.DomainCreate) *invited.Domain {
	e.t.Helper()
	d, err := e.db.MarkDomainVerified(e.admin, e.domain(e.admin, orgID, c).ID, invited.VerifyDNS)
	if err != nil {
		e.t.Fatalf("verify domain: %v", err)
	}
	return d
}

// testDomainCreate: a claim's defaults, what is refused and why, and who
// may claim with which roles.
func testDomainCreate(t *testing.T, e *env) {
	org, _ := e.orgWithOwner(nil)
	d := e.domain(e.admin, org.ID, invited.DomainCreate{Domain: "Acme.Example"})
	if d.Name != "acme.example" || d.Status != invited.DomainPending || d.Policy != invited.DomainOff || d.VerifiedAt != nil ||
		!slices.Equal(d.Roles, []string{invited.RoleMember}) || len(d.Token) < 43 {
		t.Fatalf("domain %+v", d)
	}
	got, err := e.db.FindDomainByID(e.admin, d.ID)
	must(t, err)
	if got.Token != d.Token || !got.CreatedAt.Equal(d.CreatedAt) || got.Name != d.Name {
		t.Fatalf("read back %+v, want %+v", got, d)
	}
	if n := e.count(`SELECT COUNT(*) FROM audit_events WHERE action = 'domain.created' AND resource_id = ?`, d.ID); n != 1 {
		t.Fatalf("%d created events", n)
	}

	plain, _ := e.member(org.ID, invited.RoleMember)
	manager, _ := e.member(org.ID, e.role(org.ID, invited.PermOrgManage))
	other := e.org(nil)
	for _, tt := range []struct {
		name  string
		ctx   context.Context
		c     invited.DomainCreate
		code  string
		field string
	}{
		{"free mail", e.admin, invited.DomainCreate{Domain: "gmail.com"}, invited.EINVALID, "domain"},
		{"disposable", e.admin, invited.DomainCreate{Domain: "mailinator.com"}, invited.EINVALID, "domain"},
		{"not a domain", e.admin, invited.DomainCreate{Domain: "acme"}, invited.EINVALID, "domain"},
		{"owner", e.admin, invited.DomainCreate{Domain: "b.example", Roles: []string{invited.RoleOwner}, AllowPrivileged: true}, invited.EINVALID, "roles"},
		{"claimed already", e.admin, invited.DomainCreate{Domain: "acme.example"}, invited.ECONFLICT, ""},
		{"a plain member", plain, invited.DomainCreate{Domain: "c.example"}, invited.EFORBIDDEN, ""},
		{"more than the manager holds", manager, invited.DomainCreate{Domain: "d.example", Roles: []string{invited.RoleAdmin}, AllowPrivileged: true}, invited.EFORBIDDEN, ""},
		{"another tenant", manager, invited.DomainCreate{Domain: "e.example"}, invited.ENOTFOUND, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			orgID := org.ID
			if tt.name == "another tenant" {
				orgID = other.ID
			}
			_, err := e.db.CreateDomain(tt.ctx, orgID, tt.c)
			if e := wantCode(t, err, tt.code); tt.field != "" && e.Fields[tt.field] == "" {
				t.Fatalf("no problem with %s: %+v", tt.field, e)
			}
		})
	}
	_, err = e.db.CreateDomain(e.admin, org.ID, invited.DomainCreate{Domain: "acme.example"})
	if e := wantCode(t, err, invited.ECONFLICT); e.ExistingID != d.ID {
		t.Fatalf("the conflict names %q, want %s", e.ExistingID, d.ID)
	}
	_, err = e.db.CreateDomain(e.admin, org.ID, invited.DomainCreate{Domain: "gmail.com"})
	if e := wantCode(t, err, invited.EINVALID); e.Fields["domain"] != "gmail.com is a free email provider: claim a domain of the organization's own" {
		t.Fatalf("free mail: %q", e.Fields["domain"])
	}
	if _, err := e.db.CreateDomain(manager, org.ID, invited.DomainCreate{Domain: "f.example", Policy: invited.DomainAuto}); err != nil {
		t.Fatalf("a manager brings in members: %v", err)
	}
}

// testDomainVerify: the first organization to verify a domain holds it,
// others claiming it meanwhile are refused until it lets go; only an
// admin key verifies without DNS.
func testDomainVerify(t *testing.T, e *env) {
	acme, other := e.org(nil), e.org(nil)
	mine := e.domain(e.admin, acme.ID, invited.DomainCreate{Domain: "acme.example"})
	theirs := e.domain(e.admin, other.ID, invited.DomainCreate{Domain: "acme.example"})
	manager, _ := e.member(acme.ID, e.role(acme.ID, invited.PermOrgManage))

	_, err := e.db.MarkDomainVerified(manager, mine.ID, invited.VerifyAdmin)
	wantCode(t, err, invited.EFORBIDDEN)
	_, err = e.db.MarkDomainVerified(manager, mine.ID, "magic")
	wantCode(t, err, invited.EINVALID)
	d, err := e.db.MarkDomainVerified(manager, mine.ID, invited.VerifyDNS)
	must(t, err)
	if d.Status != invited.DomainVerified || d.VerifiedAt == nil || !d.VerifiedAt.Equal(e.clock.Now()) || d.VerificationMethod != invited.VerifyDNS {
		t.Fatalf("verified %+v", d)
	}
	_, err = e.db.MarkDomainVerified(manager, mine.ID, invited.VerifyDNS)
	wantCode(t, err, invited.EINVALIDSTATE)
	_, err = e.db.MarkDomainVerified(e.admin, theirs.ID, invited.VerifyAdmin)
	wantCode(t, err, invited.ECONFLICT)
	if got, err := e.db.FindDomainByID(e.admin, theirs.ID); err != nil || got.Status != invited.DomainPending {
		t.Fatalf("the refused claim: %+v, %v", got, err)
	}

	must(t, e.db.DeleteDomain(manager, mine.ID))
	d, err = e.db.MarkDomainVerified(e.admin, theirs.ID, invited.VerifyAdmin)
	if err != nil || d.VerificationMethod != invited.VerifyAdmin {
		t.Fatalf("once freed: %+v, %v", d, err)
	}
	for _, action := range []string{"domain.verified", "domain.deleted"} {
		if n := e.count(`SELECT COUNT(*) FROM audit_events WHERE action = ?`, action); n != map[string]int{"domain.verified": 2, "domain.deleted": 1}[action] {
			t.Errorf("%d %s events", n, action)
		}
	}
}

// testDomainJoin joins through verified domains by each policy: auto
// makes the first member owner and others members with the domain's
// roles, request files a join request, suggest and off refuse.
func testDomainJoin(t *testing.T, e *env) {
	auto, request, suggest, off := e.org(nil), e.org(nil), e.org(nil), e.org(nil)
	guests := e.role(auto.ID, invited.PermMembersRead)
	e.verifiedDomain(auto.ID, invited.DomainCreate{Domain: "auto.example", Policy: invited.DomainAuto, Roles: []string{guests}})
	e.verifiedDomain(request.ID, invited.DomainCreate{Domain: "request.example", Policy: invited.DomainRequest})
	e.verifiedDomain(suggest.ID, invited.DomainCreate{Domain: "suggest.example", Policy: invited.DomainSuggest})
	e.verifiedDomain(off.ID, invited.DomainCreate{Domain: "off.example"})

	first, err := e.db.JoinByDomain(e.requester("ada", "ada@auto.example"), auto.ID, invited.JoinRequestCreate{})
	must(t, err)
	if !first.Joined || !slices.Equal(first.Membership.Roles, []string{guests, invited.RoleOwner}) || first.User.ID == "" {
		t.Fatalf("first join %+v", first.Membership)
	}
	bob := e.requester("bob", "bob@AUTO.example")
	second, err := e.db.JoinByDomain(bob, auto.ID, invited.JoinRequestCreate{})
	if err != nil || !slices.Equal(second.Membership.Roles, []string{guests}) {
		t.Fatalf("second join %+v, %v", second, err)
	}
	_, err = e.db.JoinByDomain(e.requester("bob", "bob@auto.example"), auto.ID, invited.JoinRequestCreate{})
	wantCode(t, err, invited.EALREADYMEMBER)

	asked, err := e.db.JoinByDomain(e.requester("cy", "cy@request.example"), request.ID, invited.JoinRequestCreate{Message: "hi"})
	must(t, err)
	if asked.Joined || asked.Membership != nil || asked.Request == nil || asked.Request.Via != invited.JoinViaDomain ||
		asked.Request.Domain != "request.example" || asked.Request.Message != "hi" || asked.Request.Status != invited.JoinRequestPending {
		t.Fatalf("request %+v", asked)
	}
	if n := e.count(`SELECT COUNT(*) FROM memberships WHERE org_id = ?`, request.ID); n != 0 {
		t.Fatalf("a request made %d members", n)
	}

	for _, tt := range []struct {
		name  string
		ctx   context.Context
		orgID string
		code  string
	}{
		{"suggest", e.requester("dan", "dan@suggest.example"), suggest.ID, invited.EFORBIDDEN},
		{"off", e.requester("eve", "eve@off.example"), off.ID, invited.EFORBIDDEN},
		{"another domain's organization", e.requester("fay", "fay@auto.example"), request.ID, invited.ENOTFOUND},
		{"an unverified address", e.unverified("gus", "gus@auto.example"), auto.ID, invited.EFORBIDDEN},
		{"an API key", e.admin, auto.ID, invited.EFORBIDDEN},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.db.JoinByDomain(tt.ctx, tt.orgID, invited.JoinRequestCreate{})
			wantCode(t, err, tt.code)
		})
	}
	if n := e.count(`SELECT COUNT(*) FROM users WHERE external_id IN ('dan', 'eve', 'fay', 'gus')`); n != 0 {
		t.Fatalf("refusals stored %d users", n)
	}
}

// unverified is a signed-in person whose email claim is not verified.
func (e *env) unverified(sub, email string) context.Context {
	e.t.Helper()
	a, err := e.db.AuthenticateUser(context.Background(), invited.User{ExternalID: sub, Email: email, Name: sub})
	must(e.t, err)
	return invited.NewContextWithActor(context.Background(), a)
}

// testJoinableOrgs lists the organizations a verified address opens: the
// verified domain's, unless its policy is off or the person is a member;
// an unverified address opens none.
func testJoinableOrgs(t *testing.T, e *env) {
	open, pending, off := e.org(nil), e.org(nil), e.org(nil)
	e.verifiedDomain(open.ID, invited.DomainCreate{Domain: "open.example", Policy: invited.DomainSuggest})
	e.domain(e.admin, pending.ID, invited.DomainCreate{Domain: "pending.example", Policy: invited.DomainAuto})
	e.verifiedDomain(off.ID, invited.DomainCreate{Domain: "off.example"})

	names := func(ctx context.Context) []string {
		t.Helper()
		orgs, err := e.db.JoinableOrgs(ctx)
		must(t, err)
		var out []string
		for _, o := range orgs {
			out = append(out, o.Organization.ID+" "+o.Domain+" "+string(o.Policy))
		}
		return out
	}
	for _, tt := range []struct {
		name string
		ctx  context.Context
		want []string
	}{
		{"a verified address", e.requester("ada", "ada@open.example"), []string{open.ID + " open.example suggest"}},
		{"an unverified address", e.unverified("bob", "bob@open.example"), nil},
		{"a pending domain", e.requester("cy", "cy@pending.example"), nil},
		{"policy off", e.requester("dan", "dan@off.example"), nil},
		{"another domain", e.requester("eve", "eve@elsewhere.example"), nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := names(tt.ctx); !slices.Equal(got, tt.want) {
				t.Fatalf("joinable %v, want %v", got, tt.want)
			}
		})
	}
	member := e.requester("fay", "fay@open.example")
	_, err := e.db.JoinableOrgs(e.admin)
	wantCode(t, err, invited.EFORBIDDEN)
	if got := names(member); len(got) != 1 {
		t.Fatalf("before joining: %v", got)
	}
	// A key of another organization acting for someone stays in its
	// organization: ivy, at open.example, a member of pending.
	_, token := e.invite(e.admin, pending.ID, invited.InvitationCreate{Email: "ivy@open.example", Roles: []string{invited.RoleMember}})
	acc, err := e.db.AcceptInvitation(e.admin, token, invited.Acceptor{ExternalID: "ivy", Email: "ivy@open.example"})
	must(t, err)
	_, secret, err := e.db.CreateAPIKey(e.admin, invited.APIKeyCreate{Name: "k", OrgID: pending.ID, Permissions: []invited.Permission{invited.PermMembersRead}})
	must(t, err)
	acting, err := e.db.ActAsUser(context.Background(), invited.ActorFromContext(e.keyContext(secret)), acc.User.ID)
	must(t, err)
	if got := names(invited.NewContextWithActor(context.Background(), acting)); got != nil {
		t.Fatalf("another organization's key is offered %v", got)
	}
	if got := names(e.requester("ivy", "ivy@open.example")); len(got) != 1 {
		t.Fatalf("ivy herself: %v", got)
	}

	_, token = e.invite(e.admin, open.ID, invited.InvitationCreate{Email: "fay@open.example", Roles: []string{invited.RoleMember}})
	_, err = e.db.AcceptInvitation(e.admin, token, invited.Acceptor{ExternalID: "fay", Email: "fay@open.example"})
	must(t, err)
	if got := names(e.requester("fay", "fay@open.example")); got != nil {
		t.Fatalf("a member is offered %v", got)
	}
}

// testDomainIsolation: another tenant's domains do not exist for it, and
// changes keep to what the cap allows.
func testDomainIsolation(t *testing.T, e *env) {
	acme, other := e.org(nil), e.org(nil)
	d := e.domain(e.admin, acme.ID, invited.DomainCreate{Domain: "acme.example"})
	e.domain(e.admin, other.ID, invited.DomainCreate{Domain: "other.example"})
	stranger, _ := e.member(other.ID, invited.RoleOwner)
	auto := invited.DomainAuto

	_, err := e.db.FindDomainByID(stranger, d.ID)
	wantCode(t, err, invited.ENOTFOUND)
	_, err = e.db.UpdateDomain(stranger, d.ID, invited.DomainUpdate{Policy: &auto})
	wantCode(t, err, invited.ENOTFOUND)
	_, err = e.db.MarkDomainVerified(stranger, d.ID, invited.VerifyDNS)
	wantCode(t, err, invited.ENOTFOUND)
	wantCode(t, e.db.DeleteDomain(stranger, d.ID), invited.ENOTFOUND)
	_, _, err = e.db.FindDomains(stranger, invited.DomainFilter{OrgID: acme.ID})
	wantCode(t, err, invited.ENOTFOUND)
	mine, _, err := e.db.FindDomains(stranger, invited.DomainFilter{})
	if err != nil || len(mine) != 1 || mine[0].OrgID != other.ID {
		t.Fatalf("the stranger's own list: %+v, %v", mine, err)
	}

	_, err = e.db.UpdateDomain(e.admin, d.ID, invited.DomainUpdate{Roles: []string{invited.RoleAdmin}})
	wantCode(t, err, invited.EINVALID)
	updated, err := e.db.UpdateDomain(e.admin, d.ID, invited.DomainUpdate{Policy: &auto})
	if err != nil || updated.Policy != invited.DomainAuto || !slices.Equal(updated.Roles, []string{invited.RoleMember}) {
		t.Fatalf("update %+v, %v", updated, err)
	}
	got, _, err := e.db.FindDomains(e.admin, invited.DomainFilter{OrgID: acme.ID, Status: invited.DomainPending})
	if err != nil || len(got) != 1 || got[0].Policy != invited.DomainAuto {
		t.Fatalf("after the update: %+v, %v", got, err)
	}
	_, _, err = e.db.FindDomains(e.admin, invited.DomainFilter{OrgID: acme.ID, Status: "open"})
	wantCode(t, err, invited.EINVALID)
}
