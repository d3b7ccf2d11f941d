package api

import (
	"encoding/json"
	"time"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
)

// example is an operation's request body and success answer, values of the
// very types its handler reads and answers, so they marshal as the service
// would. Tests check that each is of its operation's types and valid
// against its schema.
type example struct{ request, response any }

// Example identities and times, shared so the examples tell one story:
// Acme invites Ada, who accepts.
const (
	exOrgID     = invited.PrefixOrganization + "01kf3mm9s346q3d25vt4f5v37e"
	exInvID     = invited.PrefixInvitation + "01kf3m3s3e28jt97kb6cq643dz"
	exUserID    = invited.PrefixUser + "01kf3mvmxxqkfbf5kznwj47tan"
	exKeyID     = invited.PrefixAPIKey + "01kf3m9zt24mnpzx45hy43kwjr"
	exAppID     = invited.PrefixApp + "01kf3mp1xpa7z3dj8fssz5awsh"
	exAppInvID  = invited.PrefixAppInvite + "01kf3m8vhtpre95b9ee0zbgj09"
	exProfileID = invited.PrefixProfile + "01kf3mtqm83xssss6ys3c4dwa7"
	exWebhookID = invited.PrefixWebhook + "01kf3mn36096q14dr9gpqy77zx"
	exMessageID = invited.PrefixMessage + "01kf3myyk596ngya1dq91k5gqa"
	exTicketID  = invited.PrefixTicket + "01kf3mpenecfseczp11hygcpwp"
	exEventID   = invited.PrefixAuditEvent + "01kf3mq5e6eycndy0yp57rcybv"
	exToken     = "k3Xq9vB2mN7pL4sR8tW1yZ6cF0hJ5gD3aE9uI2oP7lK"
	exAppCode   = "Zr8Tq2Wm5Xn1Lp9Vb4Kc7Hs3Jd6Gf0Ya8Ue2Io5Pw1"
)

var (
	exErasure = &invited.Erasure{Pseudonym: invited.PseudonymPrefix + "01kf3n2c7vq8w3xk5m9d4r6tzy", Users: 1, Memberships: 2,
		Invitations: 3, JoinRequests: 1, JoinLinkUses: 1, Messages: 7, AuditEvents: 12, Other: 1}
	exCreated  = time.Date(2026, 1, 15, 9, 30, 0, 0, time.UTC)
	exAccepted = exCreated.Add(26 * time.Hour)
	exExpires  = exCreated.Add(invited.DefaultInvitationTTL)
	exTTL      = invited.Duration(72 * time.Hour)
	exSend     = true
)

func exTime(t time.Time) *time.Time { return &t }

