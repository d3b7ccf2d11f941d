package invited

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"
)

// PrefixMessage names outbox messages.
const PrefixMessage = "msg_"

// The channels a message travels by.
const (
	ChannelEmail   = "email"
	ChannelSMS     = "sms"
	ChannelWebhook = "webhook"
)

// Channels lists every channel.
var Channels = []string{ChannelEmail, ChannelSMS, ChannelWebhook}

// InvitationChannels lists the channels an invitation can be sent by.
var InvitationChannels = []string{ChannelEmail, ChannelSMS}

// The kinds of message written to people (email and SMS). A webhook
// message's kind is its event type.
const (
	KindInvitation   = "invitation"    // the first link to the invitee
	KindResend       = "resend"        // a fresh link to the invitee
	KindReminder     = "reminder"      // the link again, shortly before it expires
	KindAccepted     = "accepted"      // to the inviter: the invitee joined
	KindJoinApproved = "join_approved" // to a requester: an admin let them in
	KindJoinDenied   = "join_denied"   // to a requester: an admin said no
	// KindJoinConfirmation asks whoever gave an address on the hosted
	// join page to confirm it (JoinConfirmation).
	KindJoinConfirmation = "join_confirmation"
)

// LetterKinds lists the kinds of message written to people.
var LetterKinds = []string{KindInvitation, KindResend, KindReminder, KindAccepted, KindJoinApproved, KindJoinDenied, KindJoinConfirmation}

// LinkKinds lists the kinds of letter that carry an invitation's link. The
// link is not stored with the letter: the outbox mints it when it claims
// the letter for delivery (see Outbox.ClaimMessages).
var LinkKinds = []string{KindInvitation, KindResend, KindReminder}

// KindHasLink reports whether a letter of kind carries a secret link: an
// invitation's, or a join confirmation's.
func KindHasLink(kind string) bool {
	return kind == KindJoinConfirmation || slices.Contains(LinkKinds, kind)
}

// CarriesLink reports whether m is a letter that takes an invitation's
// link to the invitee.
func (m *Message) CarriesLink() bool {
	return m.Channel != ChannelWebhook && m.InvitationID != "" && slices.Contains(LinkKinds, m.Kind)
}

// Message statuses. A pending message waits for its next attempt; the
// others are final, except that dead ones can be replayed.
const (
	MessagePending   = "pending"
	MessageDelivered = "delivered"
	// MessageDead: every attempt failed until the delivery horizon passed,
	// or a transport said retrying cannot help.
	MessageDead = "dead"
	// MessageCancelled: there was no point sending it any more, such as a
	// letter of an invitation that was revoked, accepted or resent
	// meanwhile, or a delivery to a webhook endpoint that was deleted.
	MessageCancelled = "cancelled"
)

// MessageStatuses lists every message status.
var MessageStatuses = []string{MessagePending, MessageDelivered, MessageDead, MessageCancelled}

