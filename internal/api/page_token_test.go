package api

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"testing"
)

// TestForgedPageToken sends page tokens that decode but were never issued
// (found by FuzzPageToken): a NUL, invalid UTF-8, the wrong case, a quote
// where an id's digit goes. Each is a 400 naming page_token on both
// databases; PostgreSQL answered 500 to the first two, whose bytes a text
// parameter cannot hold.
func TestForgedPageToken(t *testing.T) {
	forge := func(id string) string {
		return base64.RawURLEncoding.EncodeToString(append([]byte{1}, id...))
	}
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			e := newEnvOn(t, db.url(t))
			for _, token := range []string{
				forge("org_" + string(make([]byte, 26))),
				forge("org_\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5\xf4\xf3\xf2\xf1\xf0\xef\xee\xed\xec\xeb\xea\xe9\xe8\xe7\xe6"),
				forge("org_01HZZZZZZZZZZZZZZZZZZZZZZZ"),
				forge("org_01hzzzzzzzzzzzzzzzzzzzz'"),
			} {
				r := e.do(request{Method: "GET", Path: "/v1/orgs?page_token=" + url.QueryEscape(token), Cred: e.admin, Invalid: true})
				if r.Status != http.StatusBadRequest || r.apiError(t).Fields["page_token"] == "" {
					t.Errorf("page_token %q: %d %s, want 400 naming page_token", token, r.Status, r.Body)
				}
			}
		})
	}
}
