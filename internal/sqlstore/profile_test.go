package sqlstore

import (
	"cmp"
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/invitedhq/invited"
)

// The connection cases of the contract suite (contract_test.go): the
// partner's authorization through an app invite link, the profiles it
// creates, and their tokens.

// platformToken is the n-th token a platform gives: every string in it is
// plaintext that must never be stored as it is.
func platformToken(n int) invited.OAuthToken {
	return invited.OAuthToken{
		AccessToken:  fmt.Sprintf("plain-access-token-%d", n),
		RefreshToken: fmt.Sprintf("plain-refresh-token-%d", n),
		TokenType:    "Bearer",
		// Finer than the stored milliseconds.
		Expiry: time.Date(2030, 6, 1, 12, 0, 0, 123456789, time.UTC).Add(time.Duration(n) * time.Hour),
	}
}

// start starts an authorization of the invite code opens, in browser,
// that must succeed; it returns the state.
func (e *env) start(code, browser string) string {
	e.t.Helper()
	state := newToken()
	must(e.t, e.db.StartAuthorization(visitor(), code, state, browser, e.clock.Now().Add(invited.AuthorizationTTL)))
	return state
}

// connect takes a new app invite of orgID through appID, by ctx, through
// the whole flow with tok, and returns the profile and the invite's code.
func (e *env) connect(ctx context.Context, appID, orgID string, tok invited.OAuthToken) (*invited.Profile, string) {
	e.t.Helper()
	ai, code := e.appInvite(ctx, appID, invited.AppInviteCreate{OrgID: orgID})
	browser := newToken()
	au, err := e.db.TakeAuthorization(visitor(), e.start(code, browser), browser)
	must(e.t, err)
	p, err := e.db.ActivateAppInvite(visitor(), au.Invite.ID, invited.ProfileCreate{ExternalAccountID: "acct-" + ai.ID, Token: tok})
	must(e.t, err)
	return p, code
}

// storedTokens is a profile's token columns as stored, "" for NULL.
type storedTokens struct{ tokenType, access, refresh string }

func (e *env) storedTokens(id string) storedTokens {
	e.t.Helper()
	var s storedTokens
	err := e.db.read.QueryRow(e.db.dialect.rebind(`SELECT token_type, access_token_sealed, refresh_token_sealed
FROM profiles WHERE id = ?`), id).Scan(&s.tokenType, textCol{&s.access}, textCol{&s.refresh})
	must(e.t, err)
	return s
}

// plaintextRows counts the profiles and the messages that hold s.
func (e *env) plaintextRows(s string) int {
	e.t.Helper()
	like := "%" + s + "%"
	return e.count(`SELECT COUNT(*) FROM profiles WHERE scopes LIKE ? OR token_type LIKE ? OR access_token_sealed LIKE ?
	OR refresh_token_sealed LIKE ? OR external_account_id LIKE ?`, like, like, like, like, like) +
		e.count(`SELECT COUNT(*) FROM messages WHERE payload LIKE ?`, like)
}

