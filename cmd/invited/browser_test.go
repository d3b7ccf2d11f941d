package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	_ "modernc.org/sqlite" // database/sql driver "sqlite", for the test's own write into the database

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
	"github.com/invitedhq/invited/internal/testutil/browser"
)

// The browser tests drive the hosted pages (DESIGN.md §5) in headless
// Chromium, end to end: the real `serve`, the real pages, and a stub of
// the host application that receives the invitee afterwards. Each saves a
// screenshot of every page it sees (internal/testutil/browser).

const browserAdminKey = "test-admin-key-0123456789"

// browserServe starts `invited serve` for a browser test, with the
// variables of extra besides its own, and returns it with the path of its
// SQLite database.
func browserServe(t *testing.T, extra ...map[string]string) (*instance, string) {
	t.Helper()
	dbPath := filepath.Join(t.TempDir(), "invited.db")
	env := map[string]string{
		"INVITED_DATABASE_URL":  "sqlite:" + dbPath,
		"INVITED_ADMIN_API_KEY": browserAdminKey,
		// A test makes many invitations and opens many links from one
		// address in moments.
		"INVITED_RATE_LIMIT_CREATE": "off",
		"INVITED_RATE_LIMIT_PUBLIC": "off",
	}
	for _, e := range extra {
		maps.Copy(env, e)
	}
	srv := startServe(t, env)
	// What the browser saw is in the screenshots; why the server did it
	// is in its log.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", srv.Stderr)
		}
	})
	return srv, dbPath
}

// adminClient is the client of a browser test's service with its admin
// key.
func adminClient(t *testing.T, srv *instance) *client.Client {
	return newClient(t, srv.URL, client.WithAPIKey(browserAdminKey))
}

// newOrg creates an organization with settings and returns its id.
func newOrg(t *testing.T, srv *instance, name string, settings *invited.OrgSettingsPatch) string {
	t.Helper()
	org, err := adminClient(t, srv).CreateOrganization(t.Context(), invited.OrganizationCreate{Name: name, Settings: settings})
	if err != nil {
		t.Fatalf("create org %s: %v", name, err)
	}
	return org.ID
}

// invite creates an invitation in org, acting as actingUser unless that
// is empty, and returns it with its link.
func invite(t *testing.T, srv *instance, orgID, actingUser string, in invited.InvitationCreate) *client.InvitationWithURL {
	t.Helper()
	inv, err := adminClient(t, srv).With(client.WithActingUser(actingUser)).CreateInvitation(t.Context(), orgID, in)
	if err != nil {
		t.Fatalf("create invitation %+v: %v", in, err)
	}
	return inv
}

// acceptByAPI accepts inv through the API as a host application would for
// a signed-in user, and returns the user's id.
func acceptByAPI(t *testing.T, srv *instance, inv *client.InvitationWithURL, name string) string {
	t.Helper()
	acc, err := adminClient(t, srv).AcceptInvitation(t.Context(), tokenOf(inv.URL),
		&invited.Acceptor{ExternalID: "ext-" + inv.Email, Email: inv.Email, Name: name})
	if err != nil {
		t.Fatalf("accept %s: %v", inv.Email, err)
	}
	return acc.Membership.UserID
}

// newOwner makes a first member of org, who becomes its owner, and
// returns the user id: invitations made acting as this user have an
// inviter with a name to show.
func newOwner(t *testing.T, srv *instance, orgID, name, email string) string {
	t.Helper()
	inv := invite(t, srv, orgID, "", invited.InvitationCreate{Email: email, Roles: []string{"admin"}})
	return acceptByAPI(t, srv, inv, name)
}

// acmeRobotics creates the organization Acme, shown as Acme Robotics in
// the accent colour #0f766e, that sends people to host, with an owner,
// Olivia Owner; it returns the organization's id and the owner's.
func acmeRobotics(t *testing.T, srv *instance, host *hostApp) (org, owner string) {
	t.Helper()
	org = newOrg(t, srv, "Acme", &invited.OrgSettingsPatch{
		AllowedRedirectOrigins: new([]string{host.URL}),
		DisplayName:            new("Acme Robotics"),
		AccentColor:            new("#0f766e"),
	})
	return org, newOwner(t, srv, org, "Olivia Owner", "olivia@example.com")
}

