package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
	"github.com/invitedhq/invited/internal/testutil/browser"
	"github.com/invitedhq/invited/internal/testutil/smtptest"
)

// createJoinLink creates a join link in org through the API, acting as
// actingUser.
func createJoinLink(t *testing.T, srv *instance, orgID, actingUser string, in invited.JoinLinkCreate) *client.JoinLinkWithURL {
	t.Helper()
	var l client.JoinLinkWithURL
	apiCall(t, srv, "/v1/orgs/"+orgID+"/join-links", actingUser, in, &l, http.StatusCreated)
	return &l
}

// apiCall posts in (nil for no body) to path with the admin key, acting as
// actingUser, and decodes the answer, which must have status want, into
// out. (The Go client has no join link methods yet.)
func apiCall(t *testing.T, srv *instance, path, actingUser string, in, out any, want int) {
	t.Helper()
	var body bytes.Buffer
	if in != nil {
		if err := json.NewEncoder(&body).Encode(in); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+path, &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+browserAdminKey)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if actingUser != "" {
		req.Header.Set("Invited-Acting-User", actingUser)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil || resp.StatusCode != want {
		t.Fatalf("POST %s: %d %v", path, resp.StatusCode, err)
	}
}

// submitJoin fills the join page's form in as Jo Joiner at email, submits
// it, and waits for the element next of the answer.
func submitJoin(t *testing.T, ctx context.Context, email, next string) {
	t.Helper()
	browser.Do(t, ctx,
		chromedp.SendKeys(chromedp.CSS("input#email"), email),
		chromedp.SendKeys(chromedp.CSS("input#name"), "Jo Joiner"),
		chromedp.Click(chromedp.CSS("button#join-button")),
		chromedp.WaitVisible(chromedp.CSS(next)),
	)
}

// browserServeMail starts the service as browserServe does, sending its
// email to a real SMTP server, which it returns too.
func browserServeMail(t *testing.T) (*instance, *smtptest.Server) {
	t.Helper()
	smtpServer := smtptest.Start(t, smtptest.Config{})
	srv, _ := browserServe(t, map[string]string{
		"INVITED_SMTP_URL": "smtp://" + smtpServer.Addr + "?tls=none&from=" + url.QueryEscape("Invited <no-reply@invited.test>"),
	})
	return srv, smtpServer
}

// TestBrowserJoinFlow follows someone from a shared join link to the host
// application: the branded join page, the form, the confirmation email
// from a real SMTP server, the page that asks to confirm, and the redirect
// with a ticket of the join link that the host app verifies and redeems.
// axe-core finds no accessibility violation on any of the pages.
func TestBrowserJoinFlow(t *testing.T) {
	srv, smtpServer := browserServeMail(t)
	host := newHostApp(t, srv.URL, browserAdminKey)
	org, owner := acmeRobotics(t, srv, host)
	l := createJoinLink(t, srv, org, owner, invited.JoinLinkCreate{MaxUses: new(10), RedirectURL: host.URL + "/welcome",
		AllowedEmailDomains: []string{"example.com"}})

	ctx := browser.Start(t)
	resp := browser.Run(t, ctx, chromedp.NavigateResponse(l.URL))
	browser.Do(t, ctx, chromedp.WaitVisible(chromedp.CSS("form#join")))
	browser.Screenshot(t, ctx, "join")
	browser.Accessible(t, ctx, "the join page")
	checkLinkPage(t, "join page", resp)
	mustContain(t, "join page", browser.Run(t, ctx, chromedp.Text(chromedp.CSS("main"))),
		"Olivia Owner invites you to join Acme Robotics", "member", "Addresses at example.com")
	checkAccent(t, ctx, "button#join-button")

	submitJoin(t, ctx, "jo@example.com", "section#sent")
	browser.Screenshot(t, ctx, "join-sent")
	browser.Accessible(t, ctx, "the sent page")
	mustContain(t, "sent page", browser.Run(t, ctx, chromedp.Text(chromedp.CSS("main"))), "Check your inbox", "jo@example.com")

	// The letter, as the SMTP server took it, carries the confirmation
	// link.
	_, parts := received(t, srv, smtpServer, "jo@example.com")
	link := regexp.MustCompile(regexp.QuoteMeta(srv.URL+"/j/confirm/") + `[A-Za-z0-9_-]{43}`).FindString(parts["text/plain"])
	if link == "" || !strings.Contains(parts["text/html"], link) {
		t.Fatalf("no confirmation link in the email:\n%s\n---\n%s", parts["text/plain"], parts["text/html"])
	}
	mustContain(t, "the email", parts["text/plain"], "Acme", "Jo Joiner")

	text := open(t, ctx, link, "join-confirm")
	browser.Accessible(t, ctx, "the confirmation page")
	mustContain(t, "confirmation page", text, "Join Acme Robotics", "jo@example.com", "Jo Joiner")
	browser.Do(t, ctx,
		chromedp.Click(chromedp.CSS("button#confirm-button")),
		chromedp.WaitVisible(chromedp.CSS("h1#welcome, h1#rejected")),
	)
	browser.Screenshot(t, ctx, "join-host-app")
	if got := browser.Run(t, ctx, chromedp.Text(chromedp.CSS("h1"))); got != "Welcome, Jo Joiner" {
		t.Fatalf("host app says %q", got)
	}
	c := host.lastVisit(t).Claims
	if c.Email != "jo@example.com" || !c.EmailVerified || c.OrgID != org || c.JoinLinkID != l.ID || c.InvitationID != "" ||
		!slices.Contains(c.Roles, "member") {
		t.Errorf("ticket claims %+v", c)
	}

	// The confirmation link works once.
	text = open(t, ctx, link, "join-confirmed-again")
	browser.Accessible(t, ctx, "the used confirmation link's page")
	mustContain(t, "the used confirmation link", text, "You confirmed already")
}

// TestBrowserJoinDeadEnds opens the join pages that end the way: a link
// that opens nothing, a withdrawn one, and an address whose domain the
// link does not admit. Each explains itself, and axe-core finds no
// accessibility violation on it.
func TestBrowserJoinDeadEnds(t *testing.T) {
	srv, _ := browserServe(t)
	org := newOrg(t, srv, "Acme", &invited.OrgSettingsPatch{Contact: new("help@acme.test")})
	owner := newOwner(t, srv, org, "Olivia Owner", "olivia@example.com")
	ctx := browser.Start(t)

	text := open(t, ctx, srv.URL+"/j/"+invited.NewSecret(""), "join-unknown")
	browser.Accessible(t, ctx, "the unknown link's page")
	mustContain(t, "the unknown link's page", text, "This join link does not work")

	narrow := createJoinLink(t, srv, org, owner, invited.JoinLinkCreate{AllowedEmailDomains: []string{"acme.test"}})
	open(t, ctx, narrow.URL, "join-narrow")
	submitJoin(t, ctx, "jo@example.com", "section#status")
	browser.Screenshot(t, ctx, "join-domain")
	browser.Accessible(t, ctx, "the domain refusal")
	mustContain(t, "the domain refusal", browser.Run(t, ctx, chromedp.Text(chromedp.CSS("main"))),
		"Your address’s domain is not allowed", "Only people with an address at acme.test may join Acme", "help@acme.test")

	withdrawn := createJoinLink(t, srv, org, owner, invited.JoinLinkCreate{})
	var revoked invited.JoinLink
	apiCall(t, srv, "/v1/join-links/"+withdrawn.ID+"/revoke", "", nil, &revoked, http.StatusOK)
	text = open(t, ctx, withdrawn.URL, "join-revoked")
	browser.Accessible(t, ctx, "the withdrawn link's page")
	mustContain(t, "the withdrawn link's page", text, "This join link was withdrawn", "Acme withdrew this link", "Olivia Owner")
}