func testConnectionFlow(t *testing.T, e *env) {
	acme := e.org(&invited.OrgSettingsPatch{DisplayName: ptr("Acme Inc.")})
	_, err := e.db.CreateWebhook(e.admin, invited.WebhookCreate{OrgID: acme.ID, URL: "https://hooks.acme.test/all"})
	must(t, err)
	app := e.app(e.admin, crmApp(""))
	conn := e.keyWith(acme.ID, invited.PermConnectionsManage)
	ai, code := e.appInvite(conn, app.ID, invited.AppInviteCreate{OrgID: acme.ID})

	// The link opens the invite with its app, without the client secret,
	// and its organization.
	opened, err := e.db.OpenAppInviteLink(visitor(), code)
	must(t, err)
	if !reflect.DeepEqual(opened.Invite, ai) || !reflect.DeepEqual(opened.App, app) || opened.Org.ID != acme.ID ||
		opened.Org.DisplayName() != "Acme Inc." {
		t.Fatalf("opened %+v, %+v, %+v", opened.Invite, opened.App, opened.Org)
	}
	for _, code := range []string{newToken(), "garbage", ""} {
		_, err := e.db.OpenAppInviteLink(visitor(), code)
		wantCode(t, err, invited.ENOTFOUND)
	}

	// Started, taken back in the same browser: the authorization carries
	// the app with its client secret, for the token exchange.
	browser := newToken()
	state := e.start(code, browser)
	if n := e.count(`SELECT COUNT(*) FROM oauth_states WHERE state_hash = ? AND browser_hash = ?`,
		invited.HashSecret(state), invited.HashSecret(browser)); n != 1 {
		t.Fatalf("%d states stored by their hashes", n)
	}
	au, err := e.db.TakeAuthorization(visitor(), state, browser)
	must(t, err)
	withSecret := *app
	withSecret.OAuth.ClientSecret = crmSecret
	if !reflect.DeepEqual(au.Invite, ai) || !reflect.DeepEqual(au.App, &withSecret) || au.Org.ID != acme.ID {
		t.Fatalf("taken %+v, %+v, %+v", au.Invite, au.App, au.Org)
	}
	_, err = e.db.TakeAuthorization(visitor(), state, browser)
	wantCode(t, err, invited.ENOTFOUND) // used up

	// Activated by the flow: no scopes in the token answer are the scopes
	// asked for. Whatever the context carries, the state was the
	// credential, and the log names no actor.
	e.clock.Advance(time.Second)
	tok := platformToken(1)
	p, err := e.db.ActivateAppInvite(from(conn, visitorAddr), ai.ID, invited.ProfileCreate{ExternalAccountID: "acct-42", Token: tok})
	must(t, err)
	now := e.clock.Now()
	expiry := tok.Expiry.Truncate(time.Millisecond)
	want := &invited.Profile{ID: p.ID, OrgID: acme.ID, AppID: app.ID, AppInviteID: ai.ID, Status: invited.ProfileActive,
		ExternalAccountID: "acct-42", Scopes: []string{"contacts.read"}, TokenExpiresAt: &expiry, Refreshable: true,
		CreatedAt: now, UpdatedAt: now}
	if !reflect.DeepEqual(p, want) || !invited.ValidID(p.ID, invited.PrefixProfile) {
		t.Fatalf("profile\n got %+v\nwant %+v", p, want)
	}
	if got, err := e.db.FindProfileByID(conn, p.ID); err != nil || !reflect.DeepEqual(got, p) {
		t.Fatalf("round trip %+v, %v", got, err)
	}
	active, err := e.db.FindAppInviteByID(conn, ai.ID)
	must(t, err)
	if active.Status != invited.AppInviteActive || active.ActivatedAt == nil || !active.ActivatedAt.Equal(now) {
		t.Fatalf("invite %+v", active)
	}
	_, err = e.db.ActivateAppInvite(visitor(), ai.ID, invited.ProfileCreate{Token: tok})
	if ee := wantCode(t, err, invited.EINVALIDSTATE); !strings.Contains(ee.Message, "active") {
		t.Fatalf("activate again: %v", err)
	}

	// The tokens are stored sealed, each for its own profile and column.
	stored := e.storedTokens(p.ID)
	if stored.tokenType != "Bearer" || stored.access == "" || stored.refresh == "" {
		t.Fatalf("stored %+v", stored)
	}
	for _, plain := range []string{tok.AccessToken, tok.RefreshToken} {
		if n := e.plaintextRows(plain); n != 0 {
			t.Fatalf("%d rows hold %q", n, plain)
		}
	}
	opens := []struct {
		sealed, context, want string
	}{
		{stored.access, "profile:" + p.ID + ":access_token", tok.AccessToken},
		{stored.refresh, "profile:" + p.ID + ":refresh_token", tok.RefreshToken},
		{stored.access, "profile:" + p.ID + ":refresh_token", ""},
		{stored.refresh, "profile:" + p.ID + ":access_token", ""},
		{stored.access, "profile:" + invited.NewID(invited.PrefixProfile, now) + ":access_token", ""},
	}
	for _, o := range opens {
		plain, err := e.keys.Open(o.sealed, o.context)
		if string(plain) != o.want || (err == nil) != (o.want != "") {
			t.Fatalf("open for %s: %q, %v", o.context, plain, err)
		}
	}
	if n := e.count(`SELECT COUNT(*) FROM oauth_states`); n != 0 {
		t.Fatalf("%d states left", n)
	}

	// Recorded and announced.
	var got []string
	for _, ev := range e.events(e.admin, invited.AuditFilter{OrgID: acme.ID}) {
		if ev.Action == invited.EventAppInviteActivated || ev.Action == "profile.created" {
			if ev.ActorAPIKeyID != "" || ev.ActorUserID != "" || ev.RemoteAddr != visitorAddr {
				t.Fatalf("event %+v", ev)
			}
			got = append(got, ev.Action+" "+ev.ResourceID)
		}
	}
	if want := []string{"app_invite.activated " + ai.ID, "profile.created " + p.ID}; !slices.Equal(slices.Sorted(slices.Values(got)), want) {
		t.Fatalf("audit %v, want %v", got, want)
	}
	if got, want := e.announced(), []string{"app_invite.activated " + ai.ID + " active", "app_invite.created " + ai.ID + " pending"}; !slices.Equal(got, want) {
		t.Fatalf("announced %v, want %v", got, want)
	}

	// Granted scopes are kept as the platform says; a token without a
	// refresh token or a lifetime is stored without them.
	bare := invited.OAuthToken{AccessToken: "plain-access-token-bare", Scopes: []string{}}
	p2, _ := e.connect(conn, app.ID, acme.ID, bare)
	if len(p2.Scopes) != 0 || p2.Scopes == nil || p2.Refreshable || p2.TokenExpiresAt != nil {
		t.Fatalf("bare profile %+v", p2)
	}
	if s := e.storedTokens(p2.ID); s.tokenType != "Bearer" || s.refresh != "" {
		t.Fatalf("bare stored %+v", s)
	}
}

