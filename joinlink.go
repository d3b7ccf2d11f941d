package invited

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Join links (issue 15): a multi-use secret link into one organization.
// Whoever holds it may join with its roles, up to its use limit and until
// it expires, as a user the host application vouches for. Its token, like
// an invitation's, is stored only as a hash.

// PrefixJoinLink starts a join link's id.
const PrefixJoinLink = "jln_"

// JoinLinkStatus is where a join link is in its lifecycle:
//
//	active --use--> active --use (the last)--> exhausted
//	   |--revoke--> revoked
//	   '--(time)--> expired
type JoinLinkStatus string

const (
	JoinLinkActive    JoinLinkStatus = "active"
	JoinLinkExhausted JoinLinkStatus = "exhausted"
	JoinLinkRevoked   JoinLinkStatus = "revoked"
	JoinLinkExpired   JoinLinkStatus = "expired"
)

// JoinLinkStatuses lists every join link status.
var JoinLinkStatuses = []JoinLinkStatus{JoinLinkActive, JoinLinkExhausted, JoinLinkRevoked, JoinLinkExpired}

// The actions of a join link beyond those of an invitation.
const (
	// ActionUse admits one person through the link.
	ActionUse Action = "use"
	// ActionExhaust ends a link whose last use was just made.
	ActionExhaust Action = "exhaust"
	// ActionRotate gives a link a new secret; the old one stops working.
	ActionRotate Action = "rotate"
)

// EJOINLINKEXHAUSTED says a join link was used as often as it may be
// (410). An expired or revoked link answers as an invitation does,
// invitation_expired and invitation_revoked (DESIGN.md §7).
const EJOINLINKEXHAUSTED = "join_link_exhausted"

// JoinLinkLifecycle is the join link's state machine. A use of a dead link
// answers why it is dead; every other illegal move is invalid_state.
var JoinLinkLifecycle = &Lifecycle[JoinLinkStatus]{
	noun: "a join link",
	transitions: map[JoinLinkStatus]map[Action]JoinLinkStatus{
		JoinLinkActive: {
			ActionUse:     JoinLinkActive,
			ActionExhaust: JoinLinkExhausted,
			ActionRotate:  JoinLinkActive,
			ActionRevoke:  JoinLinkRevoked,
			ActionExpire:  JoinLinkExpired,
		},
	},
	lapsing: JoinLinkActive,
	lapsed:  JoinLinkExpired,
	refusal: func(from JoinLinkStatus, action Action) error {
		if action != ActionUse {
			return nil
		}
		switch from {
		case JoinLinkExhausted:
			return Errorf(EJOINLINKEXHAUSTED, "the join link has been used as often as it may be")
		case JoinLinkExpired:
			return Errorf(EEXPIRED, "the join link has expired")
		case JoinLinkRevoked:
			return Errorf(EREVOKED, "the join link was revoked")
		}
		return nil
	},
}

// Limits on join links.
const (
	MaxJoinLinkUses      = 100_000
	MaxJoinLinkNoteRunes = 2000
	MaxJoinLinkDomains   = 50
)

// JoinLink is a multi-use link into one organization.
type JoinLink struct {
	ID     string         `json:"id"`
	OrgID  string         `json:"org_id"`
	Status JoinLinkStatus `json:"status"`
	Roles  []string       `json:"roles"`
	// MaxUses is nil for a link limited by its expiry alone.
	MaxUses             *int       `json:"max_uses" doc:"null: any number of uses until the link expires"`
	Uses                int        `json:"uses" doc:"how many people joined through the link"`
	AllowedEmailDomains []string   `json:"allowed_email_domains" doc:"when non-empty, only people with a verified address at one of these domains may use the link"`
	RequireApproval     bool       `json:"require_approval" doc:"a use files a join request that an admin approves, instead of joining"`
	Note                string     `json:"note,omitempty" doc:"for the organization's admins; never shown to the link's holders"`
	RedirectURL         string     `json:"redirect_url,omitempty"`
	Audience            string     `json:"audience,omitempty"`
	Locale              string     `json:"locale,omitempty" doc:"BCP 47 language of the link's pages and confirmation email; default the organization's default_locale"`
	Inviter             Inviter    `json:"inviter"`
	CreatedAt           time.Time  `json:"created_at"`
	UpdatedAt           time.Time  `json:"updated_at"`
	ExpiresAt           time.Time  `json:"expires_at"`
	LastUsedAt          *time.Time `json:"last_used_at"`
	RotatedAt           *time.Time `json:"rotated_at"`
	RevokedAt           *time.Time `json:"revoked_at"`
	ExhaustedAt         *time.Time `json:"exhausted_at"`
}

