package main

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/invitedhq/invited/internal/secretbox"
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
