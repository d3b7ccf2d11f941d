package invited

import (
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DefaultInvitationTTL is how long an invitation stays open unless the
// organization or the invitation says otherwise.
const DefaultInvitationTTL = 7 * 24 * time.Hour

// Bounds on any invitation lifetime: shorter is unusable, longer is stale.
const (
	MinInvitationTTL = time.Minute
	MaxInvitationTTL = 90 * 24 * time.Hour
)

const (
	// MaxContactRunes bounds an organization's contact text.
	MaxContactRunes = 500
	// MaxSlugLen bounds an organization's slug (SlugPattern).
	MaxSlugLen = 64
)

// Organization is a tenant.
type Organization struct {
	ID        string      `json:"id"`
	Name      string      `json:"name"`
	Slug      string      `json:"slug"`
	Settings  OrgSettings `json:"settings"`
	CreatedAt time.Time   `json:"created_at"`
	UpdatedAt time.Time   `json:"updated_at"`
}

// OrgSettings are an organization's policies for invitations.
type OrgSettings struct {
	InvitationTTL          Duration `json:"invitation_ttl" doc:"default lifetime of an invitation, e.g. \"168h\""`
	AllowedRedirectOrigins []string `json:"allowed_redirect_origins" doc:"origins (scheme://host[:port], one host each: no wildcards) a redirect_url may point to, compared exactly"`
	AllowedEmailDomains    []string `json:"allowed_email_domains" doc:"when non-empty, only these email domains may be invited or accept"`
	RequireEmailMatch      bool     `json:"require_email_match" doc:"the accepting user must own the invited email, phone or user id"`
	Contact                string   `json:"contact" doc:"shown on dead-link pages"`
	DefaultRoles           []string `json:"default_roles" doc:"the roles of an invitation that names none: 1-32 built-in or custom roles, not owner"`
	DefaultLocale          string   `json:"default_locale" doc:"BCP 47 language tag of the pages and messages of invitations, join links and app invites that name no locale; empty: the browser's language, then English"`

	// The hosted pages (DESIGN.md §5).
	DisplayName        string `json:"display_name" doc:"the name hosted pages show; default the organization's name"`
	LogoURL            string `json:"logo_url" doc:"https URL of a logo for hosted pages"`
	AccentColor        string `json:"accent_color" doc:"#rrggbb for buttons and links on hosted pages"`
	DefaultRedirectURL string `json:"default_redirect_url" doc:"where the hosted page sends an invitee who accepted, with ?ticket=…, when the invitation has no redirect_url; must match allowed_redirect_origins"`
	SignInURL          string `json:"sign_in_url" doc:"the host app's sign-in page; phone and user-id invitees are sent there with ?invitation_token=…; must match allowed_redirect_origins"`

	// Retention overrides the system-wide retention (docs/retention.md).
	Retention Retention `json:"retention" doc:"how long this organization's finished messages, audit events and the personal data of ended invitations are kept; each part absent takes the system's default"`
}

// DefaultOrgSettings are the settings of a new organization.
func DefaultOrgSettings() OrgSettings {
	return OrgSettings{
		InvitationTTL:          Duration(DefaultInvitationTTL),
		AllowedRedirectOrigins: []string{},
		AllowedEmailDomains:    []string{},
		RequireEmailMatch:      true,
		DefaultRoles:           []string{RoleMember},
	}
}

// OrgSettingsPatch changes some settings; nil fields are left as they are.
type OrgSettingsPatch struct {
	InvitationTTL          *Duration       `json:"invitation_ttl,omitempty"`
	AllowedRedirectOrigins *[]string       `json:"allowed_redirect_origins,omitempty"`
	AllowedEmailDomains    *[]string       `json:"allowed_email_domains,omitempty"`
	RequireEmailMatch      *bool           `json:"require_email_match,omitempty"`
	Contact                *string         `json:"contact,omitempty"`
	DefaultRoles           *[]string       `json:"default_roles,omitempty"`
	DefaultLocale          *string         `json:"default_locale,omitempty"`
	DisplayName            *string         `json:"display_name,omitempty"`
	LogoURL                *string         `json:"logo_url,omitempty"`
	AccentColor            *string         `json:"accent_color,omitempty"`
	DefaultRedirectURL     *string         `json:"default_redirect_url,omitempty"`
	SignInURL              *string         `json:"sign_in_url,omitempty"`
	Retention              *RetentionPatch `json:"retention,omitempty"`
}

// OrganizationCreate is the input for a new organization.
type OrganizationCreate struct {
	Name     string            `json:"name"`
	Slug     string            `json:"slug,omitempty" doc:"defaults to a slug of the name"`
	Settings *OrgSettingsPatch `json:"settings,omitempty"`
}

// OrganizationUpdate changes an organization; nil fields are left as they are.
type OrganizationUpdate struct {
	Name     *string           `json:"name,omitempty"`
	Settings *OrgSettingsPatch `json:"settings,omitempty"`
}

// OrganizationFilter selects organizations visible to the actor.
type OrganizationFilter struct {
	Page
}

// NewOrganization validates c and returns the organization it describes.
// Its default roles can only be built-in ones: it has no other yet.
func NewOrganization(c OrganizationCreate, now time.Time) (*Organization, error) {
	f := FieldErrors{}
	o := &Organization{
		ID:        NewID(PrefixOrganization, now),
		Name:      strings.TrimSpace(c.Name),
		Slug:      strings.TrimSpace(c.Slug),
		Settings:  DefaultOrgSettings(),
		CreatedAt: now,
		UpdatedAt: now,
	}
	validateOrgName(f, o.Name)
	CheckText(f, "slug", o.Slug, false)
	if o.Slug == "" {
		o.Slug = slugify(o.Name)
	} else if !validSlug(o.Slug, MaxSlugLen) {
		f.Add("slug", Problemf("slug_format"))
	}
	if c.Settings != nil {
		o.Settings.apply(f, *c.Settings, isBuiltInRole)
	}
	return o, f.Err()
}

// Apply validates u and applies it to o, whose roles roleExists knows.
func (o *Organization) Apply(u OrganizationUpdate, roleExists func(string) bool, now time.Time) error {
	f := FieldErrors{}
	if u.Name != nil {
		o.Name = strings.TrimSpace(*u.Name)
		validateOrgName(f, o.Name)
	}
	if u.Settings != nil {
		o.Settings.apply(f, *u.Settings, roleExists)
	}
	o.UpdatedAt = now
	return f.Err()
}

func validateOrgName(f FieldErrors, name string) {
	CheckText(f, "name", name, false)
	if name == "" || len([]rune(name)) > MaxNameRunes {
		f.Add("name", Problemf("length_range", "max", MaxNameRunes))
	}
}

func (s *OrgSettings) apply(f FieldErrors, p OrgSettingsPatch, roleExists func(string) bool) {
	if p.InvitationTTL != nil {
		s.InvitationTTL = *p.InvitationTTL
		if d := time.Duration(s.InvitationTTL); d < MinInvitationTTL || d > MaxInvitationTTL {
			f.Add("settings.invitation_ttl", Problemf("ttl_range"))
		}
	}
	if p.AllowedRedirectOrigins != nil {
		s.AllowedRedirectOrigins = make([]string, 0, len(*p.AllowedRedirectOrigins))
		for _, o := range *p.AllowedRedirectOrigins {
			norm, ok := normalizeOrigin(o)
			switch {
			case strings.Contains(o, "*"):
				f.Add("settings.allowed_redirect_origins", Problemf("origin_wildcard", "origin", quote(o)))
			case !ok:
				f.Add("settings.allowed_redirect_origins", Problemf("not_origin", "origin", quote(o)))
			}
			s.AllowedRedirectOrigins = append(s.AllowedRedirectOrigins, norm)
		}
	}
	if p.AllowedEmailDomains != nil {
		s.AllowedEmailDomains = make([]string, 0, len(*p.AllowedEmailDomains))
		for _, d := range *p.AllowedEmailDomains {
			d = strings.ToLower(strings.TrimSpace(d))
			if !validDomain(d) {
				f.Add("settings.allowed_email_domains", Problemf("not_domain", "domain", quote(d)))
			}
			s.AllowedEmailDomains = append(s.AllowedEmailDomains, d)
		}
	}
	if p.RequireEmailMatch != nil {
		s.RequireEmailMatch = *p.RequireEmailMatch
	}
	if p.DefaultRoles != nil {
		CheckRoles(f, "settings.default_roles", *p.DefaultRoles, roleExists)
		s.DefaultRoles = MergeRoles(*p.DefaultRoles, nil)
		if slices.Contains(s.DefaultRoles, RoleOwner) {
			f.Add("settings.default_roles", Problemf("owner_default_role"))
		}
	}
	if p.DefaultLocale != nil {
		s.DefaultLocale = checkLocale(f, "settings.default_locale", *p.DefaultLocale)
	}
	if p.Contact != nil {
		s.Contact = strings.TrimSpace(*p.Contact)
		CheckText(f, "settings.contact", s.Contact, false)
		if len([]rune(s.Contact)) > MaxContactRunes {
			f.Add("settings.contact", Problemf("must_too_long", "n", MaxContactRunes))
		}
	}
	if p.DisplayName != nil {
		s.DisplayName = strings.TrimSpace(*p.DisplayName)
		CheckText(f, "settings.display_name", s.DisplayName, false)
		if len([]rune(s.DisplayName)) > MaxNameRunes {
			f.Add("settings.display_name", Problemf("must_too_long", "n", MaxNameRunes))
		}
	}
	if p.LogoURL != nil {
		s.LogoURL = strings.TrimSpace(*p.LogoURL)
		CheckText(f, "settings.logo_url", s.LogoURL, false)
		if s.LogoURL != "" && !validLogoURL(s.LogoURL) {
			f.Add("settings.logo_url", Problemf("logo_url"))
		}
	}
	if p.AccentColor != nil {
		s.AccentColor = strings.ToLower(strings.TrimSpace(*p.AccentColor))
		CheckText(f, "settings.accent_color", s.AccentColor, false)
		if s.AccentColor != "" && !accentColor.MatchString(s.AccentColor) {
			f.Add("settings.accent_color", Problemf("accent_color"))
		}
	}
	if p.DefaultRedirectURL != nil {
		s.DefaultRedirectURL = strings.TrimSpace(*p.DefaultRedirectURL)
		CheckText(f, "settings.default_redirect_url", s.DefaultRedirectURL, false)
	}
	if p.SignInURL != nil {
		s.SignInURL = strings.TrimSpace(*p.SignInURL)
		CheckText(f, "settings.sign_in_url", s.SignInURL, false)
	}
	// Checked whenever anything changes, against the allowlist as it ends
	// up: narrowing the allowlist must not leave a URL behind that the
	// hosted pages would refuse to send anyone to.
	if s.DefaultRedirectURL != "" && !s.RedirectAllowed(s.DefaultRedirectURL) {
		f.Add("settings.default_redirect_url", Problemf("setting_origin_not_allowed"))
	}
	if s.SignInURL != "" && !s.RedirectAllowed(s.SignInURL) {
		f.Add("settings.sign_in_url", Problemf("setting_origin_not_allowed"))
	}
	// Checked against the invitation TTL as it ends up, like the URLs
	// above: a longer TTL must not leave a retention behind that would
	// clear an expired invitation before it could be renewed.
	if p.Retention != nil {
		s.Retention.apply(*p.Retention)
	}
	CheckRetention(f, "settings.retention.", s.Retention, s.TTL())
}

var accentColor = regexp.MustCompile(`^#[0-9a-f]{6}$`)

// validLogoURL accepts only absolute https URLs: a hosted page must not
// load anything over plain http, nor from a data: or javascript: URL.
func validLogoURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && len(s) <= 2000 && u.Scheme == "https" && u.Host != "" && u.User == nil
}

