package sqlstore

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/secretbox"
)

// The app and app invite cases of the contract suite (contract_test.go).

// crmSecret is the client secret of crmApp: it must never be stored or
// returned as it is.
const crmSecret = "crm-client-secret-in-plain-text"

// crmApp is the create of an app with a client secret, owned by orgID or
// system-wide ("").
func crmApp(orgID string) invited.AppCreate {
	return invited.AppCreate{Name: "CRM", OrgID: orgID, Description: "Connect your CRM to sync contacts.",
		OAuth: invited.OAuthConfig{AuthorizationURL: "https://crm.example.com/oauth/authorize",
			TokenURL: "https://crm.example.com/oauth/token", ClientID: "client-1", ClientSecret: crmSecret,
			Scopes: []string{"contacts.read"}, ExtraParams: map[string]string{"access_type": "offline"}}}
}

// app creates an app that must succeed, a millisecond after the one
// before, so that ids order apps as created.
func (e *env) app(ctx context.Context, c invited.AppCreate) *invited.App {
	e.t.Helper()
	e.clock.Advance(time.Millisecond)
	app, err := e.db.CreateApp(ctx, c)
	must(e.t, err)
	return app
}

// appInvite creates an app invite that must succeed, a millisecond after
// the one before.
func (e *env) appInvite(ctx context.Context, appID string, c invited.AppInviteCreate) (*invited.AppInvite, string) {
	e.t.Helper()
	e.clock.Advance(time.Millisecond)
	ai, code, err := e.db.CreateAppInvite(ctx, appID, c)
	must(e.t, err)
	return ai, code
}

// sealedSecret is an app's client_secret_sealed as stored, "" for NULL.
func (e *env) sealedSecret(appID string) string {
	e.t.Helper()
	var sealed string
	if err := e.db.read.QueryRow(e.db.dialect.rebind(`SELECT client_secret_sealed FROM apps WHERE id = ?`), appID).Scan(textCol{&sealed}); err != nil {
		e.t.Fatal(err)
	}
	return sealed
}

// announced claims the due messages and lists the webhook deliveries among
// them as "event id status", sorted.
func (e *env) announced() []string {
	e.t.Helper()
	var out []string
	for _, m := range e.claim() {
		if m.Channel != invited.ChannelWebhook {
			continue
		}
		var body webhookBody
		must(e.t, json.Unmarshal(m.Payload, &body))
		var data struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		}
		must(e.t, json.Unmarshal(body.Data, &data))
		out = append(out, body.Type+" "+data.ID+" "+data.Status)
	}
	slices.Sort(out)
	return out
}

// appIDs lists the ids of apps.
func appIDs(apps []*invited.App) []string {
	out := []string{}
	for _, app := range apps {
		out = append(out, app.ID)
	}
	return out
}

