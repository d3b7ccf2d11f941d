package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/ratelimit"
)

// joinLink creates a join link into org, whose id and note become
// private: no page may show them.
func (s *site) joinLink(t testing.TB, org *invited.Organization, c invited.JoinLinkCreate) (*invited.JoinLink, string) {
	t.Helper()
	c.Note = "private note " + strings.ToLower(invited.NewSecret("")[:10])
	l, token, err := s.db.CreateJoinLink(s.admin, org.ID, c)
	if err != nil {
		t.Fatal(err)
	}
	s.private = append(s.private, l.ID, c.Note)
	return l, token
}

// requestJoin submits the join form of token as Ada at email, and returns
// the secret of the confirmation letter.
func (s *site) requestJoin(t testing.TB, token, email string) string {
	t.Helper()
	s.post(t, "/j/"+token, url.Values{"email": {email}, "name": {"Ada Lovelace"}}).expect(t, http.StatusOK, "Check your inbox")
	return s.confirmationSecret(t, email)
}

// confirmationSecret claims the letters due, as the dispatcher would, and
// returns the secret of the confirmation letter to email among them.
func (s *site) confirmationSecret(t testing.TB, email string) string {
	t.Helper()
	msgs, err := s.db.ClaimMessages(context.Background(), 100, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Kind == invited.KindJoinConfirmation && m.To == email {
			return m.Token
		}
	}
	t.Fatalf("no confirmation letter to %s in %d claimed", email, len(msgs))
	return ""
}

func TestJoinPage(t *testing.T) {
	s := newSite(t)
	org := s.org(t, "Acme Corporation", acmeSettings)
	_, token := s.joinLink(t, org, invited.JoinLinkCreate{Roles: []string{"member"}, AllowedEmailDomains: []string{"acme.test", "partner.test"}})
	a := s.get(t, "/j/"+token)
	a.expect(t, http.StatusOK,
		`<span class="brand-name">Acme &lt;Team&gt;</span>`,
		`<img class="logo" src="https://cdn.acme.test/logo.png"`,
		"--accent: #facc15; --accent-text: #000000",
		`<h1 id="title">Grace &lt;b&gt;Hopper&lt;/b&gt; invites you to join Acme &lt;Team&gt;</h1>`,
		`<dd id="roles">member</dd>`,
		date(s.clock.Now().Add(invited.DefaultInvitationTTL)),
		`<dd id="domains">Addresses at acme.test, partner.test</dd>`,
		`<form id="join" method="post" action="/j/`+token+`">`,
		`<input type="hidden" name="csrf_token" value="`+s.csrf+`">`,
		`<input id="email" name="email" type="email" autocomplete="email" required value=""`,
		`<input id="name" name="name" type="text" autocomplete="name" required value=""`,
		`<button id="join-button" type="submit">Email me a link to join</button>`,
	)
	a.lacks(t, "Acme Corporation", "<script")

	// An open link names no domains; the organization's own narrow it.
	_, open := s.joinLink(t, s.org(t, "Open", invited.OrgSettingsPatch{}), invited.JoinLinkCreate{})
	s.get(t, "/j/"+open).lacks(t, `id="domains"`, "Only addresses at")
	narrow := s.org(t, "Narrow", invited.OrgSettingsPatch{AllowedEmailDomains: &[]string{"acme.test"}})
	_, narrowed := s.joinLink(t, narrow, invited.JoinLinkCreate{AllowedEmailDomains: []string{"acme.test", "partner.test"}})
	s.get(t, "/j/"+narrowed).expect(t, http.StatusOK, `<dd id="domains">Addresses at acme.test</dd>`)
}

