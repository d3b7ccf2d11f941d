package sqlstore

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/invitedhq/invited"
)

// The hosted acceptance cases of the contract suite (contract_test.go):
// invitation links opened and accepted on the hosted page, acceptance
// tickets and the keys that sign them.

// visitorAddr is where the hosted page's visitors come from.
const visitorAddr = "198.51.100.7"

// visitor is the context of someone on the hosted page: no credential
// besides the link, only an address.
func visitor() context.Context {
	return invited.NewContextWithActor(context.Background(), &invited.Actor{RemoteAddr: visitorAddr})
}

// linkAccept accepts on the hosted page as a visitor.
func (e *env) linkAccept(token, name string) (*invited.Acceptance, error) {
	return e.db.AcceptInvitationByLink(visitor(), token, name)
}

// storedTicket reads a ticket as stored.
func (e *env) storedTicket(id string) *invited.AcceptanceTicket {
	e.t.Helper()
	t, err := scanTicket(e.db.read.QueryRow(e.db.dialect.rebind(ticketByIDSQL), id))
	if err != nil {
		e.t.Fatal(err)
	}
	return t
}

// orgKey returns the context of a new API key of orgID.
func (e *env) orgKey(orgID string) context.Context { return e.keyWith(orgID, invited.PermMembersRead) }

// keyWith returns the context of a new API key of orgID holding perms.
func (e *env) keyWith(orgID string, perms ...invited.Permission) context.Context {
	e.t.Helper()
	_, secret, err := e.db.CreateAPIKey(e.admin, invited.APIKeyCreate{Name: "host app", OrgID: orgID, Permissions: perms})
	must(e.t, err)
	return e.keyContext(secret)
}

// hostedSettings lets invitations of an organization land on its app.
func hostedSettings() *invited.OrgSettingsPatch {
	return &invited.OrgSettingsPatch{AllowedRedirectOrigins: &[]string{"https://app.example.com"},
		DefaultRedirectURL: ptr("https://app.example.com/welcome")}
}

func testLinkOpen(t *testing.T, e *env) {
	org := e.org(hostedSettings())
	inv, token := e.invite(e.admin, org.ID, invited.InvitationCreate{Email: "ann@example.com", Roles: []string{"member"}, ExpiresIn: dur(time.Hour)})
	got, gotOrg, err := e.db.OpenInvitationLink(context.Background(), token)
	must(t, err)
	if !reflect.DeepEqual(got, inv) || !reflect.DeepEqual(gotOrg, org) {
		t.Fatalf("opened %+v of %+v", got, gotOrg)
	}
	// An overdue invitation reads as expired before the sweeper runs.
	e.clock.Advance(time.Hour)
	got, _, err = e.db.OpenInvitationLink(context.Background(), token)
	must(t, err)
	if got.Status != invited.StatusExpired || e.rawStatus(inv.ID) != invited.StatusPending {
		t.Fatalf("overdue: %s", got.Status)
	}
	for _, token := range []string{newToken(), "garbage", ""} {
		_, _, err = e.db.OpenInvitationLink(context.Background(), token)
		wantCode(t, err, invited.ENOTFOUND)
	}
}

