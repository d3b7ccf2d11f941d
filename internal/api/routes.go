package api

import (
	"net/http"
	"slices"
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
	authUser       = "user token, or API key acting for a user"
)

// perm is the Auth of a route that needs one permission.
func perm(p invited.Permission) string { return string(p) }

// Error statuses per kind of route, for the spec.
var (
	errsRead   = []int{400, 401, 404}
	errsWrite  = []int{400, 401, 403, 404, 409}
	errsCreate = []int{400, 401, 403, 404, 409, 429}
	errsToken  = []int{404, 429}
	errsAccept = []int{400, 401, 403, 404, 409, 410, 429}
	errsBatch  = []int{400, 401, 403, 404, 429}

	errsScopedRead   = []int{400, 401, 403, 404}
	errsResend       = []int{400, 401, 403, 404, 409, 429}
	errsDecline      = []int{404, 409, 410, 429}
	errsRedeem       = []int{400, 401, 404, 409, 410}
	errsLookup       = []int{400, 401, 404, 429}
	errsProfileToken = []int{400, 401, 403, 404, 409, 502, 503}
	errsReady        = []int{503}
)

// Query parameters. Closed sets and bounds come from the lists and
// constants the filters are validated against.
var (
	pageParams = []openapi.Param{
		{Name: "page_size", Type: "integer", Minimum: 1, Maximum: invited.MaxPageSize, Description: "default 50"},
		{Name: "page_token", MaxLength: maxPageToken, Description: "next_page_token of the previous page"},
	}
	orgIDParam        = openapi.Param{Name: "org_id", Pattern: invited.IDPattern(invited.PrefixOrganization), Description: "only this organization's"}
	invitationsParams = append([]openapi.Param{
		orgIDParam,
		{Name: "status", Enum: invited.Strings(invited.Statuses), Description: "only invitations in this status"},
		{Name: "email", Description: "only invitations to this address"},
	}, pageParams...)
	apiKeysParams  = append([]openapi.Param{orgIDParam}, pageParams...)
	webhooksParams = append([]openapi.Param{orgIDParam}, pageParams...)
	messagesParams = append([]openapi.Param{
		orgIDParam,
		{Name: "channel", Enum: invited.Channels, Description: "only messages of this channel"},
		{Name: "status", Enum: invited.MessageStatuses, Description: "only messages in this status"},
	}, pageParams...)
	appsParams = append([]openapi.Param{
		{Name: "org_id", Pattern: invited.IDPattern(invited.PrefixOrganization), Description: "only the apps this organization can use: its own and the system-wide ones"},
	}, pageParams...)
	joinRequestsParams = append([]openapi.Param{
		{Name: "status", Enum: invited.Strings(invited.JoinRequestStatuses), Description: "only join requests in this status"},
	}, pageParams...)
	domainsParams = append([]openapi.Param{
		{Name: "status", Enum: invited.Strings(invited.DomainStatuses), Description: "only domains in this status"},
	}, pageParams...)
	joinLinksParams = append([]openapi.Param{
		{Name: "status", Enum: invited.Strings(invited.JoinLinkStatuses), Description: "only join links in this status"},
	}, pageParams...)
	appInvitesParams = append([]openapi.Param{
		orgIDParam,
		{Name: "app_id", Pattern: invited.IDPattern(invited.PrefixApp), Description: "only the invites through this app"},
		{Name: "status", Enum: invited.Strings(invited.AppInviteStatuses), Description: "only app invites in this status"},
	}, pageParams...)
	orgProfilesParams = append([]openapi.Param{
		{Name: "app_id", Pattern: invited.IDPattern(invited.PrefixApp), Description: "only the profiles connected through this app"},
		{Name: "status", Enum: invited.Strings(invited.ProfileStatuses), Description: "only profiles in this status"},
	}, pageParams...)
	profilesParams = append([]openapi.Param{orgIDParam}, orgProfilesParams...)
	auditParams    = append([]openapi.Param{
		orgIDParam,
		{Name: "resource", Enum: invited.AuditResources, Description: "only events about this kind of resource"},
		{Name: "actor", Description: "only what this user (usr_…) or API key (key_…) did"},
	}, pageParams...)
)

// license is the API's license in the spec: none until the project
// chooses one (there is no LICENSE file).
var license *openapi.License

