package invited

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/language"
)

// The validators below are shared by everything that lets people into an
// organization: invitations, and join links. Each records what is wrong
// under the field it is given, in f, and returns the value it resolved, so
// that a caller reads top to bottom and reports every problem at once.

// ResolveRoles returns the roles to grant: roles as given or, when none are
// given, the organization's default_roles. It checks them (CheckRoles) and
// returns them without duplicates (MergeRoles).
func (s OrgSettings) ResolveRoles(f FieldErrors, field string, roles []string, roleExists func(string) bool) []string {
	if len(roles) == 0 {
		roles = s.defaultRoles()
	}
	CheckRoles(f, field, roles, roleExists)
	return MergeRoles(roles, nil)
}

// defaultRoles is the default_roles setting, member for settings that
// never had one (as TTL is the default lifetime for those without one).
func (s OrgSettings) defaultRoles() []string {
	if len(s.DefaultRoles) == 0 {
		return []string{RoleMember}
	}
	return s.DefaultRoles
}

// CheckRoles checks a list of role names: 1 to MaxRoles of them, each text
// and the name of a role of the organization (roleExists).
func CheckRoles(f FieldErrors, field string, roles []string, roleExists func(string) bool) {
	switch {
	case len(roles) == 0:
		f.Add(field, "must name at least one role")
	case len(roles) > MaxRoles:
		f.Add(field, fmt.Sprintf("at most %d roles", MaxRoles))
	}
	for _, r := range roles {
		CheckText(f, field, r, false)
		if !roleExists(r) {
			f.Add(field, "unknown role "+quote(r))
		}
	}
}

// ResolveRedirect returns where an invitee goes after accepting: raw,
// trimmed, which must be an absolute URL of an allowed origin
// (RedirectAllowed) or a path (/welcome, not //host), taken relative to the
// origin of the organization's default_redirect_url. It returns "" for "".
func (s OrgSettings) ResolveRedirect(f FieldErrors, field, raw string) string {
	u := strings.TrimSpace(raw)
	CheckText(f, field, u, false)
	if u == "" {
		return ""
	}
	if relativeURL(u) {
		if s.DefaultRedirectURL == "" {
			f.Add(field, "a path needs the organization's default_redirect_url to resolve against: give an absolute URL, or set default_redirect_url")
			return u
		}
		base, err := url.Parse(s.DefaultRedirectURL)
		ref, rerr := url.Parse(u)
		if err != nil || rerr != nil {
			f.Add(field, "not a URL")
			return u
		}
		u = (&url.URL{Scheme: base.Scheme, Host: base.Host}).ResolveReference(ref).String()
	}
	if !s.RedirectAllowed(u) {
		f.Add(field, "origin is not in the organization's allowed_redirect_origins")
	}
	return u
}

