package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/internal/tracing"
)

// The outbox: every change that must tell someone writes its messages in
// its own transaction (tx.enqueue), so that a change and its messages
// commit or roll back together. The dispatcher (internal/jobs) claims due
// messages with a lease, delivers them, and records each attempt.

var messageColumnNames = []string{"id", "org_id", "channel", "kind", "recipient", "invitation_id", "webhook_id",
	"status", "letter", "payload", "attempt_count", "last_error", "due_at", "next_attempt_at", "created_at",
	"updated_at", "delivered_at", "trace_parent"}

// messageColumns lists the columns of messages, each qualified by table.
func messageColumns(table string) string {
	return table + "." + strings.Join(messageColumnNames, ", "+table+".")
}

func scanMessage(s scanner) (*invited.Message, error) {
	m := &invited.Message{}
	var payload string
	err := s.Scan(&m.ID, textCol{&m.OrgID}, &m.Channel, &m.Kind, &m.To, textCol{&m.InvitationID}, textCol{&m.WebhookID},
		&m.Status, jsonCol{&m.Letter}, textCol{&payload}, &m.AttemptCount, &m.LastError,
		timeCol{&m.DueAt}, nullTimeCol{&m.NextAttemptAt}, timeCol{&m.CreatedAt}, timeCol{&m.UpdatedAt},
		nullTimeCol{&m.DeliveredAt}, textCol{&m.TraceParent})
	if payload != "" {
		m.Payload = json.RawMessage(payload)
	}
	return m, err
}

// newMessage returns a pending message for channel, due at due.
func (tx *Tx) newMessage(channel, kind, orgID, to string, due time.Time) *invited.Message {
	return &invited.Message{ID: invited.NewID(invited.PrefixMessage, tx.now), OrgID: orgID, Channel: channel,
		Kind: kind, To: to, Status: invited.MessagePending, DueAt: due, NextAttemptAt: &due,
		CreatedAt: tx.now, UpdatedAt: tx.now}
}

// messageChunk bounds the rows of one multi-row insert of messages.
const messageChunk = 200

// enqueue stores msgs in the transaction and, once it commits, wakes the
// dispatcher.
func (tx *Tx) enqueue(ctx context.Context, msgs []*invited.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	const row = `(?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?)`
	// The delivery's span links to the request's (internal/jobs).
	var traceParent any
	if tx.db.tracer != nil {
		traceParent = nullText(tracing.Traceparent(ctx))
	}
	for rest := msgs; len(rest) > 0; {
		n := min(len(rest), messageChunk)
		args := make([]any, 0, 14*n)
		for _, m := range rest[:n] {
			var letter, payload any
			if m.Letter != nil {
				letter = jsonText(m.Letter)
			}
			if m.Payload != nil {
				payload = string(m.Payload)
			}
			args = append(args, m.ID, nullText(m.OrgID), m.Channel, m.Kind, m.To, nullText(m.InvitationID),
				nullText(m.WebhookID), letter, payload, ms(m.DueAt), ms(*m.NextAttemptAt),
				ms(m.CreatedAt), ms(m.UpdatedAt), traceParent)
		}
		err := tx.hold(ctx, `INSERT INTO messages (id, org_id, channel, kind, recipient, invitation_id, webhook_id,
	status, letter, payload, due_at, next_attempt_at, created_at, updated_at, trace_parent) VALUES `+
			strings.Repeat(row+", ", n-1)+row, args...)
		if err != nil {
			return err
		}
		rest = rest[n:]
	}
	tx.wakeDispatcher()
	return nil
}

// wakeDispatcher tells the dispatcher, once the transaction commits, that
// messages are due.
func (tx *Tx) wakeDispatcher() {
	if tx.db.enqueued != nil {
		tx.onCommit(tx.db.enqueued)
	}
}

