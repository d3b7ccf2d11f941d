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
	"github.com/invitedhq/invited/internal/ratelimit"
)

// createJoinLink creates a join link in org with cred.
func (e *env) createJoinLink(cred, orgID string, body map[string]any) client.JoinLinkWithURL {
	e.t.Helper()
	var l client.JoinLinkWithURL
	e.call(request{Method: "POST", Path: "/v1/orgs/" + orgID + "/join-links", Cred: cred, Body: body}, http.StatusCreated, &l)
	return l
}

// TestJoinLinkFlow follows a link from its creation to its last use, as
// its creator and as the people it admits see it.
func TestJoinLinkFlow(t *testing.T) {
	e := newEnv(t)
	org := e.createOrg("Acme")
	link := e.createJoinLink(e.admin, org.ID, map[string]any{"max_uses": 2, "note": "offsite", "allowed_email_domains": []string{"acme.test"}})
	if link.Status != invited.JoinLinkActive || link.Uses != 0 || *link.MaxUses != 2 || !slices.Equal(link.Roles, []string{"member"}) ||
		link.URL != testBaseURL+"/j/"+link.Token || link.Token == "" {
		t.Fatalf("created %+v", link)
	}
	token := link.Token
	use := func(body any) response {
		t.Helper()
		return e.do(request{Method: "POST", Path: "/v1/join-link-tokens/" + token + "/accept", Cred: e.admin, Body: body})
	}
	person := func(n string) map[string]any {
		return map[string]any{"user": map[string]any{"external_id": "ext-" + n, "email": n + "@acme.test", "name": n}}
	}

	t.Run("the preview shows no note and nobody", func(t *testing.T) {
		var m map[string]json.RawMessage
		e.call(request{Method: "GET", Path: "/v1/join-link-tokens/" + token}, http.StatusOK, &m)
		want := []string{"allowed_email_domains", "expires_at", "inviter", "organization", "require_approval", "roles", "status", "usable"}
		if got := slices.Sorted(maps.Keys(m)); !slices.Equal(got, want) {
			t.Errorf("keys %v, want %v", got, want)
		}
		if strings.Contains(string(m["usable"]), "false") {
			t.Errorf("a fresh link is not usable: %s", m["usable"])
		}
	})

	var first invited.JoinLinkAcceptance
	t.Run("uses", func(t *testing.T) {
		r := use(person("ada"))
		if r.Status != http.StatusOK {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		json.Unmarshal(r.Body, &first)
		if !first.Joined || first.User.Email != "ada@acme.test" || !slices.Contains(first.Membership.Roles, invited.RoleOwner) {
			t.Fatalf("first use: %s", r.Body)
		}
		for _, tt := range []struct {
			name   string
			body   any
			status int
			code   string
		}{
			{"an address at another domain", map[string]any{"user": map[string]any{"external_id": "ext-eve", "email": "eve@evil.test"}}, http.StatusForbidden, invited.EDOMAINNOTALLOWED},
			{"the same person again", person("ada"), http.StatusOK, ""},
			{"the last use", person("bob"), http.StatusOK, ""},
			{"one too many", person("cy"), http.StatusGone, invited.EJOINLINKEXHAUSTED},
			{"the first person after the last use", person("ada"), http.StatusOK, ""},
		} {
			r := use(tt.body)
			if r.Status != tt.status || (tt.code != "" && r.apiError(t).Code != tt.code) {
				t.Errorf("%s: %d %s", tt.name, r.Status, r.Body)
			}
		}
	})

	t.Run("the list counts the uses", func(t *testing.T) {
		var list client.JoinLinkList
		e.call(request{Method: "GET", Path: "/v1/orgs/" + org.ID + "/join-links?status=exhausted", Cred: e.admin}, http.StatusOK, &list)
		if len(list.JoinLinks) != 1 || list.JoinLinks[0].Uses != 2 || list.JoinLinks[0].Note != "offsite" {
			t.Fatalf("list %+v", list)
		}
	})

	t.Run("rotate and revoke", func(t *testing.T) {
		other := e.createJoinLink(e.admin, org.ID, map[string]any{})
		var rotated client.JoinLinkWithURL
		e.call(request{Method: "POST", Path: "/v1/join-links/" + other.ID + "/rotate", Cred: e.admin}, http.StatusOK, &rotated)
		if rotated.Token == "" || rotated.Token == other.Token || rotated.RotatedAt == nil {
			t.Fatalf("rotated %+v", rotated)
		}
		e.call(request{Method: "GET", Path: "/v1/join-link-tokens/" + other.Token}, http.StatusNotFound, nil)
		e.call(request{Method: "POST", Path: "/v1/join-links/" + other.ID + "/revoke", Cred: e.admin}, http.StatusOK, nil)
		r := e.do(request{Method: "POST", Path: "/v1/join-link-tokens/" + rotated.Token + "/accept", Cred: e.admin, Body: person("dan")})
		if r.Status != http.StatusGone || r.apiError(t).Code != invited.EREVOKED {
			t.Fatalf("use of a revoked link: %d %s", r.Status, r.Body)
		}
		r = e.do(request{Method: "POST", Path: "/v1/join-links/" + other.ID + "/revoke", Cred: e.admin})
		if r.Status != http.StatusConflict || r.apiError(t).Code != invited.EINVALIDSTATE {
			t.Fatalf("second revoke: %d %s", r.Status, r.Body)
		}
	})

	t.Run("a user token joins as its holder", func(t *testing.T) {
		l := e.createJoinLink(e.admin, org.ID, map[string]any{})
		user := e.idp.Token(t, "sub-grace", "grace@elsewhere.test")
		var acc invited.JoinLinkAcceptance
		e.call(request{Method: "POST", Path: "/v1/join-link-tokens/" + l.Token + "/accept", Cred: user}, http.StatusOK, &acc)
		if !acc.Joined || acc.User.ExternalID != "sub-grace" {
			t.Fatalf("%+v", acc)
		}
		r := e.do(request{Method: "POST", Path: "/v1/join-link-tokens/" + l.Token + "/accept", Cred: user, Body: person("someone")})
		if r.Status != http.StatusBadRequest || r.apiError(t).Fields["user"] == "" {
			t.Fatalf("a user naming someone else: %d %s", r.Status, r.Body)
		}
	})
}

// TestJoinLinkRefusals is bad input, another tenant's links and
// escalation: clear errors, the right statuses, nothing changed.
func TestJoinLinkRefusals(t *testing.T) {
	e := newEnv(t)
	acme, other := e.createOrg("Acme"), e.createOrg("Other")
	link := e.createJoinLink(e.admin, acme.ID, map[string]any{})
	otherKey := e.createKey(other.ID, invited.PermInvitationsCreate, invited.PermInvitationsRead, invited.PermInvitationsRevoke)
	inviter := e.createKey(acme.ID, invited.PermInvitationsCreate, invited.PermInvitationsRead)
	reader := e.createKey(acme.ID, invited.PermInvitationsRead)

	tests := []struct {
		name         string
		method, path string
		cred         string
		body         any
		status       int
		code         string
		field        string
	}{
		{"no uses", "POST", "/v1/orgs/" + acme.ID + "/join-links", e.admin, map[string]any{"max_uses": 0}, 400, invited.EINVALID, "max_uses"},
		{"too many uses", "POST", "/v1/orgs/" + acme.ID + "/join-links", e.admin, map[string]any{"max_uses": 100001}, 400, invited.EINVALID, "max_uses"},
		{"owner", "POST", "/v1/orgs/" + acme.ID + "/join-links", e.admin, map[string]any{"roles": []string{"owner"}, "allow_privileged": true}, 400, invited.EINVALID, "roles"},
		{"admin without consent", "POST", "/v1/orgs/" + acme.ID + "/join-links", e.admin, map[string]any{"roles": []string{"admin"}}, 400, invited.EINVALID, "roles"},
		{"an unknown role", "POST", "/v1/orgs/" + acme.ID + "/join-links", e.admin, map[string]any{"roles": []string{"boss"}}, 400, invited.EINVALID, "roles"},
		{"not a domain", "POST", "/v1/orgs/" + acme.ID + "/join-links", e.admin, map[string]any{"allowed_email_domains": []string{"a b"}}, 400, invited.EINVALID, "allowed_email_domains"},
		{"both expiries", "POST", "/v1/orgs/" + acme.ID + "/join-links", e.admin, map[string]any{"expires_in": "1h", "expires_at": time.Now().Add(time.Hour)}, 400, invited.EINVALID, "expires_in"},
		{"more than the creator holds", "POST", "/v1/orgs/" + acme.ID + "/join-links", inviter, map[string]any{"roles": []string{"admin"}, "allow_privileged": true}, 403, invited.EFORBIDDEN, ""},
		{"a reader creates", "POST", "/v1/orgs/" + acme.ID + "/join-links", reader, map[string]any{}, 403, invited.EFORBIDDEN, ""},
		{"a reader revokes", "POST", "/v1/join-links/" + link.ID + "/revoke", reader, nil, 403, invited.EFORBIDDEN, ""},
		{"another tenant creates", "POST", "/v1/orgs/" + acme.ID + "/join-links", otherKey, map[string]any{}, 404, invited.ENOTFOUND, ""},
		{"another tenant lists", "GET", "/v1/orgs/" + acme.ID + "/join-links", otherKey, nil, 404, invited.ENOTFOUND, ""},
		{"another tenant reads", "GET", "/v1/join-links/" + link.ID, otherKey, nil, 404, invited.ENOTFOUND, ""},
		{"another tenant rotates", "POST", "/v1/join-links/" + link.ID + "/rotate", otherKey, nil, 404, invited.ENOTFOUND, ""},
		{"another tenant's key accepts", "POST", "/v1/join-link-tokens/" + link.Token + "/accept", otherKey,
			map[string]any{"user": map[string]any{"external_id": "x"}}, 404, invited.ENOTFOUND, ""},
		{"an unknown token", "GET", "/v1/join-link-tokens/" + strings.Repeat("x", 43), "", nil, 404, invited.ENOTFOUND, ""},
		{"a malformed id", "GET", "/v1/join-links/inv_nope", e.admin, nil, 404, invited.ENOTFOUND, ""},
		{"a bad status filter", "GET", "/v1/orgs/" + acme.ID + "/join-links?status=open", e.admin, nil, 400, invited.EINVALID, "status"},
		{"accept without credentials", "POST", "/v1/join-link-tokens/" + link.Token + "/accept", "", nil, 401, invited.EUNAUTHENTICATED, ""},
		{"a key naming nobody", "POST", "/v1/join-link-tokens/" + link.Token + "/accept", e.admin, map[string]any{}, 400, invited.EINVALID, "user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(request{Method: tt.method, Path: tt.path, Cred: tt.cred, Body: tt.body, Invalid: tt.status == 400 && tt.field != "status"})
			if r.Status != tt.status {
				t.Fatalf("%d, want %d: %s", r.Status, tt.status, r.Body)
			}
			if d := r.apiError(t); d.Code != tt.code || (tt.field != "" && d.Fields[tt.field] == "") {
				t.Fatalf("error %+v, want %s on %q", d, tt.code, tt.field)
			}
		})
	}
	var list client.JoinLinkList
	e.call(request{Method: "GET", Path: "/v1/orgs/" + acme.ID + "/join-links", Cred: e.admin}, http.StatusOK, &list)
	if len(list.JoinLinks) != 1 || list.JoinLinks[0].Status != invited.JoinLinkActive || list.JoinLinks[0].Uses != 0 {
		t.Fatalf("the refusals changed something: %+v", list.JoinLinks)
	}
}