// testLinkAccept accepts on the hosted page as a new person, first into an
// organization without members, then into one with an owner who invited
// them: the same accept as through the API, plus a ticket.
func testLinkAccept(t *testing.T, e *env) {
	org := e.org(hostedSettings())
	inv, token := e.invite(e.admin, org.ID, invited.InvitationCreate{Email: "ann@example.com", Roles: []string{"member"}, Audience: "web"})
	acc, err := e.linkAccept(token, "  Ann Example ")
	must(t, err)
	u := acc.User
	if !invited.ValidID(u.ID, invited.PrefixUser) || u.Email != "ann@example.com" || !u.EmailVerified || u.Name != "Ann Example" || u.ExternalID != "" {
		t.Fatalf("user %+v", u)
	}
	if acc.Invitation.ID != inv.ID || acc.Invitation.Status != invited.StatusAccepted || acc.Invitation.AcceptedUserID != u.ID ||
		e.rawStatus(inv.ID) != invited.StatusAccepted {
		t.Fatalf("invitation %+v", acc.Invitation)
	}
	// The first member owns the organization.
	if !slices.Equal(acc.Membership.Roles, []string{"member", "owner"}) || acc.RedirectURL != "https://app.example.com/welcome" {
		t.Fatalf("membership %+v, redirect %q", acc.Membership, acc.RedirectURL)
	}
	now := e.clock.Now()
	want := &invited.AcceptanceTicket{ID: acc.Ticket.ID, InvitationID: inv.ID, OrgID: org.ID, UserID: u.ID, Email: u.Email,
		Name: "Ann Example", Roles: []string{"member", "owner"}, Audience: "web", IssuedAt: now, ExpiresAt: now.Add(invited.TicketTTL)}
	if !invited.ValidID(acc.Ticket.ID, invited.PrefixTicket) || !reflect.DeepEqual(acc.Ticket, want) {
		t.Fatalf("ticket\n got %+v\nwant %+v", acc.Ticket, want)
	}
	if stored := e.storedTicket(acc.Ticket.ID); !reflect.DeepEqual(stored, want) {
		t.Fatalf("stored ticket %+v", stored)
	}
	// The page's visitor is nobody but an address.
	events := e.events(e.admin, invited.AuditFilter{OrgID: org.ID})
	got := map[string]string{}
	for _, ev := range events {
		if ev.Action != "organization.created" && ev.Action != "invitation.created" {
			if ev.ActorUserID != "" || ev.ActorAPIKeyID != "" || ev.RemoteAddr != visitorAddr {
				t.Fatalf("event %+v", ev)
			}
			got[ev.Action] = ev.ResourceID
		}
	}
	if !reflect.DeepEqual(got, map[string]string{"invitation.accepted": inv.ID, "membership.created": u.ID}) {
		t.Fatalf("events %v", actions(events))
	}

	// A member invites: the inviter hears of the acceptance, and so do
	// the organization's webhooks.
	acme, owner := e.orgWithOwner(hostedSettings())
	_, err = e.db.CreateWebhook(owner, invited.WebhookCreate{OrgID: acme.ID, URL: "https://hooks.acme.test/"})
	must(t, err)
	_, token = e.invite(owner, acme.ID, invited.InvitationCreate{Email: "bob@example.com", Roles: []string{"admin"},
		RedirectURL: "https://app.example.com/team"})
	e.claim() // what the setup sent
	acc, err = e.linkAccept(token, "Bob")
	must(t, err)
	if !slices.Equal(acc.Membership.Roles, []string{"admin"}) || !slices.Equal(acc.Ticket.Roles, []string{"admin"}) ||
		acc.RedirectURL != "https://app.example.com/team" || acc.Ticket.Audience != "" {
		t.Fatalf("acceptance %+v, ticket %+v", acc, acc.Ticket)
	}
	if l := e.lettersOf(invited.KindAccepted); len(l) != 1 || l[0].to != invited.ActorFromContext(owner).User.Email {
		t.Fatalf("accepted letters %+v", l)
	}
	var hooks []string
	for _, m := range e.claim() {
		if m.Channel == invited.ChannelWebhook {
			hooks = append(hooks, m.Kind)
		}
	}
	slices.Sort(hooks)
	if !slices.Equal(hooks, []string{invited.EventInvitationAccepted, invited.EventMembershipCreated}) {
		t.Fatalf("webhook deliveries %v", hooks)
	}
}

