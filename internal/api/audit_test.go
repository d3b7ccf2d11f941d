package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
)

func TestAuditEvents(t *testing.T) {
	e := newEnv(t)
	acme, globex := e.createOrg("Acme"), e.createOrg("Globex")
	inv := e.invite(e.admin, acme.ID, map[string]any{"email": "ann@acme.test", "roles": []string{"member"}})
	e.call(request{Method: "POST", Path: "/v1/invitations/" + inv.ID + "/revoke", Cred: e.admin}, http.StatusOK, nil)

	list := func(cred, query string) client.AuditEventList {
		t.Helper()
		var l client.AuditEventList
		e.call(request{Method: "GET", Path: "/v1/audit-events?" + query, Cred: cred}, http.StatusOK, &l)
		return l
	}
	all := list(e.admin, "org_id="+acme.ID)
	if len(all.Events) != 3 || all.NextPageToken != "" {
		t.Fatalf("acme events %+v", all)
	}
	for _, ev := range all.Events {
		if ev.OrgID != acme.ID || !strings.HasPrefix(ev.ActorAPIKeyID, invited.PrefixAPIKey) || ev.RemoteAddr != "127.0.0.1" {
			t.Fatalf("event %+v", ev)
		}
	}
	keyID := all.Events[0].ActorAPIKeyID

	// Filters, and a page at a time.
	byResource := list(e.admin, "org_id="+acme.ID+"&resource=invitation")
	if len(byResource.Events) != 2 || byResource.Events[0].ResourceID != inv.ID {
		t.Fatalf("invitation events %+v", byResource)
	}
	if got := list(e.admin, "actor="+keyID); len(got.Events) < 4 {
		t.Fatalf("the admin key's events: %+v", got)
	}
	first := list(e.admin, "org_id="+acme.ID+"&page_size=2")
	if len(first.Events) != 2 || first.NextPageToken == "" {
		t.Fatalf("first page %+v", first)
	}
	if rest := list(e.admin, "org_id="+acme.ID+"&page_size=2&page_token="+first.NextPageToken); len(rest.Events) != 1 || rest.NextPageToken != "" {
		t.Fatalf("second page %+v", rest)
	}

	// Another tenant's manager sees none of Acme's; a key without
	// org:manage is refused its own organization's log.
	globexManager := e.createKey(globex.ID, invited.PermOrgManage)
	// Globex's events: its creation and the manager key's.
	got := list(globexManager, "")
	if len(got.Events) != 2 || got.Events[0].OrgID != globex.ID || got.Events[1].OrgID != globex.ID {
		t.Fatalf("globex manager sees %+v", got)
	}
	for _, c := range []struct {
		cred, query string
		status      int
		code        string
	}{
		{globexManager, "org_id=" + acme.ID, http.StatusNotFound, invited.ENOTFOUND},
		{e.createKey(globex.ID, invited.PermInvitationsRead), "org_id=" + globex.ID, http.StatusForbidden, invited.EFORBIDDEN},
		{e.admin, "resource=planet", http.StatusBadRequest, invited.EINVALID},
		{e.admin, "actor=someone", http.StatusBadRequest, invited.EINVALID},
		{e.admin, "org_id=acme", http.StatusBadRequest, invited.EINVALID},
		{"", "", http.StatusUnauthorized, invited.EUNAUTHENTICATED},
	} {
		r := e.do(request{Method: "GET", Path: "/v1/audit-events?" + c.query, Cred: c.cred})
		if r.Status != c.status || r.apiError(t).Code != c.code {
			t.Errorf("%s: %d %s", c.query, r.Status, r.Body)
		}
	}
}
