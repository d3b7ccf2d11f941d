package invited

import (
	"context"
	"fmt"
	"time"
)

// Retention says how long the service keeps what has served its purpose
// (issue 16, docs/retention.md): finished outbox messages with their
// delivery attempts, audit events, and the personal data of invitations,
// app invites and join requests that ended without being accepted. The
// system-wide policy comes from the configuration, where zero keeps
// forever; an organization's settings may override each part, where zero
// (or absent) takes the system's.
type Retention struct {
	Messages    Duration `json:"messages,omitempty" doc:"how long a delivered, dead or cancelled message and its delivery attempts are kept after it finished, e.g. \"30d\"; at least 7d; absent or \"0s\": the system's default"`
	AuditEvents Duration `json:"audit_events,omitempty" doc:"how long audit events are kept, e.g. \"365d\"; at least 7d; absent or \"0s\": the system's default"`
	// EndedInvitations applies to invitations that were declined, revoked
	// or expired, and likewise to revoked or expired app invites and to
	// denied or expired join requests: once it has passed since they
	// ended, their addresses, names, messages and metadata are cleared.
	// The rows stay, with their status and times.
	EndedInvitations Duration `json:"ended_invitations,omitempty" doc:"how long after an invitation was declined, revoked or expired (and an app invite revoked or expired, a join request denied or expired) its email, phone, names, message and metadata are cleared; the row stays with its status and times; at least the organization's invitation_ttl; absent or \"0s\": the system's default"`
}

// RetentionPatch changes some of an organization's retention settings;
// nil fields are left as they are, and "0s" returns one to the system's
// default.
type RetentionPatch struct {
	Messages         *Duration `json:"messages,omitempty"`
	AuditEvents      *Duration `json:"audit_events,omitempty"`
	EndedInvitations *Duration `json:"ended_invitations,omitempty"`
}

// Bounds on retention periods. A finished message is kept at least a week,
// so that a dead one can still be replayed and a delivery's history read
// when someone asks why they got nothing; audit events too, at least the
// longest window a limit counts them over (a day of resends). The personal
// data of an ended invitation is kept at least as long as the invitation
// lived (its organization's invitation_ttl, MaxInvitationTTL for the
// system-wide default, which any organization may fall under), so that an
// expired one can still be renewed. Nothing is kept for a set time of more
// than ten years: that is keeping it forever, which only the system-wide
// setting offers ("off").
const (
	MinMessageRetention = 7 * 24 * time.Hour
	MinAuditRetention   = 7 * 24 * time.Hour
	MaxRetention        = 3650 * 24 * time.Hour
)

// Merge returns r with its unset parts taken from defaults.
func (r Retention) Merge(defaults Retention) Retention {
	if r.Messages == 0 {
		r.Messages = defaults.Messages
	}
	if r.AuditEvents == 0 {
		r.AuditEvents = defaults.AuditEvents
	}
	if r.EndedInvitations == 0 {
		r.EndedInvitations = defaults.EndedInvitations
	}
	return r
}

// retentionBound is one part of a Retention as it is checked: its name
// in field errors and messages, and its floor.
type retentionBound struct {
	name  string
	value Duration
	min   time.Duration
}

func (r Retention) bounds(invitationTTL time.Duration) []retentionBound {
	return []retentionBound{
		{"messages", r.Messages, MinMessageRetention},
		{"audit_events", r.AuditEvents, MinAuditRetention},
		{"ended_invitations", r.EndedInvitations, invitationTTL},
	}
}

// CheckRetention adds to f, under prefix ("settings.retention."), what is
// out of bounds in r: negative, longer than MaxRetention, or set and
// shorter than its floor, where ended invitations' is invitationTTL. Zero
// is always allowed.
func CheckRetention(f FieldErrors, prefix string, r Retention, invitationTTL time.Duration) {
	for _, b := range r.bounds(invitationTTL) {
		if p, ok := b.check("0s"); !ok {
			f.Add(prefix+b.name, p)
		}
	}
}

