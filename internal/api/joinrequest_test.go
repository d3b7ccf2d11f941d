package api

import (
	"net/http"
	"slices"
	"testing"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
)

// TestJoinRequestFlow: a person asks, an admin with members:manage
// decides, and every refusal on the way is clear and changes nothing.
func TestJoinRequestFlow(t *testing.T) {
	e := newEnv(t)
	org := e.createOrg("Acme")
	manager := e.createKey(org.ID, invited.PermMembersManage, invited.PermMembersRead)
	reader := e.createKey(org.ID, invited.PermMembersRead)
	ada := e.idp.Token(t, "sub-ada", "ada@acme.test")

	var r invited.JoinRequest
	e.call(request{Method: "POST", Path: "/v1/orgs/" + org.ID + "/join-requests", Cred: ada, Body: map[string]any{"message": "Hi!"}}, http.StatusCreated, &r)
	if r.Status != invited.JoinRequestPending || r.Requester.Email != "ada@acme.test" || r.Message != "Hi!" {
		t.Fatalf("request %+v", r)
	}
	var again invited.JoinRequest
	e.call(request{Method: "POST", Path: "/v1/orgs/" + org.ID + "/join-requests", Cred: ada}, http.StatusCreated, &again)
	if again.ID != r.ID {
		t.Fatalf("asking again made %s, want %s", again.ID, r.ID)
	}

	for _, tt := range []struct {
		name         string
		method, path string
		cred         string
		body         any
		status       int
		code         string
	}{
		{"a key is not a person", "POST", "/v1/orgs/" + org.ID + "/join-requests", e.admin, nil, 403, invited.EFORBIDDEN},
		{"a message too long", "POST", "/v1/orgs/" + org.ID + "/join-requests", e.idp.Token(t, "sub-bob", "bob@acme.test"),
			map[string]any{"message": string(make([]rune, 1001))}, 400, invited.EINVALID},
		{"an unknown organization", "POST", "/v1/orgs/" + invited.NewID(invited.PrefixOrganization, r.CreatedAt) + "/join-requests", ada, nil, 404, invited.ENOTFOUND},
		{"a reader lists", "GET", "/v1/orgs/" + org.ID + "/join-requests", reader, nil, 403, invited.EFORBIDDEN},
		{"a reader approves", "POST", "/v1/join-requests/" + r.ID + "/approve", reader, nil, 403, invited.EFORBIDDEN},
		{"the requester approves", "POST", "/v1/join-requests/" + r.ID + "/approve", ada, nil, 404, invited.ENOTFOUND},
		{"more than the approver holds", "POST", "/v1/join-requests/" + r.ID + "/approve", manager, map[string]any{"roles": []string{"admin"}}, 403, invited.EFORBIDDEN},
		{"roles on a denial", "POST", "/v1/join-requests/" + r.ID + "/deny", manager, map[string]any{"roles": []string{"member"}}, 400, invited.EINVALID},
		{"a malformed id", "GET", "/v1/join-requests/jl_nope", manager, nil, 404, invited.ENOTFOUND},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rs := e.do(request{Method: tt.method, Path: tt.path, Cred: tt.cred, Body: tt.body, Invalid: tt.status == 400})
			if rs.Status != tt.status || rs.apiError(t).Code != tt.code {
				t.Fatalf("%d %s; want %d %s", rs.Status, rs.Body, tt.status, tt.code)
			}
		})
	}

	var list client.JoinRequestList
	e.call(request{Method: "GET", Path: "/v1/orgs/" + org.ID + "/join-requests?status=pending", Cred: manager}, http.StatusOK, &list)
	if len(list.JoinRequests) != 1 || list.JoinRequests[0].ID != r.ID {
		t.Fatalf("pending list %+v", list)
	}
	var decided client.JoinDecisionResult
	e.call(request{Method: "POST", Path: "/v1/join-requests/" + r.ID + "/approve", Cred: manager, Body: map[string]any{"note": "Welcome"}}, http.StatusOK, &decided)
	if decided.Request.Status != invited.JoinRequestApproved || decided.Membership == nil || !slices.Contains(decided.Membership.Roles, invited.RoleOwner) {
		t.Fatalf("approved %+v %+v; the first member owns the organization", decided.Request, decided.Membership)
	}
	rs := e.do(request{Method: "POST", Path: "/v1/join-requests/" + r.ID + "/deny", Cred: manager})
	if rs.Status != http.StatusConflict || rs.apiError(t).Code != invited.EINVALIDSTATE {
		t.Fatalf("deciding twice: %d %s", rs.Status, rs.Body)
	}
	rs = e.do(request{Method: "POST", Path: "/v1/orgs/" + org.ID + "/join-requests", Cred: ada})
	if rs.Status != http.StatusConflict || rs.apiError(t).Code != invited.EALREADYMEMBER {
		t.Fatalf("a member asking: %d %s", rs.Status, rs.Body)
	}
}
