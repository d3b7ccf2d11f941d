package api

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
	"github.com/invitedhq/invited/internal/ratelimit"
)

func TestIdempotencyKey(t *testing.T) {
	e := newEnv(t)
	org := e.createOrg("Acme")
	path := "/v1/orgs/" + org.ID + "/invitations"
	body := map[string]any{"email": "once@example.com", "roles": []string{"member"}}
	withKey := func(cred, key string, body any) request {
		return request{Method: "POST", Path: path, Cred: cred, Body: body, Header: map[string]string{idempotencyKeyHeader: key}}
	}

	var first, again client.InvitationWithURL
	r := e.call(withKey(e.admin, "k1", body), http.StatusCreated, &first)
	if r.Header.Get("Idempotent-Replayed") != "" || first.URL == "" {
		t.Fatalf("first request: %v %+v", r.Header, first)
	}
	r = e.call(withKey(e.admin, "k1", body), http.StatusCreated, &again)
	if again.ID != first.ID || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay: id %s (first %s), headers %v", again.ID, first.ID, r.Header)
	}
	// The link is a secret: it is not stored with the replay (DESIGN.md §3).
	if again.URL != "" {
		t.Errorf("a replay carries the link")
	}

	r = e.do(withKey(e.admin, "k1", map[string]any{"email": "other@example.com", "roles": []string{"member"}}))
	if r.Status != http.StatusConflict || r.apiError(t).Code != invited.ECONFLICT {
		t.Errorf("same key, other body: %d %s", r.Status, r.Body)
	}

	// Keys belong to their caller: another caller's "k1" is a new request.
	key := e.createKey(org.ID, invited.PermInvitationsCreate)
	r = e.do(withKey(key, "k1", body))
	if r.Status != http.StatusConflict || r.apiError(t).Code != invited.EINVITATIONEXISTS || r.Header.Get("Idempotent-Replayed") != "" {
		t.Errorf("another caller's key: %d %s", r.Status, r.Body)
	}

	// Answers to bad requests are kept too.
	bad := `{"email":"x@example.com","roles":["emperor"]}`
	first400 := e.do(withKey(e.admin, "k2", bad))
	again400 := e.do(withKey(e.admin, "k2", bad))
	if first400.Status != 400 || again400.Status != 400 || string(first400.Body) != string(again400.Body) || again400.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replayed 400: %d %s / %d %s", first400.Status, first400.Body, again400.Status, again400.Body)
	}

	if r := e.do(withKey(e.admin, strings.Repeat("k", 256), body)); r.Status != http.StatusBadRequest {
		t.Errorf("overlong key: %d %s", r.Status, r.Body)
	}

	// Organizations and keys honour the header as well.
	var o1, o2 invited.Organization
	orgReq := request{Method: "POST", Path: "/v1/orgs", Cred: e.admin, Body: map[string]any{"name": "Twice"}, Header: map[string]string{idempotencyKeyHeader: "org-1"}}
	e.call(orgReq, http.StatusCreated, &o1)
	e.call(orgReq, http.StatusCreated, &o2)
	if o1.ID != o2.ID {
		t.Errorf("two organizations for one key: %s, %s", o1.ID, o2.ID)
	}
	var k1, k2 client.APIKeyWithSecret
	keyReq := request{Method: "POST", Path: "/v1/api-keys", Cred: e.admin, Body: invited.APIKeyCreate{Name: "ci", Admin: true}, Header: map[string]string{idempotencyKeyHeader: "key-1"}}
	e.call(keyReq, http.StatusCreated, &k1)
	e.call(keyReq, http.StatusCreated, &k2)
	if k1.ID != k2.ID || k1.Secret == "" || k2.Secret != "" {
		t.Errorf("keys %s (secret shown: %v), %s (secret shown: %v)", k1.ID, k1.Secret != "", k2.ID, k2.Secret != "")
	}
}

// TestIdempotencyKeyThrottled: a throttled create is no outcome to replay,
// so the retry that Retry-After asks for runs again.
func TestIdempotencyKeyThrottled(t *testing.T) {
	e := newEnv(t, func(d *Deps) { d.CreateLimit = ratelimit.NewMemory(ratelimit.Rate{N: 1, Per: time.Hour}) })
	org := e.createOrg("Acme")
	e.invite(e.admin, org.ID, map[string]any{"email": "first@example.com", "roles": []string{"member"}})
	rq := request{Method: "POST", Path: "/v1/orgs/" + org.ID + "/invitations", Cred: e.admin,
		Body:   map[string]any{"email": "second@example.com", "roles": []string{"member"}},
		Header: map[string]string{idempotencyKeyHeader: "k"}}
	for attempt := range 2 {
		r := e.do(rq)
		if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" || r.Header.Get("Idempotent-Replayed") != "" {
			t.Errorf("attempt %d: %d %v %s, want a fresh 429 with Retry-After", attempt, r.Status, r.Header, r.Body)
		}
	}
}