// open navigates the tab to url, saves a screenshot as name, and returns
// the text of the page's main element.
func open(t *testing.T, ctx context.Context, url, name string) string {
	t.Helper()
	browser.Do(t, ctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("main")))
	browser.Screenshot(t, ctx, name)
	return browser.Run(t, ctx, chromedp.Text(chromedp.CSS("main")))
}

// mustContain fails the test for each want that text lacks.
func mustContain(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(text, want) {
			t.Errorf("%s lacks %q:\n%s", what, want, text)
		}
	}
}

// header returns a response header the browser received, whatever the
// case of its name.
func header(h map[string]any, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			s, _ := v.(string)
			return s
		}
	}
	return ""
}

// TestBrowserAcceptFlow follows an invitee from the link in their email
// to the host application: the branded landing page, accept, and the
// redirect with a ticket that the host app verifies and redeems.
func TestBrowserAcceptFlow(t *testing.T) {
	srv, _ := browserServe(t)
	host := newHostApp(t, srv.URL, browserAdminKey)
	org, owner := acmeRobotics(t, srv, host)
	inv := invite(t, srv, org, owner, invited.InvitationCreate{
		Email: "ann@example.com", Roles: []string{"member"},
		FirstName: "Ann", LastName: "Example", RedirectURL: host.URL + "/welcome",
	})

	ctx := browser.Start(t)
	resp := browser.Run(t, ctx, chromedp.NavigateResponse(inv.URL))
	browser.Do(t, ctx, chromedp.WaitVisible(chromedp.CSS("form#accept")))
	browser.Screenshot(t, ctx, "landing")
	checkLinkPage(t, "landing page", resp)

	if name := browser.Run(t, ctx, chromedp.Value(chromedp.CSS("input#name"))); name != "Ann Example" {
		t.Errorf("name field prefilled with %q, want the invitation's first and last name", name)
	}
	mustContain(t, "landing page", browser.Run(t, ctx, chromedp.Text(chromedp.CSS("main"))),
		"Acme Robotics", "Olivia Owner", "member")
	checkAccent(t, ctx, "button#accept-button")

	browser.Do(t, ctx,
		chromedp.Clear(chromedp.CSS("input#name")),
		chromedp.SendKeys(chromedp.CSS("input#name"), "Ann E. Example"),
		chromedp.Click(chromedp.CSS("button#accept-button")),
		chromedp.WaitVisible(chromedp.CSS("h1#welcome, h1#rejected")),
	)
	browser.Screenshot(t, ctx, "host-app")
	if got := browser.Run(t, ctx, chromedp.Text(chromedp.CSS("h1"))); got != "Welcome, Ann E. Example" {
		t.Fatalf("host app says %q", got)
	}
	mustContain(t, "host app page", browser.Run(t, ctx, chromedp.Text(chromedp.CSS("body"))), "ann@example.com")

	visit := host.lastVisit(t)
	if visit.Referer != "" {
		t.Errorf("the host app was sent Referer %q", visit.Referer)
	}
	c := visit.Claims
	if c.Subject == "" || c.Email != "ann@example.com" || !c.EmailVerified || c.OrgID != org ||
		c.InvitationID != inv.ID || !slices.Contains(c.Roles, "member") || len(c.Audience) != 0 {
		t.Errorf("ticket claims %+v", c)
	}

	// The host app redeemed the ticket; a replay of it is refused.
	admin := adminClient(t, srv)
	if again, err := admin.RedeemAcceptanceTicket(t.Context(), visit.Ticket); !is(err, http.StatusConflict, invited.ETICKETREDEEMED) {
		t.Errorf("second redeem: %+v %v", again, err)
	}

	members, err := admin.ListMembers(t.Context(), invited.MemberFilter{OrgID: org})
	if err != nil {
		t.Fatalf("members: %v", err)
	}
	var ann *invited.Member
	for _, m := range members.Members {
		if m.User.Email == "ann@example.com" {
			ann = m
		}
	}
	if ann == nil {
		t.Fatalf("ann@example.com is not a member: %+v", members)
	}
	if u := ann.User; !u.EmailVerified || u.ID != c.Subject || u.Name != "Ann E. Example" {
		t.Errorf("member user %+v, want email verified, id the ticket's sub, the name typed", u)
	}

	// The acceptance on the hosted page is counted as the API's are: the
	// metrics say as many accepts as the database holds.
	accepted, err := admin.ListInvitations(t.Context(), invited.InvitationFilter{Status: invited.StatusAccepted})
	if err != nil {
		t.Fatal(err)
	}
	scraped, err := admin.Metrics(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf(`invited_invitation_transitions_total{action="accepted"} %d`, len(accepted.Invitations)); !strings.Contains(string(scraped), want) {
		t.Errorf("/metrics lacks %s (%d accepted invitations in the database)", want, len(accepted.Invitations))
	}
}

// checkLinkPage checks the answer resp of a page whose URL holds a link's
// secret: 200, a Referrer-Policy that keeps the secret from travelling on
// as a Referer, and a Content-Security-Policy under which nothing but the
// service's own files may run.
func checkLinkPage(t *testing.T, what string, resp *network.Response) {
	t.Helper()
	if resp.Status != http.StatusOK {
		t.Errorf("%s status %d", what, resp.Status)
	}
	if got := header(resp.Headers, "Referrer-Policy"); got != "no-referrer" {
		t.Errorf("%s Referrer-Policy %q, want no-referrer", what, got)
	}
	if csp := header(resp.Headers, "Content-Security-Policy"); csp == "" || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("%s Content-Security-Policy %q: want one, without 'unsafe-inline'", what, csp)
	}
}