func testAuthorizationRefusals(t *testing.T, e *env) {
	acme := e.org(nil)
	app := e.app(e.admin, crmApp(""))
	ai, code := e.appInvite(e.admin, app.ID, invited.AppInviteCreate{OrgID: acme.ID, ExpiresIn: dur(24 * time.Hour)})
	states := func() int { return e.count(`SELECT COUNT(*) FROM oauth_states WHERE app_invite_id = ?`, ai.ID) }

	// Another browser cannot finish what one started, and its attempt
	// uses the state up.
	browser := newToken()
	state := e.start(code, browser)
	_, err := e.db.TakeAuthorization(visitor(), state, newToken())
	wantCode(t, err, invited.ENOTFOUND)
	_, err = e.db.TakeAuthorization(visitor(), state, browser)
	wantCode(t, err, invited.ENOTFOUND)

	// An expired state is refused, and used up too.
	state = e.start(code, browser)
	e.clock.Advance(invited.AuthorizationTTL)
	_, err = e.db.TakeAuthorization(visitor(), state, browser)
	wantCode(t, err, invited.ENOTFOUND)
	if n := states(); n != 0 {
		t.Fatalf("%d states left", n)
	}

	for _, r := range []struct{ state, browser string }{{"", browser}, {newToken(), ""}, {strings.Repeat("s", 513), browser}} {
		_, err := e.db.TakeAuthorization(visitor(), r.state, r.browser)
		wantCode(t, err, invited.ENOTFOUND)
	}
	later := e.clock.Now().Add(invited.AuthorizationTTL)
	for _, r := range []struct {
		code, state, browser, want string
	}{
		{code, "", browser, invited.EINVALID},
		{code, newToken(), "", invited.EINVALID},
		{code, newToken(), strings.Repeat("b", 513), invited.EINVALID},
		{newToken(), newToken(), browser, invited.ENOTFOUND},
		{"garbage", newToken(), browser, invited.ENOTFOUND},
	} {
		wantCode(t, e.db.StartAuthorization(visitor(), r.code, r.state, r.browser, later), r.want)
	}

	// Anyone holding the link can start, up to the cap; then they are told
	// when the first open authorization expires.
	e.start(code, browser)
	e.clock.Advance(time.Minute)
	for range invited.MaxOpenAuthorizations - 1 {
		e.start(code, newToken())
	}
	err = e.db.StartAuthorization(visitor(), code, newToken(), browser, later)
	if ee := wantCode(t, err, invited.ERATELIMITED); ee.RetryAfterSeconds != int((invited.AuthorizationTTL - time.Minute).Seconds()) {
		t.Fatalf("retry after %d", ee.RetryAfterSeconds)
	}
	e.clock.Advance(invited.AuthorizationTTL - time.Minute)
	e.start(code, browser) // the first one expired
	if n := states(); n != invited.MaxOpenAuthorizations {
		t.Fatalf("%d states open", n)
	}

	// Once the invite leaves pending, no authorization starts, and those
	// started are dropped.
	_, err = e.db.RevokeAppInvite(e.admin, ai.ID)
	must(t, err)
	if n := states(); n != 0 {
		t.Fatalf("%d states left after the revoke", n)
	}
	_, overdueCode := e.appInvite(e.admin, app.ID, invited.AppInviteCreate{OrgID: acme.ID, ExpiresIn: dur(time.Hour)})
	_, activeCode := e.connect(e.admin, app.ID, acme.ID, platformToken(1))
	e.clock.Advance(time.Hour)
	for _, r := range []struct{ code, status string }{{code, "revoked"}, {overdueCode, "expired"}, {activeCode, "active"}} {
		err := e.db.StartAuthorization(visitor(), r.code, newToken(), browser, later)
		if ee := wantCode(t, err, invited.EINVALIDSTATE); ee.Message != "this app invite is "+r.status {
			t.Fatalf("%s: %q", r.status, ee.Message)
		}
	}
}

