package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
	"github.com/invitedhq/invited/internal/i18n"
	"github.com/invitedhq/invited/internal/testutil/browser"
)

// consoleWidths are the window widths the console must fit: a phone held
// upright (390 CSS pixels) and a laptop.
var consoleWidths = []int64{390, 1280}

// TestBrowserConsoleFits opens every page of the console, full of data, in
// windows of consoleWidths: no page scrolls sideways, and every link,
// button and field is within the width of the window, so that each
// action is in reach on a phone.
func TestBrowserConsoleFits(t *testing.T) {
	srv, dbPath := browserServe(t)
	org, invitation := consoleData(t, srv, dbPath)
	signInElsewhere(t, srv)
	signInElsewhere(t, srv)
	ctx := browser.Start(t)
	signIn(t, ctx, srv)
	for _, width := range consoleWidths {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			browser.Do(t, ctx, chromedp.EmulateViewport(width, 844))
			for _, pg := range consolePages(t, srv, org, invitation, fmt.Sprint(width)) {
				t.Run(pg.name, func(t *testing.T) {
					openConsolePage(t, ctx, pg)
					browser.Screenshot(t, ctx, pg.name)
					fits(t, ctx)
					tablesRead(t, ctx)
				})
			}
		})
	}
	// Signed out, the sign-in page too.
	browser.Do(t, ctx, chromedp.Click(chromedp.CSS("button#sign-out-button")), chromedp.WaitVisible(chromedp.CSS("form#sign-in")))
	for _, width := range consoleWidths {
		t.Run(fmt.Sprint(width, "/sign-in"), func(t *testing.T) {
			browser.Do(t, ctx, chromedp.EmulateViewport(width, 844))
			browser.Screenshot(t, ctx, "sign-in")
			fits(t, ctx)
		})
	}
}

// TestBrowserConsoleLocales opens every page of the console in German
// (the browser's Accept-Language) and in Arabic (the organization's
// default_locale, right to left) on a phone: each page is in that
// language (its lang and dir, the navigation's words, and none of the
// console's English sentences), fits the window, and axe-core finds no
// violation on it.
func TestBrowserConsoleLocales(t *testing.T) {
	srv, dbPath := browserServe(t)
	org, invitation := consoleData(t, srv, dbPath)
	ctx := browser.Start(t)
	browser.Do(t, ctx, chromedp.EmulateViewport(390, 844))
	for _, tc := range []struct{ locale, accept, orgDefault string }{
		{locale: "de", accept: "de-DE,de;q=0.9"},
		{locale: "ar", accept: "ar", orgDefault: "ar"},
	} {
		t.Run(tc.locale, func(t *testing.T) {
			if tc.orgDefault != "" {
				if _, err := adminClient(t, srv).UpdateOrganization(t.Context(), org, invited.OrganizationUpdate{
					Settings: &invited.OrgSettingsPatch{DefaultLocale: new(tc.orgDefault)}}); err != nil {
					t.Fatal(err)
				}
			}
			acceptLanguage(t, ctx, tc.accept)
			loc := i18n.Choose(tc.locale)
			signIn(t, ctx, srv)
			pages := append(consolePages(t, srv, org, invitation, tc.locale), consolePage{name: "sign-in", url: srv.URL + "/console",
				then: chromedp.Steps(chromedp.Click(chromedp.CSS("button#sign-out-button")), chromedp.WaitVisible(chromedp.CSS("form#sign-in")))})
			for _, pg := range pages {
				t.Run(pg.name, func(t *testing.T) {
					openConsolePage(t, ctx, pg)
					browser.Screenshot(t, ctx, pg.name+"-"+tc.locale)
					if lang, dir := pageLanguage(t, ctx); lang != loc.Name() || dir != loc.Dir() {
						t.Errorf("<html lang=%q dir=%q>, want %s, %s", lang, dir, loc.Name(), loc.Dir())
					}
					key := "console.nav.sessions"
					if pg.name == "sign-in" {
						key = "console.sign_in.title"
					}
					mustContain(t, pg.name, browser.Run(t, ctx, chromedp.Evaluate[string]("document.body.innerText")), loc.T(key))
					for _, text := range browser.Run(t, ctx, chromedp.Evaluate[[]string](pageTexts)) {
						for _, english := range englishConsole(loc) {
							// A sentence anywhere, a word or two as the whole
							// of a text (not in data such as "Requester frank").
							if text == english || strings.Count(english, " ") >= 2 && strings.Contains(text, english) {
								t.Errorf("%s in %s shows the English %q in %q", pg.name, tc.locale, english, text)
							}
						}
					}
					fits(t, ctx)
					browser.Accessible(t, ctx, pg.name+" in "+tc.locale)
				})
			}
		})
	}
}

