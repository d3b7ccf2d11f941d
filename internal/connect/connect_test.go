package connect_test

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/connect"
	"github.com/invitedhq/invited/internal/egress"
	"github.com/invitedhq/invited/internal/secretbox"
	"github.com/invitedhq/invited/internal/sqlstore"
	"github.com/invitedhq/invited/internal/testutil"
	"github.com/invitedhq/invited/internal/testutil/oauthserver"
)

const publicURL = "https://invited.test"

// env is a service on a fresh SQLite database, an organization, and a
// platform: a real OAuth 2.0 server that approves every authorization.
type env struct {
	t        *testing.T
	db       *sqlstore.DB
	clock    *testutil.Clock
	admin    context.Context
	platform *oauthserver.Server
	svc      *connect.Service
	org      *invited.Organization
	log      *testutil.SyncBuffer
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	// Years from the wall clock the platform counts expires_in on: the
	// service must count it on its own.
	clock := testutil.NewClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	keys, err := secretbox.Parse(secretbox.NewKey("test"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "invited.db"), sqlstore.Options{Now: clock.Now, Secrets: keys, Outbound: testutil.AllowLoopback})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	secret, err := db.CreateFirstAdminKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	actor, err := db.AuthenticateAPIKey(ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	admin := invited.NewContextWithActor(ctx, actor)
	org, err := db.CreateOrganization(admin, invited.OrganizationCreate{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}

	var log testutil.SyncBuffer
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("service log:\n%s", log.String())
		}
	})
	e := &env{t: t, db: db, clock: clock, admin: admin, org: org, log: &log}
	e.svc = e.instance()
	e.platform = oauthserver.Start(t, oauthserver.Options{
		ClientID: "client-1", ClientSecret: "s3cret", RedirectURI: e.svc.RedirectURI(), AutoConsent: oauthserver.Approve,
	})
	return e
}

// instance returns a service on the env's database, as another process
// of the same deployment would run, whose outbound policy lets the local
// platform through.
func (e *env) instance() *connect.Service {
	return e.instanceWith(egress.Client(testutil.AllowLoopback, 5*time.Second))
}

// instanceWith is instance with client; nil is the default.
func (e *env) instanceWith(client *http.Client) *connect.Service {
	return connect.New(connect.Config{
		Store: e.db, PublicURL: publicURL, Now: e.clock.Now, HTTPClient: client,
		Logger: slog.New(slog.NewTextHandler(e.log, nil)),
	})
}

// oauth is the configuration of an app at the env's platform by its
// endpoints.
func (e *env) oauth() invited.OAuthConfig {
	return invited.OAuthConfig{
		AuthorizationURL: e.platform.AuthorizeURL(), TokenURL: e.platform.TokenURL(), UserinfoURL: e.platform.UserinfoURL(),
		ClientID: "client-1", ClientSecret: "s3cret", Scopes: []string{"read", "write"},
	}
}

// invite creates an app with configuration o and an invite of the org
// through it, and returns the invite and its code.
func (e *env) invite(o invited.OAuthConfig) (*invited.AppInvite, string) {
	e.t.Helper()
	app, err := e.db.CreateApp(e.admin, invited.AppCreate{Name: "Test Partner", OAuth: o})
	if err != nil {
		e.t.Fatal(err)
	}
	ai, code, err := e.db.CreateAppInvite(e.admin, app.ID, invited.AppInviteCreate{OrgID: e.org.ID})
	if err != nil {
		e.t.Fatal(err)
	}
	return ai, code
}

// authorize starts an authorization of code in browser and sends it to
// the platform, which decides at once; it returns the query of the
// platform's redirect to the callback.
func (e *env) authorize(code, browser string) url.Values {
	e.t.Helper()
	authURL, err := e.svc.Authorize(context.Background(), code, browser)
	if err != nil {
		e.t.Fatalf("Authorize: %v", err)
	}
	return e.platform.Decide(e.t, authURL)
}