// linkLetters returns the letter of kind that takes a link of inv to the
// invitee, and the reminder that follows it, if any. Neither holds the
// link: each gets its own when it is claimed for delivery (ClaimMessages).
// An invitation without a channel (to a user id, for the host application
// to tell) gets none.
func (tx *Tx) linkLetters(ctx context.Context, inv *invited.Invitation, org *invited.Organization, kind string) ([]*invited.Message, error) {
	var to string
	switch {
	case inv.Channel == invited.ChannelSMS:
		to = inv.Phone
	case inv.Channel == invited.ChannelEmail && inv.Email != "":
		to = inv.Email
	case inv.Channel == invited.ChannelEmail:
		err := tx.queryRow(ctx, `SELECT email FROM users WHERE id = ?`, inv.UserID).Scan(textCol{&to})
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
	}
	if to == "" {
		return nil, nil
	}
	letter := func(kind string, due time.Time) *invited.Message {
		m := tx.newMessage(inv.Channel, kind, inv.OrgID, to, due)
		m.InvitationID, m.Letter = inv.ID, inv.InviteeLetter(kind, to, org)
		return m
	}
	msgs := []*invited.Message{letter(kind, tx.now)}
	if at, ok := invited.ReminderAt(tx.db.reminderBefore, tx.now, inv.ExpiresAt); ok {
		msgs = append(msgs, letter(invited.KindReminder, at))
	}
	return msgs, nil
}

// rescheduleReminder moves the pending reminder of inv to suit its new
// expiry, or cancels it when there is no longer room for one.
func (tx *Tx) rescheduleReminder(ctx context.Context, inv *invited.Invitation) error {
	const match = ` WHERE invitation_id = ? AND status = 'pending' AND kind = 'reminder'`
	if at, ok := invited.ReminderAt(tx.db.reminderBefore, tx.now, inv.ExpiresAt); ok {
		_, err := tx.exec(ctx, `UPDATE messages SET due_at = ?, next_attempt_at = ?, updated_at = ?`+match,
			ms(at), ms(at), ms(tx.now), inv.ID)
		return err
	}
	return tx.cancelLetters(ctx, inv.ID, invited.KindReminder)
}

// cancelLettersQuery cancels the pending letters of invitation id of the
// kinds; its first argument is now.
func cancelLettersQuery(now time.Time, id string, kinds []string) (string, []any) {
	var w where
	w.add("invitation_id = ?", id)
	w.add("status = 'pending'")
	w.add("channel <> 'webhook'")
	w.in("kind", kinds)
	return cancelMessagesSQL + w.String(), append([]any{ms(now)}, w.args...)
}

// cancelMessagesSQL cancels the messages of the WHERE clause appended to
// it; its first argument is now.
const cancelMessagesSQL = `UPDATE messages SET status = 'cancelled', next_attempt_at = NULL, updated_at = ?`

// cancelLetters cancels the pending letters of invitation id of the kinds.
func (tx *Tx) cancelLetters(ctx context.Context, id string, kinds ...string) error {
	q, args := cancelLettersQuery(tx.now, id, kinds)
	_, err := tx.exec(ctx, q, args...)
	return err
}

// endpoint is a webhook endpoint as events are fanned out to it.
type endpoint struct {
	id, orgID, url string
	events         []string
}

// wants reports whether the endpoint receives event.
func (e endpoint) wants(event string) bool { return (&invited.Webhook{Events: e.events}).Wants(event) }

// endpoints returns the live endpoints that hear of orgIDs: their own and
// the system-wide ones. They are read once per transaction and set of
// organizations: an accept announces two events to the same ones.
func (tx *Tx) endpoints(ctx context.Context, orgIDs []string) ([]endpoint, error) {
	key := strings.Join(orgIDs, ",")
	if eps, ok := tx.endpointsOf[key]; ok {
		return eps, nil
	}
	eps, err := tx.readEndpoints(ctx, orgIDs)
	if err != nil {
		return nil, err
	}
	if tx.endpointsOf == nil {
		tx.endpointsOf = map[string][]endpoint{}
	}
	tx.endpointsOf[key] = eps
	return eps, nil
}

func (tx *Tx) readEndpoints(ctx context.Context, orgIDs []string) ([]endpoint, error) {
	var w where
	w.add("deleted_at IS NULL")
	var ors where
	ors.add("org_id IS NULL")
	if len(orgIDs) > 0 {
		ors.in("org_id", orgIDs)
	}
	w.add(ors.join("OR"), ors.args...)
	// Endpoints are never a held write: the read goes with those held.
	rows, err := tx.queryBeside(ctx, `SELECT id, org_id, url, events FROM webhooks`+w.String(), w.args...)
	return scanList(rows, err, func(s scanner) (e endpoint, err error) {
		return e, s.Scan(&e.id, textCol{&e.orgID}, &e.url, jsonCol{&e.events})
	})
}

