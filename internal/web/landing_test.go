package web

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
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
	"github.com/invitedhq/invited/internal/api"
	"github.com/invitedhq/invited/internal/connect"
	"github.com/invitedhq/invited/internal/egress"
	"github.com/invitedhq/invited/internal/email"
	"github.com/invitedhq/invited/internal/httpkit"
	"github.com/invitedhq/invited/internal/i18n"
	"github.com/invitedhq/invited/internal/jwtauth"
	"github.com/invitedhq/invited/internal/ratelimit"
	"github.com/invitedhq/invited/internal/secretbox"
	"github.com/invitedhq/invited/internal/sms"
	"github.com/invitedhq/invited/internal/sqlstore"
	"github.com/invitedhq/invited/internal/testutil"
	"github.com/invitedhq/invited/internal/testutil/idp"
	"github.com/invitedhq/invited/internal/ticket"
)

// site is the API server with the pages on a fresh SQLite database, and a
// client that keeps cookies and does not follow redirects, as a browser
// would be seen from the server.
type site struct {
	db     *sqlstore.DB
	dbPath string // the SQLite file of db
	clock  *testutil.Clock
	keys   *ticket.Keys
	srv    *httptest.Server
	client *http.Client
	csrf   string // the csrf cookie's value
	admin  context.Context
	// idp signs the user access tokens the server accepts.
	idp *idp.Provider
	// private are strings no page may show: the invitees' addresses,
	// phone numbers, user ids and metadata, the invitations' ids.
	private []string
}

// newSite starts the server; opts may change the pages' Deps.
func newSite(t testing.TB, opts ...func(*Deps)) *site {
	t.Helper()
	return startSite(t, false, opts...)
}

// startSite starts the server with the pages, on a store that can seal
// secrets, and the partner's connect flow. With ownURL the pages' public
// URL is the server's own address, plain http, as the connect flow needs:
// the platform sends the browser back there, with the cookies, which are
// not Secure then; else it is https://invited.test. opts may change the
// pages' Deps.
func startSite(t testing.TB, ownURL bool, opts ...func(*Deps)) *site {
	t.Helper()
	ctx := context.Background()
	clock := testutil.NewClock(time.Now().UTC())
	secrets, err := secretbox.Parse(secretbox.NewKey("k1"))
	if err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(t.TempDir(), "db")
	db, err := sqlstore.Open(ctx, "sqlite:"+dbPath, sqlstore.Options{Now: clock.Now, Secrets: secrets, Outbound: testutil.AllowLoopback})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	keys := ticket.New(db, "https://invited.test", clock.Now)
	if err := keys.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	log := &testutil.SyncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", log)
		}
	})
	logger := slog.New(slog.NewTextHandler(log, nil))

	// The server listens before it has a handler, so that the pages may
	// know its address.
	srv := httptest.NewUnstartedServer(nil)
	t.Cleanup(srv.Close)
	publicURL := "https://invited.test"
	if ownURL {
		publicURL = "http://" + srv.Listener.Addr().String()
	}
	provider := idp.Start(t)
	verifier, err := jwtauth.NewVerifier(jwtauth.Config{Issuer: idp.Issuer, JWKSURL: provider.URL})
	if err != nil {
		t.Fatal(err)
	}
	creds := &httpkit.Credentials{Auth: db, Verifier: verifier}
	deps := Deps{
		Orgs: db, Members: db, Roles: db, Links: db, Invitations: db, Joins: db,
		Credentials:  creds,
		Sessions:     db,
		JoinRequests: db,
		Tickets:      keys,
		Connections:  db,
		// The platforms of the tests are local servers.
		Connect: connect.New(connect.Config{Store: db, PublicURL: publicURL, Now: clock.Now, Logger: logger,
			HTTPClient: egress.Client(testutil.AllowLoopback, 5*time.Second)}),
		PublicURL: publicURL,
		Logger:    logger,
		Now:       clock.Now,
	}
	for _, opt := range opts {
		opt(&deps)
	}
	pages, err := New(deps)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = api.NewServer(api.Deps{
		Orgs: db, Members: db, Roles: db, Invitations: db, APIKeys: db, Idempotency: db, Audit: db,
		Credentials: creds, Logger: logger, Pages: pages.Routes(),
	})
	srv.Start()

	// A browser gets its csrf cookie with the first page; the double
	// submit only needs cookie and field to match, so the client may as
	// well choose it.
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &site{db: db, dbPath: dbPath, clock: clock, keys: keys, srv: srv, csrf: rand.Text(), idp: provider,
		admin: invited.NewContextWithActor(ctx, &invited.Actor{Admin: true, User: &invited.User{Name: "Grace <b>Hopper</b>"}})}
	srvURL, _ := url.Parse(srv.URL)
	jar.SetCookies(srvURL, []*http.Cookie{{Name: csrfCookie, Value: s.csrf}})
	s.client = &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return s
}