func testAppCreate(t *testing.T, e *env) {
	acme, owner := e.orgWithOwner(nil)
	globex := e.org(nil)

	// A system-wide app is an admin's. Its client secret is stored sealed
	// for it alone, and never returned.
	sys := e.app(e.admin, crmApp(""))
	if sys.OrgID != "" || !sys.ClientSecretSet || sys.OAuth.ClientSecret != "" || !invited.ValidID(sys.ID, invited.PrefixApp) {
		t.Fatalf("created %+v", sys)
	}
	got, err := e.db.FindAppByID(e.admin, sys.ID)
	must(t, err)
	if !reflect.DeepEqual(got, sys) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, sys)
	}
	sealed := e.sealedSecret(sys.ID)
	if sealed == "" || strings.Contains(sealed, crmSecret) {
		t.Fatalf("stored secret %q", sealed)
	}
	if n := e.count(`SELECT COUNT(*) FROM apps WHERE oauth LIKE ?`, "%"+crmSecret+"%"); n != 0 {
		t.Fatal("the oauth column holds the client secret")
	}
	if plain, err := e.keys.Open(sealed, "app:"+sys.ID+":client_secret"); err != nil || string(plain) != crmSecret {
		t.Fatalf("open the stored secret: %q, %v", plain, err)
	}

	// An organization's app needs apps:manage there; a public client has
	// no secret to store.
	own := e.app(owner, crmApp(acme.ID))
	public := crmApp(acme.ID)
	public.OAuth.ClientSecret = ""
	pub := e.app(owner, public)
	if own.OrgID != acme.ID || !own.ClientSecretSet || pub.ClientSecretSet || e.sealedSecret(pub.ID) != "" {
		t.Fatalf("created %+v and %+v", own, pub)
	}

	insecure := crmApp(acme.ID)
	insecure.OAuth.TokenURL = "http://crm.example.com/oauth/token"
	refusals := []struct {
		name  string
		ctx   context.Context
		c     invited.AppCreate
		code  string
		field string
	}{
		{"system-wide by an organization's owner", owner, crmApp(""), invited.EFORBIDDEN, ""},
		{"without apps:manage", e.keyWith(acme.ID, invited.PermConnectionsManage), crmApp(acme.ID), invited.EFORBIDDEN, ""},
		{"for another tenant", e.keyWith(globex.ID, invited.PermAppsManage), crmApp(acme.ID), invited.ENOTFOUND, ""},
		{"for an unknown organization", e.admin, crmApp(invited.NewID(invited.PrefixOrganization, e.clock.Now())), invited.ENOTFOUND, ""},
		{"invalid", owner, insecure, invited.EINVALID, "oauth.token_url"},
	}
	for _, r := range refusals {
		_, err := e.db.CreateApp(r.ctx, r.c)
		if ee := wantCode(t, err, r.code); r.field != "" && ee.Fields[r.field] == "" {
			t.Fatalf("%s: fields %v, want %s", r.name, ee.Fields, r.field)
		}
	}

	// Without encryption keys (Options.Secrets unset) a client secret
	// cannot be stored, and the operator is told what to set; a public
	// client can still be registered.
	e.db.secrets = &secretbox.Keyring{}
	_, err = e.db.CreateApp(e.admin, crmApp(""))
	if ee := wantCode(t, err, invited.EINVALID); !strings.Contains(ee.Fields["oauth.client_secret"], "INVITED_ENCRYPTION_KEYS") {
		t.Fatalf("fields %v", ee.Fields)
	}
	last := e.app(e.admin, public)

	want := []string{"app.created " + sys.ID, "app.created " + own.ID, "app.created " + pub.ID, "app.created " + last.ID}
	events := e.events(e.admin, invited.AuditFilter{Resource: invited.ResourceApp})
	if got := actions(events); !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) {
		t.Fatalf("audit %v, want %v", got, want)
	}
	for _, ev := range events {
		if ev.ResourceID == own.ID && (ev.OrgID != acme.ID || ev.ActorUserID == "") {
			t.Fatalf("event %+v", ev)
		}
	}
}

