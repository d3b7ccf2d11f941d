package invited

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Status is where an invitation is in its lifecycle (DESIGN.md §2).
type Status string

const (
	StatusDraft    Status = "draft"
	StatusPending  Status = "pending"
	StatusAccepted Status = "accepted"
	StatusDeclined Status = "declined"
	StatusRevoked  Status = "revoked"
	StatusExpired  Status = "expired"
	StatusArchived Status = "archived"
)

// Statuses lists every status.
var Statuses = []Status{StatusDraft, StatusPending, StatusAccepted, StatusDeclined, StatusRevoked, StatusExpired, StatusArchived}

// Open reports whether an invitation in s still blocks another invitation to
// the same invitee.
func (s Status) Open() bool { return s == StatusDraft || s == StatusPending }

// Action is something that moves an invitation between statuses.
type Action string

const (
	ActionSend    Action = "send"
	ActionResend  Action = "resend"
	ActionRenew   Action = "renew"
	ActionAccept  Action = "accept"
	ActionDecline Action = "decline"
	ActionRevoke  Action = "revoke"
	ActionExpire  Action = "expire"
	ActionArchive Action = "archive"
)

// actionPermissions is the permission each action needs of the caller
// within the invitation's organization. It is the one declaration: the
// store enforces it and the API documents it. Actions of the link's holder
// (accept, decline) and of the service (expire) need none.
var actionPermissions = map[Action]Permission{
	ActionSend:    PermInvitationsCreate,
	ActionResend:  PermInvitationsCreate,
	ActionRenew:   PermInvitationsCreate,
	ActionRevoke:  PermInvitationsRevoke,
	ActionArchive: PermInvitationsRevoke, // filing one away closes it, like revoking
	ActionRotate:  PermInvitationsCreate, // a join link's new secret is a new way in
}

// Permission returns the permission action needs, or "" for the actions
// that need none.
func (a Action) Permission() Permission { return actionPermissions[a] }

// InvitationLifecycle is the invitation's state machine. Token holders
// get the specific codes of DESIGN.md §4 for an accept or decline that
// cannot happen; everything else illegal is invalid_state.
var InvitationLifecycle = &Lifecycle[Status]{
	noun: "an invitation",
	transitions: map[Status]map[Action]Status{
		StatusDraft: {
			ActionSend:   StatusPending,
			ActionRevoke: StatusRevoked,
		},
		StatusPending: {
			ActionResend:  StatusPending,
			ActionRenew:   StatusPending,
			ActionAccept:  StatusAccepted,
			ActionDecline: StatusDeclined,
			ActionRevoke:  StatusRevoked,
			ActionExpire:  StatusExpired,
		},
		StatusExpired: {
			ActionRenew: StatusPending,
		},
		StatusAccepted: {
			ActionArchive: StatusArchived,
		},
	},
	lapsing: StatusPending,
	lapsed:  StatusExpired,
	refusal: func(from Status, action Action) error {
		if action != ActionAccept && action != ActionDecline {
			return nil
		}
		switch from {
		case StatusAccepted, StatusArchived:
			return Errorf(EALREADYACCEPTED, "the invitation was already accepted")
		case StatusExpired:
			return Errorf(EEXPIRED, "the invitation has expired")
		case StatusRevoked:
			return Errorf(EREVOKED, "the invitation was revoked")
		case StatusDeclined:
			return Errorf(EDECLINED, "the invitation was declined")
		}
		return nil
	},
}

// Inviter is who created an invitation.
type Inviter struct {
	UserID   string `json:"user_id,omitempty"`
	APIKeyID string `json:"api_key_id,omitempty"`
	Name     string `json:"name,omitempty"`
}