// relativeURL reports whether u is a path on the same origin: it starts
// with one slash. Two (or a slash and a backslash, which browsers read
// alike) start a URL of another host.
func relativeURL(u string) bool {
	return strings.HasPrefix(u, "/") && !strings.HasPrefix(u, "//") && !strings.HasPrefix(u, `/\`)
}

// CheckMetadata returns raw when it is a JSON object of at most
// MaxMetadataSize bytes, and nil when it is absent or null.
func CheckMetadata(f FieldErrors, raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var obj map[string]any
	switch {
	case len(raw) > MaxMetadataSize:
		f.Add("metadata", "at most 8 KiB")
	case json.Unmarshal(raw, &obj) != nil:
		f.Add("metadata", "must be a JSON object")
	default:
		return raw
	}
	return nil
}

// inviteeFields name an invitee; an invitation has exactly one.
var inviteeFields = []string{"email", "phone", "user_id"}

// checkInvitee checks that exactly one of email, phone and user id is
// given, and that one, and returns the three as an invitation keeps them.
// Too many blames each given; none blames all three.
func checkInvitee(f FieldErrors, s OrgSettings, email, phone, userID string) (string, string, string) {
	email, phone, userID = strings.TrimSpace(email), strings.TrimSpace(phone), strings.TrimSpace(userID)
	var given []string
	for i, v := range []string{email, phone, userID} {
		CheckText(f, inviteeFields[i], v, false)
		if v != "" {
			given = append(given, inviteeFields[i])
		}
	}
	switch {
	case len(given) == 0:
		blame(f, inviteeFields, "give exactly one of email, phone, user_id")
	case len(given) > 1:
		blame(f, given, "give exactly one of email, phone, user_id, not several")
	case email != "":
		email = checkEmail(f, s, email)
	case phone != "" && !ValidPhone(phone):
		f.Add("phone", "must be an E.164 number such as +14155550100")
	case userID != "" && (!strings.HasPrefix(userID, PrefixUser) || utf8.RuneCountInString(userID) > MaxUserIDLen):
		f.Add("user_id", "must be a user id (usr_…)")
	}
	return email, phone, userID
}

// blame records msg for each of fields.
func blame(f FieldErrors, fields []string, msg string) {
	for _, field := range fields {
		f.Add(field, msg)
	}
}

// checkEmail returns an invitee's address normalized, checked against the
// organization's allowed_email_domains.
func checkEmail(f FieldErrors, s OrgSettings, raw string) string {
	email, ok := NormalizeEmail(raw)
	switch {
	case !ok:
		f.Add("email", "not a valid email address")
	case !s.EmailDomainAllowed(email):
		f.Add("email", "this organization only invites addresses at "+strings.Join(s.AllowedEmailDomains, ", "))
	}
	return email
}

// checkLine returns a one-line text field trimmed, of at most max
// characters.
func checkLine(f FieldErrors, field, raw string, max int) string {
	s := strings.TrimSpace(raw)
	CheckText(f, field, s, false)
	checkLength(f, field, s, max)
	return s
}

// MaxLocaleLen bounds a locale field: BCP 47 tags in use are far shorter.
const MaxLocaleLen = 35

// checkLocale returns the language tag of field in its canonical form
// ("pt-br" becomes "pt-BR"), or "" for none. A tag that is not well-formed
// BCP 47, or names a language, script or region that does not exist, is a
// field error. Any real language is accepted, not only those with a
// catalog: the pages fall back by the reader's other preferences.
func checkLocale(f FieldErrors, field, raw string) string {
	s := strings.TrimSpace(raw)
	if s == "" {
		return ""
	}
	tag, err := language.Parse(s)
	if err != nil || len(s) > MaxLocaleLen || strings.Contains(s, "_") {
		f.Add(field, `not a BCP 47 language tag; use one such as "de", "fr" or "pt-BR"`)
		return ""
	}
	return tag.String()
}

// checkMessage returns a free text of field as written (an invitation's
// message, a note): lines and tabs allowed, at most max characters.
func checkMessage(f FieldErrors, field, msg string, max int) string {
	CheckText(f, field, msg, true)
	checkLength(f, field, msg, max)
	return msg
}

// checkLength bounds s to max characters (code points), as the spec's
// maxLength counts them.
func checkLength(f FieldErrors, field, s string, max int) {
	if utf8.RuneCountInString(s) > max {
		f.Add(field, fmt.Sprintf("at most %d characters", max))
	}
}

// checkChannel returns the channel an invitation goes by: the one asked
// for, if the invitee can be reached by it, else the invitee's own (sms for
// a phone, email for an address, none for a user id).
func checkChannel(f FieldErrors, channel string, inv *Invitation) string {
	switch channel {
	case "":
		if inv.Phone != "" {
			return ChannelSMS
		}
		if inv.Email != "" {
			return ChannelEmail
		}
	case ChannelEmail:
		if inv.Email == "" && inv.UserID == "" {
			f.Add("channel", "email needs an email invitee")
		}
	case ChannelSMS:
		if inv.Phone == "" {
			f.Add("channel", "sms needs a phone invitee")
		}
	default:
		f.Add("channel", `must be "email" or "sms"`)
	}
	return channel
}
