package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
	"github.com/invitedhq/invited/internal/connect"
	"github.com/invitedhq/invited/internal/testutil"
	"github.com/invitedhq/invited/internal/testutil/oauthserver"
)

// platform is the external platform of the profile tests: a real OAuth 2.0
// server, and an app registered at it.
type platform struct {
	*oauthserver.Server
	clientID, clientSecret string
}

// startPlatform starts a platform that approves every authorization and
// issues access tokens valid for ttl, with refresh tokens.
func (e *env) startPlatform(ttl time.Duration) *platform {
	e.t.Helper()
	p := &platform{clientID: "crm-client", clientSecret: "crm-client-secret"}
	p.Server = oauthserver.Start(e.t, oauthserver.Options{
		ClientID: p.clientID, ClientSecret: p.clientSecret, RedirectURI: testBaseURL + connect.CallbackPath,
		AccessTokenTTL: ttl, AutoConsent: oauthserver.Approve,
	})
	return p
}

// createPlatformApp registers, with cred, an app connecting to p; orgID ""
// makes it system-wide.
func (e *env) createPlatformApp(cred, orgID string, p *platform) *invited.App {
	e.t.Helper()
	var app invited.App
	e.call(request{Method: "POST", Path: "/v1/apps", Cred: cred, Body: map[string]any{
		"name": "CRM", "org_id": orgID, "oauth": map[string]any{
			"authorization_url": p.AuthorizeURL(), "token_url": p.TokenURL(), "userinfo_url": p.UserinfoURL(),
			"client_id": p.clientID, "client_secret": p.clientSecret, "scopes": []string{"read", "write"},
		}}}, http.StatusCreated, &app)
	return &app
}

// connectProfile invites a partner of orgID through appID, an app at p,
// with cred, and completes the partner's authorization as the hosted
// pages would: start it, let the platform decide, and hand its redirect to
// the callback. It returns the new profile.
func (e *env) connectProfile(p *platform, cred, orgID, appID string) *invited.Profile {
	e.t.Helper()
	ctx := context.Background()
	code := e.inviteToApp(cred, appID, map[string]any{"org_id": orgID}).Code
	browser := invited.NewSecret("")
	authURL, err := e.connect.Authorize(ctx, code, browser)
	if err != nil {
		e.t.Fatalf("Authorize: %v", err)
	}
	_, prof, err := e.connect.Callback(ctx, p.Decide(e.t, authURL), browser)
	if err != nil {
		e.t.Fatalf("Callback: %v", err)
	}
	return prof
}

// profileIDs lists the profiles of path with cred.
func (e *env) profileIDs(cred, path string) []string {
	e.t.Helper()
	var list client.ProfileList
	e.call(request{Method: "GET", Path: path, Cred: cred}, http.StatusOK, &list)
	var ids []string
	for _, p := range list.Profiles {
		ids = append(ids, p.ID)
	}
	return ids
}