// announce fans event out to the webhook endpoints that want it, one
// message per endpoint and change. The body is fixed now, so that every
// attempt signs the same bytes.
func (tx *Tx) announce(ctx context.Context, event string, changes []target) error {
	if len(changes) == 0 {
		return nil
	}
	var orgIDs []string
	for _, c := range changes {
		if !slices.Contains(orgIDs, c.orgID) {
			orgIDs = append(orgIDs, c.orgID)
		}
	}
	eps, err := tx.endpoints(ctx, orgIDs)
	if err != nil {
		return err
	}
	var msgs []*invited.Message
	for _, c := range changes {
		var payload []byte
		for _, ep := range eps {
			if (ep.orgID != "" && ep.orgID != c.orgID) || !ep.wants(event) {
				continue
			}
			if payload == nil {
				if payload, err = json.Marshal(invited.WebhookPayload{Type: event, Timestamp: tx.now, Data: c.data}); err != nil {
					return err
				}
			}
			// A system-wide endpoint's deliveries are the system's: an
			// organization's managers must not see where they go.
			m := tx.newMessage(invited.ChannelWebhook, event, ep.orgID, ep.url, tx.now)
			m.WebhookID, m.Payload = ep.id, payload
			msgs = append(msgs, m)
		}
	}
	return tx.enqueue(ctx, msgs)
}

// record writes the audit events of action on changes and announces them
// to webhooks when action is an event they can hear of.
func (tx *Tx) record(ctx context.Context, action, resource string, changes ...target) error {
	if err := tx.auditAll(ctx, action, resource, changes); err != nil {
		return err
	}
	if !slices.Contains(invited.WebhookEvents, action) {
		return nil
	}
	return tx.announce(ctx, action, changes)
}

// claimMessagesSQL leases a batch of due messages: its arguments are now,
// the batch size, the end of the lease and now again. As in expireDueSQL,
// concurrent dispatchers skip each other's rows and the batch is a
// materialized CTE.
func claimMessagesSQL(d dialect) string {
	return `WITH due AS MATERIALIZED (SELECT id FROM messages WHERE status = 'pending' AND next_attempt_at <= ?
	ORDER BY next_attempt_at LIMIT ?` + d.lock("FOR UPDATE SKIP LOCKED") + `)
UPDATE messages SET next_attempt_at = ?, updated_at = ? FROM due WHERE messages.id = due.id AND messages.status = 'pending'
RETURNING ` + messageColumns("messages")
}

// ClaimMessages leases up to limit due messages. A letter that carries a
// link gets a new one: its token is minted here, its hash stored among the
// invitation's links in this transaction, and the plaintext exists only in
// the message returned (Token), never in the database. A letter whose
// invitation is no longer pending (accepted, revoked, declined or
// expired; a resend cancels the letters of the old link itself), and a
// delivery to a deleted endpoint, is cancelled instead of returned.
//
// A letter claimed again, after a failed attempt or when a dispatcher died
// with its lease, gets another link each time; the ones before keep
// working while the invitation is pending, since the attempt may have
// reached the invitee after all. So an invitation has at most one link per
// claim of each of its letters, a number the retry schedule and the
// delivery horizon bound.
//
// A join confirmation letter gets a new confirmation link the same way
// (mintConfirmation), or is cancelled once its confirmation was used or
// has expired.
func (db *DB) ClaimMessages(ctx context.Context, limit int, lease time.Duration) ([]*invited.Message, error) {
	var claimed []*invited.Message
	err := db.writeTx(ctx, func(tx *Tx) error {
		msgs, err := queryList(ctx, tx, scanMessage, claimMessagesSQL(db.dialect), ms(tx.now), limit,
			ms(tx.now.Add(lease)), ms(tx.now))
		if err != nil || len(msgs) == 0 {
			return err
		}
		pending, err := tx.pendingInvitations(ctx, msgs)
		if err != nil {
			return err
		}
		secrets, err := tx.webhookSecrets(ctx, msgs)
		if err != nil {
			return err
		}
		var cancel []string
		links := map[string]string{} // the new links, by token
		for _, m := range msgs {
			switch {
			case m.Kind == invited.KindJoinConfirmation:
				minted, err := tx.mintConfirmation(ctx, m)
				if err != nil {
					return err
				}
				if !minted {
					cancel = append(cancel, m.ID)
					break
				}
				claimed = append(claimed, m)
			case m.CarriesLink() && !pending[m.InvitationID]:
				cancel = append(cancel, m.ID)
			case m.WebhookID != "" && secrets[m.WebhookID] == "":
				cancel = append(cancel, m.ID)
			case m.WebhookID != "" && secrets[m.WebhookID] == unopened:
				// Held back, not cancelled: when its lease has passed it is
				// claimed again, and goes once the key is configured.
			default:
				if m.CarriesLink() {
					m.Token = newToken()
					links[m.Token] = m.InvitationID
				}
				m.Secret = secrets[m.WebhookID]
				claimed = append(claimed, m)
			}
		}
		if err := tx.addLinks(ctx, links); err != nil {
			return err
		}
		if len(cancel) == 0 {
			return nil
		}
		var w where
		w.in("id", cancel)
		_, err = tx.exec(ctx, cancelMessagesSQL+w.String(), append([]any{ms(tx.now)}, w.args...)...)
		return err
	})
	return claimed, err
}