func testAppVisibility(t *testing.T, e *env) {
	acme, globex := e.org(nil), e.org(nil)
	sys := e.app(e.admin, crmApp(""))
	acmeApp := e.app(e.admin, crmApp(acme.ID))
	globexApp := e.app(e.admin, crmApp(globex.ID))
	connections := e.keyWith(acme.ID, invited.PermConnectionsManage)
	managers := e.keyWith(acme.ID, invited.PermAppsManage)
	members := e.keyWith(acme.ID, invited.PermMembersRead)
	unknown := invited.NewID(invited.PrefixOrganization, e.clock.Now())

	lists := []struct {
		name string
		ctx  context.Context
		f    invited.AppFilter
		want []string // newest first
		code string
	}{
		{"admin", e.admin, invited.AppFilter{}, []string{globexApp.ID, acmeApp.ID, sys.ID}, ""},
		{"admin naming an organization", e.admin, invited.AppFilter{OrgID: acme.ID}, []string{acmeApp.ID, sys.ID}, ""},
		{"connections:manage", connections, invited.AppFilter{}, []string{acmeApp.ID, sys.ID}, ""},
		{"apps:manage", managers, invited.AppFilter{}, []string{acmeApp.ID, sys.ID}, ""},
		{"naming its organization", connections, invited.AppFilter{OrgID: acme.ID}, []string{acmeApp.ID, sys.ID}, ""},
		{"without either", members, invited.AppFilter{}, []string{}, ""},
		{"naming its organization without either", members, invited.AppFilter{OrgID: acme.ID}, nil, invited.EFORBIDDEN},
		{"naming another tenant", connections, invited.AppFilter{OrgID: globex.ID}, nil, invited.ENOTFOUND},
		{"naming an unknown organization", e.admin, invited.AppFilter{OrgID: unknown}, nil, invited.ENOTFOUND},
		{"bad page token", e.admin, invited.AppFilter{Page: invited.Page{PageToken: "nope"}}, nil, invited.EINVALID},
	}
	for _, l := range lists {
		apps, _, err := e.db.FindApps(l.ctx, l.f)
		if l.code != "" {
			wantCode(t, err, l.code)
			continue
		}
		must(t, err)
		if got := appIDs(apps); !slices.Equal(got, l.want) {
			t.Fatalf("%s: %v, want %v", l.name, got, l.want)
		}
	}

	// One by one: another tenant's app does not exist for the actor, nor
	// do the system-wide ones for an actor who could not use them.
	reads := []struct {
		ctx   context.Context
		app   *invited.App
		found bool
	}{
		{connections, sys, true},
		{connections, acmeApp, true},
		{connections, globexApp, false},
		{members, sys, false},
		{members, acmeApp, false},
		{e.admin, globexApp, true},
	}
	for _, r := range reads {
		_, err := e.db.FindAppByID(r.ctx, r.app.ID)
		if found := err == nil; found != r.found {
			t.Fatalf("%s of %q: %v", r.app.ID, r.app.OrgID, err)
		}
		if !r.found {
			wantCode(t, err, invited.ENOTFOUND)
		}
	}

	// Pages.
	var pages [][]string
	f := invited.AppFilter{Page: invited.Page{PageSize: 2}}
	for {
		apps, next, err := e.db.FindApps(e.admin, f)
		must(t, err)
		pages = append(pages, appIDs(apps))
		if next == "" {
			break
		}
		f.PageToken = next
	}
	if want := [][]string{{globexApp.ID, acmeApp.ID}, {sys.ID}}; !reflect.DeepEqual(pages, want) {
		t.Fatalf("pages %v, want %v", pages, want)
	}
}

