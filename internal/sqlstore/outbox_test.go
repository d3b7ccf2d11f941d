package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/invitedhq/invited"
)

// The outbox and webhook cases of the contract suite (contract_test.go).

// lease is the claim lease of these tests.
const lease = time.Minute

// claim claims every due message for the dispatcher.
func (e *env) claim() []*invited.Message {
	e.t.Helper()
	msgs, err := e.db.ClaimMessages(context.Background(), 100, lease)
	if err != nil {
		e.t.Fatal(err)
	}
	return msgs
}

// kinds lists the channel and kind of msgs, for comparing and printing.
func kinds(msgs []*invited.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Channel + ":" + m.Kind
	}
	slices.Sort(out)
	return out
}

// record records one attempt at a claimed message.
func (e *env) record(id string, a invited.Attempt, retryAt time.Time) error {
	return e.db.RecordAttempts(context.Background(), []invited.Outcome{{MessageID: id, Attempt: a, RetryAt: retryAt}})
}

// opens fails unless token opens invitation id.
func (e *env) opens(token, id string) {
	e.t.Helper()
	inv, _, err := e.db.OpenInvitationLink(context.Background(), token)
	if err != nil || inv.ID != id {
		e.t.Fatalf("the link %q opens %v, %v; want %s", token, inv, err, id)
	}
}

// newLink fails unless m carries a link of invitation id unlike any of
// before, and that link opens it. It returns before with the link added.
func (e *env) newLink(m *invited.Message, id string, before ...string) []string {
	e.t.Helper()
	if m.Token == "" || slices.Contains(before, m.Token) {
		e.t.Fatalf("message %s carries the link %q, want a new one (not one of %q)", m.ID, m.Token, before)
	}
	e.opens(m.Token, id)
	return append(before, m.Token)
}

