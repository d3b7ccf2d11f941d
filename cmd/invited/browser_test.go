package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	_ "modernc.org/sqlite" // database/sql driver "sqlite", for the test's own write into the database

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/testutil/browser"
)

// The browser tests drive the hosted pages (DESIGN.md §5) in headless
// Chromium, end to end: the real `serve`, the real pages, and a stub of
// the host application that receives the invitee afterwards. Each saves a
// screenshot of every page it sees (internal/testutil/browser).

const browserAdminKey = "test-admin-key-0123456789"

// browserServe starts `invited serve` for a browser test and returns it
// with the path of its SQLite database.
func browserServe(t *testing.T) (*instance, string) {
	t.Helper()
	dbPath := filepath.Join(t.TempDir(), "invited.db")
	srv := startServe(t, map[string]string{
		"INVITED_DATABASE_URL":  "sqlite:" + dbPath,
		"INVITED_ADMIN_API_KEY": browserAdminKey,
		// A test makes many invitations and opens many links from one
		// address in moments.
		"INVITED_RATE_LIMIT_CREATE": "off",
		"INVITED_RATE_LIMIT_PUBLIC": "off",
	})
	// What the browser saw is in the screenshots; why the server did it
	// is in its log.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", srv.Stderr)
		}
	})
	return srv, dbPath
}

// newOrg creates an organization with settings and returns its id.
func newOrg(t *testing.T, srv *instance, name string, settings map[string]any) string {
	t.Helper()
	code, org := call(t, "POST", srv.URL+"/v1/orgs", browserAdminKey, map[string]any{"name": name, "settings": settings})
	if code != http.StatusCreated {
		t.Fatalf("create org %s: %d %v", name, code, org)
	}
	return org["id"].(string)
}

// invite creates an invitation in org, acting as actingUser unless that
// is empty, and returns it with its link in "url".
func invite(t *testing.T, srv *instance, orgID, actingUser string, body map[string]any) map[string]any {
	t.Helper()
	var headers []string
	if actingUser != "" {
		headers = []string{"Invited-Acting-User", actingUser}
	}
	code, inv := call(t, "POST", srv.URL+"/v1/orgs/"+orgID+"/invitations", browserAdminKey, body, headers...)
	if code != http.StatusCreated {
		t.Fatalf("create invitation %v: %d %v", body, code, inv)
	}
	return inv
}

// tokenOf returns the secret token of an invitation's link.
func tokenOf(inv map[string]any) string {
	link := inv["url"].(string)
	return link[strings.LastIndex(link, "/")+1:]
}

// acceptByAPI accepts inv through the API as a host application would for
// a signed-in user, and returns the user's id.
func acceptByAPI(t *testing.T, srv *instance, inv map[string]any, name string) string {
	t.Helper()
	user := map[string]any{"external_id": "ext-" + inv["email"].(string), "email": inv["email"], "name": name}
	code, acc := call(t, "POST", srv.URL+"/v1/invitation-tokens/"+tokenOf(inv)+"/accept", browserAdminKey, map[string]any{"user": user})
	if code != http.StatusOK {
		t.Fatalf("accept %s: %d %v", inv["email"], code, acc)
	}
	return acc["membership"].(map[string]any)["user_id"].(string)
}

