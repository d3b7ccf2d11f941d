package invited

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// PrefixWebhook names webhook endpoints.
const PrefixWebhook = "whk_"

// ResourceWebhook is the audited resource of webhook endpoints.
const ResourceWebhook = "webhook"

// WebhookSecretPrefix starts every webhook signing secret, as the Standard
// Webhooks specification has it.
const WebhookSecretPrefix = "whsec_"

// The events webhooks announce.
const (
	EventInvitationCreated   = "invitation.created"
	EventInvitationSent      = "invitation.sent"
	EventInvitationResent    = "invitation.resent"
	EventInvitationRenewed   = "invitation.renewed"
	EventInvitationAccepted  = "invitation.accepted"
	EventInvitationDeclined  = "invitation.declined"
	EventInvitationRevoked   = "invitation.revoked"
	EventInvitationExpired   = "invitation.expired"
	EventMembershipCreated   = "membership.created"
	EventMembershipUpdated   = "membership.updated"
	EventMembershipDeleted   = "membership.deleted"
	EventAppInviteCreated    = "app_invite.created"
	EventAppInviteActivated  = "app_invite.activated"
	EventAppInviteRevoked    = "app_invite.revoked"
	EventAppInviteExpired    = "app_invite.expired"
	EventAppInviteArchived   = "app_invite.archived"
	EventJoinLinkCreated     = "join_link.created"
	EventJoinLinkUsed        = "join_link.used"
	EventJoinLinkRotated     = "join_link.rotated"
	EventJoinLinkRevoked     = "join_link.revoked"
	EventJoinLinkExpired     = "join_link.expired"
	EventJoinLinkExhausted   = "join_link.exhausted"
	EventJoinRequestCreated  = "join_request.created"
	EventJoinRequestApproved = "join_request.approved"
	EventJoinRequestDenied   = "join_request.denied"
	EventJoinRequestExpired  = "join_request.expired"
	EventDomainCreated       = "domain.created"
	EventDomainVerified      = "domain.verified"
	EventDomainUpdated       = "domain.updated"
	EventDomainDeleted       = "domain.deleted"
)

// WebhookEvents lists every event a webhook endpoint can receive. The
// audit log records the same changes under the same names.
var WebhookEvents = []string{
	EventInvitationCreated, EventInvitationSent, EventInvitationResent, EventInvitationRenewed,
	EventInvitationAccepted, EventInvitationDeclined, EventInvitationRevoked, EventInvitationExpired,
	EventMembershipCreated, EventMembershipUpdated, EventMembershipDeleted,
	EventAppInviteCreated, EventAppInviteActivated, EventAppInviteRevoked, EventAppInviteExpired, EventAppInviteArchived,
	EventJoinLinkCreated, EventJoinLinkUsed, EventJoinLinkRotated, EventJoinLinkRevoked, EventJoinLinkExpired, EventJoinLinkExhausted,
	EventJoinRequestCreated, EventJoinRequestApproved, EventJoinRequestDenied, EventJoinRequestExpired,
	EventDomainCreated, EventDomainVerified, EventDomainUpdated, EventDomainDeleted,
}

// Webhook is an endpoint that receives events: those of one organization,
// or of every organization when OrgID is empty (admin only).
type Webhook struct {
	ID          string    `json:"id"`
	OrgID       string    `json:"org_id,omitempty" doc:"absent for a system-wide endpoint"`
	URL         string    `json:"url"`
	Events      []string  `json:"events" doc:"the events sent to the endpoint; empty means all"`
	Description string    `json:"description,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	// Secret signs the deliveries (whsec_…); it is in the create answer
	// only.
	Secret string `json:"secret,omitempty"`
}

// WebhookCreate is the input for a new endpoint.
type WebhookCreate struct {
	OrgID       string   `json:"org_id,omitempty" doc:"absent: every organization's events (admin only)"`
	URL         string   `json:"url" doc:"http or https URL that receives POSTs"`
	Events      []string `json:"events,omitempty" doc:"event types to send; empty or absent means all"`
	Description string   `json:"description,omitempty"`
}

// WebhookFilter selects endpoints.
type WebhookFilter struct {
	OrgID string
	Page
}

// WebhookService manages webhook endpoints. Endpoints of an organization
// need org:manage there; system-wide ones an admin key.
type WebhookService interface {
	// CreateWebhook returns the endpoint with its secret, shown only here.
	CreateWebhook(ctx context.Context, c WebhookCreate) (*Webhook, error)
	FindWebhooks(ctx context.Context, f WebhookFilter) ([]*Webhook, string, error)
	FindWebhookByID(ctx context.Context, id string) (*Webhook, error)
	// DeleteWebhook removes the endpoint and cancels its pending
	// deliveries.
	DeleteWebhook(ctx context.Context, id string) error
}

// NewWebhook validates c and returns the endpoint with a new secret. A URL
// naming an address that outbound refuses is invalid.
func NewWebhook(c WebhookCreate, outbound OutboundPolicy, now time.Time) (*Webhook, error) {
	f := FieldErrors{}
	CheckText(f, "url", c.URL, false)
	CheckText(f, "description", c.Description, false)
	for _, e := range c.Events {
		CheckText(f, "events", e, false)
	}
	u, err := url.Parse(c.URL)
	switch {
	case len(c.URL) > 2000:
		f.Add("url", Problemf("too_long", "n", 2000))
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Fragment != "":
		f.Add("url", Problemf("webhook_url"))
	case u.User != nil:
		f.Add("url", Problemf("webhook_credentials"))
	}
	outbound.CheckURL(f, "url", c.URL)
	events := slices.Clone(c.Events)
	for _, e := range events {
		if !slices.Contains(WebhookEvents, e) {
			f.Add("events", Problemf("unknown_event", "event", quote(e), "events", strings.Join(WebhookEvents, ", ")))
		}
	}
	slices.Sort(events)
	events = slices.Compact(events)
	if events == nil {
		events = []string{}
	}
	if utf8.RuneCountInString(c.Description) > 200 {
		f.Add("description", Problemf("too_long", "n", 200))
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	return &Webhook{
		ID:          NewID(PrefixWebhook, now),
		OrgID:       c.OrgID,
		URL:         c.URL,
		Events:      events,
		Description: c.Description,
		CreatedAt:   now,
		Secret:      NewWebhookSecret(),
	}, nil
}

// Wants reports whether the endpoint receives event.
func (w *Webhook) Wants(event string) bool {
	return len(w.Events) == 0 || slices.Contains(w.Events, event)
}

// NewWebhookSecret returns a signing secret as Standard Webhooks has it:
// whsec_ and 32 random bytes in standard base64. Unlike tokens it is
// stored as it is, because signing needs it.
func NewWebhookSecret() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("invited: crypto/rand failed: " + err.Error())
	}
	return WebhookSecretPrefix + base64.StdEncoding.EncodeToString(b[:])
}

// WebhookPayload is the body of every webhook delivery, as Standard
// Webhooks has it: the event type, when it happened, and the resource as
// the API shows it.
type WebhookPayload struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      any       `json:"data"`
}