func testOutboxDelivery(t *testing.T, e *env) {
	org := e.org(nil)
	inv, token := e.invite(e.admin, org.ID, invited.InvitationCreate{Email: "ann@example.com", FirstName: "Ann",
		Roles: []string{"member"}, Message: "Welcome", ExpiresIn: dur(72 * time.Hour)})

	// The letter is due now; its reminder (24h before expiry) later.
	msgs := e.claim()
	if len(msgs) != 1 {
		t.Fatalf("claimed %v", kinds(msgs))
	}
	m := msgs[0]
	want := &invited.Letter{Kind: invited.KindInvitation, To: "ann@example.com", ToName: "Ann", Organization: org.Name,
		Roles: []string{"member"}, Message: "Welcome", ExpiresAt: inv.ExpiresAt}
	if m.Channel != invited.ChannelEmail || m.InvitationID != inv.ID || m.OrgID != org.ID || !equalJSON(m.Letter, want) {
		t.Fatalf("claimed %+v, letter %+v", m, m.Letter)
	}
	// The letter's link is its own, minted at the claim, and so is that of
	// every claim after it; each opens the invitation.
	links := e.newLink(m, inv.ID, token)
	// Leased: nobody claims it again until the lease passes...
	if again := e.claim(); len(again) != 0 {
		t.Fatalf("claimed twice: %v", kinds(again))
	}
	// ...and then someone does, as when a dispatcher died mid-delivery.
	e.clock.Advance(lease)
	again := e.claim()
	if len(again) != 1 || again[0].ID != m.ID {
		t.Fatalf("after the lease: %v", kinds(again))
	}
	links = e.newLink(again[0], inv.ID, links...)

	// A failed attempt makes it due at the retry time; a success delivers
	// it.
	retry := e.clock.Now().Add(30 * time.Second)
	must(t, e.record(m.ID, invited.Attempt{At: e.clock.Now(), DurationMS: 12, Error: "451 try later"}, retry))
	if again := e.claim(); len(again) != 0 {
		t.Fatalf("claimed before the retry time: %v", kinds(again))
	}
	e.clock.Advance(30 * time.Second)
	if again = e.claim(); len(again) != 1 || again[0].AttemptCount != 1 {
		t.Fatalf("retry: %v", kinds(again))
	}
	links = e.newLink(again[0], inv.ID, links...)
	must(t, e.record(m.ID, invited.Attempt{At: e.clock.Now(), DurationMS: 7}, time.Time{}))
	got, err := e.db.FindMessageByID(e.admin, m.ID)
	must(t, err)
	if got.Status != invited.MessageDelivered || got.AttemptCount != 2 || got.DeliveredAt == nil || got.NextAttemptAt != nil ||
		len(got.Attempts) != 2 || got.Attempts[0].Error != "451 try later" || got.Attempts[1].Error != "" || got.Attempts[1].DurationMS != 7 {
		t.Fatalf("delivered: %+v", got)
	}
	// Recording again (a late duplicate after a lease ran out) changes
	// nothing.
	must(t, e.record(m.ID, invited.Attempt{At: e.clock.Now(), Error: "late"}, time.Time{}))
	if again, err := e.db.FindMessageByID(e.admin, m.ID); err != nil || again.Status != invited.MessageDelivered || len(again.Attempts) != 2 {
		t.Fatalf("after a late record: %+v %v", again, err)
	}

	// The reminder comes due 24h before expiry, with a link of its own.
	e.clock.Advance(48*time.Hour - 91*time.Second)
	if due := e.claim(); len(due) != 0 {
		t.Fatalf("reminder early: %v", kinds(due))
	}
	e.clock.Advance(time.Second)
	due := e.claim()
	if len(due) != 1 || due[0].Kind != invited.KindReminder {
		t.Fatalf("reminder: %v", kinds(due))
	}
	links = e.newLink(due[0], inv.ID, links...)
	// Giving up marks it dead.
	must(t, e.record(due[0].ID, invited.Attempt{At: e.clock.Now(), Error: "550 no such user"}, time.Time{}))
	dead, err := e.db.FindMessageByID(e.admin, due[0].ID)
	must(t, err)
	if dead.Status != invited.MessageDead || dead.LastError != "550 no such user" {
		t.Fatalf("dead: %+v", dead)
	}
	// Every link is a hash among the invitation's, and no more.
	if n := e.count(`SELECT COUNT(*) FROM invitation_tokens WHERE invitation_id = ?`, inv.ID); n != len(links) {
		t.Fatalf("%d links stored, want %d", n, len(links))
	}
	pending, err := e.db.PendingMessages(context.Background())
	must(t, err)
	if len(pending) != 0 {
		t.Fatalf("pending %v", pending)
	}
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// testOutboxStaleLinks: a letter of an invitation that is no longer pending,
// or that was resent, is not sent, and gets no link.
func testOutboxStaleLinks(t *testing.T, e *env) {
	org := e.org(nil)
	resent, _ := e.invite(e.admin, org.ID, invited.InvitationCreate{Email: "a@example.com", Roles: []string{"member"}})
	revoked, _ := e.invite(e.admin, org.ID, invited.InvitationCreate{Email: "b@example.com", Roles: []string{"member"}})
	overdue, _ := e.invite(e.admin, org.ID, invited.InvitationCreate{Email: "c@example.com", Roles: []string{"member"}, ExpiresIn: dur(time.Hour)})
	e.clock.Advance(invited.ResendInterval)
	_, fresh, err := e.db.ResendInvitation(e.admin, resent.ID)
	must(t, err)
	_, err = e.db.RevokeInvitation(e.admin, revoked.ID)
	must(t, err)
	e.clock.Advance(time.Hour - invited.ResendInterval)

	msgs := e.claim()
	if len(msgs) != 1 || msgs[0].Kind != invited.KindResend {
		t.Fatalf("claimed %v", kinds(msgs))
	}
	e.newLink(msgs[0], resent.ID, fresh)
	var cancelled int
	for _, l := range e.letters() {
		if l.status == invited.MessageCancelled {
			cancelled++
		}
	}
	if cancelled != 4 {
		t.Fatalf("%d cancelled, want the first letter and reminder of the resent one, the revoked one's letter and the overdue one's (%s): %+v",
			cancelled, overdue.ID, e.letters())
	}
	// None of them minted a link: each has only its create's, the resent
	// one its resend's and its letter's.
	for id, want := range map[string]int{resent.ID: 2, revoked.ID: 1, overdue.ID: 1} {
		if n := e.count(`SELECT COUNT(*) FROM invitation_tokens WHERE invitation_id = ?`, id); n != want {
			t.Errorf("%s: %d links, want %d", id, n, want)
		}
	}
}

func testReminderReschedule(t *testing.T, e *env) {
	org := e.org(nil)
	inv, _ := e.invite(e.admin, org.ID, invited.InvitationCreate{Email: "a@example.com", Roles: []string{"member"}, ExpiresIn: dur(72 * time.Hour)})
	first := e.claim()
	must(t, e.record(first[0].ID, invited.Attempt{At: e.clock.Now()}, time.Time{}))
	// Renewing moves the reminder to 24h before the new expiry.
	_, err := e.db.RenewInvitation(e.admin, inv.ID, invited.Renewal{ExpiresIn: dur(96 * time.Hour)})
	must(t, err)
	e.clock.Advance(48 * time.Hour)
	if due := e.claim(); len(due) != 0 {
		t.Fatalf("reminder at its old time: %v", kinds(due))
	}
	e.clock.Advance(24 * time.Hour)
	due := e.claim()
	if len(due) != 1 || due[0].Kind != invited.KindReminder {
		t.Fatalf("rescheduled reminder: %v", kinds(due))
	}
	must(t, e.record(due[0].ID, invited.Attempt{At: e.clock.Now()}, time.Time{}))

	// A renewal too short for a reminder cancels it; a short invitation
	// gets none at all.
	short, _ := e.invite(e.admin, org.ID, invited.InvitationCreate{Email: "b@example.com", Roles: []string{"member"}, ExpiresIn: dur(72 * time.Hour)})
	_, err = e.db.RenewInvitation(e.admin, short.ID, invited.Renewal{ExpiresIn: dur(time.Hour)})
	must(t, err)
	e.invite(e.admin, org.ID, invited.InvitationCreate{Email: "c@example.com", Roles: []string{"member"}, ExpiresIn: dur(30 * time.Hour)})
	if n := e.count(`SELECT COUNT(*) FROM messages WHERE kind = 'reminder' AND status = 'pending'`); n != 0 {
		t.Fatalf("%d reminders pending", n)
	}
}

func testResendDailyLimit(t *testing.T, e *env) {
	org := e.org(nil)
	inv, _ := e.invite(e.admin, org.ID, invited.InvitationCreate{Email: "a@example.com", Roles: []string{"member"}, ExpiresIn: dur(72 * time.Hour)})
	start := e.clock.Now()
	for i := range invited.ResendsPerDay {
		e.clock.Advance(invited.ResendInterval)
		if _, _, err := e.db.ResendInvitation(e.admin, inv.ID); err != nil {
			t.Fatalf("resend %d: %v", i+1, err)
		}
	}
	e.clock.Advance(invited.ResendInterval)
	_, _, err := e.db.ResendInvitation(e.admin, inv.ID)
	// The first resend leaves the window 24h after it was made.
	wait := start.Add(invited.ResendInterval + 24*time.Hour).Sub(e.clock.Now())
	if e := wantCode(t, err, invited.ERATELIMITED); e.RetryAfterSeconds != int(wait.Seconds()) {
		t.Fatalf("retry after %d, want %v", e.RetryAfterSeconds, wait)
	}
	e.clock.Advance(wait)
	_, _, err = e.db.ResendInvitation(e.admin, inv.ID)
	must(t, err)
}

// webhookBody is what a webhook delivery carries.
type webhookBody struct {
	Type      string          `json:"type"`
	Timestamp time.Time       `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
}

func testWebhookFanOut(t *testing.T, e *env) {
	acme, owner := e.orgWithOwner(nil)
	globex := e.org(nil)
	all, err := e.db.CreateWebhook(owner, invited.WebhookCreate{OrgID: acme.ID, URL: "https://hooks.acme.test/all"})
	must(t, err)
	accepts, err := e.db.CreateWebhook(owner, invited.WebhookCreate{OrgID: acme.ID, URL: "https://hooks.acme.test/accepts",
		Events: []string{invited.EventInvitationAccepted, invited.EventMembershipCreated}})
	must(t, err)
	system, err := e.db.CreateWebhook(e.admin, invited.WebhookCreate{URL: "https://ops.test/hook", Events: []string{invited.EventInvitationCreated}})
	must(t, err)
	if all.Secret == "" || system.OrgID != "" || !slices.Equal(all.Events, []string{}) {
		t.Fatalf("created %+v %+v", all, system)
	}
	// Only an admin makes a system-wide endpoint; another tenant's manager
	// cannot make one for Acme.
	_, err = e.db.CreateWebhook(owner, invited.WebhookCreate{URL: "https://x.test"})
	wantCode(t, err, invited.EFORBIDDEN)
	globexOwner, _ := e.member(globex.ID, invited.RoleMember)
	_, err = e.db.CreateWebhook(globexOwner, invited.WebhookCreate{OrgID: acme.ID, URL: "https://x.test"})
	wantCode(t, err, invited.ENOTFOUND)
	_, err = e.db.CreateWebhook(owner, invited.WebhookCreate{OrgID: acme.ID, URL: "ftp://x.test", Events: []string{"invitation.exploded"}})
	if e := wantCode(t, err, invited.EINVALID); e.Fields["url"] == "" || e.Fields["events"] == "" {
		t.Fatalf("fields %v", e.Fields)
	}
	e.claim() // what the setup sent

	inv, token := e.invite(owner, acme.ID, invited.InvitationCreate{Email: "ann@example.com", Roles: []string{"member"}})
	e.invite(e.admin, globex.ID, invited.InvitationCreate{Email: "bob@example.com", Roles: []string{"member"}})
	_, err = e.db.AcceptInvitation(e.admin, token, invited.Acceptor{ExternalID: "ann", Email: "ann@example.com"})
	must(t, err)

	byHook := map[string][]string{}
	for _, m := range e.claim() {
		if m.Channel != invited.ChannelWebhook {
			continue
		}
		var body webhookBody
		must(t, json.Unmarshal(m.Payload, &body))
		var data struct {
			ID     string `json:"id"`
			OrgID  string `json:"org_id"`
			Status string `json:"status"`
		}
		must(t, json.Unmarshal(body.Data, &data))
		if body.Type != m.Kind || !body.Timestamp.Equal(e.clock.Now()) || m.Secret == "" ||
			(m.WebhookID != system.ID && data.OrgID != acme.ID) {
			t.Fatalf("delivery %+v body %+v data %+v", m, body, data)
		}
		if m.Kind == invited.EventInvitationAccepted && (data.ID != inv.ID || data.Status != string(invited.StatusAccepted)) {
			t.Fatalf("accepted payload %s", body.Data)
		}
		byHook[m.WebhookID] = append(byHook[m.WebhookID], m.Kind)
	}
	want := map[string][]string{
		all.ID:     {invited.EventInvitationAccepted, invited.EventInvitationCreated, invited.EventMembershipCreated},
		accepts.ID: {invited.EventInvitationAccepted, invited.EventMembershipCreated},
		system.ID:  {invited.EventInvitationCreated, invited.EventInvitationCreated}, // Acme's and Globex's
	}
	for id := range byHook {
		slices.Sort(byHook[id])
	}
	if fmt.Sprint(byHook) != fmt.Sprint(want) {
		t.Fatalf("deliveries %v, want %v", byHook, want)
	}

	// An organization's manager sees its endpoints and their deliveries,
	// not the system-wide ones.
	hooks, _, err := e.db.FindWebhooks(owner, invited.WebhookFilter{})
	must(t, err)
	if len(hooks) != 2 || hooks[0].Secret != "" {
		t.Fatalf("owner sees %+v", hooks)
	}
	msgs, _, err := e.db.FindMessages(owner, invited.MessageFilter{Channel: invited.ChannelWebhook})
	must(t, err)
	if len(msgs) != 5 {
		t.Fatalf("owner sees %d webhook messages", len(msgs))
	}
	_, _, err = e.db.FindMessages(owner, invited.MessageFilter{WebhookID: system.ID})
	wantCode(t, err, invited.ENOTFOUND)
	if _, err := e.db.FindWebhookByID(globexOwner, all.ID); invited.ErrorCode(err) != invited.ENOTFOUND {
		t.Fatalf("another tenant reads the endpoint: %v", err)
	}

	// Deleting an endpoint cancels its pending deliveries.
	e.invite(owner, acme.ID, invited.InvitationCreate{Email: "cy@example.com", Roles: []string{"member"}})
	must(t, e.db.DeleteWebhook(owner, all.ID))
	for _, m := range e.claim() {
		if m.WebhookID == all.ID {
			t.Fatalf("delivered to a deleted endpoint: %+v", m)
		}
	}
	if _, err := e.db.FindWebhookByID(owner, all.ID); invited.ErrorCode(err) != invited.ENOTFOUND {
		t.Fatalf("deleted endpoint: %v", err)
	}
}

func testMessageReplay(t *testing.T, e *env) {
	org, owner := e.orgWithOwner(nil)
	hook, err := e.db.CreateWebhook(owner, invited.WebhookCreate{OrgID: org.ID, URL: "https://hooks.test/", Events: []string{invited.EventInvitationRevoked}})
	must(t, err)
	e.claim()
	inv, _ := e.invite(owner, org.ID, invited.InvitationCreate{Email: "ann@example.com", Roles: []string{"member"}})
	letter := e.claim()[0]
	must(t, e.record(letter.ID, invited.Attempt{At: e.clock.Now()}, time.Time{}))
	_, err = e.db.RevokeInvitation(owner, inv.ID)
	must(t, err)
	delivery := e.claim()[0]
	if delivery.WebhookID != hook.ID {
		t.Fatalf("claimed %+v", delivery)
	}

	// Pending messages cannot be replayed; a dead one can, with its id.
	_, err = e.db.ReplayMessage(owner, delivery.ID)
	wantCode(t, err, invited.EINVALIDSTATE)
	must(t, e.record(delivery.ID, invited.Attempt{At: e.clock.Now(), Error: "HTTP 500"}, time.Time{}))
	replayed, err := e.db.ReplayMessage(owner, delivery.ID)
	must(t, err)
	if replayed.Status != invited.MessagePending || !replayed.DueAt.Equal(e.clock.Now()) {
		t.Fatalf("replayed %+v", replayed)
	}
	again := e.claim()
	if len(again) != 1 || again[0].ID != delivery.ID || !slices.Equal(again[0].Payload, delivery.Payload) {
		t.Fatalf("replay claimed %v", kinds(again))
	}
	// A delivered webhook message can be replayed too.
	must(t, e.record(delivery.ID, invited.Attempt{At: e.clock.Now()}, time.Time{}))
	_, err = e.db.ReplayMessage(owner, delivery.ID)
	must(t, err)

	// A delivered letter cannot be: resend is for that.
	_, err = e.db.ReplayMessage(owner, letter.ID)
	wantCode(t, err, invited.EINVALIDSTATE)
	// A dead letter can, while its invitation is pending, and gets a new
	// link when it is claimed; once the invitation is closed it cannot.
	pending, _ := e.invite(owner, org.ID, invited.InvitationCreate{Email: "bob@example.com", Roles: []string{"member"}})
	var bounced *invited.Message
	for _, m := range e.claim() {
		if m.InvitationID == pending.ID {
			bounced = m
		}
	}
	if bounced == nil {
		t.Fatal("no letter claimed")
	}
	links := e.newLink(bounced, pending.ID)
	must(t, e.record(bounced.ID, invited.Attempt{At: e.clock.Now(), Error: "550 mailbox full"}, time.Time{}))
	_, err = e.db.ReplayMessage(owner, bounced.ID)
	must(t, err)
	replayedLetter := e.claim()
	if len(replayedLetter) != 1 || replayedLetter[0].ID != bounced.ID {
		t.Fatalf("replay claimed %v", kinds(replayedLetter))
	}
	e.newLink(replayedLetter[0], pending.ID, links...)
	must(t, e.record(bounced.ID, invited.Attempt{At: e.clock.Now(), Error: "550 mailbox full"}, time.Time{}))
	_, err = e.db.RevokeInvitation(owner, pending.ID)
	must(t, err)
	_, err = e.db.ReplayMessage(owner, bounced.ID)
	wantCode(t, err, invited.EINVALIDSTATE)
	// Nobody else sees or replays them.
	other := e.org(nil)
	stranger, _ := e.member(other.ID, invited.RoleMember)
	_, err = e.db.ReplayMessage(stranger, delivery.ID)
	wantCode(t, err, invited.ENOTFOUND)
	_, err = e.db.FindMessageByID(stranger, delivery.ID)
	wantCode(t, err, invited.ENOTFOUND)
	events, _, err := e.db.FindAuditEvents(owner, invited.AuditFilter{Resource: invited.ResourceMessage})
	must(t, err)
	if len(events) != 3 || events[0].Action != "message.replayed" {
		t.Fatalf("audit %v", actions(events))
	}
}

// testConcurrentClaims: dispatchers claiming at once take disjoint batches.
func testConcurrentClaims(t *testing.T, e *env) {
	org := e.org(nil)
	const n = 120
	cs := make([]invited.InvitationCreate, n)
	for i := range cs {
		cs[i] = invited.InvitationCreate{Email: fmt.Sprintf("c%d@example.com", i), Roles: []string{"member"}, ExpiresIn: dur(time.Hour)}
	}
	_, err := e.db.CreateInvitations(e.admin, org.ID, cs)
	must(t, err)
	const dispatchers = 4
	claimed := make([][]string, dispatchers)
	errs := race(dispatchers, func(i int) error {
		for {
			msgs, err := e.db.ClaimMessages(context.Background(), 7, lease)
			if err != nil || len(msgs) == 0 {
				return err
			}
			for _, m := range msgs {
				claimed[i] = append(claimed[i], m.ID)
			}
		}
	})
	for _, err := range errs {
		must(t, err)
	}
	var all []string
	for _, ids := range claimed {
		all = append(all, ids...)
	}
	slices.Sort(all)
	if len(all) != n || len(slices.Compact(all)) != n {
		t.Fatalf("claimed %d messages (%d distinct), want %d once each", len(all), len(slices.Compact(all)), n)
	}

	// A pass's outcomes are recorded together, successes and failures.
	outcomes := make([]invited.Outcome, n)
	for i, id := range all {
		outcomes[i] = invited.Outcome{MessageID: id, Attempt: invited.Attempt{At: e.clock.Now(), DurationMS: int64(i)}}
	}
	outcomes[0].Attempt.Error, outcomes[0].RetryAt = "421 busy", e.clock.Now().Add(time.Minute)
	outcomes[1].Attempt.Error = "550 unknown user"
	must(t, e.db.RecordAttempts(context.Background(), outcomes))
	for status, want := range map[string]int{"delivered": n - 2, "pending": 1, "dead": 1} {
		if got := e.count(`SELECT COUNT(*) FROM messages WHERE status = ?`, status); got != want {
			t.Errorf("%d %s, want %d", got, status, want)
		}
	}
	if got := e.count(`SELECT COUNT(*) FROM message_attempts WHERE attempt = 1`); got != n {
		t.Errorf("%d attempts recorded, want %d", got, n)
	}
	// One link per answer, one per claimed letter.
	if got := e.count(`SELECT COUNT(*) FROM invitation_tokens`); got != 2*n {
		t.Errorf("%d links stored, want %d", got, 2*n)
	}
}

// testClaimRace races dispatchers claiming letters, which mint their links
// (a row that refers to the invitation), with resends and renews, which
// hold the invitation and change its letters. On PostgreSQL the two meet
// on both rows; neither may deadlock or fail, and a letter cancelled by a
// resend is never sent with a link that outlives it.
func testClaimRace(t *testing.T, e *env) {
	org := e.org(nil)
	const n = 24
	invs := make([]*invited.Invitation, n)
	for i := range invs {
		invs[i], _ = e.invite(e.admin, org.ID, invited.InvitationCreate{Email: fmt.Sprintf("race%d@example.com", i), Roles: []string{"member"},
			ExpiresIn: dur(72 * time.Hour)})
	}
	e.clock.Advance(invited.ResendInterval)
	// The reminders are due too, so that renews meet claimed rows.
	must(t, e.db.writeTx(context.Background(), func(tx *Tx) error {
		_, err := tx.exec(context.Background(), `UPDATE messages SET next_attempt_at = ? WHERE status = 'pending'`, ms(tx.now))
		return err
	}))
	var mu sync.Mutex
	var sent []*invited.Message
	errs := race(n+2, func(i int) error {
		if i >= n {
			for {
				msgs, err := e.db.ClaimMessages(context.Background(), 5, lease)
				if err != nil || len(msgs) == 0 {
					return err
				}
				mu.Lock()
				sent = append(sent, msgs...)
				mu.Unlock()
			}
		}
		if i%2 == 0 {
			_, _, err := e.db.ResendInvitation(e.admin, invs[i].ID)
			return err
		}
		_, err := e.db.RenewInvitation(e.admin, invs[i].ID, invited.Renewal{ExpiresIn: dur(96 * time.Hour)})
		return err
	})
	for _, err := range errs {
		must(t, err)
	}
	// Every link sent opens its invitation unless a resend came after it,
	// in which case the resend's own letter is still to be sent or was.
	for _, m := range sent {
		if !m.CarriesLink() {
			continue
		}
		inv, _, err := e.db.OpenInvitationLink(context.Background(), m.Token)
		switch {
		case err == nil && inv.ID != m.InvitationID:
			t.Fatalf("the link of %s opens %s", m.ID, inv.ID)
		case err != nil && !isNotFound(err):
			t.Fatal(err)
		case err != nil && m.Kind == invited.KindResend:
			t.Fatalf("the resend's own letter %s carries a dead link", m.ID)
		}
	}
}