var (
	exSettings = invited.OrgSettings{
		InvitationTTL:          invited.Duration(invited.DefaultInvitationTTL),
		AllowedRedirectOrigins: []string{"https://app.acme.test"},
		AllowedEmailDomains:    []string{},
		RequireEmailMatch:      true,
		Contact:                "it@acme.test",
		DefaultRoles:           []string{invited.RoleMember},
		DisplayName:            "Acme",
	}
	exOrg = &invited.Organization{
		ID: exOrgID, Name: "Acme", Slug: "acme", Settings: exSettings,
		CreatedAt: exCreated, UpdatedAt: exCreated,
	}
	exInviter  = invited.Inviter{UserID: invited.PrefixUser + "01kf3mn5sxs5aa819x9yp98106", Name: "Grace Hopper"}
	exPending  = exInvitation(invited.StatusPending)
	exAccept   = exAccepted
	exUser     = &invited.User{ID: exUserID, Email: "ada@example.com", EmailVerified: true, Name: "Ada Lovelace", CreatedAt: exAccepted, UpdatedAt: exAccepted}
	exMember   = invited.Membership{OrgID: exOrgID, UserID: exUserID, Roles: []string{"member"}, CreatedAt: exAccepted, UpdatedAt: exAccepted}
	exRole     = &invited.Role{ID: invited.PrefixRole + "01kf3m8vcd1gdjfmgt83pxt891", OrgID: exOrgID, Name: "billing", Description: "Sees and pays the invoices", Permissions: []invited.Permission{invited.PermMembersRead}}
	exAPIKey   = invited.APIKey{ID: exKeyID, Name: "CRM sync", OrgID: exOrgID, Permissions: []invited.Permission{invited.PermInvitationsCreate, invited.PermInvitationsRead}, Prefix: "ik_Xb3k", CreatedAt: exCreated, CreatedBy: exInviter.UserID}
	exWebhook  = invited.Webhook{ID: exWebhookID, OrgID: exOrgID, URL: "https://hooks.acme.test/invited", Events: []string{invited.EventInvitationAccepted}, Description: "Provision accounts", CreatedAt: exCreated}
	exMessage  = &invited.Message{ID: exMessageID, OrgID: exOrgID, Channel: invited.ChannelEmail, Kind: invited.KindInvitation, To: "ada@example.com", InvitationID: exInvID, Status: invited.MessageDelivered, AttemptCount: 1, DueAt: exCreated, CreatedAt: exCreated, UpdatedAt: exCreated.Add(2 * time.Second), DeliveredAt: exTime(exCreated.Add(2 * time.Second)), Attempts: []invited.Attempt{{At: exCreated.Add(time.Second), DurationMS: 412}}}
	exOAuth    = invited.OAuthConfig{AuthorizationURL: "https://platform.test/oauth/authorize", TokenURL: "https://platform.test/oauth/token", ClientID: "invited-acme", Scopes: []string{"read:orders"}}
	exApp      = &invited.App{ID: exAppID, OrgID: exOrgID, Name: "Orders", Description: "Share your orders with Acme.", OAuth: exOAuth, ClientSecretSet: true, CreatedAt: exCreated, UpdatedAt: exCreated}
	exAppInv   = invited.AppInvite{ID: exAppInvID, AppID: exAppID, OrgID: exOrgID, Status: invited.AppInvitePending, Email: "partner@shop.test", Note: "As discussed on the phone", Inviter: exInviter, CreatedAt: exCreated, UpdatedAt: exCreated, ExpiresAt: exExpires}
	exProfile  = &invited.Profile{ID: exProfileID, OrgID: exOrgID, AppID: exAppID, AppInviteID: exAppInvID, Status: invited.ProfileActive, ExternalAccountID: "shop-4711", Scopes: []string{"read:orders"}, TokenExpiresAt: exTime(exAccepted.Add(time.Hour)), Refreshable: true, CreatedAt: exAccepted, UpdatedAt: exAccepted}
	exAudit    = &invited.AuditEvent{ID: exEventID, OrgID: exOrgID, ActorAPIKeyID: exKeyID, Action: invited.EventInvitationCreated, Resource: invited.ResourceInvitation, ResourceID: exInvID, RemoteAddr: "203.0.113.7", CreatedAt: exCreated}
	exHealthOK = client.Health{Status: "ok"}
)

// exJoinLink is Acme's link for a conference in status, after uses uses.
func exJoinLink(status invited.JoinLinkStatus, uses int) *invited.JoinLink {
	l := &invited.JoinLink{ID: invited.PrefixJoinLink + "01kf3mpz7a3tm4b8x0qv2c9w6e", OrgID: exOrgID, Status: status,
		Roles: []string{"member"}, MaxUses: new(50), Uses: uses, AllowedEmailDomains: []string{"acme.test"},
		Note: "Offsite 2026", Inviter: exInviter, CreatedAt: exCreated, UpdatedAt: exCreated, ExpiresAt: exExpires}
	if uses > 0 {
		l.LastUsedAt, l.UpdatedAt = exTime(exAccepted), exAccepted
	}
	return l
}

