package sqlstore

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/invitedhq/invited"
)

// TestStore runs the contract suite against every backend.
func TestStore(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { runContract(t, b.open) })
	}
}

// runContract gives each case a fresh database.
func runContract(t *testing.T, open func(testing.TB, Options) *DB) {
	for _, c := range contract {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, newEnv(t, open))
		})
	}
}

var contract = []struct {
	name string
	run  func(*testing.T, *env)
}{
	{"SendDraft", testSendDraft},
	{"ResendKillsOldToken", testResend},
	{"RenewKeepsToken", testRenew},
	{"RevokeDeclineArchive", testRevokeDeclineArchive},
	{"ReadTimeExpiry", testReadTimeExpiry},
	{"SweeperBatches", testSweeper},
	{"OneOpenInvitation", testOneOpenInvitation},
	{"AlreadyMember", testAlreadyMember},
	{"AcceptChecks", testAcceptChecks},
	{"AcceptorIdentity", testAcceptorIdentity},
	{"FirstMemberOwns", testFirstMemberOwns},
	{"AcceptMergesRoles", testAcceptMergesRoles},
	{"UsersOnlyOnAccept", testUsersOnlyOnAccept},
	{"Scoping", testScoping},
	{"Pagination", testPagination},
	{"Idempotency", testIdempotency},
	{"APIKeys", testAPIKeys},
	{"APIKeyEscalation", testAPIKeyEscalation},
	{"ConsoleSessions", testConsoleSessions},
	{"ConsoleSessionExpiry", testConsoleSessionExpiry},
	{"UserConsoleSessions", testUserConsoleSessions},
	{"RoundTrips", testRoundTrips},
	{"HeldWrites", testHeldWrites},
	{"RoleEscalation", testRoleEscalation},
	{"RoleCreateEscalation", testRoleCreateEscalation},
	{"Bootstrap", testBootstrap},
	{"ActAsUser", testActAsUser},
	{"Batch", testBatch},
	{"FullBatch", testFullBatch},
	{"AcceptorRace", testAcceptorRace},
	{"Members", testMembers},
	{"OrganizationsAndRoles", testOrganizationsAndRoles},
	{"DefaultRoles", testDefaultRoles},
	{"GuestRole", testGuestRole},
	{"ConcurrentAccept", testConcurrentAccept},
	{"ConcurrentFirstMembers", testConcurrentFirstMembers},
	{"ConcurrentNewUser", testConcurrentNewUser},
	{"ConcurrentSweepers", testConcurrentSweepers},
	{"ConcurrentIdempotencyKey", testConcurrentIdempotencyKey},
	{"Migrate", testMigrate},
	{"AuditTrail", testAuditTrail},
	{"EventOrder", testEventOrder},
	{"EventOrderRace", testEventOrderRace},
	{"AuditScoping", testAuditScoping},
	{"AuditPagination", testAuditPagination},
	{"OutboxDelivery", testOutboxDelivery},
	{"OutboxStaleLinks", testOutboxStaleLinks},
	{"ReminderReschedule", testReminderReschedule},
	{"ResendDailyLimit", testResendDailyLimit},
	{"WebhookFanOut", testWebhookFanOut},
	{"MessageReplay", testMessageReplay},
	{"ConcurrentClaims", testConcurrentClaims},
	{"ClaimRace", testClaimRace},
	{"LinkOpen", testLinkOpen},
	{"LinkAccept", testLinkAccept},
	{"LinkAcceptKnownUser", testLinkAcceptKnownUser},
	{"LinkAcceptMember", testLinkAcceptMember},
	{"LinkAcceptRefusals", testLinkAcceptRefusals},
	{"ConcurrentLinkAccept", testConcurrentLinkAccept},
	{"RedeemTicket", testRedeemTicket},
	{"ConcurrentRedeem", testConcurrentRedeem},
	{"SigningKeys", testSigningKeys},
	{"ConcurrentSigningKeys", testConcurrentSigningKeys},
	{"HostedPageSettings", testHostedPageSettings},
	{"AppCreate", testAppCreate},
	{"AppVisibility", testAppVisibility},
	{"AppInviteCreate", testAppInviteCreate},
	{"AppInvitePreview", testAppInvitePreview},
	{"AppInviteLifecycle", testAppInviteLifecycle},
	{"AppInviteListing", testAppInviteListing},
	{"AppInviteSweep", testAppInviteSweep},
	{"ConnectionFlow", testConnectionFlow},
	{"AuthorizationRefusals", testAuthorizationRefusals},
	{"ConcurrentActivation", testConcurrentActivation},
	{"ConnectionsWithoutKeys", testConnectionsWithoutKeys},
	{"ProfileArchive", testProfileArchive},
	{"ProfileTokens", testProfileTokens},
	{"ProfileAccess", testProfileAccess},
	{"ProfileListing", testProfileListing},
	{"Reseal", testReseal},
	{"EraseUser", testEraseUser},
	{"EraseInvitee", testEraseInvitee},
	{"RetentionMessages", testRetentionMessages},
	{"RetentionAudit", testRetentionAudit},
	{"RetentionEnded", testRetentionEnded},
	{"RetentionOverride", testRetentionOverride},
	{"RetentionBatches", testRetentionBatches},
	{"JoinLinkCreate", testJoinLinkCreate},
	{"JoinLinkUse", testJoinLinkUse},
	{"JoinLinkDomains", testJoinLinkDomains},
	{"JoinLinkLifecycle", testJoinLinkLifecycle},
	{"ConcurrentJoinLink", testConcurrentJoinLink},
	{"JoinRequests", testJoinRequests},
	{"JoinRequestExpiry", testJoinRequestExpiry},
	{"JoinLinkApproval", testJoinLinkApproval},
	{"JoinConfirm", testJoinConfirm},
	{"JoinConfirmExpiry", testJoinConfirmExpiry},
	{"JoinConfirmRefusals", testJoinConfirmRefusals},
	{"JoinConfirmLimit", testJoinConfirmLimit},
	{"DomainCreate", testDomainCreate},
	{"DomainVerify", testDomainVerify},
	{"DomainJoin", testDomainJoin},
	{"DomainJoinableOrgs", testJoinableOrgs},
	{"DomainIsolation", testDomainIsolation},
	{"Locales", testLocales},
	{"RateLimits", testRateLimits},
}

func testSendDraft(t *testing.T, e *env) {
	org := e.org(nil)
	draft, token := e.invite(e.admin, org.ID, invited.InvitationCreate{Email: "ann@example.com", Roles: []string{"member"},
		ExpiresIn: dur(time.Hour), Send: ptr(false)})
	if token != "" || draft.Status != invited.StatusDraft || draft.SentAt != nil {
		t.Fatalf("draft: %q %+v", token, draft)
	}
	if l := e.letters(); len(l) != 0 {
		t.Fatalf("a draft was delivered: %+v", l)
	}
	// The stored invitation reads back exactly as returned.
	got, err := e.db.FindInvitationByID(e.admin, draft.ID)
	must(t, err)
	if !reflect.DeepEqual(got, draft) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, draft)
	}

	// A draft sent later gets its full lifetime from the moment it is sent.
	e.clock.Advance(3 * time.Hour)
	inv, token, err := e.db.SendInvitation(e.admin, draft.ID)
	must(t, err)
	if token == "" || inv.Status != invited.StatusPending || !inv.ExpiresAt.Equal(e.clock.Now().Add(time.Hour)) {
		t.Fatalf("sent: %q %+v", token, inv)
	}
	p, err := e.db.PreviewInvitation(context.Background(), token)
	must(t, err)
	if p.Status != invited.StatusPending || p.Organization.ID != org.ID {
		t.Fatalf("preview: %+v", p)
	}
	if l := e.lettersOf(invited.KindInvitation); len(l) != 1 || l[0].to != "ann@example.com" {
		t.Fatalf("letters: %+v", e.letters())
	}
	_, _, err = e.db.SendInvitation(e.admin, draft.ID)
	wantCode(t, err, invited.EINVALIDSTATE)
}

func testResend(t *testing.T, e *env) {
	org := e.org(nil)
	inv, old := e.invite(e.admin, org.ID, invited.InvitationCreate{Email: "ann@example.com", Roles: []string{"member"}})
	// The first letter's link, minted when it is claimed, opens it too.
	first := e.claim()
	if len(first) != 1 || first[0].Token == "" || first[0].Token == old {
		t.Fatalf("claimed %v", kinds(first))
	}
	emailed := first[0].Token
	must(t, e.record(first[0].ID, invited.Attempt{At: e.clock.Now()}, time.Time{}))
	if _, err := e.db.PreviewInvitation(context.Background(), emailed); err != nil {
		t.Fatal(err)
	}
	_, _, err := e.db.ResendInvitation(e.admin, inv.ID)
	if e := wantCode(t, err, invited.ERATELIMITED); e.RetryAfterSeconds != 60 {
		t.Fatalf("retry after %d", e.RetryAfterSeconds)
	}
	e.clock.Advance(invited.ResendInterval)
	got, fresh, err := e.db.ResendInvitation(e.admin, inv.ID)
	must(t, err)
	if fresh == "" || fresh == old || !got.SentAt.Equal(e.clock.Now()) {
		t.Fatalf("resend: %q %+v", fresh, got)
	}
	// Every older link stops working: the answer's and the letter's.
	for _, token := range []string{old, emailed} {
		_, err = e.db.PreviewInvitation(context.Background(), token)
		wantCode(t, err, invited.ENOTFOUND)
	}
	if _, err := e.db.PreviewInvitation(context.Background(), fresh); err != nil {
		t.Fatal(err)
	}
	// The reminder of the first link is cancelled; the resend's letter
	// gets a link of its own, which works.
	if l := e.lettersOf(invited.KindReminder); len(l) != 2 || l[0].status != invited.MessageCancelled || l[1].status != invited.MessagePending {
		t.Fatalf("reminders: %+v", e.letters())
	}
	resent := e.claim()
	if len(resent) != 1 || resent[0].Kind != invited.KindResend || resent[0].Token == "" || resent[0].Token == fresh {
		t.Fatalf("claimed %v", kinds(resent))
	}
	if _, err := e.db.PreviewInvitation(context.Background(), resent[0].Token); err != nil {
		t.Fatal(err)
	}
}