// testLinkAcceptKnownUser accepts on the hosted page as people the service
// knows by the invited email: no second user, the address counts as
// verified from then on, and a stored name stays.
func testLinkAcceptKnownUser(t *testing.T, e *env) {
	org, _ := e.orgWithOwner(nil)
	tests := []struct{ stored, want string }{
		{"Ann", "Ann"},
		{"", "Given Name"},
	}
	for _, tt := range tests {
		_, known := e.member(e.org(nil).ID, invited.RoleMember)
		// As if the address had been taken on trust.
		_, err := e.db.write.Exec(e.db.dialect.rebind(`UPDATE users SET name = ?, email_verified = ? WHERE id = ?`), tt.stored, false, known.ID)
		must(t, err)
		users := e.count(`SELECT COUNT(*) FROM users`)
		_, token := e.invite(e.admin, org.ID, invited.InvitationCreate{Email: strings.ToUpper(known.Email), Roles: []string{"member"}})
		acc, err := e.linkAccept(token, "Given Name")
		must(t, err)
		u := acc.User
		if u.ID != known.ID || !u.EmailVerified || u.Name != tt.want || u.ExternalID != known.ExternalID {
			t.Fatalf("user %+v, known %+v", u, known)
		}
		if n := e.count(`SELECT COUNT(*) FROM users`); n != users {
			t.Fatalf("%d users, want %d", n, users)
		}
		if n := e.count(`SELECT COUNT(*) FROM users WHERE id = ? AND email_verified = ? AND name = ?`, u.ID, true, tt.want); n != 1 {
			t.Fatal("the user is not stored so")
		}
		if acc.Ticket.UserID != u.ID || acc.Ticket.Email != known.Email || acc.Ticket.Name != tt.want {
			t.Fatalf("ticket %+v", acc.Ticket)
		}
	}
}

// testLinkAcceptMember accepts on the hosted page into an organization the
// person joined meanwhile by another invitation: the roles merge, as
// through the API, and the ticket carries them all.
func testLinkAcceptMember(t *testing.T, e *env) {
	org, _ := e.orgWithOwner(nil)
	_, byEmail := e.invite(e.admin, org.ID, invited.InvitationCreate{Email: "ann@example.com", Roles: []string{"member"}})
	_, byPhone := e.invite(e.admin, org.ID, invited.InvitationCreate{Phone: "+14155550123", Roles: []string{"admin"}})
	first, err := e.db.AcceptInvitation(e.admin, byPhone, invited.Acceptor{ExternalID: "ann", Email: "ann@example.com", Phone: "+14155550123"})
	must(t, err)
	e.clock.Advance(time.Millisecond) // orders the membership events
	acc, err := e.linkAccept(byEmail, "Ann")
	must(t, err)
	if acc.User.ID != first.User.ID || !slices.Equal(acc.Membership.Roles, []string{"admin", "member"}) ||
		!slices.Equal(acc.Ticket.Roles, acc.Membership.Roles) {
		t.Fatalf("acceptance %+v, ticket %+v", acc.Membership, acc.Ticket)
	}
	evs := e.events(e.admin, invited.AuditFilter{OrgID: org.ID, Resource: invited.ResourceMembership})
	if evs[0].Action != invited.EventMembershipUpdated || evs[0].ResourceID != acc.User.ID {
		t.Fatalf("membership events %v", actions(evs))
	}
}

// testLinkAcceptRefusals tries what the hosted page must refuse; none of
// it leaves a trace.
func testLinkAcceptRefusals(t *testing.T, e *env) {
	org := e.org(&invited.OrgSettingsPatch{RequireEmailMatch: ptr(false)})
	_, someone := e.member(e.org(nil).ID, invited.RoleMember)
	email := func() invited.InvitationCreate {
		return invited.InvitationCreate{Email: fmt.Sprintf("r%d@example.com", e.next()), Roles: []string{"member"}, ExpiresIn: dur(time.Hour)}
	}
	tests := []struct {
		name   string
		c      invited.InvitationCreate
		before func(inv *invited.Invitation, token string) // what happened to the invitation first
		accept string                                      // the name given
		code   string
		field  string
	}{
		{name: "phone", c: invited.InvitationCreate{Phone: "+14155550100", Roles: []string{"member"}}, accept: "Pat", code: invited.EINVALIDSTATE},
		{name: "user id", c: invited.InvitationCreate{UserID: someone.ID, Roles: []string{"member"}, Channel: invited.ChannelEmail},
			accept: "Uma", code: invited.EINVALIDSTATE},
		{name: "no name", c: email(), accept: " \t ", code: invited.EINVALID, field: "name"},
		{name: "long name", c: email(), accept: strings.Repeat("é", invited.MaxNameRunes+1), code: invited.EINVALID, field: "name"},
		{name: "not UTF-8", c: email(), accept: "Ann\xff", code: invited.EINVALID, field: "name"},
		{name: "expired", c: email(), accept: "Ann", code: invited.EEXPIRED,
			before: func(*invited.Invitation, string) { e.clock.Advance(time.Hour) }},
		{name: "revoked", c: email(), accept: "Ann", code: invited.EREVOKED, before: func(inv *invited.Invitation, _ string) {
			_, err := e.db.RevokeInvitation(e.admin, inv.ID)
			must(t, err)
		}},
		{name: "declined", c: email(), accept: "Ann", code: invited.EDECLINED, before: func(_ *invited.Invitation, token string) {
			_, err := e.db.DeclineInvitation(context.Background(), token)
			must(t, err)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, token := e.invite(e.admin, org.ID, tt.c)
			if tt.before != nil {
				tt.before(inv, token)
			}
			users, status := e.count(`SELECT COUNT(*) FROM users`), e.rawStatus(inv.ID)
			_, err := e.linkAccept(token, tt.accept)
			if e := wantCode(t, err, tt.code); tt.field != "" && e.Fields[tt.field] == "" {
				t.Fatalf("fields %v", e.Fields)
			}
			if e.count(`SELECT COUNT(*) FROM users`) != users || e.rawStatus(inv.ID) != status ||
				e.count(`SELECT COUNT(*) FROM acceptance_tickets`) != 0 {
				t.Fatal("a refused accept left traces")
			}
		})
	}
	// An accepted link is spent.
	_, token := e.invite(e.admin, org.ID, email())
	_, err := e.linkAccept(token, "Ann")
	must(t, err)
	_, err = e.linkAccept(token, "Ann")
	wantCode(t, err, invited.EALREADYACCEPTED)
	_, err = e.linkAccept(newToken(), "Ann")
	wantCode(t, err, invited.ENOTFOUND)
}

