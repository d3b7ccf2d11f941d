package invited

import (
	"fmt"
	"slices"
	"strings"
)

// Problem is what is wrong with one input field: a stable code and the
// arguments its text names, as pairs of a name and a value ("n", 200;
// "role", `"x"`). Text is its English, the API's; a transport that speaks
// its reader's language writes the code's own message instead, filled in
// with the same arguments (internal/web's catalogs, field.<code>). An
// argument named "n" is a count the message's plural form follows.
type Problem struct {
	Code string
	Args []any
}

// problemTexts are the English texts of the problems, by code; {name}
// stands for the argument name.
var problemTexts = map[string]string{
	"accent_color":               "must be a colour like #1a73e8",
	"acceptor_required":          "give the accepting user's id, external_id, email or phone",
	"admin_key_scoped":           "an admin key is system-wide: give neither org_id nor permissions",
	"admin_secret_short":         "at least {min} characters",
	"app_other_org":              "the app belongs to another organization; invite from there, or use a system-wide app",
	"batch_size":                 "must hold 1 to {max} invitations",
	"builtin_role":               "is a built-in role",
	"channel_email":              "email needs an email invitee",
	"channel_sms":                "sms needs a phone invitee",
	"channel_value":              `must be "email" or "sms"`,
	"client_secret_no_keys":      "cannot be stored: client secrets are kept encrypted and no encryption key is configured; the operator sets INVITED_ENCRYPTION_KEYS",
	"connection_org_required":    "required: the organization the connection is for",
	"control_characters":         "must not contain control characters",
	"control_characters_lines":   "must not contain control characters other than line breaks and tabs",
	"discovery_or_endpoints":     "give discovery_url, or authorization_url and token_url, not both",
	"actor_id":                   "must be a user id (usr_…) or an API key id (key_…)",
	"domain_policy":              "must be off, suggest, request or auto",
	"owner_never_join_link":      "a join link never grants owner",
	"owner_never_domain":         "a verified domain never grants owner",
	"privileged_join_link":       "these roles grant {permissions}: set allow_privileged to hand them out through a join link",
	"privileged_domain":          "these roles grant {permissions}: set allow_privileged to hand them out through a verified domain",
	"max_uses":                   "must be between 1 and 100000, or absent for no limit but the expiry",
	"too_many_domains":           "at most {max} domains",
	"invitee_several":            "give exactly one of email, phone, user_id, not several",
	"app_id":                     "not an app id",
	"app_id_format":              "must be an app id (app_…)",
	"given_twice":                "is given more than once: give it once",
	"page_size_integer":          "must be an integer from 1 to {max}",
	"page_token_format":          "is not a page token from a previous answer",
	"org_id_format":              "must be an organization id (org_…)",
	"verify_method":              "must be dns or admin",
	"domain_blocked":             "{domain} is a {reason}: claim a domain of the organization's own",
	"duration_format":            "write a duration such as 72h or 14d",
	"email_domain":               "this organization only invites addresses at {domains}",
	"email_invalid":              "not a valid email address",
	"exists":                     "already exists",
	"expires_at_range":           "must be between 1 minute and 90 days from now",
	"expiry_both":                "give expires_in or expires_at, not both",
	"https_url":                  "must be an absolute https URL without a fragment",
	"https_only":                 "must be https (http only for localhost, 127.0.0.1 or ::1)",
	"invitee_one":                "give exactly one of email, phone, user_id",
	"ipv4_format":                "write an IPv4 address as four decimal numbers (a.b.c.d), not {host}",
	"join_email":                 "give your email address, such as ada@example.com",
	"join_name":                  "give your name, at most {max} characters",
	"length_range":               "must be 1-{max} characters",
	"locale":                     `not a BCP 47 language tag; use one such as "de", "fr" or "pt-BR"`,
	"logo_url":                   "must be an https URL of at most 2000 characters",
	"metadata_object":            "must be a JSON object",
	"metadata_size":              "at most 8 KiB",
	"must_too_long":              "must be at most {n} characters",
	"no_permissions":             "must name at least one permission",
	"no_roles":                   "must name at least one role",
	"no_such_user":               "no such user",
	"not_domain":                 "not a domain: {domain}",
	"not_origin":                 "not an origin (scheme://host[:port]): {origin}",
	"not_url":                    "not a URL",
	"oauth_credentials":          "must not carry credentials; give client_id and client_secret instead",
	"one_of":                     "must be one of {values}",
	"origin_wildcard":            "wildcards are not supported, list each origin: {origin}",
	"owner_default_role":         "owner cannot be a default role: grant it to someone in particular",
	"page_size":                  "must be between 1 and {max}",
	"page_token":                 "not a next_page_token of this list",
	"param_name_length":          "names are 1-100 characters",
	"param_reserved":             "{param} is set by the flow itself; reserved are {reserved}",
	"param_value_length":         "values are at most 1000 characters",
	"phone_e164":                 "must be an E.164 number",
	"phone_format":               "must be an E.164 number such as +14155550100",
	"private_address":            "names {host}, a {reason} address: requests to the service's own network are refused unless the operator allows the address",
	"redirect_needs_default":     "a path needs the organization's default_redirect_url to resolve against: give an absolute URL, or set default_redirect_url",
	"redirect_not_allowed":       "origin is not in the organization's allowed_redirect_origins",
	"required":                   "required",
	"required_unless_admin":      "required unless admin is true",
	"required_unless_discovery":  "required unless discovery_url is given",
	"retention_range":            "must be between {min} and {max}, or {zero}",
	"roles_on_approval":          "only an approval grants roles",
	"scope_format":               "each scope is 1-200 characters of printable ASCII without spaces, quotes or backslashes: {scope}",
	"setting_origin_not_allowed": "origin is not in allowed_redirect_origins",
	"slug_format":                "must be 1-64 characters of a-z, 0-9, '-' and '_'",
	"status":                     "not a status",
	"taken":                      "already taken",
	"too_long":                   "at most {n} characters",
	"too_many_params":            "at most {max} parameters",
	"too_many_roles":             "at most {max} roles",
	"too_many_scopes":            "at most {max} scopes",
	"ttl_range":                  "must be between 1m and 2160h (90 days)",
	"unknown_event":              "unknown event {event}; events are {events}",
	"unknown_permission":         "unknown permission {permission}",
	"unknown_role":               "unknown role {role}",
	"user_id_format":             "must be a user id (usr_…)",
	"utf8":                       "must be valid UTF-8",
	"webhook_credentials":        "must not carry credentials; the signature authenticates deliveries",
	"webhook_url":                "must be an absolute http or https URL without a fragment",
}