// org creates an organization named name with settings.
func (s *site) org(t testing.TB, name string, settings invited.OrgSettingsPatch) *invited.Organization {
	t.Helper()
	org, err := s.db.CreateOrganization(s.admin, invited.OrganizationCreate{Name: name, Settings: &settings})
	if err != nil {
		t.Fatal(err)
	}
	return org
}

// invite creates a sent invitation in org, with metadata, and returns it
// with its token. Its invitee, id and metadata become private: no page may
// show them.
func (s *site) invite(t testing.TB, org *invited.Organization, c invited.InvitationCreate) (*invited.Invitation, string) {
	t.Helper()
	if c.Roles == nil {
		c.Roles = []string{"member"}
	}
	crm := "secret-crm-id-" + rand.Text()
	c.Metadata = json.RawMessage(`{"crm":"` + crm + `"}`)
	inv, token, err := s.db.CreateInvitation(s.admin, org.ID, c)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{inv.Email, inv.Phone, inv.UserID, crm, inv.ID} {
		if v != "" {
			s.private = append(s.private, v)
		}
	}
	return inv, token
}

// emailInvite invites Ada Lovelace, at an address of her own, to org.
func (s *site) emailInvite(t testing.TB, org *invited.Organization) (*invited.Invitation, string) {
	t.Helper()
	// A new address each time: a member could not be invited again.
	email := "ada-" + strings.ToLower(rand.Text()[:8]) + "@example.com"
	return s.invite(t, org, invited.InvitationCreate{Email: email, FirstName: "Ada", LastName: "Lovelace"})
}

// answer is a response, read whole.
type answer struct {
	status int
	header http.Header
	body   string
}

// inlineScript is a script element with content: the pages have none.
var inlineScript = regexp.MustCompile(`<script[^>]*>[^<]`)

// send makes a request and checks what every answer of the pages must
// carry: the security headers, and none of the private strings.
func (s *site) send(t testing.TB, method, path string, form url.Values, header map[string]string) answer {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, s.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return s.do(t, req)
}

// do sends req with the site's client and checks its answer as send does.
func (s *site) do(t testing.TB, req *http.Request) answer {
	t.Helper()
	method, path := req.Method, req.URL.RequestURI()
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := answer{status: resp.StatusCode, header: resp.Header, body: string(b)}
	for name, want := range map[string]string{"Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff"} {
		if got := a.header.Get(name); got != want {
			t.Errorf("%s %s: %s %q, want %q", method, path, name, got, want)
		}
	}
	if strings.HasPrefix(a.header.Get("Content-Type"), "text/html") {
		csp := a.header.Get("Content-Security-Policy")
		if csp == "" || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s %s: Content-Security-Policy %q", method, path, csp)
		}
		if strings.Contains(a.body, " style=") || inlineScript.MatchString(a.body) {
			t.Errorf("%s %s: inline style or script:\n%s", method, path, a.body)
		}
	}
	for _, secret := range s.private {
		if strings.Contains(a.body, secret) || strings.Contains(a.body, url.QueryEscape(secret)) {
			t.Errorf("%s %s shows %q:\n%s", method, path, secret, a.body)
		}
	}
	return a
}