// connected runs the whole flow for a new invite through an app
// configured by o and returns the profile.
func (e *env) connected(o invited.OAuthConfig) *invited.Profile {
	e.t.Helper()
	_, code := e.invite(o)
	browser := rand.Text()
	_, prof, err := e.svc.Callback(context.Background(), e.authorize(code, browser), browser)
	if err != nil {
		e.t.Fatalf("Callback: %v", err)
	}
	return prof
}

func (e *env) inviteStatus(id string) invited.AppInviteStatus {
	e.t.Helper()
	ai, err := e.db.FindAppInviteByID(e.admin, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return ai.Status
}

// wantCode fails unless err is an *invited.Error with code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := invited.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %s, want %s", err, got, code)
	}
}

// wantPlatformError fails unless err is a *connect.PlatformError of step
// and code.
func wantPlatformError(t *testing.T, err error, step, code string) *connect.PlatformError {
	t.Helper()
	var pe *connect.PlatformError
	if !errors.As(err, &pe) || pe.Step != step || pe.Code != code {
		t.Fatalf("error %v, want a platform error at %s with code %q", err, step, code)
	}
	return pe
}

func TestFlow(t *testing.T) {
	tests := []struct {
		name    string
		oauth   func(e *env) invited.OAuthConfig
		account string
	}{
		{"endpoints", (*env).oauth, "acct-42"},
		{"discovery", func(e *env) invited.OAuthConfig {
			o := e.oauth()
			o.AuthorizationURL, o.TokenURL, o.UserinfoURL, o.DiscoveryURL = "", "", "", e.platform.DiscoveryURL()
			return o
		}, "acct-42"},
		{"account id field", func(e *env) invited.OAuthConfig {
			o := e.oauth()
			o.AccountIDField = "name"
			return o
		}, "Test Partner"},
		{"no userinfo", func(e *env) invited.OAuthConfig {
			o := e.oauth()
			o.UserinfoURL = ""
			return o
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			ai, code := e.invite(tt.oauth(e))
			browser := rand.Text()
			auth, prof, err := e.svc.Callback(context.Background(), e.authorize(code, browser), browser)
			if err != nil {
				t.Fatalf("Callback: %v", err)
			}
			if auth.Invite.ID != ai.ID || auth.App.OAuth.ClientSecret != "" {
				t.Errorf("authorization of invite %s with client secret %q, want %s without", auth.Invite.ID, auth.App.OAuth.ClientSecret, ai.ID)
			}
			wantExpiry := e.clock.Now().Add(time.Hour)
			if prof.Status != invited.ProfileActive || prof.AppInviteID != ai.ID || prof.OrgID != e.org.ID ||
				prof.ExternalAccountID != tt.account || !slices.Equal(prof.Scopes, []string{"read", "write"}) ||
				!prof.Refreshable || prof.TokenExpiresAt == nil || !prof.TokenExpiresAt.Equal(wantExpiry) {
				t.Errorf("profile %+v, want active with account %q, scopes read write, refreshable, expiring at %v", prof, tt.account, wantExpiry)
			}
			if s := e.inviteStatus(ai.ID); s != invited.AppInviteActive {
				t.Errorf("invite %s, want active", s)
			}
		})
	}
}

