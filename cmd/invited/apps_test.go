package main

import (
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
	"github.com/invitedhq/invited/internal/secretbox"
	"github.com/invitedhq/invited/internal/testutil"
	"github.com/invitedhq/invited/internal/testutil/oauthserver"
)

// TestAppClientSecretNeedsKeys registers an app with a client secret on a
// server with and without INVITED_ENCRYPTION_KEYS: the keys come from the
// environment all the way to the store, and without them the service
// refuses the secret and says what to set, rather than storing it in the
// clear.
func TestAppClientSecretNeedsKeys(t *testing.T) {
	const admin = "apps-test-admin-key-0123456789"
	app := invited.AppCreate{Name: "Ads platform", OAuth: invited.OAuthConfig{
		AuthorizationURL: "https://platform.example/oauth/authorize",
		TokenURL:         "https://platform.example/oauth/token",
		ClientID:         "client-1",
		ClientSecret:     "the-client-secret",
	}}
	for _, tc := range []struct {
		name   string
		keys   string
		status int
	}{
		{"with keys", secretbox.NewKey("k1"), http.StatusCreated},
		{"without keys", "", http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServe(t, map[string]string{
				"INVITED_DATABASE_URL":    "sqlite:" + filepath.Join(t.TempDir(), "invited.db"),
				"INVITED_ADMIN_API_KEY":   admin,
				"INVITED_ENCRYPTION_KEYS": tc.keys,
			})
			created, err := newClient(t, srv.URL, client.WithAPIKey(admin)).CreateApp(t.Context(), app)
			switch tc.status {
			case http.StatusCreated:
				if err != nil {
					t.Fatalf("%v, want %d", err, tc.status)
				}
				if !created.ClientSecretSet || created.OAuth.ClientSecret != "" {
					t.Errorf("answer %+v: want client_secret_set and no secret", created)
				}
			default:
				e, ok := errors.AsType[*client.Error](err)
				if !ok || e.StatusCode != tc.status {
					t.Fatalf("%v, want %d", err, tc.status)
				}
				if msg := e.Fields["oauth.client_secret"]; !strings.Contains(msg, "INVITED_ENCRYPTION_KEYS") {
					t.Errorf("error %+v: want oauth.client_secret naming INVITED_ENCRYPTION_KEYS", e)
				}
			}
			if strings.Contains(srv.Stderr.String(), "the-client-secret") {
				t.Error("the client secret is in the log")
			}
		})
	}
}

// TestAppInviteConnects drives an app invite end to end over HTTP, as a
// partner's browser (a cookie jar) and an integrator would: an app at a
// real OAuth 2.0 server registered through the API, an invite, the
// partner's way through /a/{code}/authorize, the platform's consent and
// /oauth/callback, then the connection profile and its access token
// through the API.
func TestAppInviteConnects(t *testing.T) {
	const (
		admin        = "apps-test-admin-key-0123456789"
		clientSecret = "platform-client-secret"
	)
	srv := startServe(t, map[string]string{
		"INVITED_DATABASE_URL":    "sqlite:" + filepath.Join(t.TempDir(), "invited.db"),
		"INVITED_ADMIN_API_KEY":   admin,
		"INVITED_ENCRYPTION_KEYS": secretbox.NewKey("k1"),
		// The platform is a local server.
		"INVITED_OUTBOUND_ALLOW": testutil.LoopbackEnv,
	})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", srv.Stderr)
		}
	})
	platform := oauthserver.Start(t, oauthserver.Options{
		ClientID: "invited-client", ClientSecret: clientSecret, RedirectURI: srv.URL + "/oauth/callback",
		AccountID: "ad-account-7781", AutoConsent: oauthserver.Approve,
	})

	ctx := t.Context()
	c := newClient(t, srv.URL, client.WithAPIKey(admin))
	org, err := c.CreateOrganization(ctx, invited.OrganizationCreate{Name: "Acme"})
	if err != nil {
		t.Fatalf("create org: %v", err)
	}
	ai := connectPartner(t, c, platform, org.ID, clientSecret)

	list, err := c.ListOrgProfiles(ctx, invited.ProfileFilter{OrgID: org.ID})
	if err != nil || len(list.Profiles) != 1 {
		t.Fatalf("profiles: %v %+v", err, list)
	}
	profile := list.Profiles[0]
	if profile.Status != invited.ProfileActive || profile.ExternalAccountID != "ad-account-7781" || profile.AppInviteID != ai.ID {
		t.Errorf("profile %+v", profile)
	}
	tok, err := c.GetProfileToken(ctx, profile.ID)
	if err != nil || tok.AccessToken == "" || tok.TokenType != "Bearer" {
		t.Fatalf("token: %v %+v", err, tok)
	}
	accessToken := tok.AccessToken
	// The token is the platform's: its API knows whose it is.
	if account := platform.Account(t, accessToken); account != "ad-account-7781" {
		t.Errorf("the platform says the token is %q's, want ad-account-7781's", account)
	}
	for _, secret := range []string{accessToken, clientSecret, ai.Code} {
		if strings.Contains(srv.Stderr.String(), secret) {
			t.Errorf("the log has a secret: %.8s…", secret)
		}
	}
}

// connectPartner makes an app of platform (an oauthserver that approves
// on its own) and an app invite of org, and walks a partner's browser
// through it: the landing page, its form, the platform's consent and back
// to /oauth/callback. It returns the app invite, now connected.
func connectPartner(t *testing.T, c *client.Client, platform *oauthserver.Server, orgID, clientSecret string) *client.AppInviteWithCode {
	t.Helper()
	ctx := t.Context()
	app, err := c.CreateApp(ctx, invited.AppCreate{Name: "Ads platform", OAuth: invited.OAuthConfig{
		AuthorizationURL: platform.AuthorizeURL(), TokenURL: platform.TokenURL(), UserinfoURL: platform.UserinfoURL(),
		ClientID: "invited-client", ClientSecret: clientSecret, Scopes: []string{"ads.read"},
	}})
	if err != nil {
		t.Fatalf("create app: %v", err)
	}
	ai, err := c.CreateAppInvite(ctx, app.ID, invited.AppInviteCreate{OrgID: orgID})
	if err != nil {
		t.Fatalf("create app invite: %v", err)
	}

	// The partner's browser: the service's cookie binds the authorization
	// to it, and the redirects lead through the platform and back.
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	browser := &http.Client{Jar: jar}
	landing, err := browser.Get(ai.URL)
	if err != nil {
		t.Fatal(err)
	}
	page, err := io.ReadAll(landing.Body)
	landing.Body.Close()
	csrf := csrfField.FindSubmatch(page)
	if err != nil || csrf == nil {
		t.Fatalf("landing page (%v) without its form's csrf_token:\n%s", err, page)
	}
	resp, err := browser.PostForm(ai.URL+"/authorize", url.Values{"csrf_token": {string(csrf[1])}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/oauth/callback" {
		t.Fatalf("the partner ends at %s with %s, want /oauth/callback with 200", resp.Request.URL.Path, resp.Status)
	}
	return ai
}

// csrfField finds the CSRF token a hosted page's form posts back.
var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