// testConcurrentActivation races activations of one invite, as two
// callbacks of one partner could: exactly one creates the profile, and
// the others find the invite active.
func testConcurrentActivation(t *testing.T, e *env) {
	acme := e.org(nil)
	app := e.app(e.admin, crmApp(""))
	ai, _ := e.appInvite(e.admin, app.ID, invited.AppInviteCreate{OrgID: acme.ID})
	errs := race(8, func(i int) error {
		_, err := e.db.ActivateAppInvite(visitor(), ai.ID, invited.ProfileCreate{Token: platformToken(i)})
		return err
	})
	if n := winners(t, errs, invited.EINVALIDSTATE); n != 1 {
		t.Fatalf("%d activations succeeded", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM profiles WHERE app_invite_id = ?`, ai.ID); n != 1 {
		t.Fatalf("%d profiles", n)
	}
	_, err := e.db.ActivateAppInvite(visitor(), invited.NewID(invited.PrefixAppInvite, e.clock.Now()), invited.ProfileCreate{Token: platformToken(1)})
	wantCode(t, err, invited.ENOTFOUND)
}

// testConnectionsWithoutKeys runs the store without encryption keys
// (Options.Secrets unset): nothing that would hold a token starts, and
// the operator is told what to set.
func testConnectionsWithoutKeys(t *testing.T, e *env) {
	acme := e.org(nil)
	public := crmApp("")
	public.OAuth.ClientSecret = ""
	app := e.app(e.admin, public)
	p, _ := e.connect(e.admin, app.ID, acme.ID, platformToken(1))
	ai, code := e.appInvite(e.admin, app.ID, invited.AppInviteCreate{OrgID: acme.ID})
	e.db.secrets = nil

	errs := []error{
		e.db.StartAuthorization(visitor(), code, newToken(), newToken(), e.clock.Now().Add(invited.AuthorizationTTL)),
		second(e.db.ActivateAppInvite(visitor(), ai.ID, invited.ProfileCreate{Token: platformToken(2)})),
		second(e.db.ProfileCredentials(e.admin, p.ID)),
		second(e.db.SaveRefreshedToken(e.admin, p.ID, ptr(platformToken(3)))),
	}
	for i, err := range errs {
		if ee := wantCode(t, err, invited.EUNAVAILABLE); !strings.Contains(ee.Message, "INVITED_ENCRYPTION_KEYS") {
			t.Fatalf("%d: %v", i, err)
		}
	}
	if n := e.count(`SELECT COUNT(*) FROM oauth_states`); n != 0 {
		t.Fatalf("%d states stored", n)
	}
	if got, err := e.db.FindAppInviteByID(e.admin, ai.ID); err != nil || got.Status != invited.AppInvitePending {
		t.Fatalf("invite %+v, %v", got, err)
	}
	// What holds no token works as before.
	if _, err := e.db.ArchiveProfile(e.admin, p.ID); err != nil {
		t.Fatal(err)
	}
}

// second is the error of a call that returns a value too.
func second[T any](_ T, err error) error { return err }

func testProfileArchive(t *testing.T, e *env) {
	acme := e.org(nil)
	_, err := e.db.CreateWebhook(e.admin, invited.WebhookCreate{OrgID: acme.ID, URL: "https://hooks.acme.test/all"})
	must(t, err)
	app := e.app(e.admin, crmApp(""))
	conn := e.keyWith(acme.ID, invited.PermConnectionsManage)
	p, _ := e.connect(conn, app.ID, acme.ID, platformToken(1))
	viaInvite, _ := e.connect(conn, app.ID, acme.ID, platformToken(2))
	e.announced() // the creations and activations
	e.clock.Advance(time.Second)
	now := e.clock.Now()

	// Archiving the profile deletes its tokens and archives its invite.
	got, err := e.db.ArchiveProfile(conn, p.ID)
	must(t, err)
	want := *p
	want.Status, want.ArchivedAt, want.UpdatedAt, want.TokenExpiresAt, want.Refreshable = invited.ProfileArchived, &now, now, nil, false
	if !reflect.DeepEqual(got, &want) {
		t.Fatalf("archived\n got %+v\nwant %+v", got, &want)
	}
	if stored, err := e.db.FindProfileByID(conn, p.ID); err != nil || !reflect.DeepEqual(stored, got) {
		t.Fatalf("stored %+v, %v", stored, err)
	}
	// Archiving the active invite archives its profile the same way.
	ai, err := e.db.ArchiveAppInvite(conn, viaInvite.AppInviteID)
	must(t, err)
	if ai.Status != invited.AppInviteArchived {
		t.Fatalf("invite %+v", ai)
	}
	archived, err := e.db.FindProfileByID(conn, viaInvite.ID)
	must(t, err)
	if archived.Status != invited.ProfileArchived || archived.ArchivedAt == nil || archived.Refreshable || archived.TokenExpiresAt != nil {
		t.Fatalf("profile of the archived invite %+v", archived)
	}

	for _, prof := range []*invited.Profile{p, viaInvite} {
		if s := e.storedTokens(prof.ID); s != (storedTokens{}) {
			t.Fatalf("tokens left: %+v", s)
		}
		if n := e.count(`SELECT COUNT(*) FROM profiles WHERE id = ? AND token_expires_at IS NULL AND refresh_lease_until IS NULL`, prof.ID); n != 1 {
			t.Fatal("the token's expiry or lease is left")
		}
		ai, err := e.db.FindAppInviteByID(conn, prof.AppInviteID)
		if err != nil || ai.Status != invited.AppInviteArchived || !ai.ArchivedAt.Equal(now) {
			t.Fatalf("invite %+v, %v", ai, err)
		}
	}
	wantEvents := []string{"app_invite.archived " + p.AppInviteID, "app_invite.archived " + viaInvite.AppInviteID,
		"profile.archived " + p.ID, "profile.archived " + viaInvite.ID}
	var events []string
	for _, ev := range e.events(e.admin, invited.AuditFilter{OrgID: acme.ID}) {
		if strings.HasSuffix(ev.Action, ".archived") {
			if ev.ActorAPIKeyID != invited.ActorFromContext(conn).APIKeyID {
				t.Fatalf("event %+v", ev)
			}
			events = append(events, ev.Action+" "+ev.ResourceID)
		}
	}
	if slices.Sort(events); !slices.Equal(events, slices.Sorted(slices.Values(wantEvents))) {
		t.Fatalf("audit %v, want %v", events, wantEvents)
	}
	wantAnnounced := []string{"app_invite.archived " + p.AppInviteID + " archived", "app_invite.archived " + viaInvite.AppInviteID + " archived"}
	if got := e.announced(); !slices.Equal(got, slices.Sorted(slices.Values(wantAnnounced))) {
		t.Fatalf("announced %v, want %v", got, wantAnnounced)
	}

	// An archived profile has nothing left to give or to renew.
	_, err = e.db.ArchiveProfile(conn, p.ID)
	wantCode(t, err, invited.EINVALIDSTATE)
	_, err = e.db.ProfileCredentials(conn, p.ID)
	if ee := wantCode(t, err, invited.EINVALIDSTATE); ee.Message != "the profile is archived; its tokens are deleted" {
		t.Fatalf("credentials: %v", err)
	}
	_, err = e.db.SaveRefreshedToken(conn, p.ID, ptr(platformToken(3)))
	wantCode(t, err, invited.EINVALIDSTATE)
	if claimed, err := e.db.ClaimTokenRefresh(conn, p.ID, now.Add(time.Minute)); err != nil || claimed {
		t.Fatalf("claimed an archived profile: %v, %v", claimed, err)
	}
	if s := e.storedTokens(p.ID); s != (storedTokens{}) {
		t.Fatalf("tokens after the refusals: %+v", s)
	}
}

func testProfileTokens(t *testing.T, e *env) {
	acme := e.org(nil)
	app := e.app(e.admin, crmApp(""))
	conn := e.keyWith(acme.ID, invited.PermConnectionsManage)
	tok := platformToken(1)
	tok.Scopes = []string{"contacts.read", "contacts.write"}
	p, _ := e.connect(conn, app.ID, acme.ID, tok)

	// The credentials are the token as the platform gave it, and the app
	// with its client secret.
	pc, err := e.db.ProfileCredentials(conn, p.ID)
	must(t, err)
	wantTok := tok
	wantTok.Expiry = tok.Expiry.Truncate(time.Millisecond)
	withSecret := *app
	withSecret.OAuth.ClientSecret = crmSecret
	if !reflect.DeepEqual(pc.Profile, p) || !reflect.DeepEqual(pc.Token, &wantTok) || !reflect.DeepEqual(pc.App, &withSecret) {
		t.Fatalf("credentials\n%+v\n%+v\n%+v", pc.Profile, pc.Token, pc.App)
	}

	// One renewal at a time: the lease is held until it ends or is
	// released.
	claim := func() bool {
		t.Helper()
		claimed, err := e.db.ClaimTokenRefresh(conn, p.ID, e.clock.Now().Add(time.Minute))
		must(t, err)
		return claimed
	}
	if got := []bool{claim(), claim()}; !slices.Equal(got, []bool{true, false}) {
		t.Fatalf("claims %v", got)
	}
	e.clock.Advance(time.Minute)
	if !claim() {
		t.Fatal("the lease outlived its end")
	}
	must(t, e.db.ReleaseTokenRefresh(conn, p.ID))
	if got := []bool{claim(), claim()}; !slices.Equal(got, []bool{true, false}) {
		t.Fatalf("claims after the release %v", got)
	}
	// Of concurrent claims, one wins.
	must(t, e.db.ReleaseTokenRefresh(conn, p.ID))
	claims := race(8, func(int) error {
		if claimed, err := e.db.ClaimTokenRefresh(conn, p.ID, e.clock.Now().Add(time.Minute)); err != nil || !claimed {
			return invited.Errorf(invited.ECONFLICT, "not claimed: %v", err)
		}
		return nil
	})
	if n := winners(t, claims, invited.ECONFLICT); n != 1 {
		t.Fatalf("%d claims succeeded", n)
	}

	// A renewal without a refresh token or scopes keeps the stored ones,
	// and releases the lease.
	e.clock.Advance(time.Second)
	renewed := invited.OAuthToken{AccessToken: "plain-access-token-renewed", Expiry: e.clock.Now().Add(time.Hour)}
	got, err := e.db.SaveRefreshedToken(conn, p.ID, &renewed)
	must(t, err)
	expiry := renewed.Expiry
	want := *p
	want.TokenExpiresAt, want.UpdatedAt = &expiry, e.clock.Now()
	if !reflect.DeepEqual(got, &want) {
		t.Fatalf("saved\n got %+v\nwant %+v", got, &want)
	}
	pc, err = e.db.ProfileCredentials(conn, p.ID)
	must(t, err)
	wantTok = invited.OAuthToken{AccessToken: renewed.AccessToken, TokenType: "Bearer", RefreshToken: tok.RefreshToken,
		Expiry: expiry, Scopes: tok.Scopes}
	if !reflect.DeepEqual(pc.Token, &wantTok) || !reflect.DeepEqual(pc.Profile, got) {
		t.Fatalf("after the renewal %+v, %+v", pc.Token, pc.Profile)
	}
	if !claim() {
		t.Fatal("the save kept the lease")
	}
	// A renewal with them replaces them; one without a lifetime has none.
	rotated := invited.OAuthToken{AccessToken: "plain-access-token-rotated", RefreshToken: "plain-refresh-token-rotated",
		TokenType: "mac", Scopes: []string{"contacts.read"}}
	got, err = e.db.SaveRefreshedToken(conn, p.ID, &rotated)
	must(t, err)
	pc, err = e.db.ProfileCredentials(conn, p.ID)
	must(t, err)
	if !reflect.DeepEqual(pc.Token, &rotated) || got.TokenExpiresAt != nil || !slices.Equal(got.Scopes, rotated.Scopes) || !got.Refreshable {
		t.Fatalf("after the rotation %+v, %+v", pc.Token, got)
	}
	for _, plain := range []string{renewed.AccessToken, rotated.AccessToken, rotated.RefreshToken} {
		if n := e.plaintextRows(plain); n != 0 {
			t.Fatalf("%d rows hold %q", n, plain)
		}
	}
	refreshed := 0
	for _, ev := range e.events(e.admin, invited.AuditFilter{Resource: invited.ResourceProfile}) {
		if ev.Action == "profile.token_refreshed" && ev.ResourceID == p.ID && ev.OrgID == acme.ID {
			refreshed++
		}
	}
	if refreshed != 2 {
		t.Fatalf("%d refreshes audited", refreshed)
	}

	// A public client's credentials have no client secret; a profile the
	// platform gave no refresh token stays without one.
	public := crmApp(acme.ID)
	public.OAuth.ClientSecret = ""
	pub := e.app(e.admin, public)
	once := platformToken(2)
	once.RefreshToken = ""
	pp, _ := e.connect(conn, pub.ID, acme.ID, once)
	if pc, err := e.db.ProfileCredentials(conn, pp.ID); err != nil || !reflect.DeepEqual(pc.App, pub) || pc.Token.RefreshToken != "" {
		t.Fatalf("public client %+v, %v", pc, err)
	}
	got, err = e.db.SaveRefreshedToken(conn, pp.ID, &renewed)
	must(t, err)
	if got.Refreshable || e.storedTokens(pp.ID).refresh != "" {
		t.Fatalf("saved without a refresh token %+v", got)
	}
}

// testProfileAccess has everyone but connections:manage in the profile's
// organization refused: another tenant cannot tell it exists.
func testProfileAccess(t *testing.T, e *env) {
	acme, _ := e.orgWithOwner(nil)
	globex := e.org(nil)
	app := e.app(e.admin, crmApp(""))
	p, _ := e.connect(e.admin, app.ID, acme.ID, platformToken(1))
	unknown := invited.NewID(invited.PrefixProfile, e.clock.Now())
	_, acmeMember := e.member(acme.ID, invited.RoleMember)
	_, acmeAdmin := e.member(acme.ID, invited.RoleAdmin)

	ops := []struct {
		name string
		do   func(ctx context.Context, id string) error
		// withoutPermission is the answer to an actor who sees the
		// organization without connections:manage.
		withoutPermission string
	}{
		{"find", func(ctx context.Context, id string) error { return second(e.db.FindProfileByID(ctx, id)) }, invited.ENOTFOUND},
		{"credentials", func(ctx context.Context, id string) error { return second(e.db.ProfileCredentials(ctx, id)) }, invited.EFORBIDDEN},
		{"claim", func(ctx context.Context, id string) error {
			return second(e.db.ClaimTokenRefresh(ctx, id, e.clock.Now().Add(time.Minute)))
		}, invited.EFORBIDDEN},
		{"save", func(ctx context.Context, id string) error {
			return second(e.db.SaveRefreshedToken(ctx, id, ptr(platformToken(2))))
		}, invited.EFORBIDDEN},
		{"release", func(ctx context.Context, id string) error { return e.db.ReleaseTokenRefresh(ctx, id) }, invited.EFORBIDDEN},
		{"archive", func(ctx context.Context, id string) error { return second(e.db.ArchiveProfile(ctx, id)) }, invited.EFORBIDDEN},
	}
	actors := []struct {
		name string
		ctx  context.Context
		id   string
		code string // "": the operation's withoutPermission
	}{
		{"another tenant", e.keyWith(globex.ID, invited.PermConnectionsManage), p.ID, invited.ENOTFOUND},
		{"unknown profile", e.admin, unknown, invited.ENOTFOUND},
		{"apps:manage only", e.keyWith(acme.ID, invited.PermAppsManage), p.ID, ""},
		{"a member", e.userContext(acmeMember), p.ID, ""},
	}
	for _, op := range ops {
		for _, a := range actors {
			want := cmp.Or(a.code, op.withoutPermission)
			err := op.do(a.ctx, a.id)
			if invited.ErrorCode(err) != want || (want == invited.ENOTFOUND && !strings.HasPrefix(err.Error(), "invited: not_found: profile ")) {
				t.Fatalf("%s by %s: %v, want %s", op.name, a.name, err, want)
			}
		}
	}
	if s := e.storedTokens(p.ID); s.access == "" {
		t.Fatal("a refused operation changed the profile")
	}
	// An organization's admin holds connections:manage.
	for _, op := range ops {
		if err := op.do(e.userContext(acmeAdmin), p.ID); err != nil {
			t.Fatalf("%s by an admin: %v", op.name, err)
		}
	}
}

func testProfileListing(t *testing.T, e *env) {
	acme, globex := e.org(nil), e.org(nil)
	sys := e.app(e.admin, crmApp(""))
	acmeApp := e.app(e.admin, crmApp(acme.ID))
	conn := e.keyWith(acme.ID, invited.PermConnectionsManage)
	managers := e.keyWith(acme.ID, invited.PermAppsManage)

	// Acme's profiles, newest first: two through its own app, three
	// through the system-wide one, of which one is archived.
	var acmes []*invited.Profile
	for i := range 5 {
		appID := sys.ID
		if i >= 3 {
			appID = acmeApp.ID
		}
		p, _ := e.connect(conn, appID, acme.ID, platformToken(i))
		acmes = slices.Insert(acmes, 0, p)
	}
	_, err := e.db.ArchiveProfile(conn, acmes[3].ID)
	must(t, err)
	other, _ := e.connect(e.admin, sys.ID, globex.ID, platformToken(9))
	ids := func(is ...int) []string {
		out := []string{}
		for _, i := range is {
			out = append(out, acmes[i].ID)
		}
		return out
	}

	lists := []listCase[invited.ProfileFilter]{
		{"admin", e.admin, invited.ProfileFilter{}, append([]string{other.ID}, ids(0, 1, 2, 3, 4)...), ""},
		{"connections:manage", conn, invited.ProfileFilter{}, ids(0, 1, 2, 3, 4), ""},
		{"naming its organization", conn, invited.ProfileFilter{OrgID: acme.ID}, ids(0, 1, 2, 3, 4), ""},
		{"by app", conn, invited.ProfileFilter{AppID: acmeApp.ID}, ids(0, 1), ""},
		{"system-wide app by admin", e.admin, invited.ProfileFilter{AppID: sys.ID}, append([]string{other.ID}, ids(2, 3, 4)...), ""},
		{"active", conn, invited.ProfileFilter{Status: invited.ProfileActive}, ids(0, 1, 2, 4), ""},
		{"archived", conn, invited.ProfileFilter{Status: invited.ProfileArchived}, ids(3), ""},
		{"active by app", conn, invited.ProfileFilter{AppID: sys.ID, Status: invited.ProfileActive}, ids(2, 4), ""},
		{"admin naming another organization", e.admin, invited.ProfileFilter{OrgID: globex.ID}, []string{other.ID}, ""},
		{"without connections:manage", managers, invited.ProfileFilter{}, []string{}, ""},
		{"naming its organization without connections:manage", managers, invited.ProfileFilter{OrgID: acme.ID}, nil, invited.EFORBIDDEN},
		{"naming another tenant", conn, invited.ProfileFilter{OrgID: globex.ID}, nil, invited.ENOTFOUND},
		{"naming an unknown organization", e.admin, invited.ProfileFilter{OrgID: invited.NewID(invited.PrefixOrganization, e.clock.Now())}, nil, invited.ENOTFOUND},
		{"not a status", conn, invited.ProfileFilter{Status: "open"}, nil, invited.EINVALID},
		{"not an app", conn, invited.ProfileFilter{AppID: "crm"}, nil, invited.EINVALID},
		{"bad page token", conn, invited.ProfileFilter{Page: invited.Page{PageToken: "nope"}}, nil, invited.EINVALID},
	}
	checkLists(t, lists, func(f *invited.ProfileFilter) *invited.Page { return &f.Page }, e.db.FindProfiles,
		func(x *invited.Profile) string { return x.ID })

	// The list shows profiles as they read one by one.
	page, _, err := e.db.FindProfiles(conn, invited.ProfileFilter{})
	must(t, err)
	for _, p := range page {
		if one, err := e.db.FindProfileByID(conn, p.ID); err != nil || !reflect.DeepEqual(one, p) {
			t.Fatalf("listed %+v, read %+v, %v", p, one, err)
		}
	}
}