// testConcurrentLinkAccept races visitors of one link: exactly one accepts.
func testConcurrentLinkAccept(t *testing.T, e *env) {
	org := e.org(nil)
	_, token := e.invite(e.admin, org.ID, invited.InvitationCreate{Email: "ann@example.com", Roles: []string{"member"}})
	errs := race(32, func(i int) error {
		_, err := e.linkAccept(token, fmt.Sprintf("Ann %d", i))
		return err
	})
	wins := winners(t, errs, invited.EALREADYACCEPTED)
	for table, want := range map[string]int{"users": 1, "memberships": 1, "acceptance_tickets": 1} {
		if n := e.count(`SELECT COUNT(*) FROM ` + table); wins != 1 || n != want {
			t.Fatalf("%d acceptances, %d %s", wins, n, table)
		}
	}
}

// issueTicket accepts a new invitation of orgID on the hosted page and
// returns its ticket.
func (e *env) issueTicket(orgID string) *invited.AcceptanceTicket {
	e.t.Helper()
	_, token := e.invite(e.admin, orgID, invited.InvitationCreate{Email: fmt.Sprintf("t%d@example.com", e.next()), Roles: []string{"member"}})
	acc, err := e.linkAccept(token, "Tess")
	must(e.t, err)
	return acc.Ticket
}

