package client

import "github.com/invitedhq/invited"

// The types of this file are the API's bodies that are not domain types:
// the answers that carry a secret once, the pages of lists, the requests
// that wrap a domain value. They are the Go definition of the wire
// contract: internal/api encodes and decodes them, and /openapi.json names
// its schemas after them.

// InvitationWithURL is an invitation with its secret link. Only the answers
// that issue a link (create, send, resend) carry it; it is shown once.
type InvitationWithURL struct {
	invited.Invitation
	URL string `json:"url,omitempty" doc:"the secret invitation link, {public URL}/i/{token}; absent for drafts and in replays"`
}

// InvitationList is a page of invitations.
type InvitationList struct {
	Invitations   []*invited.Invitation `json:"invitations"`
	NextPageToken string                `json:"next_page_token" doc:"empty on the last page"`
}

// BatchRequest is the body of a batch create.
type BatchRequest struct {
	Invitations []invited.InvitationCreate `json:"invitations" doc:"1 to 1000 invitations, each like the body of a single create"`
}

// BatchResponse has one result per item, in the order of the request.
type BatchResponse struct {
	Results []BatchResult `json:"results"`
}

// BatchResult is an item's invitation and link, or its error.
type BatchResult struct {
	Index      int                 `json:"index"`
	Invitation *invited.Invitation `json:"invitation,omitempty"`
	URL        string              `json:"url,omitempty" doc:"the secret invitation link; absent for drafts and in replays"`
	Error      *ErrorDetail        `json:"error,omitempty"`
}

// AcceptRequest is the body of an accept. An API key names the person it
// vouches for; a user access token, or a key acting for a user, accepts as
// that user and sends no body.
type AcceptRequest struct {
	User *invited.Acceptor `json:"user,omitempty" doc:"required with an API key, refused otherwise"`
}

// RedeemRequest is the body of a redemption.
type RedeemRequest struct {
	Ticket string `json:"ticket" doc:"the acceptance ticket: the JWT the hosted page added to the redirect URL as ?ticket="`
}

// JWKSet is a JSON Web Key Set (RFC 7517), the answer of GET
// /.well-known/jwks.json: the public keys that verify acceptance tickets.
type JWKSet struct {
	Keys []JWK `json:"keys"`
}

// JWK is one public key (RFC 7517 §4, RFC 7518 §6.2.1).
type JWK struct {
	Kty string `json:"kty" enum:"EC"`
	Crv string `json:"crv" enum:"P-256"`
	X   string `json:"x" doc:"the x coordinate, base64url"`
	Y   string `json:"y" doc:"the y coordinate, base64url"`
	Kid string `json:"kid" doc:"the key id (sig_…), the kid of the tickets it signed"`
	Use string `json:"use" enum:"sig"`
	Alg string `json:"alg" enum:"ES256"`
}

// OrganizationList is a page of organizations.
type OrganizationList struct {
	Orgs          []*invited.Organization `json:"orgs"`
	NextPageToken string                  `json:"next_page_token" doc:"empty on the last page"`
}

// MemberList is a page of an organization's members.
type MemberList struct {
	Members       []*invited.Member `json:"members"`
	NextPageToken string            `json:"next_page_token" doc:"empty on the last page"`
}

// RoleList is an organization's roles, built-in and custom. It is one page.
type RoleList struct {
	Roles         []*invited.Role `json:"roles"`
	NextPageToken string          `json:"next_page_token" doc:"always empty: every role fits in one page"`
}

// APIKeyWithSecret is a new key with its secret, shown only in this answer.
type APIKeyWithSecret struct {
	invited.APIKey
	Secret string `json:"secret,omitempty" doc:"the key's secret (ik_…): shown once, absent in replays"`
}

// APIKeyList is a page of API keys.
type APIKeyList struct {
	APIKeys       []*invited.APIKey `json:"api_keys"`
	NextPageToken string            `json:"next_page_token" doc:"empty on the last page"`
}

// AppList is a page of apps.
type AppList struct {
	Apps          []*invited.App `json:"apps"`
	NextPageToken string         `json:"next_page_token" doc:"empty on the last page"`
}

// AppInviteWithCode is a new app invite with its code and link. Only the
// create answer carries them; they are shown once, like an invitation's url.
type AppInviteWithCode struct {
	invited.AppInvite
	Code string `json:"code,omitempty" doc:"the app code, a secret like an invitation token: shown once, absent in replays"`
	URL  string `json:"url,omitempty" doc:"the partner's link, {public URL}/a/{code}: shown once, absent in replays"`
}

