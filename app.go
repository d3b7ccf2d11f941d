package invited

import (
	"context"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Apps and app invites (issue 6): an app is a connector to an external
// platform's OAuth 2.0 authorization; an app invite is a link that lets a
// partner authorize that platform for the inviter's organization. Activating
// an invite (pending → active) creates a connection profile; that flow
// builds on the types here.

// OAuthConfig is an app's configuration at the external platform: either
// its OIDC discovery document, or its authorization and token endpoints.
type OAuthConfig struct {
	AuthorizationURL string `json:"authorization_url,omitempty" doc:"the platform's authorization endpoint; with token_url, unless discovery_url is given"`
	TokenURL         string `json:"token_url,omitempty" doc:"the platform's token endpoint"`
	DiscoveryURL     string `json:"discovery_url,omitempty" doc:"the platform's OpenID Connect discovery document, instead of authorization_url and token_url"`
	// UserinfoURL and AccountIDField say where the connected account's id
	// is read: a GET with the new access token, and the field of its JSON
	// answer. With discovery_url the document's userinfo_endpoint is the
	// default; without either, profiles have no external account id.
	UserinfoURL    string `json:"userinfo_url,omitempty" doc:"an endpoint answering the account's JSON with the access token, such as an OIDC userinfo endpoint or a platform's /me"`
	AccountIDField string `json:"account_id_field,omitempty" doc:"the field of the userinfo answer holding the account's id; default \"sub\""`
	ClientID       string `json:"client_id"`
	// ClientSecret is input only: it is stored sealed and never returned;
	// App.ClientSecretSet says whether there is one.
	ClientSecret string            `json:"client_secret,omitempty" doc:"write-only; absent for a public client, which relies on PKCE alone"`
	Scopes       []string          `json:"scopes" required:"false" doc:"the scopes to ask for"`
	ExtraParams  map[string]string `json:"extra_params,omitempty" doc:"further parameters of the authorization request, such as access_type or prompt"`
}

// App is a connector application: system-wide, usable by every
// organization, or owned by one.
type App struct {
	ID          string      `json:"id"`
	OrgID       string      `json:"org_id,omitempty" doc:"absent for a system-wide app"`
	Name        string      `json:"name"`
	Description string      `json:"description,omitempty" doc:"the text of the partner's landing page"`
	OAuth       OAuthConfig `json:"oauth"`
	// ClientSecretSet says whether a client secret is stored, because the
	// secret itself is never shown.
	ClientSecretSet bool      `json:"client_secret_set"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// AppCreate is the body of an app create request (DESIGN.md §4).
type AppCreate struct {
	Name        string      `json:"name"`
	OrgID       string      `json:"org_id,omitempty" doc:"absent: a system-wide app (admin only)"`
	Description string      `json:"description,omitempty" doc:"the text of the partner's landing page; at most 2000 characters"`
	OAuth       OAuthConfig `json:"oauth"`
}

// AppFilter selects apps for a list.
type AppFilter struct {
	// OrgID, when set, keeps the apps that invites of that organization can
	// use: its own and the system-wide ones.
	OrgID string
	Page
}

// Limits on app input. Lengths count characters (code points), as the
// spec's maxLength, which carries them, does.
const (
	MaxAppDescriptionRunes = 2000
	MaxClientIDLen         = 500
	MaxClientSecretLen     = 2000
	MaxScopes              = 50
	MaxScopeLen            = 200
	MaxExtraParams         = 20
	MaxExtraParamKeyLen    = 100
	MaxExtraParamValueLen  = 1000
	MaxOAuthURLLen         = 2000
	MaxAppInviteNoteRunes  = 2000
)

// reservedOAuthParams are the authorization request's parameters that the
// flow sets itself; an app's extra_params may not override them.
var reservedOAuthParams = []string{"response_type", "client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method", "scope"}

// NewApp validates c and returns the app it describes. The app keeps the
// client secret in OAuth.ClientSecret for the store to seal; the store
// blanks it before the app leaves. Endpoints the service calls (token,
// discovery, userinfo) naming an address that outbound refuses are
// invalid; the authorization URL, which only browsers visit, is not
// judged by it.
func NewApp(c AppCreate, outbound OutboundPolicy, now time.Time) (*App, error) {
	f := FieldErrors{}
	o := c.OAuth
	app := &App{
		ID:          NewID(PrefixApp, now),
		OrgID:       c.OrgID,
		Name:        strings.TrimSpace(c.Name),
		Description: c.Description,
		OAuth: OAuthConfig{
			AuthorizationURL: strings.TrimSpace(o.AuthorizationURL),
			TokenURL:         strings.TrimSpace(o.TokenURL),
			DiscoveryURL:     strings.TrimSpace(o.DiscoveryURL),
			UserinfoURL:      strings.TrimSpace(o.UserinfoURL),
			AccountIDField:   strings.TrimSpace(o.AccountIDField),
			ClientID:         strings.TrimSpace(o.ClientID),
			ClientSecret:     o.ClientSecret,
			Scopes:           slices.Clone(o.Scopes),
		},
		ClientSecretSet: o.ClientSecret != "",
		CreatedAt:       now,
		UpdatedAt:       now,
	}
	// Stored and returned alike: no scopes is an empty list, no extra
	// parameters none at all.
	if app.OAuth.Scopes == nil {
		app.OAuth.Scopes = []string{}
	}
	if len(o.ExtraParams) > 0 {
		app.OAuth.ExtraParams = maps.Clone(o.ExtraParams)
	}
	CheckText(f, "name", app.Name, false)
	CheckText(f, "description", app.Description, true)
	if n := utf8.RuneCountInString(app.Name); n == 0 || n > MaxNameRunes {
		f.Add("name", Problemf("length_range", "max", MaxNameRunes))
	}
	if utf8.RuneCountInString(app.Description) > MaxAppDescriptionRunes {
		f.Add("description", Problemf("too_long", "n", MaxAppDescriptionRunes))
	}
	app.OAuth.validate(f, outbound)
	if err := f.Err(); err != nil {
		return nil, err
	}
	return app, nil
}

// validate checks the configuration, naming fields as "oauth.<field>".
func (o *OAuthConfig) validate(f FieldErrors, outbound OutboundPolicy) {
	for _, t := range []struct{ field, value string }{
		{"oauth.client_id", o.ClientID}, {"oauth.client_secret", o.ClientSecret},
		{"oauth.authorization_url", o.AuthorizationURL}, {"oauth.token_url", o.TokenURL},
		{"oauth.discovery_url", o.DiscoveryURL}, {"oauth.userinfo_url", o.UserinfoURL},
		{"oauth.account_id_field", o.AccountIDField},
	} {
		CheckText(f, t.field, t.value, false)
	}
	for _, s := range o.Scopes {
		CheckText(f, "oauth.scopes", s, false)
	}
	for k, v := range o.ExtraParams {
		CheckText(f, "oauth.extra_params", k, false)
		CheckText(f, "oauth.extra_params", v, false)
	}
	switch {
	case o.ClientID == "":
		f.Add("oauth.client_id", Problemf("required"))
	case utf8.RuneCountInString(o.ClientID) > MaxClientIDLen:
		f.Add("oauth.client_id", Problemf("too_long", "n", MaxClientIDLen))
	}
	if utf8.RuneCountInString(o.ClientSecret) > MaxClientSecretLen {
		f.Add("oauth.client_secret", Problemf("too_long", "n", MaxClientSecretLen))
	}

	endpoints := o.AuthorizationURL != "" || o.TokenURL != ""
	switch {
	case o.DiscoveryURL != "" && endpoints:
		f.Add("oauth.discovery_url", Problemf("discovery_or_endpoints"))
	case o.DiscoveryURL != "":
		validOAuthURL(f, "oauth.discovery_url", o.DiscoveryURL)
		outbound.CheckURL(f, "oauth.discovery_url", o.DiscoveryURL)
	default:
		for _, u := range []struct{ field, url string }{
			{"oauth.authorization_url", o.AuthorizationURL},
			{"oauth.token_url", o.TokenURL},
		} {
			if u.url == "" {
				f.Add(u.field, Problemf("required_unless_discovery"))
				continue
			}
			validOAuthURL(f, u.field, u.url)
		}
		outbound.CheckURL(f, "oauth.token_url", o.TokenURL)
	}

	if o.UserinfoURL != "" {
		validOAuthURL(f, "oauth.userinfo_url", o.UserinfoURL)
		outbound.CheckURL(f, "oauth.userinfo_url", o.UserinfoURL)
	}
	if len(o.AccountIDField) > MaxExtraParamKeyLen {
		f.Add("oauth.account_id_field", Problemf("too_long", "n", MaxExtraParamKeyLen))
	}

	if len(o.Scopes) > MaxScopes {
		f.Add("oauth.scopes", Problemf("too_many_scopes", "max", MaxScopes))
	}
	for _, s := range o.Scopes {
		if !validScope(s) {
			f.Add("oauth.scopes", Problemf("scope_format", "scope", quote(s)))
		}
	}

	if len(o.ExtraParams) > MaxExtraParams {
		f.Add("oauth.extra_params", Problemf("too_many_params", "max", MaxExtraParams))
	}
	for k, v := range o.ExtraParams {
		switch {
		case k == "" || len(k) > MaxExtraParamKeyLen:
			f.Add("oauth.extra_params", Problemf("param_name_length"))
		case slices.Contains(reservedOAuthParams, strings.ToLower(k)):
			f.Add("oauth.extra_params", Problemf("param_reserved", "param", quote(k), "reserved", strings.Join(reservedOAuthParams, ", ")))
		case len(v) > MaxExtraParamValueLen:
			f.Add("oauth.extra_params", Problemf("param_value_length"))
		}
	}
}

// validOAuthURL checks an endpoint of the platform: absolute https, without
// credentials or fragment. Plain http is allowed for loopback hosts alone,
// for local development and tests; anywhere else it would expose the
// authorization code and the client secret on the wire.
func validOAuthURL(f FieldErrors, field, raw string) {
	u, err := url.Parse(raw)
	switch {
	case utf8.RuneCountInString(raw) > MaxOAuthURLLen:
		f.Add(field, Problemf("too_long", "n", MaxOAuthURLLen))
	case err != nil || !u.IsAbs() || u.Host == "" || strings.Contains(raw, "#"):
		f.Add(field, Problemf("https_url"))
	case u.Scheme != "https" && (u.Scheme != "http" || !loopbackHost(u.Hostname())):
		f.Add(field, Problemf("https_only"))
	case u.User != nil:
		f.Add(field, Problemf("oauth_credentials"))
	}
}

// OAuthEndpointError says why raw cannot be a platform endpoint, by the
// rule of an app's configured URLs, or returns nil. It checks the
// endpoints a discovery document names.
func OAuthEndpointError(raw string) error {
	f := FieldErrors{}
	validOAuthURL(f, "url", raw)
	if msg, ok := f["url"]; ok {
		return Errorf(EINVALID, "endpoint %s: %s", quote(raw), msg)
	}
	return nil
}

// AccountIDFieldOrDefault is the userinfo field holding the account's id.
func (o *OAuthConfig) AccountIDFieldOrDefault() string {
	if o.AccountIDField == "" {
		return "sub"
	}
	return o.AccountIDField
}

func loopbackHost(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// validScope reports whether s is a scope-token of RFC 6749 §3.3: printable
// ASCII without spaces, double quotes or backslashes.
func validScope(s string) bool {
	if len(s) == 0 || len(s) > MaxScopeLen {
		return false
	}
	for i := range len(s) {
		if c := s[i]; c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// AppInviteStatus is where an app invite is in its lifecycle (issue 6):
//
//	pending --activate--> active --archive--> archived
//	   |--revoke--> revoked --archive--> archived
//	   '--(time)--> expired --archive--> archived
type AppInviteStatus string

const (
	AppInvitePending  AppInviteStatus = "pending"
	AppInviteActive   AppInviteStatus = "active"
	AppInviteArchived AppInviteStatus = "archived"
	AppInviteRevoked  AppInviteStatus = "revoked"
	AppInviteExpired  AppInviteStatus = "expired"
)

// AppInviteStatuses lists every app invite status.
var AppInviteStatuses = []AppInviteStatus{AppInvitePending, AppInviteActive, AppInviteArchived, AppInviteRevoked, AppInviteExpired}

// ActionActivate moves an app invite to active: the partner authorized the
// platform and the connection exists.
const ActionActivate Action = "activate"

// AppInviteLifecycle is the app invite's state machine. Archived is
// terminal.
var AppInviteLifecycle = &Lifecycle[AppInviteStatus]{
	noun: "an app invite",
	transitions: map[AppInviteStatus]map[Action]AppInviteStatus{
		AppInvitePending: {
			ActionActivate: AppInviteActive,
			ActionRevoke:   AppInviteRevoked,
			ActionExpire:   AppInviteExpired,
		},
		AppInviteActive:  {ActionArchive: AppInviteArchived},
		AppInviteRevoked: {ActionArchive: AppInviteArchived},
		AppInviteExpired: {ActionArchive: AppInviteArchived},
	},
	lapsing: AppInvitePending,
	lapsed:  AppInviteExpired,
}

// AppInvite is a link that lets a partner connect an external platform to
// the organization through an app. Its code, like an invitation token, is
// stored only as a hash.
type AppInvite struct {
	ID          string          `json:"id"`
	AppID       string          `json:"app_id"`
	OrgID       string          `json:"org_id"`
	Status      AppInviteStatus `json:"status"`
	Email       string          `json:"email,omitempty" doc:"the partner's address, when known"`
	Note        string          `json:"note,omitempty"`
	Locale      string          `json:"locale,omitempty" doc:"BCP 47 language of the partner's pages; default the organization's default_locale"`
	Inviter     Inviter         `json:"inviter"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
	ExpiresAt   time.Time       `json:"expires_at"`
	ActivatedAt *time.Time      `json:"activated_at"`
	RevokedAt   *time.Time      `json:"revoked_at"`
	ArchivedAt  *time.Time      `json:"archived_at"`
}

// AppInviteLink is the partner's link of an app-invite code,
// {publicURL}/a/{code} (DESIGN.md §4).
func AppInviteLink(publicURL, code string) string {
	return strings.TrimRight(publicURL, "/") + "/a/" + url.PathEscape(code)
}

// StatusAt is the status as callers see it at now: a pending invite whose
// expiry has passed reads as expired at once.
func (ai *AppInvite) StatusAt(now time.Time) AppInviteStatus {
	return AppInviteLifecycle.StatusAt(ai.Status, ai.ExpiresAt, now)
}

// Apply moves ai by action at now (Lifecycle.Apply).
func (ai *AppInvite) Apply(action Action, now time.Time) error {
	return AppInviteLifecycle.Apply(ai, action, now)
}

func (ai *AppInvite) lifecycle() (*AppInviteStatus, time.Time, *time.Time) {
	return &ai.Status, ai.ExpiresAt, &ai.UpdatedAt
}

func (ai *AppInvite) stamp(action Action) **time.Time {
	switch action {
	case ActionActivate:
		return &ai.ActivatedAt
	case ActionRevoke:
		return &ai.RevokedAt
	case ActionArchive:
		return &ai.ArchivedAt
	}
	return nil
}

// AppInviteCreate is the body of an app invite create request (DESIGN.md
// §4).
type AppInviteCreate struct {
	OrgID     string    `json:"org_id" doc:"the organization the connection is for"`
	Email     string    `json:"email,omitempty" doc:"the partner's address, for the record"`
	Note      string    `json:"note,omitempty" doc:"at most 2000 characters"`
	ExpiresIn *Duration `json:"expires_in,omitempty" doc:"lifetime, e.g. \"72h\" or \"7d\"; default the organization's invitation_ttl"`
	Locale    string    `json:"locale,omitempty" doc:"BCP 47 language tag (de, pt-BR) of the partner's pages; default the organization's default_locale, then the browser's language"`
}

// NewAppInvite validates c for an invite of org through app and returns the
// pending invite it describes. The app must be system-wide or org's own.
// The email is not held to the organization's allowed_email_domains: a
// partner connects a platform, it does not join the organization.
func NewAppInvite(app *App, org *Organization, c AppInviteCreate, inviter Inviter, now time.Time) (*AppInvite, error) {
	f := FieldErrors{}
	ai := &AppInvite{
		ID:        NewID(PrefixAppInvite, now),
		AppID:     app.ID,
		OrgID:     org.ID,
		Status:    AppInvitePending,
		Note:      c.Note,
		Locale:    checkLocale(f, "locale", c.Locale),
		Inviter:   inviter,
		CreatedAt: now,
		UpdatedAt: now,
	}
	if app.OrgID != "" && app.OrgID != org.ID {
		f.Add("org_id", Problemf("app_other_org"))
	}
	CheckText(f, "email", c.Email, false)
	checkMessage(f, "note", c.Note, MaxAppInviteNoteRunes)
	if c.Email != "" {
		email, ok := NormalizeEmail(strings.TrimSpace(c.Email))
		if !ok {
			f.Add("email", Problemf("email_invalid"))
		}
		ai.Email = email
	}
	ai.ExpiresAt = Expiry(c.ExpiresIn, nil, org.Settings.TTL(), now, f)
	if err := f.Err(); err != nil {
		return nil, err
	}
	return ai, nil
}

// AppInvitePreview is what anyone holding an app invite link may see
// before deciding: what will be connected, for whom, and by whom asked;
// nothing about the partner, no note.
type AppInvitePreview struct {
	Status    AppInviteStatus `json:"status"`
	ExpiresAt time.Time       `json:"expires_at"`
	App       struct {
		Name        string `json:"name"`
		Description string `json:"description,omitempty"`
	} `json:"app"`
	Organization struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"organization"`
	Inviter struct {
		Name string `json:"name,omitempty"`
	} `json:"inviter"`
}

// Preview returns the public view of ai, an invite of org through app, at
// now. The organization goes by the name its hosted pages show.
func (ai *AppInvite) Preview(app *App, org *Organization, now time.Time) *AppInvitePreview {
	p := &AppInvitePreview{Status: ai.StatusAt(now), ExpiresAt: ai.ExpiresAt}
	p.App.Name, p.App.Description = app.Name, app.Description
	p.Organization.ID, p.Organization.Name = org.ID, org.DisplayName()
	p.Inviter.Name = ai.Inviter.Name
	return p
}

// AppInviteFilter selects app invites for a list.
type AppInviteFilter struct {
	OrgID  string
	AppID  string
	Status AppInviteStatus
	Page
}

// AppOrgIDs returns the visible organizations whose apps the actor may
// see, or all=true: those where it holds apps:manage (governs them) or
// connections:manage (invites partners through them).
func (a *Actor) AppOrgIDs() (ids []string, all bool) {
	visible, all := a.VisibleOrgIDs()
	if all {
		return nil, true
	}
	for _, id := range visible {
		if a.Can(id, PermAppsManage) || a.Can(id, PermConnectionsManage) {
			ids = append(ids, id)
		}
	}
	return ids, false
}

// CanSeeApp reports whether app exists for the actor: an admin key sees
// every app; anyone else the apps of the organizations of AppOrgIDs, and
// the system-wide apps when there is at least one such organization, since
// only there can they be used.
func (a *Actor) CanSeeApp(app *App) bool {
	ids, all := a.AppOrgIDs()
	if all {
		return true
	}
	if app.OrgID == "" {
		return len(ids) > 0
	}
	return slices.Contains(ids, app.OrgID)
}

// AppService manages apps and app invites. Every method but the code
// lookup and the sweep takes the caller from ActorFromContext(ctx).
type AppService interface {
	// CreateApp registers an app: a system-wide one needs an admin key, an
	// organization's needs apps:manage there. The client secret is stored
	// sealed, which needs encryption keys to be configured.
	CreateApp(ctx context.Context, c AppCreate) (*App, error)
	// FindApps lists the apps the actor can see (Actor.CanSeeApp), newest
	// first.
	FindApps(ctx context.Context, f AppFilter) ([]*App, string, error)
	// FindAppByID returns an app the actor can see, else not_found.
	FindAppByID(ctx context.Context, id string) (*App, error)

	// CreateAppInvite needs connections:manage in c.OrgID. It returns the
	// plaintext code: the only time it exists outside the link.
	CreateAppInvite(ctx context.Context, appID string, c AppInviteCreate) (*AppInvite, string, error)
	// FindAppInvites lists the invites of the organizations where the
	// actor holds connections:manage (all for an admin key), newest first.
	FindAppInvites(ctx context.Context, f AppInviteFilter) ([]*AppInvite, string, error)
	FindAppInviteByID(ctx context.Context, id string) (*AppInvite, error)
	// RevokeAppInvite and ArchiveAppInvite need connections:manage.
	RevokeAppInvite(ctx context.Context, id string) (*AppInvite, error)
	ArchiveAppInvite(ctx context.Context, id string) (*AppInvite, error)

	// PreviewAppInvite is authorized by possession of the code; not_found
	// for an unknown one.
	PreviewAppInvite(ctx context.Context, code string) (*AppInvitePreview, error)

	// ExpireAppInvites persists the expired status of up to limit overdue
	// app invites and returns how many it changed. Background job; no
	// actor.
	ExpireAppInvites(ctx context.Context, limit int) (int, error)
}
