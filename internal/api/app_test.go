package api

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
	"github.com/invitedhq/invited/internal/openapi"
	"github.com/invitedhq/invited/internal/ratelimit"
)

// oauthBody is a valid OAuth configuration for an app's body.
func oauthBody() map[string]any {
	return map[string]any{
		"authorization_url": "https://platform.test/oauth/authorize",
		"token_url":         "https://platform.test/oauth/token",
		"client_id":         "client-123",
		"scopes":            []string{"read", "offline_access"},
	}
}

// createApp registers an app with cred; orgID "" makes it system-wide.
func (e *env) createApp(cred, orgID string) *invited.App {
	e.t.Helper()
	var app invited.App
	e.call(request{Method: "POST", Path: "/v1/apps", Cred: cred,
		Body: map[string]any{"name": "CRM", "org_id": orgID, "description": "Connect your CRM", "oauth": oauthBody()}},
		http.StatusCreated, &app)
	return &app
}

// inviteToApp creates an app invite through appID with cred.
func (e *env) inviteToApp(cred, appID string, body map[string]any) client.AppInviteWithCode {
	e.t.Helper()
	var ai client.AppInviteWithCode
	e.call(request{Method: "POST", Path: "/v1/apps/" + appID + "/invites", Cred: cred, Body: body}, http.StatusCreated, &ai)
	return ai
}

// keysOf returns the sorted member names of a JSON object.
func keysOf(t testing.TB, data []byte) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("not a JSON object (%v): %s", err, data)
	}
	return slices.Sorted(maps.Keys(m))
}

func TestAppValidation(t *testing.T) {
	e := newEnv(t)
	count := func() int {
		var list client.AppList
		e.call(request{Method: "GET", Path: "/v1/apps?page_size=200", Cred: e.admin}, http.StatusOK, &list)
		return len(list.Apps)
	}
	const endpoints = `"authorization_url":"https://p.test/a","token_url":"https://p.test/t"`
	tests := []struct {
		name, body, field string
	}{
		{"no name", `{"oauth":{` + endpoints + `,"client_id":"c"}}`, "name"},
		{"no client id", `{"name":"CRM","oauth":{` + endpoints + `}}`, "oauth.client_id"},
		{"no endpoints", `{"name":"CRM","oauth":{"client_id":"c"}}`, "oauth.authorization_url"},
		{"plain http", `{"name":"CRM","oauth":{"authorization_url":"http://p.test/a","token_url":"https://p.test/t","client_id":"c"}}`, "oauth.authorization_url"},
		{"discovery and endpoints", `{"name":"CRM","oauth":{` + endpoints + `,"discovery_url":"https://p.test/.well-known/openid-configuration","client_id":"c"}}`, "oauth.discovery_url"},
		{"reserved parameter", `{"name":"CRM","oauth":{` + endpoints + `,"client_id":"c","extra_params":{"state":"x"}}}`, "oauth.extra_params"},
		{"scope with a space", `{"name":"CRM","oauth":{` + endpoints + `,"client_id":"c","scopes":["read write"]}}`, "oauth.scopes"},
		{"scopes not an array", `{"name":"CRM","oauth":{` + endpoints + `,"client_id":"c","scopes":"read"}}`, "oauth.scopes"},
		{"unknown field", `{"name":"CRM","oauth":{` + endpoints + `,"client_id":"c"},"secret":"x"}`, "secret"},
	}
	before := count()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(request{Method: "POST", Path: "/v1/apps", Cred: e.admin, Body: tt.body})
			if d := r.apiError(t); r.Status != http.StatusBadRequest || d.Code != invited.EINVALID || d.Fields[tt.field] == "" {
				t.Errorf("%d %s, want 400 naming %s", r.Status, r.Body, tt.field)
			}
		})
	}
	if after := count(); after != before {
		t.Errorf("invalid requests registered %d apps", after-before)
	}
}

