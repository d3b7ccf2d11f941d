package api

import (
	"net/http"
	"testing"
)

// TestQueryParameterTwice: a parameter given twice is a 400 naming it, on
// a list and on a route that declares no query (found by FuzzQueryFilters:
// ?page_size=&page_size=0 listed the first page, reading the first value,
// which the spec and a proxy reading the last would not).
func TestQueryParameterTwice(t *testing.T) {
	e := newEnv(t)
	org := e.createOrg("Acme")
	for _, tc := range []struct{ path, param string }{
		{"/v1/orgs?page_size=&page_size=0", "page_size"},
		{"/v1/invitations?status=pending&status=revoked", "status"},
		{"/v1/orgs/" + org.ID + "?x=1&x=2", "x"},
	} {
		r := e.do(request{Method: "GET", Path: tc.path, Cred: e.admin, Invalid: true})
		if r.Status != http.StatusBadRequest || r.apiError(t).Fields[tc.param] == "" {
			t.Errorf("%s: %d %s, want 400 naming %s", tc.path, r.Status, r.Body, tc.param)
		}
	}
}
