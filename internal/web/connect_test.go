package web

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/connect"
	"github.com/invitedhq/invited/internal/i18n"
	"github.com/invitedhq/invited/internal/ratelimit"
	"github.com/invitedhq/invited/internal/sqlstore"
	"github.com/invitedhq/invited/internal/testutil/oauthserver"
)

// crmSecret is the app's client secret, which no page may show.
const crmSecret = "crm-client-secret-in-plain-text"

// connectSite is a site whose store can seal tokens, with the connect
// flow and a real OAuth 2.0 server as the external platform.
type connectSite struct {
	*site
	platform *oauthserver.Server
	org      *invited.Organization
	app      *invited.App
}

// connectOptions change a connectSite: the app's client secret as the
// app is registered with the service (the platform knows crmSecret), and
// the pages' Deps.
type connectOptions struct {
	clientSecret string // default crmSecret
	deps         func(*Deps)
}

// newConnectSite starts the service and the platform, and registers the
// app of the partners' tests in an organization branded as Acme. Its name
// and description hold markup, which every page must show as text.
func newConnectSite(t testing.TB, o connectOptions) *connectSite {
	t.Helper()
	var opts []func(*Deps)
	if o.deps != nil {
		opts = append(opts, o.deps)
	}
	s := &connectSite{site: startSite(t, true, opts...)}
	// The platform registers the redirect URI, which the service's
	// address makes.
	platform := oauthserver.Start(t, oauthserver.Options{
		ClientID: "crm-client", ClientSecret: crmSecret, RedirectURI: s.srv.URL + connect.CallbackPath, AutoConsent: oauthserver.Approve,
	})
	s.platform = platform
	s.org = s.site.org(t, "Acme Corporation", acmeSettings)
	if o.clientSecret == "" {
		o.clientSecret = crmSecret
	}
	var err error
	s.app, err = s.db.CreateApp(s.admin, invited.AppCreate{
		Name: "CRM <b>Pro</b>", OrgID: s.org.ID, Description: "Syncs your deals.\n<script>alert(1)</script>",
		OAuth: invited.OAuthConfig{
			AuthorizationURL: platform.AuthorizeURL(), TokenURL: platform.TokenURL(), UserinfoURL: platform.UserinfoURL(),
			ClientID: "crm-client", ClientSecret: o.clientSecret, Scopes: []string{"contacts.read", "deals.write"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	s.private = append(s.private, crmSecret, o.clientSecret)
	return s
}

// invite creates an app invite of the app for a partner, with a note, and
// returns it with its code. The partner's address and the note become
// private.
func (s *connectSite) invite(t testing.TB) (*invited.AppInvite, string) {
	t.Helper()
	return s.inviteFor(t, invited.DefaultInvitationTTL)
}

// inviteFor is invite with a lifetime of its own.
func (s *connectSite) inviteFor(t testing.TB, ttl time.Duration) (*invited.AppInvite, string) {
	t.Helper()
	ai, code, err := s.db.CreateAppInvite(s.admin, s.app.ID, invited.AppInviteCreate{
		OrgID: s.org.ID, Email: "partner@example.com", Note: "internal: partner owes us money", ExpiresIn: ptr(invited.Duration(ttl)),
	})
	if err != nil {
		t.Fatal(err)
	}
	s.private = append(s.private, ai.Email, ai.Note, ai.ID)
	return ai, code
}

// appInviteStatus returns the invite's status now.
func (s *connectSite) appInviteStatus(t testing.TB, ai *invited.AppInvite) invited.AppInviteStatus {
	t.Helper()
	got, err := s.db.FindAppInviteByID(s.admin, ai.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got.StatusAt(s.clock.Now())
}

// authorize starts an authorization of code's invite in the site's
// browser, checks the redirect to the platform and the browser cookie, and
// returns the platform's URL.
func (s *connectSite) authorize(t testing.TB, code string) *url.URL {
	t.Helper()
	a := s.post(t, "/a/"+code+"/authorize", nil)
	if a.status != http.StatusSeeOther {
		t.Fatalf("authorize: status %d, want 303:\n%s", a.status, a.body)
	}
	loc, err := url.Parse(a.header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	q := loc.Query()
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != s.platform.AuthorizeURL() ||
		q.Get("state") == "" || q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256" ||
		q.Get("redirect_uri") != s.srv.URL+connect.CallbackPath {
		t.Errorf("authorize redirects to %s", loc)
	}
	i := slices.IndexFunc(a.cookies(), func(c *http.Cookie) bool { return c.Name == browserCookie })
	if i < 0 {
		t.Fatalf("authorize sets no %s cookie: %v", browserCookie, a.header.Values("Set-Cookie"))
	}
	if c := a.cookies()[i]; !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" ||
		c.MaxAge < int(invited.AuthorizationTTL/time.Second) || len(c.Value) != browserSecretLength {
		t.Errorf("cookie %s", c)
	}
	// The state is a secret of the flow: no page may show it.
	s.private = append(s.private, q.Get("state"))
	return loc
}

// consent has the platform decide the authorization at authURL, as its
// AutoConsent says, and returns the callback path it sends the browser
// back to.
func (s *connectSite) consent(t testing.TB, authURL *url.URL) string {
	t.Helper()
	q := s.platform.Decide(t, authURL.String())
	if c := q.Get("code"); c != "" {
		s.private = append(s.private, c)
	}
	return connect.CallbackPath + "?" + q.Encode()
}

// ownLink matches what a page may link to or load: the skip link, the
// icons, the stylesheet and Acme's logo. The callback pages' URL holds the platform's
// code and the state, which must reach no other site, not even by a link
// followed later.
var ownLink = regexp.MustCompile(`^(#main|/favicon\.ico|/assets/(favicon\.svg|style\.css)|https://cdn\.acme\.test/logo\.png)$`)

// linkAttr matches the attributes that link, load or post somewhere.
var linkAttr = regexp.MustCompile(`(?:href|src|action)="([^"]*)"`)

// linksNowhere fails the test if a links to, loads or posts to anything
// but ownLink.
func (a answer) linksNowhere(t testing.TB) {
	t.Helper()
	for _, m := range linkAttr.FindAllStringSubmatch(a.body, -1) {
		if !ownLink.MatchString(m[1]) {
			t.Errorf("page links to %s:\n%s", m[1], a.body)
		}
	}
	a.lacks(t, "<form")
}

// cookies are the cookies a sets.
func (a answer) cookies() []*http.Cookie {
	return (&http.Response{Header: a.header}).Cookies()
}

func TestConnectFlow(t *testing.T) {
	s := newConnectSite(t, connectOptions{})
	ai, code := s.invite(t)

	landing := s.get(t, "/a/"+code)
	landing.expect(t, http.StatusOK,
		`<span class="brand-name">Acme &lt;Team&gt;</span>`,
		"--accent: #facc15; --accent-text: #000000",
		"<title>Connect CRM &lt;b&gt;Pro&lt;/b&gt; · Acme &lt;Team&gt;</title>",
		`<h1 id="title">Acme &lt;Team&gt; invites you to connect CRM &lt;b&gt;Pro&lt;/b&gt;</h1>`,
		`<dd id="inviter">Grace &lt;b&gt;Hopper&lt;/b&gt;</dd>`,
		"Syncs your deals.\n&lt;script&gt;alert(1)&lt;/script&gt;",
		"<p>CRM &lt;b&gt;Pro&lt;/b&gt; will ask you to allow:</p>",
		"<li><code>contacts.read</code></li>", "<li><code>deals.write</code></li>",
		"Acme &lt;Team&gt; receives access to your CRM &lt;b&gt;Pro&lt;/b&gt; account with these permissions",
		"stored encrypted, and Acme &lt;Team&gt; can disconnect it at any time",
		`<dd id="expires">`+date(ai.ExpiresAt)+`</dd>`,
		`<form id="authorize" class="actions" method="post" action="/a/`+code+`/authorize">`,
		`<input type="hidden" name="csrf_token" value="`+s.csrf+`">`,
		`<button id="continue">Continue to CRM &lt;b&gt;Pro&lt;/b&gt;</button>`,
	)
	landing.lacks(t, "crm-client")
	if n := landing.count("<form"); n != 1 {
		t.Errorf("%d forms on the landing page, want the button's alone", n)
	}
	// A GET of the button's address, as an old link or a scanner sends
	// it, starts nothing: it leads back to the landing page.
	if a := s.get(t, "/a/"+code+"/authorize"); a.status != http.StatusSeeOther || a.header.Get("Location") != "/a/"+code {
		t.Errorf("GET authorize: %d to %q, want 303 to the landing page", a.status, a.header.Get("Location"))
	}
	// The button's redirect to the platform must pass form-action.
	if csp, want := landing.header.Get("Content-Security-Policy"), "form-action 'self' "+s.platform.URL+";"; !strings.Contains(csp, want) {
		t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
	}
	if slices.ContainsFunc(landing.cookies(), func(c *http.Cookie) bool { return c.Name == browserCookie }) {
		t.Error("the landing page sets the browser cookie: only starting an authorization needs it")
	}

	callback := s.consent(t, s.authorize(t, code))
	done := s.get(t, callback)
	done.expect(t, http.StatusOK,
		`<section id="connected"`, "<title>Connected · Acme &lt;Team&gt;</title>",
		"Your CRM &lt;b&gt;Pro&lt;/b&gt; account is now connected to Acme &lt;Team&gt;. You can close this window.",
		`<dd id="account">acct-42</dd>`, "Questions? help@acme.test")
	done.linksNowhere(t)

	if got := s.appInviteStatus(t, ai); got != invited.AppInviteActive {
		t.Errorf("invite %s, want active", got)
	}
	profiles, _, err := s.db.FindProfiles(s.admin, invited.ProfileFilter{OrgID: s.org.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(profiles) != 1 || profiles[0].AppInviteID != ai.ID || profiles[0].ExternalAccountID != "acct-42" || !profiles[0].Refreshable {
		t.Errorf("profiles %+v, want one of the invite, for acct-42, refreshable", profiles)
	}
	// The audit trail names where the partner came from.
	events, _, err := s.db.FindAuditEvents(s.admin, invited.AuditFilter{OrgID: s.org.ID, Resource: invited.ResourceAppInvite})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(events, func(e *invited.AuditEvent) bool { return e.Action == invited.EventAppInviteActivated })
	if i < 0 || events[i].RemoteAddr != "127.0.0.1" {
		t.Errorf("events %+v, want %s from 127.0.0.1", events, invited.EventAppInviteActivated)
	}

	// The link is used up: it says so, and starts nothing.
	already := []string{`<section id="connected"`, "<title>Already connected · Acme &lt;Team&gt;</title>",
		"An account was already connected to Acme &lt;Team&gt; through this link: there is nothing left to do."}
	s.get(t, "/a/"+code).expect(t, http.StatusConflict, already...)
	s.post(t, "/a/"+code+"/authorize", nil).expect(t, http.StatusConflict, already...)
	// The callback works once.
	s.get(t, callback).expect(t, http.StatusBadRequest, `data-reason="invalid"`)
}

// TestConnectNoScopes shows the landing page of an app that asks for no
// particular scope.
func TestConnectNoScopes(t *testing.T) {
	s := newConnectSite(t, connectOptions{})
	app, err := s.db.CreateApp(s.admin, invited.AppCreate{Name: "Plain", OrgID: s.org.ID,
		OAuth: invited.OAuthConfig{AuthorizationURL: s.platform.AuthorizeURL(), TokenURL: s.platform.TokenURL(), ClientID: "crm-client"}})
	if err != nil {
		t.Fatal(err)
	}
	_, code, err := s.db.CreateAppInvite(s.admin, app.ID, invited.AppInviteCreate{OrgID: s.org.ID})
	if err != nil {
		t.Fatal(err)
	}
	a := s.get(t, "/a/"+code)
	a.expect(t, http.StatusOK, `<p id="scopes">Plain will ask you to allow access to your account; it names no particular permissions.</p>`,
		"with the permissions you allow")
	a.lacks(t, "<ul", "About Plain")
}

// TestConnectDeadLinks opens app invite links that can no longer connect,
// both the landing page and the start of an authorization.
func TestConnectDeadLinks(t *testing.T) {
	s := newConnectSite(t, connectOptions{})
	unknownInvitation := s.get(t, "/i/"+invited.NewSecret(""))
	for _, tc := range []struct {
		name  string
		kill  func(t *testing.T, ai *invited.AppInvite) // nil: let it expire
		wants []string
	}{
		{"expired", nil, []string{`data-status="expired"`, "This invitation expired on ",
			"Ask Grace &lt;b&gt;Hopper&lt;/b&gt; at Acme &lt;Team&gt; for a new one."}},
		{"revoked", func(t *testing.T, ai *invited.AppInvite) {
			if _, err := s.db.RevokeAppInvite(s.admin, ai.ID); err != nil {
				t.Fatal(err)
			}
		}, []string{`data-status="revoked"`, "This invitation is no longer valid"}},
		{"archived", func(t *testing.T, ai *invited.AppInvite) {
			if _, err := s.db.RevokeAppInvite(s.admin, ai.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := s.db.ArchiveAppInvite(s.admin, ai.ID); err != nil {
				t.Fatal(err)
			}
		}, []string{`data-status="revoked"`, "This invitation is no longer valid"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ai, code := s.invite(t)
			if tc.kill == nil {
				s.clock.Advance(ai.ExpiresAt.Sub(s.clock.Now()))
				tc.wants = append(tc.wants, date(ai.ExpiresAt))
			} else {
				tc.kill(t, ai)
			}
			wants := append(tc.wants, `<section id="status"`, "Questions? help@acme.test", `<span class="brand-name">Acme &lt;Team&gt;</span>`)
			for _, path := range []string{"/a/" + code, "/a/" + code + "/authorize"} {
				a := s.get(t, path)
				if path != "/a/"+code {
					a = s.post(t, path, nil)
				}
				a.expect(t, http.StatusGone, wants...)
				// The app's name, as a page would show it and unescaped: a
				// bare "CRM" also matches the page's random CSP nonce.
				a.lacks(t, `id="continue"`, "CRM &lt;b&gt;Pro", "CRM <b>Pro")
				if slices.ContainsFunc(a.cookies(), func(c *http.Cookie) bool { return c.Name == browserCookie }) {
					t.Errorf("%s sets the browser cookie", path)
				}
			}
		})
	}

	// A code that opens nothing looks exactly like an invitation token
	// that opens nothing: a guesser learns not even the kind of link.
	t.Run("unknown", func(t *testing.T) {
		unknown := invited.NewSecret("")
		for _, tc := range []struct{ method, path string }{
			{"GET", "/a/" + unknown},
			{"POST", "/a/" + unknown + "/authorize"},
			{"GET", "/a/" + strings.Repeat("a", maxTokenLength+1)},
			{"GET", "/a/"},
			{"GET", "/a/" + unknown + "/more"},
		} {
			a := s.get(t, tc.path)
			if tc.method == "POST" {
				a = s.post(t, tc.path, nil)
			}
			if a.status != unknownInvitation.status || withoutNonce(a.body) != withoutNonce(unknownInvitation.body) {
				t.Errorf("%s %s: %d\n%s\nwant as an unknown invitation: %d\n%s", tc.method, tc.path, a.status, a.body, unknownInvitation.status, unknownInvitation.body)
			}
		}
	})
}

// nonceAttr matches the pages' nonces, which differ per answer.
var nonceAttr = regexp.MustCompile(`nonce="[^"]*"`)

// withoutNonce blanks the nonce of body.
func withoutNonce(body string) string { return nonceAttr.ReplaceAllString(body, `nonce=""`) }

func TestConnectDenied(t *testing.T) {
	s := newConnectSite(t, connectOptions{})
	ai, code := s.invite(t)
	s.platform.SetAutoConsent(oauthserver.Deny)
	a := s.get(t, s.consent(t, s.authorize(t, code)))
	a.expect(t, http.StatusOK, `data-reason="denied"`, "<title>You did not allow access · Acme &lt;Team&gt;</title>",
		"Nothing was shared with Acme &lt;Team&gt;.",
		"The invitation stays open until "+date(ai.ExpiresAt)+". To connect CRM &lt;b&gt;Pro&lt;/b&gt; later, open the invitation link again.")
	a.linksNowhere(t)
	if got := s.appInviteStatus(t, ai); got != invited.AppInvitePending {
		t.Errorf("invite %s after a refusal, want pending", got)
	}
	// And the link works still.
	s.platform.SetAutoConsent(oauthserver.Approve)
	s.get(t, s.consent(t, s.authorize(t, code))).expect(t, http.StatusOK, `<section id="connected"`)
}

// TestConnectInvalidCallback brings callbacks back that this browser
// cannot finish: each answers the same page and connects nothing. Only
// another browser's visit uses the state up; this browser's callback works
// after the others.
func TestConnectInvalidCallback(t *testing.T) {
	s := newConnectSite(t, connectOptions{})
	ai, code := s.invite(t)
	callback := s.consent(t, s.authorize(t, code))
	stolen := s.consent(t, s.authorize(t, code))
	u, _ := url.Parse(callback)
	tampered := u.Query()
	tampered.Set("state", tampered.Get("state")+"x")
	noState := u.Query()
	noState.Del("state")

	for _, tc := range []struct {
		name   string
		path   string
		cookie string // the browser cookie's value instead of the jar's; "-": none
	}{
		{"tampered state", u.Path + "?" + tampered.Encode(), ""},
		{"no state", u.Path + "?" + noState.Encode(), ""},
		{"nothing", u.Path, ""},
		{"no cookie", callback, "-"},
		{"malformed cookie", callback, "not-a-secret"},
		{"another browser", stolen, strings.Repeat("A", browserSecretLength)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client := s.client
			if tc.cookie != "" {
				// Another browser: a jar of its own.
				jar, _ := cookiejar.New(nil)
				if tc.cookie != "-" {
					srvURL, _ := url.Parse(s.srv.URL)
					jar.SetCookies(srvURL, []*http.Cookie{{Name: browserCookie, Value: tc.cookie}})
				}
				s.client = &http.Client{Jar: jar, CheckRedirect: client.CheckRedirect}
				defer func() { s.client = client }()
			}
			a := s.get(t, tc.path)
			a.expect(t, http.StatusBadRequest, `data-reason="invalid"`, "<title>This connection attempt is not valid",
				"It expired, was already used, or was started in another browser. Open the invitation link again to start over.")
			a.linksNowhere(t)
			if got := s.appInviteStatus(t, ai); got != invited.AppInvitePending {
				t.Errorf("invite %s, want pending", got)
			}
		})
	}
	s.get(t, callback).expect(t, http.StatusOK, `<section id="connected"`)
}

// TestConnectPlatformError covers platforms that fail the authorization:
// the page names the platform's error, as text, and the invite stays open.
func TestConnectPlatformError(t *testing.T) {
	for _, tc := range []struct {
		name     string
		secret   string // the client secret the service knows
		callback func(t *testing.T, s *connectSite, state string) string
		wants    []string
	}{
		{"token exchange refused", "not-the-secret", nil,
			[]string{`<dd id="platform-code"><code>invalid_client</code></dd>`}},
		{"error redirect", "", func(t *testing.T, s *connectSite, state string) string {
			// What a platform sends back when it cannot decide.
			return connect.CallbackPath + "?" + url.Values{"state": {state}, "error": {"temporarily_unavailable"},
				"error_description": {"Down for <b>maintenance</b>"}}.Encode()
		}, []string{`<dd id="platform-code"><code>temporarily_unavailable</code></dd>`,
			`<dd id="platform-description">Down for &lt;b&gt;maintenance&lt;/b&gt;</dd>`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newConnectSite(t, connectOptions{clientSecret: tc.secret})
			ai, code := s.invite(t)
			authURL := s.authorize(t, code)
			var callback string
			if tc.callback != nil {
				callback = tc.callback(t, s, authURL.Query().Get("state"))
			} else {
				callback = s.consent(t, authURL)
			}
			a := s.get(t, callback)
			a.expect(t, http.StatusBadGateway, append(tc.wants, `data-reason="platform"`,
				"<title>CRM &lt;b&gt;Pro&lt;/b&gt; could not complete the connection · Acme &lt;Team&gt;</title>",
				"The invitation is still open until "+date(ai.ExpiresAt)+": to try again, open the invitation link again.")...)
			a.linksNowhere(t)
			a.lacks(t, "<b>")
			if got := s.appInviteStatus(t, ai); got != invited.AppInvitePending {
				t.Errorf("invite %s, want pending", got)
			}
		})
	}
}

// TestConnectTwoTabs starts two authorizations in one browser: they share
// its secret, so that the first still finishes once the second started.
// The second then finds its authorization gone with the invite's pending
// state.
func TestConnectTwoTabs(t *testing.T) {
	s := newConnectSite(t, connectOptions{})
	_, code := s.invite(t)
	first := s.authorize(t, code)
	second := s.authorize(t, code)
	s.get(t, s.consent(t, first)).expect(t, http.StatusOK, `<section id="connected"`)
	s.get(t, s.consent(t, second)).expect(t, http.StatusBadRequest, `data-reason="invalid"`)
	profiles, _, err := s.db.FindProfiles(s.admin, invited.ProfileFilter{OrgID: s.org.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(profiles) != 1 {
		t.Errorf("%d profiles, want 1", len(profiles))
	}
}

// revokingConnector revokes the invite just before the authorization
// starts: the link dies between the landing page and the platform.
type revokingConnector struct {
	Connector
	revoke func()
}

func (c revokingConnector) Authorize(ctx context.Context, code, browser string) (string, error) {
	c.revoke()
	return c.Connector.Authorize(ctx, code, browser)
}

// TestConnectClosedMeanwhile covers links that die during the flow: the
// page says what became of the link, and nothing is connected.
func TestConnectClosedMeanwhile(t *testing.T) {
	t.Run("before the authorization starts", func(t *testing.T) {
		var revoke func()
		s := newConnectSite(t, connectOptions{deps: func(d *Deps) {
			d.Connect = revokingConnector{Connector: d.Connect, revoke: func() { revoke() }}
		}})
		ai, code := s.invite(t)
		revoke = func() {
			if _, err := s.db.RevokeAppInvite(s.admin, ai.ID); err != nil {
				t.Error(err)
			}
		}
		a := s.post(t, "/a/"+code+"/authorize", nil)
		a.expect(t, http.StatusGone, `data-status="revoked"`, "Questions? help@acme.test")
		if a.header.Get("Location") != "" {
			t.Errorf("redirected to %s", a.header.Get("Location"))
		}
	})
	for _, tc := range []struct {
		name   string
		close  func(t *testing.T, s *connectSite, ai *invited.AppInvite)
		want   invited.AppInviteStatus
		status int
		wants  []string
	}{
		// Revoking drops the invite's authorizations: the callback finds
		// none, as for one used already.
		{"revoked at the platform", func(t *testing.T, s *connectSite, ai *invited.AppInvite) {
			if _, err := s.db.RevokeAppInvite(s.admin, ai.ID); err != nil {
				t.Fatal(err)
			}
		}, invited.AppInviteRevoked, http.StatusBadRequest, []string{`data-reason="invalid"`}},
		{"expired at the platform", func(t *testing.T, s *connectSite, ai *invited.AppInvite) {
			s.clock.Advance(ai.ExpiresAt.Sub(s.clock.Now()))
		}, invited.AppInviteExpired, http.StatusGone, []string{`data-status="expired"`, "This invitation expired on ",
			"Ask Grace &lt;b&gt;Hopper&lt;/b&gt; at Acme &lt;Team&gt; for a new one.", "Questions? help@acme.test"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newConnectSite(t, connectOptions{})
			// The invite expires before the authorization does.
			ai, code := s.inviteFor(t, invited.AuthorizationTTL/2)
			authURL := s.authorize(t, code)
			tc.close(t, s, ai)
			s.get(t, s.consent(t, authURL)).expect(t, tc.status, tc.wants...)
			if got := s.appInviteStatus(t, ai); got != tc.want {
				t.Errorf("invite %s, want %s", got, tc.want)
			}
			if n := s.platform.TokenRequests("authorization_code"); n != 0 {
				t.Errorf("%d token requests for a closed invite", n)
			}
		})
	}
}

// TestConnectRateLimit checks that every partner page spends the client
// address's allowance of public link requests.
func TestConnectRateLimit(t *testing.T) {
	limit := ratelimit.NewMemory(ratelimit.Rate{N: 2, Per: time.Hour})
	s := newConnectSite(t, connectOptions{deps: func(d *Deps) { d.PublicLimit = limit }})
	_, code := s.invite(t)
	s.get(t, "/a/"+code).expect(t, http.StatusOK)
	s.authorize(t, code)
	for _, path := range []string{"/a/" + code, "/a/" + code + "/authorize", connect.CallbackPath + "?state=x&code=y"} {
		a := s.get(t, path)
		a.expect(t, http.StatusTooManyRequests, i18n.English().T("error.code.rate_limited"))
		if a.header.Get("Retry-After") == "" {
			t.Errorf("%s: no Retry-After", path)
		}
	}
}

// TestBrowserSecret checks the browser cookie as authorize sets it: a
// valid secret is kept, anything else replaced, and behind https the
// cookie is Secure.
func TestBrowserSecret(t *testing.T) {
	valid := strings.Repeat("A2", browserSecretLength/2)
	for _, tc := range []struct {
		name   string
		cookie string // "": none
		keep   bool
	}{
		{"none", "", false},
		{"valid", valid, true},
		{"too short", valid[1:], false},
		{"not base32", strings.Repeat("a", browserSecretLength), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := New(Deps{PublicURL: "https://invited.test"})
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest("GET", "/a/x/authorize", nil)
			if tc.cookie != "" {
				r.AddCookie(&http.Cookie{Name: browserCookie, Value: tc.cookie})
			}
			w := httptest.NewRecorder()
			secret := p.browserSecret(w, r)
			cookies := w.Result().Cookies()
			if len(cookies) != 1 || cookies[0].Value != secret || !cookies[0].Secure || !cookies[0].HttpOnly {
				t.Fatalf("cookies %v for secret %s", cookies, secret)
			}
			if kept := secret == tc.cookie; kept != tc.keep || len(secret) != browserSecretLength {
				t.Errorf("secret %q from cookie %q", secret, tc.cookie)
			}
		})
	}
}

// TestAuthorizeWithoutEncryptionKeys starts an authorization on a service
// that cannot seal tokens: the partner is not sent to the platform for
// nothing, and learns it is not their fault without being told about the
// operator's configuration.
func TestAuthorizeWithoutEncryptionKeys(t *testing.T) {
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "keyless.db"), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	admin := invited.NewContextWithActor(ctx, &invited.Actor{Admin: true})
	org, err := db.CreateOrganization(admin, invited.OrganizationCreate{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	// A public client: registering it needs no key.
	app, err := db.CreateApp(admin, invited.AppCreate{Name: "CRM", OrgID: org.ID, OAuth: invited.OAuthConfig{
		AuthorizationURL: "https://crm.example/authorize", TokenURL: "https://crm.example/token", ClientID: "crm-client"}})
	if err != nil {
		t.Fatal(err)
	}
	_, code, err := db.CreateAppInvite(admin, app.ID, invited.AppInviteCreate{OrgID: org.ID})
	if err != nil {
		t.Fatal(err)
	}
	s := startSite(t, true, func(d *Deps) {
		d.Connections = db
		d.Connect = connect.New(connect.Config{Store: db, PublicURL: d.PublicURL})
	})
	a := s.post(t, "/a/"+code+"/authorize", nil)
	a.expect(t, http.StatusServiceUnavailable, "CRM cannot be connected to Acme right now")
	a.lacks(t, "INVITED_ENCRYPTION_KEYS", "crm.example")
}