// pendingInvitationsQuery reads the status and expiry of invitations ids.
func pendingInvitationsQuery(ids []string) (string, []any) {
	var w where
	w.in("id", ids)
	return `SELECT id, status, expires_at FROM invitations` + w.String(), w.args
}

// pendingInvitations says which of the invitations msgs carry links of are
// pending, as of now.
func (tx *Tx) pendingInvitations(ctx context.Context, msgs []*invited.Message) (map[string]bool, error) {
	ids := distinct(msgs, func(m *invited.Message) string {
		if !m.CarriesLink() {
			return ""
		}
		return m.InvitationID
	})
	pending := map[string]bool{}
	if len(ids) == 0 {
		return pending, nil
	}
	q, args := pendingInvitationsQuery(ids)
	invs, err := queryList(ctx, tx, func(s scanner) (inv invited.Invitation, err error) {
		return inv, s.Scan(&inv.ID, &inv.Status, timeCol{&inv.ExpiresAt})
	}, q, args...)
	if err != nil {
		return nil, err
	}
	for _, inv := range invs {
		pending[inv.ID] = inv.StatusAt(tx.now) == invited.StatusPending
	}
	return pending, nil
}

// distinct returns the distinct non-empty values of key over msgs.
func distinct(msgs []*invited.Message, key func(*invited.Message) string) []string {
	var out []string
	for _, m := range msgs {
		if k := key(m); k != "" && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// unopened marks, among webhookSecrets, an endpoint whose secret is sealed
// under an encryption key that is not configured.
const unopened = "\x00unopened"

// webhookSecrets returns the signing secrets of the live endpoints msgs go
// to, by endpoint id, or unopened for a secret that does not open.
func (tx *Tx) webhookSecrets(ctx context.Context, msgs []*invited.Message) (map[string]string, error) {
	ids := distinct(msgs, func(m *invited.Message) string { return m.WebhookID })
	secrets := map[string]string{}
	if len(ids) == 0 {
		return secrets, nil
	}
	var w where
	w.in("id", ids)
	w.add("deleted_at IS NULL")
	type row struct {
		id, sealed string
		plain      []byte
	}
	rows, err := queryList(ctx, tx, func(s scanner) (r row, err error) {
		return r, s.Scan(&r.id, &r.plain, textCol{&r.sealed})
	}, `SELECT id, secret, secret_sealed FROM webhooks`+w.String(), w.args...)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		secret, err := tx.db.load(webhookSecretColumn, r.id, r.plain, r.sealed)
		if err != nil {
			tx.db.logger.ErrorContext(ctx, "webhook deliveries held back", "webhook_id", r.id, "err", err)
			secrets[r.id] = unopened
			continue
		}
		secrets[r.id] = string(secret)
	}
	return secrets, nil
}

// recordFailedSQL records a failed attempt: the message is due again at
// the retry time, or dead (status and retry time NULL).
const recordFailedSQL = `UPDATE messages SET status = ?, attempt_count = attempt_count + 1, last_error = ?,
	next_attempt_at = ?, updated_at = ? WHERE id = ? AND status = 'pending' RETURNING attempt_count`

// RecordAttempts records the outcomes of a dispatcher's pass in one
// transaction: the delivered messages in one statement, each failed one in
// its own, and every attempt in one multi-row insert. A
// message that is no longer pending (its endpoint was deleted meanwhile)
// keeps its status and gets no attempt.
func (db *DB) RecordAttempts(ctx context.Context, outcomes []invited.Outcome) error {
	return db.writeTx(ctx, func(tx *Tx) error {
		byID := make(map[string]invited.Outcome, len(outcomes))
		var delivered where
		var ids []string
		for _, o := range outcomes {
			byID[o.MessageID] = o
			if o.Attempt.Error == "" {
				ids = append(ids, o.MessageID)
			}
		}
		counts := map[string]int{} // attempt numbers of the recorded messages
		if len(ids) > 0 {
			delivered.in("id", ids)
			delivered.add("status = 'pending'")
			rows, err := tx.query(ctx, `UPDATE messages SET status = 'delivered', attempt_count = attempt_count + 1,
	last_error = '', next_attempt_at = NULL, delivered_at = ?, updated_at = ?`+delivered.String()+
				` RETURNING id, attempt_count`, append([]any{ms(tx.now), ms(tx.now)}, delivered.args...)...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var id string
				var n int
				if err := rows.Scan(&id, &n); err != nil {
					rows.Close()
					return err
				}
				counts[id] = n
			}
			if err := errors.Join(rows.Err(), rows.Close()); err != nil {
				return err
			}
		}
		for _, o := range outcomes {
			if o.Attempt.Error == "" {
				continue
			}
			status, retry := invited.MessageDead, any(nil)
			if !o.RetryAt.IsZero() {
				status, retry = invited.MessagePending, ms(o.RetryAt)
			}
			var n int
			err := tx.queryRow(ctx, recordFailedSQL, status, o.Attempt.Error, retry, ms(tx.now), o.MessageID).Scan(&n)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				continue
			case err != nil:
				return err
			}
			counts[o.MessageID] = n
		}
		return tx.insertAttempts(ctx, byID, counts)
	})
}

