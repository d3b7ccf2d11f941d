package api

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
	"github.com/invitedhq/invited/internal/httpkit"
	"github.com/invitedhq/invited/internal/openapi"
	"github.com/invitedhq/invited/internal/testutil/idp"
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
		tokens[u.name] = e.idp.Token(t, "sub-"+u.name, email)
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
		{name: "not a member", cred: e.idp.Token(t, "sub-stranger", "stranger@else.test"), sees: nil,
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

// TestRoleCreateEscalation: a role holds no permission its creator could
// not grant, and the 403 names the missing ones.
func TestRoleCreateEscalation(t *testing.T) {
	e := newEnv(t)
	org := e.createOrg("Acme")
	rolesKey := e.createKey(org.ID, invited.PermRolesManage)
	tests := []struct {
		name, cred string
		perms      []invited.Permission
		status     int
		message    string
	}{
		{"within the key's permissions", rolesKey, []invited.Permission{invited.PermRolesManage, invited.PermMembersRead}, http.StatusCreated, ""},
		{"beyond the key's permissions", rolesKey, []invited.Permission{invited.PermOrgDelete, invited.PermRolesManage, invited.PermOrgManage},
			http.StatusForbidden, "you cannot grant permissions you do not hold: org:manage, org:delete"},
		{"admin key", e.admin, invited.AllPermissions, http.StatusCreated, ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.call(request{Method: "POST", Path: "/v1/orgs/" + org.ID + "/roles", Cred: tt.cred,
				Body: invited.RoleCreate{Name: fmt.Sprintf("role-%d", i), Permissions: tt.perms}}, tt.status, nil)
			if tt.status != http.StatusForbidden {
				return
			}
			if got := r.apiError(t); got.Code != invited.EFORBIDDEN || got.Message != tt.message {
				t.Fatalf("answer %+v, want %s %q", got, invited.EFORBIDDEN, tt.message)
			}
		})
	}
}

// TestAuthentication covers credentials and the headers that go with them.
func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	other := idp.Start(t) // a key the server does not trust
	user := e.idp.Token(t, "sub-1", "one@example.com")

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
		{"JWT from an untrusted key", map[string]string{"Authorization": "Bearer " + other.Token(t, "sub-1", "one@example.com")}, 401},
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
		mismatch := e.idp.Token(t, "sub-2", "two@example.com")
		// The refusal says, masked, which address to sign in with.
		if r := e.do(request{Method: "POST", Path: path, Cred: mismatch}); r.Status != 403 || r.apiError(t).Code != invited.EEMAILMISMATCH ||
			r.apiError(t).Invitee != "o***@example.com" || strings.Contains(string(r.Body), "one@example.com") {
			t.Errorf("accept by someone else: %d %s", r.Status, r.Body)
		}
		e.call(request{Method: "POST", Path: path, Cred: user}, http.StatusOK, nil)
	})
}