func TestProfiles(t *testing.T) {
	// The platform is a local server.
	e := newEnvWith(t, sqliteURL(t), testutil.AllowLoopback)
	acme, globex := e.createOrg("Acme"), e.createOrg("Globex")
	connectionsKey := e.createKey(acme.ID, invited.PermConnectionsManage)
	inviterKey := e.createKey(acme.ID, invited.PermInvitationsCreate, invited.PermInvitationsRead)
	globexKey := e.createKey(globex.ID, invited.AllPermissions...)
	p := e.startPlatform(time.Hour)
	app, otherApp := e.createPlatformApp(e.admin, "", p), e.createPlatformApp(e.admin, "", p)

	ours := e.connectProfile(p, connectionsKey, acme.ID, app.ID)
	theirs := e.connectProfile(p, globexKey, globex.ID, app.ID)
	if !invited.ValidID(ours.ID, invited.PrefixProfile) || ours.OrgID != acme.ID || ours.AppID != app.ID ||
		ours.Status != invited.ProfileActive || ours.ExternalAccountID != "acct-42" || !ours.Refreshable || ours.TokenExpiresAt == nil {
		t.Fatalf("connected %+v", ours)
	}

	t.Run("reads never show tokens", func(t *testing.T) {
		r := e.call(request{Method: "GET", Path: "/v1/profiles/" + ours.ID, Cred: connectionsKey}, http.StatusOK, nil)
		want := []string{"app_id", "app_invite_id", "archived_at", "created_at", "external_account_id", "id", "org_id",
			"refreshable", "scopes", "status", "token_expires_at", "updated_at"}
		if got := keysOf(t, r.Body); !slices.Equal(got, want) {
			t.Errorf("keys %v, want %v", got, want)
		}
		var got invited.Profile
		json.Unmarshal(r.Body, &got)
		if got.ID != ours.ID || got.AppInviteID != ours.AppInviteID || !slices.Equal(got.Scopes, []string{"read", "write"}) {
			t.Errorf("got %+v, want %+v", got, ours)
		}
	})

	t.Run("who sees which", func(t *testing.T) {
		orgPath := "/v1/orgs/" + acme.ID + "/profiles"
		tests := []struct {
			name, cred string
			see        []string // of ours and theirs, by GET /v1/profiles and by id
			org        int      // GET /v1/orgs/{acme}/profiles
		}{
			{"admin key", e.admin, []string{ours.ID, theirs.ID}, http.StatusOK},
			{"connections:manage", connectionsKey, []string{ours.ID}, http.StatusOK},
			{"without connections:manage", inviterKey, nil, http.StatusForbidden},
			{"another tenant", globexKey, []string{theirs.ID}, http.StatusNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if got := e.profileIDs(tt.cred, "/v1/profiles"); !sameIDs(got, tt.see) {
					t.Errorf("GET /v1/profiles: %v, want %v", got, tt.see)
				}
				for _, id := range []string{ours.ID, theirs.ID} {
					status := map[bool]int{true: http.StatusOK, false: http.StatusNotFound}[slices.Contains(tt.see, id)]
					if r := e.do(request{Method: "GET", Path: "/v1/profiles/" + id, Cred: tt.cred}); r.Status != status {
						t.Errorf("GET %s: %d, want %d", id, r.Status, status)
					}
				}
				r := e.do(request{Method: "GET", Path: orgPath, Cred: tt.cred})
				if r.Status != tt.org {
					t.Fatalf("GET %s: %d %s, want %d", orgPath, r.Status, r.Body, tt.org)
				}
				if r.Status == http.StatusOK && !sameIDs(e.profileIDs(tt.cred, orgPath), []string{ours.ID}) {
					t.Errorf("GET %s: %s", orgPath, r.Body)
				}
			})
		}
		if got := e.profileIDs(e.admin, "/v1/profiles?org_id="+globex.ID); !sameIDs(got, []string{theirs.ID}) {
			t.Errorf("admin key, one organization: %v", got)
		}
		if got := e.profileIDs(e.admin, "/v1/orgs/"+acme.ID+"/profiles?app_id="+otherApp.ID); len(got) != 0 {
			t.Errorf("through another app: %v", got)
		}
	})

	t.Run("lists are paged", func(t *testing.T) {
		throughOther := []string{e.connectProfile(p, connectionsKey, acme.ID, otherApp.ID).ID, e.connectProfile(p, connectionsKey, acme.ID, otherApp.ID).ID}
		all := append([]string{ours.ID}, throughOther...)
		var first, second client.ProfileList
		path := "/v1/orgs/" + acme.ID + "/profiles?page_size=2"
		e.call(request{Method: "GET", Path: path, Cred: connectionsKey}, http.StatusOK, &first)
		e.call(request{Method: "GET", Path: path + "&page_token=" + first.NextPageToken, Cred: connectionsKey}, http.StatusOK, &second)
		var got []string
		for _, p := range slices.Concat(first.Profiles, second.Profiles) {
			got = append(got, p.ID)
		}
		if len(first.Profiles) != 2 || first.NextPageToken == "" || second.NextPageToken != "" || !sameIDs(got, all) {
			t.Errorf("pages %v (next %q, then %q), want %v", got, first.NextPageToken, second.NextPageToken, all)
		}
		if got := e.profileIDs(connectionsKey, "/v1/profiles?app_id="+otherApp.ID); !sameIDs(got, throughOther) {
			t.Errorf("through the other app: %v, want %v", got, throughOther)
		}
	})

	t.Run("bad input is a structured error", func(t *testing.T) {
		tests := []struct {
			method, path string
			status       int
			field        string
		}{
			{"GET", "/v1/profiles/42", http.StatusNotFound, ""},
			{"GET", "/v1/profiles/prof_42", http.StatusNotFound, ""},
			{"GET", "/v1/profiles/" + app.ID, http.StatusNotFound, ""},
			{"GET", "/v1/profiles/" + invited.NewID(invited.PrefixProfile, e.clock.Now()), http.StatusNotFound, ""},
			{"POST", "/v1/profiles/42/token", http.StatusNotFound, ""},
			{"POST", "/v1/profiles/" + ours.AppInviteID + "/archive", http.StatusNotFound, ""},
			{"GET", "/v1/orgs/acme/profiles", http.StatusNotFound, ""},
			{"GET", "/v1/orgs/" + acme.ID + "/profiles?status=lost", http.StatusBadRequest, "status"},
			{"GET", "/v1/orgs/" + acme.ID + "/profiles?app_id=42", http.StatusBadRequest, "app_id"},
			{"GET", "/v1/orgs/" + acme.ID + "/profiles?page_token=not-a-page", http.StatusBadRequest, "page_token"},
			{"GET", "/v1/orgs/" + acme.ID + "/profiles?page_size=0", http.StatusBadRequest, "page_size"},
			{"GET", "/v1/profiles?org_id=acme", http.StatusBadRequest, "org_id"},
			{"GET", "/v1/profiles?status=pending", http.StatusBadRequest, "status"},
			{"GET", "/v1/profiles?page_token=" + strings.Repeat("x", 300), http.StatusBadRequest, "page_token"},
			{"GET", "/v1/profiles/" + ours.ID + "/token", http.StatusMethodNotAllowed, ""},
		}
		for _, tt := range tests {
			r := e.do(request{Method: tt.method, Path: tt.path, Cred: e.admin})
			if d := r.apiError(t); r.Status != tt.status || tt.field != "" && (d.Code != invited.EINVALID || d.Fields[tt.field] == "") {
				t.Errorf("%s %s: %d %s, want %d naming %q", tt.method, tt.path, r.Status, r.Body, tt.status, tt.field)
			}
		}
	})

	t.Run("token", func(t *testing.T) {
		tokenPath := "/v1/profiles/" + ours.ID + "/token"
		for _, tt := range []struct {
			name, cred string
			status     int
		}{
			{"without connections:manage", inviterKey, http.StatusForbidden},
			{"another tenant", globexKey, http.StatusNotFound},
			{"without credentials", "", http.StatusUnauthorized},
		} {
			if r := e.do(request{Method: "POST", Path: tokenPath, Cred: tt.cred}); r.Status != tt.status {
				t.Errorf("%s: %d %s, want %d", tt.name, r.Status, r.Body, tt.status)
			}
		}

		var tok invited.ProfileToken
		r := e.call(request{Method: "POST", Path: tokenPath, Cred: connectionsKey}, http.StatusOK, &tok)
		if got := keysOf(t, r.Body); !slices.Equal(got, []string{"access_token", "expires_at", "scopes", "token_type"}) {
			t.Errorf("keys %v", got)
		}
		if tok.TokenType != "Bearer" || tok.ExpiresAt == nil || !tok.ExpiresAt.Equal(*ours.TokenExpiresAt) ||
			!slices.Equal(tok.Scopes, []string{"read", "write"}) {
			t.Errorf("token %+v, profile %+v", tok, ours)
		}
		if got := r.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("Cache-Control %q", got)
		}
		if account := p.Account(t, tok.AccessToken); account != "acct-42" {
			t.Errorf("the token is %s's", account)
		}
		var again invited.ProfileToken
		e.call(request{Method: "POST", Path: tokenPath, Cred: e.admin}, http.StatusOK, &again)
		if again.AccessToken != tok.AccessToken || p.TokenRequests("refresh_token") != 0 {
			t.Errorf("a fresh token was renewed: %d refreshes", p.TokenRequests("refresh_token"))
		}

		// Past the platform's lifetime the token is renewed.
		e.clock.Advance(time.Hour)
		var renewed invited.ProfileToken
		e.call(request{Method: "POST", Path: tokenPath, Cred: connectionsKey}, http.StatusOK, &renewed)
		if renewed.AccessToken == tok.AccessToken || renewed.ExpiresAt == nil || !renewed.ExpiresAt.After(e.clock.Now()) ||
			p.TokenRequests("refresh_token") != 1 {
			t.Errorf("after expiry: %+v, %d refreshes", renewed, p.TokenRequests("refresh_token"))
		}
		if account := p.Account(t, renewed.AccessToken); account != "acct-42" {
			t.Errorf("the renewed token is %s's", account)
		}
		var prof invited.Profile
		e.call(request{Method: "GET", Path: "/v1/profiles/" + ours.ID, Cred: connectionsKey}, http.StatusOK, &prof)
		if prof.TokenExpiresAt == nil || !prof.TokenExpiresAt.Equal(*renewed.ExpiresAt) {
			t.Errorf("the profile's token expires at %v, the token at %v", prof.TokenExpiresAt, renewed.ExpiresAt)
		}

		for _, secret := range []string{tok.AccessToken, renewed.AccessToken} {
			if strings.Contains(e.log.String(), secret) {
				t.Error("the log has an access token")
			}
		}
	})

	t.Run("the platform refuses the renewal", func(t *testing.T) {
		victim := e.connectProfile(p, connectionsKey, acme.ID, app.ID)
		revokeRefreshToken(t, e, p, victim.ID)
		e.clock.Advance(2 * time.Hour)
		path := "/v1/profiles/" + victim.ID + "/token"
		// Twice: a failed renewal gives its lease up.
		for range 2 {
			r := e.do(request{Method: "POST", Path: path, Cred: connectionsKey})
			if r.Status != http.StatusBadGateway || r.apiError(t).Code != invited.EUPSTREAM {
				t.Fatalf("%d %s, want 502 %s", r.Status, r.Body, invited.EUPSTREAM)
			}
		}
	})

	t.Run("archive", func(t *testing.T) {
		path := "/v1/profiles/" + ours.ID
		for _, tt := range []struct {
			name, cred string
			status     int
		}{
			{"without connections:manage", inviterKey, http.StatusForbidden},
			{"another tenant", globexKey, http.StatusNotFound},
		} {
			if r := e.do(request{Method: "POST", Path: path + "/archive", Cred: tt.cred}); r.Status != tt.status {
				t.Errorf("%s: %d %s, want %d", tt.name, r.Status, r.Body, tt.status)
			}
		}
		var archived invited.Profile
		e.call(request{Method: "POST", Path: path + "/archive", Cred: connectionsKey}, http.StatusOK, &archived)
		if archived.Status != invited.ProfileArchived || archived.ArchivedAt == nil || archived.Refreshable || archived.TokenExpiresAt != nil {
			t.Errorf("archived %+v", archived)
		}
		var ai invited.AppInvite
		e.call(request{Method: "GET", Path: "/v1/app-invites/" + ours.AppInviteID, Cred: connectionsKey}, http.StatusOK, &ai)
		if ai.Status != invited.AppInviteArchived {
			t.Errorf("its app invite is %s", ai.Status)
		}
		for _, action := range []string{"/archive", "/token"} {
			r := e.do(request{Method: "POST", Path: path + action, Cred: connectionsKey})
			if r.Status != http.StatusConflict || r.apiError(t).Code != invited.EINVALIDSTATE {
				t.Errorf("%s once archived: %d %s", action, r.Status, r.Body)
			}
		}
		if got := e.profileIDs(connectionsKey, "/v1/orgs/"+acme.ID+"/profiles?status=archived"); !slices.Equal(got, []string{ours.ID}) {
			t.Errorf("archived: %v", got)
		}
		if got := e.profileIDs(connectionsKey, "/v1/profiles?status=active&page_size=200"); slices.Contains(got, ours.ID) || len(got) == 0 {
			t.Errorf("active: %v", got)
		}

		var events client.AuditEventList
		e.call(request{Method: "GET", Path: "/v1/audit-events?page_size=200&resource=" + invited.ResourceProfile, Cred: e.admin}, http.StatusOK, &events)
		var actions []string
		for _, ev := range events.Events {
			if ev.ResourceID == ours.ID {
				actions = append(actions, ev.Action)
			}
		}
		if want := []string{"profile.archived", "profile.token_refreshed", "profile.created"}; !slices.Equal(actions, want) {
			t.Errorf("audit events %v, want %v", actions, want)
		}
	})
}

