package api

import (
	"context"
	"net/http"
	"net/url"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
)

// listOrgProfiles serves GET /v1/orgs/{org}/profiles.
func (s *server) listOrgProfiles(r *http.Request) (client.ProfileList, error) {
	orgID, err := pathID(r, "org", invited.PrefixOrganization)
	if err != nil {
		return client.ProfileList{}, err
	}
	f := invited.FieldErrors{}
	filter := profileFilterOf(r.URL.Query(), f)
	filter.OrgID = orgID
	return s.findProfiles(r.Context(), filter, f)
}

// listProfiles serves GET /v1/profiles, across organizations.
func (s *server) listProfiles(r *http.Request) (client.ProfileList, error) {
	q, f := r.URL.Query(), invited.FieldErrors{}
	filter := profileFilterOf(q, f)
	filter.OrgID = queryOrgID(q, f)
	return s.findProfiles(r.Context(), filter, f)
}

// profileFilterOf reads the filters the profile lists share; each list
// takes the organization from its own place.
func profileFilterOf(q url.Values, f invited.FieldErrors) invited.ProfileFilter {
	return invited.ProfileFilter{AppID: queryAppID(q, f), Status: queryStatus(q, f, invited.ProfileStatuses), Page: pageOf(q, f)}
}

// findProfiles answers a list, unless reading its query found errors f.
func (s *server) findProfiles(ctx context.Context, filter invited.ProfileFilter, f invited.FieldErrors) (client.ProfileList, error) {
	if err := f.Err(); err != nil {
		return client.ProfileList{}, err
	}
	profiles, next, err := s.deps.Profiles.FindProfiles(ctx, filter)
	return client.ProfileList{Profiles: nonNil(profiles), NextPageToken: next}, err
}

// profileAction adapts a service method on one profile, named by the path,
// to an endpoint. Like appInviteAction, it looks the service up per call so
// that the route table can be built without services.
func (s *server) profileAction(fn func(invited.ProfileService, context.Context, string) (*invited.Profile, error)) func(*http.Request) (*invited.Profile, error) {
	return onPath(invited.PrefixProfile, func() invited.ProfileService { return s.deps.Profiles }, fn)
}

// profileToken hands out a profile's access token. Like every JSON answer
// it is sent with Cache-Control: no-store (writeRaw), as RFC 6749 §5.1 asks
// of answers carrying tokens; it takes no Idempotency-Key, so no copy of
// the token is ever stored.
func (s *server) profileToken(r *http.Request) (*invited.ProfileToken, error) {
	id, err := pathID(r, "id", invited.PrefixProfile)
	if err != nil {
		return nil, err
	}
	return s.deps.ProfileTokens.ProfileToken(r.Context(), id)
}
