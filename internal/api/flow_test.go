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
)

// TestInvitationFlow drives one invitation through its life, as a host
// application would, and checks what each step shows and hides.
func TestInvitationFlow(t *testing.T) {
	e := newEnv(t)
	org := e.createOrg("Acme")

	inv := e.invite(e.admin, org.ID, map[string]any{
		"email": "Ada@Example.com", "roles": []string{"admin"}, "first_name": "Ada",
		"message": "Welcome aboard", "metadata": map[string]any{"crm_id": "secret-crm-42"},
	})
	if inv.Status != invited.StatusPending || inv.Email != "ada@example.com" || !slices.Equal(inv.Roles, []string{"admin"}) {
		t.Fatalf("created %+v", inv.Invitation)
	}
	if !strings.HasSuffix(inv.CreatedAt.Format(time.RFC3339Nano), "Z") {
		t.Errorf("created_at %v is not UTC", inv.CreatedAt)
	}
	token := tokenOf(t, inv.URL)

	t.Run("a second open invitation names the first", func(t *testing.T) {
		r := e.do(request{Method: "POST", Path: "/v1/orgs/" + org.ID + "/invitations", Cred: e.admin,
			Body: map[string]any{"email": "ada@example.com", "roles": []string{"member"}}})
		if d := r.apiError(t); r.Status != http.StatusConflict || d.Code != invited.EINVITATIONEXISTS || d.ExistingID != inv.ID {
			t.Errorf("%d %s", r.Status, r.Body)
		}
	})

	t.Run("public lookup shows only the preview", func(t *testing.T) {
		r := e.call(request{Method: "GET", Path: "/v1/invitation-tokens/" + token}, http.StatusOK, nil)
		if got := r.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("Cache-Control %q", got)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(r.Body, &m); err != nil {
			t.Fatal(err)
		}
		want := []string{"expires_at", "invitee", "inviter", "message", "organization", "roles", "status"}
		if got := slices.Sorted(maps.Keys(m)); !slices.Equal(got, want) {
			t.Errorf("keys %v, want %v", got, want)
		}
		for key, sub := range map[string][]string{"organization": {"id", "name"}, "invitee": {"first_name"}} {
			var inner map[string]any
			json.Unmarshal(m[key], &inner)
			if got := slices.Sorted(maps.Keys(inner)); !slices.Equal(got, sub) {
				t.Errorf("%s keys %v, want %v", key, got, sub)
			}
		}
		for _, secret := range []string{"ada@example.com", "secret-crm-42", inv.ID} {
			if strings.Contains(string(r.Body), secret) {
				t.Errorf("preview leaks %q: %s", secret, r.Body)
			}
		}
	})

	t.Run("accept with an API key vouching for the user", func(t *testing.T) {
		var acc invited.Acceptance
		e.call(request{Method: "POST", Path: "/v1/invitation-tokens/" + token + "/accept", Cred: e.admin,
			Body: map[string]any{"user": map[string]any{"external_id": "ada-1", "email": "ada@example.com", "name": "Ada"}}},
			http.StatusOK, &acc)
		if acc.Invitation.Status != invited.StatusAccepted || acc.User == nil || !strings.HasPrefix(acc.User.ID, invited.PrefixUser) {
			t.Fatalf("acceptance %+v", acc)
		}
		// The first member of an organization is its owner as well.
		if !slices.Contains(acc.Membership.Roles, "owner") || !slices.Contains(acc.Membership.Roles, "admin") {
			t.Errorf("membership roles %v, want owner and admin", acc.Membership.Roles)
		}
		r := e.do(request{Method: "POST", Path: "/v1/invitation-tokens/" + token + "/accept", Cred: e.admin,
			Body: map[string]any{"user": map[string]any{"external_id": "ada-1", "email": "ada@example.com"}}})
		if r.Status != http.StatusConflict || r.apiError(t).Code != invited.EALREADYACCEPTED {
			t.Errorf("second accept: %d %s", r.Status, r.Body)
		}
	})

	t.Run("revoke", func(t *testing.T) {
		for _, rq := range []request{
			{Method: "POST", Path: "/revoke"},
			{Method: "DELETE", Path: ""},
		} {
			inv := e.invite(e.admin, org.ID, map[string]any{"email": "rev" + rq.Method + "@example.com", "roles": []string{"member"}})
			var got invited.Invitation
			e.call(request{Method: rq.Method, Path: "/v1/invitations/" + inv.ID + rq.Path, Cred: e.admin}, http.StatusOK, &got)
			if got.Status != invited.StatusRevoked || got.RevokedAt == nil {
				t.Errorf("%s: %+v", rq.Method, got)
			}
			r := e.do(request{Method: "POST", Path: "/v1/invitation-tokens/" + tokenOf(t, inv.URL) + "/decline"})
			if r.Status != http.StatusGone || r.apiError(t).Code != invited.EREVOKED {
				t.Errorf("declining a revoked invitation: %d %s", r.Status, r.Body)
			}
			r = e.do(request{Method: "POST", Path: "/v1/invitations/" + inv.ID + "/revoke", Cred: e.admin})
			if r.Status != http.StatusConflict || r.apiError(t).Code != invited.EINVALIDSTATE {
				t.Errorf("revoking twice: %d %s", r.Status, r.Body)
			}
		}
	})

	t.Run("renew", func(t *testing.T) {
		inv := e.invite(e.admin, org.ID, map[string]any{"email": "renew@example.com", "roles": []string{"member"}, "expires_in": "1h"})
		e.clock.Advance(2 * time.Hour)
		var got invited.Invitation
		e.call(request{Method: "GET", Path: "/v1/invitations/" + inv.ID, Cred: e.admin}, http.StatusOK, &got)
		if got.Status != invited.StatusExpired {
			t.Fatalf("after its expiry the invitation is %s", got.Status)
		}
		r := e.do(request{Method: "GET", Path: "/v1/invitation-tokens/" + tokenOf(t, inv.URL)})
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"status":"expired"`) {
			t.Errorf("preview of an expired link: %d %s", r.Status, r.Body)
		}

		e.call(request{Method: "POST", Path: "/v1/invitations/" + inv.ID + "/renew", Cred: e.admin, Body: map[string]any{"expires_in": "72h"}},
			http.StatusOK, &got)
		if want := e.clock.Now().Add(72 * time.Hour); got.Status != invited.StatusPending || got.ExpiresAt.Sub(want).Abs() > time.Second {
			t.Errorf("renewed: %s until %v, want pending until %v", got.Status, got.ExpiresAt, want)
		}
		// Renewing keeps the link.
		r = e.do(request{Method: "GET", Path: "/v1/invitation-tokens/" + tokenOf(t, inv.URL)})
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"status":"pending"`) {
			t.Errorf("preview after renewal: %d %s", r.Status, r.Body)
		}
		// Without a body, the organization's default lifetime applies.
		e.call(request{Method: "POST", Path: "/v1/invitations/" + inv.ID + "/renew", Cred: e.admin}, http.StatusOK, &got)
		if want := e.clock.Now().Add(invited.DefaultInvitationTTL); got.ExpiresAt.Sub(want).Abs() > time.Second {
			t.Errorf("renewed without a body until %v, want %v", got.ExpiresAt, want)
		}
		e.call(request{Method: "POST", Path: "/v1/invitations/" + inv.ID + "/revoke", Cred: e.admin}, http.StatusOK, nil)
		r = e.do(request{Method: "POST", Path: "/v1/invitations/" + inv.ID + "/renew", Cred: e.admin})
		if r.Status != http.StatusConflict || r.apiError(t).Code != invited.EINVALIDSTATE {
			t.Errorf("renewing a revoked invitation: %d %s", r.Status, r.Body)
		}
	})

	t.Run("resend replaces the link", func(t *testing.T) {
		inv := e.invite(e.admin, org.ID, map[string]any{"email": "resend@example.com", "roles": []string{"member"}})
		e.clock.Advance(invited.ResendInterval + time.Second)
		var resent client.InvitationWithURL
		r := e.call(request{Method: "POST", Path: "/v1/invitations/" + inv.ID + "/resend", Cred: e.admin}, http.StatusOK, &resent)
		if resent.URL == "" || resent.URL == inv.URL || resent.ID != inv.ID {
			t.Fatalf("resent %s with link %q (was %q)", resent.ID, resent.URL, inv.URL)
		}
		if got := r.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("Cache-Control %q on an answer with a link", got)
		}
		if r := e.do(request{Method: "GET", Path: "/v1/invitation-tokens/" + tokenOf(t, inv.URL)}); r.Status != http.StatusNotFound {
			t.Errorf("old link: %d %s", r.Status, r.Body)
		}
		e.call(request{Method: "GET", Path: "/v1/invitation-tokens/" + tokenOf(t, resent.URL)}, http.StatusOK, nil)

		// Again at once: rate-limited, with a Retry-After.
		r = e.do(request{Method: "POST", Path: "/v1/invitations/" + inv.ID + "/resend", Cred: e.admin})
		if r.Status != http.StatusTooManyRequests || r.apiError(t).Code != invited.ERATELIMITED || r.Header.Get("Retry-After") == "" {
			t.Errorf("immediate second resend: %d %v %s", r.Status, r.Header, r.Body)
		}
	})

	t.Run("decline", func(t *testing.T) {
		inv := e.invite(e.admin, org.ID, map[string]any{"email": "decline@example.com", "roles": []string{"member"}})
		r := e.call(request{Method: "POST", Path: "/v1/invitation-tokens/" + tokenOf(t, inv.URL) + "/decline"}, http.StatusOK, nil)
		if !strings.Contains(string(r.Body), `"status":"declined"`) || strings.Contains(string(r.Body), "decline@example.com") {
			t.Errorf("decline answered %s", r.Body)
		}
	})

	t.Run("draft and send", func(t *testing.T) {
		draft := e.invite(e.admin, org.ID, map[string]any{"email": "draft@example.com", "roles": []string{"member"}, "send": false})
		if draft.Status != invited.StatusDraft || draft.URL != "" {
			t.Fatalf("draft %s with link %q", draft.Status, draft.URL)
		}
		var sent client.InvitationWithURL
		e.call(request{Method: "POST", Path: "/v1/invitations/" + draft.ID + "/send", Cred: e.admin}, http.StatusOK, &sent)
		if sent.Status != invited.StatusPending {
			t.Errorf("sent draft is %s", sent.Status)
		}
		e.call(request{Method: "GET", Path: "/v1/invitation-tokens/" + tokenOf(t, sent.URL)}, http.StatusOK, nil)
	})

	t.Run("list pages through everything", func(t *testing.T) {
		other := e.createOrg("Paging")
		var want []string
		for i := range 5 {
			want = append(want, e.invite(e.admin, other.ID, map[string]any{"email": "p" + string(rune('a'+i)) + "@example.com", "roles": []string{"member"}}).ID)
		}
		var got []string
		token, pages := "", 0
		for {
			var page client.InvitationList
			e.call(request{Method: "GET", Path: "/v1/invitations?page_size=2&org_id=" + other.ID + "&page_token=" + token, Cred: e.admin}, http.StatusOK, &page)
			for _, inv := range page.Invitations {
				got = append(got, inv.ID)
			}
			pages++
			if token = page.NextPageToken; token == "" || pages > 10 {
				break
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) || pages != 3 {
			t.Errorf("%d pages of %v, want 3 pages of %v", pages, got, want)
		}
		var filtered client.InvitationList
		e.call(request{Method: "GET", Path: "/v1/invitations?status=pending&email=PC@example.com", Cred: e.admin}, http.StatusOK, &filtered)
		if len(filtered.Invitations) != 1 || filtered.Invitations[0].Email != "pc@example.com" {
			t.Errorf("filter by email found %v", filtered.Invitations)
		}
	})

	t.Run("another tenant sees nothing", func(t *testing.T) {
		otherKey := e.createKey(e.createOrg("Globex").ID, invited.AllPermissions...)
		for _, path := range []string{"/v1/invitations/" + inv.ID, "/v1/orgs/" + org.ID, "/v1/orgs/" + org.ID + "/members"} {
			r := e.do(request{Method: "GET", Path: path, Cred: otherKey})
			if r.Status != http.StatusNotFound || r.apiError(t).Code != invited.ENOTFOUND {
				t.Errorf("GET %s: %d %s", path, r.Status, r.Body)
			}
		}
		r := e.do(request{Method: "POST", Path: "/v1/orgs/" + org.ID + "/invitations", Cred: otherKey,
			Body: map[string]any{"email": "x@example.com", "roles": []string{"member"}}})
		if r.Status != http.StatusNotFound {
			t.Errorf("creating in another tenant: %d %s", r.Status, r.Body)
		}
		var list client.InvitationList
		e.call(request{Method: "GET", Path: "/v1/invitations", Cred: otherKey}, http.StatusOK, &list)
		if len(list.Invitations) != 0 {
			t.Errorf("another tenant lists %d invitations", len(list.Invitations))
		}
		if r := e.do(request{Method: "GET", Path: "/v1/invitations?org_id=" + org.ID, Cred: otherKey}); r.Status != http.StatusNotFound {
			t.Errorf("listing another tenant's organization: %d %s", r.Status, r.Body)
		}
	})

	// Tokens and secrets never reach the log.
	log := e.log.String()
	for _, secret := range []string{token, e.admin, "secret-crm-42", "ada@example.com"} {
		if strings.Contains(log, secret) {
			t.Errorf("the log contains %q", secret)
		}
	}
	if !strings.Contains(log, "route=\"GET /v1/invitation-tokens/{token}\"") {
		t.Errorf("the log does not name routes by pattern:\n%s", log)
	}
}