func testRenew(t *testing.T, e *env) {
	org := e.org(nil)
	inv, token := e.invite(e.admin, org.ID, invited.InvitationCreate{Email: "ann@example.com", Roles: []string{"member"}, ExpiresIn: dur(time.Hour)})
	// Pending and not yet due: renew moves the expiry.
	got, err := e.db.RenewInvitation(e.admin, inv.ID, invited.Renewal{ExpiresIn: dur(2 * time.Hour)})
	must(t, err)
	if !got.ExpiresAt.Equal(e.clock.Now().Add(2 * time.Hour)) {
		t.Fatalf("expires %v", got.ExpiresAt)
	}
	// Expired, and persisted so by the sweeper: renew reopens it.
	e.clock.Advance(3 * time.Hour)
	_, err = e.db.ExpireInvitations(context.Background(), 10)
	must(t, err)
	if s := e.rawStatus(inv.ID); s != invited.StatusExpired {
		t.Fatalf("stored %s", s)
	}
	got, err = e.db.RenewInvitation(e.admin, inv.ID, invited.Renewal{})
	must(t, err)
	if got.Status != invited.StatusPending || !got.ExpiresAt.Equal(e.clock.Now().Add(org.Settings.TTL())) {
		t.Fatalf("renewed: %+v", got)
	}
	p, err := e.db.PreviewInvitation(context.Background(), token)
	must(t, err)
	if p.Status != invited.StatusPending {
		t.Fatalf("the old link: %s", p.Status)
	}
	_, err = e.db.RenewInvitation(e.admin, inv.ID, invited.Renewal{ExpiresIn: dur(time.Second)})
	wantCode(t, err, invited.EINVALID)

	// Renewing must not reopen an invitation over a newer open one.
	e.clock.Advance(2 * org.Settings.TTL())
	newer, _ := e.invite(e.admin, org.ID, invited.InvitationCreate{Email: "ann@example.com", Roles: []string{"member"}})
	_, err = e.db.RenewInvitation(e.admin, inv.ID, invited.Renewal{})
	if e := wantCode(t, err, invited.EINVITATIONEXISTS); e.ExistingID != newer.ID {
		t.Fatalf("existing %q, want %q", e.ExistingID, newer.ID)
	}
}

func testRevokeDeclineArchive(t *testing.T, e *env) {
	org := e.org(&invited.OrgSettingsPatch{RequireEmailMatch: ptr(false)})
	acceptor := invited.Acceptor{ExternalID: "x1", Email: "x1@example.com"}
	steps := []struct {
		name  string
		do    func(inv *invited.Invitation, token string) (*invited.Invitation, error)
		want  invited.Status
		again string // the code of doing it a second time
		stamp func(*invited.Invitation) *time.Time
	}{
		{"revoke", func(inv *invited.Invitation, _ string) (*invited.Invitation, error) {
			return e.db.RevokeInvitation(e.admin, inv.ID)
		}, invited.StatusRevoked, invited.EINVALIDSTATE, func(i *invited.Invitation) *time.Time { return i.RevokedAt }},
		{"decline", func(_ *invited.Invitation, token string) (*invited.Invitation, error) {
			return e.db.DeclineInvitation(context.Background(), token)
		}, invited.StatusDeclined, invited.EDECLINED, func(i *invited.Invitation) *time.Time { return i.DeclinedAt }},
		{"accept", func(_ *invited.Invitation, token string) (*invited.Invitation, error) {
			acc, err := e.db.AcceptInvitation(e.admin, token, acceptor)
			if err != nil {
				return nil, err
			}
			return acc.Invitation, nil
		}, invited.StatusAccepted, invited.EALREADYACCEPTED, func(i *invited.Invitation) *time.Time { return i.AcceptedAt }},
	}
	for _, s := range steps {
		inv, token := e.invite(e.admin, org.ID, invited.InvitationCreate{Email: s.name + "@example.com", Roles: []string{"member"}})
		got, err := s.do(inv, token)
		must(t, err)
		if got.Status != s.want || s.stamp(got) == nil || !s.stamp(got).Equal(e.clock.Now()) {
			t.Fatalf("%s: %+v", s.name, got)
		}
		_, err = s.do(inv, token)
		wantCode(t, err, s.again)
		// A link that is no longer pending says why.
		_, err = e.db.AcceptInvitation(e.admin, token, acceptor)
		wantCode(t, err, map[invited.Status]string{invited.StatusRevoked: invited.EREVOKED,
			invited.StatusDeclined: invited.EDECLINED, invited.StatusAccepted: invited.EALREADYACCEPTED}[s.want])
		if s.want == invited.StatusAccepted {
			archived, err := e.db.ArchiveInvitation(e.admin, inv.ID)
			must(t, err)
			if archived.Status != invited.StatusArchived {
				t.Fatalf("archive: %s", archived.Status)
			}
		} else {
			_, err := e.db.ArchiveInvitation(e.admin, inv.ID)
			wantCode(t, err, invited.EINVALIDSTATE)
		}
	}
	// Drafts can be revoked, and have no link to decline with.
	draft, _ := e.invite(e.admin, org.ID, invited.InvitationCreate{Email: "draft@example.com", Roles: []string{"member"}, Send: ptr(false)})
	if got, err := e.db.RevokeInvitation(e.admin, draft.ID); err != nil || got.Status != invited.StatusRevoked {
		t.Fatalf("revoke draft: %v %v", got, err)
	}
	_, err := e.db.DeclineInvitation(context.Background(), "not-a-token")
	wantCode(t, err, invited.ENOTFOUND)
	_, err = e.db.DeclineInvitation(context.Background(), invited.NewSecret(""))
	wantCode(t, err, invited.ENOTFOUND)
}

func testReadTimeExpiry(t *testing.T, e *env) {
	org := e.org(nil)
	inv, token := e.invite(e.admin, org.ID, invited.InvitationCreate{Email: "ann@example.com", Roles: []string{"member"}, ExpiresIn: dur(time.Hour)})
	listed := func(s invited.Status) bool {
		invs, _, err := e.db.FindInvitations(e.admin, invited.InvitationFilter{Status: s})
		must(t, err)
		return slices.ContainsFunc(invs, func(i *invited.Invitation) bool { return i.ID == inv.ID && i.Status == s })
	}
	if !listed(invited.StatusPending) || listed(invited.StatusExpired) {
		t.Fatal("a fresh invitation is not listed as pending")
	}
	e.clock.Advance(time.Hour) // exactly at expires_at: expired
	got, err := e.db.FindInvitationByID(e.admin, inv.ID)
	must(t, err)
	if got.Status != invited.StatusExpired || e.rawStatus(inv.ID) != invited.StatusPending {
		t.Fatalf("read %s, stored %s", got.Status, e.rawStatus(inv.ID))
	}
	if listed(invited.StatusPending) || !listed(invited.StatusExpired) {
		t.Fatal("an overdue invitation is not listed as expired")
	}
	p, err := e.db.PreviewInvitation(context.Background(), token)
	must(t, err)
	if p.Status != invited.StatusExpired {
		t.Fatalf("preview %s", p.Status)
	}
	_, err = e.db.AcceptInvitation(e.admin, token, invited.Acceptor{Email: "ann@example.com"})
	wantCode(t, err, invited.EEXPIRED)
	_, err = e.db.RevokeInvitation(e.admin, inv.ID)
	wantCode(t, err, invited.EINVALIDSTATE)
}

func testSweeper(t *testing.T, e *env) {
	org := e.org(nil)
	var due, later []string
	for i := range 30 {
		ttl := time.Hour
		if i%6 == 0 {
			ttl = 48 * time.Hour
		}
		inv, _ := e.invite(e.admin, org.ID, invited.InvitationCreate{Email: fmt.Sprintf("u%d@example.com", i), Roles: []string{"member"}, ExpiresIn: dur(ttl)})
		if ttl == time.Hour {
			due = append(due, inv.ID)
		} else {
			later = append(later, inv.ID)
		}
	}
	n, err := e.db.ExpireInvitations(context.Background(), 10)
	must(t, err)
	if n != 0 {
		t.Fatalf("expired %d before anything was due", n)
	}
	e.clock.Advance(2 * time.Hour)
	var got []int
	for {
		n, err := e.db.ExpireInvitations(context.Background(), 10)
		must(t, err)
		got = append(got, n)
		if n < 10 {
			break
		}
	}
	if !slices.Equal(got, []int{10, 10, 5}) {
		t.Fatalf("batches %v", got)
	}
	for _, id := range due {
		if s := e.rawStatus(id); s != invited.StatusExpired {
			t.Fatalf("%s stored %s", id, s)
		}
	}
	for _, id := range later {
		if s := e.rawStatus(id); s != invited.StatusPending {
			t.Fatalf("%s stored %s", id, s)
		}
	}
	if n := e.count(`SELECT COUNT(*) FROM invitations WHERE updated_at = ?`, ms(e.clock.Now())); n != len(due) {
		t.Fatalf("%d rows touched, want %d", n, len(due))
	}
	_, err = e.db.ExpireInvitations(context.Background(), 0)
	if err == nil {
		t.Fatal("limit 0 accepted")
	}
}

func testOneOpenInvitation(t *testing.T, e *env) {
	org := e.org(nil)
	c := invited.InvitationCreate{Email: "Ann@Example.com", Roles: []string{"member"}, ExpiresIn: dur(time.Hour)}
	first, _ := e.invite(e.admin, org.ID, c)
	_, _, err := e.db.CreateInvitation(e.admin, org.ID, c)
	if e := wantCode(t, err, invited.EINVITATIONEXISTS); e.ExistingID != first.ID {
		t.Fatalf("existing %q, want %q", e.ExistingID, first.ID)
	}
	// Another organization is another slot.
	e.invite(e.admin, e.org(nil).ID, c)

	// After a revoke, a new invitation is allowed; a draft blocks like a
	// pending one.
	_, err = e.db.RevokeInvitation(e.admin, first.ID)
	must(t, err)
	draft, _ := e.invite(e.admin, org.ID, invited.InvitationCreate{Email: c.Email, Roles: c.Roles, Send: ptr(false)})
	_, _, err = e.db.CreateInvitation(e.admin, org.ID, c)
	if e := wantCode(t, err, invited.EINVITATIONEXISTS); e.ExistingID != draft.ID {
		t.Fatalf("existing %q, want draft %q", e.ExistingID, draft.ID)
	}
	_, err = e.db.RevokeInvitation(e.admin, draft.ID)
	must(t, err)

	// An overdue pending invitation does not block, and is stored expired.
	overdue, _ := e.invite(e.admin, org.ID, c)
	e.clock.Advance(time.Hour)
	fresh, _ := e.invite(e.admin, org.ID, c)
	if s := e.rawStatus(overdue.ID); s != invited.StatusExpired || fresh.Status != invited.StatusPending {
		t.Fatalf("overdue stored %s, fresh %s", s, fresh.Status)
	}
}