func TestAuthorizeURL(t *testing.T) {
	e := newEnv(t)
	o := e.oauth()
	o.ExtraParams = map[string]string{"prompt": "consent"}
	_, code := e.invite(o)
	browser := rand.Text()
	raw, err := e.svc.Authorize(context.Background(), code, browser)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	state := q.Get("state")
	mac := hmac.New(sha256.New, []byte(browser))
	mac.Write([]byte("pkce:" + state))
	verifier := base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	challenge := sha256.Sum256([]byte(verifier))
	want := map[string]string{
		"response_type": "code", "client_id": "client-1", "redirect_uri": publicURL + connect.CallbackPath,
		"scope": "read write", "prompt": "consent", "code_challenge_method": "S256",
		"code_challenge": base64.RawURLEncoding.EncodeToString(challenge[:]),
	}
	for k, v := range want {
		if got := q.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if len(state) != 43 || len(verifier) != 43 {
		t.Errorf("state %q and verifier %q: want 256 bits each, 43 characters", state, verifier)
	}
	if u.Scheme+"://"+u.Host+u.Path != e.platform.AuthorizeURL() {
		t.Errorf("authorization URL %s, want the platform's %s", raw, e.platform.AuthorizeURL())
	}
}

func TestAuthorizeRefused(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(e *env, ai *invited.AppInvite) // before Authorize
		browser string
		code    string
	}{
		{"short browser secret", nil, "too-short", invited.EINVALID},
		{"expired", func(e *env, _ *invited.AppInvite) { e.clock.Advance(invited.DefaultInvitationTTL) }, rand.Text(), invited.EINVALIDSTATE},
		{"revoked", func(e *env, ai *invited.AppInvite) {
			if _, err := e.db.RevokeAppInvite(e.admin, ai.ID); err != nil {
				e.t.Fatal(err)
			}
		}, rand.Text(), invited.EINVALIDSTATE},
		{"archived", func(e *env, ai *invited.AppInvite) {
			if _, err := e.db.RevokeAppInvite(e.admin, ai.ID); err != nil {
				e.t.Fatal(err)
			}
			if _, err := e.db.ArchiveAppInvite(e.admin, ai.ID); err != nil {
				e.t.Fatal(err)
			}
		}, rand.Text(), invited.EINVALIDSTATE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			ai, code := e.invite(e.oauth())
			if tt.prepare != nil {
				tt.prepare(e, ai)
			}
			_, err := e.svc.Authorize(context.Background(), code, tt.browser)
			wantCode(t, err, tt.code)
		})
	}
	t.Run("unknown code", func(t *testing.T) {
		e := newEnv(t)
		_, err := e.svc.Authorize(context.Background(), "NOTACODE", rand.Text())
		wantCode(t, err, invited.ENOTFOUND)
	})
}

