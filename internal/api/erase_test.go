package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/invitedhq/invited"
)

// TestErase erases, through the API, a member and someone only invited:
// the admin key alone may, an unknown user is not found, the by-address
// route wants an address, and the answers count what went.
func TestErase(t *testing.T) {
	e := newEnv(t)
	acme := e.createOrg("Acme")
	link := e.invite(e.admin, acme.ID, map[string]any{"email": "ada@example.com", "roles": []string{"member"}}).URL
	var acc invited.Acceptance
	e.call(request{Method: "POST", Path: "/v1/invitation-tokens/" + tokenOf(t, link) + "/accept", Cred: e.admin,
		Body: map[string]any{"user": map[string]any{"external_id": "ada-1", "email": "ada@example.com", "name": "Ada"}}},
		http.StatusOK, &acc)
	e.invite(e.admin, acme.ID, map[string]any{"phone": "+14155550123", "channel": "sms", "roles": []string{"member"}})
	orgKey := e.createKey(acme.ID, invited.PermOrgManage)
	userPath := "/v1/users/" + acc.User.ID + "/erase"

	for _, tt := range []struct {
		name, cred, path string
		body             any
		status           int
		code             string
	}{
		{"an organization key", orgKey, userPath, nil, http.StatusForbidden, invited.EFORBIDDEN},
		{"an unknown user", e.admin, "/v1/users/" + invited.NewID(invited.PrefixUser, e.clock.Now()) + "/erase", nil,
			http.StatusNotFound, invited.ENOTFOUND},
		{"not a user id", e.admin, "/v1/users/" + acme.ID + "/erase", nil, http.StatusNotFound, invited.ENOTFOUND},
		{"no address", e.admin, "/v1/invitees/erase", invited.EraseRequest{}, http.StatusBadRequest, invited.EINVALID},
		{"an address by an organization key", orgKey, "/v1/invitees/erase", invited.EraseRequest{Phone: "+14155550123"},
			http.StatusForbidden, invited.EFORBIDDEN},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(request{Method: "POST", Path: tt.path, Cred: tt.cred, Body: tt.body})
			if r.Status != tt.status || r.apiError(t).Code != tt.code {
				t.Fatalf("%d %s, want %d %s", r.Status, r.Body, tt.status, tt.code)
			}
		})
	}

	var user invited.Erasure
	e.call(request{Method: "POST", Path: userPath, Cred: e.admin}, http.StatusOK, &user)
	if !strings.HasPrefix(user.Pseudonym, invited.PseudonymPrefix) || user.Users != 1 || user.Memberships != 1 ||
		user.Invitations != 1 || user.AuditEvents == 0 {
		t.Fatalf("erasure %+v", user)
	}
	var invitee invited.Erasure
	e.call(request{Method: "POST", Path: "/v1/invitees/erase", Cred: e.admin, Body: invited.EraseRequest{Phone: "+14155550123"}},
		http.StatusOK, &invitee)
	if invitee.Users != 0 || invitee.Invitations != 1 || invitee.Messages == 0 {
		t.Fatalf("erasure %+v", invitee)
	}
	r := e.do(request{Method: "POST", Path: userPath, Cred: e.admin})
	if r.Status != http.StatusNotFound {
		t.Fatalf("erasing again: %d %s", r.Status, r.Body)
	}
}