func (s *site) get(t testing.TB, path string) answer {
	t.Helper()
	return s.send(t, "GET", path, nil, nil)
}

// post submits a form as the page would: with the csrf token.
func (s *site) post(t testing.TB, path string, form url.Values) answer {
	t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set(csrfField, s.csrf)
	return s.send(t, "POST", path, form, nil)
}

// status returns the invitation's status now.
func (s *site) status(t testing.TB, inv *invited.Invitation) invited.Status {
	t.Helper()
	got, err := s.db.FindInvitationByID(s.admin, inv.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got.StatusAt(s.clock.Now())
}

// expect fails the test unless a has status and contains every one of
// wants.
func (a answer) expect(t testing.TB, status int, wants ...string) {
	t.Helper()
	if a.status != status {
		t.Errorf("status %d, want %d", a.status, status)
	}
	for _, want := range wants {
		if !strings.Contains(a.body, want) {
			t.Errorf("page lacks %q:\n%s", want, a.body)
		}
	}
}

// lacks fails the test if a contains any of unwanted.
func (a answer) lacks(t testing.TB, unwanted ...string) {
	t.Helper()
	for _, u := range unwanted {
		if strings.Contains(a.body, u) {
			t.Errorf("page has %q:\n%s", u, a.body)
		}
	}
}

// acmeSettings brand Acme and send accepted invitees to its app.
var acmeSettings = invited.OrgSettingsPatch{
	AllowedRedirectOrigins: &[]string{"https://app.acme.test"},
	DefaultRedirectURL:     ptr("https://app.acme.test/welcome?from=invite"),
	SignInURL:              ptr("https://app.acme.test/sign-in?lang=en"),
	Contact:                ptr("help@acme.test"),
	DisplayName:            ptr("Acme <Team>"),
	LogoURL:                ptr("https://cdn.acme.test/logo.png"),
	AccentColor:            ptr("#facc15"),
}

func ptr[T any](v T) *T { return &v }

func TestLandingEmailInvitation(t *testing.T) {
	s := newSite(t)
	org := s.org(t, "Acme Corporation", acmeSettings)
	_, token := s.invite(t, org, invited.InvitationCreate{
		Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace", Roles: []string{"admin", "member"},
		Message: "Welcome aboard!\n<script>alert(1)</script>",
	})
	a := s.get(t, "/i/"+token)
	a.expect(t, http.StatusOK,
		`<html lang="en" dir="ltr">`,
		`<span class="brand-name">Acme &lt;Team&gt;</span>`,
		`<img class="logo" src="https://cdn.acme.test/logo.png"`,
		"--accent: #facc15; --accent-text: #000000",
		"Hi Ada,",
		"<h1 id=\"title\">Grace &lt;b&gt;Hopper&lt;/b&gt; invited you to join Acme &lt;Team&gt;</h1>",
		"admin, member",
		"Welcome aboard!\n&lt;script&gt;alert(1)&lt;/script&gt;",
		date(s.clock.Now().Add(invited.DefaultInvitationTTL)),
		`<form id="accept" method="post" action="/i/`+token+`/accept">`,
		`<input type="hidden" name="csrf_token" value="`+s.csrf+`">`,
		`<label for="name">Your name</label><input id="name" name="name" type="text" autocomplete="name" required value="Ada Lovelace"`,
		`<button id="accept-button" type="submit">Accept invitation</button>`,
		`<form id="decline" method="post" action="/i/`+token+`/decline">`,
		`<button id="decline-button" class="secondary">Decline</button>`,
	)
	a.lacks(t, `id="sign-in"`, "<script>", "Acme Corporation")
	// The accept form's answer redirects to the app: form-action must
	// allow its origin, or the browser stops the redirect.
	if csp := a.header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' https://app.acme.test;") {
		t.Errorf("CSP %q does not allow the redirect", csp)
	}
}