func testAlreadyMember(t *testing.T, e *env) {
	org, _ := e.orgWithOwner(nil)
	_, u := e.member(org.ID, invited.RoleMember)
	tests := []struct {
		name string
		c    invited.InvitationCreate
		code string
	}{
		{"email", invited.InvitationCreate{Email: u.Email}, invited.EALREADYMEMBER},
		{"email in another case", invited.InvitationCreate{Email: "USER" + u.Email[4:]}, invited.EALREADYMEMBER},
		{"user id", invited.InvitationCreate{UserID: u.ID}, invited.EALREADYMEMBER},
		{"unknown user id", invited.InvitationCreate{UserID: "usr_unknown"}, invited.EINVALID},
	}
	for _, tt := range tests {
		tt.c.Roles = []string{"admin"}
		_, _, err := e.db.CreateInvitation(e.admin, org.ID, tt.c)
		if e := wantCode(t, err, tt.code); tt.code == invited.EINVALID && e.Fields["user_id"] == "" {
			t.Fatalf("%s: fields %v", tt.name, e.Fields)
		}
	}
	// A phone number of a member counts too.
	_, token := e.invite(e.admin, org.ID, invited.InvitationCreate{Phone: "+14155550100", Roles: []string{"member"}})
	_, err := e.db.AcceptInvitation(e.admin, token, invited.Acceptor{ExternalID: "phone-user", Phone: "+14155550100"})
	must(t, err)
	_, _, err = e.db.CreateInvitation(e.admin, org.ID, invited.InvitationCreate{Phone: "+14155550100", Roles: []string{"member"}})
	wantCode(t, err, invited.EALREADYMEMBER)
	// In another organization the user is a fine invitee.
	e.invite(e.admin, e.org(nil).ID, invited.InvitationCreate{UserID: u.ID, Roles: []string{"member"}})
}

func testAcceptChecks(t *testing.T, e *env) {
	strict := e.org(nil)
	lax := e.org(&invited.OrgSettingsPatch{RequireEmailMatch: ptr(false)})
	domains := e.org(&invited.OrgSettingsPatch{RequireEmailMatch: ptr(false), AllowedEmailDomains: &[]string{"example.com"}})
	tests := []struct {
		name     string
		org      *invited.Organization
		acceptor invited.Acceptor
		code     string
	}{
		{"mismatch", strict, invited.Acceptor{Email: "bob@example.com"}, invited.EEMAILMISMATCH},
		{"match", strict, invited.Acceptor{Email: "ANN@example.com"}, ""},
		{"match off", lax, invited.Acceptor{Email: "bob@example.com"}, ""},
		{"domain refused", domains, invited.Acceptor{Email: "bob@elsewhere.org"}, invited.EDOMAINNOTALLOWED},
		{"domain allowed", domains, invited.Acceptor{Email: "carl@example.com"}, ""},
		{"invalid acceptor", lax, invited.Acceptor{Email: "not an email"}, invited.EINVALID},
		{"unknown user id", lax, invited.Acceptor{ID: "usr_nobody"}, invited.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, token := e.invite(e.admin, tt.org.ID, invited.InvitationCreate{Email: "ann@example.com", Roles: []string{"member"}})
			users := e.count(`SELECT COUNT(*) FROM users`)
			acc, err := e.db.AcceptInvitation(e.admin, token, tt.acceptor)
			if tt.code != "" {
				wantCode(t, err, tt.code)
				if e.count(`SELECT COUNT(*) FROM users`) != users || e.rawStatus(inv.ID) != invited.StatusPending {
					t.Fatal("a refused accept left traces")
				}
			} else {
				must(t, err)
				if acc.Membership.OrgID != tt.org.ID || acc.Invitation.AcceptedUserID != acc.User.ID {
					t.Fatalf("acceptance: %+v", acc)
				}
			}
			_, err = e.db.RevokeInvitation(e.admin, inv.ID) // free the invitee for the next case
			if tt.code == "" {
				wantCode(t, err, invited.EINVALIDSTATE)
			}
		})
	}

	// An organization key reaches only its organization's invitations.
	other := e.org(nil)
	_, token := e.invite(e.admin, other.ID, invited.InvitationCreate{Email: "dan@example.com", Roles: []string{"member"}})
	_, secret, err := e.db.CreateAPIKey(e.admin, invited.APIKeyCreate{Name: "k", OrgID: lax.ID, Permissions: []invited.Permission{invited.PermInvitationsCreate}})
	must(t, err)
	_, err = e.db.AcceptInvitation(e.keyContext(secret), token, invited.Acceptor{Email: "dan@example.com"})
	wantCode(t, err, invited.ENOTFOUND)
	_, err = e.db.AcceptInvitation(context.Background(), token, invited.Acceptor{Email: "dan@example.com"})
	wantCode(t, err, invited.EUNAUTHENTICATED)

	// A user token accepts as that user; an unverified email proves nothing.
	_, token = e.invite(e.admin, other.ID, invited.InvitationCreate{Email: "eve@example.com", Roles: []string{"member"}})
	unverified, err := e.db.AuthenticateUser(context.Background(), invited.User{ExternalID: "eve", Email: "eve@example.com"})
	must(t, err)
	_, err = e.db.AcceptInvitation(invited.NewContextWithActor(context.Background(), unverified), token, invited.Acceptor{})
	wantCode(t, err, invited.EEMAILMISMATCH)
	verified, err := e.db.AuthenticateUser(context.Background(), invited.User{ExternalID: "eve", Email: "eve@example.com", EmailVerified: true, Name: "Eve"})
	must(t, err)
	acc, err := e.db.AcceptInvitation(invited.NewContextWithActor(context.Background(), verified), token, invited.Acceptor{})
	must(t, err)
	if acc.User.ID == "" || acc.User.ExternalID != "eve" || acc.User.Name != "Eve" || !acc.User.EmailVerified {
		t.Fatalf("user %+v", acc.User)
	}
	// The inviter was an API key, which has no mailbox to tell.
	if l := e.lettersOf(invited.KindAccepted); len(l) != 0 {
		t.Fatalf("acceptance letters to a key: %+v", l)
	}
}

// testAcceptorIdentity resolves acceptors to users: by id, external id or
// email, completing what a stored user lacks, never taking another's.
func testAcceptorIdentity(t *testing.T, e *env) {
	org := e.org(&invited.OrgSettingsPatch{RequireEmailMatch: ptr(false)})
	accept := func(a invited.Acceptor) (*invited.Acceptance, error) {
		_, token := e.invite(e.admin, org.ID, invited.InvitationCreate{Email: fmt.Sprintf("i%d@example.com", e.next()), Roles: []string{"member"}})
		return e.db.AcceptInvitation(e.admin, token, a)
	}
	first, err := accept(invited.Acceptor{ExternalID: "ann", Phone: "+14155550100"})
	must(t, err)
	if first.User.Email != "" || first.User.EmailVerified {
		t.Fatalf("user %+v", first.User)
	}
	bob, err := accept(invited.Acceptor{Email: "bob@example.com"})
	must(t, err)
	// Known by external id, the user gains the email the key vouches for.
	again, err := accept(invited.Acceptor{ExternalID: "ann", Email: "ann@example.com", Name: "Ann"})
	must(t, err)
	if again.User.ID != first.User.ID || again.User.Email != "ann@example.com" || !again.User.EmailVerified || again.User.Name != "Ann" {
		t.Fatalf("completed user %+v", again.User)
	}
	// By id; by email, which links the external id of a user without one.
	byID, err := accept(invited.Acceptor{ID: first.User.ID})
	must(t, err)
	byEmail, err := accept(invited.Acceptor{ExternalID: "bob", Email: "bob@example.com"})
	must(t, err)
	if byID.User.ID != first.User.ID || byEmail.User.ID != bob.User.ID || byEmail.User.ExternalID != "bob" {
		t.Fatalf("by id %+v, by email %+v", byID.User, byEmail.User)
	}
	// Another person's email is theirs.
	_, err = accept(invited.Acceptor{ExternalID: "mallory", Email: "bob@example.com"})
	wantCode(t, err, invited.ECONFLICT)
	_, err = accept(invited.Acceptor{ExternalID: "ann", Email: "x@example.com", Phone: "+14155550100"})
	must(t, err) // ann keeps her email: nothing is overwritten
	_, err = accept(invited.Acceptor{ExternalID: "carl"})
	must(t, err)
	_, err = accept(invited.Acceptor{ExternalID: "carl", Email: "bob@example.com"})
	wantCode(t, err, invited.ECONFLICT)
	if n := e.count(`SELECT COUNT(*) FROM users`); n != 3 {
		t.Fatalf("%d users, want ann, bob and carl", n)
	}
}

func testFirstMemberOwns(t *testing.T, e *env) {
	org := e.org(nil)
	_, first := e.member(org.ID, invited.RoleMember)
	_, second := e.member(org.ID, invited.RoleMember)
	members, _, err := e.db.FindMembers(e.admin, invited.MemberFilter{OrgID: org.ID})
	must(t, err)
	roles := map[string][]string{}
	for _, m := range members {
		roles[m.UserID] = m.Roles
	}
	if !slices.Equal(roles[first.ID], []string{"member", "owner"}) || !slices.Equal(roles[second.ID], []string{"member"}) {
		t.Fatalf("roles %v", roles)
	}
}

func testAcceptMergesRoles(t *testing.T, e *env) {
	org, _ := e.orgWithOwner(nil)
	// Two invitations to one person, by email and by phone, made before
	// they joined: accepting the second merges its roles in.
	_, byEmail := e.invite(e.admin, org.ID, invited.InvitationCreate{Email: "ann@example.com", Roles: []string{"member"}})
	_, byPhone := e.invite(e.admin, org.ID, invited.InvitationCreate{Phone: "+14155550123", Roles: []string{"admin", "member"}})
	ann := invited.Acceptor{ExternalID: "ann", Email: "ann@example.com", Phone: "+14155550123"}
	first, err := e.db.AcceptInvitation(e.admin, byEmail, ann)
	must(t, err)
	second, err := e.db.AcceptInvitation(e.admin, byPhone, ann)
	must(t, err)
	if second.User.ID != first.User.ID || !slices.Equal(second.Membership.Roles, []string{"member", "admin"}) ||
		!second.Membership.CreatedAt.Equal(first.Membership.CreatedAt) {
		t.Fatalf("merged membership %+v", second.Membership)
	}
	if n := e.count(`SELECT COUNT(*) FROM memberships WHERE org_id = ?`, org.ID); n != 2 {
		t.Fatalf("%d memberships", n)
	}
}