// check says what is wrong with b's value, and false, or true when
// nothing is; zero is how the value that is always allowed is written.
func (b retentionBound) check(zero string) (Problem, bool) {
	d := time.Duration(b.value)
	if d == 0 || (d >= b.min && d <= MaxRetention) {
		return Problem{}, true
	}
	return Problemf("retention_range", "min", FormatRetention(b.min), "max", FormatRetention(MaxRetention), "zero", zero), false
}

// CheckSystemRetention checks the system-wide policy r as the
// configuration gives it, where zero keeps forever, and names the first
// part out of bounds, as env names it (such as "MESSAGES").
func CheckSystemRetention(r Retention, name func(part string) string) error {
	for _, b := range r.bounds(MaxInvitationTTL) {
		if p, ok := b.check("off"); !ok {
			return fmt.Errorf("%s=%s: %s", name(b.name), FormatRetention(time.Duration(b.value)), p.Text())
		}
	}
	return nil
}

// FormatRetention writes d in whole days where it is some, else as a Go
// duration.
func FormatRetention(d time.Duration) string {
	if d > 0 && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}

func (r *Retention) apply(p RetentionPatch) {
	for _, c := range []struct {
		dst *Duration
		src *Duration
	}{{&r.Messages, p.Messages}, {&r.AuditEvents, p.AuditEvents}, {&r.EndedInvitations, p.EndedInvitations}} {
		if c.src != nil {
			*c.dst = *c.src
		}
	}
}

// EventRetentionApplied is the action of the audit event a retention pass
// records when it removed or cleared something: system-wide, without an
// actor, its details the counts.
const EventRetentionApplied = "retention.applied"

// ResourceRetention is what a retention pass's audit event is about; its
// resource id names the pass.
const ResourceRetention = "retention"

// PrefixRetentionPass names retention passes.
const PrefixRetentionPass = "rtn_"

// RetentionKind is one kind of thing retention removes or clears.
type RetentionKind string

const (
	// RetainMessages deletes finished messages and their attempts.
	RetainMessages RetentionKind = "messages"
	// RetainAuditEvents deletes audit events.
	RetainAuditEvents RetentionKind = "audit_events"
	// RetainInvitations clears ended invitations' personal data.
	RetainInvitations RetentionKind = "invitations"
	// RetainAppInvites clears ended app invites' email and note.
	RetainAppInvites RetentionKind = "app_invites"
	// RetainJoinRequests clears ended join requests' words.
	RetainJoinRequests RetentionKind = "join_requests"
)

// RetentionKinds lists every kind, in the order a pass applies them.
var RetentionKinds = []RetentionKind{RetainMessages, RetainAuditEvents, RetainInvitations, RetainAppInvites, RetainJoinRequests}

// Keep returns how long r keeps what kind is about; zero is forever.
func (r Retention) Keep(kind RetentionKind) time.Duration {
	switch kind {
	case RetainMessages:
		return time.Duration(r.Messages)
	case RetainAuditEvents:
		return time.Duration(r.AuditEvents)
	default:
		return time.Duration(r.EndedInvitations)
	}
}

// RetentionScope is where one policy applies: an organization, or (OrgID
// "") what belongs to none, such as admin keys' audit events and
// system-wide webhooks' deliveries.
type RetentionScope struct {
	OrgID     string
	Retention Retention
}

// Retainer is the store's side of retention. It runs without an actor.
type Retainer interface {
	// RetentionScopes lists every organization with its policy merged
	// over defaults, and the system's own scope with defaults.
	RetentionScopes(ctx context.Context, defaults Retention) ([]RetentionScope, error)
	// Retain removes or clears up to limit rows of kind in scope that are
	// older than keep, in one transaction, and answers how many; rows
	// another instance is working on are skipped.
	Retain(ctx context.Context, kind RetentionKind, scope RetentionScope, keep time.Duration, limit int) (int, error)
	// RecordRetention writes the audit event of a pass that removed or
	// cleared counts rows, by kind.
	RecordRetention(ctx context.Context, counts map[RetentionKind]int) error
}