// Message is one entry of the transactional outbox: something to deliver,
// written in the same transaction as the change it tells of, and delivered
// at least once by the dispatcher. Its id is stable across attempts and
// replays, so receivers can de-duplicate on it.
type Message struct {
	ID      string `json:"id"`
	OrgID   string `json:"org_id,omitempty"`
	Channel string `json:"channel"`
	// Kind is invitation, resend, reminder, accepted or join_confirmation
	// for email and SMS, and the event type for webhooks.
	Kind string `json:"kind"`
	// To is the email address or phone number, or the endpoint URL.
	To           string `json:"to"`
	InvitationID string `json:"invitation_id,omitempty"`
	WebhookID    string `json:"webhook_id,omitempty"`
	Status       string `json:"status"`
	AttemptCount int    `json:"attempt_count"`
	// LastError is the last failed attempt's Error.
	LastError string `json:"last_error,omitempty" doc:"why the last attempt failed; for webhooks a category alone: refused_by_policy, timeout, dns_error, tls_error, connect_error, cancelled or http_status N"`
	// DueAt is when the message was first due (later than CreatedAt for a
	// reminder); the delivery horizon counts from it.
	DueAt         time.Time  `json:"due_at"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty" doc:"set while pending"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	DeliveredAt   *time.Time `json:"delivered_at,omitempty"`
	// Attempts is the delivery history, oldest first; filled in when one
	// message is read.
	Attempts []Attempt `json:"attempts,omitempty"`

	// What to deliver. None of it leaves through the API.

	// Letter is what an email or SMS says.
	Letter *Letter `json:"-"`
	// Token is the plaintext secret of the invitation link, or of the
	// join confirmation link, the letter carries (LetterLink). It is never
	// stored: ClaimMessages mints it, and stores only its hash, when it
	// hands the letter to the dispatcher, so it exists only in the claimed
	// copy in memory.
	Token string `json:"-"`
	// Payload is a webhook's body, signed as it is.
	Payload json.RawMessage `json:"-"`
	// Secret is the webhook endpoint's signing secret, loaded when the
	// message is claimed for delivery.
	Secret string `json:"-"`
	// TraceParent is the W3C traceparent of the traced request that
	// enqueued the message, which the span of its delivery links to; ""
	// when there was none.
	TraceParent string `json:"-"`
}

// Attempt is one try at delivering a message.
type Attempt struct {
	At         time.Time `json:"at"`
	DurationMS int64     `json:"duration_ms"`
	// Error is why the attempt failed; empty when it succeeded. For a
	// webhook it is the category of the failure alone, never the network
	// detail behind it (docs/security.md).
	Error string `json:"error,omitempty" doc:"why the attempt failed; for webhooks a category alone: refused_by_policy, timeout, dns_error, tls_error, connect_error, cancelled or http_status N"`
}

// Outcome is how an attempt at a claimed message went, to be recorded.
type Outcome struct {
	MessageID string
	Attempt   Attempt
	// RetryAt is when to try a failed message again; zero gives up.
	RetryAt time.Time
}

// Letter is what an email or SMS tells a person; templates render it.
// Every field but Link is stored with the message.
type Letter struct {
	Kind string `json:"kind"`
	// To is the recipient's email address or phone number, and ToName how
	// to greet them ("" when unknown).
	To     string `json:"to"`
	ToName string `json:"to_name,omitempty"`
	// Organization is the organization's name and Inviter the inviter's
	// ("" when an API key invited without acting for a user).
	Organization string    `json:"organization"`
	Inviter      string    `json:"inviter,omitempty"`
	Roles        []string  `json:"roles,omitempty"`
	Message      string    `json:"message,omitempty"`
	ExpiresAt    time.Time `json:"expires_at"`
	// Acceptor names who joined, in an accepted letter.
	Acceptor string `json:"acceptor,omitempty"`
	// Note is an admin's words on a join request, in its decision's letter.
	Note string `json:"note,omitempty"`
	// Locale is the languages to write the letter in, most wanted first,
	// as Accept-Language lists them ("" for the service's default,
	// English): the invitation's or join link's own, then its
	// organization's default_locale (Organization.Locales).
	Locale string `json:"locale,omitempty"`
	// Link is the invitation's or the confirmation's secret link, set
	// just before delivery from the message's token; empty for an accepted
	// letter.
	Link string `json:"-"`
}

// Transport delivers the messages of one channel. Deliver returns nil once
// the receiver has taken the message; an error wrapping ErrUndeliverable
// when retrying cannot help (the message goes dead at once); any other
// error to be retried.
type Transport interface {
	Deliver(ctx context.Context, m *Message) error
}

// ErrUndeliverable marks a delivery error that retrying cannot cure, such as
// an address the mail server rejects for good.
var ErrUndeliverable = errors.New("undeliverable")

// MessageFilter selects outbox messages.
type MessageFilter struct {
	OrgID     string
	WebhookID string
	Channel   string
	Status    string
	Page
}

// Validate checks the filter's values.
func (f MessageFilter) Validate() error {
	errs := FieldErrors{}
	if f.Channel != "" && !slices.Contains(Channels, f.Channel) {
		errs.Add("channel", Problemf("one_of", "values", strings.Join(Channels, ", ")))
	}
	if f.Status != "" && !slices.Contains(MessageStatuses, f.Status) {
		errs.Add("status", Problemf("one_of", "values", strings.Join(MessageStatuses, ", ")))
	}
	return errs.Err()
}

// OutboxService reads and replays outbox messages. Its scope is the audit
// log's: an admin key sees every message, anyone else the messages of the
// organizations where they hold org:manage.
type OutboxService interface {
	FindMessages(ctx context.Context, f MessageFilter) ([]*Message, string, error)
	// FindMessageByID returns a message with its attempts.
	FindMessageByID(ctx context.Context, id string) (*Message, error)
	// ReplayMessage makes a dead message, or any finished webhook message,
	// pending again, due now, with a fresh delivery horizon. A dead letter
	// with a link is replayed only while its invitation is pending, and
	// gets a new link when it is claimed, like any letter. A delivered or
	// cancelled letter is not replayed: sending the invitee a link again is
	// what resend is for.
	ReplayMessage(ctx context.Context, id string) (*Message, error)
}

// Outbox is the dispatcher's side of the outbox. It runs without an actor.
type Outbox interface {
	// ClaimMessages leases up to limit due messages for delivery: no
	// dispatcher, in this process or another, claims them again until
	// lease has passed, so a dispatcher that dies mid-delivery leaves them
	// to be retried. Messages that are no longer worth sending are
	// cancelled instead of returned. A letter that carries a link gets a
	// new one, minted here and stored only as a hash among its
	// invitation's links, in Token.
	ClaimMessages(ctx context.Context, limit int, lease time.Duration) ([]*Message, error)
	// RecordAttempts records attempts at claimed messages, in one
	// transaction. A successful attempt marks its message delivered; a
	// failed one makes it due again at RetryAt, or dead
	// when RetryAt is zero. A message that is no longer pending (its
	// endpoint was deleted meanwhile) keeps its status.
	RecordAttempts(ctx context.Context, outcomes []Outcome) error
	// PendingMessages counts the pending messages by channel.
	PendingMessages(ctx context.Context) (map[string]int, error)
}

// InviteeLetter is the letter of kind (invitation, resend or reminder) that
// takes inv's link to the invitee at to: an email address or phone number.
func (inv *Invitation) InviteeLetter(kind, to string, org *Organization) *Letter {
	return &Letter{
		Kind:         kind,
		To:           to,
		ToName:       strings.TrimSpace(inv.FirstName + " " + inv.LastName),
		Organization: org.Name,
		Inviter:      inv.Inviter.Name,
		Roles:        inv.Roles,
		Message:      inv.Message,
		ExpiresAt:    inv.ExpiresAt,
		Locale:       org.Locales(inv.Locale),
	}
}

// ReminderAt is when to remind the invitee of an invitation sent at sentAt
// that expires at expiresAt: before its expiry. There is no reminder
// (false) when before is zero, or when that moment falls in the first half
// of the invitation's life: a reminder so soon after the invitation would
// be noise.
func ReminderAt(before time.Duration, sentAt, expiresAt time.Time) (time.Time, bool) {
	at := expiresAt.Add(-before)
	if before <= 0 || at.Before(sentAt.Add(expiresAt.Sub(sentAt)/2)) {
		return time.Time{}, false
	}
	return at, true
}
