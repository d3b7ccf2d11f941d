package api

import (
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
	"github.com/invitedhq/invited/internal/httpkit"
	"github.com/invitedhq/invited/internal/openapi"
)

// constraint completes a property of some component schemas with what the
// domain's validators know: its closed set of values, its bounds. The
// values come from the very constants and lists the validators use, so the
// spec and the service cannot disagree; Go types alone do not carry them.
type constraint struct {
	schemas  []string // component names
	property string
	apply    func(*openapi.Schema)
}

// constraints is every closed set and bound of the API's bodies.
var constraints = []constraint{
	{[]string{"Invitation", "InvitationWithURL", "InvitationPreview"}, "status", enum(invited.Statuses)},
	{[]string{"Invitation", "InvitationWithURL", "InvitationCreate"}, "channel", enum(invited.InvitationChannels)},
	{[]string{"InvitationCreate"}, "roles", items(0, invited.MaxRoles)},
	{[]string{"InvitationCreate"}, "first_name", maxLength(invited.MaxNameRunes)},
	{[]string{"InvitationCreate"}, "last_name", maxLength(invited.MaxNameRunes)},
	{[]string{"InvitationCreate"}, "message", maxLength(invited.MaxMessageRunes)},
	{[]string{"InvitationCreate"}, "audience", maxLength(invited.MaxAudienceLen)},
	{[]string{"InvitationCreate"}, "user_id", both(maxLength(invited.MaxUserIDLen), pattern("^"+regexp.QuoteMeta(invited.PrefixUser)))},
	{[]string{"InvitationCreate"}, "metadata", types("object", "null")},
	{[]string{"Invitation", "InvitationWithURL"}, "metadata", types("object")},
	{[]string{"BatchRequest"}, "invitations", items(1, invited.MaxBatchSize)},

	{[]string{"OrganizationCreate"}, "name", length(1, invited.MaxNameRunes)},
	{[]string{"OrganizationCreate"}, "slug", both(maxLength(invited.MaxSlugLen), pattern(invited.SlugPattern))},
	{[]string{"OrganizationUpdate"}, "name", length(1, invited.MaxNameRunes)},
	{[]string{"OrgSettings", "OrgSettingsPatch"}, "display_name", maxLength(invited.MaxNameRunes)},
	{[]string{"OrgSettings", "OrgSettingsPatch"}, "contact", maxLength(invited.MaxContactRunes)},
	{[]string{"OrgSettings", "OrgSettingsPatch"}, "default_roles", items(1, invited.MaxRoles)},
	{[]string{"OrgSettings", "OrgSettingsPatch"}, "default_locale", maxLength(invited.MaxLocaleLen)},
	{[]string{"InvitationCreate", "JoinLinkCreate", "AppInviteCreate"}, "locale", maxLength(invited.MaxLocaleLen)},

	{[]string{"RoleCreate"}, "name", both(length(1, invited.MaxRoleNameLen), pattern(invited.SlugPattern))},
	{[]string{"RoleCreate"}, "description", maxLength(invited.MaxRoleDescriptionLen)},
	{[]string{"RoleCreate"}, "permissions", enum(invited.AllPermissions)},
	{[]string{"Role"}, "permissions", enum(invited.AllPermissions)},

	{[]string{"APIKeyCreate"}, "name", length(1, invited.MaxNameRunes)},
	{[]string{"APIKey", "APIKeyWithSecret", "APIKeyCreate"}, "permissions", enum(invited.AllPermissions)},

	{[]string{"Webhook", "WebhookWithSecret", "WebhookCreate"}, "events", enum(invited.WebhookEvents)},
	{[]string{"Message"}, "channel", enum(invited.Channels)},
	{[]string{"Message"}, "status", enum(invited.MessageStatuses)},
	{[]string{"Message"}, "kind", enum(slices.Concat(invited.LetterKinds, invited.WebhookEvents))},
	{[]string{"AuditEvent"}, "resource", enum(invited.AuditResources)},

	{[]string{"AppCreate"}, "name", length(1, invited.MaxNameRunes)},
	{[]string{"AppCreate"}, "description", maxLength(invited.MaxAppDescriptionRunes)},
	{[]string{"OAuthConfig"}, "client_id", maxLength(invited.MaxClientIDLen)},
	{[]string{"OAuthConfig"}, "client_secret", maxLength(invited.MaxClientSecretLen)},
	{[]string{"OAuthConfig"}, "scopes", both(items(0, invited.MaxScopes), itemsMaxLength(invited.MaxScopeLen), types("array", "null"))},
	{[]string{"OAuthConfig"}, "extra_params", maxProperties(invited.MaxExtraParams)},
	{[]string{"OAuthConfig"}, "authorization_url", maxLength(invited.MaxOAuthURLLen)},
	{[]string{"OAuthConfig"}, "token_url", maxLength(invited.MaxOAuthURLLen)},
	{[]string{"OAuthConfig"}, "discovery_url", maxLength(invited.MaxOAuthURLLen)},
	{[]string{"OAuthConfig"}, "userinfo_url", maxLength(invited.MaxOAuthURLLen)},
	{[]string{"AppInviteCreate"}, "note", maxLength(invited.MaxAppInviteNoteRunes)},
	{[]string{"AppInvite", "AppInviteWithCode", "AppInvitePreview"}, "status", enum(invited.AppInviteStatuses)},
	{[]string{"Profile"}, "status", enum(invited.ProfileStatuses)},

	{[]string{"DomainWithChallenge", "DomainCreate", "DomainUpdate", "JoinableOrg"}, "policy", enum(invited.DomainPolicies)},
	{[]string{"DomainWithChallenge"}, "status", enum(invited.DomainStatuses)},
	{[]string{"DomainVerify"}, "method", enum(invited.DomainVerifyMethods)},
	{[]string{"DomainWithChallenge"}, "verification_method", enum(invited.DomainVerifyMethods)},

	{[]string{"ErrorDetail"}, "code", enum(errorCodes())},
}

