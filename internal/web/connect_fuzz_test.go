package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/connect"
)

// FuzzOAuthCallback sends any query to /oauth/callback, where the platform
// returns the partner's browser, in the browser that started an
// authorization. In the query, STATE stands for the state of an
// authorization started for the input, and CODE for the code the platform
// gave for it, so that fuzzed answers reach the token exchange as well as
// the state check. Whatever the query, the answer is a page (site.send's
// checks: headers, no private string), never a server error, except the
// 502 page that says the platform failed.
func FuzzOAuthCallback(f *testing.F) {
	s := newConnectSite(f, connectOptions{})
	s.invite(f) // its address and note become private
	f.Fuzz(func(t *testing.T, query string) {
		if !sendable(query) {
			return
		}
		if strings.Contains(query, "STATE") {
			// A new invite per authorization: the one before may be
			// connected.
			_, code, err := s.db.CreateAppInvite(s.admin, s.app.ID, invited.AppInviteCreate{
				OrgID: s.org.ID, Email: "partner@example.com", Note: "internal: partner owes us money",
			})
			if err != nil {
				t.Fatal(err)
			}
			a := s.post(t, "/a/"+code+"/authorize", nil)
			loc, err := url.Parse(a.header.Get("Location"))
			if a.status != http.StatusSeeOther || err != nil {
				t.Fatalf("authorize: %d to %q", a.status, a.header.Get("Location"))
			}
			query = strings.ReplaceAll(query, "STATE", url.QueryEscape(loc.Query().Get("state")))
			if strings.Contains(query, "CODE") {
				query = strings.ReplaceAll(query, "CODE", url.QueryEscape(s.platform.Decide(t, loc.String()).Get("code")))
			}
		}
		req, err := http.NewRequest("GET", s.srv.URL+connect.CallbackPath+"?"+query, nil)
		if err != nil {
			return // no platform could redirect there
		}
		a := s.do(t, req)
		switch {
		case a.status == http.StatusBadGateway && strings.Contains(a.body, "could not complete the connection"):
		case a.status >= 500:
			t.Fatalf("callback ?%s: status %d:\n%s", query, a.status, a.body)
		case !strings.HasPrefix(a.header.Get("Content-Type"), "text/html"):
			t.Fatalf("callback ?%s: status %d as %q, not a page", query, a.status, a.header.Get("Content-Type"))
		}
	})
}
