package invited

import (
	"context"
	"time"
)

// Connection profiles (issue 6): what a partner's authorization through an
// app invite leaves in the inviter's organization. A profile holds the
// platform's tokens, sealed at rest, so that the organization can act on
// the partner's external account; the tokens never leave the service
// except through ProfileTokenService.

// PrefixProfile names connection profiles.
const PrefixProfile = "prof_"

// ResourceProfile is the audited resource of connection profiles.
const ResourceProfile = "profile"

// ProfileStatus is where a profile is: active while it holds tokens,
// archived (terminal) once they are deleted.
type ProfileStatus string

const (
	ProfileActive   ProfileStatus = "active"
	ProfileArchived ProfileStatus = "archived"
)

// ProfileStatuses lists every profile status.
var ProfileStatuses = []ProfileStatus{ProfileActive, ProfileArchived}

// Profile is a connection profile: an external account connected to an
// organization through an app invite. It never carries the tokens.
type Profile struct {
	ID                string        `json:"id"`
	OrgID             string        `json:"org_id"`
	AppID             string        `json:"app_id"`
	AppInviteID       string        `json:"app_invite_id"`
	Status            ProfileStatus `json:"status"`
	ExternalAccountID string        `json:"external_account_id,omitempty" doc:"the account's id at the platform, when it exposes one (userinfo sub, or the app's account_id_field)"`
	Scopes            []string      `json:"scopes" doc:"the scopes the platform granted"`
	// TokenExpiresAt is when the stored access token expires: null when the
	// platform gave no lifetime, or once archived.
	TokenExpiresAt *time.Time `json:"token_expires_at"`
	// Refreshable says whether a refresh token is stored, so that an
	// expired access token can be renewed without the partner.
	Refreshable bool       `json:"refreshable"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	ArchivedAt  *time.Time `json:"archived_at"`
}

// OAuthToken is a platform's token set, as the authorization and each
// refresh give it. Stores keep it sealed.
type OAuthToken struct {
	AccessToken  string
	TokenType    string // "Bearer" when the platform says nothing
	RefreshToken string // "" when the platform gave none
	Expiry       time.Time
	// Scopes are the granted scopes; nil when the platform did not say,
	// which RFC 6749 §5.1 reads as the scopes asked for.
	Scopes []string
}

// TokenRefreshMargin is how long before its expiry an access token is
// renewed: a token handed out must stay usable for the call it is for.
const TokenRefreshMargin = time.Minute

// FreshAt reports whether the access token is usable for a while yet at
// now. A token without a known expiry is taken as fresh: only the platform
// can say otherwise.
func (t *OAuthToken) FreshAt(now time.Time) bool {
	return t.Expiry.IsZero() || now.Add(TokenRefreshMargin).Before(t.Expiry)
}

// ProfileToken is the answer of POST /v1/profiles/{id}/token: an access
// token usable now.
type ProfileToken struct {
	AccessToken string     `json:"access_token"`
	TokenType   string     `json:"token_type"`
	ExpiresAt   *time.Time `json:"expires_at" doc:"null when the platform gave no lifetime"`
	Scopes      []string   `json:"scopes"`
}

// ProfileFilter selects profiles for a list.
type ProfileFilter struct {
	OrgID  string
	AppID  string
	Status ProfileStatus
	Page
}

// ProfileService reads and archives profiles. Every method needs
// connections:manage in the profile's organization.
type ProfileService interface {
	// FindProfiles lists the profiles of the organizations where the actor
	// holds connections:manage (all for an admin key), newest first.
	FindProfiles(ctx context.Context, f ProfileFilter) ([]*Profile, string, error)
	FindProfileByID(ctx context.Context, id string) (*Profile, error)
	// ArchiveProfile deletes the stored tokens and archives the profile,
	// and its app invite with it: the connection is over. Archiving an
	// archived profile is invalid_state.
	ArchiveProfile(ctx context.Context, id string) (*Profile, error)
}

// ProfileTokenService hands out a profile's access token, renewing it
// through the platform when it is about to expire; concurrent callers
// share one renewal. It needs connections:manage.
type ProfileTokenService interface {
	ProfileToken(ctx context.Context, id string) (*ProfileToken, error)
}

// AuthorizationTTL is how long a started authorization (its state) may
// take to come back from the platform.
const AuthorizationTTL = 10 * time.Minute

// MaxOpenAuthorizations bounds the started, unfinished authorizations of
// one app invite: anyone holding the link can start one, and each is a
// row until it expires.
const MaxOpenAuthorizations = 20

// Authorization is a started authorization as the callback finds it: the
// invite it is for, with its app and organization. The app's
// OAuth.ClientSecret is filled in, for the token exchange; it must not
// reach a page or a response.
type Authorization struct {
	Invite *AppInvite
	App    *App
	Org    *Organization
}

// ProfileCreate is what a completed authorization gives the new profile.
type ProfileCreate struct {
	ExternalAccountID string
	Token             OAuthToken
}

// ProfileCredentials is a profile with what renewing its token takes: the
// token and the app with its client secret filled in.
type ProfileCredentials struct {
	Profile *Profile
	Token   *OAuthToken
	App     *App
}

// ConnectionStore is the storage side of the partner's flow and of token
// renewal (internal/connect drives both). The link methods are authorized
// by possession of the code, the state and the browser secret; the others
// need connections:manage.
type ConnectionStore interface {
	// OpenAppInviteLink returns what code opens, its status as of now;
	// not_found for an unknown code. The app comes without its client
	// secret.
	OpenAppInviteLink(ctx context.Context, code string) (*Authorization, error)
	// StartAuthorization records state, bound to the app invite code
	// opens and to the browser's secret, until expiresAt. The invite must
	// be pending (else the error of its status: invalid_state naming it);
	// at most MaxOpenAuthorizations may be open (else rate_limited).
	StartAuthorization(ctx context.Context, code, state, browser string, expiresAt time.Time) error
	// TakeAuthorization consumes state: it is used up whatever follows.
	// It answers not_found when the state is unknown, used, expired or
	// was started in another browser.
	TakeAuthorization(ctx context.Context, state, browser string) (*Authorization, error)
	// ActivateAppInvite moves app invite inviteID from pending to active
	// and creates its profile holding c.Token sealed, in one transaction,
	// recording app_invite.activated and profile.created. Called by the
	// flow after TakeAuthorization, which authorized it; an invite no
	// longer pending answers the error of its status.
	ActivateAppInvite(ctx context.Context, inviteID string, c ProfileCreate) (*Profile, error)

	// ProfileCredentials returns profile id with its token and app, for
	// an actor holding connections:manage; invalid_state once archived.
	ProfileCredentials(ctx context.Context, id string) (*ProfileCredentials, error)
	// ClaimTokenRefresh takes profile id's renewal lease until until,
	// unless someone else holds it: it reports whether it was taken, so
	// that across instances one renewal runs at a time.
	ClaimTokenRefresh(ctx context.Context, id string, until time.Time) (bool, error)
	// SaveRefreshedToken stores tok as profile id's token, keeping the
	// stored refresh token when tok has none, releases the lease and
	// returns the profile. It fails with invalid_state when the profile was
	// archived meanwhile.
	SaveRefreshedToken(ctx context.Context, id string, tok *OAuthToken) (*Profile, error)
	// ReleaseTokenRefresh gives up the lease after a failed renewal.
	ReleaseTokenRefresh(ctx context.Context, id string) error
}