func testUsersOnlyOnAccept(t *testing.T, e *env) {
	org := e.org(nil)
	before := e.count(`SELECT COUNT(*) FROM users`)
	_, token := e.invite(e.admin, org.ID, invited.InvitationCreate{Email: "ann@example.com", Roles: []string{"member"}})
	_, err := e.db.CreateInvitations(e.admin, org.ID, []invited.InvitationCreate{
		{Email: "bob@example.com", Roles: []string{"member"}}, {Phone: "+14155550100", Roles: []string{"member"}},
	})
	must(t, err)
	if n := e.count(`SELECT COUNT(*) FROM users`); n != before {
		t.Fatalf("inviting created %d users", n-before)
	}
	_, err = e.db.AcceptInvitation(e.admin, token, invited.Acceptor{Email: "ann@example.com"})
	must(t, err)
	if n := e.count(`SELECT COUNT(*) FROM users`); n != before+1 {
		t.Fatalf("accepting created %d users", n-before)
	}
}

func testScoping(t *testing.T, e *env) {
	acme, acmeOwner := e.orgWithOwner(nil)
	globex, globexOwner := e.orgWithOwner(nil)
	for _, r := range []invited.RoleCreate{
		{Name: "reader", Permissions: []invited.Permission{invited.PermInvitationsRead}},
		{Name: "inviter", Permissions: []invited.Permission{invited.PermInvitationsCreate}},
	} {
		_, err := e.db.CreateRole(acmeOwner, acme.ID, r)
		must(t, err)
	}
	readerCtx, _ := e.member(acme.ID, "reader")
	inviterCtx, _ := e.member(acme.ID, "inviter")
	_, secret, err := e.db.CreateAPIKey(e.admin, invited.APIKeyCreate{Name: "globex", OrgID: globex.ID,
		Permissions: []invited.Permission{invited.PermInvitationsRead, invited.PermInvitationsCreate}})
	must(t, err)
	globexKey := e.keyContext(secret)

	own, _ := e.invite(inviterCtx, acme.ID, invited.InvitationCreate{Email: "own@example.com", Roles: []string{"member"}})
	if own.Inviter.UserID == "" || own.Inviter.APIKeyID != "" {
		t.Fatalf("inviter %+v", own.Inviter)
	}
	byOwner, _ := e.invite(acmeOwner, acme.ID, invited.InvitationCreate{Email: "other@example.com", Roles: []string{"member"}})
	atGlobex, _ := e.invite(globexKey, globex.ID, invited.InvitationCreate{Email: "g@example.com", Roles: []string{"member"}})

	ids := func(ctx context.Context, f invited.InvitationFilter) []string {
		invs, _, err := e.db.FindInvitations(ctx, f)
		must(t, err)
		var out []string
		for _, inv := range invs {
			out = append(out, inv.ID)
		}
		return out
	}
	tests := []struct {
		name string
		ctx  context.Context
		sees []string
	}{
		{"admin", e.admin, []string{own.ID, byOwner.ID, atGlobex.ID}},
		{"org key", globexKey, []string{atGlobex.ID}},
		{"reader", readerCtx, []string{own.ID, byOwner.ID}},
		{"create-only", inviterCtx, []string{own.ID}},
	}
	for _, tt := range tests {
		// Only the three invitations above count: setting up the members
		// made others.
		got := slices.DeleteFunc(ids(tt.ctx, invited.InvitationFilter{}), func(id string) bool {
			return !slices.Contains([]string{own.ID, byOwner.ID, atGlobex.ID}, id)
		})
		slices.Sort(got)
		slices.Sort(tt.sees)
		if !slices.Equal(got, tt.sees) {
			t.Errorf("%s sees %v, want %v", tt.name, got, tt.sees)
		}
	}

	// One invitation: outside the scope it is not_found.
	_, err = e.db.FindInvitationByID(inviterCtx, byOwner.ID)
	wantCode(t, err, invited.ENOTFOUND)
	_, err = e.db.FindInvitationByID(globexOwner, own.ID)
	wantCode(t, err, invited.ENOTFOUND)
	_, err = e.db.RevokeInvitation(globexOwner, own.ID)
	wantCode(t, err, invited.ENOTFOUND)
	_, err = e.db.FindOrganizationByID(globexOwner, acme.ID)
	wantCode(t, err, invited.ENOTFOUND)
	_, _, err = e.db.FindInvitations(globexOwner, invited.InvitationFilter{OrgID: acme.ID})
	wantCode(t, err, invited.ENOTFOUND)
	_, _, err = e.db.CreateInvitation(globexKey, acme.ID, invited.InvitationCreate{Email: "x@example.com", Roles: []string{"member"}})
	wantCode(t, err, invited.ENOTFOUND)

	// Inside the organization but without the permission: forbidden.
	_, err = e.db.RevokeInvitation(inviterCtx, own.ID)
	wantCode(t, err, invited.EFORBIDDEN)
	_, _, err = e.db.CreateInvitation(readerCtx, acme.ID, invited.InvitationCreate{Email: "x@example.com", Roles: []string{"member"}})
	wantCode(t, err, invited.EFORBIDDEN)
	// A create-only user may resend and renew their own invitations only.
	e.clock.Advance(invited.ResendInterval)
	_, _, err = e.db.ResendInvitation(inviterCtx, own.ID)
	must(t, err)
	_, _, err = e.db.ResendInvitation(inviterCtx, byOwner.ID)
	wantCode(t, err, invited.ENOTFOUND)
	// The org filter narrows the scope; a create-only user still sees only
	// their own.
	if got := ids(inviterCtx, invited.InvitationFilter{OrgID: acme.ID}); !slices.Equal(got, []string{own.ID}) {
		t.Errorf("create-only with org filter sees %v", got)
	}
	memberCtx, _ := e.member(acme.ID, invited.RoleMember)
	_, _, err = e.db.FindInvitations(memberCtx, invited.InvitationFilter{OrgID: acme.ID})
	wantCode(t, err, invited.EFORBIDDEN)
	if got := ids(memberCtx, invited.InvitationFilter{}); len(got) != 0 {
		t.Errorf("a plain member sees %v", got)
	}

	// Organizations: admin sees all, a member their own.
	orgs, _, err := e.db.FindOrganizations(globexOwner, invited.OrganizationFilter{})
	must(t, err)
	if len(orgs) != 1 || orgs[0].ID != globex.ID {
		t.Errorf("globex owner sees %v", orgs)
	}
	if orgs, _, err := e.db.FindOrganizations(e.admin, invited.OrganizationFilter{}); err != nil || len(orgs) != 2 {
		t.Errorf("admin sees %d organizations, %v", len(orgs), err)
	}
	if _, err := e.db.FindOrganizationByID(e.admin, "org_missing"); invited.ErrorCode(err) != invited.ENOTFOUND {
		t.Errorf("missing org: %v", err)
	}
}

func testPagination(t *testing.T, e *env) {
	org := e.org(nil)
	other := e.org(nil)
	var cs []invited.InvitationCreate
	for i := range 250 {
		cs = append(cs, invited.InvitationCreate{Email: fmt.Sprintf("p%03d@example.com", i), Roles: []string{"member"}})
	}
	results, err := e.db.CreateInvitations(e.admin, org.ID, cs)
	must(t, err)
	e.invite(e.admin, other.ID, invited.InvitationCreate{Email: "p000@example.com", Roles: []string{"member"}})
	revoked := map[string]bool{}
	for i, r := range results {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		if i%5 == 0 {
			_, err := e.db.RevokeInvitation(e.admin, r.Invitation.ID)
			must(t, err)
			revoked[r.Invitation.ID] = true
		}
	}
	walk := func(f invited.InvitationFilter) []*invited.Invitation {
		var all []*invited.Invitation
		seen := map[string]bool{}
		f.PageSize = 7
		for pages := 0; ; pages++ {
			invs, next, err := e.db.FindInvitations(e.admin, f)
			must(t, err)
			if len(invs) > 7 || (next != "" && len(invs) != 7) || pages > 100 {
				t.Fatalf("page of %d, next %q", len(invs), next)
			}
			for _, inv := range invs {
				if seen[inv.ID] {
					t.Fatalf("%s twice", inv.ID)
				}
				seen[inv.ID] = true
				if len(all) > 0 && all[len(all)-1].ID < inv.ID {
					t.Fatal("not newest first")
				}
				all = append(all, inv)
			}
			if next == "" {
				return all
			}
			f.PageToken = next
		}
	}
	tests := []struct {
		name string
		f    invited.InvitationFilter
		want int
		ok   func(*invited.Invitation) bool
	}{
		{"org", invited.InvitationFilter{OrgID: org.ID}, 250, func(i *invited.Invitation) bool { return i.OrgID == org.ID }},
		{"all", invited.InvitationFilter{}, 251, func(*invited.Invitation) bool { return true }},
		{"revoked", invited.InvitationFilter{OrgID: org.ID, Status: invited.StatusRevoked}, 50,
			func(i *invited.Invitation) bool { return revoked[i.ID] && i.Status == invited.StatusRevoked }},
		{"pending", invited.InvitationFilter{Status: invited.StatusPending}, 201,
			func(i *invited.Invitation) bool { return i.Status == invited.StatusPending }},
		{"email", invited.InvitationFilter{Email: " P000@Example.com"}, 2,
			func(i *invited.Invitation) bool { return i.Email == "p000@example.com" }},
	}
	for _, tt := range tests {
		got := walk(tt.f)
		if len(got) != tt.want {
			t.Errorf("%s: %d invitations, want %d", tt.name, len(got), tt.want)
		}
		for _, inv := range got {
			if !tt.ok(inv) {
				t.Errorf("%s: %s does not belong", tt.name, inv.ID)
			}
		}
	}

	// Other lists page the same way.
	for range 5 {
		e.member(org.ID, invited.RoleMember)
	}
	var n int
	for token := "start"; token != ""; {
		if token == "start" {
			token = ""
		}
		members, next, err := e.db.FindMembers(e.admin, invited.MemberFilter{OrgID: org.ID, Page: invited.Page{PageSize: 2, PageToken: token}})
		must(t, err)
		n, token = n+len(members), next
	}
	if n != 5 {
		t.Errorf("%d members", n)
	}

	_, invToken, err := e.db.FindInvitations(e.admin, invited.InvitationFilter{Page: invited.Page{PageSize: 1}})
	must(t, err)
	for _, bad := range []string{"garbage!", "AAAA", pageToken(invited.NewID(invited.PrefixUser, time.Now())), invToken[:len(invToken)-2]} {
		_, _, err := e.db.FindInvitations(e.admin, invited.InvitationFilter{Page: invited.Page{PageToken: bad}})
		if e := wantCode(t, err, invited.EINVALID); e.Fields["page_token"] == "" {
			t.Errorf("token %q: fields %v", bad, e.Fields)
		}
	}
	_, _, err = e.db.FindMembers(e.admin, invited.MemberFilter{OrgID: org.ID, Page: invited.Page{PageToken: invToken}})
	wantCode(t, err, invited.EINVALID)
	_, _, err = e.db.FindInvitations(e.admin, invited.InvitationFilter{Page: invited.Page{PageSize: 201}})
	wantCode(t, err, invited.EINVALID)
	_, _, err = e.db.FindInvitations(e.admin, invited.InvitationFilter{Status: "bogus"})
	wantCode(t, err, invited.EINVALID)
}

