package sqlstore

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/invitedhq/invited"
)

// ada is the person the erasure tests erase, by every value she is known by.
var ada = struct{ email, phone, first, last, external string }{
	"ada.erased@example.com", "+14155550177", "Adaline", "Zlovelace", "ada-external"}

// remains lists where the dump of every table still holds one of needles.
func (e *env) remains(needles ...string) []string {
	e.t.Helper()
	var found []string
	for where, values := range e.dump() {
		for _, v := range values {
			for _, n := range needles {
				if strings.Contains(strings.ToLower(v), strings.ToLower(n)) {
					found = append(found, where+" holds "+n)
				}
			}
		}
	}
	return found
}

// testEraseUser erases a user who was invited by email and accepted into
// two organizations, joined a third through a link, asked to join a
// fourth, is invited by phone to a fifth and confirmed an address on a
// link, and invited someone, with webhooks hearing of it all: afterwards no table holds her
// addresses, names, external id or user id, and the others' data is intact.
func testEraseUser(t *testing.T, e *env) {
	_, err := e.db.CreateWebhook(e.admin, invited.WebhookCreate{URL: "https://ops.test/hook"})
	must(t, err)
	acme, beta, gamma, delta, epsilon := e.org(nil), e.org(nil), e.org(nil), e.org(nil), e.org(nil)
	_, bob := e.member(acme.ID, invited.RoleMember)
	acceptor := invited.Acceptor{ExternalID: ada.external, Email: ada.email, Phone: ada.phone, Name: ada.first + " " + ada.last}
	var user *invited.User
	for _, org := range []*invited.Organization{acme, beta} {
		_, token := e.invite(e.admin, org.ID, invited.InvitationCreate{Email: ada.email, FirstName: ada.first,
			LastName: ada.last, Message: "Welcome " + ada.first, Metadata: json.RawMessage(`{"crm":"` + ada.email + `"}`),
			Roles: []string{"member"}})
		acc, err := e.db.AcceptInvitation(e.admin, token, acceptor)
		must(t, err)
		user = acc.User
	}
	// Beta's first member, she owns it and invites Grace, whose letter
	// names her.
	grace, _ := e.invite(e.userContext(user), beta.ID, invited.InvitationCreate{Email: "grace@example.com",
		Roles: []string{"member"}})
	e.invite(e.admin, gamma.ID, invited.InvitationCreate{Phone: ada.phone, Channel: invited.ChannelSMS, FirstName: ada.first,
		Roles: []string{"member"}})
	_, token := e.joinLink(e.admin, delta.ID, invited.JoinLinkCreate{})
	_, err = e.db.AcceptJoinLink(e.admin, token, acceptor)
	must(t, err)
	_, err = e.db.CreateJoinRequest(e.requester(ada.external, ada.email), epsilon.ID,
		invited.JoinRequestCreate{Message: "I am " + ada.first})
	must(t, err)
	_, token = e.joinLink(e.admin, epsilon.ID, invited.JoinLinkCreate{})
	_, err = e.db.RequestJoinConfirmation(visitor(), token, ada.email, ada.first+" "+ada.last)
	must(t, err)
	e.claim() // some letters and deliveries under way, the rest waiting
	if e.count(`SELECT COUNT(*) FROM messages WHERE recipient = 'grace@example.com' AND letter LIKE ?`, "%"+ada.last+"%") == 0 {
		t.Fatal("the letter to Grace does not name her inviter")
	}
	needles := []string{ada.email, ada.phone, ada.first, ada.last, ada.external, user.ID}
	for _, n := range needles {
		if len(e.remains(n)) == 0 {
			t.Fatalf("before the erasure no table holds %s: the check below would prove little", n)
		}
	}
	_, err = e.db.Erase(e.orgKey(acme.ID), user.ID, invited.EraseRequest{})
	wantCode(t, err, invited.EFORBIDDEN)
	events := e.count(`SELECT COUNT(*) FROM audit_events`)
	invitations := e.count(`SELECT COUNT(*) FROM invitations`)
	got, err := e.db.Erase(e.admin, user.ID, invited.EraseRequest{})
	must(t, err)
	if !strings.HasPrefix(got.Pseudonym, invited.PseudonymPrefix) || got.Users != 1 || got.Memberships != 3 ||
		got.Invitations != 3 || got.JoinRequests != 1 || got.JoinLinkUses != 1 || got.JoinConfirmations != 1 ||
		got.Messages == 0 || got.AuditEvents == 0 {
		t.Fatalf("erasure %+v", got)
	}
	for _, f := range e.remains(needles...) {
		t.Error(f)
	}
	if n := e.count(`SELECT COUNT(*) FROM audit_events`); n != events+1 {
		t.Errorf("%d audit events, want the %d there were and user.erased", n, events)
	}
	if n := e.count(`SELECT COUNT(*) FROM invitations`); n != invitations {
		t.Errorf("%d invitations, want the %d there were, blanked", n, invitations)
	}
	if n := e.count(`SELECT COUNT(*) FROM audit_events WHERE action = ? AND resource_id = ?`, invited.EventUserErased, got.Pseudonym); n != 1 {
		t.Errorf("%d user.erased events naming the pseudonym", n)
	}
	if found := e.remains(bob.Email); len(found) == 0 {
		t.Errorf("another member's address went too")
	}
	if _, err := e.db.FindMember(e.admin, acme.ID, bob.ID); err != nil {
		t.Errorf("another member: %v", err)
	}
	if inv, err := e.db.FindInvitationByID(e.admin, grace.ID); err != nil || inv.Email != "grace@example.com" ||
		inv.Inviter.Name != "" {
		t.Errorf("the invitation she sent: %+v, %v", inv, err)
	}
	if n := e.count(`SELECT COUNT(*) FROM messages WHERE recipient = 'grace@example.com'`); n == 0 {
		t.Errorf("the letter to the person she invited went")
	}
	_, err = e.db.Erase(e.admin, user.ID, invited.EraseRequest{})
	wantCode(t, err, invited.ENOTFOUND)
}