// DisplayName returns the name hosted pages show for o.
func (o *Organization) DisplayName() string {
	if o.Settings.DisplayName != "" {
		return o.Settings.DisplayName
	}
	return o.Name
}

// Locales is the languages of something of o's whose own locale is own
// ("" for none): own, then o's default_locale, most wanted first, as
// Accept-Language lists them ("ko, de"). Whoever writes in them takes the
// first it has words for, so that a locale without a catalog falls
// through to the organization's. A nil o has none of its own.
func (o *Organization) Locales(own string) string {
	var locales []string
	for _, l := range []string{own, o.defaultLocale()} {
		if l != "" && !slices.Contains(locales, l) {
			locales = append(locales, l)
		}
	}
	return strings.Join(locales, ", ")
}

func (o *Organization) defaultLocale() string {
	if o == nil {
		return ""
	}
	return o.Settings.DefaultLocale
}

// LandingURL is where the host app or the hosted page sends someone who
// joined through a link with redirectURL (an invitation's, a join link's):
// redirectURL, else the organization's default_redirect_url; "" when
// neither is set or the allowlist no longer admits it (the allowlist is
// checked again here because it may have changed since).
func (s OrgSettings) LandingURL(redirectURL string) string {
	for _, u := range []string{redirectURL, s.DefaultRedirectURL} {
		if u != "" {
			if s.RedirectAllowed(u) {
				return u
			}
			return ""
		}
	}
	return ""
}

