package invited_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/invitedhq/invited"
)

// TestDefaultRoles: an organization's default_roles are member unless it
// says otherwise, then 1-32 of its roles but owner.
func TestDefaultRoles(t *testing.T) {
	now := time.Now()
	org, err := invited.NewOrganization(invited.OrganizationCreate{Name: "Acme"}, now)
	if err != nil || !slices.Equal(org.Settings.DefaultRoles, []string{invited.RoleMember}) {
		t.Fatalf("a new organization's default roles: %v, %v", org.Settings.DefaultRoles, err)
	}
	exists := func(r string) bool { return r != "viewer" }
	tests := []struct {
		name    string
		roles   []string
		want    []string // on success
		problem string   // the start of settings.default_roles' message
	}{
		{"guest", []string{"guest"}, []string{"guest"}, ""},
		{"a custom role", []string{"billing", "member"}, []string{"billing", "member"}, ""},
		{"repeated", []string{"member", "member"}, []string{"member"}, ""},
		{"none", []string{}, nil, "must name at least one role"},
		{"too many", slices.Repeat([]string{"member"}, invited.MaxRoles+1), nil, "at most 32 roles"},
		{"owner", []string{"member", "owner"}, nil, "owner cannot be a default role"},
		{"unknown", []string{"viewer"}, nil, `unknown role "viewer"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := *org
			o.Settings.DefaultRoles = slices.Clone(org.Settings.DefaultRoles)
			err := o.Apply(invited.OrganizationUpdate{Settings: &invited.OrgSettingsPatch{DefaultRoles: &tt.roles}}, exists, now)
			if tt.problem == "" {
				if err != nil || !slices.Equal(o.Settings.DefaultRoles, tt.want) {
					t.Fatalf("default roles %v, %v; want %v", o.Settings.DefaultRoles, err, tt.want)
				}
				return
			}
			var e *invited.Error
			if !asError(err, &e) || !strings.HasPrefix(e.Fields["settings.default_roles"], tt.problem) {
				t.Fatalf("got %v (%+v), want settings.default_roles: %s…", err, e, tt.problem)
			}
		})
	}

	// A new organization has only the built-in roles to choose from.
	for roles, ok := range map[string]bool{"guest": true, "admin member": true, "billing": false, "owner": false} {
		list := strings.Fields(roles)
		_, err := invited.NewOrganization(invited.OrganizationCreate{Name: "New", Settings: &invited.OrgSettingsPatch{DefaultRoles: &list}}, now)
		if (err == nil) != ok {
			t.Errorf("a new organization with default roles %v: %v", list, err)
		}
	}
}

func TestOrganizationLocales(t *testing.T) {
	withDefault := &invited.Organization{Settings: invited.OrgSettings{DefaultLocale: "de"}}
	for _, tc := range []struct {
		name string
		org  *invited.Organization
		own  string
		want string
	}{
		{"none", &invited.Organization{}, "", ""},
		{"own alone", &invited.Organization{}, "ja", "ja"},
		{"the organization's alone", withDefault, "", "de"},
		{"own first, then the organization's", withDefault, "ko", "ko, de"},
		{"the same once", withDefault, "de", "de"},
		{"no organization", nil, "fr", "fr"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.org.Locales(tc.own); got != tc.want {
				t.Errorf("Locales(%q) = %q, want %q", tc.own, got, tc.want)
			}
		})
	}
}
