package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/i18n"
)

// date is how the pages write a time in English, the language of the
// tests' browserless requests.
var date = i18n.English().Date

func TestTextOn(t *testing.T) {
	for _, tc := range []struct{ accent, want string }{
		{"#000000", "#ffffff"},
		{"#ffffff", "#000000"},
		{"#1d4ed8", "#ffffff"},
		{"#facc15", "#000000"}, // yellow
		{"#dc2626", "#ffffff"},
	} {
		if got := textOn(tc.accent); got != tc.want {
			t.Errorf("textOn(%s) = %s, want %s", tc.accent, got, tc.want)
		}
	}
}

func TestRenderBrandAndPolicy(t *testing.T) {
	p, err := New(Deps{})
	if err != nil {
		t.Fatal(err)
	}
	org := &invited.Organization{Name: "Acme", Settings: invited.OrgSettings{AccentColor: "#facc15", LogoURL: "https://cdn.example.com/a.png?x=1&y=<2>"}}
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/i/x", nil)
	p.fail(w, r, brandOf(org), invited.Errorf(invited.ENOTFOUND, "<gone>"))
	body := w.Body.String()
	if w.Code != http.StatusNotFound {
		t.Errorf("status %d", w.Code)
	}
	csp := w.Header().Get("Content-Security-Policy")
	if strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
	for _, want := range []string{"--accent: #facc15", "--accent-text: #000000", "&lt;gone&gt;", `src="https://cdn.example.com/a.png?x=1&amp;y=%3c2%3e"`, "<title>Something is not right · Acme</title>"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q:\n%s", want, body)
		}
	}
}

// TestMismatchPage: refused for email_mismatch, a page tells which
// address the invitation went to, masked, and not the address itself.
func TestMismatchPage(t *testing.T) {
	p, err := New(Deps{PublicURL: "https://invited.test"})
	if err != nil {
		t.Fatal(err)
	}
	refusal := invited.CheckAcceptor(&invited.Invitation{Email: "ann@acme.test"}, invited.DefaultOrgSettings(),
		&invited.User{Email: "bob@acme.test"})
	w := httptest.NewRecorder()
	p.fail(w, httptest.NewRequest("POST", "/i/x/accept", nil), defaultBrand, refusal)
	body := w.Body.String()
	if w.Code != http.StatusForbidden || !strings.Contains(body, "a***@acme.test") || strings.Contains(body, "ann@acme.test") {
		t.Errorf("%d:\n%s", w.Code, body)
	}
}