// Problemf returns the problem of code with its arguments, pairs of a
// name and a value. A code without a text is a mistake of the caller.
func Problemf(code string, args ...any) Problem {
	if _, ok := problemTexts[code]; !ok || len(args)%2 != 0 {
		panic(fmt.Sprintf("invited: problem %q with %d arguments", code, len(args)))
	}
	return Problem{Code: code, Args: args}
}

// ProblemCodes returns the code of every problem the service reports,
// sorted: each needs a message in every catalog of a transport that
// translates them.
func ProblemCodes() []string {
	codes := make([]string, 0, len(problemTexts))
	for c := range problemTexts {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	return codes
}

// Text is the problem in English, its arguments filled in; a {name}
// without an argument stays as it is ("" for an unknown code).
func (p Problem) Text() string {
	pairs := make([]string, 0, len(p.Args))
	for i := 0; i+1 < len(p.Args); i += 2 {
		pairs = append(pairs, "{"+fmt.Sprint(p.Args[i])+"}", fmt.Sprint(p.Args[i+1]))
	}
	return strings.NewReplacer(pairs...).Replace(problemTexts[p.Code])
}

// Arg returns the value of the argument name, and whether p has it.
func (p Problem) Arg(name string) (any, bool) {
	for i := 0; i+1 < len(p.Args); i += 2 {
		if p.Args[i] == name {
			return p.Args[i+1], true
		}
	}
	return nil, false
}