func testIdempotency(t *testing.T, e *env) {
	ctx := context.Background()
	begin := func(key, hash string) (*invited.IdempotentResponse, error) {
		return e.db.BeginIdempotent(ctx, "key_1", key, hash)
	}
	r, err := begin("k1", "h1")
	if r != nil || err != nil {
		t.Fatalf("first begin: %v %v", r, err)
	}
	_, err = begin("k1", "h1")
	if wantCode(t, err, invited.ECONFLICT).Message != "a request with this Idempotency-Key is in progress" {
		t.Fatal(err)
	}
	must(t, e.db.FinishIdempotent(ctx, "key_1", "k1", invited.IdempotentResponse{Status: 201, Body: []byte(`{"id":"x"}`)}))
	r, err = begin("k1", "h1")
	must(t, err)
	if r == nil || r.Status != 201 || string(r.Body) != `{"id":"x"}` {
		t.Fatalf("replay %+v", r)
	}
	_, err = begin("k1", "h2")
	if wantCode(t, err, invited.ECONFLICT).Message != "Idempotency-Key was used with a different request" {
		t.Fatal(err)
	}
	// Another scope is another key.
	if r, err := e.db.BeginIdempotent(ctx, "key_2", "k1", "h2"); r != nil || err != nil {
		t.Fatalf("other scope: %v %v", r, err)
	}
	// Abandoned reservations can be retried.
	_, err = begin("k2", "h1")
	must(t, err)
	must(t, e.db.AbandonIdempotent(ctx, "key_1", "k2"))
	if r, err := begin("k2", "h1"); r != nil || err != nil {
		t.Fatalf("after abandon: %v %v", r, err)
	}
	if err := e.db.FinishIdempotent(ctx, "key_1", "nope", invited.IdempotentResponse{Status: 200}); err == nil {
		t.Fatal("finished an unreserved key")
	}
	// Past the TTL a key is forgotten, and the purge removes it.
	e.clock.Advance(invited.IdempotencyKeyTTL)
	if r, err := begin("k1", "h9"); r != nil || err != nil {
		t.Fatalf("expired key: %v %v", r, err)
	}
	n, err := e.db.PurgeIdempotencyKeys(ctx)
	must(t, err)
	if n != 2 {
		t.Fatalf("purged %d, want 2 (key_2/k1 and key_1/k2)", n)
	}
}

func testAPIKeys(t *testing.T, e *env) {
	org, owner := e.orgWithOwner(nil)
	other := e.org(nil)
	key, secret, err := e.db.CreateAPIKey(owner, invited.APIKeyCreate{Name: "ci", OrgID: org.ID,
		Permissions: []invited.Permission{invited.PermInvitationsCreate, invited.PermInvitationsRead}})
	must(t, err)
	if !invited.ValidSecretShape(secret, invited.SecretPrefixAPIKey) || key.Prefix != secret[:9] || key.CreatedBy == "" {
		t.Fatalf("key %+v", key)
	}
	if n := e.count(`SELECT COUNT(*) FROM api_keys WHERE secret_hash = ?`, invited.HashSecret(secret)); n != 1 {
		t.Fatal("the key is not stored by its hash")
	}
	a, err := e.db.AuthenticateAPIKey(context.Background(), secret)
	must(t, err)
	if a.APIKeyID != key.ID || a.Admin || a.KeyOrgID != org.ID || !a.Can(org.ID, invited.PermInvitationsRead) || a.Can(org.ID, invited.PermOrgManage) {
		t.Fatalf("actor %+v", a)
	}
	lastUsed := func() *time.Time {
		keys, _, err := e.db.FindAPIKeys(e.admin, invited.APIKeyFilter{OrgID: org.ID})
		must(t, err)
		return keys[0].LastUsedAt
	}
	first := lastUsed()
	e.clock.Advance(30 * time.Second)
	_, err = e.db.AuthenticateAPIKey(context.Background(), secret)
	must(t, err)
	if got := lastUsed(); first == nil || !got.Equal(*first) {
		t.Fatalf("last used %v then %v: written within a minute", first, got)
	}
	e.clock.Advance(30 * time.Second)
	_, err = e.db.AuthenticateAPIKey(context.Background(), secret)
	must(t, err)
	if got := lastUsed(); !got.Equal(e.clock.Now()) {
		t.Fatalf("last used %v, want %v", got, e.clock.Now())
	}

	// Lists: admin all (its own key included), owner their organization's.
	otherKey, _, err := e.db.CreateAPIKey(e.admin, invited.APIKeyCreate{Name: "other", OrgID: other.ID, Permissions: []invited.Permission{invited.PermMembersRead}})
	must(t, err)
	if keys, _, err := e.db.FindAPIKeys(e.admin, invited.APIKeyFilter{}); err != nil || len(keys) != 3 {
		t.Fatalf("admin lists %d keys, %v", len(keys), err)
	}
	if keys, _, err := e.db.FindAPIKeys(owner, invited.APIKeyFilter{}); err != nil || len(keys) != 1 || keys[0].ID != key.ID {
		t.Fatalf("owner lists %v, %v", keys, err)
	}
	wantCode(t, e.db.RevokeAPIKey(owner, otherKey.ID), invited.ENOTFOUND)
	adminID := invited.ActorFromContext(e.admin).APIKeyID
	wantCode(t, e.db.RevokeAPIKey(owner, adminID), invited.ENOTFOUND)

	must(t, e.db.RevokeAPIKey(owner, key.ID))
	must(t, e.db.RevokeAPIKey(owner, key.ID))
	_, err = e.db.AuthenticateAPIKey(context.Background(), secret)
	wantCode(t, err, invited.EUNAUTHENTICATED)
	for _, bad := range []string{"", "ik_nope", invited.NewSecret(invited.SecretPrefixAPIKey)} {
		_, err = e.db.AuthenticateAPIKey(context.Background(), bad)
		wantCode(t, err, invited.EUNAUTHENTICATED)
	}
}

func testAPIKeyEscalation(t *testing.T, e *env) {
	org, _ := e.orgWithOwner(nil)
	adminCtx, _ := e.member(org.ID, invited.RoleAdmin) // all but org:delete
	memberCtx, _ := e.member(org.ID, invited.RoleMember)
	tests := []struct {
		name string
		ctx  context.Context
		c    invited.APIKeyCreate
		code string
	}{
		{"within", adminCtx, invited.APIKeyCreate{Name: "k", OrgID: org.ID, Permissions: []invited.Permission{invited.PermMembersRead}}, ""},
		{"escalation", adminCtx, invited.APIKeyCreate{Name: "k", OrgID: org.ID, Permissions: []invited.Permission{invited.PermOrgDelete}}, invited.EFORBIDDEN},
		{"admin key by a user", adminCtx, invited.APIKeyCreate{Name: "k", Admin: true}, invited.EFORBIDDEN},
		{"no org:manage", memberCtx, invited.APIKeyCreate{Name: "k", OrgID: org.ID, Permissions: []invited.Permission{invited.PermMembersRead}}, invited.EFORBIDDEN},
		{"another tenant", adminCtx, invited.APIKeyCreate{Name: "k", OrgID: "org_elsewhere", Permissions: []invited.Permission{invited.PermMembersRead}}, invited.ENOTFOUND},
		{"admin for a missing org", e.admin, invited.APIKeyCreate{Name: "k", OrgID: "org_missing", Permissions: []invited.Permission{invited.PermMembersRead}}, invited.ENOTFOUND},
		{"invalid", e.admin, invited.APIKeyCreate{Name: "k"}, invited.EINVALID},
	}
	for _, tt := range tests {
		_, _, err := e.db.CreateAPIKey(tt.ctx, tt.c)
		if tt.code == "" {
			must(t, err)
		} else {
			wantCode(t, err, tt.code)
		}
	}
}

// testRoleEscalation checks that nobody grants, by invitation or by a
// role change, permissions they do not hold (member's always excepted).
func testRoleEscalation(t *testing.T, e *env) {
	org, _ := e.orgWithOwner(nil)
	_, err := e.db.CreateRole(e.admin, org.ID, invited.RoleCreate{Name: "inviter", Permissions: []invited.Permission{invited.PermInvitationsCreate}})
	must(t, err)
	adminCtx, _ := e.member(org.ID, invited.RoleAdmin)
	inviterCtx, _ := e.member(org.ID, "inviter")
	_, target := e.member(org.ID, invited.RoleMember)

	tests := []struct {
		name  string
		ctx   context.Context
		roles []string
		code  string
	}{
		{"inviter invites a member", inviterCtx, []string{"member"}, ""},
		{"inviter invites an inviter", inviterCtx, []string{"inviter"}, ""},
		{"inviter invites an admin", inviterCtx, []string{"admin"}, invited.EFORBIDDEN},
		{"admin invites an admin", adminCtx, []string{"admin"}, ""},
		{"admin invites an owner", adminCtx, []string{"owner"}, invited.EFORBIDDEN},
		{"admin key invites an owner", e.admin, []string{"owner"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := e.db.CreateInvitation(tt.ctx, org.ID, invited.InvitationCreate{
				Email: fmt.Sprintf("esc%d@example.com", e.next()), Roles: tt.roles})
			if tt.code == "" {
				must(t, err)
				return
			}
			wantCode(t, err, tt.code)
		})
	}
	_, err = e.db.UpdateMember(adminCtx, org.ID, target.ID, invited.MemberUpdate{Roles: []string{"owner"}})
	wantCode(t, err, invited.EFORBIDDEN)
	_, err = e.db.UpdateMember(adminCtx, org.ID, target.ID, invited.MemberUpdate{Roles: []string{"admin"}})
	must(t, err)
}

