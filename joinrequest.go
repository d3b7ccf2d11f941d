package invited

import (
	"context"
	"strings"
	"time"
)

// Join requests (issue 15): a person asks to join an organization and one
// of its admins decides. A request is filed by the person themselves, by
// a join link that requires approval, or by a verified domain whose policy
// is "request".

// PrefixJoinRequest starts a join request's id.
const PrefixJoinRequest = "jrq_"

// JoinRequestTTL is how long a request waits for a decision.
const JoinRequestTTL = 30 * 24 * time.Hour

// JoinRequestStatus is where a request is in its lifecycle:
//
//	pending --approve--> approved
//	   |--deny--> denied
//	   '--(time)--> expired
type JoinRequestStatus string

const (
	JoinRequestPending  JoinRequestStatus = "pending"
	JoinRequestApproved JoinRequestStatus = "approved"
	JoinRequestDenied   JoinRequestStatus = "denied"
	JoinRequestExpired  JoinRequestStatus = "expired"
)

// JoinRequestStatuses lists every join request status.
var JoinRequestStatuses = []JoinRequestStatus{JoinRequestPending, JoinRequestApproved, JoinRequestDenied, JoinRequestExpired}

// The decisions on a join request.
const (
	ActionApprove Action = "approve"
	ActionDeny    Action = "deny"
)

// JoinRequestLifecycle is the join request's state machine: decided and
// expired requests are final.
var JoinRequestLifecycle = &Lifecycle[JoinRequestStatus]{
	noun: "a join request",
	transitions: map[JoinRequestStatus]map[Action]JoinRequestStatus{
		JoinRequestPending: {
			ActionApprove: JoinRequestApproved,
			ActionDeny:    JoinRequestDenied,
			ActionExpire:  JoinRequestExpired,
		},
	},
	lapsing: JoinRequestPending,
	lapsed:  JoinRequestExpired,
}

// How a request came about.
const (
	JoinViaUser     = "user"      // the person asked
	JoinViaJoinLink = "join_link" // a join link that requires approval
	JoinViaDomain   = "domain"    // a verified domain with the policy request
)

// MaxJoinRequestNoteRunes bounds a request's message and a decision's note.
const MaxJoinRequestNoteRunes = 1000