// checkAccent checks that the button sel has the background of Acme's
// accent colour, #0f766e, as the organization's buttons do.
func checkAccent(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	if bg := computedStyle(t, ctx, sel, "background-color"); bg != "rgb(15, 118, 110)" {
		t.Errorf("%s background %s, want the accent colour #0f766e", sel, bg)
	}
}

// computedStyle returns the computed value of a CSS property of the first
// element sel matches.
func computedStyle(t *testing.T, ctx context.Context, sel, property string) string {
	t.Helper()
	for _, p := range browser.Run(t, ctx, chromedp.ComputedStyle(chromedp.CSS(sel))) {
		if p.Name == property {
			return p.Value
		}
	}
	return ""
}

// TestBrowserDeadLinks opens links that no longer work: each page says
// why, instead of showing a bare error.
func TestBrowserDeadLinks(t *testing.T) {
	srv, dbPath := browserServe(t)
	org := newOrg(t, srv, "Globex", &invited.OrgSettingsPatch{Contact: new("help@globex.example")})
	owner := newOwner(t, srv, org, "Olivia Owner", "olivia@example.com")
	// Truncated to the minute: the page shows the time to the minute, in
	// UTC (the templates' date).
	expiredAt := time.Now().Add(-26 * time.Hour).UTC().Truncate(time.Minute)

	tests := []struct {
		name   string
		link   func(t *testing.T, inv *client.InvitationWithURL) string // turns a pending invitation into a dead link
		status string
		h1     string
		says   []string
	}{{
		name: "expired",
		link: func(t *testing.T, inv *client.InvitationWithURL) string {
			setExpiresAt(t, dbPath, inv.ID, expiredAt)
			return inv.URL
		},
		status: "expired",
		h1:     "This invitation expired on " + expiredAt.Format("2 January 2006, 15:04 UTC"),
		says:   []string{"Ask Olivia Owner at Globex for a new one.", "help@globex.example"},
	}, {
		name: "revoked",
		link: func(t *testing.T, inv *client.InvitationWithURL) string {
			if _, err := adminClient(t, srv).RevokeInvitation(t.Context(), inv.ID); err != nil {
				t.Fatalf("revoke: %v", err)
			}
			return inv.URL
		},
		status: "revoked",
		h1:     "This invitation is no longer valid",
	}, {
		// An unknown token reads as revoked: the page must not tell
		// whether a guessed link ever existed.
		name: "unknown",
		link: func(t *testing.T, inv *client.InvitationWithURL) string {
			return srv.URL + "/i/" + invited.NewSecret("")
		},
		status: "revoked",
		h1:     "This invitation is no longer valid",
	}, {
		name: "accepted",
		link: func(t *testing.T, inv *client.InvitationWithURL) string {
			acceptByAPI(t, srv, inv, "Ann Example")
			return inv.URL
		},
		status: "accepted",
		h1:     "This invitation was already accepted",
	}, {
		name: "declined",
		link: func(t *testing.T, inv *client.InvitationWithURL) string {
			if _, err := newClient(t, srv.URL).DeclineInvitation(t.Context(), tokenOf(inv.URL)); err != nil {
				t.Fatalf("decline: %v", err)
			}
			return inv.URL
		},
		status: "declined",
		h1:     "This invitation was declined",
	}}

	ctx := browser.Start(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := invite(t, srv, org, owner, invited.InvitationCreate{Email: tt.name + "@example.com", Roles: []string{"member"}})
			text := open(t, ctx, tt.link(t, inv), "page")
			if got := browser.Run(t, ctx, chromedp.AttributeValue(chromedp.CSS("section#status"), "data-status")); got.Value != tt.status {
				t.Errorf("section#status data-status %q, want %q", got.Value, tt.status)
			}
			if h1 := browser.Run(t, ctx, chromedp.Text(chromedp.CSS("section#status h1"))); !strings.HasPrefix(h1, tt.h1) {
				t.Errorf("heading %q, want %q…", h1, tt.h1)
			}
			mustContain(t, "page", text, tt.says...)
			if len(browser.Run(t, ctx, chromedp.Nodes(chromedp.CSSAll("form#accept"), chromedp.AtLeast(0)))) > 0 {
				t.Error("a dead link offers the accept form")
			}
		})
	}
}