// testRoleCreateEscalation checks that nobody defines a role holding
// permissions they could not grant (member's always excepted), and that the
// refusal names what is missing.
func testRoleCreateEscalation(t *testing.T, e *env) {
	org, ownerCtx := e.orgWithOwner(nil)
	adminCtx, _ := e.member(org.ID, invited.RoleAdmin) // all but org:delete
	key := func(ps ...invited.Permission) context.Context {
		_, secret, err := e.db.CreateAPIKey(e.admin, invited.APIKeyCreate{Name: "k", OrgID: org.ID, Permissions: ps})
		must(t, err)
		return e.keyContext(secret)
	}
	rolesKey := key(invited.PermRolesManage)
	tests := []struct {
		name  string
		ctx   context.Context
		perms []invited.Permission
		code  string
		// missing is the end of a forbidden answer's message.
		missing string
	}{
		{"key holds it", rolesKey, []invited.Permission{invited.PermRolesManage}, "", ""},
		{"key gives member's permission", rolesKey, []invited.Permission{invited.PermMembersRead}, "", ""},
		{"key escalates", rolesKey, []invited.Permission{invited.PermOrgManage}, invited.EFORBIDDEN, ": org:manage"},
		{"key escalates twice", rolesKey, []invited.Permission{invited.PermOrgDelete, invited.PermRolesManage, invited.PermOrgManage},
			invited.EFORBIDDEN, ": org:manage, org:delete"},
		{"key without roles:manage", key(invited.PermOrgManage), []invited.Permission{invited.PermOrgManage}, invited.EFORBIDDEN, "roles:manage permission in the organization"},
		{"unknown permission is invalid first", rolesKey, []invited.Permission{invited.PermOrgManage, "org:own"}, invited.EINVALID, ""},
		{"admin within", adminCtx, []invited.Permission{invited.PermOrgManage, invited.PermInvitationsCreate}, "", ""},
		{"admin escalates", adminCtx, []invited.Permission{invited.PermOrgDelete}, invited.EFORBIDDEN, ": org:delete"},
		{"owner", ownerCtx, []invited.Permission{invited.PermOrgDelete}, "", ""},
		{"admin key", e.admin, invited.AllPermissions, "", ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := fmt.Sprintf("role-%d", i)
			_, err := e.db.CreateRole(tt.ctx, org.ID, invited.RoleCreate{Name: name, Permissions: tt.perms})
			if tt.code == "" {
				must(t, err)
				return
			}
			if got := wantCode(t, err, tt.code); !strings.HasSuffix(got.Message, tt.missing) {
				t.Fatalf("message %q, want it to end in %q", got.Message, tt.missing)
			}
			roles, err := e.db.FindRoles(e.admin, org.ID)
			must(t, err)
			if slices.ContainsFunc(roles, func(r *invited.Role) bool { return r.Name == name }) {
				t.Fatalf("refused role %s was written", name)
			}
		})
	}
}

func testBootstrap(t *testing.T, e *env) {
	ctx := context.Background()
	if s, err := e.db.CreateFirstAdminKey(ctx); s != "" || err != nil {
		t.Fatalf("second first key: %q %v", s, err)
	}
	const secret = "configured-admin-key-0123456789"
	k1, err := e.db.EnsureAdminAPIKey(ctx, secret, "INVITED_ADMIN_API_KEY")
	must(t, err)
	k2, err := e.db.EnsureAdminAPIKey(ctx, secret, "INVITED_ADMIN_API_KEY")
	must(t, err)
	if k1.ID != k2.ID || !k1.Admin || k1.Prefix != "conf" {
		t.Fatalf("keys %+v %+v", k1, k2)
	}
	a := e.keyContext(secret)
	if !invited.ActorFromContext(a).Admin {
		t.Fatal("not admin")
	}
	must(t, e.db.RevokeAPIKey(e.admin, k1.ID))
	_, err = e.db.EnsureAdminAPIKey(ctx, secret, "INVITED_ADMIN_API_KEY")
	must(t, err)
	e.keyContext(secret) // valid again
	_, err = e.db.EnsureAdminAPIKey(ctx, "short", "x")
	wantCode(t, err, invited.EINVALID)
}

func testActAsUser(t *testing.T, e *env) {
	acme, _ := e.orgWithOwner(nil)
	globex, _ := e.orgWithOwner(nil)
	_, ann := e.member(acme.ID, invited.RoleAdmin)
	_, token := e.invite(e.admin, globex.ID, invited.InvitationCreate{Email: ann.Email, Roles: []string{"member"}})
	_, err := e.db.AcceptInvitation(e.admin, token, invited.Acceptor{ExternalID: ann.ExternalID})
	must(t, err)

	adminKey := invited.ActorFromContext(e.admin)
	for _, ref := range []string{ann.ID, ann.ExternalID} {
		a, err := e.db.ActAsUser(context.Background(), adminKey, ref)
		must(t, err)
		if a.Admin || a.UserID() != ann.ID || a.APIKeyID != adminKey.APIKeyID || !a.Can(acme.ID, invited.PermOrgManage) || !a.CanSee(globex.ID) {
			t.Fatalf("%s: %+v", ref, a)
		}
	}
	_, err = e.db.ActAsUser(context.Background(), adminKey, "nobody")
	if wantCode(t, err, invited.EUNAUTHENTICATED).Message != "acting user not found" {
		t.Fatal(err)
	}
	// An organization key acting for a user stays in its organization.
	_, secret, err := e.db.CreateAPIKey(e.admin, invited.APIKeyCreate{Name: "k", OrgID: globex.ID, Permissions: []invited.Permission{invited.PermMembersRead}})
	must(t, err)
	orgKey := invited.ActorFromContext(e.keyContext(secret))
	a, err := e.db.ActAsUser(context.Background(), orgKey, ann.ID)
	must(t, err)
	if a.KeyOrgID != globex.ID || a.CanSee(acme.ID) || !a.CanSee(globex.ID) {
		t.Fatalf("org key acting: %+v", a)
	}
	_, err = e.db.ActAsUser(context.Background(), a, ann.ID)
	wantCode(t, err, invited.EUNAUTHENTICATED)

	// AuthenticateUser: a stranger has no grants and no id.
	s, err := e.db.AuthenticateUser(context.Background(), invited.User{ExternalID: "stranger", Email: "s@example.com"})
	must(t, err)
	if s.UserID() != "" || len(s.Grants) != 0 || s.User.Email != "s@example.com" {
		t.Fatalf("stranger %+v", s)
	}
	known, err := e.db.AuthenticateUser(context.Background(), invited.User{ExternalID: ann.ExternalID})
	must(t, err)
	if known.UserID() != ann.ID || len(known.Grants) != 2 {
		t.Fatalf("known %+v", known)
	}
}

func testBatch(t *testing.T, e *env) {
	org, _ := e.orgWithOwner(nil)
	_, member := e.member(org.ID, invited.RoleMember)
	results, err := e.db.CreateInvitations(e.admin, org.ID, []invited.InvitationCreate{
		{Email: "a@example.com", Roles: []string{"member"}},
		{Email: "not-an-email", Roles: []string{"member"}},
		{Email: "A@example.com", Roles: []string{"admin"}}, // the first one again
		{Email: member.Email, Roles: []string{"member"}},
		{Phone: "+14155550199", Roles: []string{"member"}, Send: ptr(false)},
		{Email: "b@example.com", Roles: []string{"no-such-role"}},
		{UserID: member.ID, Roles: []string{"member"}},
		{Email: "c@example.com", Roles: []string{"member"}},
	})
	must(t, err)
	want := []string{"", invited.EINVALID, invited.EINVITATIONEXISTS, invited.EALREADYMEMBER, "", invited.EINVALID, invited.EALREADYMEMBER, ""}
	for i, r := range results {
		if want[i] == "" {
			if r.Err != nil || r.Invitation == nil {
				t.Fatalf("item %d: %v", i, r.Err)
			}
			if (r.Token == "") != (r.Invitation.Status == invited.StatusDraft) {
				t.Fatalf("item %d: token %q for %s", i, r.Token, r.Invitation.Status)
			}
			continue
		}
		if r.Invitation != nil || r.Token != "" {
			t.Fatalf("item %d failed but returned an invitation", i)
		}
		if e := wantCode(t, r.Err, want[i]); want[i] == invited.EINVITATIONEXISTS && e.ExistingID != results[0].Invitation.ID {
			t.Fatalf("item %d names %q", i, e.ExistingID)
		}
	}
	if n := e.count(`SELECT COUNT(*) FROM invitations WHERE org_id = ? AND inviter_api_key_id IS NOT NULL`, org.ID); n != 3+2 {
		t.Fatalf("%d invitations stored, want 3 from the batch and 2 from setup", n)
	}
	if l := e.lettersOf(invited.KindInvitation); len(l) != 2+2 {
		t.Fatalf("%d letters, want 2 from the batch and 2 from setup", len(l))
	}

	_, err = e.db.CreateInvitations(e.admin, org.ID, make([]invited.InvitationCreate, invited.MaxBatchSize+1))
	wantCode(t, err, invited.EINVALID)
	_, err = e.db.CreateInvitations(e.admin, org.ID, nil)
	wantCode(t, err, invited.EINVALID)
	_, err = e.db.CreateInvitations(e.admin, "org_missing", []invited.InvitationCreate{{Email: "a@example.com", Roles: []string{"member"}}})
	wantCode(t, err, invited.ENOTFOUND)
}

// testFullBatch creates the largest batch there is into an organization
// with a webhook endpoint: its links, letters, reminders, audit events and
// webhook messages are more than one statement may carry on PostgreSQL
// (Tx.hold), and every one of them must be stored.
func testFullBatch(t *testing.T, e *env) {
	org := e.org(nil)
	_, err := e.db.CreateWebhook(e.admin, invited.WebhookCreate{OrgID: org.ID, URL: "https://hooks.acme.test/all"})
	must(t, err)
	cs := make([]invited.InvitationCreate, invited.MaxBatchSize)
	for i := range cs {
		cs[i] = invited.InvitationCreate{Email: fmt.Sprintf("full%d@example.com", i), Roles: []string{"member"}}
	}
	results, err := e.db.CreateInvitations(e.admin, org.ID, cs)
	must(t, err)
	for i, r := range results {
		if r.Err != nil || r.Token == "" {
			t.Fatalf("item %d: %v", i, r.Err)
		}
	}
	// The last item's link works, so its hash was stored.
	if _, err := e.db.PreviewInvitation(context.Background(), results[len(results)-1].Token); err != nil {
		t.Fatalf("preview of the last item: %v", err)
	}
	n := invited.MaxBatchSize
	for _, c := range []struct {
		what  string
		query string
		want  int
	}{
		{"invitations", `SELECT COUNT(*) FROM invitations WHERE org_id = ?`, n},
		{"links", `SELECT COUNT(*) FROM invitation_tokens t JOIN invitations i ON i.id = t.invitation_id WHERE i.org_id = ?`, n},
		{"letters and reminders", `SELECT COUNT(*) FROM messages WHERE org_id = ? AND kind IN ('invitation', 'reminder')`, 2 * n},
		{"webhook messages", `SELECT COUNT(*) FROM messages WHERE org_id = ? AND kind = 'invitation.created'`, n},
		{"audit events", `SELECT COUNT(*) FROM audit_events WHERE org_id = ? AND action = 'invitation.created'`, n},
	} {
		if got := e.count(c.query, org.ID); got != c.want {
			t.Errorf("%d %s stored, want %d", got, c.what, c.want)
		}
	}
}

