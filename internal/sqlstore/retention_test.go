package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/jobs"
)

// The retention cases of the contract suite (contract_test.go): the
// background pass (jobs.Retention) over the store, as serve runs it.

const day = 24 * time.Hour

// retain runs one retention pass under policy in batches of batch rows
// and answers what it counted, and the size of each batch that went.
func (e *env) retain(policy invited.Retention, batch int) (map[invited.RetentionKind]int, []int) {
	e.t.Helper()
	var batches []int
	r := &jobs.Retention{Store: e.db, Policy: policy, Batch: batch, Logger: slog.New(slog.DiscardHandler),
		Retained: func(_ invited.RetentionKind, n int) { batches = append(batches, n) }}
	return r.Pass(context.Background()), batches
}

// delivered creates an invitation in orgID and delivers its letter: one
// finished message with one attempt, which it returns.
func (e *env) delivered(orgID string) string {
	e.t.Helper()
	e.invite(e.admin, orgID, invited.InvitationCreate{Email: fmt.Sprintf("delivered%d@example.com", e.next()), Roles: []string{"member"}})
	msgs := e.claim()
	if len(msgs) != 1 {
		e.t.Fatalf("claimed %v, want the one letter", kinds(msgs))
	}
	must(e.t, e.record(msgs[0].ID, invited.Attempt{At: e.clock.Now(), DurationMS: 3}, time.Time{}))
	return msgs[0].ID
}

// retentionEvents lists the audit events of retention passes.
func (e *env) retentionEvents() []*invited.AuditEvent {
	e.t.Helper()
	return e.events(e.admin, invited.AuditFilter{Resource: invited.ResourceRetention})
}

// testRetentionMessages: finished messages and their attempts older than
// the retention go, younger ones stay, and undelivered ones stay whatever
// their age; one audit event tells the pass's counts, and a pass that
// removes nothing writes none.
func testRetentionMessages(t *testing.T, e *env) {
	org := e.org(nil)
	// A letter being retried: pending, with a failed attempt.
	e.invite(e.admin, org.ID, invited.InvitationCreate{Email: "retrying@example.com", Roles: []string{"member"}})
	retrying := e.claim()[0].ID
	must(t, e.record(retrying, invited.Attempt{At: e.clock.Now(), Error: "timeout"}, e.clock.Now().Add(400*day)))
	old := e.delivered(org.ID)
	e.clock.Advance(31 * day)
	young := e.delivered(org.ID)
	if n := e.count(`SELECT COUNT(*) FROM message_attempts WHERE message_id = ?`, old); n != 1 {
		t.Fatalf("%d attempts of the old message before the pass", n)
	}
	got, _ := e.retain(invited.Retention{Messages: invited.Duration(30 * day)}, 1000)
	if want := map[invited.RetentionKind]int{invited.RetainMessages: 1}; !maps.Equal(got, want) {
		t.Fatalf("pass counted %v, want %v", got, want)
	}
	for id, want := range map[string]int{old: 0, young: 1, retrying: 1} {
		if n := e.count(`SELECT COUNT(*) FROM messages WHERE id = ?`, id); n != want {
			t.Errorf("message %s: %d rows, want %d", id, n, want)
		}
		if n := e.count(`SELECT COUNT(*) FROM message_attempts WHERE message_id = ?`, id); n != want {
			t.Errorf("attempts of %s: %d rows, want %d", id, n, want)
		}
	}
	events := e.retentionEvents()
	if len(events) != 1 || events[0].Action != invited.EventRetentionApplied || events[0].OrgID != "" ||
		events[0].ActorUserID != "" || events[0].ActorAPIKeyID != "" || events[0].Details["messages"] != 1 || len(events[0].Details) != 1 {
		t.Fatalf("retention events %+v", events)
	}
	if got, _ := e.retain(invited.Retention{Messages: invited.Duration(30 * day)}, 1000); len(got) != 0 {
		t.Errorf("second pass counted %v", got)
	}
	if n := len(e.retentionEvents()); n != 1 {
		t.Errorf("%d retention events after a pass that removed nothing, want 1", n)
	}
	// Off keeps everything, however old.
	e.clock.Advance(400 * day)
	if got, _ := e.retain(invited.Retention{}, 1000); len(got) != 0 {
		t.Errorf("a pass with retention off counted %v", got)
	}
}

