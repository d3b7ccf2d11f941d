package api

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
	"github.com/invitedhq/invited/internal/httpkit"
)

// TestAuthorization runs what each kind of caller may do against the
// endpoints that decide it: organization keys with some permissions, users
// with each built-in role and a custom one, a stranger, another tenant, and
// a key acting for a user.
func TestAuthorization(t *testing.T) {
	e := newEnv(t)
	acme, globex := e.createOrg("Acme"), e.createOrg("Globex")
	e.call(request{Method: "POST", Path: "/v1/orgs/" + acme.ID + "/roles", Cred: e.admin,
		Body: invited.RoleCreate{Name: "inviter", Permissions: []invited.Permission{invited.PermInvitationsCreate}}}, http.StatusCreated, nil)

	// Users join Acme by accepting with their own access tokens; the first
	// to join becomes its owner.
	tokens, userIDs := map[string]string{}, map[string]string{}
	for _, u := range []struct{ name, role string }{{"owner", "member"}, {"admin", "admin"}, {"member", "member"}, {"inviter", "inviter"}} {
		email := u.name + "@acme.test"
		inv := e.invite(e.admin, acme.ID, map[string]any{"email": email, "roles": []string{u.role}})
		tokens[u.name] = e.idp.token(t, "sub-"+u.name, email)
		var acc invited.Acceptance
		e.call(request{Method: "POST", Path: "/v1/invitation-tokens/" + tokenOf(t, inv.URL) + "/accept", Cred: tokens[u.name]}, http.StatusOK, &acc)
		userIDs[u.name] = acc.User.ID
	}

	invA := e.invite(e.admin, acme.ID, map[string]any{"email": "a@acme.test", "roles": []string{"member"}}).ID
	invByInviter := e.invite(tokens["inviter"], acme.ID, map[string]any{"email": "friend@acme.test", "roles": []string{"member"}}).ID
	invB := e.invite(e.admin, globex.ID, map[string]any{"email": "b@globex.test", "roles": []string{"member"}}).ID
	names := map[string]string{invA: "A", invByInviter: "inviter's", invB: "B"}

	manage := []invited.Permission{invited.PermInvitationsCreate, invited.PermInvitationsRead, invited.PermInvitationsRevoke,
		invited.PermMembersRead, invited.PermMembersManage, invited.PermOrgManage}
	callers := []struct {
		name, cred, actingAs                                                    string
		sees                                                                    []string // which of A, inviter's, B the list shows
		getA, getB, create, revoke, members, updateMember, createKey, createOrg int
	}{
		{name: "admin key", cred: e.admin, sees: []string{"A", "inviter's", "B"},
			getA: 200, getB: 200, create: 201, revoke: 200, members: 200, updateMember: 200, createKey: 201, createOrg: 201},
		{name: "key with invitations:read", cred: e.createKey(acme.ID, invited.PermInvitationsRead), sees: []string{"A", "inviter's"},
			getA: 200, getB: 404, create: 403, revoke: 403, members: 403, updateMember: 403, createKey: 403, createOrg: 403},
		{name: "key with invitations:create", cred: e.createKey(acme.ID, invited.PermInvitationsCreate), sees: nil,
			getA: 404, getB: 404, create: 201, revoke: 403, members: 403, updateMember: 403, createKey: 403, createOrg: 403},
		{name: "key with all but org:delete", cred: e.createKey(acme.ID, manage...), sees: []string{"A", "inviter's"},
			getA: 200, getB: 404, create: 201, revoke: 200, members: 200, updateMember: 200, createKey: 403, createOrg: 403},
		{name: "another tenant's key", cred: e.createKey(globex.ID, invited.AllPermissions...), sees: []string{"B"},
			getA: 404, getB: 200, create: 404, revoke: 404, members: 404, updateMember: 404, createKey: 404, createOrg: 403},
		{name: "owner", cred: tokens["owner"], sees: []string{"A", "inviter's"},
			getA: 200, getB: 404, create: 201, revoke: 200, members: 200, updateMember: 200, createKey: 201, createOrg: 403},
		{name: "admin", cred: tokens["admin"], sees: []string{"A", "inviter's"},
			getA: 200, getB: 404, create: 201, revoke: 200, members: 200, updateMember: 200, createKey: 403, createOrg: 403},
		{name: "member", cred: tokens["member"], sees: nil,
			getA: 404, getB: 404, create: 403, revoke: 403, members: 200, updateMember: 403, createKey: 403, createOrg: 403},
		{name: "invitations:create only", cred: tokens["inviter"], sees: []string{"inviter's"},
			getA: 404, getB: 404, create: 201, revoke: 403, members: 403, updateMember: 403, createKey: 403, createOrg: 403},
		{name: "not a member", cred: e.idp.token(t, "sub-stranger", "stranger@else.test"), sees: nil,
			getA: 404, getB: 404, create: 404, revoke: 404, members: 404, updateMember: 404, createKey: 404, createOrg: 403},
		{name: "admin key acting as member", cred: e.admin, actingAs: userIDs["member"], sees: nil,
			getA: 404, getB: 404, create: 403, revoke: 403, members: 200, updateMember: 403, createKey: 403, createOrg: 403},
	}
	for i, c := range callers {
		t.Run(c.name, func(t *testing.T) {
			rq := func(method, path string, body any) request {
				r := request{Method: method, Path: path, Cred: c.cred, Body: body}
				if c.actingAs != "" {
					r.Header = map[string]string{httpkit.ActingUserHeader: c.actingAs}
				}
				return r
			}
			check := func(what string, r request, want int) {
				t.Helper()
				got := e.do(r)
				if got.Status != want {
					t.Errorf("%s: %d, want %d: %s", what, got.Status, want, got.Body)
				}
			}

			var list client.InvitationList
			e.call(rq("GET", "/v1/invitations?page_size=200", nil), http.StatusOK, &list)
			var sees []string
			for _, inv := range list.Invitations {
				if name, ok := names[inv.ID]; ok {
					sees = append(sees, name)
				}
			}
			slices.Sort(sees)
			if want := slices.Sorted(slices.Values(c.sees)); !slices.Equal(sees, want) {
				t.Errorf("list shows %v, want %v", sees, want)
			}

			check("get own organization's invitation", rq("GET", "/v1/invitations/"+invA, nil), c.getA)
			check("get other organization's invitation", rq("GET", "/v1/invitations/"+invB, nil), c.getB)
			check("create invitation", rq("POST", "/v1/orgs/"+acme.ID+"/invitations",
				map[string]any{"email": fmt.Sprintf("new%d@acme.test", i), "roles": []string{"member"}}), c.create)
			target := e.invite(e.admin, acme.ID, map[string]any{"email": fmt.Sprintf("revoke%d@acme.test", i), "roles": []string{"member"}})
			check("revoke", rq("POST", "/v1/invitations/"+target.ID+"/revoke", nil), c.revoke)
			check("list members", rq("GET", "/v1/orgs/"+acme.ID+"/members", nil), c.members)
			check("get member", rq("GET", "/v1/orgs/"+acme.ID+"/members/"+userIDs["member"], nil), c.members)
			check("update member", rq("PATCH", "/v1/orgs/"+acme.ID+"/members/"+userIDs["member"],
				invited.MemberUpdate{Roles: []string{"member"}}), c.updateMember)
			check("create API key with org:delete", rq("POST", "/v1/api-keys", invited.APIKeyCreate{
				Name: "k", OrgID: acme.ID, Permissions: []invited.Permission{invited.PermInvitationsRead, invited.PermOrgDelete}}), c.createKey)
			check("create organization", rq("POST", "/v1/orgs", map[string]any{"name": "Org " + strings.Repeat("x", i)}), c.createOrg)
		})
	}
}