// Tags group the docs, in the order a newcomer reads them. The names are
// part of the docs' links (/docs#/invitations): keep them.
var tags = []openapi.Tag{
	{Name: "organizations", Description: "Tenants: create them, read them, change their settings."},
	{Name: "invitations", Description: "Offers to join an organization with roles, addressed to an email, a phone or a user; their lifecycle: draft, pending, accepted, declined, revoked, expired, archived."},
	{Name: "invitation-links", Description: "What the holder of an invitation link can do, without credentials or with the host application's: preview, accept, decline."},
	{Name: "members", Description: "The people of an organization and their roles."},
	{Name: "users", Description: "People across organizations: erasing a person's personal data."},
	{Name: "roles", Description: "Named sets of permissions per organization: the built-in ones and custom roles."},
	{Name: "join-links", Description: "Multi-use secret links into an organization, with a use limit and an expiry, and what their holders can do: preview and join."},
	{Name: "join-requests", Description: "Requests to join an organization, filed by a person or by a join link that requires approval, and the admins' decisions."},
	{Name: "domains", Description: "Verified email domains: an organization proves with a DNS record that it owns a domain, and people with a verified address there find it and join by its policy."},
	{Name: "acceptance-tickets", Description: "Signed proof of an acceptance that the hosted page hands to the host application."},
	{Name: "apps", Description: "Connector applications with an external OAuth 2.0 provider, and the app invites that let a partner connect through them."},
	{Name: "profiles", Description: "The external accounts partners connected through app invites, and their access tokens."},
	{Name: "api-keys", Description: "Server-to-server credentials, system-wide or bound to one organization."},
	{Name: "webhooks", Description: "Webhook endpoints, and the outbox of emails, text messages and webhook deliveries."},
	{Name: "audit", Description: "Who changed what, when."},
	{Name: "system", Description: "Health, the API's own description and metrics."},
}

// The tag of each route; one per route.
var (
	tagOrgs        = []string{"organizations"}
	tagInvitations = []string{"invitations"}
	tagLinks       = []string{"invitation-links"}
	tagMembers     = []string{"members"}
	tagRoles       = []string{"roles"}
	tagUsers       = []string{"users"}
	tagTickets     = []string{"acceptance-tickets"}
	tagJoinLinks   = []string{"join-links"}
	tagRequests    = []string{"join-requests"}
	tagDomains     = []string{"domains"}
	tagApps        = []string{"apps"}
	tagProfiles    = []string{"profiles"}
	tagKeys        = []string{"api-keys"}
	tagWebhooks    = []string{"webhooks"}
	tagAudit       = []string{"audit"}
	tagSystem      = []string{"system"}
)

// route is one line of the route table: what registers the handler, and
// what the spec says beyond what the handler describes itself
// (specDescriber). Summaries and descriptions are in operations.md, under
// the operationId.
type route struct {
	method, path, operationID string
	tags                      []string
	auth                      string
	errors                    []int
	query                     []openapi.Param
	handler                   http.Handler
}

