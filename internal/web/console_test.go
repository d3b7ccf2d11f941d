package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/i18n"
	"github.com/invitedhq/invited/internal/ratelimit"
)

// consoleSite is a site (landing_test.go) for the console: served as
// plain http, so that the test client keeps the session cookie, which is
// Secure only behind https; with an admin key to sign in with, and its
// actor to set things up with.
type consoleSite struct {
	*site
	adminKey string
	key      context.Context
}

func newConsole(t testing.TB, opts ...func(*Deps)) *consoleSite {
	t.Helper()
	s := newSite(t, append([]func(*Deps){func(d *Deps) { d.PublicURL = "http://invited.test" }}, opts...)...)
	secret := invited.NewSecret(invited.SecretPrefixAPIKey)
	ctx := context.Background()
	if _, err := s.db.EnsureAdminAPIKey(ctx, secret, "console admin"); err != nil {
		t.Fatal(err)
	}
	actor, err := s.db.AuthenticateAPIKey(ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	return &consoleSite{site: s, adminKey: secret, key: invited.NewContextWithActor(ctx, actor)}
}

// signIn signs the client in with credential, which must be accepted.
func (c *consoleSite) signIn(t testing.TB, credential string) {
	t.Helper()
	a := c.post(t, "/console/sign-in", url.Values{"credential": {credential}})
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/console" {
		t.Fatalf("sign-in: %d to %q:\n%s", a.status, a.header.Get("Location"), a.body)
	}
}

// keyContext is a context with the actor of the key secret.
func (s *site) keyContext(t testing.TB, secret string) context.Context {
	t.Helper()
	actor, err := s.db.AuthenticateAPIKey(context.Background(), secret)
	if err != nil {
		t.Fatal(err)
	}
	return invited.NewContextWithActor(context.Background(), actor)
}

// orgKey creates a key bound to orgID with perms.
func (c *consoleSite) orgKey(t testing.TB, orgID string, perms ...invited.Permission) (*invited.APIKey, string) {
	t.Helper()
	key, secret, err := c.db.CreateAPIKey(c.key, invited.APIKeyCreate{Name: "console test", OrgID: orgID, Permissions: perms})
	if err != nil {
		t.Fatal(err)
	}
	return key, secret
}

// inviteTo invites email to org with roles ("member" if none) and returns
// the invitation and its token.
func (c *consoleSite) inviteTo(t testing.TB, org *invited.Organization, email string, roles ...string) (*invited.Invitation, string) {
	t.Helper()
	if len(roles) == 0 {
		roles = []string{invited.RoleMember}
	}
	inv, token, err := c.db.CreateInvitation(c.key, org.ID, invited.InvitationCreate{Email: email, Roles: roles})
	if err != nil {
		t.Fatal(err)
	}
	return inv, token
}

// member makes email a member of org, by invitation, and returns the
// user's id. The first member of an organization is its owner.
func (c *consoleSite) member(t testing.TB, org *invited.Organization, email string, roles ...string) string {
	t.Helper()
	_, token := c.inviteTo(t, org, email, roles...)
	acc, err := c.db.AcceptInvitation(c.key, token, invited.Acceptor{Email: email, ExternalID: email, Name: "Name of " + email, EmailVerified: true})
	if err != nil {
		t.Fatal(err)
	}
	return acc.User.ID
}