func TestApps(t *testing.T) {
	e := newEnv(t)
	acme, globex := e.createOrg("Acme"), e.createOrg("Globex")
	appsKey := e.createKey(acme.ID, invited.PermAppsManage)
	connectionsKey := e.createKey(acme.ID, invited.PermConnectionsManage)
	inviterKey := e.createKey(acme.ID, invited.PermInvitationsCreate)
	globexKey := e.createKey(globex.ID, invited.AllPermissions...)

	t.Run("who may register", func(t *testing.T) {
		tests := []struct {
			name, cred, orgID string
			status            int
		}{
			{"admin key, system-wide", e.admin, "", http.StatusCreated},
			{"admin key, an organization's", e.admin, acme.ID, http.StatusCreated},
			{"apps:manage, its organization's", appsKey, acme.ID, http.StatusCreated},
			{"apps:manage, system-wide", appsKey, "", http.StatusForbidden},
			{"connections:manage only", connectionsKey, acme.ID, http.StatusForbidden},
			{"another tenant", globexKey, acme.ID, http.StatusNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := e.do(request{Method: "POST", Path: "/v1/apps", Cred: tt.cred,
					Body: map[string]any{"name": "CRM", "org_id": tt.orgID, "oauth": oauthBody()}})
				if r.Status != tt.status {
					t.Errorf("%d %s, want %d", r.Status, r.Body, tt.status)
				}
			})
		}
	})

	t.Run("the client secret is never shown", func(t *testing.T) {
		const secret = "client-secret-do-not-show-42"
		oauth := oauthBody()
		oauth["client_secret"] = secret
		rq := request{Method: "POST", Path: "/v1/apps", Cred: e.admin, Body: map[string]any{"name": "Sealed", "oauth": oauth},
			Header: map[string]string{idempotencyKeyHeader: "app-1"}}
		var app, again invited.App
		created := e.call(rq, http.StatusCreated, &app)
		replayed := e.call(rq, http.StatusCreated, &again)
		if !app.ClientSecretSet || again.ID != app.ID || replayed.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("created %+v, replayed %s (%v)", app, again.ID, replayed.Header)
		}
		answers := map[string]response{"create": created, "replay": replayed,
			"get":  e.call(request{Method: "GET", Path: "/v1/apps/" + app.ID, Cred: e.admin}, http.StatusOK, nil),
			"list": e.call(request{Method: "GET", Path: "/v1/apps", Cred: e.admin}, http.StatusOK, nil)}
		for name, r := range answers {
			if body := string(r.Body); strings.Contains(body, secret) || strings.Contains(body, `"client_secret"`) {
				t.Errorf("%s shows the client secret: %s", name, body)
			}
		}
		if !strings.Contains(string(created.Body), `"client_secret_set":true`) {
			t.Errorf("create does not say client_secret_set: %s", created.Body)
		}
		if strings.Contains(e.log.String(), secret) {
			t.Error("the log has the client secret")
		}
	})

	t.Run("who sees which", func(t *testing.T) {
		system, own, others := e.createApp(e.admin, ""), e.createApp(appsKey, acme.ID), e.createApp(globexKey, globex.ID)
		tests := []struct {
			name, cred, query string
			see               []string // of system, own, others
		}{
			{"admin key", e.admin, "", []string{system.ID, own.ID, others.ID}},
			{"admin key, one organization", e.admin, "?org_id=" + acme.ID, []string{system.ID, own.ID}},
			{"apps:manage", appsKey, "", []string{system.ID, own.ID}},
			{"connections:manage", connectionsKey, "", []string{system.ID, own.ID}},
			{"neither", inviterKey, "", nil},
			{"another tenant", globexKey, "", []string{system.ID, others.ID}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var list client.AppList
				e.call(request{Method: "GET", Path: "/v1/apps" + tt.query, Cred: tt.cred}, http.StatusOK, &list)
				var got []string
				for _, app := range list.Apps {
					if slices.Contains([]string{system.ID, own.ID, others.ID}, app.ID) {
						got = append(got, app.ID)
					}
				}
				for _, id := range []string{system.ID, own.ID, others.ID} {
					want := slices.Contains(tt.see, id)
					if slices.Contains(got, id) != want {
						t.Errorf("lists %v, want %v", got, tt.see)
					}
					if tt.query != "" {
						continue // a filter, not what the caller may see
					}
					status := map[bool]int{true: http.StatusOK, false: http.StatusNotFound}[want]
					if r := e.do(request{Method: "GET", Path: "/v1/apps/" + id, Cred: tt.cred}); r.Status != status {
						t.Errorf("GET %s: %d, want %d", id, r.Status, status)
					}
				}
			})
		}
	})

	t.Run("list errors and pages", func(t *testing.T) {
		for query, status := range map[string]int{
			"org_id=acme":           http.StatusBadRequest,
			"page_size=0":           http.StatusBadRequest,
			"org_id=" + acme.ID:     http.StatusNotFound, // another tenant's
			"org_id=" + globex.ID:   http.StatusOK,
			"page_token=not-a-page": http.StatusBadRequest,
		} {
			if r := e.do(request{Method: "GET", Path: "/v1/apps?" + query, Cred: globexKey}); r.Status != status {
				t.Errorf("%s: %d %s, want %d", query, r.Status, r.Body, status)
			}
		}
		var first, second client.AppList
		e.call(request{Method: "GET", Path: "/v1/apps?page_size=2", Cred: e.admin}, http.StatusOK, &first)
		e.call(request{Method: "GET", Path: "/v1/apps?page_size=2&page_token=" + first.NextPageToken, Cred: e.admin}, http.StatusOK, &second)
		if len(first.Apps) != 2 || first.NextPageToken == "" || len(second.Apps) == 0 || second.Apps[0].ID == first.Apps[1].ID {
			t.Errorf("pages %d (next %q), %d", len(first.Apps), first.NextPageToken, len(second.Apps))
		}
		for _, path := range []string{"/v1/apps/42", "/v1/apps/" + acme.ID} {
			if r := e.do(request{Method: "GET", Path: path, Cred: e.admin}); r.Status != http.StatusNotFound {
				t.Errorf("GET %s: %d", path, r.Status)
			}
		}
	})
}

