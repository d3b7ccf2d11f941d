package invited

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Verified email domains (issue 15): an organization claims a domain,
// proves that it controls it with a DNS TXT record (or a system admin
// vouches for it), and then lets people with a verified address at that
// domain find it and join by its policy. A domain is verified by at most
// one organization; several may claim it while it is pending.

// PrefixDomain starts a domain's id.
const PrefixDomain = "dom_"

// DomainStatus is where a domain claim is in its lifecycle:
//
//	pending --verify--> verified
//
// A claim is withdrawn by deleting it, in either status.
type DomainStatus string

const (
	DomainPending  DomainStatus = "pending"
	DomainVerified DomainStatus = "verified"
)

// DomainStatuses lists every domain status.
var DomainStatuses = []DomainStatus{DomainPending, DomainVerified}

// ActionVerify proves a claimed domain.
const ActionVerify Action = "verify"

// DomainLifecycle is the domain's state machine. A domain does not expire.
var DomainLifecycle = &Lifecycle[DomainStatus]{
	noun: "a domain",
	transitions: map[DomainStatus]map[Action]DomainStatus{
		DomainPending: {ActionVerify: DomainVerified},
	},
}

// EDOMAINNOTVERIFIED: the DNS does not (yet) hold the domain's challenge
// record (409: the state of the world, not the request, is wrong; the
// same request succeeds once the record is published).
const EDOMAINNOTVERIFIED = "domain_not_verified"

// DomainPolicy is what a verified domain does for people with a verified
// address at it.
type DomainPolicy string

const (
	// DomainOff: nothing; the organization is not listed to them.
	DomainOff DomainPolicy = "off"
	// DomainSuggest: the organization is listed to them, and they ask
	// for an invitation or send a join request.
	DomainSuggest DomainPolicy = "suggest"
	// DomainRequest: joining files a join request for an admin to decide.
	DomainRequest DomainPolicy = "request"
	// DomainAuto: joining makes them members with the domain's roles.
	DomainAuto DomainPolicy = "auto"
)

// DomainPolicies lists every policy.
var DomainPolicies = []DomainPolicy{DomainOff, DomainSuggest, DomainRequest, DomainAuto}

// How a domain was verified.
const (
	VerifyDNS   = "dns"   // its TXT record was found
	VerifyAdmin = "admin" // a system admin vouched for it
)

// DomainVerifyMethods lists the ways a domain is verified.
var DomainVerifyMethods = []string{VerifyDNS, VerifyAdmin}

// Domain is an organization's claim to an email domain.
type Domain struct {
	ID              string       `json:"id"`
	OrgID           string       `json:"org_id"`
	Name            string       `json:"domain" doc:"the email domain, in lower case"`
	Status          DomainStatus `json:"status"`
	Policy          DomainPolicy `json:"policy"`
	Roles           []string     `json:"roles" doc:"what the policies auto (the membership) and request (the join request) grant"`
	AllowPrivileged bool         `json:"allow_privileged"`
	// Token is the challenge the TXT record holds. It is stored as is, not
	// hashed: verification compares the published value with it, and it
	// grants nothing by itself (it is meant to be public in DNS).
	Token              string     `json:"-"`
	VerificationMethod string     `json:"verification_method,omitempty" doc:"dns or admin, once verified"`
	CreatedBy          Inviter    `json:"created_by"`
	CreatedAt          time.Time  `json:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at"`
	VerifiedAt         *time.Time `json:"verified_at"`
}

// Apply moves d by action at now (Lifecycle.Apply).
func (d *Domain) Apply(action Action, now time.Time) error {
	return DomainLifecycle.Apply(d, action, now)
}

func (d *Domain) lifecycle() (*DomainStatus, time.Time, *time.Time) {
	return &d.Status, time.Time{}, &d.UpdatedAt
}

func (d *Domain) stamp(action Action) **time.Time {
	if action == ActionVerify {
		return &d.VerifiedAt
	}
	return nil
}

// Verify marks d verified by method at now.
func (d *Domain) Verify(method string, now time.Time) error {
	if err := d.Apply(ActionVerify, now); err != nil {
		return err
	}
	d.VerificationMethod = method
	return nil
}

// DomainCreate is the body of a domain claim.
type DomainCreate struct {
	Domain          string       `json:"domain" doc:"the email domain, e.g. acme.com; not a free-mail or disposable-address provider's"`
	Policy          DomainPolicy `json:"policy,omitempty" doc:"off (default), suggest, request or auto"`
	Roles           []string     `json:"roles,omitempty" doc:"default the organization's default_roles; never owner"`
	AllowPrivileged bool         `json:"allow_privileged,omitempty" doc:"needed for roles that grant more than invitations:read and members:read"`
}

// DomainUpdate changes a domain's policy or roles; absent fields stay.
type DomainUpdate struct {
	Policy          *DomainPolicy `json:"policy,omitempty"`
	Roles           []string      `json:"roles,omitempty"`
	AllowPrivileged *bool         `json:"allow_privileged,omitempty"`
}

// DomainVerify is the body of a verification.
type DomainVerify struct {
	Method string `json:"method,omitempty" doc:"dns (default): look up the TXT record; admin: a system admin key marks the domain verified without DNS"`
}