// JoinLinkURL is the link of a join link token, {publicURL}/j/{token}.
func JoinLinkURL(publicURL, token string) string {
	return strings.TrimRight(publicURL, "/") + "/j/" + url.PathEscape(token)
}

// StatusAt is the status as callers see it at now: an active link whose
// expiry has passed reads as expired at once.
func (l *JoinLink) StatusAt(now time.Time) JoinLinkStatus {
	return JoinLinkLifecycle.StatusAt(l.Status, l.ExpiresAt, now)
}

// Apply moves l by action at now (Lifecycle.Apply).
func (l *JoinLink) Apply(action Action, now time.Time) error {
	return JoinLinkLifecycle.Apply(l, action, now)
}

func (l *JoinLink) lifecycle() (*JoinLinkStatus, time.Time, *time.Time) {
	return &l.Status, l.ExpiresAt, &l.UpdatedAt
}

func (l *JoinLink) stamp(action Action) **time.Time {
	switch action {
	case ActionUse:
		return &l.LastUsedAt
	case ActionRotate:
		return &l.RotatedAt
	case ActionRevoke:
		return &l.RevokedAt
	case ActionExhaust:
		return &l.ExhaustedAt
	}
	return nil
}

// Usable is the refusal a use of l would meet at now because of its
// status, or nil: an overdue link reads as expired before the sweeper has
// written it down.
func (l *JoinLink) Usable(now time.Time) error {
	_, err := JoinLinkLifecycle.Transition(l.StatusAt(now), ActionUse)
	return err
}

// Use counts one use of l at now, and exhausts it when that was the last
// one it allows. It reports whether it did.
func (l *JoinLink) Use(now time.Time) (exhausted bool, err error) {
	if err := l.Apply(ActionUse, now); err != nil {
		return false, err
	}
	l.Uses++
	if l.MaxUses == nil || l.Uses < *l.MaxUses {
		return false, nil
	}
	return true, l.Apply(ActionExhaust, now)
}

// Admits checks that the person u may use l, a link into an organization
// with settings s: when the link or the organization names email domains,
// u needs a verified address at one of them (the organization's at one of
// its own, the link's at one of the link's).
func (l *JoinLink) Admits(u *User, s OrgSettings) error {
	domain := EmailDomain(u.Email)
	for _, domains := range [][]string{s.AllowedEmailDomains, l.AllowedEmailDomains} {
		if len(domains) > 0 && (!u.EmailVerified || !slices.Contains(domains, domain)) {
			return Errorf(EDOMAINNOTALLOWED, "this link admits only verified addresses at %s", strings.Join(domains, ", "))
		}
	}
	return nil
}

// privileged are the permissions a join link or a verified domain grants
// only when its creator says so (AllowPrivileged): everything beyond
// reading. A link travels further than anyone intends, and a domain admits
// everyone with an address at it, so by default they bring people in to
// look, not to manage.
var privileged = NewPermissionSet(AllPermissions...) &^ NewPermissionSet(PermInvitationsRead, PermMembersRead)

// capRoles checks roles, which grant perms, as the roles of a thing that
// admits people nobody chose one by one, of kind "join_link" or "domain"
// (a verified one): never owner, and privileged permissions only with
// the consent allowPrivileged gives.
func capRoles(f FieldErrors, field, kind string, roles []string, perms PermissionSet, allowPrivileged bool) {
	switch {
	case slices.Contains(roles, RoleOwner):
		f.Add(field, Problemf("owner_never_"+kind))
	case perms&privileged != 0 && !allowPrivileged:
		f.Add(field, Problemf("privileged_"+kind, "permissions", strings.Join(Strings((perms&privileged).List()), ", ")))
	}
}