func TestAppInvites(t *testing.T) {
	e := newEnv(t)
	acme, globex := e.createOrg("Acme"), e.createOrg("Globex")
	connectionsKey := e.createKey(acme.ID, invited.PermConnectionsManage)
	inviterKey := e.createKey(acme.ID, invited.PermInvitationsCreate, invited.PermInvitationsRead)
	globexKey := e.createKey(globex.ID, invited.AllPermissions...)
	system, globexApp := e.createApp(e.admin, ""), e.createApp(globexKey, globex.ID)

	ai := e.inviteToApp(connectionsKey, system.ID, map[string]any{
		"org_id": acme.ID, "email": "Partner@Example.com", "note": "the CRM of the Lisbon office", "expires_in": "48h"})
	if !invited.ValidID(ai.ID, invited.PrefixAppInvite) || ai.Status != invited.AppInvitePending || ai.Email != "partner@example.com" ||
		ai.AppID != system.ID || ai.OrgID != acme.ID || ai.Inviter.APIKeyID == "" {
		t.Fatalf("created %+v", ai.AppInvite)
	}
	if ai.Code == "" || ai.URL != testBaseURL+"/a/"+ai.Code {
		t.Fatalf("code %q, url %q", ai.Code, ai.URL)
	}
	if want := e.clock.Now().Add(48 * time.Hour); ai.ExpiresAt.Sub(want).Abs() > time.Second {
		t.Errorf("expires at %v, want %v", ai.ExpiresAt, want)
	}

	t.Run("create errors", func(t *testing.T) {
		tests := []struct {
			name, cred, appID string
			body              map[string]any
			status            int
			field             string
		}{
			{"no organization", e.admin, system.ID, map[string]any{}, http.StatusBadRequest, "org_id"},
			{"bad email", e.admin, system.ID, map[string]any{"org_id": acme.ID, "email": "nope"}, http.StatusBadRequest, "email"},
			{"bad lifetime", e.admin, system.ID, map[string]any{"org_id": acme.ID, "expires_in": "soon"}, http.StatusBadRequest, "expires_in"},
			{"another organization's app", e.admin, globexApp.ID, map[string]any{"org_id": acme.ID}, http.StatusBadRequest, "org_id"},
			{"an app the caller cannot see", connectionsKey, globexApp.ID, map[string]any{"org_id": acme.ID}, http.StatusNotFound, ""},
			{"without connections:manage", inviterKey, system.ID, map[string]any{"org_id": acme.ID}, http.StatusForbidden, ""},
			{"in another tenant", globexKey, system.ID, map[string]any{"org_id": acme.ID}, http.StatusNotFound, ""},
			{"not an app id", e.admin, "42", map[string]any{"org_id": acme.ID}, http.StatusNotFound, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := e.do(request{Method: "POST", Path: "/v1/apps/" + tt.appID + "/invites", Cred: tt.cred, Body: tt.body})
				if r.Status != tt.status || tt.field != "" && r.apiError(t).Fields[tt.field] == "" {
					t.Errorf("%d %s, want %d naming %q", r.Status, r.Body, tt.status, tt.field)
				}
			})
		}
	})

	t.Run("the public lookup shows only the preview", func(t *testing.T) {
		r := e.call(request{Method: "GET", Path: "/v1/app-invites/" + ai.Code}, http.StatusOK, nil)
		if got, want := keysOf(t, r.Body), []string{"app", "expires_at", "inviter", "organization", "status"}; !slices.Equal(got, want) {
			t.Errorf("keys %v, want %v", got, want)
		}
		var p invited.AppInvitePreview
		json.Unmarshal(r.Body, &p)
		if p.Status != invited.AppInvitePending || p.App.Name != "CRM" || p.App.Description != "Connect your CRM" ||
			p.Organization.ID != acme.ID || p.Organization.Name != "Acme" || !p.ExpiresAt.Equal(ai.ExpiresAt) {
			t.Errorf("preview %+v", p)
		}
		for _, secret := range []string{"partner@example.com", "Lisbon", ai.ID, system.ID, ai.Inviter.APIKeyID, ai.Code} {
			if strings.Contains(string(r.Body), secret) {
				t.Errorf("the preview shows %q: %s", secret, r.Body)
			}
		}
		if got := r.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("Cache-Control %q", got)
		}
	})

	t.Run("a user inviter is named", func(t *testing.T) {
		inv := e.invite(e.admin, acme.ID, map[string]any{"email": "ada@acme.test", "roles": []string{"admin"}})
		token := e.idp.Token(t, "Ada Lovelace", "ada@acme.test")
		e.call(request{Method: "POST", Path: "/v1/invitation-tokens/" + tokenOf(t, inv.URL) + "/accept", Cred: token}, http.StatusOK, nil)
		byUser := e.inviteToApp(token, system.ID, map[string]any{"org_id": acme.ID})
		var p invited.AppInvitePreview
		e.call(request{Method: "GET", Path: "/v1/app-invites/" + byUser.Code}, http.StatusOK, &p)
		if p.Inviter.Name != "Ada Lovelace" {
			t.Errorf("inviter %+v", p.Inviter)
		}
	})

	t.Run("by id or by code", func(t *testing.T) {
		unknownID := invited.NewID(invited.PrefixAppInvite, e.clock.Now())
		tests := []struct {
			name, path, cred string
			status           int
		}{
			{"code without credentials", ai.Code, "", http.StatusOK},
			{"code with credentials", ai.Code, globexKey, http.StatusOK},
			{"unknown code", invited.NewSecret(""), "", http.StatusNotFound},
			{"malformed code", "not-a-code", "", http.StatusNotFound},
			{"id without credentials", ai.ID, "", http.StatusUnauthorized},
			{"id with a bad credential", ai.ID, "not-a-key-at-all-1234", http.StatusUnauthorized},
			{"id, admin key", ai.ID, e.admin, http.StatusOK},
			{"id, connections:manage", ai.ID, connectionsKey, http.StatusOK},
			{"id, without connections:manage", ai.ID, inviterKey, http.StatusNotFound},
			{"id, another tenant", ai.ID, globexKey, http.StatusNotFound},
			{"unknown id", unknownID, e.admin, http.StatusNotFound},
			{"unknown id without credentials", unknownID, "", http.StatusUnauthorized},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := e.do(request{Method: "GET", Path: "/v1/app-invites/" + tt.path, Cred: tt.cred})
				if r.Status != tt.status {
					t.Fatalf("%d %s, want %d", r.Status, r.Body, tt.status)
				}
				if r.Status == http.StatusUnauthorized && r.Header.Get("WWW-Authenticate") != "Bearer" {
					t.Errorf("401 without WWW-Authenticate: %v", r.Header)
				}
			})
		}
		var got client.AppInviteWithCode
		e.call(request{Method: "GET", Path: "/v1/app-invites/" + ai.ID, Cred: connectionsKey}, http.StatusOK, &got)
		if got.ID != ai.ID || got.Email != "partner@example.com" || got.Code != "" || got.URL != "" {
			t.Errorf("by id: %+v", got)
		}
	})

	t.Run("lists are scoped and paged", func(t *testing.T) {
		acmeApp := e.createApp(e.admin, acme.ID)
		var want []string
		for range 4 {
			want = append(want, e.inviteToApp(connectionsKey, acmeApp.ID, map[string]any{"org_id": acme.ID}).ID)
		}
		theirs := e.inviteToApp(globexKey, system.ID, map[string]any{"org_id": globex.ID}).ID

		list := func(cred, query string) (ids []string, next string) {
			var page client.AppInviteList
			e.call(request{Method: "GET", Path: "/v1/app-invites?" + query, Cred: cred}, http.StatusOK, &page)
			for _, ai := range page.AppInvites {
				ids = append(ids, ai.ID)
			}
			return ids, page.NextPageToken
		}
		query := "page_size=2&app_id=" + acmeApp.ID
		first, next := list(connectionsKey, query)
		second, last := list(connectionsKey, query+"&page_token="+next)
		got := slices.Concat(first, second)
		slices.Sort(got)
		slices.Sort(want)
		if len(first) != 2 || next == "" || last != "" || !slices.Equal(got, want) {
			t.Errorf("pages %v (next %q) and %v (next %q), want %v", first, next, second, last, want)
		}

		if ids, _ := list(globexKey, ""); !slices.Equal(ids, []string{theirs}) {
			t.Errorf("another tenant lists %v", ids)
		}
		if ids, _ := list(inviterKey, ""); len(ids) != 0 {
			t.Errorf("a key without connections:manage lists %v", ids)
		}
		if ids, _ := list(e.admin, "org_id="+globex.ID); !slices.Equal(ids, []string{theirs}) {
			t.Errorf("admin key, one organization: %v", ids)
		}
		if ids, _ := list(connectionsKey, "page_size=200&status=pending"); !slices.Contains(ids, ai.ID) || slices.Contains(ids, theirs) {
			t.Errorf("pending: %v", ids)
		}

		for _, tt := range []struct {
			cred, query string
			status      int
		}{
			{e.admin, "app_id=42", http.StatusBadRequest},
			{e.admin, "status=lost", http.StatusBadRequest},
			{e.admin, "org_id=acme", http.StatusBadRequest},
			{globexKey, "org_id=" + acme.ID, http.StatusNotFound},
			{inviterKey, "org_id=" + acme.ID, http.StatusForbidden},
		} {
			if r := e.do(request{Method: "GET", Path: "/v1/app-invites?" + tt.query, Cred: tt.cred}); r.Status != tt.status {
				t.Errorf("%s: %d %s, want %d", tt.query, r.Status, r.Body, tt.status)
			}
		}
	})

	t.Run("lifecycle", func(t *testing.T) {
		pending := e.inviteToApp(connectionsKey, system.ID, map[string]any{"org_id": acme.ID})
		overdue := e.inviteToApp(connectionsKey, system.ID, map[string]any{"org_id": acme.ID, "expires_in": "1h"})
		lapsed := e.inviteToApp(connectionsKey, system.ID, map[string]any{"org_id": acme.ID, "expires_in": "1h"})
		e.clock.Advance(2 * time.Hour)
		steps := []struct {
			name, cred, id, action string
			status                 int
			want                   invited.AppInviteStatus // or the error code's
		}{
			{"archive a pending invite", connectionsKey, pending.ID, "archive", http.StatusConflict, invited.EINVALIDSTATE},
			{"revoke without connections:manage", inviterKey, pending.ID, "revoke", http.StatusForbidden, invited.EFORBIDDEN},
			{"revoke another tenant's", globexKey, pending.ID, "revoke", http.StatusNotFound, invited.ENOTFOUND},
			{"revoke", connectionsKey, pending.ID, "revoke", http.StatusOK, invited.AppInviteRevoked},
			{"revoke again", connectionsKey, pending.ID, "revoke", http.StatusConflict, invited.EINVALIDSTATE},
			{"archive the revoked", connectionsKey, pending.ID, "archive", http.StatusOK, invited.AppInviteArchived},
			{"archive again", connectionsKey, pending.ID, "archive", http.StatusConflict, invited.EINVALIDSTATE},
			{"revoke an expired one", connectionsKey, overdue.ID, "revoke", http.StatusConflict, invited.EINVALIDSTATE},
			{"archive the expired", e.admin, overdue.ID, "archive", http.StatusOK, invited.AppInviteArchived},
			{"not an id", e.admin, "ainv_42", "archive", http.StatusNotFound, invited.ENOTFOUND},
		}
		for _, st := range steps {
			r := e.do(request{Method: "POST", Path: "/v1/app-invites/" + st.id + "/" + st.action, Cred: st.cred})
			var got struct {
				Status invited.AppInviteStatus `json:"status"`
				Error  client.ErrorDetail      `json:"error"`
			}
			json.Unmarshal(r.Body, &got)
			if r.Status != st.status || got.Status != st.want && got.Error.Code != string(st.want) {
				t.Errorf("%s: %d %s, want %d %s", st.name, r.Status, r.Body, st.status, st.want)
			}
		}
		// Expiry shows at once, before the sweeper writes it down, and the
		// links tell their holders what became of them.
		var got invited.AppInvite
		e.call(request{Method: "GET", Path: "/v1/app-invites/" + lapsed.ID, Cred: connectionsKey}, http.StatusOK, &got)
		if got.Status != invited.AppInviteExpired {
			t.Errorf("an overdue invite reads %s", got.Status)
		}
		for code, want := range map[string]invited.AppInviteStatus{
			pending.Code: invited.AppInviteArchived, lapsed.Code: invited.AppInviteExpired, ai.Code: invited.AppInvitePending,
		} {
			var p invited.AppInvitePreview
			e.call(request{Method: "GET", Path: "/v1/app-invites/" + code}, http.StatusOK, &p)
			if p.Status != want {
				t.Errorf("preview says %s, want %s", p.Status, want)
			}
		}
	})

	t.Run("an Idempotency-Key replay does not repeat the code", func(t *testing.T) {
		rq := request{Method: "POST", Path: "/v1/apps/" + system.ID + "/invites", Cred: connectionsKey,
			Body: map[string]any{"org_id": acme.ID}, Header: map[string]string{idempotencyKeyHeader: "ai-1"}}
		var first, again client.AppInviteWithCode
		e.call(rq, http.StatusCreated, &first)
		r := e.call(rq, http.StatusCreated, &again)
		if again.ID != first.ID || r.Header.Get("Idempotent-Replayed") != "true" || first.Code == "" {
			t.Errorf("first %s, replay %s (%v)", first.ID, again.ID, r.Header)
		}
		if again.Code != "" || again.URL != "" || strings.Contains(string(r.Body), first.Code) {
			t.Errorf("the replay repeats the code: %s", r.Body)
		}
	})

	log := e.log.String()
	if strings.Contains(log, ai.Code) || strings.Contains(log, "partner@example.com") {
		t.Error("the log has an app code or the partner's address")
	}
	if !strings.Contains(log, `route="GET /v1/app-invites/{id_or_code}"`) {
		t.Error("the log does not name the lookup by its pattern")
	}
}