func testRedeemTicket(t *testing.T, e *env) {
	acme, owner := e.orgWithOwner(nil)
	globex := e.org(nil)
	acmeKey, globexKey := from(e.orgKey(acme.ID), "203.0.113.5"), e.orgKey(globex.ID)
	ticket := e.issueTicket(acme.ID)

	// Only those who see the organization learn that the ticket exists,
	// and the others' attempts do not spend it.
	for _, ctx := range []context.Context{globexKey, context.Background(), visitor()} {
		_, err := e.db.RedeemAcceptanceTicket(ctx, ticket.ID)
		wantCode(t, err, invited.ENOTFOUND)
	}
	for _, id := range []string{invited.NewID(invited.PrefixTicket, e.clock.Now()), "tkt_garbage", acme.ID} {
		_, err := e.db.RedeemAcceptanceTicket(acmeKey, id)
		wantCode(t, err, invited.ENOTFOUND)
	}
	e.clock.Advance(time.Second)
	got, err := e.db.RedeemAcceptanceTicket(acmeKey, ticket.ID)
	must(t, err)
	want := *ticket
	want.RedeemedAt = ptr(e.clock.Now())
	if !reflect.DeepEqual(got, &want) || !reflect.DeepEqual(e.storedTicket(ticket.ID), &want) {
		t.Fatalf("redeemed %+v, want %+v", got, &want)
	}
	// Once.
	for _, ctx := range []context.Context{acmeKey, owner, e.admin} {
		_, err = e.db.RedeemAcceptanceTicket(ctx, ticket.ID)
		wantCode(t, err, invited.ETICKETREDEEMED)
	}
	evs := e.events(e.admin, invited.AuditFilter{Resource: invited.ResourceAcceptanceTicket})
	if len(evs) != 1 || evs[0].Action != "acceptance_ticket.redeemed" || evs[0].ResourceID != ticket.ID || evs[0].OrgID != acme.ID ||
		evs[0].ActorAPIKeyID != invited.ActorFromContext(acmeKey).APIKeyID || evs[0].RemoteAddr != "203.0.113.5" {
		t.Fatalf("events %+v", evs)
	}

	// Until it expires; a member or an admin may redeem too.
	for _, ctx := range []context.Context{owner, e.admin} {
		ticket := e.issueTicket(acme.ID)
		e.clock.Advance(invited.TicketTTL - time.Millisecond)
		_, err = e.db.RedeemAcceptanceTicket(ctx, ticket.ID)
		must(t, err)
		ticket = e.issueTicket(acme.ID)
		e.clock.Advance(invited.TicketTTL)
		_, err = e.db.RedeemAcceptanceTicket(ctx, ticket.ID)
		wantCode(t, err, invited.ETICKETEXPIRED)
		_, err = e.db.RedeemAcceptanceTicket(globexKey, ticket.ID)
		wantCode(t, err, invited.ENOTFOUND)
	}
}

// testConcurrentRedeem races redemptions of one ticket: exactly one wins.
func testConcurrentRedeem(t *testing.T, e *env) {
	org := e.org(nil)
	ctx := e.orgKey(org.ID)
	ticket := e.issueTicket(org.ID)
	errs := race(32, func(int) error {
		_, err := e.db.RedeemAcceptanceTicket(ctx, ticket.ID)
		return err
	})
	wins := winners(t, errs, invited.ETICKETREDEEMED)
	if n := e.count(`SELECT COUNT(*) FROM audit_events WHERE action = 'acceptance_ticket.redeemed'`); wins != 1 || n != 1 {
		t.Fatalf("%d redemptions, %d recorded", wins, n)
	}
}

// signingKey returns a new key made at the env's time.
func (e *env) signingKey() *invited.SigningKey { return e.signingKeyN(e.next()) }

// keyIDs lists the ids of keys.
func keyIDs(keys []*invited.SigningKey) []string {
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.ID
	}
	return ids
}