// JoinLinkCreate is the body of a join link create request.
type JoinLinkCreate struct {
	Roles               []string   `json:"roles,omitempty" doc:"default the organization's default_roles; never owner"`
	MaxUses             *int       `json:"max_uses,omitempty" doc:"1 to 100000; absent: any number until the link expires"`
	ExpiresIn           *Duration  `json:"expires_in,omitempty" doc:"lifetime, e.g. \"72h\" or \"7d\"; default 7 days, at most 90"`
	ExpiresAt           *time.Time `json:"expires_at,omitempty"`
	AllowedEmailDomains []string   `json:"allowed_email_domains,omitempty" doc:"only people with a verified address at these domains may use the link"`
	AllowPrivileged     bool       `json:"allow_privileged,omitempty" doc:"needed for roles that grant more than invitations:read and members:read"`
	RequireApproval     bool       `json:"require_approval,omitempty" doc:"a use files a join request for an admin to approve, instead of joining"`
	Note                string     `json:"note,omitempty" doc:"at most 2000 characters; for admins only"`
	RedirectURL         string     `json:"redirect_url,omitempty" doc:"where the host app sends people who joined; as an invitation's redirect_url"`
	Audience            string     `json:"audience,omitempty" doc:"the host-app client the person signs into"`
	Locale              string     `json:"locale,omitempty" doc:"BCP 47 language tag (de, pt-BR) of the link's pages and confirmation email; default the organization's default_locale, then the browser's language"`
}

// NewJoinLink validates c for a link into org and returns the active link
// it describes. roleExists reports whether a role name exists in org, and
// granted what a list of its roles grants. Whether the creator may grant
// those roles (Actor.MayGrant) is the store's to check.
func NewJoinLink(c JoinLinkCreate, org *Organization, roleExists func(string) bool, granted func([]string) PermissionSet, inviter Inviter, now time.Time) (*JoinLink, error) {
	f := FieldErrors{}
	l := &JoinLink{
		ID:              NewID(PrefixJoinLink, now),
		OrgID:           org.ID,
		Status:          JoinLinkActive,
		MaxUses:         c.MaxUses,
		Note:            checkMessage(f, "note", c.Note, MaxJoinLinkNoteRunes),
		RequireApproval: c.RequireApproval,
		Audience:        checkLine(f, "audience", c.Audience, MaxAudienceLen),
		Locale:          checkLocale(f, "locale", c.Locale),
		Inviter:         inviter,
		CreatedAt:       now,
		UpdatedAt:       now,
		RedirectURL:     org.Settings.ResolveRedirect(f, "redirect_url", c.RedirectURL),
		Roles:           org.Settings.ResolveRoles(f, "roles", c.Roles, roleExists),
	}
	capRoles(f, "roles", "join_link", l.Roles, granted(l.Roles), c.AllowPrivileged)
	if c.MaxUses != nil && (*c.MaxUses < 1 || *c.MaxUses > MaxJoinLinkUses) {
		f.Add("max_uses", Problemf("max_uses"))
	}
	l.AllowedEmailDomains = emailDomains(f, "allowed_email_domains", c.AllowedEmailDomains)
	l.ExpiresAt = Expiry(c.ExpiresIn, c.ExpiresAt, DefaultInvitationTTL, now, f)
	if err := f.Err(); err != nil {
		return nil, err
	}
	return l, nil
}

