package invited_test

import (
	"testing"
	"time"

	"github.com/invitedhq/invited"
)

// TestJoinRequestTransition covers every (status, action) pair.
func TestJoinRequestTransition(t *testing.T) {
	legal := map[invited.JoinRequestStatus]map[invited.Action]invited.JoinRequestStatus{
		invited.JoinRequestPending: {invited.ActionApprove: invited.JoinRequestApproved, invited.ActionDeny: invited.JoinRequestDenied,
			invited.ActionExpire: invited.JoinRequestExpired},
	}
	actions := []invited.Action{invited.ActionApprove, invited.ActionDeny, invited.ActionExpire, invited.ActionRevoke, invited.ActionUse, invited.ActionAccept}
	for _, from := range invited.JoinRequestStatuses {
		for _, action := range actions {
			t.Run(string(from)+"/"+string(action), func(t *testing.T) {
				to, err := invited.JoinRequestLifecycle.Transition(from, action)
				if want, ok := legal[from][action]; ok {
					if err != nil || to != want {
						t.Fatalf("Transition = %s, %v; want %s", to, err, want)
					}
					return
				}
				if invited.ErrorCode(err) != invited.EINVALIDSTATE || to != from {
					t.Fatalf("illegal move: %s, %v", to, err)
				}
			})
		}
	}
}

// TestJoinRequestDecide checks what a decision records, and that an
// overdue request cannot be decided.
func TestJoinRequestDecide(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	decider := invited.Inviter{UserID: "usr_admin", Name: "Grace"}
	tests := []struct {
		name    string
		action  invited.Action
		d       invited.JoinDecision
		expires time.Time
		roles   []string
		code    string
	}{
		{"approve with the request's roles", invited.ActionApprove, invited.JoinDecision{Note: " welcome "}, now.Add(time.Hour), []string{"member"}, ""},
		{"approve with other roles", invited.ActionApprove, invited.JoinDecision{Roles: []string{"guest", "guest"}}, now.Add(time.Hour), []string{"guest"}, ""},
		{"deny", invited.ActionDeny, invited.JoinDecision{Note: "no"}, now.Add(time.Hour), []string{"member"}, ""},
		{"deny with roles", invited.ActionDeny, invited.JoinDecision{Roles: []string{"admin"}}, now.Add(time.Hour), nil, invited.EINVALID},
		{"a note too long", invited.ActionApprove, invited.JoinDecision{Note: string(make([]byte, 1001))}, now.Add(time.Hour), nil, invited.EINVALID},
		{"overdue", invited.ActionApprove, invited.JoinDecision{}, now, nil, invited.EINVALIDSTATE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &invited.JoinRequest{Status: invited.JoinRequestPending, Roles: []string{"member"}, ExpiresAt: tt.expires}
			err := r.Decide(tt.action, tt.d, decider, now)
			if tt.code != "" {
				if invited.ErrorCode(err) != tt.code || r.Status != invited.JoinRequestPending {
					t.Fatalf("Decide = %v, %+v; want %s and no change", err, r, tt.code)
				}
				return
			}
			stamped := map[invited.Action]*time.Time{invited.ActionApprove: r.ApprovedAt, invited.ActionDeny: r.DeniedAt}[tt.action]
			if err != nil || stamped == nil || !r.UpdatedAt.Equal(now) || r.DecidedBy != decider || len(r.Roles) != len(tt.roles) || r.Roles[0] != tt.roles[0] {
				t.Fatalf("Decide = %v, %+v", err, r)
			}
			if tt.d.Note == " welcome " && r.DecisionNote != "welcome" {
				t.Fatalf("note %q is not trimmed", r.DecisionNote)
			}
		})
	}
}
