package sqlstore

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/invitedhq/invited"
)

// from returns ctx with its actor calling from addr.
func from(ctx context.Context, addr string) context.Context {
	a := *invited.ActorFromContext(ctx)
	a.RemoteAddr = addr
	return invited.NewContextWithActor(ctx, &a)
}

// events lists every audit event ctx may read under f, newest first.
func (e *env) events(ctx context.Context, f invited.AuditFilter) []*invited.AuditEvent {
	e.t.Helper()
	var all []*invited.AuditEvent
	for {
		page, next, err := e.db.FindAuditEvents(ctx, f)
		must(e.t, err)
		all = append(all, page...)
		if next == "" {
			return all
		}
		f.PageToken = next
	}
}

func actions(events []*invited.AuditEvent) []string {
	out := make([]string, len(events))
	for i, ev := range events {
		out[i] = ev.Action + " " + ev.ResourceID
	}
	return out
}

func testAuditTrail(t *testing.T, e *env) {
	admin := from(e.admin, "192.0.2.1")
	keyID := invited.ActorFromContext(admin).APIKeyID
	org, err := e.db.CreateOrganization(admin, invited.OrganizationCreate{Name: "Acme"})
	must(t, err)
	// Ids order events by millisecond; within one, at random.
	tick := func() { e.clock.Advance(time.Millisecond) }
	tick()
	inv, _ := e.invite(admin, org.ID, invited.InvitationCreate{Email: "ann@example.com", Roles: []string{"member"}})
	tick()
	_, err = e.db.RevokeInvitation(admin, inv.ID)
	must(t, err)
	tick()
	due, _ := e.invite(admin, org.ID, invited.InvitationCreate{Email: "bob@example.com", Roles: []string{"member"}, ExpiresIn: dur(time.Hour)})

	want := []string{
		"invitation.created " + due.ID,
		"invitation.revoked " + inv.ID,
		"invitation.created " + inv.ID,
		"organization.created " + org.ID,
	}
	got := e.events(e.admin, invited.AuditFilter{OrgID: org.ID})
	if !slices.Equal(actions(got), want) {
		t.Fatalf("events %v, want %v", actions(got), want)
	}
	for _, ev := range got {
		if !invited.ValidID(ev.ID, invited.PrefixAuditEvent) || ev.OrgID != org.ID || ev.ActorAPIKeyID != keyID ||
			ev.ActorUserID != "" || ev.RemoteAddr != "192.0.2.1" || ev.CreatedAt.After(e.clock.Now()) || ev.CreatedAt.Before(org.CreatedAt) {
			t.Fatalf("event %+v", ev)
		}
	}

	// Failed mutations leave nothing: a transition the state machine
	// refuses, a batch item that fails, a forbidden call.
	_, err = e.db.RevokeInvitation(admin, inv.ID)
	wantCode(t, err, invited.EINVALIDSTATE)
	tick()
	results, err := e.db.CreateInvitations(admin, org.ID, []invited.InvitationCreate{
		{Email: "bob@example.com", Roles: []string{"member"}},
		{Email: "cy@example.com", Roles: []string{"member"}, ExpiresIn: dur(time.Hour)},
	})
	must(t, err)
	wantCode(t, results[0].Err, invited.EINVITATIONEXISTS)
	_, err = e.db.CreateOrganization(invited.NewContextWithActor(context.Background(), &invited.Actor{}), invited.OrganizationCreate{Name: "x"})
	wantCode(t, err, invited.EFORBIDDEN)
	got = e.events(e.admin, invited.AuditFilter{OrgID: org.ID})
	if len(got) != len(want)+1 || got[0].Action != "invitation.created" || got[0].ResourceID != results[1].Invitation.ID {
		t.Fatalf("after failures: %v", actions(got))
	}

	// A user acting: the event names the user, and the sweeper acts alone.
	tick()
	ctx, u := e.member(org.ID, invited.RoleAdmin)
	ctx = from(ctx, "2001:db8::1")
	tick()
	_, err = e.db.UpdateOrganization(ctx, org.ID, invited.OrganizationUpdate{Name: ptr("Acme Inc")})
	must(t, err)
	e.clock.Advance(2 * time.Hour)
	n, err := e.db.ExpireInvitations(context.Background(), 10)
	if err != nil || n != 2 {
		t.Fatalf("expired %d, %v", n, err)
	}
	got = e.events(e.admin, invited.AuditFilter{OrgID: org.ID})
	var expired []string
	for _, ev := range got[:2] {
		if ev.Action != "invitation.expired" || ev.ActorUserID != "" || ev.ActorAPIKeyID != "" || ev.RemoteAddr != "" {
			t.Fatalf("sweeper event %+v", ev)
		}
		expired = append(expired, ev.ResourceID)
	}
	slices.Sort(expired)
	wantExpired := []string{due.ID, results[1].Invitation.ID}
	slices.Sort(wantExpired)
	if !slices.Equal(expired, wantExpired) {
		t.Fatalf("expired %v, want %v", expired, wantExpired)
	}
	if ev := got[2]; ev.Action != "organization.updated" || ev.ActorUserID != u.ID || ev.ActorAPIKeyID != "" || ev.RemoteAddr != "2001:db8::1" {
		t.Fatalf("update event %+v", ev)
	}
	// The member's invitation, its acceptance and the membership it made
	// share a millisecond, so their order is open.
	if !slices.ContainsFunc(got[3:6], func(ev *invited.AuditEvent) bool {
		return ev.Action == "invitation.accepted" && ev.ActorAPIKeyID == keyID && ev.ResourceID != ""
	}) {
		t.Fatalf("no accept event in %v", actions(got[3:6]))
	}
}