// Invitation is an offer to join one organization with roles, addressed to
// exactly one of an email address, a phone number or an existing user.
type Invitation struct {
	ID             string          `json:"id"`
	OrgID          string          `json:"org_id"`
	Status         Status          `json:"status"`
	Email          string          `json:"email,omitempty"`
	Phone          string          `json:"phone,omitempty"`
	UserID         string          `json:"user_id,omitempty"`
	FirstName      string          `json:"first_name,omitempty"`
	LastName       string          `json:"last_name,omitempty"`
	Roles          []string        `json:"roles"`
	Message        string          `json:"message,omitempty"`
	RedirectURL    string          `json:"redirect_url,omitempty"`
	Audience       string          `json:"audience,omitempty"`
	Metadata       json.RawMessage `json:"metadata,omitempty"`
	Channel        string          `json:"channel,omitempty"`
	Locale         string          `json:"locale,omitempty" doc:"BCP 47 language of the invitee's pages and messages; default the organization's default_locale"`
	Inviter        Inviter         `json:"inviter"`
	CreatedAt      time.Time       `json:"created_at"`
	UpdatedAt      time.Time       `json:"updated_at"`
	ExpiresAt      time.Time       `json:"expires_at"`
	SentAt         *time.Time      `json:"sent_at"`
	AcceptedAt     *time.Time      `json:"accepted_at"`
	AcceptedUserID string          `json:"accepted_user_id,omitempty"`
	RevokedAt      *time.Time      `json:"revoked_at"`
	DeclinedAt     *time.Time      `json:"declined_at"`
}

// InvitationLink is the secret link of an invitation token,
// {publicURL}/i/{token} (DESIGN.md §4), or "" when no token was issued (a
// draft has none).
func InvitationLink(publicURL, token string) string {
	if token == "" {
		return ""
	}
	return strings.TrimRight(publicURL, "/") + "/i/" + url.PathEscape(token)
}

// StatusAt is the status as callers see it at now: a pending invitation
// whose expiry has passed reads as expired at once.
func (inv *Invitation) StatusAt(now time.Time) Status {
	return InvitationLifecycle.StatusAt(inv.Status, inv.ExpiresAt, now)
}

// Apply moves inv by action at now (Lifecycle.Apply).
func (inv *Invitation) Apply(action Action, now time.Time) error {
	lifetime := inv.ExpiresAt.Sub(inv.CreatedAt)
	if err := InvitationLifecycle.Apply(inv, action, now); err != nil {
		return err
	}
	if action == ActionSend {
		// A draft's lifetime runs from when it is sent, not from when it
		// was written: a draft sent a week later must not arrive expired.
		inv.ExpiresAt = now.Add(lifetime)
	}
	return nil
}

func (inv *Invitation) lifecycle() (*Status, time.Time, *time.Time) {
	return &inv.Status, inv.ExpiresAt, &inv.UpdatedAt
}

func (inv *Invitation) stamp(action Action) **time.Time {
	switch action {
	case ActionSend, ActionResend:
		return &inv.SentAt
	case ActionAccept:
		return &inv.AcceptedAt
	case ActionDecline:
		return &inv.DeclinedAt
	case ActionRevoke:
		return &inv.RevokedAt
	}
	return nil
}

// InviteeKey identifies the invitee for the one-open-invitation rule.
func (inv *Invitation) InviteeKey() string {
	switch {
	case inv.Email != "":
		return "email:" + inv.Email
	case inv.Phone != "":
		return "phone:" + inv.Phone
	}
	return "user:" + inv.UserID
}

