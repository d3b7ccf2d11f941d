package api

import (
	"net/http"
	"strings"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
	"github.com/invitedhq/invited/internal/openapi"
)

// Auth values beyond authPublic. They document, in the spec, what a route
// needs; the services enforce it.
const (
	authAdmin      = "admin"
	authScoped     = "scoped"
	authOrgManage  = "admin or org:manage"
	authAcceptance = "user token, or API key with the user"
	authAppsManage = "admin or apps:manage"
)

// perm is the Auth of a route that needs one permission.
func perm(p invited.Permission) string { return string(p) }

// Error statuses per kind of route, for the spec.
var (
	errsRead   = []int{400, 401, 404}
	errsWrite  = []int{400, 401, 403, 404, 409}
	errsAction = []int{401, 403, 404, 409}
	errsCreate = []int{400, 401, 403, 404, 409, 429}
	errsToken  = []int{404, 429}
	errsAccept = []int{400, 401, 403, 404, 409, 410, 429}
	errsBatch  = []int{400, 401, 403, 429}
)

// Query parameters.
var (
	pageParams = []openapi.Param{
		{Name: "page_size", Type: "integer", Description: "1 to 200; default 50"},
		{Name: "page_token", Description: "next_page_token of the previous page"},
	}
	orgIDParam        = openapi.Param{Name: "org_id", Description: "only this organization's"}
	invitationsParams = append([]openapi.Param{
		orgIDParam,
		{Name: "status", Description: "draft, pending, accepted, declined, revoked, expired or archived"},
		{Name: "email", Description: "only invitations to this address"},
	}, pageParams...)
	apiKeysParams  = append([]openapi.Param{orgIDParam}, pageParams...)
	webhooksParams = append([]openapi.Param{orgIDParam}, pageParams...)
	messagesParams = append([]openapi.Param{
		orgIDParam,
		{Name: "channel", Description: "email, sms or webhook"},
		{Name: "status", Description: "pending, delivered, dead or cancelled"},
	}, pageParams...)
	appsParams = append([]openapi.Param{
		{Name: "org_id", Description: "only the apps this organization can use: its own and the system-wide ones"},
	}, pageParams...)
	appInvitesParams = append([]openapi.Param{
		orgIDParam,
		{Name: "app_id", Description: "only the invites through this app"},
		{Name: "status", Description: "pending, active, archived, revoked or expired"},
	}, pageParams...)
	orgProfilesParams = append([]openapi.Param{
		{Name: "app_id", Description: "only the profiles connected through this app"},
		{Name: "status", Description: "active or archived"},
	}, pageParams...)
	profilesParams = append([]openapi.Param{orgIDParam}, orgProfilesParams...)
	auditParams    = append([]openapi.Param{
		orgIDParam,
		{Name: "resource", Description: "organization, role, membership, invitation, api_key, webhook, message, acceptance_ticket, app, app_invite or profile"},
		{Name: "actor", Description: "only what this user (usr_…) or API key (key_…) did"},
	}, pageParams...)
)

// Tags group the docs.
var (
	tagOrgs        = []string{"Organizations"}
	tagMembers     = []string{"Members"}
	tagInvitations = []string{"Invitations"}
	tagLinks       = []string{"Invitation links"}
	tagKeys        = []string{"API keys"}
	tagWebhooks    = []string{"Webhooks and deliveries"}
	tagAudit       = []string{"Audit log"}
	tagTickets     = []string{"Acceptance tickets"}
	tagApps        = []string{"Apps and app invites"}
	tagProfiles    = []string{"Connection profiles"}
	tagSystem      = []string{"System"}
)

