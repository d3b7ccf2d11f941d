package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/invitedhq/invited/internal/secretbox"
	"github.com/invitedhq/invited/internal/testutil/browser"
	"github.com/invitedhq/invited/internal/testutil/oauthserver"
)

// TestBrowserAppInvite follows partners from an app invite link through a
// real OAuth 2.0 authorization server (go-oauth2, in-process) and back:
// one allows access and the connection profile appears in the inviter's
// organization; one refuses, and the invite stays open. The screenshots
// are the partner's journey in docs/app-invites.md.
func TestBrowserAppInvite(t *testing.T) {
	srv := startServe(t, map[string]string{
		"INVITED_DATABASE_URL":      "sqlite:" + t.TempDir() + "/invited.db",
		"INVITED_ADMIN_API_KEY":     browserAdminKey,
		"INVITED_ENCRYPTION_KEYS":   secretbox.NewKey("k1"),
		"INVITED_RATE_LIMIT_PUBLIC": "off",
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
	org := newOrg(t, srv, "Acme", map[string]any{"display_name": "Acme Media", "accent_color": "#7c3aed"})
	code, app := call(t, "POST", srv.URL+"/v1/apps", browserAdminKey, map[string]any{
		"name":        "AdsPlatform",
		"description": "Acme Media manages your campaigns on AdsPlatform.",
		"oauth": map[string]any{
			"discovery_url": platform.DiscoveryURL(),
			"client_id":     "invited-client", "client_secret": "platform-client-secret",
			"scopes": []string{"ads.read", "ads.manage"},
		},
	})
	if code != http.StatusCreated {
		t.Fatalf("create app: %d %v", code, app)
	}
	newInvite := func() map[string]any {
		t.Helper()
		code, ai := call(t, "POST", srv.URL+"/v1/apps/"+app["id"].(string)+"/invites", browserAdminKey,
			map[string]any{"org_id": org, "email": "partner@agency.example", "note": "internal: agency Q3 deal"})
		if code != http.StatusCreated {
			t.Fatalf("create app invite: %d %v", code, ai)
		}
		return ai
	}
	inviteStatus := func(ai map[string]any) string {
		t.Helper()
		code, got := call(t, "GET", srv.URL+"/v1/app-invites/"+ai["id"].(string), browserAdminKey, nil)
		if code != http.StatusOK {
			t.Fatalf("read app invite: %d %v", code, got)
		}
		return got["status"].(string)
	}

	ctx := browser.Start(t)
	t.Run("allow", func(t *testing.T) {
		ai := newInvite()
		resp := browser.Run(t, ctx, chromedp.NavigateResponse(ai["url"].(string)))
		browser.Do(t, ctx, chromedp.WaitVisible(chromedp.CSS("a#continue")))
		browser.Screenshot(t, ctx, "landing")
		if resp.Status != http.StatusOK || header(resp.Headers, "Referrer-Policy") != "no-referrer" {
			t.Errorf("landing page: status %d, Referrer-Policy %q", resp.Status, header(resp.Headers, "Referrer-Policy"))
		}
		landing := browser.Run(t, ctx, chromedp.Text(chromedp.CSS("main")))
		mustContain(t, "landing page", landing, "Acme Media", "AdsPlatform", "ads.read", "ads.manage")
		mustNotContain(t, "landing page", landing, "partner@agency.example", "internal: agency Q3 deal")

		browser.Do(t, ctx,
			chromedp.Click(chromedp.CSS("a#continue")),
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
		code, list := call(t, "GET", srv.URL+"/v1/orgs/"+org+"/profiles", browserAdminKey, nil)
		profiles, _ := list["profiles"].([]any)
		if code != http.StatusOK || len(profiles) != 1 {
			t.Fatalf("profiles: %d %v", code, list)
		}
		p := profiles[0].(map[string]any)
		if p["status"] != "active" || p["external_account_id"] != "ad-account-7781" || p["app_invite_id"] != ai["id"] {
			t.Errorf("profile %v", p)
		}
		code, tok := call(t, "POST", srv.URL+"/v1/profiles/"+p["id"].(string)+"/token", browserAdminKey, nil)
		if code != http.StatusOK || tok["access_token"] == "" {
			t.Errorf("profile token: %d %v", code, tok)
		}

		// The link is spent: opened again, it says so.
		resp = browser.Run(t, ctx, chromedp.NavigateResponse(ai["url"].(string)))
		browser.Screenshot(t, ctx, "already-connected")
		if resp.Status != http.StatusConflict {
			t.Errorf("second visit: status %d, want 409", resp.Status)
		}
		mustContain(t, "second visit", browser.Run(t, ctx, chromedp.Text(chromedp.CSS("main"))), "already connected")
	})

	t.Run("deny", func(t *testing.T) {
		ai := newInvite()
		// decide opens the link, continues to the platform, answers its
		// consent page with button, and waits to be back.
		decide := func(button string) {
			t.Helper()
			browser.Do(t, ctx,
				chromedp.Navigate(ai["url"].(string)),
				chromedp.Click(chromedp.CSS("a#continue")),
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