// InvitationCreate is the body of a create request (DESIGN.md §4).
type InvitationCreate struct {
	Email       string          `json:"email,omitempty" doc:"exactly one of email, phone, user_id"`
	Phone       string          `json:"phone,omitempty" doc:"E.164, e.g. +14155550100"`
	UserID      string          `json:"user_id,omitempty"`
	Roles       []string        `json:"roles,omitempty" doc:"built-in or custom roles of the organization; default (omitted or empty) the organization's default_roles"`
	FirstName   string          `json:"first_name,omitempty"`
	LastName    string          `json:"last_name,omitempty"`
	Message     string          `json:"message,omitempty" doc:"at most 2000 characters"`
	RedirectURL string          `json:"redirect_url,omitempty" doc:"an absolute URL of one of the organization's allowed_redirect_origins, or a path (/welcome) on the origin of its default_redirect_url"`
	ExpiresIn   *Duration       `json:"expires_in,omitempty" doc:"lifetime, e.g. \"72h\" or \"7d\"; default the organization's invitation_ttl"`
	ExpiresAt   *time.Time      `json:"expires_at,omitempty"`
	Metadata    json.RawMessage `json:"metadata,omitempty" doc:"a JSON object of at most 8 KiB, returned as given"`
	Audience    string          `json:"audience,omitempty" doc:"the host-app client the invitee signs into"`
	Send        *bool           `json:"send,omitempty" doc:"default true; false creates a draft"`
	Channel     string          `json:"channel,omitempty" doc:"default email for email invitees, sms for phone invitees"`
	Locale      string          `json:"locale,omitempty" doc:"BCP 47 language tag (de, pt-BR) of the invitee's pages, email and text message; default the organization's default_locale, then the browser's language"`
}

// Limits on invitation input. Lengths count characters (code points), as
// the spec's maxLength, which carries them, does.
const (
	MaxMessageRunes = 2000
	MaxMetadataSize = 8 << 10
	MaxRoles        = 32
	MaxNameRunes    = 200
	MaxBatchSize    = 1000
	MaxAudienceLen  = 200
	MaxUserIDLen    = 64
)

// Expiry resolves an expires_in / expires_at pair against a default TTL.
// field is the input field name to blame.
func Expiry(expiresIn *Duration, expiresAt *time.Time, ttl time.Duration, now time.Time, f FieldErrors) time.Time {
	switch {
	case expiresIn != nil && expiresAt != nil:
		f.Add("expires_in", Problemf("expiry_both"))
		return time.Time{}
	case expiresAt != nil:
		d := expiresAt.Sub(now)
		if d < MinInvitationTTL || d > MaxInvitationTTL {
			f.Add("expires_at", Problemf("expires_at_range"))
		}
		return expiresAt.UTC().Truncate(time.Millisecond)
	case expiresIn != nil:
		ttl = time.Duration(*expiresIn)
		if ttl < MinInvitationTTL || ttl > MaxInvitationTTL {
			f.Add("expires_in", Problemf("ttl_range"))
		}
	}
	return now.Add(ttl).UTC().Truncate(time.Millisecond)
}

