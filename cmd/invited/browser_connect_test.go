package main

import (
	"cmp"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
	"github.com/invitedhq/invited/internal/i18n"
	"github.com/invitedhq/invited/internal/secretbox"
	"github.com/invitedhq/invited/internal/testutil"
	"github.com/invitedhq/invited/internal/testutil/browser"
	"github.com/invitedhq/invited/internal/testutil/oauthserver"
)

// TestBrowserAppInvite follows partners from an app invite link through a
// real OAuth 2.0 authorization server (go-oauth2, in-process) and back:
// one allows access and the connection profile appears in the inviter's
// organization; one refuses, and the invite stays open; once the
// organization archives a connected invite, its link says the
// organization ended the connection, in English and German. The screenshots
// are the partner's journey in docs/app-invites.md.
func TestBrowserAppInvite(t *testing.T) {
	srv := startServe(t, map[string]string{
		"INVITED_DATABASE_URL":      "sqlite:" + t.TempDir() + "/invited.db",
		"INVITED_ADMIN_API_KEY":     browserAdminKey,
		"INVITED_ENCRYPTION_KEYS":   secretbox.NewKey("k1"),
		"INVITED_RATE_LIMIT_PUBLIC": "off",
		// The platform is a local server.
		"INVITED_OUTBOUND_ALLOW": testutil.LoopbackEnv,
	})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", srv.Stderr)
		}
	})
	platform := oauthserver.Start(t, oauthserver.Options{
		ClientID: "invited-client", ClientSecret: "platform-client-secret",
		RedirectURI: srv.URL + "/oauth/callback", AccountID: "ad-account-7781",
	})
	org := newOrg(t, srv, "Acme", &invited.OrgSettingsPatch{DisplayName: new("Acme Media"), AccentColor: new("#7c3aed")})
	admin := adminClient(t, srv)
	app, err := admin.CreateApp(t.Context(), invited.AppCreate{
		Name:        "AdsPlatform",
		Description: "Acme Media manages your campaigns on AdsPlatform.",
		OAuth: invited.OAuthConfig{
			DiscoveryURL: platform.DiscoveryURL(),
			ClientID:     "invited-client", ClientSecret: "platform-client-secret",
			Scopes: []string{"ads.read", "ads.manage"},
		},
	})
	if err != nil {
		t.Fatalf("create app: %v", err)
	}
	newInvite := func(locale string) *client.AppInviteWithCode {
		t.Helper()
		ai, err := admin.CreateAppInvite(t.Context(), app.ID,
			invited.AppInviteCreate{OrgID: org, Email: "partner@agency.example", Note: "internal: agency Q3 deal", Locale: locale})
		if err != nil {
			t.Fatalf("create app invite: %v", err)
		}
		return ai
	}
	inviteStatus := func(ai *client.AppInviteWithCode) invited.AppInviteStatus {
		t.Helper()
		got, err := admin.GetAppInvite(t.Context(), ai.ID)
		if err != nil {
			t.Fatalf("read app invite: %v", err)
		}
		return got.Status
	}

	ctx := browser.Start(t)
	t.Run("allow", func(t *testing.T) {
		ai := newInvite("")
		resp := browser.Run(t, ctx, chromedp.NavigateResponse(ai.URL))
		browser.Do(t, ctx, chromedp.WaitVisible(chromedp.CSS("button#continue")))
		browser.Screenshot(t, ctx, "landing")
		if resp.Status != http.StatusOK || header(resp.Headers, "Referrer-Policy") != "no-referrer" {
			t.Errorf("landing page: status %d, Referrer-Policy %q", resp.Status, header(resp.Headers, "Referrer-Policy"))
		}
		landing := browser.Run(t, ctx, chromedp.Text(chromedp.CSS("main")))
		mustContain(t, "landing page", landing, "Acme Media", "AdsPlatform", "ads.read", "ads.manage")
		mustNotContain(t, "landing page", landing, "partner@agency.example", "internal: agency Q3 deal")

		browser.Do(t, ctx,
			chromedp.Click(chromedp.CSS("button#continue")),
			chromedp.WaitVisible(chromedp.CSS("button#approve")),
		)
		browser.Screenshot(t, ctx, "platform-consent")
		browser.Do(t, ctx,
			chromedp.Click(chromedp.CSS("button#approve")),
			chromedp.WaitVisible(chromedp.CSS("main h1")),
		)
		browser.Screenshot(t, ctx, "connected")
		mustContain(t, "connected page", browser.Run(t, ctx, chromedp.Text(chromedp.CSS("main"))), "connected", "Acme Media")

		if got := inviteStatus(ai); got != "active" {
			t.Errorf("app invite %s, want active", got)
		}
		list, err := admin.ListOrgProfiles(t.Context(), invited.ProfileFilter{OrgID: org})
		if err != nil || len(list.Profiles) != 1 {
			t.Fatalf("profiles: %v %+v", err, list)
		}
		p := list.Profiles[0]
		if p.Status != invited.ProfileActive || p.ExternalAccountID != "ad-account-7781" || p.AppInviteID != ai.ID {
			t.Errorf("profile %+v", p)
		}
		if tok, err := admin.GetProfileToken(t.Context(), p.ID); err != nil || tok.AccessToken == "" {
			t.Errorf("profile token: %+v %v", tok, err)
		}

		// The link is spent: opened again, it says so.
		resp = browser.Run(t, ctx, chromedp.NavigateResponse(ai.URL))
		browser.Screenshot(t, ctx, "already-connected")
		if resp.Status != http.StatusConflict {
			t.Errorf("second visit: status %d, want 409", resp.Status)
		}
		mustContain(t, "second visit", browser.Run(t, ctx, chromedp.Text(chromedp.CSS("main"))), "already connected")
	})

	t.Run("deny", func(t *testing.T) {
		ai := newInvite("")
		// decide opens the link, continues to the platform, answers its
		// consent page with button, and waits to be back.
		decide := func(button string) {
			t.Helper()
			browser.Do(t, ctx,
				chromedp.Navigate(ai.URL),
				chromedp.Click(chromedp.CSS("button#continue")),
				chromedp.WaitVisible(chromedp.CSS(button)),
				chromedp.Click(chromedp.CSS(button)),
				chromedp.WaitVisible(chromedp.CSS("main h1")),
			)
		}
		decide("button#deny")
		browser.Screenshot(t, ctx, "denied")
		mustContain(t, "denied page", browser.Run(t, ctx, chromedp.Text(chromedp.CSS("main"))), "did not allow")
		if got := inviteStatus(ai); got != "pending" {
			t.Errorf("app invite %s after a refusal, want pending", got)
		}
		// The partner can change their mind: the same link starts again.
		decide("button#approve")
		if got := inviteStatus(ai); got != "active" {
			t.Errorf("app invite %s after allowing on the second try, want active", got)
		}
	})

	// ended: the organization archives an invite whose connection was made;
	// its link then says the organization ended the connection, in the
	// invite's language, and axe-core finds no violation on the page.
	for _, locale := range []string{"", "de"} {
		t.Run("ended-"+cmp.Or(locale, "en"), func(t *testing.T) {
			ai := newInvite(locale)
			browser.Do(t, ctx,
				chromedp.Navigate(ai.URL),
				chromedp.Click(chromedp.CSS("button#continue")),
				chromedp.WaitVisible(chromedp.CSS("button#approve")),
				chromedp.Click(chromedp.CSS("button#approve")),
				chromedp.WaitVisible(chromedp.CSS("main h1")),
			)
			if _, err := admin.ArchiveAppInvite(t.Context(), ai.ID); err != nil {
				t.Fatalf("archive the connected invite: %v", err)
			}
			resp := browser.Run(t, ctx, chromedp.NavigateResponse(ai.URL))
			browser.Do(t, ctx, chromedp.WaitVisible(chromedp.CSS("main h1")))
			browser.Screenshot(t, ctx, "ended-"+cmp.Or(locale, "en"))
			browser.Accessible(t, ctx, "the ended-connection page in "+cmp.Or(locale, "en"))
			if resp.Status != http.StatusGone {
				t.Errorf("ended connection: status %d, want 410", resp.Status)
			}
			loc := i18n.Choose(locale)
			if lang, _ := pageLanguage(t, ctx); lang != loc.Name() {
				t.Errorf("<html lang=%q>, want %s", lang, loc.Name())
			}
			if h1 := browser.Run(t, ctx, chromedp.Text(chromedp.CSS("main h1"))); h1 != loc.T("dead.title.ended", "org", "Acme Media") {
				t.Errorf("heading %q", h1)
			}
			text := browser.Run(t, ctx, chromedp.Text(chromedp.CSS("main")))
			mustContain(t, "ended-connection page", text, loc.T("dead.ended", "org", "Acme Media"))
			// Not the wording of a withdrawn link, which it is not.
			mustNotContain(t, "ended-connection page", text, loc.T("dead.title.revoked"), i18n.English().T("dead.title.revoked"))
			if locale != "" {
				mustNotContain(t, "ended-connection page", text, "ended this connection", "Questions?")
			}
		})
	}
}

// mustNotContain fails the test for each unwanted string text holds.
func mustNotContain(t *testing.T, what, text string, unwanted ...string) {
	t.Helper()
	for _, u := range unwanted {
		if strings.Contains(text, u) {
			t.Errorf("%s shows %q:\n%s", what, u, text)
		}
	}
}