// exJoinRequest is Ada's request to join Acme, in status.
func exJoinRequest(status invited.JoinRequestStatus) *invited.JoinRequest {
	r := &invited.JoinRequest{ID: invited.PrefixJoinRequest + "01kf3mr4c2y8h6w1d5k7n9p3qt", OrgID: exOrgID, UserID: exUserID,
		Status: status, Via: invited.JoinViaUser, Roles: []string{"member"}, Message: "I joined the data team last week.",
		CreatedAt: exCreated, UpdatedAt: exCreated, ExpiresAt: exCreated.Add(invited.JoinRequestTTL)}
	r.Requester.Email, r.Requester.EmailVerified, r.Requester.Name = exUser.Email, true, exUser.Name
	switch status {
	case invited.JoinRequestApproved:
		r.ApprovedAt, r.UpdatedAt, r.DecidedBy, r.DecisionNote = exTime(exAccepted), exAccepted, exInviter, "Welcome, Ada!"
	case invited.JoinRequestDenied:
		r.DeniedAt, r.UpdatedAt, r.DecidedBy, r.DecisionNote = exTime(exAccepted), exAccepted, exInviter, "Please ask your manager for an invitation."
	}
	return r
}

// exJoinLinkURL is l with its secret link.
func exJoinLinkURL(l *invited.JoinLink) client.JoinLinkWithURL {
	return client.JoinLinkWithURL{JoinLink: *l, Token: exToken, URL: invited.JoinLinkURL("https://invited.acme.test", exToken)}
}

// exJoinPreview is what the holder of exJoinLink sees.
func exJoinPreview() *invited.JoinLinkPreview {
	return exJoinLink(invited.JoinLinkActive, 3).Preview(exOrg, exCreated)
}

// exDomain is Acme's claim to acme.test, verified unless status is pending,
// with policy.
func exDomain(status invited.DomainStatus, policy invited.DomainPolicy) client.DomainWithChallenge {
	d := &invited.Domain{ID: invited.PrefixDomain + "01kf3n2c8w5ht7q9d4xr6b0m3s", OrgID: exOrgID, Name: "acme.test", Status: status,
		Policy: policy, Roles: []string{"member"}, Token: exToken, CreatedBy: exInviter, CreatedAt: exCreated, UpdatedAt: exCreated}
	if status == invited.DomainVerified {
		d.VerificationMethod, d.VerifiedAt, d.UpdatedAt = invited.VerifyDNS, exTime(exAccepted), exAccepted
	}
	return withChallenge(d)
}

// exJoinable is Acme, open to addresses at acme.test.
var exJoinable = func() *invited.JoinableOrg {
	j := &invited.JoinableOrg{Domain: "acme.test", Policy: invited.DomainAuto}
	j.Organization.ID, j.Organization.Name = exOrgID, "Acme"
	return j
}()

// exInvitation is Ada's invitation in status.
func exInvitation(status invited.Status) *invited.Invitation {
	inv := &invited.Invitation{
		ID: exInvID, OrgID: exOrgID, Status: status, Email: "ada@example.com",
		FirstName: "Ada", LastName: "Lovelace", Roles: []string{"member"},
		Message: "Welcome to the team!", RedirectURL: "https://app.acme.test/welcome",
		Metadata: json.RawMessage(`{"crm_id":"4711"}`), Channel: invited.ChannelEmail,
		Inviter: exInviter, CreatedAt: exCreated, UpdatedAt: exCreated, ExpiresAt: exExpires,
		SentAt: exTime(exCreated),
	}
	switch status {
	case invited.StatusAccepted, invited.StatusArchived:
		inv.AcceptedAt, inv.AcceptedUserID, inv.UpdatedAt = &exAccept, exUserID, exAccepted
	case invited.StatusRevoked:
		inv.RevokedAt, inv.UpdatedAt = &exAccept, exAccepted
	}
	return inv
}

func exPreview(status invited.Status) *invited.InvitationPreview {
	p := &invited.InvitationPreview{Status: status, ExpiresAt: exExpires, Roles: []string{"member"}, Message: "Welcome to the team!"}
	p.Organization.ID, p.Organization.Name = exOrgID, "Acme"
	p.Inviter.Name = exInviter.Name
	p.Invitee.FirstName = "Ada"
	return p
}

func exLink(inv *invited.Invitation) client.InvitationWithURL {
	return client.InvitationWithURL{Invitation: *inv, URL: invited.InvitationLink("https://invited.acme.test", exToken)}
}