func testSigningKeys(t *testing.T, e *env) {
	ctx := context.Background()
	keys, err := e.db.SigningKeys(ctx, time.Time{})
	must(t, err)
	if len(keys) != 0 {
		t.Fatalf("keys %v", keyIDs(keys))
	}
	first := e.signingKey()
	got, err := e.db.AddSigningKey(ctx, first, false)
	must(t, err)
	if !reflect.DeepEqual(got, first) {
		t.Fatalf("added %+v, want %+v", got, first)
	}
	// Another instance starting later keeps the key there is.
	e.clock.Advance(time.Hour)
	got, err = e.db.AddSigningKey(ctx, e.signingKey(), false)
	must(t, err)
	keys, err = e.db.SigningKeys(ctx, time.Time{})
	must(t, err)
	if got.ID != first.ID || len(keys) != 1 || !reflect.DeepEqual(keys[0], first) {
		t.Fatalf("kept %+v; keys %v", got, keyIDs(keys))
	}

	// Rotation retires the active key as the new one comes in.
	e.clock.Advance(time.Hour)
	second := e.signingKey()
	got, err = e.db.AddSigningKey(ctx, second, true)
	must(t, err)
	e.clock.Advance(time.Hour)
	third := e.signingKey()
	_, err = e.db.AddSigningKey(ctx, third, true)
	must(t, err)
	if !reflect.DeepEqual(got, second) {
		t.Fatalf("rotated in %+v", got)
	}
	tests := []struct {
		since time.Time
		want  []string
	}{
		{time.Time{}, []string{third.ID, second.ID, first.ID}},
		{second.CreatedAt, []string{third.ID, second.ID, first.ID}}, // first retired as second came
		{second.CreatedAt.Add(time.Millisecond), []string{third.ID, second.ID}},
		{third.CreatedAt, []string{third.ID, second.ID}},
		{third.CreatedAt.Add(time.Millisecond), []string{third.ID}},
	}
	for _, tt := range tests {
		keys, err := e.db.SigningKeys(ctx, tt.since)
		must(t, err)
		if !slices.Equal(keyIDs(keys), tt.want) {
			t.Fatalf("since %v: %v, want %v", tt.since, keyIDs(keys), tt.want)
		}
	}
	keys, err = e.db.SigningKeys(ctx, time.Time{})
	must(t, err)
	if keys[0].RetiredAt != nil || !keys[1].RetiredAt.Equal(third.CreatedAt) || !keys[2].RetiredAt.Equal(second.CreatedAt) {
		t.Fatalf("retired at %v, %v, %v", keys[0].RetiredAt, keys[1].RetiredAt, keys[2].RetiredAt)
	}

	// The schema holds one active key whatever the code does.
	k := e.signingKey()
	_, err = e.db.write.Exec(e.db.dialect.rebind(`INSERT INTO signing_keys (`+signingKeyColumns+`) VALUES (?, ?, ?, NULL, ?, NULL)`),
		k.ID, k.Algorithm, k.PrivateKey, ms(k.CreatedAt))
	if !e.db.dialect.uniqueViolation(err) {
		t.Fatalf("a second active key: %v", err)
	}
	for _, bad := range []invited.SigningKey{{}, {ID: "sig_x", Algorithm: "ES256", PrivateKey: k.PrivateKey, CreatedAt: k.CreatedAt},
		{ID: k.ID, Algorithm: "ES256", CreatedAt: k.CreatedAt}, {ID: k.ID, Algorithm: "ES256", PrivateKey: k.PrivateKey}} {
		if _, err := e.db.AddSigningKey(ctx, &bad, true); err == nil {
			t.Fatalf("added %+v", bad)
		}
	}
}

// testConcurrentSigningKeys starts instances together on an empty database,
// then rotates from all of them at once: there is one active key
// throughout, and the first instances agree on it.
func testConcurrentSigningKeys(t *testing.T, e *env) {
	const n = 8
	ids := make([]string, n)
	errs := race(n, func(i int) error {
		k, err := e.db.AddSigningKey(context.Background(), e.signingKeyN(i), false)
		if err == nil {
			ids[i] = k.ID
		}
		return err
	})
	for i, err := range errs {
		must(t, err)
		if ids[i] != ids[0] {
			t.Fatalf("instances got keys %v", ids)
		}
	}
	errs = race(n, func(i int) error {
		_, err := e.db.AddSigningKey(context.Background(), e.signingKeyN(n+i), true)
		return err
	})
	for _, err := range errs {
		must(t, err)
	}
	if all, active := e.count(`SELECT COUNT(*) FROM signing_keys`), e.count(`SELECT COUNT(*) FROM signing_keys WHERE retired_at IS NULL`); all != n+1 || active != 1 {
		t.Fatalf("%d keys, %d active", all, active)
	}
}

// signingKeyN returns key number i, made at the env's time; unlike
// signingKey, it may be called concurrently.
func (e *env) signingKeyN(i int) *invited.SigningKey {
	now := e.clock.Now()
	return &invited.SigningKey{ID: invited.NewID(invited.PrefixSigningKey, now), Algorithm: "ES256",
		PrivateKey: fmt.Appendf(nil, "key %d", i), CreatedAt: now}
}