func testAppInviteCreate(t *testing.T, e *env) {
	acme := e.org(&invited.OrgSettingsPatch{InvitationTTL: ptr(invited.Duration(48 * time.Hour))})
	globex := e.org(nil)
	_, err := e.db.CreateWebhook(e.admin, invited.WebhookCreate{OrgID: acme.ID, URL: "https://hooks.acme.test/all"})
	must(t, err)
	sys := e.app(e.admin, crmApp(""))
	globexApp := e.app(e.admin, crmApp(globex.ID))
	conn := e.keyWith(acme.ID, invited.PermConnectionsManage)

	ai, code := e.appInvite(conn, sys.ID, invited.AppInviteCreate{OrgID: acme.ID, Email: "Partner@Example.com", Note: "for the sync"})
	now := e.clock.Now()
	want := &invited.AppInvite{ID: ai.ID, AppID: sys.ID, OrgID: acme.ID, Status: invited.AppInvitePending,
		Email: "partner@example.com", Note: "for the sync", Inviter: invited.Inviter{APIKeyID: invited.ActorFromContext(conn).APIKeyID},
		CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(48 * time.Hour)} // the organization's TTL
	if !reflect.DeepEqual(ai, want) || !invited.ValidID(ai.ID, invited.PrefixAppInvite) || !invited.ValidSecretShape(code, "") {
		t.Fatalf("created %q\n%+v\nwant %+v", code, ai, want)
	}
	got, err := e.db.FindAppInviteByID(conn, ai.ID)
	must(t, err)
	if !reflect.DeepEqual(got, ai) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, ai)
	}
	// The code is shown once: only its hash is kept, and the webhooks
	// hear of the invite without it.
	if n := e.count(`SELECT COUNT(*) FROM app_invites WHERE code_hash = ?`, invited.HashSecret(code)); n != 1 {
		t.Fatalf("%d invites with the code's hash", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM messages WHERE payload LIKE ?`, "%"+code+"%"); n != 0 {
		t.Fatal("a message holds the code")
	}
	if got, want := e.announced(), []string{"app_invite.created " + ai.ID + " pending"}; !slices.Equal(got, want) {
		t.Fatalf("announced %v, want %v", got, want)
	}

	short, code2 := e.appInvite(conn, sys.ID, invited.AppInviteCreate{OrgID: acme.ID, ExpiresIn: dur(2 * time.Hour)})
	if code2 == code || !short.ExpiresAt.Equal(e.clock.Now().Add(2*time.Hour)) {
		t.Fatalf("second invite %q %+v", code2, short)
	}

	refusals := []struct {
		name  string
		ctx   context.Context
		appID string
		c     invited.AppInviteCreate
		code  string
		field string
	}{
		{"no organization", conn, sys.ID, invited.AppInviteCreate{}, invited.EINVALID, "org_id"},
		{"another tenant's app", conn, globexApp.ID, invited.AppInviteCreate{OrgID: acme.ID}, invited.ENOTFOUND, ""},
		{"another organization's app, by an admin", e.admin, globexApp.ID, invited.AppInviteCreate{OrgID: acme.ID}, invited.EINVALID, "org_id"},
		{"unknown app", conn, invited.NewID(invited.PrefixApp, e.clock.Now()), invited.AppInviteCreate{OrgID: acme.ID}, invited.ENOTFOUND, ""},
		{"without connections:manage", e.keyWith(acme.ID, invited.PermAppsManage), sys.ID, invited.AppInviteCreate{OrgID: acme.ID}, invited.EFORBIDDEN, ""},
		{"for another tenant", e.keyWith(globex.ID, invited.PermConnectionsManage), sys.ID, invited.AppInviteCreate{OrgID: acme.ID}, invited.ENOTFOUND, ""},
		{"too short", conn, sys.ID, invited.AppInviteCreate{OrgID: acme.ID, ExpiresIn: dur(30 * time.Second)}, invited.EINVALID, "expires_in"},
		{"too long", conn, sys.ID, invited.AppInviteCreate{OrgID: acme.ID, ExpiresIn: dur(91 * 24 * time.Hour)}, invited.EINVALID, "expires_in"},
		{"bad email", conn, sys.ID, invited.AppInviteCreate{OrgID: acme.ID, Email: "not an address"}, invited.EINVALID, "email"},
	}
	for _, r := range refusals {
		_, code, err := e.db.CreateAppInvite(r.ctx, r.appID, r.c)
		if ee := wantCode(t, err, r.code); code != "" || (r.field != "" && ee.Fields[r.field] == "") {
			t.Fatalf("%s: %q, fields %v, want %s", r.name, code, ee.Fields, r.field)
		}
	}
	if n := e.count(`SELECT COUNT(*) FROM app_invites`); n != 2 {
		t.Fatalf("%d invites stored, want 2", n)
	}
}

func testAppInvitePreview(t *testing.T, e *env) {
	acme := e.org(&invited.OrgSettingsPatch{DisplayName: ptr("Acme Inc.")})
	_, token := e.invite(e.admin, acme.ID, invited.InvitationCreate{Email: "ann@acme.test", Roles: []string{invited.RoleAdmin}})
	acc, err := e.db.AcceptInvitation(e.admin, token, invited.Acceptor{ExternalID: "ann", Email: "ann@acme.test", Name: "Ann Inviter"})
	must(t, err)
	ann := e.userContext(acc.User)
	sys := e.app(e.admin, crmApp(""))

	ai, code := e.appInvite(ann, sys.ID, invited.AppInviteCreate{OrgID: acme.ID, Email: "partner@example.com",
		Note: "internal note", ExpiresIn: dur(time.Hour)})
	if ai.Inviter.UserID != acc.User.ID || ai.Inviter.Name != "Ann Inviter" {
		t.Fatalf("inviter %+v", ai.Inviter)
	}
	want := &invited.AppInvitePreview{Status: invited.AppInvitePending, ExpiresAt: ai.ExpiresAt}
	want.App.Name, want.App.Description = sys.Name, sys.Description
	want.Organization.ID, want.Organization.Name = acme.ID, "Acme Inc."
	want.Inviter.Name = "Ann Inviter"
	p, err := e.db.PreviewAppInvite(visitor(), code)
	must(t, err)
	if !reflect.DeepEqual(p, want) {
		t.Fatalf("preview\n got %+v\nwant %+v", p, want)
	}
	for _, code := range []string{newToken(), "garbage", ""} {
		_, err := e.db.PreviewAppInvite(visitor(), code)
		wantCode(t, err, invited.ENOTFOUND)
	}

	// A revoked invite says so.
	revoked, revokedCode := e.appInvite(ann, sys.ID, invited.AppInviteCreate{OrgID: acme.ID})
	_, err = e.db.RevokeAppInvite(ann, revoked.ID)
	must(t, err)
	if p, err := e.db.PreviewAppInvite(visitor(), revokedCode); err != nil || p.Status != invited.AppInviteRevoked {
		t.Fatalf("revoked: %+v, %v", p, err)
	}

	// An overdue invite reads as expired at once, before the sweeper
	// writes it down.
	e.clock.Advance(time.Hour)
	if p, err := e.db.PreviewAppInvite(visitor(), code); err != nil || p.Status != invited.AppInviteExpired {
		t.Fatalf("overdue preview: %+v, %v", p, err)
	}
	if got, err := e.db.FindAppInviteByID(ann, ai.ID); err != nil || got.Status != invited.AppInviteExpired {
		t.Fatalf("overdue read: %+v, %v", got, err)
	}
	if n := e.count(`SELECT COUNT(*) FROM app_invites WHERE id = ? AND status = 'pending'`, ai.ID); n != 1 {
		t.Fatal("the read changed the stored status")
	}
}

func testAppInviteLifecycle(t *testing.T, e *env) {
	acme, globex := e.org(nil), e.org(nil)
	_, err := e.db.CreateWebhook(e.admin, invited.WebhookCreate{OrgID: acme.ID, URL: "https://hooks.acme.test/all"})
	must(t, err)
	sys := e.app(e.admin, crmApp(""))
	conn := e.keyWith(acme.ID, invited.PermConnectionsManage)
	a, _ := e.appInvite(conn, sys.ID, invited.AppInviteCreate{OrgID: acme.ID, ExpiresIn: dur(time.Hour)})
	b, _ := e.appInvite(conn, sys.ID, invited.AppInviteCreate{OrgID: acme.ID, ExpiresIn: dur(time.Hour)})

	revoke, archive := e.db.RevokeAppInvite, e.db.ArchiveAppInvite
	steps := []struct {
		name    string
		advance time.Duration // the clock moves on before the step
		ctx     context.Context
		move    func(context.Context, string) (*invited.AppInvite, error)
		id      string
		code    string                  // "" when the move succeeds
		want    invited.AppInviteStatus // when it succeeds
	}{
		{"archive pending", 0, conn, archive, a.ID, invited.EINVALIDSTATE, ""},
		{"revoke without connections:manage", 0, e.keyWith(acme.ID, invited.PermAppsManage), revoke, a.ID, invited.EFORBIDDEN, ""},
		{"revoke as another tenant", 0, e.keyWith(globex.ID, invited.PermConnectionsManage), revoke, a.ID, invited.ENOTFOUND, ""},
		{"revoke unknown", 0, conn, revoke, invited.NewID(invited.PrefixAppInvite, e.clock.Now()), invited.ENOTFOUND, ""},
		{"revoke", 0, conn, revoke, a.ID, "", invited.AppInviteRevoked},
		{"revoke again", 0, conn, revoke, a.ID, invited.EINVALIDSTATE, ""},
		{"archive revoked", 0, conn, archive, a.ID, "", invited.AppInviteArchived},
		{"archive again", 0, conn, archive, a.ID, invited.EINVALIDSTATE, ""},
		{"revoke archived", 0, conn, revoke, a.ID, invited.EINVALIDSTATE, ""},
		{"revoke overdue", time.Hour, conn, revoke, b.ID, invited.EINVALIDSTATE, ""},
		{"archive overdue", 0, conn, archive, b.ID, "", invited.AppInviteArchived},
	}
	for _, s := range steps {
		e.clock.Advance(s.advance)
		ai, err := s.move(s.ctx, s.id)
		if s.code != "" {
			wantCode(t, err, s.code)
			continue
		}
		must(t, err)
		stamp := ai.RevokedAt
		if s.want == invited.AppInviteArchived {
			stamp = ai.ArchivedAt
		}
		if ai.Status != s.want || stamp == nil || !stamp.Equal(e.clock.Now()) || !ai.UpdatedAt.Equal(e.clock.Now()) {
			t.Fatalf("%s: %+v", s.name, ai)
		}
		if got, err := e.db.FindAppInviteByID(conn, ai.ID); err != nil || !reflect.DeepEqual(got, ai) {
			t.Fatalf("%s: stored %+v, %v\nreturned %+v", s.name, got, err, ai)
		}
	}

	// Each change is in the audit log, by its actor, and told to the
	// organization's webhooks.
	wantEvents := []string{"app_invite.archived " + a.ID, "app_invite.archived " + b.ID, "app_invite.created " + a.ID,
		"app_invite.created " + b.ID, "app_invite.revoked " + a.ID}
	events := e.events(e.admin, invited.AuditFilter{Resource: invited.ResourceAppInvite})
	if got := actions(events); !slices.Equal(slices.Sorted(slices.Values(got)), wantEvents) {
		t.Fatalf("audit %v, want %v", got, wantEvents)
	}
	for _, ev := range events {
		if ev.OrgID != acme.ID || ev.ActorAPIKeyID != invited.ActorFromContext(conn).APIKeyID {
			t.Fatalf("event %+v", ev)
		}
	}
	wantAnnounced := []string{"app_invite.archived " + a.ID + " archived", "app_invite.archived " + b.ID + " archived",
		"app_invite.created " + a.ID + " pending", "app_invite.created " + b.ID + " pending", "app_invite.revoked " + a.ID + " revoked"}
	if got := e.announced(); !slices.Equal(got, wantAnnounced) {
		t.Fatalf("announced %v, want %v", got, wantAnnounced)
	}

	// Of concurrent revokes exactly one succeeds; the others find the
	// invite revoked.
	c, _ := e.appInvite(conn, sys.ID, invited.AppInviteCreate{OrgID: acme.ID})
	errs := race(8, func(int) error {
		_, err := e.db.RevokeAppInvite(conn, c.ID)
		return err
	})
	if n := winners(t, errs, invited.EINVALIDSTATE); n != 1 {
		t.Fatalf("%d revokes succeeded", n)
	}
}

func testAppInviteListing(t *testing.T, e *env) {
	acme, globex := e.org(nil), e.org(nil)
	sys := e.app(e.admin, crmApp(""))
	acmeApp := e.app(e.admin, crmApp(acme.ID))
	conn := e.keyWith(acme.ID, invited.PermConnectionsManage)
	managers := e.keyWith(acme.ID, invited.PermAppsManage)

	// Acme's invites, newest first: two through its own app, three through
	// the system-wide one, of which the oldest two expire and one is
	// revoked.
	var acmes []*invited.AppInvite
	for i := range 5 {
		appID, ttl := sys.ID, 48*time.Hour
		if i < 2 {
			ttl = time.Hour
		}
		if i >= 3 {
			appID = acmeApp.ID
		}
		ai, _ := e.appInvite(conn, appID, invited.AppInviteCreate{OrgID: acme.ID, ExpiresIn: dur(ttl)})
		acmes = slices.Insert(acmes, 0, ai)
	}
	_, err := e.db.RevokeAppInvite(conn, acmes[2].ID)
	must(t, err)
	other, _ := e.appInvite(e.admin, sys.ID, invited.AppInviteCreate{OrgID: globex.ID})
	e.clock.Advance(2 * time.Hour)
	ids := func(is ...int) []string {
		out := []string{}
		for _, i := range is {
			out = append(out, acmes[i].ID)
		}
		return out
	}

	lists := []listCase[invited.AppInviteFilter]{
		{"admin", e.admin, invited.AppInviteFilter{}, append([]string{other.ID}, ids(0, 1, 2, 3, 4)...), ""},
		{"connections:manage", conn, invited.AppInviteFilter{}, ids(0, 1, 2, 3, 4), ""},
		{"naming its organization", conn, invited.AppInviteFilter{OrgID: acme.ID}, ids(0, 1, 2, 3, 4), ""},
		{"by app", conn, invited.AppInviteFilter{AppID: acmeApp.ID}, ids(0, 1), ""},
		{"pending", conn, invited.AppInviteFilter{Status: invited.AppInvitePending}, ids(0, 1), ""},
		{"expired as read", conn, invited.AppInviteFilter{Status: invited.AppInviteExpired}, ids(3, 4), ""},
		{"revoked", conn, invited.AppInviteFilter{Status: invited.AppInviteRevoked}, ids(2), ""},
		{"admin naming another organization", e.admin, invited.AppInviteFilter{OrgID: globex.ID}, []string{other.ID}, ""},
		{"without connections:manage", managers, invited.AppInviteFilter{}, []string{}, ""},
		{"naming its organization without connections:manage", managers, invited.AppInviteFilter{OrgID: acme.ID}, nil, invited.EFORBIDDEN},
		{"naming another tenant", conn, invited.AppInviteFilter{OrgID: globex.ID}, nil, invited.ENOTFOUND},
		{"not a status", conn, invited.AppInviteFilter{Status: "open"}, nil, invited.EINVALID},
		{"bad page token", conn, invited.AppInviteFilter{Page: invited.Page{PageToken: "nope"}}, nil, invited.EINVALID},
	}
	checkLists(t, lists, func(f *invited.AppInviteFilter) *invited.Page { return &f.Page }, e.db.FindAppInvites,
		func(x *invited.AppInvite) string { return x.ID })

	// The list reads expiry as the preview does.
	page, _, err := e.db.FindAppInvites(conn, invited.AppInviteFilter{})
	must(t, err)
	if page[4].Status != invited.AppInviteExpired || page[0].Status != invited.AppInvitePending {
		t.Fatalf("statuses %s, %s", page[4].Status, page[0].Status)
	}

	// One by one: another tenant's invite, or any invite to someone
	// without connections:manage, does not exist.
	for _, r := range []struct {
		ctx context.Context
		id  string
	}{{conn, other.ID}, {managers, acmes[0].ID}} {
		_, err := e.db.FindAppInviteByID(r.ctx, r.id)
		wantCode(t, err, invited.ENOTFOUND)
	}
}

func testAppInviteSweep(t *testing.T, e *env) {
	acme := e.org(nil)
	_, err := e.db.CreateWebhook(e.admin, invited.WebhookCreate{OrgID: acme.ID, URL: "https://hooks.acme.test/expired",
		Events: []string{invited.EventAppInviteExpired}})
	must(t, err)
	sys := e.app(e.admin, crmApp(""))
	// Each invite has a started authorization, which can no longer
	// finish once the invite expired.
	startAuthorization := func(code string) {
		t.Helper()
		must(t, e.db.StartAuthorization(context.Background(), code, invited.NewSecret(""), invited.NewSecret(""),
			e.clock.Now().Add(invited.AuthorizationTTL)))
	}
	var due []string
	for range 3 {
		ai, code := e.appInvite(e.admin, sys.ID, invited.AppInviteCreate{OrgID: acme.ID, ExpiresIn: dur(time.Hour)})
		startAuthorization(code)
		due = append(due, ai.ID)
	}
	later, laterCode := e.appInvite(e.admin, sys.ID, invited.AppInviteCreate{OrgID: acme.ID, ExpiresIn: dur(48 * time.Hour)})
	startAuthorization(laterCode)
	// An invitation due at the same time is the other sweep's.
	inv, _ := e.invite(e.admin, acme.ID, invited.InvitationCreate{Email: "ann@example.com", Roles: []string{"member"}, ExpiresIn: dur(time.Hour)})

	sweep := func(limit int) int {
		t.Helper()
		n, err := e.db.ExpireAppInvites(context.Background(), limit)
		must(t, err)
		return n
	}
	if n := sweep(10); n != 0 {
		t.Fatalf("expired %d before anything was due", n)
	}
	e.clock.Advance(2 * time.Hour)
	if got := []int{sweep(2), sweep(2), sweep(2)}; !slices.Equal(got, []int{2, 1, 0}) {
		t.Fatalf("batches %v", got)
	}
	if n := e.count(`SELECT COUNT(*) FROM app_invites WHERE status = 'expired' AND updated_at = ?`, ms(e.clock.Now())); n != len(due) {
		t.Fatalf("%d stored expired, want %d", n, len(due))
	}
	if n := e.count(`SELECT COUNT(*) FROM app_invites WHERE id = ? AND status = 'pending'`, later.ID); n != 1 {
		t.Fatal("the later invite was expired")
	}
	if n := e.count(`SELECT COUNT(*) FROM oauth_states WHERE app_invite_id <> ?`, later.ID); n != 0 {
		t.Fatalf("%d authorizations of expired invites left", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM oauth_states WHERE app_invite_id = ?`, later.ID); n != 1 {
		t.Fatal("the later invite's authorization was deleted")
	}
	if s := e.rawStatus(inv.ID); s != invited.StatusPending {
		t.Fatalf("the invitation was swept along: %s", s)
	}

	// Each expiry is recorded without an actor, and told to the webhooks
	// that listen.
	var wantEvents, wantAnnounced []string
	for _, id := range due {
		wantEvents = append(wantEvents, "app_invite.expired "+id)
		wantAnnounced = append(wantAnnounced, "app_invite.expired "+id+" expired")
	}
	slices.Sort(wantEvents)
	slices.Sort(wantAnnounced)
	var got []string
	for _, ev := range e.events(e.admin, invited.AuditFilter{Resource: invited.ResourceAppInvite}) {
		if ev.Action == invited.EventAppInviteExpired {
			if ev.ActorAPIKeyID != "" || ev.ActorUserID != "" || ev.OrgID != acme.ID {
				t.Fatalf("event %+v", ev)
			}
			got = append(got, ev.Action+" "+ev.ResourceID)
		}
	}
	if slices.Sort(got); !slices.Equal(got, wantEvents) {
		t.Fatalf("audit %v, want %v", got, wantEvents)
	}
	if got := e.announced(); !slices.Equal(got, wantAnnounced) {
		t.Fatalf("announced %v, want %v", got, wantAnnounced)
	}

	if _, err := e.db.ExpireAppInvites(context.Background(), 0); err == nil {
		t.Fatal("limit 0 accepted")
	}
}