var exCreate = invited.InvitationCreate{
	Email: "ada@example.com", Roles: []string{"member"}, FirstName: "Ada", LastName: "Lovelace",
	Message: "Welcome to the team!", RedirectURL: "https://app.acme.test/welcome",
	ExpiresIn: &exTTL, Metadata: json.RawMessage(`{"crm_id":"4711"}`), Send: &exSend,
}

var exAppPreview = func() *invited.AppInvitePreview {
	p := &invited.AppInvitePreview{Status: invited.AppInvitePending, ExpiresAt: exExpires}
	p.App.Name, p.App.Description = exApp.Name, exApp.Description
	p.Organization.ID, p.Organization.Name = exOrgID, "Acme"
	p.Inviter.Name = exInviter.Name
	return p
}()

// examples is the example of each operation with a body, by operationId.
var examples = map[string]example{
	"createOrganization": {invited.OrganizationCreate{Name: "Acme", Slug: "acme"}, exOrg},
	"listOrganizations":  {nil, client.OrganizationList{Orgs: []*invited.Organization{exOrg}}},
	"getOrganization":    {nil, exOrg},
	"updateOrganization": {invited.OrganizationUpdate{Settings: &invited.OrgSettingsPatch{InvitationTTL: &exTTL}}, exOrg},

	"listMembers":  {nil, client.MemberList{Members: []*invited.Member{{Membership: exMember, User: exUser}}}},
	"getMember":    {nil, &invited.Member{Membership: exMember, User: exUser}},
	"updateMember": {invited.MemberUpdate{Roles: []string{"member", "billing"}}, &invited.Member{Membership: exMember, User: exUser}},
	"listRoles":    {nil, client.RoleList{Roles: []*invited.Role{exRole}}},
	"createRole":   {invited.RoleCreate{Name: exRole.Name, Description: exRole.Description, Permissions: exRole.Permissions}, exRole},

	"createInvitation": {exCreate, exLink(exPending)},
	"createInvitations": {client.BatchRequest{Invitations: []invited.InvitationCreate{exCreate}},
		client.BatchResponse{Results: []client.BatchResult{{Index: 0, Invitation: exPending, URL: exLink(exPending).URL}}}},
	"listInvitations":   {nil, client.InvitationList{Invitations: []*invited.Invitation{exPending}}},
	"getInvitation":     {nil, exPending},
	"sendInvitation":    {nil, exLink(exPending)},
	"resendInvitation":  {nil, exLink(exPending)},
	"renewInvitation":   {invited.Renewal{ExpiresIn: &exTTL}, exPending},
	"revokeInvitation":  {nil, exInvitation(invited.StatusRevoked)},
	"deleteInvitation":  {nil, exInvitation(invited.StatusRevoked)},
	"archiveInvitation": {nil, exInvitation(invited.StatusArchived)},

	"previewInvitation": {nil, exPreview(invited.StatusPending)},
	"acceptInvitation": {client.AcceptRequest{User: &invited.Acceptor{ExternalID: "crm-4711", Email: "ada@example.com", Name: "Ada Lovelace"}},
		&invited.Acceptance{Invitation: exInvitation(invited.StatusAccepted), Membership: &exMember, User: exUser, RedirectURL: "https://app.acme.test/welcome"}},
	"declineInvitation": {nil, exPreview(invited.StatusDeclined)},

	"createJoinRequest": {invited.JoinRequestCreate{Message: "I joined the data team last week."}, exJoinRequest(invited.JoinRequestPending)},
	"listJoinRequests":  {nil, client.JoinRequestList{JoinRequests: []*invited.JoinRequest{exJoinRequest(invited.JoinRequestPending)}}},
	"getJoinRequest":    {nil, exJoinRequest(invited.JoinRequestPending)},
	"approveJoinRequest": {invited.JoinDecision{Note: "Welcome, Ada!"},
		client.JoinDecisionResult{Request: exJoinRequest(invited.JoinRequestApproved), Membership: &exMember}},
	"denyJoinRequest": {invited.JoinDecision{Note: "Please ask your manager for an invitation."},
		client.JoinDecisionResult{Request: exJoinRequest(invited.JoinRequestDenied)}},

	"createJoinLink": {invited.JoinLinkCreate{Roles: []string{"member"}, MaxUses: new(50), ExpiresIn: &exTTL, AllowedEmailDomains: []string{"acme.test"}, Note: "Offsite 2026"},
		exJoinLinkURL(exJoinLink(invited.JoinLinkActive, 0))},
	"listJoinLinks":   {nil, client.JoinLinkList{JoinLinks: []*invited.JoinLink{exJoinLink(invited.JoinLinkActive, 3)}}},
	"getJoinLink":     {nil, exJoinLink(invited.JoinLinkActive, 3)},
	"revokeJoinLink":  {nil, exJoinLink(invited.JoinLinkRevoked, 3)},
	"rotateJoinLink":  {nil, exJoinLinkURL(exJoinLink(invited.JoinLinkActive, 3))},
	"previewJoinLink": {nil, exJoinPreview()},
	"acceptJoinLink": {client.AcceptRequest{User: &invited.Acceptor{ExternalID: "crm-4711", Email: "ada@acme.test", Name: "Ada Lovelace"}},
		&invited.JoinLinkAcceptance{Membership: &exMember, User: exUser, Joined: true, RedirectURL: "https://app.acme.test/welcome"}},

	"createDomain": {invited.DomainCreate{Domain: "acme.test", Policy: invited.DomainAuto},
		exDomain(invited.DomainPending, invited.DomainAuto)},
	"listDomains":      {nil, client.DomainList{Domains: []client.DomainWithChallenge{exDomain(invited.DomainVerified, invited.DomainAuto)}}},
	"getDomain":        {nil, exDomain(invited.DomainVerified, invited.DomainAuto)},
	"updateDomain":     {invited.DomainUpdate{Policy: new(invited.DomainRequest)}, exDomain(invited.DomainVerified, invited.DomainRequest)},
	"verifyDomain":     {invited.DomainVerify{Method: invited.VerifyDNS}, exDomain(invited.DomainVerified, invited.DomainAuto)},
	"listJoinableOrgs": {nil, client.JoinableOrgList{JoinableOrgs: []*invited.JoinableOrg{exJoinable}}},
	"joinOrganization": {invited.JoinRequestCreate{}, &invited.DomainJoin{Membership: &exMember, User: exUser, Joined: true}},

	"eraseUser":    {invited.EraseRequest{}, exErasure},
	"eraseInvitee": {invited.EraseRequest{Email: "ada@example.com"}, &invited.Erasure{Pseudonym: exErasure.Pseudonym, Invitations: 1, Messages: 2}},

	"redeemAcceptanceTicket": {client.RedeemRequest{Ticket: "eyJhbGciOiJFUzI1NiIsImtpZCI6IjIwMjYtMDEifQ.eyJqdGkiOiJ0a3RfMDEifQ.c2lnbmF0dXJl"},
		&invited.AcceptanceTicket{ID: exTicketID, InvitationID: exInvID, OrgID: exOrgID, UserID: exUserID, Email: "ada@example.com", Name: "Ada Lovelace", Roles: []string{"member"}, IssuedAt: exAccepted, ExpiresAt: exAccepted.Add(5 * time.Minute), RedeemedAt: exTime(exAccepted.Add(3 * time.Second))}},
	"getJWKS": {nil, client.JWKSet{Keys: []client.JWK{{Kty: "EC", Crv: "P-256", X: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", Y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0", Kid: "2026-01", Use: "sig", Alg: "ES256"}}}},

	"createApp":       {invited.AppCreate{Name: exApp.Name, OrgID: exOrgID, Description: exApp.Description, OAuth: invited.OAuthConfig{AuthorizationURL: exOAuth.AuthorizationURL, TokenURL: exOAuth.TokenURL, ClientID: exOAuth.ClientID, ClientSecret: "s3cr3t-from-the-platform", Scopes: exOAuth.Scopes}}, exApp},
	"listApps":        {nil, client.AppList{Apps: []*invited.App{exApp}}},
	"getApp":          {nil, exApp},
	"createAppInvite": {invited.AppInviteCreate{OrgID: exOrgID, Email: exAppInv.Email, Note: exAppInv.Note, ExpiresIn: &exTTL}, client.AppInviteWithCode{AppInvite: exAppInv, Code: exAppCode, URL: "https://invited.acme.test/a/" + exAppCode}},
	"listAppInvites":  {nil, client.AppInviteList{AppInvites: []*invited.AppInvite{&exAppInv}}},
	"getAppInvite":    {nil, exAppPreview},
	"revokeAppInvite": {nil, func() *invited.AppInvite {
		a := exAppInv
		a.Status, a.RevokedAt, a.UpdatedAt = invited.AppInviteRevoked, exTime(exAccepted), exAccepted
		return &a
	}()},
	"archiveAppInvite": {nil, func() *invited.AppInvite {
		a := exAppInv
		a.Status, a.ActivatedAt, a.ArchivedAt, a.UpdatedAt = invited.AppInviteArchived, exTime(exAccepted), exTime(exAccepted.Add(time.Hour)), exAccepted.Add(time.Hour)
		return &a
	}()},

	"listOrgProfiles": {nil, client.ProfileList{Profiles: []*invited.Profile{exProfile}}},
	"listProfiles":    {nil, client.ProfileList{Profiles: []*invited.Profile{exProfile}}},
	"getProfile":      {nil, exProfile},
	"archiveProfile": {nil, func() *invited.Profile {
		p := *exProfile
		p.Status, p.ArchivedAt, p.TokenExpiresAt, p.Refreshable = invited.ProfileArchived, exTime(exAccepted.Add(time.Hour)), nil, false
		return &p
	}()},
	"getProfileToken": {nil, &invited.ProfileToken{AccessToken: "pl_at_9Xb2Kq7Lm4Np", TokenType: "Bearer", ExpiresAt: exProfile.TokenExpiresAt, Scopes: exProfile.Scopes}},

	"createAPIKey": {invited.APIKeyCreate{Name: exAPIKey.Name, OrgID: exOrgID, Permissions: exAPIKey.Permissions}, client.APIKeyWithSecret{APIKey: exAPIKey, Secret: "ik_Xb3kP9qL2mN7vR4sT8wY1zC6"}},
	"listAPIKeys":  {nil, client.APIKeyList{APIKeys: []*invited.APIKey{&exAPIKey}}},

	"createWebhook": {invited.WebhookCreate{OrgID: exOrgID, URL: exWebhook.URL, Events: exWebhook.Events, Description: exWebhook.Description}, func() client.WebhookWithSecret {
		w := client.WebhookWithSecret{Webhook: exWebhook}
		w.Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		return w
	}()},
	"listWebhooks":          {nil, client.WebhookList{Webhooks: []*invited.Webhook{&exWebhook}}},
	"getWebhook":            {nil, &exWebhook},
	"listWebhookDeliveries": {nil, client.MessageList{Messages: []*invited.Message{{ID: exMessageID, OrgID: exOrgID, Channel: invited.ChannelWebhook, Kind: invited.EventInvitationAccepted, To: exWebhook.URL, WebhookID: exWebhookID, Status: invited.MessageDelivered, AttemptCount: 1, DueAt: exAccepted, CreatedAt: exAccepted, UpdatedAt: exAccepted, DeliveredAt: exTime(exAccepted)}}}},
	"listMessages":          {nil, client.MessageList{Messages: []*invited.Message{exMessage}}},
	"getMessage":            {nil, exMessage},
	"replayMessage": {nil, func() *invited.Message {
		m := *exMessage
		m.Status, m.DeliveredAt, m.NextAttemptAt, m.DueAt = invited.MessagePending, nil, exTime(exAccepted), exAccepted
		return &m
	}()},

	"listAuditEvents": {nil, client.AuditEventList{Events: []*invited.AuditEvent{exAudit}}},

	"live":   {nil, exHealthOK},
	"ready":  {nil, exHealthOK},
	"health": {nil, exHealthOK},
}