// routes is the whole API surface. The same table registers the handlers
// (NewServer) and generates /openapi.json; an endpoint's request body,
// answer and success status are taken from its handler (endpoint.describe).
func (s *server) routes() []openapi.Route {
	created := endpointOptions{status: http.StatusCreated, idempotent: true}

	routes := []openapi.Route{
		{Method: "POST", Path: "/v1/orgs", OperationID: "createOrganization", Tags: tagOrgs, Auth: authAdmin,
			Summary: "Create an organization", Errors: errsWrite,
			Handler: handle(s, s.createOrganization, created)},
		{Method: "GET", Path: "/v1/orgs", OperationID: "listOrganizations", Tags: tagOrgs, Auth: authScoped,
			Summary: "List the organizations the caller can see", Query: pageParams, Errors: errsRead,
			Handler: bodyless(s, s.listOrganizations)},
		{Method: "GET", Path: "/v1/orgs/{org}", OperationID: "getOrganization", Tags: tagOrgs, Auth: authScoped,
			Summary: "Get an organization", Errors: errsRead,
			Handler: bodyless(s, s.getOrganization)},
		{Method: "PATCH", Path: "/v1/orgs/{org}", OperationID: "updateOrganization", Tags: tagOrgs, Auth: perm(invited.PermOrgManage),
			Summary: "Rename an organization or change its settings", Errors: errsWrite,
			Handler: handle(s, s.updateOrganization, endpointOptions{})},

		{Method: "GET", Path: "/v1/orgs/{org}/members", OperationID: "listMembers", Tags: tagMembers, Auth: perm(invited.PermMembersRead),
			Summary: "List an organization's members", Query: pageParams, Errors: []int{400, 401, 403, 404},
			Handler: bodyless(s, s.listMembers)},
		{Method: "GET", Path: "/v1/orgs/{org}/members/{user}", OperationID: "getMember", Tags: tagMembers, Auth: perm(invited.PermMembersRead),
			Summary: "Get a member", Errors: []int{400, 401, 403, 404},
			Handler: bodyless(s, s.getMember)},
		{Method: "PATCH", Path: "/v1/orgs/{org}/members/{user}", OperationID: "updateMember", Tags: tagMembers, Auth: perm(invited.PermMembersManage),
			Summary: "Replace a member's roles", Description: "The last owner cannot lose the owner role.", Errors: errsWrite,
			Handler: handle(s, s.updateMember, endpointOptions{})},
		{Method: "DELETE", Path: "/v1/orgs/{org}/members/{user}", OperationID: "deleteMember", Tags: tagMembers, Auth: perm(invited.PermMembersManage),
			Summary: "Remove a member", Description: "The last owner cannot be removed.", Errors: errsAction,
			Handler: bodyless(s, s.deleteMember)},
		{Method: "GET", Path: "/v1/orgs/{org}/roles", OperationID: "listRoles", Tags: tagMembers, Auth: authScoped,
			Summary: "List an organization's roles, built-in and custom", Errors: errsRead,
			Handler: bodyless(s, s.listRoles)},
		{Method: "POST", Path: "/v1/orgs/{org}/roles", OperationID: "createRole", Tags: tagMembers, Auth: perm(invited.PermRolesManage),
			Summary: "Create a custom role", Errors: errsWrite,
			Handler: handle(s, s.createRole, created)},

		{Method: "POST", Path: "/v1/orgs/{org}/invitations", OperationID: "createInvitation", Tags: tagInvitations, Auth: perm(invited.PermInvitationsCreate),
			Summary:     "Invite someone",
			Description: `Creates and (unless "send": false) sends an invitation. The answer carries the secret link in "url", only here.`,
			Errors:      errsCreate,
			Handler:     handle(s, s.createInvitation, created)},
		{Method: "POST", Path: "/v1/orgs/{org}/invitations/batch", OperationID: "createInvitations", Tags: tagInvitations, Auth: perm(invited.PermInvitationsCreate),
			Summary:     "Invite up to 1000 people",
			Description: "Each item is created on its own merits and answered in results[index]; one bad item does not sink the rest.",
			Errors:      errsBatch,
			Handler:     handle(s, s.createInvitations, endpointOptions{maxBody: maxBatchSize, idempotent: true})},
		{Method: "GET", Path: "/v1/invitations", OperationID: "listInvitations", Tags: tagInvitations, Auth: authScoped,
			Summary: "List the invitations the caller may read", Query: invitationsParams, Errors: errsRead,
			Handler: bodyless(s, s.listInvitations)},
		{Method: "GET", Path: "/v1/invitations/{id}", OperationID: "getInvitation", Tags: tagInvitations, Auth: authScoped,
			Summary: "Get an invitation", Errors: errsRead,
			Handler: bodyless(s, s.invitationAction(invited.InvitationService.FindInvitationByID))},
		{Method: "POST", Path: "/v1/invitations/{id}/send", OperationID: "sendInvitation", Tags: tagInvitations, Auth: perm(invited.PermInvitationsCreate),
			Summary: "Send a draft", Description: "The answer carries the secret link in \"url\".", Errors: errsAction,
			Handler: bodyless(s, s.linkAction(invited.InvitationService.SendInvitation))},
		{Method: "POST", Path: "/v1/invitations/{id}/resend", OperationID: "resendInvitation", Tags: tagInvitations, Auth: perm(invited.PermInvitationsCreate),
			Summary:     "Send again with a new link",
			Description: "The previous link stops working. At most one send per minute and five resends a day. The answer carries the new link in \"url\".",
			Errors:      []int{401, 403, 404, 409, 429},
			Handler:     bodyless(s, s.linkAction(invited.InvitationService.ResendInvitation))},
		{Method: "POST", Path: "/v1/invitations/{id}/renew", OperationID: "renewInvitation", Tags: tagInvitations, Auth: perm(invited.PermInvitationsCreate),
			Summary:     "Extend a pending or expired invitation",
			Description: "Keeps the link. Without a body the new lifetime is the organization's invitation_ttl.",
			Errors:      errsWrite,
			Handler:     handle(s, s.renewInvitation, endpointOptions{optionalBody: true})},
		{Method: "POST", Path: "/v1/invitations/{id}/revoke", OperationID: "revokeInvitation", Tags: tagInvitations, Auth: perm(invited.PermInvitationsRevoke),
			Summary: "Revoke an invitation", Errors: errsAction,
			Handler: bodyless(s, s.invitationAction(invited.InvitationService.RevokeInvitation))},
		{Method: "DELETE", Path: "/v1/invitations/{id}", OperationID: "deleteInvitation", Tags: tagInvitations, Auth: perm(invited.PermInvitationsRevoke),
			Summary: "Revoke an invitation", Description: "The same as POST /v1/invitations/{id}/revoke.", Errors: errsAction,
			Handler: bodyless(s, s.invitationAction(invited.InvitationService.RevokeInvitation))},
		{Method: "POST", Path: "/v1/invitations/{id}/archive", OperationID: "archiveInvitation", Tags: tagInvitations, Auth: perm(invited.PermInvitationsCreate),
			Summary: "File away an accepted invitation", Errors: errsAction,
			Handler: bodyless(s, s.invitationAction(invited.InvitationService.ArchiveInvitation))},

		{Method: "GET", Path: "/v1/invitation-tokens/{token}", OperationID: "previewInvitation", Tags: tagLinks, Auth: authPublic,
			Summary:     "What an invitation link offers",
			Description: "Anyone holding the link may see this; it names no email, phone or metadata.",
			Errors:      errsToken,
			Handler:     bodyless(s, s.previewInvitation)},
		{Method: "POST", Path: "/v1/invitation-tokens/{token}/accept", OperationID: "acceptInvitation", Tags: tagLinks, Auth: authAcceptance,
			Summary:     "Accept an invitation",
			Description: `With a user access token, send no body. With an API key, name the person in "user"; the host application vouches for them.`,
			Errors:      errsAccept,
			Handler:     handle(s, s.acceptInvitation, endpointOptions{optionalBody: true})},
		{Method: "POST", Path: "/v1/invitation-tokens/{token}/decline", OperationID: "declineInvitation", Tags: tagLinks, Auth: authPublic,
			Summary: "Decline an invitation", Description: "Answers the link's public view, now declined.",
			Errors:  []int{404, 409, 410, 429},
			Handler: bodyless(s, s.declineInvitation)},

		{Method: "POST", Path: "/v1/acceptance-tickets/redeem", OperationID: "redeemAcceptanceTicket", Tags: tagTickets, Auth: authScoped,
			Summary: "Redeem an acceptance ticket",
			Description: "The host app sends the ticket the invitee's browser brought back from the hosted page (?ticket=…). " +
				"Its signature is checked against the keys of GET /.well-known/jwks.json; a ticket can be redeemed once, within five minutes of its issue. " +
				"Only a caller who can see the ticket's organization may redeem it.",
			Errors:  []int{400, 401, 404, 409, 410},
			Handler: handle(s, s.redeemTicket, endpointOptions{})},
		{Method: "GET", Path: "/.well-known/jwks.json", OperationID: "getJWKS", Tags: tagTickets, Auth: authPublic,
			Summary: "The keys that verify acceptance tickets",
			Description: "A JSON Web Key Set of ES256 keys: the signing key and retired keys whose tickets may still be alive. " +
				"Cacheable for 60 seconds; fetch it again when a ticket names an unknown kid.",
			Response: client.JWKSet{},
			Handler:  http.HandlerFunc(s.serveJWKS)},

		{Method: "POST", Path: "/v1/apps", OperationID: "createApp", Tags: tagApps, Auth: authAppsManage,
			Summary: "Register an app",
			Description: "An app connects organizations to an external platform through its OAuth 2.0 authorization. Without org_id it is system-wide (admin only); " +
				"with org_id it is that organization's (apps:manage there). The client secret is stored encrypted and never shown again: answers say client_secret_set.",
			Errors:  errsWrite,
			Handler: handle(s, s.createApp, created)},
		{Method: "GET", Path: "/v1/apps", OperationID: "listApps", Tags: tagApps, Auth: authScoped,
			Summary:     "List the apps the caller can see",
			Description: "The apps of the organizations where the caller holds apps:manage or connections:manage, and the system-wide ones; an admin key sees all.",
			Query:       appsParams, Errors: errsRead,
			Handler: bodyless(s, s.listApps)},
		{Method: "GET", Path: "/v1/apps/{app}", OperationID: "getApp", Tags: tagApps, Auth: authScoped,
			Summary: "Get an app", Errors: errsRead,
			Handler: bodyless(s, s.getApp)},
		{Method: "POST", Path: "/v1/apps/{app}/invites", OperationID: "createAppInvite", Tags: tagApps, Auth: perm(invited.PermConnectionsManage),
			Summary: "Invite a partner to connect through an app",
			Description: "The answer carries the app code and the partner's link ({public URL}/a/{code}) in \"code\" and \"url\", only here. " +
				"Spends the organization's allowance of creates, shared with invitations.",
			Errors:  errsCreate,
			Handler: handle(s, s.createAppInvite, created)},
		{Method: "GET", Path: "/v1/app-invites", OperationID: "listAppInvites", Tags: tagApps, Auth: perm(invited.PermConnectionsManage),
			Summary:     "List app invites",
			Description: "The app invites of the organizations where the caller holds connections:manage; an admin key sees all.",
			Query:       appInvitesParams, Errors: []int{400, 401, 403, 404},
			Handler: bodyless(s, s.listAppInvites)},
		{Method: "GET", Path: "/v1/app-invites/{" + lookupParam + "}", OperationID: "getAppInvite", Tags: tagApps, Auth: authPublic,
			Summary: "Get an app invite by id, or what an app invite link offers by its code",
			Description: "One path, two reads, told apart by shape. An app invite id (ainv_…) needs credentials (connections:manage) and answers the app invite. " +
				"Anything else is taken for an app code: public, rate limited per client address, and answering only the preview " +
				"(status, expiry, the app's name and description, the organization's id and name, the inviter's name). Unknown codes and ids are 404.",
			Errors:  []int{401, 404, 429},
			Handler: s.appInviteLookup()},
		{Method: "POST", Path: "/v1/app-invites/{id}/revoke", OperationID: "revokeAppInvite", Tags: tagApps, Auth: perm(invited.PermConnectionsManage),
			Summary: "Revoke a pending app invite", Description: "Its link can no longer connect; looking it up shows it revoked.", Errors: errsAction,
			Handler: bodyless(s, s.appInviteAction(invited.AppService.RevokeAppInvite))},
		{Method: "POST", Path: "/v1/app-invites/{id}/archive", OperationID: "archiveAppInvite", Tags: tagApps, Auth: perm(invited.PermConnectionsManage),
			Summary: "File away an active, revoked or expired app invite", Description: "Archived is final.", Errors: errsAction,
			Handler: bodyless(s, s.appInviteAction(invited.AppService.ArchiveAppInvite))},

		{Method: "GET", Path: "/v1/orgs/{org}/profiles", OperationID: "listOrgProfiles", Tags: tagProfiles, Auth: perm(invited.PermConnectionsManage),
			Summary:     "List an organization's connection profiles",
			Description: "The external accounts partners connected to the organization through app invites, newest first. Profiles never show their tokens.",
			Query:       orgProfilesParams, Errors: []int{400, 401, 403, 404},
			Handler: bodyless(s, s.listOrgProfiles)},
		{Method: "GET", Path: "/v1/profiles", OperationID: "listProfiles", Tags: tagProfiles, Auth: perm(invited.PermConnectionsManage),
			Summary:     "List connection profiles",
			Description: "The profiles of the organizations where the caller holds connections:manage, newest first; an admin key sees all.",
			Query:       profilesParams, Errors: []int{400, 401, 403, 404},
			Handler: bodyless(s, s.listProfiles)},
		{Method: "GET", Path: "/v1/profiles/{id}", OperationID: "getProfile", Tags: tagProfiles, Auth: perm(invited.PermConnectionsManage),
			Summary: "Get a connection profile", Errors: errsRead,
			Handler: bodyless(s, s.profileAction(invited.ProfileService.FindProfileByID))},
		{Method: "POST", Path: "/v1/profiles/{id}/archive", OperationID: "archiveProfile", Tags: tagProfiles, Auth: perm(invited.PermConnectionsManage),
			Summary:     "Disconnect a profile",
			Description: "Deletes the stored tokens and archives the profile and its app invite. Archived is final; the platform may still hold its grant until the partner revokes it there.",
			Errors:      errsAction,
			Handler:     bodyless(s, s.profileAction(invited.ProfileService.ArchiveProfile))},
		{Method: "POST", Path: "/v1/profiles/{id}/token", OperationID: "getProfileToken", Tags: tagProfiles, Auth: perm(invited.PermConnectionsManage),
			Summary: "Get an access token for the connected account",
			Description: "Answers the platform's access token, usable for at least a minute unless the platform gave no lifetime; one about to expire is first renewed with the refresh token " +
				"(concurrent requests share one renewal). The answer is a credential: Cache-Control: no-store, and nothing keeps a copy. " +
				"409 invalid_state for an archived profile, or an expired token without a refresh token (invite the partner again); " +
				"502 upstream_error when the platform refuses or fails the renewal; 503 when a renewal under way elsewhere does not finish in time.",
			Errors:  []int{401, 403, 404, 409, 502, 503},
			Handler: bodyless(s, s.profileToken)},

		{Method: "POST", Path: "/v1/api-keys", OperationID: "createAPIKey", Tags: tagKeys, Auth: authOrgManage,
			Summary:     "Create an API key",
			Description: "The answer carries the secret, only here. A key never holds more than its creator.",
			Errors:      errsWrite,
			Handler:     handle(s, s.createAPIKey, created)},
		{Method: "GET", Path: "/v1/api-keys", OperationID: "listAPIKeys", Tags: tagKeys, Auth: authOrgManage,
			Summary: "List API keys", Query: apiKeysParams, Errors: errsRead,
			Handler: bodyless(s, s.listAPIKeys)},
		{Method: "DELETE", Path: "/v1/api-keys/{id}", OperationID: "deleteAPIKey", Tags: tagKeys, Auth: authOrgManage,
			Summary: "Revoke an API key", Errors: errsAction,
			Handler: bodyless(s, s.deleteAPIKey)},

		{Method: "POST", Path: "/v1/webhooks", OperationID: "createWebhook", Tags: tagWebhooks, Auth: authOrgManage,
			Summary: "Register a webhook endpoint",
			Description: "Without org_id the endpoint hears of every organization (admin only). The answer carries the signing secret (whsec_…), only here. " +
				"Deliveries are signed per Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature.",
			Errors:  errsWrite,
			Handler: handle(s, s.createWebhook, created)},
		{Method: "GET", Path: "/v1/webhooks", OperationID: "listWebhooks", Tags: tagWebhooks, Auth: authOrgManage,
			Summary: "List webhook endpoints", Query: webhooksParams, Errors: errsRead,
			Handler: bodyless(s, s.listWebhooks)},
		{Method: "GET", Path: "/v1/webhooks/{id}", OperationID: "getWebhook", Tags: tagWebhooks, Auth: authOrgManage,
			Summary: "Get a webhook endpoint", Errors: errsRead,
			Handler: bodyless(s, s.getWebhook)},
		{Method: "DELETE", Path: "/v1/webhooks/{id}", OperationID: "deleteWebhook", Tags: tagWebhooks, Auth: authOrgManage,
			Summary: "Delete a webhook endpoint", Description: "Its pending deliveries are cancelled.", Errors: errsAction,
			Handler: bodyless(s, s.deleteWebhook)},
		{Method: "GET", Path: "/v1/webhooks/{id}/deliveries", OperationID: "listWebhookDeliveries", Tags: tagWebhooks, Auth: authOrgManage,
			Summary: "List an endpoint's deliveries", Description: "GET /v1/messages for this endpoint; GET /v1/messages/{id} shows each attempt.",
			Query: messagesParams, Errors: errsRead,
			Handler: bodyless(s, s.listDeliveries)},
		{Method: "GET", Path: "/v1/messages", OperationID: "listMessages", Tags: tagWebhooks, Auth: authOrgManage,
			Summary:     "List outbox messages",
			Description: "Emails, text messages and webhook deliveries, newest first. An admin key sees all; others the organizations where they hold org:manage.",
			Query:       messagesParams, Errors: []int{400, 401, 403, 404},
			Handler: bodyless(s, s.listMessages)},
		{Method: "GET", Path: "/v1/messages/{id}", OperationID: "getMessage", Tags: tagWebhooks, Auth: authOrgManage,
			Summary: "Get a message with its delivery attempts", Errors: errsRead,
			Handler: bodyless(s, s.getMessage)},
		{Method: "POST", Path: "/v1/messages/{id}/replay", OperationID: "replayMessage", Tags: tagWebhooks, Auth: authOrgManage,
			Summary:     "Deliver a message again",
			Description: "A dead message, or any finished webhook delivery, becomes pending again with the same id and a fresh delivery horizon. A letter whose link was scrubbed cannot be replayed: resend the invitation.",
			Errors:      errsAction,
			Handler:     bodyless(s, s.replayMessage)},

		{Method: "GET", Path: "/v1/audit-events", OperationID: "listAuditEvents", Tags: tagAudit, Auth: authOrgManage,
			Summary:     "List audit events",
			Description: "Every mutation, newest first: who (user, API key), what, which resource, when, from which address. An admin key sees all; others the organizations where they hold org:manage.",
			Query:       auditParams, Errors: []int{400, 401, 403, 404},
			Handler: bodyless(s, s.listAuditEvents)},

		{Method: "GET", Path: "/livez", OperationID: "live", Tags: tagSystem, Auth: authPublic,
			Summary: "Liveness", Description: `200 {"status":"ok"} while the process answers; no dependency is checked.`,
			Response: client.Health{},
			Handler:  http.HandlerFunc(s.livez)},
		{Method: "GET", Path: "/readyz", OperationID: "ready", Tags: tagSystem, Auth: authPublic,
			Summary: "Readiness", Description: `200 {"status":"ok"} when the database answers, its migrations are applied and a signing key is loaded; otherwise 503 {"status":"unavailable","reason":…} naming the check that failed.`,
			Response: client.Health{}, Errors: []int{503},
			Handler: http.HandlerFunc(s.readyz)},
		{Method: "GET", Path: "/healthz", OperationID: "health", Tags: tagSystem, Auth: authPublic,
			Summary: "Readiness (alias of /readyz)", Description: "The same as GET /readyz, kept for existing health checks.",
			Response: client.Health{}, Errors: []int{503},
			Handler: http.HandlerFunc(s.readyz)},
		{Method: "GET", Path: "/openapi.json", OperationID: "openapi", Tags: tagSystem, Auth: authPublic,
			Summary: "This API's OpenAPI 3.1 document",
			Handler: http.HandlerFunc(s.serveSpec)},
		{Method: "GET", Path: "/docs", OperationID: "docs", Tags: tagSystem, Auth: authPublic,
			Summary: "This API's reference, as a web page",
			Handler: http.HandlerFunc(s.serveDocs)},
	}
	for i := range routes {
		if e, ok := routes[i].Handler.(describer); ok {
			routes[i].Request, routes[i].Response, routes[i].Status = e.describe()
		}
	}
	return routes
}

// specAmender is a route handler whose operation needs more than the route
// table's fields can say.
type specAmender interface {
	amendSpec(op *openapi.Operation)
}

// amendOperations lets each specAmender of routes complete its operation
// in doc.
func amendOperations(doc *openapi.Document, routes []openapi.Route) {
	for _, rt := range routes {
		if a, ok := rt.Handler.(specAmender); ok {
			a.amendSpec(doc.Paths[rt.Path][strings.ToLower(rt.Method)])
		}
	}
}