// TestAuthentication covers credentials and the headers that go with them.
func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	other := newIdentityProvider(t) // a key the server does not trust
	user := e.idp.token(t, "sub-1", "one@example.com")

	tests := []struct {
		name   string
		header map[string]string
		status int
	}{
		{"no credentials", nil, 401},
		{"basic auth", map[string]string{"Authorization": "Basic dXNlcjpwYXNz"}, 401},
		{"empty bearer", map[string]string{"Authorization": "Bearer "}, 401},
		{"unknown API key", map[string]string{"Authorization": "Bearer " + invited.NewSecret(invited.SecretPrefixAPIKey)}, 401},
		{"garbage", map[string]string{"Authorization": "Bearer hello"}, 401},
		{"JWT from an untrusted key", map[string]string{"Authorization": "Bearer " + other.token(t, "sub-1", "one@example.com")}, 401},
		{"user token", map[string]string{"Authorization": "Bearer " + user}, 200},
		{"lower-case scheme", map[string]string{"Authorization": "bearer " + e.admin}, 200},
		{"user token acting as someone", map[string]string{"Authorization": "Bearer " + user, httpkit.ActingUserHeader: "usr_x"}, 400},
		{"key acting as an unknown user", map[string]string{"Authorization": "Bearer " + e.admin, httpkit.ActingUserHeader: "nobody"}, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(request{Method: "GET", Path: "/v1/orgs", Header: tt.header})
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tt.status, r.Body)
			}
			if tt.status == 401 && r.Header.Get("WWW-Authenticate") != "Bearer" {
				t.Errorf("WWW-Authenticate %q", r.Header.Get("WWW-Authenticate"))
			}
		})
	}

	t.Run("user tokens disabled", func(t *testing.T) {
		h := NewServer(Deps{Credentials: &httpkit.Credentials{Auth: e.db}, Orgs: e.db})
		rec := httptestDo(h, "GET", "/v1/orgs", map[string]string{"Authorization": "Bearer " + user})
		if rec.Code != 401 {
			t.Errorf("status %d: %s", rec.Code, rec.Body)
		}
	})

	t.Run("accept names its user only with a key", func(t *testing.T) {
		org := e.createOrg("Acme")
		inv := e.invite(e.admin, org.ID, map[string]any{"email": "one@example.com", "roles": []string{"member"}})
		path := "/v1/invitation-tokens/" + tokenOf(t, inv.URL) + "/accept"
		for _, c := range []struct {
			cred string
			body any
		}{
			{e.admin, nil},
			{e.admin, map[string]any{"user": map[string]any{"email": "bad"}}},
			{user, map[string]any{"user": map[string]any{"email": "one@example.com"}}},
		} {
			if r := e.do(request{Method: "POST", Path: path, Cred: c.cred, Body: c.body}); r.Status != 400 || r.apiError(t).Fields == nil {
				t.Errorf("%v: %d %s", c.body, r.Status, r.Body)
			}
		}
		if r := e.do(request{Method: "POST", Path: path}); r.Status != 401 {
			t.Errorf("accept without credentials: %d %s", r.Status, r.Body)
		}
		mismatch := e.idp.token(t, "sub-2", "two@example.com")
		if r := e.do(request{Method: "POST", Path: path, Cred: mismatch}); r.Status != 403 || r.apiError(t).Code != invited.EEMAILMISMATCH {
			t.Errorf("accept by someone else: %d %s", r.Status, r.Body)
		}
		e.call(request{Method: "POST", Path: path, Cred: user}, http.StatusOK, nil)
	})
}