// TestDocumentedPermissions checks that each operation documenting one
// permission (x-auth in /openapi.json) needs that one and no other: a key
// holding it and invitations:read (to see invitations) may act, a key
// holding every other permission is refused. It covers the invitation
// actions, the operations on an organization and its members, and the app
// invite operations and the organization's profile list; the operations
// on one profile, which need a partner's OAuth flow to set up, are left to
// their own tests.
func TestDocumentedPermissions(t *testing.T) {
	e := newEnv(t)
	org := e.createOrg("Acme")
	var doc openapi.Document
	e.call(request{Method: "GET", Path: "/openapi.json"}, http.StatusOK, &doc)

	n := 0
	next := func() string { n++; return fmt.Sprintf("p%d", n) }
	// invitation returns the path of a new invitation to org in status.
	invitation := func(status invited.Status) string {
		email := next() + "@acme.test"
		inv := e.invite(e.admin, org.ID, map[string]any{"email": email, "roles": []string{"member"}, "send": status != invited.StatusDraft})
		if status == invited.StatusAccepted {
			e.call(request{Method: "POST", Path: "/v1/invitation-tokens/" + tokenOf(t, inv.URL) + "/accept",
				Cred: e.idp.Token(t, "sub-"+email, email)}, http.StatusOK, nil)
		}
		e.clock.Advance(invited.ResendInterval + time.Second) // resends wait after a send
		return "/v1/invitations/" + inv.ID
	}
	// member returns the path of a new member of org. The first to join
	// is the owner, whom the member operations must not remove.
	member := func() string {
		email := next() + "@acme.test"
		inv := e.invite(e.admin, org.ID, map[string]any{"email": email, "roles": []string{"member"}})
		var acc invited.Acceptance
		e.call(request{Method: "POST", Path: "/v1/invitation-tokens/" + tokenOf(t, inv.URL) + "/accept",
			Cred: e.idp.Token(t, "sub-"+email, email)}, http.StatusOK, &acc)
		return "/v1/orgs/" + org.ID + "/members/" + acc.User.ID
	}
	member() // the owner
	orgPath := "/v1/orgs/" + org.ID
	fixed := func(path string) func() string { return func() string { return path } }
	app := e.createApp(e.admin, org.ID)
	// appInvite returns the path of a new app invite to org, revoked
	// when revoked is set.
	appInvite := func(revoked bool) string {
		path := "/v1/app-invites/" + e.inviteToApp(e.admin, app.ID, map[string]any{"org_id": org.ID}).ID
		if revoked {
			e.call(request{Method: "POST", Path: path + "/revoke", Cred: e.admin}, http.StatusOK, nil)
		}
		return path
	}

	tests := []struct {
		method, path string // the spec's
		target       func() string
		body         func() any
	}{
		{"POST", "/v1/invitations/{id}/send", func() string { return invitation(invited.StatusDraft) + "/send" }, nil},
		{"POST", "/v1/invitations/{id}/resend", func() string { return invitation(invited.StatusPending) + "/resend" }, nil},
		{"POST", "/v1/invitations/{id}/renew", func() string { return invitation(invited.StatusPending) + "/renew" }, nil},
		{"POST", "/v1/invitations/{id}/revoke", func() string { return invitation(invited.StatusPending) + "/revoke" }, nil},
		{"DELETE", "/v1/invitations/{id}", func() string { return invitation(invited.StatusPending) }, nil},
		{"POST", "/v1/invitations/{id}/archive", func() string { return invitation(invited.StatusAccepted) + "/archive" }, nil},
		{"POST", "/v1/orgs/{org}/invitations", fixed(orgPath + "/invitations"),
			func() any { return map[string]any{"email": next() + "@acme.test", "roles": []string{"member"}} }},
		{"POST", "/v1/orgs/{org}/invitations/batch", fixed(orgPath + "/invitations/batch"),
			func() any {
				return client.BatchRequest{Invitations: []invited.InvitationCreate{{Email: next() + "@acme.test", Roles: []string{"member"}}}}
			}},
		{"PATCH", "/v1/orgs/{org}", fixed(orgPath), func() any { return map[string]any{"settings": map[string]any{"contact": next()}} }},
		{"POST", "/v1/orgs/{org}/roles", fixed(orgPath + "/roles"),
			func() any {
				return invited.RoleCreate{Name: next(), Permissions: []invited.Permission{invited.PermInvitationsRead}}
			}},
		{"GET", "/v1/orgs/{org}/members", fixed(orgPath + "/members"), nil},
		{"GET", "/v1/orgs/{org}/members/{user}", member, nil},
		{"PATCH", "/v1/orgs/{org}/members/{user}", member, func() any { return invited.MemberUpdate{Roles: []string{"member"}} }},
		{"DELETE", "/v1/orgs/{org}/members/{user}", member, nil},
		{"POST", "/v1/apps/{app}/invites", fixed("/v1/apps/" + app.ID + "/invites"), func() any { return map[string]any{"org_id": org.ID} }},
		{"POST", "/v1/app-invites/{id}/revoke", func() string { return appInvite(false) + "/revoke" }, nil},
		{"POST", "/v1/app-invites/{id}/archive", func() string { return appInvite(true) + "/archive" }, nil},
		{"GET", "/v1/orgs/{org}/profiles", fixed(orgPath + "/profiles"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			op := doc.Paths[tt.path][strings.ToLower(tt.method)]
			if op == nil {
				t.Fatal("not in the spec")
			}
			p := invited.Permission(op.Auth)
			if !invited.ValidPermission(p) {
				t.Fatalf("documents %q, not a permission", op.Auth)
			}
			others := slices.DeleteFunc(slices.Clone(invited.AllPermissions), func(q invited.Permission) bool { return q == p })
			for _, c := range []struct {
				name    string
				perms   []invited.Permission
				allowed bool
			}{
				{string(p) + " and invitations:read", []invited.Permission{p, invited.PermInvitationsRead}, true},
				{"all but " + string(p), others, false},
			} {
				rq := request{Method: tt.method, Path: tt.target(), Cred: e.createKey(org.ID, c.perms...)}
				if tt.body != nil {
					rq.Body = tt.body()
				}
				r := e.do(rq)
				if allowed := r.Status < 300; allowed != c.allowed || !allowed && r.Status != http.StatusForbidden {
					t.Errorf("key with %s: %d %s", c.name, r.Status, r.Body)
				}
			}
		})
	}
}