// testHostedPageSettings round-trips the organization settings of the
// hosted pages and checks that the redirect after an accept follows them.
func testHostedPageSettings(t *testing.T, e *env) {
	patch := hostedSettings()
	patch.DisplayName, patch.LogoURL, patch.AccentColor = ptr("Acme"), ptr("https://cdn.example.com/logo.png"), ptr("#1A73E8")
	patch.SignInURL = ptr("https://app.example.com/sign-in")
	org := e.org(patch)
	want := invited.OrgSettings{DisplayName: "Acme", LogoURL: "https://cdn.example.com/logo.png", AccentColor: "#1a73e8",
		DefaultRedirectURL: "https://app.example.com/welcome", SignInURL: "https://app.example.com/sign-in"}
	if s := org.Settings; s.DisplayName != want.DisplayName || s.LogoURL != want.LogoURL || s.AccentColor != want.AccentColor ||
		s.DefaultRedirectURL != want.DefaultRedirectURL || s.SignInURL != want.SignInURL {
		t.Fatalf("settings %+v", s)
	}
	got, err := e.db.FindOrganizationByID(e.admin, org.ID)
	must(t, err)
	if !reflect.DeepEqual(got, org) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, org)
	}
	updated, err := e.db.UpdateOrganization(e.admin, org.ID, invited.OrganizationUpdate{Settings: &invited.OrgSettingsPatch{
		DisplayName: ptr("Acme Inc"), LogoURL: ptr(""), AccentColor: ptr("#000000")}})
	must(t, err)
	got, err = e.db.FindOrganizationByID(e.admin, org.ID)
	must(t, err)
	if !reflect.DeepEqual(got, updated) || got.Settings.DisplayName != "Acme Inc" || got.Settings.LogoURL != "" ||
		got.Settings.AccentColor != "#000000" || got.Settings.SignInURL != want.SignInURL {
		t.Fatalf("updated %+v", got.Settings)
	}
	refusals := []struct {
		field string
		patch invited.OrgSettingsPatch
	}{
		{"settings.logo_url", invited.OrgSettingsPatch{LogoURL: ptr("http://cdn.example.com/logo.png")}},
		{"settings.accent_color", invited.OrgSettingsPatch{AccentColor: ptr("blue")}},
		{"settings.display_name", invited.OrgSettingsPatch{DisplayName: ptr(strings.Repeat("x", 201))}},
		{"settings.sign_in_url", invited.OrgSettingsPatch{SignInURL: ptr("https://evil.example.net/")}},
		// Narrowing the allowlist may not strand the default redirect.
		{"settings.default_redirect_url", invited.OrgSettingsPatch{AllowedRedirectOrigins: &[]string{"https://app.example.com:8443"}}},
	}
	for _, r := range refusals {
		_, err := e.db.UpdateOrganization(e.admin, org.ID, invited.OrganizationUpdate{Settings: &r.patch})
		if e := wantCode(t, err, invited.EINVALID); e.Fields[r.field] == "" {
			t.Fatalf("%s: fields %v", r.field, e.Fields)
		}
	}
	if got, err := e.db.FindOrganizationByID(e.admin, org.ID); err != nil || !reflect.DeepEqual(got, updated) {
		t.Fatalf("after refusals: %+v, %v", got, err)
	}

	// Through the API too, an accept lands on the invitation's redirect,
	// else the organization's default, while the allowlist admits it.
	accept := func(c invited.InvitationCreate) string {
		c.Email, c.Roles = fmt.Sprintf("l%d@example.com", e.next()), []string{"member"}
		_, token := e.invite(e.admin, org.ID, c)
		acc, err := e.db.AcceptInvitation(e.admin, token, invited.Acceptor{Email: c.Email})
		must(t, err)
		if acc.Ticket != nil {
			t.Fatalf("an API accept issued a ticket: %+v", acc.Ticket)
		}
		return acc.RedirectURL
	}
	if got := accept(invited.InvitationCreate{}); got != want.DefaultRedirectURL {
		t.Fatalf("default redirect %q", got)
	}
	c := invited.InvitationCreate{RedirectURL: "https://app.example.com/team"}
	if got := accept(c); got != c.RedirectURL {
		t.Fatalf("redirect %q", got)
	}
	c.Email = "late@example.com"
	c.Roles = []string{"member"}
	_, token := e.invite(e.admin, org.ID, c)
	_, err = e.db.UpdateOrganization(e.admin, org.ID, invited.OrganizationUpdate{Settings: &invited.OrgSettingsPatch{
		AllowedRedirectOrigins: &[]string{"https://new.example.com"}, DefaultRedirectURL: ptr(""), SignInURL: ptr("")}})
	must(t, err)
	acc, err := e.db.AcceptInvitation(e.admin, token, invited.Acceptor{Email: c.Email})
	must(t, err)
	if acc.RedirectURL != "" {
		t.Fatalf("redirect %q outside the allowlist", acc.RedirectURL)
	}
}
