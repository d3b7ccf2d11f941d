package invited

import (
	"encoding/json"
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
		f.Add(field, Problemf("no_roles"))
	case len(roles) > MaxRoles:
		f.Add(field, Problemf("too_many_roles", "max", MaxRoles))
	}
	for _, r := range roles {
		CheckText(f, field, r, false)
		if !roleExists(r) {
			f.Add(field, Problemf("unknown_role", "role", quote(r)))
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
			f.Add(field, Problemf("redirect_needs_default"))
			return u
		}
		base, err := url.Parse(s.DefaultRedirectURL)
		ref, rerr := url.Parse(u)
		if err != nil || rerr != nil {
			f.Add(field, Problemf("not_url"))
			return u
		}
		u = (&url.URL{Scheme: base.Scheme, Host: base.Host}).ResolveReference(ref).String()
	}
	if !s.RedirectAllowed(u) {
		f.Add(field, Problemf("redirect_not_allowed"))
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
		f.Add("metadata", Problemf("metadata_size"))
	case json.Unmarshal(raw, &obj) != nil:
		f.Add("metadata", Problemf("metadata_object"))
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
		blame(f, inviteeFields, Problemf("invitee_one"))
	case len(given) > 1:
		blame(f, given, Problemf("invitee_several"))
	case email != "":
		email = checkEmail(f, s, email)
	case phone != "" && !ValidPhone(phone):
		f.Add("phone", Problemf("phone_format"))
	case userID != "" && (!strings.HasPrefix(userID, PrefixUser) || utf8.RuneCountInString(userID) > MaxUserIDLen):
		f.Add("user_id", Problemf("user_id_format"))
	}
	return email, phone, userID
}

// blame records msg for each of fields.
func blame(f FieldErrors, fields []string, p Problem) {
	for _, field := range fields {
		f.Add(field, p)
	}
}

// checkEmail returns an invitee's address normalized, checked against the
// organization's allowed_email_domains.
func checkEmail(f FieldErrors, s OrgSettings, raw string) string {
	email, ok := NormalizeEmail(raw)
	switch {
	case !ok:
		f.Add("email", Problemf("email_invalid"))
	case !s.EmailDomainAllowed(email):
		f.Add("email", Problemf("email_domain", "domains", strings.Join(s.AllowedEmailDomains, ", ")))
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
		f.Add(field, Problemf("locale"))
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
		f.Add(field, Problemf("too_long", "n", max))
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
			f.Add("channel", Problemf("channel_email"))
		}
	case ChannelSMS:
		if inv.Phone == "" {
			f.Add("channel", Problemf("channel_sms"))
		}
	default:
		f.Add("channel", Problemf("channel_value"))
	}
	return channel
}