// errorCodes is every error code the API answers, sorted.
func errorCodes() []string { return slices.Sorted(maps.Keys(httpkit.Statuses)) }

// constrain applies constraints to doc. A constraint naming a schema or
// property the document lacks panics: it was renamed, and the constraint
// would otherwise silently stop applying.
func constrain(doc *openapi.Document) {
	for _, c := range constraints {
		for _, name := range c.schemas {
			s := doc.Components.Schemas[name]
			if s == nil || s.Properties[c.property] == nil {
				panic(fmt.Sprintf("api: constraint on %s.%s, which the spec does not have", name, c.property))
			}
			c.apply(s.Properties[c.property])
		}
	}
	declareActingUser(doc)
	// The shared error body of every error answer is ErrorDetail's
	// description, built by openapi; its code is the same closed set.
	enum(errorCodes())(doc.Components.Schemas["Error"].Properties["error"].Properties["code"])
}

// actingUserParam is the component of the Invited-Acting-User header.
const actingUserParam = "ActingUser"

// declareActingUser declares the Invited-Acting-User header on every
// operation that takes credentials: authenticate reads it on all of them.
func declareActingUser(doc *openapi.Document) {
	doc.Components.Parameters[actingUserParam] = &openapi.Parameter{
		Name: httpkit.ActingUserHeader, In: "header",
		Description: "With an API key: act for this user (usr_… or external_id), with that user's permissions; " +
			"with an organization-bound key, only within its organization. An unknown user is 401; with a user access token, 400.",
		Schema: &openapi.Schema{Type: openapi.SchemaType{"string"}},
	}
	for _, item := range doc.Paths {
		for _, op := range item {
			if slices.ContainsFunc(op.Security, func(r openapi.SecurityRequirement) bool { return r["bearer"] != nil }) {
				op.Parameters = append(op.Parameters, openapi.Parameter{Ref: "#/components/parameters/" + actingUserParam})
			}
		}
	}
}