// TestJoinConfirmFlow joins through a link with a confirmed address, to the
// host app with a ticket of the join link; the confirmation works once.
func TestJoinConfirmFlow(t *testing.T) {
	s := newSite(t)
	org := s.org(t, "Acme", acmeSettings)
	l, token := s.joinLink(t, org, invited.JoinLinkCreate{})
	a := s.post(t, "/j/"+token, url.Values{"email": {"Ada@Example.com"}, "name": {"Ada <i>Lovelace</i>"}})
	a.expect(t, http.StatusOK, `<section id="sent"`, `<strong id="sent-to">ada@example.com</strong>`,
		date(s.clock.Now().Add(invited.JoinConfirmationTTL)))
	secret := s.confirmationSecret(t, "ada@example.com")

	path := "/j/confirm/" + secret
	a = s.get(t, path)
	a.expect(t, http.StatusOK, "<h1 id=\"title\">Join Acme &lt;Team&gt;</h1>", "ada@example.com", "Ada &lt;i&gt;Lovelace&lt;/i&gt;",
		`<form id="confirm" method="post" action="`+path+`">`, `<button id="confirm-button" type="submit">Join Acme &lt;Team&gt;</button>`)
	// Opening the link joins nobody: a mail scanner may open it too.
	if got := s.uses(t, l); got != 0 {
		t.Fatalf("uses %d after opening the confirmation", got)
	}
	if csp := a.header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' https://app.acme.test;") {
		t.Errorf("CSP %q does not allow the redirect", csp)
	}

	id := s.handedOff(t, s.post(t, path, nil))
	tk, err := s.db.RedeemAcceptanceTicket(s.admin, id)
	if err != nil {
		t.Fatal(err)
	}
	if tk.JoinLinkID != l.ID || tk.InvitationID != "" || tk.Email != "ada@example.com" {
		t.Errorf("ticket %+v, want one of the join link for ada@example.com", tk)
	}
	members, _, err := s.db.FindMembers(s.admin, invited.MemberFilter{OrgID: org.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(members) != 1 || members[0].User.Email != "ada@example.com" || !members[0].User.EmailVerified {
		t.Errorf("members %+v, want ada@example.com, verified", members)
	}

	// The link works once.
	for _, method := range []string{"GET", "POST"} {
		a := s.send(t, method, path, url.Values{csrfField: {s.csrf}}, nil)
		a.expect(t, http.StatusConflict, `data-status="confirmed"`, "You confirmed already",
			`<a id="sign-in" class="button" href="https://app.acme.test/sign-in?lang=en">Sign in</a>`)
	}
	if got := s.uses(t, l); got != 1 {
		t.Errorf("uses %d", got)
	}
}

// uses reads how many people joined through l.
func (s *site) uses(t testing.TB, l *invited.JoinLink) int {
	t.Helper()
	got, err := s.db.FindJoinLinkByID(s.admin, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got.Uses
}

// TestJoinWithoutRedirect: with nowhere to send the person, the page says
// they joined.
func TestJoinWithoutRedirect(t *testing.T) {
	s := newSite(t)
	_, token := s.joinLink(t, s.org(t, "Bare", invited.OrgSettingsPatch{}), invited.JoinLinkCreate{})
	s.post(t, "/j/confirm/"+s.requestJoin(t, token, "ada@example.com"), nil).expect(t, http.StatusOK,
		`<section id="joined"`, "You joined Bare")
}

// TestJoinApproval: through a link that requires approval, the confirmed
// person's join request is filed, the page says so, and nobody joins yet.
func TestJoinApproval(t *testing.T) {
	s := newSite(t)
	org := s.org(t, "Acme", acmeSettings)
	_, token := s.joinLink(t, org, invited.JoinLinkCreate{RequireApproval: true})
	s.get(t, "/j/"+token).expect(t, http.StatusOK, "an admin decides")
	secret := s.requestJoin(t, token, "ada@example.com")
	s.post(t, "/j/confirm/"+secret, nil).expect(t, http.StatusOK, `<section id="requested"`, `<strong id="requested-by">ada@example.com</strong>`)
	requests, _, err := s.db.FindJoinRequests(s.admin, invited.JoinRequestFilter{OrgID: org.ID, Status: invited.JoinRequestPending})
	if err != nil || len(requests) != 1 || requests[0].Requester.Email != "ada@example.com" || !requests[0].Requester.EmailVerified {
		t.Fatalf("requests %+v, %v; want ada's, verified", requests, err)
	}
	if members, _, err := s.db.FindMembers(s.admin, invited.MemberFilter{OrgID: org.ID}); err != nil || len(members) != 0 {
		t.Fatalf("members %+v, %v; want none before approval", members, err)
	}
}

// TestJoinDeadLinks opens links that cannot be used, and posts the form to
// them: each explains itself, in the organization's brand, and queues
// nothing.
func TestJoinDeadLinks(t *testing.T) {
	s := newSite(t)
	org := s.org(t, "Acme", acmeSettings)
	for _, tc := range []struct {
		name  string
		kill  func(t *testing.T, l *invited.JoinLink, token string)
		wants []string
	}{
		{"exhausted", func(t *testing.T, _ *invited.JoinLink, token string) {
			if _, err := s.db.AcceptJoinLink(s.admin, token, invited.Acceptor{}); err != nil {
				t.Fatal(err)
			}
		}, []string{`data-status="exhausted"`, "This join link has been used up", "Ask Grace &lt;b&gt;Hopper&lt;/b&gt; for a new one."}},
		{"expired", func(*testing.T, *invited.JoinLink, string) { s.clock.Advance(invited.DefaultInvitationTTL) },
			[]string{`data-status="expired"`, "This join link has expired", "stopped working on "}},
		{"revoked", func(t *testing.T, l *invited.JoinLink, _ string) {
			if _, err := s.db.RevokeJoinLink(s.admin, l.ID); err != nil {
				t.Fatal(err)
			}
		}, []string{`data-status="revoked"`, "This join link was withdrawn", "Acme &lt;Team&gt; withdrew this link"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, token := s.joinLink(t, org, invited.JoinLinkCreate{MaxUses: ptr(1)})
			tc.kill(t, l, token)
			wants := append(tc.wants, `<section id="status"`, "Questions? help@acme.test", `<span class="brand-name">Acme &lt;Team&gt;</span>`)
			s.get(t, "/j/"+token).expect(t, http.StatusGone, wants...)
			a := s.post(t, "/j/"+token, url.Values{"email": {"ada@example.com"}, "name": {"Ada"}})
			a.expect(t, http.StatusGone, wants...)
			a.lacks(t, "Check your inbox")
		})
	}
	if msgs, err := s.db.ClaimMessages(context.Background(), 100, time.Minute); err != nil || len(msgs) != 0 {
		t.Errorf("claimed %d letters (%v) after posting to dead links", len(msgs), err)
	}
}

// TestJoinUnknownLink: whatever opens nothing says so, in the service's
// brand.
func TestJoinUnknownLink(t *testing.T) {
	s := newSite(t)
	unknown := invited.NewSecret("")
	for _, path := range []string{"/j/" + unknown, "/j/", "/j/" + strings.Repeat("a", maxTokenLength+1), "/j/" + unknown + "/more"} {
		a := s.get(t, path)
		a.expect(t, http.StatusNotFound, `data-status="unknown"`, "This join link does not work", "<span class=\"brand-name\">invited</span>")
		a.lacks(t, "Questions?")
	}
	s.post(t, "/j/"+unknown, url.Values{"email": {"ada@example.com"}, "name": {"Ada"}}).expect(t, http.StatusNotFound, `data-status="unknown"`)
	for _, method := range []string{"GET", "POST"} {
		s.send(t, method, "/j/confirm/"+unknown, url.Values{csrfField: {s.csrf}}, nil).expect(t, http.StatusNotFound,
			`data-status="confirmation-unknown"`, "This confirmation link does not work")
	}
}

// TestJoinDomainNotAllowed refuses an address outside the admitted
// domains at once, and says which are.
func TestJoinDomainNotAllowed(t *testing.T) {
	s := newSite(t)
	_, token := s.joinLink(t, s.org(t, "Acme", acmeSettings), invited.JoinLinkCreate{AllowedEmailDomains: []string{"acme.test"}})
	a := s.post(t, "/j/"+token, url.Values{"email": {"ada@example.com"}, "name": {"Ada"}})
	a.expect(t, http.StatusForbidden, `data-status="domain"`, "<title>Your address’s domain is not allowed · Acme &lt;Team&gt;</title>",
		"Only people with an address at acme.test may join Acme &lt;Team&gt; through this link.")
	if msgs, err := s.db.ClaimMessages(context.Background(), 100, time.Minute); err != nil || len(msgs) != 0 {
		t.Errorf("claimed %d letters (%v) for a refused address", len(msgs), err)
	}
}

func TestJoinFormErrors(t *testing.T) {
	s := newSite(t)
	_, token := s.joinLink(t, s.org(t, "Acme", acmeSettings), invited.JoinLinkCreate{})
	for _, tc := range []struct {
		name, email, person string
		wants               []string
	}{
		{"bad address", `"><script>x</script>`, "Ada", []string{`value="&#34;&gt;&lt;script&gt;x&lt;/script&gt;"`,
			`aria-describedby="email-hint email-error" aria-invalid="true"`, `<p id="email-error" class="field-error"><strong>Error:</strong> `}},
		{"no name", "ada@example.com", "  ", []string{`value="ada@example.com"`,
			`aria-describedby="name-hint name-error" aria-invalid="true"`, `<p id="name-error" class="field-error"><strong>Error:</strong> `}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := s.post(t, "/j/"+token, url.Values{"email": {tc.email}, "name": {tc.person}})
			a.expect(t, http.StatusBadRequest, append(tc.wants, "<title>Error: Join Acme &lt;Team&gt;", `<form id="join"`)...)
			a.lacks(t, "<script>")
		})
	}
}

// TestJoinConfirmationDeadEnds follows confirmation links that can no
// longer be confirmed.
func TestJoinConfirmationDeadEnds(t *testing.T) {
	s := newSite(t)
	org := s.org(t, "Acme", acmeSettings)
	t.Run("expired", func(t *testing.T) {
		_, token := s.joinLink(t, org, invited.JoinLinkCreate{})
		secret := s.requestJoin(t, token, "late@example.com")
		s.clock.Advance(invited.JoinConfirmationTTL)
		for _, method := range []string{"GET", "POST"} {
			s.send(t, method, "/j/confirm/"+secret, url.Values{csrfField: {s.csrf}}, nil).expect(t, http.StatusGone,
				`data-status="confirmation-expired"`, "This confirmation link has expired", "Questions? help@acme.test")
		}
	})
	t.Run("link used up meanwhile", func(t *testing.T) {
		l, token := s.joinLink(t, org, invited.JoinLinkCreate{MaxUses: ptr(1)})
		first, second := s.requestJoin(t, token, "first@example.com"), s.requestJoin(t, token, "second@example.com")
		s.post(t, "/j/confirm/"+first, nil).expect(t, http.StatusSeeOther)
		for _, method := range []string{"GET", "POST"} {
			s.send(t, method, "/j/confirm/"+second, url.Values{csrfField: {s.csrf}}, nil).expect(t, http.StatusGone,
				`data-status="exhausted"`, "This join link has been used up")
		}
		if got := s.uses(t, l); got != 1 {
			t.Errorf("uses %d", got)
		}
	})
}

// TestJoinRateLimits: the form spends the client's allowance of public
// link requests and the link's of uses; the page its client's.
func TestJoinRateLimits(t *testing.T) {
	s := newSite(t, func(d *Deps) {
		d.PublicLimit = ratelimit.NewMemory(ratelimit.Rate{N: 4, Per: time.Hour})
		d.JoinLimit = ratelimit.NewMemory(ratelimit.Rate{N: 1, Per: time.Hour})
	})
	_, token := s.joinLink(t, s.org(t, "Acme", acmeSettings), invited.JoinLinkCreate{})
	form := url.Values{"email": {"ada@example.com"}, "name": {"Ada"}}
	s.post(t, "/j/"+token, form).expect(t, http.StatusOK, "Check your inbox")
	s.post(t, "/j/"+token, form).expect(t, http.StatusTooManyRequests, "This join link is being used too often")
	s.get(t, "/j/").expect(t, http.StatusNotFound) // the catch-all spends too
	s.get(t, "/j/"+token).expect(t, http.StatusOK)
	a := s.get(t, "/j/"+token)
	a.expect(t, http.StatusTooManyRequests)
	if a.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
}

func TestJoinCSRF(t *testing.T) {
	s := newSite(t)
	_, token := s.joinLink(t, s.org(t, "Acme", acmeSettings), invited.JoinLinkCreate{})
	secret := s.requestJoin(t, token, "ada@example.com")
	for _, path := range []string{"/j/" + token, "/j/confirm/" + secret} {
		s.send(t, "POST", path, url.Values{"email": {"bob@example.com"}, "name": {"Bob"}}, nil).expect(t, http.StatusForbidden)
		s.send(t, "POST", path, url.Values{csrfField: {s.csrf}}, map[string]string{"Sec-Fetch-Site": "cross-site"}).expect(t, http.StatusForbidden)
	}
	s.get(t, "/j/confirm/"+secret).expect(t, http.StatusOK) // still unconfirmed
}