// testRetentionAudit: audit events older than the retention go, younger
// ones stay, system-wide ones included.
func testRetentionAudit(t *testing.T, e *env) {
	e.org(nil)
	before := e.count(`SELECT COUNT(*) FROM audit_events`)
	if before < 2 || e.count(`SELECT COUNT(*) FROM audit_events WHERE org_id IS NULL`) == 0 {
		t.Fatalf("%d events before, want some of an organization's and some system-wide", before)
	}
	e.clock.Advance(366 * day)
	young := e.org(nil)
	got, _ := e.retain(invited.Retention{AuditEvents: invited.Duration(365 * day)}, 1000)
	if got[invited.RetainAuditEvents] != before {
		t.Fatalf("pass counted %v, want %d audit events", got, before)
	}
	cutoff := ms(e.clock.Now().Add(-365 * day))
	if n := e.count(`SELECT COUNT(*) FROM audit_events WHERE created_at < ?`, cutoff); n != 0 {
		t.Errorf("%d audit events older than the retention remain", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM audit_events WHERE org_id = ?`, young.ID); n == 0 {
		t.Error("the young organization's events went")
	}
}

// testRetentionEnded: invitations declined, revoked or expired longer ago
// than the retention lose every trace of whom they were for, everywhere,
// but stay, with their status and times; accepted and pending ones, and
// ended ones younger than the retention, are untouched. App invites and
// join requests that ended likewise lose their addresses and words.
func testRetentionEnded(t *testing.T, e *env) {
	org := e.org(nil)
	create := func(c invited.InvitationCreate) (*invited.Invitation, string) {
		c.Roles = []string{"member"}
		c.Message = "Hello " + c.FirstName
		c.LastName = c.FirstName + "son"
		c.Metadata = json.RawMessage(`{"crm":"` + c.FirstName + `"}`)
		return e.invite(e.admin, org.ID, c)
	}
	declined, declinedToken := create(invited.InvitationCreate{Email: "dora.declined@example.com", FirstName: "Dorabella"})
	revoked, _ := create(invited.InvitationCreate{Phone: "+14155550123", Channel: invited.ChannelSMS, FirstName: "Rovena"})
	expired, _ := create(invited.InvitationCreate{Email: "ezra.expired@example.com", FirstName: "Ezrafel"})
	_, acceptedToken := create(invited.InvitationCreate{Email: "alma.accepted@example.com", FirstName: "Almadine"})
	app := e.app(e.admin, crmApp(org.ID))
	appRevoked, _ := e.appInvite(e.admin, app.ID, invited.AppInviteCreate{OrgID: org.ID, Email: "pia.partner@example.com", Note: "Pia's shop"})
	_, err := e.db.CreateJoinRequest(e.requester("jo-ext", "jo@example.com"), org.ID, invited.JoinRequestCreate{Message: "I am Jolanthe"})
	must(t, err)
	requests, _, err := e.db.FindJoinRequests(e.admin, invited.JoinRequestFilter{OrgID: org.ID})
	must(t, err)
	for _, m := range e.claim() {
		must(t, e.record(m.ID, invited.Attempt{At: e.clock.Now()}, time.Time{}))
	}
	_, err = e.db.DeclineInvitation(context.Background(), declinedToken)
	must(t, err)
	_, err = e.db.RevokeInvitation(e.admin, revoked.ID)
	must(t, err)
	_, err = e.db.AcceptInvitation(e.admin, acceptedToken, invited.Acceptor{ExternalID: "alma", Email: "alma.accepted@example.com"})
	must(t, err)
	_, err = e.db.RevokeAppInvite(e.admin, appRevoked.ID)
	must(t, err)
	_, _, err = e.db.DecideJoinRequest(e.admin, requests[0].ID, invited.ActionDeny, invited.JoinDecision{Note: "Not you, Jolanthe"})
	must(t, err)
	e.clock.Advance(8 * day)
	_, err = e.db.ExpireInvitations(context.Background(), 500)
	must(t, err)
	for _, m := range e.claim() { // the reminders, cancelled
		must(t, e.record(m.ID, invited.Attempt{At: e.clock.Now()}, time.Time{}))
	}
	e.clock.Advance(91 * day)
	// Ended, but not long enough ago; and still pending.
	youngDeclined, youngToken := create(invited.InvitationCreate{Email: "yan.young@example.com", FirstName: "Yanniko"})
	_, err = e.db.DeclineInvitation(context.Background(), youngToken)
	must(t, err)
	create(invited.InvitationCreate{Email: "pat.pending@example.com", FirstName: "Patarina"})

	gone := []string{"dora.declined", "Dorabella", "+14155550123", "Rovena", "ezra.expired", "Ezrafel", "pia.partner",
		"Pia's shop", "I am Jolanthe"}
	kept := []string{"alma.accepted", "Almadine", "yan.young", "Yanniko", "pat.pending", "Patarina"}
	for _, n := range append(gone, kept...) {
		if len(e.remains(n)) == 0 {
			t.Fatalf("before the pass no table holds %s: the check below would prove little", n)
		}
	}
	invitations := e.count(`SELECT COUNT(*) FROM invitations`)
	got, _ := e.retain(invited.Retention{EndedInvitations: invited.Duration(90 * day)}, 1000)
	want := map[invited.RetentionKind]int{invited.RetainInvitations: 3, invited.RetainAppInvites: 1, invited.RetainJoinRequests: 1}
	if !maps.Equal(got, want) {
		t.Fatalf("pass counted %v, want %v", got, want)
	}
	for _, f := range e.remains(gone...) {
		t.Error(f)
	}
	for _, n := range kept {
		if len(e.remains(n)) == 0 {
			t.Errorf("%s went too", n)
		}
	}
	if n := e.count(`SELECT COUNT(*) FROM invitations`); n != invitations {
		t.Errorf("%d invitations, want the %d there were", n, invitations)
	}
	for inv, status := range map[*invited.Invitation]invited.Status{declined: invited.StatusDeclined,
		revoked: invited.StatusRevoked, expired: invited.StatusExpired, youngDeclined: invited.StatusDeclined} {
		got, err := e.db.FindInvitationByID(e.admin, inv.ID)
		must(t, err)
		if got.Status != status || !got.CreatedAt.Equal(inv.CreatedAt) || got.OrgID != org.ID {
			t.Errorf("invitation %s: %s created %v, want %s created %v", inv.ID, got.Status, got.CreatedAt, status, inv.CreatedAt)
		}
	}
	// The letter telling the requester of the decision is a message like
	// any other, kept as long as messages are: the request keeps nothing.
	if n := e.count(`SELECT COUNT(*) FROM join_requests WHERE decision_note <> '' OR message <> ''`); n != 0 {
		t.Errorf("%d join requests keep their words", n)
	}
	_, err = e.db.RenewInvitation(e.admin, expired.ID, invited.Renewal{})
	wantCode(t, err, invited.EINVALIDSTATE)
	if got, _ := e.retain(invited.Retention{EndedInvitations: invited.Duration(90 * day)}, 1000); len(got) != 0 {
		t.Errorf("second pass counted %v: a cleared row is cleared again", got)
	}
}

// testRetentionOverride: an organization's own retention wins over the
// system's, longer or shorter, and a part it leaves unset takes the
// system's.
func testRetentionOverride(t *testing.T, e *env) {
	shorter := e.org(&invited.OrgSettingsPatch{Retention: &invited.RetentionPatch{Messages: dur(10 * day)}})
	longer := e.org(&invited.OrgSettingsPatch{Retention: &invited.RetentionPatch{Messages: dur(60 * day)}})
	unset := e.org(&invited.OrgSettingsPatch{Retention: &invited.RetentionPatch{AuditEvents: dur(400 * day)}})
	msgs := map[string]string{}
	for _, o := range []*invited.Organization{shorter, longer, unset} {
		msgs[o.ID] = e.delivered(o.ID)
	}
	e.clock.Advance(15 * day)
	e.retain(invited.Retention{Messages: invited.Duration(30 * day)}, 1000)
	e.clock.Advance(20 * day) // 35 days
	e.retain(invited.Retention{Messages: invited.Duration(30 * day)}, 1000)
	for org, want := range map[string]int{shorter.ID: 0, longer.ID: 1, unset.ID: 0} {
		if n := e.count(`SELECT COUNT(*) FROM messages WHERE id = ?`, msgs[org]); n != want {
			t.Errorf("message of %s: %d, want %d", org, n, want)
		}
	}
	events := e.retentionEvents()
	if len(events) != 2 || events[1].Details["messages"] != 1 || events[0].Details["messages"] != 1 {
		t.Errorf("retention events %+v: want one per pass, the 10-day one's, then the default's", events)
	}
}

// testRetentionBatches: a pass removes everything due, over as many
// batches as it takes.
func testRetentionBatches(t *testing.T, e *env) {
	org := e.org(nil)
	for range 25 {
		e.delivered(org.ID)
	}
	e.clock.Advance(31 * day)
	got, batches := e.retain(invited.Retention{Messages: invited.Duration(30 * day)}, 10)
	if got[invited.RetainMessages] != 25 || !slices.Equal(batches, []int{10, 10, 5}) {
		t.Fatalf("pass counted %v in batches %v, want 25 in 10, 10, 5", got, batches)
	}
	if n := e.count(`SELECT COUNT(*) FROM messages WHERE status <> 'pending'`); n != 0 {
		t.Errorf("%d finished messages remain", n)
	}
}