// TTL returns the organization's default invitation lifetime.
func (s OrgSettings) TTL() time.Duration {
	if s.InvitationTTL == 0 {
		return DefaultInvitationTTL
	}
	return time.Duration(s.InvitationTTL)
}

// EmailDomainAllowed reports whether email may be invited to or accept into
// an organization with these settings.
func (s OrgSettings) EmailDomainAllowed(email string) bool {
	if len(s.AllowedEmailDomains) == 0 {
		return true
	}
	_, domain, ok := strings.Cut(strings.ToLower(email), "@")
	if !ok {
		return false
	}
	for _, d := range s.AllowedEmailDomains {
		if domain == d {
			return true
		}
	}
	return false
}

// RedirectAllowed reports whether rawURL is an absolute http(s) URL whose
// origin is on the allowlist. With no allowlist nothing is allowed: an open
// redirect is never the default.
func (s OrgSettings) RedirectAllowed(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil || u.User != nil {
		return false
	}
	origin, ok := normalizeOrigin(u.Scheme + "://" + u.Host)
	if !ok {
		return false
	}
	for _, o := range s.AllowedRedirectOrigins {
		if o == origin {
			return true
		}
	}
	return false
}

// normalizeOrigin returns scheme://host[:port] in lower case, or false when s
// is not exactly an http(s) origin: no userinfo, path, query or fragment, a
// port of 1-65535 if any, and a host that is an IP address or a DNS name
// (validHostname). Origins are compared as strings, so one origin admits
// one host: there are no wildcards.
func normalizeOrigin(s string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
		u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", false
	}
	host := strings.ToLower(u.Host)
	if port := u.Port(); strings.HasSuffix(host, ":") || (port != "" && !validPort(port)) {
		return "", false
	}
	if name := strings.ToLower(u.Hostname()); !validHostname(name) {
		if ip, err := netip.ParseAddr(name); err != nil || ip.Zone() != "" {
			return "", false
		}
	}
	return u.Scheme + "://" + host, true
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535
}

// validHostname reports whether s is a DNS name as browsers resolve it:
// labels of 1-63 letters, digits and inner '-' (an international name in
// its xn-- form), no trailing dot, and a last label that starts with a
// letter, so that nothing a browser would read as an IPv4 address passes.
func validHostname(s string) bool {
	if len(s) > 253 {
		return false
	}
	labels := strings.Split(s, ".")
	for _, l := range labels {
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	last := labels[len(labels)-1]
	return last[0] >= 'a' && last[0] <= 'z'
}

func validDomain(d string) bool {
	if len(d) < 3 || len(d) > 253 || !strings.Contains(d, ".") || strings.HasPrefix(d, ".") || strings.HasSuffix(d, ".") {
		return false
	}
	for _, r := range d {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// slugify turns a display name into a slug: lower case, runs of anything
// else collapsed into '-'.
func slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 64 {
			break
		}
	}
	s := strings.Trim(b.String(), "-")
	if s == "" {
		return "org"
	}
	return s
}