// insertAttempts stores the attempts of the messages in counts (by id, the
// number of the attempt) from byID.
func (tx *Tx) insertAttempts(ctx context.Context, byID map[string]invited.Outcome, counts map[string]int) error {
	if len(counts) == 0 {
		return nil
	}
	const row = `(?, ?, ?, ?, ?)`
	args := make([]any, 0, 5*len(counts))
	for id, n := range counts {
		a := byID[id].Attempt
		args = append(args, id, n, ms(a.At), a.DurationMS, a.Error)
	}
	_, err := tx.exec(ctx, `INSERT INTO message_attempts (message_id, attempt, at, duration_ms, error) VALUES `+
		strings.Repeat(row+", ", len(counts)-1)+row, args...)
	return err
}

// PendingMessages counts the pending messages by channel.
func (db *DB) PendingMessages(ctx context.Context) (map[string]int, error) {
	counts := map[string]int{}
	err := db.readTx(ctx, func(tx *Tx) error {
		rows, err := tx.query(ctx, `SELECT channel, COUNT(*) FROM messages WHERE status = 'pending' GROUP BY channel`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var channel string
			var n int
			if err := rows.Scan(&channel, &n); err != nil {
				return err
			}
			counts[channel] = n
		}
		return rows.Err()
	})
	return counts, err
}

// FindMessages lists the messages the actor may read, newest first.
func (db *DB) FindMessages(ctx context.Context, f invited.MessageFilter) ([]*invited.Message, string, error) {
	if err := f.Validate(); err != nil {
		return nil, "", err
	}
	return findManaged(ctx, db, f.OrgID, invited.PermOrgManage, f.Page, invited.PrefixMessage, func(tx *Tx, orgIDs []string, k keyset) ([]*invited.Message, error) {
		if f.WebhookID != "" {
			if _, err := tx.webhook(ctx, invited.ActorFromContext(ctx), f.WebhookID); err != nil {
				return nil, err
			}
		}
		var w where
		if orgIDs != nil {
			w.in("m.org_id", orgIDs)
		}
		for _, eq := range []struct{ col, val string }{{"m.webhook_id", f.WebhookID}, {"m.channel", f.Channel}, {"m.status", f.Status}} {
			if eq.val != "" {
				w.add(eq.col+" = ?", eq.val)
			}
		}
		tail := k.seek(&w, "m.id")
		return queryList(ctx, tx, scanMessage, `SELECT `+messageColumns("m")+` FROM messages m`+w.String()+tail, w.args...)
	}, func(m *invited.Message) string { return m.ID })
}

// FindMessageByID returns a message the actor may read, with its attempts.
func (db *DB) FindMessageByID(ctx context.Context, id string) (*invited.Message, error) {
	var m *invited.Message
	err := db.readTx(ctx, func(tx *Tx) (err error) {
		if m, err = tx.message(ctx, id, ""); err != nil {
			return err
		}
		m.Attempts, err = queryList(ctx, tx, func(s scanner) (a invited.Attempt, err error) {
			return a, s.Scan(timeCol{&a.At}, &a.DurationMS, &a.Error)
		}, `SELECT at, duration_ms, error FROM message_attempts WHERE message_id = ? ORDER BY attempt`, id)
		return err
	})
	return m, err
}