func TestDiscoveryRefused(t *testing.T) {
	// A platform whose document names a plain http endpoint off loopback,
	// where the code would travel in the clear.
	insecure := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"authorization_endpoint": "http://platform.example/authorize", "token_endpoint": "https://platform.example/token"}`))
	}))
	t.Cleanup(insecure.Close)
	tests := []struct {
		name string
		url  func(e *env) string
	}{
		{"not found", func(e *env) string { return e.platform.URL + "/missing" }},
		{"not a document", func(e *env) string { return e.platform.UserinfoURL() }},
		{"plain http endpoint", func(*env) string { return insecure.URL }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			o := e.oauth()
			o.AuthorizationURL, o.TokenURL, o.DiscoveryURL = "", "", tt.url(e)
			_, code := e.invite(o)
			_, err := e.svc.Authorize(context.Background(), code, rand.Text())
			if pe := wantPlatformError(t, err, "discovery", ""); pe.Description == "" {
				t.Error("no description")
			}
		})
	}
}

// TestOutboundPolicy aims every call to a platform at the local one: by
// default, and through a redirect to an address the policy refuses, each
// is refused before it connects, and the error says so by its category
// alone; the same calls succeed with the allow-list (the env's service).
func TestOutboundPolicy(t *testing.T) {
	e := newEnv(t)
	strict := e.instanceWith(nil) // the default: the service's own network refused
	refused := func(t *testing.T, err error, step string) {
		t.Helper()
		pe := wantPlatformError(t, err, step, "")
		if !strings.HasSuffix(pe.Description, "could not be reached: refused_by_policy") {
			t.Errorf("description %q, want it unreachable by refused_by_policy", pe.Description)
		}
		if strings.Contains(pe.Description, "127.0.0.1") {
			t.Errorf("description %q names the address", pe.Description)
		}
	}

	t.Run("discovery", func(t *testing.T) {
		o := e.oauth()
		o.AuthorizationURL, o.TokenURL, o.DiscoveryURL = "", "", e.platform.DiscoveryURL()
		_, code := e.invite(o)
		_, err := strict.Authorize(context.Background(), code, rand.Text())
		refused(t, err, "discovery")
		if _, err := e.svc.Authorize(context.Background(), code, rand.Text()); err != nil {
			t.Errorf("allowed: %v", err)
		}
	})
	t.Run("token exchange", func(t *testing.T) {
		ai, code := e.invite(e.oauth())
		browser := rand.Text()
		authURL, err := strict.Authorize(context.Background(), code, browser)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = strict.Callback(context.Background(), e.platform.Decide(t, authURL), browser)
		refused(t, err, "token exchange")
		if n := e.platform.TokenRequests("authorization_code"); n != 0 {
			t.Errorf("the platform got %d code exchanges, want none", n)
		}
		if e.inviteStatus(ai.ID) != invited.AppInvitePending {
			t.Error("the invite is no longer pending")
		}
		// The same exchange through the allowed service.
		if prof := e.connected(e.oauth()); prof == nil {
			t.Error("allowed: no profile")
		}
	})
	t.Run("token refresh", func(t *testing.T) {
		prof := e.connected(e.oauth())
		e.clock.Advance(2 * time.Hour)
		before := e.platform.TokenRequests("refresh_token")
		_, err := strict.ProfileToken(e.admin, prof.ID)
		wantCode(t, err, invited.EUPSTREAM)
		if !strings.Contains(err.Error(), "refused_by_policy") {
			t.Errorf("error %v, want it to say refused_by_policy", err)
		}
		if n := e.platform.TokenRequests("refresh_token") - before; n != 0 {
			t.Errorf("the platform got %d refreshes, want none", n)
		}
		if _, err := e.svc.ProfileToken(e.admin, prof.ID); err != nil {
			t.Errorf("allowed: %v", err)
		}
	})
	t.Run("userinfo", func(t *testing.T) {
		// The token endpoint allowed, the userinfo endpoint not: ::1.
		info := unreachable(t, "[::1]:0", "the userinfo endpoint on ::1")
		v4 := e.instanceWith(egress.Client(invited.OutboundPolicy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}, 5*time.Second))
		o := e.oauth()
		o.UserinfoURL = info.URL + "/userinfo"
		_, code := e.invite(o)
		browser := rand.Text()
		authURL, err := v4.Authorize(context.Background(), code, browser)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = v4.Callback(context.Background(), e.platform.Decide(t, authURL), browser)
		refused(t, err, "userinfo")
	})
	t.Run("redirect", func(t *testing.T) {
		// An allowed platform whose discovery document redirects to an
		// address the policy refuses (127.0.0.2): the redirect is
		// followed to the dial, and refused there.
		internal := unreachable(t, "127.0.0.2:0", "the internal server")
		redirector := httptest.NewServer(http.RedirectHandler(internal.URL+"/.well-known/openid-configuration", http.StatusFound))
		defer redirector.Close()

		one := e.instanceWith(egress.Client(invited.OutboundPolicy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}, 5*time.Second))
		o := e.oauth()
		o.AuthorizationURL, o.TokenURL, o.DiscoveryURL = "", "", redirector.URL+"/.well-known/openid-configuration"
		_, code := e.invite(o)
		_, err := one.Authorize(context.Background(), code, rand.Text())
		refused(t, err, "discovery")
	})
}

func TestCallbackRefused(t *testing.T) {
	tests := []struct {
		name string
		// tamper changes the platform's answer, or the browser's secret.
		tamper func(q url.Values, browser *string)
		code   string
	}{
		{"no state", func(q url.Values, _ *string) { q.Del("state") }, invited.EINVALID},
		{"tampered state", func(q url.Values, _ *string) { q.Set("state", q.Get("state")+"x") }, invited.ENOTFOUND},
		{"another browser", func(_ url.Values, b *string) { *b = rand.Text() }, invited.ENOTFOUND},
		{"no code", func(q url.Values, _ *string) { q.Del("code") }, invited.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			ai, code := e.invite(e.oauth())
			browser := rand.Text()
			q := e.authorize(code, browser)
			tt.tamper(q, &browser)
			_, prof, err := e.svc.Callback(context.Background(), q, browser)
			wantCode(t, err, tt.code)
			if prof != nil || e.inviteStatus(ai.ID) != invited.AppInvitePending {
				t.Errorf("profile %v, invite %s: want none, and the invite pending", prof, e.inviteStatus(ai.ID))
			}
		})
	}
}

func TestCallbackReplayed(t *testing.T) {
	e := newEnv(t)
	_, code := e.invite(e.oauth())
	browser := rand.Text()
	q := e.authorize(code, browser)
	if _, _, err := e.svc.Callback(context.Background(), q, browser); err != nil {
		t.Fatal(err)
	}
	_, _, err := e.svc.Callback(context.Background(), q, browser)
	wantCode(t, err, invited.ENOTFOUND)
}

func TestDenied(t *testing.T) {
	e := newEnv(t)
	e.platform.SetAutoConsent(oauthserver.Deny)
	ai, code := e.invite(e.oauth())
	browser := rand.Text()
	q := e.authorize(code, browser)
	auth, prof, err := e.svc.Callback(context.Background(), q, browser)
	if pe := wantPlatformError(t, err, "authorization", "access_denied"); !pe.Denied() {
		t.Error("Denied() = false")
	}
	if auth == nil || auth.Invite.ID != ai.ID || prof != nil {
		t.Errorf("authorization %+v, profile %v: want the invite's, and no profile", auth, prof)
	}
	if s := e.inviteStatus(ai.ID); s != invited.AppInvitePending {
		t.Errorf("invite %s, want pending", s)
	}
	_, _, err = e.svc.Callback(context.Background(), q, browser)
	wantCode(t, err, invited.ENOTFOUND)
}

// TestCodeOfAnotherAuthorization hands the callback of one authorization
// the code the platform issued to another: PKCE must fail the exchange.
func TestCodeOfAnotherAuthorization(t *testing.T) {
	e := newEnv(t)
	ai, code := e.invite(e.oauth())
	browser := rand.Text()
	q, other := e.authorize(code, browser), e.authorize(code, browser)
	q.Set("code", other.Get("code"))
	_, prof, err := e.svc.Callback(context.Background(), q, browser)
	wantPlatformError(t, err, "token exchange", "invalid_grant")
	if prof != nil || e.inviteStatus(ai.ID) != invited.AppInvitePending {
		t.Errorf("profile %v, invite %s: want none, and the invite pending", prof, e.inviteStatus(ai.ID))
	}
}

// TestInviteClosedMeanwhile finishes an authorization of an invite that
// left pending while the partner was at the platform: refused, without
// the code exchanged for tokens no one would keep.
func TestInviteClosedMeanwhile(t *testing.T) {
	tests := []struct {
		name string
		// close ends the invite after the authorization has started,
		// given another authorization of it, in the same browser.
		close     func(e *env, other url.Values, browser string)
		code      string
		exchanges int
	}{
		{"activated", func(e *env, other url.Values, browser string) {
			if _, _, err := e.svc.Callback(context.Background(), other, browser); err != nil {
				e.t.Fatal(err)
			}
		}, invited.ENOTFOUND, 1}, // activating it ended its other authorizations
		{"expired", func(e *env, _ url.Values, _ string) { e.clock.Advance(6 * time.Minute) }, invited.EINVALIDSTATE, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			_, code := e.invite(e.oauth())
			// Within the authorization's lifetime of the invite's expiry.
			e.clock.Advance(invited.DefaultInvitationTTL - 5*time.Minute)
			browser := rand.Text()
			q, other := e.authorize(code, browser), e.authorize(code, browser)
			tt.close(e, other, browser)
			_, _, err := e.svc.Callback(context.Background(), q, browser)
			wantCode(t, err, tt.code)
			if n := e.platform.TokenRequests("authorization_code"); n != tt.exchanges {
				t.Errorf("%d code exchanges, want %d", n, tt.exchanges)
			}
		})
	}
}

// userinfo reports whether the platform takes token.
func (e *env) userinfo(token string) bool {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.platform.UserinfoURL(), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func TestProfileToken(t *testing.T) {
	e := newEnv(t)
	prof := e.connected(e.oauth())

	fresh, err := e.svc.ProfileToken(e.admin, prof.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !e.userinfo(fresh.AccessToken) || fresh.TokenType != "Bearer" || fresh.ExpiresAt == nil ||
		!fresh.ExpiresAt.Equal(*prof.TokenExpiresAt) || !slices.Equal(fresh.Scopes, prof.Scopes) {
		t.Errorf("token %+v, want the profile's, usable at the platform", fresh)
	}
	if n := e.platform.TokenRequests("refresh_token"); n != 0 {
		t.Errorf("%d refreshes of a fresh token", n)
	}

	e.clock.Advance(2 * time.Hour)
	// Callers of two processes: each process renews once at most, and
	// the store's lease lets one of them.
	instances := []*connect.Service{e.svc, e.instance()}
	const callers = 10
	tokens := make([]*invited.ProfileToken, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() { tokens[i], errs[i] = instances[i%2].ProfileToken(e.admin, prof.ID) })
	}
	wg.Wait()
	renewed := tokens[0]
	for i := range callers {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if tokens[i].AccessToken != renewed.AccessToken {
			t.Fatalf("caller %d got another token than caller 0", i)
		}
	}
	if n := e.platform.TokenRequests("refresh_token"); n != 1 {
		t.Errorf("%d refreshes, want 1", n)
	}
	if renewed.AccessToken == fresh.AccessToken || !e.userinfo(renewed.AccessToken) || e.userinfo(fresh.AccessToken) {
		t.Errorf("want a new token, usable at the platform instead of the old one")
	}
	if want := e.clock.Now().Add(time.Hour); renewed.ExpiresAt == nil || !renewed.ExpiresAt.Equal(want) || !slices.Equal(renewed.Scopes, prof.Scopes) {
		t.Errorf("renewed token %+v, want expiry %v and the profile's scopes", renewed, want)
	}

	again, err := e.svc.ProfileToken(e.admin, prof.ID)
	if err != nil || again.AccessToken != renewed.AccessToken {
		t.Fatalf("after the renewal: %v, %v; want the renewed token", again, err)
	}
	if n := e.platform.TokenRequests("refresh_token"); n != 1 {
		t.Errorf("%d refreshes, want the 1 before", n)
	}
}

func TestProfileTokenRefused(t *testing.T) {
	tests := []struct {
		name string
		// profile makes the profile, whose token then expires.
		profile func(e *env) string
		code    string
	}{
		{"no refresh token", func(e *env) string {
			return e.activated(invited.OAuthToken{AccessToken: "at", Expiry: e.clock.Now().Add(time.Hour)})
		}, invited.EINVALIDSTATE},
		{"archived", func(e *env) string {
			prof := e.connected(e.oauth())
			if _, err := e.db.ArchiveProfile(e.admin, prof.ID); err != nil {
				e.t.Fatal(err)
			}
			return prof.ID
		}, invited.EINVALIDSTATE},
		{"refresh refused", func(e *env) string {
			return e.activated(invited.OAuthToken{AccessToken: "at", RefreshToken: "revoked", Expiry: e.clock.Now().Add(time.Hour)})
		}, invited.EUPSTREAM},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			id := tt.profile(e)
			e.clock.Advance(2 * time.Hour)
			// Twice: a failed renewal must leave the next one free to run.
			for range 2 {
				_, err := e.svc.ProfileToken(e.admin, id)
				wantCode(t, err, tt.code)
			}
		})
	}
}

// activated activates a new invite at the store, as a completed
// authorization would, with tok, and returns the profile's id.
func (e *env) activated(tok invited.OAuthToken) string {
	e.t.Helper()
	ai, _ := e.invite(e.oauth())
	prof, err := e.db.ActivateAppInvite(context.Background(), ai.ID, invited.ProfileCreate{Token: tok})
	if err != nil {
		e.t.Fatal(err)
	}
	return prof.ID
}

// unreachable serves, on addr, what the test must never reach: the request
// fails the test. It skips the test where addr cannot be listened on.
func unreachable(t *testing.T, addr, what string) *httptest.Server {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		t.Errorf("%s was reached", what)
	}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}