func testAuditScoping(t *testing.T, e *env) {
	acme, owner := e.orgWithOwner(nil)
	globex := e.org(nil)
	memberCtx, memberUser := e.member(acme.ID, invited.RoleMember)
	_, err := e.db.UpdateMember(owner, acme.ID, memberUser.ID, invited.MemberUpdate{Roles: []string{invited.RoleMember, "admin"}})
	must(t, err)
	_, secret, err := e.db.CreateAPIKey(e.admin, invited.APIKeyCreate{Name: "globex", OrgID: globex.ID,
		Permissions: []invited.Permission{invited.PermInvitationsRead, invited.PermInvitationsCreate}})
	must(t, err)
	globexKey := e.keyContext(secret)
	e.invite(globexKey, globex.ID, invited.InvitationCreate{Email: "g@example.com", Roles: []string{"member"}})
	ownerID := invited.ActorFromContext(owner).UserID()

	// The owner holds org:manage in Acme: Acme's events, none of Globex's
	// nor the system-wide ones (the first admin key).
	acmeEvents := e.events(owner, invited.AuditFilter{})
	if len(acmeEvents) == 0 {
		t.Fatal("the owner sees no events")
	}
	for _, ev := range acmeEvents {
		if ev.OrgID != acme.ID {
			t.Fatalf("owner sees %+v", ev)
		}
	}
	if all := e.events(e.admin, invited.AuditFilter{}); len(all) <= len(acmeEvents) ||
		!slices.ContainsFunc(all, func(ev *invited.AuditEvent) bool { return ev.OrgID == "" && ev.Action == "api_key.created" }) {
		t.Fatalf("admin sees %v", actions(all))
	}
	_, _, err = e.db.FindAuditEvents(owner, invited.AuditFilter{OrgID: globex.ID})
	wantCode(t, err, invited.ENOTFOUND)

	// Another tenant's key without org:manage: nothing, not_found for Acme,
	// forbidden for its own organization.
	if got := e.events(globexKey, invited.AuditFilter{}); len(got) != 0 {
		t.Fatalf("globex key sees %v", actions(got))
	}
	_, _, err = e.db.FindAuditEvents(globexKey, invited.AuditFilter{OrgID: acme.ID})
	wantCode(t, err, invited.ENOTFOUND)
	_, _, err = e.db.FindAuditEvents(globexKey, invited.AuditFilter{OrgID: globex.ID})
	wantCode(t, err, invited.EFORBIDDEN)
	_, _, err = e.db.FindAuditEvents(invited.NewContextWithActor(context.Background(), &invited.Actor{}), invited.AuditFilter{})
	must(t, err)
	// memberCtx was authenticated before the promotion; a fresh one holds admin.
	if got := e.events(memberCtx, invited.AuditFilter{}); len(got) != 0 {
		t.Fatalf("a plain member sees %v", actions(got))
	}
	if got := e.events(e.userContext(memberUser), invited.AuditFilter{}); len(got) != len(acmeEvents) {
		t.Fatalf("an org admin sees %d events, want %d", len(got), len(acmeEvents))
	}

	// Filters.
	byResource := e.events(owner, invited.AuditFilter{Resource: invited.ResourceMembership})
	// Both accepts created a membership; the promotion updated one. The
	// clock stands still, so their order within the millisecond is open.
	want := map[string]int{"membership.created": 2, "membership.updated " + memberUser.ID: 1}
	got := map[string]int{}
	for _, ev := range byResource {
		if ev.Action == "membership.updated" {
			got[ev.Action+" "+ev.ResourceID]++
		} else {
			got[ev.Action]++
		}
	}
	if !maps.Equal(got, want) {
		t.Fatalf("membership events %v", actions(byResource))
	}
	byActor := e.events(owner, invited.AuditFilter{Actor: ownerID})
	if len(byActor) != 1 || byActor[0].ActorUserID != ownerID {
		t.Fatalf("owner's events %v", actions(byActor))
	}
	globexKeyID := invited.ActorFromContext(globexKey).APIKeyID
	if got := e.events(e.admin, invited.AuditFilter{Actor: globexKeyID}); len(got) != 1 || got[0].OrgID != globex.ID {
		t.Fatalf("globex key's events %v", actions(got))
	}
	for _, f := range []invited.AuditFilter{{Resource: "planet"}, {Actor: "bob"}, {Page: invited.Page{PageToken: "garbage"}}} {
		_, _, err = e.db.FindAuditEvents(owner, f)
		wantCode(t, err, invited.EINVALID)
	}
}

func testAuditPagination(t *testing.T, e *env) {
	org := e.org(nil)
	var cs []invited.InvitationCreate
	for i := range 30 {
		cs = append(cs, invited.InvitationCreate{Email: fmt.Sprintf("p%02d@example.com", i), Roles: []string{"member"}})
	}
	_, err := e.db.CreateInvitations(e.admin, org.ID, cs)
	must(t, err)
	f := invited.AuditFilter{OrgID: org.ID, Resource: invited.ResourceInvitation, Page: invited.Page{PageSize: 7}}
	seen := map[string]bool{}
	var last string
	for pages := 0; ; pages++ {
		events, next, err := e.db.FindAuditEvents(e.admin, f)
		must(t, err)
		if len(events) > 7 || (next != "" && len(events) != 7) || pages > 10 {
			t.Fatalf("page of %d, next %q", len(events), next)
		}
		for _, ev := range events {
			if seen[ev.ID] || (last != "" && ev.ID > last) || ev.Action != "invitation.created" {
				t.Fatalf("event %+v out of order or twice", ev)
			}
			seen[ev.ID], last = true, ev.ID
		}
		if next == "" {
			break
		}
		f.PageToken = next
	}
	if len(seen) != 30 {
		t.Fatalf("%d events, want 30", len(seen))
	}
}