// invitation reads an invitation from the store.
func (c *consoleSite) invitation(t testing.TB, id string) *invited.Invitation {
	t.Helper()
	inv, err := c.db.FindInvitationByID(c.key, id)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// upload posts a CSV file to the organization's upload form, as the
// browser sends it, and reads the answer.
func (c *consoleSite) upload(t testing.TB, orgID, csv string) answer {
	t.Helper()
	resp := c.startUpload(t, orgID, csv)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// startUpload posts a CSV file and returns the answer as it starts.
func (c *consoleSite) startUpload(t testing.TB, orgID, csv string) *http.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField(csrfField, c.csrf)
	fw, err := mw.CreateFormFile("csv", "people.csv")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(fw, csv)
	mw.Close()
	resp, err := c.client.Post(c.srv.URL+"/console/orgs/"+orgID+"/invitations/upload", mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// count is how often s occurs in a's page.
func (a answer) count(s string) int { return strings.Count(a.body, s) }

// sessionCookie returns the session cookie a sets, or nil.
func (a answer) sessionCookie() *http.Cookie {
	for _, ck := range (&http.Response{Header: a.header}).Cookies() {
		if ck.Name == sessionCookie {
			return ck
		}
	}
	return nil
}

func TestConsoleSignIn(t *testing.T) {
	c := newConsole(t)
	c.org(t, "Acme", invited.OrgSettingsPatch{})
	c.org(t, "Globex", invited.OrgSettingsPatch{})

	signInPage := []string{
		`<form id="sign-in" method="post" action="/console/sign-in">`,
		`<label for="credential">API key or access token</label>`,
		`<input id="credential" name="credential" type="password" autocomplete="off" required`,
		`<button id="sign-in-button">Sign in</button>`,
		`<input type="hidden" name="csrf_token" value="` + c.csrf + `">`,
	}
	c.get(t, "/console").expect(t, http.StatusOK, signInPage...)

	for _, tc := range []struct{ name, credential string }{
		{"empty", ""},
		{"unknown key", invited.NewSecret(invited.SecretPrefixAPIKey)},
		{"not a cookie value", "ik_has a space; and more"},
		{"not a token", "eyJhbGciOiJFUzI1NiJ9.e30.c2ln"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := c.post(t, "/console/sign-in", url.Values{"credential": {tc.credential}})
			a.expect(t, http.StatusUnauthorized, append(signInPage, `role="alert"`, "was not accepted")...)
			if ck := a.sessionCookie(); ck != nil {
				t.Errorf("a refused sign-in sets %v", ck)
			}
		})
	}

	c.signIn(t, c.adminKey)
	a := c.get(t, "/console")
	a.expect(t, http.StatusOK, `<a class="org" href="/console/orgs/org_`, ">Acme</a>", ">Globex</a>", `action="/console/sign-out"`)
	a.lacks(t, `id="sign-in"`)
}

// TestConsoleSessionCookie checks the session cookie's flags: Secure
// exactly when the service is served over https.
func TestConsoleSessionCookie(t *testing.T) {
	for _, tc := range []struct {
		publicURL string
		secure    bool
	}{
		{"http://localhost:8080", false},
		{"https://invited.example.com", true},
	} {
		t.Run(tc.publicURL, func(t *testing.T) {
			c := newConsole(t, func(d *Deps) { d.PublicURL = tc.publicURL })
			a := c.post(t, "/console/sign-in", url.Values{"credential": {c.adminKey}})
			a.expect(t, http.StatusSeeOther)
			ck := a.sessionCookie()
			if ck == nil {
				t.Fatalf("no session cookie: %v", a.header)
			}
			if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/console" ||
				ck.MaxAge != int(invited.ConsoleSessionLifetime/time.Second) || ck.Secure != tc.secure {
				t.Errorf("session cookie %s", ck.String())
			}
			// The cookie is a session's secret, holding no part of the key.
			if !invited.ValidSecretShape(ck.Value, invited.SecretPrefixConsoleSession) {
				t.Errorf("session cookie %q is no session secret", ck.Value)
			}
			body := strings.TrimPrefix(c.adminKey, invited.SecretPrefixAPIKey)
			for i := 0; i+8 <= len(body); i++ {
				if strings.Contains(ck.Value, body[i:i+8]) {
					t.Fatalf("session cookie %q holds %q of the key %q", ck.Value, body[i:i+8], c.adminKey)
				}
			}
		})
	}
}

// TestConsoleSignedOut asks for pages without a session: each is the
// sign-in form, which comes back to the page once signed in, and never to
// another site.
func TestConsoleSignedOut(t *testing.T) {
	c := newConsole(t)
	org := c.org(t, "Acme", invited.OrgSettingsPatch{})
	inv, _ := c.inviteTo(t, org, "ada@example.com")
	list := "/console/orgs/" + org.ID + "/invitations?status=pending"

	c.get(t, list).expect(t, http.StatusUnauthorized, `<form id="sign-in"`,
		`<input type="hidden" name="next" value="/console/orgs/`+org.ID+`/invitations?status=pending">`)
	c.post(t, "/console/invitations/"+inv.ID+"/revoke", nil).expect(t, http.StatusUnauthorized, `<form id="sign-in"`)
	if got := c.invitation(t, inv.ID).Status; got != invited.StatusPending {
		t.Errorf("status %s after a post without a session", got)
	}

	for _, tc := range []struct{ next, want string }{
		{list, list},
		{"https://evil.test/console/", "/console"},
		{"//evil.test/console/", "/console"},
		{`/console/\evil.test`, "/console"},
		{"/elsewhere", "/console"},
	} {
		a := c.post(t, "/console/sign-in", url.Values{"credential": {c.adminKey}, "next": {tc.next}})
		if a.status != http.StatusSeeOther || a.header.Get("Location") != tc.want {
			t.Errorf("next %q: %d to %q, want %q", tc.next, a.status, a.header.Get("Location"), tc.want)
		}
	}
}

// sessionCookie is the session cookie the client keeps, or nil.
func (c *consoleSite) sessionCookie(t testing.TB) *http.Cookie {
	t.Helper()
	u, err := url.Parse(c.srv.URL + sessionPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, ck := range c.client.Jar.Cookies(u) {
		if ck.Name == sessionCookie {
			return ck
		}
	}
	return nil
}

// restore puts a session cookie back into the client, as whoever copied
// it would send it.
func (c *consoleSite) restore(t testing.TB, ck *http.Cookie) {
	t.Helper()
	u, err := url.Parse(c.srv.URL + sessionPath)
	if err != nil {
		t.Fatal(err)
	}
	c.client.Jar.SetCookies(u, []*http.Cookie{{Name: ck.Name, Value: ck.Value, Path: sessionPath}})
}

// TestConsoleSignOut signs out: the session ends on the server, so that
// its cookie, sent again, is refused.
func TestConsoleSignOut(t *testing.T) {
	c := newConsole(t)
	c.signIn(t, c.adminKey)
	c.get(t, "/console").lacks(t, `id="sign-in"`)
	kept := c.sessionCookie(t)
	a := c.post(t, "/console/sign-out", nil)
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/console" {
		t.Fatalf("sign-out: %d to %q", a.status, a.header.Get("Location"))
	}
	if ck := a.sessionCookie(); ck == nil || ck.MaxAge >= 0 || ck.Path != "/console" {
		t.Errorf("sign-out sets %v, want the session cookie deleted", ck)
	}
	c.get(t, "/console").expect(t, http.StatusOK, `<form id="sign-in"`)
	c.restore(t, kept)
	c.get(t, "/console").expect(t, http.StatusOK, `<form id="sign-in"`, "Your session has ended")
}

// TestConsoleKeyCookie sends the API key itself as the cookie, as the
// console set it before issue 13: it is no session.
func TestConsoleKeyCookie(t *testing.T) {
	c := newConsole(t)
	c.restore(t, &http.Cookie{Name: sessionCookie, Value: c.adminKey})
	c.get(t, "/console").expect(t, http.StatusOK, `<form id="sign-in"`, "Your session has ended")
}

// TestConsoleSessions lists the key's sessions and ends them: another
// one, whose secret then no longer works, and this browser's, which signs
// it out.
func TestConsoleSessions(t *testing.T) {
	c := newConsole(t)
	c.signIn(t, c.adminKey)
	_, current, err := c.db.AuthenticateConsoleSession(context.Background(), c.sessionCookie(t).Value)
	if err != nil {
		t.Fatal(err)
	}
	c.clock.Advance(time.Second)
	other, otherSecret, err := c.db.CreateConsoleSession(c.key, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	org := c.org(t, "Acme", invited.OrgSettingsPatch{})
	_, orgSecret := c.orgKey(t, org.ID, invited.PermInvitationsRead)
	orgSession, _, err := c.db.CreateConsoleSession(c.keyContext(t, orgSecret), time.Time{})
	if err != nil {
		t.Fatal(err)
	}

	list := c.get(t, "/console/sessions")
	list.expect(t, http.StatusOK, `<h1 id="title">Sessions</h1>`, `aria-current="page">Sessions</a>`,
		`<tr data-session="`+current.ID+`">`, `<tr data-session="`+other.ID+`">`,
		`<form method="post" action="/console/sessions/`+other.ID+`/end">`)
	list.lacks(t, orgSession.ID)
	if n := list.count(`this browser`); n != 1 {
		t.Errorf("%d sessions marked as this browser's", n)
	}
	if i, j := strings.Index(list.body, current.ID), strings.Index(list.body, `this browser`); j < i {
		t.Errorf("the mark is not on this browser's session")
	}

	// Another key's session is not found.
	c.post(t, "/console/sessions/"+orgSession.ID+"/end", nil).expect(t, http.StatusNotFound)

	a := c.post(t, "/console/sessions/"+other.ID+"/end", nil)
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/console/sessions?done=ended" {
		t.Fatalf("end: %d to %q", a.status, a.header.Get("Location"))
	}
	c.get(t, a.header.Get("Location")).expect(t, http.StatusOK, i18n.English().T("console.notice.ended"))
	if _, _, err := c.db.AuthenticateConsoleSession(context.Background(), otherSecret); invited.ErrorCode(err) != invited.EUNAUTHENTICATED {
		t.Errorf("an ended session works: %v", err)
	}

	a = c.post(t, "/console/sessions/"+current.ID+"/end", nil)
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/console" {
		t.Fatalf("end this one: %d to %q", a.status, a.header.Get("Location"))
	}
	if ck := a.sessionCookie(); ck == nil || ck.MaxAge >= 0 {
		t.Errorf("ending this browser's session keeps its cookie: %v", ck)
	}
	c.get(t, "/console/sessions").expect(t, http.StatusUnauthorized, `<form id="sign-in"`)
}

// TestConsoleTokenSession signs in with a user access token: the cookie
// holds a session's secret, not the token; the session acts as the user,
// is listed, ends when the token expires, and ends at sign-out.
func TestConsoleTokenSession(t *testing.T) {
	c := newConsole(t)
	org := c.org(t, "Acme", invited.OrgSettingsPatch{})
	c.member(t, org, "ada@example.com", invited.RoleAdmin)
	// member's user has the email as its external id; the idle expiry is
	// further away than the token's.
	expiry := c.clock.Now().Add(invited.ConsoleSessionIdle / 2).Truncate(time.Second)
	token := c.idp.TokenUntil(t, "ada@example.com", "ada@example.com", expiry)

	a := c.post(t, "/console/sign-in", url.Values{"credential": {token}})
	a.expect(t, http.StatusSeeOther)
	ck := a.sessionCookie()
	if ck == nil || !invited.ValidSecretShape(ck.Value, invited.SecretPrefixConsoleSession) || strings.Contains(token, ck.Value) {
		t.Fatalf("session cookie %v for a token", ck)
	}
	if want := int(expiry.Sub(c.clock.Now()) / time.Second); ck.MaxAge > want || ck.MaxAge < want-1 {
		t.Errorf("cookie max age %d, want the token's %d", ck.MaxAge, want)
	}
	_, session, err := c.db.AuthenticateConsoleSession(context.Background(), ck.Value)
	if err != nil || session.User == nil || session.User.ExternalID != "ada@example.com" || !session.ExpiresAt.Equal(expiry) {
		t.Fatalf("session %+v (%v)", session, err)
	}

	c.get(t, "/console").expect(t, http.StatusSeeOther)
	c.get(t, "/console/orgs/"+org.ID+"/invitations").expect(t, http.StatusOK, `<h1 id="title">Invitations</h1>`)
	c.get(t, "/console/sessions").expect(t, http.StatusOK, "with a user access token",
		`<tr data-session="`+session.ID+`">`, "this browser")

	// Sign-out ends it on the server.
	kept := c.sessionCookie(t)
	c.post(t, "/console/sign-out", nil).expect(t, http.StatusSeeOther)
	c.restore(t, kept)
	c.get(t, "/console").expect(t, http.StatusOK, `<form id="sign-in"`, "Your session has ended")

	// The session ends with the token, though it is in use.
	c.signIn(t, token)
	c.clock.Advance(expiry.Sub(c.clock.Now()) - time.Second)
	c.get(t, "/console/sessions").expect(t, http.StatusOK, "this browser")
	c.clock.Advance(time.Second)
	c.get(t, "/console/sessions").expect(t, http.StatusUnauthorized, `<form id="sign-in"`, "Your session has ended")
}

// TestConsoleSessionIdle leaves the console unused: the session ends.
func TestConsoleSessionIdle(t *testing.T) {
	c := newConsole(t)
	c.signIn(t, c.adminKey)
	c.clock.Advance(invited.ConsoleSessionIdle - time.Minute)
	c.get(t, "/console").lacks(t, `id="sign-in"`)
	c.clock.Advance(invited.ConsoleSessionIdle)
	c.get(t, "/console").expect(t, http.StatusOK, `<form id="sign-in"`, "Your session has ended")
}

// TestConsoleRevokedKey revokes the key of a session: the next request
// finds the session ended.
func TestConsoleRevokedKey(t *testing.T) {
	c := newConsole(t)
	org := c.org(t, "Acme", invited.OrgSettingsPatch{})
	key, secret := c.orgKey(t, org.ID, invited.PermInvitationsRead)
	c.signIn(t, secret)
	c.get(t, "/console/orgs/"+org.ID+"/invitations").expect(t, http.StatusOK, `<h1 id="title">Invitations</h1>`)
	if err := c.db.RevokeAPIKey(c.key, key.ID); err != nil {
		t.Fatal(err)
	}
	a := c.get(t, "/console/orgs/"+org.ID+"/invitations")
	a.expect(t, http.StatusUnauthorized, `<form id="sign-in"`, "Your session has ended")
	if ck := a.sessionCookie(); ck == nil || ck.MaxAge >= 0 {
		t.Errorf("the ended session's cookie is kept: %v", ck)
	}
}

// TestConsoleOrgBoundKey signs in with a key of one organization: it goes
// straight there, and another organization does not exist for it.
func TestConsoleOrgBoundKey(t *testing.T) {
	c := newConsole(t)
	acme := c.org(t, "Acme", invited.OrgSettingsPatch{})
	globex := c.org(t, "Globex", invited.OrgSettingsPatch{})
	other, _ := c.inviteTo(t, globex, "hank@globex.test")
	_, secret := c.orgKey(t, acme.ID, invited.PermInvitationsRead, invited.PermInvitationsCreate, invited.PermInvitationsRevoke,
		invited.PermMembersRead, invited.PermMembersManage)
	c.signIn(t, secret)

	a := c.get(t, "/console")
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/console/orgs/"+acme.ID+"/invitations" {
		t.Errorf("GET /console: %d to %q", a.status, a.header.Get("Location"))
	}
	for _, path := range []string{
		"/console/orgs/" + globex.ID + "/invitations",
		"/console/orgs/" + globex.ID + "/invitations/new",
		"/console/orgs/" + globex.ID + "/members",
		"/console/invitations/" + other.ID + "/revoke",
		"/console/orgs/org_nonexistent/invitations",
		"/console/nowhere",
	} {
		c.get(t, path).expect(t, http.StatusNotFound)
	}
	c.post(t, "/console/invitations/"+other.ID+"/revoke", nil).expect(t, http.StatusNotFound)
	c.post(t, "/console/orgs/"+globex.ID+"/invitations", url.Values{"email": {"x@globex.test"}, "roles": {"member"}}).expect(t, http.StatusNotFound)
	if got := c.invitation(t, other.ID).Status; got != invited.StatusPending {
		t.Errorf("another tenant's invitation is %s", got)
	}
}