func testMembers(t *testing.T, e *env) {
	org, ownerCtx := e.orgWithOwner(nil)
	owner := invited.ActorFromContext(ownerCtx).User
	memberCtx, member := e.member(org.ID, invited.RoleMember)
	_, err := e.db.CreateRole(ownerCtx, org.ID, invited.RoleCreate{Name: "support", Permissions: []invited.Permission{invited.PermMembersRead}})
	must(t, err)

	members, _, err := e.db.FindMembers(memberCtx, invited.MemberFilter{OrgID: org.ID})
	must(t, err)
	if len(members) != 2 || members[0].User == nil || members[0].User.Email == "" {
		t.Fatalf("members %+v", members)
	}
	m, err := e.db.FindMember(memberCtx, org.ID, owner.ID)
	must(t, err)
	if m.UserID != owner.ID || !slices.Contains(m.Roles, invited.RoleOwner) || m.User == nil || m.User.Email != owner.Email {
		t.Fatalf("member %+v", m)
	}
	_, err = e.db.FindMember(memberCtx, org.ID, "usr_nobody")
	wantCode(t, err, invited.ENOTFOUND)
	other, _ := e.orgWithOwner(nil)
	_, err = e.db.FindMember(memberCtx, other.ID, owner.ID) // another tenant
	wantCode(t, err, invited.ENOTFOUND)
	_, err = e.db.UpdateMember(memberCtx, org.ID, owner.ID, invited.MemberUpdate{Roles: []string{"member"}})
	wantCode(t, err, invited.EFORBIDDEN)

	tests := []struct {
		name   string
		userID string
		roles  []string
		code   string
	}{
		{"last owner", owner.ID, []string{"admin"}, invited.EINVALIDSTATE},
		{"unknown role", member.ID, []string{"nope"}, invited.EINVALID},
		{"no roles", member.ID, nil, invited.EINVALID},
		{"custom role", member.ID, []string{"support", "support"}, ""},
		{"second owner", member.ID, []string{"owner"}, ""},
		{"first owner steps down", owner.ID, []string{"member"}, ""},
		{"not a member", "usr_nobody", []string{"member"}, invited.ENOTFOUND},
	}
	for _, tt := range tests {
		m, err := e.db.UpdateMember(e.admin, org.ID, tt.userID, invited.MemberUpdate{Roles: tt.roles})
		if tt.code != "" {
			wantCode(t, err, tt.code)
			continue
		}
		must(t, err)
		if !slices.Equal(m.Roles, invited.MergeRoles(tt.roles, nil)) {
			t.Fatalf("%s: roles %v", tt.name, m.Roles)
		}
	}
	// member is now the only owner.
	wantCode(t, e.db.DeleteMember(e.admin, org.ID, member.ID), invited.EINVALIDSTATE)
	must(t, e.db.DeleteMember(e.admin, org.ID, owner.ID))
	wantCode(t, e.db.DeleteMember(e.admin, org.ID, owner.ID), invited.ENOTFOUND)
	_, _, err = e.db.FindMembers(e.admin, invited.MemberFilter{OrgID: "org_missing"})
	wantCode(t, err, invited.ENOTFOUND)
}

func testOrganizationsAndRoles(t *testing.T, e *env) {
	org, err := e.db.CreateOrganization(e.admin, invited.OrganizationCreate{Name: "Acme Corp", Settings: &invited.OrgSettingsPatch{
		InvitationTTL: dur(72 * time.Hour), AllowedRedirectOrigins: &[]string{"https://app.example.com"}}})
	must(t, err)
	if org.Slug != "acme-corp" {
		t.Fatalf("slug %q", org.Slug)
	}
	got, err := e.db.FindOrganizationByID(e.admin, org.ID)
	must(t, err)
	if !reflect.DeepEqual(got, org) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, org)
	}
	_, err = e.db.CreateOrganization(e.admin, invited.OrganizationCreate{Name: "Acme", Slug: "acme-corp"})
	if e := wantCode(t, err, invited.ECONFLICT); e.Fields["slug"] == "" {
		t.Fatalf("fields %v", e.Fields)
	}
	_, err = e.db.CreateOrganization(e.admin, invited.OrganizationCreate{Name: ""})
	wantCode(t, err, invited.EINVALID)

	ownerCtx, _ := e.member(org.ID, invited.RoleMember) // first member: owner
	_, err = e.db.CreateOrganization(ownerCtx, invited.OrganizationCreate{Name: "Mine"})
	wantCode(t, err, invited.EFORBIDDEN)
	updated, err := e.db.UpdateOrganization(ownerCtx, org.ID, invited.OrganizationUpdate{Name: ptr("Acme Inc"),
		Settings: &invited.OrgSettingsPatch{RequireEmailMatch: ptr(false)}})
	must(t, err)
	if updated.Name != "Acme Inc" || updated.Settings.RequireEmailMatch || time.Duration(updated.Settings.InvitationTTL) != 72*time.Hour {
		t.Fatalf("updated %+v", updated)
	}
	memberCtx, _ := e.member(org.ID, invited.RoleMember)
	_, err = e.db.UpdateOrganization(memberCtx, org.ID, invited.OrganizationUpdate{Name: ptr("Mine")})
	wantCode(t, err, invited.EFORBIDDEN)

	// Roles: built-ins first, then custom ones; names are unique per org.
	_, err = e.db.CreateRole(ownerCtx, org.ID, invited.RoleCreate{Name: "recruiter", Permissions: []invited.Permission{invited.PermInvitationsCreate}})
	must(t, err)
	_, err = e.db.CreateRole(ownerCtx, org.ID, invited.RoleCreate{Name: "recruiter", Permissions: []invited.Permission{invited.PermInvitationsRead}})
	wantCode(t, err, invited.ECONFLICT)
	_, err = e.db.CreateRole(memberCtx, org.ID, invited.RoleCreate{Name: "x", Permissions: []invited.Permission{invited.PermInvitationsRead}})
	wantCode(t, err, invited.EFORBIDDEN)
	roles, err := e.db.FindRoles(memberCtx, org.ID)
	must(t, err)
	var names []string
	for _, r := range roles {
		names = append(names, r.Name)
	}
	if !slices.Equal(names, []string{"owner", "admin", "member", "guest", "recruiter"}) || !roles[0].BuiltIn || roles[4].BuiltIn {
		t.Fatalf("roles %v", names)
	}
	// A custom role is usable in invitations and grants its permissions.
	recruiterCtx, _ := e.member(org.ID, "recruiter")
	e.invite(recruiterCtx, org.ID, invited.InvitationCreate{Email: "new@example.com", Roles: []string{"member"}})
	_, err = e.db.FindRoles(e.admin, "org_missing")
	wantCode(t, err, invited.ENOTFOUND)
}

// testDefaultRoles: default_roles name roles of the organization but owner,
// and an invitation that names no role grants them, even roles that hold
// no permission.
func testDefaultRoles(t *testing.T, e *env) {
	ctx := context.Background()
	org, owner := e.orgWithOwner(nil)
	if !slices.Equal(org.Settings.DefaultRoles, []string{invited.RoleMember}) {
		t.Fatalf("a new organization's default roles: %v", org.Settings.DefaultRoles)
	}
	// An organization stored before default_roles existed reads as member.
	must(t, e.db.writeTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `UPDATE organizations SET settings = ? WHERE id = ?`, `{"invitation_ttl":"168h","require_email_match":true}`, org.ID)
		return err
	}))
	old, err := e.db.FindOrganizationByID(e.admin, org.ID)
	must(t, err)
	if !slices.Equal(old.Settings.DefaultRoles, []string{invited.RoleMember}) || !old.Settings.RequireEmailMatch {
		t.Fatalf("settings stored without default_roles read as %+v", old.Settings)
	}

	setDefaults := func(roles ...string) error {
		_, err := e.db.UpdateOrganization(owner, org.ID, invited.OrganizationUpdate{Settings: &invited.OrgSettingsPatch{DefaultRoles: &roles}})
		return err
	}
	for _, roles := range [][]string{{"visitor"}, {invited.RoleOwner}, {invited.RoleMember, "nobody"}} {
		if e := wantCode(t, setDefaults(roles...), invited.EINVALID); e.Fields["settings.default_roles"] == "" {
			t.Fatalf("default roles %v: fields %v", roles, e.Fields)
		}
	}
	_, err = e.db.CreateRole(owner, org.ID, invited.RoleCreate{Name: "visitor"})
	must(t, err)
	must(t, setDefaults("visitor"))

	inv, token := e.invite(owner, org.ID, invited.InvitationCreate{Email: "vic@example.com"})
	if !slices.Equal(inv.Roles, []string{"visitor"}) {
		t.Fatalf("an invitation without roles grants %v", inv.Roles)
	}
	acc, err := e.db.AcceptInvitation(e.admin, token, invited.Acceptor{ExternalID: "vic", Email: "vic@example.com"})
	must(t, err)
	if !slices.Equal(acc.Membership.Roles, []string{"visitor"}) {
		t.Fatalf("membership roles %v", acc.Membership.Roles)
	}
	checkPermissionless(t, e, org.ID, owner, acc.User)

	// A new organization has only the built-in roles to choose from.
	_, err = e.db.CreateOrganization(e.admin, invited.OrganizationCreate{Name: "New", Settings: &invited.OrgSettingsPatch{DefaultRoles: &[]string{"visitor"}}})
	if e := wantCode(t, err, invited.EINVALID); e.Fields["settings.default_roles"] == "" {
		t.Fatalf("fields %v", e.Fields)
	}
	guests, err := e.db.CreateOrganization(e.admin, invited.OrganizationCreate{Name: "Guests", Settings: &invited.OrgSettingsPatch{DefaultRoles: &[]string{invited.RoleGuest}}})
	must(t, err)
	if !slices.Equal(guests.Settings.DefaultRoles, []string{invited.RoleGuest}) {
		t.Fatalf("default roles %v", guests.Settings.DefaultRoles)
	}
}

// checkPermissionless checks that user, a member of orgID whose roles grant
// nothing, is a member all the same: an admin lists them, they see the
// organization and their own membership, and nothing more.
func checkPermissionless(t *testing.T, e *env, orgID string, admin context.Context, user *invited.User) {
	t.Helper()
	members, _, err := e.db.FindMembers(admin, invited.MemberFilter{OrgID: orgID})
	must(t, err)
	if !slices.ContainsFunc(members, func(m *invited.Member) bool { return m.UserID == user.ID }) {
		t.Fatalf("the admin's list lacks %s", user.ID)
	}
	self := e.userContext(user)
	_, err = e.db.FindOrganizationByID(self, orgID)
	must(t, err)
	m, err := e.db.FindMember(self, orgID, user.ID)
	must(t, err)
	if m.UserID != user.ID {
		t.Fatalf("own membership %+v", m)
	}
	_, _, err = e.db.FindMembers(self, invited.MemberFilter{OrgID: orgID})
	wantCode(t, err, invited.EFORBIDDEN)
	for _, other := range members {
		if other.UserID != user.ID {
			_, err = e.db.FindMember(self, orgID, other.UserID)
			wantCode(t, err, invited.EFORBIDDEN)
		}
	}
}