// NewInvitation validates c against the organization's settings and roles
// (roleExists reports whether a role name exists there) and returns the
// invitation it describes, as a draft or pending per c.Send. It does not
// check uniqueness or membership: that needs the store.
func NewInvitation(c InvitationCreate, org *Organization, roleExists func(string) bool, inviter Inviter, now time.Time) (*Invitation, error) {
	f := FieldErrors{}
	s := org.Settings
	inv := &Invitation{
		ID:          NewID(PrefixInvitation, now),
		OrgID:       org.ID,
		Status:      StatusPending,
		FirstName:   checkLine(f, "first_name", c.FirstName, MaxNameRunes),
		LastName:    checkLine(f, "last_name", c.LastName, MaxNameRunes),
		Roles:       s.ResolveRoles(f, "roles", c.Roles, roleExists),
		Message:     checkMessage(f, "message", c.Message, MaxMessageRunes),
		RedirectURL: s.ResolveRedirect(f, "redirect_url", c.RedirectURL),
		Audience:    checkLine(f, "audience", c.Audience, MaxAudienceLen),
		Metadata:    CheckMetadata(f, c.Metadata),
		Locale:      checkLocale(f, "locale", c.Locale),
		Inviter:     inviter,
		CreatedAt:   now,
		UpdatedAt:   now,
		ExpiresAt:   Expiry(c.ExpiresIn, c.ExpiresAt, s.TTL(), now, f),
	}
	inv.Email, inv.Phone, inv.UserID = checkInvitee(f, s, c.Email, c.Phone, c.UserID)
	inv.Channel = checkChannel(f, c.Channel, inv)
	if c.Send != nil && !*c.Send {
		inv.Status = StatusDraft
	} else {
		inv.SentAt = &now
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	return inv, nil
}

// Renewal is the body of a renew request: a new lifetime or a new expiry.
type Renewal struct {
	ExpiresIn *Duration  `json:"expires_in,omitempty" doc:"new lifetime from now, e.g. \"72h\"; default the organization's invitation_ttl"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// Resend limits: one send per ResendInterval, and at most ResendsPerDay
// resends in any 24 hours, so that a link cannot be used to flood someone.
const (
	ResendInterval = time.Minute
	ResendsPerDay  = 5
)

// ResendDelay is how long to wait before an invitation last sent at sentAt
// (nil for a draft) may be resent, zero when it may be now. resends are the
// times of its resends in the past 24 hours, oldest first.
func ResendDelay(sentAt *time.Time, resends []time.Time, now time.Time) time.Duration {
	var wait time.Duration
	if sentAt != nil {
		wait = sentAt.Add(ResendInterval).Sub(now)
	}
	if n := len(resends); n >= ResendsPerDay {
		wait = max(wait, resends[n-ResendsPerDay].Add(24*time.Hour).Sub(now))
	}
	return max(wait, 0)
}

// Renew extends a pending or expired invitation: it becomes pending with a
// new expiry and keeps its link. One whose personal data was cleared (by
// retention or erasure) is addressed to nobody and cannot be renewed.
func (inv *Invitation) Renew(r Renewal, ttl time.Duration, now time.Time) error {
	if inv.Email == "" && inv.Phone == "" && inv.UserID == "" {
		return Errorf(EINVALIDSTATE, "the invitation's personal data was cleared: invite the person anew")
	}
	f := FieldErrors{}
	expiresAt := Expiry(r.ExpiresIn, r.ExpiresAt, ttl, now, f)
	if err := f.Err(); err != nil {
		return err
	}
	if err := inv.Apply(ActionRenew, now); err != nil {
		return err
	}
	inv.ExpiresAt = expiresAt
	return nil
}

// Acceptor is the person accepting: from a user access token's claims, or
// vouched for by an API key (DESIGN.md §4, accept).
type Acceptor struct {
	ID         string `json:"id,omitempty" doc:"an existing user (usr_…)"`
	ExternalID string `json:"external_id,omitempty" doc:"the host application's id; a user is created on first acceptance"`
	Email      string `json:"email,omitempty"`
	Phone      string `json:"phone,omitempty"`
	Name       string `json:"name,omitempty"`
	// EmailVerified is true when the email comes from a verified source: a
	// token claim email_verified, or an API key (the host app vouches).
	EmailVerified bool `json:"-"`
}

// Validate checks an acceptor's shape.
func (a *Acceptor) Validate() error {
	f := FieldErrors{}
	a.Name = strings.TrimSpace(a.Name)
	for _, t := range []struct{ field, value string }{
		{"user.id", a.ID}, {"user.external_id", a.ExternalID}, {"user.email", a.Email},
		{"user.phone", a.Phone}, {"user.name", a.Name},
	} {
		CheckText(f, t.field, t.value, false)
	}
	if a.ID == "" && a.ExternalID == "" && a.Email == "" && a.Phone == "" {
		f.Add("user", Problemf("acceptor_required"))
	}
	if a.ID != "" && !strings.HasPrefix(a.ID, PrefixUser) {
		f.Add("user.id", Problemf("user_id_format"))
	}
	if len(a.ExternalID) > 200 {
		f.Add("user.external_id", Problemf("too_long", "n", 200))
	}
	if a.Email != "" {
		email, ok := NormalizeEmail(strings.TrimSpace(a.Email))
		if !ok {
			f.Add("user.email", Problemf("email_invalid"))
		}
		a.Email = email
	}
	if a.Phone != "" && !ValidPhone(a.Phone) {
		f.Add("user.phone", Problemf("phone_e164"))
	}
	if utf8.RuneCountInString(a.Name) > MaxNameRunes {
		f.Add("user.name", Problemf("too_long", "n", MaxNameRunes))
	}
	return f.Err()
}

// CheckAcceptor enforces who may accept inv (DESIGN.md §1 settings): the
// invitee must match unless the organization turned require_email_match
// off, and the email domain allowlist always applies to the acceptor's
// address. user is the resolved user (ID may be empty for a new user).
func CheckAcceptor(inv *Invitation, s OrgSettings, user *User) error {
	if s.RequireEmailMatch {
		switch {
		case inv.Email != "" && !strings.EqualFold(inv.Email, user.Email):
			return mismatch(MaskEmail(inv.Email), "email address")
		case inv.Phone != "" && inv.Phone != user.Phone:
			return mismatch(MaskPhone(inv.Phone), "phone number")
		case inv.UserID != "" && inv.UserID != user.ID:
			return Errorf(EEMAILMISMATCH, "this invitation was sent to a different user")
		}
	}
	if len(s.AllowedEmailDomains) > 0 && !s.EmailDomainAllowed(user.Email) {
		return Errorf(EDOMAINNOTALLOWED, "this organization only admits addresses at %s", strings.Join(s.AllowedEmailDomains, ", "))
	}
	return nil
}

// mismatch is the email_mismatch of an invitation sent to masked, an
// address of kind.
func mismatch(masked, kind string) *Error {
	return &Error{Code: EEMAILMISMATCH, Invitee: masked,
		Message: fmt.Sprintf("this invitation was sent to %s: sign in with that %s to accept it", masked, kind)}
}

// MaskEmail hides an email address but for the first character of its
// local part and its domain: j***@example.com. It tells a person which of
// their addresses an invitation went to, and a stranger little.
func MaskEmail(email string) string {
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" {
		return "***"
	}
	r, _ := utf8.DecodeRuneInString(local)
	return string(r) + "***@" + domain
}

// MaskPhone hides a phone number but for its last two digits: +*******67.
func MaskPhone(phone string) string {
	if len(phone) <= 4 {
		return "***"
	}
	return "+" + strings.Repeat("*", len(phone)-3) + phone[len(phone)-2:]
}

// InvitationPreview is what anyone holding an invitation link may see before
// deciding: nothing that identifies the invitee beyond a first name, no
// metadata, no email.
type InvitationPreview struct {
	Status       Status    `json:"status"`
	ExpiresAt    time.Time `json:"expires_at"`
	Organization struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"organization"`
	Inviter struct {
		Name string `json:"name,omitempty"`
	} `json:"inviter"`
	Roles   []string `json:"roles"`
	Message string   `json:"message,omitempty"`
	Invitee struct {
		FirstName string `json:"first_name,omitempty"`
	} `json:"invitee"`
}

// Preview returns the public view of inv at now.
func (inv *Invitation) Preview(org *Organization, now time.Time) *InvitationPreview {
	p := &InvitationPreview{Status: inv.StatusAt(now), ExpiresAt: inv.ExpiresAt, Roles: inv.Roles, Message: inv.Message}
	p.Organization.ID, p.Organization.Name = org.ID, org.Name
	p.Inviter.Name = inv.Inviter.Name
	p.Invitee.FirstName = inv.FirstName
	return p
}

// InvitationFilter selects invitations for a list.
type InvitationFilter struct {
	OrgID  string
	Status Status
	Email  string
	Page
}

// Acceptance is the outcome of a successful accept.
type Acceptance struct {
	Invitation  *Invitation `json:"invitation"`
	Membership  *Membership `json:"membership"`
	User        *User       `json:"user"`
	RedirectURL string      `json:"redirect_url"`
	// Ticket is issued by AcceptInvitationByLink only.
	Ticket *AcceptanceTicket `json:"-"`
}

// BatchResult is the outcome of one item of a batch create: the invitation
// and its token, or the error that item met.
type BatchResult struct {
	Invitation *Invitation
	Token      string
	Err        error
}