// TestConsoleForbidden signs in with a key that may read but not change:
// the changes are refused with 403 and their links are not offered.
func TestConsoleForbidden(t *testing.T) {
	c := newConsole(t)
	org := c.org(t, "Acme", invited.OrgSettingsPatch{})
	inv, _ := c.inviteTo(t, org, "ada@example.com")
	_, secret := c.orgKey(t, org.ID, invited.PermInvitationsRead)
	c.signIn(t, secret)
	a := c.get(t, "/console/orgs/"+org.ID+"/invitations")
	a.expect(t, http.StatusOK, `<tr data-id="`+inv.ID+`">`)
	a.lacks(t, `class="revoke"`, `class="resend"`, "Invite someone", "Upload a CSV")
	c.post(t, "/console/invitations/"+inv.ID+"/revoke", nil).expect(t, http.StatusForbidden, "invitations:revoke")
	c.upload(t, org.ID, "email,roles\nbob@example.com,member\n").expect(t, http.StatusForbidden)
	c.get(t, "/console/orgs/"+org.ID+"/members").expect(t, http.StatusForbidden)
}

func TestConsoleInvitationList(t *testing.T) {
	c := newConsole(t)
	org := c.org(t, "Acme", invited.OrgSettingsPatch{})
	creates := make([]invited.InvitationCreate, invited.DefaultPageSize+2)
	for i := range creates {
		creates[i] = invited.InvitationCreate{Email: fmt.Sprintf("person%02d@example.com", i), FirstName: "Person", Roles: []string{"member"}}
	}
	if _, err := c.db.CreateInvitations(c.key, org.ID, creates); err != nil {
		t.Fatal(err)
	}
	// A millisecond later, so that its id, which starts with the time,
	// sorts it first: within one millisecond ids order at random.
	c.clock.Advance(time.Millisecond)
	revoked, _ := c.inviteTo(t, org, "gone@example.com", "admin")
	if _, err := c.db.RevokeInvitation(c.key, revoked.ID); err != nil {
		t.Fatal(err)
	}
	c.signIn(t, c.adminKey)
	base := "/console/orgs/" + org.ID + "/invitations"

	a := c.get(t, base)
	a.expect(t, http.StatusOK,
		`<main id="main" tabindex="-1" class="wide">`,
		`<a href="/console/orgs/`+org.ID+`/invitations" aria-current="page">Invitations</a>`,
		`<a href="/console/orgs/`+org.ID+`/members">Members</a>`,
		`<select id="status" name="status">`, `<input id="email" name="email" type="email" value="">`, `<button id="filter-button"`,
		`<table id="invitations">`,
		`<a class="button" href="/console/orgs/`+org.ID+`/invitations/new">Invite someone</a>`,
		`<a class="button secondary" href="/console/orgs/`+org.ID+`/invitations/upload">Upload a CSV</a>`,
		`<span class="badge revoked">revoked</span>`,
		`<span class="badge pending">pending</span>`,
	)
	if n := a.count(`<tr data-id="inv_`); n != invited.DefaultPageSize {
		t.Errorf("%d rows on the first page", n)
	}
	next := regexp.MustCompile(`<a id="next-page" href="([^"]+)">`).FindStringSubmatch(a.body)
	if next == nil {
		t.Fatalf("no next page link:\n%s", a.body)
	}
	second := c.get(t, strings.ReplaceAll(next[1], "&amp;", "&"))
	second.expect(t, http.StatusOK)
	second.lacks(t, `id="next-page"`)
	if n := second.count(`<tr data-id="inv_`); n != 3 {
		t.Errorf("%d rows on the second page", n)
	}

	// Each row offers what its status allows, and the links carry the
	// invitee for screen readers.
	pending := regexp.MustCompile(`(?s)<tr data-id="(inv_\w+)">.*?</tr>`).FindAllStringSubmatch(a.body, -1)
	for _, row := range pending {
		isRevoked := row[1] == revoked.ID
		for _, action := range []string{"resend", "renew", "revoke"} {
			link := `<a class="` + action + `" href="/console/invitations/` + row[1] + `/` + action + `">`
			if strings.Contains(row[0], link) == isRevoked {
				t.Errorf("row of %s: link %s offered %v:\n%s", row[1], action, !isRevoked, row[0])
			}
		}
	}

	for _, tc := range []struct {
		name, query string
		status      int
		rows        int
		wants       []string
	}{
		{"revoked", "?status=revoked", http.StatusOK, 1,
			[]string{`<tr data-id="` + revoked.ID + `">`, `<option value="revoked" selected>`, "gone@example.com", "admin"}},
		{"email", "?email=PERSON07@example.com", http.StatusOK, 1,
			[]string{"person07@example.com", `value="PERSON07@example.com"`}},
		{"pending paged", "?status=pending", http.StatusOK, invited.DefaultPageSize,
			[]string{`<a id="next-page" href="/console/orgs/` + org.ID + `/invitations?page_token=`, `&amp;status=pending"`}},
		{"no match", "?email=nobody@example.com", http.StatusOK, 0, []string{"No invitations match the filter."}},
		{"bad status", "?status=lost", http.StatusBadRequest, 0, []string{"not a status"}},
		{"bad page token", "?page_token=forged", http.StatusBadRequest, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := c.get(t, base+tc.query)
			a.expect(t, tc.status, tc.wants...)
			if n := a.count(`<tr data-id="inv_`); n != tc.rows {
				t.Errorf("%d rows, want %d", n, tc.rows)
			}
		})
	}
}