// enum sets the values of a string, or of an array's items; a nullable
// property admits null too, as enum is checked after type.
func enum[T ~string](values []T) func(*openapi.Schema) {
	return func(s *openapi.Schema) {
		if s.Items != nil {
			s = s.Items
		}
		s.Enum = nil
		for _, v := range values {
			s.Enum = append(s.Enum, string(v))
		}
		if slices.Contains(s.Type, "null") {
			s.Enum = append(s.Enum, nil)
		}
	}
}

// types sets the JSON types of a property that Go leaves open (raw JSON).
func types(ts ...string) func(*openapi.Schema) {
	return func(s *openapi.Schema) { s.Type = ts }
}

func length(min, max int) func(*openapi.Schema) {
	return func(s *openapi.Schema) { s.MinLength, s.MaxLength = min, max }
}

func maxLength(max int) func(*openapi.Schema) { return length(0, max) }

func pattern(re string) func(*openapi.Schema) {
	return func(s *openapi.Schema) { s.Pattern = re }
}

func items(min, max int) func(*openapi.Schema) {
	return func(s *openapi.Schema) { s.MinItems, s.MaxItems = min, max }
}

func itemsMaxLength(max int) func(*openapi.Schema) {
	return func(s *openapi.Schema) { s.Items.MaxLength = max }
}

func maxProperties(max int) func(*openapi.Schema) {
	return func(s *openapi.Schema) { s.MaxProperties = max }
}

func both(fs ...func(*openapi.Schema)) func(*openapi.Schema) {
	return func(s *openapi.Schema) {
		for _, f := range fs {
			f(s)
		}
	}
}

// errorExamples are the example error answers, one per status: a code of
// that status (TestErrorExamples holds each to httpkit.Statuses) with a
// message as the service words it. Status 0 stands for "default".
var errorExamples = map[int]client.ErrorDetail{
	http.StatusBadRequest: {Code: invited.EINVALID, Message: "the request has invalid fields (email: not a valid email address)",
		Fields: map[string]string{"email": "not a valid email address"}},
	http.StatusUnauthorized:        {Code: invited.EUNAUTHENTICATED, Message: "send Authorization: Bearer with an API key or a user access token"},
	http.StatusForbidden:           {Code: invited.EFORBIDDEN, Message: "this needs the invitations:create permission in this organization"},
	http.StatusNotFound:            {Code: invited.ENOTFOUND, Message: "not found"},
	http.StatusConflict:            {Code: invited.EINVALIDSTATE, Message: "the invitation is accepted; only a pending or expired invitation can be renewed"},
	http.StatusGone:                {Code: invited.EEXPIRED, Message: "this invitation expired on 22 January 2026"},
	http.StatusTooManyRequests:     {Code: invited.ERATELIMITED, Message: httpkit.PublicLimitMessage},
	http.StatusBadGateway:          {Code: invited.EUPSTREAM, Message: "the platform refused to renew the token: invalid_grant"},
	http.StatusServiceUnavailable:  {Code: invited.EUNAVAILABLE, Message: "the database is unavailable"},
	http.StatusInternalServerError: {Code: invited.EINTERNAL, Message: "internal error"},
	0:                              {Code: invited.EINTERNAL, Message: "internal error"},
}

// exemplifyErrors gives every answer of the shared Error schema the example
// of its status, so that no docs UI makes one up from the schema (an
// already_member for a 404).
func exemplifyErrors(doc *openapi.Document) {
	for _, item := range doc.Paths {
		for _, op := range item {
			for code, resp := range op.Responses {
				mt, ok := resp.Content[openapi.JSONType]
				if !ok || mt.Schema == nil || mt.Schema.Ref != openapi.ErrorRef {
					continue
				}
				status, _ := strconv.Atoi(code) // "default" is 0
				e, ok := errorExamples[status]
				if !ok {
					panic(fmt.Sprintf("api: no error example for status %s", code))
				}
				mt.Example = client.ErrorResponse{Error: e}
				resp.Content[openapi.JSONType] = mt
			}
		}
	}
}