// pageTexts are the texts of the page's body, each text node's and each
// label given in an attribute, hidden ones included.
const pageTexts = `(() => {
	const out = [], walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
	while (walk.nextNode()) {
		const s = walk.currentNode.nodeValue.trim();
		if (s) out.push(s);
	}
	for (const el of document.body.querySelectorAll("[aria-label]")) out.push(el.getAttribute("aria-label"));
	return out;
})()`

// englishConsole returns the console's English messages, without
// arguments, that loc writes otherwise: none of them may show on a page in
// loc.
func englishConsole(loc *i18n.Locale) []string {
	en := i18n.English()
	var out []string
	for _, k := range en.Keys() {
		s := en.T(k)
		if strings.HasPrefix(k, "console.") && len(s) >= 4 && !strings.Contains(s, "{") && s != loc.T(k) {
			out = append(out, strings.TrimSpace(s))
		}
	}
	return out
}

// consolePages are the console's pages to check, full of consoleData's
// data; tag makes what a page creates unique to one run of them.
func consolePages(t *testing.T, srv *instance, org, invitation, tag string) []consolePage {
	orgPath := srv.URL + "/console/orgs/" + org
	csv := filepath.Join(t.TempDir(), "invitees.csv")
	if err := os.WriteFile(csv, []byte("email,first_name,last_name,roles\n"+
		"bob.builder."+tag+"@example.com,Bob,Builder,member\n"+
		"not-an-email,Dan,Dare,member\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return []consolePage{
		{name: "orgs", url: srv.URL + "/console"},
		{name: "invitations", url: orgPath + "/invitations"},
		{name: "new", url: orgPath + "/invitations/new"},
		{name: "created", url: orgPath + "/invitations/new", then: chromedp.Steps(
			chromedp.SendKeys(chromedp.CSS("input#email"), "someone.new."+tag+"@example.com"),
			chromedp.Click(chromedp.CSS(`input[name=roles][value=member]`)),
			chromedp.Click(chromedp.CSS("button#invite-button")),
			chromedp.WaitVisible(chromedp.CSS("input#invitation-link")),
		)},
		{name: "upload", url: orgPath + "/invitations/upload"},
		{name: "report", url: orgPath + "/invitations/upload", then: chromedp.Steps(
			chromedp.SetUploadFiles(chromedp.CSS("input#csv"), []string{csv}),
			chromedp.Click(chromedp.CSS("button#upload-button")),
			chromedp.WaitVisible(chromedp.CSS("p#summary")),
		)},
		{name: "renew", url: srv.URL + "/console/invitations/" + invitation + "/renew"},
		{name: "revoke", url: srv.URL + "/console/invitations/" + invitation + "/revoke"},
		{name: "members", url: orgPath + "/members"},
		{name: "member", url: orgPath + "/members", then: chromedp.Steps(
			chromedp.Click(chromedp.CSS("a.edit-roles")),
			chromedp.WaitVisible(chromedp.CSS("form#member-roles")),
		)},
		{name: "join-requests", url: orgPath + "/join-requests"},
		{name: "sessions", url: srv.URL + "/console/sessions"},
	}
}

// openConsolePage opens pg in the tab, and fills in its form if it has
// one to.
func openConsolePage(t *testing.T, ctx context.Context, pg consolePage) {
	t.Helper()
	browser.Do(t, ctx, chromedp.Navigate(pg.url), chromedp.WaitVisible(chromedp.CSS("main")))
	if pg.then != nil {
		browser.Do(t, ctx, pg.then)
	}
}

// consolePage is a page of the console to check: the one at url, or
// the answer to a form there that then fills in and submits.
type consolePage struct {
	name string
	url  string
	then chromedp.Action[chromedp.Void]
}

// consoleData fills a service with what the console lists: invitations
// in every state, with long addresses and several roles, members, and
// join requests with long messages. It returns the organization's id and
// that of a pending invitation.
func consoleData(t *testing.T, srv *instance, dbPath string) (org, pending string) {
	t.Helper()
	org = newOrg(t, srv, "Acme", &invited.OrgSettingsPatch{
		DisplayName: new("Acme Robotics International"),
		AccentColor: new("#0f766e"),
	})
	owner := newOwner(t, srv, org, "Olivia Owner", "olivia.owner@acme-robotics-international.example")
	admin := adminClient(t, srv)
	for i, who := range []string{"ann", "bartholomew.longname", "carol", "dan", "erin"} {
		inv := invite(t, srv, org, owner, invited.InvitationCreate{
			Email: who + "@subsidiary.acme-robotics-international.example", FirstName: strings.ToUpper(who[:1]) + who[1:], LastName: "Example",
			Roles: []string{"member", "admin"}, Message: "Welcome aboard",
		})
		switch i {
		case 0:
			pending = inv.ID
		case 1:
			acceptByAPI(t, srv, inv, "Bartholomew Longname-Example")
		case 2:
			if _, err := admin.RevokeInvitation(t.Context(), inv.ID); err != nil {
				t.Fatal(err)
			}
		case 3:
			setExpiresAt(t, dbPath, inv.ID, time.Now().Add(-time.Hour))
		}
	}

	// People who joined another organization ask to join this one.
	home := newOrg(t, srv, "Home", nil)
	link, err := admin.CreateJoinLink(t.Context(), home, invited.JoinLinkCreate{})
	if err != nil {
		t.Fatal(err)
	}
	for _, who := range []string{"frank", "grace.with.a.rather.long.address"} {
		if _, err := admin.AcceptJoinLink(t.Context(), link.Token, &invited.Acceptor{
			ExternalID: who, Email: who + "@partner-company.example", Name: "Requester " + who,
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := adminClient(t, srv).With(client.WithActingUser(who)).CreateJoinRequest(t.Context(), org, invited.JoinRequestCreate{
			Message: "I work on the robotics integration team and need access to the shared workspace to review the deployment plans.",
		}); err != nil {
			t.Fatalf("join request of %s: %v", who, err)
		}
	}
	return org, pending
}

// signIn signs the tab in to the console with the admin key.
func signIn(t *testing.T, ctx context.Context, srv *instance) {
	t.Helper()
	browser.Do(t, ctx,
		chromedp.Navigate(srv.URL+"/console"),
		chromedp.SendKeys(chromedp.CSS("input#credential"), browserAdminKey),
		chromedp.Click(chromedp.CSS("button#sign-in-button")),
		chromedp.WaitVisible(chromedp.CSS("nav.console-nav")),
	)
}

// csrfInput finds the form token in a page.
var csrfInput = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// signInElsewhere signs in to the console with the admin key from
// another browser (an HTTP client of its own), which the sessions page
// then lists.
func signInElsewhere(t *testing.T, srv *instance) {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar}
	resp, err := c.Get(srv.URL + "/console")
	if err != nil {
		t.Fatal(err)
	}
	page, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfInput.FindSubmatch(page)
	if err != nil || m == nil {
		t.Fatalf("no form token in the sign-in page: %v\n%s", err, page)
	}
	resp, err = c.PostForm(srv.URL+"/console/sign-in", url.Values{"csrf_token": {string(m[1])}, "credential": {browserAdminKey}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sign in elsewhere: %s", resp.Status)
	}
}

// layout is what fits measures of a page.
type layout struct {
	ScrollWidth int      `json:"scrollWidth"` // of the document
	Width       int      `json:"width"`       // of the window, less a scrollbar
	Outside     []string `json:"outside"`     // what can be used but sticks out
}

// measure focuses each link, button and field of the page in turn (the
// skip link shows only when focused) and names those whose box is not
// within the window's width.
const measure = `(() => {
	const width = document.documentElement.clientWidth, outside = [];
	for (const el of document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea")) {
		el.focus({preventScroll: true});
		const r = el.getBoundingClientRect();
		if (r.left < 0 || r.right > width) {
			outside.push(el.outerHTML.slice(0, 120) + " at " + Math.round(r.left) + ".." + Math.round(r.right));
		}
	}
	document.activeElement.blur();
	return {scrollWidth: document.documentElement.scrollWidth, width, outside};
})()`

// fits fails the test if the page in the tab scrolls sideways or has
// something to use outside the window's width.
func fits(t *testing.T, ctx context.Context) {
	t.Helper()
	l := browser.Run(t, ctx, chromedp.Evaluate[layout](measure))
	if l.ScrollWidth > l.Width {
		t.Errorf("the page is %d px wide in a window of %d px: it scrolls sideways", l.ScrollWidth, l.Width)
	}
	for _, o := range l.Outside {
		t.Errorf("out of the window's %d px: %s", l.Width, o)
	}
}

// tablesRead fails the test unless a screen reader is told of every
// table and row of the page in the tab as such: a list shown as cards is
// still a table to it.
func tablesRead(t *testing.T, ctx context.Context) {
	t.Helper()
	roles := browser.Roles(t, ctx)
	for role, sel := range map[string]string{"table": "table", "row": "tr"} {
		if n := browser.Run(t, ctx, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", sel))); roles[role] != n {
			t.Errorf("%d %s elements, but %d of the role %s", n, sel, roles[role], role)
		}
	}
}

// TestBrowserDarkMode opens pages in a browser that prefers a dark colour
// scheme: they are dark, and axe-core finds no violation (contrast among
// them) on the landing page, a dead link's page, a join page and the
// console.
func TestBrowserDarkMode(t *testing.T) {
	srv, _ := browserServe(t)
	host := newHostApp(t, srv.URL, "")
	org, owner := acmeRobotics(t, srv, host)
	live := invite(t, srv, org, owner, invited.InvitationCreate{Email: "ann@example.com", Roles: []string{"member"}, Message: "Welcome!"})
	dead := invite(t, srv, org, owner, invited.InvitationCreate{Email: "bob@example.com", Roles: []string{"member"}})
	if _, err := adminClient(t, srv).RevokeInvitation(t.Context(), dead.ID); err != nil {
		t.Fatal(err)
	}
	join := createJoinLink(t, srv, org, owner, invited.JoinLinkCreate{RedirectURL: host.URL + "/welcome"})

	ctx := browser.Start(t)
	browser.Do(t, ctx, browser.PreferColorScheme("dark"))
	for _, pg := range []struct{ name, url, ready string }{
		{"landing", live.URL, "form#accept"},
		{"dead-link", dead.URL, "section#status"},
		{"join", join.URL, "form#join"},
		{"console", srv.URL + "/console/orgs/" + org + "/invitations", "table#invitations"},
	} {
		t.Run(pg.name, func(t *testing.T) {
			if pg.name == "console" {
				signIn(t, ctx, srv)
			}
			browser.Do(t, ctx, chromedp.Navigate(pg.url), chromedp.WaitVisible(chromedp.CSS(pg.ready)))
			browser.Screenshot(t, ctx, pg.name)
			if bg := computedStyle(t, ctx, "html", "background-color"); !browser.IsDark(bg) {
				t.Errorf("the page's background is %s, not dark", bg)
			}
			browser.Accessible(t, ctx, pg.name)
		})
	}
}
