package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/invitedhq/invited"
)

// TestLocaleFields: every create that has invitee-facing pages takes a
// locale, answers it in canonical form, and refuses junk with a field
// error; the organization's default_locale is a setting like any other.
func TestLocaleFields(t *testing.T) {
	e := newEnv(t)
	org := e.createOrg("Acme")
	app := e.createApp(e.admin, org.ID)
	creates := []struct {
		name, path string
		body       map[string]any
	}{
		{"invitation", "/v1/orgs/" + org.ID + "/invitations", map[string]any{"email": "ada@example.com"}},
		{"join link", "/v1/orgs/" + org.ID + "/join-links", map[string]any{}},
		{"app invite", "/v1/apps/" + app.ID + "/invites", map[string]any{"org_id": org.ID}},
	}
	for _, c := range creates {
		t.Run(c.name, func(t *testing.T) {
			body := map[string]any{"locale": "pt-br"}
			for k, v := range c.body {
				body[k] = v
			}
			var got struct{ Locale string }
			e.call(request{Method: "POST", Path: c.path, Cred: e.admin, Body: body}, http.StatusCreated, &got)
			if got.Locale != "pt-BR" {
				t.Errorf("locale %q, want pt-BR", got.Locale)
			}
			for _, junk := range []string{"klingon!!", "en_US", "xx", strings.Repeat("a", 40)} {
				body["locale"] = junk
				body["email"] = "junk@example.com"
				if c.name != "invitation" {
					delete(body, "email")
				}
				r := e.do(request{Method: "POST", Path: c.path, Cred: e.admin, Body: body, Invalid: len(junk) > invited.MaxLocaleLen})
				if r.Status != http.StatusBadRequest {
					t.Fatalf("locale %q: %d, want 400: %s", junk, r.Status, r.Body)
				}
				if d := r.apiError(t); d.Code != invited.EINVALID || d.Fields["locale"] == "" {
					t.Fatalf("locale %q: error %+v, want a field error of locale", junk, d)
				}
			}
		})
	}
	t.Run("batch", func(t *testing.T) {
		r := e.call(request{Method: "POST", Path: "/v1/orgs/" + org.ID + "/invitations/batch", Cred: e.admin,
			Body: map[string]any{"invitations": []map[string]any{{"email": "b1@example.com", "locale": "ja"}, {"email": "b2@example.com", "locale": "!!"}}}},
			http.StatusOK, nil)
		var out struct {
			Results []struct {
				Invitation *struct{ Locale string }
				Error      *struct{ Fields map[string]string }
			}
		}
		if err := json.Unmarshal(r.Body, &out); err != nil || len(out.Results) != 2 {
			t.Fatalf("%v: %s", err, r.Body)
		}
		if out.Results[0].Invitation == nil || out.Results[0].Invitation.Locale != "ja" ||
			out.Results[1].Error == nil || out.Results[1].Error.Fields["locale"] == "" {
			t.Fatalf("batch answered %s", r.Body)
		}
	})
	t.Run("default_locale", func(t *testing.T) {
		var got invited.Organization
		e.call(request{Method: "PATCH", Path: "/v1/orgs/" + org.ID, Cred: e.admin,
			Body: map[string]any{"settings": map[string]any{"default_locale": "DE-at"}}}, http.StatusOK, &got)
		if got.Settings.DefaultLocale != "de-AT" {
			t.Errorf("default_locale %q, want de-AT", got.Settings.DefaultLocale)
		}
		r := e.do(request{Method: "PATCH", Path: "/v1/orgs/" + org.ID, Cred: e.admin,
			Body: map[string]any{"settings": map[string]any{"default_locale": "123"}}})
		if r.Status != http.StatusBadRequest || r.apiError(t).Fields["settings.default_locale"] == "" {
			t.Fatalf("junk default_locale: %d %s", r.Status, r.Body)
		}
	})
}
