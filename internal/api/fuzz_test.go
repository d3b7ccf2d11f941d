package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
)

// FuzzDecodeInvitationCreate feeds bodies through the decoding path of a
// create (size limit, Content-Type, strict decoding, error explanation) and
// the domain's validation: whatever the body, the answer is a 2xx or a 400
// with a well-formed error, never a 500 or a panic.
func FuzzDecodeInvitationCreate(f *testing.F) {
	for _, seed := range []string{
		`{"email":"a@example.com","roles":["member"]}`,
		`{"phone":"+14155550100","roles":["member"],"expires_in":"72h","metadata":{"a":[1,2,{"b":null}]}}`,
		`{"email":"a@example.com","roles":"member"}`,
		`{"email":"a@example.com","roles":["member",7],"expires_at":"tomorrow"}`,
		`{"email":"a@example.com","roles":["member"],"expires_in":"-1h"}`,
		`{"email":"a@example.com","roles":["member"],"expires_in":"99999999999d"}`,
		`{"EMAIL":"a@example.com","Roles":["member"],"send":"yes"}`,
		`{"email":"a@example.com","roles":["member"]} {"again":true}`,
		`{"metadata":"x","metadata":{"y":1}}`,
		`{"email":"\ud800","roles":["\u0000"]}`,
		`{"first_name":` + strings.Repeat("[", 1000),
		`{"message":1e999}`,
		`null`, `[]`, `""`, ``, `{`, `}`, "\xff\xfe",
	} {
		f.Add([]byte(seed))
	}
	s := newServer(Deps{})
	org := &invited.Organization{ID: "org_01hzzzzzzzzzzzzzzzzzzzzzzz", Name: "Acme", Settings: invited.DefaultOrgSettings()}
	validate := func(r *http.Request, c invited.InvitationCreate) (*invited.Invitation, error) {
		return invited.NewInvitation(c, org, func(role string) bool { return role == "member" }, invited.Inviter{}, time.Now())
	}
	h := handle(s, validate, endpointOptions{status: http.StatusCreated})

	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest("POST", "/v1/orgs/"+org.ID+"/invitations", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusCreated:
		case http.StatusBadRequest:
			var b client.ErrorResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil || b.Error.Code != invited.EINVALID || b.Error.Message == "" {
				t.Fatalf("400 with body %s", rec.Body)
			}
		default:
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
		}
	})
}

// FuzzTokenLookup sends arbitrary tokens to GET /v1/invitation-tokens/{token}
// through the whole server and a real store: the answer is a preview or an
// error the contract names, never a 500 or a panic.
func FuzzTokenLookup(f *testing.F) {
	e := newEnv(f)
	org := e.createOrg("Acme")
	token := tokenOf(f, e.invite(e.admin, org.ID, map[string]any{"email": "a@example.com", "roles": []string{"member"}}).URL)
	for _, seed := range []string{
		token, token[:len(token)-1] + "A", token + "=", strings.ToUpper(token), "",
		"x", "..", "../../etc/passwd", "/", "%00", "\x00", "\xff", "ik_" + token, "inv_01hzzzzzzzzzzzzzzzzzzzzzzz",
		strings.Repeat("A", 43), strings.Repeat("a", maxTokenLength+1), "é🙂", " " + token, "a/b/accept",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/invitation-tokens/"+url.PathEscape(token), nil))
		switch rec.Code {
		case http.StatusOK, http.StatusNotFound, http.StatusGone:
		default:
			t.Fatalf("status %d for %q: %s", rec.Code, token, rec.Body)
		}
		if rec.Code == http.StatusOK && strings.Contains(rec.Body.String(), "a@example.com") {
			t.Fatalf("the preview leaks the email: %s", rec.Body)
		}
	})
}