// testGuestRole: guest is built in and grants nothing, but a custom role
// an organization called guest before that keeps its permissions there.
func testGuestRole(t *testing.T, e *env) {
	org, owner := e.orgWithOwner(nil)
	roles, err := e.db.FindRoles(owner, org.ID)
	must(t, err)
	var guest *invited.Role
	for _, r := range roles {
		if r.Name == invited.RoleGuest {
			guest = r
		}
	}
	if guest == nil || !guest.BuiltIn || guest.Permissions == nil || len(guest.Permissions) != 0 {
		t.Fatalf("roles %+v lack a built-in guest with no permission", roles)
	}
	guestCtx, user := e.member(org.ID, invited.RoleGuest)
	checkPermissionless(t, e, org.ID, owner, user)

	old := e.org(nil)
	ctx := context.Background()
	must(t, e.db.writeTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO roles (id, org_id, name, description, permissions, created_at) VALUES (?, ?, 'guest', 'ours', '["members:read"]', ?)`,
			invited.NewID(invited.PrefixRole, tx.now), old.ID, ms(tx.now))
		return err
	}))
	roles, err = e.db.FindRoles(e.admin, old.ID)
	must(t, err)
	var names []string
	for _, r := range roles {
		names = append(names, r.Name)
	}
	if !slices.Equal(names, []string{"owner", "admin", "member", "guest"}) || roles[3].BuiltIn || roles[3].Description != "ours" {
		t.Fatalf("roles %v (%+v)", names, roles[3])
	}
	_, _ = e.member(old.ID, invited.RoleMember) // the owner
	oldGuest, _ := e.member(old.ID, invited.RoleGuest)
	if _, _, err := e.db.FindMembers(oldGuest, invited.MemberFilter{OrgID: old.ID}); err != nil {
		t.Fatalf("the custom guest lost its permission: %v", err)
	}
	_, _, err = e.db.FindMembers(guestCtx, invited.MemberFilter{OrgID: org.ID})
	wantCode(t, err, invited.EFORBIDDEN)
}

// race runs f(0) … f(n-1) in goroutines released together and returns
// their errors.
func race(n int, f func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = f(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// winners counts the successes of a race, failing t on any error but the
// losers' code.
func winners(t testing.TB, errs []error, loser string) int {
	t.Helper()
	n := 0
	for _, err := range errs {
		switch {
		case err == nil:
			n++
		case invited.ErrorCode(err) != loser:
			t.Fatalf("unexpected: %v", err)
		}
	}
	return n
}

// testConcurrentAccept races many acceptors for one link: exactly one wins,
// and every other one learns that the invitation was accepted.
func testConcurrentAccept(t *testing.T, e *env) {
	org := e.org(&invited.OrgSettingsPatch{RequireEmailMatch: ptr(false)})
	_, token := e.invite(e.admin, org.ID, invited.InvitationCreate{Email: "ann@example.com", Roles: []string{"member"}})
	errs := race(128, func(i int) error {
		_, err := e.db.AcceptInvitation(e.admin, token, invited.Acceptor{ExternalID: fmt.Sprintf("racer-%d", i), Email: fmt.Sprintf("racer%d@example.com", i)})
		return err
	})
	wins := winners(t, errs, invited.EALREADYACCEPTED)
	if wins != 1 {
		t.Fatalf("%d acceptances", wins)
	}
	if m := e.count(`SELECT COUNT(*) FROM memberships WHERE org_id = ?`, org.ID); m != 1 {
		t.Fatalf("%d memberships", m)
	}
	if u := e.count(`SELECT COUNT(*) FROM users`); u != 1 {
		t.Fatalf("%d users", u)
	}
}

// testConcurrentFirstMembers accepts invitations of different people into
// an organization without members, all at once: exactly one of them
// becomes its owner.
func testConcurrentFirstMembers(t *testing.T, e *env) {
	org := e.org(nil)
	const n = 16
	tokens := make([]string, n)
	for i := range n {
		_, tokens[i] = e.invite(e.admin, org.ID, invited.InvitationCreate{Email: fmt.Sprintf("p%d@example.com", i), Roles: []string{"member"}})
	}
	errs := race(n, func(i int) error {
		_, err := e.db.AcceptInvitation(e.admin, tokens[i], invited.Acceptor{ExternalID: fmt.Sprintf("p-%d", i), Email: fmt.Sprintf("p%d@example.com", i)})
		return err
	})
	for _, err := range errs {
		must(t, err)
	}
	if got := e.count(`SELECT COUNT(*) FROM memberships WHERE org_id = ?`, org.ID); got != n {
		t.Fatalf("%d memberships, want %d", got, n)
	}
	if owners := e.count(`SELECT COUNT(*) FROM memberships WHERE org_id = ? AND roles LIKE '%"owner"%'`, org.ID); owners != 1 {
		t.Fatalf("%d owners", owners)
	}
}

// testConcurrentSweepers runs several sweepers at once, as several
// instances would: every overdue invitation is expired by exactly one of
// them, so the counts they return add up to the overdue rows.
func testConcurrentSweepers(t *testing.T, e *env) {
	org := e.org(nil)
	const overdue, later = 300, 20
	cs := make([]invited.InvitationCreate, overdue+later)
	for i := range cs {
		ttl := time.Hour
		if i >= overdue {
			ttl = 48 * time.Hour
		}
		cs[i] = invited.InvitationCreate{Email: fmt.Sprintf("s%d@example.com", i), Roles: []string{"member"}, ExpiresIn: dur(ttl)}
	}
	results, err := e.db.CreateInvitations(e.admin, org.ID, cs)
	must(t, err)
	for _, r := range results {
		must(t, r.Err)
	}
	e.clock.Advance(2 * time.Hour)
	const sweepers = 4
	counts := make([]int, sweepers)
	errs := race(sweepers, func(i int) error {
		for {
			n, err := e.db.ExpireInvitations(context.Background(), 7)
			if err != nil || n == 0 {
				return err
			}
			counts[i] += n
		}
	})
	for _, err := range errs {
		must(t, err)
	}
	total := 0
	for _, n := range counts {
		total += n
	}
	if total != overdue {
		t.Fatalf("sweepers expired %v = %d, want %d", counts, total, overdue)
	}
	if n := e.count(`SELECT COUNT(*) FROM invitations WHERE status = 'expired'`); n != overdue {
		t.Fatalf("%d stored expired, want %d", n, overdue)
	}
	if n := e.count(`SELECT COUNT(*) FROM invitations WHERE status = 'pending'`); n != later {
		t.Fatalf("%d stored pending, want %d", n, later)
	}
}

// testConcurrentIdempotencyKey races requests with one Idempotency-Key:
// exactly one reserves it, the others are told it is in progress.
func testConcurrentIdempotencyKey(t *testing.T, e *env) {
	errs := race(32, func(int) error {
		r, err := e.db.BeginIdempotent(context.Background(), "key_1", "k", "h")
		if r != nil {
			return fmt.Errorf("replayed %+v before anything was stored", r)
		}
		return err
	})
	if reserved := winners(t, errs, invited.ECONFLICT); reserved != 1 {
		t.Fatalf("%d reservations", reserved)
	}
}

func testMigrate(t *testing.T, e *env) {
	must(t, e.db.Migrate(context.Background()))
	files, err := e.db.migrationFiles()
	must(t, err)
	if n := e.count(`SELECT COUNT(*) FROM schema_migrations`); n != len(files) {
		t.Fatalf("%d migrations recorded, want %d", n, len(files))
	}
}

// testConcurrentNewUser has one new person accept invitations from several
// organizations at the same moment: every accept succeeds and they all
// land on one user.
// testAcceptorRace: one person's first accept waits for another
// transaction that is creating the same user, and then finds that user
// rather than making a second one or failing. On PostgreSQL the second
// insert waits on the first's row, and the read of the same statement
// cannot see it once it commits (acceptingUser must read again); on SQLite
// the second transaction waits for the writer.
func testAcceptorRace(t *testing.T, e *env) {
	ctx := context.Background()
	a := invited.Acceptor{ExternalID: "racer", Email: "racer@example.com"}
	var first, second *invited.User
	inserted, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 2)
	go func() {
		done <- e.db.writeTx(ctx, func(tx *Tx) error {
			u, err := tx.acceptingUser(ctx, a)
			first = u
			close(inserted)
			<-release
			return err
		})
	}()
	<-inserted
	go func() {
		done <- e.db.writeTx(ctx, func(tx *Tx) error {
			u, err := tx.acceptingUser(ctx, a)
			second = u
			return err
		})
	}()
	if e.db.dialect.rowLocks {
		// Wait until the second insert waits on the first's row.
		for i := 0; e.count(`SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'`) == 0; i++ {
			if i == 500 {
				t.Fatal("the second accept never waited for the first")
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	close(release)
	must(t, <-done)
	must(t, <-done)
	if first == nil || second == nil || second.ID != first.ID {
		t.Fatalf("first accept made %+v, second found %+v", first, second)
	}
	if n := e.count(`SELECT COUNT(*) FROM users WHERE external_id = 'racer'`); n != 1 {
		t.Fatalf("%d users", n)
	}
}

func testConcurrentNewUser(t *testing.T, e *env) {
	const n = 8
	tokens := make([]string, n)
	for i := range tokens {
		org := e.org(nil)
		_, tokens[i] = e.invite(e.admin, org.ID, invited.InvitationCreate{Email: "new@example.com", Roles: []string{"member"}})
	}
	users := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, token := range tokens {
		wg.Go(func() {
			<-start
			acc, err := e.db.AcceptInvitation(e.admin, token, invited.Acceptor{ExternalID: "ext-new", Email: "new@example.com"})
			if errs[i] = err; err == nil {
				users[i] = acc.User.ID
			}
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		must(t, err)
		if users[i] != users[0] {
			t.Fatalf("accept %d made user %s, accept 0 made %s", i, users[i], users[0])
		}
	}
	if u := e.count(`SELECT COUNT(*) FROM users`); u != 1 {
		t.Fatalf("%d users", u)
	}
	if m := e.count(`SELECT COUNT(*) FROM memberships WHERE user_id = ?`, users[0]); m != n {
		t.Fatalf("%d memberships, want %d", m, n)
	}
}