// JoinRequest is a person's request to join an organization.
type JoinRequest struct {
	ID     string            `json:"id"`
	OrgID  string            `json:"org_id"`
	UserID string            `json:"user_id"`
	Status JoinRequestStatus `json:"status"`
	// Requester is who asked, as the admins deciding see them.
	Requester struct {
		Email         string `json:"email,omitempty"`
		EmailVerified bool   `json:"email_verified"`
		Name          string `json:"name,omitempty"`
	} `json:"requester"`
	Via        string `json:"via" doc:"user, join_link or domain"`
	JoinLinkID string `json:"join_link_id,omitempty"`
	Domain     string `json:"domain,omitempty"`
	// Roles are what an approval grants unless the approver chooses
	// others: the link's or the domain's, else the organization's
	// default_roles.
	Roles        []string   `json:"roles"`
	Message      string     `json:"message,omitempty" doc:"the requester's words to the admins"`
	DecisionNote string     `json:"decision_note,omitempty" doc:"the admin's words, sent to the requester with the decision"`
	DecidedBy    Inviter    `json:"decided_by"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	ExpiresAt    time.Time  `json:"expires_at"`
	ApprovedAt   *time.Time `json:"approved_at"`
	DeniedAt     *time.Time `json:"denied_at"`
}

// StatusAt is the status as callers see it at now: a pending request past
// its expiry reads as expired at once.
func (r *JoinRequest) StatusAt(now time.Time) JoinRequestStatus {
	return JoinRequestLifecycle.StatusAt(r.Status, r.ExpiresAt, now)
}

// Apply moves r by action at now (Lifecycle.Apply).
func (r *JoinRequest) Apply(action Action, now time.Time) error {
	return JoinRequestLifecycle.Apply(r, action, now)
}

func (r *JoinRequest) lifecycle() (*JoinRequestStatus, time.Time, *time.Time) {
	return &r.Status, r.ExpiresAt, &r.UpdatedAt
}

func (r *JoinRequest) stamp(action Action) **time.Time {
	switch action {
	case ActionApprove:
		return &r.ApprovedAt
	case ActionDeny:
		return &r.DeniedAt
	}
	return nil
}

// NewJoinRequest is u's request to join org, come about via, granting
// roles on approval.
func NewJoinRequest(org *Organization, u *User, via string, roles []string, message string, now time.Time) (*JoinRequest, error) {
	f := FieldErrors{}
	r := &JoinRequest{
		ID: NewID(PrefixJoinRequest, now), OrgID: org.ID, UserID: u.ID, Status: JoinRequestPending, Via: via,
		Roles: roles, Message: strings.TrimSpace(message), CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(JoinRequestTTL),
	}
	r.Requester.Email, r.Requester.EmailVerified, r.Requester.Name = u.Email, u.EmailVerified, u.Name
	checkMessage(f, "message", r.Message, MaxJoinRequestNoteRunes)
	return r, f.Err()
}

// JoinRequestCreate is the body of a person's own request to join.
type JoinRequestCreate struct {
	Message string `json:"message,omitempty" doc:"at most 1000 characters, shown to the admins"`
}

// JoinDecision is the body of an approval or a denial.
type JoinDecision struct {
	Roles []string `json:"roles,omitempty" doc:"approval only: the roles to grant instead of the request's; never more than the approver holds"`
	Note  string   `json:"note,omitempty" doc:"at most 1000 characters, sent to the requester with the decision"`
}

// Decide applies action (approve or deny) to r at now with d, by decider.
// An approval's roles are d's when given, else the request's; whether the
// decider may grant them is the store's to check.
func (r *JoinRequest) Decide(action Action, d JoinDecision, decider Inviter, now time.Time) error {
	f := FieldErrors{}
	note := strings.TrimSpace(d.Note)
	checkMessage(f, "note", note, MaxJoinRequestNoteRunes)
	if len(d.Roles) > 0 && action != ActionApprove {
		f.Add("roles", Problemf("roles_on_approval"))
	}
	if err := f.Err(); err != nil {
		return err
	}
	if err := r.Apply(action, now); err != nil {
		return err
	}
	if len(d.Roles) > 0 {
		r.Roles = MergeRoles(d.Roles, nil)
	}
	r.DecisionNote, r.DecidedBy = note, decider
	return nil
}

// JoinRequestFilter selects the join requests of one organization.
type JoinRequestFilter struct {
	OrgID  string
	Status JoinRequestStatus
	Page
}

// JoinRequestService manages join requests, as the API calls it (the
// sweeper declares its own). Every method takes the caller from
// ActorFromContext(ctx).
type JoinRequestService interface {
	// CreateJoinRequest files the calling user's request to join orgID
	// (a user token; an API key acting for a user). A pending request of
	// theirs is answered again rather than doubled; a member is refused
	// with already_member.
	CreateJoinRequest(ctx context.Context, orgID string, c JoinRequestCreate) (*JoinRequest, error)
	// FindJoinRequests, FindJoinRequestByID and DecideJoinRequest need
	// members:manage in the request's organization.
	FindJoinRequests(ctx context.Context, f JoinRequestFilter) ([]*JoinRequest, string, error)
	FindJoinRequestByID(ctx context.Context, id string) (*JoinRequest, error)
	// DecideJoinRequest approves (the membership is made, with roles the
	// approver may grant) or denies request id; the requester is emailed
	// the decision.
	DecideJoinRequest(ctx context.Context, id string, action Action, d JoinDecision) (*JoinRequest, *Membership, error)
}