func TestLandingSignInHandOff(t *testing.T) {
	s := newSite(t)
	withSignIn := s.org(t, "Acme", acmeSettings)
	without := s.org(t, "Bare", invited.OrgSettingsPatch{})
	// A user-id invitation needs a user: someone who accepted before.
	_, token := s.emailInvite(t, s.org(t, "Earlier", invited.OrgSettingsPatch{}))
	earlier, err := s.db.AcceptInvitationByLink(s.admin, token, "Bob")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		org   *invited.Organization
		c     invited.InvitationCreate
		wants []string
	}{
		{"phone", withSignIn, invited.InvitationCreate{Phone: "+14155550100", FirstName: "Bob"},
			[]string{`<a id="sign-in" class="button" href="https://app.acme.test/sign-in?invitation_token=`, `&amp;lang=en">Sign in to accept</a>`}},
		{"user id without sign-in URL", without, invited.InvitationCreate{UserID: earlier.User.ID},
			[]string{`id="sign-in-help"`, "Sign in to Bare’s app", "ask Grace &lt;b&gt;Hopper&lt;/b&gt;"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, token := s.invite(t, tc.org, tc.c)
			a := s.get(t, "/i/"+token)
			a.expect(t, http.StatusOK, append(tc.wants, `<form id="decline"`)...)
			a.lacks(t, `id="accept"`, `id="name"`)
			if tc.org == withSignIn && !strings.Contains(a.body, "invitation_token="+url.QueryEscape(token)) {
				t.Errorf("the sign-in link lacks the token:\n%s", a.body)
			}
		})
	}
}