// JoinLinkWithURL is a join link with its token and link. Only the answers
// that issue a token (create, rotate) carry them; they are shown once.
type JoinLinkWithURL struct {
	invited.JoinLink
	Token string `json:"token,omitempty" doc:"the link's secret: shown once, absent in replays"`
	URL   string `json:"url,omitempty" doc:"the link to share, {public URL}/j/{token}: shown once, absent in replays"`
}

// JoinLinkList is a page of join links.
type JoinLinkList struct {
	JoinLinks     []*invited.JoinLink `json:"join_links"`
	NextPageToken string              `json:"next_page_token" doc:"empty on the last page"`
}

// JoinRequestList is a page of join requests.
type JoinRequestList struct {
	JoinRequests  []*invited.JoinRequest `json:"join_requests"`
	NextPageToken string                 `json:"next_page_token" doc:"empty on the last page"`
}

// JoinDecisionResult is the outcome of a decision on a join request: the
// request as decided, and the membership an approval made.
type JoinDecisionResult struct {
	Request    *invited.JoinRequest `json:"request"`
	Membership *invited.Membership  `json:"membership" doc:"null for a denial"`
}

// DomainChallenge is the DNS record that proves control of a domain.
type DomainChallenge struct {
	Type  string `json:"type" enum:"TXT"`
	Name  string `json:"name" doc:"the record's name; some DNS hosting forms want only the part before the domain"`
	Value string `json:"value" doc:"the record's value; other TXT records at the name may stay"`
}

// DomainWithChallenge is a domain with the record that verifies it.
type DomainWithChallenge struct {
	invited.Domain
	Challenge DomainChallenge `json:"challenge"`
}

// DomainList is a page of an organization's domains.
type DomainList struct {
	Domains       []DomainWithChallenge `json:"domains"`
	NextPageToken string                `json:"next_page_token" doc:"empty on the last page"`
}

// JoinableOrgList is the organizations open to the caller's verified
// address. It is one page.
type JoinableOrgList struct {
	JoinableOrgs  []*invited.JoinableOrg `json:"joinable_orgs"`
	NextPageToken string                 `json:"next_page_token" doc:"always empty: an address opens at most one organization"`
}

// AppInviteList is a page of app invites.
type AppInviteList struct {
	AppInvites    []*invited.AppInvite `json:"app_invites"`
	NextPageToken string               `json:"next_page_token" doc:"empty on the last page"`
}

// ProfileList is a page of connection profiles.
type ProfileList struct {
	Profiles      []*invited.Profile `json:"profiles"`
	NextPageToken string             `json:"next_page_token" doc:"empty on the last page"`
}

// AuditEventList is a page of audit events.
type AuditEventList struct {
	Events        []*invited.AuditEvent `json:"events"`
	NextPageToken string                `json:"next_page_token" doc:"empty on the last page"`
}

// WebhookWithSecret is a new endpoint with its signing secret, shown only
// in this answer.
type WebhookWithSecret struct {
	invited.Webhook
}

// WebhookList is a page of webhook endpoints.
type WebhookList struct {
	Webhooks      []*invited.Webhook `json:"webhooks"`
	NextPageToken string             `json:"next_page_token" doc:"empty on the last page"`
}

// MessageList is a page of outbox messages.
type MessageList struct {
	Messages      []*invited.Message `json:"messages"`
	NextPageToken string             `json:"next_page_token" doc:"empty on the last page"`
}

// Health is the answer of GET /livez, /readyz and /healthz.
type Health struct {
	Status string `json:"status" enum:"ok,unavailable"`
	// Reason names the check that failed; its error is only logged.
	Reason string `json:"reason,omitempty" doc:"the readiness check that failed: database, or signing_keys"`
}

// ErrorDetail is the "error" member of every error answer, and the error of
// a failed batch item.
type ErrorDetail struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty" doc:"invalid request fields, each with what is wrong with it"`
	// ExistingID accompanies invitation_exists: the open invitation that
	// blocks the new one.
	ExistingID string `json:"existing_id,omitempty"`
	// Invitee accompanies email_mismatch: the address the invitation was
	// sent to, masked, so that the host app can offer to switch accounts.
	Invitee string `json:"invitee,omitempty" doc:"with email_mismatch: the address the invitation was sent to, masked (j***@example.com, +*********67)"`
}

// ErrorResponse is a whole error answer: {"error":{…}}.
type ErrorResponse struct {
	Error ErrorDetail `json:"error"`
}