// TestConsoleActions revokes, resends and renews through their
// confirmation pages.
func TestConsoleActions(t *testing.T) {
	c := newConsole(t)
	org := c.org(t, "Acme", invited.OrgSettingsPatch{})
	c.signIn(t, c.adminKey)
	list := "/console/orgs/" + org.ID + "/invitations"

	for _, tc := range []struct {
		action string
		form   url.Values
		wants  []string // on the confirmation page
		done   string
		notice string
		check  func(t *testing.T, before, after *invited.Invitation)
	}{
		{"revoke", nil, []string{"will be revoked", `<button id="confirm-button" class="danger">Revoke</button>`}, "revoked", "The invitation was revoked",
			func(t *testing.T, _, after *invited.Invitation) {
				if after.Status != invited.StatusRevoked {
					t.Errorf("status %s", after.Status)
				}
			}},
		{"resend", nil, []string{"A new link will be sent to ada-resend@example.com", `<button id="confirm-button">Send a new link</button>`}, "resent", "A new link was sent",
			func(t *testing.T, before, after *invited.Invitation) {
				if after.Status != invited.StatusPending || !after.SentAt.After(*before.SentAt) {
					t.Errorf("status %s, sent %v then %v", after.Status, before.SentAt, after.SentAt)
				}
			}},
		{"renew", url.Values{"expires_in": {"3d"}}, []string{`<label for="expires_in">`, "default of 7d", `<button id="confirm-button">Renew</button>`}, "renewed", "The invitation was renewed",
			func(t *testing.T, _, after *invited.Invitation) {
				if want := c.clock.Now().Add(72 * time.Hour); !after.ExpiresAt.Equal(want.Truncate(time.Millisecond)) {
					t.Errorf("expires %v, want %v", after.ExpiresAt, want)
				}
			}},
	} {
		t.Run(tc.action, func(t *testing.T) {
			before, _ := c.inviteTo(t, org, "ada-"+tc.action+"@example.com")
			c.clock.Advance(2 * time.Minute) // past the resend interval
			path := "/console/invitations/" + before.ID + "/" + tc.action
			c.get(t, path).expect(t, http.StatusOK, append(tc.wants,
				`<form id="confirm" method="post">`, `<a class="button secondary" href="`+list+`">Cancel</a>`)...)

			a := c.post(t, path, tc.form)
			if a.status != http.StatusSeeOther || a.header.Get("Location") != list+"?done="+tc.done {
				t.Fatalf("POST %s: %d to %q:\n%s", path, a.status, a.header.Get("Location"), a.body)
			}
			tc.check(t, before, c.invitation(t, before.ID))
			c.get(t, a.header.Get("Location")).expect(t, http.StatusOK, `<p class="notice" role="status">`+tc.notice)
		})
	}

	t.Run("refusals", func(t *testing.T) {
		inv, _ := c.inviteTo(t, org, "bob@example.com")
		path := "/console/invitations/" + inv.ID
		// Sent a moment ago: too soon to send again.
		c.post(t, path+"/resend", nil).expect(t, http.StatusTooManyRequests, "resent too often")
		c.post(t, path+"/renew", url.Values{"expires_in": {"forever"}}).expect(t, http.StatusBadRequest,
			`<form id="confirm"`, `<p class="field-error" id="expires_in-error">`, `value="forever"`)
		c.post(t, path+"/renew", url.Values{"expires_in": {"365d"}}).expect(t, http.StatusBadRequest, `id="expires_in-error"`)
		c.get(t, path+"/archive").expect(t, http.StatusNotFound)
		c.post(t, path+"/revoke", nil).expect(t, http.StatusSeeOther)
		c.get(t, path+"/revoke").expect(t, http.StatusConflict, "cannot revoke an invitation that is revoked")
		c.post(t, path+"/renew", nil).expect(t, http.StatusConflict)
		c.get(t, "/console/invitations/inv_nonexistent/revoke").expect(t, http.StatusNotFound)
	})

	t.Run("notices are fixed texts", func(t *testing.T) {
		a := c.get(t, list+"?done=%3Cb%3Eyou+were+hacked%3C%2Fb%3E")
		a.expect(t, http.StatusOK)
		a.lacks(t, `class="notice"`, "hacked")
	})
}