// testEraseInvitee erases by address someone who was only invited: her
// invitations stay, blanked, and nobody else's.
func testEraseInvitee(t *testing.T, e *env) {
	acme, beta := e.org(nil), e.org(nil)
	hers, _ := e.invite(e.admin, acme.ID, invited.InvitationCreate{Email: ada.email, FirstName: ada.first, LastName: ada.last,
		Roles: []string{"member"}})
	e.invite(e.admin, beta.ID, invited.InvitationCreate{Phone: ada.phone, Channel: invited.ChannelSMS, Roles: []string{"member"}})
	other, _ := e.invite(e.admin, acme.ID, invited.InvitationCreate{Email: "grace@example.com", Roles: []string{"member"}})
	e.claim()
	// The stored answers of idempotent creates quote the invitee.
	for key, invitee := range map[string]string{"ada": ada.email, "grace": "grace@example.com"} {
		_, err := e.db.BeginIdempotent(e.admin, "test", key, "hash")
		must(t, err)
		must(t, e.db.FinishIdempotent(e.admin, "test", key, invited.IdempotentResponse{Status: 201,
			Body: []byte(`{"invitation":{"email":"` + invitee + `"}}`)}))
	}

	for name, r := range map[string]invited.EraseRequest{"none": {}, "blank": {Email: " "}} {
		t.Run(name, func(t *testing.T) {
			_, err := e.db.Erase(e.admin, "", r)
			wantCode(t, err, invited.EINVALID)
		})
	}
	got, err := e.db.Erase(e.admin, "", invited.EraseRequest{Email: " " + strings.ToUpper(ada.email), Phone: ada.phone})
	must(t, err)
	if got.Users != 0 || got.Invitations != 2 || got.Messages < 2 || got.Other != 1 || got.AuditEvents != 0 {
		t.Fatalf("erasure %+v", got)
	}
	for _, f := range e.remains(ada.email, ada.phone, ada.first, ada.last) {
		t.Error(f)
	}
	if inv, err := e.db.FindInvitationByID(e.admin, other.ID); err != nil || inv.Email != "grace@example.com" {
		t.Errorf("another invitation: %+v, %v", inv, err)
	}
	if inv, err := e.db.FindInvitationByID(e.admin, hers.ID); err != nil || inv.Email != "" || inv.FirstName != "" ||
		inv.Status != invited.StatusRevoked {
		t.Errorf("her invitation: %+v, %v; want it kept, blanked and revoked", inv, err)
	}
	e.clock.Advance(48 * time.Hour)
	_, _, err = e.db.ResendInvitation(e.admin, hers.ID)
	wantCode(t, err, invited.EINVALIDSTATE)
	if n := e.count(`SELECT COUNT(*) FROM idempotency_keys`); n != 1 {
		t.Errorf("%d stored answers, want the one quoting someone else", n)
	}
}