// TestMalformedInput sends bad requests: each answers 400, names the field
// when there is one, and creates nothing.
func TestMalformedInput(t *testing.T) {
	e := newEnv(t)
	org := e.createOrg("Acme")
	path := "/v1/orgs/" + org.ID + "/invitations"
	count := func() int {
		var list client.InvitationList
		e.call(request{Method: "GET", Path: "/v1/invitations?page_size=200&org_id=" + org.ID, Cred: e.admin}, http.StatusOK, &list)
		return len(list.Invitations)
	}
	valid := `{"email":"a@example.com","roles":["member"]}`

	tests := []struct {
		name  string
		body  string
		ctype string // default application/json
		field string // the field named in fields, "" for none
		msg   string // part of the message, when no field is named
	}{
		{name: "malformed JSON", body: `{"email":"a@example.com",`, msg: "malformed JSON"},
		{name: "syntax error position", body: "{\n  \"email\": x}", msg: "line 2"},
		{name: "unknown field", body: `{"email":"a@example.com","roles":["member"],"admin":true}`, field: "admin"},
		{name: "oversized body", body: `{"email":"a@example.com","roles":["member"],"message":"` + strings.Repeat("x", maxBodySize) + `"}`, msg: "larger than"},
		{name: "trailing data", body: valid + `{}`, msg: "after the JSON object"},
		{name: "empty body", body: "", msg: "needs a JSON body"},
		{name: "not an object", body: `["a@example.com"]`, msg: "JSON object"},
		{name: "null", body: `null`, msg: "JSON object"},
		{name: "form encoded", body: "email=a%40example.com&roles=member", ctype: "application/x-www-form-urlencoded", msg: "JSON object"},
		{name: "roles not an array", body: `{"email":"a@example.com","roles":"member"}`, field: "roles"},
		{name: "role not a string", body: `{"email":"a@example.com","roles":["member",7]}`, field: "roles[1]"},
		{name: "bad duration", body: `{"email":"a@example.com","roles":["member"],"expires_in":"soon"}`, field: "expires_in"},
		{name: "bad time", body: `{"email":"a@example.com","roles":["member"],"expires_at":"tomorrow"}`, field: "expires_at"},
		{name: "bad email", body: `{"email":"not-an-email","roles":["member"]}`, field: "email"},
		{name: "bad phone", body: `{"phone":"555-1234","roles":["member"]}`, field: "phone"},
		{name: "unknown role", body: `{"email":"a@example.com","roles":["emperor"]}`, field: "roles"},
		{name: "too many roles", body: `{"email":"a@example.com","roles":[` + strings.Repeat(`"member",`, invited.MaxRoles) + `"member"]}`, field: "roles"},
		{name: "two invitees", body: `{"email":"a@example.com","phone":"+14155550100","roles":["member"]}`, field: "email"},
		{name: "negative expiry", body: `{"email":"a@example.com","roles":["member"],"expires_in":"-1h"}`, field: "expires_in"},
		{name: "absurd expiry", body: `{"email":"a@example.com","roles":["member"],"expires_in":"100000h"}`, field: "expires_in"},
	}
	before := count()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rq := request{Method: "POST", Path: path, Cred: e.admin, Body: tt.body}
			if tt.ctype != "" {
				rq.Header = map[string]string{"Content-Type": tt.ctype}
			}
			r := e.do(rq)
			if r.Status != http.StatusBadRequest {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
			d := r.apiError(t)
			if d.Code != invited.EINVALID {
				t.Errorf("code %q", d.Code)
			}
			if tt.field != "" && d.Fields[tt.field] == "" {
				t.Errorf("fields %v do not name %q", d.Fields, tt.field)
			}
			if tt.msg != "" && !strings.Contains(d.Message, tt.msg) {
				t.Errorf("message %q does not mention %q", d.Message, tt.msg)
			}
		})
	}
	if after := count(); after != before {
		t.Errorf("malformed requests created %d invitations", after-before)
	}

	t.Run("the contract's example message", func(t *testing.T) {
		r := e.do(request{Method: "POST", Path: path, Cred: e.admin, Body: `{"email":"a@example.com","roles":"member"}`})
		if got := r.apiError(t).Fields["roles"]; got != "must be an array of strings" {
			t.Errorf("roles: %q", got)
		}
	})

	queries := []struct{ query, field string }{
		{"page_size=0", "page_size"},
		{"page_size=201", "page_size"},
		{"page_size=ten", "page_size"},
		{"page_token=garbage", "page_token"},
		{"status=lost", "status"},
		{"email=nobody", "email"},
		{"org_id=acme", "org_id"},
	}
	for _, q := range queries {
		t.Run(q.query, func(t *testing.T) {
			r := e.do(request{Method: "GET", Path: "/v1/invitations?" + q.query, Cred: e.admin})
			if r.Status != http.StatusBadRequest || r.apiError(t).Fields[q.field] == "" {
				t.Errorf("%d %s", r.Status, r.Body)
			}
		})
	}

	// A path id of the wrong shape is simply not found.
	for _, rq := range []request{
		{Method: "GET", Path: "/v1/invitations/42"},
		{Method: "GET", Path: "/v1/invitations/org_01hzzzzzzzzzzzzzzzzzzzzzzz"},
		{Method: "GET", Path: "/v1/orgs/%00"},
		{Method: "DELETE", Path: "/v1/orgs/" + org.ID + "/members/bob"},
		{Method: "DELETE", Path: "/v1/api-keys/ik_123"},
	} {
		rq.Cred = e.admin
		if r := e.do(rq); r.Status != http.StatusNotFound || r.apiError(t).Code != invited.ENOTFOUND {
			t.Errorf("%s %s: %d %s", rq.Method, rq.Path, r.Status, r.Body)
		}
	}
}