func TestConsoleCreateInvitation(t *testing.T) {
	c := newConsole(t)
	org := c.org(t, "Acme", invited.OrgSettingsPatch{DefaultRoles: &[]string{invited.RoleGuest}})
	if _, err := c.db.CreateRole(c.key, org.ID, invited.RoleCreate{Name: "billing", Permissions: []invited.Permission{invited.PermMembersRead}}); err != nil {
		t.Fatal(err)
	}
	c.signIn(t, c.adminKey)
	path := "/console/orgs/" + org.ID + "/invitations"

	c.get(t, path+"/new").expect(t, http.StatusOK,
		`<form id="invite" method="post" action="`+path+`">`,
		`<label for="email">Email address</label>`,
		`<input id="email" name="email" type="email" value="" autocomplete="off" required>`,
		`<input type="checkbox" name="roles" value="guest" checked>`, // the organization's default roles
		`<input type="checkbox" name="roles" value="member">`,
		`<input type="checkbox" name="roles" value="admin">`,
		`<input type="checkbox" name="roles" value="billing">`,
		`<textarea id="message" name="message"`,
		`<input id="expires_in" name="expires_in" type="text" value="" aria-describedby="expires_in-hint">`,
	)

	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		wants  []string
	}{
		{"bad email", url.Values{"email": {"not-an-address"}, "first_name": {"Ada <3"}, "message": {"Hi <there>"}}, http.StatusBadRequest,
			[]string{`<p class="field-error" id="email-error">not a valid email address</p>`, `aria-invalid="true"`,
				`value="not-an-address"`, `value="Ada &lt;3"`, ">\nHi &lt;there&gt;</textarea>", `<a href="#email">email</a>`}},
		{"unknown role", url.Values{"email": {"ada@example.com"}, "roles": {"member", "wizard"}}, http.StatusBadRequest,
			[]string{`unknown role &#34;wizard&#34;`, `value="member" checked`}},
		{"bad lifetime", url.Values{"email": {"ada@example.com"}, "roles": {"member"}, "expires_in": {"soon"}}, http.StatusBadRequest,
			[]string{`<p class="field-error" id="expires_in-error">write a lifetime such as 72h or 14d</p>`, `value="soon"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.post(t, path, tc.form).expect(t, tc.status, append(tc.wants, `<form id="invite"`, `role="alert"`)...)
		})
	}
	if invs, _, _ := c.db.FindInvitations(c.key, invited.InvitationFilter{OrgID: org.ID}); len(invs) != 0 {
		t.Fatalf("refused forms created %d invitations", len(invs))
	}

	form := url.Values{"email": {"Ada@Example.com"}, "first_name": {"Ada"}, "roles": {"member", "billing"}, "message": {"Welcome"}, "expires_in": {"14d"}}
	a := c.post(t, path, form)
	a.expect(t, http.StatusOK, "<h1 id=\"title\">Invitation created</h1>", "ada@example.com", "member, billing",
		`<input id="invitation-link" type="text" readonly value="http://invited.test/i/`)
	link := regexp.MustCompile(`value="http://invited.test/i/([^"]+)"`).FindStringSubmatch(a.body)
	preview, err := c.db.PreviewInvitation(context.Background(), link[1])
	if err != nil {
		t.Fatalf("the link shown does not work: %v", err)
	}
	if preview.Status != invited.StatusPending || !slices.Equal(preview.Roles, []string{"member", "billing"}) ||
		!preview.ExpiresAt.Equal(c.clock.Now().Add(14*24*time.Hour).Truncate(time.Millisecond)) {
		t.Errorf("created %+v", preview)
	}
	// The same person again: the form comes back saying why.
	c.post(t, path, form).expect(t, http.StatusConflict, `<form id="invite"`, `value="Ada@Example.com"`, "The invitation was not created.")

	// No role checked: the organization's default roles.
	c.post(t, path, url.Values{"email": {"bob@example.com"}}).expect(t, http.StatusOK, "<h1 id=\"title\">Invitation created</h1>", "bob@example.com", "guest")
}

// TestConsoleCreateRateLimit spends the organization's allowance of
// created invitations, shared with the API.
func TestConsoleCreateRateLimit(t *testing.T) {
	limit := ratelimit.NewMemory(ratelimit.Rate{N: 1, Per: time.Hour})
	c := newConsole(t, func(d *Deps) { d.CreateLimit = limit })
	org := c.org(t, "Acme", invited.OrgSettingsPatch{})
	c.signIn(t, c.adminKey)
	path := "/console/orgs/" + org.ID + "/invitations"
	c.post(t, path, url.Values{"email": {"one@example.com"}, "roles": {"member"}}).expect(t, http.StatusOK)
	a := c.post(t, path, url.Values{"email": {"two@example.com"}, "roles": {"member"}})
	a.expect(t, http.StatusTooManyRequests, "Rate limited")
	if a.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
}

// uploadCSV writes a CSV file of n good rows after the header.
func uploadCSV(n int) string {
	var b strings.Builder
	b.WriteString("email,first_name,last_name,roles\n")
	for i := range n {
		fmt.Fprintf(&b, "row%04d@example.com,Row,%d,member\n", i, i)
	}
	return b.String()
}

func TestConsoleUpload(t *testing.T) {
	c := newConsole(t)
	org := c.org(t, "Acme", invited.OrgSettingsPatch{})
	c.signIn(t, c.adminKey)

	c.get(t, "/console/orgs/"+org.ID+"/invitations/upload").expect(t, http.StatusOK,
		`<form id="upload" method="post" enctype="multipart/form-data">`,
		`<label for="csv">CSV file</label>`,
		`<input id="csv" name="csv" type="file" accept=".csv,text/csv" required>`,
		`<button id="upload-button">`, "at most 1000 rows")

	a := c.upload(t, org.ID, "\ufeffRoles ,Email,first_name\n"+
		"admin;member,ada@example.com,Ada\n"+
		"member,not-an-address,Bob\n"+
		",,\n"+
		"wizard,carol@example.com,Carol\n"+
		"\"member\",\"dan@example.com\",\"Dan, Jr.\"\n")
	a.expect(t, http.StatusOK,
		`<table id="report">`,
		`<tr data-row="2"><td>2</td><td>ada@example.com</td><td><span class="badge ok">created</span></td></tr>`,
		`<tr data-row="3"><td>3</td><td>not-an-address</td><td><span class="badge failed">email: not a valid email address</span></td></tr>`,
		`<tr data-row="5"><td>5</td><td>carol@example.com</td><td><span class="badge failed">roles: unknown role &#34;wizard&#34;</span></td></tr>`,
		`<tr data-row="6"><td>6</td><td>dan@example.com</td><td><span class="badge ok">created</span></td></tr>`,
		`<progress class="progress" value="4" max="4"`,
		`<p id="summary" role="status">2 created, 2 failed</p>`)
	a.lacks(t, `data-row="4"`, "/i/")
	for email, roles := range map[string][]string{"ada@example.com": {"admin", "member"}, "dan@example.com": {"member"}} {
		invs, _, err := c.db.FindInvitations(c.key, invited.InvitationFilter{OrgID: org.ID, Email: email})
		if err != nil || len(invs) != 1 || !slices.Equal(invs[0].Roles, roles) || invs[0].Status != invited.StatusPending {
			t.Errorf("%s: %v, %v", email, invs, err)
		}
	}

	// More rows than a chunk: a step, and a progress bar, per chunk.
	a = c.upload(t, org.ID, uploadCSV(2*uploadChunk+3))
	a.expect(t, http.StatusOK, `<p id="summary" role="status">103 created, 0 failed</p>`)
	for _, want := range []string{`value="50" max="103"`, `value="100" max="103"`, `value="103" max="103"`} {
		if a.count(want) != 1 {
			t.Errorf("no progress %s", want)
		}
	}
	if a.count("<tbody>") != 3 || a.count(`<span class="badge ok">created</span>`) != 103 {
		t.Errorf("%d steps, %d created", a.count("<tbody>"), a.count(`<span class="badge ok">created</span>`))
	}
}

// TestConsoleUploadRefused uploads files that are not right as a whole:
// the form comes back saying why, and nothing is created.
func TestConsoleUploadRefused(t *testing.T) {
	c := newConsole(t)
	org := c.org(t, "Acme", invited.OrgSettingsPatch{})
	c.signIn(t, c.adminKey)
	for _, tc := range []struct{ name, csv, want string }{
		{"empty", "", "The file is empty."},
		{"header only", "email,roles\n", "header row but no invitations"},
		{"no header", "ada@example.com,member\n", `names a column &#34;ada@example.com&#34;`},
		{"no roles column", "email,first_name\nada@example.com,Ada\n", "has no roles column"},
		{"column twice", "email,roles,email\na@example.com,member,b@example.com\n", "names the column email twice"},
		{"ragged", "email,roles\nada@example.com,member,extra\n", "not valid CSV: record on line 2: wrong number of fields"},
		{"bad quotes", "email,roles\n\"ada@example.com,member\n", "not valid CSV"},
		{"too many rows", uploadCSV(invited.MaxBatchSize + 1), "more than 1000 rows"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.upload(t, org.ID, tc.csv).expect(t, http.StatusBadRequest,
				`<form id="upload"`, `<p class="errors" id="csv-error" role="alert">`, tc.want, `aria-invalid="true"`)
		})
	}
	// Past the form limit the page says the file is too large, not that
	// the form's token is missing (it is in the part never read).
	c.upload(t, org.ID, "email,roles\n"+strings.Repeat("a", maxFormBytes)).expect(t, http.StatusBadRequest, "The form is too large")
	if invs, _, _ := c.db.FindInvitations(c.key, invited.InvitationFilter{OrgID: org.ID}); len(invs) != 0 {
		t.Errorf("refused uploads created %d invitations", len(invs))
	}
}

// TestConsoleUploadRateLimit uploads more rows than the organization's
// allowance: the rows past it are reported as rate limited.
func TestConsoleUploadRateLimit(t *testing.T) {
	limit := ratelimit.NewMemory(ratelimit.Rate{N: 2, Per: time.Hour})
	c := newConsole(t, func(d *Deps) { d.CreateLimit = limit })
	org := c.org(t, "Acme", invited.OrgSettingsPatch{})
	c.signIn(t, c.adminKey)
	a := c.upload(t, org.ID, uploadCSV(3))
	a.expect(t, http.StatusOK, `<p id="summary" role="status">2 created, 1 failed</p>`,
		`<tr data-row="4"><td>4</td><td>row0002@example.com</td><td><span class="badge failed">Rate limited: `)
	if invs, _, err := c.db.FindInvitations(c.key, invited.InvitationFilter{OrgID: org.ID}); err != nil || len(invs) != 2 {
		t.Errorf("%d invitations created, %v", len(invs), err)
	}
}

func TestConsoleMembers(t *testing.T) {
	c := newConsole(t)
	org := c.org(t, "Acme", invited.OrgSettingsPatch{})
	owner := c.member(t, org, "olga@example.com")
	bob := c.member(t, org, "bob@example.com")
	c.signIn(t, c.adminKey)
	path := "/console/orgs/" + org.ID + "/members"

	c.get(t, path).expect(t, http.StatusOK,
		`<table id="members">`,
		`<tr data-user="`+owner+`">`, `<tr data-user="`+bob+`">`,
		`<span class="badge role">owner</span>`,
		"Name of bob@example.com",
		`<a class="edit-roles" href="`+path+`/`+bob+`">Change roles`,
		`<a href="/console/orgs/`+org.ID+`/members" aria-current="page">Members</a>`)
	c.get(t, path+"/"+bob).expect(t, http.StatusOK,
		`<input type="checkbox" name="roles" value="member" checked>`,
		`<input type="checkbox" name="roles" value="admin">`,
		`<button id="save-roles">`)
	c.get(t, path+"/usr_nonexistent").expect(t, http.StatusNotFound)

	a := c.post(t, path+"/"+bob, url.Values{"roles": {"admin", "member"}})
	if a.status != http.StatusSeeOther || a.header.Get("Location") != path+"?done=roles" {
		t.Fatalf("POST: %d to %q:\n%s", a.status, a.header.Get("Location"), a.body)
	}
	c.get(t, a.header.Get("Location")).expect(t, http.StatusOK, `<p class="notice" role="status">The member&#39;s roles were saved.</p>`)

	// The last owner keeps the owner role.
	c.post(t, path+"/"+owner, url.Values{"roles": {"member"}}).expect(t, http.StatusConflict, "at least one owner")
	c.post(t, path+"/"+bob, url.Values{}).expect(t, http.StatusBadRequest, "must name at least one role")
	members, _, err := c.db.FindMembers(c.key, invited.MemberFilter{OrgID: org.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		want := map[string][]string{owner: {"member", "owner"}, bob: {"admin", "member"}}[m.UserID]
		slices.Sort(m.Roles)
		if !slices.Equal(m.Roles, want) {
			t.Errorf("%s has %v, want %v", m.UserID, m.Roles, want)
		}
	}
}

// TestConsoleJoinRequests lists the pending requests and decides them,
// with a note for the requester.
func TestConsoleJoinRequests(t *testing.T) {
	c := newConsole(t)
	org := c.org(t, "Acme", invited.OrgSettingsPatch{})
	other := c.org(t, "Other", invited.OrgSettingsPatch{})
	c.member(t, org, "olga@example.com")
	ask := func(orgID, sub string) *invited.JoinRequest {
		t.Helper()
		a, err := c.db.AuthenticateUser(context.Background(), invited.User{ExternalID: sub, Email: sub + "@example.com", EmailVerified: true, Name: "<b>" + sub + "</b>"})
		if err != nil {
			t.Fatal(err)
		}
		r, err := c.db.CreateJoinRequest(invited.NewContextWithActor(context.Background(), a), orgID, invited.JoinRequestCreate{Message: "let me in"})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	ada, bob, elsewhere := ask(org.ID, "ada"), ask(org.ID, "bob"), ask(other.ID, "cy")
	c.signIn(t, c.adminKey)
	path := "/console/orgs/" + org.ID + "/join-requests"

	c.get(t, path).expect(t, http.StatusOK,
		`<table id="join-requests">`, `<tr data-request="`+ada.ID+`">`, `<tr data-request="`+bob.ID+`">`,
		"&lt;b&gt;ada&lt;/b&gt;", "let me in",
		`action="`+path+`/`+ada.ID+`/approve"`, `formaction="`+path+`/`+bob.ID+`/deny"`,
		`<a href="`+path+`" aria-current="page">Join requests</a>`)
	// A request of another organization, and an unknown decision, are not
	// this page's.
	c.post(t, path+"/"+elsewhere.ID+"/approve", url.Values{}).expect(t, http.StatusNotFound)
	c.post(t, path+"/"+ada.ID+"/maybe", url.Values{}).expect(t, http.StatusNotFound)

	a := c.post(t, path+"/"+ada.ID+"/approve", url.Values{"note": {"Welcome!"}})
	if a.status != http.StatusSeeOther || a.header.Get("Location") != path+"?done=approved" {
		t.Fatalf("approve: %d to %q:\n%s", a.status, a.header.Get("Location"), a.body)
	}
	c.get(t, a.header.Get("Location")).expect(t, http.StatusOK, "The request was approved", `<tr data-request="`+bob.ID+`">`)
	c.post(t, path+"/"+bob.ID+"/deny", url.Values{"note": {"No"}}).expect(t, http.StatusSeeOther)
	c.post(t, path+"/"+bob.ID+"/approve", url.Values{}).expect(t, http.StatusConflict)
	c.get(t, path).expect(t, http.StatusOK, "No join requests are waiting")
	for id, want := range map[string]invited.JoinRequestStatus{ada.ID: invited.JoinRequestApproved, bob.ID: invited.JoinRequestDenied, elsewhere.ID: invited.JoinRequestPending} {
		r, err := c.db.FindJoinRequestByID(c.key, id)
		if err != nil || r.Status != want {
			t.Errorf("%s: %+v, %v; want %s", id, r, err, want)
		}
	}
}

// TestConsoleCSRF posts the console's forms without their token: each is
// refused, and nothing changes.
func TestConsoleCSRF(t *testing.T) {
	c := newConsole(t)
	org := c.org(t, "Acme", invited.OrgSettingsPatch{})
	inv, _ := c.inviteTo(t, org, "ada@example.com")
	c.signIn(t, c.adminKey)
	for _, tc := range []struct {
		path string
		form url.Values
	}{
		{"/console/invitations/" + inv.ID + "/revoke", url.Values{}},
		{"/console/orgs/" + org.ID + "/invitations", url.Values{"email": {"bob@example.com"}, "roles": {"member"}}},
		{"/console/sign-in", url.Values{"credential": {c.adminKey}}},
	} {
		c.send(t, "POST", tc.path, tc.form, nil).expect(t, http.StatusForbidden)
		c.send(t, "POST", tc.path, tc.form, map[string]string{"Sec-Fetch-Site": "cross-site"}).expect(t, http.StatusForbidden)
	}
	invs, _, err := c.db.FindInvitations(c.key, invited.InvitationFilter{OrgID: org.ID})
	if err != nil || len(invs) != 1 || invs[0].Status != invited.StatusPending {
		t.Errorf("after refused posts: %v, %v", invs, err)
	}
}

func TestReadUpload(t *testing.T) {
	for _, tc := range []struct {
		name string
		csv  string
		want []uploadRow
	}{
		{"columns in any order", "ROLES, email ,last_name\n" +
			"admin  member;;billing,ada@example.com,Lovelace\n" +
			" , ,\n" +
			"member,bob@example.com,\n",
			[]uploadRow{
				{Line: 2, Create: invited.InvitationCreate{Email: "ada@example.com", LastName: "Lovelace", Roles: []string{"admin", "member", "billing"}}},
				{Line: 4, Create: invited.InvitationCreate{Email: "bob@example.com", Roles: []string{"member"}}},
			}},
		{"quoted line breaks", "email,first_name,roles\r\n\"ada@example.com\",\"Ada\nAugusta\",member\r\nbob@example.com,Bob,member\r\n",
			[]uploadRow{
				{Line: 2, Create: invited.InvitationCreate{Email: "ada@example.com", FirstName: "Ada\nAugusta", Roles: []string{"member"}}},
				{Line: 4, Create: invited.InvitationCreate{Email: "bob@example.com", FirstName: "Bob", Roles: []string{"member"}}},
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := readUpload(i18n.English(), strings.NewReader(tc.csv))
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(rows) != fmt.Sprint(tc.want) {
				t.Errorf("rows %v, want %v", rows, tc.want)
			}
		})
	}
	// The largest file allowed, and one row more.
	if rows, err := readUpload(i18n.English(), strings.NewReader(uploadCSV(invited.MaxBatchSize))); len(rows) != invited.MaxBatchSize || err != nil {
		t.Errorf("%d rows, %v", len(rows), err)
	}
	if _, err := readUpload(i18n.English(), strings.NewReader(uploadCSV(invited.MaxBatchSize+1))); invited.ErrorCode(err) != invited.EINVALID {
		t.Errorf("too many rows: %v", err)
	}
}

// gatedInvitations holds every batch create after the first back until
// released.
type gatedInvitations struct {
	Invitations
	calls   atomic.Int32
	release chan struct{}
}

func (g *gatedInvitations) CreateInvitations(ctx context.Context, orgID string, cs []invited.InvitationCreate) ([]invited.BatchResult, error) {
	if g.calls.Add(1) > 1 {
		<-g.release
	}
	return g.Invitations.CreateInvitations(ctx, orgID, cs)
}

// TestConsoleUploadStreams holds the second step of an upload back: the
// first step's rows and progress must reach the browser meanwhile.
func TestConsoleUploadStreams(t *testing.T) {
	gate := &gatedInvitations{release: make(chan struct{})}
	c := newConsole(t, func(d *Deps) {
		gate.Invitations = d.Invitations
		d.Invitations = gate
	})
	org := c.org(t, "Acme", invited.OrgSettingsPatch{})
	c.signIn(t, c.adminKey)

	resp := c.startUpload(t, org.ID, uploadCSV(uploadChunk+1))
	defer resp.Body.Close()
	firstStep := make(chan string, 1)
	go func() {
		var seen []byte
		buf := make([]byte, 4096)
		for !bytes.Contains(seen, []byte(`value="50" max="51"`)) {
			n, err := resp.Body.Read(buf)
			seen = append(seen, buf[:n]...)
			if err != nil {
				break
			}
		}
		firstStep <- string(seen)
	}()
	select {
	case page := <-firstStep:
		if !strings.Contains(page, `<tr data-row="51">`) || strings.Contains(page, `<tr data-row="52">`) {
			t.Errorf("the first step:\n%s", page)
		}
	case <-time.After(10 * time.Second):
		close(gate.release)
		t.Fatal("the first step did not reach the browser before the second began")
	}
	close(gate.release)
	rest, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(rest), `<p id="summary" role="status">51 created, 0 failed</p>`) {
		t.Errorf("the rest of the page:\n%s", rest)
	}
}

// TestConsoleLocale: the console speaks the organization's default_locale
// on its pages, else the browser's language, else English; the pages
// about no organization the browser's; and the messages written in Go
// (a notice, a form's problem, a CSV's) come from the same catalog.
func TestConsoleLocale(t *testing.T) {
	c := newConsole(t)
	de := c.org(t, "Acme", invited.OrgSettingsPatch{DefaultLocale: new("de")})
	plain := c.org(t, "Globex", invited.OrgSettingsPatch{})
	inv, _ := c.inviteTo(t, de, "ann@acme.test")
	c.signIn(t, c.adminKey)
	german, english := i18n.Choose("de"), i18n.English()
	for _, tc := range []struct {
		name, path, accept string
		want               *i18n.Locale
	}{
		{"the organization's over the browser's", "/console/orgs/" + de.ID + "/invitations", "ja", german},
		{"the organization's form", "/console/orgs/" + de.ID + "/invitations/new", "", german},
		{"the organization's confirmation", "/console/invitations/" + inv.ID + "/revoke", "fr", german},
		{"the browser's without an organization default", "/console/orgs/" + plain.ID + "/members", "ja", i18n.Choose("ja")},
		{"the browser's above the organizations", "/console/sessions", "ar", i18n.Choose("ar")},
		{"English when nothing else", "/console/orgs/" + plain.ID + "/invitations", "ko", english},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := c.send(t, "GET", tc.path, nil, map[string]string{"Accept-Language": tc.accept})
			a.expect(t, http.StatusOK, fmt.Sprintf(`<html lang="%s" dir="%s">`, tc.want.Name(), tc.want.Dir()),
				string(tc.want.HTML("console.nav.sessions")), string(tc.want.HTML("console.sign_out")))
			if tc.want != english {
				a.lacks(t, ">Sessions<", ">Sign out<", "Invite someone", ">Cancel<")
			}
		})
	}

	list := "/console/orgs/" + de.ID + "/invitations"
	c.post(t, "/console/invitations/"+inv.ID+"/renew", url.Values{"expires_in": {"forever"}}).
		expect(t, http.StatusBadRequest, german.T("field.duration_format"), "Neue Gültigkeitsdauer (optional)")
	// The service's field problems, by their codes: beside the invite
	// form's fields (a count in its plural form, data as an argument,
	// escaped), and in an upload's report.
	long := strings.Repeat("x", invited.MaxNameRunes+1)
	a := c.post(t, list, url.Values{"email": {"not-an-address"}, "first_name": {long}, "roles": {"wizard"}})
	a.expect(t, http.StatusBadRequest, `<html lang="de"`,
		`<p class="field-error" id="email-error">keine gültige E-Mail-Adresse</p>`,
		`<p class="field-error" id="first_name-error">`+german.N("field.too_long", invited.MaxNameRunes)+`</p>`,
		`unbekannte Rolle &#34;wizard&#34;`)
	a.lacks(t, "not a valid email address", "at most", "unknown role")
	a = c.upload(t, de.ID, "email,roles\nnot-an-address,member\ncarol@example.com,wizard\n")
	a.expect(t, http.StatusOK, `<html lang="de"`,
		`<span class="badge failed">email: keine gültige E-Mail-Adresse</span>`,
		`<span class="badge failed">roles: unbekannte Rolle &#34;wizard&#34;</span>`)
	a.lacks(t, "not a valid email address", "unknown role")
	// The service's refusal of an invitee invited already, on the form
	// and in an upload's report, in the console's words.
	dora := url.Values{"email": {"dora@example.com"}, "roles": {"member"}}
	c.post(t, list, dora).expect(t, http.StatusOK)
	c.post(t, list, dora).expect(t, http.StatusConflict, german.T("console.problem.invitation_exists"))
	a = c.upload(t, de.ID, "email,roles\ndora@example.com,member\n")
	a.expect(t, http.StatusOK, german.T("console.problem.invitation_exists"))
	a.lacks(t, "an open invitation")
	c.post(t, "/console/invitations/"+inv.ID+"/revoke", nil).expect(t, http.StatusSeeOther)
	c.get(t, list+"?done=revoked").expect(t, http.StatusOK, german.T("console.notice.revoked"), ">widerrufen<")
	// The service's refusal is English; the page says its code's message.
	a = c.get(t, "/console/invitations/"+inv.ID+"/revoke")
	a.expect(t, http.StatusConflict, `<html lang="de"`, german.T("error.code.invalid_state"))
	a.lacks(t, "cannot revoke")
	c.upload(t, de.ID, "email,roles,shoe_size\n").expect(t, http.StatusBadRequest, "Die Kopfzeile nennt eine Spalte")
	c.send(t, "GET", "/console/nowhere", nil, map[string]string{"Accept-Language": "de"}).
		expect(t, http.StatusNotFound, german.T("console.not_found"))
}