// routes is the whole API surface. The same table registers the handlers
// (NewServer) and generates /openapi.json; an endpoint's request body,
// answer and success status are taken from its handler (specDescriber), its
// texts from operations.md and its examples from examples.go.
func (s *server) routes() []openapi.Route {
	created := endpointOptions{status: http.StatusCreated, idempotent: true}
	sendInvitation := s.linkAction(invited.InvitationService.SendInvitation)
	getInvitation := s.invitationAction(invited.InvitationService.FindInvitationByID)
	revokeInvitation := s.invitationAction(invited.InvitationService.RevokeInvitation)

	table := []route{
		// method, path, operationId, tags, auth, errors, query, handler
		{"POST", "/v1/orgs", "createOrganization", tagOrgs, authAdmin, errsWrite, nil, handle(s, s.createOrganization, created)},
		{"GET", "/v1/orgs", "listOrganizations", tagOrgs, authScoped, errsRead, pageParams, bodyless(s, s.listOrganizations)},
		{"GET", "/v1/orgs/{org}", "getOrganization", tagOrgs, authScoped, errsRead, nil, bodyless(s, s.getOrganization)},
		{"PATCH", "/v1/orgs/{org}", "updateOrganization", tagOrgs, perm(invited.PermOrgManage), errsWrite, nil, handle(s, s.updateOrganization, endpointOptions{})},

		{"GET", "/v1/orgs/{org}/members", "listMembers", tagMembers, perm(invited.PermMembersRead), errsScopedRead, pageParams, bodyless(s, s.listMembers)},
		{"GET", "/v1/orgs/{org}/members/{user}", "getMember", tagMembers, perm(invited.PermMembersRead), errsScopedRead, nil, bodyless(s, s.getMember)},
		{"PATCH", "/v1/orgs/{org}/members/{user}", "updateMember", tagMembers, perm(invited.PermMembersManage), errsWrite, nil, handle(s, s.updateMember, endpointOptions{})},
		{"DELETE", "/v1/orgs/{org}/members/{user}", "deleteMember", tagMembers, perm(invited.PermMembersManage), errsWrite, nil, bodyless(s, s.deleteMember)},
		{"GET", "/v1/orgs/{org}/roles", "listRoles", tagRoles, authScoped, errsRead, nil, bodyless(s, s.listRoles)},
		{"POST", "/v1/orgs/{org}/roles", "createRole", tagRoles, perm(invited.PermRolesManage), errsWrite, nil, handle(s, s.createRole, created)},

		{"POST", "/v1/orgs/{org}/invitations", "createInvitation", tagInvitations, perm(invited.PermInvitationsCreate), errsCreate, nil, handle(s, s.createInvitation, created)},
		{"POST", "/v1/orgs/{org}/invitations/batch", "createInvitations", tagInvitations, perm(invited.PermInvitationsCreate), errsBatch, nil, handle(s, s.createInvitations, endpointOptions{maxBody: maxBatchSize, idempotent: true})},
		{"GET", "/v1/invitations", "listInvitations", tagInvitations, authScoped, errsScopedRead, invitationsParams, bodyless(s, s.listInvitations)},
		{"GET", "/v1/invitations/{id}", "getInvitation", tagInvitations, authScoped, errsRead, nil, bodyless(s, getInvitation)},
		{"POST", "/v1/invitations/{id}/send", "sendInvitation", tagInvitations, perm(invited.ActionSend.Permission()), errsWrite, nil, bodyless(s, sendInvitation)},
		{"POST", "/v1/invitations/{id}/resend", "resendInvitation", tagInvitations, perm(invited.ActionResend.Permission()), errsResend, nil, bodyless(s, s.linkAction(invited.InvitationService.ResendInvitation))},
		{"POST", "/v1/invitations/{id}/renew", "renewInvitation", tagInvitations, perm(invited.ActionRenew.Permission()), errsWrite, nil, handle(s, s.renewInvitation, endpointOptions{optionalBody: true})},
		{"POST", "/v1/invitations/{id}/revoke", "revokeInvitation", tagInvitations, perm(invited.ActionRevoke.Permission()), errsWrite, nil, bodyless(s, revokeInvitation)},
		{"DELETE", "/v1/invitations/{id}", "deleteInvitation", tagInvitations, perm(invited.ActionRevoke.Permission()), errsWrite, nil, bodyless(s, revokeInvitation)},
		{"POST", "/v1/invitations/{id}/archive", "archiveInvitation", tagInvitations, perm(invited.ActionArchive.Permission()), errsWrite, nil, bodyless(s, s.invitationAction(invited.InvitationService.ArchiveInvitation))},

		{"GET", "/v1/invitation-tokens/{token}", "previewInvitation", tagLinks, authPublic, errsToken, nil, bodyless(s, s.previewInvitation)},
		{"POST", "/v1/invitation-tokens/{token}/accept", "acceptInvitation", tagLinks, authAcceptance, errsAccept, nil, handle(s, s.acceptInvitation, endpointOptions{optionalBody: true})},
		{"POST", "/v1/invitation-tokens/{token}/decline", "declineInvitation", tagLinks, authPublic, errsDecline, nil, bodyless(s, s.declineInvitation)},

		{"POST", "/v1/orgs/{org}/join-requests", "createJoinRequest", tagRequests, authUser, errsCreate, nil, handle(s, s.createJoinRequest, endpointOptions{status: http.StatusCreated, optionalBody: true})},
		{"GET", "/v1/orgs/{org}/join-requests", "listJoinRequests", tagRequests, perm(invited.PermMembersManage), errsScopedRead, joinRequestsParams, bodyless(s, s.listJoinRequests)},
		{"GET", "/v1/join-requests/{id}", "getJoinRequest", tagRequests, perm(invited.PermMembersManage), errsRead, nil, bodyless(s, s.getJoinRequest)},
		{"POST", "/v1/join-requests/{id}/approve", "approveJoinRequest", tagRequests, perm(invited.PermMembersManage), errsWrite, nil, handle(s, s.decideJoinRequest(invited.ActionApprove), endpointOptions{optionalBody: true})},
		{"POST", "/v1/join-requests/{id}/deny", "denyJoinRequest", tagRequests, perm(invited.PermMembersManage), errsWrite, nil, handle(s, s.decideJoinRequest(invited.ActionDeny), endpointOptions{optionalBody: true})},

		{"POST", "/v1/orgs/{org}/join-links", "createJoinLink", tagJoinLinks, perm(invited.PermInvitationsCreate), errsCreate, nil, handle(s, s.createJoinLink, created)},
		{"GET", "/v1/orgs/{org}/join-links", "listJoinLinks", tagJoinLinks, perm(invited.PermInvitationsRead), errsScopedRead, joinLinksParams, bodyless(s, s.listJoinLinks)},
		{"GET", "/v1/join-links/{id}", "getJoinLink", tagJoinLinks, perm(invited.PermInvitationsRead), errsRead, nil, bodyless(s, s.joinLinkAction(invited.JoinLinkService.FindJoinLinkByID))},
		{"POST", "/v1/join-links/{id}/revoke", "revokeJoinLink", tagJoinLinks, perm(invited.ActionRevoke.Permission()), errsWrite, nil, bodyless(s, s.joinLinkAction(invited.JoinLinkService.RevokeJoinLink))},
		{"POST", "/v1/join-links/{id}/rotate", "rotateJoinLink", tagJoinLinks, perm(invited.ActionRotate.Permission()), errsWrite, nil, bodyless(s, s.rotateJoinLink)},
		{"GET", "/v1/join-link-tokens/{token}", "previewJoinLink", tagJoinLinks, authPublic, errsToken, nil, bodyless(s, s.previewJoinLink)},
		{"POST", "/v1/join-link-tokens/{token}/accept", "acceptJoinLink", tagJoinLinks, authAcceptance, errsAccept, nil, handle(s, s.acceptJoinLink, endpointOptions{optionalBody: true})},

		{"POST", "/v1/orgs/{org}/domains", "createDomain", tagDomains, perm(invited.PermOrgManage), errsWrite, nil, handle(s, s.createDomain, created)},
		{"GET", "/v1/orgs/{org}/domains", "listDomains", tagDomains, perm(invited.PermOrgManage), errsScopedRead, domainsParams, bodyless(s, s.listDomains)},
		{"GET", "/v1/domains/{id}", "getDomain", tagDomains, perm(invited.PermOrgManage), errsScopedRead, nil, bodyless(s, s.getDomain)},
		{"PATCH", "/v1/domains/{id}", "updateDomain", tagDomains, perm(invited.PermOrgManage), errsWrite, nil, handle(s, s.updateDomain, endpointOptions{})},
		{"DELETE", "/v1/domains/{id}", "deleteDomain", tagDomains, perm(invited.PermOrgManage), errsWrite, nil, bodyless(s, s.deleteDomain)},
		{"POST", "/v1/domains/{id}/verify", "verifyDomain", tagDomains, perm(invited.PermOrgManage), errsWrite, nil, handle(s, s.verifyDomain, endpointOptions{optionalBody: true})},
		{"GET", "/v1/me/joinable-orgs", "listJoinableOrgs", tagDomains, authUser, errsScopedRead, nil, bodyless(s, s.listJoinableOrgs)},
		{"POST", "/v1/orgs/{org}/join", "joinOrganization", tagDomains, authUser, errsWrite, nil, handle(s, s.joinOrganization, endpointOptions{optionalBody: true})},

		{"POST", "/v1/acceptance-tickets/redeem", "redeemAcceptanceTicket", tagTickets, authScoped, errsRedeem, nil, handle(s, s.redeemTicket, endpointOptions{})},
		{"GET", "/.well-known/jwks.json", "getJWKS", tagTickets, authPublic, nil, nil, answers(s.serveJWKS, client.JWKSet{})},

		{"POST", "/v1/apps", "createApp", tagApps, authAppsManage, errsWrite, nil, handle(s, s.createApp, created)},
		{"GET", "/v1/apps", "listApps", tagApps, authScoped, errsScopedRead, appsParams, bodyless(s, s.listApps)},
		{"GET", "/v1/apps/{app}", "getApp", tagApps, authScoped, errsRead, nil, bodyless(s, s.getApp)},
		{"POST", "/v1/apps/{app}/invites", "createAppInvite", tagApps, perm(invited.PermConnectionsManage), errsCreate, nil, handle(s, s.createAppInvite, created)},
		{"GET", "/v1/app-invites", "listAppInvites", tagApps, perm(invited.PermConnectionsManage), errsScopedRead, appInvitesParams, bodyless(s, s.listAppInvites)},
		{"GET", "/v1/app-invites/{" + lookupParam + "}", "getAppInvite", tagApps, authPublic, errsLookup, nil, s.appInviteLookup()},
		{"POST", "/v1/app-invites/{id}/revoke", "revokeAppInvite", tagApps, perm(invited.PermConnectionsManage), errsWrite, nil, bodyless(s, s.appInviteAction(invited.AppService.RevokeAppInvite))},
		{"POST", "/v1/app-invites/{id}/archive", "archiveAppInvite", tagApps, perm(invited.PermConnectionsManage), errsWrite, nil, bodyless(s, s.appInviteAction(invited.AppService.ArchiveAppInvite))},

		{"GET", "/v1/orgs/{org}/profiles", "listOrgProfiles", tagProfiles, perm(invited.PermConnectionsManage), errsScopedRead, orgProfilesParams, bodyless(s, s.listOrgProfiles)},
		{"GET", "/v1/profiles", "listProfiles", tagProfiles, perm(invited.PermConnectionsManage), errsScopedRead, profilesParams, bodyless(s, s.listProfiles)},
		{"GET", "/v1/profiles/{id}", "getProfile", tagProfiles, perm(invited.PermConnectionsManage), errsRead, nil, bodyless(s, s.profileAction(invited.ProfileService.FindProfileByID))},
		{"POST", "/v1/profiles/{id}/archive", "archiveProfile", tagProfiles, perm(invited.PermConnectionsManage), errsWrite, nil, bodyless(s, s.profileAction(invited.ProfileService.ArchiveProfile))},
		{"POST", "/v1/profiles/{id}/token", "getProfileToken", tagProfiles, perm(invited.PermConnectionsManage), errsProfileToken, nil, bodyless(s, s.profileToken)},

		{"POST", "/v1/users/{id}/erase", "eraseUser", tagUsers, authAdmin, errsWrite, nil, handle(s, s.eraseUser, endpointOptions{optionalBody: true})},
		{"POST", "/v1/invitees/erase", "eraseInvitee", tagUsers, authAdmin, errsWrite, nil, handle(s, s.eraseInvitee, endpointOptions{})},

		{"POST", "/v1/api-keys", "createAPIKey", tagKeys, authOrgManage, errsWrite, nil, handle(s, s.createAPIKey, created)},
		{"GET", "/v1/api-keys", "listAPIKeys", tagKeys, authOrgManage, errsScopedRead, apiKeysParams, bodyless(s, s.listAPIKeys)},
		{"DELETE", "/v1/api-keys/{id}", "deleteAPIKey", tagKeys, authOrgManage, errsWrite, nil, bodyless(s, s.deleteAPIKey)},

		{"POST", "/v1/webhooks", "createWebhook", tagWebhooks, authOrgManage, errsWrite, nil, handle(s, s.createWebhook, created)},
		{"GET", "/v1/webhooks", "listWebhooks", tagWebhooks, authOrgManage, errsScopedRead, webhooksParams, bodyless(s, s.listWebhooks)},
		{"GET", "/v1/webhooks/{id}", "getWebhook", tagWebhooks, authOrgManage, errsRead, nil, bodyless(s, s.getWebhook)},
		{"DELETE", "/v1/webhooks/{id}", "deleteWebhook", tagWebhooks, authOrgManage, errsWrite, nil, bodyless(s, s.deleteWebhook)},
		{"GET", "/v1/webhooks/{id}/deliveries", "listWebhookDeliveries", tagWebhooks, authOrgManage, errsScopedRead, messagesParams, bodyless(s, s.listDeliveries)},
		{"GET", "/v1/messages", "listMessages", tagWebhooks, authOrgManage, errsScopedRead, messagesParams, bodyless(s, s.listMessages)},
		{"GET", "/v1/messages/{id}", "getMessage", tagWebhooks, authOrgManage, errsRead, nil, bodyless(s, s.getMessage)},
		{"POST", "/v1/messages/{id}/replay", "replayMessage", tagWebhooks, authOrgManage, errsWrite, nil, bodyless(s, s.replayMessage)},

		{"GET", "/v1/audit-events", "listAuditEvents", tagAudit, authOrgManage, errsScopedRead, auditParams, bodyless(s, s.listAuditEvents)},

		{"GET", "/livez", "live", tagSystem, authPublic, nil, nil, answers(s.livez, client.Health{})},
		{"GET", "/readyz", "ready", tagSystem, authPublic, errsReady, nil, readiness(s.readyz)},
		{"GET", "/healthz", "health", tagSystem, authPublic, errsReady, nil, readiness(s.readyz)},
		{"GET", "/openapi.json", "openapi", tagSystem, authPublic, nil, nil, answersAs(s.serveSpec, "application/json")},
		{"GET", "/docs", "docs", tagSystem, authPublic, nil, nil, answersAs(s.serveDocs, "text/html")},
	}
	if s.deps.Metrics != nil {
		table = append(table, route{"GET", "/metrics", "metrics", tagSystem, authPublic, nil, nil, answersAs(s.deps.Metrics.Handler().ServeHTTP, "text/plain")})
	}

	routes := make([]openapi.Route, len(table))
	for i, rt := range table {
		text := operationTexts[rt.operationID]
		errs := slices.Clone(rt.errors)
		if !answersFromMemory[rt.operationID] && !slices.Contains(errs, http.StatusServiceUnavailable) {
			errs = append(errs, http.StatusServiceUnavailable)
		}
		routes[i] = openapi.Route{
			Method: rt.method, Path: rt.path, OperationID: rt.operationID,
			Summary: text.summary, Description: text.description,
			Tags: rt.tags, Auth: rt.auth, Errors: errs, Query: rt.query,
			Handler: rt.handler,
		}
		if d, ok := rt.handler.(specDescriber); ok {
			d.describe(&routes[i])
		}
		// An Idempotency-Key reused with another body, or while its first
		// request is in progress, is a conflict.
		if routes[i].Idempotent && !slices.Contains(errs, http.StatusConflict) {
			routes[i].Errors = append(errs, http.StatusConflict)
		}
		ex := examples[rt.operationID]
		routes[i].RequestExample, routes[i].ResponseExample = ex.request, ex.response
	}
	return routes
}

