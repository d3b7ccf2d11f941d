package api

import (
	"net/http"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
)

// Join requests (issue 15): filed by a person within an organization,
// decided by its admins through /v1/join-requests/{id}.

func (s *server) createJoinRequest(r *http.Request, c invited.JoinRequestCreate) (*invited.JoinRequest, error) {
	orgID, err := pathID(r, "org", invited.PrefixOrganization)
	if err != nil {
		return nil, err
	}
	// A request writes to the organization on a stranger's behalf: it
	// spends the caller's allowance of public requests, as a link does.
	if err := s.throttlePublic(r); err != nil {
		return nil, err
	}
	return s.deps.JoinRequests.CreateJoinRequest(r.Context(), orgID, c)
}

func (s *server) listJoinRequests(r *http.Request) (client.JoinRequestList, error) {
	orgID, err := pathID(r, "org", invited.PrefixOrganization)
	if err != nil {
		return client.JoinRequestList{}, err
	}
	q, f := r.URL.Query(), invited.FieldErrors{}
	filter := invited.JoinRequestFilter{OrgID: orgID, Status: queryStatus(q, f, invited.JoinRequestStatuses), Page: pageOf(q, f)}
	if err := f.Err(); err != nil {
		return client.JoinRequestList{}, err
	}
	requests, next, err := s.deps.JoinRequests.FindJoinRequests(r.Context(), filter)
	return client.JoinRequestList{JoinRequests: nonNil(requests), NextPageToken: next}, err
}

func (s *server) getJoinRequest(r *http.Request) (*invited.JoinRequest, error) {
	return onPath(invited.PrefixJoinRequest, func() invited.JoinRequestService { return s.deps.JoinRequests },
		invited.JoinRequestService.FindJoinRequestByID)(r)
}

// decideJoinRequest is the endpoint of one decision (approve, deny) on the
// request the path names.
func (s *server) decideJoinRequest(action invited.Action) func(*http.Request, invited.JoinDecision) (client.JoinDecisionResult, error) {
	return func(r *http.Request, d invited.JoinDecision) (client.JoinDecisionResult, error) {
		id, err := pathID(r, "id", invited.PrefixJoinRequest)
		if err != nil {
			return client.JoinDecisionResult{}, err
		}
		req, m, err := s.deps.JoinRequests.DecideJoinRequest(r.Context(), id, action, d)
		if err != nil {
			return client.JoinDecisionResult{}, err
		}
		return client.JoinDecisionResult{Request: req, Membership: m}, nil
	}
}