// TestLandingDeadLinks opens links in every status a link can no longer
// be accepted in.
func TestLandingDeadLinks(t *testing.T) {
	s := newSite(t)
	org := s.org(t, "Acme", acmeSettings)
	for _, tc := range []struct {
		name   string
		kill   func(t *testing.T, inv *invited.Invitation, token string) // nil: let it expire
		status int
		wants  []string
	}{
		{"expired", nil, http.StatusGone, []string{
			`data-status="expired"`, "This invitation expired on ", "Ask Grace &lt;b&gt;Hopper&lt;/b&gt; at Acme &lt;Team&gt; for a new one."}},
		{"revoked", func(t *testing.T, inv *invited.Invitation, _ string) {
			if _, err := s.db.RevokeInvitation(s.admin, inv.ID); err != nil {
				t.Fatal(err)
			}
		}, http.StatusGone, []string{`data-status="revoked"`, "This invitation is no longer valid"}},
		{"declined", func(t *testing.T, _ *invited.Invitation, token string) {
			if _, err := s.db.DeclineInvitation(s.admin, token); err != nil {
				t.Fatal(err)
			}
		}, http.StatusGone, []string{`data-status="declined"`, "This invitation was declined"}},
		{"accepted", func(t *testing.T, _ *invited.Invitation, token string) {
			if _, err := s.db.AcceptInvitationByLink(s.admin, token, "Ada"); err != nil {
				t.Fatal(err)
			}
		}, http.StatusConflict, []string{`data-status="accepted"`, "This invitation was already accepted",
			`<a id="sign-in" class="button" href="https://app.acme.test/sign-in?lang=en">Sign in instead</a>`}},
		{"archived", func(t *testing.T, inv *invited.Invitation, token string) {
			if _, err := s.db.AcceptInvitationByLink(s.admin, token, "Ada"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.db.ArchiveInvitation(s.admin, inv.ID); err != nil {
				t.Fatal(err)
			}
		}, http.StatusConflict, []string{`data-status="accepted"`, "This invitation was already accepted"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv, token := s.emailInvite(t, org)
			if tc.kill == nil {
				s.clock.Advance(invited.DefaultInvitationTTL)
				tc.wants = append(tc.wants, date(inv.ExpiresAt))
			} else {
				tc.kill(t, inv, token)
			}
			wants := append(tc.wants, `<section id="status"`, "Questions? help@acme.test", `<span class="brand-name">Acme &lt;Team&gt;</span>`)
			a := s.get(t, "/i/"+token)
			a.expect(t, tc.status, wants...)
			a.lacks(t, "Lovelace", `id="accept"`) // the name prefill is the accept form's
			// Posting to a dead link explains it the same way, and
			// changes nothing.
			before := s.status(t, inv)
			for _, action := range []string{"accept", "decline"} {
				a := s.post(t, "/i/"+token+"/"+action, url.Values{"name": {"Ada"}})
				a.expect(t, tc.status, wants...)
				a.lacks(t, "You declined")
			}
			if after := s.status(t, inv); after != before {
				t.Errorf("status %s after posting, was %s", after, before)
			}
		})
	}
}

// TestLandingUnknownLink checks that a link that opens nothing looks
// exactly like a revoked one, apart from what only an organization adds.
func TestLandingUnknownLink(t *testing.T) {
	s := newSite(t)
	org := s.org(t, "Zyxcorp", invited.OrgSettingsPatch{})
	inv, token := s.emailInvite(t, org)
	if _, err := s.db.RevokeInvitation(s.admin, inv.ID); err != nil {
		t.Fatal(err)
	}
	revoked := s.get(t, "/i/"+token)
	revoked.expect(t, http.StatusGone, `data-status="revoked"`, "Zyxcorp")
	// Nonces differ per answer; the organization's name stands where the
	// service's own would.
	normalize := func(body string) string {
		body = regexp.MustCompile(`nonce="[^"]*"`).ReplaceAllString(body, `nonce=""`)
		return strings.ReplaceAll(body, "Zyxcorp", defaultBrand.Name)
	}
	unknown := invited.NewSecret("") // the shape of a token, never issued
	for _, path := range []string{
		"/i/" + unknown,
		"/i/" + strings.Repeat("a", maxTokenLength+1),
		"/i/",
		"/i/" + token + "/more",
		"/i/" + unknown + "/accept", // GET
	} {
		a := s.get(t, path)
		if a.status != revoked.status || normalize(a.body) != normalize(revoked.body) {
			t.Errorf("GET %s: %d\n%s\nwant as revoked: %d\n%s", path, a.status, a.body, revoked.status, revoked.body)
		}
	}
	for _, action := range []string{"accept", "decline"} {
		a := s.post(t, "/i/"+unknown+"/"+action, url.Values{"name": {"Ada"}})
		if a.status != revoked.status || normalize(a.body) != normalize(revoked.body) {
			t.Errorf("POST %s: %d\n%s", action, a.status, a.body)
		}
	}
	// And the revoked page of a branded organization shows its brand and
	// contact, which the unknown page cannot.
	branded, token := s.emailInvite(t, s.org(t, "Acme", acmeSettings))
	if _, err := s.db.RevokeInvitation(s.admin, branded.ID); err != nil {
		t.Fatal(err)
	}
	s.get(t, "/i/"+token).expect(t, http.StatusGone, "Questions? help@acme.test", "Acme &lt;Team&gt;")
	s.get(t, "/i/"+unknown).lacks(t, "Questions?", "Acme", "logo")
}

func TestLandingAccept(t *testing.T) {
	s := newSite(t)
	org := s.org(t, "Acme", acmeSettings)
	inv, token := s.emailInvite(t, org)

	s.handedOff(t, s.post(t, "/i/"+token+"/accept", url.Values{"name": {"  Ada King  "}}))

	members, _, err := s.db.FindMembers(s.admin, invited.MemberFilter{OrgID: org.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(members) != 1 || members[0].User.Email != inv.Email || !members[0].User.EmailVerified || members[0].User.Name != "Ada King" {
		t.Errorf("members %+v, want %s, verified, named Ada King", members, inv.Email)
	}
	if got := s.status(t, inv); got != invited.StatusAccepted {
		t.Errorf("status %s", got)
	}
	// The audit trail names where the acceptance came from.
	events, _, err := s.db.FindAuditEvents(s.admin, invited.AuditFilter{OrgID: org.ID, Resource: invited.ResourceInvitation})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(events, func(e *invited.AuditEvent) bool { return e.Action == "invitation.accepted" })
	if i < 0 || events[i].RemoteAddr != "127.0.0.1" {
		t.Errorf("events %+v, want invitation.accepted from 127.0.0.1", events)
	}
}

// handedOff checks that a sends the browser to Acme's app with a ticket
// that verifies, and returns the ticket's id.
func (s *site) handedOff(t testing.TB, a answer) string {
	t.Helper()
	if a.status != http.StatusSeeOther {
		t.Fatalf("status %d, want 303:\n%s", a.status, a.body)
	}
	loc, err := url.Parse(a.header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != "https://app.acme.test/welcome" || loc.Query().Get("from") != "invite" {
		t.Errorf("redirect to %s, want https://app.acme.test/welcome?from=invite&ticket=…", loc)
	}
	id, err := s.keys.Verify(context.Background(), loc.Query().Get("ticket"))
	if err != nil {
		t.Fatalf("ticket: %v", err)
	}
	return id
}

// TestLandingAcceptWithoutRedirect covers accepts that end on the page:
// nowhere to go, or a redirect the allowlist no longer admits.
func TestLandingAcceptWithoutRedirect(t *testing.T) {
	s := newSite(t)
	for _, tc := range []struct {
		name    string
		setting invited.OrgSettingsPatch
		c       invited.InvitationCreate
		after   *invited.OrgSettingsPatch // applied once invited
	}{
		{"no redirect URL", invited.OrgSettingsPatch{}, invited.InvitationCreate{}, nil},
		{"allowlist narrowed", invited.OrgSettingsPatch{AllowedRedirectOrigins: &[]string{"https://app.acme.test"}},
			invited.InvitationCreate{RedirectURL: "https://app.acme.test/welcome"},
			&invited.OrgSettingsPatch{AllowedRedirectOrigins: &[]string{"https://other.acme.test"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			org := s.org(t, "Acme "+tc.name, tc.setting)
			tc.c.Email, tc.c.FirstName = "ada@example.com", "Ada"
			inv, token := s.invite(t, org, tc.c)
			if tc.after != nil {
				if _, err := s.db.UpdateOrganization(s.admin, org.ID, invited.OrganizationUpdate{Settings: tc.after}); err != nil {
					t.Fatal(err)
				}
			}
			a := s.post(t, "/i/"+token+"/accept", url.Values{"name": {"Ada"}})
			a.expect(t, http.StatusOK, `<section id="joined"`, "You joined Acme "+tc.name)
			if loc := a.header.Get("Location"); loc != "" {
				t.Errorf("redirected to %s", loc)
			}
			if got := s.status(t, inv); got != invited.StatusAccepted {
				t.Errorf("status %s", got)
			}
		})
	}
}

// TestLandingAcceptRefused covers accepts the service refuses for reasons
// other than a dead link.
func TestLandingAcceptRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		deps   func(*Deps)
		after  invited.OrgSettingsPatch // applied once invited
		status int
		wants  []string
	}{
		{"email domain no longer allowed", func(*Deps) {}, invited.OrgSettingsPatch{AllowedEmailDomains: &[]string{"acme.test"}},
			http.StatusForbidden, []string{"<title>Something is not right · Acme &lt;Team&gt;</title>", "acme.test"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSite(t, tc.deps)
			org := s.org(t, "Acme", acmeSettings)
			inv, token := s.emailInvite(t, org)
			if _, err := s.db.UpdateOrganization(s.admin, org.ID, invited.OrganizationUpdate{Settings: &tc.after}); err != nil {
				t.Fatal(err)
			}
			s.post(t, "/i/"+token+"/accept", url.Values{"name": {"Ada"}}).expect(t, tc.status, tc.wants...)
			if got := s.status(t, inv); got != invited.StatusPending {
				t.Errorf("status %s", got)
			}
		})
	}
}

func TestLandingAcceptNameRequired(t *testing.T) {
	s := newSite(t)
	inv, token := s.emailInvite(t, s.org(t, "Acme", acmeSettings))
	for _, name := range []string{"", "   ", strings.Repeat("é", invited.MaxNameRunes+1)} {
		a := s.post(t, "/i/"+token+"/accept", url.Values{"name": {name}})
		a.expect(t, http.StatusBadRequest,
			`<title>Error: Your invitation`,
			`aria-describedby="name-hint name-error" aria-invalid="true"`,
			`<p id="name-error" class="field-error"><strong>Error:</strong> `,
			`<form id="accept"`)
	}
	if got := s.status(t, inv); got != invited.StatusPending {
		t.Errorf("status %s after refused accepts", got)
	}
}

func TestLandingDecline(t *testing.T) {
	s := newSite(t)
	inv, token := s.emailInvite(t, s.org(t, "Acme", acmeSettings))
	s.post(t, "/i/"+token+"/decline", nil).expect(t, http.StatusOK,
		`<section id="status" class="card" data-status="declined"`, "You declined the invitation to Acme &lt;Team&gt;.")
	if got := s.status(t, inv); got != invited.StatusDeclined {
		t.Errorf("status %s", got)
	}
	s.post(t, "/i/"+token+"/decline", nil).expect(t, http.StatusGone, `data-status="declined"`)
}

// TestLandingCSRF posts forms a browser of another site could make: each
// is refused, and nothing changes.
func TestLandingCSRF(t *testing.T) {
	s := newSite(t)
	inv, token := s.emailInvite(t, s.org(t, "Acme", acmeSettings))
	for _, tc := range []struct {
		name   string
		form   url.Values
		header map[string]string
	}{
		{"no token", url.Values{"name": {"Ada"}}, nil},
		{"wrong token", url.Values{"name": {"Ada"}, csrfField: {rand.Text()}}, nil},
		{"cross-site", url.Values{"name": {"Ada"}, csrfField: {s.csrf}}, map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"other origin", url.Values{"name": {"Ada"}, csrfField: {s.csrf}}, map[string]string{"Origin": "https://evil.test"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, action := range []string{"accept", "decline"} {
				s.send(t, "POST", "/i/"+token+"/"+action, tc.form, tc.header).expect(t, http.StatusForbidden)
			}
			if got := s.status(t, inv); got != invited.StatusPending {
				t.Errorf("status %s", got)
			}
		})
	}
}

func TestLandingRateLimit(t *testing.T) {
	limit := ratelimit.NewMemory(ratelimit.Rate{N: 2, Per: time.Hour})
	s := newSite(t, func(d *Deps) { d.PublicLimit = limit })
	_, token := s.emailInvite(t, s.org(t, "Acme", acmeSettings))
	s.get(t, "/i/"+token).expect(t, http.StatusOK)
	s.get(t, "/i/").expect(t, http.StatusGone) // the catch-all spends too
	a := s.get(t, "/i/"+token)
	a.expect(t, http.StatusTooManyRequests, i18n.English().T("error.code.rate_limited"))
	if a.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	s.post(t, "/i/"+token+"/accept", url.Values{"name": {"Ada"}}).expect(t, http.StatusTooManyRequests)
}

// TestLandingAbandoned: a page whose visitor went away before it was
// served is recorded as 499, not answered as an internal error.
func TestLandingAbandoned(t *testing.T) {
	s := newSite(t)
	_, token := s.invite(t, s.org(t, "Acme", invited.OrgSettingsPatch{}), invited.InvitationCreate{Email: "ada@example.com"})
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	rec := httptest.NewRecorder()
	s.srv.Config.Handler.ServeHTTP(rec, httptest.NewRequestWithContext(gone, "GET", "/i/"+token, nil))
	if rec.Code != httpkit.StatusClientClosedRequest {
		t.Errorf("abandoned landing page: %d %s, want 499", rec.Code, rec.Body)
	}
}

// TestPageAndLetterAgree: an invitation whose locale has no catalog
// ("ko") falls through to its organization's default_locale on its page,
// in its email and in its text message alike, whatever the browser
// prefers: one preference list (Organization.Locales) for all three.
func TestPageAndLetterAgree(t *testing.T) {
	s := newSite(t)
	org := s.org(t, "Acme", invited.OrgSettingsPatch{DefaultLocale: new("de")})
	_, token := s.invite(t, org, invited.InvitationCreate{Email: "min-jun@example.com", Locale: "ko"})
	german := i18n.Choose("de")

	s.send(t, "GET", "/i/"+token, nil, map[string]string{"Accept-Language": "fr"}).
		expect(t, http.StatusOK, `<html lang="de" dir="ltr">`, string(german.HTML("landing.accept")))

	msgs, err := s.db.ClaimMessages(context.Background(), 100, time.Minute)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("claimed %d letters: %v", len(msgs), err)
	}
	letter := msgs[0].Letter
	letter.Link = "https://invited.example/i/" + token
	templates, err := email.LoadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	mail, err := templates.Render(letter)
	if err != nil {
		t.Fatal(err)
	}
	if want := german.T("email.invitation.subject_inviter", "inviter", letter.Inviter, "org", "Acme"); mail.Subject != want {
		t.Errorf("the email's subject is %q, want %q (letter locale %q)", mail.Subject, want, letter.Locale)
	}
	if !strings.Contains(mail.HTML, `<html lang="de" dir="ltr">`) {
		t.Errorf("the email is not German:\n%s", mail.HTML)
	}
	want := german.T("sms.invitation_inviter_roles", "inviter", letter.Inviter, "org", "Acme", "roles", "member", "link", "")
	if text := sms.Text(letter); !strings.HasPrefix(text, want) {
		t.Errorf("the text message is %q, want it to start %q", text, want)
	}
}

// TestPagesSpeakTheirErrors: what the service says is wrong reaches the
// invitee in the page's language, not the service's English: a form's
// field problems, a refused form, and an error page by its code.
func TestPagesSpeakTheirErrors(t *testing.T) {
	s := newSite(t)
	org := s.org(t, "Acme", invited.OrgSettingsPatch{})
	german, english := i18n.Choose("de"), i18n.English()
	_, token := s.invite(t, org, invited.InvitationCreate{Email: "hans@example.com", Locale: "de"})
	_, linkToken := s.joinLink(t, org, invited.JoinLinkCreate{Locale: "de"})
	long := strings.Repeat("x", invited.MaxNameRunes+1)

	a := s.post(t, "/i/"+token+"/accept", url.Values{"name": {long}})
	a.expect(t, http.StatusBadRequest, `<html lang="de"`, german.T("field.join_name", "max", invited.MaxNameRunes))
	a.lacks(t, "give your name")

	a = s.post(t, "/j/"+linkToken, url.Values{"email": {"not an address"}, "name": {long}})
	a.expect(t, http.StatusBadRequest, `<html lang="de"`, german.T("field.join_email"), german.T("field.join_name", "max", invited.MaxNameRunes))
	a.lacks(t, "give your")

	// A form without its token: refused, in the browser's language.
	for _, tc := range []struct {
		accept string
		loc    *i18n.Locale
	}{{"de", german}, {"", english}} {
		a = s.send(t, "POST", "/i/"+token+"/decline", url.Values{}, map[string]string{"Accept-Language": tc.accept})
		a.expect(t, http.StatusForbidden, tc.loc.T("error.form_expired"))
	}
	if german.T("error.form_expired") == english.T("error.form_expired") {
		t.Fatal("the German and English messages are the same")
	}
}