// message loads message id (locked with lock) for the actor of ctx: it is
// not_found unless the actor manages its organization, or is an admin for
// a system-wide endpoint's delivery.
func (tx *Tx) message(ctx context.Context, id, lock string) (*invited.Message, error) {
	m, err := scanMessage(tx.queryRow(ctx, `SELECT `+messageColumns("m")+` FROM messages m WHERE m.id = ?`+lock, id))
	if err != nil {
		return nil, notFound(err, "message")
	}
	a := invited.ActorFromContext(ctx)
	if !manages(a, m.OrgID) {
		return nil, errNotFound("message")
	}
	return m, nil
}

// ReplayMessage makes a finished message pending again, due now: a dead
// letter, or a webhook delivery. A dead letter with a link is replayed only
// while its invitation is pending; it gets a new link when it is claimed
// (ClaimMessages), since no letter keeps one.
func (db *DB) ReplayMessage(ctx context.Context, id string) (*invited.Message, error) {
	var m *invited.Message
	err := db.writeTx(ctx, func(tx *Tx) (err error) {
		if m, err = tx.message(ctx, id, tx.lock("FOR UPDATE")); err != nil {
			return err
		}
		switch {
		case m.Status == invited.MessagePending:
			return invited.Errorf(invited.EINVALIDSTATE, "the message is pending already")
		case m.Channel != invited.ChannelWebhook && m.Status != invited.MessageDead:
			return invited.Errorf(invited.EINVALIDSTATE, "only dead letters can be replayed; resend the invitation for a new link")
		case m.CarriesLink():
			pending, err := tx.pendingInvitations(ctx, []*invited.Message{m})
			if err != nil {
				return err
			}
			if !pending[m.InvitationID] {
				return invited.Errorf(invited.EINVALIDSTATE, "the invitation is no longer pending; its letter cannot be replayed")
			}
		case m.WebhookID != "":
			if _, err := tx.webhook(ctx, invited.ActorFromContext(ctx), m.WebhookID); err != nil {
				return invited.Errorf(invited.EINVALIDSTATE, "the webhook endpoint was deleted")
			}
		}
		m.Status, m.DueAt, m.NextAttemptAt, m.UpdatedAt = invited.MessagePending, tx.now, &tx.now, tx.now
		if _, err := tx.exec(ctx, `UPDATE messages SET status = 'pending', due_at = ?, next_attempt_at = ?, updated_at = ?
WHERE id = ?`, ms(tx.now), ms(tx.now), ms(tx.now), id); err != nil {
			return err
		}
		tx.wakeDispatcher()
		return tx.audit(ctx, "message.replayed", invited.ResourceMessage, id, m.OrgID)
	})
	return m, err
}

// findManaged runs a list of what perm governs (org:manage: audit events,
// webhooks, messages; connections:manage: app invites) for the actor of
// ctx: list reads a page of the rows of orgIDs (nil for every
// organization) in a read transaction. Naming an organization needs perm
// there (not_found if the actor cannot see it, or if it does not exist);
// without one, an admin key lists all, and anyone else the organizations
// where they hold perm.
func findManaged[T any](ctx context.Context, db *DB, orgID string, perm invited.Permission, p invited.Page, prefix string,
	list func(tx *Tx, orgIDs []string, k keyset) ([]T, error), id func(T) string) ([]T, string, error) {
	k, err := newKeyset(p, prefix)
	if err != nil {
		return nil, "", err
	}
	a := invited.ActorFromContext(ctx)
	var orgIDs []string // nil: all
	if orgID != "" {
		if err := a.Authorize(orgID, perm); err != nil {
			return nil, "", err
		}
		orgIDs = []string{orgID}
	} else if ids, all := a.OrgIDsWith(perm); !all {
		if len(ids) == 0 {
			return []T{}, "", nil
		}
		orgIDs = ids
	}
	var rows []T
	err = db.readTx(ctx, func(tx *Tx) (err error) {
		if orgID != "" {
			if _, err := tx.organization(ctx, orgID); err != nil {
				return err // an admin may name any organization
			}
		}
		rows, err = list(tx, orgIDs, k)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	rows, next := page(k, rows, id)
	return rows, next, nil
}
