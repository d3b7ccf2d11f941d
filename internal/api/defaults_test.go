package api

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
)

// TestDefaultRoles: an invitation that names no role grants the
// organization's default_roles, member unless it says otherwise, and a
// role that grants no permission still makes a member.
func TestDefaultRoles(t *testing.T) {
	e := newEnv(t)
	org := e.createOrg("Acme")
	if !slices.Equal(org.Settings.DefaultRoles, []string{invited.RoleMember}) {
		t.Fatalf("a new organization's default_roles: %v", org.Settings.DefaultRoles)
	}
	owner := e.idp.Token(t, "sub-owner", "owner@acme.test")
	if acc := e.accept(e.invite(e.admin, org.ID, map[string]any{"email": "owner@acme.test"}).URL, owner); !slices.Equal(acc.Membership.Roles, []string{"member", "owner"}) {
		t.Fatalf("the first member, invited without roles: %v", acc.Membership.Roles)
	}

	t.Run("guest is built in and grants nothing", func(t *testing.T) {
		var list client.RoleList
		e.call(request{Method: "GET", Path: "/v1/orgs/" + org.ID + "/roles", Cred: e.admin}, http.StatusOK, &list)
		i := slices.IndexFunc(list.Roles, func(r *invited.Role) bool { return r.Name == invited.RoleGuest })
		if i < 0 || !list.Roles[i].BuiltIn || list.Roles[i].Permissions == nil || len(list.Roles[i].Permissions) != 0 {
			t.Fatalf("roles %+v lack a built-in guest without permissions", list.Roles)
		}
		guest := e.idp.Token(t, "sub-guest", "guest@acme.test")
		acc := e.accept(e.invite(e.admin, org.ID, map[string]any{"email": "guest@acme.test", "roles": []string{"guest"}}).URL, guest)
		if !slices.Equal(acc.Membership.Roles, []string{"guest"}) {
			t.Fatalf("membership roles %v", acc.Membership.Roles)
		}
		e.checkPermissionless(org.ID, acc.User.ID, guest)
	})

	t.Run("refused", func(t *testing.T) {
		for _, roles := range [][]string{{invited.RoleOwner}, {"nobody"}, {}} {
			r := e.do(setDefaultRoles(e.admin, org.ID, roles...))
			if d := r.apiError(t); r.Status != http.StatusBadRequest || d.Fields["settings.default_roles"] == "" {
				t.Errorf("default_roles %q: %d %s", roles, r.Status, r.Body)
			}
		}
	})

	t.Run("a custom role without permissions", func(t *testing.T) {
		var role invited.Role
		e.call(request{Method: "POST", Path: "/v1/orgs/" + org.ID + "/roles", Cred: e.admin, Body: invited.RoleCreate{Name: "visitor"}}, http.StatusCreated, &role)
		if role.Permissions == nil || len(role.Permissions) != 0 {
			t.Fatalf("role %+v", role)
		}
		var updated invited.Organization
		e.call(setDefaultRoles(e.admin, org.ID, "visitor"), http.StatusOK, &updated)
		if !slices.Equal(updated.Settings.DefaultRoles, []string{"visitor"}) {
			t.Fatalf("default_roles %v", updated.Settings.DefaultRoles)
		}

		inv := e.invite(e.admin, org.ID, map[string]any{"email": "vic@acme.test"})
		if !slices.Equal(inv.Roles, []string{"visitor"}) {
			t.Fatalf("invited without roles to %v", inv.Roles)
		}
		vic := e.idp.Token(t, "sub-vic", "vic@acme.test")
		acc := e.accept(inv.URL, vic)
		if !slices.Equal(acc.Membership.Roles, []string{"visitor"}) {
			t.Fatalf("membership roles %v", acc.Membership.Roles)
		}
		e.checkPermissionless(org.ID, acc.User.ID, vic)

		// A batch's items without roles get them too.
		var batch client.BatchResponse
		e.call(request{Method: "POST", Path: "/v1/orgs/" + org.ID + "/invitations/batch", Cred: e.admin,
			Body: client.BatchRequest{Invitations: []invited.InvitationCreate{{Email: "b1@acme.test"}, {Email: "b2@acme.test", Roles: []string{"member"}}}}},
			http.StatusOK, &batch)
		if got := batch.Results; len(got) != 2 || got[0].Invitation == nil || got[1].Invitation == nil ||
			!slices.Equal(got[0].Invitation.Roles, []string{"visitor"}) || !slices.Equal(got[1].Invitation.Roles, []string{"member"}) {
			t.Fatalf("batch results %+v", got)
		}
	})
}