// TestBatch checks that one bad item does not sink the rest.
func TestBatch(t *testing.T) {
	e := newEnv(t)
	org := e.createOrg("Acme")
	body := `{"invitations":[
		{"email":"one@example.com","roles":["member"]},
		{"email":"two@example.com","roles":"member"},
		{"email":"three@example.com","roles":["emperor"]},
		{"email":"one@example.com","roles":["member"]},
		{"email":"four@example.com","roles":["member"],"send":false}
	]}`
	var got client.BatchResponse
	// Item 1 breaks the spec; it fails alone, in its result.
	r := e.call(request{Method: "POST", Path: "/v1/orgs/" + org.ID + "/invitations/batch", Cred: e.admin, Body: body, Invalid: true}, http.StatusOK, &got)
	if len(got.Results) != 5 {
		t.Fatalf("%d results: %s", len(got.Results), r.Body)
	}
	for i, res := range got.Results {
		if res.Index != i {
			t.Errorf("result %d has index %d", i, res.Index)
		}
	}
	ok := func(i int) bool { return got.Results[i].Invitation != nil && got.Results[i].Error == nil }
	if !ok(0) || got.Results[0].URL == "" {
		t.Errorf("item 0: %+v", got.Results[0])
	}
	if ok(4) && got.Results[4].URL != "" {
		t.Errorf("a draft got a link")
	}
	wantErr := map[int]string{1: invited.EINVALID, 2: invited.EINVALID, 3: invited.EINVITATIONEXISTS}
	for i, code := range wantErr {
		if res := got.Results[i]; res.Error == nil || res.Error.Code != code || res.Invitation != nil {
			t.Errorf("item %d: %+v, want error %s", i, res, code)
		}
	}
	if f := got.Results[1].Error.Fields["roles"]; f != "must be an array of strings" {
		t.Errorf("item 1 fields: %v", got.Results[1].Error.Fields)
	}
	if got.Results[3].Error.ExistingID != got.Results[0].Invitation.ID {
		t.Errorf("invitation_exists names %q, want %q", got.Results[3].Error.ExistingID, got.Results[0].Invitation.ID)
	}

	for name, body := range map[string]string{
		"empty":     `{"invitations":[]}`,
		"not array": `{"invitations":{}}`,
		"too many":  `{"invitations":[` + strings.Repeat(`{},`, invited.MaxBatchSize) + `{}]}`,
	} {
		r := e.do(request{Method: "POST", Path: "/v1/orgs/" + org.ID + "/invitations/batch", Cred: e.admin, Body: body})
		if r.Status != http.StatusBadRequest || r.apiError(t).Fields["invitations"] == "" {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
}