// revokeRefreshToken spends profile id's refresh token at the platform
// behind the service's back. The platform rotates refresh tokens, so the
// stored one no longer works: as if the partner had revoked the grant.
func revokeRefreshToken(t *testing.T, e *env, p *platform, id string) {
	t.Helper()
	admin := invited.NewContextWithActor(context.Background(), &invited.Actor{Admin: true})
	creds, err := e.db.ProfileCredentials(admin, id)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.PostForm(p.TokenURL(), url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {creds.Token.RefreshToken},
		"client_id": {p.clientID}, "client_secret": {p.clientSecret},
	})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the platform refused the refresh token: %s", resp.Status)
	}
}

// sameIDs reports whether got and want hold the same ids in any order.
func sameIDs(got, want []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want)))
}

// TestProfilesInSpec checks what /openapi.json says of the profile routes.
func TestProfilesInSpec(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]struct {
			Tags      []string `json:"tags"`
			Responses map[string]struct {
				Content map[string]struct {
					Schema struct {
						Ref string `json:"$ref"`
					} `json:"schema"`
				} `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(httptestDo(NewServer(Deps{}), "GET", "/openapi.json", nil).Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, op := range []struct{ method, path, answer string }{
		{"get", "/v1/orgs/{org}/profiles", "ProfileList"},
		{"get", "/v1/profiles", "ProfileList"},
		{"get", "/v1/profiles/{id}", "Profile"},
		{"post", "/v1/profiles/{id}/archive", "Profile"},
		{"post", "/v1/profiles/{id}/token", "ProfileToken"},
	} {
		got, ok := doc.Paths[op.path][op.method]
		if !ok {
			t.Errorf("no %s %s", op.method, op.path)
			continue
		}
		if !slices.Equal(got.Tags, tagProfiles) || got.Responses["200"].Content["application/json"].Schema.Ref != "#/components/schemas/"+op.answer {
			t.Errorf("%s %s: tags %v, answers %+v", op.method, op.path, got.Tags, got.Responses["200"])
		}
	}
	if _, ok := doc.Paths["/v1/profiles/{id}/token"]["post"].Responses["502"]; !ok {
		t.Error("the token route does not say it may answer 502")
	}
}