// emailDomains validates a list of email domains as field, returning them
// in lower case, each once.
func emailDomains(f FieldErrors, field string, domains []string) []string {
	out := make([]string, 0, len(domains))
	if len(domains) > MaxJoinLinkDomains {
		f.Add(field, Problemf("too_many_domains", "max", MaxJoinLinkDomains))
	}
	for _, d := range domains {
		d = strings.ToLower(strings.TrimSpace(d))
		if !validDomain(d) {
			f.Add(field, Problemf("not_domain", "domain", quote(d)))
		}
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// JoinLinkPreview is what anyone holding a join link may see before using
// it: where it leads, with which roles, until when, and whether it still
// works; not the note, not who used it.
type JoinLinkPreview struct {
	Status JoinLinkStatus `json:"status"`
	// Usable is whether a use could succeed now (the holder's address may
	// still be refused by AllowedEmailDomains).
	Usable       bool      `json:"usable"`
	ExpiresAt    time.Time `json:"expires_at"`
	Organization struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"organization"`
	Inviter struct {
		Name string `json:"name,omitempty"`
	} `json:"inviter"`
	Roles               []string `json:"roles"`
	AllowedEmailDomains []string `json:"allowed_email_domains" doc:"empty: any address"`
	RequireApproval     bool     `json:"require_approval" doc:"a use asks an admin, who decides later"`
}

// Preview returns the public view of l, a link into org, at now.
func (l *JoinLink) Preview(org *Organization, now time.Time) *JoinLinkPreview {
	p := &JoinLinkPreview{Status: l.StatusAt(now), ExpiresAt: l.ExpiresAt, Roles: l.Roles, AllowedEmailDomains: l.AllowedEmailDomains,
		RequireApproval: l.RequireApproval}
	p.Usable = l.Usable(now) == nil
	p.Organization.ID, p.Organization.Name = org.ID, org.DisplayName()
	p.Inviter.Name = l.Inviter.Name
	return p
}

// JoinLinkFilter selects the join links of one organization.
type JoinLinkFilter struct {
	OrgID  string
	Status JoinLinkStatus
	Page
}

// JoinLinkAcceptance is the outcome of a use of a join link: a membership,
// or, through a link that requires approval, a pending join request.
// Joined is false when the person had used the link before (then nothing
// changed) and when they wait for approval.
type JoinLinkAcceptance struct {
	JoinLink    *JoinLink    `json:"-"`
	Membership  *Membership  `json:"membership" doc:"null while a join request waits for approval"`
	Request     *JoinRequest `json:"request,omitempty" doc:"the join request a link that requires approval filed"`
	User        *User        `json:"user"`
	Joined      bool         `json:"joined" doc:"false when this person had used the link before, or waits for approval"`
	RedirectURL string       `json:"redirect_url"`
}

// JoinLinkService manages join links, as the API calls it (the hosted
// pages and the sweeper declare what they call themselves). Every method
// but the token ones takes the caller from ActorFromContext(ctx).
type JoinLinkService interface {
	// CreateJoinLink needs invitations:create in orgID, and the link's
	// roles may grant nothing the creator could not (Actor.MayGrant). It
	// returns the plaintext token: the only time it exists outside the
	// link.
	CreateJoinLink(ctx context.Context, orgID string, c JoinLinkCreate) (*JoinLink, string, error)
	// FindJoinLinks and FindJoinLinkByID need invitations:read.
	FindJoinLinks(ctx context.Context, f JoinLinkFilter) ([]*JoinLink, string, error)
	FindJoinLinkByID(ctx context.Context, id string) (*JoinLink, error)
	// RevokeJoinLink needs invitations:revoke.
	RevokeJoinLink(ctx context.Context, id string) (*JoinLink, error)
	// RotateJoinLink needs invitations:create; it returns the new token,
	// and the old one stops working.
	RotateJoinLink(ctx context.Context, id string) (*JoinLink, string, error)

	// PreviewJoinLink is authorized by possession of the token; not_found
	// for an unknown one.
	PreviewJoinLink(ctx context.Context, token string) (*JoinLinkPreview, error)
	// AcceptJoinLink uses the link for the calling user, or for the person
	// an API key vouches for; it is exact under concurrency: no more than
	// max_uses people join.
	AcceptJoinLink(ctx context.Context, token string, a Acceptor) (*JoinLinkAcceptance, error)
}
