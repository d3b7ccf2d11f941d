package sqlstore

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/invitedhq/invited"
)

// The join confirmation cases of the contract suite (contract_test.go):
// joining through a link on the hosted page with an address the letter
// proves.

// requestJoin asks, as a visitor, to join through token as email and
// returns the secret the letter carries once claimed.
func (e *env) requestJoin(token, email string) string {
	e.t.Helper()
	if _, err := e.db.RequestJoinConfirmation(visitor(), token, email, "Ada Lovelace"); err != nil {
		e.t.Fatalf("request join confirmation: %v", err)
	}
	return e.confirmationSecret(email)
}

// confirmationSecret claims the letters due and returns the secret of the
// confirmation letter to email among them.
func (e *env) confirmationSecret(email string) string {
	e.t.Helper()
	for _, m := range e.claim() {
		if m.Kind == invited.KindJoinConfirmation && m.To == email {
			return m.Token
		}
	}
	e.t.Fatalf("no confirmation letter to %s", email)
	return ""
}

// testJoinConfirm asks to join, confirms, and confirms again: the person
// joins once, as a verified user, with a ticket of the join link.
func testJoinConfirm(t *testing.T, e *env) {
	org, _ := e.orgWithOwner(hostedSettings())
	l, token := e.joinLink(e.admin, org.ID, invited.JoinLinkCreate{MaxUses: ptr(5), Audience: "web"})
	c, err := e.db.RequestJoinConfirmation(visitor(), token, " Ada@Example.com ", " Ada Lovelace ")
	must(t, err)
	if c.Email != "ada@example.com" || c.Name != "Ada Lovelace" || c.LinkID != l.ID ||
		!c.ExpiresAt.Equal(e.clock.Now().Add(invited.JoinConfirmationTTL)) {
		t.Fatalf("confirmation %+v", c)
	}
	// Until the letter is claimed there is no secret at all.
	if n := e.count(`SELECT COUNT(*) FROM join_confirmations WHERE secret_hash IS NULL`); n != 1 {
		t.Fatalf("%d confirmations without a secret, want 1", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM users WHERE email = 'ada@example.com'`); n != 0 {
		t.Fatalf("%d users before the confirmation", n)
	}
	secret := e.confirmationSecret("ada@example.com")
	var stored []byte
	must(t, e.db.read.QueryRow(e.db.dialect.rebind(`SELECT secret_hash FROM join_confirmations WHERE id = ?`), c.ID).Scan(&stored))
	if !bytes.Equal(stored, invited.HashSecret(secret)) {
		t.Fatalf("stored %x, want the secret's hash", stored)
	}
	if n := e.count(`SELECT COUNT(*) FROM messages WHERE letter LIKE ?`, "%"+secret+"%"); n != 0 {
		t.Fatalf("%d letters hold the secret", n)
	}

	opened, openedLink, openedOrg, err := e.db.OpenJoinConfirmation(context.Background(), secret)
	must(t, err)
	if opened.ID != c.ID || openedLink.ID != l.ID || openedOrg.ID != org.ID || opened.StatusAt(e.clock.Now()) != invited.JoinConfirmationPending {
		t.Fatalf("opened %+v of %s in %s", opened, openedLink.ID, openedOrg.ID)
	}
	done, err := e.db.ConfirmJoin(visitor(), secret)
	must(t, err)
	u := done.User
	if !done.Joined || u.Email != "ada@example.com" || !u.EmailVerified || u.Name != "Ada Lovelace" ||
		done.JoinLink.Uses != 1 || done.Organization.ID != org.ID || done.RedirectURL != "https://app.example.com/welcome" {
		t.Fatalf("confirmed %+v, user %+v", done.JoinLinkAcceptance, u)
	}
	tk := done.Ticket
	if tk.JoinLinkID != l.ID || tk.InvitationID != "" || tk.UserID != u.ID || tk.OrgID != org.ID || tk.Audience != "web" ||
		tk.Email != u.Email || strings.Join(tk.Roles, ",") != "member" {
		t.Fatalf("ticket %+v", tk)
	}
	redeemed, err := e.db.RedeemAcceptanceTicket(e.admin, tk.ID)
	must(t, err)
	if redeemed.JoinLinkID != l.ID || redeemed.InvitationID != "" {
		t.Fatalf("redeemed %+v", redeemed)
	}
	// The audit log names where the join came from, and no actor.
	if n := e.count(`SELECT COUNT(*) FROM audit_events WHERE action = 'join_link.used' AND resource_id = ? AND remote_addr = ?
AND actor_user_id IS NULL AND actor_api_key_id IS NULL`, l.ID, visitorAddr); n != 1 {
		t.Fatalf("%d join_link.used events from the visitor", n)
	}

	_, err = e.db.ConfirmJoin(visitor(), secret)
	wantCode(t, err, invited.EJOINCONFIRMED)
	if got, _, _, err := e.db.OpenJoinConfirmation(context.Background(), secret); err != nil ||
		got.StatusAt(e.clock.Now()) != invited.JoinConfirmationConfirmed {
		t.Fatalf("opened after use: %+v, %v", got, err)
	}
	if got := e.joinLinkUses(l.ID); got != 1 {
		t.Fatalf("uses %d after a second confirm", got)
	}
	for _, bad := range []string{"", "not-a-secret", newToken()} {
		_, err := e.db.ConfirmJoin(visitor(), bad)
		wantCode(t, err, invited.ENOTFOUND)
	}
}

// orgDomains sets the email domains organization id admits.
func (e *env) orgDomains(t *testing.T, id string, domains ...string) {
	t.Helper()
	must(t, second(e.db.UpdateOrganization(e.admin, id, invited.OrganizationUpdate{Settings: &invited.OrgSettingsPatch{
		AllowedEmailDomains: &domains}})))
}

// joinLinkUses reads how many people used link id.
func (e *env) joinLinkUses(id string) int {
	e.t.Helper()
	return e.count(`SELECT uses FROM join_links WHERE id = ?`, id)
}

// testJoinConfirmExpiry lets a confirmation's hour pass: its link no
// longer works, and a letter not yet sent by then is cancelled.
func testJoinConfirmExpiry(t *testing.T, e *env) {
	org := e.org(nil)
	l, token := e.joinLink(e.admin, org.ID, invited.JoinLinkCreate{})
	secret := e.requestJoin(token, "ada@example.com")
	_, err := e.db.RequestJoinConfirmation(visitor(), token, "bob@example.com", "Bob")
	must(t, err)
	e.clock.Advance(invited.JoinConfirmationTTL)
	_, err = e.db.ConfirmJoin(visitor(), secret)
	wantCode(t, err, invited.EJOINCONFIRMATIONEXPIRED)
	if msgs := e.claim(); len(msgs) != 0 {
		t.Fatalf("claimed %+v after the confirmation expired", msgs)
	}
	if n := e.count(`SELECT COUNT(*) FROM messages WHERE recipient = 'bob@example.com' AND status = 'cancelled'`); n != 1 {
		t.Fatalf("%d cancelled letters to bob", n)
	}
	if got := e.joinLinkUses(l.ID); got != 0 || e.count(`SELECT COUNT(*) FROM users`) != 0 {
		t.Fatalf("uses %d after expired confirmations", got)
	}
}

// testJoinConfirmRefusals covers what refuses a request at once, and what
// refuses a confirmation that was asked for in time: each leaves the link
// and the confirmation as they were.
func testJoinConfirmRefusals(t *testing.T, e *env) {
	org := e.org(&invited.OrgSettingsPatch{AllowedEmailDomains: &[]string{"acme.example", "corp.example"}})
	_, token := e.joinLink(e.admin, org.ID, invited.JoinLinkCreate{AllowedEmailDomains: []string{"acme.example"}})
	revoked, revokedToken := e.joinLink(e.admin, org.ID, invited.JoinLinkCreate{})
	_, err := e.db.RevokeJoinLink(e.admin, revoked.ID)
	must(t, err)
	tests := []struct {
		name, token, email, person string
		code                       string
		fields                     []string
	}{
		{"the link's domains", token, "ada@corp.example", "Ada", invited.EDOMAINNOTALLOWED, nil},
		{"the organization's domains", token, "ada@example.com", "Ada", invited.EDOMAINNOTALLOWED, nil},
		{"not an address", token, "Ada <ada@acme.example>", "", invited.EINVALID, []string{"email", "name"}},
		{"a long name", token, "ada@acme.example", strings.Repeat("a", invited.MaxNameRunes+1), invited.EINVALID, []string{"name"}},
		{"a revoked link", revokedToken, "ada@acme.example", "Ada", invited.EREVOKED, nil},
		{"an unknown link", newToken(), "ada@acme.example", "Ada", invited.ENOTFOUND, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.db.RequestJoinConfirmation(visitor(), tc.token, tc.email, tc.person)
			got := wantCode(t, err, tc.code)
			for _, f := range tc.fields {
				if got.Fields[f] == "" {
					t.Errorf("no problem with %s: %v", f, got.Fields)
				}
			}
		})
	}
	if n := e.count(`SELECT COUNT(*) FROM join_confirmations`) + e.count(`SELECT COUNT(*) FROM messages`); n != 0 {
		t.Fatalf("%d confirmations and letters after refused requests", n)
	}

	// Confirmed after the link was used up, revoked or rotated, or the
	// organization narrowed its domains: refused, and the confirmation
	// stays unused.
	kills := []struct {
		name string
		kill func(t *testing.T, l *invited.JoinLink, token string)
		code string
	}{
		{"exhausted", func(t *testing.T, _ *invited.JoinLink, token string) {
			must(t, second(e.db.ConfirmJoin(visitor(), e.requestJoin(token, "first@acme.example"))))
		}, invited.EJOINLINKEXHAUSTED},
		{"revoked", func(t *testing.T, l *invited.JoinLink, _ string) {
			must(t, second(e.db.RevokeJoinLink(e.admin, l.ID)))
		}, invited.EREVOKED},
		{"rotated", func(t *testing.T, l *invited.JoinLink, _ string) {
			must(t, third(e.db.RotateJoinLink(e.admin, l.ID)))
		}, invited.ENOTFOUND},
		{"domains narrowed", func(t *testing.T, _ *invited.JoinLink, _ string) { e.orgDomains(t, org.ID, "corp.example") }, invited.EDOMAINNOTALLOWED},
	}
	for _, k := range kills {
		t.Run(k.name, func(t *testing.T) {
			e.orgDomains(t, org.ID, "acme.example")
			l, token := e.joinLink(e.admin, org.ID, invited.JoinLinkCreate{MaxUses: ptr(1)})
			email := strings.ReplaceAll(k.name, " ", "-") + "@acme.example"
			secret := e.requestJoin(token, email)
			k.kill(t, l, token)
			_, err := e.db.ConfirmJoin(visitor(), secret)
			wantCode(t, err, k.code)
			if n := e.count(`SELECT COUNT(*) FROM join_confirmations WHERE email = ? AND confirmed_at IS NULL`, email); n != 1 {
				t.Errorf("%d unused confirmations of %s", n, email)
			}
			if n := e.count(`SELECT COUNT(*) FROM users WHERE email = ?`, email); n != 0 {
				t.Errorf("%s became a user", email)
			}
		})
	}
}

// testJoinConfirmLimit sends an address at most MaxJoinConfirmationsPerHour
// letters an hour, whatever the link.
func testJoinConfirmLimit(t *testing.T, e *env) {
	org := e.org(nil)
	_, first := e.joinLink(e.admin, org.ID, invited.JoinLinkCreate{})
	_, other := e.joinLink(e.admin, org.ID, invited.JoinLinkCreate{})
	for i := range invited.MaxJoinConfirmationsPerHour {
		_, err := e.db.RequestJoinConfirmation(visitor(), []string{first, other}[i%2], "ada@example.com", "Ada")
		must(t, err)
		e.clock.Advance(time.Minute)
	}
	_, err := e.db.RequestJoinConfirmation(visitor(), other, "ada@example.com", "Ada")
	if got := wantCode(t, err, invited.ERATELIMITED); got.RetryAfterSeconds != int((invited.JoinConfirmationTTL - 3*time.Minute).Seconds()) {
		t.Errorf("retry after %ds", got.RetryAfterSeconds)
	}
	must(t, second(e.db.RequestJoinConfirmation(visitor(), other, "bob@example.com", "Bob")))
	e.clock.Advance(invited.JoinConfirmationTTL - 3*time.Minute + time.Millisecond)
	must(t, second(e.db.RequestJoinConfirmation(visitor(), other, "ada@example.com", "Ada")))

	// Asked all at once, as from several instances: the limit still
	// holds, since requests for one address take turns.
	var mu sync.Mutex
	outcomes := map[string]int{}
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() {
			_, err := e.db.RequestJoinConfirmation(visitor(), []string{first, other}[i%2], "eve@example.com", "Eve")
			code := "ok"
			if err != nil {
				code = invited.ErrorCode(err)
			}
			mu.Lock()
			outcomes[code]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if outcomes["ok"] != invited.MaxJoinConfirmationsPerHour || outcomes[invited.ERATELIMITED] != 12-invited.MaxJoinConfirmationsPerHour {
		t.Errorf("12 requests at once: %v; want %d letters, the rest rate_limited", outcomes, invited.MaxJoinConfirmationsPerHour)
	}
}
