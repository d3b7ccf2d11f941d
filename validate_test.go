package invited_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/invitedhq/invited"
)

// field is what a validator left in its FieldErrors under name: "" when
// it found nothing wrong there.
func field(t *testing.T, f invited.FieldErrors, name string) string {
	t.Helper()
	for k := range f {
		if k != name {
			t.Fatalf("a problem under %q, not %q: %v", k, name, f)
		}
	}
	return f[name].Text()
}

func TestResolveRoles(t *testing.T) {
	exists := func(r string) bool { return r == "admin" || r == "member" || r == "guest" || r == "billing" }
	s := invited.DefaultOrgSettings()
	guests := invited.DefaultOrgSettings()
	guests.DefaultRoles = []string{"guest", "billing"}

	tests := []struct {
		name     string
		settings invited.OrgSettings
		roles    []string
		want     []string
		problem  string // the start of the field's message, "" for none
	}{
		{"given", s, []string{"admin", "billing"}, []string{"admin", "billing"}, ""},
		{"given twice", s, []string{"admin", "admin"}, []string{"admin"}, ""},
		{"omitted: the default", s, nil, []string{"member"}, ""},
		{"empty: the default", s, []string{}, []string{"member"}, ""},
		{"the organization's own default", guests, nil, []string{"guest", "billing"}, ""},
		{"given wins over the default", guests, []string{"admin"}, []string{"admin"}, ""},
		{"unknown", s, []string{"admin", "wizard"}, []string{"admin", "wizard"}, `unknown role "wizard"`},
		{"control character", s, []string{"ad\x00min"}, []string{"ad\x00min"}, "must not contain control characters"},
		{"too many", s, slices.Repeat([]string{"admin"}, invited.MaxRoles+1), []string{"admin"}, "at most 32 roles"},
		// Settings that never had default_roles fall back on member, as
		// they fall back on the default lifetime (TTL).
		{"settings without defaults", invited.OrgSettings{}, nil, []string{"member"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := invited.FieldErrors{}
			got := tt.settings.ResolveRoles(f, "roles", tt.roles, exists)
			if !slices.Equal(got, tt.want) {
				t.Errorf("roles %q, want %q", got, tt.want)
			}
			if msg := field(t, f, "roles"); !strings.HasPrefix(msg, tt.problem) || (tt.problem == "") != (msg == "") {
				t.Errorf("problem %q, want %q", msg, tt.problem)
			}
		})
	}
}

func TestResolveRedirect(t *testing.T) {
	s := invited.DefaultOrgSettings()
	s.AllowedRedirectOrigins = []string{"https://app.acme.test", "https://other.acme.test"}
	s.DefaultRedirectURL = "https://app.acme.test/home?from=invited"
	noDefault := s
	noDefault.DefaultRedirectURL = ""
	stale := s // the allowlist lost the default's origin since it was set
	stale.AllowedRedirectOrigins = []string{"https://other.acme.test"}

	const (
		notAllowed = "origin is not in the organization's allowed_redirect_origins"
		needsBase  = "a path needs the organization's default_redirect_url"
	)
	tests := []struct {
		name     string
		settings invited.OrgSettings
		raw      string
		want     string
		problem  string // the start of the field's message, "" for none
	}{
		{"none", s, "", "", ""},
		{"blank", s, "  ", "", ""},
		{"absolute", s, " https://other.acme.test/welcome?x=1 ", "https://other.acme.test/welcome?x=1", ""},
		{"path", s, "/somewhere/on/my/site#", "https://app.acme.test/somewhere/on/my/site", ""},
		{"path with query and fragment", s, "/welcome?step=2#top", "https://app.acme.test/welcome?step=2#top", ""},
		{"root", s, "/", "https://app.acme.test/", ""},
		{"dot segments stay on the origin", s, "/../..//evil.test/x", "https://app.acme.test/evil.test/x", ""},
		{"absolute elsewhere", s, "https://evil.test/", "https://evil.test/", notAllowed},
		{"another host, scheme-relative", s, "//evil.test/welcome", "//evil.test/welcome", notAllowed},
		{"another host, backslash", s, `/\evil.test/welcome`, `/\evil.test/welcome`, notAllowed},
		{"neither absolute nor a path", s, "welcome", "welcome", notAllowed},
		{"path without a default", noDefault, "/welcome", "/welcome", needsBase},
		{"path against a default no longer allowed", stale, "/welcome", "https://app.acme.test/welcome", notAllowed},
		{"bad escape", s, "/%zz", "/%zz", "not a URL"},
		{"control character", s, "/wel\x7fcome", "/wel\x7fcome", "must not contain control characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := invited.FieldErrors{}
			if got := tt.settings.ResolveRedirect(f, "redirect_url", tt.raw); got != tt.want {
				t.Errorf("resolved %q, want %q", got, tt.want)
			}
			if msg := field(t, f, "redirect_url"); !strings.HasPrefix(msg, tt.problem) || (tt.problem == "") != (msg == "") {
				t.Errorf("problem %q, want %q", msg, tt.problem)
			}
		})
	}
}