// answersFromMemory are the operations that never reach the database.
// Every other one answers 503 unavailable while the database does not
// answer (credentials, too, are looked up there), and says so in the spec.
var answersFromMemory = map[string]bool{"live": true, "openapi": true, "docs": true, "metrics": true}

// specDescriber is a route handler that says what it reads and answers.
type specDescriber interface {
	describe(rt *openapi.Route)
}

// answering is a plain handler, with what it answers for the spec.
type answering struct {
	http.HandlerFunc
	response    any    // zero value of the JSON answer, or nil
	contentType string // of an answer that is not described by response
	errorBody   any    // zero value of the body of its error statuses, or nil for Error
}

func (a answering) describe(rt *openapi.Route) {
	rt.Response, rt.ContentType, rt.ErrorBody = a.response, a.contentType, a.errorBody
}

// answers is h, which answers JSON of response's type.
func answers(h http.HandlerFunc, response any) answering {
	return answering{HandlerFunc: h, response: response}
}

// answersAs is h, which answers contentType.
func answersAs(h http.HandlerFunc, contentType string) answering {
	return answering{HandlerFunc: h, contentType: contentType}
}

// readiness is a readiness probe h, which answers Health also when it is
// unavailable.
func readiness(h http.HandlerFunc) answering {
	return answering{HandlerFunc: h, response: client.Health{}, errorBody: client.Health{}}
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
