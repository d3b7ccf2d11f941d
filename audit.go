package invited

import (
	"context"
	"slices"
	"strings"
	"time"
)

// PrefixAuditEvent names audit events.
const PrefixAuditEvent = "evt_"

// AuditEvent records one mutation: who did it (a user, an API key, both
// when a key acts for a user, or neither for the system's own work such as
// the expiry sweeper), what, to which resource, when and from where. Events
// are written in the same transaction as the change they record, so a
// change that was rolled back leaves none.
type AuditEvent struct {
	ID string `json:"id"`
	// OrgID is the organization the resource belongs to; empty for
	// system-wide resources such as admin API keys.
	OrgID         string `json:"org_id,omitempty"`
	ActorUserID   string `json:"actor_user_id,omitempty"`
	ActorAPIKeyID string `json:"actor_api_key_id,omitempty"`
	// Action is "<resource>.<verb>", such as "invitation.revoked".
	Action     string    `json:"action"`
	Resource   string    `json:"resource" doc:"organization, role, membership, invitation, api_key, webhook, message, acceptance_ticket, app, app_invite, profile, join_link, join_request, domain, user or retention"`
	ResourceID string    `json:"resource_id"`
	RemoteAddr string    `json:"remote_addr,omitempty" doc:"the client address the request came from"`
	CreatedAt  time.Time `json:"created_at"`
	// Details are the counts of a retention pass (retention.applied), by
	// kind; no other event has any.
	Details map[string]int `json:"details,omitempty" doc:"for retention.applied, how many rows of each kind the pass removed or cleared"`
}

// Audited resources.
const (
	ResourceOrganization     = "organization"
	ResourceRole             = "role"
	ResourceMembership       = "membership"
	ResourceInvitation       = "invitation"
	ResourceAPIKey           = "api_key"
	ResourceMessage          = "message"
	ResourceAcceptanceTicket = "acceptance_ticket"
	ResourceApp              = "app"
	ResourceAppInvite        = "app_invite"
	ResourceJoinLink         = "join_link"
	ResourceJoinRequest      = "join_request"
	ResourceDomain           = "domain"
	ResourceUser             = "user"
)

// AuditResources lists the resources events are recorded for.
var AuditResources = []string{ResourceOrganization, ResourceRole, ResourceMembership, ResourceInvitation, ResourceAPIKey, ResourceWebhook, ResourceMessage, ResourceAcceptanceTicket, ResourceApp, ResourceAppInvite, ResourceProfile, ResourceJoinLink, ResourceJoinRequest, ResourceDomain, ResourceUser, ResourceRetention}

// AuditFilter selects audit events. Actor is a user id (usr_…) or an API
// key id (key_…) and matches events where it acted in either role.
type AuditFilter struct {
	OrgID    string
	Resource string
	Actor    string
	Page
}

// Validate checks the filter's values.
func (f AuditFilter) Validate() error {
	errs := FieldErrors{}
	if f.Resource != "" && !slices.Contains(AuditResources, f.Resource) {
		errs.Add("resource", Problemf("one_of", "values", strings.Join(AuditResources, ", ")))
	}
	if f.Actor != "" && !ValidID(f.Actor, PrefixUser) && !ValidID(f.Actor, PrefixAPIKey) {
		errs.Add("actor", Problemf("actor_id"))
	}
	return errs.Err()
}

// AuditService reads the audit log.
type AuditService interface {
	// FindAuditEvents lists events newest first. An admin key sees every
	// event; anyone else sees the events of the organizations where they
	// hold org:manage (the permission that governs an organization as a
	// whole, as for API keys). Naming an organization the actor cannot see
	// answers not_found; one they see without org:manage, forbidden.
	FindAuditEvents(ctx context.Context, f AuditFilter) ([]*AuditEvent, string, error)
}
