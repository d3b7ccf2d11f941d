package main

import (
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"strings"
	"testing"

	"github.com/invitedhq/invited/internal/secretbox"
	"github.com/invitedhq/invited/internal/testutil/oauthserver"
)

// TestAppClientSecretNeedsKeys registers an app with a client secret on a
// server with and without INVITED_ENCRYPTION_KEYS: the keys come from the
// environment all the way to the store, and without them the service
// refuses the secret and says what to set, rather than storing it in the
// clear.
func TestAppClientSecretNeedsKeys(t *testing.T) {
	const admin = "apps-test-admin-key-0123456789"
	app := map[string]any{"name": "Ads platform", "oauth": map[string]any{
		"authorization_url": "https://platform.example/oauth/authorize",
		"token_url":         "https://platform.example/oauth/token",
		"client_id":         "client-1",
		"client_secret":     "the-client-secret",
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
			status, body := call(t, "POST", srv.URL+"/v1/apps", admin, app)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %v", status, tc.status, body)
			}
			switch tc.status {
			case http.StatusCreated:
				if body["client_secret_set"] != true || body["oauth"].(map[string]any)["client_secret"] != nil {
					t.Errorf("answer %v: want client_secret_set and no secret", body)
				}
			default:
				fields, _ := body["error"].(map[string]any)["fields"].(map[string]any)
				if msg, _ := fields["oauth.client_secret"].(string); !strings.Contains(msg, "INVITED_ENCRYPTION_KEYS") {
					t.Errorf("error %v: want oauth.client_secret naming INVITED_ENCRYPTION_KEYS", body)
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

	_, org := call(t, "POST", srv.URL+"/v1/orgs", admin, map[string]any{"name": "Acme"})
	orgID := org["id"].(string)
	status, app := call(t, "POST", srv.URL+"/v1/apps", admin, map[string]any{"name": "Ads platform", "oauth": map[string]any{
		"authorization_url": platform.AuthorizeURL(), "token_url": platform.TokenURL(), "userinfo_url": platform.UserinfoURL(),
		"client_id": "invited-client", "client_secret": clientSecret, "scopes": []string{"ads.read"},
	}})
	if status != http.StatusCreated {
		t.Fatalf("create app: %d %v", status, app)
	}
	status, ai := call(t, "POST", srv.URL+"/v1/apps/"+app["id"].(string)+"/invites", admin, map[string]any{"org_id": orgID})
	if status != http.StatusCreated {
		t.Fatalf("create app invite: %d %v", status, ai)
	}

	// The partner's browser: the service's cookie binds the authorization
	// to it, and the redirects lead through the platform and back.
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Jar: jar}).Get(ai["url"].(string) + "/authorize")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/oauth/callback" {
		t.Fatalf("the partner ends at %s with %s, want /oauth/callback with 200", resp.Request.URL.Path, resp.Status)
	}

	status, list := call(t, "GET", srv.URL+"/v1/orgs/"+orgID+"/profiles", admin, nil)
	profiles, _ := list["profiles"].([]any)
	if status != http.StatusOK || len(profiles) != 1 {
		t.Fatalf("profiles: %d %v", status, list)
	}
	profile := profiles[0].(map[string]any)
	if profile["status"] != "active" || profile["external_account_id"] != "ad-account-7781" || profile["app_invite_id"] != ai["id"] {
		t.Errorf("profile %v", profile)
	}
	status, tok := call(t, "POST", srv.URL+"/v1/profiles/"+profile["id"].(string)+"/token", admin, nil)
	accessToken, _ := tok["access_token"].(string)
	if status != http.StatusOK || accessToken == "" || tok["token_type"] != "Bearer" {
		t.Fatalf("token: %d %v", status, tok)
	}
	// The token is the platform's: its API knows whose it is.
	req, err := http.NewRequest("GET", platform.UserinfoURL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	if resp, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the platform refuses the token: %s", resp.Status)
	}
	for _, secret := range []string{accessToken, clientSecret, ai["code"].(string)} {
		if strings.Contains(srv.Stderr.String(), secret) {
			t.Errorf("the log has a secret: %.8s…", secret)
		}
	}
}