// TestAppInviteLimits: app invites spend the organization's create
// allowance with invitations, and code lookups the client's public one.
func TestAppInviteLimits(t *testing.T) {
	e := newEnv(t, func(d *Deps) {
		d.CreateLimit = ratelimit.NewMemory(ratelimit.Rate{N: 2, Per: time.Hour})
		d.PublicLimit = ratelimit.NewMemory(ratelimit.Rate{N: 2, Per: time.Hour})
	})
	acme, globex := e.createOrg("Acme"), e.createOrg("Globex")
	app := e.createApp(e.admin, "")
	create := func(cred string) response {
		return e.do(request{Method: "POST", Path: "/v1/apps/" + app.ID + "/invites", Cred: cred, Body: map[string]any{"org_id": acme.ID}})
	}
	limited := func(r response) bool {
		return r.Status == http.StatusTooManyRequests && r.apiError(t).Code == invited.ERATELIMITED && r.Header.Get("Retry-After") != ""
	}

	// Another tenant is refused and spends nothing of Acme's allowance.
	globexKey := e.createKey(globex.ID, invited.AllPermissions...)
	for range 3 {
		if r := create(globexKey); r.Status != http.StatusNotFound {
			t.Fatalf("another tenant: %d %s", r.Status, r.Body)
		}
	}
	var ai client.AppInviteWithCode
	if r := create(e.admin); r.Status != http.StatusCreated || json.Unmarshal(r.Body, &ai) != nil {
		t.Fatalf("first create: %d %s", r.Status, r.Body)
	}
	e.invite(e.admin, acme.ID, map[string]any{"email": "a@acme.test", "roles": []string{"member"}})
	if r := create(e.admin); !limited(r) {
		t.Errorf("a third create in an hour: %d %v %s", r.Status, r.Header, r.Body)
	}

	e.call(request{Method: "GET", Path: "/v1/app-invites/" + ai.Code}, http.StatusOK, nil)
	// Guesses spend the allowance as well.
	e.call(request{Method: "GET", Path: "/v1/app-invites/" + invited.NewSecret("")}, http.StatusNotFound, nil)
	if r := e.do(request{Method: "GET", Path: "/v1/app-invites/" + ai.Code}); !limited(r) {
		t.Errorf("a third lookup in an hour: %d %v %s", r.Status, r.Header, r.Body)
	}
	// Reads by id are authenticated and spend no public allowance.
	e.call(request{Method: "GET", Path: "/v1/app-invites/" + ai.ID, Cred: e.admin}, http.StatusOK, nil)
}