// NewDomain validates c for a claim by org and returns the pending domain
// it describes, with a fresh challenge token. blocked tells free-mail and
// disposable-address domains, with why (freemail.Blocked); roleExists and
// granted are as for NewJoinLink.
func NewDomain(c DomainCreate, org *Organization, blocked func(string) (string, bool), roleExists func(string) bool,
	granted func([]string) PermissionSet, creator Inviter, now time.Time) (*Domain, error) {
	f := FieldErrors{}
	d := &Domain{
		ID: NewID(PrefixDomain, now), OrgID: org.ID, Status: DomainPending, Policy: DomainOff,
		Token: NewSecret(""), CreatedBy: creator, CreatedAt: now, UpdatedAt: now,
	}
	d.Name = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(c.Domain), "."))
	switch reason, isBlocked := blocked(d.Name); {
	case d.Name == "":
		f.Add("domain", Problemf("required"))
	case !validDomain(d.Name) || !validHostname(d.Name):
		f.Add("domain", Problemf("not_domain", "domain", quote(d.Name)))
	case isBlocked:
		f.Add("domain", Problemf("domain_blocked", "domain", d.Name, "reason", reason))
	}
	d.configure(f, org, DomainUpdate{Policy: &c.Policy, Roles: c.Roles, AllowPrivileged: &c.AllowPrivileged}, roleExists, granted)
	if err := f.Err(); err != nil {
		return nil, err
	}
	return d, nil
}

// Update applies u to d at now, for a domain of org.
func (d *Domain) Update(u DomainUpdate, org *Organization, roleExists func(string) bool, granted func([]string) PermissionSet, now time.Time) error {
	f := FieldErrors{}
	d.configure(f, org, u, roleExists, granted)
	if err := f.Err(); err != nil {
		return err
	}
	d.UpdatedAt = now
	return nil
}

// configure sets what u names of d's policy, roles and consent, and checks
// the roles against the cap of things that admit people unchosen.
func (d *Domain) configure(f FieldErrors, org *Organization, u DomainUpdate, roleExists func(string) bool, granted func([]string) PermissionSet) {
	if u.Policy != nil && *u.Policy != "" {
		if !slices.Contains(DomainPolicies, *u.Policy) {
			f.Add("policy", Problemf("domain_policy"))
		}
		d.Policy = *u.Policy
	}
	if u.AllowPrivileged != nil {
		d.AllowPrivileged = *u.AllowPrivileged
	}
	if u.Roles != nil || d.Roles == nil {
		d.Roles = org.Settings.ResolveRoles(f, "roles", u.Roles, roleExists)
	}
	capRoles(f, "roles", "domain", d.Roles, granted(d.Roles), d.AllowPrivileged)
}

// JoinableOrg is an organization the caller may join, or ask to, through
// a verified domain of their address.
type JoinableOrg struct {
	Organization struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"organization"`
	Domain string       `json:"domain"`
	Policy DomainPolicy `json:"policy" doc:"suggest: ask for an invitation or send a join request; request: joining files a join request; auto: joining makes you a member"`
}

// DomainJoin is the outcome of joining through a verified domain: a
// membership (policy auto) or a pending join request (policy request).
type DomainJoin struct {
	Membership *Membership  `json:"membership" doc:"null when a join request was filed"`
	Request    *JoinRequest `json:"request,omitempty" doc:"the join request the policy request filed"`
	User       *User        `json:"user"`
	Joined     bool         `json:"joined" doc:"true when the caller is now a member"`
}

// DomainFilter selects the domains of one organization.
type DomainFilter struct {
	OrgID  string
	Status DomainStatus
	Page
}

// DomainService manages verified domains and joining through them. Every
// method takes the caller from ActorFromContext(ctx).
type DomainService interface {
	// CreateDomain, FindDomains, FindDomainByID, UpdateDomain and
	// DeleteDomain need org:manage in the domain's organization; a
	// domain's roles may grant nothing its creator could not
	// (Actor.MayGrant).
	CreateDomain(ctx context.Context, orgID string, c DomainCreate) (*Domain, error)
	FindDomains(ctx context.Context, f DomainFilter) ([]*Domain, string, error)
	FindDomainByID(ctx context.Context, id string) (*Domain, error)
	UpdateDomain(ctx context.Context, id string, u DomainUpdate) (*Domain, error)
	DeleteDomain(ctx context.Context, id string) error
	// MarkDomainVerified records that domain id is verified by method:
	// VerifyDNS, which needs org:manage, once the caller has found its
	// challenge record (the store makes no network call); VerifyAdmin,
	// which needs an admin key. Another organization's verified claim to
	// the same domain is a conflict.
	MarkDomainVerified(ctx context.Context, id, method string) (*Domain, error)

	// JoinableOrgs lists the organizations whose verified domain, with a
	// policy other than off, is the domain of the calling user's verified
	// address, and that the user is no member of (a user token; a key
	// acting for a user).
	JoinableOrgs(ctx context.Context) ([]*JoinableOrg, error)
	// JoinByDomain joins orgID through the verified domain of the calling
	// user's verified address, by its policy: auto makes the membership,
	// request files a join request with c's message, suggest and off
	// refuse.
	JoinByDomain(ctx context.Context, orgID string, c JoinRequestCreate) (*DomainJoin, error)
}