// newOwner makes a first member of org, who becomes its owner, and
// returns the user id: invitations made acting as this user have an
// inviter with a name to show.
func newOwner(t *testing.T, srv *instance, orgID, name, email string) string {
	t.Helper()
	inv := invite(t, srv, orgID, "", map[string]any{"email": email, "roles": []string{"admin"}})
	return acceptByAPI(t, srv, inv, name)
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
	org := newOrg(t, srv, "Acme", map[string]any{
		"allowed_redirect_origins": []string{host.URL},
		"display_name":             "Acme Robotics",
		"accent_color":             "#0f766e",
	})
	owner := newOwner(t, srv, org, "Olivia Owner", "olivia@example.com")
	inv := invite(t, srv, org, owner, map[string]any{
		"email": "ann@example.com", "roles": []string{"member"},
		"first_name": "Ann", "last_name": "Example", "redirect_url": host.URL + "/welcome",
	})

	ctx := browser.Start(t)
	resp := browser.Run(t, ctx, chromedp.NavigateResponse(inv["url"].(string)))
	browser.Do(t, ctx, chromedp.WaitVisible(chromedp.CSS("form#accept")))
	browser.Screenshot(t, ctx, "landing")
	if resp.Status != http.StatusOK {
		t.Errorf("landing page status %d", resp.Status)
	}
	// The page's URL holds the token: it must not travel on as a Referer,
	// and nothing but the service's own files may run on it.
	if got := header(resp.Headers, "Referrer-Policy"); got != "no-referrer" {
		t.Errorf("Referrer-Policy %q, want no-referrer", got)
	}
	if csp := header(resp.Headers, "Content-Security-Policy"); csp == "" || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("Content-Security-Policy %q: want one, without 'unsafe-inline'", csp)
	}

	if name := browser.Run(t, ctx, chromedp.Value(chromedp.CSS("input#name"))); name != "Ann Example" {
		t.Errorf("name field prefilled with %q, want the invitation's first and last name", name)
	}
	mustContain(t, "landing page", browser.Run(t, ctx, chromedp.Text(chromedp.CSS("main"))),
		"Acme Robotics", "Olivia Owner", "member")
	// The organization's accent colour is the background of its buttons.
	if bg := computedStyle(t, ctx, "button#accept-button", "background-color"); bg != "rgb(15, 118, 110)" {
		t.Errorf("accept button background %s, want the accent colour #0f766e", bg)
	}

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
		c.InvitationID != inv["id"] || !slices.Contains(c.Roles, "member") || len(c.Audience) != 0 {
		t.Errorf("ticket claims %+v", c)
	}

	// The host app redeemed the ticket; a replay of it is refused.
	code, again := call(t, "POST", srv.URL+"/v1/acceptance-tickets/redeem", browserAdminKey, map[string]any{"ticket": visit.Ticket})
	if code != http.StatusConflict || errorCode(again) != "ticket_already_redeemed" {
		t.Errorf("second redeem: %d %v", code, again)
	}

	code, members := call(t, "GET", srv.URL+"/v1/orgs/"+org+"/members", browserAdminKey, nil)
	if code != http.StatusOK {
		t.Fatalf("members: %d %v", code, members)
	}
	var ann map[string]any
	for _, m := range members["members"].([]any) {
		if u := m.(map[string]any)["user"].(map[string]any); u["email"] == "ann@example.com" {
			ann = m.(map[string]any)
		}
	}
	if ann == nil {
		t.Fatalf("ann@example.com is not a member: %v", members)
	}
	if u := ann["user"].(map[string]any); u["email_verified"] != true || u["id"] != c.Subject || u["name"] != "Ann E. Example" {
		t.Errorf("member user %v, want email verified, id the ticket's sub, the name typed", u)
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
	org := newOrg(t, srv, "Globex", map[string]any{"contact": "help@globex.example"})
	owner := newOwner(t, srv, org, "Olivia Owner", "olivia@example.com")
	// Truncated to the minute: the page shows the time to the minute, in
	// UTC (the templates' date).
	expiredAt := time.Now().Add(-26 * time.Hour).UTC().Truncate(time.Minute)

	tests := []struct {
		name   string
		link   func(t *testing.T, inv map[string]any) string // turns a pending invitation into a dead link
		status string
		h1     string
		says   []string
	}{{
		name: "expired",
		link: func(t *testing.T, inv map[string]any) string {
			setExpiresAt(t, dbPath, inv["id"].(string), expiredAt)
			return inv["url"].(string)
		},
		status: "expired",
		h1:     "This invitation expired on " + expiredAt.Format("2 January 2006, 15:04 UTC"),
		says:   []string{"Ask Olivia Owner at Globex for a new one.", "help@globex.example"},
	}, {
		name: "revoked",
		link: func(t *testing.T, inv map[string]any) string {
			if code, b := call(t, "POST", srv.URL+"/v1/invitations/"+inv["id"].(string)+"/revoke", browserAdminKey, nil); code != http.StatusOK {
				t.Fatalf("revoke: %d %v", code, b)
			}
			return inv["url"].(string)
		},
		status: "revoked",
		h1:     "This invitation is no longer valid",
	}, {
		// An unknown token reads as revoked: the page must not tell
		// whether a guessed link ever existed.
		name: "unknown",
		link: func(t *testing.T, inv map[string]any) string {
			return srv.URL + "/i/" + invited.NewSecret("")
		},
		status: "revoked",
		h1:     "This invitation is no longer valid",
	}, {
		name: "accepted",
		link: func(t *testing.T, inv map[string]any) string {
			acceptByAPI(t, srv, inv, "Ann Example")
			return inv["url"].(string)
		},
		status: "accepted",
		h1:     "This invitation was already accepted",
	}, {
		name: "declined",
		link: func(t *testing.T, inv map[string]any) string {
			if code, b := call(t, "POST", srv.URL+"/v1/invitation-tokens/"+tokenOf(inv)+"/decline", "", nil); code != http.StatusOK {
				t.Fatalf("decline: %d %v", code, b)
			}
			return inv["url"].(string)
		},
		status: "declined",
		h1:     "This invitation was declined",
	}}

	ctx := browser.Start(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := invite(t, srv, org, owner, map[string]any{"email": tt.name + "@example.com", "roles": []string{"member"}})
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
	invite(t, srv, org, "", map[string]any{"email": "zoe@example.com", "roles": []string{"member"}, "first_name": "Zoe"})
	code, key := call(t, "POST", srv.URL+"/v1/api-keys", browserAdminKey, map[string]any{
		"name": "console", "org_id": org,
		"permissions": []string{"org:manage", "invitations:create", "invitations:read", "invitations:revoke", "members:read"},
	})
	if code != http.StatusCreated {
		t.Fatalf("create org key: %d %v", code, key)
	}
	invitations := srv.URL + "/console/orgs/" + org + "/invitations"

	ctx := browser.Start(t)
	open(t, ctx, srv.URL+"/console", "sign-in")
	browser.Do(t, ctx,
		chromedp.SendKeys(chromedp.CSS("input#credential"), key["secret"].(string)),
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
	code, list := call(t, "GET", srv.URL+"/v1/invitations?org_id="+org+"&email=carol@example.com", browserAdminKey, nil)
	if code != http.StatusOK || len(list["invitations"].([]any)) != 1 {
		t.Fatalf("find the uploaded invitation: %d %v", code, list)
	}
	carol := list["invitations"].([]any)[0].(map[string]any)["id"].(string)
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
	if code, inv := call(t, "GET", srv.URL+"/v1/invitations/"+carol, browserAdminKey, nil); code != http.StatusOK || inv["status"] != "revoked" {
		t.Errorf("after revoking in the console the API shows %d %v", code, inv)
	}

	mustContain(t, "members page", open(t, ctx, srv.URL+"/console/orgs/"+org+"/members", "members"), "Olivia Owner")
	browser.Do(t, ctx, chromedp.WaitVisible(chromedp.CSS("table#members")))
}

// hostApp stands in for the application an invitee signs into. Its
// /welcome page takes the acceptance ticket the hosted page redirects
// with, checks it against invited's JWKS as any host app would, redeems
// it, and greets the user, or says why it rejected the ticket, so that a
// failing test shows the cause.
type hostApp struct {
	URL             string
	invited, apiKey string

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
}

func newHostApp(t *testing.T, invitedURL, apiKey string) *hostApp {
	h := &hostApp{invited: invitedURL, apiKey: apiKey}
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
	var jwks jose.JSONWebKeySet
	if err := h.do(ctx, "GET", "/.well-known/jwks.json", nil, &jwks); err != nil {
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
	var redeemed struct {
		ID string `json:"id"`
	}
	if err := h.do(ctx, "POST", "/v1/acceptance-tickets/redeem", map[string]string{"ticket": raw}, &redeemed); err != nil {
		return fmt.Errorf("redeem: %w", err)
	}
	if redeemed.ID != id {
		return fmt.Errorf("redeemed ticket %q, want the jti %q", redeemed.ID, id)
	}
	return nil
}

// do calls the service with the host app's API key and decodes a 200
// answer into out.
func (h *hostApp) do(ctx context.Context, method, path string, in, out any) error {
	var body strings.Builder
	if in != nil {
		if err := json.NewEncoder(&body).Encode(in); err != nil {
			return err
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, h.invited+path, strings.NewReader(body.String()))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+h.apiKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e map[string]any
		json.NewDecoder(resp.Body).Decode(&e)
		return fmt.Errorf("%s %s: %d %v", method, path, resp.StatusCode, e)
	}
	return json.NewDecoder(resp.Body).Decode(out)
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