// checkPermissionless checks that userID, whose roles in orgID grant no
// permission, is a member all the same: the admin lists them, and with
// their own token they see the organization and their membership, though
// not the other members.
func (e *env) checkPermissionless(orgID, userID, token string) {
	e.t.Helper()
	var members client.MemberList
	e.call(request{Method: "GET", Path: "/v1/orgs/" + orgID + "/members", Cred: e.admin}, http.StatusOK, &members)
	if !slices.ContainsFunc(members.Members, func(m *invited.Member) bool { return m.UserID == userID }) {
		e.t.Errorf("the admin's list of members lacks %s", userID)
	}
	var orgs client.OrganizationList
	e.call(request{Method: "GET", Path: "/v1/orgs", Cred: token}, http.StatusOK, &orgs)
	if len(orgs.Orgs) != 1 || orgs.Orgs[0].ID != orgID {
		e.t.Errorf("the member's organizations: %+v", orgs.Orgs)
	}
	var self invited.Member
	e.call(request{Method: "GET", Path: "/v1/orgs/" + orgID + "/members/" + userID, Cred: token}, http.StatusOK, &self)
	if self.UserID != userID {
		e.t.Errorf("own membership %+v", self)
	}
	e.call(request{Method: "GET", Path: "/v1/orgs/" + orgID + "/members", Cred: token}, http.StatusForbidden, nil)
}

// accept accepts the invitation of link as the user of token, with that
// user's own access token.
func (e *env) accept(link, token string) invited.Acceptance {
	e.t.Helper()
	var acc invited.Acceptance
	e.call(request{Method: "POST", Path: "/v1/invitation-tokens/" + tokenOf(e.t, link) + "/accept", Cred: token}, http.StatusOK, &acc)
	return acc
}

// setDefaultRoles is the request that sets the organization's
// default_roles to roles.
func setDefaultRoles(cred, orgID string, roles ...string) request {
	return request{Method: "PATCH", Path: "/v1/orgs/" + orgID, Cred: cred,
		Body: invited.OrganizationUpdate{Settings: &invited.OrgSettingsPatch{DefaultRoles: &roles}}}
}

// TestRelativeRedirect: a redirect_url that is a path is taken on the
// origin of the organization's default_redirect_url, and refused when it
// has none.
func TestRelativeRedirect(t *testing.T) {
	e := newEnv(t)
	var org invited.Organization
	home := "https://app.acme.test/home"
	e.call(request{Method: "POST", Path: "/v1/orgs", Cred: e.admin, Body: invited.OrganizationCreate{Name: "Acme", Settings: &invited.OrgSettingsPatch{
		AllowedRedirectOrigins: &[]string{"https://app.acme.test"}, DefaultRedirectURL: &home}}}, http.StatusCreated, &org)
	bare := e.createOrg("Bare")

	inv := e.invite(e.admin, org.ID, map[string]any{"email": "ada@acme.test", "redirect_url": "/somewhere/on/my/site#"})
	const want = "https://app.acme.test/somewhere/on/my/site"
	if inv.RedirectURL != want {
		t.Fatalf("redirect_url %q, want %q", inv.RedirectURL, want)
	}
	if acc := e.accept(inv.URL, e.idp.Token(t, "sub-ada", "ada@acme.test")); acc.RedirectURL != want {
		t.Errorf("the acceptance sends the invitee to %q, want %q", acc.RedirectURL, want)
	}

	for _, tt := range []struct{ org, url, msg string }{
		{bare.ID, "/welcome", "default_redirect_url"},
		{org.ID, "//evil.test/welcome", "allowed_redirect_origins"},
	} {
		r := e.do(request{Method: "POST", Path: "/v1/orgs/" + tt.org + "/invitations", Cred: e.admin,
			Body: invited.InvitationCreate{Email: "bob@acme.test", RedirectURL: tt.url}})
		if d := r.apiError(t); r.Status != http.StatusBadRequest || !strings.Contains(d.Fields["redirect_url"], tt.msg) {
			t.Errorf("%s: %d %s, want redirect_url mentioning %s", tt.url, r.Status, r.Body, tt.msg)
		}
	}
}

// TestInviteeFieldErrors: a create that names no invitee, or several, is
// told which fields: the ones it sent, or all three.
func TestInviteeFieldErrors(t *testing.T) {
	e := newEnv(t)
	org := e.createOrg("Acme")
	for _, tt := range []struct {
		body invited.InvitationCreate
		want []string
	}{
		{invited.InvitationCreate{}, []string{"email", "phone", "user_id"}},
		{invited.InvitationCreate{Phone: "+14155550100", UserID: "usr_01kf3mn5sxs5aa819x9yp98106"}, []string{"phone", "user_id"}},
	} {
		r := e.do(request{Method: "POST", Path: "/v1/orgs/" + org.ID + "/invitations", Cred: e.admin, Body: tt.body})
		if d := r.apiError(t); r.Status != http.StatusBadRequest || !slices.Equal(slices.Sorted(maps.Keys(d.Fields)), tt.want) {
			t.Errorf("%+v: %d %s, want fields %v", tt.body, r.Status, r.Body, tt.want)
		}
	}
}