// setExpiresAt moves an invitation's expiry, straight in the database of
// the running server: the API refuses lifetimes under a minute, and the
// test should not wait one out. An invitation past its expires_at reads as
// expired at once (DESIGN.md §2), sweeper or not.
func setExpiresAt(t *testing.T, dbPath, id string, at time.Time) {
	t.Helper()
	db, err := sql.Open("sqlite", dbPath+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Times are stored as Unix milliseconds (internal/sqlstore/sql.go).
	res, err := db.Exec(`UPDATE invitations SET expires_at = ? WHERE id = ?`, at.UnixMilli(), id)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		t.Fatalf("expire %s: %d rows, %v", id, n, err)
	}
}

// TestBrowserConsoleBulkUpload signs in to the console with an
// organization's API key, invites people from a CSV file with one bad row,
// and revokes one of the invitations.
func TestBrowserConsoleBulkUpload(t *testing.T) {
	srv, _ := browserServe(t)
	org := newOrg(t, srv, "Initech", nil)
	newOwner(t, srv, org, "Olivia Owner", "olivia@example.com")
	invite(t, srv, org, "", invited.InvitationCreate{Email: "zoe@example.com", Roles: []string{"member"}, FirstName: "Zoe"})
	admin := adminClient(t, srv)
	key, err := admin.CreateAPIKey(t.Context(), invited.APIKeyCreate{
		Name: "console", OrgID: org,
		Permissions: []invited.Permission{invited.PermOrgManage, invited.PermInvitationsCreate, invited.PermInvitationsRead,
			invited.PermInvitationsRevoke, invited.PermMembersRead},
	})
	if err != nil {
		t.Fatalf("create org key: %v", err)
	}
	invitations := srv.URL + "/console/orgs/" + org + "/invitations"

	ctx := browser.Start(t)
	open(t, ctx, srv.URL+"/console", "sign-in")
	browser.Do(t, ctx,
		chromedp.SendKeys(chromedp.CSS("input#credential"), key.Secret),
		chromedp.Click(chromedp.CSS("button#sign-in-button")),
		chromedp.WaitVisible(chromedp.CSS("table#invitations")),
	)
	browser.Screenshot(t, ctx, "invitations")
	if at := browser.Run(t, ctx, chromedp.Location()); at != invitations {
		t.Errorf("signed in with a key of one organization at %s, want %s", at, invitations)
	}

	csv := filepath.Join(t.TempDir(), "invitees.csv")
	if err := os.WriteFile(csv, []byte("email,first_name,last_name,roles\n"+
		"bob@example.com,Bob,Builder,member\n"+
		"carol@example.com,Carol,Clark,member\n"+
		"not-an-email,Dan,Dare,member\n"+
		"erin@example.com,Erin,Eagle,member\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	open(t, ctx, invitations+"/upload", "upload")
	browser.Do(t, ctx,
		chromedp.SetUploadFiles(chromedp.CSS("input#csv"), []string{csv}),
		chromedp.Click(chromedp.CSS("button#upload-button")),
		chromedp.WaitVisible(chromedp.CSS("p#summary")),
	)
	browser.Screenshot(t, ctx, "report")
	if got := browser.Run(t, ctx, chromedp.Text(chromedp.CSS("p#summary"))); !strings.Contains(got, "3 created, 1 failed") {
		t.Errorf("summary %q, want 3 created, 1 failed", got)
	}
	if rows := browser.Run(t, ctx, chromedp.Nodes(chromedp.CSSAll("table#report tr[data-row] span.badge.ok"), chromedp.AtLeast(0))); len(rows) != 3 {
		t.Errorf("%d rows marked ok, want 3", len(rows))
	}
	failed := browser.Run(t, ctx, chromedp.Text(chromedp.CSS("table#report tr[data-row]:has(span.badge.failed)")))
	mustContain(t, "the failed row", failed, "not-an-email")

	// Revoke Carol's invitation from the list.
	list, err := admin.ListInvitations(t.Context(), invited.InvitationFilter{OrgID: org, Email: "carol@example.com"})
	if err != nil || len(list.Invitations) != 1 {
		t.Fatalf("find the uploaded invitation: %v %+v", err, list)
	}
	carol := list.Invitations[0].ID
	open(t, ctx, invitations, "before-revoke")
	browser.Do(t, ctx,
		chromedp.Click(chromedp.CSS(`tr[data-id="`+carol+`"] a.revoke`)),
		chromedp.WaitVisible(chromedp.CSS("form#confirm")),
	)
	browser.Screenshot(t, ctx, "confirm-revoke")
	browser.Do(t, ctx,
		chromedp.Click(chromedp.CSS("button#confirm-button")),
		chromedp.WaitVisible(chromedp.CSS("p.notice")),
	)
	browser.Screenshot(t, ctx, "revoked")
	if notice := browser.Run(t, ctx, chromedp.Text(chromedp.CSS("p.notice"))); !strings.Contains(strings.ToLower(notice), "revoked") {
		t.Errorf("notice %q does not say the invitation was revoked", notice)
	}
	if len(browser.Run(t, ctx, chromedp.Nodes(chromedp.CSSAll(`tr[data-id="`+carol+`"] span.badge.revoked`), chromedp.AtLeast(0)))) != 1 {
		t.Error("the list does not show the invitation revoked")
	}
	if inv, err := admin.GetInvitation(t.Context(), carol); err != nil || inv.Status != invited.StatusRevoked {
		t.Errorf("after revoking in the console the API shows %+v %v", inv, err)
	}

	mustContain(t, "members page", open(t, ctx, srv.URL+"/console/orgs/"+org+"/members", "members"), "Olivia Owner")
	browser.Do(t, ctx, chromedp.WaitVisible(chromedp.CSS("table#members")))

	// The sessions page lists this browser's session; ending it signs out.
	mustContain(t, "sessions page", open(t, ctx, srv.URL+"/console/sessions", "sessions"), "this browser")
	browser.Do(t, ctx, chromedp.Click(chromedp.CSS("table#sessions button.end-session")), chromedp.WaitVisible(chromedp.CSS("form#sign-in")))
	browser.Screenshot(t, ctx, "session-ended")
}

// hostApp stands in for the application an invitee signs into. Its
// /welcome page takes the acceptance ticket the hosted page redirects
// with, checks it against invited's JWKS as any host app would, redeems
// it, and greets the user, or says why it rejected the ticket, so that a
// failing test shows the cause.
type hostApp struct {
	URL     string
	invited string         // the service's URL, the tickets' issuer
	api     *client.Client // with the host app's API key

	mu     sync.Mutex
	visits []hostVisit
}

// hostVisit is what the host app saw of one request to /welcome.
type hostVisit struct {
	Ticket  string
	Referer string
	Claims  ticketClaims // of a ticket that verified and was redeemed
	Err     error
}

// ticketClaims are an acceptance ticket's claims.
type ticketClaims struct {
	jwt.Claims
	Email         string   `json:"email"`
	EmailVerified bool     `json:"email_verified"`
	Name          string   `json:"name"`
	OrgID         string   `json:"org_id"`
	Roles         []string `json:"roles"`
	InvitationID  string   `json:"invitation_id"`
	JoinLinkID    string   `json:"join_link_id"`
}

func newHostApp(t *testing.T, invitedURL, apiKey string) *hostApp {
	h := &hostApp{invited: invitedURL, api: newClient(t, invitedURL, client.WithAPIKey(apiKey))}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /welcome", h.welcome)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	h.URL = srv.URL
	return h
}

var welcomePage = template.Must(template.New("").Parse(`<!DOCTYPE html>
<html lang="en"><title>Host app</title>
{{- if .Err}}
<h1 id="rejected">Ticket rejected: {{.Err}}</h1>
{{- else}}
<h1 id="welcome">Welcome, {{.Claims.Name}}</h1>
<p>Signed in as <span id="email">{{.Claims.Email}}</span> with ticket <code id="ticket-id">{{.Claims.ID}}</code>.</p>
{{- end}}
</html>`))

func (h *hostApp) welcome(w http.ResponseWriter, r *http.Request) {
	v := hostVisit{Ticket: r.URL.Query().Get("ticket"), Referer: r.Referer()}
	v.Claims, v.Err = h.verify(r.Context(), v.Ticket)
	if v.Err == nil {
		v.Err = h.redeem(r.Context(), v.Ticket, v.Claims.ID)
	}
	h.mu.Lock()
	h.visits = append(h.visits, v)
	h.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	welcomePage.Execute(w, v)
}

// verify checks the ticket's signature against the JWKS of the service
// and its registered claims.
func (h *hostApp) verify(ctx context.Context, raw string) (ticketClaims, error) {
	var c ticketClaims
	if raw == "" {
		return c, errors.New("no ticket in the URL")
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return c, fmt.Errorf("not an ES256 JWT: %w", err)
	}
	set, err := h.api.GetJWKS(ctx)
	if err != nil {
		return c, fmt.Errorf("JWKS: %w", err)
	}
	// go-jose reads the key set as the service sent it.
	data, err := json.Marshal(set)
	if err != nil {
		return c, err
	}
	var jwks jose.JSONWebKeySet
	if err := json.Unmarshal(data, &jwks); err != nil {
		return c, fmt.Errorf("JWKS: %w", err)
	}
	kid := tok.Headers[0].KeyID
	keys := jwks.Key(kid)
	if len(keys) != 1 {
		return c, fmt.Errorf("the JWKS has %d keys with the ticket's kid %q", len(keys), kid)
	}
	if err := tok.Claims(keys[0].Key, &c); err != nil {
		return c, fmt.Errorf("signature: %w", err)
	}
	if c.Expiry == nil || c.NotBefore == nil || c.IssuedAt == nil || c.ID == "" || c.Subject == "" {
		return c, fmt.Errorf("claims lack exp, nbf, iat, jti or sub: %+v", c.Claims)
	}
	if err := c.Validate(jwt.Expected{Issuer: h.invited, Time: time.Now()}); err != nil {
		return c, err
	}
	if life := c.Expiry.Time().Sub(c.IssuedAt.Time()); life > invited.TicketTTL {
		return c, fmt.Errorf("ticket valid for %v, more than %v", life, invited.TicketTTL)
	}
	return c, nil
}

// redeem spends the ticket, as a host app must before it trusts it: a
// ticket that travelled in a URL may have been seen by others.
func (h *hostApp) redeem(ctx context.Context, raw, id string) error {
	redeemed, err := h.api.RedeemAcceptanceTicket(ctx, raw)
	if err != nil {
		return fmt.Errorf("redeem: %w", err)
	}
	if redeemed.ID != id {
		return fmt.Errorf("redeemed ticket %q, want the jti %q", redeemed.ID, id)
	}
	return nil
}

// lastVisit returns the host app's last /welcome request.
func (h *hostApp) lastVisit(t *testing.T) hostVisit {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.visits) == 0 {
		t.Fatal("the host app was never visited")
	}
	v := h.visits[len(h.visits)-1]
	if v.Err != nil {
		t.Fatalf("the host app rejected the ticket: %v", v.Err)
	}
	return v
}