// TestJoinLinkRateLimit: a link's uses are limited per link, whoever
// tries, and answer 429 with Retry-After.
func TestJoinLinkRateLimit(t *testing.T) {
	e := newEnv(t, func(d *Deps) { d.JoinLimit = ratelimit.NewMemory(ratelimit.Rate{N: 2, Per: time.Minute}) })
	org := e.createOrg("Acme")
	link := e.createJoinLink(e.admin, org.ID, map[string]any{})
	for i, want := range []int{200, 200, 429} {
		r := e.do(request{Method: "POST", Path: "/v1/join-link-tokens/" + link.Token + "/accept", Cred: e.admin,
			Body: map[string]any{"user": map[string]any{"external_id": "p" + string(rune('a'+i))}}})
		if r.Status != want {
			t.Fatalf("use %d: %d, want %d: %s", i, r.Status, want, r.Body)
		}
		if want == 429 && (r.Header.Get("Retry-After") == "" || r.apiError(t).Code != invited.ERATELIMITED) {
			t.Fatalf("429 without Retry-After: %v %s", r.Header, r.Body)
		}
	}
	// Another link has its own allowance.
	other := e.createJoinLink(e.admin, org.ID, map[string]any{})
	e.call(request{Method: "POST", Path: "/v1/join-link-tokens/" + other.Token + "/accept", Cred: e.admin,
		Body: map[string]any{"user": map[string]any{"external_id": "pz"}}}, http.StatusOK, nil)
}