// TestAppsInSpec checks what /openapi.json says of the app routes.
func TestAppsInSpec(t *testing.T) {
	var doc openapi.Document
	if err := json.Unmarshal(httptestDo(NewServer(Deps{}), "GET", "/openapi.json", nil).Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for path, item := range doc.Paths {
		for method, op := range item {
			if strings.HasPrefix(path, "/v1/app") && !slices.Equal(op.Tags, tagApps) {
				t.Errorf("%s %s has tags %v", method, path, op.Tags)
			}
		}
	}

	lookup := doc.Paths["/v1/app-invites/{id_or_code}"]["get"]
	if lookup == nil {
		t.Fatal("no GET /v1/app-invites/{id_or_code}")
	}
	// Credentials are optional: none, or a bearer credential.
	if raw, _ := json.Marshal(lookup.Security); string(raw) != `[{},{"bearer":[]}]` {
		t.Errorf("lookup security %s", raw)
	}
	var answers []string
	for _, s := range lookup.Responses["200"].Content["application/json"].Schema.AnyOf {
		answers = append(answers, s.Ref)
	}
	if want := []string{"#/components/schemas/AppInvite", "#/components/schemas/AppInvitePreview"}; !slices.Equal(answers, want) {
		t.Errorf("lookup answers %v, want %v", answers, want)
	}

	create := doc.Paths["/v1/apps/{app}/invites"]["post"]
	if ref := create.Responses["201"].Content["application/json"].Schema.Ref; ref != "#/components/schemas/AppInviteWithCode" {
		t.Errorf("app invite create answers %q", ref)
	}
	schemas := doc.Components.Schemas
	if s := schemas["AppInviteWithCode"]; s == nil || s.Properties["code"] == nil || s.Properties["url"] == nil {
		t.Errorf("AppInviteWithCode: %+v", s)
	}
	if s := schemas["OAuthConfig"].Properties["client_secret"]; s == nil || !strings.Contains(s.Description, "write-only") {
		t.Errorf("client_secret: %+v", s)
	}
	if schemas["App"].Properties["client_secret_set"] == nil {
		t.Error("App has no client_secret_set")
	}
}
