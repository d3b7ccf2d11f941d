package api

import (
	"net/http"
	"testing"
)

// TestMiscasedField: a body member that names a field in another case is
// a 400 naming it, at any depth (found by FuzzIdempotencyKey: encoding/json
// matched {"naMe":"Globex"} to name and created the organization, a body
// the spec refuses).
func TestMiscasedField(t *testing.T) {
	e := newEnv(t)
	org := e.createOrg("Acme")
	for _, tc := range []struct {
		method, path, body, field string
	}{
		{"POST", "/v1/orgs", `{"naMe":"Globex"}`, "naMe"},
		{"POST", "/v1/orgs", `{"name":"Globex","NAME":"Initech"}`, "NAME"},
		{"PATCH", "/v1/orgs/" + org.ID, `{"settings":{"Display_Name":"Acme"}}`, "settings.Display_Name"},
		{"POST", "/v1/orgs/" + org.ID + "/invitations", `{"email":"a@example.com","Roles":["member"]}`, "Roles"},
	} {
		r := e.do(request{Method: tc.method, Path: tc.path, Cred: e.admin, Body: tc.body, Invalid: true})
		if r.Status != http.StatusBadRequest || r.apiError(t).Fields[tc.field] == "" {
			t.Errorf("%s %s %s: %d %s, want 400 naming %s", tc.method, tc.path, tc.body, r.Status, r.Body, tc.field)
		}
	}
}