func TestCheckMetadata(t *testing.T) {
	big := `{"x":"` + strings.Repeat("a", invited.MaxMetadataSize) + `"}`
	tests := []struct {
		name, raw, want string // want "" for nil
		problem         string
	}{
		{"absent", "", "", ""},
		{"null", "null", "", ""},
		{"object", `{"team":"red"}`, `{"team":"red"}`, ""},
		{"empty object", `{}`, `{}`, ""},
		{"array", `[1]`, "", "must be a JSON object"},
		{"string", `"x"`, "", "must be a JSON object"},
		{"too big", big, "", "at most 8 KiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := invited.FieldErrors{}
			got := invited.CheckMetadata(f, json.RawMessage(tt.raw))
			if string(got) != tt.want || (tt.want == "") != (got == nil) {
				t.Errorf("kept %q, want %q", got, tt.want)
			}
			if msg := field(t, f, "metadata"); msg != tt.problem {
				t.Errorf("problem %q, want %q", msg, tt.problem)
			}
		})
	}
}

// TestLocaleFields checks the BCP 47 validation of every locale field: a
// tag is kept in canonical form, junk is a field error of its own field,
// and any real language is accepted, shipped catalog or not.
func TestLocaleFields(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	org := &invited.Organization{ID: "org_a", Name: "Acme", Settings: invited.DefaultOrgSettings()}
	exists := func(r string) bool { return r == "member" }
	member := func([]string) invited.PermissionSet { return invited.NewPermissionSet(invited.PermMembersRead) }
	validators := map[string]func(locale string) (string, error){
		"locale": func(locale string) (string, error) {
			inv, err := invited.NewInvitation(invited.InvitationCreate{Email: "a@b.co", Locale: locale}, org, exists, invited.Inviter{}, now)
			if err != nil {
				return "", err
			}
			return inv.Locale, nil
		},
		"join link locale": func(locale string) (string, error) {
			l, err := invited.NewJoinLink(invited.JoinLinkCreate{Locale: locale}, org, exists, member, invited.Inviter{}, now)
			if err != nil {
				return "", err
			}
			return l.Locale, nil
		},
		"app invite locale": func(locale string) (string, error) {
			ai, err := invited.NewAppInvite(&invited.App{ID: "app_s"}, org, invited.AppInviteCreate{OrgID: org.ID, Locale: locale}, invited.Inviter{}, now)
			if err != nil {
				return "", err
			}
			return ai.Locale, nil
		},
		"settings.default_locale": func(locale string) (string, error) {
			o := *org
			if err := o.Apply(invited.OrganizationUpdate{Settings: &invited.OrgSettingsPatch{DefaultLocale: &locale}}, exists, now); err != nil {
				return "", err
			}
			return o.Settings.DefaultLocale, nil
		},
	}
	field := map[string]string{"locale": "locale", "join link locale": "locale", "app invite locale": "locale",
		"settings.default_locale": "settings.default_locale"}
	for name, validate := range validators {
		for _, tc := range []struct{ in, want string }{
			{"", ""},
			{"de", "de"},
			{" fr ", "fr"},
			{"pt-br", "pt-BR"},
			{"ar-EG", "ar-EG"},
			{"zh-Hant-TW", "zh-Hant-TW"},
			{"ko", "ko"}, // no catalog yet: the pages fall back
		} {
			got, err := validate(tc.in)
			if err != nil || got != tc.want {
				t.Errorf("%s %q = %q, %v; want %q", name, tc.in, got, err, tc.want)
			}
		}
		for _, junk := range []string{"klingon!!", "en_US", "xx", "de-", "12", "<script>", strings.Repeat("a", 40), "de-DE-" + strings.Repeat("x", 40)} {
			_, err := validate(junk)
			var e *invited.Error
			if !errors.As(err, &e) || e.Code != invited.EINVALID || e.Fields[field[name]] == "" {
				t.Errorf("%s %q: err = %v, want a field error of %s", name, junk, err, field[name])
			}
		}
	}
}
